/* mem.c - the allocation door with fault injection; see mem.h. */
#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

static unsigned long alloc_count;
static unsigned long fail_at; /* 0: never fail */

/* Allocations may come from shard-reading threads (formats/index.c); the
 * count is atomic, and no thread runs while a failure is armed. */
static bool should_fail(void)
{
	unsigned long n = __atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED);

	return fail_at && n >= fail_at;
}

bool vf_mem_injecting(void)
{
	return fail_at != 0;
}

unsigned long vf_mem_fail_at(unsigned long n)
{
	unsigned long seen = alloc_count;

	alloc_count = 0;
	fail_at = n;
	return seen;
}

void *vf_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *vf_calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *vf_realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

char *vf_strndup(const char *s, size_t n)
{
	char *d = vf_malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

char *vf_strdup(const char *s)
{
	return vf_strndup(s, strlen(s));
}

void vf_free(void *p)
{
	free(p);
}
