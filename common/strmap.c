/*
 * strmap.c - open addressing with linear probing, FNV-1a hashing.  Load factor
 * stays below 1/2, so probes are short and a full table cannot occur.
 */
#include "common/strmap.h"

#include <string.h>

#include "common/mem.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t slot_of(const char **keys, size_t cap, const char *key)
{
	size_t i = hash(key) & (cap - 1);

	while (keys[i] && strcmp(keys[i], key) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(struct vf_strmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 16;
	const char **nkeys = vf_calloc(ncap, sizeof(*nkeys));
	uint32_t *nvals = vf_calloc(ncap, sizeof(*nvals));

	if (!nkeys || !nvals || ncap < m->cap) {
		vf_free(nkeys);
		vf_free(nvals);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i]) {
			size_t j = slot_of(nkeys, ncap, m->keys[i]);
			nkeys[j] = m->keys[i];
			nvals[j] = m->vals[i];
		}
	}
	vf_free(m->keys);
	vf_free(m->vals);
	m->keys = nkeys;
	m->vals = nvals;
	m->cap = ncap;
	return 0;
}

int vf_strmap_put(struct vf_strmap *m, const char *key, uint32_t val, uint32_t *old)
{
	size_t i;

	if ((m->len + 1) * 2 > m->cap && grow(m) != 0)
		return -1;
	i = slot_of(m->keys, m->cap, key);
	if (m->keys[i]) {
		if (old)
			*old = m->vals[i];
		return 0;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->len++;
	return 1;
}

int vf_strmap_get(const struct vf_strmap *m, const char *key, uint32_t *val)
{
	size_t i;

	if (!m->cap)
		return 0;
	i = slot_of(m->keys, m->cap, key);
	if (!m->keys[i])
		return 0;
	if (val)
		*val = m->vals[i];
	return 1;
}

void vf_strmap_free(struct vf_strmap *m)
{
	vf_free(m->keys);
	vf_free(m->vals);
	memset(m, 0, sizeof(*m));
}
