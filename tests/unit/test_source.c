/*
 * test_source.c - formats/source.c: Hugging Face ids resolved in a cache
 * tree built here with real symbolic links (blobs, snapshots, refs), and
 * archives of real fixtures made here with the tar and zip tools: the same
 * tensors as the unpacked folder, bytes read bounded by the headers, and
 * hostile archives (.. in a name, absolute names, truncation, thousands of
 * members, a zip bomb, links that leave the archive) refused or survived.
 */
#include "tests/unit/testutil.h"

#include <errno.h>
#include <sys/stat.h>
#include <time.h>

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"
#include "formats/model_build.h"
#include "planner/planner.h"

#define SHA_MAIN "0123456789abcdef0123456789abcdef01234567"
#define SHA_V1 "89abcdef0123456789abcdef0123456789abcdef"
#define SHA_BAD "fedcba9876543210fedcba9876543210fedcba98"

static char hub[512], work[512];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
}

struct totals {
	size_t tensors;
	uint64_t params, bytes;
	uint32_t files;
	bool arch;
};

static enum vf_status open_totals(const char *path, const struct vf_open_opts *o, struct totals *t,
				  struct vf_err *err)
{
	struct vf_model *m = NULL;
	enum vf_status st = vf_model_open_opts(path, o, &m, err);

	memset(t, 0, sizeof(*t));
	if (!st) {
		t->tensors = m->ntensors;
		vf_model_totals(m, &t->params, &t->bytes);
		t->files = m->nfiles;
		t->arch = m->arch.present;
	}
	vf_model_free(m);
	return st;
}

static void expect_same(const char *path, const struct totals *want)
{
	struct totals t;
	struct vf_err err = {0};

	if (open_totals(path, NULL, &t, &err))
		fail_msg("%s: %s: %s", path, err.path, err.msg);
	assert_int_equal(t.tensors, want->tensors);
	assert_int_equal(t.params, want->params);
	assert_int_equal(t.bytes, want->bytes);
	assert_int_equal(t.files, want->files);
	assert_int_equal(t.arch, want->arch);
}

static void expect_fail(const char *path, const struct vf_open_opts *o, enum vf_status want,
			const char *msg_has)
{
	struct totals t;
	struct vf_err err = {0};
	enum vf_status st = open_totals(path, o, &t, &err);

	if (st != want)
		fail_msg("%s: status %d, not %d (%s: %s)", path, st, want, err.path, err.msg);
	if (msg_has && !strstr(err.msg, msg_has))
		fail_msg("%s: message '%s' lacks '%s'", path, err.msg, msg_has);
}

/* The fixtures, absolute: the shell commands below change folders. */
static const char *fx(void)
{
	static char abs[4096];

	if (!abs[0] && !realpath(tu_env("VF_FIXTURES"), abs))
		fail_msg("%s: %s", tu_env("VF_FIXTURES"), strerror(errno));
	return abs;
}

static void setup_dirs(void)
{
	if (!work[0]) {
		snprintf(work, sizeof(work), "%s/src", tu_scratch());
		snprintf(hub, sizeof(hub), "%s/hf/hub", tu_scratch());
		sh("mkdir -p '%s' '%s'", work, hub);
	}
}

/* ---- Hugging Face cache ---- */

/* models--ORG--NAME with each file a link into blobs/, as huggingface_hub
 * writes it; sha names the snapshot. */
static void hf_repo(const char *repo, const char *sha, const char *ref, const char *from)
{
	sh("set -e; r='%s/%s'; mkdir -p \"$r/blobs\" \"$r/refs\" \"$r/snapshots/%s\"; "
	   "for f in '%s'/*; do b=$(sha256sum \"$f\" | cut -c1-64); cp \"$f\" \"$r/blobs/$b\"; "
	   "ln -sf \"../../blobs/$b\" \"$r/snapshots/%s/$(basename \"$f\")\"; done; "
	   "printf '%s' > \"$r/refs/%s\"",
	   hub, repo, sha, from, sha, sha, ref);
}

