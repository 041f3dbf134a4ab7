/*
 * test_jscan.c - the tree-free JSON scanner (common/jscan.h) against the
 * grammar of RFC 8259, case by case: what it must accept, what it must refuse
 * and with which message and byte, and the values it decodes.  Expected
 * values are written by hand from the RFC and the UTF-8 tables (RFC 3629).
 */
#include "tests/unit/testutil.h"

#include "common/jscan.h"
#include "common/mem.h"
#include "common/strmap.h"

struct scase {
	const char *text;
	size_t len;	  /* 0: strlen(text) */
	const char *want; /* NULL: valid; else a substring of the message */
};

static const struct scase cases[] = {
    /* valid documents */
    {"{}", 0, NULL},
    {" [ ] ", 0, NULL},
    {"{\"a\":[1,-2,3.5,4e10,-0.5E-3,0,true,false,null,\"x\"]}", 0, NULL},
    {"\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"", 0, NULL},
    {"\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", 0, NULL},
    {"{\"a\":{\"a\":1}}", 0, NULL}, /* the same key at two depths is fine */
    /* grammar */
    {"", 0, "is not valid JSON: it ends too early (at byte 0)"},
    {"{", 0, "is not valid JSON: it ends too early (at byte 1)"},
    {"{\"a\"}", 0, "is not valid JSON (at byte 4)"},
    {"{\"a\":1,}", 0, "is not valid JSON (at byte 7)"},
    {"[1,]", 0, "is not valid JSON (at byte 3)"},
    {"[,1]", 0, "is not valid JSON (at byte 1)"},
    {"[1 2]", 0, "is not valid JSON (at byte 3)"},
    {"{a:1}", 0, "is not valid JSON (at byte 1)"},
    {"[01]", 0, "is not valid JSON (at byte 2)"},
    {"[1.]", 0, "is not valid JSON (at byte 3)"},
    {"[.5]", 0, "is not valid JSON (at byte 1)"},
    {"[1e]", 0, "is not valid JSON (at byte 3)"},
    {"[-]", 0, "is not valid JSON (at byte 2)"},
    {"[+1]", 0, "is not valid JSON (at byte 1)"},
    {"[NaN]", 0, "is not valid JSON (at byte 1)"},
    {"[tru]", 0, "is not valid JSON (at byte 1)"},
    {"[nul]", 0, "is not valid JSON (at byte 1)"},
    {"{} {}", 0, "has data after the JSON value (at byte 3)"},
    {"\"abc", 0, "a string does not end (at byte 4)"},
    /* control characters and whitespace */
    {"[\"a\tb\"]", 0, "contains a control character inside a string (at byte 3)"},
    {"{}\x01", 0, "contains a control character (at byte 2)"},
    {"[\x0b"
     "1]",
     0, "contains a control character (at byte 1)"},
    {"{}\0", 3, "contains a control character (at byte 2)"},
    /* escapes */
    {"[\"\\u0000\"]", 0, "contains the escape \\u0000 (at byte 2)"},
    {"[\"\\x\"]", 0, "has an unknown escape in a string (at byte 2)"},
    {"[\"\\u12G4\"]", 0, "has a bad \\u escape (at byte 2)"},
    {"[\"\\ud800\"]", 0, "has a lone surrogate escape (at byte 2)"},
    {"[\"\\udc00\"]", 0, "has a lone surrogate escape (at byte 2)"},
    {"[\"\\ud800\\u0041\"]", 0, "has a lone surrogate escape (at byte 2)"},
    /* UTF-8 (RFC 3629): overlong, surrogate, above U+10FFFF, stray and cut */
    {"[\"\xc0\xaf\"]", 0, "is not valid UTF-8 (at byte 2)"},
    {"[\"\xe0\x80\xaf\"]", 0, "is not valid UTF-8 (at byte 2)"},
    {"[\"\xed\xa0\x80\"]", 0, "is not valid UTF-8 (at byte 2)"},
    {"[\"\xf4\x90\x80\x80\"]", 0, "is not valid UTF-8 (at byte 2)"},
    {"[\"\x80\"]", 0, "is not valid UTF-8 (at byte 2)"},
    {"[\"\xc3\"]", 0, "is not valid UTF-8 (at byte 2)"},
    {"[\xff]", 0, "is not valid UTF-8 (at byte 1)"},
    {"[\xc3\xa9]", 0, "is not valid JSON (at byte 1)"}, /* valid UTF-8, not JSON */
    /* keys: the 16-byte fast path and everything it hands to the general one */
    {"{\"dtype\" : 1, \"abcdefghijklmno\":2, \"abcdefghijklmnop\":3}", 0, NULL},
    {"{\"\":1}", 0, NULL},
    {"{\"a\tb\":1}", 0, "contains a control character inside a string (at byte 3)"},
    {"{\"dtype\"}", 0, "is not valid JSON (at byte 8)"},
    {"{\"\\u0064type\":1,\"dtype\":2}", 0, "repeats the key \"dtype\""},
    {"{\"d\xc3\xa9\":1,\"d\xc3\xa9\":2}", 0, "repeats the key \"d\xc3\xa9\""},
    /* repeated keys in skipped objects */
    {"{\"a\":1,\"b\":2,\"a\":3}", 0, "repeats the key \"a\""},
    {"[{\"k\":{\"x\":1,\"x\":1}}]", 0, "repeats the key \"x\""},
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scase *c = &cases[i];
		size_t n = c->len ? c->len : strlen(c->text);
		char *t = malloc(n + 1);
		struct vf_err err = {0};
		struct vf_jscan s;
		bool ok;

		memcpy(t, c->text, n);
		t[n] = '\0';
		vf_jscan_init(&s, t, n, "f.json", "text", &err);
		ok = vf_jscan_skip(&s) && vf_jscan_end(&s);
		if (c->want == NULL && !ok)
			fail_msg("case %zu (%s): refused: %s", i, c->text, err.msg);
		if (c->want != NULL &&
		    (ok || !strstr(err.msg, c->want) || strncmp(err.msg, "text ", 5) != 0 ||
		     strcmp(err.path, "f.json") != 0))
			fail_msg("case %zu (%s): got %s '%s', want '%s'", i, c->text,
				 ok ? "success" : "error", err.msg, c->want);
		free(t);
	}
}

