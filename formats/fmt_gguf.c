/*
 * fmt_gguf.c - GGUF v2 and v3 headers (llama.cpp, Ollama): the tensor table,
 * a few metadata values, and the architecture description from the kv pairs.
 *
 * Layout (ggml docs/gguf.md, src/gguf.cpp): "GGUF", u32 version, u64
 * tensor_count, u64 kv_count, the kv pairs (string key, u32 type, value), the
 * tensor infos (string name, u32 n_dims, n_dims u64 dims innermost first, u32
 * ggml type, u64 offset relative to the data section), then the data section,
 * which starts at the end of the infos padded to general.alignment.  There is
 * no length prefix, so the header is read through a windowed stream
 * (common/stream.h) and the data section is never read.
 *
 * Invariants:
 *   - every length and count read from the file is checked against the bytes
 *     left in the file before it is used: a string of length n needs n bytes, an
 *     array of n elements needs n * (smallest element) bytes (checked multiply);
 *     kv_count and tensor_count never size an allocation (tables grow as entries
 *     are read, so a huge count runs into the end of the file);
 *   - allocations are bounded by what was read: keys (at most 65535 bytes, as
 *     the spec says) for the duplicate check, tensor names (at most 63 bytes,
 *     GGML_MAX_NAME - 1), and the few string values kept as metadata;
 *   - nested arrays are walked with recursion at most MAX_DEPTH deep;
 *   - every size is computed in checked 64-bit arithmetic.
 * What src/gguf.cpp (gguf_init_from_file_impl) refuses, we refuse too: bad
 * magic; version 0, 1, above 3, or byte-swapped; empty or duplicate keys;
 * unknown value types; strings longer than the file; general.alignment not a
 * u32 power of two; tensor names of 64 bytes or more and duplicate names; more
 * than 4 dimensions; negative dims (>= 2^63 as unsigned); element counts that
 * overflow int64; type ids out of range or retired (block size 0); a first
 * dimension that is not a multiple of the block size; byte sizes that
 * overflow; a data section that starts past the end of the file; any offset
 * other than the padded running size (which also makes offsets aligned);
 * padded sizes that overflow when summed.  From llama_model_loader: tensor
 * data past the end of the file.  Beyond both: keys and names must be valid
 * UTF-8 without NUL (the gguf Python reader decodes them as UTF-8) or control
 * characters (they reach messages, which are one line, and a terminal), keys
 * at most 65535 bytes (the spec's limit).  Arrays of arrays are accepted (the spec allows
 * them and the gguf Python package writes them), to a bounded depth.
 */
#include <stdio.h>
#include <string.h>

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/stream.h"
#include "common/strmap.h"
#include "formats/model_build.h"

#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DIMS 4
#define GGUF_MAX_NAME 64		 /* GGML_MAX_NAME: names are at most 63 bytes */
#define GGUF_MAX_KEY 65535		 /* docs/gguf.md: keys are at most 2^16-1 bytes */
#define MAX_DEPTH 8			 /* arrays of arrays of ... */
#define KEEP_MAX 1024			 /* longer metadata strings are not kept */
#define INT_MAX_VALUE (INT64_C(1) << 40) /* as fmt_config.c: no dimension comes near */

enum gguf_type {
	T_U8,
	T_I8,
	T_U16,
	T_I16,
	T_U32,
	T_I32,
	T_F32,
	T_BOOL,
	T_STRING,
	T_ARRAY,
	T_U64,
	T_I64,
	T_F64,
	T_COUNT
};

