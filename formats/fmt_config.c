/*
 * fmt_config.c - config.json -> struct vf_arch.
 *
 * Families spell the same fact differently (num_hidden_layers / n_layer /
 * num_layers, hidden_size / n_embd / d_model, ...), so the reader is a table of
 * aliases, tried in order.  Multimodal configs nest the language model under
 * "text_config": its keys win, and the top level fills the gaps.  A key that is
 * absent or null leaves the field VF_UNSET; a key of the wrong type or sign is
 * an error, because a silently ignored field would become a wrong estimate.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"

#define CONFIG_MAX_BYTES (16u << 20)
#define INT_MAX_VALUE (INT64_C(1) << 40) /* no real dimension comes near */

#define F(field) offsetof(struct vf_arch, field)

static const struct {
	size_t off;
	const char *keys[6];
} int_fields[] = {
    {F(num_layers), {"num_hidden_layers", "n_layer", "num_layers", "n_layers"}},
    {F(hidden), {"hidden_size", "n_embd", "d_model", "dim"}},
    {F(heads), {"num_attention_heads", "n_head", "num_heads", "n_heads"}},
    {F(kv_heads), {"num_key_value_heads", "num_kv_heads", "n_head_kv", "multi_query_group_num"}},
    {F(head_dim), {"head_dim", "d_kv", "kv_channels"}},
    {F(intermediate), {"intermediate_size", "n_inner", "ffn_dim", "d_ff", "ffn_hidden_size"}},
    {F(vocab), {"vocab_size", "padded_vocab_size"}},
    {F(max_position_embeddings),
     {"max_position_embeddings", "n_positions", "n_ctx", "seq_length", "max_sequence_length"}},
    {F(type_vocab_size), {"type_vocab_size"}},
    {F(num_decoder_layers), {"num_decoder_layers"}},
    {F(num_experts), {"num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts"}},
    {F(experts_per_tok), {"num_experts_per_tok", "moe_top_k"}},
    {F(moe_intermediate), {"moe_intermediate_size"}},
    {F(shared_experts), {"n_shared_experts", "num_shared_experts"}},
    {F(shared_expert_intermediate), {"shared_expert_intermediate_size"}},
    {F(first_k_dense_replace), {"first_k_dense_replace"}},
    {F(moe_layer_freq), {"moe_layer_freq"}},
    {F(decoder_sparse_step), {"decoder_sparse_step"}},
    {F(nextn_predict_layers), {"num_nextn_predict_layers"}},
    {F(q_lora_rank), {"q_lora_rank"}},
    {F(kv_lora_rank), {"kv_lora_rank"}},
    {F(qk_nope_head_dim), {"qk_nope_head_dim"}},
    {F(qk_rope_head_dim), {"qk_rope_head_dim"}},
    {F(v_head_dim), {"v_head_dim"}},
    {F(sliding_window), {"sliding_window"}},
    {F(sliding_window_pattern), {"sliding_window_pattern"}},
};

struct src {
	const cJSON *text; /* text_config, or NULL */
	const cJSON *top;
	const char *path;
};

/* The first non-null value of key, text_config first. */
static const cJSON *lookup(const struct src *s, const char *key, const char **where)
{
	const cJSON *v;

	if (s->text && (v = cJSON_GetObjectItemCaseSensitive(s->text, key)) && !cJSON_IsNull(v)) {
		*where = "text_config.";
		return v;
	}
	*where = "";
	v = cJSON_GetObjectItemCaseSensitive(s->top, key);
	return cJSON_IsNull(v) ? NULL : v;
}

static enum vf_status get_int(const struct src *s, const char *key, int64_t *out, bool signd,
			      struct vf_err *err)
{
	const char *where;
	const cJSON *v = lookup(s, key, &where);
	uint64_t u;

