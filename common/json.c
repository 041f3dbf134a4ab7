/*
 * json.c - see json.h.  The memory cap works through cJSON's global hooks: each
 * block carries its size in a small prefix so that frees give the budget back.
 * Only one thread parses with cJSON at a time (the threaded shard readers use
 * common/jscan.c, and nothing parses with cJSON while they run), so one
 * global budget is enough.
 */
#include "common/json.h"

#include <math.h>
#include <string.h>

#include "common/arena.h"
#include "common/mem.h"
#include "common/strmap.h"

#define PREFIX 16 /* keeps the user pointer 16-byte aligned */
/*
 * The budget counts what a block really takes: n, the prefix, and malloc's own
 * header and rounding (16 bytes on glibc).  Counting n alone let a hostile
 * 100 MB header reach 2.4 GB resident under a 1.5 GiB cap (a 64-byte cJSON
 * node takes 96 bytes of heap).
 */
#define COST(n) ((n) + PREFIX + 16)

static size_t budget_used, budget_cap;
static bool budget_on, budget_hit; /* the cap applies only while parsing */
static bool alloc_failed;	   /* a real out-of-memory, not the cap */

/*
 * Parsed trees live in an arena of their own: 100k tensors make ~1.3 M cJSON
 * nodes, and allocating and freeing them one by one cost a quarter of
 * reading DeepSeek-V3's headers.  A block from an arena carries ARENA_TAG in
 * its size prefix, so the free hook (called by cJSON on its own error paths)
 * leaves it alone; vf_json_free() drops the whole arena.  Trees that cli/
 * builds for output are not parsed and still use the heap.
 */
#define ARENA_TAG (UINT64_C(1) << 63)

struct tree {
	const cJSON *root;
	struct vf_arena arena;
	struct tree *next;
};

static struct vf_arena *cur_arena; /* set while a parse runs */
static struct tree *trees;	   /* parsed trees still alive */

static void *hook_malloc(size_t n)
{
	unsigned char *p;
	uint64_t tagged;

	if (budget_on &&
	    (n > budget_cap || COST(n) > budget_cap || budget_used > budget_cap - COST(n))) {
		budget_hit = true;
		return NULL;
	}
	p = cur_arena ? vf_arena_alloc(cur_arena, n + PREFIX) : vf_malloc(n + PREFIX);
	if (!p) {
		alloc_failed = true;
		return NULL;
	}
	tagged = (uint64_t)n | (cur_arena ? ARENA_TAG : 0);
	memcpy(p, &tagged, sizeof(tagged));
	budget_used += COST(n);
	return p + PREFIX;
}

static void hook_free(void *q)
{
	unsigned char *p = q;
	uint64_t tagged;
	size_t n;

	if (!p)
		return;
	p -= PREFIX;
	memcpy(&tagged, p, sizeof(tagged));
	if (tagged & ARENA_TAG)
		return; /* freed with its arena */
	n = (size_t)tagged;
	/* trees from an earlier parse may be freed after the budget was reset */
	budget_used = budget_used >= COST(n) ? budget_used - COST(n) : 0;
	vf_free(p);
}

static void hooks_install(void)
{
	static bool done;
	cJSON_Hooks h = {hook_malloc, hook_free};

	if (!done) {
		cJSON_InitHooks(&h);
		done = true;
	}
}

bool vf_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		uint32_t cp, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += len;
	}
	return true;
}

/*
 * A light lexical pass that closes gaps between cJSON and the JSON grammar:
 * cJSON accepts raw control characters inside strings and skips any byte
 * below 0x20 as whitespace, and decodes "\u0000" into a NUL that silently
 * truncates the C string.  Returns NULL when the text is clean, else why not.
 */
static const char *lex_problem(const char *t, size_t n, size_t *at)
{
	bool in_str = false;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		*at = i;
		if (in_str) {
			if (c < 0x20)
				return "a control character inside a string";
			if (c == '"') {
				in_str = false;
			} else if (c == '\\' && i + 1 < n) {
				if (t[i + 1] == 'u' && n - i >= 6 &&
				    memcmp(t + i + 2, "0000", 4) == 0)
					return "the escape \\u0000";
				i++;
			}
		} else if (c == '"') {
			in_str = true;
		} else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			return "a control character";
		}
	}
	return NULL;
}

