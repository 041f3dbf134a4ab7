/*
 * layers.c - tensor names -> layers in execution order; see planner.h.
 *
 * A tensor with a numeric component belongs to a block: the layer is the name
 * up to that component ("model.layers.7"), its stack ("container") the name
 * before it ("model.layers"; also "transformer.h", "encoder.block", "blk").
 * A non-block tensor hangs off the stack it shares the longest name prefix
 * with, one component deeper than that shared prefix; so "model.norm.weight"
 * beside "model.layers" becomes "model.norm", and "lm_head.weight" becomes
 * "lm_head".  Embedding-like layers go before their stack, everything else
 * after it.  Checkpoint files sort names alphabetically, so without this
 * "model.layers.10" would come before "model.layers.2" and "lm_head" before
 * "model.embed_tokens".
 *
 * One pass over the tensors places the block tensors and finds the stacks;
 * the few others wait until every stack is known; then the layers are sorted.
 * Cost: a checkpoint can hold ~100k tensors (DeepSeek-V3: 92k), almost all
 * inside blocks and listed block by block.  A name that starts with the
 * previous block layer's name and a dot ("model.layers.7" + ".mlp...") has
 * the same first numeric component, so it belongs to that layer: it is placed
 * with one prefix compare, without splitting the name, copying it or looking
 * it up.
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
	const char *name; /* the stack's name, len bytes */
	size_t len;
	int rank;     /* first appearance, then execution position among containers */
	uint32_t idx; /* first appearance, kept */
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
	struct container *cs; /* in first appearance order until sorted */
	size_t ncs, ccap;
	struct vf_strmap cmap; /* container name -> first appearance (names owned by cnames) */
	char **cnames;
	struct vf_strmap lmap; /* layer name -> index */
	struct sortrec *recs;
	uint32_t *stack_of; /* per layer: its container's first appearance (blocks) */
	size_t lcap;	    /* of out->v, recs and stack_of */
	size_t *loose;	    /* tensors outside blocks, placed once the stacks are known */
	size_t nloose, loosecap;
};

/* The block layer a name was last found in: a name that starts with it and a
 * dot lies in the same layer (see the file comment). */
struct last_block {
	const char *name; /* a tensor name whose first len bytes name the layer */
	size_t len;	  /* 0: none yet */
	uint32_t layer;
};

static bool in_last_block(const struct last_block *lb, const char *s)
{
	/* strncmp first: it stops at the end of a shorter s */
	return lb->len && strncmp(s, lb->name, lb->len) == 0 && s[lb->len] == '.';
}

/* The container named s[0..len): its first appearance, added when new. */
static enum vf_status container_of(struct grouping *g, const char *s, size_t len, uint32_t *ci,
				   struct vf_err *err)
{
	struct container *c;
	char *cn;
	int r;

	/* consecutive blocks share their stack: skip the copy and the map */
	if (g->ncs && g->cs[g->ncs - 1].len == len && memcmp(g->cs[g->ncs - 1].name, s, len) == 0) {
		*ci = (uint32_t)g->ncs - 1;
		return VF_OK;
	}
	if (!(cn = vf_strndup(s, len)))
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	r = vf_strmap_put(&g->cmap, cn, (uint32_t)g->ncs, ci);
	if (r <= 0) {
		vf_free(cn);
		return r < 0 ? vf_fail(err, VF_ENOMEM, "", "out of memory") : VF_OK;
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
	*ci = (uint32_t)g->ncs;
	g->cnames[g->ncs] = cn;
	c = &g->cs[g->ncs++];
	c->name = cn;
	c->len = len;
	c->rank = (int)*ci;
	c->idx = *ci;
	split(cn, &c->parts);
	if (!*cn)
		c->parts.n = 0;
	return VF_OK;
}

/* The layer named name (which it takes), added when new with kind, block
 * and key; *li its index. */
static enum vf_status layer_named(struct grouping *g, struct vf_layers *out, char *name,
				  enum vf_layer_kind kind, long block, const struct key *key,
				  uint32_t *li, struct vf_err *err)
{
	int r;

	if (!name)
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	r = vf_strmap_put(&g->lmap, name, (uint32_t)out->n, li);
	if (r <= 0) {
		vf_free(name);
		return r < 0 ? vf_fail(err, VF_ENOMEM, "", "out of memory") : VF_OK;
	}
	if (out->n == g->lcap) {
		size_t nc = g->lcap ? g->lcap * 2 : 64;
		struct vf_layer *a = vf_realloc(out->v, nc * sizeof(*a));
		struct sortrec *b = vf_realloc(g->recs, nc * sizeof(*b));
		uint32_t *c = vf_realloc(g->stack_of, nc * sizeof(*c));
		if (a)
			out->v = a;
		if (b)
			g->recs = b;
		if (c)
			g->stack_of = c;
		if (!a || !b || !c) {
			vf_strmap_free(&g->lmap);
			vf_free(name);
			return vf_fail(err, VF_ENOMEM, "", "out of memory");
		}
		g->lcap = nc;
	}
	*li = (uint32_t)out->n++;
	memset(&out->v[*li], 0, sizeof(out->v[*li]));
	out->v[*li].name = name;
	out->v[*li].kind = kind;
	out->v[*li].block = block;
	g->recs[*li].k = *key;
	g->recs[*li].idx = *li;
	return VF_OK;
}

static void count(struct vf_layers *out, uint32_t li, size_t i, const struct vf_tensor *t)
{
	out->of_tensor[i] = li;
	out->v[li].ntensors++;
	out->v[li].params += t->count_params;
	out->v[li].bytes += t->count_bytes;
}

/* Places the tensors inside blocks, finds the stacks, and lists the others
 * in g->loose. */
static enum vf_status place_blocks(const struct vf_model *m, struct grouping *g,
				   struct vf_layers *out, struct vf_err *err)
{
	struct last_block lb = {0};
	struct name_parts p;
	enum vf_status st;

