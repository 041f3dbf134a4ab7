/*
 * layers.c - tensor names -> layers in execution order; see planner.h.
 *
 * Two passes.  The first finds the block stacks ("containers": the prefix
 * before a numeric component, e.g. "model.layers", "transformer.h",
 * "encoder.block", "blk").  The second assigns every tensor a layer and a sort
 * key.  A non-block tensor hangs off the stack it shares the longest name
 * prefix with, one component deeper than that shared prefix; so
 * "model.norm.weight" beside "model.layers" becomes "model.norm", and
 * "lm_head.weight" becomes "lm_head".  Embedding-like layers go before their
 * stack, everything else after it.  Checkpoint files sort names
 * alphabetically, so without this "model.layers.10" would come before
 * "model.layers.2" and "lm_head" before "model.embed_tokens".
 */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/strmap.h"
#include "planner/planner.h"

#define MAX_COMPS 64

struct name_parts {
	size_t n;
	size_t start[MAX_COMPS], len[MAX_COMPS];
};

static void split(const char *s, struct name_parts *p)
{
	size_t i = 0, b = 0;

	p->n = 0;
	for (;; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			/* past MAX_COMPS the tail stays one component */
			if (p->n < MAX_COMPS - 1 || s[i] == '\0') {
				p->start[p->n] = b;
				p->len[p->n] = i - b;
				p->n++;
				b = i + 1;
			}
			if (s[i] == '\0')
				break;
		}
	}
	if (p->n == MAX_COMPS) /* the last component runs to the end */
		p->len[MAX_COMPS - 1] = strlen(s) - p->start[MAX_COMPS - 1];
}

