/*
 * memory_int.h - what memory.c (KV cache, inference activations, the
 * estimate) and training.c (saved activations, LoRA, gradients, optimizer
 * states and the optimizer step) share.  Internal to planner/.
 */
#ifndef VF_MEMORY_INT_H
#define VF_MEMORY_INT_H

#include <string.h>

#include "common/mem.h"
#include "planner/planner.h"

#define MIB (UINT64_C(1) << 20)
#define LIMIT (UINT64_C(1) << 62)

struct calc {
	bool ovf;
};

static inline uint64_t mu(struct calc *c, uint64_t a, uint64_t b)
{
	uint64_t r;

	if (!vf_mul_ok(a, b, &r) || r > LIMIT) {
		c->ovf = true;
		return LIMIT;
	}
	return r;
}

static inline uint64_t m3(struct calc *c, uint64_t a, uint64_t b, uint64_t d)
{
	return mu(c, mu(c, a, b), d);
}

static inline uint64_t ad(struct calc *c, uint64_t a, uint64_t b)
{
	uint64_t r;

	if (!vf_add_ok(a, b, &r) || r > LIMIT) {
		c->ovf = true;
		return LIMIT;
	}
	return r;
}

/* A sum taken once (struct vf_ckpt), as the chain of ad() would have left it. */
static inline uint64_t summed(struct calc *c, uint64_t sum, bool wrapped)
{
	if (wrapped) {
		c->ovf = true;
		return LIMIT;
	}
	return ad(c, 0, sum);
}

static inline uint64_t max2(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static inline uint64_t dt_bytes(enum vf_dtype dt)
{
	unsigned bits = vf_dtype_bits(dt);

	return bits >= 8 ? bits / 8 : 2;
}

/* What a LoRA run trains: which input of a block's matrices autograd keeps. */
enum slot { SLOT_QKV, SLOT_O, SLOT_UP, SLOT_DOWN, NSLOTS };

struct actx {
	struct calc c;
	const struct vf_synth *s;
	const struct vf_workload *w;
	uint64_t p; /* compute bytes */
	bool trained[NSLOTS];
	uint64_t adapters_per_block; /* LoRA modules in a block */
};

/* Heads K and V reach the attention kernel with: repeat_kv copies them to every
 * query head except on the flash-attention path (modeling_llama.py). */
static inline uint64_t kernel_kv_heads(const struct vf_synth *s, const struct vf_block *b,
				       const struct vf_workload *w)
{
	if (w->attn != VF_IMPL_FLASH && b->kv_heads < s->heads && b->latent == 0)
		return (uint64_t)s->heads;
	return (uint64_t)b->kv_heads;
}

/* Does the family's loss (or 4.36's forward) upcast logits to fp32? */
static inline bool upcasts(const struct vf_synth *s, const struct vf_workload *w)
{
	if (s->family == VF_FAM_LLAMA || s->family == VF_FAM_UNKNOWN)
		return true; /* LlamaForCausalLM: logits.float() (4.36); ForCausalLMLoss (now) */
	return w->engine == VF_ENGINE_HF &&
	       (s->family == VF_FAM_GPT2 || s->family == VF_FAM_OPT || s->family == VF_FAM_FALCON);
}

/* training.c */
uint64_t vf_mi_block_saved(struct actx *x, const struct vf_block *b, uint64_t batch, uint64_t seq);
const char *const *vf_mi_default_targets(const char *type);
bool vf_mi_targeted(const struct vf_workload *w, const char *const *dflt, const char *mod);
uint64_t vf_mi_norm_saved(struct calc *c, enum vf_norm n, uint64_t T, uint64_t wd, uint64_t p);
enum vf_status vf_mi_lora_scan(const struct vf_synth *s, const struct vf_workload *w,
			       struct actx *x, uint64_t *params, struct vf_err *err);
/* The training terms of out (weights already set, in the training dtype). */
enum vf_status vf_mi_train(struct actx *x, const struct vf_ckpt *ck, const struct vf_synth *s,
			   const struct vf_workload *w, struct vf_estimate *out,
			   struct vf_err *err);

#endif
