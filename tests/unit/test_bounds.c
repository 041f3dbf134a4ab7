/*
 * test_bounds.c - resource bounds of the readers, measured: what the largest
 * and the most hostile inputs cost in memory and time, and that nesting is
 * bounded.
 *
 * Each case runs in a forked child, so that its peak resident set (wait4's
 * ru_maxrss, less what the child inherited) is its own; the number is printed
 * ("bounds: ...") and checked against the limit the reader states:
 *   - safetensors: the header (at most 100,000,000 bytes) plus its cJSON tree,
 *     at most 16x the header + 1 MiB (common/json.c counts each block with
 *     its prefix and malloc's overhead, so this is resident memory);
 *   - PyTorch: the pickle pool, at most 64x data.pkl and never more than
 *     512 MiB (the legacy reader: 512 MiB).  The pool counts the ~40 bytes of
 *     each value, not its block header, so resident memory may be up to 1.8x.
 * Under ASan the sizes shrink 10x and the limits are not checked (the
 * sanitizer's shadow memory and quarantine would be measured, not vramfit).
 * Also here: regressions found by reading the code while fuzzing it, in the
 * pickle machine (tests/fuzz/regressions/pickle) and the legacy reader.
 */
#include "tests/unit/testutil.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"
#include "planner/planner.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

#define MiB (1024.0 * 1024.0)
#define SCALE (UNDER_ASAN ? 10 : 1)

/* ---- measuring a child ---- */

struct outcome {
	int status;	/* enum vf_status of the open, or -1 if the child died */
	double rss_mib; /* what its resident set grew by while it read */
	double secs;	/* wall time of the child */
	char msg[VF_ERR_MSG_MAX];
};

/* What the child sends back through a pipe. */
struct report_msg {
	long start_kib; /* its resident set before reading (inherited pages) */
	char msg[VF_ERR_MSG_MAX];
};

/*
 * Opens path in a child and groups its layers, as `vramfit inspect` does.
 * Every open here runs in a child, so the parent's heap never grows and each
 * child's peak is its own.
 */
static struct outcome open_in_child(const char *path)
{
	struct outcome o = {-1, 0, 0, ""};
	struct report_msg r = {0, ""};
	struct rusage ru;
	struct timespec t0, t1;
	int ws, fd[2];
	pid_t pid;

