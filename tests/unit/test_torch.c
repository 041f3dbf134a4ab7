/*
 * test_torch.c - the PyTorch readers beyond what check_inspect.py compares:
 * bytes read on a large checkpoint, failure at every allocation, and pickle
 * edge cases built opcode by opcode as legacy-format files (five pickles and
 * the storages, the layout torch/serialization.py's _legacy_save writes).
 */
#include "tests/unit/testutil.h"

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"
#include "planner/planner.h"

static const char *fixture(char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, "%s/torch/%s", tu_env("VF_FIXTURES"), rel);
	return buf;
}

/* 128 MiB on disk; only the zip directory, local headers and data.pkl are read. */
static void test_big_bin_reads_little(void **state)
{
	char p[600];
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	uint64_t before = vf_bytes_read, params, bytes;

	(void)state;
	assert_int_equal(vf_model_open(fixture(p, sizeof(p), "big.bin"), &m, &err), VF_OK);
	vf_model_totals(m, &params, &bytes);
	assert_int_equal(bytes, 32ULL * 1024 * 1024 * 4 + 3 * 4); /* torch.zeros(32Mi) + ones(3) */
	assert_true(vf_bytes_read - before < 64 * 1024);
	vf_model_free(m);
}

static void fail_every_allocation(const char *path)
{
	unsigned long n;

	for (n = 1;; n++) {
		struct vf_err err = {0};
		struct vf_model *m = NULL;
		struct vf_layers ly;
		enum vf_status st;
		vf_mem_fail_at(n);
		st = vf_model_open(path, &m, &err);
		if (!st) {
			st = vf_layers_group(m, m->ordered, &ly, &err);
			if (!st)
				vf_layers_release(&ly);
		}
		vf_model_free(m);
		vf_mem_fail_at(0);
		if (st == VF_OK)
			break;
		if (st != VF_ENOMEM)
			fail_msg("%s: allocation %lu failed, status %d: %s", path, n, st, err.msg);
	}
	assert_true(n > 20);
}

static void test_alloc_failures(void **state)
{
	char p[600];

	(void)state;
	fail_every_allocation(fixture(p, sizeof(p), "tied.bin"));
	fail_every_allocation(fixture(p, sizeof(p), "tied_legacy.bin"));
	fail_every_allocation(fixture(p, sizeof(p), "sharded"));
}

/* ---- legacy files built by hand ---- */

/* pickle 1-3 of a legacy file: magic, protocol 1001, an empty sys_info dict */
static const unsigned char head[] = {
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a,
    0xa8, 0x50, 0x19, '.',  0x80, 0x02, 'M',  0xe9, 0x03, '.', /* 1001 */
    0x80, 0x02, '}',  '.',
};

struct buf {
	unsigned char b[4096];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	assert_true(b->n + n <= sizeof(b->b));
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

#define PUTS(b, s) put(b, s, sizeof(s) - 1)

static void put_str(struct buf *b, const char *s)
{
	unsigned char op[2] = {0x8c, (unsigned char)strlen(s)}; /* SHORT_BINUNICODE */
	put(b, op, 2);
	put(b, s, strlen(s));
}

/* A legacy file holding {name: FloatStorage(numel) viewed as size[0]} with
 * the storage's count field set to count and data_len bytes after it. */
static void write_legacy(const char *path, const char *name, int numel, int size0, int offset,
			 uint64_t count, size_t data_len)
{
	struct buf b = {0};
	unsigned char n8[8];
	FILE *f;

	put(&b, head, sizeof(head));
	PUTS(&b, "\x80\x02}(");
	put_str(&b, name);
	PUTS(&b, "ctorch._utils\n_rebuild_tensor_v2\n((");
	put_str(&b, "storage");
	PUTS(&b, "ctorch\nFloatStorage\n");
	put_str(&b, "k0");
	put_str(&b, "cpu");
	put(&b, (unsigned char[]){'K', (unsigned char)numel}, 2);
	put_str(&b, "");
	PUTS(&b, "tQ");
	put(&b,
	    (unsigned char[]){'K', (unsigned char)offset, 'K', (unsigned char)size0, 0x85, 'K', 1,
			      0x85, 0x89, '}', 't', 'R'},
	    12);
	PUTS(&b, "u.");
	PUTS(&b, "\x80\x02]("); /* the key list */
	put_str(&b, "k0");
	PUTS(&b, "e.");
	for (int i = 0; i < 8; i++)
		n8[i] = (unsigned char)(count >> (8 * i));
	put(&b, n8, 8);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b.b, 1, b.n, f), b.n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(truncate(path, (off_t)(b.n + data_len)), 0);
}

