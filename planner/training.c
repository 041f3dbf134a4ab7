/*
 * training.c - a training step's memory: what autograd saves in each block
 * (block_saved), LoRA adapters (lora_scan), logits and loss, gradients,
 * optimizer states and the optimizer step's temporaries, and how they combine
 * into the step's peak (vf_mi_train).
 */
#include "planner/memory_int.h"

static bool in_layer(const char *name, const char *layer)
{
	size_t n = strlen(layer);

	return strncmp(name, layer, n) == 0 && name[n] == '.';
}

/* What autograd saves for one norm over width wd (see the file comment). */
uint64_t vf_mi_norm_saved(struct calc *c, enum vf_norm n, uint64_t T, uint64_t wd, uint64_t p)
{
	uint64_t x = mu(c, T, wd);

	switch (n) {
	case VF_NORM_RMS: /* fp32 copy of the input (pow), the normalized value (weight *) */
		return mu(c, x, 4 + p);
	case VF_NORM_RMS_GEMMA: /* fp32 input and fp32 normalized value */
		return mu(c, x, 8);
	case VF_NORM_RMS_T5: /* fp32 copy for the variance, the input, the normalized value */
		return mu(c, x, p == 4 ? 8 : 4 + 2 * p);
	case VF_NORM_LAYER: /* the input, and mean and rstd in fp32 */
		break;
	}
	return ad(c, mu(c, x, p), mu(c, T, 8));
}

/*
 * Training: what autograd saves for backward in one block (no recompute).
 * Derived op by op from the transformers block:
 *   norms          norm_saved() for each of the block's norms;
 *   attention      the input q/k/v share (when their matrices train), q/k
 *                  norms, q, K and V as the kernel keeps them, then eager: the
 *                  softmax output (fp32 where upcast) and the probabilities the
 *                  value matmul saves (the cast copy, or dropout's output and
 *                  its 1-byte mask); SDPA/flash: the kernel output and
 *                  logsumexp; the transposed copy the output projection saves;
 *   residual       a 1-byte dropout mask per sublayer when hidden dropout > 0;
 *   MLP            the input gate and up share; gated: act input, act output
 *                  and up (saved by the product), the product (saved by down);
 *                  fused GELU: its input, and its output for fc2; ReLU: its
 *                  output (fc2 saves the same tensor); gelu_new: x, tanh, 0.5x
 *                  and 1+tanh, plus the result for fc2; T5's inner dropout
 *                  adds a mask and the dropped copy.  MoE: the router's input
 *                  and fp32 softmax, and the gated MLP of T*k routed tokens.
 * A frozen matrix (LoRA) saves no input; every other op saves what it saves.
 */
