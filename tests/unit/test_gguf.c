/*
 * test_gguf.c - the GGUF reader against hostile files built byte by byte (one
 * per bug class that hit llama.cpp's own parser, shared/reference/formats.md,
 * and one per check of src/gguf.cpp), a file truncated at every byte, the
 * fixtures written by the gguf package (tests/tools/gen_gguf.py) with the
 * architecture values the generator wrote, an allocation-failure loop, and a
 * sparse 4 GiB file that must cost only its header in bytes read.
 */
#include "tests/unit/testutil.h"

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"
#include "planner/planner.h"

/* ---- a byte builder for GGUF files ---- */

struct gb {
	unsigned char *p;
	size_t n, cap;
};

static void gb_put(struct gb *b, const void *d, size_t n)
{
	if (!n)
		return;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void gb_le(struct gb *b, uint64_t v, int bytes)
{
	unsigned char x[8];

	for (int i = 0; i < bytes; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	gb_put(b, x, (size_t)bytes);
}

static void gb_u32(struct gb *b, uint32_t v)
{
	gb_le(b, v, 4);
}

static void gb_u64(struct gb *b, uint64_t v)
{
	gb_le(b, v, 8);
}

static void gb_str(struct gb *b, const char *s)
{
	gb_u64(b, strlen(s));
	gb_put(b, s, strlen(s));
}

static void gb_hdr(struct gb *b, uint32_t version, uint64_t ntensors, uint64_t nkv)
{
	gb_put(b, "GGUF", 4);
	gb_u32(b, version);
	gb_u64(b, ntensors);
	gb_u64(b, nkv);
}

enum { U8, I8, U16, I16, U32, I32, F32, BOOL, STR, ARR, U64, I64, F64 };

static void gb_kv_u32(struct gb *b, const char *key, uint32_t v)
{
	gb_str(b, key);
	gb_u32(b, U32);
	gb_u32(b, v);
}

static void gb_kv_str(struct gb *b, const char *key, const char *v)
{
	gb_str(b, key);
	gb_u32(b, STR);
	gb_str(b, v);
}

/* A tensor info; dims innermost first, as the file stores them. */
static void gb_tensor(struct gb *b, const char *name, uint32_t nd, const uint64_t *ne,
		      uint32_t type, uint64_t off)
{
	gb_str(b, name);
	gb_u32(b, nd);
	for (uint32_t i = 0; i < nd; i++)
		gb_u64(b, ne[i]);
	gb_u32(b, type);
	gb_u64(b, off);
}

static void gb_pad(struct gb *b, size_t a)
{
	static const unsigned char z[256];

	gb_put(b, z, (a - b->n % a) % a);
}

static void gb_zeros(struct gb *b, size_t n)
{
	static const unsigned char z[256];

	for (; n > 256; n -= 256)
		gb_put(b, z, 256);
	gb_put(b, z, n);
}

/* ggml type ids used below */
#define G_F32 0
#define G_Q4_0 2
#define G_Q8_0 8
#define G_Q4_K 12
#define G_I8 24

/* One tensor of type `type`, dims ne (innermost first), then data_len bytes of
 * data after the padded infos.  The usual frame for the tensor cases. */
static void one_tensor(struct gb *b, const char *name, uint32_t nd, const uint64_t *ne,
		       uint32_t type, uint64_t off, size_t data_len)
{
	gb_hdr(b, 3, 1, 1);
	gb_kv_str(b, "general.architecture", "llama");
	gb_tensor(b, name, nd, ne, type, off);
	gb_pad(b, 32);
	gb_zeros(b, data_len);
}

/* ---- the hostile cases ---- */

#define MAX64 18446744073709551615ULL

static void c_key_len_max(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_u64(b, MAX64);
	gb_put(b, "ab", 2);
}

static void c_value_len_max(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "general.name");
	gb_u32(b, STR);
	gb_u64(b, MAX64);
	gb_put(b, "tiny", 4);
}

static void c_name_len_max(struct gb *b)
{
	gb_hdr(b, 3, 1, 0);
	gb_u64(b, MAX64);
	gb_put(b, "x", 1);
}

static void c_huge_nkv(struct gb *b)
{
	gb_hdr(b, 3, 0, MAX64);
	gb_kv_u32(b, "a.b", 1);
}

static void c_huge_ntensors(struct gb *b)
{
	uint64_t ne[1] = {32};

	gb_hdr(b, 3, 0x4000000000000000ULL, 0);
	gb_tensor(b, "a", 1, ne, G_F32, 0);
}

/* 2^61 u64 elements: n * 8 wraps to 0 in 64 bits */
static void c_array_wrap(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "x.values");
	gb_u32(b, ARR);
	gb_u32(b, U64);
	gb_u64(b, 1ULL << 61);
	gb_u64(b, 7);
}

/* 2^63 u16 elements: n * 2 wraps to 0 */
static void c_array_wrap16(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "x.values");
	gb_u32(b, ARR);
	gb_u32(b, U16);
	gb_u64(b, 1ULL << 63);
}

/* 2^61 strings: at least 8 bytes each, 2^64 in all */
static void c_array_strings_wrap(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "tokenizer.ggml.tokens");
	gb_u32(b, ARR);
	gb_u32(b, STR);
	gb_u64(b, 1ULL << 61);
	gb_str(b, "a");
}

static void c_array_string_elem_len(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "tokenizer.ggml.tokens");
	gb_u32(b, ARR);
	gb_u32(b, STR);
	gb_u64(b, 2);
	gb_str(b, "a");
	gb_u64(b, 1000);
	gb_put(b, "bcd", 3);
}

static void c_nested_too_deep(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "x.nested");
	gb_u32(b, ARR);
	for (int i = 0; i < 9; i++) {
		gb_u32(b, ARR);
		gb_u64(b, 1);
	}
	gb_u32(b, U8);
	gb_u64(b, 1);
	gb_zeros(b, 1);
}

static void c_nested_array_huge(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "x.nested");
	gb_u32(b, ARR);
	gb_u32(b, ARR);
	gb_u64(b, MAX64 / 12 + 1);
	gb_u32(b, U8);
	gb_u64(b, 0);
}

static void c_unknown_kv_type(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "x.y");
	gb_u32(b, 13);
	gb_u32(b, 0);
}

static void c_unknown_elem_type(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "x.y");
	gb_u32(b, ARR);
	gb_u32(b, 0xffffffffu);
	gb_u64(b, 0);
}

