/*
 * synth.c - config.json -> the tensor table of the model it describes.
 *
 * Each supported family has an emitter that writes, in execution order, the
 * tensors transformers' model class registers: the same names and shapes as
 * the class's state_dict (so the layers grouped from them match the layers
 * grouped from a real checkpoint, and are valid device_map keys), plus the
 * non-persistent buffers the class allocates on the device, which no
 * checkpoint holds.  Sources, per family, are the transformers modeling files
 * named at each emitter (4.36 for the families it has, the current release
 * for the others); tests/tools/check_estimate.py compares every name, shape
 * and per-module byte count with transformers 4.36 built on the meta device.
 *
 * Invariants:
 *   - every shape is a product checked against overflow; a config whose sizes
 *     overflow 64 bits or would need more than SYNTH_MAX_TENSORS tensors is
 *     refused, never truncated;
 *   - a tied duplicate counts 0 parameters and 0 bytes (formats.h: a shared
 *     storage counts once, on its first tensor), and tied[] names its owner;
 *   - an architecture without an emitter is refused (VF_EFORMAT): no family
 *     is estimated as another; a checkpoint of it is still weighed exactly
 *     from its tensors (cli/run.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "common/mem.h"
#include "planner/planner.h"

#define SYNTH_MAX_TENSORS 4000000 /* DeepSeek-V3 needs ~92,000 */
#define SYNTH_MAX_EXPERTS 65536
#define NAME_MAX_LEN 256

#define ROLE_LOAD_DTYPE VF_ROLE_LOAD_DTYPE

const char vf_synth_families[] =
    "llama, mistral, mixtral, qwen2, qwen2_moe, qwen3, qwen3_moe, gemma, gemma2, gemma3_text, "
    "phi3, deepseek_v2, deepseek_v3, gpt2, bert, t5, mt5, falcon, opt";

const char *vf_engine_name(enum vf_engine e)
{
	switch (e) {
	case VF_ENGINE_HF436:
		return "hf436";
	case VF_ENGINE_VLLM:
		return "vllm";
	case VF_ENGINE_HF:
		break;
	}
	return "hf";
}

/* ---- the arena and the emitter ---- */

struct priv {
	struct vf_arena arena;
	size_t tcap, bcap;
};

static void *arena_alloc(struct vf_synth *s, size_t n)
{
	struct priv *p = s->priv;

	return vf_arena_alloc(&p->arena, n);
}

struct em {
	struct vf_synth *s;
	const struct vf_arch *a;
	const struct vf_archx *x;
	enum vf_engine engine;
	struct vf_err *err;
	enum vf_status st;
};

