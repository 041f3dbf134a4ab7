/*
 * capacity.c - the fewest GPUs of one kind for a workload, the layout, the
 * decode speed; see capacity.h.
 *
 * Search: GPU counts n from 1 up; for each, tensor-parallel sizes from the
 * largest valid one down, the rest of n as pipeline stages.  Up to a node
 * (VF_CAP_NODE GPUs) any valid TP x PP = n is tried; past a node TP is the
 * largest valid size (it stays inside a node, where NVLink is) and PP adds
 * whole stages across nodes, as vLLM's documentation recommends.  The first
 * layout that fits is the answer, so it has the fewest GPUs and, among those,
 * the most tensor parallelism, which is the fastest decode (pipeline stages
 * run one after another for one sequence; TP divides each stage's reads).
 *
 * Decode speed (memory-bandwidth bound, one sequence of the batch):
 *   tokens/s = bandwidth x efficiency / bytes read per step
 *   bytes    = sum over stages of (weights of the stage / TP, scaled by
 *              active / total parameters for a mixture of experts)
 *              + (its KV cache of the whole batch / TP, or whole when
 *              replicated)
 * Compute, communication and prefill are not modelled: an upper bound on a
 * well-tuned engine, at the workload's full context.
 *
 * Invariant: every byte count comes from the memory model's estimate and
 * layer table; this file only divides them (rounding up) among GPUs.
 */
#include "planner/capacity.h"

#include <math.h>
#include <string.h>

#include "common/mem.h"

#define MIB (UINT64_C(1) << 20)

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return b ? a / b + (a % b != 0) : a;
}

/* a * num / den, rounded up, without overflow for byte counts < 2^62 */
static uint64_t scale(uint64_t a, uint64_t num, uint64_t den)
{
	if (!den)
		return a;
	return (uint64_t)ceil((double)a * ((double)num / (double)den));
}

uint64_t vf_cap_default_margin(uint64_t total)
{
	return total / 50 > 256 * MIB ? total / 50 : 256 * MIB;
}

bool vf_tp_valid(int64_t heads, int64_t kv_heads, bool replicated_kv, unsigned tp)
{
	if (!tp || tp > VF_CAP_NODE || (tp & (tp - 1)))
		return false;
	if (tp == 1)
		return true;
	if (heads <= 0 || heads % tp)
		return false;
	if (replicated_kv)
		return true;
	if (kv_heads <= 0)
		return false;
	return kv_heads >= (int64_t)tp ? kv_heads % tp == 0 : tp % kv_heads == 0;
}

void vf_pp_split(uint64_t layers, unsigned pp, uint64_t *per_stage)
{
	uint64_t rem;

	if (!pp)
		return;
	rem = layers % pp;
	for (unsigned i = 0; i < pp; i++)
		per_stage[i] = layers / pp;
	/* vllm/distributed/utils.py get_pp_indices: for i in range(2, rem + 2):
	 * partitions[-i] += 1 */
	for (uint64_t i = 2; i < rem + 2; i++)
		per_stage[pp - i]++;
}

static double utilization(uint64_t need, uint64_t total)
{
	/* vLLM's default is 0.90; the KV cache fills what is left, so a larger
	 * share only adds room for more sequences */
	double u = total ? ceil((double)need * 100.0 / (double)total) / 100.0 : 1.0;

	return u < 0.90 ? 0.90 : u;
}