static const char *const type_names[T_COUNT] = {
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"};
/* bytes of a scalar; 0 for string and array */
static const unsigned type_size[T_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

static bool type_is_int(uint32_t t)
{
	return t <= T_I32 || t == T_U64 || t == T_I64;
}

static bool type_is_signed(uint32_t t)
{
	return t == T_I8 || t == T_I16 || t == T_I32 || t == T_I64;
}

/* ggml type ids (ggml.h enum ggml_type).  Retired ids have no block size in
 * ggml's type traits and are refused there; newer ids are valid ggml types that
 * vramfit's dtype table does not have yet. */
enum ggml_state { G_OK, G_RETIRED, G_NEWER };
static const struct {
	const char *name;
	enum vf_dtype dt;
	enum ggml_state state;
} ggml_types[] = {
    [0] = {"F32", VF_DT_F32, G_OK},
    [1] = {"F16", VF_DT_F16, G_OK},
    [2] = {"Q4_0", VF_DT_Q4_0, G_OK},
    [3] = {"Q4_1", VF_DT_Q4_1, G_OK},
    [4] = {"Q4_2", VF_DT_UNKNOWN, G_RETIRED},
    [5] = {"Q4_3", VF_DT_UNKNOWN, G_RETIRED},
    [6] = {"Q5_0", VF_DT_Q5_0, G_OK},
    [7] = {"Q5_1", VF_DT_Q5_1, G_OK},
    [8] = {"Q8_0", VF_DT_Q8_0, G_OK},
    [9] = {"Q8_1", VF_DT_Q8_1, G_OK},
    [10] = {"Q2_K", VF_DT_Q2_K, G_OK},
    [11] = {"Q3_K", VF_DT_Q3_K, G_OK},
    [12] = {"Q4_K", VF_DT_Q4_K, G_OK},
    [13] = {"Q5_K", VF_DT_Q5_K, G_OK},
    [14] = {"Q6_K", VF_DT_Q6_K, G_OK},
    [15] = {"Q8_K", VF_DT_Q8_K, G_OK},
    [16] = {"IQ2_XXS", VF_DT_IQ2_XXS, G_OK},
    [17] = {"IQ2_XS", VF_DT_IQ2_XS, G_OK},
    [18] = {"IQ3_XXS", VF_DT_IQ3_XXS, G_OK},
    [19] = {"IQ1_S", VF_DT_IQ1_S, G_OK},
    [20] = {"IQ4_NL", VF_DT_IQ4_NL, G_OK},
    [21] = {"IQ3_S", VF_DT_IQ3_S, G_OK},
    [22] = {"IQ2_S", VF_DT_IQ2_S, G_OK},
    [23] = {"IQ4_XS", VF_DT_IQ4_XS, G_OK},
    [24] = {"I8", VF_DT_I8, G_OK},
    [25] = {"I16", VF_DT_I16, G_OK},
    [26] = {"I32", VF_DT_I32, G_OK},
    [27] = {"I64", VF_DT_I64, G_OK},
    [28] = {"F64", VF_DT_F64, G_OK},
    [29] = {"IQ1_M", VF_DT_IQ1_M, G_OK},
    [30] = {"BF16", VF_DT_BF16, G_OK},
    [31] = {"Q4_0_4_4", VF_DT_UNKNOWN, G_RETIRED},
    [32] = {"Q4_0_4_8", VF_DT_UNKNOWN, G_RETIRED},
    [33] = {"Q4_0_8_8", VF_DT_UNKNOWN, G_RETIRED},
    [34] = {"TQ1_0", VF_DT_TQ1_0, G_OK},
    [35] = {"TQ2_0", VF_DT_TQ2_0, G_OK},
    [36] = {"IQ4_NL_4_4", VF_DT_UNKNOWN, G_RETIRED},
    [37] = {"IQ4_NL_4_8", VF_DT_UNKNOWN, G_RETIRED},
    [38] = {"IQ4_NL_8_8", VF_DT_UNKNOWN, G_RETIRED},
    [39] = {"MXFP4", VF_DT_MXFP4, G_OK},
    [40] = {"NVFP4", VF_DT_UNKNOWN, G_NEWER},
    [41] = {"Q1_0", VF_DT_UNKNOWN, G_NEWER},
};
#define GGML_NTYPES (sizeof(ggml_types) / sizeof(ggml_types[0]))

/* Architecture keys, "<general.architecture>.<suffix>" (llama.cpp
 * src/llama-arch.cpp LLM_KV_NAMES). */
#define F(field) offsetof(struct vf_arch, field)
enum { K_ROPE_DIMS = -2 };
static const struct {
	const char *suffix;
	long off; /* offset in struct vf_arch, or K_ROPE_DIMS */
} arch_keys[] = {
    {"block_count", F(num_layers)},
    {"embedding_length", F(hidden)},
    {"feed_forward_length", F(intermediate)},
    {"attention.head_count", F(heads)},
    {"attention.head_count_kv", F(kv_heads)},
    {"attention.key_length", F(head_dim)},
    {"context_length", F(max_position_embeddings)},
    {"vocab_size", F(vocab)},
    {"expert_count", F(num_experts)},
    {"expert_used_count", F(experts_per_tok)},
    {"expert_feed_forward_length", F(moe_intermediate)},
    {"expert_shared_count", F(shared_experts)},
    {"expert_shared_feed_forward_length", F(shared_expert_intermediate)},
    {"leading_dense_block_count", F(first_k_dense_replace)},
    {"attention.kv_lora_rank", F(kv_lora_rank)},
    {"attention.q_lora_rank", F(q_lora_rank)},
    {"attention.sliding_window", F(sliding_window)},
    {"rope.dimension_count", K_ROPE_DIMS},
};
#define NARCH_KEYS (sizeof(arch_keys) / sizeof(arch_keys[0]))

/* general.* values kept as model metadata (scalars only). */
static const char *const meta_keys[] = {
    "general.architecture", "general.name",
    "general.basename",	    "general.size_label",
    "general.file_type",    "general.quantization_version",
    "general.alignment",    NULL,
};

/* An integer value (or the largest of an integer array) seen for a key that may
 * describe the architecture; which prefix is the architecture is known only
 * once general.architecture is read, which may come later. */
struct cand {
	char prefix[64];
	unsigned which; /* index into arch_keys */
	bool is_int, negative, too_big, empty;
	int64_t max;
	char key[160]; /* for messages */
};

/* What read_value learned about one value. */
struct val {
	uint32_t type, elem_type;
	uint64_t n; /* array length */
	/* integers: a scalar, or over an array's elements */
	bool is_int, negative, too_big, any;
	int64_t max;
	uint64_t u; /* a scalar integer, as its bits */
	char *str;  /* a kept string scalar (owned), or NULL */
};

struct rd {
	struct vf_stream s;
	struct vf_model *m;
	const char *path;
	struct vf_err *err;
	/* where we are, for messages */
	enum { AT_HEADER, AT_KEY, AT_VALUE, AT_TENSOR, AT_LAYOUT } at;
	uint64_t idx, count;
	const char *key; /* AT_VALUE: the current key */
	bool have_tname;
	char tname[GGUF_MAX_NAME]; /* AT_TENSOR: the current tensor name, once read */
	/* keys seen, for the duplicate check */
	struct vf_strmap keys;
	char **owned;
	size_t nowned, owned_cap;
	/* what the kv pairs say */
	uint64_t alignment;
	char arch[64];
	bool have_arch;
	uint64_t ntokens;
	bool have_tokens;
	uint64_t split_no, split_count;
	struct cand *cands;
	size_t ncands, cands_cap;
};

static const char *where(const struct rd *r, char *buf, size_t n)
{
	switch (r->at) {
	case AT_HEADER:
		return "the header";
	case AT_KEY:
		snprintf(buf, n, "key-value pair %llu of %llu", (unsigned long long)r->idx,
			 (unsigned long long)r->count);
		return buf;
	case AT_VALUE:
		snprintf(buf, n, "the value of \"%s\"", r->key);
		return buf;
	case AT_TENSOR:
		if (r->have_tname)
			snprintf(buf, n, "the info of tensor \"%s\"", r->tname);
		else
			snprintf(buf, n, "tensor info %llu of %llu", (unsigned long long)r->idx,
				 (unsigned long long)r->count);
		return buf;
	case AT_LAYOUT:
		break;
	}
	return "the tensor data";
}

static enum vf_status truncated(struct rd *r)
{
	char buf[256];

	return vf_fail(r->err, VF_EFORMAT, r->path, "truncated: the file ends inside %s",
		       where(r, buf, sizeof(buf)));
}

/* Reads n bytes; the end of the file is reported with where we are. */
static enum vf_status rd_bytes(struct rd *r, void *out, size_t n)
{
	if (n > vf_stream_left(&r->s))
		return truncated(r);
	return vf_stream_read(&r->s, out, n, r->err);
}

static enum vf_status rd_skip(struct rd *r, uint64_t n)
{
	if (n > vf_stream_left(&r->s))
		return truncated(r);
	return vf_stream_skip(&r->s, n, r->err);
}

static enum vf_status rd_u32(struct rd *r, uint32_t *v)
{
	if (vf_stream_left(&r->s) < 4)
		return truncated(r);
	return vf_stream_u32(&r->s, v, r->err);
}

static enum vf_status rd_u64(struct rd *r, uint64_t *v)
{
	if (vf_stream_left(&r->s) < 8)
		return truncated(r);
	return vf_stream_u64(&r->s, v, r->err);
}

/* Reads a string length and checks it against what is left of the file. */
static enum vf_status rd_strlen(struct rd *r, uint64_t *len)
{
	char buf[256];

	if (rd_u64(r, len))
		return r->err->status;
	if (*len > vf_stream_left(&r->s))
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "string length %llu runs past the end of the file (in %s)",
			       (unsigned long long)*len, where(r, buf, sizeof(buf)));
	return VF_OK;
}

/* Reads len bytes (already checked against the file) into a new NUL-terminated
 * buffer. */
static enum vf_status rd_strdata(struct rd *r, uint64_t len, char **out)
{
	char *s = vf_malloc((size_t)len + 1);

	*out = NULL;
	if (!s)
		return vf_fail(r->err, VF_ENOMEM, r->path, "out of memory");
	if (rd_bytes(r, s, (size_t)len)) {
		vf_free(s);
		return r->err->status;
	}
	s[len] = '\0';
	*out = s;
	return VF_OK;
}

static bool has_nul(const char *s, uint64_t len)
{
	return memchr(s, '\0', (size_t)len) != NULL;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* ---- kv values ---- */

static void note_int(struct val *v, uint32_t type, const unsigned char *b)
{
	uint64_t u = 0;
	int64_t x;
	unsigned n = type_size[type];

	for (int i = (int)n - 1; i >= 0; i--)
		u = (u << 8) | b[i];
	if (type_is_signed(type) && n < 8 && (u >> (8 * n - 1)) & 1)
		u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
	v->u = u;
	if (type_is_signed(type) && (int64_t)u < 0) {
		v->negative = true;
		return;
	}
	if (u > (uint64_t)INT_MAX_VALUE) {
		v->too_big = true;
		return;
	}
	x = (int64_t)u;
	if (!v->any || x > v->max)
		v->max = x;
	v->any = true;
}

/*
 * Reads one value of the given type.  want_int: collect integers (scalar or the
 * largest array element) into v; keep_str: keep a string scalar of at most
 * KEEP_MAX bytes in v->str.  Everything else is skipped without allocating.
 */
static enum vf_status read_value(struct rd *r, uint32_t type, unsigned depth, bool want_int,
				 bool keep_str, struct val *v)
{
	unsigned char b[8];
	uint64_t len, n, need;
	uint32_t et;
	char buf[256];

	v->type = type;
	if (type >= T_COUNT)
		return vf_fail(r->err, VF_EFORMAT, r->path, "unknown value type %u in %s", type,
			       where(r, buf, sizeof(buf)));
	if (type_size[type]) {
		if (rd_bytes(r, b, type_size[type]))
			return r->err->status;
		if (type_is_int(type)) {
			v->is_int = true;
			note_int(v, type, b);
		}
		return VF_OK;
	}
	if (type == T_STRING) {
		if (rd_strlen(r, &len))
			return r->err->status;
		if (!keep_str || len > KEEP_MAX)
			return rd_skip(r, len);
		if (rd_strdata(r, len, &v->str))
			return r->err->status;
		if (has_nul(v->str, len) || !vf_utf8_valid((unsigned char *)v->str, (size_t)len))
			return vf_fail(r->err, VF_EFORMAT, r->path, "%s is not valid UTF-8 text",
				       where(r, buf, sizeof(buf)));
		return VF_OK;
	}
	/* an array: element type, count, elements */
	if (rd_u32(r, &et) || rd_u64(r, &n))
		return r->err->status;
	v->elem_type = et;
	v->n = n;
	if (et >= T_COUNT)
		return vf_fail(r->err, VF_EFORMAT, r->path, "unknown array element type %u in %s",
			       et, where(r, buf, sizeof(buf)));
	if (et == T_ARRAY && depth + 1 >= MAX_DEPTH)
		return vf_fail(r->err, VF_EFORMAT, r->path, "arrays nest more than %d deep in %s",
			       MAX_DEPTH, where(r, buf, sizeof(buf)));
	/* The smallest an element can be: its size, a string's 8-byte length, a
	 * nested array's 12-byte header.  n of them must fit in the file before any
	 * is read, so a count near 2^64 fails here and never loops. */
	if (!vf_mul_ok(n,
		       type_size[et]	? type_size[et]
		       : et == T_STRING ? 8
					: 12,
		       &need) ||
	    need > vf_stream_left(&r->s))
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "array of %llu %s elements runs past the end of the file (in %s)",
			       (unsigned long long)n, type_names[et], where(r, buf, sizeof(buf)));
	if (type_size[et]) {
		if (!want_int || !type_is_int(et))
			return rd_skip(r, need);
		v->is_int = true;
		for (uint64_t i = 0; i < n; i++) {
			if (rd_bytes(r, b, type_size[et]))
				return r->err->status;
			note_int(v, et, b);
		}
		return VF_OK;
	}
	for (uint64_t i = 0; i < n; i++) {
		struct val sub = {0};
		if (read_value(r, et, depth + 1, false, false, &sub))
			return r->err->status;
	}
	return VF_OK;
}

/* ---- kv pairs ---- */

static enum vf_status own_key(struct rd *r, char *key)
{
	if (!vf_grow(&r->owned, &r->owned_cap, r->nowned, sizeof(*r->owned), 64)) {
		vf_free(key);
		return vf_fail(r->err, VF_ENOMEM, r->path, "out of memory");
	}
	r->owned[r->nowned++] = key;
	return VF_OK;
}

/* The arch_keys entry key ends with (after a '.'), or -1; *plen: prefix length. */
static int arch_key(const char *key, size_t *plen)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < NARCH_KEYS; i++) {
		size_t s = strlen(arch_keys[i].suffix);
		if (n > s + 1 && key[n - s - 1] == '.' &&
		    strcmp(key + n - s, arch_keys[i].suffix) == 0) {
			*plen = n - s - 1;
			return (int)i;
		}
	}
	return -1;
}