static bool em_fail(struct em *e, enum vf_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool em_fail(struct em *e, enum vf_status st, const char *fmt, ...)
{
	char msg[VF_ERR_MSG_MAX];
	va_list ap;

	if (e->st)
		return false;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->st = vf_fail(e->err, st, "", "%s", msg);
	return false;
}

/* vf_realloc(), but a first allocation through vf_malloc(), which lays big
 * blocks on huge pages: DeepSeek-V3's table takes 3.5 MB at once (grow()). */
static void *resize(void *p, size_t n)
{
	return p ? vf_realloc(p, n) : vf_malloc(n);
}

/* Room for n tensors; false out of memory (what is there stays valid). */
static bool grow(struct vf_synth *s, size_t n)
{
	struct priv *p = s->priv;
	struct vf_tensor *t = resize(s->tensors, n * sizeof(*t));
	uint8_t *r;
	long *ti;

	if (t)
		s->tensors = t;
	r = t ? resize(s->role, n) : NULL;
	if (r)
		s->role = r;
	ti = r ? resize(s->tied, n * sizeof(*ti)) : NULL;
	if (ti)
		s->tied = ti;
	if (ti)
		p->tcap = n;
	return ti != NULL;
}

/*
 * Adds one tensor: nd dims (at most 4), named base + mid + leaf (the parts
 * spare the emitters a copy per name: DeepSeek-V3 has ~45k).  Returns its
 * index, or -1 once anything has failed (later calls then do nothing, so
 * emitters can run straight through and check e->st at the end).
 */
static long put(struct em *e, int role, enum vf_dtype dt, unsigned nd, const uint64_t *dims,
		const char *base, const char *mid, const char *leaf)
{
	struct vf_synth *s = e->s;
	struct priv *p = s->priv;
	struct vf_tensor *t;
	size_t a, b, c, ns = nd ? nd : 1;
	uint64_t numel = 1, *shape;
	char *name;

	if (e->st)
		return -1;
	a = strlen(base);
	b = strlen(mid);
	c = strlen(leaf);
	if (a + b + c >= NAME_MAX_LEN)
		return em_fail(e, VF_EFORMAT, "a module name is longer than %d bytes",
			       NAME_MAX_LEN),
		       -1;
	for (unsigned i = 0; i < nd; i++)
		if (!vf_mul_ok(numel, dims[i], &numel))
			return em_fail(e, VF_EFORMAT, "the size of '%s%s%s' overflows 64 bits",
				       base, mid, leaf),
			       -1;
	if (s->ntensors >= SYNTH_MAX_TENSORS)
		return em_fail(e, VF_EFORMAT, "the model would have more than %d tensors",
			       SYNTH_MAX_TENSORS),
		       -1;
	if (s->ntensors == p->tcap && !grow(s, p->tcap ? p->tcap * 2 : 256))
		return em_fail(e, VF_ENOMEM, "out of memory"), -1;
	/* the shape, then the name after it: one allocation */
	if (!(shape = arena_alloc(s, ns * sizeof(*shape) + a + b + c + 1)))
		return em_fail(e, VF_ENOMEM, "out of memory"), -1;
	name = (char *)(shape + ns);
	for (unsigned i = 0; i < nd; i++)
		shape[i] = dims[i];
	memcpy(name, base, a);
	memcpy(name + a, mid, b);
	memcpy(name + a + b, leaf, c + 1);
	t = &s->tensors[s->ntensors];
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->shape = shape;
	t->ndim = nd;
	t->dtype = dt;
	t->numel = numel;
	if (!vf_dtype_nbytes(dt, numel, &t->nbytes))
		return em_fail(e, VF_EFORMAT, "the size of '%s' overflows 64 bits", name), -1;
	if ((role & 0x7f) != VF_ROLE_NPBUFFER) {
		t->count_params = (role & 0x7f) == VF_ROLE_BUFFER ? 0 : numel;
		t->count_bytes = t->nbytes;
	}
	s->role[s->ntensors] = (uint8_t)role;
	s->tied[s->ntensors] = -1;
	return (long)s->ntensors++;
}

/* put() with the name from fmt. */
static long add(struct em *e, int role, enum vf_dtype dt, unsigned nd, uint64_t d0, uint64_t d1,
		uint64_t d2, uint64_t d3, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static long add(struct em *e, int role, enum vf_dtype dt, unsigned nd, uint64_t d0, uint64_t d1,
		uint64_t d2, uint64_t d3, const char *fmt, ...)
{
	const uint64_t dims[4] = {d0, d1, d2, d3};
	char name[NAME_MAX_LEN];
	va_list ap;
	int n;

	if (e->st)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(name))
		return em_fail(e, VF_EFORMAT, "a module name is longer than %d bytes",
			       NAME_MAX_LEN),
		       -1;
	return put(e, role, dt, nd, dims, name, "", "");
}

/* buf, whose first n bytes are a name, with the decimal j after them: the
 * experts of a layer differ only there ("...mlp.experts.106"). */
static const char *numbered(struct em *e, char *buf, size_t n, uint64_t j)
{
	char digits[24];
	size_t nd = 0;

	do
		digits[nd++] = (char)('0' + j % 10);
	while ((j /= 10) > 0);
	if (n + nd >= NAME_MAX_LEN) {
		em_fail(e, VF_EFORMAT, "a module name is longer than %d bytes", NAME_MAX_LEN);
		buf[0] = '\0';
		return buf;
	}
	while (nd)
		buf[n++] = digits[--nd];
	buf[n] = '\0';
	return buf;
}

/* A parameter of the model dtype named base + mid + leaf ("<base>.weight"). */
static long param(struct em *e, int role, unsigned nd, uint64_t d0, uint64_t d1, const char *base,
		  const char *mid, const char *leaf)
{
	const uint64_t dims[4] = {d0, d1, 0, 0};

	return put(e, role, e->s->dtype, nd, dims, base, mid, leaf);
}

/* Shorthands: a parameter in the model dtype, 1-D or 2-D. */
#define P1(e, role, d0, ...) add(e, role, (e)->s->dtype, 1, d0, 0, 0, 0, __VA_ARGS__)
#define P2(e, role, d0, d1, ...) add(e, role, (e)->s->dtype, 2, d0, d1, 0, 0, __VA_ARGS__)

/* Marks tensor dup as sharing owner's storage (a tied weight). */
static void tie(struct em *e, long dup, long owner)
{
	if (e->st || dup < 0 || owner < 0)
		return;
	e->s->tensors[dup].count_params = 0;
	e->s->tensors[dup].count_bytes = 0;
	e->s->tied[dup] = owner;
}

/* The Linear base + mid: "<base><mid>.weight" [out, in] and, with bias,
 * "<base><mid>.bias" [out]. */
static long lin_in(struct em *e, int role, uint64_t out, uint64_t in, bool bias, const char *base,
		   const char *mid)
{
	long w = param(e, role, 2, out, in, base, mid, ".weight");

	if (bias)
		param(e, VF_ROLE_BIAS, 1, out, 0, base, mid, ".bias");
	return w;
}

/* A Linear: "<base>.weight" [out, in] and, with bias, "<base>.bias" [out]. */
static long lin(struct em *e, int role, uint64_t out, uint64_t in, bool bias, const char *base)
{
	return lin_in(e, role, out, in, bias, base, "");
}

/* GPT-2's Conv1D stores its weight transposed: [in, out], always with a bias. */
static void conv1d(struct em *e, uint64_t out, uint64_t in, const char *base)
{
	param(e, VF_ROLE_LINEAR, 2, in, out, base, "", ".weight");
	param(e, VF_ROLE_BIAS, 1, out, 0, base, "", ".bias");
}

static void norm(struct em *e, uint64_t dim, bool bias, const char *base)
{
	param(e, VF_ROLE_NORM, 1, dim, 0, base, "", ".weight");
	if (bias)
		param(e, VF_ROLE_NORM, 1, dim, 0, base, "", ".bias");
}

/* snprintf into a fixed buffer; a name that does not fit fails the emitter. */
static const char *nm(struct em *e, char *buf, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const char *nm(struct em *e, char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, NAME_MAX_LEN, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= NAME_MAX_LEN) {
		em_fail(e, VF_EFORMAT, "a module name is longer than %d bytes", NAME_MAX_LEN);
		buf[0] = '\0';
	}
	return buf;
}

static struct vf_block *block(struct em *e, const char *layer)
{
	struct vf_synth *s = e->s;
	struct priv *p = s->priv;
	struct vf_block *b;
	char *copy;

	if (e->st)
		return NULL;
	if (s->nblocks == p->bcap) {
		size_t nc = p->bcap ? p->bcap * 2 : 64;
		struct vf_block *a = vf_realloc(s->blocks, nc * sizeof(*a));
		if (!a)
			return em_fail(e, VF_ENOMEM, "out of memory"), NULL;
		s->blocks = a;
		p->bcap = nc;
	}
	if (!(copy = arena_alloc(s, strlen(layer) + 1)))
		return em_fail(e, VF_ENOMEM, "out of memory"), NULL;
	strcpy(copy, layer);
	b = &s->blocks[s->nblocks++];
	memset(b, 0, sizeof(*b));
	b->layer = copy;
	b->attn = VF_ATTN_FULL;
	b->window = VF_UNSET;
	return b;
}

static void shape(struct vf_block *b, enum vf_norm n, enum vf_act act, int nnorms, bool gated,
		  bool softmax32)
{
	if (!b)
		return;
	b->norm = (uint8_t)n;
	b->act = (uint8_t)act;
	b->nnorms = (uint8_t)nnorms;
	b->gated = gated;
	b->softmax32 = softmax32;
}

static enum vf_act act_of(const char *act, enum vf_act dflt)
{
	if (!act[0])
		return dflt;
	if (strstr(act, "gelu_new") || strcmp(act, "gated-gelu") == 0)
		return VF_ACT_GELU_PY; /* T5's gated-gelu is gelu_new (modeling_t5.py) */
	if (strcmp(act, "relu") == 0)
		return VF_ACT_RELU;
	return VF_ACT_FUSED;
}

/* ---- helpers over the config ---- */

static int64_t or_default(int64_t v, int64_t d)
{
	return v == VF_UNSET ? d : v;
}

static int flag(int v, int d)
{
	return v == VF_UNSET ? d : v;
}

static bool need(struct em *e, int64_t v, const char *key)
{
	if (v > 0)
		return true;
	return em_fail(e, VF_EFORMAT,
		       "the config lacks \"%s\" (or it is 0), which a %s model needs", key,
		       e->s->model_type[0] ? e->s->model_type : "transformer");
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* What the model class puts on top of the base model. */
enum head { H_LM, H_BASE, H_SEQCLS, H_MLM, H_PRETRAIN, H_TOKCLS, H_QA, H_T5_ENC };

static enum head head_of(struct em *e, const char *const *bases, const char *dflt)
{
	struct vf_synth *s = e->s;
	const char *c = e->a->architecture;

	if (!c[0]) {
		snprintf(s->class_name, sizeof(s->class_name), "%s", dflt);
		s->class_assumed = true;
		c = dflt;
	} else {
		snprintf(s->class_name, sizeof(s->class_name), "%s", c);
	}
	for (; *bases; bases++)
		if (strcmp(c, *bases) == 0)
			return H_BASE;
	if (ends_with(c, "ForCausalLM") || ends_with(c, "LMHeadModel") ||
	    ends_with(c, "ForConditionalGeneration"))
		return H_LM;
	if (ends_with(c, "ForSequenceClassification"))
		return H_SEQCLS;
	if (ends_with(c, "ForMaskedLM"))
		return H_MLM;
	if (ends_with(c, "ForPreTraining"))
		return H_PRETRAIN;
	if (ends_with(c, "ForTokenClassification"))
		return H_TOKCLS;
	if (ends_with(c, "ForQuestionAnswering"))
		return H_QA;
	if (ends_with(c, "EncoderModel"))
		return H_T5_ENC;
	/* A head we do not model: count the base model and the LM head, and say so. */
	s->approximate = true;
	snprintf(s->note, sizeof(s->note), "%s: this head is not modelled; the %s head is counted",
		 c, dflt);
	return H_LM;
}

static int64_t labels(struct em *e)
{
	return or_default(e->x->num_labels, 2); /* PretrainedConfig: num_labels 2 */
}

/* Layer i's attention type when the config lists them (layer_types). */
static bool typed(const struct vf_arch *a, int64_t i, enum vf_attn *t)
{
	if (!a->layer_types)
		return false;
	*t = (enum vf_attn)a->layer_types[i];
	return true;
}

/* State elements per sequence of a linear-attention or Mamba layer. */
static uint64_t linear_state(const struct vf_arch *a, const struct vf_archx *x)
{
	uint64_t h = (uint64_t)a->hidden;

	/* Gated DeltaNet (Qwen3-Next, transformers modeling_qwen3_next.py): a
	 * [v_heads, k_dim, v_dim] recurrent state and a causal-conv state over
	 * conv_dim = 2*k_heads*k_dim + v_heads*v_dim channels of kernel width. */
	if (x->lin_v_heads > 0 && x->lin_k_dim > 0 && x->lin_v_dim > 0) {
		uint64_t kh = (uint64_t)or_default(x->lin_k_heads, x->lin_v_heads);
		uint64_t conv = 2 * kh * (uint64_t)x->lin_k_dim +
				(uint64_t)x->lin_v_heads * (uint64_t)x->lin_v_dim;
		return (uint64_t)x->lin_v_heads * (uint64_t)x->lin_k_dim * (uint64_t)x->lin_v_dim +
		       conv * (uint64_t)or_default(x->lin_conv, 4);
	}
	/* Mamba-2 (n_heads * head_dim * d_state SSM state, conv over
	 * inner + 2*groups*d_state channels) and Mamba-1 (inner * d_state SSM
	 * state, inner * d_conv conv state); inner = expand * hidden.  Sources:
	 * transformers modeling_mamba2.py / modeling_jamba.py cache classes. */
	if (x->mamba_d_state > 0) {
		uint64_t inner = (uint64_t)or_default(x->mamba_expand, 2) * h;
		uint64_t ds = (uint64_t)x->mamba_d_state,
			 dc = (uint64_t)or_default(x->mamba_d_conv, 4);
		if (x->mamba_heads > 0 && x->mamba_head_dim > 0)
			return (uint64_t)x->mamba_heads * (uint64_t)x->mamba_head_dim * ds +
			       (inner + 2 * (uint64_t)or_default(x->mamba_groups, 1) * ds) * dc;
		return inner * ds + inner * dc;
	}
	return 0;
}

/*
 * The head of a decoder: a sequence-classification "score" over the labels,
 * or an lm_head over the vocabulary that ties to the embedding `emb` when the
 * config says so (tie_default when it is silent), or nothing for a base model.
 */
static void emit_head(struct em *e, enum head hd, uint64_t in, uint64_t V, int tie_default,
		      long emb)
{
	if (hd == H_SEQCLS) {
		P2(e, VF_ROLE_HEAD, (uint64_t)labels(e), in, "score.weight");
	} else if (hd != H_BASE) {
		long head = P2(e, VF_ROLE_HEAD, V, in, "lm_head.weight");
		if (flag(e->a->tie_word_embeddings, tie_default))
			tie(e, head, emb);
		e->s->lm = true;
	}
}

/* ---- Llama-shaped decoders ---- */

enum moe_kind { MOE_NONE, MOE_MIXTRAL, MOE_QWEN, MOE_DEEPSEEK };
enum sw_kind { SW_NONE, SW_ALL, SW_QWEN, SW_ALT, SW_PATTERN };

struct lopt {
	bool qkv_bias, o_bias, mlp_bias, qk_norm, sandwich, fused, mla, rotary436, qwen_shared;
	bool two_rotary; /* Gemma-3: a second rotary embedding for local layers */
	bool gemma;	 /* Gemma's RMSNorm: (1 + weight), all in fp32 */
	enum moe_kind moe;
	enum sw_kind sw;
	bool tie;
	int64_t max_pos;
};

static bool layer_is_moe(const struct vf_arch *a, const struct lopt *o, int64_t i)
{
	switch (o->moe) {
	case MOE_MIXTRAL:
		return true;
	case MOE_QWEN: /* modeling_qwen3_moe.py: not in mlp_only_layers, (i+1) % step == 0 */
		return a->num_experts > 0 && !(a->mlp_only && a->mlp_only[i]) &&
		       (i + 1) % or_default(a->decoder_sparse_step, 1) == 0;
	case MOE_DEEPSEEK: /* DeepSeek's modeling: i >= first_k_dense_replace, i % freq == 0 */
		return a->num_experts > 0 && i >= or_default(a->first_k_dense_replace, 0) &&
		       i % or_default(a->moe_layer_freq, 1) == 0;
	case MOE_NONE:
		break;
	}
	return false;
}

static void window_of(const struct vf_arch *a, const struct vf_archx *x, const struct lopt *o,
		      int64_t i, struct vf_block *b)
{
	enum vf_attn t;
	bool sliding = false;
	int64_t w = a->sliding_window;

	if (typed(a, i, &t)) {
		b->attn = t;
		if (t == VF_ATTN_LINEAR)
			b->state = linear_state(a, x);
		if ((t == VF_ATTN_SLIDING || t == VF_ATTN_CHUNKED) && w > 0)
			b->window = w;
		else if (t == VF_ATTN_SLIDING || t == VF_ATTN_CHUNKED)
			b->attn = VF_ATTN_FULL; /* no window size: nothing to trim */
		return;
	}
	if (w <= 0)
		return;
	switch (o->sw) {
	case SW_ALL: /* Mistral, Mixtral, Phi-3: every layer when sliding_window is set */
		sliding = true;
		break;
	case SW_QWEN: /* Qwen2/3: only with use_sliding_window, from max_window_layers on */
		sliding = a->use_sliding_window == 1 && i >= or_default(x->max_window_layers, 0);
		break;
	case SW_ALT: /* Gemma-2: even layers local (layer 0 local) */
		sliding = i % 2 == 0;
		break;
	case SW_PATTERN: /* Gemma-3: every sliding_window_pattern-th layer global */
		sliding = (i + 1) % or_default(a->sliding_window_pattern, 6) != 0;
		break;
	case SW_NONE:
		break;
	}
	if (sliding) {
		b->attn = VF_ATTN_SLIDING;
		b->window = w;
	}
}

static void rotary_buffers(struct em *e, const char *base, uint64_t rot, uint64_t positions)
{
	add(e, VF_ROLE_NPBUFFER, VF_DT_F32, 1, rot / 2, 0, 0, 0, "%s.inv_freq", base);
	add(e, VF_ROLE_NPBUFFER | ROLE_LOAD_DTYPE, e->s->dtype, 2, positions, rot, 0, 0,
	    "%s.cos_cached", base);
	add(e, VF_ROLE_NPBUFFER | ROLE_LOAD_DTYPE, e->s->dtype, 2, positions, rot, 0, 0,
	    "%s.sin_cached", base);
}

/* Model-level rotary buffers of current transformers (inv_freq) and vLLM
 * (one cos_sin_cache per rotary embedding, rotary/get_rope in vLLM). */
static void model_rotary(struct em *e, const char *pre, const char *name, uint64_t rot,
			 uint64_t positions)
{
	if (e->engine == VF_ENGINE_HF)
		add(e, VF_ROLE_NPBUFFER, VF_DT_F32, 1, rot / 2, 0, 0, 0, "%s%s.inv_freq", pre,
		    name);
	else if (e->engine == VF_ENGINE_VLLM)
		add(e, VF_ROLE_NPBUFFER | ROLE_LOAD_DTYPE, e->s->dtype, 2, positions, rot, 0, 0,
		    "%s%s.cos_sin_cache", pre, name);
}

static void gated_mlp(struct em *e, const char *base, uint64_t h, uint64_t inter, bool bias,
		      int role, bool fused)
{
	if (fused) { /* Phi-3: gate and up in one matrix */
		lin_in(e, role, 2 * inter, h, false, base, ".gate_up_proj");
		lin_in(e, role, h, inter, false, base, ".down_proj");
		return;
	}
	lin_in(e, role, inter, h, bias, base, ".gate_proj");
	lin_in(e, role, inter, h, bias, base, ".up_proj");
	lin_in(e, role, h, inter, bias, base, ".down_proj");
}

static void llama_attention(struct em *e, const struct lopt *o, const char *ln, struct vf_block *bk)
{
	const struct vf_arch *a = e->a;
	uint64_t h = (uint64_t)a->hidden, nh = (uint64_t)a->heads, kv = (uint64_t)a->kv_heads;
	uint64_t d = (uint64_t)a->head_dim;
	char b[NAME_MAX_LEN];

	if (o->mla) { /* modeling_deepseek_v3.py DeepseekV3Attention */
		uint64_t ql = (uint64_t)or_default(a->q_lora_rank, 0);
		uint64_t kvl = (uint64_t)a->kv_lora_rank, nope = (uint64_t)a->qk_nope_head_dim;
		uint64_t rope = (uint64_t)a->qk_rope_head_dim, vh = (uint64_t)a->v_head_dim;
		if (ql) {
			lin(e, VF_ROLE_LINEAR, ql, h, o->qkv_bias,
			    nm(e, b, "%s.self_attn.q_a_proj", ln));
			norm(e, ql, false, nm(e, b, "%s.self_attn.q_a_layernorm", ln));
			lin(e, VF_ROLE_LINEAR, nh * (nope + rope), ql, false,
			    nm(e, b, "%s.self_attn.q_b_proj", ln));
		} else {
			lin(e, VF_ROLE_LINEAR, nh * (nope + rope), h, false,
			    nm(e, b, "%s.self_attn.q_proj", ln));
		}
		lin(e, VF_ROLE_LINEAR, kvl + rope, h, o->qkv_bias,
		    nm(e, b, "%s.self_attn.kv_a_proj_with_mqa", ln));
		norm(e, kvl, false, nm(e, b, "%s.self_attn.kv_a_layernorm", ln));
		lin(e, VF_ROLE_LINEAR, nh * (nope + vh), kvl, false,
		    nm(e, b, "%s.self_attn.kv_b_proj", ln));
		lin(e, VF_ROLE_LINEAR, h, nh * vh, o->o_bias, nm(e, b, "%s.self_attn.o_proj", ln));
		if (bk) {
			bk->kv_heads = (int64_t)nh;
			bk->k_dim = (int64_t)(nope + rope);
			bk->v_dim = (int64_t)vh;
			bk->latent = (int64_t)(kvl + rope);
			bk->q_dim = (int64_t)(nh * (nope + rope));
			bk->o_in = (int64_t)(nh * vh);
		}
		return;
	}
	if (o->fused) { /* modeling_phi3.py Phi3Attention */
		lin(e, VF_ROLE_LINEAR, (nh + 2 * kv) * d, h, false,
		    nm(e, b, "%s.self_attn.qkv_proj", ln));
	} else {
		lin(e, VF_ROLE_LINEAR, nh * d, h, o->qkv_bias, nm(e, b, "%s.self_attn.q_proj", ln));
		lin(e, VF_ROLE_LINEAR, kv * d, h, o->qkv_bias, nm(e, b, "%s.self_attn.k_proj", ln));
		lin(e, VF_ROLE_LINEAR, kv * d, h, o->qkv_bias, nm(e, b, "%s.self_attn.v_proj", ln));
	}
	lin(e, VF_ROLE_LINEAR, h, nh * d, o->o_bias, nm(e, b, "%s.self_attn.o_proj", ln));
	if (o->qk_norm) { /* Qwen3, Gemma-3: RMSNorm over each head */
		norm(e, d, false, nm(e, b, "%s.self_attn.q_norm", ln));
		norm(e, d, false, nm(e, b, "%s.self_attn.k_norm", ln));
	}
	if (o->rotary436 && e->engine == VF_ENGINE_HF436) /* 4.36 LlamaRotaryEmbedding */
		rotary_buffers(e, nm(e, b, "%s.self_attn.rotary_emb", ln), d, (uint64_t)o->max_pos);
	if (bk) {
		bk->kv_heads = (int64_t)kv;
		bk->k_dim = bk->v_dim = (int64_t)d;
		bk->q_dim = bk->o_in = (int64_t)(nh * d);
	}
}

static void llama_mlp(struct em *e, const struct lopt *o, const char *ln, int64_t i,
		      struct vf_block *bk)
{
	const struct vf_arch *a = e->a;
	uint64_t h = (uint64_t)a->hidden, E = (uint64_t)or_default(a->num_experts, 0);
	uint64_t inter = (uint64_t)or_default(a->intermediate, 0);
	uint64_t ie = (uint64_t)or_default(a->moe_intermediate, a->intermediate);
	char b[NAME_MAX_LEN], c[NAME_MAX_LEN];
	size_t n;

	if (!layer_is_moe(a, o, i)) {
		if (need(e, (int64_t)inter, "intermediate_size"))
			gated_mlp(e, nm(e, b, "%s.mlp", ln), h, inter, o->mlp_bias, VF_ROLE_LINEAR,
				  o->fused);
		if (bk)
			bk->inter = (int64_t)inter;
		return;
	}
	if (bk) {
		bk->moe = true;
		bk->inter = (int64_t)(o->moe == MOE_MIXTRAL ? inter : ie);
	}
	switch (o->moe) {
	case MOE_MIXTRAL: /* modeling_mixtral.py MixtralSparseMoeBlock: gate, experts.j.w1/w2/w3 */
		lin(e, VF_ROLE_ROUTER, E, h, false, nm(e, b, "%s.block_sparse_moe.gate", ln));
		n = strlen(nm(e, c, "%s.block_sparse_moe.experts.", ln));
		for (uint64_t j = 0; j < E && !e->st; j++) {
			numbered(e, c, n, j);
			lin_in(e, VF_ROLE_EXPERT, inter, h, false, c, ".w1");
			lin_in(e, VF_ROLE_EXPERT, h, inter, false, c, ".w2");
			lin_in(e, VF_ROLE_EXPERT, inter, h, false, c, ".w3");
		}
		break;
	case MOE_QWEN: /* modeling_qwen2_moe.py / modeling_qwen3_moe.py SparseMoeBlock */
		lin(e, VF_ROLE_ROUTER, E, h, false, nm(e, b, "%s.mlp.gate", ln));
		n = strlen(nm(e, c, "%s.mlp.experts.", ln));
		for (uint64_t j = 0; j < E && !e->st; j++)
			gated_mlp(e, numbered(e, c, n, j), h, ie, false, VF_ROLE_EXPERT, false);
		if (o->qwen_shared && a->shared_expert_intermediate > 0) {
			uint64_t is = (uint64_t)a->shared_expert_intermediate;
			gated_mlp(e, nm(e, c, "%s.mlp.shared_expert", ln), h, is, false,
				  VF_ROLE_LINEAR, false);
			lin(e, VF_ROLE_ROUTER, 1, h, false,
			    nm(e, b, "%s.mlp.shared_expert_gate", ln));
			if (bk)
				bk->shared_inter = (int64_t)is;
		}
		break;
	case MOE_DEEPSEEK: /* modeling_deepseek_v3.py DeepseekV3MoE: experts, gate, shared_experts
			    */
		n = strlen(nm(e, c, "%s.mlp.experts.", ln));
		for (uint64_t j = 0; j < E && !e->st; j++)
			gated_mlp(e, numbered(e, c, n, j), h, ie, false, VF_ROLE_EXPERT, false);
		lin(e, VF_ROLE_ROUTER, E, h, false, nm(e, b, "%s.mlp.gate", ln));
		/* noaux_tc routing keeps a persistent per-expert bias (in the checkpoint, F32) */
		if (strcmp(e->x->topk_method, "noaux_tc") == 0)
			add(e, VF_ROLE_BUFFER, VF_DT_F32, 1, E, 0, 0, 0,
			    "%s.mlp.gate.e_score_correction_bias", ln);
		if (a->shared_experts > 0) {
			uint64_t is = ie * (uint64_t)a->shared_experts;
			gated_mlp(e, nm(e, c, "%s.mlp.shared_experts", ln), h, is, false,
				  VF_ROLE_LINEAR, false);
			if (bk)
				bk->shared_inter = (int64_t)is;
		}
		break;
	case MOE_NONE:
		break;
	}
}

static void emit_llama(struct em *e, const struct lopt *o, enum head hd)
{
	const struct vf_arch *a = e->a;
	struct vf_synth *s = e->s;
	uint64_t h = (uint64_t)a->hidden, V = (uint64_t)a->vocab;
	const char *pre = hd == H_BASE ? "" : "model.";
	uint64_t rot =
	    o->mla ? (uint64_t)or_default(a->qk_rope_head_dim, 0) : (uint64_t)a->head_dim;
	char ln[NAME_MAX_LEN], b[NAME_MAX_LEN];
	long embed;

	if (e->x->partial_rotary > 0 && e->x->partial_rotary < 1)
		rot = (uint64_t)((double)rot * e->x->partial_rotary);
	if (!need(e, a->num_layers, "num_hidden_layers") || !need(e, a->hidden, "hidden_size") ||
	    !need(e, a->heads, "num_attention_heads") || !need(e, a->vocab, "vocab_size") ||
	    !need(e, a->kv_heads, "num_key_value_heads") || !need(e, a->head_dim, "head_dim"))
		return;
	if (o->moe != MOE_NONE && a->num_experts > 0 &&
	    (!need(e, a->experts_per_tok, "num_experts_per_tok") ||
	     (o->moe == MOE_MIXTRAL && !need(e, a->intermediate, "intermediate_size")) ||
	     (o->moe != MOE_MIXTRAL && !need(e, a->moe_intermediate, "moe_intermediate_size"))))
		return;
	if (o->moe == MOE_MIXTRAL && !need(e, a->num_experts, "num_local_experts"))
		return;
	if (o->mla && (!need(e, a->kv_lora_rank, "kv_lora_rank") ||
		       !need(e, a->qk_nope_head_dim, "qk_nope_head_dim") ||
		       !need(e, a->qk_rope_head_dim, "qk_rope_head_dim") ||
		       !need(e, a->v_head_dim, "v_head_dim")))
		return;
	if (a->num_experts > SYNTH_MAX_EXPERTS) {
		em_fail(e, VF_EFORMAT, "%lld experts is more than the %d supported",
			(long long)a->num_experts, SYNTH_MAX_EXPERTS);
		return;
	}
	if (a->num_experts > 0 && a->num_layers < SYNTH_MAX_TENSORS) {
		/* three matrices an expert: room for them at once, rather than
		 * copying ~45k tensors (DeepSeek-V3) over as the table doubles */
		size_t n = (size_t)a->num_layers * (3 * (size_t)a->num_experts + 32) + 16;
		if (n > ((struct priv *)s->priv)->tcap && n <= SYNTH_MAX_TENSORS)
			grow(s, n); /* a hint: without the room, the table grows as it fills */
	}
	embed = P2(e, VF_ROLE_EMBED, V, h, "%sembed_tokens.weight", pre);
	model_rotary(e, pre, "rotary_emb", rot, (uint64_t)o->max_pos);
	if (o->two_rotary)
		model_rotary(e, pre, "rotary_emb_local", rot, (uint64_t)o->max_pos);
	for (int64_t i = 0; i < a->num_layers && !e->st; i++) {
		struct vf_block *bk;
		nm(e, ln, "%slayers.%lld", pre, (long long)i);
		bk = block(e, ln);
		llama_attention(e, o, ln, bk);
		llama_mlp(e, o, ln, i, bk);
		norm(e, h, false, nm(e, b, "%s.input_layernorm", ln));
		norm(e, h, false, nm(e, b, "%s.post_attention_layernorm", ln));
		if (o->sandwich) { /* Gemma-2/3: norms before and after the MLP too */
			norm(e, h, false, nm(e, b, "%s.pre_feedforward_layernorm", ln));
			norm(e, h, false, nm(e, b, "%s.post_feedforward_layernorm", ln));
		}
		if (bk) {
			window_of(a, e->x, o, i, bk);
			shape(bk, o->gemma ? VF_NORM_RMS_GEMMA : VF_NORM_RMS, VF_ACT_FUSED,
			      o->sandwich ? 4 : 2, true, true);
			bk->qk_norm = o->qk_norm;
		}
	}
	s->final_norm = o->gemma ? VF_NORM_RMS_GEMMA : VF_NORM_RMS;
	norm(e, h, false, nm(e, b, "%snorm", pre));
	emit_head(e, hd, h, V, o->tie, embed);
}

/* ---- GPT-2 (modeling_gpt2.py) ---- */

static void emit_gpt2(struct em *e, enum head hd)
{
	const struct vf_arch *a = e->a;
	uint64_t h = (uint64_t)a->hidden, V = (uint64_t)a->vocab, P, I;
	const char *pre = hd == H_BASE ? "" : "transformer.";
	char ln[NAME_MAX_LEN], b[NAME_MAX_LEN];
	long wte;

	if (!need(e, a->num_layers, "n_layer") || !need(e, a->hidden, "n_embd") ||
	    !need(e, a->heads, "n_head") || !need(e, a->vocab, "vocab_size") ||
	    !need(e, a->max_position_embeddings, "n_positions") ||
	    !need(e, a->head_dim, "n_embd divisible by n_head"))
		return;
	P = (uint64_t)a->max_position_embeddings;
	I = (uint64_t)or_default(a->intermediate, (int64_t)(4 * h));
	wte = P2(e, VF_ROLE_EMBED, V, h, "%swte.weight", pre);
	P2(e, VF_ROLE_POS_EMBED, P, h, "%swpe.weight", pre);
	for (int64_t i = 0; i < a->num_layers && !e->st; i++) {
		struct vf_block *bk;
		nm(e, ln, "%sh.%lld", pre, (long long)i);
		bk = block(e, ln);
		norm(e, h, true, nm(e, b, "%s.ln_1", ln));
		/* GPT2Attention registers a causal-mask buffer and masked_bias first */
		add(e, VF_ROLE_NPBUFFER, VF_DT_BOOL, 4, 1, 1, P, P, "%s.attn.bias", ln);
		add(e, VF_ROLE_NPBUFFER | ROLE_LOAD_DTYPE, e->s->dtype, 0, 0, 0, 0, 0,
		    "%s.attn.masked_bias", ln);
		conv1d(e, 3 * h, h, nm(e, b, "%s.attn.c_attn", ln));
		conv1d(e, h, h, nm(e, b, "%s.attn.c_proj", ln));
		norm(e, h, true, nm(e, b, "%s.ln_2", ln));
		conv1d(e, I, h, nm(e, b, "%s.mlp.c_fc", ln));
		conv1d(e, h, I, nm(e, b, "%s.mlp.c_proj", ln));
		if (bk) {
			bk->kv_heads = a->heads;
			bk->k_dim = bk->v_dim = a->head_dim;
			bk->q_dim = bk->o_in = (int64_t)h;
			bk->inter = (int64_t)I;
			/* GPT2Config's activation_function defaults to gelu_new */
			shape(bk, VF_NORM_LAYER, act_of(e->x->act, VF_ACT_GELU_PY), 2, false,
			      false);
		}
	}
	e->s->final_norm = VF_NORM_LAYER;
	norm(e, h, true, nm(e, b, "%sln_f", pre));
	emit_head(e, hd, h, V, 1, wte);
}

/* ---- BERT (modeling_bert.py) ---- */

static void emit_bert(struct em *e, enum head hd)
{
	const struct vf_arch *a = e->a;
	uint64_t h = (uint64_t)a->hidden, V = (uint64_t)a->vocab, P, T, I;
	const char *pre = hd == H_BASE ? "" : "bert.";
	bool pooler = hd == H_BASE || hd == H_SEQCLS || hd == H_PRETRAIN;
	char ln[NAME_MAX_LEN], b[NAME_MAX_LEN];
	long wemb;

	if (!need(e, a->num_layers, "num_hidden_layers") || !need(e, a->hidden, "hidden_size") ||
	    !need(e, a->heads, "num_attention_heads") || !need(e, a->vocab, "vocab_size") ||
	    !need(e, a->intermediate, "intermediate_size") ||
	    !need(e, a->max_position_embeddings, "max_position_embeddings"))
		return;
	P = (uint64_t)a->max_position_embeddings;
	T = (uint64_t)or_default(a->type_vocab_size, 2);
	I = (uint64_t)a->intermediate;
	wemb = P2(e, VF_ROLE_EMBED, V, h, "%sembeddings.word_embeddings.weight", pre);
	P2(e, VF_ROLE_POS_EMBED, P, h, "%sembeddings.position_embeddings.weight", pre);
	P2(e, VF_ROLE_POS_EMBED, T, h, "%sembeddings.token_type_embeddings.weight", pre);
	norm(e, h, true, nm(e, b, "%sembeddings.LayerNorm", pre));
	add(e, VF_ROLE_NPBUFFER, VF_DT_I64, 2, 1, P, 0, 0, "%sembeddings.position_ids", pre);
	add(e, VF_ROLE_NPBUFFER, VF_DT_I64, 2, 1, P, 0, 0, "%sembeddings.token_type_ids", pre);
	for (int64_t i = 0; i < a->num_layers && !e->st; i++) {
		struct vf_block *bk;
		nm(e, ln, "%sencoder.layer.%lld", pre, (long long)i);
		bk = block(e, ln);
		lin(e, VF_ROLE_LINEAR, h, h, true, nm(e, b, "%s.attention.self.query", ln));
		lin(e, VF_ROLE_LINEAR, h, h, true, nm(e, b, "%s.attention.self.key", ln));
		lin(e, VF_ROLE_LINEAR, h, h, true, nm(e, b, "%s.attention.self.value", ln));
		lin(e, VF_ROLE_LINEAR, h, h, true, nm(e, b, "%s.attention.output.dense", ln));
		norm(e, h, true, nm(e, b, "%s.attention.output.LayerNorm", ln));
		lin(e, VF_ROLE_LINEAR, I, h, true, nm(e, b, "%s.intermediate.dense", ln));
		lin(e, VF_ROLE_LINEAR, h, I, true, nm(e, b, "%s.output.dense", ln));
		norm(e, h, true, nm(e, b, "%s.output.LayerNorm", ln));
		if (bk) {
			bk->encoder = true;
			bk->kv_heads = a->heads;
			bk->k_dim = bk->v_dim = a->head_dim;
			bk->q_dim = bk->o_in = (int64_t)h;
			bk->inter = (int64_t)I;
			shape(bk, VF_NORM_LAYER, act_of(e->x->act, VF_ACT_FUSED), 2, false, false);
		}
	}
	e->s->final_norm = VF_NORM_LAYER;
	if (pooler)
		lin(e, VF_ROLE_HEAD, h, h, true, nm(e, b, "%spooler.dense", pre));
	if (hd == H_MLM || hd == H_PRETRAIN || hd == H_LM) { /* BertLMPredictionHead */
		long bias = P1(e, VF_ROLE_HEAD, V, "cls.predictions.bias"), dec, decb;
		lin(e, VF_ROLE_HEAD, h, h, true, "cls.predictions.transform.dense");
		norm(e, h, true, "cls.predictions.transform.LayerNorm");
		dec = P2(e, VF_ROLE_HEAD, V, h, "cls.predictions.decoder.weight");
		decb = P1(e, VF_ROLE_BIAS, V, "cls.predictions.decoder.bias");
		if (flag(a->tie_word_embeddings, 1))
			tie(e, dec, wemb);
		/* decoder.bias is predictions.bias (BertLMPredictionHead).  transformers
		 * 4.36 loses that link when the model is built empty for a device_map
		 * (init_empty_weights re-creates the parameter on assignment, and its
		 * tie_weights() re-ties only decoder.weight), so there the bias is a
		 * second tensor; later versions re-tie it (_tie_weights). */
		if (e->engine != VF_ENGINE_HF436)
			tie(e, decb, bias);
		if (hd == H_PRETRAIN)
			lin(e, VF_ROLE_HEAD, 2, h, true, "cls.seq_relationship");
		e->s->lm = true;
	} else if (hd == H_SEQCLS || hd == H_TOKCLS) {
		lin(e, VF_ROLE_HEAD, (uint64_t)labels(e), h, true, "classifier");
	} else if (hd == H_QA) {
		lin(e, VF_ROLE_HEAD, 2, h, true, "qa_outputs");
	}
}

/* ---- T5 / mT5 (modeling_t5.py) ---- */

static void t5_attention(struct em *e, const char *base, bool rel, uint64_t dm, uint64_t inner)
{
	char b[NAME_MAX_LEN];

	lin(e, VF_ROLE_LINEAR, inner, dm, false, nm(e, b, "%s.q", base));
	lin(e, VF_ROLE_LINEAR, inner, dm, false, nm(e, b, "%s.k", base));
	lin(e, VF_ROLE_LINEAR, inner, dm, false, nm(e, b, "%s.v", base));
	lin(e, VF_ROLE_LINEAR, dm, inner, false, nm(e, b, "%s.o", base));
	if (rel) /* only the first block of each stack has relative_attention_bias */
		P2(e, VF_ROLE_POS_EMBED, (uint64_t)or_default(e->x->rel_buckets, 32),
		   (uint64_t)e->a->heads, "%s.relative_attention_bias.weight", base);
}

static void t5_ff(struct em *e, const char *base, uint64_t dm, uint64_t ff, bool gated)
{
	char b[NAME_MAX_LEN];

	if (gated) {
		lin(e, VF_ROLE_LINEAR, ff, dm, false, nm(e, b, "%s.DenseReluDense.wi_0", base));
		lin(e, VF_ROLE_LINEAR, ff, dm, false, nm(e, b, "%s.DenseReluDense.wi_1", base));
	} else {
		lin(e, VF_ROLE_LINEAR, ff, dm, false, nm(e, b, "%s.DenseReluDense.wi", base));
	}
	lin(e, VF_ROLE_LINEAR, dm, ff, false, nm(e, b, "%s.DenseReluDense.wo", base));
	norm(e, dm, false, nm(e, b, "%s.layer_norm", base));
}

static void emit_t5(struct em *e, enum head hd)
{
	const struct vf_arch *a = e->a;
	uint64_t dm = (uint64_t)a->hidden, V = (uint64_t)a->vocab, ff, inner;
	int64_t nd = or_default(a->num_decoder_layers, a->num_layers);
	/* T5Config: feed_forward_proj "relu"; MT5Config: "gated-gelu" */
	bool mt5 = strcmp(e->s->model_type, "mt5") == 0;
	bool gated = strncmp(e->x->act, "gated-", 6) == 0 || (!e->x->act[0] && mt5);
	enum vf_act act = act_of(e->x->act, mt5 ? VF_ACT_GELU_PY : VF_ACT_RELU);
	char ln[NAME_MAX_LEN], b[NAME_MAX_LEN];
	long shared, dup;

	if (!need(e, a->num_layers, "num_layers") || !need(e, a->hidden, "d_model") ||
	    !need(e, a->heads, "num_heads") || !need(e, a->vocab, "vocab_size") ||
	    !need(e, a->intermediate, "d_ff") || !need(e, a->head_dim, "d_kv"))
		return;
	if (nd > VF_MAX_LAYERS) {
		em_fail(e, VF_EFORMAT, "%lld decoder layers is more than the %d supported",
			(long long)nd, VF_MAX_LAYERS);
		return;
	}
	ff = (uint64_t)a->intermediate;
	inner = (uint64_t)a->heads * (uint64_t)a->head_dim;
	e->s->final_norm = VF_NORM_RMS_T5;
	e->s->encoder_decoder = hd != H_T5_ENC;
	shared = P2(e, VF_ROLE_EMBED, V, dm, "shared.weight");
	dup = P2(e, VF_ROLE_EMBED, V, dm, "encoder.embed_tokens.weight");
	tie(e, dup, shared);
	for (int64_t i = 0; i < a->num_layers && !e->st; i++) {
		struct vf_block *bk;
		nm(e, ln, "encoder.block.%lld", (long long)i);
		bk = block(e, ln);
		t5_attention(e, nm(e, b, "%s.layer.0.SelfAttention", ln), i == 0, dm, inner);
		norm(e, dm, false, nm(e, b, "%s.layer.0.layer_norm", ln));
		t5_ff(e, nm(e, b, "%s.layer.1", ln), dm, ff, gated);
		if (bk) {
			bk->encoder = true;
			bk->kv_heads = a->heads;
			bk->k_dim = bk->v_dim = a->head_dim;
			bk->q_dim = bk->o_in = (int64_t)inner;
			bk->inter = (int64_t)ff;
			shape(bk, VF_NORM_RMS_T5, act, 2, gated, true);
		}
	}
	norm(e, dm, false, "encoder.final_layer_norm");
	if (hd == H_T5_ENC)
		return;
	dup = P2(e, VF_ROLE_EMBED, V, dm, "decoder.embed_tokens.weight");
	tie(e, dup, shared);
	for (int64_t i = 0; i < nd && !e->st; i++) {
		struct vf_block *bk;
		nm(e, ln, "decoder.block.%lld", (long long)i);
		bk = block(e, ln);
		t5_attention(e, nm(e, b, "%s.layer.0.SelfAttention", ln), i == 0, dm, inner);
		norm(e, dm, false, nm(e, b, "%s.layer.0.layer_norm", ln));
		t5_attention(e, nm(e, b, "%s.layer.1.EncDecAttention", ln), false, dm, inner);
		norm(e, dm, false, nm(e, b, "%s.layer.1.layer_norm", ln));
		t5_ff(e, nm(e, b, "%s.layer.2", ln), dm, ff, gated);
		if (bk) {
			bk->cross = true;
			bk->kv_heads = a->heads;
			bk->k_dim = bk->v_dim = a->head_dim;
			bk->q_dim = bk->o_in = (int64_t)inner;
			bk->inter = (int64_t)ff;
			shape(bk, VF_NORM_RMS_T5, act, 3, gated, true);
		}
	}
	norm(e, dm, false, "decoder.final_layer_norm");
	if (hd != H_BASE) {
		long head = P2(e, VF_ROLE_HEAD, V, dm, "lm_head.weight");
		/* T5Config ties by default; MT5Config (like T5 v1.1 configs) does not */
		if (flag(a->tie_word_embeddings, !mt5))
			tie(e, head, shared);
		e->s->lm = true;
	}
}

/* ---- Falcon (modeling_falcon.py) ---- */

static void emit_falcon(struct em *e, enum head hd)
{
	const struct vf_arch *a = e->a;
	const struct vf_archx *x = e->x;
	uint64_t h = (uint64_t)a->hidden, V = (uint64_t)a->vocab, nh = (uint64_t)a->heads, d, F;
	uint64_t P = (uint64_t)or_default(a->max_position_embeddings, 2048);
	bool newarch = flag(x->new_decoder_architecture, 0) == 1;
	bool mq = flag(x->multi_query, 1) == 1, par = flag(x->parallel_attn, 1) == 1;
	bool bias = flag(x->bias, 0) == 1, rotary = flag(x->alibi, 0) == 0;
	uint64_t kv = (uint64_t)or_default(x->falcon_kv, a->heads), qkv;
	const char *pre = hd == H_BASE ? "" : "transformer.";
	char ln[NAME_MAX_LEN], b[NAME_MAX_LEN];
	long wemb;

	if (!need(e, a->num_layers, "num_hidden_layers") || !need(e, a->hidden, "hidden_size") ||
	    !need(e, a->heads, "num_attention_heads") || !need(e, a->vocab, "vocab_size") ||
	    !need(e, a->head_dim, "hidden_size divisible by num_attention_heads"))
		return;
	d = h / nh;
	F = (uint64_t)or_default(a->intermediate, (int64_t)(4 * h)); /* ffn_hidden_size, 4h */
	if (newarch)
		qkv = (2 * kv + nh) * d;
	else if (mq)
		qkv = h + 2 * d, kv = 1;
	else
		qkv = 3 * h, kv = nh;
	wemb = P2(e, VF_ROLE_EMBED, V, h, "%sword_embeddings.weight", pre);
	if (rotary)
		model_rotary(e, pre, "rotary_emb", d, P);
	for (int64_t i = 0; i < a->num_layers && !e->st; i++) {
		struct vf_block *bk;
		nm(e, ln, "%sh.%lld", pre, (long long)i);
		bk = block(e, ln);
		if (rotary && e->engine == VF_ENGINE_HF436)
			rotary_buffers(e, nm(e, b, "%s.self_attention.rotary_emb", ln), d, P);
		lin(e, VF_ROLE_LINEAR, qkv, h, bias,
		    nm(e, b, "%s.self_attention.query_key_value", ln));
		lin(e, VF_ROLE_LINEAR, h, h, bias, nm(e, b, "%s.self_attention.dense", ln));
		lin(e, VF_ROLE_LINEAR, F, h, bias, nm(e, b, "%s.mlp.dense_h_to_4h", ln));
		lin(e, VF_ROLE_LINEAR, h, F, bias, nm(e, b, "%s.mlp.dense_4h_to_h", ln));
		if (newarch && (e->engine == VF_ENGINE_HF436 ||
				or_default(x->num_ln_in_parallel_attn, 2) == 2)) {
			norm(e, h, true, nm(e, b, "%s.ln_attn", ln));
			norm(e, h, true, nm(e, b, "%s.ln_mlp", ln));
		} else {
			norm(e, h, true, nm(e, b, "%s.input_layernorm", ln));
			if (!newarch && !par)
				norm(e, h, true, nm(e, b, "%s.post_attention_layernorm", ln));
		}
		if (bk) {
			bool two = newarch && (e->engine == VF_ENGINE_HF436 ||
					       or_default(x->num_ln_in_parallel_attn, 2) == 2);
			bk->kv_heads = (int64_t)kv;
			bk->k_dim = bk->v_dim = (int64_t)d;
			bk->q_dim = bk->o_in = (int64_t)h;
			bk->inter = (int64_t)F;
			shape(bk, VF_NORM_LAYER, VF_ACT_FUSED, two || !par ? 2 : 1, false, false);
			bk->parallel = newarch || par;
		}
	}
	e->s->final_norm = VF_NORM_LAYER;
	norm(e, h, true, nm(e, b, "%sln_f", pre));
	emit_head(e, hd, h, V, 1, wemb);
}

/* ---- OPT (modeling_opt.py) ---- */

static void emit_opt(struct em *e, enum head hd)
{
	const struct vf_arch *a = e->a;
	const struct vf_archx *x = e->x;
	uint64_t h = (uint64_t)a->hidden, V = (uint64_t)a->vocab, F, P, proj;
	bool eb = flag(x->enable_bias, 1) == 1,
	     aff = flag(x->layer_norm_elementwise_affine, 1) == 1;
	bool final_ln =
	    flag(x->do_layer_norm_before, 1) == 1 && flag(x->remove_final_layer_norm, 0) == 0;
	const char *pre = hd == H_BASE ? "decoder." : "model.decoder.";
	char ln[NAME_MAX_LEN], b[NAME_MAX_LEN];
	long emb;

	if (!need(e, a->num_layers, "num_hidden_layers") || !need(e, a->hidden, "hidden_size") ||
	    !need(e, a->heads, "num_attention_heads") || !need(e, a->vocab, "vocab_size") ||
	    !need(e, a->intermediate, "ffn_dim") ||
	    !need(e, a->max_position_embeddings, "max_position_embeddings"))
		return;
	F = (uint64_t)a->intermediate;
	P = (uint64_t)a->max_position_embeddings;
	proj = (uint64_t)or_default(x->word_embed_proj_dim, a->hidden);
	emb = P2(e, VF_ROLE_EMBED, V, proj, "%sembed_tokens.weight", pre);
	/* OPTLearnedPositionalEmbedding keeps 2 extra rows (its offset) */
	P2(e, VF_ROLE_POS_EMBED, P + 2, h, "%sembed_positions.weight", pre);
	if (proj != h)
		lin(e, VF_ROLE_LINEAR, h, proj, false, nm(e, b, "%sproject_in", pre));
	for (int64_t i = 0; i < a->num_layers && !e->st; i++) {
		struct vf_block *bk;
		nm(e, ln, "%slayers.%lld", pre, (long long)i);
		bk = block(e, ln);
		lin(e, VF_ROLE_LINEAR, h, h, eb, nm(e, b, "%s.self_attn.k_proj", ln));
		lin(e, VF_ROLE_LINEAR, h, h, eb, nm(e, b, "%s.self_attn.v_proj", ln));
		lin(e, VF_ROLE_LINEAR, h, h, eb, nm(e, b, "%s.self_attn.q_proj", ln));
		lin(e, VF_ROLE_LINEAR, h, h, eb, nm(e, b, "%s.self_attn.out_proj", ln));
		if (aff)
			norm(e, h, true, nm(e, b, "%s.self_attn_layer_norm", ln));
		lin(e, VF_ROLE_LINEAR, F, h, eb, nm(e, b, "%s.fc1", ln));
		lin(e, VF_ROLE_LINEAR, h, F, eb, nm(e, b, "%s.fc2", ln));
		if (aff)
			norm(e, h, true, nm(e, b, "%s.final_layer_norm", ln));
		if (bk) {
			bk->kv_heads = a->heads;
			bk->k_dim = bk->v_dim = a->head_dim;
			bk->q_dim = bk->o_in = (int64_t)h;
			bk->inter = (int64_t)F;
			/* OPT's eager softmax upcasts fp16 scores to fp32 */
			shape(bk, VF_NORM_LAYER, act_of(x->act, VF_ACT_RELU), 2, false, true);
		}
	}
	e->s->final_norm = VF_NORM_LAYER;
	if (final_ln && aff)
		norm(e, h, true, nm(e, b, "%sfinal_layer_norm", pre));
	if (proj != h)
		lin(e, VF_ROLE_LINEAR, proj, h, false, nm(e, b, "%sproject_out", pre));
	emit_head(e, hd, proj, V, 1, emb);
}

/* ---- the family table ---- */

struct fam {
	const char *type;
	enum vf_family family;
	const char *lm_class, *base_class;
	unsigned flags;
	int64_t max_pos; /* the config class's max_position_embeddings default */
};

enum {
	F_QKV_BIAS = 1u << 0,  /* q/k/v always have a bias (Qwen2) */
	F_ATTN_BIAS = 1u << 1, /* attention_bias adds q/k/v/o biases (Llama, Qwen3, Gemma) */
	F_MLP_BIAS = 1u << 2,  /* mlp_bias (Llama) */
	F_QK_NORM = 1u << 3,
	F_SANDWICH = 1u << 4,
	F_FUSED = 1u << 5,
	F_MLA = 1u << 6,
	F_ROT436 = 1u << 7, /* per-layer rotary caches in transformers 4.36 */
	F_TIE = 1u << 8,    /* tie_word_embeddings defaults to true */
	F_MIXTRAL = 1u << 9,
	F_QWEN_MOE = 1u << 10,
	F_QWEN_SHARED = 1u << 11,
	F_DS_MOE = 1u << 12,
	F_SW_ALL = 1u << 13,
	F_SW_QWEN = 1u << 14,
	F_SW_ALT = 1u << 15,
	F_SW_PATTERN = 1u << 16,
	F_TWO_ROT = 1u << 17,
};

static const struct fam fams[] = {
    {"llama", VF_FAM_LLAMA, "LlamaForCausalLM", "LlamaModel", F_ATTN_BIAS | F_MLP_BIAS | F_ROT436,
     2048},
    {"mistral", VF_FAM_LLAMA, "MistralForCausalLM", "MistralModel", F_ROT436 | F_SW_ALL, 131072},
    {"mixtral", VF_FAM_LLAMA, "MixtralForCausalLM", "MixtralModel", F_ROT436 | F_SW_ALL | F_MIXTRAL,
     131072},
    {"qwen2", VF_FAM_LLAMA, "Qwen2ForCausalLM", "Qwen2Model", F_QKV_BIAS | F_SW_QWEN, 32768},
    {"qwen2_moe", VF_FAM_LLAMA, "Qwen2MoeForCausalLM", "Qwen2MoeModel",
     F_QKV_BIAS | F_SW_QWEN | F_QWEN_MOE | F_QWEN_SHARED, 32768},
    {"qwen3", VF_FAM_LLAMA, "Qwen3ForCausalLM", "Qwen3Model", F_ATTN_BIAS | F_QK_NORM | F_SW_QWEN,
     32768},
    {"qwen3_moe", VF_FAM_LLAMA, "Qwen3MoeForCausalLM", "Qwen3MoeModel",
     F_ATTN_BIAS | F_QK_NORM | F_SW_QWEN | F_QWEN_MOE, 32768},
    {"gemma", VF_FAM_LLAMA, "GemmaForCausalLM", "GemmaModel", F_ATTN_BIAS | F_TIE, 8192},
    {"gemma2", VF_FAM_LLAMA, "Gemma2ForCausalLM", "Gemma2Model",
     F_ATTN_BIAS | F_TIE | F_SANDWICH | F_SW_ALT, 8192},
    {"gemma3_text", VF_FAM_LLAMA, "Gemma3ForCausalLM", "Gemma3TextModel",
     F_ATTN_BIAS | F_TIE | F_SANDWICH | F_QK_NORM | F_SW_PATTERN | F_TWO_ROT, 131072},
    {"phi3", VF_FAM_LLAMA, "Phi3ForCausalLM", "Phi3Model", F_FUSED | F_SW_ALL, 4096},
    {"deepseek_v2", VF_FAM_LLAMA, "DeepseekV2ForCausalLM", "DeepseekV2Model",
     F_ATTN_BIAS | F_MLA | F_DS_MOE, 2048},
    {"deepseek_v3", VF_FAM_LLAMA, "DeepseekV3ForCausalLM", "DeepseekV3Model",
     F_ATTN_BIAS | F_MLA | F_DS_MOE, 4096},
    {"gpt2", VF_FAM_GPT2, "GPT2LMHeadModel", "GPT2Model", 0, 1024},
    {"bert", VF_FAM_BERT, "BertModel", "BertModel", 0, 512},
    {"t5", VF_FAM_T5, "T5ForConditionalGeneration", "T5Model", 0, 512},
    {"mt5", VF_FAM_T5, "MT5ForConditionalGeneration", "MT5Model", 0, 512},
    {"falcon", VF_FAM_FALCON, "FalconForCausalLM", "FalconModel", 0, 2048},
    {"opt", VF_FAM_OPT, "OPTForCausalLM", "OPTModel", 0, 2048},
};

/* llama.cpp's architecture names (GGUF general.architecture) for the same
 * models (llama.cpp src/llama-arch.cpp LLM_ARCH_NAMES). */
static const char *const gguf_names[][2] = {
    {"qwen2moe", "qwen2_moe"}, {"qwen3moe", "qwen3_moe"}, {"deepseek2", "deepseek_v2"},
    {"gemma3", "gemma3_text"}, {"mixtral", "mixtral"},	  {NULL, NULL},
};

static const struct fam *find_fam(const char *type)
{
	for (size_t k = 0; gguf_names[k][0]; k++)
		if (strcmp(type, gguf_names[k][0]) == 0)
			type = gguf_names[k][1];
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++)
		if (strcmp(fams[i].type, type) == 0)
			return &fams[i];
	return NULL;
}

static struct lopt lopt_of(const struct fam *f, const struct vf_arch *a, const struct vf_archx *x)
{
	struct lopt o;
	bool ab = (f->flags & F_ATTN_BIAS) && x->attention_bias == 1;

	memset(&o, 0, sizeof(o));
	o.qkv_bias = (f->flags & F_QKV_BIAS) || ab;
	o.o_bias = ab;
	o.mlp_bias = (f->flags & F_MLP_BIAS) && x->mlp_bias == 1;
	o.qk_norm = f->flags & F_QK_NORM;
	o.sandwich = f->flags & F_SANDWICH;
	o.fused = f->flags & F_FUSED;
	o.mla = f->flags & F_MLA;
	o.rotary436 = f->flags & F_ROT436;
	o.qwen_shared = f->flags & F_QWEN_SHARED;
	o.two_rotary = f->flags & F_TWO_ROT;
	o.gemma = strncmp(f->type, "gemma", 5) == 0;
	o.moe = (f->flags & F_MIXTRAL)	  ? MOE_MIXTRAL
		: (f->flags & F_QWEN_MOE) ? MOE_QWEN
		: (f->flags & F_DS_MOE)	  ? MOE_DEEPSEEK
					  : MOE_NONE;
	o.sw = (f->flags & F_SW_ALL)	   ? SW_ALL
	       : (f->flags & F_SW_QWEN)	   ? SW_QWEN
	       : (f->flags & F_SW_ALT)	   ? SW_ALT
	       : (f->flags & F_SW_PATTERN) ? SW_PATTERN
					   : SW_NONE;
	o.tie = f->flags & F_TIE;
	o.max_pos = or_default(a->max_position_embeddings, f->max_pos);
	return o;
}

/* ---- totals ---- */

static enum vf_status totals(struct vf_synth *s, struct vf_err *err)
{
	uint64_t total = 0, routed = 0, emb = 0;

	for (size_t i = 0; i < s->ntensors; i++) {
		const struct vf_tensor *t = &s->tensors[i];
		int r = s->role[i] & 0x7f;
		if (r == VF_ROLE_BUFFER || r == VF_ROLE_NPBUFFER)
			continue;
		if (!vf_add_ok(total, t->count_params, &total) ||
		    (r == VF_ROLE_EXPERT && !vf_add_ok(routed, t->count_params, &routed)) ||
		    ((r == VF_ROLE_EMBED ||
		      (r == VF_ROLE_HEAD &&
		       t->numel == (uint64_t)s->vocab * (uint64_t)s->hidden)) &&
		     !vf_add_ok(emb, t->count_params, &emb)))
			return vf_fail(err, VF_EFORMAT, "",
				       "the parameter count overflows 64 bits");
	}
	s->params_total = total;
	s->params_embedding = emb;
	s->params_active = total;
	/* Routed experts: k of E per token (all experts of a layer have one size, so
	 * routed / E is exact).  The published Qwen3-30B-A3B and DeepSeek-V3 active
	 * counts include embeddings, head and every non-expert weight. */
	if (routed && s->num_experts > 0 && s->experts_per_tok > 0) {
		uint64_t per = routed / (uint64_t)s->num_experts, act;
		if (!vf_mul_ok(per, (uint64_t)s->experts_per_tok, &act))
			return vf_fail(err, VF_EFORMAT, "",
				       "the parameter count overflows 64 bits");
		s->params_active = total - routed + (act < routed ? act : routed);
	}
	return VF_OK;
}

static void dropouts(struct vf_synth *s, const struct vf_archx *x, double attn, double hidden)
{
	s->attn_dropout = x->attn_dropout >= 0 ? x->attn_dropout : attn;
	s->hidden_dropout = x->hidden_dropout >= 0 ? x->hidden_dropout : hidden;
	s->embd_dropout = x->embd_dropout >= 0 ? x->embd_dropout : s->hidden_dropout;
	if (s->family == VF_FAM_LLAMA || s->family == VF_FAM_UNKNOWN)
		s->hidden_dropout = s->embd_dropout = 0; /* no dropout modules on the residual */
}

static enum vf_dtype dtype_of(const char *torch_dtype)
{
	if (strcmp(torch_dtype, "bfloat16") == 0)
		return VF_DT_BF16;
	if (strcmp(torch_dtype, "float16") == 0 || strcmp(torch_dtype, "half") == 0)
		return VF_DT_F16;
	if (strcmp(torch_dtype, "float64") == 0)
		return VF_DT_F64;
	/* float32, absent, or "auto": transformers loads float32 unless told otherwise */
	return VF_DT_F32;
}

void vf_synth_release(struct vf_synth *s)
{
	struct priv *p = s->priv;

	if (p) {
		vf_arena_free(&p->arena);
		vf_free(p);
	}
	vf_free(s->tensors);
	vf_free(s->role);
	vf_free(s->tied);
	vf_free(s->blocks);
	memset(s, 0, sizeof(*s));
}

enum vf_status vf_synth_build(const struct vf_arch *a, const struct vf_archx *xin,
			      enum vf_engine engine, struct vf_synth *out, struct vf_err *err)
{
	struct vf_archx xdef;
	const struct vf_archx *x = xin;
	const char *type = a->model_type;
	const struct fam *f;
	struct em e = {out, a, NULL, engine, err, VF_OK};
	enum head hd;

	memset(out, 0, sizeof(*out));
	if (!x) {
		vf_archx_init(&xdef);
		x = &xdef;
	}
	e.x = x;
	if (!(out->priv = vf_calloc(1, sizeof(struct priv))))
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	if (!a->present)
		return vf_synth_release(out),
		       vf_fail(err, VF_EFORMAT, "", "no config.json to plan from");
	f = find_fam(type);
	/* A multimodal wrapper around a known language model: plan the language
	 * model, and say that the rest is not counted. */
	if (!f && a->text_model_type[0] && (f = find_fam(a->text_model_type)) != NULL) {
		out->approximate = true;
		snprintf(out->note, sizeof(out->note),
			 "%s: only the %s language model is counted (vision/audio towers are not "
			 "modelled)",
			 type, a->text_model_type);
		type = a->text_model_type;
	}
	snprintf(out->model_type, sizeof(out->model_type), "%s", f ? f->type : type);
	out->dtype = dtype_of(a->torch_dtype);
	out->hidden = a->hidden;
	out->vocab = a->vocab;
	out->heads = a->heads;
	out->head_dim = a->head_dim;
	out->num_experts = or_default(a->num_experts, 0);
	out->experts_per_tok = or_default(a->experts_per_tok, 0);
	out->max_positions = a->max_position_embeddings;
	if (f && x->has_vision && f->family == VF_FAM_LLAMA && !out->approximate) {
		out->approximate = true;
		snprintf(out->note, sizeof(out->note),
			 "%s: only the language model is counted (the vision tower is not "
			 "modelled)",
			 a->model_type);
	}
	if (!f) {
		/* No emitter: refused, never estimated as another family (an MPNet
		 * encoder is no Llama decoder with a KV cache).  With a checkpoint
		 * the weights stay exact (cli/run.c says the workload is not
		 * estimated); from a config alone there is nothing to say. */
		vf_synth_release(out);
		return vf_fail(err, VF_EFORMAT, "",
			       "model_type \"%s\" is not modelled by vramfit (it models %s): from "
			       "a checkpoint its weights are exact, from config.json alone nothing is",
			       a->model_type[0] ? a->model_type : "?", vf_synth_families);
	} else {
		out->family = f->family;
		switch (f->family) {
		case VF_FAM_LLAMA: {
			const char *bases[] = {f->base_class, NULL};
			struct lopt o = lopt_of(f, a, x);
			hd = head_of(&e, bases, f->lm_class);
			emit_llama(&e, &o, hd);
			break;
		}
		case VF_FAM_GPT2: {
			const char *bases[] = {"GPT2Model", NULL};
			hd = head_of(&e, bases, f->lm_class);
			emit_gpt2(&e, hd);
			break;
		}
		case VF_FAM_BERT: {
			const char *bases[] = {"BertModel", NULL};
			hd = head_of(&e, bases, f->lm_class);
			emit_bert(&e, hd);
			break;
		}
		case VF_FAM_T5: {
			const char *bases[] = {"T5Model", "MT5Model", NULL};
			hd = head_of(&e, bases, f->lm_class);
			emit_t5(&e, hd);
			break;
		}
		case VF_FAM_FALCON: {
			const char *bases[] = {"FalconModel", NULL};
			hd = head_of(&e, bases, f->lm_class);
			emit_falcon(&e, hd);
			break;
		}
		case VF_FAM_OPT: {
			const char *bases[] = {"OPTModel", NULL};
			hd = head_of(&e, bases, f->lm_class);
			emit_opt(&e, hd);
			break;
		}
		case VF_FAM_UNKNOWN:
			break;
		}
	}
	/* Dropout probabilities the config class defaults to (GPT2Config 0.1 everywhere,
	 * BertConfig 0.1, T5Config dropout_rate 0.1 for all, OPTConfig dropout 0.1 and
	 * attention_dropout 0, Llama-family and Falcon 0); they matter for training. */
	switch (out->family) {
	case VF_FAM_GPT2:
	case VF_FAM_BERT:
		dropouts(out, x, 0.1, 0.1);
		break;
	case VF_FAM_T5:
		dropouts(out, x, x->hidden_dropout >= 0 ? x->hidden_dropout : 0.1, 0.1);
		break;
	case VF_FAM_OPT:
		dropouts(out, x, 0, 0.1);
		break;
	default:
		dropouts(out, x, 0, 0);
		break;
	}
	if (!e.st)
		e.st = totals(out, err);
	if (e.st) {
		vf_synth_release(out);
		return e.st;
	}
	return VF_OK;
}
