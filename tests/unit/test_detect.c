/*
 * test_detect.c - formats/detect.c: proof from the bytes first, the name
 * second.  The byte strings are what the writers put there: the safetensors
 * writer's u64 header length (any low byte, the header padded with spaces),
 * torch.save's legacy magic number pickled at protocols 2-5 (bytes copied
 * from Python's pickle.dumps(0x1950a86a20f9469cfc6c, protocol=p)), and at
 * protocols 0-1 as text.
 */
#include "tests/unit/testutil.h"

#include "formats/detect.h"

/* a safetensors file of header length len, size len + 8 + data */
static void st_bytes(unsigned char *h, uint64_t len)
{
	memset(h, ' ', VF_DETECT_BYTES);
	for (int i = 0; i < 8; i++)
		h[i] = (unsigned char)(len >> (8 * i));
	h[8] = '{';
}

static void test_safetensors_any_first_byte(void **state)
{
	unsigned char h[VF_DETECT_BYTES];

	(void)state;
	/* 32: a space first; 640 = 0x280: 0x80 0x02, a pickle PROTO 2;
	 * 1408 = 0x580: PROTO 5; 123 = '{' first (not a multiple of 8, but a
	 * hand-written file may have it) */
	for (uint64_t len = 8; len <= 70000; len += 8) {
		st_bytes(h, len);
		assert_int_equal(vf_detect_bytes("x", h, sizeof(h), len + 8), VF_KIND_SAFETENSORS);
		assert_int_equal(vf_detect_bytes("x.bin", h, sizeof(h), len + 8),
				 VF_KIND_SAFETENSORS);
		assert_int_equal(vf_detect_bytes("x.json", h, sizeof(h), len + 8),
				 VF_KIND_SAFETENSORS);
	}
	st_bytes(h, 123);
	assert_int_equal(vf_detect_bytes("x", h, sizeof(h), 131), VF_KIND_SAFETENSORS);
}

static void test_safetensors_past_end_is_not_proof(void **state)
{
	unsigned char h[VF_DETECT_BYTES];

	(void)state;
	/* length 32 in a file of 39 bytes: 8 + 32 > 39, nothing proven */
	st_bytes(h, 32);
	assert_int_equal(vf_detect_bytes("x.safetensors", h, sizeof(h), 39), VF_KIND_SAFETENSORS);
	assert_int_equal(vf_detect_bytes("config.json", h, sizeof(h), 39), VF_KIND_JSON);
	/* without a name: the space first, then '{' makes it look like JSON */
	assert_int_equal(vf_detect_bytes("x", h, sizeof(h), 39), VF_KIND_SAFETENSORS);
	/* 640 past the end: a PROTO opcode, so the pickle reader says what is wrong */
	st_bytes(h, 640);
	assert_int_equal(vf_detect_bytes("x", h, sizeof(h), 100), VF_KIND_TORCH_LEGACY);
}

static void test_legacy_magic(void **state)
{
	static const unsigned char p2[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
					   0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
	static const unsigned char p4[] = {0x80, 0x04, 0x95, 0x0d, 0,	 0,    0,    0,
					   0,	 0,    0,    0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
					   0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
	static const char p1[] = "L119547037146038801333356L\n.";

	(void)state;
	assert_int_equal(vf_detect_bytes("x.safetensors", p2, sizeof(p2), 4096),
			 VF_KIND_TORCH_LEGACY);
	assert_int_equal(vf_detect_bytes("x", p4, sizeof(p4), 4096), VF_KIND_TORCH_LEGACY);
	assert_int_equal(vf_detect_bytes("x.pt", (const unsigned char *)p1, sizeof(p1) - 1, 4096),
			 VF_KIND_PICKLE_OLD);
}

static void test_magic_and_names(void **state)
{
	static const unsigned char cfg[] = " \n\t{\"a\": 1}";

	(void)state;
	assert_int_equal(vf_detect_bytes("x", (const unsigned char *)"GGUF\3\0\0\0", 8, 100),
			 VF_KIND_GGUF);
	assert_int_equal(vf_detect_bytes("x", (const unsigned char *)"PK\3\4abcd", 8, 100),
			 VF_KIND_TORCH_ZIP);
	assert_int_equal(vf_detect_bytes("config", cfg, sizeof(cfg) - 1, sizeof(cfg) - 1),
			 VF_KIND_JSON);
	assert_int_equal(vf_detect_bytes("d/model.safetensors.index.json", cfg, sizeof(cfg) - 1,
					 sizeof(cfg) - 1),
			 VF_KIND_ST_INDEX);
	assert_int_equal(vf_detect_bytes("d/pytorch_model.bin.index.json", cfg, sizeof(cfg) - 1,
					 sizeof(cfg) - 1),
			 VF_KIND_PT_INDEX);
	assert_int_equal(
	    vf_detect_bytes("notes.txt", (const unsigned char *)"hello, world", 12, 12),
	    VF_KIND_UNKNOWN);
	/* empty or tiny files go to the safetensors reader, which says "too short" */
	assert_int_equal(vf_detect_bytes("x", (const unsigned char *)"", 0, 0),
			 VF_KIND_SAFETENSORS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_safetensors_any_first_byte),
	    cmocka_unit_test(test_safetensors_past_end_is_not_proof),
	    cmocka_unit_test(test_legacy_magic),
	    cmocka_unit_test(test_magic_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