static void test_repo_ids(void **state)
{
	(void)state;
	assert_true(vf_hf_is_repo_id("meta-llama/Llama-2-7b-hf"));
	assert_true(vf_hf_is_repo_id("Qwen/Qwen3-30B-A3B"));
	assert_true(vf_hf_is_repo_id("a/b"));
	assert_false(vf_hf_is_repo_id("gpt2"));	     /* no org: looked up as a path only */
	assert_false(vf_hf_is_repo_id("/abs/path")); /* absolute */
	assert_false(vf_hf_is_repo_id("a/b/c"));
	assert_false(vf_hf_is_repo_id("a/../b"));
	assert_false(vf_hf_is_repo_id("a--b/c"));
	assert_false(vf_hf_is_repo_id("-a/b"));
	assert_false(vf_hf_is_repo_id("a/b."));
	assert_false(vf_hf_is_repo_id("a/"));
	assert_false(vf_hf_is_repo_id("a b/c"));
}

static void test_hf_cache(void **state)
{
	char tiny[600], ids[64], *snap = NULL;
	struct totals want;
	struct vf_err err = {0};
	struct vf_open_opts o = {0};

	(void)state;
	setup_dirs();
	snprintf(tiny, sizeof(tiny), "%s/tiny_llama", fx());
	if (open_totals(tiny, NULL, &want, &err))
		fail_msg("%s", err.msg);
	hf_repo("models--acme--tiny", SHA_MAIN, "main", tiny);
	/* a second revision, tagged v1: the bert fixture (other tensors) */
	snprintf(tiny, sizeof(tiny), "%s/bert_dir", fx());
	hf_repo("models--acme--tiny", SHA_V1, "v1", tiny);
	setenv("HF_HUB_CACHE", hub, 1);

	/* refs/main names the snapshot; every file is a link to a blob */
	assert_int_equal(vf_hf_resolve("acme/tiny", NULL, &snap, &err), VF_OK);
	assert_non_null(strstr(snap, "models--acme--tiny/snapshots/" SHA_MAIN));
	vf_free(snap);
	expect_same("acme/tiny", &want);

	/* a tag and a commit hash */
	o.revision = "v1";
	snprintf(tiny, sizeof(tiny), "%s/bert_dir", fx());
	{
		struct totals bert, t;
		if (open_totals(tiny, NULL, &bert, &err) || open_totals("acme/tiny", &o, &t, &err))
			fail_msg("%s", err.msg);
		assert_int_equal(t.tensors, bert.tensors);
		assert_int_equal(t.bytes, bert.bytes);
		o.revision = SHA_MAIN;
		if (open_totals("acme/tiny", &o, &t, &err))
			fail_msg("%s", err.msg);
		assert_int_equal(t.tensors, want.tensors);
	}

	/* a revision that is not there says how to get it */
	o.revision = "v2";
	expect_fail("acme/tiny", &o, VF_EIO, "is not in the Hugging Face cache (no refs/v2 in ");
	expect_fail("acme/tiny", &o, VF_EIO, "huggingface-cli download acme/tiny --revision v2");
	/* a commit hash with no snapshot */
	o.revision = SHA_BAD;
	expect_fail("acme/tiny", &o, VF_EIO, "has no snapshot");
	/* a revision that would climb out of refs/ */
	o.revision = "../../../etc";
	expect_fail("acme/tiny", &o, VF_EUSAGE, "not a branch, tag or commit");
	/* a model that is not there */
	expect_fail("acme/missing", NULL, VF_EIO, "huggingface-cli download acme/missing");
	expect_fail("acme/missing", NULL, VF_EIO, "no such file or directory");
	/* --revision with a local path */
	o.revision = "main";
	snprintf(tiny, sizeof(tiny), "%s/tiny_llama", fx());
	expect_fail(tiny, &o, VF_EUSAGE, "--revision is for a Hugging Face model id");

	/* refs/main holding something else than a commit hash */
	sh("mkdir -p '%s/models--acme--junk/snapshots' '%s/models--acme--junk/refs' && "
	   "printf 'not a hash' > '%s/models--acme--junk/refs/main'",
	   hub, hub, hub);
	expect_fail("acme/junk", NULL, VF_EFORMAT, "does not hold a commit hash");

	/* an interrupted download: a snapshot link whose blob is missing */
	snprintf(tiny, sizeof(tiny), "%s/tiny_llama", fx());
	hf_repo("models--acme--broken", SHA_MAIN, "main", tiny);
	sh("rm \"$(readlink -f '%s/models--acme--broken/snapshots/%s/"
	   "model-00002-of-00002.safetensors')\"",
	   hub, SHA_MAIN);
	expect_fail("acme/broken", NULL, VF_EIO, "links to a blob that is not in the cache");
	expect_fail("acme/broken", NULL, VF_EIO, "huggingface-cli download acme/broken");

	/* HF_HOME/hub when HF_HUB_CACHE is unset */
	unsetenv("HF_HUB_CACHE");
	unsetenv("HUGGINGFACE_HUB_CACHE");
	snprintf(ids, sizeof(ids), "%s", "acme/tiny");
	{
		char home[600];
		snprintf(home, sizeof(home), "%s/hf", tu_scratch());
		setenv("HF_HOME", home, 1);
		expect_same(ids, &want);
		unsetenv("HF_HOME");
	}
}