static void c_five_dims(struct gb *b)
{
	uint64_t ne[5] = {32, 1, 1, 1, 1};

	one_tensor(b, "blk.0.attn_q.weight", 5, ne, G_F32, 0, 128);
}

static void c_type_out_of_range(struct gb *b)
{
	uint64_t ne[1] = {32};

	one_tensor(b, "w", 1, ne, 42, 0, 128);
}

static void c_type_negative(struct gb *b)
{
	uint64_t ne[1] = {32};

	one_tensor(b, "w", 1, ne, 0xffffffffu, 0, 128);
}

static uint32_t retired_id;
static void c_type_retired(struct gb *b)
{
	uint64_t ne[1] = {256};

	one_tensor(b, "w", 1, ne, retired_id, 0, 1024);
}

static void c_type_newer(struct gb *b)
{
	uint64_t ne[1] = {64};

	one_tensor(b, "w", 1, ne, 40, 0, 64);
}

static void c_elements_overflow(struct gb *b)
{
	uint64_t ne[2] = {1ULL << 32, 1ULL << 32};

	one_tensor(b, "w", 2, ne, G_I8, 0, 0);
}

/* 2^62 * 2 = 2^63 fits in 64 bits but not in ggml's int64_t element count */
static void c_elements_past_int64(struct gb *b)
{
	uint64_t ne[2] = {1ULL << 62, 2};

	one_tensor(b, "w", 2, ne, G_I8, 0, 0);
}

static void c_int64_max_times_two(struct gb *b)
{
	uint64_t ne[2] = {INT64_MAX, 2};

	one_tensor(b, "w", 2, ne, G_I8, 0, 0);
}

static void c_dim_2_63(struct gb *b)
{
	uint64_t ne[2] = {32, 1ULL << 63};

	one_tensor(b, "w", 2, ne, G_F32, 0, 0);
}

static void c_dim_max(struct gb *b)
{
	uint64_t ne[1] = {MAX64};

	one_tensor(b, "w", 1, ne, G_I8, 0, 0);
}

/* INT64_MAX I8 elements is a legal count and size: only the file is too short */
static void c_dim_int64_max(struct gb *b)
{
	uint64_t ne[1] = {INT64_MAX};

	one_tensor(b, "w", 1, ne, G_I8, 0, 32);
}

static void c_bytes_overflow(struct gb *b)
{
	uint64_t ne[2] = {1ULL << 61, 2}; /* 2^62 F32 values: 2^64 bytes */

	one_tensor(b, "w", 2, ne, G_F32, 0, 0);
}

/* 1-D: ne0 / block * block_bytes itself overflows.  2^62+8 F32 values are
 * 2^64+32 bytes, which an unchecked product reads as 32 (issue 12). */
static void c_bytes_overflow_1d(struct gb *b)
{
	uint64_t ne[1] = {(1ULL << 62) + 8};

	one_tensor(b, "w", 1, ne, G_F32, 0, 32);
}

/* 2^61 F64 values: exactly 2^64 bytes, read unchecked as 0 */
static void c_bytes_overflow_1d_f64(struct gb *b)
{
	uint64_t ne[1] = {1ULL << 61};

	one_tensor(b, "w", 1, ne, 28, 0, 0);
}

/* Two I8 tensors of 2^63-1 bytes each: each pads to 2^63, the sum is 2^64. */
static void c_padded_sum_overflow(struct gb *b)
{
	uint64_t ne[1] = {INT64_MAX};

	gb_hdr(b, 3, 2, 0);
	gb_tensor(b, "a", 1, ne, G_I8, 0);
	gb_tensor(b, "b", 1, ne, G_I8, 1ULL << 63);
	gb_pad(b, 32);
}

/* One I64 tensor of 2^64 - 8 bytes: its own padding overflows. */
static void c_padded_size_overflow(struct gb *b)
{
	uint64_t ne[1] = {(1ULL << 61) - 1};

	one_tensor(b, "w", 1, ne, 27, 0, 0);
}

/* An I64 tensor of 2^64 - 40 bytes: padded, it still fits in 64 bits (so the
 * layout is sound), but its end in the file does not once the data section's
 * start is added.  The message must not print a wrapped number. */
static void c_data_end_wraps(struct gb *b)
{
	uint64_t ne[1] = {(1ULL << 61) - 5};

	one_tensor(b, "w", 1, ne, 27, 0, 0);
}

static void c_block_multiple(struct gb *b)
{
	uint64_t ne[2] = {33, 2};

	one_tensor(b, "blk.0.ffn_up.weight", 2, ne, G_Q4_0, 0, 64);
}

static void c_block_multiple_k(struct gb *b)
{
	uint64_t ne[2] = {32, 8}; /* 256 values, but rows of 32: not whole Q4_K blocks */

	one_tensor(b, "w", 2, ne, G_Q4_K, 0, 144);
}

static void c_misaligned(struct gb *b)
{
	uint64_t ne[1] = {8};

	one_tensor(b, "w", 1, ne, G_F32, 1, 64);
}

static void c_gap_at_start(struct gb *b)
{
	uint64_t ne[1] = {8};

	one_tensor(b, "w", 1, ne, G_F32, 32, 64);
}

static void c_out_of_order(struct gb *b)
{
	uint64_t ne[1] = {8};

	gb_hdr(b, 3, 2, 0);
	gb_tensor(b, "a", 1, ne, G_F32, 32);
	gb_tensor(b, "b", 1, ne, G_F32, 0);
	gb_pad(b, 32);
	gb_zeros(b, 64);
}

static void c_overlap(struct gb *b)
{
	uint64_t ne[1] = {8};

	gb_hdr(b, 3, 2, 0);
	gb_tensor(b, "a", 1, ne, G_F32, 0);
	gb_tensor(b, "b", 1, ne, G_F32, 0);
	gb_pad(b, 32);
	gb_zeros(b, 64);
}

static void c_data_past_end(struct gb *b)
{
	uint64_t ne[1] = {16};

	one_tensor(b, "w", 1, ne, G_F32, 0, 63);
}

static void c_far_offset(struct gb *b)
{
	uint64_t ne[1] = {8};

	gb_hdr(b, 3, 2, 0);
	gb_tensor(b, "a", 1, ne, G_F32, 0);
	gb_tensor(b, "b", 1, ne, G_F32, 1ULL << 62);
	gb_pad(b, 32);
	gb_zeros(b, 64);
}

