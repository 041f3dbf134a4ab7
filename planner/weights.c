/*
 * weights.c - the bytes of weights: conversion to a dtype, quantization,
 * logical parameter counts of quantized checkpoints, layers from a config, and
 * the check of a checkpoint against its config.
 *
 * Conversion follows accelerate (utils/modeling.py, set_module_tensor_to_device
 * and the device_map dtype rules): floating tensors take the target dtype only
 * when it is not wider (no upcast unless asked), integer and bool tensors keep
 * their size.  Quantization follows what the loaders keep in memory
 * (memory-model.md, formats.md): bitsandbytes LLM.int8 an int8 matrix plus an
 * fp32 scale per row (Int8Params.SCB); bitsandbytes 4-bit two values a byte
 * plus an fp32 absmax per 64 values and a 16-entry code (QuantState), or with
 * double quantization a uint8 absmax, an fp32 absmax per 256 of those, a
 * 256-entry nested code and an offset; fp8 one byte a value plus an fp32
 * scale per 128x128 block.  What quantizers leave alone (embeddings, norms,
 * the head) is kept in 16 bits.
 *
 * What a checkpoint tensor's name says (bookkeeping, packed, routed expert,
 * block matrix) is read by vf_tensor_class(), once per tensor: struct
 * vf_ckpt keeps it with the sums that do not depend on the workload.
 *
 * Invariant: a tensor with count_bytes 0 (a tied duplicate) adds nothing,
 * whatever its conversion.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "common/par.h"
#include "common/strmap.h"
#include "planner/planner.h"

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* A plain (one element a block) floating type: the ones conversion applies to. */
static bool plain_float(enum vf_dtype dt)
{
	return vf_dtype_is_float(dt) && !vf_dtype_is_quantized(dt) &&
	       vf_dtype_block_elems(dt) == 1 && dt != VF_DT_C64;
}

/* Bytes of a rows x cols (out x in) matrix under conversion c. */
static uint64_t quant_bytes(const struct vf_wconv *c, uint64_t rows, uint64_t cols)
{
	uint64_t n = rows * cols, blocks = ceil_div(n, 64);
	uint64_t bits = c->bits ? c->bits : 4, g = c->group ? c->group : 128, groups;

	groups = ceil_div(cols, g);
	switch (c->quant) {
	case VF_WQ_GPTQ: /* qweight [in*b/32, out], qzeros [groups, out*b/32] int32,
			    scales [groups, out] fp16, g_idx [in] int32 (formats.md) */
		return ceil_div(n * bits, 8) + ceil_div(groups * rows * bits, 8) +
		       groups * rows * 2 + cols * 4;
	case VF_WQ_AWQ: /* qweight [in, out*b/32], qzeros, scales; no g_idx */
		return ceil_div(n * bits, 8) + ceil_div(groups * rows * bits, 8) +
		       groups * rows * 2;
	case VF_WQ_INT8:
		return n + rows * 4;
	case VF_WQ_INT4:
		return ceil_div(n, 2) + blocks * 4 + 16 * 4;
	case VF_WQ_NF4DQ:
		return ceil_div(n, 2) + blocks + ceil_div(blocks, 256) * 4 + 256 * 4 + 16 * 4 + 4;
	case VF_WQ_FP8:
		return n + ceil_div(rows, 128) * ceil_div(cols, 128) * 4;
	case VF_WQ_NONE:
		break;
	}
	return n * 2;
}

static enum vf_dtype sixteen(enum vf_dtype stored, enum vf_dtype want)
{
	if (want == VF_DT_F16 || want == VF_DT_BF16)
		return want;
	if (stored == VF_DT_F16 || stored == VF_DT_BF16)
		return stored;
	return VF_DT_F16; /* bitsandbytes' default compute dtype when none is given */
}

static uint64_t as_dtype(const struct vf_tensor *t, enum vf_dtype to, bool upcast)
{
	uint64_t out;

	if (to == VF_DT_UNKNOWN || !plain_float(to) || to == t->dtype)
		return t->nbytes;
	if (vf_dtype_bits(to) > vf_dtype_bits(t->dtype) && !upcast)
		return t->nbytes;
	if (!vf_dtype_nbytes(to, t->numel, &out))
		return t->nbytes;
	return out;
}

/* c keeps every tensor as stored (no conversion c at all, too): the common
 * case, tested once before loops over ~100k tensors. */
static bool as_stored(const struct vf_wconv *c)
{
	return !c || (c->quant == VF_WQ_NONE && c->dtype == VF_DT_UNKNOWN);
}

