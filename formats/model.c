/*
 * model.c - the tensor table and its arena.
 *
 * Names and shapes of ~100k tensors would be 200k small mallocs; an arena
 * (common/arena.h) makes them a few dozen and frees them in one sweep.  A hash of
 * names (strmap) answers "is this name already here" in O(1), which both the
 * duplicate check and vf_model_find() need.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/arena.h"
#include "common/mem.h"
#include "common/par.h"
#include "common/strmap.h"
#include "formats/model_build.h"

struct priv {
	struct vf_arena arena;
	struct vf_strmap names;
	size_t tensors_cap;
};

const char *vf_format_name(enum vf_format f)
{
	switch (f) {
	case VF_FMT_SAFETENSORS:
		return "safetensors";
	case VF_FMT_PYTORCH_ZIP:
		return "pytorch-zip";
	case VF_FMT_PYTORCH_LEGACY:
		return "pytorch-legacy";
	case VF_FMT_GGUF:
		return "gguf";
	case VF_FMT_NONE:
		break;
	}
	return "config";
}

struct vf_model *vf_model_new(const char *path)
{
	struct vf_model *m = vf_calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->priv = vf_calloc(1, sizeof(struct priv));
	m->path = vf_strdup(path);
	if (!m->priv || !m->path) {
		vf_model_free(m);
		return NULL;
	}
	return m;
}

void *vf_model_alloc(struct vf_model *m, size_t n)
{
	struct priv *p = m->priv;

	return vf_arena_alloc(&p->arena, n);
}

char *vf_model_strdup(struct vf_model *m, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = vf_model_alloc(m, n);

	if (d)
		memcpy(d, s, n);
	return d;
}

static enum vf_status grow_strings(char ***arr, size_t n, struct vf_err *err)
{
	char **a = vf_realloc(*arr, (n + 1) * sizeof(**arr));

	if (!a)
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	*arr = a;
	return VF_OK;
}

enum vf_status vf_model_add_file(struct vf_model *m, const char *file, uint32_t *idx,
				 struct vf_err *err)
{
	char *s;

	if (grow_strings(&m->files, m->nfiles, err))
		return err->status;
	s = vf_model_strdup(m, file);
	if (!s)
		return vf_fail(err, VF_ENOMEM, file, "out of memory");
	m->files[m->nfiles] = s;
	*idx = m->nfiles++;
	return VF_OK;
}

enum vf_status vf_model_reserve(struct vf_model *m, size_t n, struct vf_err *err)
{
	struct priv *p = m->priv;
	struct vf_tensor *a;

	if (n <= p->tensors_cap)
		return VF_OK;
	if (n > SIZE_MAX / sizeof(*a) || !(a = vf_realloc(m->tensors, n * sizeof(*a))) ||
	    ((m->tensors = a), vf_strmap_reserve(&p->names, n) != 0))
		return vf_fail(err, VF_ENOMEM, m->path, "out of memory");
	p->tensors_cap = n;
	return VF_OK;
}

enum vf_status vf_model_add_tensor(struct vf_model *m, const struct vf_tensor *t, const char *path,
				   struct vf_err *err)
{
	return vf_model_add_tensor_h(m, t, vf_strmap_hash(t->name), path, err);
}

void vf_model_prefetch(const struct vf_model *m, uint64_t hash)
{
	const struct priv *p = m->priv;

	vf_strmap_prefetch(&p->names, hash);
}

enum vf_status vf_model_add_tensor_h(struct vf_model *m, const struct vf_tensor *t, uint64_t hash,
				     const char *path, struct vf_err *err)
{
	struct priv *p = m->priv;
	struct vf_tensor *nt;
	char *name;
	uint64_t *shape = NULL;
	uint32_t old;
	int r;

	if (m->ntensors >= UINT32_MAX)
		return vf_fail(err, VF_EFORMAT, path, "too many tensors");
	if (!vf_grow(&m->tensors, &p->tensors_cap, m->ntensors, sizeof(*m->tensors), 256))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	name = vf_model_strdup(m, t->name);
	if (t->ndim)
		shape = vf_model_alloc(m, t->ndim * sizeof(*shape));
	if (!name || (t->ndim && !shape))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	r = vf_strmap_put_h(&p->names, name, hash, (uint32_t)m->ntensors, &old);
	if (r < 0)
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	if (r == 0) {
		if (m->tensors[old].file != t->file)
			return vf_fail(err, VF_EFORMAT, path, "tensor \"%s\" is also in \"%s\"",
				       t->name, m->files[m->tensors[old].file]);
		return vf_fail(err, VF_EFORMAT, path, "tensor \"%s\" appears twice", t->name);
	}
	if (t->ndim)
		memcpy(shape, t->shape, t->ndim * sizeof(*shape));
	nt = &m->tensors[m->ntensors++];
	*nt = *t;
	nt->name = name;
	nt->shape = shape;
	return VF_OK;
}

enum vf_status vf_model_warn(struct vf_model *m, struct vf_err *err, const char *fmt, ...)
{
	char buf[VF_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (grow_strings(&m->warnings, m->nwarnings, err))
		return err->status;
	if (!(m->warnings[m->nwarnings] = vf_model_strdup(m, buf)))
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	m->nwarnings++;
	return VF_OK;
}

enum vf_status vf_model_add_meta(struct vf_model *m, const char *key, const char *val,
				 struct vf_err *err)
{
	if (grow_strings(&m->meta_keys, m->nmeta, err) ||
	    grow_strings(&m->meta_vals, m->nmeta, err))
		return err->status;
	m->meta_keys[m->nmeta] = vf_model_strdup(m, key);
	m->meta_vals[m->nmeta] = vf_model_strdup(m, val);
	if (!m->meta_keys[m->nmeta] || !m->meta_vals[m->nmeta])
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	m->nmeta++;
	return VF_OK;
}

void vf_model_totals(const struct vf_model *m, uint64_t *params, uint64_t *bytes)
{
	*params = *bytes = 0;
	for (size_t i = 0; i < m->ntensors; i++) {
		*params += m->tensors[i].count_params;
		*bytes += m->tensors[i].count_bytes;
	}
}

long vf_model_find(const struct vf_model *m, const char *name)
{
	const struct priv *p = m->priv;
	uint32_t i;

	return vf_strmap_get(&p->names, name, &i) ? (long)i : -1;
}

struct find_part {
	const struct vf_strmap *map;
	const char *const *names;
	size_t n;
	uint32_t *out;
};

static void find_part(void *arg)
{
	struct find_part *f = arg;

	vf_strmap_get_many(f->map, f->names, f->n, f->out);
}

/* Look-ups only read the table, so a big batch (DeepSeek-V3's index: 92k
 * names, ~6 ms of cache misses) is split in two (common/par.h). */
void vf_model_find_many(const struct vf_model *m, const char *const *names, size_t n, uint32_t *out)
{
	const struct priv *p = m->priv;
	struct find_part lo = {&p->names, names, n / 2, out};
	struct find_part hi = {&p->names, names + n / 2, n - n / 2, out + n / 2};

	if (n < 16384)
		vf_strmap_get_many(&p->names, names, n, out);
	else
		vf_par2(find_part, &lo, find_part, &hi);
}

void vf_model_free(struct vf_model *m)
{
	struct priv *p;

	if (!m)
		return;
	p = m->priv;
	if (p) {
		vf_arena_free(&p->arena);
		vf_strmap_free(&p->names);
		vf_free(p);
	}
	vf_arch_release(&m->arch);
	vf_free(m->files);
	vf_free(m->tensors);
	vf_free(m->meta_keys);
	vf_free(m->meta_vals);
	vf_free(m->warnings);
	vf_free(m->path);
	vf_free(m);
}
