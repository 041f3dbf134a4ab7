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
#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "formats/formats.h"

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

/* One TP x PP layout, each stage's ranks as vLLM accounts them; the fullest
 * (fewest KV blocks) goes to L. */
static void layout(const struct vf_cap_serve *in, const struct vf_cap_gpu *g, unsigned tp,
		   unsigned pp, unsigned node, struct vf_cap_layout *L)
{
	const struct vf_estimate *e = in->est;
	uint64_t W[VF_CAP_MAX_GPUS], K[VF_CAP_MAX_GPUS], bpt = 0, ksum = 0, act, nontorch;
	uint64_t mml = in->vllm.max_model_len, per_seq = ceil_div(mml, VF_VLLM_BLOCK);
	unsigned n = tp * pp, p = vf_dtype_bits(e->compute) / 8;
	double active = e->params_total ? (double)e->params_active / (double)e->params_total : 1.0;
	bool first = true;

	memset(L, 0, sizeof(*L));
	stage_sums(in, pp, W, K);
	for (unsigned s = 0; s < pp; s++)
		ksum += K[s];
	vf_vllm_defaults(&in->vllm, g->total, in->a100, &L->batched_tokens, &L->num_seqs,
			 &L->chunked);
	act = in->s ? vf_vllm_activation(in->s, p ? p : 2, L->batched_tokens, L->num_seqs, tp)
		    : ceil_div(e->activations, tp);
	nontorch = n > 1 ? VF_VLLM_NONTORCH_TP : 0;
	for (unsigned s = 0; s < pp; s++) {
		struct vf_vllm_rank r;
		uint64_t w = ceil_div(W[s], tp);
		uint64_t kt = ksum ? scale(in->kv_token, K[s], ksum) : ceil_div(in->kv_token, pp);
		uint64_t k = kv_share(in, kt, tp);
		vf_vllm_rank(&in->vllm, g->total, w, act, nontorch, g->context, k, &r);
		/* a decode step of the batch: the stage's weights (active experts)
		 * and the batch's KV cache at max_model_len */
		bpt += (uint64_t)ceil((double)w * active) + k * mml * in->batch;
		if (first || r.blocks < L->kv_blocks) {
			L->rank = r;
			L->kv_blocks = r.blocks;
			L->weights = w;
			first = false;
		}
	}
	L->activations = act;
	L->kv_pool = L->rank.blocks == UINT64_MAX ? 0 : L->rank.blocks * L->rank.block_bytes;
	L->kv_cache = in->batch * per_seq * L->rank.block_bytes;
	L->overhead = L->rank.nontorch + L->rank.context + L->rank.graphs;
	L->need = L->weights + L->activations + L->kv_cache + L->overhead;
	L->margin = L->need < g->total ? g->total - L->need : 0;
	L->concurrency = vf_vllm_concurrency(L->kv_blocks, mml);
	L->max_batch = vf_vllm_max_batch(L->kv_blocks, mml, L->num_seqs);
	L->tp = tp;
	L->pp = pp;
	L->dp = 1;
	L->gpus = n;
	L->nodes = (n + node - 1) / node;
	L->memory_utilization = in->vllm.util > 0 ? in->vllm.util : VF_VLLM_UTIL;
	L->bytes_per_token = bpt;
	L->tokens_per_s =
	    g->bandwidth && bpt ? (double)g->bandwidth * in->efficiency / (double)bpt : 0;
	/* vLLM refuses to start when one sequence of max_model_len does not fit
	 * ("larger than the maximum number of tokens that can be stored in KV
	 * cache"); the workload needs its batch at once */
	if (L->rank.weights + act + nontorch >= L->rank.budget)
		snprintf(L->why, sizeof(L->why), "weights and activations exceed %.2f x memory",
			 L->memory_utilization);
	else if (L->kv_blocks < per_seq)
		snprintf(L->why, sizeof(L->why), "KV cache holds less than one sequence of %llu",
			 (unsigned long long)mml);
	else if (L->max_batch < in->batch)
		snprintf(L->why, sizeof(L->why), "KV cache holds %llu sequences of %llu, not %llu",
			 (unsigned long long)L->max_batch, (unsigned long long)mml,
			 (unsigned long long)in->batch);
	else if (!L->rank.headroom_ok)
		snprintf(L->why, sizeof(L->why),
			 "the CUDA context and graphs exceed the %.2f left by the utilization",
			 1 - L->memory_utilization);
	L->fits = !L->why[0];
}

enum vf_status vf_capacity_serve(const struct vf_cap_serve *in, const struct vf_cap_gpu *g,
				 struct vf_cap_layout *out, struct vf_err *err)
{
	uint64_t blocks = 0;
	unsigned tmax = 1, node = in->node ? in->node : VF_CAP_NODE;

	(void)err;
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; in->ly && i < in->ly->n; i++)
		blocks += in->ly->v[i].kind == VF_LAYER_BLOCK;
	if (in->tp || in->pp) {
		unsigned t = in->tp ? in->tp : 1, p = in->pp ? in->pp : 1;
		if (!vf_tp_valid(in->heads, in->kv_heads, in->replicated_kv, t) || t > node) {
			snprintf(out->why, sizeof(out->why),
				 "vLLM cannot split the attention heads %u ways", t);
			return VF_OK;
		}
		if (t * p > VF_CAP_MAX_GPUS || (p > 1 && p > blocks)) {
			snprintf(out->why, sizeof(out->why), "%u pipeline stages", p);
			return VF_OK;
		}
		layout(in, g, t, p, node, out);
		return VF_OK;
	}
	for (unsigned t = 1; t <= node && t <= VF_CAP_NODE; t *= 2)
		if (vf_tp_valid(in->heads, in->kv_heads, in->replicated_kv, t))
			tmax = t;
	for (unsigned n = 1; n <= VF_CAP_MAX_GPUS; n++) {
		for (unsigned t = VF_CAP_NODE; t >= 1; t /= 2) {
			unsigned p = n / t;
			struct vf_cap_layout L;
			if (n % t || t > node ||
			    !vf_tp_valid(in->heads, in->kv_heads, in->replicated_kv, t))
				continue;
			if (n > node && (t != tmax || n % node))
				continue; /* across nodes: full TP in each, whole nodes */
			if (in->node && n % in->node)
				continue; /* nodes of in->node were asked for: whole ones */
			if (p > 1 && p > blocks)
				continue; /* a stage needs at least one block */
			layout(in, g, t, p, node, &L);
			if (L.fits) {
				*out = L;
				return VF_OK;
			}
			if (n == 1 || !out->why[0])
				*out = L; /* what one GPU would need, for the report */
		}
	}
	out->fits = false;
	snprintf(out->why, sizeof(out->why), "does not fit in %d GPUs", VF_CAP_MAX_GPUS);
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
