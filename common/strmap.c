/*
 * strmap.c - open addressing with linear probing.  Load factor stays below
 * 1/2, so probes are short and a full table cannot occur.  Each slot keeps
 * its key's hash: with ~100k long tensor names the table is bigger than the
 * cache, and comparing hashes first avoids touching the key's memory (a
 * cache miss per probe) for every slot that is not a match.
 */
#include "common/strmap.h"

#include <string.h>

#include "common/mem.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	/* FNV's low bits mix poorly (a multiply only carries upward) and the
	 * table index is the low bits: MurmurHash3's finalizer spreads them. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h | 1; /* 0 marks an empty slot */
}

static size_t slot_of(const uint64_t *hashes, const char **keys, size_t cap, const char *key,
		      uint64_t h)
{
	size_t i = h & (cap - 1);

	while (hashes[i] && (hashes[i] != h || strcmp(keys[i], key) != 0))
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(struct vf_strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	const char **nkeys = vf_calloc(ncap, sizeof(*nkeys));
	uint32_t *nvals = vf_calloc(ncap, sizeof(*nvals));
	uint64_t *nhash = vf_calloc(ncap, sizeof(*nhash));

	if (!nkeys || !nvals || !nhash || ncap < m->cap) {
		vf_free(nkeys);
		vf_free(nvals);
		vf_free(nhash);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->hashes[i]) {
			size_t j = m->hashes[i] & (ncap - 1);
			while (nhash[j])
				j = (j + 1) & (ncap - 1);
			nkeys[j] = m->keys[i];
			nvals[j] = m->vals[i];
			nhash[j] = m->hashes[i];
		}
	}
	vf_free(m->keys);
	vf_free(m->vals);
	vf_free(m->hashes);
	m->keys = nkeys;
	m->vals = nvals;
	m->hashes = nhash;
	m->cap = ncap;
	return 0;
}

int vf_strmap_put(struct vf_strmap *m, const char *key, uint32_t val, uint32_t *old)
{
	uint64_t h = hash(key);
	size_t i;

	if ((m->len + 1) * 2 > m->cap && grow(m) != 0)
		return -1;
	i = slot_of(m->hashes, m->keys, m->cap, key, h);
	if (m->hashes[i]) {
		if (old)
			*old = m->vals[i];
		return 0;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->hashes[i] = h;
	m->len++;
	return 1;
}

int vf_strmap_get(const struct vf_strmap *m, const char *key, uint32_t *val)
{
	size_t i;

	if (!m->cap)
		return 0;
	i = slot_of(m->hashes, m->keys, m->cap, key, hash(key));
	if (!m->hashes[i])
		return 0;
	if (val)
		*val = m->vals[i];
	return 1;
}

void vf_strmap_free(struct vf_strmap *m)
{
	vf_free(m->keys);
	vf_free(m->vals);
	vf_free(m->hashes);
	memset(m, 0, sizeof(*m));
}