static bool is_meta_key(const char *key)
{
	for (const char *const *k = meta_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return true;
	return false;
}

static enum vf_status add_cand(struct rd *r, const char *key, size_t plen, int which,
			       const struct val *v)
{
	struct cand *c;

	if (plen >= sizeof(c->prefix))
		return VF_OK; /* longer than any architecture name we accept */
	if (!vf_grow(&r->cands, &r->cands_cap, r->ncands, sizeof(*r->cands), 32))
		return vf_fail(r->err, VF_ENOMEM, r->path, "out of memory");
	c = &r->cands[r->ncands++];
	memset(c, 0, sizeof(*c));
	memcpy(c->prefix, key, plen);
	c->which = (unsigned)which;
	c->is_int = v->is_int;
	c->negative = v->negative;
	c->too_big = v->too_big;
	c->empty = v->is_int && !v->any && !v->negative && !v->too_big;
	c->max = v->max;
	snprintf(c->key, sizeof(c->key), "%s", key);
	return VF_OK;
}

/* Keeps a general.* value as model metadata, as text. */
static enum vf_status keep_meta(struct rd *r, const char *key, const struct val *v)
{
	char num[32];

	if (v->type == T_STRING && v->str)
		return vf_model_add_meta(r->m, key, v->str, r->err);
	if (v->type == T_BOOL)
		return VF_OK;
	if (type_is_int(v->type)) {
		if (type_is_signed(v->type))
			snprintf(num, sizeof(num), "%lld", (long long)(int64_t)v->u);
		else
			snprintf(num, sizeof(num), "%llu", (unsigned long long)v->u);
		return vf_model_add_meta(r->m, key, num, r->err);
	}
	return VF_OK;
}

/* What one kv pair tells us: alignment, architecture, metadata, arch facts. */
static enum vf_status use_kv(struct rd *r, const char *key, const struct val *v)
{
	size_t plen;
	int which;

	if (strcmp(key, "general.alignment") == 0) {
		if (v->type != T_U32)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "key \"general.alignment\" is of type %s, not u32",
				       type_names[v->type]);
		if (v->u == 0 || (v->u & (v->u - 1)) != 0)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "alignment %llu is not a power of two",
				       (unsigned long long)v->u);
		r->alignment = v->u;
	} else if (strcmp(key, "general.architecture") == 0) {
		if (v->type != T_STRING)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "key \"general.architecture\" is of type %s, not string",
				       type_names[v->type]);
		if (!v->str || strlen(v->str) >= sizeof(r->arch))
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "general.architecture is longer than %zu bytes",
				       sizeof(r->arch) - 1);
		if (has_control(v->str))
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "general.architecture holds control characters");
		strcpy(r->arch, v->str);
		r->have_arch = true;
	} else if (strcmp(key, "tokenizer.ggml.tokens") == 0 && v->type == T_ARRAY) {
		r->ntokens = v->n;
		r->have_tokens = true;
	} else if (strcmp(key, "split.count") == 0 && v->is_int && v->type != T_ARRAY) {
		r->split_count = v->u;
	} else if (strcmp(key, "split.no") == 0 && v->is_int && v->type != T_ARRAY) {
		r->split_no = v->u;
	}
	if (is_meta_key(key) && v->type != T_ARRAY)
		if (keep_meta(r, key, v))
			return r->err->status;
	if ((which = arch_key(key, &plen)) >= 0)
		return add_cand(r, key, plen, which, v);
	return VF_OK;
}