uint64_t vf_mi_block_saved(struct actx *x, const struct vf_block *b, uint64_t batch, uint64_t seq)
{
	struct calc *c = &x->c;
	const struct vf_synth *s = x->s;
	uint64_t p = x->p, h = (uint64_t)s->hidden, nh = (uint64_t)s->heads;
	uint64_t T = mu(c, batch, seq), Th = m3(c, T, h, p), I = (uint64_t)b->inter;
	uint64_t kvh = kernel_kv_heads(s, b, x->w), out = 0, sub = b->cross ? 3 : 2;
	bool drop_attn = s->attn_dropout > 0, drop_h = s->hidden_dropout > 0;
	enum vf_norm nk = (enum vf_norm)b->norm;
	uint64_t kernel_qkv;

	out = mu(c, b->nnorms, vf_mi_norm_saved(c, nk, T, h, p));
	for (uint64_t k = 0; k + 2 < sub; k++) /* T5 decoder: cross-attention sublayer */
		out = ad(c, out, x->trained[SLOT_QKV] ? Th : 0);
	if (x->trained[SLOT_QKV])
		out = ad(c, out, Th);
	if (b->qk_norm)
		out = ad(c, out,
			 ad(c, vf_mi_norm_saved(c, nk, T, (uint64_t)b->q_dim, p),
			    vf_mi_norm_saved(c, nk, T,
					     mu(c, (uint64_t)b->kv_heads, (uint64_t)b->k_dim), p)));
	kernel_qkv =
	    m3(c, T, ad(c, (uint64_t)b->q_dim, mu(c, kvh, (uint64_t)(b->k_dim + b->v_dim))), p);
	for (uint64_t k = 1; k < sub; k++) { /* self-attention, then cross-attention */
		out = ad(c, out, kernel_qkv);
		if (x->w->attn == VF_IMPL_EAGER) {
			uint64_t n = m3(c, batch, nh, mu(c, seq, seq)), per;
			if (b->softmax32)
				per = drop_attn ? 4 + p + 1 : 4 + (p == 4 ? 0 : p);
			else
				per = drop_attn ? 2 * p + 1 : p;
			out = ad(c, out, mu(c, n, per));
		} else {
			out = ad(c, out, m3(c, T, (uint64_t)b->o_in, p));
			out = ad(c, out, m3(c, batch, nh, mu(c, seq, 4)));
		}
		if (x->trained[SLOT_O])
			out = ad(c, out, m3(c, T, (uint64_t)b->o_in, p));
		if (drop_h)
			out = ad(c, out, mu(c, T, h));
	}
	if (x->trained[SLOT_UP] && !(b->parallel && b->nnorms == 1))
		out = ad(c, out, Th);
	if (drop_h)
		out = ad(c, out, mu(c, T, h));
	if (b->moe) {
		uint64_t E = (uint64_t)s->num_experts, k = (uint64_t)s->experts_per_tok;
		uint64_t Tk = mu(c, T, k);
		out = ad(c, out, m3(c, T, E, 4)); /* softmax over router logits, fp32 */
		if (x->trained[SLOT_UP])	  /* the gathered tokens each expert reads */
			out = ad(c, out, m3(c, Tk, h, p));
		out = ad(c, out, m3(c, Tk, I, p * (x->trained[SLOT_DOWN] ? 4 : 3)));
		out = ad(c, out, m3(c, Tk, h, p)); /* expert outputs, weighted */
		if (b->shared_inter)
			out = ad(c, out,
				 m3(c, T, (uint64_t)b->shared_inter,
				    p * (x->trained[SLOT_DOWN] ? 4 : 3)));
	} else {
		uint64_t n;
		if (b->gated)
			n = 3 + x->trained[SLOT_DOWN];
		else if (b->act == VF_ACT_RELU)
			n = 1;
		else if (b->act == VF_ACT_GELU_PY)
			n = 4 + x->trained[SLOT_DOWN];
		else
			n = 1 + x->trained[SLOT_DOWN];
		out = ad(c, out, m3(c, n, T, mu(c, I, p)));
		if (s->family == VF_FAM_T5 && drop_h) /* DenseReluDense's dropout before wo */
			out = ad(c, out, m3(c, T, I, 1 + p));
	}
	if (x->adapters_per_block) /* LoRA: lora_B saves lora_A's r-wide output */
		out = ad(c, out, m3(c, T, mu(c, x->adapters_per_block, x->w->lora_rank), p));
	return out;
}

/* ---- LoRA ---- */

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Which input a matrix reads, from its module name (all families). */
static enum slot slot_of(const char *mod)
{
	static const char *const o[] = {"o_proj",
					"out_proj",
					"attn.c_proj",
					"self_attention.dense",
					"attention.output.dense",
					"SelfAttention.o",
					"EncDecAttention.o",
					NULL};
	static const char *const down[] = {
	    "down_proj", "mlp.c_proj", "fc2", "dense_4h_to_h", "DenseReluDense.wo", ".w2", NULL};
	static const char *const up[] = {"gate_proj",
					 "up_proj",
					 "gate_up_proj",
					 "c_fc",
					 "fc1",
					 "dense_h_to_4h",
					 "intermediate.dense",
					 ".wi",
					 ".wi_0",
					 ".wi_1",
					 ".w1",
					 ".w3",
					 NULL};

	for (const char *const *p = o; *p; p++)
		if (ends_with(mod, *p))
			return SLOT_O;
	for (const char *const *p = down; *p; p++)
		if (ends_with(mod, *p))
			return SLOT_DOWN;
	if (ends_with(mod, "output.dense"))
		return SLOT_DOWN; /* BERT's output.dense (attention.output.dense matched above) */
	for (const char *const *p = up; *p; p++)
		if (ends_with(mod, *p))
			return SLOT_UP;
	return SLOT_QKV;
}

