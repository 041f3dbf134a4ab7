/*
 * capacity.h - how many GPUs of one kind a workload needs, in which layout,
 * and how fast it then decodes.  Pure functions: the memory comes from the
 * memory model (vf_estimate, the layer table and its KV cache, memory.h);
 * this module only divides it among GPUs the way the engines do.
 *
 * Serving (vLLM, planner/vllm.h): tensor parallelism of size TP in 1, 2,
 * 4, 8 inside a node (VF_CAP_NODE GPUs unless told), pipeline stages (PP)
 * when one node is not enough.  Per GPU, as vLLM counts it at start-up:
 * weights / TP of the fullest stage, the activation peak of one scheduler
 * step (max_num_batched_tokens, split over TP), non-torch memory, then the
 * KV blocks that gpu_memory_utilization x total leaves; the CUDA context and
 * CUDA graphs in the rest.  It fits when the blocks hold the batch at
 * max_model_len.  Training (DeepSpeed ZeRO-3): the estimate with zero_stage
 * 3 over dp = the GPU count, optionally with the optimizer (and the
 * parameters) offloaded to CPU memory, and a margin kept free.
 *
 * Errors: VF_ENOMEM, or what vf_estimate refuses.  Nothing here prints.
 */
#ifndef VF_CAPACITY_H
#define VF_CAPACITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "planner/planner.h"
#include "planner/vllm.h"

#define VF_CAP_NODE 8	    /* GPUs in a node (DGX/HGX, cloud 8-GPU instances) */
#define VF_CAP_MAX_GPUS 512 /* 64 nodes: more is reported as "does not fit" */

/*
 * Memory-bandwidth utilisation in decode: the share of the datasheet
 * bandwidth a serving engine reaches.  Databricks/MosaicML, "LLM Inference
 * Performance Engineering: Best Practices" (2023) defines it (MBU =
 * (weights + KV cache read per token) / time per output token / peak
 * bandwidth) and works an example at 50%; an assumption, not a measurement
 * by vramfit, and overridable (--efficiency).
 */
#define VF_CAP_EFFICIENCY 0.5

/*
 * May vLLM shard attention over tp GPUs?  The query heads must divide
 * evenly, and the KV heads either divide evenly or, when there are fewer of
 * them than GPUs, be replicated (tp a multiple of kv_heads), as vLLM's
 * attention layers assert (vllm/model_executor/models/llama.py).  With
 * replicated_kv (an MLA latent cache) only the query heads count.  Unknown
 * heads (VF_UNSET) allow only tp 1.
 */
bool vf_tp_valid(int64_t heads, int64_t kv_heads, bool replicated_kv, unsigned tp);

/* Decoder layers per pipeline stage, as vLLM's get_pp_indices() splits them:
 * layers / pp each, the remainder given one each to the stages before the
 * last, from the second-to-last backwards (the last stage holds the head). */
void vf_pp_split(uint64_t layers, unsigned pp, uint64_t *per_stage);

/* One kind of GPU. */
struct vf_cap_gpu {
	const char *key;    /* "h100-sxm" (catalogue) or what --gpu said */
	const char *name;   /* "NVIDIA H100 80GB HBM3" */
	uint64_t total;	    /* bytes */
	uint64_t bandwidth; /* bytes/s; 0 unknown (no speed) */
	uint64_t context;   /* CUDA context of a process on it (vf_gpu_context_overhead) */
};

/* The model under one workload (one weights dtype), for serving with vLLM. */
struct vf_cap_serve {
	const struct vf_estimate *est; /* vf_estimate() for this workload */
	const struct vf_synth *s;      /* blocks for vLLM's activation peak; NULL: est's */
	const struct vf_layers *ly;    /* layers (bytes as loaded), or NULL: no pipeline */
	const uint64_t *kv;	       /* KV cache per layer (splits it over stages), or NULL */
	uint64_t kv_token;	       /* KV bytes per token of one sequence, all layers */
	int64_t heads, kv_heads;       /* attention heads; VF_UNSET unknown */
	bool replicated_kv;	       /* every TP rank holds the whole KV cache (MLA latent) */
	double efficiency;	       /* VF_CAP_EFFICIENCY unless told */
	struct vf_vllm_cfg vllm;       /* max_model_len must be set */
	uint64_t batch;		       /* sequences of max_model_len that must fit at once */
	unsigned tp, pp;	       /* 0: chosen here */
	unsigned node; /* nodes of this many GPUs, counted whole; 0: VF_CAP_NODE, any count */
	bool a100;     /* the GPU is an A100 (vLLM V1's defaults) */
};

enum vf_offload { VF_OFFLOAD_NONE, VF_OFFLOAD_OPTIMIZER, VF_OFFLOAD_ALL };

/* The model and training workload, for ZeRO-3. */
struct vf_cap_train {
	const struct vf_model *m; /* as for vf_estimate() */
	const struct vf_synth *s;
	const struct vf_workload *w; /* train set; zero_stage and dp are chosen here */
	enum vf_offload offload;
	uint64_t margin; /* kept free per GPU; UINT64_MAX: 2% of it, >= 256 MiB */
};

struct vf_cap_layout {
	bool fits;	      /* within VF_CAP_MAX_GPUS */
	unsigned gpus, nodes; /* nodes: ceil(gpus / node size) */
	unsigned tp, pp, dp;  /* serving: tp x pp = gpus, dp 1; training: dp = gpus */
	/* bytes on the fullest GPU; need is their sum, need + margin <= total.
	 * Serving: kv_cache is what the batch at max_model_len takes of the
	 * blocks, overhead the CUDA context + non-torch + CUDA graphs, margin
	 * what vLLM's utilization leaves beyond those and the blocks. */
	uint64_t weights, kv_cache, activations, gradients, optimizer, overhead, need, margin;
	uint64_t host_per_node;	   /* training with offload: CPU memory a node needs */
	uint64_t bytes_per_token;  /* serving: read per decode step, all stages in turn */
	double tokens_per_s;	   /* decode tokens/s per sequence; 0 unknown */
	double memory_utilization; /* vLLM --gpu-memory-utilization */
	enum vf_offload offload;
	/* serving, as vLLM accounts it on the fullest GPU (vllm.h) */
	struct vf_vllm_rank rank;
	uint64_t kv_blocks;		   /* the fewest over the stages */
	uint64_t kv_pool;		   /* bytes of those blocks */
	double concurrency;		   /* sequences of max_model_len at once */
	uint64_t max_batch;		   /* whole sequences that fit, <= max_num_seqs */
	uint64_t batched_tokens, num_seqs; /* the scheduler's settings */
	bool chunked;			   /* chunked prefill */
	char why[160];			   /* !fits: the first reason */
};

/* The fewest GPUs of kind g that serve the workload (in->batch sequences of
 * max_model_len at once, as vLLM's KV blocks hold them), fastest layout first
 * among equals; in->tp / in->pp fix the layout.  out->fits false when more
 * than VF_CAP_MAX_GPUS would do (out->why says why the last try failed). */
enum vf_status vf_capacity_serve(const struct vf_cap_serve *in, const struct vf_cap_gpu *g,
				 struct vf_cap_layout *out, struct vf_err *err);

/* The fewest GPUs of kind g that train with ZeRO-3 (1 to 8 in a node, then
 * whole nodes). */
enum vf_status vf_capacity_train(const struct vf_cap_train *in, const struct vf_cap_gpu *g,
				 struct vf_cap_layout *out, struct vf_err *err);

/* The margin kept free on a GPU of total bytes: plan's default, 2% of it and
 * at least 256 MiB. */
uint64_t vf_cap_default_margin(uint64_t total);

#endif
