/*
 * fmt_safetensors.c - safetensors headers: single files, sharded indexes and
 * directories of shards.
 *
 * Layout: u64 little-endian N, then N bytes of JSON, then the data buffer.  We
 * read 8 + N bytes and nothing of the data.  The checks are those of the
 * reference reader (huggingface/safetensors Metadata::validate) and a few more:
 *   - 8 <= file size, N <= 100,000,000, 8 + N <= file size, JSON starts with '{';
 *   - strict JSON (common/jscan.h: read without building a tree): UTF-8, no
 *     duplicate keys, no trailing data;
 *   - __metadata__ is null or an object of strings;
 *   - each tensor has exactly dtype, shape, data_offsets; a known dtype;
 *     non-negative integer dims; an element count that does not overflow;
 *     numel * bits divisible by 8 and equal to (end - begin) * 8;
 *   - sorted by offsets, tensors tile the buffer exactly from 0 (no overlap,
 *     no gap), and the last end is exactly the end of the file.
 * Stricter than the reference: dims and offsets of 2^53 and above and more than
 * VF_MAX_DIMS dimensions are refused (no real tensor has them, and it keeps
 * every size exact in a double for --json readers).
 *
 * A header is read in two steps: st_parse() reads and checks it without
 * touching the model, st_commit() adds it.  index.c runs the first step for
 * many shards at once on worker threads (DeepSeek-V3 has 163) and the second
 * in shard order, so results and messages are those of a serial read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/arena.h"
#include "common/file.h"
#include "common/jscan.h"
#include "common/mem.h"
#include "common/strmap.h"
#include "formats/model_build.h"

#define VF_MAX_DIMS 64
/* a key read by the scanner is this literal (length first: 92k tensors) */
#define KEY_IS(s, key, lit) ((s)->klen == sizeof(lit) - 1 && memcmp(key, lit, sizeof(lit) - 1) == 0)

/* One tensor as the header describes it; shape is dims[dims_at..+ndim). */
struct st_tensor {
	const char *name; /* inside the header text (decoded in place) */
	uint64_t hash;	  /* vf_strmap_hash(name), computed on the parsing thread */
	enum vf_dtype dtype;
	uint32_t ndim;
	size_t dims_at;
	uint64_t numel, begin, end;
};

/*
 * What one header holds, read and checked without touching the model, so
 * that shards can be parsed on several threads (shards.c) and added to the
 * model in order afterwards.  Names and metadata point into text; text and
 * t live in the caller's scratch arena.
 */
struct st_header {
	char *text;
	struct st_tensor *t;
	size_t n, cap;
	uint64_t *dims;
	size_t ndims, dims_cap;
	const char **meta; /* key, value, key, value... */
	size_t nmeta, meta_cap;
	uint64_t data_start, data_len;
	const char *dt_name; /* the last dtype read, and what it is */
	enum vf_dtype dt;
};

static void header_free(struct st_header *h)
{
	if (!h)
		return;
	vf_free(h->dims);
	vf_free(h->meta);
	vf_free(h);
}

static bool oom(struct vf_err *err, const char *path)
{
	vf_fail(err, VF_ENOMEM, path, "out of memory");
	return false;
}

static bool read_metadata(struct vf_jscan *s, struct st_header *h, const char *path,
			  struct vf_err *err)
{
	struct vf_strmap seen = {0};
	size_t i = 0, len;
	char *key, *val;
	int r;
	bool ok = true;

	if (vf_jscan_null(s))
		return true;
	if (vf_jscan_peek(s) != '{')
		return vf_jscan_wrong(s, "__metadata__ is not an object");
	vf_jscan_open(s, '{');
	while (ok && (r = vf_jscan_key_once(s, &i, &key, &seen)) > 0) {
		if (!vf_grow(&h->meta, &h->meta_cap, h->nmeta + 1, sizeof(*h->meta), 64))
			ok = oom(err, path);
		else if (vf_jscan_peek(s) != '"')
			ok = vf_jscan_wrong(s, "__metadata__ value of \"%s\" is not a string", key);
		else if ((ok = vf_jscan_string(s, &val, &len))) {
			h->meta[h->nmeta++] = key;
			h->meta[h->nmeta++] = val;
		}
	}
	vf_strmap_free(&seen);
	return ok && r == 0;
}