/* Weights and KV cache of each pipeline stage, scaled to the estimate. */
static void stage_sums(const struct vf_cap_serve *in, unsigned pp, uint64_t *W, uint64_t *K)
{
	const struct vf_estimate *e = in->est;
	uint64_t parts[VF_CAP_MAX_GPUS] = {0}, blocks = 0, left, wsum = 0, ksum = 0;
	unsigned s = 0;

	memset(W, 0, pp * sizeof(*W));
	memset(K, 0, pp * sizeof(*K));
	if (!in->ly || !in->ly->n) {
		W[0] = e->weights;
		K[0] = e->kv_cache;
		return;
	}
	for (size_t i = 0; i < in->ly->n; i++)
		blocks += in->ly->v[i].kind == VF_LAYER_BLOCK;
	vf_pp_split(blocks, pp, parts);
	left = parts[0];
	for (size_t i = 0; i < in->ly->n; i++) {
		const struct vf_layer *l = &in->ly->v[i];
		if (l->kind == VF_LAYER_BLOCK) {
			while (!left && s + 1 < pp)
				left = parts[++s];
			if (left)
				left--;
		}
		/* layers before the first block go with it (embeddings), layers
		 * after a block with that block's stage (final norm, head) */
		W[s] += l->bytes + l->buffer_bytes;
		K[s] += in->kv ? in->kv[i] : 0;
	}
	for (unsigned k = 0; k < pp; k++) {
		wsum += W[k];
		ksum += K[k];
	}
	/* the estimate is the contract; the table only says how it splits */
	for (unsigned k = 0; k < pp; k++) {
		W[k] = wsum ? scale(W[k], e->weights, wsum) : ceil_div(e->weights, pp);
		K[k] = ksum ? scale(K[k], e->kv_cache, ksum) : ceil_div(e->kv_cache, pp);
	}
}

/* This GPU's share of a stage's KV cache under tensor parallelism. */
static uint64_t kv_share(const struct vf_cap_serve *in, uint64_t k, unsigned tp)
{
	if (in->replicated_kv || tp == 1)
		return k;
	if (in->kv_heads >= (int64_t)tp)
		return ceil_div(k, tp);
	return ceil_div(k, (uint64_t)in->kv_heads); /* one replicated head per GPU */
}

static void layout(const struct vf_cap_serve *in, const struct vf_cap_gpu *g, unsigned tp,
		   unsigned pp, uint64_t margin, struct vf_cap_layout *L)
{
	const struct vf_estimate *e = in->est;
	uint64_t W[VF_CAP_MAX_GPUS], K[VF_CAP_MAX_GPUS], alloc, bpt = 0;
	unsigned n = tp * pp;
	double active = e->params_total ? (double)e->params_active / (double)e->params_total : 1.0;

	stage_sums(in, pp, W, K);
	memset(L, 0, sizeof(*L));
	/*
	 * Not e->allocator: that is the caching allocator rounding each tensor
	 * of a transformers load up to 2 MiB, tens of GB for a MoE with 45k
	 * expert matrices.  vLLM fuses qkv, gate_up and each layer's experts
	 * into a few large parameters and allocates its KV cache as one tensor
	 * per layer, so the rounding is a few MiB in all; the margin covers it.
	 */
	alloc = 0;
	for (unsigned s = 0; s < pp; s++) {
		uint64_t w = ceil_div(W[s], tp), k = kv_share(in, K[s], tp);
		uint64_t need = w + k + e->activations + g->context + alloc;
		bpt += (uint64_t)ceil((double)w * active) + k;
		if (need > L->need) {
			L->weights = w;
			L->kv_cache = k;
			L->need = need;
		}
	}
	L->activations = e->activations;
	L->overhead = g->context + alloc;
	L->margin = margin;
	L->tp = tp;
	L->pp = pp;
	L->dp = 1;
	L->gpus = n;
	L->nodes = (n + VF_CAP_NODE - 1) / VF_CAP_NODE;
	L->fits = L->need <= g->total && margin <= g->total - L->need;
	L->bytes_per_token = bpt;
	L->tokens_per_s =
	    g->bandwidth && bpt ? (double)g->bandwidth * in->efficiency / (double)bpt : 0;
	L->memory_utilization = utilization(L->need, g->total);
}

enum vf_status vf_capacity_serve(const struct vf_cap_serve *in, const struct vf_cap_gpu *g,
				 struct vf_cap_layout *out, struct vf_err *err)
{
	uint64_t margin = in->margin == UINT64_MAX ? vf_cap_default_margin(g->total) : in->margin;
	uint64_t blocks = 0;
	unsigned tmax = 1;