/* PEFT's default target_modules per model type
 * (peft/utils/constants.py TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
const char *const *vf_mi_default_targets(const char *type)
{
	static const char *const qv[] = {"q_proj", "v_proj", NULL};
	static const char *const phi3[] = {"qkv_proj", NULL};
	static const char *const gpt2[] = {"c_attn", NULL};
	static const char *const bert[] = {"query", "value", NULL};
	static const char *const t5[] = {"q", "v", NULL};
	static const char *const falcon[] = {"query_key_value", NULL};
	static const struct {
		const char *type;
		const char *const *targets;
	} map[] = {{"llama", qv},     {"mistral", qv},	   {"mixtral", qv},   {"qwen2", qv},
		   {"qwen2_moe", qv}, {"qwen3", qv},	   {"qwen3_moe", qv}, {"gemma", qv},
		   {"gemma2", qv},    {"gemma3_text", qv}, {"opt", qv},	      {"phi3", phi3},
		   {"gpt2", gpt2},    {"bert", bert},	   {"t5", t5},	      {"mt5", t5},
		   {"falcon", falcon}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].type, type) == 0)
			return map[i].targets;
	return NULL;
}

bool vf_mi_targeted(const struct vf_workload *w, const char *const *dflt, const char *mod)
{
	const char *last = strrchr(mod, '.');

	last = last ? last + 1 : mod;
	if (w->lora_all_linear)
		return true;
	if (w->nlora_targets) {
		for (size_t i = 0; i < w->nlora_targets; i++) {
			/* PEFT: a target matches the module name or its last components */
			size_t a = strlen(mod), b = strlen(w->lora_targets[i]);
			if (strcmp(mod, w->lora_targets[i]) == 0 ||
			    (a > b && mod[a - b - 1] == '.' &&
			     strcmp(mod + a - b, w->lora_targets[i]) == 0))
				return true;
		}
		return false;
	}
	for (; dflt && *dflt; dflt++)
		if (strcmp(last, *dflt) == 0)
			return true;
	return false;
}

/* Adapter parameters r*(in+out) per targeted matrix (PEFT LoraLayer lora_A,
 * lora_B), and which block inputs they make autograd keep. */
enum vf_status vf_mi_lora_scan(const struct vf_synth *s, const struct vf_workload *w,
			       struct actx *x, uint64_t *params, struct vf_err *err)
{
	const char *const *dflt = vf_mi_default_targets(s->model_type);
	const char *first = s->nblocks ? s->blocks[0].layer : NULL;
	size_t flen = first ? strlen(first) : 0;
	char mod[300];
	uint64_t total = 0, n = 0;

	if (!w->lora_all_linear && !w->nlora_targets && !dflt)
		return vf_fail(err, VF_EUSAGE, "",
			       "PEFT has no default LoRA targets for %s: name them with "
			       "--lora-targets (or all-linear)",
			       s->model_type);
	for (size_t i = 0; i < s->ntensors; i++) {
		const struct vf_tensor *t = &s->tensors[i];
		int r = s->role[i] & 0x7f;
		size_t len = strlen(t->name);
		if ((r != VF_ROLE_LINEAR && r != VF_ROLE_EXPERT) || t->ndim != 2 ||
		    !ends_with(t->name, ".weight") || len - 7 >= sizeof(mod))
			continue;
		memcpy(mod, t->name, len - 7);
		mod[len - 7] = '\0';
		if (!vf_mi_targeted(w, dflt, mod))
			continue;
		total =
		    ad(&x->c, total, mu(&x->c, w->lora_rank, ad(&x->c, t->shape[0], t->shape[1])));
		x->trained[slot_of(mod)] = true;
		if (first && strncmp(mod, first, flen) == 0 && mod[flen] == '.')
			n++;
	}
	if (!total)
		return vf_fail(err, VF_EUSAGE, "", "no LoRA target matches a matrix of %s",
			       s->class_name);
	x->adapters_per_block = n;
	*params = total;
	return VF_OK;
}

uint64_t vf_block_saved_bytes(const struct vf_synth *s, const struct vf_block *b,
			      const struct vf_workload *w, enum vf_dtype compute, uint64_t batch,
			      uint64_t seq)
{
	struct actx x;
	struct vf_err err = {0};
	uint64_t r, lp;

	memset(&x, 0, sizeof(x));
	x.s = s;
	x.w = w;
	x.p = dt_bytes(compute);
	if (w->lora_rank) {
		if (vf_mi_lora_scan(s, w, &x, &lp, &err))
			return 0;
	} else {
		for (int i = 0; i < NSLOTS; i++)
			x.trained[i] = true;
	}
	r = vf_mi_block_saved(&x, b, batch, seq);
	return x.c.ovf ? UINT64_MAX : r;
}