/* The block number of component k, or -1 when it is not a short decimal. */
static long block_number(const char *s, const struct name_parts *p, size_t k)
{
	long v = 0;

	if (p->len[k] == 0 || p->len[k] > 9)
		return -1;
	for (size_t i = 0; i < p->len[k]; i++) {
		char c = s[p->start[k] + i];
		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	return v;
}

/* Index of the first numeric component after the first, or -1. */
static long first_numeric(const char *s, const struct name_parts *p)
{
	for (size_t k = 0; k < p->n; k++)
		if (block_number(s, p, k) >= 0)
			return (long)k;
	return -1;
}

/* Length of the first k components of s, as a prefix string. */
static size_t prefix_len(const struct name_parts *p, size_t k)
{
	return k == 0 ? 0 : p->start[k - 1] + p->len[k - 1];
}

static bool contains_any(const char *s, size_t n, const char *const *words)
{
	for (; *words; words++) {
		size_t w = strlen(*words);
		for (size_t i = 0; i + w <= n; i++)
			if (strncmp(s + i, *words, w) == 0)
				return true;
	}
	return false;
}

static const char *const embed_words[] = {"embed", "embd", "wte", "wpe", "shared", "tok_emb", NULL};
static const char *const norm_words[] = {"norm", "ln_f", "ln_out", NULL};
static const char *const head_words[] = {"head",       "output", "lm",	  "cls",
					 "classifier", "pooler", "score", NULL};
/* Stacks that run first in a multimodal or encoder-decoder model. */
static const char *const early_words[] = {"vision", "visual", "image", "audio", "encoder", NULL};

struct container {
	const char *name; /* borrowed from a tensor name: first len bytes */
	size_t len;
	int rank; /* execution position among containers */
	struct name_parts parts;
};

struct key {
	long crank, seg, sub;
	size_t first; /* first appearance, the last tie-break */
};

struct sortrec {
	struct key k;
	size_t idx; /* layer index before sorting */
};

static int cmp_rec(const void *a, const void *b)
{
	const struct key *x = &((const struct sortrec *)a)->k, *y = &((const struct sortrec *)b)->k;

	if (x->crank != y->crank)
		return x->crank < y->crank ? -1 : 1;
	if (x->seg != y->seg)
		return x->seg < y->seg ? -1 : 1;
	if (x->sub != y->sub)
		return x->sub < y->sub ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int cmp_container(const void *a, const void *b)
{
	const struct container *x = a, *y = b;
	bool ex = contains_any(x->name, x->len, early_words);
	bool ey = contains_any(y->name, y->len, early_words);

	if (ex != ey)
		return ex ? -1 : 1;
	return x->rank - y->rank; /* rank holds first appearance here */
}

/* Number of leading components that a tensor name shares with a container. */
static size_t common_parts(const char *s, const struct name_parts *p, const struct container *c)
{
	size_t k = 0;

	while (k < p->n && k < c->parts.n && p->len[k] == c->parts.len[k] &&
	       memcmp(s + p->start[k], c->name + c->parts.start[k], p->len[k]) == 0)
		k++;
	return k;
}

struct grouping {
	struct container *cs;
	size_t ncs, ccap;
	struct vf_strmap cmap; /* container name -> index (names owned by cnames) */
	char **cnames;
	struct vf_strmap lmap; /* layer name -> index */
	struct sortrec *recs;
	size_t cap;
};

static enum vf_status find_containers(const struct vf_model *m, struct grouping *g,
				      struct vf_err *err)
{
	struct name_parts p;

	for (size_t i = 0; i < m->ntensors; i++) {
		const char *s = m->tensors[i].name;
		long k;
		char *cn;
		int r;
		split(s, &p);
		k = first_numeric(s, &p);
		if (k < 0)
			continue;
		/* consecutive tensors share their stack: skip the copy and the map */
		if (g->ncs && g->cnames[g->ncs - 1] &&
		    strlen(g->cnames[g->ncs - 1]) == prefix_len(&p, (size_t)k) &&
		    strncmp(g->cnames[g->ncs - 1], s, prefix_len(&p, (size_t)k)) == 0)
			continue;
		if (!(cn = vf_strndup(s, prefix_len(&p, (size_t)k))))
			return vf_fail(err, VF_ENOMEM, "", "out of memory");
		r = vf_strmap_put(&g->cmap, cn, (uint32_t)g->ncs, NULL);
		if (r <= 0) {
			vf_free(cn);
			if (r < 0)
				return vf_fail(err, VF_ENOMEM, "", "out of memory");
			continue;
		}
		if (g->ncs == g->ccap) {
			size_t nc = g->ccap ? g->ccap * 2 : 8;
			struct container *a = vf_realloc(g->cs, nc * sizeof(*a));
			char **b = vf_realloc(g->cnames, nc * sizeof(*b));
			if (a)
				g->cs = a;
			if (b)
				g->cnames = b;
			if (!a || !b) {
				vf_strmap_free(&g->cmap); /* cn is in it but not yet owned */
				vf_free(cn);
				return vf_fail(err, VF_ENOMEM, "", "out of memory");
			}
			g->ccap = nc;
		}
		g->cnames[g->ncs] = cn;
		g->cs[g->ncs].name = cn;
		g->cs[g->ncs].len = strlen(cn);
		g->cs[g->ncs].rank = (int)g->ncs;
		split(cn, &g->cs[g->ncs].parts);
		if (!*cn)
			g->cs[g->ncs].parts.n = 0;
		g->ncs++;
	}
	if (g->ncs)
		qsort(g->cs, g->ncs, sizeof(*g->cs), cmp_container);
	for (size_t i = 0; i < g->ncs; i++)
		g->cs[i].rank = (int)i;
	return VF_OK;
}

/* Works out the layer name (into *name, length *nlen) and sort key of tensor s. */
static void classify(const char *s, const struct grouping *g, size_t *nlen, struct key *key,
		     enum vf_layer_kind *kind, long *block)
{
	struct name_parts p;
	long k;
	size_t best = 0, bestc = 0, take;
	const char *last;
	size_t lastlen;

	split(s, &p);
	k = first_numeric(s, &p);
	if (k >= 0) {
		size_t c = 0;
		for (; c < g->ncs; c++)
			if (g->cs[c].len == prefix_len(&p, (size_t)k) &&
			    memcmp(g->cs[c].name, s, g->cs[c].len) == 0)
				break;
		*nlen = prefix_len(&p, (size_t)k + 1);
		*block = block_number(s, &p, (size_t)k);
		*kind = VF_LAYER_BLOCK;
		key->crank = (long)c;
		key->seg = 1;
		key->sub = *block;
		return;
	}
	*block = -1;
	for (size_t c = 0; c < g->ncs; c++) {
		size_t n = common_parts(s, &p, &g->cs[c]);
		if (n > best) {
			best = n;
			bestc = c;
		}
	}
	take = best + 1 < p.n ? best + 1 : p.n; /* never less than the whole name */
	*nlen = prefix_len(&p, take);
	last = s + p.start[take - 1];
	lastlen = p.len[take - 1];
	if (contains_any(last, lastlen, embed_words)) {
		*kind = VF_LAYER_EMBEDDING;
		key->crank = best ? (long)bestc : 0;
		key->seg = 0;
		key->sub = (long)best; /* outer embeddings first */
	} else {
		*kind = contains_any(last, lastlen, norm_words)	  ? VF_LAYER_NORM
			: contains_any(last, lastlen, head_words) ? VF_LAYER_HEAD
								  : VF_LAYER_OTHER;
		key->crank = best || !g->ncs ? (long)bestc : (long)g->ncs - 1;
		key->seg = 2;
		/* Inner modules (the final norm) run before outer ones (the head); at one
		 * depth a norm runs before a head ("output_norm" before "output"). */
		key->sub = -(long)best * 8 + (*kind == VF_LAYER_NORM   ? 0
					      : *kind == VF_LAYER_HEAD ? 2
								       : 1);
	}
}

const char *vf_layer_kind_name(enum vf_layer_kind k)
{
	static const char *const names[] = {"embedding", "block", "norm", "head", "other"};

	return (unsigned)k < 5 ? names[k] : "other";
}

void vf_layers_release(struct vf_layers *l)
{
	for (size_t i = 0; l->v && i < l->n; i++)
		vf_free(l->v[i].name);
	vf_free(l->v);
	vf_free(l->of_tensor);
	vf_free(l->tied_to);
	memset(l, 0, sizeof(*l));
}

static enum vf_status assign(const struct vf_model *m, struct grouping *g, bool keep_order,
			     struct vf_layers *out, struct vf_err *err)
{
	size_t cap = 0;

	out->of_tensor = vf_calloc(m->ntensors, sizeof(*out->of_tensor));
	if (!out->of_tensor)
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	for (size_t i = 0; i < m->ntensors; i++) {
		const struct vf_tensor *t = &m->tensors[i];
		size_t nlen;
		struct key key;
		enum vf_layer_kind kind;
		long block;
		uint32_t li;
		char *name;
		int r;

		classify(t->name, g, &nlen, &key, &kind, &block);
		if (!(name = vf_strndup(t->name, nlen)))
			return vf_fail(err, VF_ENOMEM, "", "out of memory");
		r = vf_strmap_put(&g->lmap, name, (uint32_t)out->n, &li);
		if (r < 0) {
			vf_free(name);
			return vf_fail(err, VF_ENOMEM, "", "out of memory");
		}
		if (r == 1) {
			if (out->n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct vf_layer *a = vf_realloc(out->v, nc * sizeof(*a));
				struct sortrec *b = vf_realloc(g->recs, nc * sizeof(*b));
				if (a)
					out->v = a;
				if (b)
					g->recs = b;
				if (!a || !b) {
					vf_strmap_free(&g->lmap);
					vf_free(name);
					return vf_fail(err, VF_ENOMEM, "", "out of memory");
				}
				cap = nc;
			}
			li = (uint32_t)out->n++;
			memset(&out->v[li], 0, sizeof(out->v[li]));
			out->v[li].name = name;
			out->v[li].kind = kind;
			out->v[li].block = block;
			key.first = li;
			if (keep_order)
				key.crank = key.seg = key.sub = 0;
			g->recs[li].k = key;
			g->recs[li].idx = li;
		} else {
			vf_free(name);
		}
		out->of_tensor[i] = li;
		out->v[li].ntensors++;
		out->v[li].params += t->count_params;
		out->v[li].bytes += t->count_bytes;
	}
	return VF_OK;
}

/* Puts layers in sorted order and renumbers of_tensor to match. */
static enum vf_status reorder(struct grouping *g, struct vf_layers *out, struct vf_err *err,
			      size_t ntensors)
{
	struct vf_layer *v;
	uint32_t *newpos;

	if (!out->n)
		return VF_OK;
	qsort(g->recs, out->n, sizeof(*g->recs), cmp_rec);
	v = vf_malloc(out->n * sizeof(*v));
	newpos = vf_malloc(out->n * sizeof(*newpos));
	if (!v || !newpos) {
		vf_free(v);
		vf_free(newpos);
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	}
	for (size_t i = 0; i < out->n; i++) {
		v[i] = out->v[g->recs[i].idx];
		newpos[g->recs[i].idx] = (uint32_t)i;
	}
	for (size_t i = 0; i < ntensors; i++)
		out->of_tensor[i] = newpos[out->of_tensor[i]];
	vf_free(out->v);
	vf_free(newpos);
	out->v = v;
	out->largest = 0;
	for (size_t i = 1; i < out->n; i++)
		if (v[i].bytes > v[out->largest].bytes)
			out->largest = i;
	return VF_OK;
}

enum vf_status vf_layers_group(const struct vf_model *m, bool keep_order, struct vf_layers *out,
			       struct vf_err *err)
{
	struct grouping g = {0};
	enum vf_status st;

	memset(out, 0, sizeof(*out));
	st = find_containers(m, &g, err);
	if (!st)
		st = assign(m, &g, keep_order, out, err);
	if (!st)
		st = reorder(&g, out, err, m->ntensors);
	for (size_t i = 0; i < g.ncs; i++)
		vf_free(g.cnames[i]);
	vf_free(g.cnames);
	vf_free(g.cs);
	vf_strmap_free(&g.cmap);
	vf_strmap_free(&g.lmap);
	vf_free(g.recs);
	if (st)
		vf_layers_release(out);
	return st;
}