	if (!v)
		return VF_OK;
	if (signd && cJSON_IsNumber(v) && v->valuedouble < 0 && v->valuedouble >= -INT_MAX_VALUE &&
	    v->valuedouble == (double)(int64_t)v->valuedouble) {
		*out = (int64_t)v->valuedouble;
		return VF_OK;
	}
	if (!vf_json_uint(v, &u) || u > (uint64_t)INT_MAX_VALUE)
		return vf_fail(err, VF_EFORMAT, s->path, "\"%s%s\" is not a %sinteger below 2^40",
			       where, key, signd ? "" : "non-negative ");
	*out = (int64_t)u;
	return VF_OK;
}

static enum vf_status get_bool(const struct src *s, const char *key, int *out, struct vf_err *err)
{
	const char *where;
	const cJSON *v = lookup(s, key, &where);

	if (!v)
		return VF_OK;
	if (!cJSON_IsBool(v))
		return vf_fail(err, VF_EFORMAT, s->path, "\"%s%s\" is not true or false", where,
			       key);
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return VF_OK;
}

/* Copies string value v of key into out (cap bytes); absent or null is fine. */
static enum vf_status copy_str(const struct src *s, const cJSON *v, const char *key, char *out,
			       size_t cap, struct vf_err *err)
{
	if (!v || cJSON_IsNull(v))
		return VF_OK;
	if (!cJSON_IsString(v))
		return vf_fail(err, VF_EFORMAT, s->path, "\"%s\" is not a string", key);
	if (strlen(v->valuestring) >= cap)
		return vf_fail(err, VF_EFORMAT, s->path, "\"%s\" is longer than %zu bytes", key,
			       cap - 1);
	strcpy(out, v->valuestring);
	return VF_OK;
}

static enum vf_status get_str(const struct src *s, const cJSON *obj, const char *key, char *out,
			      size_t cap, struct vf_err *err)
{
	return copy_str(s, cJSON_GetObjectItemCaseSensitive(obj, key), key, out, cap, err);
}

static enum vf_status layer_list(const struct src *s, struct vf_arch *a, const char *key,
				 uint8_t **out, struct vf_err *err)
{
	const char *where;
	const cJSON *v = lookup(s, key, &where), *c;
	bool strings = strcmp(key, "layer_types") == 0;
	size_t i = 0;

	if (!v)
		return VF_OK;
	if (!cJSON_IsArray(v))
		return vf_fail(err, VF_EFORMAT, s->path, "\"%s%s\" is not an array", where, key);
	if (a->num_layers == VF_UNSET)
		return vf_fail(err, VF_EFORMAT, s->path, "\"%s%s\" given without a layer count",
			       where, key);
	if (strings && cJSON_GetArraySize(v) != a->num_layers)
		return vf_fail(err, VF_EFORMAT, s->path, "\"%s%s\" has %d entries for %lld layers",
			       where, key, cJSON_GetArraySize(v), (long long)a->num_layers);
	if (!(*out = vf_calloc((size_t)a->num_layers, 1)))
		return vf_fail(err, VF_ENOMEM, s->path, "out of memory");
	for (c = v->child; c; c = c->next, i++) {
		uint64_t idx;
		if (strings) {
			const char *t = cJSON_IsString(c) ? c->valuestring : "";
			(*out)[i] = strcmp(t, "full_attention") == 0		? VF_ATTN_FULL
				    : strcmp(t, "sliding_attention") == 0	? VF_ATTN_SLIDING
				    : strcmp(t, "chunked_attention") == 0	? VF_ATTN_CHUNKED
				    : strstr(t, "linear") || strstr(t, "mamba") ? VF_ATTN_LINEAR
										: VF_ATTN_OTHER;
			if (!cJSON_IsString(c))
				return vf_fail(err, VF_EFORMAT, s->path,
					       "\"%s%s\" holds a non-string", where, key);
		} else {
			if (!vf_json_uint(c, &idx) || idx >= (uint64_t)a->num_layers)
				return vf_fail(err, VF_EFORMAT, s->path,
					       "\"%s%s\" holds something that is not a layer index",
					       where, key);
			(*out)[idx] = 1;
		}
	}
	return VF_OK;
}

static enum vf_status read_quant(const struct src *s, struct vf_arch *a, struct vf_err *err)
{
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(s->top, "quantization_config");
	struct src qs = {NULL, q, s->path};
	int b4 = 0, b8 = 0;