/* vf_tensor_bytes_as(); cls: t's vf_tensor_class(), or -1 to read it when needed. */
static uint64_t bytes_as(const struct vf_tensor *t, int role, int cls, const struct vf_wconv *c)
{
	int r = role < 0 ? -1 : role & 0x7f;
	bool matrix;

	if (as_stored(c))
		return t->nbytes;
	if (!plain_float(t->dtype))
		return t->nbytes; /* ints, bools, packed and ggml types keep their size */
	if (r == VF_ROLE_NPBUFFER && !(role & VF_ROLE_LOAD_DTYPE))
		return t->nbytes; /* made in an explicit dtype (rotary inv_freq is fp32) */
	if (c->quant != VF_WQ_NONE) {
		matrix = r == VF_ROLE_LINEAR || r == VF_ROLE_EXPERT ||
			 (r < 0 && t->ndim >= 2 &&
			  ((cls < 0 ? vf_tensor_class(t->name) : (unsigned)cls) & VF_TC_MATRIX));
		if (matrix && t->ndim >= 2) {
			uint64_t cols = t->shape[t->ndim - 1];
			return quant_bytes(c, cols ? t->numel / cols : 0, cols);
		}
		return as_dtype(t, sixteen(t->dtype, c->dtype), false);
	}
	return as_dtype(t, c->dtype, c->upcast);
}

uint64_t vf_tensor_bytes_as(const struct vf_tensor *t, int role, const struct vf_wconv *c)
{
	return bytes_as(t, role, -1, c);
}

uint64_t vf_tensor_bytes_cls(const struct vf_tensor *t, unsigned cls, const struct vf_wconv *c)
{
	return bytes_as(t, -1, (int)cls, c);
}

bool vf_wconv_from_config(const struct vf_arch *a, const struct vf_archx *x, struct vf_wconv *out)
{
	const char *m = a->quant_method;

	memset(out, 0, sizeof(*out));
	out->dtype = VF_DT_UNKNOWN;
	out->bits = a->quant_bits > 0 ? (unsigned)a->quant_bits : 4;
	out->group = a->quant_group_size > 0 ? (uint64_t)a->quant_group_size : 128;
	if (a->quant_group_size < 0 && a->quant_group_size != VF_UNSET)
		out->group = UINT64_C(1) << 40; /* -1: one group over every input */
	if (strcmp(m, "gptq") == 0)
		out->quant = VF_WQ_GPTQ;
	else if (strcmp(m, "awq") == 0)
		out->quant = VF_WQ_AWQ;
	else if (strcmp(m, "bitsandbytes") == 0 && a->quant_bits == 8)
		out->quant = VF_WQ_INT8;
	else if (strcmp(m, "bitsandbytes") == 0 && a->quant_bits == 4)
		out->quant = x && x->bnb_double_quant ? VF_WQ_NF4DQ : VF_WQ_INT4;
	else if (strcmp(m, "fp8") == 0)
		out->quant = VF_WQ_FP8;
	return out->quant != VF_WQ_NONE;
}

/* ---- what a tensor's name says ---- */

/*
 * Every test the memory model makes on a name ("ends with .scales", "holds
 * .experts.", "a dot then a digit") lies within one dot-separated component
 * or at its edges.  So a name is read component by component, and what a
 * component holds, wherever it stands, is one set of these bits:
 */
enum {
	F_DIGIT = 1 << 0,    /* starts with a digit */
	F_EMBED = 1 << 1,    /* holds "embed" */
	F_NORM = 1 << 2,     /* holds "norm" */
	F_SHARED = 1 << 3,   /* holds "shared_expert" */
	F_EXPERTS = 1 << 4,  /* is "experts" */
	F_QSTATE = 1 << 5,   /* is "quant_state" */
	F_EXPS = 1 << 6,     /* ends in "_exps" */
	F_ESCORE = 1 << 7,   /* ends in "e_score_correction_bias" */
	F_WEIGHT = 1 << 8,   /* is "weight" */
	F_PACKED = 1 << 9,   /* is "qweight" or "weight_packed" */
	F_AUX = 1 << 10,     /* is a quantizer's bookkeeping name */
	F_POSITION = F_DIGIT /* ...and these count only after the first component */
		     | F_EXPERTS | F_QSTATE,
};

/* What component s[0..n) holds.  Read once per distinct word (see struct
 * name_reader), so plainly. */
