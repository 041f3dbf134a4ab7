/*
 * fuzz_common.h - what every libFuzzer harness in tests/fuzz shares.
 *
 * The readers take paths, so a harness writes its input to a file in a
 * scratch directory of its own in /dev/shm (one per process: libFuzzer's
 * -jobs/-fork workers never share one) and opens that.  Each input is run
 * twice: once as is, and once more with an injected allocation failure at a
 * point chosen from the input's hash, so that libFuzzer's leak checker also
 * walks the error paths (the fault-injection loop of test_robustness, spread
 * over the corpus).  A successful open always goes on through
 * vf_layers_group() and vf_model_free(), and the model is checked for
 * invariants every reader promises; a broken one aborts, which libFuzzer
 * reports like a crash.
 *
 * Inputs over FUZZ_MAX_LEN are ignored so that no input can make a harness
 * write a large file (run with -max_len=FUZZ_MAX_LEN as well).
 */
#ifndef VF_FUZZ_COMMON_H
#define VF_FUZZ_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "common/json.h"
#include "common/mem.h"
#include "formats/formats.h"
#include "planner/planner.h"

#define FUZZ_MAX_LEN (1u << 20)
#define FUZZ_SHM "/dev/shm"
#define FUZZ_DIR_PREFIX "vramfit-fuzz-"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir[256];

/* Something went wrong in the harness itself, not in the code under test. */
static inline void fuzz_die(const char *what, const char *path)
{
	fprintf(stderr, "fuzz harness: %s %s: %s\n", what, path, strerror(errno));
	abort();
}

static inline void fuzz_remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", dir, de->d_name) < (int)sizeof(p))
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static inline void fuzz_cleanup(void)
{
	if (fuzz_dir[0])
		fuzz_remove_tree(fuzz_dir);
}

/* A crashed harness cannot clean up after itself: remove the directories of
 * processes that no longer exist, so that /dev/shm does not fill up. */
static inline void fuzz_remove_stale(void)
{
	DIR *d = opendir(FUZZ_SHM);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t pl = strlen(FUZZ_DIR_PREFIX);
		long pid;
		if (strncmp(de->d_name, FUZZ_DIR_PREFIX, pl) != 0)
			continue;
		pid = strtol(de->d_name + pl, NULL, 10);
		if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
			if (snprintf(p, sizeof(p), "%s/%s", FUZZ_SHM, de->d_name) < (int)sizeof(p))
				fuzz_remove_tree(p);
		}
	}
	closedir(d);
}

/* The scratch directory of this process, made on first use. */
static inline const char *fuzz_scratch(void)
{
	if (!fuzz_dir[0]) {
		fuzz_remove_stale();
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/%s%ld-XXXXXX", FUZZ_SHM, FUZZ_DIR_PREFIX,
			 (long)getpid());
		if (!mkdtemp(fuzz_dir))
			fuzz_die("cannot create", fuzz_dir);
		atexit(fuzz_cleanup);
	}
	return fuzz_dir;
}

static inline void fuzz_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", fuzz_scratch(), name);
}

static inline void fuzz_write(const char *path, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	const char *p = data;

	if (fd < 0)
		fuzz_die("cannot create", path);
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			fuzz_die("cannot write", path);
		p += w;
		n -= (size_t)w;
	}
	if (close(fd) != 0)
		fuzz_die("cannot close", path);
}

/* FNV-1a: picks the injected allocation failure, the same on every replay. */
static inline uint64_t fuzz_hash(const uint8_t *d, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ d[i]) * 1099511628211ULL;
	return h;
}

static inline void fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz invariant broken: %s\n", what);
	abort();
}

/* A failure must say what failed. */
static inline void fuzz_check_err(enum vf_status st, const struct vf_err *err)
{
	if (st == VF_OK)
		return;
	if (st != VF_EIO && st != VF_EFORMAT && st != VF_ENOMEM)
		fuzz_fail("a reader returned a status other than EIO, EFORMAT or ENOMEM");
	if (err->status != st || !err->msg[0])
		fuzz_fail("a failure without its message");
}

/* What every model a reader returns must satisfy. */
static inline void fuzz_check_model(const struct vf_model *m)
{
	/* safetensors and GGUF place every tensor's bytes inside its file */
	bool placed = m->format == VF_FMT_SAFETENSORS || m->format == VF_FMT_GGUF;
	uint64_t *sizes = calloc(m->nfiles + 1, sizeof(*sizes));

	if (!sizes)
		abort();
	/* a member of an archive (model.tar/dir/x.safetensors) has no stat(2):
	 * UINT64_MAX leaves it unchecked */
	for (uint32_t f = 0; placed && f < m->nfiles; f++) {
		struct stat sb;
		sizes[f] = stat(m->files[f], &sb) == 0 ? (uint64_t)sb.st_size : UINT64_MAX;
	}
	for (size_t i = 0; i < m->ntensors; i++) {
		const struct vf_tensor *t = &m->tensors[i];
		uint64_t numel = 1;
		bool zero = false;
		if (!t->name || (t->ndim && !t->shape))
			fuzz_fail("a tensor without a name or shape");
		if (t->file >= m->nfiles)
			fuzz_fail("a tensor names a file the model does not have");
		if (vf_model_find(m, t->name) != (long)i)
			fuzz_fail("a tensor that vf_model_find does not find");
		for (uint32_t d = 0; d < t->ndim; d++)
			zero |= t->shape[d] == 0;
		for (uint32_t d = 0; d < t->ndim && !zero; d++)
			if (!vf_mul_ok(numel, t->shape[d], &numel))
				fuzz_fail("a tensor whose shape overflows 64 bits");
		if ((zero ? 0 : numel) != t->numel)
			fuzz_fail("a tensor whose numel is not the product of its shape");
		if (placed &&
		    (t->offset > sizes[t->file] || t->nbytes > sizes[t->file] - t->offset))
			fuzz_fail("a tensor whose bytes lie past the end of its file");
		if (t->count_params > t->numel && m->format != VF_FMT_PYTORCH_ZIP &&
		    m->format != VF_FMT_PYTORCH_LEGACY)
			fuzz_fail("a tensor that counts more parameters than it has");
	}
	free(sizes);
}