/* Logits and loss in training, at the start of backward (the peak):
 * upcasting families hold fp32 logits, their log-softmax output and its
 * gradient (4.36 adds the shifted contiguous copy: 12 bytes; now the 16-bit
 * logits plus 8); others do all of it in the compute dtype (3 copies). */
static uint64_t train_logits(struct actx *x, uint64_t T)
{
	struct calc *c = &x->c;
	const struct vf_synth *s = x->s;
	uint64_t p = x->p, per;

	if (!s->lm)
		return 0;
	if (upcasts(x->s, x->w))
		per = x->w->engine == VF_ENGINE_HF436 || p == 4 ? 12 : p + 8;
	else
		per = 3 * p;
	return m3(c, T, (uint64_t)s->vocab, per);
}

/* The trainable tensors' sizes in elements: their sum is the trainable
 * parameter count; the step's temporaries need the largest and the per-tensor
 * rounding.  LoRA: each adapted matrix has lora_A (r x in) and lora_B
 * (out x r). */
struct tsizes {
	uint64_t largest, rounded; /* elements; bytes of one copy of each, rounded */
};

static void trainable_sizes(struct actx *x, const struct vf_ckpt *ck, uint64_t eb,
			    struct tsizes *ts)
{
	struct calc *c = &x->c;
	const struct vf_synth *s = x->s;
	const struct vf_workload *w = x->w;

	memset(ts, 0, sizeof(*ts));
	if (w->lora_rank && s) {
		const char *const *dflt = vf_mi_default_targets(s->model_type);
		for (size_t i = 0; i < s->ntensors; i++) {
			const struct vf_tensor *t = &s->tensors[i];
			int r = s->role[i] & 0x7f;
			char mod[300];
			size_t len = strlen(t->name);
			if ((r != VF_ROLE_LINEAR && r != VF_ROLE_EXPERT) || t->ndim != 2 ||
			    len < 8 || strcmp(t->name + len - 7, ".weight") != 0 ||
			    len - 7 >= sizeof(mod))
				continue;
			memcpy(mod, t->name, len - 7);
			mod[len - 7] = '\0';
			if (!vf_mi_targeted(w, dflt, mod))
				continue;
			for (int k = 0; k < 2; k++) {
				uint64_t n = mu(c, w->lora_rank, t->shape[k]);
				ts->largest = max2(ts->largest, n);
				ts->rounded = ad(c, ts->rounded, vf_alloc_round(mu(c, n, eb)));
			}
		}
		return;
	}
	if (ck) {
		for (size_t i = 0; i < ck->m->ntensors; i++) {
			const struct vf_tensor *t = &ck->m->tensors[i];
			uint64_t n = vf_tensor_params(t, &ck->m->arch);
			if (!n)
				continue;
			ts->largest = max2(ts->largest, n);
			ts->rounded = ad(c, ts->rounded, vf_alloc_round(mu(c, n, eb)));
		}
		return;
	}
	for (size_t i = 0; s && i < s->ntensors; i++) {
		const struct vf_tensor *t = &s->tensors[i];
		int r = s->role[i] & 0x7f;
		if (!t->count_params || r == VF_ROLE_BUFFER || r == VF_ROLE_NPBUFFER)
			continue;
		ts->largest = max2(ts->largest, t->count_params);
		ts->rounded = ad(c, ts->rounded, vf_alloc_round(mu(c, t->count_params, eb)));
	}
}

/*
 * autocast's cached 16-bit copies (HF Trainer bf16/fp16=True over fp32
 * weights): torch.autocast casts each fp32 leaf that a matmul reads (the
 * block matrices, routers and the head; the token embedding is a lookup, not
 * cast unless the head is tied to it) once per forward and caches it; the
 * copies are saved for backward by the matmuls that read them, so they are
 * all alive when backward starts.
 */