static void test_hf_cache_dir_order(void **state)
{
	char *d = NULL;
	struct vf_err err = {0};

	(void)state;
	setenv("HF_HUB_CACHE", "/x/hub-cache", 1);
	setenv("HF_HOME", "/y/home", 1);
	assert_int_equal(vf_hf_cache_dir(&d, &err), VF_OK);
	assert_string_equal(d, "/x/hub-cache");
	vf_free(d);
	unsetenv("HF_HUB_CACHE");
	assert_int_equal(vf_hf_cache_dir(&d, &err), VF_OK);
	assert_string_equal(d, "/y/home/hub");
	vf_free(d);
	unsetenv("HF_HOME");
	setenv("XDG_CACHE_HOME", "/z/cache", 1);
	assert_int_equal(vf_hf_cache_dir(&d, &err), VF_OK);
	assert_string_equal(d, "/z/cache/huggingface/hub");
	vf_free(d);
	unsetenv("XDG_CACHE_HOME");
	setenv("HOME", "/home/u", 1);
	assert_int_equal(vf_hf_cache_dir(&d, &err), VF_OK);
	assert_string_equal(d, "/home/u/.cache/huggingface/hub");
	vf_free(d);
}

/* ---- archives ---- */

static void tiny_totals(struct totals *t)
{
	char p[600];
	struct vf_err err = {0};

	snprintf(p, sizeof(p), "%s/tiny_llama", fx());
	if (open_totals(p, NULL, t, &err))
		fail_msg("%s", err.msg);
}

static void test_archives_of_a_folder(void **state)
{
	static const char *const names[] = {"t.tar",  "t.tar.gz", "t.tgz",    "t.zip",
					    "t0.zip", "flat.tar", "flat0.zip"};
	struct totals want;
	char p[700];

	(void)state;
	setup_dirs();
	tiny_totals(&want);
	sh("set -e; cd '%s'; cp -r '%s/tiny_llama' .; tar -cf t.tar tiny_llama; "
	   "tar -czf t.tar.gz tiny_llama; cp t.tar.gz t.tgz; zip -qr t.zip tiny_llama; "
	   "zip -qr0 t0.zip tiny_llama; (cd tiny_llama && tar -cf ../flat.tar . && "
	   "zip -qr0 ../flat0.zip .)",
	   work, fx());
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", work, names[i]);
		expect_same(p, &want);
	}
	/* a file inside the archive can be named too */
	snprintf(p, sizeof(p), "%s/t.tar/tiny_llama/model.safetensors.index.json", work);
	expect_fail(p, NULL, VF_EIO, "cannot open"); /* no mount: the name alone means nothing */
}

/* Stored members are byte ranges of the archive: a 64 MiB tensor costs
 * only its header, as an unpacked file does. */