	if (!q || cJSON_IsNull(q))
		return VF_OK;
	if (!cJSON_IsObject(q))
		return vf_fail(err, VF_EFORMAT, s->path,
			       "\"quantization_config\" is not an object");
	if (get_str(s, q, "quant_method", a->quant_method, sizeof(a->quant_method), err) ||
	    get_int(&qs, "bits", &a->quant_bits, false, err) ||
	    get_int(&qs, "group_size", &a->quant_group_size, true, err) ||
	    get_bool(&qs, "load_in_4bit", &b4, err) || get_bool(&qs, "load_in_8bit", &b8, err))
		return err->status;
	if (b4 == 1)
		a->quant_bits = 4;
	else if (b8 == 1)
		a->quant_bits = 8;
	return VF_OK;
}

/* ---- struct vf_archx: what the memory model needs beyond vf_arch ---- */

void vf_archx_init(struct vf_archx *x)
{
	memset(x, 0, sizeof(*x));
	x->attention_bias = x->mlp_bias = VF_UNSET;
	x->new_decoder_architecture = x->multi_query = x->parallel_attn = VF_UNSET;
	x->bias = x->alibi = VF_UNSET;
	x->num_ln_in_parallel_attn = VF_UNSET;
	x->falcon_kv = VF_UNSET;
	x->word_embed_proj_dim = VF_UNSET;
	x->do_layer_norm_before = x->enable_bias = x->layer_norm_elementwise_affine = VF_UNSET;
	x->remove_final_layer_norm = VF_UNSET;
	x->attn_dropout = x->hidden_dropout = x->embd_dropout = -1;
	x->max_window_layers = x->num_labels = x->rel_buckets = VF_UNSET;
	x->partial_rotary = -1;
	x->rotary_dim = VF_UNSET;
	x->quant_block[0] = x->quant_block[1] = VF_UNSET;
	x->lin_k_heads = x->lin_v_heads = x->lin_k_dim = x->lin_v_dim = x->lin_conv = VF_UNSET;
	x->mamba_d_state = x->mamba_d_conv = x->mamba_expand = VF_UNSET;
	x->mamba_heads = x->mamba_head_dim = x->mamba_groups = VF_UNSET;
}

/* text_config first; null counts as absent (lookup() without the prefix). */
static const cJSON *xget(const struct src *s, const char *key)
{
	const char *where;

	return lookup(s, key, &where);
}

static enum vf_status xbool(const struct src *s, const char *key, int *out, struct vf_err *err)
{
	const cJSON *v = xget(s, key);

	if (!v)
		return VF_OK;
	if (!cJSON_IsBool(v))
		return vf_fail(err, VF_EFORMAT, s->path, "\"%s\" is not true or false", key);
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return VF_OK;
}

static enum vf_status xint(const struct src *s, const char *key, int64_t *out, struct vf_err *err)
{
	const cJSON *v = xget(s, key);
	uint64_t u;

	if (!v || *out != VF_UNSET)
		return VF_OK;
	if (!vf_json_uint(v, &u) || u > (UINT64_C(1) << 40))
		return vf_fail(err, VF_EFORMAT, s->path,
			       "\"%s\" is not a non-negative integer below 2^40", key);
	*out = (int64_t)u;
	return VF_OK;
}

static enum vf_status xdbl(const struct src *s, const char *key, double *out, struct vf_err *err)
{
	const cJSON *v = xget(s, key);

	if (!v || *out >= 0)
		return VF_OK;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1e6))
		return vf_fail(err, VF_EFORMAT, s->path, "\"%s\" is not a number from 0 to 1e6",
			       key);
	*out = v->valuedouble;
	return VF_OK;
}

static enum vf_status xstr(const struct src *s, const char *key, char *out, size_t cap,
			   struct vf_err *err)
{
	if (out[0]) /* an earlier alias already set it */
		return VF_OK;
	return copy_str(s, xget(s, key), key, out, cap, err);
}