/* Infos end unaligned and the file ends with them: no room for the padding. */
static void c_data_start_past_end(struct gb *b)
{
	uint64_t ne[1] = {0};

	gb_hdr(b, 3, 1, 0);
	gb_tensor(b, "w", 1, ne, G_F32, 0);
	if (b->n % 32 == 0)
		gb_zeros(b, 1);
}

static void c_duplicate_tensor(struct gb *b)
{
	uint64_t ne[1] = {8};

	gb_hdr(b, 3, 2, 0);
	gb_tensor(b, "blk.0.attn_k.weight", 1, ne, G_F32, 0);
	gb_tensor(b, "blk.0.attn_k.weight", 1, ne, G_F32, 32);
	gb_pad(b, 32);
	gb_zeros(b, 64);
}

static void c_duplicate_key(struct gb *b)
{
	gb_hdr(b, 3, 0, 2);
	gb_kv_str(b, "general.name", "a");
	gb_kv_u32(b, "general.name", 1);
}

static void c_empty_key(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_kv_u32(b, "", 1);
}

static void c_key_too_long(struct gb *b)
{
	static char key[65537];

	memset(key, 'k', 65536);
	gb_hdr(b, 3, 0, 1);
	gb_kv_u32(b, key, 1);
}

static void c_key_bad_utf8(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_kv_u32(b, "a\xff", 1);
}

static void c_key_nul(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_u64(b, 3);
	gb_put(b, "a\0b", 3);
	gb_u32(b, U32);
	gb_u32(b, 1);
}

static void c_key_newline(struct gb *b)
{
	gb_hdr(b, 3, 0, 2);
	gb_kv_u32(b, "a.b", 1);
	gb_kv_u32(b, "a\nb", 1);
}

static void c_arch_control(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_kv_str(b, "general.architecture", "llama\r\n");
}

static uint32_t align_value;
static void c_alignment(struct gb *b)
{
	uint64_t ne[1] = {8};

	gb_hdr(b, 3, 1, 1);
	gb_kv_u32(b, "general.alignment", align_value);
	gb_tensor(b, "w", 1, ne, G_F32, 0);
	gb_pad(b, 32);
	gb_zeros(b, 32);
}

static void c_alignment_u64(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "general.alignment");
	gb_u32(b, U64);
	gb_u64(b, 32);
}

static void c_alignment_array(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_str(b, "general.alignment");
	gb_u32(b, ARR);
	gb_u32(b, U32);
	gb_u64(b, 1);
	gb_u32(b, 32);
}

static uint32_t version_value;
static void c_version(struct gb *b)
{
	gb_hdr(b, version_value, 0, 0);
}

static void c_name_too_long(struct gb *b)
{
	uint64_t ne[1] = {8};

	one_tensor(b, "blk.0.this_name_is_sixty_four_bytes_long_which_ggml_cannot_store", 1, ne,
		   G_F32, 0, 32);
}

static void c_name_empty(struct gb *b)
{
	uint64_t ne[1] = {8};

	one_tensor(b, "", 1, ne, G_F32, 0, 32);
}

static void c_name_control(struct gb *b)
{
	uint64_t ne[1] = {8};

	one_tensor(b, "a\x1b[2Jb", 1, ne, G_F32, 0, 32);
}

static void c_name_bad_utf8(struct gb *b)
{
	uint64_t ne[1] = {8};

	one_tensor(b, "w\xc0\xaf", 1, ne, G_F32, 0, 32);
}

static void c_arch_not_string(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_kv_u32(b, "general.architecture", 7);
}

static void c_arch_too_long(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_kv_str(b, "general.architecture",
		  "an-architecture-name-that-is-longer-than-sixty-three-bytes-in-all");
}

static void c_block_count_string(struct gb *b)
{
	gb_hdr(b, 3, 0, 2);
	gb_kv_str(b, "general.architecture", "llama");
	gb_kv_str(b, "llama.block_count", "32");
}

static void c_block_count_negative(struct gb *b)
{
	gb_hdr(b, 3, 0, 2);
	gb_kv_str(b, "general.architecture", "llama");
	gb_str(b, "llama.block_count");
	gb_u32(b, I32);
	gb_u32(b, 0xfffffffeu);
}

static void c_heads_array_negative(struct gb *b)
{
	/* the architecture comes after its keys: still applied */
	gb_hdr(b, 3, 0, 2);
	gb_str(b, "llama.attention.head_count");
	gb_u32(b, ARR);
	gb_u32(b, I16);
	gb_u64(b, 2);
	gb_le(b, 8, 2);
	gb_le(b, 0xffff, 2);
	gb_kv_str(b, "general.architecture", "llama");
}

static void c_too_many_layers(struct gb *b)
{
	gb_hdr(b, 3, 0, 2);
	gb_kv_str(b, "general.architecture", "llama");
	gb_kv_u32(b, "llama.block_count", 5000);
}

static void c_dim_huge_u64_arch(struct gb *b)
{
	gb_hdr(b, 3, 0, 2);
	gb_kv_str(b, "general.architecture", "llama");
	gb_str(b, "llama.embedding_length");
	gb_u32(b, U64);
	gb_u64(b, 1ULL << 50);
}

static void c_meta_bad_utf8(struct gb *b)
{
	gb_hdr(b, 3, 0, 1);
	gb_kv_str(b, "general.name", "caf\xe9");
}

struct bad_case {
	const char *name;
	void (*build)(struct gb *b);
	uint32_t *param; /* set to value before building, when not NULL */
	uint32_t value;
	const char *msg; /* the message, or a part of it when exact is false */
	bool exact;
};