static void test_archive_reads_headers_only(void **state)
{
	const char *h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[16777216],"
			"\"data_offsets\":[0,67108864]}}";
	char p[700];
	struct totals t;
	struct vf_err err = {0};
	uint64_t before;

	(void)state;
	setup_dirs();
	sh("mkdir -p '%s/big'", work);
	snprintf(p, sizeof(p), "%s/big/model.safetensors", work);
	tu_write_st(p, h, ~(uint64_t)0, 67108864ULL);
	sh("set -e; cd '%s'; tar -cf big.tar big; zip -qr0 big0.zip big; tar -czf big.tgz big",
	   work);
	for (int i = 0; i < 3; i++) {
		static const char *const n[] = {"big.tar", "big0.zip", "big.tgz"};
		snprintf(p, sizeof(p), "%s/%s", work, n[i]);
		before = vf_bytes_read;
		if (open_totals(p, NULL, &t, &err))
			fail_msg("%s: %s", p, err.msg);
		assert_int_equal(t.bytes, 67108864ULL);
		if (i < 2) /* the listing (headers) plus the safetensors header */
			assert_true(vf_bytes_read - before < 256 * 1024);
		else /* gzip has no index: the stream is read once, start to end */
			assert_true(vf_bytes_read - before < 2 * 1024 * 1024);
	}
}