	(void)err;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; in->ly && i < in->ly->n; i++)
		blocks += in->ly->v[i].kind == VF_LAYER_BLOCK;
	for (unsigned t = 1; t <= VF_CAP_NODE; t *= 2)
		if (vf_tp_valid(in->heads, in->kv_heads, in->replicated_kv, t))
			tmax = t;
	for (unsigned n = 1; n <= VF_CAP_MAX_GPUS; n++) {
		for (unsigned t = VF_CAP_NODE; t >= 1; t /= 2) {
			unsigned p = n / t;
			struct vf_cap_layout L;
			if (n % t || !vf_tp_valid(in->heads, in->kv_heads, in->replicated_kv, t))
				continue;
			if (n > VF_CAP_NODE && t != tmax)
				continue; /* across nodes: full TP in each, stages between */
			if (p > 1 && p > blocks)
				continue; /* a stage needs at least one block */
			layout(in, g, t, p, margin, &L);
			if (L.fits) {
				*out = L;
				return VF_OK;
			}
			if (n == 1)
				*out = L; /* what one GPU would need, for the report */
		}
	}
	out->fits = false;
	return VF_OK;
}

enum vf_status vf_capacity_train(const struct vf_cap_train *in, const struct vf_cap_gpu *g,
				 struct vf_cap_layout *out, struct vf_err *err)
{
	uint64_t margin = in->margin == UINT64_MAX ? vf_cap_default_margin(g->total) : in->margin;
	struct vf_workload w = *in->w;
	struct vf_estimate e;
	struct vf_ckpt ck, *pk = NULL;
	uint64_t unsharded;
	enum vf_status st;

	memset(out, 0, sizeof(*out));
	/* estimated once per GPU count: its tensors are read once */
	if (in->m && in->m->ntensors) {
		if ((st = vf_ckpt_init(&ck, in->m, err)))
			return st;
		pk = &ck;
	}
	/* the weights one GPU would hold without ZeRO: what ZeRO-3 partitions */
	w.zero_stage = 0;
	w.dp = 1;
	w.context = g->context;
	if ((st = vf_estimate_ckpt(pk, in->s, &w, &e, err)))
		goto out;
	unsharded = e.weights;
	for (unsigned n = 1; n <= VF_CAP_MAX_GPUS; n = n < VF_CAP_NODE ? n + 1 : n + VF_CAP_NODE) {
		struct vf_cap_layout L;
		uint64_t host = 0;
		w.zero_stage = 3;
		w.dp = n;
		if ((st = vf_estimate_ckpt(pk, in->s, &w, &e, err)))
			goto out;
		memset(&L, 0, sizeof(L));
		L.weights = e.weights;
		L.gradients = e.gradients;
		L.optimizer = e.optimizer;
		L.activations = e.activations;
		L.overhead = e.overhead;
		/* ZeRO-Offload: fp32 master weights, optimizer states and the
		 * gradient partition live in CPU memory (DeepSpeed's
		 * estimate_zero3_model_states_mem_needs keeps 2 bytes/param on GPU) */
		if (in->offload >= VF_OFFLOAD_OPTIMIZER) {
			host += e.gradients + e.optimizer;
			L.gradients = L.optimizer = 0;
		}
		/* ZeRO-Infinity: the parameter partition too; the GPU keeps what
		 * memory.c adds for the layer being gathered */
		if (in->offload == VF_OFFLOAD_ALL) {
			uint64_t part = ceil_div(unsharded, n);
			host += part;
			L.weights = e.weights > part ? e.weights - part : 0;
		}
		L.need = L.weights + L.gradients + L.optimizer + L.activations + L.overhead;
		L.margin = margin;
		L.gpus = L.dp = n;
		L.tp = L.pp = 1;
		L.nodes = (n + VF_CAP_NODE - 1) / VF_CAP_NODE;
		L.host_per_node = host * (n < VF_CAP_NODE ? n : VF_CAP_NODE);
		L.offload = in->offload;
		L.memory_utilization = utilization(L.need, g->total);
		L.fits = L.need <= g->total && margin <= g->total - L.need;
		if (L.fits || n == 1)
			*out = L;
		if (L.fits)
			break;
	}
out:
	if (pk)
		vf_ckpt_release(pk);
	return st;
}