	fflush(NULL);
	assert_int_equal(pipe(fd), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* no cmocka here: a failed assert would longjmp into the parent's
		 * test runner inside the child */
		struct vf_model *m = NULL;
		struct vf_err err = {0};
		struct vf_layers ly;
		enum vf_status st;
		getrusage(RUSAGE_SELF, &ru);
		r.start_kib = ru.ru_maxrss;
		st = vf_model_open(path, &m, &err);
		if (!st) {
			st = vf_layers_group(m, m->ordered, &ly, &err);
			if (!st)
				vf_layers_release(&ly);
		}
		vf_model_free(m);
		snprintf(r.msg, sizeof(r.msg), "%s", err.msg);
		if (write(fd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(100);
		_exit(st);
	}
	close(fd[1]);
	assert_int_equal(wait4(pid, &ws, 0, &ru), pid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (read(fd[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
		memset(&r, 0, sizeof(r));
	close(fd[0]);
	if (WIFEXITED(ws))
		o.status = WEXITSTATUS(ws);
	o.rss_mib = (double)(ru.ru_maxrss - r.start_kib) / 1024.0;
	o.secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	memcpy(o.msg, r.msg, sizeof(o.msg));
	return o;
}

/* Prints what a case cost and checks it against what it may take. */
static void report(const char *what, const struct outcome *o, double limit_mib)
{
	printf("bounds: %-56s +%7.1f MiB peak RSS (limit %5.0f), %5.2f s\n", what, o->rss_mib,
	       limit_mib, o->secs);
	if (!UNDER_ASAN && o->rss_mib > limit_mib)
		fail_msg("%s: peak RSS grew %.1f MiB, more than the %.0f MiB it may take", what,
			 o->rss_mib, limit_mib);
}

static void expect(const struct outcome *o, enum vf_status want, const char *msg_has)
{
	if (o->status != (int)want)
		fail_msg("status %d, not %d (%s)", o->status, want, o->msg);
	if (msg_has && !strstr(o->msg, msg_has))
		fail_msg("message '%s' lacks '%s'", o->msg, msg_has);
}

/* ---- writing big safetensors files without holding them in memory ---- */

static FILE *st_begin(const char *path)
{
	FILE *f = fopen(path, "wb");
	static const unsigned char zero[8];

	assert_non_null(f);
	assert_int_equal(fwrite(zero, 1, 8, f), 8);
	return f;
}

/* Patches the header length in and extends the file by data_len bytes (a hole). */
static uint64_t st_end(FILE *f, const char *path, uint64_t data_len)
{
	long end = ftell(f);
	uint64_t n = (uint64_t)end - 8;
	unsigned char l8[8];

	for (int i = 0; i < 8; i++)
		l8[i] = (unsigned char)(n >> (8 * i));
	assert_int_equal(fseek(f, 0, SEEK_SET), 0);
	assert_int_equal(fwrite(l8, 1, 8, f), 8);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(truncate(path, (off_t)(8 + n + data_len)), 0);
	return n;
}

/*
 * A header claiming a million tensors, as large as the reference reader lets
 * a header be: 1000 blocks of 1000 one-byte tensors, ~75 MB of JSON.
 */
static void test_million_tensors(void **state)
{
	char p[600], what[120];
	const unsigned n = 1000000 / SCALE;
	uint64_t hdr;
	struct outcome o;
	double limit;
	FILE *f;

	(void)state;
	f = st_begin(tu_path(p, sizeof(p), "million.safetensors"));
	for (unsigned i = 0; i < n; i++)
		fprintf(
		    f,
		    "%s\"layers.%u.%u\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[%u,%u]}",
		    i ? "," : "{", i / 1000, i % 1000, i, i + 1);
	fputc('}', f);
	hdr = st_end(f, p, n);
	assert_true(hdr <= 100000000);
	o = open_in_child(p);
	expect(&o, VF_OK, NULL);
	/* the header, its cJSON tree (at most 16x it + 1 MiB), and the model:
	 * tensor table, names, shapes, name index, layers (~400 bytes a tensor) */
	limit = ((double)hdr * 17 + (1 << 20) + (double)n * 400) / MiB;
	snprintf(what, sizeof(what), "%u tensors, a %.1f MB header", n, (double)hdr / 1e6);
	report(what, &o, limit);
	unlink(p);
}

/* The largest header the reference reader takes: 100,000,000 bytes (one long
 * metadata string), read whole; one byte more is refused before reading. */
static void test_header_100mb(void **state)
{
	char p[600];
	const uint64_t want = 100000000 / SCALE;
	const char *pre = "{\"__metadata__\":{\"pad\":\"", *post = "\"}}";
	uint64_t fill = want - strlen(pre) - strlen(post);
	struct outcome o;
	char *chunk = malloc(1 << 20);
	FILE *f;

	(void)state;
	assert_non_null(chunk);
	memset(chunk, 'x', 1 << 20);
	f = st_begin(tu_path(p, sizeof(p), "big-header.safetensors"));
	fputs(pre, f);
	for (uint64_t left = fill; left;) {
		size_t k = left < (1 << 20) ? (size_t)left : (1 << 20);
		assert_int_equal(fwrite(chunk, 1, k, f), k);
		left -= k;
	}
	fputs(post, f);
	free(chunk);
	assert_int_equal(st_end(f, p, 0), want);
	o = open_in_child(p);
	expect(&o, VF_OK, NULL);
	/* the text, cJSON's copy of the string, the model's copy of it */
	report(UNDER_ASAN ? "a 10 MB header (one metadata string)"
			  : "a 100 MB header (one metadata string)",
	       &o, 3 * (double)want / MiB + 16);
	unlink(p);

	/* one byte over the cap: refused from the length alone */
	tu_write_st(p, "{}", 100000001, 100000001 - 2);
	o = open_in_child(p);
	expect(&o, VF_EFORMAT, "header length 100000001 is more than the 100000000 allowed");
	report("a header length of 100,000,001 (refused)", &o, 4);
	unlink(p);
}

/*
 * A shape array of "0," repeated for 100 MB made a cJSON node every two
 * bytes (32x the text) when headers were parsed into a tree.  The tree-free
 * reader (common/jscan.h) keeps nothing per byte: it stops at the 65th
 * dimension, and the peak is the header text itself.
 */
static void test_header_100mb_hostile(void **state)
{
	char p[600];
	const uint64_t want = 100000000 / SCALE;
	uint64_t hdr;
	struct outcome o;
	FILE *f;

	(void)state;
	f = st_begin(tu_path(p, sizeof(p), "hostile-header.safetensors"));
	fputs("{\"t\":{\"dtype\":\"U8\",\"data_offsets\":[0,0],\"shape\":[0", f);
	for (uint64_t at = (uint64_t)ftell(f) - 8; at + 2 + 3 <= want; at += 2)
		fputs(",0", f);
	fputs("]}}", f);
	hdr = st_end(f, p, 0);
	o = open_in_child(p);
	expect(&o, VF_EFORMAT, "tensor \"t\" has more than 64 dimensions");
	/* the header text and 32 MiB for the process */
	report(UNDER_ASAN ? "a 10 MB header of [0,0,0,...] (refused at dimension 65)"
			  : "a 100 MB header of [0,0,0,...] (refused at dimension 65)",
	       &o, (double)hdr / MiB + 32);
	unlink(p);
}

/* ---- nesting ---- */

static char *nested(size_t depth, const char *open, const char *close, const char *pre,
		    const char *post)
{
	size_t lo = strlen(open), lc = strlen(close), lp = strlen(pre), lq = strlen(post);
	char *s = malloc(lp + depth * (lo + lc) + lq + 1), *w = s;

	assert_non_null(s);
	memcpy(w, pre, lp);
	w += lp;
	for (size_t i = 0; i < depth; i++, w += lo)
		memcpy(w, open, lo);
	for (size_t i = 0; i < depth; i++, w += lc)
		memcpy(w, close, lc);
	memcpy(w, post, lq + 1);
	return s;
}

/* cJSON refuses nesting past 1000 levels, so the recursive checks in json.c
 * and cJSON_Delete stay shallow, and common/jscan.c past 64; deeper text
 * fails fast, not by the stack. */
static void test_json_nesting(void **state)
{
	struct vf_err err = {0};
	struct vf_arch arch = {0};
	char p[600], *s;
	cJSON *j;

	(void)state;
	s = nested(999, "[", "]", "", "");
	j = vf_json_parse(s, strlen(s), 1 << 26, "t", "text", &err);
	assert_non_null(j); /* cJSON_NESTING_LIMIT is 1000 */
	vf_json_free(j);
	free(s);
	s = nested(100000, "{\"a\":", "}", "", "");
	assert_null(vf_json_parse(s, strlen(s), 1 << 26, "t", "text", &err));
	assert_int_equal(err.status, VF_EFORMAT);
	vf_err_clear(&err);
	assert_int_equal(vf_config_parse(s, strlen(s), "config.json", &arch, &err), VF_EFORMAT);
	vf_arch_release(&arch);
	vf_err_clear(&err);
	free(s);
	s = nested(1000000, "[", "]",
		   "{\"t\":{\"dtype\":\"U8\",\"data_offsets\":[0,0],\"shape\":", "}}");
	tu_write_st(tu_path(p, sizeof(p), "deep.safetensors"), s, ~(uint64_t)0, 0);
	free(s);
	{
		struct outcome o = open_in_child(p);
		expect(&o, VF_EFORMAT, "header nests more than 64 levels deep");
		report("a header nesting arrays 1,000,000 deep", &o, 16);
	}
	unlink(p);
}

/* ---- pickles ---- */

/* A legacy checkpoint around one object pickle, no storages. */
static void write_legacy(const char *path, const void *obj, size_t n)
{
	static const unsigned char magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
					      0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
	static const unsigned char proto[] = {0x80, 0x02, 'M', 0xe9, 0x03, '.'};
	static const unsigned char info[] = {0x80, 0x02, '}', '.'};
	static const unsigned char keys[] = {0x80, 0x02, ']', '.'};
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(magic, 1, sizeof(magic), f), sizeof(magic));
	assert_int_equal(fwrite(proto, 1, sizeof(proto), f), sizeof(proto));
	assert_int_equal(fwrite(info, 1, sizeof(info), f), sizeof(info));
	assert_int_equal(fwrite(obj, 1, n, f), n);
	assert_int_equal(fwrite(keys, 1, sizeof(keys), f), sizeof(keys));
	assert_int_equal(fclose(f), 0);
}

/* Containers nest as deep as the pickle likes, but the walk that names
 * tensors stops at 64 levels; MARKs nest only as far as the pool allows. */
static void test_pickle_nesting(void **state)
{
	const size_t depth = 1000000 / SCALE;
	unsigned char *obj = malloc(depth + 4);
	struct outcome o;
	char p[600];
	size_t n = 0;

	(void)state;
	assert_non_null(obj);
	obj[n++] = 0x80;
	obj[n++] = 0x02;
	obj[n++] = 'N';
	for (size_t i = 0; i < depth; i++)
		obj[n++] = 0x85; /* TUPLE1: wraps the top in a tuple */
	obj[n++] = '.';
	write_legacy(tu_path(p, sizeof(p), "deep-tuple.bin"), obj, n);
	o = open_in_child(p);
	expect(&o, VF_EFORMAT, "nests deeper than 64 levels");
	/* the legacy reader's pool budget, 512 MiB, counts the ~40 bytes of a
	 * value but not its block header and malloc's: up to 1.8x more */
	report(UNDER_ASAN ? "a pickle nesting tuples 100,000 deep"
			  : "a pickle nesting tuples 1,000,000 deep",
	       &o, 1.8 * 512 + 16);
	n = 0;
	obj[n++] = 0x80;
	obj[n++] = 0x02;
	for (size_t i = 0; i < depth; i++)
		obj[n++] = '(';
	obj[n++] = '.';
	write_legacy(p, obj, n);
	o = open_in_child(p);
	expect(&o, VF_EFORMAT, NULL);
	report(UNDER_ASAN ? "a pickle of 100,000 MARKs" : "a pickle of 1,000,000 MARKs", &o,
	       1.8 * 512 + 16);
	free(obj);
	unlink(p);
}

/*
 * _rebuild_from_type_v2 whose arguments hold themselves: a list appended to
 * itself through the memo.  Found by review while fuzzing; it recursed until
 * the stack overflowed.  Also tests/fuzz/regressions/pickle/selfref-from-type.
 */
static void test_pickle_self_reference(void **state)
{
	static const char obj[] = "\x80\x02"
				  "ctorch._tensor\n_rebuild_from_type_v2\n"
				  "q\x00"  /* memo 0: the global */
				  "]q\x01" /* memo 1: a list L */
				  "h\x00"
				  "a"
				  "Na" /* L = [global, None] */
				  "h\x01"
				  "a"	/* L = [global, None, L] */
				  "R."; /* global(*L) */
	struct outcome o;
	char p[600];

	(void)state;
	write_legacy(tu_path(p, sizeof(p), "selfref.bin"), obj, sizeof(obj) - 1);
	o = open_in_child(p); /* a child: without the fix, it dies of the stack */
	expect(&o, VF_EFORMAT, "calls '_rebuild_from_type_v2' with arguments it never takes");
	unlink(p);
}

/*
 * Protocol 4 numbers memo entries implicitly: MEMOIZE stores at len(memo).
 * The machine used the memo's capacity, which skips indices, so every
 * torch.save(..., pickle_protocol=4) checkpoint failed ("has a memo index
 * past any possible one" or "reads a memo entry that was never written").
 */
static void test_pickle_protocol4_memo(void **state)
{
	static const char obj[] = "\x80\x04"
				  "]\x94" /* memo 0: a list */
				  "N\x94" /* memo 1: None */
				  "a"
				  "h\x01"
				  "a."; /* [None, None] */
	struct outcome o;
	char p[600];

	(void)state;
	write_legacy(tu_path(p, sizeof(p), "proto4.bin"), obj, sizeof(obj) - 1);
	o = open_in_child(p);
	expect(&o, VF_OK, NULL);
	unlink(p);
}

/*
 * A zip whose data.pkl is 64 MB of one opcode (None), deflated to ~64 KB.
 * The pool budget was 64x data.pkl (4 GiB here, 16 GiB for the largest
 * data.pkl allowed); it is now at most 512 MiB.
 */
static void test_zip_pickle_bomb(void **state)
{
	const size_t n = (64u << 20) / SCALE;
	char p[600];
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char *chunk = malloc(1 << 20);
	struct outcome o;

	(void)state;
	assert_non_null(a);
	assert_non_null(e);
	assert_non_null(chunk);
	memset(chunk, 'N', 1 << 20);
	assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, tu_path(p, sizeof(p), "bomb.pt")),
			 ARCHIVE_OK);
	archive_entry_set_pathname(e, "archive/data.pkl");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)(n + 3));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, "\x80\x02", 2), 2);
	for (size_t left = n; left;) {
		size_t k = left < (1 << 20) ? left : (1 << 20);
		assert_int_equal(archive_write_data(a, chunk, k), (la_ssize_t)k);
		left -= k;
	}
	assert_int_equal(archive_write_data(a, ".", 1), 1);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_entry_free(e);
	archive_write_free(a);
	free(chunk);
	o = open_in_child(p);
	/* at a tenth of the size (ASan), the pickle fits its 64x budget */
	expect(&o, VF_EFORMAT, UNDER_ASAN ? NULL : "pickle needs more than 512 MiB");
	/* data.pkl, and the pool as for the legacy reader */
	report(UNDER_ASAN ? "a zip whose data.pkl is 6 MB of None (~6 KB deflated)"
			  : "a zip whose data.pkl is 64 MB of None (~64 KB deflated)",
	       &o, (double)n / MiB + 1.8 * 512 + 16);
	unlink(p);
}