static enum vf_status read_kv(struct rd *r)
{
	uint64_t len;
	uint32_t type;
	char *key;
	struct val v = {0};
	size_t plen;
	enum vf_status st;
	int put;

	if (rd_strlen(r, &len))
		return r->err->status;
	if (len == 0)
		return vf_fail(r->err, VF_EFORMAT, r->path, "key %llu is empty",
			       (unsigned long long)r->idx);
	if (len > GGUF_MAX_KEY)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "key %llu is %llu bytes long (at most %d)",
			       (unsigned long long)r->idx, (unsigned long long)len, GGUF_MAX_KEY);
	if (rd_strdata(r, len, &key) || own_key(r, key))
		return r->err->status;
	/* keys appear in messages, which must stay one line */
	if (has_nul(key, len) || !vf_utf8_valid((unsigned char *)key, (size_t)len) ||
	    has_control(key))
		return vf_fail(r->err, VF_EFORMAT, r->path, "key %llu is not printable UTF-8 text",
			       (unsigned long long)r->idx);
	put = vf_strmap_put(&r->keys, key, (uint32_t)r->idx, NULL);
	if (put < 0)
		return vf_fail(r->err, VF_ENOMEM, r->path, "out of memory");
	if (put == 0)
		return vf_fail(r->err, VF_EFORMAT, r->path, "key \"%s\" appears twice", key);
	r->at = AT_VALUE;
	r->key = key;
	if (rd_u32(r, &type))
		return r->err->status;
	st = read_value(r, type, 0, arch_key(key, &plen) >= 0 || strncmp(key, "split.", 6) == 0,
			is_meta_key(key) || strcmp(key, "general.architecture") == 0, &v);
	if (!st)
		st = use_kv(r, key, &v);
	vf_free(v.str);
	r->at = AT_KEY;
	return st;
}

