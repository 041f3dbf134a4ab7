/*
 * capacity.h - how many GPUs of one kind a workload needs, in which layout,
 * and how fast it then decodes.  Pure functions: the memory comes from the
 * memory model (vf_estimate, the layer table and its KV cache, memory.h);
 * this module only divides it among GPUs the way the engines do.
 *
 * Serving (vLLM): tensor parallelism of size TP in 1, 2, 4, 8 inside a node
 * of VF_CAP_NODE GPUs, pipeline stages (PP) when one node is not enough.
 * Per GPU: weights / TP of the fullest stage, its KV cache / TP when the KV
 * heads are split (whole when they are replicated, or for an MLA latent
 * cache), the workload's activations (not divided: conservative), the CUDA
 * context of that GPU generation, and a margin kept free (vLLM's fused
 * parameters make the allocator's per-tensor rounding negligible).  Training (DeepSpeed ZeRO-3):
 * the estimate with zero_stage 3 over dp = the GPU count, optionally with the optimizer (and the
 * parameters) offloaded to CPU memory.
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

/* The model under one workload (one weights dtype), for serving. */
struct vf_cap_serve {
	const struct vf_estimate *est; /* vf_estimate() for this workload */
	const struct vf_layers *ly;    /* layers (bytes as loaded), or NULL: no pipeline */
	const uint64_t *kv;	       /* KV cache per layer, or NULL */
	int64_t heads, kv_heads;       /* attention heads; VF_UNSET unknown */
	bool replicated_kv;	       /* every TP rank holds the whole KV cache (MLA latent) */
	uint64_t margin;	       /* kept free per GPU; UINT64_MAX: 2% of it, >= 256 MiB */
	double efficiency;	       /* VF_CAP_EFFICIENCY unless told */
};

enum vf_offload { VF_OFFLOAD_NONE, VF_OFFLOAD_OPTIMIZER, VF_OFFLOAD_ALL };

/* The model and training workload, for ZeRO-3. */
struct vf_cap_train {
	const struct vf_model *m; /* as for vf_estimate() */
	const struct vf_synth *s;
	const struct vf_workload *w; /* train set; zero_stage and dp are chosen here */
	enum vf_offload offload;
	uint64_t margin; /* as above */
};

struct vf_cap_layout {
	bool fits;	      /* within VF_CAP_MAX_GPUS */
	unsigned gpus, nodes; /* nodes: ceil(gpus / VF_CAP_NODE) */
	unsigned tp, pp, dp;  /* serving: tp x pp = gpus, dp 1; training: dp = gpus */
	/* bytes on the fullest GPU; need is their sum, need + margin <= total */
	uint64_t weights, kv_cache, activations, gradients, optimizer, overhead, need, margin;
	uint64_t host_per_node;	   /* training with offload: CPU memory a node needs */
	uint64_t bytes_per_token;  /* serving: read per decode step, all stages in turn */
	double tokens_per_s;	   /* decode tokens/s per sequence; 0 unknown */
	double memory_utilization; /* vLLM --gpu-memory-utilization: need / total, >= 0.90 */
	enum vf_offload offload;
};

/* The fewest GPUs of kind g that serve the workload, fastest layout first
 * among equals.  out->fits false when more than VF_CAP_MAX_GPUS would do. */
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
