/*
 * memory.c - bytes for a workload: KV cache, activations, logits, gradients,
 * optimizer states, overhead, and the estimate that adds them up.
 *
 * Sources (../shared/reference/memory-model.md has the published numbers):
 *   KV cache     2 * L * kv * d * s * b * bytes, per block with its own heads,
 *                window and dtype; MLA as transformers caches it (per-head K and
 *                V) or as latent engines do (kv_lora_rank + qk_rope_head_dim);
 *                linear/Mamba layers a fixed state per sequence.
 *   activations  derived from what each op of the real block keeps alive
 *                (prefill, no grad) or saves for backward (training): see
 *                block_prefill() and block_saved().  For a GPT block with fused
 *                GELU and dropout the saved bytes reduce to Korthikanti et al.
 *                2022, s*b*h*(34 + 5*a*s/h) plus LayerNorm statistics
 *                (tests/unit/test_memory.c checks this).
 *   logits       transformers 4.36: every position, upcast to fp32 in the
 *                Llama family; current transformers: the last position in
 *                generate, upcast in the loss; vLLM: the last token, fp32 in
 *                the sampler.
 *   training     bytes per parameter for weights, gradients, master weights
 *                and optimizer moments (mixed-precision AdamW 2+2+12 = 16,
 *                8-bit Adam 10, SGD with momentum 12, fp32 AdamW 16); ZeRO
 *                divides optimizer (stage 1), + gradients (2), + weights (3,
 *                plus 4 bytes per parameter of the largest layer, DeepSpeed's
 *                estimate_zero3_model_states_mem_needs).
 *   overhead     the CUDA context (a stated default, overridable) and the
 *                PyTorch caching allocator's rounding: 512-byte blocks, and
 *                requests of 10 MiB and more rounded to 2 MiB
 *                (c10/cuda/CUDACachingAllocator.cpp kMinBlockSize,
 *                kMinLargeAlloc, kRoundLarge).
 *
 * Invariant: every byte count is an exact integer computed with overflow
 * checks; a workload whose numbers pass 2^63 is refused, not wrapped.
 */
#include "common/strmap.h"
#include "planner/memory_int.h"

void vf_workload_init(struct vf_workload *w)
{
	memset(w, 0, sizeof(*w));
	w->batch = w->seq = 1;
	w->dp = 1;
	w->weights.dtype = VF_DT_UNKNOWN;
	w->kv_dtype = VF_DT_UNKNOWN;
	w->attn = VF_IMPL_SDPA;
	w->engine = VF_ENGINE_HF;
	w->context = VF_DEFAULT_CONTEXT;
	w->optim = VF_OPTIM_ADAMW;
	w->precision = VF_PREC_MIXED;
}

/* ---- KV cache ---- */

/* Bytes of n values along a head in dtype dt (ggml block types for q8/q4). */
static uint64_t row_bytes(struct calc *c, enum vf_dtype dt, uint64_t n)
{
	unsigned be = vf_dtype_block_elems(dt), bb = vf_dtype_block_bytes(dt);

	if (!be)
		return mu(c, n, 2);
	return mu(c, ceil_div(n, be), bb);
}

/* Does the engine drop what a sliding-window layer no longer sees?  4.36's
 * DynamicCache keeps everything; only its flash-attention path trimmed
 * (MistralFlashAttention2).  Current transformers (sliding cache layers) and
 * vLLM keep the window. */
static bool trims(const struct vf_workload *w)
{
	return w->engine != VF_ENGINE_HF436 || w->attn == VF_IMPL_FLASH;
}

static uint64_t kv_block(struct calc *c, const struct vf_block *b, const struct vf_workload *w,
			 enum vf_dtype compute, uint64_t tokens, uint64_t enc, bool page)
{
	enum vf_dtype kd = w->kv_dtype != VF_DT_UNKNOWN ? w->kv_dtype : compute;
	uint64_t per, out, t = tokens;