static uint64_t autocast_copies(struct actx *x)
{
	struct calc *c = &x->c;
	const struct vf_synth *s = x->s;
	uint64_t out = 0;

	for (size_t i = 0; s && i < s->ntensors; i++) {
		const struct vf_tensor *t = &s->tensors[i];
		int r = s->role[i] & 0x7f;
		if (t->ndim != 2 || (r != VF_ROLE_LINEAR && r != VF_ROLE_EXPERT &&
				     r != VF_ROLE_ROUTER && r != VF_ROLE_HEAD))
			continue;
		out = ad(c, out, vf_alloc_round(mu(c, t->numel, x->p)));
	}
	return out;
}

/*
 * The training step, as the HF Trainer runs it (zero_grad(set_to_none=True)
 * after each step), in steady state (the optimizer states exist):
 *   forward + backward: weights W, states S, and the activations A, whose
 *     peak is at the start of backward (everything saved, the logits'
 *     gradients); gradients do not exist yet in the forward and the
 *     activations die while backward makes them;
 *   optimizer step: W + S + the gradients G + the step's temporaries:
 *     AdamW foreach (torch 2.1 _multi_tensor_adamw): sqrt(v) of every
 *       parameter at once (_foreach_sqrt; eps and the bias correction are
 *       applied in place), one state-dtype copy of all trainable tensors;
 *     AdamW for (_single_tensor_adamw): sqrt(v) and its quotient by the
 *       bias correction, two copies of the largest tensor;
 *     fused: none; 8-bit Adam (bitsandbytes kernels): none; SGD: the
 *       momentum update is in place, none;
 *     Adafactor (transformers.optimization.Adafactor, one tensor at a time):
 *       grad**2 + eps and the factored estimate beside it (two fp32 copies
 *       of the largest tensor), plus its fp32 copy for 16-bit parameters.
 * peak = W + S + max(A, G + step temporaries).
 * Precision: fp32 and mixed (Trainer bf16/fp16=True: autocast over fp32
 * weights, fp32 gradients, no master copy; autocast's 16-bit weight copies
 * sit in the activations) hold 4-byte weights, gradients and states; pure
 * 16-bit (bf16/fp16) holds everything in 2 bytes, AdamW's moments too
 * (zeros_like the parameter).
 */