static const char *find_duplicate_key(const cJSON *j, struct vf_err *oom)
{
	const cJSON *c;

	if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
		return NULL;
	if (cJSON_IsObject(j) && cJSON_GetArraySize(j) <= 8) {
		/* small objects (a tensor's dtype/shape/data_offsets): pairwise
		 * comparison beats building a hash map for each of 100k objects */
		for (c = j->child; c; c = c->next)
			for (const cJSON *d = c->next; d; d = d->next)
				if (strcmp(c->string, d->string) == 0)
					return c->string;
	} else if (cJSON_IsObject(j)) {
		struct vf_strmap seen = {0};
		const char *dup = NULL;
		for (c = j->child; c && !dup; c = c->next) {
			int r = vf_strmap_put(&seen, c->string, 0, NULL);
			if (r < 0) {
				vf_fail(oom, VF_ENOMEM, "", "out of memory");
				break;
			}
			if (r == 0)
				dup = c->string;
		}
		vf_strmap_free(&seen);
		if (dup || oom->status)
			return dup;
	}
	for (c = j->child; c; c = c->next) {
		const char *d = find_duplicate_key(c, oom);
		if (d || oom->status)
			return d;
	}
	return NULL;
}

cJSON *vf_json_parse(const char *text, size_t len, size_t mem_cap, const char *path,
		     const char *what, struct vf_err *err)
{
	const char *end = NULL;
	cJSON *j;
	struct vf_err oom = {0};
	const char *dup, *why;
	struct tree *t;
	size_t at;

	if (!vf_utf8_valid((const unsigned char *)text, len)) {
		vf_fail(err, VF_EFORMAT, path, "%s is not valid UTF-8", what);
		return NULL;
	}
	if ((why = lex_problem(text, len, &at)) != NULL) {
		vf_fail(err, VF_EFORMAT, path, "%s contains %s (at byte %zu)", what, why, at);
		return NULL;
	}
	hooks_install();
	if (!(t = vf_calloc(1, sizeof(*t)))) {
		vf_fail(err, VF_ENOMEM, path, "out of memory");
		return NULL;
	}
	budget_used = 0;
	budget_cap = mem_cap;
	budget_hit = false;
	alloc_failed = false;
	budget_on = true;
	cur_arena = &t->arena;
	j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	cur_arena = NULL;
	budget_on = false;
	if (!j) {
		if (alloc_failed)
			vf_fail(err, VF_ENOMEM, path, "out of memory");
		else if (budget_hit)
			vf_fail(err, VF_ENOMEM, path, "%s needs more than %zu MiB to parse", what,
				mem_cap >> 20);
		else if (end && end >= text && end <= text + len)
			vf_fail(err, VF_EFORMAT, path, "%s is not valid JSON (at byte %zu)", what,
				(size_t)(end - text));
		else
			vf_fail(err, VF_EFORMAT, path, "%s is not valid JSON", what);
		goto fail;
	}
	for (; end < text + len; end++) {
		if (*end != ' ' && *end != '\t' && *end != '\n' && *end != '\r') {
			vf_fail(err, VF_EFORMAT, path,
				"%s has data after the JSON value (at byte %zu)", what,
				(size_t)(end - text));
			goto fail;
		}
	}
	dup = find_duplicate_key(j, &oom);
	if (oom.status || dup) {
		if (dup)
			vf_fail(err, VF_EFORMAT, path, "%s repeats the key \"%s\"", what, dup);
		else
			vf_fail(err, VF_ENOMEM, path, "out of memory");
		goto fail;
	}
	t->root = j;
	t->next = trees;
	trees = t;
	return j;
fail:
	vf_arena_free(&t->arena);
	vf_free(t);
	return NULL;
}

void vf_json_free(cJSON *j)
{
	for (struct tree **pp = &trees; *pp; pp = &(*pp)->next) {
		struct tree *t = *pp;
		if (t->root == j) {
			*pp = t->next;
			vf_arena_free(&t->arena);
			vf_free(t);
			return;
		}
	}
	cJSON_Delete(j); /* not a parsed tree (or NULL) */
}

void vf_json_init(void)
{
	hooks_install();
}

bool vf_json_uint(const cJSON *item, uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(item))
		return false;
	d = item->valuedouble;
	if (!isfinite(d) || d < 0 || d >= (double)VF_JSON_MAX_EXACT || floor(d) != d)
		return false;
	*out = (uint64_t)d;
	return true;
}