	if (b->encoder)
		return 0;
	if (b->attn == VF_ATTN_LINEAR) /* a recurrent state, in the compute dtype */
		return mu(c, b->state, dt_bytes(compute));
	if ((b->attn == VF_ATTN_SLIDING || b->attn == VF_ATTN_CHUNKED) && b->window > 0 &&
	    trims(w) && t > (uint64_t)b->window)
		t = (uint64_t)b->window;
	if (w->engine == VF_ENGINE_VLLM && page) /* paged: whole 16-token blocks (block_size) */
		t = mu(c, ceil_div(t, 16), 16);
	if (w->engine == VF_ENGINE_VLLM && b->latent > 0)
		per = row_bytes(c, kd, (uint64_t)b->latent); /* MLA: the latent and rope key */
	else
		per = mu(c, (uint64_t)b->kv_heads,
			 ad(c, row_bytes(c, kd, (uint64_t)b->k_dim),
			    row_bytes(c, kd, (uint64_t)b->v_dim)));
	out = mu(c, t, per);
	if (b->cross) /* cross-attention K and V over the encoder output (EncoderDecoderCache) */
		out = ad(c, out,
			 mu(c, enc,
			    mu(c, (uint64_t)b->kv_heads,
			       ad(c, row_bytes(c, kd, (uint64_t)b->k_dim),
				  row_bytes(c, kd, (uint64_t)b->v_dim)))));
	return out;
}

uint64_t vf_kv_block_bytes(const struct vf_block *b, const struct vf_workload *w,
			   enum vf_dtype compute, uint64_t tokens, uint64_t encoder_tokens)
{
	struct calc c = {false};
	uint64_t r = kv_block(&c, b, w, compute, tokens, encoder_tokens, true);

	return c.ovf ? UINT64_MAX : r;
}

/* Tokens a self-attention cache holds, and the encoder length for cross-attention.
 * An encoder-decoder reads seq tokens and generates gen (a prefill: the start token). */
static void cache_tokens(const struct vf_synth *s, const struct vf_workload *w, uint64_t *self,
			 uint64_t *enc)
{
	if (s->encoder_decoder) {
		*enc = w->seq;
		*self = w->gen ? w->gen : 1; /* a prefill: the decoder's start token */
	} else {
		*enc = 0;
		*self = w->seq + w->gen;
	}
}

/* ---- the compute dtype ---- */

/* ck: a checkpoint (its dominant floating dtype), or NULL: the config's. */
static enum vf_dtype compute_dtype(const struct vf_synth *s, const struct vf_ckpt *ck,
				   const struct vf_workload *w)
{
	enum vf_dtype st = s ? s->dtype : VF_DT_F16, want = w->weights.dtype;

	if (ck)
		st = ck->dominant;
	if (w->train) {
		if (w->precision == VF_PREC_FP32)
			return VF_DT_F32;
		return st == VF_DT_F16 ? VF_DT_F16 : VF_DT_BF16;
	}
	if (w->weights.quant != VF_WQ_NONE || w->qlora)
		return want == VF_DT_BF16 || want == VF_DT_F16 ? want
		       : st == VF_DT_BF16		       ? VF_DT_BF16
							       : VF_DT_F16;
	if ((want == VF_DT_F32 || want == VF_DT_F16 || want == VF_DT_BF16) &&
	    (w->weights.upcast || vf_dtype_bits(want) <= vf_dtype_bits(st)))
		st = want;
	if (st == VF_DT_F32 || st == VF_DT_F16 || st == VF_DT_BF16 || st == VF_DT_F64)
		return st;
	if (st == VF_DT_UNKNOWN || vf_dtype_is_quantized(st))
		return VF_DT_F16; /* GGUF: llama.cpp computes and caches in f16 */
	return VF_DT_BF16;	  /* fp8/fp4 weights compute in bf16 */
}