static bool read_shape(struct vf_jscan *s, struct st_header *h, struct st_tensor *t,
		       const char *path, struct vf_err *err)
{
	size_t i = 0;
	int r;

	if (vf_jscan_peek(s) != '[')
		return vf_jscan_wrong(s, "tensor \"%s\": shape is not an array", t->name);
	vf_jscan_open(s, '[');
	t->dims_at = h->ndims;
	t->numel = 1;
	while ((r = vf_jscan_item(s, &i)) > 0) {
		uint64_t d;
		if (t->ndim == VF_MAX_DIMS)
			return !vf_fail(err, VF_EFORMAT, path,
					"tensor \"%s\" has more than %d dimensions", t->name,
					VF_MAX_DIMS);
		if ((r = vf_jscan_uint(s, &d)) <= 0)
			return r == 0 && !vf_fail(err, VF_EFORMAT, path,
						  "tensor \"%s\": dimension %u is not an "
						  "integer in [0, 2^53)",
						  t->name, t->ndim);
		if (!vf_mul_ok(t->numel, d, &t->numel))
			return !vf_fail(err, VF_EFORMAT, path,
					"tensor \"%s\": element count overflows 64 bits", t->name);
		if (!vf_grow(&h->dims, &h->dims_cap, h->ndims, sizeof(*h->dims), 64))
			return oom(err, path);
		h->dims[h->ndims++] = d;
		t->ndim++;
	}
	return r == 0;
}

static bool read_offsets(struct vf_jscan *s, struct st_tensor *t, const char *path,
			 struct vf_err *err)
{
	uint64_t v[2];
	size_t i = 0, n = 0;
	int r;

	if (vf_jscan_peek(s) != '[')
		return vf_jscan_wrong(
		    s, "tensor \"%s\": data_offsets is not two integers in [0, 2^53)", t->name);
	vf_jscan_open(s, '[');
	while ((r = vf_jscan_item(s, &i)) > 0) {
		if ((r = vf_jscan_uint(s, &v[n < 2 ? n : 1])) < 0)
			return false;
		n += r == 1 ? 1 : 3; /* anything but an integer: too many */
	}
	if (r < 0)
		return false;
	if (n != 2)
		return !vf_fail(err, VF_EFORMAT, path,
				"tensor \"%s\": data_offsets is not two integers in [0, 2^53)",
				t->name);
	if (v[1] < v[0])
		return !vf_fail(err, VF_EFORMAT, path,
				"tensor \"%s\": data_offsets end before begin", t->name);
	t->begin = v[0];
	t->end = v[1];
	return true;
}