static enum vf_status xquant(const struct src *s, struct vf_archx *x, struct vf_err *err)
{
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(s->top, "quantization_config"), *b;
	struct src qs = {NULL, q, s->path};
	int dq = 0;
	uint64_t u;

	if (!q || !cJSON_IsObject(q))
		return VF_OK; /* fmt_config.c reports a non-object */
	if (xbool(&qs, "bnb_4bit_use_double_quant", &dq, err))
		return err->status;
	x->bnb_double_quant = dq == 1;
	b = cJSON_GetObjectItemCaseSensitive(q, "weight_block_size");
	if (b && !cJSON_IsNull(b)) {
		if (!cJSON_IsArray(b) || cJSON_GetArraySize(b) != 2)
			return vf_fail(err, VF_EFORMAT, s->path,
				       "\"weight_block_size\" is not a pair of integers");
		for (int i = 0; i < 2; i++) {
			if (!vf_json_uint(cJSON_GetArrayItem(b, i), &u) || u == 0 ||
			    u > (UINT64_C(1) << 20))
				return vf_fail(err, VF_EFORMAT, s->path,
					       "\"weight_block_size\" is not a pair of integers");
			x->quant_block[i] = (int64_t)u;
		}
	}
	return VF_OK;
}

static enum vf_status fill_x(const struct src *sp, struct vf_archx *x, struct vf_err *err)
{
	static const char *const acts[] = {"feed_forward_proj", "hidden_activation", "hidden_act",
					   "activation_function"};
	const struct src s = *sp;
	const cJSON *v;
	enum vf_status st = VF_OK;

	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]) && !st; i++)
		st = xstr(&s, acts[i], x->act, sizeof(x->act), err);
	if (st || xbool(&s, "attention_bias", &x->attention_bias, err) ||
	    xbool(&s, "mlp_bias", &x->mlp_bias, err) ||
	    xbool(&s, "new_decoder_architecture", &x->new_decoder_architecture, err) ||
	    xbool(&s, "multi_query", &x->multi_query, err) ||
	    xbool(&s, "parallel_attn", &x->parallel_attn, err) ||
	    xbool(&s, "bias", &x->bias, err) || xbool(&s, "alibi", &x->alibi, err) ||
	    xint(&s, "num_ln_in_parallel_attn", &x->num_ln_in_parallel_attn, err) ||
	    xint(&s, "num_kv_heads", &x->falcon_kv, err) ||
	    xint(&s, "n_head_kv", &x->falcon_kv, err) ||
	    xint(&s, "word_embed_proj_dim", &x->word_embed_proj_dim, err) ||
	    xbool(&s, "do_layer_norm_before", &x->do_layer_norm_before, err) ||
	    xbool(&s, "enable_bias", &x->enable_bias, err) ||
	    xbool(&s, "layer_norm_elementwise_affine", &x->layer_norm_elementwise_affine, err) ||
	    xbool(&s, "_remove_final_layer_norm", &x->remove_final_layer_norm, err) ||
	    xdbl(&s, "attention_dropout", &x->attn_dropout, err) ||
	    xdbl(&s, "attn_pdrop", &x->attn_dropout, err) ||
	    xdbl(&s, "attention_probs_dropout_prob", &x->attn_dropout, err) ||
	    xdbl(&s, "hidden_dropout", &x->hidden_dropout, err) ||
	    xdbl(&s, "resid_pdrop", &x->hidden_dropout, err) ||
	    xdbl(&s, "hidden_dropout_prob", &x->hidden_dropout, err) ||
	    xdbl(&s, "dropout_rate", &x->hidden_dropout, err) ||
	    xdbl(&s, "dropout", &x->hidden_dropout, err) ||
	    xdbl(&s, "embd_pdrop", &x->embd_dropout, err) ||
	    xint(&s, "max_window_layers", &x->max_window_layers, err) ||
	    xint(&s, "num_labels", &x->num_labels, err) ||
	    xint(&s, "relative_attention_num_buckets", &x->rel_buckets, err) ||
	    xdbl(&s, "partial_rotary_factor", &x->partial_rotary, err) ||
	    xint(&s, "rotary_dim", &x->rotary_dim, err) ||
	    xstr(&s, "topk_method", x->topk_method, sizeof(x->topk_method), err) ||
	    xint(&s, "linear_num_key_heads", &x->lin_k_heads, err) ||
	    xint(&s, "linear_num_value_heads", &x->lin_v_heads, err) ||
	    xint(&s, "linear_key_head_dim", &x->lin_k_dim, err) ||
	    xint(&s, "linear_value_head_dim", &x->lin_v_dim, err) ||
	    xint(&s, "linear_conv_kernel_dim", &x->lin_conv, err) ||
	    xint(&s, "mamba_d_state", &x->mamba_d_state, err) ||
	    xint(&s, "state_size", &x->mamba_d_state, err) ||
	    xint(&s, "mamba_d_conv", &x->mamba_d_conv, err) ||
	    xint(&s, "conv_kernel", &x->mamba_d_conv, err) ||
	    xint(&s, "mamba_expand", &x->mamba_expand, err) ||
	    xint(&s, "expand", &x->mamba_expand, err) ||
	    xint(&s, "mamba_n_heads", &x->mamba_heads, err) ||
	    xint(&s, "mamba_d_head", &x->mamba_head_dim, err) ||
	    xint(&s, "mamba_n_groups", &x->mamba_groups, err) ||
	    xint(&s, "n_groups", &x->mamba_groups, err) || xquant(&s, x, err))
		st = err->status;
	if (!st && x->num_labels == VF_UNSET && (v = xget(&s, "id2label")) && cJSON_IsObject(v))
		x->num_labels = cJSON_GetArraySize(v);
	v = cJSON_GetObjectItemCaseSensitive(s.top, "vision_config");
	x->has_vision = v && cJSON_IsObject(v);
	return st;
}

