/* mem.c - the allocation door with fault injection; see mem.h. */
#include "common/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
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

/*
 * Large blocks come 2 MiB-aligned and marked for transparent huge pages.  On
 * DeepSeek-V3 the 4 KiB page faults of ~40 MB of fresh tables and texts were
 * a third of the run (13k faults); a huge page is one fault for 512 pages.
 * Linux with THP in "madvise" mode (the common default) needs the madvise;
 * elsewhere it is a no-op.
 */
#define HUGE_MIN ((size_t)2 << 20)

static void advise(void *p, size_t n)
{
	if (p && n >= HUGE_MIN)
		madvise(p, n & ~(HUGE_MIN - 1), MADV_HUGEPAGE);
}

static void *big(size_t n)
{
	void *p = NULL;

	if (posix_memalign(&p, HUGE_MIN, n) != 0)
		return NULL;
	advise(p, n);
	return p;
}

void *vf_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return n >= HUGE_MIN ? big(n) : malloc(n ? n : 1);
}

void *vf_calloc(size_t count, size_t size)
{
	size_t n;
	void *p;

	if (should_fail())
		return NULL;
	if (__builtin_mul_overflow(count, size, &n))
		return NULL;
	if (n < HUGE_MIN)
		return calloc(count ? count : 1, size ? size : 1);
	if ((p = big(n)) != NULL)
		memset(p, 0, n);
	return p;
}

void *vf_realloc(void *p, size_t n)
{
	void *q;

	if (should_fail())
		return NULL;
	q = realloc(p, n ? n : 1);
	if (q != p)
		advise((void *)(((uintptr_t)q + HUGE_MIN - 1) & ~(uintptr_t)(HUGE_MIN - 1)),
		       n > HUGE_MIN ? n - HUGE_MIN : 0);
	return q;
}

bool vf_grow(void *arrp, size_t *cap, size_t len, size_t elem, size_t first)
{
	void *old, *a;
	size_t nc;

	if (len < *cap)
		return true;
	nc = *cap ? *cap * 2 : first;
	/* the caller's pointer is read and written as bytes: it is a T *, not a
	 * void *, and object pointers share one representation here */
	memcpy(&old, arrp, sizeof(old));
	if (nc < *cap || nc > SIZE_MAX / elem || !(a = vf_realloc(old, nc * elem)))
		return false;
	memcpy(arrp, &a, sizeof(a));
	*cap = nc;
	return true;
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

char *vf_strjoin3(const char *a, const char *b, const char *c)
{
	size_t x = strlen(a), y = strlen(b), z = strlen(c);
	char *p = vf_malloc(x + y + z + 1);

	if (!p)
		return NULL;
	memcpy(p, a, x);
	memcpy(p + x, b, y);
	memcpy(p + x + y, c, z + 1);
	return p;
}