static void test_archive_formats(void **state)
{
	char p[700];
	struct totals want, t;
	struct vf_err err = {0};

	(void)state;
	setup_dirs();
	/* a sharded PyTorch checkpoint in a tar (stored: random access works) */
	snprintf(p, sizeof(p), "%s/torch/sharded", fx());
	if (open_totals(p, NULL, &want, &err))
		fail_msg("%s", err.msg);
	sh("set -e; cd '%s'; mkdir -p pt; cp '%s'/torch/sharded/* pt/; tar -cf pt.tar pt; "
	   "zip -qr0 pt0.zip pt; tar -czf pt.tgz pt",
	   work, fx());
	snprintf(p, sizeof(p), "%s/pt.tar", work);
	expect_same(p, &want);
	snprintf(p, sizeof(p), "%s/pt0.zip", work);
	expect_same(p, &want);
	/* ... but not inside a compressed stream */
	snprintf(p, sizeof(p), "%s/pt.tgz", work);
	expect_fail(p, NULL, VF_EFORMAT, "a PyTorch zip inside a compressed archive needs random");

	/* GGUF with its config.json, in a .tar.gz: the header is read as far as needed */
	snprintf(p, sizeof(p), "%s/gguf/with_config", fx());
	if (open_totals(p, NULL, &want, &err))
		fail_msg("%s", err.msg);
	sh("set -e; cd '%s'; cp -r '%s/gguf/with_config' gg; tar -czf gg.tar.gz gg", work, fx());
	snprintf(p, sizeof(p), "%s/gg.tar.gz", work);
	expect_same(p, &want);

	/* NeMo 1.x: model_config.yaml beside model_weights.ckpt (torch.save) */
	snprintf(p, sizeof(p), "%s/torch/tied.bin", fx());
	if (open_totals(p, NULL, &want, &err))
		fail_msg("%s", err.msg);
	sh("set -e; cd '%s'; mkdir -p nemo; cp '%s/torch/tied.bin' nemo/model_weights.ckpt; "
	   "printf 'name: test\\n' > nemo/model_config.yaml; (cd nemo && tar -cf ../m.nemo .)",
	   work, fx());
	snprintf(p, sizeof(p), "%s/m.nemo", work);
	if (open_totals(p, NULL, &t, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(t.tensors, want.tensors);
	assert_int_equal(t.bytes, want.bytes);

	/* a torch.save file named .zip is a checkpoint, not a folder */
	sh("cp '%s/torch/tied.bin' '%s/ckpt.zip'", fx(), work);
	snprintf(p, sizeof(p), "%s/ckpt.zip", work);
	expect_same(p, &want);

	/* an archive with no model, and one with two side by side */
	sh("set -e; cd '%s'; mkdir -p none two/a two/b; printf x > none/readme.txt; "
	   "tar -cf none.tar none; cp '%s/tiny_llama/config.json' two/a/; "
	   "cp '%s/tiny_llama/config.json' two/b/; tar -cf two.tar two",
	   work, fx(), fx());
	snprintf(p, sizeof(p), "%s/none.tar", work);
	expect_fail(p, NULL, VF_EFORMAT, "archive holds no checkpoint");
	snprintf(p, sizeof(p), "%s/two.tar", work);
	expect_fail(p, NULL, VF_EFORMAT, "archive holds models in \"two/a\" and \"two/b\"");
}

/* A tarred Hugging Face repo folder keeps its links: they resolve inside the
 * archive.  A link that leaves the archive resolves to nothing. */
static void test_archive_links(void **state)
{
	char p[700];
	struct totals want;

	(void)state;
	setup_dirs();
	tiny_totals(&want);
	snprintf(p, sizeof(p), "%s/tiny_llama", fx());
	hf_repo("models--acme--tarred", SHA_MAIN, "main", p);
	sh("cd '%s' && tar -cf '%s/repo.tar' models--acme--tarred", hub, work);
	snprintf(p, sizeof(p), "%s/repo.tar", work);
	expect_same(p, &want);

	sh("set -e; cd '%s'; mkdir -p esc; cp '%s/tiny_llama/config.json' esc/; "
	   "ln -sf ../../../../../../../../etc/hostname esc/model.safetensors; "
	   "ln -sf /etc/hostname esc/abs.safetensors; tar -cf esc.tar esc",
	   work, fx());
	snprintf(p, sizeof(p), "%s/esc.tar", work);
	expect_fail(p, NULL, VF_EIO, "No such file or directory");
}

static void test_hostile_archives(void **state)
{
	char p[700];
	struct timespec t0, t1;
	struct totals want;

	(void)state;
	setup_dirs();
	tiny_totals(&want);
	/* names with .. and absolute names (GNU tar keeps them with -P) */
	sh("set -e; cd '%s'; mkdir -p h/in; cp '%s/tiny_llama/config.json' h/in/; "
	   "cd h/in; tar -P -cf ../../dotdot.tar ../in/config.json; "
	   "tar -P -cf ../../abs.tar \"$PWD/config.json\"",
	   work, fx());
	snprintf(p, sizeof(p), "%s/dotdot.tar", work);
	expect_fail(p, NULL, VF_EFORMAT, "points outside the archive");
	snprintf(p, sizeof(p), "%s/abs.tar", work);
	expect_fail(p, NULL, VF_EFORMAT, "points outside the archive");

	/* truncated: in the middle of a member's data, and of a header */
	sh("set -e; cd '%s'; tar -cf full.tar -C '%s' tiny_llama; "
	   "head -c 30000 full.tar > cut.tar; head -c 700 full.tar > cut2.tar; "
	   "gzip -c full.tar > f.tgz; head -c $(( $(wc -c < f.tgz) / 2 )) f.tgz > cut.tgz",
	   work, fx());
	snprintf(p, sizeof(p), "%s/cut.tar", work);
	expect_fail(p, NULL, VF_EFORMAT, NULL);
	snprintf(p, sizeof(p), "%s/cut2.tar", work);
	expect_fail(p, NULL, VF_EFORMAT, NULL);
	snprintf(p, sizeof(p), "%s/cut.tgz", work);
	expect_fail(p, NULL, VF_EFORMAT, NULL);
	/* not an archive at all */
	sh("printf 'hello' > '%s/junk.tar'", work);
	snprintf(p, sizeof(p), "%s/junk.tar", work);
	expect_fail(p, NULL, VF_EFORMAT, "not a readable tar archive");

	/* thousands of empty members beside the model: listed, and quickly */
	sh("set -e; cd '%s'; rm -rf many; cp -r '%s/tiny_llama' many; mkdir many/e; "
	   "(cd many/e && seq 1 5000 | xargs touch); tar -cf many.tar many; "
	   "zip -qr many.zip many",
	   work, fx());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(p, sizeof(p), "%s/many.tar", work);
	expect_same(p, &want);
	snprintf(p, sizeof(p), "%s/many.zip", work);
	expect_same(p, &want);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 20);

	/* more members than an archive may have */
	sh("set -e; cd '%s'; rm -rf lots; mkdir -p lots; cp '%s/tiny_llama/config.json' lots/; "
	   "(cd lots && seq 1 %u | xargs touch); tar -cf lots.tar lots; rm -rf lots",
	   work, fx(), VF_ARCHIVE_MAX_MEMBERS);
	snprintf(p, sizeof(p), "%s/lots.tar", work);
	expect_fail(p, NULL, VF_EFORMAT, "members");

	/* a zip bomb: 256 MB of zeros deflated to ~250 KB, as the checkpoint and
	 * as the config: only the few bytes a header needs are inflated */
	sh("set -e; cd '%s'; mkdir -p bomb; head -c 268435456 /dev/zero > "
	   "bomb/model.safetensors; cp bomb/model.safetensors bomb/config.json; "
	   "zip -qr bomb.zip bomb; rm -rf bomb",
	   work);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(p, sizeof(p), "%s/bomb.zip", work);
	expect_fail(p, NULL, VF_EFORMAT, "file is 268435456 bytes, more than");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 10);
	sh("set -e; cd '%s'; mkdir -p bomb2; head -c 268435456 /dev/zero > "
	   "bomb2/model.safetensors; zip -qr bomb2.zip bomb2; rm -rf bomb2",
	   work);
	snprintf(p, sizeof(p), "%s/bomb2.zip", work);
	expect_fail(p, NULL, VF_EFORMAT, "header does not start with '{'");
}