void vf_arch_init(struct vf_arch *a)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < sizeof(int_fields) / sizeof(int_fields[0]); i++)
		*(int64_t *)((char *)a + int_fields[i].off) = VF_UNSET;
	a->tie_word_embeddings = VF_UNSET;
	a->use_sliding_window = VF_UNSET;
	a->quant_bits = VF_UNSET;
	a->quant_group_size = VF_UNSET;
	vf_archx_init(&a->x);
}

/* ---- what transformers' config and model classes refuse ---- */

/* The key that gave int_fields[i] its value ("text_config.hidden_size"), for
 * messages; buf holds it. */
static const char *field_key(const struct src *s, size_t off, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof(int_fields) / sizeof(int_fields[0]); i++) {
		if (int_fields[i].off != off)
			continue;
		for (size_t k = 0; k < 6 && int_fields[i].keys[k]; k++) {
			const char *where;
			if (lookup(s, int_fields[i].keys[k], &where)) {
				snprintf(buf, n, "%s%s", where, int_fields[i].keys[k]);
				return buf;
			}
		}
		snprintf(buf, n, "%s", int_fields[i].keys[0]);
	}
	return buf;
}

/* torch dtype names as getattr(torch, name) knows them (transformers also
 * writes "torch.float16" in some versions); "auto" is from_pretrained's. */
static bool torch_dtype_known(const char *d)
{
	static const char *const names[] = {
	    "float32",	       "float",		  "float16",   "half",		"bfloat16",
	    "float64",	       "double",	  "int8",      "uint8",		"int16",
	    "int32",	       "int64",		  "bool",      "float8_e4m3fn", "float8_e5m2",
	    "float8_e4m3fnuz", "float8_e5m2fnuz", "complex64", "complex128",	"auto",
	};

	if (strncmp(d, "torch.", 6) == 0)
		d += 6;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(d, names[i]) == 0)
			return true;
	return false;
}

static enum vf_status validate(const struct src *s, const struct vf_arch *a, bool head_dim_given,
			       struct vf_err *err)
{
	static const size_t positive[] = {F(num_layers), F(hidden),	  F(heads), F(kv_heads),
					  F(head_dim),	 F(intermediate), F(vocab)};
	char k1[96], k2[96];