/* ---- tensor infos ---- */

static enum vf_status ggml_type(struct rd *r, const char *name, uint32_t id, enum vf_dtype *dt)
{
	if (id >= GGML_NTYPES)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "tensor \"%s\" has unknown ggml type %u", name, id);
	if (ggml_types[id].state == G_RETIRED)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "tensor \"%s\" has ggml type %u (%s), which ggml no longer supports",
			       name, id, ggml_types[id].name);
	if (ggml_types[id].state == G_NEWER)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "tensor \"%s\" has ggml type %u (%s), which vramfit does not "
			       "support yet",
			       name, id, ggml_types[id].name);
	*dt = ggml_types[id].dt;
	return VF_OK;
}

/* Reads one tensor info and adds the tensor, its offset still relative to the
 * data section. */
static enum vf_status read_tensor_info(struct rd *r, uint32_t file)
{
	char *name = r->tname;
	uint64_t len, ne[GGUF_MAX_DIMS], shape[GGUF_MAX_DIMS], numel = 1, nbytes, off;
	uint32_t nd, id;
	enum vf_dtype dt = VF_DT_UNKNOWN;
	struct vf_tensor t = {0};
	bool zero = false;

	r->have_tname = false;
	if (rd_strlen(r, &len))
		return r->err->status;
	if (len == 0)
		return vf_fail(r->err, VF_EFORMAT, r->path, "tensor %llu has an empty name",
			       (unsigned long long)r->idx);
	if (len >= GGUF_MAX_NAME)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "name of tensor %llu is %llu bytes long (at most %d)",
			       (unsigned long long)r->idx, (unsigned long long)len,
			       GGUF_MAX_NAME - 1);
	if (rd_bytes(r, name, (size_t)len))
		return r->err->status;
	name[len] = '\0';
	if (has_nul(name, len) || !vf_utf8_valid((unsigned char *)name, (size_t)len) ||
	    has_control(name))
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "name of tensor %llu is not printable UTF-8 text",
			       (unsigned long long)r->idx);
	r->have_tname = true;
	if (rd_u32(r, &nd))
		return r->err->status;
	if (nd > GGUF_MAX_DIMS)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "tensor \"%s\" has %u dimensions (at most %d)", name, nd,
			       GGUF_MAX_DIMS);
	for (uint32_t d = 0; d < nd; d++) {
		if (rd_u64(r, &ne[d]))
			return r->err->status;
		/* ggml keeps dims as int64_t: 2^63 and above would be negative */
		if (ne[d] > (uint64_t)INT64_MAX)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "tensor \"%s\" dimension %u is %llu (at most 2^63-1)", name,
				       d, (unsigned long long)ne[d]);
		zero |= ne[d] == 0;
	}
	/* A zero dimension makes an empty tensor whatever the others are (ggml
	 * accepts it), and nothing below divides by a dimension. */
	for (uint32_t d = 0; d < nd && !zero; d++)
		if (!vf_mul_ok(numel, ne[d], &numel) || numel > (uint64_t)INT64_MAX)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "tensor \"%s\": element count overflows 63 bits", name);
	if (zero)
		numel = 0;
	if (rd_u32(r, &id) || ggml_type(r, name, id, &dt))
		return r->err->status;
	{
		uint64_t be = vf_dtype_block_elems(dt), bb = vf_dtype_block_bytes(dt);
		uint64_t ne0 = nd ? ne[0] : 1;
		if (ne0 % be != 0)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "tensor \"%s\": first dimension %llu is not a multiple of "
				       "the %s block size %llu",
				       name, (unsigned long long)ne0, ggml_types[id].name,
				       (unsigned long long)be);
		/* checked: a 1-D F32 tensor of 2^62+8 elements is 2^64+32 bytes,
		 * which an unchecked product reads as 32 */
		nbytes = 0;
		if (!zero && !vf_mul_ok(ne0 / be, bb, &nbytes))
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "tensor \"%s\": size in bytes overflows 64 bits", name);
		for (uint32_t d = 1; d < nd && !zero; d++)
			if (!vf_mul_ok(nbytes, ne[d], &nbytes))
				return vf_fail(r->err, VF_EFORMAT, r->path,
					       "tensor \"%s\": size in bytes overflows 64 bits",
					       name);
	}
	if (rd_u64(r, &off))
		return r->err->status;
	for (uint32_t d = 0; d < nd; d++)
		shape[d] = ne[nd - 1 - d]; /* outermost first, as torch */
	t.name = name;
	t.shape = shape;
	t.ndim = nd;
	t.dtype = dt;
	t.file = file;
	t.numel = numel;
	t.nbytes = nbytes;
	t.offset = off;
	t.count_params = numel;
	t.count_bytes = nbytes;
	return vf_model_add_tensor(r->m, &t, r->path, r->err);
}

