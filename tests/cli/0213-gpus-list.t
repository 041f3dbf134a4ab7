# the catalogue, with the datasheet wording and the driver-reported total
args: gpus --list
exit: 0
stdout-has: h100-sxm
stdout-has: NVIDIA H100 80GB HBM3
stdout-has: 80 GB HBM3
stdout-has: mi300x
stdout-has: 2039 GB/s