enum vf_status vf_kv_per_layer(const struct vf_synth *s, const struct vf_workload *w,
			       const struct vf_layers *ly, uint64_t *out, struct vf_err *err)
{
	struct vf_strmap map = {0};
	struct calc c = {false};
	enum vf_dtype compute = compute_dtype(s, NULL, w);
	uint64_t self, enc;

	memset(out, 0, ly->n * sizeof(*out));
	cache_tokens(s, w, &self, &enc);
	vf_strmap_reserve(&map, ly->n); /* else the puts grow it */
	for (size_t i = 0; i < ly->n; i++)
		if (vf_strmap_put(&map, ly->v[i].name, (uint32_t)i, NULL) < 0) {
			vf_strmap_free(&map);
			return vf_fail(err, VF_ENOMEM, "", "out of memory");
		}
	for (size_t i = 0; i < s->nblocks; i++) {
		uint32_t li;
		if (!vf_strmap_get(&map, s->blocks[i].layer, &li))
			continue; /* a checkpoint without this layer */
		out[li] =
		    ad(&c, out[li],
		       mu(&c, w->batch, kv_block(&c, &s->blocks[i], w, compute, self, enc, true)));
	}
	vf_strmap_free(&map);
	if (c.ovf)
		return vf_fail(err, VF_EUSAGE, "",
			       "the KV cache of this workload passes 2^62 bytes");
	return VF_OK;
}

/* ---- activations ---- */

static bool rotary(const struct vf_synth *s)
{
	return s->family == VF_FAM_LLAMA || s->family == VF_FAM_FALCON ||
	       s->family == VF_FAM_UNKNOWN;
}

/*
 * Prefill, no grad: the peak of what is alive while the block runs.  Python
 * frees a temporary as soon as nothing refers to it, so the peak is the
 * larger of the attention phase and the MLP phase, each with the residual
 * stream (block input and running sum, 2*T*h).
 *   attention: normed input, q, k, v, the rotated q and k (q*cos +
 *     rotate_half(q)*sin makes new tensors), K and V repeated to every head,
 *     the kernel output and its transposed copy; eager adds the b*a*s*keys
 *     scores: matmul result, masked copy and softmax output (fp32 where the
 *     family upcasts) and its cast back, plus the b*s*keys 4-D mask.
 *   MLP: gated: act(gate), up and their product (3*T*I, memory-model.md);
 *     plain: fc1 output and activation output (gelu_new's Python formula
 *     adds two temporaries).  MoE: router logits and fp32 softmax, the
 *     one-hot expert mask (int64, E*k*T, transformers' MoE blocks), balanced
 *     routing of T*k/E tokens per expert with the gated temporaries, the
 *     output accumulator and the shared experts.
 */
static uint64_t block_prefill(struct actx *x, const struct vf_block *b, uint64_t batch,
			      uint64_t seq, uint64_t keys)
{
	struct calc *c = &x->c;
	const struct vf_synth *s = x->s;
	uint64_t p = x->p, h = (uint64_t)s->hidden, nh = (uint64_t)s->heads;
	uint64_t T = mu(c, batch, seq), Th = m3(c, T, h, p);
	uint64_t resid = mu(c, 2, Th), attn, mlp, kvh = kernel_kv_heads(s, b, x->w);
	uint64_t kv_width = mu(c, (uint64_t)b->kv_heads, (uint64_t)(b->k_dim + b->v_dim));

	attn = ad(c, resid, Th);
	attn = ad(c, attn, m3(c, T, ad(c, (uint64_t)b->q_dim, kv_width), p));
	if (rotary(s))
		attn = ad(
		    c, attn,
		    m3(c, T,
		       ad(c, (uint64_t)b->q_dim, mu(c, (uint64_t)b->kv_heads, (uint64_t)b->k_dim)),
		       p));
	if (kvh != (uint64_t)b->kv_heads)
		attn = ad(c, attn, m3(c, T, mu(c, kvh, (uint64_t)(b->k_dim + b->v_dim)), p));
	attn = ad(c, attn, m3(c, 2, T, mu(c, (uint64_t)b->o_in, p)));
	if (x->w->attn == VF_IMPL_EAGER && b->attn != VF_ATTN_LINEAR) {
		uint64_t n = m3(c, batch, nh, mu(c, seq, keys));
		uint64_t per = b->softmax32 ? p + 4 + (p == 4 ? 0 : p) : 2 * p;
		attn = ad(c, attn, ad(c, mu(c, n, per), m3(c, batch, mu(c, seq, keys), p)));
		if (b->cross) /* scores over the encoder output too */
			attn = ad(c, attn, mu(c, m3(c, batch, nh, mu(c, seq, keys)), per));
	}
	mlp = ad(c, resid, Th);
	if (b->moe) {
		uint64_t E = (uint64_t)s->num_experts, k = (uint64_t)s->experts_per_tok;
		uint64_t routed = ceil_div(mu(c, T, k), E ? E : 1);
		mlp = ad(c, mlp, m3(c, T, E, 4 + p)); /* router logits, fp32 softmax */
		mlp = ad(c, mlp, m3(c, T, k, 12));    /* top-k ids (int64) and weights */
		if (x->w->engine != VF_ENGINE_VLLM)   /* one_hot(selected, E): int64 [E, k, T] */
			mlp = ad(c, mlp, m3(c, mu(c, T, k), E, 8));
		mlp = ad(c, mlp, m3(c, routed, ad(c, h, mu(c, 3, (uint64_t)b->inter)), p));
		mlp = ad(c, mlp, Th); /* the output accumulator */
		mlp = ad(c, mlp, m3(c, 3, T, mu(c, (uint64_t)b->shared_inter, p)));
	} else {
		uint64_t temps = b->gated ? 3 : b->act == VF_ACT_GELU_PY ? 4 : 2;
		mlp = ad(c, mlp, m3(c, temps, T, mu(c, (uint64_t)b->inter, p)));
	}
	if (b->parallel) /* the attention output waits for the MLP's */
		mlp = ad(c, mlp, Th);
	return max2(attn, mlp);
}