	if (a->torch_dtype[0] && !torch_dtype_known(a->torch_dtype))
		return vf_fail(err, VF_EFORMAT, s->path,
			       "\"torch_dtype\" '%s' is not a torch dtype", a->torch_dtype);
	for (size_t i = 0; i < sizeof(positive) / sizeof(positive[0]); i++) {
		int64_t v = *(const int64_t *)((const char *)a + positive[i]);
		if (v == 0)
			return vf_fail(err, VF_EFORMAT, s->path,
				       "\"%s\" is 0 (a size of at least 1)",
				       field_key(s, positive[i], k1, sizeof(k1)));
	}
	if (a->heads > 0 && a->kv_heads > 0 && !a->kv_heads_default &&
	    (a->kv_heads > a->heads || a->heads % a->kv_heads != 0))
		return vf_fail(err, VF_EFORMAT, s->path,
			       "\"%s\" (%lld) does not divide \"%s\" (%lld): each key/value head "
			       "serves a whole group of attention heads",
			       field_key(s, F(kv_heads), k1, sizeof(k1)), (long long)a->kv_heads,
			       field_key(s, F(heads), k2, sizeof(k2)), (long long)a->heads);
	if (a->heads > 0 && a->hidden > 0 && !head_dim_given && a->hidden % a->heads != 0 &&
	    a->kv_lora_rank <= 0)
		return vf_fail(err, VF_EFORMAT, s->path,
			       "\"%s\" (%lld) is not divisible by \"%s\" (%lld), and no "
			       "\"head_dim\" is given",
			       field_key(s, F(hidden), k1, sizeof(k1)), (long long)a->hidden,
			       field_key(s, F(heads), k2, sizeof(k2)), (long long)a->heads);
	if (a->experts_per_tok > 0 && a->num_experts > 0 && a->experts_per_tok > a->num_experts)
		return vf_fail(err, VF_EFORMAT, s->path,
			       "\"%s\" (%lld) is more than the %lld experts (\"%s\")",
			       field_key(s, F(experts_per_tok), k1, sizeof(k1)),
			       (long long)a->experts_per_tok, (long long)a->num_experts,
			       field_key(s, F(num_experts), k2, sizeof(k2)));
	if (a->quant_bits != VF_UNSET && (a->quant_bits < 1 || a->quant_bits > 8))
		return vf_fail(err, VF_EFORMAT, s->path,
			       "\"quantization_config.bits\" is %lld, not a bit width from 1 to 8",
			       (long long)a->quant_bits);
	return VF_OK;
}

static enum vf_status fill(const struct src *s, struct vf_arch *a, struct vf_err *err)
{
	const cJSON *archs = cJSON_GetObjectItemCaseSensitive(s->top, "architectures");
	int mq = VF_UNSET;
	bool head_dim_given;