/* Values: strings are decoded in place and NUL-terminated, numbers are
 * whole only without sign, fraction or exponent, and below 2^53. */
static void test_values(void **state)
{
	char t[] = "{\"caf\\u00e9\":\"a\\nb\\ud83d\\ude00\",\"n\":[0,9007199254740991,"
		   "9007199254740992,1.0,1e3,-1,\"7\",123456789012345678901234567890]}";
	struct vf_err err = {0};
	struct vf_jscan s;
	size_t i = 0, j = 0, len;
	char *k, *v;
	uint64_t x;

	(void)state;
	vf_jscan_init(&s, t, strlen(t), "f", "text", &err);
	assert_true(vf_jscan_open(&s, '{'));
	assert_int_equal(vf_jscan_key(&s, &i, &k), 1);
	assert_string_equal(k, "caf\xc3\xa9"); /* U+00E9 in UTF-8 */
	assert_int_equal(s.klen, 5);
	assert_true(vf_jscan_string(&s, &v, &len));
	assert_string_equal(v, "a\nb\xf0\x9f\x98\x80"); /* U+1F600 from its surrogates */
	assert_int_equal(len, 7);
	assert_int_equal(vf_jscan_key(&s, &i, &k), 1);
	assert_string_equal(k, "n");
	assert_true(vf_jscan_open(&s, '['));
	assert_int_equal(vf_jscan_item(&s, &j), 1);
	assert_int_equal(vf_jscan_uint(&s, &x), 1);
	assert_int_equal(x, 0);
	assert_int_equal(vf_jscan_item(&s, &j), 1);
	assert_int_equal(vf_jscan_uint(&s, &x), 1);
	assert_int_equal(x, 9007199254740991ULL); /* 2^53 - 1 */
	for (int e = 0; e < 6; e++) {		  /* 2^53, 1.0, 1e3, -1, "7", 30 digits */
		assert_int_equal(vf_jscan_item(&s, &j), 1);
		assert_int_equal(vf_jscan_uint(&s, &x), 0);
	}
	assert_int_equal(vf_jscan_item(&s, &j), 0);
	assert_int_equal(vf_jscan_key(&s, &i, &k), 0);
	assert_true(vf_jscan_end(&s));
	assert_int_equal(err.status, VF_OK);
}

/*
 * Integers of every length from 1 to 20 digits, at every position near the
 * end of the text (the 8-byte fast path must not read past it), against
 * strtoull: whole numbers below 2^53 come back exact, the rest are refused.
 */
