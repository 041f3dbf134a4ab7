/*
 * strmap.h - a string -> index hash map for name look-ups and duplicate checks.
 *
 * Keys are borrowed, not copied: they must outlive the map.  The map grows by
 * doubling, so inserting n keys costs O(n) allocations in total (amortised),
 * which matters for checkpoints with ~100k tensors; vf_strmap_reserve() skips
 * the doublings when the count is known.
 */
#ifndef VF_STRMAP_H
#define VF_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct vf_strmap_slot;

struct vf_strmap {
	struct vf_strmap_slot *slots;
	size_t cap; /* a power of two, or 0 before the first insert */
	size_t len;
};

/* 1: inserted; 0: already present (*old set to its value); -1: out of memory */
int vf_strmap_put(struct vf_strmap *m, const char *key, uint32_t val, uint32_t *old);
/* 1 and *val set when present, else 0 */
int vf_strmap_get(const struct vf_strmap *m, const char *key, uint32_t *val);
/* Room for n keys without growing; 0, or -1 when out of memory. */
int vf_strmap_reserve(struct vf_strmap *m, size_t n);
void vf_strmap_free(struct vf_strmap *m);

#endif