static const struct bad_case cases[] = {
    /* string lengths of 2^64-1 (llama.cpp: calloc(n + 1) wrapped to 0) */
    {"key_len_max", c_key_len_max, NULL, 0,
     "string length 18446744073709551615 runs past the end of the file (in key-value pair 0 of "
     "1)",
     true},
    {"value_len_max", c_value_len_max, NULL, 0,
     "string length 18446744073709551615 runs past the end of the file (in the value of "
     "\"general.name\")",
     true},
    {"name_len_max", c_name_len_max, NULL, 0,
     "string length 18446744073709551615 runs past the end of the file (in tensor info 0 of 1)",
     true},
    /* huge counts (llama.cpp: malloc(n * size) wrapped) run into the end of the file */
    {"huge_nkv", c_huge_nkv, NULL, 0,
     "truncated: the file ends inside key-value pair 1 of 18446744073709551615", true},
    {"huge_ntensors", c_huge_ntensors, NULL, 0,
     "truncated: the file ends inside tensor info 1 of 4611686018427387904", true},
    /* array n * elem_size wrapping */
    {"array_wrap", c_array_wrap, NULL, 0,
     "array of 2305843009213693952 u64 elements runs past the end of the file (in the value of "
     "\"x.values\")",
     true},
    {"array_wrap16", c_array_wrap16, NULL, 0,
     "array of 9223372036854775808 u16 elements runs past the end", false},
    {"array_strings_wrap", c_array_strings_wrap, NULL, 0,
     "array of 2305843009213693952 string elements runs past the end", false},
    {"array_string_elem_len", c_array_string_elem_len, NULL, 0,
     "string length 1000 runs past the end of the file (in the value of "
     "\"tokenizer.ggml.tokens\")",
     true},
    {"nested_too_deep", c_nested_too_deep, NULL, 0,
     "arrays nest more than 8 deep in the value of \"x.nested\"", true},
    {"nested_array_huge", c_nested_array_huge, NULL, 0,
     "array of 1537228672809129302 array elements runs past the end", false},
    {"unknown_kv_type", c_unknown_kv_type, NULL, 0, "unknown value type 13 in the value of \"x.y\"",
     true},
    {"unknown_elem_type", c_unknown_elem_type, NULL, 0,
     "unknown array element type 4294967295 in the value of \"x.y\"", true},
    /* n_dims > GGML_MAX_DIMS */
    {"five_dims", c_five_dims, NULL, 0,
     "tensor \"blk.0.attn_q.weight\" has 5 dimensions (at most 4)", true},
    /* type ids out of range, negative as int32, retired, newer than vramfit */
    {"type_42", c_type_out_of_range, NULL, 0, "tensor \"w\" has unknown ggml type 42", true},
    {"type_negative", c_type_negative, NULL, 0, "tensor \"w\" has unknown ggml type 4294967295",
     true},
    {"type_4", c_type_retired, &retired_id, 4,
     "tensor \"w\" has ggml type 4 (Q4_2), which ggml no longer supports", true},
    {"type_5", c_type_retired, &retired_id, 5, "type 5 (Q4_3), which ggml no longer supports",
     false},
    {"type_31", c_type_retired, &retired_id, 31, "type 31 (Q4_0_4_4), which ggml no longer", false},
    {"type_32", c_type_retired, &retired_id, 32, "type 32 (Q4_0_4_8), which ggml no longer", false},
    {"type_33", c_type_retired, &retired_id, 33, "type 33 (Q4_0_8_8), which ggml no longer", false},
    {"type_36", c_type_retired, &retired_id, 36, "type 36 (IQ4_NL_4_4), which ggml no longer",
     false},
    {"type_37", c_type_retired, &retired_id, 37, "type 37 (IQ4_NL_4_8), which ggml no longer",
     false},
    {"type_38", c_type_retired, &retired_id, 38, "type 38 (IQ4_NL_8_8), which ggml no longer",
     false},
    {"type_40", c_type_newer, NULL, 0,
     "tensor \"w\" has ggml type 40 (NVFP4), which vramfit does not support yet", true},
    /* overflowing element products, and dims that are negative as int64 */
    {"elements_overflow", c_elements_overflow, NULL, 0,
     "tensor \"w\": element count overflows 63 bits", true},
    {"elements_past_int64", c_elements_past_int64, NULL, 0,
     "tensor \"w\": element count overflows 63 bits", true},
    {"int64_max_times_two", c_int64_max_times_two, NULL, 0,
     "tensor \"w\": element count overflows 63 bits", true},
    {"dim_2_63", c_dim_2_63, NULL, 0,
     "tensor \"w\" dimension 1 is 9223372036854775808 (at most 2^63-1)", true},
    {"dim_max", c_dim_max, NULL, 0,
     "tensor \"w\" dimension 0 is 18446744073709551615 (at most 2^63-1)", true},
    {"dim_int64_max", c_dim_int64_max, NULL, 0, "tensor \"w\" data runs past the end of the file",
     false},
    {"bytes_overflow", c_bytes_overflow, NULL, 0, "tensor \"w\": size in bytes overflows 64 bits",
     true},
    {"bytes_overflow_1d", c_bytes_overflow_1d, NULL, 0,
     "tensor \"w\": size in bytes overflows 64 bits", true},
    {"bytes_overflow_1d_f64", c_bytes_overflow_1d_f64, NULL, 0,
     "tensor \"w\": size in bytes overflows 64 bits", true},
    /* overflowing sums of padded sizes */
    {"padded_sum_overflow", c_padded_sum_overflow, NULL, 0,
     "tensor \"b\": padded tensor sizes add up past 2^64 bytes", true},
    {"padded_size_overflow", c_padded_size_overflow, NULL, 0,
     "tensor \"w\": padded tensor sizes add up past 2^64 bytes", true},
    {"data_end_wraps", c_data_end_wraps, NULL, 0,
     "tensor \"w\" data runs past the end of the file (ends past byte 2^64, the file has 128)",
     true},
    /* ne0 not a multiple of the block size */
    {"block_multiple", c_block_multiple, NULL, 0,
     "tensor \"blk.0.ffn_up.weight\": first dimension 33 is not a multiple of the Q4_0 block "
     "size 32",
     true},
    {"block_multiple_k", c_block_multiple_k, NULL, 0,
     "first dimension 32 is not a multiple of the Q4_K block size 256", false},
    /* the data layout gguf.cpp demands */
    {"misaligned", c_misaligned, NULL, 0,
     "tensor \"w\" offset 1 is not a multiple of the alignment 32", true},
    {"gap_at_start", c_gap_at_start, NULL, 0, "tensor \"w\" is at offset 32, expected 0", false},
    {"out_of_order", c_out_of_order, NULL, 0, "tensor \"a\" is at offset 32, expected 0", false},
    {"overlap", c_overlap, NULL, 0, "tensor \"b\" is at offset 0, expected 32", false},
    {"far_offset", c_far_offset, NULL, 0, "tensor \"b\" is at offset 4611686018427387904", false},
    {"data_past_end", c_data_past_end, NULL, 0,
     "tensor \"w\" data runs past the end of the file (ends at byte ", false},
    {"data_start_past_end", c_data_start_past_end, NULL, 0, "data section would start at byte ",
     false},
    {"duplicate_tensor", c_duplicate_tensor, NULL, 0,
     "tensor \"blk.0.attn_k.weight\" appears twice", true},
    /* keys */
    {"duplicate_key", c_duplicate_key, NULL, 0, "key \"general.name\" appears twice", true},
    {"empty_key", c_empty_key, NULL, 0, "key 0 is empty", true},
    {"key_too_long", c_key_too_long, NULL, 0, "key 0 is 65536 bytes long (at most 65535)", true},
    {"key_bad_utf8", c_key_bad_utf8, NULL, 0, "key 0 is not printable UTF-8 text", true},
    {"key_nul", c_key_nul, NULL, 0, "key 0 is not printable UTF-8 text", true},
    {"key_newline", c_key_newline, NULL, 0, "key 1 is not printable UTF-8 text", true},
    {"arch_control", c_arch_control, NULL, 0, "general.architecture holds control characters",
     true},
    /* general.alignment: a u32 power of two */
    {"alignment_0", c_alignment, &align_value, 0, "alignment 0 is not a power of two", true},
    {"alignment_48", c_alignment, &align_value, 48, "alignment 48 is not a power of two", true},
    {"alignment_u64", c_alignment_u64, NULL, 0, "key \"general.alignment\" is of type u64, not u32",
     true},
    {"alignment_array", c_alignment_array, NULL, 0,
     "key \"general.alignment\" is of type array, not u32", true},
    /* versions */
    {"version_0", c_version, &version_value, 0, "GGUF version 0 is not supported (only 2 and 3)",
     true},
    {"version_1", c_version, &version_value, 1, "GGUF version 1 is not supported (only 2 and 3)",
     true},
    {"version_4", c_version, &version_value, 4, "GGUF version 4 is not supported (only 2 and 3)",
     true},
    {"version_swapped", c_version, &version_value, 0x03000000,
     "GGUF version 0x03000000 looks byte-swapped: big-endian files are not supported", true},
    /* tensor names */
    {"name_too_long", c_name_too_long, NULL, 0, "name of tensor 0 is 64 bytes long (at most 63)",
     true},
    {"name_empty", c_name_empty, NULL, 0, "tensor 0 has an empty name", true},
    {"name_control", c_name_control, NULL, 0, "name of tensor 0 is not printable UTF-8 text", true},
    {"name_bad_utf8", c_name_bad_utf8, NULL, 0, "name of tensor 0 is not printable UTF-8 text",
     true},
    /* architecture keys */
    {"arch_not_string", c_arch_not_string, NULL, 0,
     "key \"general.architecture\" is of type u32, not string", true},
    {"arch_too_long", c_arch_too_long, NULL, 0, "general.architecture is longer than 63 bytes",
     true},
    {"block_count_string", c_block_count_string, NULL, 0,
     "key \"llama.block_count\" is not an integer or an array of integers", true},
    {"block_count_negative", c_block_count_negative, NULL, 0,
     "key \"llama.block_count\" is negative", true},
    {"heads_array_negative", c_heads_array_negative, NULL, 0,
     "key \"llama.attention.head_count\" is negative", true},
    {"too_many_layers", c_too_many_layers, NULL, 0, "5000 layers is more than the 4096 supported",
     true},
    {"dim_huge_arch", c_dim_huge_u64_arch, NULL, 0,
     "key \"llama.embedding_length\" is 2^40 or more", false},
    {"meta_bad_utf8", c_meta_bad_utf8, NULL, 0,
     "the value of \"general.name\" is not valid UTF-8 text", true},
};