static unsigned component(const char *s, size_t n)
{
	/* bookkeeping of GPTQ/AWQ, fp8, bitsandbytes, compressed-tensors, ModelOpt */
	static const char *const aux[] = {"qzeros",
					  "scales",
					  "g_idx",
					  "weight_scale_inv",
					  "weight_scale",
					  "input_scale",
					  "SCB",
					  "weight_format",
					  "absmax",
					  "quant_map",
					  "nested_absmax",
					  "nested_quant_map",
					  "weight_zero_point",
					  "weight_shape",
					  "weight_g_idx",
					  "weight_scale_2"};
	unsigned f = 0;
	size_t i;

	if (n && s[0] >= '0' && s[0] <= '9') {
		for (i = 1; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == n)
			return F_DIGIT; /* a block or expert number */
		f |= F_DIGIT;
	}
	for (i = 0; i + 4 <= n; i++) {
		if (s[i] == 'n' && memcmp(s + i, "norm", 4) == 0)
			f |= F_NORM;
		else if (s[i] == 'e' && i + 5 <= n && memcmp(s + i, "embed", 5) == 0)
			f |= F_EMBED;
		else if (s[i] == 's' && i + 13 <= n && memcmp(s + i, "shared_expert", 13) == 0)
			f |= F_SHARED;
	}
	if (n == 7 && memcmp(s, "experts", 7) == 0)
		f |= F_EXPERTS;
	if (n == 11 && memcmp(s, "quant_state", 11) == 0)
		f |= F_QSTATE;
	if (n >= 5 && memcmp(s + n - 5, "_exps", 5) == 0)
		f |= F_EXPS;
	if (n >= 23 && memcmp(s + n - 23, "e_score_correction_bias", 23) == 0)
		f |= F_ESCORE;
	if (n == 6 && memcmp(s, "weight", 6) == 0)
		f |= F_WEIGHT;
	if ((n == 7 && memcmp(s, "qweight", 7) == 0) ||
	    (n == 13 && memcmp(s, "weight_packed", 13) == 0))
		f |= F_PACKED;
	for (i = 0; i < sizeof(aux) / sizeof(aux[0]); i++)
		if (strlen(aux[i]) == n && memcmp(s, aux[i], n) == 0)
			f |= F_AUX;
	return f;
}

#define READER_DOTS 32
#define READER_MEMO 64 /* a power of two */
#define REST_DOTS 8

/* What the rest of a name, after the components it shares with the name
 * before it, holds. */
struct rest {
	const char *s; /* borrowed from a name */
	size_t n;
	unsigned f;		  /* F_ bits of its components but the last */
	unsigned last;		  /* F_ bits of its last component */
	size_t ndots;		  /* REST_DOTS + 1: more than it remembers */
	size_t dot[REST_DOTS];	  /* where its dots are */
	unsigned held[REST_DOTS]; /* F_ bits of its components before each */
	unsigned after, cls;	  /* its class after components holding after (-1: none) */
};

/*
 * Reads names one after another.  Checkpoints list tensors sorted or module
 * by module, so a name mostly repeats the leading components of the one
 * before it ("model.layers.3.mlp.experts.106." + "down_proj.weight"): what
 * those hold is carried over.  The rest, past block and expert numbers, is
 * one of a few strings ("down_proj.weight", "up_proj.weight_scale_inv"),
 * remembered in a small cache.  Names are borrowed: they must outlive the
 * reader.
 */
struct name_reader {
	const char *prev;
	size_t prev_len;
	size_t ndots;		    /* dots of prev remembered */
	size_t dot[READER_DOTS];    /* where prev's k-th dot is */
	unsigned held[READER_DOTS]; /* F_ bits of prev's components before it */
	struct rest memo[READER_MEMO];
};

