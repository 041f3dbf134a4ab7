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
 * Invariant: a tensor with count_bytes 0 (a tied duplicate) adds nothing,
 * whatever its conversion.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/mem.h"
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

static bool has_number(const char *name)
{
	for (const char *p = name; *p; p++)
		if (*p == '.' && p[1] >= '0' && p[1] <= '9')
			return true;
	return false;
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

uint64_t vf_tensor_bytes_as(const struct vf_tensor *t, int role, const struct vf_wconv *c)
{
	int r = role < 0 ? -1 : role & 0x7f;
	bool matrix;

	if (!c || !plain_float(t->dtype))
		return t->nbytes; /* ints, bools, packed and ggml types keep their size */
	if (r == VF_ROLE_NPBUFFER && !(role & VF_ROLE_LOAD_DTYPE))
		return t->nbytes; /* made in an explicit dtype (rotary inv_freq is fp32) */
	matrix = r == VF_ROLE_LINEAR || r == VF_ROLE_EXPERT ||
		 (r < 0 && t->ndim >= 2 && has_number(t->name) && !strstr(t->name, "embed") &&
		  !strstr(t->name, "norm"));
	if (c->quant != VF_WQ_NONE) {
		if (matrix && t->ndim >= 2) {
			uint64_t cols = t->shape[t->ndim - 1];
			return quant_bytes(c, cols ? t->numel / cols : 0, cols);
		}
		return as_dtype(t, sixteen(t->dtype, c->dtype), false);
	}
	return as_dtype(t, c->dtype, c->upcast);
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

bool vf_tensor_is_quant_aux(const char *name)
{
	static const char *const sufs[] = {".qzeros",
					   ".scales",
					   ".g_idx",
					   ".weight_scale_inv",
					   ".weight_scale",
					   ".input_scale",
					   ".SCB",
					   ".weight_format",
					   ".absmax",
					   ".quant_map",
					   ".nested_absmax",
					   ".nested_quant_map",
					   ".weight_zero_point",
					   ".weight_shape",
					   ".weight_g_idx",
					   ".weight_scale_2",
					   NULL};

	if (strstr(name, ".quant_state."))
		return true; /* bitsandbytes: weight.quant_state.bitsandbytes__nf4 */
	for (const char *const *s = sufs; *s; s++)
		if (ends_with(name, *s))
			return true;
	return false;
}

uint64_t vf_tensor_params(const struct vf_tensor *t, const struct vf_arch *a)
{
	uint64_t p = t->count_params, bits = 4, out;

	if (!p || vf_tensor_is_quant_aux(t->name) || ends_with(t->name, "e_score_correction_bias"))
		return 0;
	if (a && a->quant_bits > 0 && a->quant_bits <= 32)
		bits = (uint64_t)a->quant_bits;
	/* GPTQ/AWQ qweight and compressed-tensors weight_packed: 32/bits values per
	 * int32 (formats.md, "Quantized checkpoints") */
	if ((ends_with(t->name, ".qweight") || ends_with(t->name, ".weight_packed")) &&
	    (t->dtype == VF_DT_I32 || t->dtype == VF_DT_U32))
		return vf_mul_ok(p, 32, &out) ? out / bits : p;
	/* bitsandbytes 4-bit: a U8 weight holds two values a byte */
	if (a && strcmp(a->quant_method, "bitsandbytes") == 0 && a->quant_bits == 4 &&
	    t->dtype == VF_DT_U8 && ends_with(t->name, ".weight"))
		return p * 2;
	return p;
}

/* ---- layers from a config ---- */

enum vf_status vf_layers_from_synth(const struct vf_synth *s, const struct vf_wconv *c,
				    struct vf_layers *out, struct vf_err *err)
{
	struct vf_model fake;
	enum vf_status st;
	bool any_tie = false;

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
		uint64_t b = vf_tensor_bytes_as(&s->tensors[i], s->role[i], c);
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

size_t vf_synth_compare(const struct vf_synth *s, const struct vf_model *m, char **msgs, size_t max)
{
	size_t n = 0, plen = prefix_len(s), missing = 0, extra = 0, reshaped = 0;
	const char *first_missing = NULL, *first_extra = NULL;
	long rs_c = -1, rs_s = -1;
	bool quantized = m->format == VF_FMT_GGUF || m->arch.quant_method[0];
	struct vf_strmap names = {0};
	char pref[128];

	if (!m->ntensors)
		return 0;
	for (size_t i = 0; i < m->ntensors && !quantized; i++)
		quantized =
		    vf_tensor_is_quant_aux(m->tensors[i].name) ||
		    (vf_dtype_is_float(m->tensors[i].dtype) && !plain_float(m->tensors[i].dtype));
	if (quantized) {
		/* Packed names and shapes differ from the model class; compare what
		 * they hold: logical parameters (buffers a checkpoint keeps count). */
		uint64_t ck = 0, sy = s->params_total;
		char a[32], b[32];
		for (size_t i = 0; i < m->ntensors; i++)
			ck += vf_tensor_params(&m->tensors[i], &m->arch);
		if (ck != sy) {
			snprintf(a, sizeof(a), "%llu", (unsigned long long)ck);
			snprintf(b, sizeof(b), "%llu", (unsigned long long)sy);
			say(msgs, max, &n,
			    "checkpoint and config.json disagree: the checkpoint holds %s "
			    "parameters, the config describes %s",
			    a, b);
		}
		return n;
	}
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