	for (size_t i = 0; i < m->ntensors; i++) {
		const char *s = m->tensors[i].name;
		struct key key;
		uint32_t li, ci;
		long k;

		if (in_last_block(&lb, s)) {
			count(out, lb.layer, i, &m->tensors[i]);
			continue;
		}
		split(s, &p);
		k = first_numeric(s, &p);
		if (k < 0) {
			if (g->nloose == g->loosecap) {
				size_t nc = g->loosecap ? g->loosecap * 2 : 16;
				size_t *a = vf_realloc(g->loose, nc * sizeof(*a));
				if (!a)
					return vf_fail(err, VF_ENOMEM, "", "out of memory");
				g->loose = a;
				g->loosecap = nc;
			}
			g->loose[g->nloose++] = i;
			continue;
		}
		if ((st = container_of(g, s, prefix_len(&p, (size_t)k), &ci, err)))
			return st;
		/* ranked by its stack once the stacks are sorted (place_loose) */
		key = (struct key){0, 1, block_number(s, &p, (size_t)k), i};
		if ((st = layer_named(g, out, vf_strndup(s, prefix_len(&p, (size_t)k + 1)),
				      VF_LAYER_BLOCK, key.sub, &key, &li, err)))
			return st;
		g->stack_of[li] = ci;
		/* Past MAX_COMPS - 2 components split() merges the tail, and a longer
		 * name could split differently there: not remembered. */
		lb.len = (size_t)k + 2 < MAX_COMPS ? prefix_len(&p, (size_t)k + 1) : 0;
		lb.name = s;
		lb.layer = li;
		count(out, li, i, &m->tensors[i]);
	}
	return VF_OK;
}

/* The layer name (length *nlen), kind and sort key of s, which has no
 * numeric component, once the stacks are sorted. */
static void loose_layer(const char *s, const struct grouping *g, size_t *nlen, struct key *key,
			enum vf_layer_kind *kind)
{
	struct name_parts p;
	size_t best = 0, bestc = 0, take;
	const char *last;
	size_t lastlen;

	split(s, &p);
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

/* Sorts the stacks, ranks the block layers by them, and places the others. */
static enum vf_status place_loose(const struct vf_model *m, struct grouping *g,
				  struct vf_layers *out, struct vf_err *err)
{
	size_t nblock = out->n;
	uint32_t *rank = NULL;
	enum vf_status st;

	if (g->ncs) {
		qsort(g->cs, g->ncs, sizeof(*g->cs), cmp_container);
		if (!(rank = vf_malloc(g->ncs * sizeof(*rank))))
			return vf_fail(err, VF_ENOMEM, "", "out of memory");
		for (size_t i = 0; i < g->ncs; i++) {
			g->cs[i].rank = (int)i;
			rank[g->cs[i].idx] = (uint32_t)i;
		}
	}
	for (size_t i = 0; i < nblock; i++)
		g->recs[i].k.crank = (long)rank[g->stack_of[i]];
	vf_free(rank);
	for (size_t j = 0; j < g->nloose; j++) {
		size_t i = g->loose[j], nlen;
		const char *s = m->tensors[i].name;
		struct key key = {0, 0, 0, i};
		enum vf_layer_kind kind;
		uint32_t li;

		loose_layer(s, g, &nlen, &key, &kind);
		if ((st = layer_named(g, out, vf_strndup(s, nlen), kind, -1, &key, &li, err)))
			return st;
		count(out, li, i, &m->tensors[i]);
	}
	return VF_OK;
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
	enum vf_status st = VF_OK;

	memset(out, 0, sizeof(*out));
	if (!(out->of_tensor = vf_calloc(m->ntensors, sizeof(*out->of_tensor))))
		st = vf_fail(err, VF_ENOMEM, "", "out of memory");
	if (!st)
		st = place_blocks(m, &g, out, err);
	if (!st)
		st = place_loose(m, &g, out, err);
	if (!st && keep_order) /* first appearance alone */
		for (size_t i = 0; i < out->n; i++)
			g.recs[i].k.crank = g.recs[i].k.seg = g.recs[i].k.sub = 0;
	if (!st)
		st = reorder(&g, out, err, m->ntensors);
	for (size_t i = 0; i < g.ncs; i++)
		vf_free(g.cnames[i]);
	vf_free(g.cnames);
	vf_free(g.cs);
	vf_strmap_free(&g.cmap);
	vf_strmap_free(&g.lmap);
	vf_free(g.recs);
	vf_free(g.stack_of);
	vf_free(g.loose);
	if (st)
		vf_layers_release(out);
	return st;
}