/* Length of the common prefix of a and b, n bytes at most (both hold n). */
static size_t common_prefix(const char *a, const char *b, size_t n)
{
	size_t i = 0;
	uint64_t x, y;

	for (; i + 8 <= n; i += 8) { /* eight bytes a step */
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return i + (size_t)__builtin_ctzll(x ^ y) / 8; /* the first that differs */
#else
			break;
#endif
		}
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Whether a and b, n bytes each, are equal.  The rests compared here are
 * mostly 8 to 16 bytes ("down_proj.weight"): two 8-byte loads cover them. */
static bool same_bytes(const char *a, const char *b, size_t n)
{
	uint64_t x, y, u, v;

	if (n < 8 || n > 16)
		return memcmp(a, b, n) == 0;
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	memcpy(&u, a + n - 8, 8);
	memcpy(&v, b + n - 8, 8);
	return x == y && u == v;
}

/* Reads s[0..n), the rest of a name; whole: the whole name. */
static void read_rest(struct rest *e, const char *s, size_t n, bool whole)
{
	const char *p = s, *end = s + n, *dot;
	unsigned c;

	e->s = s;
	e->n = n;
	e->f = 0;
	e->ndots = 0;
	e->after = UINT_MAX;
	for (; (dot = memchr(p, '.', (size_t)(end - p))) != NULL; p = dot + 1) {
		c = component(p, (size_t)(dot - p));
		e->f |= whole && p == s ? c & ~F_POSITION : c;
		if (e->ndots < REST_DOTS) {
			e->dot[e->ndots] = (size_t)(dot - s);
			e->held[e->ndots] = e->f;
		}
		e->ndots += e->ndots <= REST_DOTS;
	}
	e->last = component(p, (size_t)(end - p));
}

/* Remembers that name's k-th dot is at dot, with F_ bits f before it. */
static void held(struct name_reader *r, size_t k, size_t dot, unsigned f)
{
	if (k < READER_DOTS) {
		r->dot[k] = dot;
		r->held[k] = f;
	}
}

/* The class of a name whose components before the last hold f, the last c;
 * dotted: there is a dot before the last. */
static unsigned class_of(unsigned f, unsigned c, bool dotted)
{
	unsigned cls = 0;

	f |= (dotted ? c & F_DIGIT : 0) | (c & (F_EMBED | F_NORM | F_SHARED));
	/* DeepSeek's routing bias: a buffer kept as a parameter */
	if (c & F_ESCORE)
		cls |= VF_TC_ROUTER_BIAS;
	if (dotted && (c & F_WEIGHT))
		cls |= VF_TC_WEIGHT;
	if (dotted && (c & F_PACKED))
		cls |= VF_TC_PACKED;
	if ((dotted && (c & F_AUX)) || (f & F_QSTATE))
		cls |= VF_TC_AUX; /* bitsandbytes: weight.quant_state.bitsandbytes__nf4 */
	if (!(f & F_SHARED) && (f & (F_EXPERTS | F_EXPS)))
		cls |= VF_TC_ROUTED; /* GGUF: blk.N.ffn_gate_exps.weight */
	if ((f & F_DIGIT) && !(f & (F_EMBED | F_NORM)))
		cls |= VF_TC_MATRIX;
	return cls;
}

static unsigned read_name(struct name_reader *r, const char *name)
{
	size_t len = strlen(name), k = 0;
	unsigned f = 0;
	const char *s = name, *end = name + len;
	struct rest whole, *e = &whole;

	if (r->prev) { /* resume after the deepest dot name shares with prev */
		size_t same = common_prefix(name, r->prev, len < r->prev_len ? len : r->prev_len);
		for (k = r->ndots; k > 0 && r->dot[k - 1] >= same; k--)
			;
		if (k) {
			s = name + r->dot[k - 1] + 1;
			f = r->held[k - 1];
		}
	}
	if (k) {
		const char *p;
		size_t h;
		for (;; s = p + 1) { /* numbers: "106." */
			for (p = s; p < end && *p >= '0' && *p <= '9'; p++)
				;
			if (p == s || p == end || *p != '.')
				break;
			f |= F_DIGIT;
			held(r, k++, (size_t)(p - name), f);
		}
		h = ((size_t)(end - s) * 7 + (unsigned char)s[0] * 3 + (unsigned char)end[-1]) &
		    (READER_MEMO - 1);
		e = &r->memo[h];
		if (!e->s || e->n != (size_t)(end - s) || !same_bytes(e->s, s, e->n))
			read_rest(e, s, (size_t)(end - s), false);
	} else {
		read_rest(e, s, len, true);
	}
	for (size_t i = 0; i < e->ndots && i < REST_DOTS; i++)
		held(r, k++, (size_t)(s - name) + e->dot[i], f | e->held[i]);
	r->prev = name;
	r->prev_len = len;
	r->ndots = k < READER_DOTS ? k : READER_DOTS;
	if (e->ndots > REST_DOTS) /* dots the rest did not remember: only count them */
		for (const char *p = s + e->dot[REST_DOTS - 1] + 1; p < end; p++)
			k += *p == '.';
	if (e == &whole)
		return class_of(f | e->f, e->last, k > 0);
	if (e->after != f) { /* k > 0 here */
		e->after = f;
		e->cls = class_of(f | e->f, e->last, true);
	}
	return e->cls;
}

unsigned vf_tensor_class(const char *name)
{
	struct rest e;

	read_rest(&e, name, strlen(name), true);
	return class_of(e.f, e.last, e.ndots > 0);
}

bool vf_tensor_is_quant_aux(const char *name)
{
	return vf_tensor_class(name) & VF_TC_AUX;
}

/* vf_tensor_params() of t, whose class is cls. */
static inline uint64_t params_of(const struct vf_tensor *t, unsigned cls, const struct vf_arch *a)
{
	uint64_t p = t->count_params, bits = 4, out;

	if (!p || (cls & (VF_TC_AUX | VF_TC_ROUTER_BIAS)))
		return 0;
	/* GPTQ/AWQ qweight and compressed-tensors weight_packed: 32/bits values per
	 * int32 (formats.md, "Quantized checkpoints") */
	if ((cls & VF_TC_PACKED) && (t->dtype == VF_DT_I32 || t->dtype == VF_DT_U32)) {
		if (a && a->quant_bits > 0 && a->quant_bits <= 32)
			bits = (uint64_t)a->quant_bits;
		return vf_mul_ok(p, 32, &out) ? out / bits : p;
	}
	/* bitsandbytes 4-bit: a U8 weight holds two values a byte */
	if (t->dtype == VF_DT_U8 && (cls & VF_TC_WEIGHT) && a &&
	    strcmp(a->quant_method, "bitsandbytes") == 0 && a->quant_bits == 4)
		return p * 2;
	return p;
}

uint64_t vf_tensor_params(const struct vf_tensor *t, const struct vf_arch *a)
{
	return params_of(t, vf_tensor_class(t->name), a);
}

/* ---- a checkpoint's tensors, read once ---- */

static void add_wrapping(uint64_t *sum, uint64_t v, bool *wrapped)
{
	*wrapped |= !vf_add_ok(*sum, v, sum);
}

/* The sums of tensors [from, to), for one thread. */
struct ckpt_part {
	const struct vf_model *m;
	uint8_t *cls;
	size_t from, to;
	struct name_reader *r;
	struct vf_ckpt sums; /* the sums and flags only */
	uint64_t by[VF_DT_COUNT];
	bool seen[VF_DT_COUNT];
};

static void ckpt_part(void *arg)
{
	struct ckpt_part *p = arg;
	struct vf_ckpt *ck = &p->sums;

	for (size_t i = p->from; i < p->to; i++) {
		const struct vf_tensor *t = &p->m->tensors[i];
		unsigned c = read_name(p->r, t->name);
		uint64_t n = params_of(t, c, &p->m->arch);
		p->cls[i] = (uint8_t)c;
		add_wrapping(&ck->params, n, &ck->params_wrapped);
		if (c & VF_TC_ROUTED)
			add_wrapping(&ck->routed, n, &ck->params_wrapped);
		ck->quantized |= (c & VF_TC_AUX) != 0;
		if (t->count_bytes) {
			add_wrapping(&ck->stored, t->count_bytes, &ck->bytes_wrapped);
			add_wrapping(&ck->as_stored, t->nbytes, &ck->bytes_wrapped);
			add_wrapping(&ck->as_stored_round, vf_alloc_round(t->nbytes) - t->nbytes,
				     &ck->bytes_wrapped);
		}
		p->by[t->dtype] += t->count_bytes;
		p->seen[t->dtype] = true;
	}
}

/*
 * One pass over the names, in two halves on two threads for a big table
 * (DeepSeek-V3's 92k names cost ~5 ms): sums modulo 2^64 add up the same
 * either way, and the wrap flags are or-ed with the carry of the merge.  It
 * allocates nothing on the second thread.
 */
enum vf_status vf_ckpt_init(struct vf_ckpt *ck, const struct vf_model *m, struct vf_err *err)
{
	struct ckpt_part part[2];
	size_t n = m->ntensors, half = n >= 16384 ? n / 2 : n;
	int best = 0;

	memset(ck, 0, sizeof(*ck));
	memset(part, 0, sizeof(part));
	ck->m = m;
	ck->cls = vf_malloc(n ? n : 1);
	part[0].r = vf_calloc(1, sizeof(*part[0].r));
	part[1].r = vf_calloc(1, sizeof(*part[1].r));
	if (!ck->cls || !part[0].r || !part[1].r) {
		vf_free(part[0].r);
		vf_free(part[1].r);
		vf_ckpt_release(ck);
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	}
	for (int k = 0; k < 2; k++) {
		part[k].m = m;
		part[k].cls = ck->cls;
		part[k].from = k ? half : 0;
		part[k].to = k ? n : half;
	}
	if (half < n) {
		vf_par2(ckpt_part, &part[0], ckpt_part, &part[1]);
	} else {
		ckpt_part(&part[0]);
		ckpt_part(&part[1]); /* empty */
	}
	vf_free(part[0].r);
	vf_free(part[1].r);
	*ck = part[0].sums;
	ck->m = m;
	ck->cls = part[0].cls;
	add_wrapping(&ck->params, part[1].sums.params, &ck->params_wrapped);
	add_wrapping(&ck->routed, part[1].sums.routed, &ck->params_wrapped);
	ck->params_wrapped |= part[1].sums.params_wrapped;
	add_wrapping(&ck->stored, part[1].sums.stored, &ck->bytes_wrapped);
	add_wrapping(&ck->as_stored, part[1].sums.as_stored, &ck->bytes_wrapped);
	add_wrapping(&ck->as_stored_round, part[1].sums.as_stored_round, &ck->bytes_wrapped);
	ck->bytes_wrapped |= part[1].sums.bytes_wrapped;
	ck->quantized = part[0].sums.quantized || part[1].sums.quantized ||
			m->format == VF_FMT_GGUF || m->arch.quant_method[0];
	for (int d = 1; d < VF_DT_COUNT; d++) {
		uint64_t by = part[0].by[d] + part[1].by[d],
			 top = part[0].by[best] + part[1].by[best];
		/* packed floats (fp4, ggml blocks) are quantized too */
		if ((part[0].seen[d] || part[1].seen[d]) && vf_dtype_is_float((enum vf_dtype)d) &&
		    !plain_float((enum vf_dtype)d))
			ck->quantized = true;
		if (vf_dtype_is_float((enum vf_dtype)d) && by > top)
			best = d;
	}
	ck->dominant = (enum vf_dtype)best;
	return VF_OK;
}

void vf_ckpt_release(struct vf_ckpt *ck)
{
	vf_free(ck->cls);
	memset(ck, 0, sizeof(*ck));
}

void vf_layers_weigh(struct vf_layers *ly, const struct vf_ckpt *ck, const struct vf_wconv *c)
{
	const struct vf_model *m = ck->m;
	bool keep = as_stored(c);

	for (size_t i = 0; i < ly->n; i++)
		ly->v[i].params = ly->v[i].bytes = 0;
	for (size_t i = 0; i < m->ntensors; i++) {
		const struct vf_tensor *t = &m->tensors[i];
		struct vf_layer *l = &ly->v[ly->of_tensor[i]];
		l->params += params_of(t, ck->cls[i], &m->arch);
		if (t->count_bytes)
			l->bytes += keep ? t->nbytes : bytes_as(t, -1, ck->cls[i], c);
	}
}

/* ---- layers from a config ---- */

/* A module that holds only non-persistent buffers (the model-level
 * rotary_emb): whether a transformers version has it differs (Phi-3 and
 * Gemma-2 gained it after 4.46, 4.36 has none), and a device_map needs no key
 * for it (its buffers are made on the CPU and moved where they are used).  So
 * it is never a key: its buffer bytes go to the layer before it (the
 * embedding), or after it. */
static bool buffer_module(const struct vf_layer *l)
{
	const char *dot = strrchr(l->name, '.');
	const char *last = dot ? dot + 1 : l->name;

	return l->ntensors == 0 && l->bytes == 0 && l->buffer_bytes &&
	       strncmp(last, "rotary_emb", 10) == 0;
}

static void fold_buffer_modules(struct vf_layers *ly, size_t ntensors)
{
	size_t k = 0;
	uint32_t *to;

	if (ly->n < 2 || !(to = vf_malloc(ly->n * sizeof(*to))))
		return;
	for (size_t i = 0; i < ly->n; i++) {
		if (buffer_module(&ly->v[i]) && (k > 0 || i + 1 < ly->n)) {
			/* into the kept layer before it, else the next one kept */
			if (k > 0) {
				ly->v[k - 1].buffer_bytes += ly->v[i].buffer_bytes;
				to[i] = (uint32_t)(k - 1);
			} else {
				ly->v[i + 1].buffer_bytes += ly->v[i].buffer_bytes;
				to[i] = (uint32_t)k;
			}
			vf_free(ly->v[i].name);
			continue;
		}
		to[i] = (uint32_t)k;
		ly->v[k++] = ly->v[i];
	}
	ly->n = k;
	for (size_t i = 0; i < ntensors; i++)
		ly->of_tensor[i] = to[ly->of_tensor[i]];
	vf_free(to);
}

enum vf_status vf_layers_from_synth(const struct vf_synth *s, const struct vf_wconv *c,
				    struct vf_layers *out, struct vf_err *err)
{
	struct vf_model fake;
	enum vf_status st;
	bool any_tie = false, keep = as_stored(c);

	memset(out, 0, sizeof(*out));
	if (s->approximate)
		return vf_fail(err, VF_EFORMAT, "", "no exact module names: %s", s->note);
	memset(&fake, 0, sizeof(fake));
	fake.tensors = s->tensors;
	fake.ntensors = s->ntensors;
	/* The emitters write execution order; keep it. */
	if ((st = vf_layers_group(&fake, true, out, err)))
		return st;
	for (size_t i = 0; i < out->n; i++)
		out->v[i].bytes = 0;
	for (size_t i = 0; i < s->ntensors; i++) {
		struct vf_layer *l = &out->v[out->of_tensor[i]];
		uint64_t b =
		    keep ? s->tensors[i].nbytes : bytes_as(&s->tensors[i], s->role[i], -1, c);
		if ((s->role[i] & 0x7f) == VF_ROLE_NPBUFFER) {
			l->ntensors--;
			if (!vf_add_ok(l->buffer_bytes, b, &l->buffer_bytes))
				st = VF_EFORMAT;
		} else if (s->tensors[i].count_bytes && !vf_add_ok(l->bytes, b, &l->bytes)) {
			st = VF_EFORMAT;
		}
		any_tie |= s->tied[i] >= 0;
	}
	if (st) {
		vf_layers_release(out);
		return vf_fail(err, VF_EFORMAT, "", "layer sizes overflow 64 bits");
	}
	fold_buffer_modules(out, s->ntensors);
	if (any_tie) {
		if (!(out->tied_to = vf_malloc(out->n * sizeof(*out->tied_to)))) {
			vf_layers_release(out);
			return vf_fail(err, VF_ENOMEM, "", "out of memory");
		}
		for (size_t i = 0; i < out->n; i++)
			out->tied_to[i] = -1;
		for (size_t i = 0; i < s->ntensors; i++) {
			long a, b;
			if (s->tied[i] < 0)
				continue;
			a = (long)out->of_tensor[i];
			b = (long)out->of_tensor[s->tied[i]];
			if (a == b)
				continue;
			if (a < b) {
				long t = a;
				a = b;
				b = t;
			}
			if (out->tied_to[a] < 0)
				out->tied_to[a] = b;
		}
	}
	out->largest = 0;
	for (size_t i = 1; i < out->n; i++)
		if (out->v[i].bytes + out->v[i].buffer_bytes >
		    out->v[out->largest].bytes + out->v[out->largest].buffer_bytes)
			out->largest = i;
	return VF_OK;
}

enum vf_status vf_layers_from_arch(const struct vf_arch *a, const struct vf_archx *x,
				   enum vf_dtype dt, struct vf_layers *out, struct vf_err *err)
{
	struct vf_synth s;
	struct vf_wconv c = {dt, false, VF_WQ_NONE, 0, 0};
	enum vf_status st;

	memset(out, 0, sizeof(*out));
	if ((st = vf_synth_build(a, x, VF_ENGINE_HF, &s, err)))
		return st;
	st = vf_layers_from_synth(&s, &c, out, err);
	vf_synth_release(&s);
	return st;
}

/* ---- a checkpoint against its config ---- */

/* Buffers that old checkpoints saved and current classes rebuild. */
static bool harmless_extra(const char *name)
{
	return ends_with(name, "rotary_emb.inv_freq") || ends_with(name, ".attn.bias") ||
	       ends_with(name, ".attn.masked_bias") || ends_with(name, ".position_ids");
}

/* The model class's prefix before the base model ("model.", "transformer."). */
static size_t prefix_len(const struct vf_synth *s)
{
	const char *dot;

	if (!s->ntensors || s->family == VF_FAM_T5)
		return 0;
	dot = strchr(s->tensors[0].name, '.');
	return dot ? (size_t)(dot - s->tensors[0].name) + 1 : 0;
}

/* A checkpoint tensor named like the synthesized one, with or without the
 * class prefix (base-model checkpoints such as gpt2's drop "transformer."). */
static long find_in_model(const struct vf_model *m, const char *name, size_t plen)
{
	long i = vf_model_find(m, name);

	if (i < 0 && plen && strlen(name) > plen)
		i = vf_model_find(m, name + plen);
	return i;
}

static void say(char **msgs, size_t max, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void say(char **msgs, size_t max, size_t *n, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (*n >= max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((msgs[*n] = vf_strdup(buf)) != NULL)
		(*n)++;
}

static void shape_str(const struct vf_tensor *t, char *buf, size_t cap)
{
	size_t o = 0;

	o += (size_t)snprintf(buf, cap, "[");
	for (uint32_t d = 0; d < t->ndim && o < cap; d++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%llu", d ? ", " : "",
				      (unsigned long long)t->shape[d]);
	if (o < cap)
		snprintf(buf + o, cap - o, "]");
}

size_t vf_synth_compare(const struct vf_synth *s, const struct vf_ckpt *ck, char **msgs, size_t max)
{
	const struct vf_model *m = ck->m;
	size_t n = 0, plen = prefix_len(s), missing = 0, extra = 0, reshaped = 0;
	const char *first_missing = NULL, *first_extra = NULL;
	long rs_c = -1, rs_s = -1;
	struct vf_strmap names = {0};
	char pref[128];

	if (!m->ntensors)
		return 0;
	if (ck->quantized) {
		/* Packed names and shapes differ from the model class; compare what
		 * they hold: logical parameters (buffers a checkpoint keeps count). */
		uint64_t p = ck->params, sy = s->params_total;
		char a[32], b[32];
		if (p != sy) {
			snprintf(a, sizeof(a), "%llu", (unsigned long long)p);
			snprintf(b, sizeof(b), "%llu", (unsigned long long)sy);
			say(msgs, max, &n,
			    "checkpoint and config.json disagree: the checkpoint holds %s "
			    "parameters, the config describes %s",
			    a, b);
		}
		return n;
	}
	vf_strmap_reserve(&names, s->ntensors); /* else the puts grow it */
	for (size_t i = 0; i < s->ntensors; i++) {
		const struct vf_tensor *t = &s->tensors[i];
		long j;
		if ((s->role[i] & 0x7f) == VF_ROLE_NPBUFFER)
			continue;
		if (vf_strmap_put(&names, t->name, (uint32_t)i, NULL) < 0)
			break; /* out of memory: compare what we have */
		j = find_in_model(m, t->name, plen);
		if (j < 0) {
			if (s->tied[i] >= 0)
				continue; /* a tied copy is usually not saved */
			if (!missing++)
				first_missing = t->name;
			continue;
		}
		if (m->tensors[j].ndim != t->ndim ||
		    memcmp(m->tensors[j].shape, t->shape, t->ndim * sizeof(*t->shape)) != 0) {
			if (!reshaped++) {
				rs_c = j;
				rs_s = (long)i;
			}
		}
	}
	snprintf(pref, sizeof(pref), "%.*s", (int)(plen < sizeof(pref) ? plen : 0),
		 s->ntensors ? s->tensors[0].name : "");
	for (size_t i = 0; i < m->ntensors; i++) {
		const char *nmx = m->tensors[i].name;
		char full[600];
		uint32_t v;
		if (vf_strmap_get(&names, nmx, &v) || harmless_extra(nmx))
			continue;
		snprintf(full, sizeof(full), "%s%s", pref, nmx);
		if (plen && vf_strmap_get(&names, full, &v))
			continue;
		if (!extra++)
			first_extra = nmx;
	}
	if (missing)
		say(msgs, max, &n,
		    "checkpoint and config.json disagree: %zu tensor%s of %s %s missing from the "
		    "checkpoint (first: %s)",
		    missing, missing == 1 ? "" : "s", s->class_name, missing == 1 ? "is" : "are",
		    first_missing);
	if (extra)
		say(msgs, max, &n,
		    "checkpoint and config.json disagree: %zu checkpoint tensor%s not part of %s "
		    "(first: %s)",
		    extra, extra == 1 ? " is" : "s are", s->class_name, first_extra);
	if (reshaped) {
		char a[96], b[96];
		shape_str(&m->tensors[rs_c], a, sizeof(a));
		shape_str(&s->tensors[rs_s], b, sizeof(b));
		say(msgs, max, &n,
		    "checkpoint and config.json disagree: %zu tensor%s another shape (first: %s is "
		    "%s in the checkpoint, %s by the config)",
		    reshaped, reshaped == 1 ? " has" : "s have", s->tensors[rs_s].name, a, b);
	}
	vf_strmap_free(&names);
	return n;
}