enum vf_status vf_mi_train(struct actx *x, const struct vf_ckpt *ck, const struct vf_synth *s,
			   const struct vf_workload *w, struct vf_estimate *out, struct vf_err *err)
{
	struct calc *c = &x->c;
	uint64_t p = x->p, trainable, largest = 0;
	uint64_t sum = 0, big = 0, inputs = 0, T = mu(c, w->batch, w->seq), Tdec = T;
	uint64_t gbytes, sbytes, n_adapt = 0, h = s ? (uint64_t)s->hidden : 0, widest = h;
	bool pure = w->precision == VF_PREC_PURE16 && !w->lora_rank;
	struct tsizes ts;
	enum vf_status st;

	if (w->lora_rank) {
		if ((st = vf_mi_lora_scan(s, w, x, &n_adapt, err)))
			return st;
		trainable = n_adapt;
		out->adapters = mu(c, n_adapt, 4); /* PEFT keeps adapters in fp32 */
		out->weights = ad(c, out->weights, out->adapters);
	} else {
		for (int i = 0; i < NSLOTS; i++)
			x->trained[i] = true;
		trainable = out->params_total;
	}
	out->params_trainable = trainable;
	if (s && s->encoder_decoder && w->gen)
		Tdec = mu(c, w->batch, w->gen);
	for (size_t i = 0; s && i < s->nblocks; i++) {
		const struct vf_block *b = &s->blocks[i];
		uint64_t tok = b->cross ? Tdec / w->batch : w->seq;
		uint64_t a = vf_mi_block_saved(x, b, w->batch, tok);
		sum = ad(c, sum, a);
		big = max2(big, a);
		inputs = ad(c, inputs, m3(c, w->batch, tok, mu(c, h, p)));
		widest = max2(widest, max2((uint64_t)b->inter, (uint64_t)b->shared_inter));
	}
	if (s) {
		uint64_t edge = vf_mi_norm_saved(c, s->final_norm, Tdec, h, p), grad;
		if (!w->lora_rank)
			edge = ad(c, edge, m3(c, Tdec, h, p)); /* the head's input */
		if (s->embd_dropout > 0)
			edge = ad(c, edge, mu(c, T, h));
		out->logits = train_logits(x, Tdec);
		/* backward holds a gradient beside the widest saved tensor */
		grad = m3(c, 2 * T, widest, p);
		if (w->grad_ckpt) {
			/* gradient checkpointing keeps each block's input; a block's saved
			 * tensors exist only while backward recomputes it, after the
			 * logits and loss have been freed (Korthikanti et al.: 2sbh per
			 * layer, plus one layer's activations) */
			out->layer_activations = ad(c, inputs, big);
			out->activations =
			    ad(c, ad(c, inputs, edge), max2(out->logits, ad(c, big, grad)));
		} else {
			out->layer_activations = sum;
			out->activations = ad(c, ad(c, sum, edge), ad(c, out->logits, grad));
		}
		if (w->precision == VF_PREC_MIXED && !w->lora_rank) {
			out->autocast = autocast_copies(x);
			out->activations = ad(c, out->activations, out->autocast);
		}
	}
	/* gradients and optimizer states */
	gbytes = pure ? 2 : 4;
	sbytes = pure ? 2 : 4;
	out->gradients = mu(c, trainable, gbytes);
	switch (w->optim) {
	case VF_OPTIM_ADAMW: /* m and v in the parameter's dtype */
		out->states = mu(c, trainable, 2 * sbytes);
		break;
	case VF_OPTIM_ADAMW8: /* bitsandbytes: two uint8 states, fp32 absmax per 2048 */
		out->states = ad(c, mu(c, trainable, 2), mu(c, ceil_div(trainable, 2048), 8));
		break;
	case VF_OPTIM_SGD: /* one momentum buffer */
		out->states = mu(c, trainable, sbytes);
		break;
	case VF_OPTIM_ADAFACTOR: /* factored second moment: rows + cols in fp32 */
		if (s && !w->lora_rank) {
			for (size_t i = 0; i < s->ntensors; i++) {
				const struct vf_tensor *t = &s->tensors[i];
				int r = s->role[i] & 0x7f;
				if (!t->count_params || r == VF_ROLE_BUFFER ||
				    r == VF_ROLE_NPBUFFER)
					continue;
				out->states = ad(c, out->states,
						 mu(c,
						    t->ndim >= 2 && t->shape[0]
							? t->shape[0] + t->numel / t->shape[0]
							: t->numel,
						    4));
			}
		} else {
			out->states = mu(c, trainable, 4);
		}
		break;
	}
	/* the optimizer step's temporaries (see above) */
	trainable_sizes(x, ck, sbytes, &ts);
	switch (w->optim) {
	case VF_OPTIM_ADAMW:
		if (w->optim_impl == VF_OPTIM_FOREACH)
			out->step_temps = ts.rounded;
		else if (w->optim_impl == VF_OPTIM_FOR)
			out->step_temps = mu(c, 2, vf_alloc_round(mu(c, ts.largest, sbytes)));
		break;
	case VF_OPTIM_ADAFACTOR:
		out->step_temps = mu(c, pure ? 3 : 2, vf_alloc_round(mu(c, ts.largest, 4)));
		break;
	case VF_OPTIM_ADAMW8:
	case VF_OPTIM_SGD:
		break;
	}
	/* ZeRO: partition over the data-parallel ranks */
	if (w->zero_stage >= 1) {
		out->master = ceil_div(out->master, w->dp);
		out->states = ceil_div(out->states, w->dp);
		out->step_temps = ceil_div(out->step_temps, w->dp);
	}
	if (w->zero_stage >= 2)
		out->gradients = ceil_div(out->gradients, w->dp);
	if (w->zero_stage >= 3) {
		/* parameters of the largest block: tensors come block by block */
		size_t bi = 0;
		uint64_t lp = 0;
		for (size_t j = 0; s && j < s->ntensors && bi < s->nblocks; j++) {
			const char *nmj = s->tensors[j].name;
			if (!in_layer(nmj, s->blocks[bi].layer) && bi + 1 < s->nblocks &&
			    in_layer(nmj, s->blocks[bi + 1].layer)) {
				largest = max2(largest, lp);
				lp = 0;
				bi++;
			}
			if (in_layer(nmj, s->blocks[bi].layer))
				lp = ad(c, lp, s->tensors[j].count_params);
		}
		largest = max2(largest, lp);
		out->weights = ad(c, ceil_div(out->weights, w->dp), mu(c, 4, largest));
	}
	out->optimizer = ad(c, out->master, out->states);
	out->step_peak = ad(c, out->gradients, out->step_temps);
	return VF_OK;
}