/* One tensor entry: exactly dtype, shape and data_offsets, each once. */
static bool read_tensor(struct vf_jscan *s, struct st_header *h, struct st_tensor *t,
			const char *path, struct vf_err *err)
{
	enum { DTYPE = 1, SHAPE = 2, OFFSETS = 4 };
	unsigned have = 0, bit;
	uint64_t bits;
	size_t i = 0, len;
	char *key, *dt;
	int r;

	if (vf_jscan_peek(s) != '{')
		return vf_jscan_wrong(s, "tensor \"%s\" is not a JSON object", t->name);
	vf_jscan_open(s, '{');
	while ((r = vf_jscan_key(s, &i, &key)) > 0) {
		bool ok;
		bit = KEY_IS(s, key, "dtype")	       ? DTYPE
		      : KEY_IS(s, key, "shape")	       ? SHAPE
		      : KEY_IS(s, key, "data_offsets") ? OFFSETS
						       : 0;
		if (!bit)
			return !vf_fail(err, VF_EFORMAT, path,
					"tensor \"%s\" has unexpected field \"%s\"", t->name, key);
		if (have & bit)
			return !vf_fail(err, VF_EFORMAT, path, "header repeats the key \"%s\"",
					key);
		have |= bit;
		if (bit == DTYPE) {
			if (vf_jscan_peek(s) != '"')
				return vf_jscan_wrong(s, "tensor \"%s\": dtype is not a string",
						      t->name);
			if (!vf_jscan_string(s, &dt, &len))
				return false;
			/* most tensors of a shard share the previous one's dtype */
			if (!h->dt_name || strcmp(dt, h->dt_name) != 0) {
				h->dt_name = dt;
				h->dt = vf_dtype_from_name(dt);
			}
			t->dtype = h->dt;
			ok = vf_dtype_is_safetensors(t->dtype) ||
			     !vf_fail(err, VF_EFORMAT, path, "tensor \"%s\": unknown dtype \"%s\"",
				      t->name, dt);
		} else if (bit == SHAPE) {
			ok = read_shape(s, h, t, path, err);
		} else {
			ok = read_offsets(s, t, path, err);
		}
		if (!ok)
			return false;
	}
	if (r < 0)
		return false;
	if (have != (DTYPE | SHAPE | OFFSETS))
		return !vf_fail(err, VF_EFORMAT, path, "tensor \"%s\" lacks \"%s\"", t->name,
				!(have & DTYPE)	  ? "dtype"
				: !(have & SHAPE) ? "shape"
						  : "data_offsets");
	if (!vf_mul_ok(t->numel, vf_dtype_bits(t->dtype), &bits))
		return !vf_fail(err, VF_EFORMAT, path,
				"tensor \"%s\": size in bits overflows 64 bits", t->name);
	if (bits % 8 != 0)
		return !vf_fail(err, VF_EFORMAT, path,
				"tensor \"%s\": %llu elements of %s are not a whole number of "
				"bytes",
				t->name, (unsigned long long)t->numel, vf_dtype_name(t->dtype));
	if (bits / 8 != t->end - t->begin)
		return !vf_fail(err, VF_EFORMAT, path,
				"tensor \"%s\": shape needs %llu bytes but data_offsets span %llu",
				t->name, (unsigned long long)(bits / 8),
				(unsigned long long)(t->end - t->begin));
	return true;
}