static void run_case(const struct bad_case *c)
{
	char path[512];
	struct gb b = {0};
	struct vf_model *m = (struct vf_model *)1;
	struct vf_err err = {0};
	enum vf_status st;
	bool ok;

	if (c->param)
		*c->param = c->value;
	c->build(&b);
	snprintf(path, sizeof(path), "%s/%s.gguf", tu_scratch(), c->name);
	tu_write(path, b.p, b.n);
	free(b.p);
	st = vf_model_open(path, &m, &err);
	ok = c->exact ? strcmp(err.msg, c->msg) == 0 : strstr(err.msg, c->msg) != NULL;
	if (st != VF_EFORMAT || !ok || strcmp(err.path, path) != 0)
		fail_msg("case %s: status %d, path '%s', message '%s'; want %d and '%s'", c->name,
			 st, err.path, err.msg, VF_EFORMAT, c->msg);
	assert_null(m);
}

static void test_every_bad_case(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

/* ---- legal edges ---- */

static struct vf_model *open_ok(const char *name, const struct gb *b, uint64_t size)
{
	char path[512];
	struct vf_model *m = NULL;
	struct vf_err err = {0};

	snprintf(path, sizeof(path), "%s/%s", tu_scratch(), name);
	tu_write(path, b->p, b->n);
	if (size > b->n)
		assert_int_equal(truncate(path, (off_t)size), 0);
	if (vf_model_open(path, &m, &err))
		fail_msg("%s: %s", name, err.msg);
	return m;
}

/*
 * Accepted as ggml accepts them: version 2; zero dimensions (with huge ones
 * beside them: the element count is 0, nothing divides by a dim); a scalar
 * (n_dims 0); arrays of arrays and every value type; a 63-byte name; a custom
 * alignment; no trailing padding after the last tensor.
 */
static void test_legal_edges(void **state)
{
	struct gb b = {0};
	struct vf_model *m;
	uint64_t z1[2] = {0, 4096}, z2[3] = {1ULL << 62, 1ULL << 62, 0}, q[2] = {64, 3};
	const char *name63 = "blk.0.a_name_of_sixty_three_bytes_which_is_the_most_ggml_stores";
	uint64_t start;

	(void)state;
	assert_int_equal(strlen(name63), 63);
	gb_hdr(&b, 2, 5, 7);
	gb_kv_str(&b, "general.architecture", "llama");
	gb_kv_u32(&b, "general.alignment", 64);
	/* every scalar type once, in one array of arrays of u8..f64 */
	gb_str(&b, "x.scalars");
	gb_u32(&b, ARR);
	gb_u32(&b, ARR);
	gb_u64(&b, 13);
	for (uint32_t t = 0; t < 13; t++) {
		static const int size[13] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
		gb_u32(&b, t == ARR ? STR : t);
		gb_u64(&b, 1);
		if (t == STR || t == ARR)
			gb_str(&b, "s");
		else
			gb_zeros(&b, (size_t)size[t]);
	}
	gb_str(&b, "x.empty");
	gb_u32(&b, ARR);
	gb_u32(&b, ARR);
	gb_u64(&b, 0);
	gb_str(&b, "llama.block_count");
	gb_u32(&b, U8);
	gb_le(&b, 1, 1);
	gb_str(&b, "llama.feed_forward_length"); /* per layer: the largest counts */
	gb_u32(&b, ARR);
	gb_u32(&b, I64);
	gb_u64(&b, 3);
	gb_u64(&b, 100);
	gb_u64(&b, 300);
	gb_u64(&b, 200);
	gb_str(&b, "general.file_type");
	gb_u32(&b, I32);
	gb_u32(&b, 0xffffffffu);
	gb_tensor(&b, "zero", 2, z1, G_F32, 0);
	gb_tensor(&b, "zero_huge", 3, z2, G_Q8_0, 0);
	gb_tensor(&b, "scalar", 0, NULL, G_F32, 0);
	gb_tensor(&b, name63, 2, q, G_Q8_0, 64);
	gb_tensor(&b, "last", 2, q, G_I8, 320); /* 64 + pad(2 * 3 * 34, 64) */
	gb_pad(&b, 64);
	start = b.n;
	gb_zeros(&b, 320 + 192); /* the last tensor fills its padding exactly */
	m = open_ok("edges.gguf", &b, 0);
	free(b.p);
	assert_int_equal(m->ntensors, 5);
	assert_int_equal(m->tensors[0].numel, 0);
	assert_int_equal(m->tensors[0].shape[0], 4096); /* outermost first */
	assert_int_equal(m->tensors[0].shape[1], 0);
	assert_int_equal(m->tensors[1].numel, 0);
	assert_int_equal(m->tensors[1].nbytes, 0);
	assert_int_equal(m->tensors[2].ndim, 0);
	assert_int_equal(m->tensors[2].numel, 1);
	assert_int_equal(m->tensors[2].nbytes, 4);
	assert_int_equal(m->tensors[2].offset, start);
	assert_int_equal(m->tensors[3].dtype, VF_DT_Q8_0);
	assert_int_equal(m->tensors[3].numel, 192);
	assert_int_equal(m->tensors[3].nbytes, 204);
	assert_int_equal(m->tensors[3].offset, start + 64);
	assert_int_equal(m->tensors[3].shape[0], 3);
	assert_int_equal(m->tensors[4].offset, start + 320);
	assert_int_equal(m->tensors[4].count_bytes, 192);
	assert_int_equal(m->tensors[4].count_params, 192);
	assert_true(m->arch.present);
	assert_string_equal(m->arch.model_type, "llama");
	assert_int_equal(m->arch.num_layers, 1);
	assert_int_equal(m->arch.intermediate, 300);
	assert_int_equal(m->arch.tie_word_embeddings, 1); /* no output.weight */
	assert_int_equal(m->arch.heads, VF_UNSET);
	assert_int_equal(m->nmeta, 3);
	assert_string_equal(m->meta_keys[2], "general.file_type");
	assert_string_equal(m->meta_vals[2], "-1");
	vf_model_free(m);
}

/* A split GGUF part says so in a warning. */
static void test_split_warning(void **state)
{
	struct gb b = {0};
	struct vf_model *m;

	(void)state;
	gb_hdr(&b, 3, 0, 2);
	gb_str(&b, "split.no");
	gb_u32(&b, U16);
	gb_le(&b, 1, 2);
	gb_str(&b, "split.count");
	gb_u32(&b, U16);
	gb_le(&b, 3, 2);
	m = open_ok("part.gguf", &b, 0);
	free(b.p);
	assert_int_equal(m->nwarnings, 1);
	assert_non_null(strstr(m->warnings[0], "part 2 of 3 of a split GGUF"));
	assert_false(m->arch.present); /* no general.architecture */
	vf_model_free(m);
}

/* ---- truncated at every byte ---- */

static void build_full(struct gb *b)
{
	uint64_t a[2] = {32, 2}, c[1] = {8};

	gb_hdr(b, 3, 2, 4);
	gb_kv_str(b, "general.architecture", "llama");
	gb_kv_u32(b, "llama.block_count", 1);
	gb_str(b, "tokenizer.ggml.tokens");
	gb_u32(b, ARR);
	gb_u32(b, STR);
	gb_u64(b, 2);
	gb_str(b, "<s>");
	gb_str(b, "</s>");
	gb_str(b, "x.nested");
	gb_u32(b, ARR);
	gb_u32(b, ARR);
	gb_u64(b, 1);
	gb_u32(b, F64);
	gb_u64(b, 1);
	gb_u64(b, 0);
	gb_tensor(b, "blk.0.w", 2, a, G_Q8_0, 0);
	gb_tensor(b, "output.weight", 1, c, G_F32, 96); /* pad(68, 32) */
	gb_pad(b, 32);
	gb_zeros(b, 96 + 32); /* 32 = the F32 tensor: ends aligned */
}

static void test_truncated_everywhere(void **state)
{
	struct gb b = {0};
	char path[512];
	struct vf_model *m;
	struct vf_err err;

	(void)state;
	build_full(&b);
	m = open_ok("full.gguf", &b, 0);
	assert_int_equal(m->arch.num_layers, 1);
	assert_int_equal(m->arch.vocab, 2);
	assert_int_equal(m->arch.tie_word_embeddings, 0);
	vf_model_free(m);
	tu_path(path, sizeof(path), "cut.gguf");
	for (size_t n = 4; n < b.n; n++) {
		memset(&err, 0, sizeof(err));
		m = NULL;
		tu_write(path, b.p, n);
		if (vf_model_open(path, &m, &err) != VF_EFORMAT ||
		    (!strstr(err.msg, "truncated: the file ends inside") &&
		     !strstr(err.msg, "past the end of the file")) ||
		    strcmp(err.path, path) != 0)
			fail_msg("cut at %zu of %zu: status %d, '%s'", n, b.n, err.status, err.msg);
		assert_null(m);
	}
	free(b.p);
}

/* ---- the fixtures written by the gguf package ---- */

static struct vf_model *open_fixture(const char *rel)
{
	char p[600];
	struct vf_model *m = NULL;
	struct vf_err err = {0};

	snprintf(p, sizeof(p), "%s/gguf/%s", tu_env("VF_FIXTURES"), rel);
	if (vf_model_open(p, &m, &err))
		fail_msg("%s: %s", rel, err.msg);
	assert_int_equal(m->format, VF_FMT_GGUF);
	return m;
}

static const char *meta(const struct vf_model *m, const char *key)
{
	for (size_t i = 0; i < m->nmeta; i++)
		if (strcmp(m->meta_keys[i], key) == 0)
			return m->meta_vals[i];
	return NULL;
}

/* The last tensor's padded end is the end of the file (the writer pads it). */
static void assert_tiles_file(const struct vf_model *m, const char *rel, uint64_t align)
{
	char p[600];
	FILE *f;
	long size;
	const struct vf_tensor *t = &m->tensors[m->ntensors - 1];

	snprintf(p, sizeof(p), "%s/gguf/%s", tu_env("VF_FIXTURES"), rel);
	assert_non_null(f = fopen(p, "rb"));
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	fclose(f);
	assert_int_equal(t->offset + (t->nbytes + align - 1) / align * align, (uint64_t)size);
	for (size_t i = 0; i < m->ntensors; i++)
		assert_int_equal(m->tensors[i].offset % align, 0);
}

/* Values as tests/tools/gen_gguf.py wrote them. */
static void test_fixture_llama(void **state)
{
	struct vf_model *m = open_fixture("llama_q4km.gguf");
	const struct vf_arch *a = &m->arch;
	long i;

	(void)state;
	assert_true(a->present);
	assert_string_equal(a->model_type, "llama");
	assert_string_equal(a->architecture, "");
	assert_string_equal(a->torch_dtype, "");
	assert_int_equal(a->num_layers, 3);
	assert_int_equal(a->hidden, 256);
	assert_int_equal(a->heads, 4);
	assert_int_equal(a->kv_heads, 2);
	assert_false(a->kv_heads_default);
	assert_int_equal(a->head_dim, 64); /* no key_length: 256 / 4 */
	assert_true(a->head_dim_default);
	assert_int_equal(a->intermediate, 512);
	assert_int_equal(a->vocab, 32); /* the token list: no vocab_size key */
	assert_int_equal(a->max_position_embeddings, 2048);
	assert_int_equal(a->tie_word_embeddings, 0);
	assert_int_equal(a->num_experts, VF_UNSET);
	assert_int_equal(a->qk_rope_head_dim, VF_UNSET); /* not an MLA model */
	assert_int_equal(a->sliding_window, VF_UNSET);
	assert_int_equal(m->ntensors, 30);
	assert_string_equal(meta(m, "general.name"), "tiny llama");
	assert_string_equal(meta(m, "general.basename"), "tiny-llama");
	assert_string_equal(meta(m, "general.size_label"), "3x256");
	assert_string_equal(meta(m, "general.file_type"), "15");
	assert_string_equal(meta(m, "general.quantization_version"), "2");
	assert_null(meta(m, "tokenizer.ggml.model"));
	i = vf_model_find(m, "token_embd.weight");
	assert_true(i >= 0);
	assert_int_equal(m->tensors[i].dtype, VF_DT_Q4_K);
	assert_int_equal(m->tensors[i].ndim, 2);
	assert_int_equal(m->tensors[i].shape[0], 32); /* [vocab, hidden], as torch */
	assert_int_equal(m->tensors[i].shape[1], 256);
	assert_int_equal(m->tensors[i].nbytes, 32 * 144);
	i = vf_model_find(m, "blk.2.ffn_down.weight");
	assert_true(i >= 0);
	assert_int_equal(m->tensors[i].dtype, VF_DT_Q5_0);
	assert_int_equal(m->tensors[i].shape[0], 256);
	assert_int_equal(m->tensors[i].shape[1], 512);
	assert_int_equal(m->tensors[i].nbytes, 256 * 512 / 32 * 22);
	assert_tiles_file(m, "llama_q4km.gguf", 32);
	vf_model_free(m);
}

static void test_fixture_qwen2_tied(void **state)
{
	struct vf_model *m = open_fixture("qwen2_tied.gguf");
	const struct vf_arch *a = &m->arch;

	(void)state;
	assert_string_equal(a->model_type, "qwen2");
	assert_int_equal(a->num_layers, 2);
	assert_int_equal(a->hidden, 64);
	assert_int_equal(a->heads, 4);
	assert_int_equal(a->kv_heads, 2);
	assert_int_equal(a->head_dim, 16);
	assert_int_equal(a->intermediate, 96);
	assert_int_equal(a->vocab, 100); /* vocab_size wins over 90 tokens */
	assert_int_equal(a->max_position_embeddings, 4096);
	assert_int_equal(a->sliding_window, 32);
	assert_int_equal(a->tie_word_embeddings, 1); /* no output.weight */
	assert_int_equal(vf_model_find(m, "output.weight"), -1);
	assert_int_equal(m->tensors[vf_model_find(m, "token_embd.weight")].dtype, VF_DT_BF16);
	assert_string_equal(meta(m, "general.alignment"), "64");
	assert_tiles_file(m, "qwen2_tied.gguf", 64);
	vf_model_free(m);
}

static void test_fixture_moe(void **state)
{
	struct vf_model *m = open_fixture("moe.gguf");
	const struct vf_arch *a = &m->arch;
	const struct vf_tensor *t;

	(void)state;
	assert_string_equal(a->model_type, "qwen2moe");
	assert_int_equal(a->intermediate, 160); /* [96, 160] per layer */
	assert_int_equal(a->heads, 4);		/* [4, 2] */
	assert_int_equal(a->kv_heads, 2);	/* [2, 1] */
	assert_int_equal(a->head_dim, 16);	/* key_length */
	assert_false(a->head_dim_default);
	assert_int_equal(a->num_experts, 4);
	assert_int_equal(a->experts_per_tok, 2);
	assert_int_equal(a->moe_intermediate, 32);
	assert_int_equal(a->shared_expert_intermediate, 128);
	assert_int_equal(a->vocab, 50);
	assert_int_equal(a->max_position_embeddings, 8192);
	t = &m->tensors[vf_model_find(m, "blk.1.ffn_gate_exps.weight")];
	assert_int_equal(t->dtype, VF_DT_MXFP4);
	assert_int_equal(t->ndim, 3);
	assert_int_equal(t->shape[0], 4); /* experts outermost */
	assert_int_equal(t->shape[1], 32);
	assert_int_equal(t->shape[2], 64);
	assert_int_equal(t->nbytes, 4 * 32 * 64 / 32 * 17);
	assert_tiles_file(m, "moe.gguf", 32);
	vf_model_free(m);
}

static void test_fixture_deepseek2(void **state)
{
	struct vf_model *m = open_fixture("deepseek2.gguf");
	const struct vf_arch *a = &m->arch;

	(void)state;
	assert_string_equal(a->model_type, "deepseek2");
	assert_int_equal(a->num_layers, 2);
	assert_int_equal(a->first_k_dense_replace, 1);
	assert_int_equal(a->num_experts, 4);
	assert_int_equal(a->experts_per_tok, 2);
	assert_int_equal(a->shared_experts, 1);
	assert_int_equal(a->moe_intermediate, 32);
	assert_int_equal(a->kv_lora_rank, 32);
	assert_int_equal(a->q_lora_rank, 64);
	assert_int_equal(a->qk_rope_head_dim, 16);
	assert_int_equal(a->head_dim, 48);
	assert_int_equal(a->vocab, 40);
	assert_int_equal(a->max_position_embeddings, 163840);
	assert_int_equal(a->tie_word_embeddings, 0);
	vf_model_free(m);
}

static void test_fixture_others(void **state)
{
	struct vf_model *m;

	(void)state;
	/* version 2 */
	m = open_fixture("llama_v2.gguf");
	assert_int_equal(m->arch.num_layers, 2);
	assert_int_equal(m->arch.kv_heads, 4); /* head_count_kv absent: heads */
	assert_true(m->arch.kv_heads_default);
	vf_model_free(m);
	/* a config.json beside the file describes the architecture */
	m = open_fixture("with_config");
	assert_string_equal(m->arch.architecture, "LlamaForCausalLM");
	assert_string_equal(m->arch.torch_dtype, "bfloat16");
	assert_int_equal(m->arch.tie_word_embeddings, VF_UNSET); /* the config is silent */
	assert_int_equal(m->ntensors, 3 + 2 * 9);
	vf_model_free(m);
	/* no tensors */
	m = open_fixture("vocab_only.gguf");
	assert_int_equal(m->ntensors, 0);
	assert_int_equal(m->nfiles, 1);
	assert_int_equal(m->arch.vocab, 8);
	assert_int_equal(m->arch.tie_word_embeddings, VF_UNSET);
	vf_model_free(m);
	/* every type vramfit and the gguf package agree on */
	m = open_fixture("all_types.gguf");
	assert_int_equal(m->ntensors, 35);
	assert_int_equal(m->tensors[vf_model_find(m, "t_iq1_m")].nbytes, 2 * 56);
	assert_int_equal(m->tensors[vf_model_find(m, "t_tq1_0")].nbytes, 2 * 54);
	assert_int_equal(m->tensors[vf_model_find(m, "four_d")].ndim, 4);
	assert_int_equal(m->tensors[vf_model_find(m, "four_d")].shape[0], 2);
	assert_int_equal(m->tensors[vf_model_find(m, "four_d")].shape[3], 32);
	assert_tiles_file(m, "all_types.gguf", 128);
	vf_model_free(m);
}

/* ---- robustness ---- */

static void fail_every_allocation(const char *rel)
{
	char p[600];
	struct vf_err err = {0};
	unsigned long n;

	snprintf(p, sizeof(p), "%s/gguf/%s", tu_env("VF_FIXTURES"), rel);
	for (n = 1;; n++) {
		struct vf_model *m = NULL;
		struct vf_layers ly;
		enum vf_status st;
		vf_err_clear(&err);
		vf_mem_fail_at(n);
		st = vf_model_open(p, &m, &err);
		if (!st) {
			st = vf_layers_group(m, false, &ly, &err);
			if (!st)
				vf_layers_release(&ly);
		}
		vf_mem_fail_at(0);
		vf_model_free(m);
		if (st == VF_OK)
			break;
		if (st != VF_ENOMEM)
			fail_msg("%s: allocation %lu failed but status is %d (%s)", rel, n, st,
				 err.msg);
	}
	assert_true(n > 20);
}

static void test_alloc_failures(void **state)
{
	(void)state;
	fail_every_allocation("llama_q4km.gguf");
	fail_every_allocation("moe.gguf");
	fail_every_allocation("with_config");
}

/* A 4 GiB tensor in a sparse file: only the header's window is read. */
static void test_reads_header_only(void **state)
{
	struct gb b = {0};
	struct vf_model *m;
	uint64_t ne[2] = {1ULL << 20, 1ULL << 10}, before = vf_bytes_read, start, size;

	(void)state;
	gb_hdr(&b, 3, 1, 1);
	gb_kv_str(&b, "general.architecture", "llama");
	gb_tensor(&b, "token_embd.weight", 2, ne, G_F32, 0);
	gb_pad(&b, 32);
	start = b.n;
	size = start + (4ULL << 30);
	m = open_ok("big.gguf", &b, size);
	free(b.p);
	assert_int_equal(m->tensors[0].nbytes, 4ULL << 30);
	assert_int_equal(m->tensors[0].offset, start);
	/* 32 bytes to recognise the format (formats/detect.h), then one window */
	assert_true(vf_bytes_read - before < 64 * 1024);
	assert_true(vf_bytes_read - before <= 32 + 16384);
	print_message("bytes read for a %llu-byte GGUF: %llu\n", (unsigned long long)size,
		      (unsigned long long)(vf_bytes_read - before));
	vf_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_bad_case),    cmocka_unit_test(test_legal_edges),
	    cmocka_unit_test(test_split_warning),     cmocka_unit_test(test_truncated_everywhere),
	    cmocka_unit_test(test_fixture_llama),     cmocka_unit_test(test_fixture_qwen2_tied),
	    cmocka_unit_test(test_fixture_moe),	      cmocka_unit_test(test_fixture_deepseek2),
	    cmocka_unit_test(test_fixture_others),    cmocka_unit_test(test_alloc_failures),
	    cmocka_unit_test(test_reads_header_only),
	};
	int rc;

	vf_json_init();
	rc = cmocka_run_group_tests_name("gguf", tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