static void expect(const char *path, enum vf_status want, const char *msg)
{
	struct vf_model *m = NULL;
	struct vf_err err = {0};
	enum vf_status st = vf_model_open(path, &m, &err);

	if (st != want || (msg && !strstr(err.msg, msg)))
		fail_msg("%s: status %d '%s', want %d '%s'", path, st, err.msg, want,
			 msg ? msg : "");
	if (!st) {
		assert_int_equal(m->format, VF_FMT_PYTORCH_LEGACY);
		assert_int_equal(m->ntensors, 1);
		assert_string_equal(m->tensors[0].name, "w");
		assert_int_equal(m->tensors[0].count_bytes, 16);
	}
	vf_model_free(m);
}

static void test_legacy_by_hand(void **state)
{
	char p[600];

	(void)state;
	write_legacy(tu_path(p, sizeof(p), "ok.pt"), "w", 4, 4, 0, 4, 16);
	expect(p, VF_OK, NULL);
	write_legacy(tu_path(p, sizeof(p), "count.pt"), "w", 4, 4, 0, 5, 16);
	expect(p, VF_EFORMAT, "storage \"k0\" holds 5 elements but is described with 4");
	write_legacy(tu_path(p, sizeof(p), "short.pt"), "w", 4, 4, 0, 4, 15);
	expect(p, VF_EFORMAT, "runs past the end of the file");
	write_legacy(tu_path(p, sizeof(p), "trail.pt"), "w", 4, 4, 0, 4, 17);
	expect(p, VF_EFORMAT, "1 trailing bytes after the last storage");
	write_legacy(tu_path(p, sizeof(p), "view.pt"), "w", 4, 3, 2, 4, 16);
	expect(p, VF_EFORMAT, "views elements past the end of storage \"k0\"");
	write_legacy(tu_path(p, sizeof(p), "empty_view.pt"), "w", 4, 0, 9, 4, 16);
	expect(p, VF_OK, NULL); /* a zero-size view may point anywhere */
}

/* Cut a valid legacy file at every length: each prefix fails cleanly. */
static void test_legacy_truncated_everywhere(void **state)
{
	char p[600], q[600];
	FILE *f;
	long size;

	(void)state;
	write_legacy(tu_path(p, sizeof(p), "full.pt"), "w", 4, 4, 0, 4, 16);
	f = fopen(p, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fclose(f);
	tu_path(q, sizeof(q), "cut.pt");
	for (long n = 0; n < size; n++) {
		struct vf_model *m = NULL;
		struct vf_err err = {0};
		char cmd[1400];
		snprintf(cmd, sizeof(cmd), "head -c %ld '%s' > '%s'", n, p, q);
		assert_int_equal(system(cmd), 0);
		if (vf_model_open(q, &m, &err) == VF_OK)
			fail_msg("a %ld-byte prefix of a %ld-byte file was accepted", n, size);
		assert_null(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_big_bin_reads_little),
	    cmocka_unit_test(test_alloc_failures),
	    cmocka_unit_test(test_legacy_by_hand),
	    cmocka_unit_test(test_legacy_truncated_everywhere),
	};
	int rc;

	vf_json_init();
	rc = cmocka_run_group_tests_name("torch", tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
