/*
 * testutil.h - helpers shared by the cmocka unit tests: scratch files and
 * hand-built safetensors files (for malformed inputs the real writer refuses
 * to produce).
 */
#ifndef VF_TESTUTIL_H
#define VF_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static char tu_dir[256];

/* A fresh scratch directory under /tmp, made once per test binary. */
static inline const char *tu_scratch(void)
{
	if (!tu_dir[0]) {
		snprintf(tu_dir, sizeof(tu_dir), "/tmp/vramfit-test-XXXXXX");
		if (!mkdtemp(tu_dir))
			abort();
	}
	return tu_dir;
}

/* Path of name inside the scratch directory (a static buffer per call site). */
static inline char *tu_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tu_scratch(), name);
	return buf;
}

static inline void tu_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/*
 * Writes a safetensors file: the 8-byte length (len_override when not ~0, else
 * strlen(header)), the header text, then data_len zero bytes (as a hole).
 */
static inline void tu_write_st(const char *path, const char *header, uint64_t len_override,
			       uint64_t data_len)
{
	size_t n = strlen(header);
	uint64_t len = len_override != ~(uint64_t)0 ? len_override : n;
	unsigned char l8[8];
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (int i = 0; i < 8; i++)
		l8[i] = (unsigned char)(len >> (8 * i));
	assert_int_equal(fwrite(l8, 1, 8, f), 8);
	assert_int_equal(fwrite(header, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(truncate(path, (off_t)(8 + n + data_len)), 0);
}

static inline void tu_cleanup(void)
{
	char cmd[300];

	if (tu_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tu_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tu_dir);
	}
}

static inline const char *tu_env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v) {
		fprintf(stderr, "%s is not set (run the tests through make)\n", name);
		abort();
	}
	return v;
}

#endif