static void test_integers(void **state)
{
	char t[64];
	unsigned long long seed = 88172645463325252ULL;

	(void)state;
	for (int len = 1; len <= 20; len++) {
		for (int rep = 0; rep < 300; rep++) {
			char num[24];
			struct vf_err err = {0};
			struct vf_jscan s;
			size_t i = 0;
			uint64_t x = 0;
			int r, pad = rep % 20;
			unsigned long long want;

			for (int d = 0; d < len; d++) {
				seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
				num[d] =
				    (char)('0' + (d == 0 && len > 1 ? 1 + seed % 9 : seed % 10));
			}
			num[len] = '\0';
			want = strtoull(num, NULL, 10); /* 20 digits may saturate: >= 2^53 anyway */
			/* "[NUM,1   ...]": pad spaces move the number's end against the text's */
			snprintf(t, sizeof(t), "[%s%s%.*s]", num, rep % 2 ? "" : ",1", pad,
				 "                    ");
			vf_jscan_init(&s, t, strlen(t), "f", "text", &err);
			assert_true(vf_jscan_open(&s, '['));
			assert_int_equal(vf_jscan_item(&s, &i), 1);
			r = vf_jscan_uint(&s, &x);
			if (want < (1ULL << 53) && len < 20) {
				if (r != 1 || x != want)
					fail_msg("%s: got %d, %llu", num, r, (unsigned long long)x);
			} else if (r != 0) {
				fail_msg("%s: accepted as %llu", num, (unsigned long long)x);
			}
			while ((r = vf_jscan_item(&s, &i)) > 0)
				assert_true(vf_jscan_skip(&s));
			assert_int_equal(r, 0);
			assert_true(vf_jscan_end(&s));
		}
	}
}

/* Nesting is bounded (no stack overflow on hostile text); 64 levels pass. */
static void test_depth(void **state)
{
	char t[300];
	struct vf_err err = {0};
	struct vf_jscan s;

	(void)state;
	memset(t, '[', 64);
	memset(t + 64, ']', 64);
	vf_jscan_init(&s, t, 128, "f", "text", &err);
	assert_true(vf_jscan_skip(&s) && vf_jscan_end(&s));
	memset(t, '[', 65);
	memset(t + 65, ']', 65);
	vf_jscan_init(&s, t, 130, "f", "text", &err);
	assert_false(vf_jscan_skip(&s));
	assert_string_equal(err.msg, "text nests more than 64 levels deep (at byte 64)");
}

/* A wrong type gets the caller's message; a broken value its syntax error. */
static void test_wrong(void **state)
{
	char a[] = "[1,2]", b[] = "[1,";
	struct vf_err err = {0};
	struct vf_jscan s;

	(void)state;
	vf_jscan_init(&s, a, strlen(a), "f", "text", &err);
	assert_false(vf_jscan_wrong(&s, "shape of \"%s\" is not an object", "t"));
	assert_string_equal(err.msg, "shape of \"t\" is not an object");
	vf_err_clear(&err);
	vf_jscan_init(&s, b, strlen(b), "f", "text", &err);
	assert_false(vf_jscan_wrong(&s, "never shown"));
	assert_string_equal(err.msg, "text is not valid JSON: it ends too early (at byte 3)");
}

/* The string map under the readers: values, repeats, growth past many
 * doublings and a reserved table, and allocation failure. */
static void test_strmap(void **state)
{
	enum { N = 50000 };
	static char keys[N][32];
	struct vf_strmap m = {0}, r = {0};
	uint32_t v;

	(void)state;
	for (int i = 0; i < N; i++)
		snprintf(keys[i], sizeof(keys[i]), "model.layers.%d.w", i);
	for (int i = 0; i < N; i++)
		assert_int_equal(vf_strmap_put(&m, keys[i], (uint32_t)i, NULL), 1);
	assert_int_equal(m.len, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(vf_strmap_get(&m, keys[i], &v), 1);
		assert_int_equal(v, (uint32_t)i);
	}
	assert_int_equal(vf_strmap_put(&m, "model.layers.7.w", 99, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(vf_strmap_get(&m, "model.layers.50000.w", &v), 0);
	assert_int_equal(vf_strmap_get(&m, "", &v), 0);
	assert_int_equal(vf_strmap_reserve(&r, N), 0);
	size_t cap = r.cap;
	assert_true(cap >= 2 * N);
	for (int i = 0; i < N; i++)
		assert_int_equal(vf_strmap_put(&r, keys[i], (uint32_t)i, NULL), 1);
	assert_int_equal(r.cap, cap); /* no growth after the reserve */
	vf_strmap_free(&r);
	vf_strmap_free(&m);
	vf_mem_fail_at(1);
	assert_int_equal(vf_strmap_put(&m, "a", 1, NULL), -1);
	assert_int_equal(vf_strmap_reserve(&m, 10), -1);
	vf_mem_fail_at(0);
	assert_int_equal(m.len, 0);
	vf_strmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),  cmocka_unit_test(test_values),
	    cmocka_unit_test(test_depth),  cmocka_unit_test(test_wrong),
	    cmocka_unit_test(test_strmap), cmocka_unit_test(test_integers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
