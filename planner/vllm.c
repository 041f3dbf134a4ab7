/*
 * vllm.c - vLLM's start-up memory accounting, per GPU; see vllm.h for the
 * source it follows.
 */
#include "planner/vllm.h"

#include <math.h>

#define GIB (UINT64_C(1) << 30)

static uint64_t cdiv(uint64_t a, uint64_t b)
{
	return b ? a / b + (a % b != 0) : a;
}

static uint64_t max2(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

void vf_vllm_defaults(const struct vf_vllm_cfg *c, uint64_t gpu_total, bool a100,
		      uint64_t *batched_tokens, uint64_t *num_seqs, bool *chunked)
{
	uint64_t mml = c->max_model_len, t, n;
	bool ch;

	if (c->version == VF_VLLM_V1) {
		/* get_batch_defaults, OPENAI_API_SERVER: 70 GiB and not an A100 */
		bool large = gpu_total >= 70 * GIB && !a100;
		ch = true;
		t = large ? 8192 : 2048;
		n = large ? 1024 : 256;
	} else {
		/* V0: chunked prefill by default above 32K tokens; SchedulerConfig */
		ch = mml > 32768;
		t = ch ? 2048 : max2(mml, 2048);
		n = 256;
	}
	if (c->max_num_seqs)
		n = c->max_num_seqs;
	if (c->max_num_batched_tokens) {
		t = c->max_num_batched_tokens;
		/* a user's budget under max_model_len means chunked prefill */
		ch = ch || t < mml;
	}
	*batched_tokens = t;
	*num_seqs = n;
	*chunked = ch;
}

uint64_t vf_vllm_activation(const struct vf_synth *s, unsigned p, uint64_t T, uint64_t seqs,
			    unsigned tp)
{
	uint64_t h, peak = 0, head, S;

	if (!s || !tp)
		return 0;
	h = (uint64_t)(s->hidden > 0 ? s->hidden : 0);
	for (size_t i = 0; i < s->nblocks; i++) {
		const struct vf_block *b = &s->blocks[i];
		uint64_t base = 3 * T * h * p, attn = base, mlp = base;
		uint64_t kvw =
		    (uint64_t)(b->kv_heads > 0 ? b->kv_heads : 0) *
		    (uint64_t)((b->k_dim > 0 ? b->k_dim : 0) + (b->v_dim > 0 ? b->v_dim : 0));
		uint64_t q = (uint64_t)(b->q_dim > 0 ? b->q_dim : 0);
		uint64_t o = (uint64_t)(b->o_in > 0 ? b->o_in : 0);
		uint64_t I = (uint64_t)(b->inter > 0 ? b->inter : 0);
		uint64_t sh = (uint64_t)(b->shared_inter > 0 ? b->shared_inter : 0);
		unsigned g = b->gated ? 2 : 1;

		attn += cdiv(T * (q + kvw) * p, tp) + cdiv(T * o * p, tp) + T * h * p;
		if (b->moe) {
			uint64_t k = (uint64_t)(s->experts_per_tok > 0 ? s->experts_per_tok : 1);
			uint64_t E = (uint64_t)(s->num_experts > 0 ? s->num_experts : 1);
			uint64_t moe = cdiv(T * k * g * I * p, tp) + cdiv(T * k * I * p, tp) +
				       T * k * h * p + T * E * 4;
			uint64_t shared = sh ? cdiv(T * g * sh * p, tp) + cdiv(T * sh * p, tp) : 0;
			mlp += max2(moe, shared) + T * h * p;
		} else {
			mlp += cdiv(T * g * I * p, tp) + cdiv(T * I * p, tp) + T * h * p;
		}
		peak = max2(peak, max2(attn, mlp));
	}
	S = seqs < T ? seqs : T;
	head = 2 * T * h * p;
	if (s->lm && s->vocab > 0)
		head += S * (uint64_t)s->vocab * 4 * 3 + cdiv(S * (uint64_t)s->vocab * p, tp);
	return max2(peak, head);
}

void vf_vllm_rank(const struct vf_vllm_cfg *c, uint64_t total, uint64_t weights, uint64_t act,
		  uint64_t nontorch, uint64_t context, uint64_t kv_per_token,
		  struct vf_vllm_rank *r)
{
	double util = c->util > 0 ? c->util : VF_VLLM_UTIL;
	uint64_t used;

	r->budget = (uint64_t)floor((double)total * util);
	r->weights = weights;
	r->activations = act;
	r->nontorch = nontorch;
	used = weights + act + nontorch;
	r->kv_budget = used < r->budget ? r->budget - used : 0;
	r->block_bytes = kv_per_token * VF_VLLM_BLOCK;
	/* an attention-free model: no blocks are needed, any count fits */
	r->blocks = r->block_bytes ? r->kv_budget / r->block_bytes : UINT64_MAX;
	if (used >= r->budget)
		r->blocks = 0;
	r->headroom = total - r->budget;
	r->context = context;
	r->graphs = c->enforce_eager ? 0 : c->graphs == UINT64_MAX ? VF_VLLM_GRAPHS : c->graphs;
	r->headroom_ok = context + r->graphs <= r->headroom;
}

double vf_vllm_concurrency(uint64_t blocks, uint64_t max_model_len)
{
	if (!max_model_len)
		return 0;
	if (blocks == UINT64_MAX)
		return INFINITY;
	return (double)blocks * VF_VLLM_BLOCK / (double)max_model_len;
}

uint64_t vf_vllm_max_batch(uint64_t blocks, uint64_t max_model_len, uint64_t max_num_seqs)
{
	uint64_t per = cdiv(max_model_len, VF_VLLM_BLOCK), n;

	if (blocks == UINT64_MAX || !per)
		return max_num_seqs;
	n = blocks / per;
	return n < max_num_seqs ? n : max_num_seqs;
}