/*
 * The data section: each tensor at the padded running size, in info order (as
 * gguf.cpp demands; it also makes offsets aligned), and every tensor's data
 * inside the file (as llama_model_loader demands).  Offsets become absolute.
 */
static enum vf_status check_layout(struct rd *r, size_t first, uint64_t infos_end)
{
	struct vf_tensor *ts = r->m->tensors;
	uint64_t a = r->alignment, at = 0, start, size = r->s.size;

	r->at = AT_LAYOUT;
	if (first == r->m->ntensors)
		return VF_OK;
	/* infos_end < 2^64 - a because the file is smaller than 2^63 bytes */
	start = (infos_end + a - 1) & ~(a - 1);
	if (start > size)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "data section would start at byte %llu, past the end of the file "
			       "(%llu bytes)",
			       (unsigned long long)start, (unsigned long long)size);
	for (size_t i = first; i < r->m->ntensors; i++) {
		uint64_t padded;
		if (ts[i].offset % a != 0)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "tensor \"%s\" offset %llu is not a multiple of the "
				       "alignment %llu",
				       ts[i].name, (unsigned long long)ts[i].offset,
				       (unsigned long long)a);
		if (ts[i].offset != at)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "tensor \"%s\" is at offset %llu, expected %llu (the data "
				       "of each tensor follows the previous one, padded to %llu)",
				       ts[i].name, (unsigned long long)ts[i].offset,
				       (unsigned long long)at, (unsigned long long)a);
		if (!vf_add_ok(ts[i].nbytes, a - 1, &padded) ||
		    !vf_add_ok(at, padded & ~(a - 1), &at))
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "tensor \"%s\": padded tensor sizes add up past 2^64 bytes",
				       ts[i].name);
	}
	for (size_t i = first; i < r->m->ntensors; i++) {
		uint64_t begin, end;
		if (!vf_add_ok(start, ts[i].offset, &begin) ||
		    !vf_add_ok(begin, ts[i].nbytes, &end))
			return vf_fail(
			    r->err, VF_EFORMAT, r->path,
			    "tensor \"%s\" data runs past the end of the file (ends past "
			    "byte 2^64, the file has %llu)",
			    ts[i].name, (unsigned long long)size);
		if (end > size)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "tensor \"%s\" data runs past the end of the file (ends at "
				       "byte %llu, the file has %llu)",
				       ts[i].name, (unsigned long long)end,
				       (unsigned long long)size);
		ts[i].offset = begin;
	}
	return VF_OK;
}

