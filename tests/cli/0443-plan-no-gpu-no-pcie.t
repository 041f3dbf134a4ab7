# without a GPU nothing crosses PCIe: the verdict says the CPU runs it
args: plan --max-memory cpu=64GiB --no-disk @F/tiny_llama
exit: 0
stdout-has: runs on the CPU only: slow
