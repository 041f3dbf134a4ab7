/*
 * test_archive_lib.c - formats/archive_lib.c: libarchive is dlopen()ed only
 * when the first zip or archive is opened, once per process whichever thread
 * asks first, and when it cannot be loaded, opening a zip or an archive fails
 * with one line naming the file while the other formats still open.
 *
 * How "cannot be loaded" is made without a hook in vramfit: this binary
 * defines dlopen() itself, so the call in archive_lib.c (linked into it)
 * lands here.  Every library is passed on to the real dlopen(); for
 * libarchive.so.13 the call is counted and, as the case says, the real
 * dlopen() is given a name that does not exist (the library is not
 * installed) or libz.so.1 (a library without libarchive's functions, as an
 * incompatible libarchive.so.13 would be).  What loaded or failed stays for
 * the process, so each case runs in a forked child.
 */
#include "tests/unit/testutil.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/wait.h>

#include "formats/archive_lib.h"
#include "formats/formats.h"

enum how { REAL, MISSING, WRONG_LIB };

static enum how how;
static int archive_opens; /* dlopen("libarchive.so.13") calls */

void *dlopen(const char *file, int flags)
{
	static void *(*real)(const char *, int);

	if (!real) {
		void *p = dlsym(RTLD_NEXT, "dlopen");
		if (!p)
			abort();
		memcpy(&real, &p, sizeof(p));
	}
	if (file && strcmp(file, VF_ARCHIVE_SONAME) == 0) {
		__atomic_add_fetch(&archive_opens, 1, __ATOMIC_SEQ_CST);
		if (how == MISSING)
			file = "libarchive-absent-for-this-test.so.13";
		else if (how == WRONG_LIB)
			file = "libz.so.1";
	}
	return real(file, flags);
}

/* In the child, no cmocka: a failed assert would longjmp into the parent's
 * runner.  A failed check prints why and the child exits 1. */
#define CHECK(c, ...)                                                                              \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                            \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			_exit(1);                                                                  \
		}                                                                                  \
	} while (0)

#define PREFIX "cannot load " VF_ARCHIVE_SONAME " (needed for zip and archive checkpoints): "

static char zip_path[600], tar_path[600], st_path[600];

/* Files no reader can take further than the libarchive step. */
static void write_inputs(void)
{
	static const unsigned char zip[64] = "PK\3\4";
	static const unsigned char tar[1024] = "model/config.json";

	tu_write(tu_path(zip_path, sizeof(zip_path), "junk.pt"), zip, sizeof(zip));
	tu_write(tu_path(tar_path, sizeof(tar_path), "junk.tar"), tar, sizeof(tar));
	tu_write_st(tu_path(st_path, sizeof(st_path), "one.safetensors"),
		    "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
		    ~(uint64_t)0, 8);
}

static enum vf_status open_path(const char *path, struct vf_err *err)
{
	struct vf_model *m = NULL;
	enum vf_status st = vf_model_open(path, &m, err);

	vf_model_free(m);
	return st;
}

/* The error when libarchive cannot be loaded: VF_EIO, one line, the file. */
static void check_load_error(const char *path, const char *why_has)
{
	struct vf_err err = {0};
	enum vf_status st = open_path(path, &err);

	CHECK(st == VF_EIO, "%s: status %d, want VF_EIO (%s)", path, st, err.msg);
	CHECK(strcmp(err.path, path) == 0, "error names \"%s\", not \"%s\"", err.path, path);
	CHECK(strncmp(err.msg, PREFIX, strlen(PREFIX)) == 0, "message \"%s\"", err.msg);
	CHECK(strstr(err.msg + strlen(PREFIX), why_has), "message \"%s\" lacks \"%s\"", err.msg,
	      why_has);
	CHECK(!strchr(err.msg, '\n'), "message \"%s\" is more than one line", err.msg);
}

static void check_safetensors_opens(void)
{
	struct vf_err err = {0};

	CHECK(open_path(st_path, &err) == VF_OK, "safetensors: %s", err.msg);
}

static void *ask(void *out)
{
	struct vf_err err = {0};

	if (vf_archive_lib((const struct vf_archive_lib **)out, "x", &err))
		*(const void **)out = NULL;
	return NULL;
}

static void child_real(void)
{
	const struct vf_archive_lib *got[8];
	pthread_t t[8];
	struct vf_err err = {0};

	check_safetensors_opens();
	CHECK(archive_opens == 0, "libarchive loaded for a safetensors file");
	/* all at once: one dlopen, one table */
	for (int i = 0; i < 8; i++)
		CHECK(pthread_create(&t[i], NULL, ask, &got[i]) == 0, "pthread_create");
	for (int i = 0; i < 8; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
	CHECK(archive_opens == 1, "libarchive opened %d times", archive_opens);
	for (int i = 0; i < 8; i++)
		CHECK(got[i] && got[i] == got[0], "thread %d got another table", i);
	/* loaded: a zip and an archive get as far as libarchive's own errors */
	CHECK(open_path(zip_path, &err) == VF_EFORMAT &&
		  strstr(err.msg, "not a readable zip archive"),
	      "zip: %s", err.msg);
	memset(&err, 0, sizeof(err));
	CHECK(open_path(tar_path, &err) == VF_EFORMAT && strstr(err.msg, "not a readable tar"),
	      "tar: %s", err.msg);
	CHECK(archive_opens == 1, "libarchive opened %d times", archive_opens);
}

static void child_missing(void)
{
	check_safetensors_opens();
	check_load_error(zip_path, "cannot open shared object file");
	/* remembered, not retried; each error names its own file */
	check_load_error(tar_path, "cannot open shared object file");
	CHECK(archive_opens == 1, "libarchive opened %d times", archive_opens);
	check_safetensors_opens();
}

static void child_wrong_lib(void)
{
	check_load_error(tar_path, "undefined symbol: archive_read_new");
	check_load_error(zip_path, "undefined symbol: archive_read_new");
	CHECK(archive_opens == 1, "libarchive opened %d times", archive_opens);
}

static void run_child(enum how h, void (*body)(void))
{
	int ws;
	pid_t pid;

	write_inputs();
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		how = h;
		body();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &ws, 0), pid);
	assert_true(WIFEXITED(ws));
	assert_int_equal(WEXITSTATUS(ws), 0);
}

static void test_loaded_once_on_first_archive(void **state)
{
	(void)state;
	run_child(REAL, child_real);
}

static void test_missing_library(void **state)
{
	(void)state;
	run_child(MISSING, child_missing);
}

static void test_library_without_the_functions(void **state)
{
	(void)state;
	run_child(WRONG_LIB, child_wrong_lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loaded_once_on_first_archive),
	    cmocka_unit_test(test_missing_library),
	    cmocka_unit_test(test_library_without_the_functions),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	tu_cleanup();
	return rc;
}
