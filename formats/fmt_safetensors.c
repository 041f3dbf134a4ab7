/*
 * fmt_safetensors.c - safetensors headers: single files, sharded indexes and
 * directories of shards.
 *
 * Layout: u64 little-endian N, then N bytes of JSON, then the data buffer.  We
 * read 8 + N bytes and nothing of the data.  The checks are those of the
 * reference reader (huggingface/safetensors Metadata::validate) and a few more:
 *   - 8 <= file size, N <= 100,000,000, 8 + N <= file size, JSON starts with '{';
 *   - strict JSON (see common/json.h): UTF-8, no duplicate keys, no trailing data;
 *   - __metadata__ is null or an object of strings;
 *   - each tensor has exactly dtype, shape, data_offsets; a known dtype;
 *     non-negative integer dims; an element count that does not overflow;
 *     numel * bits divisible by 8 and equal to (end - begin) * 8;
 *   - sorted by offsets, tensors tile the buffer exactly from 0 (no overlap,
 *     no gap), and the last end is exactly the end of the file.
 * Stricter than the reference: dims and offsets of 2^53 and above and more than
 * VF_MAX_DIMS dimensions are refused (no real tensor has them, and it keeps
 * every number exact in a double).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/strmap.h"
#include "formats/model_build.h"

#define VF_MAX_DIMS 64
/* cJSON nodes for a real header take ~6 bytes per header byte; a hostile
 * "[0,0,0,...]" takes ~32.  The cap admits the first and stops the second. */
#define JSON_MEM_CAP(n) ((size_t)(n)*16 + ((size_t)1 << 20))

struct entry {
	const cJSON *item;
	uint64_t begin, end;
};

static int by_offset(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

static enum vf_status read_metadata(struct vf_model *m, const cJSON *md, bool keep,
				    const char *path, struct vf_err *err)
{
	const cJSON *c;

	if (cJSON_IsNull(md))
		return VF_OK;
	if (!cJSON_IsObject(md))
		return vf_fail(err, VF_EFORMAT, path, "__metadata__ is not an object");
	for (c = md->child; c; c = c->next) {
		if (!cJSON_IsString(c))
			return vf_fail(err, VF_EFORMAT, path,
				       "__metadata__ value of \"%s\" is not a string", c->string);
		if (keep && vf_model_add_meta(m, c->string, c->valuestring, err))
			return err->status;
	}
	return VF_OK;
}

/* Parses one tensor entry; shape is written to dims (VF_MAX_DIMS entries). */
static enum vf_status parse_info(const cJSON *item, struct vf_tensor *t, uint64_t *dims,
				 uint64_t *begin, uint64_t *end, const char *path,
				 struct vf_err *err)
{
	const char *name = item->string;
	const cJSON *dtype = NULL, *shape = NULL, *offs = NULL, *c;
	uint64_t numel = 1, bits, b, e;
	uint32_t nd = 0;

	if (!cJSON_IsObject(item))
		return vf_fail(err, VF_EFORMAT, path, "tensor \"%s\" is not a JSON object", name);
	for (c = item->child; c; c = c->next) {
		if (strcmp(c->string, "dtype") == 0)
			dtype = c;
		else if (strcmp(c->string, "shape") == 0)
			shape = c;
		else if (strcmp(c->string, "data_offsets") == 0)
			offs = c;
		else
			return vf_fail(err, VF_EFORMAT, path,
				       "tensor \"%s\" has unexpected field \"%s\"", name,
				       c->string);
	}
	if (!dtype || !shape || !offs)
		return vf_fail(err, VF_EFORMAT, path, "tensor \"%s\" lacks \"%s\"", name,
			       !dtype	? "dtype"
			       : !shape ? "shape"
					: "data_offsets");
	if (!cJSON_IsString(dtype))
		return vf_fail(err, VF_EFORMAT, path, "tensor \"%s\": dtype is not a string", name);
	t->dtype = vf_dtype_from_name(dtype->valuestring);
	if (!vf_dtype_is_safetensors(t->dtype))
		return vf_fail(err, VF_EFORMAT, path, "tensor \"%s\": unknown dtype \"%s\"", name,
			       dtype->valuestring);
	if (!cJSON_IsArray(shape))
		return vf_fail(err, VF_EFORMAT, path, "tensor \"%s\": shape is not an array", name);
	for (c = shape->child; c; c = c->next) {
		uint64_t d;
		if (nd == VF_MAX_DIMS)
			return vf_fail(err, VF_EFORMAT, path,
				       "tensor \"%s\" has more than %d dimensions", name,
				       VF_MAX_DIMS);
		if (!vf_json_uint(c, &d))
			return vf_fail(err, VF_EFORMAT, path,
				       "tensor \"%s\": dimension %u is not an integer in [0, 2^53)",
				       name, nd);
		if (!vf_mul_ok(numel, d, &numel))
			return vf_fail(err, VF_EFORMAT, path,
				       "tensor \"%s\": element count overflows 64 bits", name);
		dims[nd++] = d;
	}
	if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
	    !vf_json_uint(offs->child, &b) || !vf_json_uint(offs->child->next, &e))
		return vf_fail(err, VF_EFORMAT, path,
			       "tensor \"%s\": data_offsets is not two integers in [0, 2^53)",
			       name);
	if (e < b)
		return vf_fail(err, VF_EFORMAT, path,
			       "tensor \"%s\": data_offsets end before begin", name);
	if (!vf_mul_ok(numel, vf_dtype_bits(t->dtype), &bits))
		return vf_fail(err, VF_EFORMAT, path,
			       "tensor \"%s\": size in bits overflows 64 bits", name);
	if (bits % 8 != 0)
		return vf_fail(err, VF_EFORMAT, path,
			       "tensor \"%s\": %llu elements of %s are not a whole number of bytes",
			       name, (unsigned long long)numel, vf_dtype_name(t->dtype));
	if (bits / 8 != e - b)
		return vf_fail(err, VF_EFORMAT, path,
			       "tensor \"%s\": shape needs %llu bytes but data_offsets span %llu",
			       name, (unsigned long long)(bits / 8), (unsigned long long)(e - b));
	t->name = name;
	t->shape = dims;
	t->ndim = nd;
	t->numel = numel;
	t->nbytes = e - b;
	t->count_params = numel;
	t->count_bytes = t->nbytes;
	*begin = b;
	*end = e;
	return VF_OK;
}