/* ---- the architecture ---- */

static enum vf_status fill_arch(struct rd *r)
{
	struct vf_arch *a = &r->m->arch;
	int64_t rope = VF_UNSET;

	vf_arch_init(a);
	strcpy(a->model_type, r->arch);
	for (size_t i = 0; i < r->ncands; i++) {
		const struct cand *c = &r->cands[i];
		int64_t *f;
		if (strcmp(c->prefix, r->arch) != 0)
			continue;
		if (!c->is_int)
			return vf_fail(r->err, VF_EFORMAT, r->path,
				       "key \"%s\" is not an integer or an array of integers",
				       c->key);
		if (c->negative)
			return vf_fail(r->err, VF_EFORMAT, r->path, "key \"%s\" is negative",
				       c->key);
		if (c->too_big)
			return vf_fail(
			    r->err, VF_EFORMAT, r->path,
			    "key \"%s\" is 2^40 or more, too large for a model dimension", c->key);
		if (c->empty)
			continue;
		if (arch_keys[c->which].off == K_ROPE_DIMS) {
			rope = c->max;
			continue;
		}
		f = (int64_t *)((char *)a + arch_keys[c->which].off);
		*f = c->max; /* per-layer arrays: the largest layer */
	}
	if (a->num_layers > VF_MAX_LAYERS)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "%lld layers is more than the %d supported",
			       (long long)a->num_layers, VF_MAX_LAYERS);
	/* Multi-head latent attention (DeepSeek-2/3 and kin): rope.dimension_count
	 * is the rotary part of each head.  Elsewhere it only repeats head_dim. */
	if (a->kv_lora_rank != VF_UNSET)
		a->qk_rope_head_dim = rope;
	if (a->vocab == VF_UNSET && r->have_tokens && r->ntokens <= (uint64_t)INT_MAX_VALUE)
		a->vocab = (int64_t)r->ntokens;
	/* llama.cpp's defaults when the keys are absent (llama-model.cpp) */
	if (a->kv_heads == VF_UNSET && a->heads != VF_UNSET) {
		a->kv_heads = a->heads;
		a->kv_heads_default = true;
	}
	if (a->head_dim == VF_UNSET && a->heads > 0 && a->hidden != VF_UNSET &&
	    a->hidden % a->heads == 0) {
		a->head_dim = a->hidden / a->heads;
		a->head_dim_default = true;
	}
	/* No output.weight: llama.cpp reuses token_embd as the head. */
	if (r->m->ntensors)
		a->tie_word_embeddings = vf_model_find(r->m, "output.weight") < 0 ? 1 : 0;
	a->present = true;
	return VF_OK;
}

