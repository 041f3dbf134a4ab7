/*
 * test_size.c - size strings (common/size.h) mean what accelerate's
 * convert_file_size_to_int (src/accelerate/utils/modeling.py) makes of them.
 * The expected numbers were computed by running that function (copied from
 * accelerate's main branch) in Python on each string; the strings accelerate
 * would take but vramfit refuses on purpose are listed apart, with the reason.
 */
#include "tests/unit/testutil.h"

#include "common/size.h"

struct ok_case {
	const char *s;
	uint64_t want;
};

/* accelerate's own docstring example, its units, and rounding cases. */
static const struct ok_case accelerate_cases[] = {
    {"1MiB", 1048576}, /* the docstring's example */
    {"10GiB", UINT64_C(10737418240)},
    {"10GB", UINT64_C(10000000000)},
    {"10Gb", UINT64_C(1250000000)}, /* bits: 10e9 / 8 */
    {"10gb", UINT64_C(1250000000)}, /* a lowercase final b is bits whatever the G */
    {"10gB", UINT64_C(10000000000)},
    {"10gib", UINT64_C(10737418240)}, /* binary units ignore case */
    {"10Gib", UINT64_C(10737418240)}, /* ... and accelerate reads no bits in them */
    {"1.5GiB", UINT64_C(1610612736)},
    {"0.1GB", UINT64_C(100000000)},
    {"4.35GB", UINT64_C(4350000000)},
    {"1e3MB", UINT64_C(1000000000)},
    {"10 GiB", UINT64_C(10737418240)}, /* float() allows the space */
    {" 10GiB", UINT64_C(10737418240)},
    {"+2GiB", UINT64_C(2147483648)},
    {"5.5Mb", 687500},
    {"7.8GiB", UINT64_C(8375186227)}, /* truncated, not rounded */
    {"79.18GiB", UINT64_C(85018877624)},
    {"123.456MB", 123456000},
    {"1KB", 1000},
    {"1Kb", 125},
    {"3Kb", 375}, /* 3000 // 8 */
    {"1KiB", 1024},
    {"0GB", 0},
    {"1.9999999999GiB", UINT64_C(2147483647)},
    {"0.001KB", 1},
    {"1e-3KB", 1},
    {"12.5GB", UINT64_C(12500000000)},
    {"81559MiB", UINT64_C(85520809984)}, /* an H100 as nvidia-smi reports it */
    /* Double arithmetic, truncated: accelerate gets 1000999999, not 1001000000. */
    {"1.001GB", UINT64_C(1000999999)},
    {"1.003MB", 1002999},
};

/* vramfit's additions: plain integers (accelerate's int case) and T units. */
static const struct ok_case extension_cases[] = {
    {"4096", 4096},
    {"0", 0},
    {" 17 ", 17},
    {"1TiB", UINT64_C(1099511627776)},
    {"2TB", UINT64_C(2000000000000)},
    {"1Tb", UINT64_C(125000000000)},
    {"9007199254740992", UINT64_C(9007199254740992)}, /* VF_SIZE_MAX exactly */
    {"8192TiB", UINT64_C(9007199254740992)},
};

static void check_ok(const struct ok_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct vf_err err = {0};
		uint64_t v = 12345;
		if (vf_size_parse(c[i].s, &v, &err))
			fail_msg("'%s': unexpected error: %s", c[i].s, err.msg);
		if (v != c[i].want)
			fail_msg("'%s': got %llu, want %llu", c[i].s, (unsigned long long)v,
				 (unsigned long long)c[i].want);
	}
}

static void test_accelerate_examples(void **state)
{
	(void)state;
	check_ok(accelerate_cases, sizeof(accelerate_cases) / sizeof(accelerate_cases[0]));
}

static void test_extensions(void **state)
{
	(void)state;
	check_ok(extension_cases, sizeof(extension_cases) / sizeof(extension_cases[0]));
}

struct bad_case {
	const char *s, *msg; /* msg: a part of the error message */
};

static const struct bad_case bad_cases[] = {
    {"", "empty size"},
    {"GiB", "is not a size"},
    {"10XB", "is not a size"},
    {"10 G", "is not a size"},
    {"ten GB", "is not a size"},
    {"1.2.3GB", "is not a size"},
    {"10B", "is not a size"}, /* accelerate has no plain B unit either */
    {"10PiB", "is not a size"},
    {"0x10GB", "is not a size"}, /* strtod would take hex; Python's float() does not */
    {"infGB", "is not a size"},
    {"nanGiB", "is not a size"},
    {"1e GB", "is not a size"},
    {"1_000MB", "is not a size"}, /* Python takes underscores; we do not */
    {"GiB10", "is not a size"},
    {".GB", "is not a size"},
    {"-1GB", "negative"},
    {"-0GB", "negative"},   /* accelerate takes it as 0 */
    {"1.5", "has no unit"}, /* bytes must be whole */
    {"1e3", "has no unit"},
    {"9007199254740993", "more than 8 PiB"},
    {"18446744073709551616", "more than 8 PiB"}, /* 2^64: no wrap-around */
    {"99999999999999999999999", "more than 8 PiB"},
    {"8193TiB", "more than 8 PiB"},
    {"1e300GB", "more than 8 PiB"},
    {"1e400GB", "more than 8 PiB"}, /* strtod gives inf */
    {"9007199254740993Kb", "more than 8 PiB"},
    {"1234567890123456789012345678901234567890123456789012345678901234567GB", "too long"},
};

static void test_bad_strings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct vf_err err = {0};
		uint64_t v = 777;
		enum vf_status st = vf_size_parse(bad_cases[i].s, &v, &err);
		if (st != VF_EFORMAT)
			fail_msg("'%s': status %d, want VF_EFORMAT", bad_cases[i].s, st);
		if (!strstr(err.msg, bad_cases[i].msg))
			fail_msg("'%s': message '%s' lacks '%s'", bad_cases[i].s, err.msg,
				 bad_cases[i].msg);
		assert_int_equal(v, 777); /* untouched on failure */
	}
}

/* The message names the string and says what a size looks like. */
static void test_message(void **state)
{
	struct vf_err err = {0};
	uint64_t v;

	(void)state;
	assert_int_equal(vf_size_parse("12XB", &v, &err), VF_EFORMAT);
	assert_string_equal(err.msg, "'12XB' is not a size (use an integer for bytes, or a "
				     "number with a unit: KiB MiB GiB TiB (binary), KB MB GB TB "
				     "(decimal), Kb Mb Gb Tb (bits))");
	assert_string_equal(err.path, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accelerate_examples),
	    cmocka_unit_test(test_extensions),
	    cmocka_unit_test(test_bad_strings),
	    cmocka_unit_test(test_message),
	};
	return cmocka_run_group_tests_name("size", tests, NULL, NULL);
}