/* Fails the 1st, 2nd, ... allocation of an archive open until it succeeds. */
static void test_archive_alloc_failures(void **state)
{
	static const char *const names[] = {"t.tar", "t.zip", "t.tar.gz"};
	char p[700];
	struct totals t;

	(void)state;
	setup_dirs();
	sh("set -e; cd '%s'; rm -rf a; mkdir a; cd a; cp -r '%s/tiny_llama' .; "
	   "tar -cf t.tar tiny_llama; tar -czf t.tar.gz tiny_llama; zip -qr t.zip tiny_llama",
	   work, fx());
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		unsigned long n;
		snprintf(p, sizeof(p), "%s/a/%s", work, names[i]);
		for (n = 1;; n++) {
			struct vf_err err = {0};
			enum vf_status st;
			vf_mem_fail_at(n);
			st = open_totals(p, NULL, &t, &err);
			vf_mem_fail_at(0);
			if (st == VF_OK)
				break;
			if (st != VF_ENOMEM)
				fail_msg("%s: allocation %lu failed, status %d: %s", p, n, st,
					 err.msg);
		}
		assert_true(n > 20);
	}
}

/* The mount lives for the open only: afterwards the archive is a file. */
static void test_mount_is_temporary(void **state)
{
	char p[700];
	struct stat sb;
	struct vf_source src;
	struct vf_err err = {0};

	(void)state;
	setup_dirs();
	sh("set -e; cd '%s'; tar -cf tmp.tar -C '%s' tiny_llama", work, fx());
	snprintf(p, sizeof(p), "%s/tmp.tar", work);
	assert_int_equal(vf_source_open(&src, p, NULL, &err), VF_OK);
	assert_non_null(strstr(src.path, "tmp.tar/tiny_llama"));
	assert_int_equal(vf_path_stat(src.path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	vf_source_close(&src);
	snprintf(p, sizeof(p), "%s/tmp.tar/tiny_llama", work);
	assert_int_not_equal(vf_path_stat(p, &sb), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_repo_ids),
	    cmocka_unit_test(test_hf_cache),
	    cmocka_unit_test(test_hf_cache_dir_order),
	    cmocka_unit_test(test_archives_of_a_folder),
	    cmocka_unit_test(test_archive_reads_headers_only),
	    cmocka_unit_test(test_archive_formats),
	    cmocka_unit_test(test_archive_links),
	    cmocka_unit_test(test_hostile_archives),
	    cmocka_unit_test(test_archive_alloc_failures),
	    cmocka_unit_test(test_mount_is_temporary),
	};
	int rc;

	/* an id missing from the cache would otherwise be asked of the hub:
	 * unit tests never touch the network (tests/hub does, on 127.0.0.1) */
	setenv("HF_HUB_OFFLINE", "1", 1);
	vf_json_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tu_cleanup();
	return rc;
}