uint64_t vf_block_prefill_bytes(const struct vf_synth *s, const struct vf_block *b,
				const struct vf_workload *w, enum vf_dtype compute, uint64_t batch,
				uint64_t seq, uint64_t keys)
{
	struct actx x;
	uint64_t r;

	memset(&x, 0, sizeof(x));
	x.s = s;
	x.w = w;
	x.p = dt_bytes(compute);
	r = block_prefill(&x, b, batch, seq, keys);
	return x.c.ovf ? UINT64_MAX : r;
}

/* ---- logits ---- */

/* Logits of an inference forward: T positions in 4.36 (fp32 in the Llama
 * family), the last position and generate's fp32 copy now and in vLLM;
 * a masked LM scores every position. */
static uint64_t infer_logits(struct actx *x, uint64_t batch, uint64_t seq)
{
	struct calc *c = &x->c;
	const struct vf_synth *s = x->s;
	uint64_t V = (uint64_t)s->vocab, p = x->p;

	if (!s->lm)
		return 0;
	if (s->family == VF_FAM_BERT)
		return m3(c, batch, seq, mu(c, V, p));
	if (x->w->engine == VF_ENGINE_HF436) {
		uint64_t T = s->encoder_decoder ? batch : mu(c, batch, seq);
		/* .float() of logits already fp32 returns the same tensor: no copy */
		return m3(c, T, V, upcasts(s, x->w) && p != 4 ? p + 4 : p);
	}
	return m3(c, batch, V, p + 4);
}

/* ---- the estimate ---- */

/* Requests under 512 bytes take a 512-byte block; under 10 MiB, whole 512-byte
 * blocks; from 10 MiB, whole 2 MiB. */
uint64_t vf_alloc_round(uint64_t n)
{
	if (!n)
		return 0;
	if (n < 512)
		return 512;
	if (n < 10 * MIB)
		return ceil_div(n, 512) * 512;
	return ceil_div(n, 2 * MIB) * 2 * MIB;
}

