/*
 * arena.h - many small allocations freed at once (tensor names and shapes of
 * a table with ~100k tensors).  Chunks start at 64 KiB and double up to
 * 8 MiB, or fit a larger request; every pointer is 8-byte aligned and lives until
 * vf_arena_free().  A zeroed struct is an empty arena.
 */
#ifndef VF_ARENA_H
#define VF_ARENA_H

#include <stddef.h>

struct vf_arena_chunk;

struct vf_arena {
	struct vf_arena_chunk *chunks;
};

/* n bytes, or NULL when out of memory (the arena stays usable). */
void *vf_arena_alloc(struct vf_arena *a, size_t n);
void vf_arena_free(struct vf_arena *a);

#endif