/* Groups a model into layers and checks that every tensor is in one. */
static inline enum vf_status fuzz_group(const struct vf_model *m, struct vf_err *err)
{
	struct vf_layers ly;
	size_t n = 0;
	uint64_t bytes = 0, params = 0, want_params, want_bytes;
	enum vf_status st = vf_layers_group(m, m->ordered, &ly, err);

	if (st)
		return st;
	for (size_t i = 0; i < ly.n; i++) {
		n += ly.v[i].ntensors;
		bytes += ly.v[i].bytes;
		params += ly.v[i].params;
	}
	vf_model_totals(m, &want_params, &want_bytes);
	if (n != m->ntensors || bytes != want_bytes || params != want_params)
		fuzz_fail("layers do not add up to the model");
	for (size_t i = 0; i < m->ntensors; i++)
		if (ly.of_tensor[i] >= ly.n)
			fuzz_fail("a tensor outside every layer");
	vf_layers_release(&ly);
	return VF_OK;
}

/* Opens path as vramfit does, then plans it. */
static inline enum vf_status fuzz_open_path(const char *path, struct vf_err *err)
{
	struct vf_model *m = NULL;
	enum vf_status st = vf_model_open(path, &m, err);

	if (st) {
		if (m)
			fuzz_fail("a failed open returned a model");
		return st;
	}
	fuzz_check_model(m);
	st = fuzz_group(m, err);
	vf_model_free(m);
	return st;
}

/*
 * Runs one input through run() three times: plainly, serially, then with the k-th of its
 * allocations failing (k from the input's hash), which must end in VF_ENOMEM.
 * run() must be deterministic, and give the same answer on threads as on one.
 */
static inline void fuzz_twice(enum vf_status (*run)(const uint8_t *d, size_t n, struct vf_err *err),
			      const uint8_t *data, size_t size)
{
	struct vf_err err = {0}, serial = {0};
	enum vf_status st;
	unsigned long allocs, k;

	/* 1: as vramfit runs (shards may be parsed on threads) */
	vf_mem_fail_at(0);
	st = run(data, size, &err);
	fuzz_check_err(st, &err);
	/* 2: with a failure armed but never reached, which keeps everything on
	 * one thread (formats/shards.c): the same outcome, word for word, and
	 * the allocation count of the serial path that run 3 takes (threads
	 * may work past the first error) */
	vf_mem_fail_at(ULONG_MAX);
	if (run(data, size, &serial) != st || strcmp(serial.msg, err.msg) != 0 ||
	    strcmp(serial.path, err.path) != 0)
		fuzz_fail("threaded and serial reads differ");
	allocs = vf_mem_fail_at(0);
	if (!allocs)
		return;
	k = 1 + (unsigned long)(fuzz_hash(data, size) % allocs);
	memset(&err, 0, sizeof(err));
	vf_mem_fail_at(k);
	st = run(data, size, &err);
	vf_mem_fail_at(0);
	fuzz_check_err(st, &err);
	if (st != VF_ENOMEM)
		fuzz_fail("an injected allocation failure was not reported as VF_ENOMEM");
}

/*
 * The whole harness for a reader reached through vf_model_open() on a file:
 * the input is written under `name` (whose suffix and first bytes pick the
 * reader) and opened twice, as fuzz_twice() does.
 */
#define FUZZ_FILE_HARNESS(name)                                                                    \
	static char path[512];                                                                     \
                                                                                                   \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                                          \
	{                                                                                          \
		(void)argc;                                                                        \
		(void)argv;                                                                        \
		vf_json_init();                                                                    \
		fuzz_path(path, sizeof(path), name);                                               \
		return 0;                                                                          \
	}                                                                                          \
                                                                                                   \
	static enum vf_status run(const uint8_t *data, size_t size, struct vf_err *err)            \
	{                                                                                          \
		(void)data;                                                                        \
		(void)size;                                                                        \
		return fuzz_open_path(path, err);                                                  \
	}                                                                                          \
                                                                                                   \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)                               \
	{                                                                                          \
		if (size > FUZZ_MAX_LEN)                                                           \
			return 0;                                                                  \
		fuzz_write(path, data, size);                                                      \
		fuzz_twice(run, data, size);                                                       \
		unlink(path);                                                                      \
		return 0;                                                                          \
	}

#endif
