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
/*
 * The same with key's hash computed beforehand (on another thread, say), and
 * a prefetch of where it will go: what lets a caller inserting 92k names
 * overlap their cache misses.
 */
uint64_t vf_strmap_hash(const char *key);
int vf_strmap_put_h(struct vf_strmap *m, const char *key, uint64_t h, uint32_t val, uint32_t *old);
void vf_strmap_prefetch(const struct vf_strmap *m, uint64_t h);
/* 1 and *val set when present, else 0 */
int vf_strmap_get(const struct vf_strmap *m, const char *key, uint32_t *val);
/*
 * Looks up n keys at once: vals[i] is the value of keys[i], or UINT32_MAX
 * when absent.  The same answers as n calls of vf_strmap_get(), faster on a
 * big table: slots and stored keys are prefetched ahead of their turn, so
 * the cache misses overlap instead of adding up (~100 ns each).
 */
void vf_strmap_get_many(const struct vf_strmap *m, const char *const *keys, size_t n,
			uint32_t *vals);
/* Room for n keys without growing; 0, or -1 when out of memory. */
int vf_strmap_reserve(struct vf_strmap *m, size_t n);
void vf_strmap_free(struct vf_strmap *m);

#endif
