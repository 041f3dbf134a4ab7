/* arena.c - bump allocation in chunks; see arena.h. */
#include "common/arena.h"

#include <stdint.h>

#include "common/mem.h"

#define CHUNK (64 * 1024)
/*
 * Chunks double up to MAX_CHUNK: a 92k-tensor table needs ~5 MB of names,
 * and a few big chunks fault in as huge pages (common/mem.c), where 80
 * chunks of 64 KiB cost ~1,300 page faults.
 */
#define MAX_CHUNK ((size_t)8 << 20)

struct vf_arena_chunk {
	struct vf_arena_chunk *next;
	size_t used, cap;
	_Alignas(8) unsigned char data[];
};

void *vf_arena_alloc(struct vf_arena *a, size_t n)
{
	struct vf_arena_chunk *c = a->chunks;
	void *r;

	if (n > SIZE_MAX - 8)
		return NULL;
	n = (n + 7) & ~(size_t)7; /* keeps uint64_t shapes aligned */
	if (!c || c->cap - c->used < n) {
		size_t cap = !c ? CHUNK : c->cap >= MAX_CHUNK / 2 ? MAX_CHUNK : c->cap * 2;
		if (cap < n)
			cap = n;
		if (cap > SIZE_MAX - sizeof(*c) || !(c = vf_malloc(sizeof(*c) + cap)))
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->chunks;
		a->chunks = c;
	}
	r = c->data + c->used;
	c->used += n;
	return r;
}

void vf_arena_free(struct vf_arena *a)
{
	struct vf_arena_chunk *c = a->chunks;

	while (c) {
		struct vf_arena_chunk *n = c->next;
		vf_free(c);
		c = n;
	}
	a->chunks = NULL;
}