/* ---- a growable byte buffer for hand-written pickles ---- */

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void put_s(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* BINUNICODE: 'X', a 4-byte length, the text */
static void put_str(struct buf *b, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);
	unsigned char h[5] = {'X', (unsigned char)n, (unsigned char)(n >> 8),
			      (unsigned char)(n >> 16), (unsigned char)(n >> 24)};

	put(b, h, 5);
	put(b, s, n);
}

/*
 * A legacy checkpoint of n one-element tensors, each with its own storage,
 * written as torch does (globals memoized).  The reader matched each key of
 * the storage list by scanning every storage: quadratic, 35 s for 80,000.
 */
static void test_legacy_many_storages(void **state)
{
	const unsigned n = 100000 / SCALE;
	static const unsigned char magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
					      0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
	static const unsigned char data[12] = {1}; /* count 1, then one F32 */
	struct buf b = {0};
	struct outcome o;
	char p[600], key[32], what[120];
	FILE *f;

	(void)state;
	put(&b, magic, sizeof(magic));
	put_s(&b, "\x80\x02M\xe9\x03.\x80\x02}.");
	put_s(&b, "\x80\x02}(");
	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "w.%u", i);
		put_str(&b, key);
		put_s(&b, i ? "h\x01(" : "ctorch._utils\n_rebuild_tensor_v2\nq\x01(");
		put_s(&b, "(");
		put_str(&b, "storage");
		put_s(&b, i ? "h\x02" : "ctorch\nFloatStorage\nq\x02");
		snprintf(key, sizeof(key), "%u", i);
		put_str(&b, key);
		put_str(&b, "cpu");
		put_s(&b, "K\x01tQK");
		put(&b, "", 1); /* K 0: the offset */
		put_s(&b, "K\x01\x85K\x01\x85\x89");
		put_s(&b, i ? "h\x03" : "ccollections\nOrderedDict\nq\x03");
		put_s(&b, ")RtR");
	}
	put_s(&b, "u.\x80\x02](");
	for (unsigned i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%u", i);
		put_str(&b, key);
	}
	put_s(&b, "e.");
	f = fopen(tu_path(p, sizeof(p), "many.bin"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b.p, 1, b.n, f), b.n);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(fwrite(data, 1, sizeof(data), f), sizeof(data));
	assert_int_equal(fclose(f), 0);
	free(b.p);
	o = open_in_child(p);
	expect(&o, VF_OK, NULL);
	snprintf(what, sizeof(what), "a legacy checkpoint of %u storages", n);
	report(what, &o, 1.8 * 512 + 16);
	/* linear: under a second; the quadratic scan took ~50 s here */
	if (!UNDER_ASAN && o.secs > 10)
		fail_msg("%u storages took %.1f s to match", n, o.secs);
	unlink(p);
}

/* A GGUF claiming 2^64-1 tensors and kv pairs in 24 bytes. */
static void test_gguf_claims(void **state)
{
	static const unsigned char h[24] = {'G',  'G',	'U',  'F',  3,	  0,	0,    0,
					    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	char p[600];
	struct outcome o;

	(void)state;
	tu_write(tu_path(p, sizeof(p), "claims.gguf"), h, sizeof(h));
	o = open_in_child(p);
	expect(&o, VF_EFORMAT, "truncated");
	report("a GGUF claiming 2^64-1 tensors and keys", &o, 4);
	unlink(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_million_tensors),
	    cmocka_unit_test(test_header_100mb),
	    cmocka_unit_test(test_header_100mb_hostile),
	    cmocka_unit_test(test_json_nesting),
	    cmocka_unit_test(test_pickle_nesting),
	    cmocka_unit_test(test_pickle_self_reference),
	    cmocka_unit_test(test_pickle_protocol4_memo),
	    cmocka_unit_test(test_zip_pickle_bomb),
	    cmocka_unit_test(test_legacy_many_storages),
	    cmocka_unit_test(test_gguf_claims),
	};
	int rc;

	vf_json_init();
	rc = cmocka_run_group_tests_name("bounds", tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