	if (get_str(s, s->top, "model_type", a->model_type, sizeof(a->model_type), err))
		return err->status;
	if (s->text &&
	    get_str(s, s->text, "model_type", a->text_model_type, sizeof(a->text_model_type), err))
		return err->status;
	if (archs && !cJSON_IsNull(archs)) {
		if (!cJSON_IsArray(archs) || (archs->child && !cJSON_IsString(archs->child)))
			return vf_fail(err, VF_EFORMAT, s->path,
				       "\"architectures\" is not a list of names");
		if (archs->child && strlen(archs->child->valuestring) >= sizeof(a->architecture))
			return vf_fail(err, VF_EFORMAT, s->path,
				       "\"architectures\" name is too long");
		if (archs->child)
			strcpy(a->architecture, archs->child->valuestring);
	}
	if (get_str(s, s->top, "torch_dtype", a->torch_dtype, sizeof(a->torch_dtype), err) ||
	    (!a->torch_dtype[0] &&
	     get_str(s, s->top, "dtype", a->torch_dtype, sizeof(a->torch_dtype), err)))
		return err->status;
	if (s->text && !a->torch_dtype[0] &&
	    get_str(s, s->text, "torch_dtype", a->torch_dtype, sizeof(a->torch_dtype), err))
		return err->status;
	for (size_t i = 0; i < sizeof(int_fields) / sizeof(int_fields[0]); i++) {
		int64_t *f = (int64_t *)((char *)a + int_fields[i].off);
		for (size_t k = 0; k < 6 && int_fields[i].keys[k] && *f == VF_UNSET; k++)
			if (get_int(s, int_fields[i].keys[k], f, false, err))
				return err->status;
	}
	if (a->num_layers > VF_MAX_LAYERS)
		return vf_fail(err, VF_EFORMAT, s->path,
			       "%lld layers is more than the %d supported",
			       (long long)a->num_layers, VF_MAX_LAYERS);
	if (get_bool(s, "tie_word_embeddings", &a->tie_word_embeddings, err) ||
	    get_bool(s, "use_sliding_window", &a->use_sliding_window, err) ||
	    get_bool(s, "multi_query", &mq, err) ||
	    layer_list(s, a, "layer_types", &a->layer_types, err) ||
	    layer_list(s, a, "mlp_only_layers", &a->mlp_only, err) || read_quant(s, a, err))
		return err->status;
	/* Derived defaults, as the transformers config classes apply them. */
	if (a->kv_heads == VF_UNSET && mq == 1)
		a->kv_heads = 1; /* Falcon's multi_query */
	if (a->kv_heads == VF_UNSET && a->heads != VF_UNSET) {
		a->kv_heads = a->heads;
		a->kv_heads_default = true;
	}
	head_dim_given = a->head_dim != VF_UNSET;
	if (a->head_dim == VF_UNSET && a->heads > 0 && a->hidden != VF_UNSET &&
	    a->hidden % a->heads == 0) {
		a->head_dim = a->hidden / a->heads;
		a->head_dim_default = true;
	}
	if (fill_x(s, &a->x, err))
		return err->status;
	if (a->intermediate == VF_UNSET && a->hidden != VF_UNSET &&
	    strcmp(a->model_type, "gpt2") == 0)
		a->intermediate = 4 * a->hidden; /* GPT2Config: n_inner None means 4 * n_embd */
	return validate(s, a, head_dim_given, err);
}

enum vf_status vf_config_parse(const char *text, size_t len, const char *path, struct vf_arch *arch,
			       struct vf_err *err)
{
	cJSON *root;
	struct src s = {NULL, NULL, path};
	enum vf_status st;

	vf_arch_release(arch);
	vf_arch_init(arch);
	/* json.loads refuses a BOM ("Unexpected UTF-8 BOM"), so transformers does */
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		return vf_fail(
		    err, VF_EFORMAT, path,
		    "config starts with a UTF-8 byte order mark, which JSON does not allow");
	root = vf_json_parse(text, len, len * 64 + (1u << 20), path, "config", err);
	if (!root)
		return err->status;
	if (!cJSON_IsObject(root)) {
		vf_json_free(root);
		return vf_fail(err, VF_EFORMAT, path, "config is not a JSON object");
	}
	s.top = root;
	s.text = cJSON_GetObjectItemCaseSensitive(root, "text_config");
	if (s.text && cJSON_IsNull(s.text))
		s.text = NULL;
	if (s.text && !cJSON_IsObject(s.text)) {
		vf_json_free(root);
		return vf_fail(err, VF_EFORMAT, path, "\"text_config\" is not an object");
	}
	st = fill(&s, arch, err);
	vf_json_free(root);
	if (st) {
		vf_arch_release(arch);
		return st;
	}
	arch->present = true;
	return VF_OK;
}

enum vf_status vf_config_read(const char *path, struct vf_arch *arch, struct vf_err *err)
{
	char *text;
	size_t len;
	enum vf_status st = vf_file_slurp(path, CONFIG_MAX_BYTES, &text, &len, err);

	if (st)
		return st;
	st = vf_config_parse(text, len, path, arch, err);
	vf_free(text);
	return st;
}

void vf_arch_release(struct vf_arch *arch)
{
	vf_free(arch->mlp_only);
	vf_free(arch->layer_types);
	arch->mlp_only = NULL;
	arch->layer_types = NULL;
}
