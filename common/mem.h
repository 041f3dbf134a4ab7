/*
 * mem.h - allocation through one door, and checked size arithmetic.
 *
 * All allocations in vramfit go through vf_malloc() and friends so that tests
 * can make the N-th allocation fail (vf_mem_fail_at) and prove that every error
 * path frees what it allocated (SQLite's memdebug_fail, curl's torture mode).
 * Sizes read from files are combined only with the vf_*_ok helpers, which
 * return false instead of wrapping around.
 */
#ifndef VF_MEM_H
#define VF_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *vf_malloc(size_t n);
void *vf_calloc(size_t count, size_t size);
void *vf_realloc(void *p, size_t n);
char *vf_strdup(const char *s);
char *vf_strndup(const char *s, size_t n);
/* a, b and c end to end in one new string; NULL when out of memory */
char *vf_strjoin3(const char *a, const char *b, const char *c);
void vf_free(void *p);

/*
 * Fault injection for tests: the n-th allocation from now (1-based) and every
 * later one fail until vf_mem_fail_at(0).  Returns how many allocations have
 * happened since the last call, so a test can loop over every failure point.
 */
unsigned long vf_mem_fail_at(unsigned long n);
/*
 * Room for one more element in a growing array: when len has reached *cap,
 * *arrp (an array of elem-byte elements) is reallocated to twice *cap, or to
 * first when empty.  false when out of memory or the size would overflow;
 * the array is then unchanged.
 */
bool vf_grow(void *arrp, size_t *cap, size_t len, size_t elem, size_t first);
/* True while a failure is armed: code that would allocate from several
 * threads runs on one instead, so the n-th allocation is the same every run. */
bool vf_mem_injecting(void);

static inline bool vf_add_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

static inline bool vf_mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
	return !__builtin_mul_overflow(a, b, out);
}

#endif