static enum vf_status check_workload(const struct vf_synth *s, const struct vf_model *m,
				     const struct vf_workload *w, struct vf_err *err)
{
	if (!w->batch || !w->seq)
		return vf_fail(err, VF_EUSAGE, "", "batch and sequence length must be at least 1");
	if (w->train && w->engine == VF_ENGINE_VLLM)
		return vf_fail(err, VF_EUSAGE, "", "vLLM does not train: use --engine hf or hf436");
	if ((w->zero_stage || w->dp > 1) && !w->train)
		return vf_fail(err, VF_EUSAGE, "", "--zero and --dp describe training (--train)");
	if (w->zero_stage > 3)
		return vf_fail(err, VF_EUSAGE, "", "ZeRO stages are 0 to 3");
	if (!w->dp)
		return vf_fail(err, VF_EUSAGE, "", "data-parallel size must be at least 1");
	if ((w->lora_rank || w->qlora) && !w->train)
		return vf_fail(err, VF_EUSAGE, "", "LoRA describes training (--train)");
	if (w->qlora && !w->lora_rank)
		return vf_fail(err, VF_EUSAGE, "", "QLoRA needs a LoRA rank");
	if (w->lora_rank && !s)
		return vf_fail(err, VF_EUSAGE, "", "LoRA needs the model's config.json");
	if (w->train && !w->lora_rank && m && m->ntensors &&
	    (m->arch.quant_method[0] || m->format == VF_FMT_GGUF))
		return vf_fail(err, VF_EUSAGE, "",
			       "a quantized checkpoint cannot be fully fine-tuned: use --lora");
	return VF_OK;
}

enum vf_status vf_estimate(const struct vf_model *m, const struct vf_synth *s,
			   const struct vf_workload *w, struct vf_estimate *out, struct vf_err *err)
{
	struct vf_ckpt ck;
	enum vf_status st;

	if (!m || !m->ntensors)
		return vf_estimate_ckpt(NULL, s, w, out, err);
	if ((st = vf_ckpt_init(&ck, m, err))) {
		memset(out, 0, sizeof(*out));
		return st;
	}
	st = vf_estimate_ckpt(&ck, s, w, out, err);
	vf_ckpt_release(&ck);
	return st;
}

enum vf_status vf_estimate_ckpt(const struct vf_ckpt *ck, const struct vf_synth *s,
				const struct vf_workload *w, struct vf_estimate *out,
				struct vf_err *err)
{
	struct actx x;
	struct calc *c = &x.c;
	const struct vf_tensor *tv = ck ? ck->m->tensors : s ? s->tensors : NULL;
	size_t nt = ck ? ck->m->ntensors : s ? s->ntensors : 0;
	struct vf_wconv conv = w->weights, bconv;
	uint64_t p, routed = 0;
	enum vf_status st;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	if (!ck && !s)
		return vf_fail(err, VF_EFORMAT, "",
			       "no tensors and no config.json to estimate from");
	if ((st = check_workload(s, ck ? ck->m : NULL, w, err)))
		return st;
	x.s = s;
	x.w = w;
	out->compute = compute_dtype(s, ck, w);
	x.p = p = dt_bytes(out->compute);
	out->approximate = !s || s->approximate;
	out->context = w->context;

	/* parameters */
	if (ck) {
		out->params_total = summed(c, ck->params, ck->params_wrapped);
		routed = ck->routed; /* at most params_total */
		out->params_active = out->params_total;
		if (routed && s && s->num_experts > 0 && s->experts_per_tok > 0)
			out->params_active =
			    out->params_total - routed +
			    mu(c, routed / (uint64_t)s->num_experts, (uint64_t)s->experts_per_tok);
	} else {
		out->params_total = s->params_total;
		out->params_active = s->params_active;
	}

	/* how the weights sit in memory */
	if (w->train && !w->lora_rank) {
		/* the copy training updates: fp32 under autocast (mixed), else the
		 * compute dtype */
		conv.dtype = w->precision == VF_PREC_MIXED ? VF_DT_F32 : out->compute;
		conv.upcast = true;
		conv.quant = VF_WQ_NONE;
	} else if (w->qlora) {
		conv.quant = VF_WQ_NF4DQ;
	}
	bconv = conv;
	if (conv.quant != VF_WQ_NONE) /* buffers follow the 16-bit load dtype */
		bconv.dtype = out->compute, bconv.quant = VF_WQ_NONE;
	if (ck && conv.quant == VF_WQ_NONE && conv.dtype == VF_DT_UNKNOWN) {
		out->weights_stored = summed(c, ck->stored, ck->bytes_wrapped); /* summed once */
		out->weights = summed(c, ck->as_stored, ck->bytes_wrapped);
		out->allocator = summed(c, ck->as_stored_round, ck->bytes_wrapped);
	} else {
		for (size_t i = 0; i < nt; i++) {
			uint64_t b;
			if (!ck && (s->role[i] & 0x7f) == VF_ROLE_NPBUFFER)
				continue;
			if (!tv[i].count_bytes)
				continue;
			b = ck ? vf_tensor_bytes_cls(&tv[i], ck->cls[i], &conv)
			       : vf_tensor_bytes_as(&tv[i], s->role[i], &conv);
			out->weights_stored = ad(c, out->weights_stored, tv[i].count_bytes);
			out->weights = ad(c, out->weights, b);
			out->allocator = ad(c, out->allocator, vf_alloc_round(b) - b);
		}
	}
	for (size_t i = 0; s && i < s->ntensors; i++)
		if ((s->role[i] & 0x7f) == VF_ROLE_NPBUFFER) {
			uint64_t b = vf_tensor_bytes_as(&s->tensors[i], s->role[i], &bconv);
			out->buffers = ad(c, out->buffers, b);
			out->allocator = ad(c, out->allocator, vf_alloc_round(b) - b);
		}
	out->weights = ad(c, out->weights, out->buffers);