static enum vf_status read_header(struct rd *r, uint32_t file)
{
	unsigned char magic[4];
	uint32_t version;
	uint64_t ntensors, nkv;
	size_t first = r->m->ntensors;
	enum vf_status st;

	r->at = AT_HEADER;
	if (rd_bytes(r, magic, 4))
		return r->err->status;
	if (memcmp(magic, "GGUF", 4) != 0)
		return vf_fail(r->err, VF_EFORMAT, r->path, "not a GGUF file (no \"GGUF\" magic)");
	if (rd_u32(r, &version))
		return r->err->status;
	if (version != 0 && (version & 0xffff) == 0)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "GGUF version 0x%08x looks byte-swapped: big-endian files are not "
			       "supported",
			       version);
	if (version != 2 && version != 3)
		return vf_fail(r->err, VF_EFORMAT, r->path,
			       "GGUF version %u is not supported (only 2 and 3)", version);
	if (rd_u64(r, &ntensors) || rd_u64(r, &nkv))
		return r->err->status;
	r->at = AT_KEY;
	r->count = nkv;
	for (r->idx = 0; r->idx < nkv; r->idx++)
		if ((st = read_kv(r)))
			return st;
	r->at = AT_TENSOR;
	r->count = ntensors;
	for (r->idx = 0; r->idx < ntensors; r->idx++)
		if ((st = read_tensor_info(r, file)))
			return st;
	r->have_tname = false;
	if ((st = check_layout(r, first, r->s.pos)))
		return st;
	if (r->split_count > 1 &&
	    (st = vf_model_warn(r->m, r->err,
				"this file is part %llu of %llu of a split GGUF model; only this "
				"part was read",
				(unsigned long long)r->split_no + 1,
				(unsigned long long)r->split_count)))
		return st;
	if (!r->m->arch.present && r->have_arch)
		return fill_arch(r);
	return VF_OK;
}

enum vf_status vf_gguf_read_file(struct vf_model *m, const char *path, struct vf_err *err)
{
	struct vf_file f;
	struct rd r;
	uint32_t file;
	enum vf_status st;

	memset(&r, 0, sizeof(r));
	r.m = m;
	r.path = path;
	r.err = err;
	r.alignment = GGUF_DEFAULT_ALIGNMENT;
	if ((st = vf_file_open(&f, path, err)))
		return st;
	if (!(st = vf_stream_open_file(&r.s, &f, 0, err)) &&
	    !(st = vf_model_add_file(m, path, &file, err)))
		st = read_header(&r, file);
	vf_stream_close(&r.s);
	vf_file_close(&f);
	vf_strmap_free(&r.keys);
	for (size_t i = 0; i < r.nowned; i++)
		vf_free(r.owned[i]);
	vf_free(r.owned);
	vf_free(r.cands);
	return st;
}
