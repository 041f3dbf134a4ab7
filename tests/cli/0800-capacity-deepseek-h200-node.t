# DeepSeek-V3 fp8, batch 16 x 32k on one node of 8 H200 (vLLM 0.7 accounting):
# per GPU 84.1 GB weights + 6.07 GB activations of a 32768-token step + 0.27 GB
# non-torch out of 0.90 x 140.4 GiB leaves ~40k KV blocks of 16 x 70,272 bytes:
# concurrency 19.6 at 32768 (tests/unit/test_capacity.c works it out)
args: capacity --gpu h200:8 --batch 16 --seq 32k --gen 0 tests/data/configs/deepseek-ai__DeepSeek-V3/config.json
exit: 0
stdout-has:      8     1   8   1  h200           fp8
stdout-has:    19.6     19
stdout-has: --tensor-parallel-size 8 --pipeline-parallel-size 1 --max-model-len 32768 --gpu-memory-utilization 0.90
