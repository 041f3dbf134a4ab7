/*
 * test_hub.c - the pieces of the hub reader that need no server
 * (formats/hub_cache.c, formats/hub_http.c's escaping, the options): sparse
 * entries (ordered, disjoint, copies that span ranges, gaps reported), the
 * header cache round trip, and a corrupt, truncated or foreign entry read as
 * a miss.  The HTTP side is tested against a real nginx in tests/hub.
 */
#include "tests/unit/testutil.h"

#include <sys/stat.h>

#include "common/file.h"
#include "common/mem.h"
#include "formats/hub.h"
#include "formats/hub_http.h"

static unsigned char *bytes(const char *s)
{
	unsigned char *p = vf_malloc(strlen(s));

	assert_non_null(p);
	memcpy(p, s, strlen(s));
	return p;
}

static void test_entry_ranges(void **state)
{
	struct vf_hub_entry e = {0};
	char buf[16];
	uint64_t g = 0, ge = 0;

	(void)state;
	e.size = 100;
	assert_true(vf_hub_entry_add(&e, 10, 4, bytes("klmn")));
	assert_true(vf_hub_entry_add(&e, 0, 4, bytes("abcd")));
	assert_true(vf_hub_entry_add(&e, 4, 6, bytes("efghij")));
	/* overlapping ranges are refused (and their data freed) */
	assert_false(vf_hub_entry_add(&e, 12, 4, bytes("xxxx")));
	assert_false(vf_hub_entry_add(&e, 2, 1, bytes("x")));
	assert_int_equal(e.nseg, 3);
	assert_int_equal(vf_hub_entry_bytes(&e), 14);
	/* a copy across three ranges */
	assert_true(vf_hub_entry_copy(&e, buf, 14, 0, &g, &ge));
	assert_memory_equal(buf, "abcdefghijklmn", 14);
	/* a gap: where it starts and where the next range starts */
	assert_false(vf_hub_entry_copy(&e, buf, 4, 12, &g, &ge));
	assert_int_equal(g, 14);
	assert_int_equal(ge, UINT64_MAX);
	assert_true(vf_hub_entry_add(&e, 20, 2, bytes("uv")));
	assert_false(vf_hub_entry_copy(&e, buf, 10, 12, &g, &ge));
	assert_int_equal(g, 14);
	assert_int_equal(ge, 20);
	vf_hub_entry_free(&e);
}

static void test_cache_round_trip(void **state)
{
	struct vf_hub_entry e = {0}, back = {0};
	char file[512], key[] = "https://h\norg/name\n0123\nmodel.safetensors";
	struct vf_err err = {0};
	char *text;
	size_t len;
	FILE *fp;
	uint64_t g, ge;
	char buf[8];

	(void)state;
	snprintf(file, sizeof(file), "%s/cache/a/b/entry.hdr", tu_scratch());
	e.size = 1000;
	e.zip = 1;
	snprintf(e.etag, sizeof(e.etag), "\"abc\"");
	assert_true(vf_hub_entry_add(&e, 0, 8, bytes("01234567")));
	assert_true(vf_hub_entry_add(&e, 990, 3, bytes("xyz")));
	/* folders are made; the file is written whole */
	assert_int_equal(vf_hub_cache_save(file, key, &e, &err), VF_OK);
	assert_true(vf_hub_cache_load(file, key, &back));
	assert_int_equal(back.size, 1000);
	assert_int_equal(back.zip, 1);
	assert_string_equal(back.etag, "\"abc\"");
	assert_int_equal(back.nseg, 2);
	assert_true(vf_hub_entry_copy(&back, buf, 3, 990, &g, &ge));
	assert_memory_equal(buf, "xyz", 3);
	vf_hub_entry_free(&back);
	/* another key (another commit, file or endpoint) is a miss */
	assert_false(
	    vf_hub_cache_load(file, "https://h\norg/name\n0124\nmodel.safetensors", &back));
	assert_int_equal(back.nseg, 0);
	/* every truncation and every flipped byte is a miss, never a wrong answer */
	assert_int_equal(vf_file_slurp(file, 1 << 20, &text, &len, &err), VF_OK);
	for (size_t cut = 0; cut < len; cut++) {
		assert_non_null(fp = fopen(file, "wb"));
		fwrite(text, 1, cut, fp);
		fclose(fp);
		assert_false(vf_hub_cache_load(file, key, &back));
	}
	for (size_t i = 0; i < len; i++) {
		text[i] ^= 0x20;
		assert_non_null(fp = fopen(file, "wb"));
		fwrite(text, 1, len, fp);
		fclose(fp);
		assert_false(vf_hub_cache_load(file, key, &back));
		text[i] ^= 0x20;
	}
	vf_free(text);
	/* a missing file is a miss */
	assert_false(vf_hub_cache_load("/nonexistent/vramfit/entry", key, &back));
	vf_hub_entry_free(&e);
}

static void test_cache_root(void **state)
{
	char *r;

	(void)state;
	setenv("XDG_CACHE_HOME", "/x/cache", 1);
	assert_non_null(r = vf_hub_cache_root());
	assert_string_equal(r, "/x/cache/vramfit/hub");
	vf_free(r);
	/* a relative XDG_CACHE_HOME is ignored, as the XDG spec says */
	setenv("XDG_CACHE_HOME", "rel", 1);
	setenv("HOME", "/home/u", 1);
	assert_non_null(r = vf_hub_cache_root());
	assert_string_equal(r, "/home/u/.cache/vramfit/hub");
	vf_free(r);
	unsetenv("XDG_CACHE_HOME");
}

static void test_escape_and_options(void **state)
{
	char *s;

	(void)state;
	assert_non_null(s = vf_http_escape("refs/pr/1", false));
	assert_string_equal(s, "refs%2Fpr%2F1");
	vf_free(s);
	assert_non_null(s = vf_http_escape("sub dir/a+b.json", true));
	assert_string_equal(s, "sub%20dir/a%2Bb.json");
	vf_free(s);
	assert_int_equal(vf_hub_option("timeout", "2.5"), 0);
	assert_int_equal(vf_hub_option("timeout", "0"), -1);
	assert_int_equal(vf_hub_option("timeout", "abc"), -1);
	assert_int_equal(vf_hub_option("timeout", "1e9"), -1);
	assert_int_equal(vf_hub_option("timeout", ""), -1);
	assert_int_equal(vf_hub_option("refresh", NULL), 0);
	assert_int_equal(vf_hub_option("nope", "1"), -1);
	vf_hub_set_refresh(false);
	vf_hub_set_timeout(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entry_ranges),
	    cmocka_unit_test(test_cache_round_trip),
	    cmocka_unit_test(test_cache_root),
	    cmocka_unit_test(test_escape_and_options),
	};

	setenv("HF_HUB_OFFLINE", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
