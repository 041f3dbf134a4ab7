/*
 * strmap.c - open addressing with linear probing.  Load factor stays below
 * 1/2, so probes are short and a full table cannot occur.  Each slot keeps
 * its key's hash beside the key pointer: with ~100k long tensor names the
 * table is bigger than the cache, and comparing hashes first avoids touching
 * the key's memory (a cache miss per probe) for every slot that is not a
 * match, while hash, key and value share one cache line.
 */
#include "common/strmap.h"

#include <string.h>

#include "common/mem.h"

struct vf_strmap_slot {
	uint64_t hash; /* 0: empty */
	const char *key;
	uint32_t val;
};

/*
 * Eight bytes per multiply: tensor names are ~50 bytes and every name of a
 * 92k-tensor checkpoint is hashed several times, so FNV-1a's multiply per
 * byte cost a tenth of reading DeepSeek-V3.  Each word goes through a
 * multiply-xorshift round; MurmurHash3's finalizer then spreads the bits into
 * the low ones that pick the slot.
 */
static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ n, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s + i, n - i);
	h ^= w;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h | 1; /* 0 marks an empty slot */
}

static size_t slot_of(const struct vf_strmap_slot *t, size_t cap, const char *key, uint64_t h)
{
	size_t i = h & (cap - 1);

	while (t[i].hash && (t[i].hash != h || strcmp(t[i].key, key) != 0))
		i = (i + 1) & (cap - 1);
	return i;
}

static int resize(struct vf_strmap *m, size_t ncap)
{
	struct vf_strmap_slot *t;

	if (ncap <= m->cap || ncap > SIZE_MAX / sizeof(*t) || !(t = vf_calloc(ncap, sizeof(*t))))
		return -1;
	for (size_t i = 0; i < m->cap; i++) {
		if (m->slots[i].hash) {
			size_t j = m->slots[i].hash & (ncap - 1);
			while (t[j].hash)
				j = (j + 1) & (ncap - 1);
			t[j] = m->slots[i];
		}
	}
	vf_free(m->slots);
	m->slots = t;
	m->cap = ncap;
	return 0;
}

int vf_strmap_reserve(struct vf_strmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 16;

	if (n > SIZE_MAX / 4)
		return -1;
	while (cap < 2 * n + 2)
		cap *= 2;
	return cap == m->cap ? 0 : resize(m, cap);
}

uint64_t vf_strmap_hash(const char *key)
{
	return hash(key, strlen(key));
}

void vf_strmap_prefetch(const struct vf_strmap *m, uint64_t h)
{
	if (m->cap)
		__builtin_prefetch(&m->slots[h & (m->cap - 1)], 1);
}

int vf_strmap_put(struct vf_strmap *m, const char *key, uint32_t val, uint32_t *old)
{
	return vf_strmap_put_h(m, key, hash(key, strlen(key)), val, old);
}

int vf_strmap_put_h(struct vf_strmap *m, const char *key, uint64_t h, uint32_t val, uint32_t *old)
{
	size_t i;

	if ((m->len + 1) * 2 > m->cap && resize(m, m->cap ? m->cap * 2 : 16) != 0)
		return -1;
	i = slot_of(m->slots, m->cap, key, h);
	if (m->slots[i].hash) {
		if (old)
			*old = m->slots[i].val;
		return 0;
	}
	m->slots[i] = (struct vf_strmap_slot){h, key, val};
	m->len++;
	return 1;
}

int vf_strmap_get(const struct vf_strmap *m, const char *key, uint32_t *val)
{
	size_t i;

	if (!m->cap)
		return 0;
	i = slot_of(m->slots, m->cap, key, hash(key, strlen(key)));
	if (!m->slots[i].hash)
		return 0;
	if (val)
		*val = m->slots[i].val;
	return 1;
}

#define AHEAD 16 /* lookups in flight: slot prefetched at +16, its key at +8 */

void vf_strmap_get_many(const struct vf_strmap *m, const char *const *keys, size_t n,
			uint32_t *vals)
{
	uint64_t h[AHEAD]; /* key i's hash at i % AHEAD, from its stage 1 to 3 */
	size_t mask = m->cap - 1;

	for (size_t i = 0; i < n + AHEAD; i++) {
		if (i >= AHEAD) { /* stage 3: the look-up, its memory in cache */
			size_t j = i - AHEAD, k;
			vals[j] = UINT32_MAX;
			if (m->cap &&
			    m->slots[k = slot_of(m->slots, m->cap, keys[j], h[j % AHEAD])].hash)
				vals[j] = m->slots[k].val;
		}
		if (m->cap && i >= AHEAD / 2 && i - AHEAD / 2 < n) { /* stage 2: the key */
			const struct vf_strmap_slot *t =
			    &m->slots[h[(i - AHEAD / 2) % AHEAD] & mask];
			if (t->hash == h[(i - AHEAD / 2) % AHEAD])
				__builtin_prefetch(t->key);
		}
		if (i < n) { /* stage 1: the slot */
			h[i % AHEAD] = hash(keys[i], strlen(keys[i]));
			if (m->cap)
				__builtin_prefetch(&m->slots[h[i % AHEAD] & mask]);
		}
	}
}

void vf_strmap_free(struct vf_strmap *m)
{
	vf_free(m->slots);
	memset(m, 0, sizeof(*m));
}