	/* KV cache and activations need the structure: the config */
	if (s && !w->train) {
		uint64_t self, enc, peak = 0, Tdec;
		cache_tokens(s, w, &self, &enc);
		out->kv_tokens = self;
		for (size_t i = 0; i < s->nblocks; i++) {
			const struct vf_block *b = &s->blocks[i];
			uint64_t kv =
			    mu(c, w->batch, kv_block(c, b, w, out->compute, self, enc, true));
			struct vf_block one = *b;
			one.window = VF_UNSET; /* per token: as if no window */
			/* transformers 4.36's GPT-2 returns K and V as views of c_attn's
			 * fused q|k|v output: after a prefill the cache holds q too */
			if (w->engine == VF_ENGINE_HF436 && s->family == VF_FAM_GPT2 && !w->gen &&
			    b->kv_heads > 0 && b->k_dim + b->v_dim > 0)
				kv = ad(c, kv,
					mu(c, kv / (uint64_t)(b->kv_heads * (b->k_dim + b->v_dim)),
					   (uint64_t)b->q_dim));
			out->kv_cache = ad(c, out->kv_cache, kv);
			out->kv_per_token =
			    ad(c, out->kv_per_token,
			       mu(c, w->batch, kv_block(c, &one, w, out->compute, 1, 0, false)));
			/* HF caches a layer's K and V as two tensors */
			if (w->engine != VF_ENGINE_VLLM && b->attn != VF_ATTN_LINEAR && kv)
				out->allocator =
				    ad(c, out->allocator, 2 * (vf_alloc_round(kv / 2) - kv / 2));
			/* prefill of the prompt; an encoder-decoder's decoder runs one token
			 * at a time while generating */
			if (b->cross)
				peak = max2(peak, block_prefill(&x, b, w->batch, 1, self));
			else
				peak = max2(peak, block_prefill(&x, b, w->batch, w->seq, w->seq));
			if (w->gen && !b->encoder) /* a decode step over the full cache */
				peak = max2(peak, block_prefill(&x, b, w->batch, 1, self));
		}
		Tdec = s->encoder_decoder ? w->batch : mu(c, w->batch, w->seq);
		out->layer_activations = peak;
		out->logits = infer_logits(&x, w->batch, w->seq);
		/* around the head: the final hidden state, its norm, the logits */
		out->activations =
		    max2(peak, ad(c, m3(c, 2 * Tdec, (uint64_t)s->hidden, p), out->logits));
	}

	if (w->train && (st = vf_mi_train(&x, ck, s, w, out, err)))
		return st;

	out->overhead = ad(c, out->context, out->allocator);
	out->total = ad(c, out->weights, out->kv_cache);
	if (w->train) /* gradients never coexist with the activations (training.c) */
		out->total = ad(c, out->total, max2(out->activations, out->step_peak));
	else
		out->total = ad(c, out->total, out->activations);
	out->total = ad(c, out->total, out->optimizer);
	out->total = ad(c, out->total, out->overhead);
	if (c->ovf)
		return vf_fail(err, VF_EUSAGE, "", "this workload needs more than 2^62 bytes");
	return VF_OK;
}