/* Checks that the sorted entries tile [0, data_len) exactly. */
static enum vf_status check_tiling(struct entry *ents, size_t n, uint64_t data_len,
				   const char *path, struct vf_err *err)
{
	uint64_t at = 0;

	qsort(ents, n, sizeof(*ents), by_offset);
	for (size_t i = 0; i < n; i++) {
		if (ents[i].begin < at)
			return vf_fail(err, VF_EFORMAT, path, "tensors \"%s\" and \"%s\" overlap",
				       ents[i - 1].item->string, ents[i].item->string);
		if (ents[i].begin > at)
			return vf_fail(
			    err, VF_EFORMAT, path, "gap of %llu unused bytes before tensor \"%s\"",
			    (unsigned long long)(ents[i].begin - at), ents[i].item->string);
		at = ents[i].end;
	}
	if (at > data_len)
		return vf_fail(
		    err, VF_EFORMAT, path,
		    "tensor data runs past the end of the file (needs %llu bytes, has %llu)",
		    (unsigned long long)at, (unsigned long long)data_len);
	if (at < data_len)
		return vf_fail(err, VF_EFORMAT, path, "%llu trailing bytes after the last tensor",
			       (unsigned long long)(data_len - at));
	return VF_OK;
}

static enum vf_status parse_header(struct vf_model *m, const cJSON *root, uint32_t file,
				   uint64_t data_start, uint64_t data_len, const char *path,
				   struct vf_err *err)
{
	size_t n = 0, k = 0;
	struct entry *ents;
	const cJSON *c;
	uint64_t dims[VF_MAX_DIMS];
	enum vf_status st = VF_OK;

	for (c = root->child; c; c = c->next)
		n++;
	ents = vf_calloc(n, sizeof(*ents));
	if (!ents)
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	/* One pass: each entry is parsed once and added; the tiling is checked
	 * after.  A bad file leaves tensors behind only in a model that the
	 * caller frees on the error. */
	for (c = root->child; c && !st; c = c->next) {
		struct vf_tensor t = {0};
		if (strcmp(c->string, "__metadata__") == 0) {
			st = read_metadata(m, c, file == 0, path, err);
			continue;
		}
		if ((st = parse_info(c, &t, dims, &ents[k].begin, &ents[k].end, path, err)))
			break;
		ents[k].item = c;
		t.file = file;
		t.offset = data_start + ents[k++].begin;
		st = vf_model_add_tensor(m, &t, path, err);
	}
	if (!st)
		st = check_tiling(ents, k, data_len, path, err);
	vf_free(ents);
	return st;
}

enum vf_status vf_safetensors_read_file(struct vf_model *m, const char *path, struct vf_err *err)
{
	struct vf_file f;
	unsigned char len8[8];
	uint64_t n = 0;
	char *hdr = NULL;
	cJSON *root = NULL;
	uint32_t idx;
	enum vf_status st;

	if ((st = vf_file_open(&f, path, err)))
		return st;
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
	if (!(hdr = vf_malloc((size_t)n + 1))) {
		st = vf_fail(err, VF_ENOMEM, path, "out of memory");
		goto out;
	}
	if ((st = vf_file_pread(&f, hdr, (size_t)n, 8, err)))
		goto out;
	hdr[n] = '\0';
	if (n == 0 || hdr[0] != '{') {
		st = vf_fail(err, VF_EFORMAT, path, "header does not start with '{'");
		goto out;
	}
	if (!(root = vf_json_parse(hdr, (size_t)n, JSON_MEM_CAP(n), path, "header", err))) {
		st = err->status;
		goto out;
	}
	if (!cJSON_IsObject(root)) {
		st = vf_fail(err, VF_EFORMAT, path, "header is not a JSON object");
		goto out;
	}
	if ((st = vf_model_add_file(m, path, &idx, err)))
		goto out;
	st = parse_header(m, root, idx, 8 + n, f.size - 8 - n, path, err);
out:
	vf_json_free(root);
	vf_free(hdr);
	vf_file_close(&f);
	return st;
}

/* ---- directories of shards (indexes live in index.c) ---- */

static enum vf_status read_one(struct vf_model *m, const char *path, void *ctx, struct vf_err *err)
{
	(void)ctx;
	return vf_safetensors_read_file(m, path, err);
}

enum vf_status vf_safetensors_read_index(struct vf_model *m, const char *index_path,
					 struct vf_err *err)
{
	return vf_index_read(m, index_path, read_one, NULL, err);
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
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **a = vf_realloc(names, nc * sizeof(*a));
			if (!a) {
				st = vf_fail(err, VF_ENOMEM, dir, "out of memory");
				goto out;
			}
			names = a;
			cap = nc;
		}
		if (!(names[n] = vf_strdup(de))) {
			st = vf_fail(err, VF_ENOMEM, dir, "out of memory");
			goto out;
		}
		n++;
	}
	*found = n > 0;
	if (n)
		st = vf_read_shards(m, dir, names, n, NULL, read_one, NULL, err);
out:
	for (size_t i = 0; i < n; i++)
		vf_free(names[i]);
	vf_free(names);
	vf_dir_close(d);
	return st;
}
