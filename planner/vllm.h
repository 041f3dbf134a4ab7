/*
 * vllm.h - GPU memory as vLLM accounts it when it starts, per GPU.
 *
 * Read from vLLM's source (not guessed):
 *   vllm/worker/worker.py determine_num_available_blocks (V0) and
 *   vllm/v1/worker/gpu_worker.py determine_available_memory (V1): a profile
 *   run of one scheduler step of max_num_batched_tokens tokens spread over
 *   max_num_seqs sequences; the KV cache gets
 *       gpu_memory_utilization x total - (weights + activation peak of that
 *       step + non-torch memory allocated since start-up)
 *   in blocks of block_size (16 on CUDA) tokens; the CUDA context (made
 *   before the baseline) and the CUDA graphs (captured after the KV cache
 *   is allocated) live in the (1 - gpu_memory_utilization) x total left.
 *   vLLM logs "Maximum concurrency for N tokens per request: X" =
 *   blocks x block_size / max_model_len.
 *   vllm/engine/arg_utils.py and vllm/config.py SchedulerConfig: the
 *   defaults of max_num_batched_tokens and max_num_seqs per engine version.
 *
 * Pinned version (VF_VLLM_V0): vLLM 0.7.x with its default V0 engine
 * (arg_utils.py of vllm-project/vllm as stored at commit 001999d2):
 * chunked prefill on by default only when max_model_len > 32768; then
 * max_num_batched_tokens 2048, otherwise max(max_model_len, 2048);
 * max_num_seqs 256.  Current (VF_VLLM_V1, 0.8 and later, the V1 engine):
 * chunked prefill always; for `vllm serve` (OPENAI_API_SERVER usage context)
 * max_num_batched_tokens 8192 and max_num_seqs 1024 on GPUs of 70 GiB or
 * more that are not A100, else 2048 and 256 (get_batch_defaults).
 *
 * Pure arithmetic: nothing here prints or allocates.
 */
#ifndef VF_VLLM_H
#define VF_VLLM_H

#include <stdbool.h>
#include <stdint.h>

#include "planner/memory.h"

enum vf_vllm_version { VF_VLLM_V0, VF_VLLM_V1 };

#define VF_VLLM_PINNED "0.7.x"
#define VF_VLLM_BLOCK 16		   /* --block-size default on CUDA */
#define VF_VLLM_UTIL 0.90		   /* --gpu-memory-utilization default */
#define VF_VLLM_GRAPHS (UINT64_C(1) << 30) /* CUDA graphs per GPU: an assumption */
/* NCCL and custom all-reduce buffers a TP/PP rank allocates outside torch:
 * an assumption (vLLM measures it as "non-torch memory"). */
#define VF_VLLM_NONTORCH_TP (UINT64_C(256) << 20)

/* What the user gives vLLM; 0 (or 0.0) where vLLM's default applies. */
struct vf_vllm_cfg {
	enum vf_vllm_version version;
	double util;			 /* gpu_memory_utilization */
	uint64_t max_model_len;		 /* tokens per sequence, prompt + output */
	uint64_t max_num_seqs;		 /* sequences per step */
	uint64_t max_num_batched_tokens; /* tokens per step */
	uint64_t graphs;		 /* CUDA graph memory; UINT64_MAX: VF_VLLM_GRAPHS */
	bool enforce_eager;		 /* no CUDA graphs */
};

/* max_num_batched_tokens and max_num_seqs as vLLM settles them for a GPU of
 * gpu_total bytes (a100: an A100, which V1 keeps on the small defaults). */
void vf_vllm_defaults(const struct vf_vllm_cfg *c, uint64_t gpu_total, bool a100,
		      uint64_t *batched_tokens, uint64_t *num_seqs, bool *chunked);

/*
 * The activation peak on one TP rank of the profile step: tokens tokens in
 * seqs sequences through one block at a time (vLLM frees each layer's
 * temporaries), the larger of
 *   attention: residual, hidden and normed input (3 x T x h), the fused qkv
 *     projection's output / tp, the attention output / tp and o_proj's
 *     output (T x h, before the all-reduce);
 *   MLP: the same 3 x T x h, gate_up / tp, its activation / tp and the down
 *     projection's T x h; a MoE block (fused_moe) its caches T x k x 2I / tp,
 *     T x k x I / tp and T x k x h, the fp32 router logits T x E, and the
 *     shared experts' gate_up / tp;
 *   the head: the final hidden state, the last token's logits of each
 *     sequence gathered whole (seqs x V x 4, fp32) and the sampler's two
 *     fp32 copies (probabilities and log-probabilities).
 * p: bytes of the activation dtype.
 */
uint64_t vf_vllm_activation(const struct vf_synth *s, unsigned p, uint64_t tokens, uint64_t seqs,
			    unsigned tp);

/* One GPU under vLLM. */
struct vf_vllm_rank {
	uint64_t budget;			 /* util x total */
	uint64_t weights, activations, nontorch; /* what profiling finds */
	uint64_t kv_budget;			 /* budget - those (0 when they do not fit) */
	uint64_t block_bytes;			 /* one KV block on this rank */
	uint64_t blocks;			 /* KV blocks vLLM allocates */
	uint64_t headroom;			 /* total - budget: context and CUDA graphs */
	uint64_t context, graphs;
	bool headroom_ok; /* context + graphs <= headroom */
};

/*
 * Fills r for a GPU of total bytes holding weights (this rank's share), with
 * kv_per_token bytes of KV cache per token on this rank (0: an attention-free
 * model), activation peak act and the CUDA context.  nontorch: NCCL buffers
 * (VF_VLLM_NONTORCH_TP when tp x pp > 1, else 0).
 */
void vf_vllm_rank(const struct vf_vllm_cfg *c, uint64_t total, uint64_t weights, uint64_t act,
		  uint64_t nontorch, uint64_t context, uint64_t kv_per_token,
		  struct vf_vllm_rank *r);

/* Sequences of max_model_len tokens that blocks hold at once, as vLLM
 * prints it: blocks x block_size / max_model_len. */
double vf_vllm_concurrency(uint64_t blocks, uint64_t max_model_len);
/* Whole sequences of max_model_len tokens the blocks hold (each needs
 * ceil(max_model_len / block_size) blocks), capped by max_num_seqs. */
uint64_t vf_vllm_max_batch(uint64_t blocks, uint64_t max_model_len, uint64_t max_num_seqs);

#endif