static int by_offset(const void *a, const void *b)
{
	const struct st_tensor *x = *(const struct st_tensor *const *)a,
			       *y = *(const struct st_tensor *const *)b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

/* Checks that the tensors tile [0, data_len) exactly. */
static bool check_tiling(const struct st_header *h, const char *path, struct vf_err *err)
{
	const struct st_tensor **o;
	uint64_t at = 0;
	bool sorted = true;

	if (!(o = vf_calloc(h->n + 1, sizeof(*o))))
		return oom(err, path);
	for (size_t i = 0; i < h->n; i++) {
		o[i] = &h->t[i];
		sorted = sorted && (i == 0 || by_offset(&o[i - 1], &o[i]) <= 0);
	}
	if (!sorted) /* writers usually list tensors in offset order */
		qsort(o, h->n, sizeof(*o), by_offset);
	for (size_t i = 0; i < h->n && !err->status; i++) {
		if (o[i]->begin < at)
			vf_fail(err, VF_EFORMAT, path, "tensors \"%s\" and \"%s\" overlap",
				o[i - 1]->name, o[i]->name);
		else if (o[i]->begin > at)
			vf_fail(err, VF_EFORMAT, path,
				"gap of %llu unused bytes before tensor \"%s\"",
				(unsigned long long)(o[i]->begin - at), o[i]->name);
		at = o[i]->end;
	}
	vf_free(o);
	if (err->status)
		return false;
	if (at > h->data_len)
		return !vf_fail(
		    err, VF_EFORMAT, path,
		    "tensor data runs past the end of the file (needs %llu bytes, has %llu)",
		    (unsigned long long)at, (unsigned long long)h->data_len);
	if (at < h->data_len)
		return !vf_fail(err, VF_EFORMAT, path, "%llu trailing bytes after the last tensor",
				(unsigned long long)(h->data_len - at));
	return true;
}

/* The header object; a repeated tensor name is caught when it is added to the
 * model (whose name table exists anyway). */
static bool read_header(struct st_header *h, size_t n, const char *path, struct vf_err *err)
{
	struct vf_jscan s;
	size_t i = 0;
	char *key;
	bool meta = false;
	int r;

	vf_jscan_init(&s, h->text, n, path, "header", err);
	if (!vf_jscan_open(&s, '{'))
		return false;
	while ((r = vf_jscan_key(&s, &i, &key)) > 0) {
		struct st_tensor *t;
		if (KEY_IS(&s, key, "__metadata__")) {
			if (meta)
				return !vf_fail(err, VF_EFORMAT, path,
						"header repeats the key \"__metadata__\"");
			meta = true;
			if (!read_metadata(&s, h, path, err))
				return false;
			continue;
		}
		if (h->n == h->cap) /* cannot happen: see MIN_ENTRY */
			return !vf_fail(err, VF_EFORMAT, path,
					"more tensors than the header can hold");
		t = &h->t[h->n++];
		memset(t, 0, sizeof(*t));
		t->name = key;
		if (!read_tensor(&s, h, t, path, err))
			return false;
	}
	if (r != 0 || !vf_jscan_end(&s) || !check_tiling(h, path, err))
		return false;
	for (size_t k = 0; k < h->n; k++)
		h->t[k].hash = vf_strmap_hash(h->t[k].name);
	return true;
}

/*
 * The shortest tensor entry, "":{"dtype":"U8","shape":[],"data_offsets":[0,0]},
 * is 49 bytes and entries are separated by commas, so a header of n bytes
 * holds at most n / 49 + 1 tensors: the table is sized once, without a
 * realloc per doubling.
 */
#define MIN_ENTRY 49

/* Reads and checks one file's header; touches no shared state. */
static enum vf_status st_parse(const char *path, void *ctx, struct vf_arena *scratch, void **out,
			       struct vf_err *err)
{
	struct st_header *h;
	struct vf_file f;
	unsigned char len8[8];
	uint64_t n = 0;
	enum vf_status st;

	(void)ctx;
	*out = NULL;
	if (!(h = vf_calloc(1, sizeof(*h))))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	if ((st = vf_file_open(&f, path, err))) {
		vf_free(h);
		return st;
	}
	if (f.size < 8) {
		st = vf_fail(err, VF_EFORMAT, path,
			     "file is %llu bytes, too short for a safetensors header",
			     (unsigned long long)f.size);
		goto out;
	}
	if ((st = vf_file_pread(&f, len8, 8, 0, err)))
		goto out;
	for (int i = 7; i >= 0; i--)
		n = (n << 8) | len8[i];
	if (n > VF_SAFETENSORS_MAX_HEADER) {
		st = vf_fail(err, VF_EFORMAT, path,
			     "header length %llu is more than the %llu allowed",
			     (unsigned long long)n, VF_SAFETENSORS_MAX_HEADER);
		goto out;
	}
	if (n > f.size - 8) {
		st = vf_fail(err, VF_EFORMAT, path,
			     "header length %llu runs past the end of the file (%llu bytes)",
			     (unsigned long long)n, (unsigned long long)f.size);
		goto out;
	}
	h->cap = (size_t)n / MIN_ENTRY + 1;
	if (!(h->text = vf_arena_alloc(scratch, (size_t)n + 1)) ||
	    !(h->t = vf_arena_alloc(scratch, h->cap * sizeof(*h->t)))) {
		st = vf_fail(err, VF_ENOMEM, path, "out of memory");
		goto out;
	}
	if ((st = vf_file_pread(&f, h->text, (size_t)n, 8, err)))
		goto out;
	h->text[n] = '\0';
	if (n == 0 || h->text[0] != '{') {
		st = vf_fail(err, VF_EFORMAT, path, "header does not start with '{'");
		goto out;
	}
	h->data_start = 8 + n;
	h->data_len = f.size - 8 - n;
	if (!read_header(h, (size_t)n, path, err))
		st = err->status;
out:
	vf_file_close(&f);
	if (st)
		header_free(h);
	else
		*out = h;
	return st;
}

/* Adds a parsed header to the model, in header order, and frees it. */
static enum vf_status st_commit(struct vf_model *m, const char *path, void *ctx, void *parsed,
				struct vf_err *err)
{
	struct st_header *h = parsed;
	uint32_t idx;
	bool first = m->nfiles == 0; /* a sharded model keeps the first shard's metadata */
	enum vf_status st;

	(void)ctx;
	if ((st = vf_model_add_file(m, path, &idx, err)))
		goto out;
	for (size_t i = 0; first && i + 1 < h->nmeta && !st; i += 2)
		st = vf_model_add_meta(m, h->meta[i], h->meta[i + 1], err);
	for (size_t i = 0; i < h->n && !st; i++) {
		const struct st_tensor *e = &h->t[i];
		struct vf_tensor t = {
		    .name = e->name,
		    .shape = h->dims + e->dims_at,
		    .ndim = e->ndim,
		    .dtype = e->dtype,
		    .file = idx,
		    .numel = e->numel,
		    .nbytes = e->end - e->begin,
		    .offset = h->data_start + e->begin,
		    .count_params = e->numel,
		    .count_bytes = e->end - e->begin,
		};
		/* the name table is bigger than the cache: ask for the slot of
		 * a tensor 8 ahead while this one goes in */
		if (i + 8 < h->n)
			vf_model_prefetch(m, h->t[i + 8].hash);
		st = vf_model_add_tensor_h(m, &t, e->hash, path, err);
	}
out:
	header_free(h);
	return st;
}

static void st_drop(void *parsed)
{
	header_free(parsed);
}

static const struct vf_shard_ops st_ops = {st_parse, st_commit, st_drop};

enum vf_status vf_safetensors_read_file(struct vf_model *m, const char *path, struct vf_err *err)
{
	struct vf_arena scratch = {0};
	void *h;
	enum vf_status st;

	if (!(st = st_parse(path, NULL, &scratch, &h, err)))
		st = st_commit(m, path, NULL, h, err);
	vf_arena_free(&scratch);
	return st;
}

/* ---- directories of shards (indexes live in index.c) ---- */

enum vf_status vf_safetensors_read_index(struct vf_model *m, const char *index_path,
					 struct vf_err *err)
{
	return vf_index_read(m, index_path, &st_ops, NULL, err);
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

enum vf_status vf_safetensors_read_dir(struct vf_model *m, const char *dir, bool *found,
				       struct vf_err *err)
{
	/* vf_dir: the folder may be inside a mounted archive (common/file.h) */
	struct vf_dir dh, *d = &dh;
	const char *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	enum vf_status st = VF_OK;

	if (vf_dir_open(d, dir) != 0)
		return vf_fail(err, VF_EIO, dir, "cannot open directory: %s", strerror(errno));
	while ((de = vf_dir_next(d)) != NULL) {
		if (!has_suffix(de, ".safetensors") || de[0] == '.')
			continue;
		if (!vf_grow(&names, &cap, n, sizeof(*names), 16)) {
			st = vf_fail(err, VF_ENOMEM, dir, "out of memory");
			goto out;
		}
		if (!(names[n] = vf_strdup(de))) {
			st = vf_fail(err, VF_ENOMEM, dir, "out of memory");
			goto out;
		}
		n++;
	}
	*found = n > 0;
	if (n)
		st = vf_read_shards(m, dir, names, n, NULL, &st_ops, NULL, err);
out:
	for (size_t i = 0; i < n; i++)
		vf_free(names[i]);
	vf_free(names);
	vf_dir_close(d);
	return st;
}
