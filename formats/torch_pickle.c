/*
 * torch_pickle.c - the safe pickle subset for PyTorch checkpoints; see
 * torch_pickle.h for the safety model.
 *
 * The machine keeps pickle's own data model (a value stack, a mark stack and a
 * memo) but its values are inert descriptions.  Invariants:
 *   - every allocation comes from the machine's pool and counts against its
 *     budget; the pool is freed in one sweep by tp_free();
 *   - every length read from the input is checked against the bytes left
 *     before anything is allocated for it;
 *   - memo indices are bounded by the input size (a pickler numbers them from
 *     0), stack and nesting depth by the budget;
 *   - sizes, strides and offsets of tensors use checked 64-bit arithmetic, and
 *     a tensor's view must lie inside its storage.
 */
#include "formats/torch_pickle.h"

#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "common/strmap.h"

#define MAX_DIMS 64
#define MAX_NAME 4096

enum kind {
	V_NONE,
	V_BOOL,
	V_INT,
	V_BIGINT,
	V_FLOAT,
	V_STR,
	V_BYTES,
	V_TUPLE,
	V_LIST,
	V_DICT,
	V_SET,
	V_GLOBAL,
	V_STORAGE,
	V_TENSOR,
	V_DTYPE,
	V_OPAQUE,
};

enum global {
	G_ORDERED_DICT,
	G_REBUILD_V2,
	G_REBUILD_V3,
	G_REBUILD_PARAM,
	G_REBUILD_PARAM_STATE,
	G_REBUILD_META,
	G_REBUILD_FROM_TYPE,
	G_SIZE,
	G_DEVICE,
	G_CODECS_ENCODE,
	G_TENSOR_TYPE,
	G_STORAGE_CLASS,
	G_DTYPE,
};

struct val {
	enum kind kind;
	bool visited; /* walk: containers are expanded once (cycles, shared subtrees) */
	union {
		int64_t i;
		double f;
		struct {
			char *s;
			size_t len;
		} str;
		struct {
			struct val **v;
			size_t n, cap;
		} seq; /* tuple, list, set; a dict holds key, value pairs */
		struct {
			enum global g;
			enum vf_dtype dtype; /* storage classes and dtypes */
			bool untyped;
			const char *name;
		} glob;
		size_t storage; /* index into the machine's storages */
		struct {
			long storage; /* -1: no storage (a meta tensor) */
			enum vf_dtype dtype;
			uint32_t ndim;
			uint64_t *shape;
			uint64_t numel;
		} tensor;
		enum vf_dtype dtype;
	} u;
};

struct block {
	struct block *next;
	max_align_t data[];
};

struct tp_machine {
	const char *path;
	size_t budget, used;
	struct block *blocks;
	struct val **stack;
	size_t sp, stack_cap;
	size_t *marks;
	size_t nmarks, marks_cap;
	struct val **memo;
	size_t memo_cap;
	size_t memo_len; /* distinct entries written: where MEMOIZE puts the next */
	struct tp_storage *storages;
	size_t nstorages, storages_cap;
	struct vf_strmap storage_keys;
	uint64_t op_at; /* offset of the current opcode, for messages */
};

/* ---- the pool ---- */

static void *pool_alloc(struct tp_machine *pm, size_t n, struct vf_err *err)
{
	struct block *b;

	if (n > pm->budget || pm->used > pm->budget - n) {
		vf_fail(err, VF_EFORMAT, pm->path,
			"pickle needs more than %zu MiB of memory (at byte %llu)", pm->budget >> 20,
			(unsigned long long)pm->op_at);
		return NULL;
	}
	b = vf_malloc(sizeof(*b) + n);
	if (!b) {
		vf_fail(err, VF_ENOMEM, pm->path, "out of memory");
		return NULL;
	}
	memset(b->data, 0, n);
	pm->used += n;
	b->next = pm->blocks;
	pm->blocks = b;
	return b->data;
}

/* Grows an array of pointers geometrically inside the pool (old copies stay
 * until tp_free; the budget counts them, and geometric growth bounds the waste). */
static bool grow(struct tp_machine *pm, void **arr, size_t *cap, size_t need, size_t elem,
		 struct vf_err *err)
{
	size_t ncap;
	void *n;

	if (need <= *cap)
		return true;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	if (!(n = pool_alloc(pm, ncap * elem, err)))
		return false;
	if (*cap)
		memcpy(n, *arr, *cap * elem);
	*arr = n;
	*cap = ncap;
	return true;
}

struct tp_machine *tp_new(const char *path, size_t budget)
{
	struct tp_machine *pm = vf_calloc(1, sizeof(*pm));

	if (pm) {
		pm->path = path;
		pm->budget = budget;
	}
	return pm;
}

void tp_free(struct tp_machine *pm)
{
	if (!pm)
		return;
	while (pm->blocks) {
		struct block *n = pm->blocks->next;
		vf_free(pm->blocks);
		pm->blocks = n;
	}
	vf_strmap_free(&pm->storage_keys);
	vf_free(pm->storages);
	vf_free(pm);
}

size_t tp_storage_count(const struct tp_machine *pm)
{
	return pm->nstorages;
}

struct tp_storage *tp_storage_at(struct tp_machine *pm, size_t i)
{
	return &pm->storages[i];
}

struct tp_storage *tp_storage_find(struct tp_machine *pm, const char *key)
{
	uint32_t i;

	return vf_strmap_get(&pm->storage_keys, key, &i) && i < pm->nstorages ? &pm->storages[i]
									      : NULL;
}

/* ---- values ---- */

static struct val *new_val(struct tp_machine *pm, enum kind k, struct vf_err *err)
{
	struct val *v = pool_alloc(pm, sizeof(*v), err);

	if (v)
		v->kind = k;
	return v;
}

static enum vf_status bad(struct tp_machine *pm, struct vf_err *err, const char *what)
{
	return vf_fail(err, VF_EFORMAT, pm->path, "pickle %s (at byte %llu)", what,
		       (unsigned long long)pm->op_at);
}

static enum vf_status push(struct tp_machine *pm, struct val *v, struct vf_err *err)
{
	if (!v)
		return err->status;
	if (!grow(pm, (void **)&pm->stack, &pm->stack_cap, pm->sp + 1, sizeof(*pm->stack), err))
		return err->status;
	pm->stack[pm->sp++] = v;
	return VF_OK;
}

static struct val *pop(struct tp_machine *pm, struct vf_err *err)
{
	size_t floor = pm->nmarks ? pm->marks[pm->nmarks - 1] : 0;

	if (pm->sp <= floor) {
		bad(pm, err, "pops an empty stack");
		return NULL;
	}
	return pm->stack[--pm->sp];
}

static struct val *top(struct tp_machine *pm, struct vf_err *err)
{
	size_t floor = pm->nmarks ? pm->marks[pm->nmarks - 1] : 0;

	if (pm->sp <= floor) {
		bad(pm, err, "reads an empty stack");
		return NULL;
	}
	return pm->stack[pm->sp - 1];
}

static enum vf_status seq_add(struct tp_machine *pm, struct val *s, struct val *item,
			      struct vf_err *err)
{
	if (!grow(pm, (void **)&s->u.seq.v, &s->u.seq.cap, s->u.seq.n + 1, sizeof(*s->u.seq.v),
		  err))
		return err->status;
	s->u.seq.v[s->u.seq.n++] = item;
	return VF_OK;
}

/* Pops everything above the last mark into a new sequence of kind k. */
static struct val *pop_mark(struct tp_machine *pm, enum kind k, struct vf_err *err)
{
	struct val *s;
	size_t from;

	if (!pm->nmarks) {
		bad(pm, err, "has no MARK to pop to");
		return NULL;
	}
	from = pm->marks[--pm->nmarks];
	if (!(s = new_val(pm, k, err)))
		return NULL;
	for (size_t i = from; i < pm->sp; i++)
		if (seq_add(pm, s, pm->stack[i], err))
			return NULL;
	pm->sp = from;
	return s;
}

/* ---- the allow-list ---- */

static const struct {
	const char *module, *name;
	enum global g;
	enum vf_dtype dtype;
	bool untyped;
} allowed[] = {
    {"collections", "OrderedDict", G_ORDERED_DICT, 0, false},
    {"torch._utils", "_rebuild_tensor_v2", G_REBUILD_V2, 0, false},
    {"torch._utils", "_rebuild_tensor_v3", G_REBUILD_V3, 0, false},
    {"torch._utils", "_rebuild_parameter", G_REBUILD_PARAM, 0, false},
    {"torch._utils", "_rebuild_parameter_with_state", G_REBUILD_PARAM_STATE, 0, false},
    {"torch._utils", "_rebuild_meta_tensor_no_storage", G_REBUILD_META, 0, false},
    {"torch._tensor", "_rebuild_from_type_v2", G_REBUILD_FROM_TYPE, 0, false},
    {"torch", "Size", G_SIZE, 0, false},
    {"torch", "device", G_DEVICE, 0, false},
    {"_codecs", "encode", G_CODECS_ENCODE, 0, false},
    {"torch", "Tensor", G_TENSOR_TYPE, 0, false},
    {"torch.nn.parameter", "Parameter", G_TENSOR_TYPE, 0, false},
    {"torch", "FloatStorage", G_STORAGE_CLASS, VF_DT_F32, false},
    {"torch", "DoubleStorage", G_STORAGE_CLASS, VF_DT_F64, false},
    {"torch", "HalfStorage", G_STORAGE_CLASS, VF_DT_F16, false},
    {"torch", "BFloat16Storage", G_STORAGE_CLASS, VF_DT_BF16, false},
    {"torch", "LongStorage", G_STORAGE_CLASS, VF_DT_I64, false},
    {"torch", "IntStorage", G_STORAGE_CLASS, VF_DT_I32, false},
    {"torch", "ShortStorage", G_STORAGE_CLASS, VF_DT_I16, false},
    {"torch", "CharStorage", G_STORAGE_CLASS, VF_DT_I8, false},
    {"torch", "ByteStorage", G_STORAGE_CLASS, VF_DT_U8, false},
    {"torch", "BoolStorage", G_STORAGE_CLASS, VF_DT_BOOL, false},
    {"torch", "ComplexFloatStorage", G_STORAGE_CLASS, VF_DT_C64, false},
    {"torch", "UntypedStorage", G_STORAGE_CLASS, VF_DT_UNKNOWN, true},
    {"torch", "float32", G_DTYPE, VF_DT_F32, false},
    {"torch", "float", G_DTYPE, VF_DT_F32, false},
    {"torch", "float64", G_DTYPE, VF_DT_F64, false},
    {"torch", "double", G_DTYPE, VF_DT_F64, false},
    {"torch", "float16", G_DTYPE, VF_DT_F16, false},
    {"torch", "half", G_DTYPE, VF_DT_F16, false},
    {"torch", "bfloat16", G_DTYPE, VF_DT_BF16, false},
    {"torch", "int64", G_DTYPE, VF_DT_I64, false},
    {"torch", "long", G_DTYPE, VF_DT_I64, false},
    {"torch", "int32", G_DTYPE, VF_DT_I32, false},
    {"torch", "int", G_DTYPE, VF_DT_I32, false},
    {"torch", "int16", G_DTYPE, VF_DT_I16, false},
    {"torch", "short", G_DTYPE, VF_DT_I16, false},
    {"torch", "int8", G_DTYPE, VF_DT_I8, false},
    {"torch", "uint8", G_DTYPE, VF_DT_U8, false},
    {"torch", "uint16", G_DTYPE, VF_DT_U16, false},
    {"torch", "uint32", G_DTYPE, VF_DT_U32, false},
    {"torch", "uint64", G_DTYPE, VF_DT_U64, false},
    {"torch", "bool", G_DTYPE, VF_DT_BOOL, false},
    {"torch", "complex64", G_DTYPE, VF_DT_C64, false},
    {"torch", "cfloat", G_DTYPE, VF_DT_C64, false},
    {"torch", "float8_e4m3fn", G_DTYPE, VF_DT_F8_E4M3, false},
    {"torch", "float8_e5m2", G_DTYPE, VF_DT_F8_E5M2, false},
    {"torch", "float8_e4m3fnuz", G_DTYPE, VF_DT_F8_E4M3FNUZ, false},
    {"torch", "float8_e5m2fnuz", G_DTYPE, VF_DT_F8_E5M2FNUZ, false},
    {"torch", "float8_e8m0fnu", G_DTYPE, VF_DT_F8_E8M0, false},
};

static enum vf_status do_global(struct tp_machine *pm, const char *module, const char *name,
				struct vf_err *err)
{
	char full[600];
	const char *mod = module;
	struct val *v;

	/* Old checkpoints saved from a GPU name torch.cuda.FloatStorage & co. */
	if (strcmp(module, "torch.cuda") == 0 && strstr(name, "Storage"))
		mod = "torch";
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		if (strcmp(allowed[i].module, mod) != 0 || strcmp(allowed[i].name, name) != 0)
			continue;
		if (!(v = new_val(pm, V_GLOBAL, err)))
			return err->status;
		v->u.glob.g = allowed[i].g;
		v->u.glob.dtype = allowed[i].dtype;
		v->u.glob.untyped = allowed[i].untyped;
		v->u.glob.name = allowed[i].name;
		return push(pm, v, err);
	}
	snprintf(full, sizeof(full), "%s.%s", module, name);
	if (strncmp(module, "torch.nn.modules", 16) == 0 || strstr(module, "modeling_"))
		return vf_fail(err, VF_EFORMAT, pm->path,
			       "pickle refers to the class '%s': a whole pickled model, not a "
			       "state_dict (save model.state_dict() instead)",
			       full);
	return vf_fail(err, VF_EFORMAT, pm->path,
		       "pickle refers to '%s', which a checkpoint never needs: refused, nothing "
		       "was run",
		       full);
}

/* ---- torch semantics of REDUCE ---- */

static bool as_int(const struct val *v, int64_t *out)
{
	if (v->kind == V_INT) {
		*out = v->u.i;
		return true;
	}
	if (v->kind == V_BOOL) {
		*out = v->u.i;
		return true;
	}
	return false;
}

static bool int_tuple(const struct val *v, uint64_t *out, uint32_t *n)
{
	if (v->kind != V_TUPLE && v->kind != V_LIST)
		return false;
	if (v->u.seq.n > MAX_DIMS)
		return false;
	for (size_t i = 0; i < v->u.seq.n; i++) {
		int64_t x;
		if (!as_int(v->u.seq.v[i], &x) || x < 0)
			return false;
		out[i] = (uint64_t)x;
	}
	*n = (uint32_t)v->u.seq.n;
	return true;
}

static unsigned elem_size(enum vf_dtype dt)
{
	return vf_dtype_block_elems(dt) == 1 ? vf_dtype_block_bytes(dt) : 0;
}

/* A tensor value: storage index (-1: none, a meta tensor), dtype, shape. */
static struct val *new_tensor(struct tp_machine *pm, long storage, enum vf_dtype dt,
			      const uint64_t *shape, uint32_t nd, uint64_t numel,
			      struct vf_err *err)
{
	struct val *t = new_val(pm, V_TENSOR, err);

	if (!t)
		return NULL;
	t->u.tensor.storage = storage;
	t->u.tensor.dtype = dt;
	t->u.tensor.ndim = nd;
	t->u.tensor.numel = numel;
	if (nd && !(t->u.tensor.shape = pool_alloc(pm, nd * sizeof(uint64_t), err)))
		return NULL;
	if (nd)
		memcpy(t->u.tensor.shape, shape, nd * sizeof(uint64_t));
	return t;
}

/* _rebuild_tensor_v2/v3(storage, offset, size, stride, ...[, dtype]) */
static struct val *rebuild(struct tp_machine *pm, struct val **a, size_t n, bool v3,
			   struct vf_err *err)
{
	uint64_t shape[MAX_DIMS], stride[MAX_DIMS], numel = 1, extent = 0, elems;
	uint32_t nd, ns;
	int64_t off;
	struct tp_storage *s;
	enum vf_dtype dt;

	if (n < (v3 ? 7u : 6u) || a[0]->kind != V_STORAGE || !as_int(a[1], &off) || off < 0) {
		bad(pm, err,
		    "rebuilds a tensor from arguments that are not (storage, offset, ...)");
		return NULL;
	}
	if (!int_tuple(a[2], shape, &nd) || !int_tuple(a[3], stride, &ns) || nd != ns) {
		bad(pm, err, "rebuilds a tensor whose size or stride is not a tuple of counts");
		return NULL;
	}
	s = &pm->storages[a[0]->u.storage];
	dt = s->dtype;
	if (v3) {
		if (a[6]->kind != V_GLOBAL || a[6]->u.glob.g != G_DTYPE) {
			bad(pm, err, "rebuilds a tensor without a dtype");
			return NULL;
		}
		if (s->untyped && s->dtype == VF_DT_UNKNOWN)
			s->dtype = a[6]->u.glob.dtype;
		dt = a[6]->u.glob.dtype;
		if (dt != s->dtype) {
			bad(pm, err, "views one storage with two dtypes");
			return NULL;
		}
	}
	if (dt == VF_DT_UNKNOWN || !elem_size(dt)) {
		bad(pm, err, "rebuilds a tensor of unknown dtype");
		return NULL;
	}
	elems = s->nbytes / elem_size(dt);
	if (s->nbytes % elem_size(dt)) {
		bad(pm, err, "has a storage that is not a whole number of elements");
		return NULL;
	}
	for (uint32_t i = 0; i < nd; i++) {
		uint64_t span;
		if (!vf_mul_ok(numel, shape[i], &numel)) {
			bad(pm, err, "has a tensor whose element count overflows 64 bits");
			return NULL;
		}
		if (shape[i] && (!vf_mul_ok(shape[i] - 1, stride[i], &span) ||
				 !vf_add_ok(extent, span, &extent))) {
			bad(pm, err, "has a tensor whose strides overflow 64 bits");
			return NULL;
		}
	}
	/* The view [offset, offset + extent] must lie inside the storage. */
	if (numel && ((uint64_t)off >= elems || extent >= elems - (uint64_t)off)) {
		vf_fail(err, VF_EFORMAT, pm->path,
			"a tensor views elements past the end of storage \"%s\" (%llu elements)",
			s->key, (unsigned long long)elems);
		return NULL;
	}
	return new_tensor(pm, (long)a[0]->u.storage, dt, shape, nd, numel, err);
}

static struct val *meta_tensor(struct tp_machine *pm, struct val **a, size_t n, struct vf_err *err)
{
	uint64_t shape[MAX_DIMS], numel = 1;
	uint32_t nd;

	if (n < 2 || a[0]->kind != V_GLOBAL || a[0]->u.glob.g != G_DTYPE ||
	    !int_tuple(a[1], shape, &nd)) {
		bad(pm, err, "rebuilds a meta tensor from bad arguments");
		return NULL;
	}
	for (uint32_t i = 0; i < nd; i++)
		if (!vf_mul_ok(numel, shape[i], &numel)) {
			bad(pm, err, "has a tensor whose element count overflows 64 bits");
			return NULL;
		}
	return new_tensor(pm, -1, a[0]->u.glob.dtype, shape, nd, numel, err);
}

static struct val *call(struct tp_machine *pm, struct val *fn, struct val *args, struct vf_err *err)
{
	struct val **a;
	size_t n;

	if (fn->kind != V_GLOBAL || (args->kind != V_TUPLE && args->kind != V_LIST)) {
		bad(pm, err, "calls something that is not an allowed function");
		return NULL;
	}
	a = args->u.seq.v;
	n = args->u.seq.n;
	switch (fn->u.glob.g) {
	case G_ORDERED_DICT:
		return new_val(pm, V_DICT, err);
	case G_REBUILD_V2:
	case G_REBUILD_V3:
		return rebuild(pm, a, n, fn->u.glob.g == G_REBUILD_V3, err);
	case G_REBUILD_PARAM:
	case G_REBUILD_PARAM_STATE:
		if (n >= 1 && a[0]->kind == V_TENSOR)
			return a[0];
		break;
	case G_REBUILD_META:
		return meta_tensor(pm, a, n, err);
	case G_REBUILD_FROM_TYPE:
		/* (func, new_type, args, state): the tensor is func(*args).  torch
		 * never nests it, and args may contain itself (a list appended to
		 * itself through the memo), so a nested one would recurse without
		 * end: refuse it, which bounds the recursion at one level. */
		if (n >= 3 && !(a[0]->kind == V_GLOBAL && a[0]->u.glob.g == G_REBUILD_FROM_TYPE))
			return call(pm, a[0], a[2], err);
		break;
	case G_SIZE:
		if (n == 1 && (a[0]->kind == V_TUPLE || a[0]->kind == V_LIST))
			return a[0];
		break;
	case G_DEVICE:
		return new_val(pm, V_OPAQUE, err);
	case G_CODECS_ENCODE:
		if (n >= 1 && a[0]->kind == V_STR) {
			struct val *b = new_val(pm, V_BYTES, err);
			if (b)
				b->u.str = a[0]->u.str;
			return b;
		}
		break;
	case G_TENSOR_TYPE:
	case G_STORAGE_CLASS:
	case G_DTYPE:
		break;
	}
	vf_fail(err, VF_EFORMAT, pm->path,
		"pickle calls '%s' with arguments it never takes (at byte %llu)", fn->u.glob.name,
		(unsigned long long)pm->op_at);
	return NULL;
}

/* ('storage', type, key, location, numel[, view_metadata]) */
static struct val *persistent(struct tp_machine *pm, struct val *pid, struct vf_err *err)
{
	struct val **a, *v;
	struct tp_storage *s;
	int64_t numel;
	uint32_t idx;
	unsigned es;
	int r;

	if (pid->kind != V_TUPLE || pid->u.seq.n < 5 || pid->u.seq.v[0]->kind != V_STR ||
	    strcmp(pid->u.seq.v[0]->u.str.s, "storage") != 0) {
		bad(pm, err, "has a persistent id that is not a storage");
		return NULL;
	}
	a = pid->u.seq.v;
	if (a[1]->kind != V_GLOBAL || a[1]->u.glob.g != G_STORAGE_CLASS || a[2]->kind != V_STR ||
	    !as_int(a[4], &numel) || numel < 0) {
		bad(pm, err, "has a storage id without a storage class, key and size");
		return NULL;
	}
	if (!(v = new_val(pm, V_STORAGE, err)))
		return NULL;
	r = vf_strmap_put(&pm->storage_keys, a[2]->u.str.s, (uint32_t)pm->nstorages, &idx);
	if (r < 0) {
		vf_fail(err, VF_ENOMEM, pm->path, "out of memory");
		return NULL;
	}
	if (r == 0) { /* a storage seen before: tied weights, views */
		s = &pm->storages[idx];
		if (s->numel != (uint64_t)numel ||
		    (!a[1]->u.glob.untyped && s->dtype != a[1]->u.glob.dtype)) {
			vf_fail(err, VF_EFORMAT, pm->path, "storage \"%s\" is described two ways",
				s->key);
			return NULL;
		}
		v->u.storage = idx;
		return v;
	}
	if (pm->nstorages == pm->storages_cap) {
		size_t nc = pm->storages_cap ? pm->storages_cap * 2 : 64;
		struct tp_storage *ns = vf_realloc(pm->storages, nc * sizeof(*ns));
		if (!ns) {
			vf_fail(err, VF_ENOMEM, pm->path, "out of memory");
			return NULL;
		}
		pm->storages = ns;
		pm->storages_cap = nc;
	}
	s = &pm->storages[pm->nstorages];
	memset(s, 0, sizeof(*s));
	s->key = a[2]->u.str.s;
	s->dtype = a[1]->u.glob.dtype;
	s->untyped = a[1]->u.glob.untyped;
	s->numel = (uint64_t)numel;
	es = s->untyped ? 1 : elem_size(s->dtype);
	if (!vf_mul_ok(s->numel, es, &s->nbytes)) {
		vf_fail(err, VF_EFORMAT, pm->path, "storage \"%s\" claims %llu elements: too many",
			s->key, (unsigned long long)s->numel);
		return NULL;
	}
	v->u.storage = pm->nstorages++;
	return v;
}

/* ---- the opcode loop ---- */

static enum vf_status read_len_str(struct tp_machine *pm, struct vf_stream *s, uint64_t len,
				   enum kind k, struct vf_err *err)
{
	struct val *v;
	char *p;

	if (len > vf_stream_left(s))
		return bad(pm, err, "has a string longer than the rest of the file");
	if (!(v = new_val(pm, k, err)) || !(p = pool_alloc(pm, (size_t)len + 1, err)))
		return err->status;
	if (vf_stream_read(s, p, (size_t)len, err))
		return err->status;
	p[len] = '\0';
	if (k == V_STR && memchr(p, '\0', (size_t)len))
		return bad(pm, err, "has a string with a NUL character");
	v->u.str.s = p;
	v->u.str.len = (size_t)len;
	return push(pm, v, err);
}

static enum vf_status read_line(struct tp_machine *pm, struct vf_stream *s, char *buf, size_t cap,
				struct vf_err *err)
{
	for (size_t i = 0; i < cap; i++) {
		if (vf_stream_read(s, buf + i, 1, err))
			return err->status;
		if (buf[i] == '\n') {
			buf[i] = '\0';
			return VF_OK;
		}
	}
	return bad(pm, err, "has a GLOBAL name longer than 255 bytes");
}

static enum vf_status memo_put(struct tp_machine *pm, uint64_t idx, struct vf_stream *s,
			       struct vf_err *err)
{
	struct val *v = top(pm, err);

	if (!v)
		return err->status;
	/* A pickler numbers memo entries from 0, one per PUT, so an honest index
	 * is below the input size. */
	if (idx > s->size)
		return bad(pm, err, "has a memo index past any possible one");
	if (!grow(pm, (void **)&pm->memo, &pm->memo_cap, (size_t)idx + 1, sizeof(*pm->memo), err))
		return err->status;
	if (!pm->memo[idx])
		pm->memo_len++;
	pm->memo[idx] = v;
	return VF_OK;
}

static enum vf_status memo_get(struct tp_machine *pm, uint64_t idx, struct vf_err *err)
{
	if (idx >= pm->memo_cap || !pm->memo[idx])
		return bad(pm, err, "reads a memo entry that was never written");
	return push(pm, pm->memo[idx], err);
}

static enum vf_status set_items(struct tp_machine *pm, struct val *d, struct val **items, size_t n,
				struct vf_err *err)
{
	if (d->kind != V_DICT)
		return bad(pm, err, "sets items on something that is not a dict");
	if (n % 2)
		return bad(pm, err, "sets a key without a value");
	for (size_t i = 0; i < n; i++)
		if (seq_add(pm, d, items[i], err))
			return err->status;
	return VF_OK;
}

static enum vf_status step(struct tp_machine *pm, struct vf_stream *s, uint8_t op, bool *stop,
			   struct vf_err *err)
{
	uint8_t b1;
	uint16_t b2;
	uint32_t b4;
	uint64_t b8;
	struct val *v, *w, *x;
	char mod[256], name[256];

	switch (op) {
	case 0x80: /* PROTO */
		if (vf_stream_u8(s, &b1, err))
			return err->status;
		if (b1 < 2 || b1 > 5)
			return bad(pm, err, "uses a protocol other than 2 to 5");
		return VF_OK;
	case 0x95: /* FRAME: a length hint only */
		return vf_stream_u64(s, &b8, err);
	case '.': /* STOP */
		*stop = true;
		return VF_OK;
	case '(': /* MARK */
		if (!grow(pm, (void **)&pm->marks, &pm->marks_cap, pm->nmarks + 1,
			  sizeof(*pm->marks), err))
			return err->status;
		pm->marks[pm->nmarks++] = pm->sp;
		return VF_OK;
	case ')':
		return push(pm, new_val(pm, V_TUPLE, err), err);
	case 't':
		return push(pm, pop_mark(pm, V_TUPLE, err), err);
	case 0x85:
	case 0x86:
	case 0x87: { /* TUPLE1..3 */
		struct val *items[3];
		size_t n = (size_t)(op - 0x84);
		for (size_t i = n; i-- > 0;)
			if (!(items[i] = pop(pm, err)))
				return err->status;
		if (!(v = new_val(pm, V_TUPLE, err)))
			return err->status;
		for (size_t i = 0; i < n; i++)
			if (seq_add(pm, v, items[i], err))
				return err->status;
		return push(pm, v, err);
	}
	case ']':
		return push(pm, new_val(pm, V_LIST, err), err);
	case 'l':
		return push(pm, pop_mark(pm, V_LIST, err), err);
	case '}':
		return push(pm, new_val(pm, V_DICT, err), err);
	case 'd':
		if (!(w = pop_mark(pm, V_TUPLE, err)) || !(v = new_val(pm, V_DICT, err)))
			return err->status;
		if (set_items(pm, v, w->u.seq.v, w->u.seq.n, err))
			return err->status;
		return push(pm, v, err);
	case 0x8f: /* EMPTY_SET */
		return push(pm, new_val(pm, V_SET, err), err);
	case 0x91: /* FROZENSET */
		return push(pm, pop_mark(pm, V_SET, err), err);
	case 'a': /* APPEND */
		if (!(x = pop(pm, err)) || !(v = top(pm, err)))
			return err->status;
		if (v->kind != V_LIST)
			return bad(pm, err, "appends to something that is not a list");
		return seq_add(pm, v, x, err);
	case 'e':    /* APPENDS */
	case 0x90: { /* ADDITEMS */
		if (!(w = pop_mark(pm, V_TUPLE, err)) || !(v = top(pm, err)))
			return err->status;
		if (v->kind != (op == 'e' ? V_LIST : V_SET))
			return bad(pm, err, "adds items to something of the wrong kind");
		for (size_t i = 0; i < w->u.seq.n; i++)
			if (seq_add(pm, v, w->u.seq.v[i], err))
				return err->status;
		return VF_OK;
	}
	case 's': { /* SETITEM */
		struct val *kv[2];
		if (!(kv[1] = pop(pm, err)) || !(kv[0] = pop(pm, err)) || !(v = top(pm, err)))
			return err->status;
		return set_items(pm, v, kv, 2, err);
	}
	case 'u': /* SETITEMS */
		if (!(w = pop_mark(pm, V_TUPLE, err)) || !(v = top(pm, err)))
			return err->status;
		return set_items(pm, v, w->u.seq.v, w->u.seq.n, err);
	case 'N':
		return push(pm, new_val(pm, V_NONE, err), err);
	case 0x88:
	case 0x89:
		if (!(v = new_val(pm, V_BOOL, err)))
			return err->status;
		v->u.i = op == 0x88;
		return push(pm, v, err);
	case 'J':
		if (vf_stream_u32(s, &b4, err) || !(v = new_val(pm, V_INT, err)))
			return err->status;
		v->u.i = (int32_t)b4;
		return push(pm, v, err);
	case 'K':
		if (vf_stream_u8(s, &b1, err) || !(v = new_val(pm, V_INT, err)))
			return err->status;
		v->u.i = b1;
		return push(pm, v, err);
	case 'M':
		if (vf_stream_u16(s, &b2, err) || !(v = new_val(pm, V_INT, err)))
			return err->status;
		v->u.i = b2;
		return push(pm, v, err);
	case 0x8a: { /* LONG1: little-endian two's complement */
		unsigned char bytes[255];
		if (vf_stream_u8(s, &b1, err) || vf_stream_read(s, bytes, b1, err))
			return err->status;
		if (b1 > 8) { /* only the legacy magic number is this long */
			if (!(v = new_val(pm, V_BIGINT, err)) ||
			    !(v->u.str.s = pool_alloc(pm, b1, err)))
				return err->status;
			memcpy(v->u.str.s, bytes, b1);
			v->u.str.len = b1;
			return push(pm, v, err);
		}
		if (!(v = new_val(pm, V_INT, err)))
			return err->status;
		b8 = 0;
		for (int i = b1 - 1; i >= 0; i--)
			b8 = (b8 << 8) | bytes[i];
		if (b1 && b1 < 8 && (bytes[b1 - 1] & 0x80))
			b8 |= ~(uint64_t)0 << (8 * b1); /* sign-extend */
		v->u.i = (int64_t)b8;
		return push(pm, v, err);
	}
	case 'G': { /* BINFLOAT: big-endian double */
		unsigned char bytes[8];
		double d;
		if (vf_stream_read(s, bytes, 8, err) || !(v = new_val(pm, V_FLOAT, err)))
			return err->status;
		b8 = 0;
		for (int i = 0; i < 8; i++)
			b8 = (b8 << 8) | bytes[i];
		memcpy(&d, &b8, sizeof(d));
		v->u.f = d;
		return push(pm, v, err);
	}
	case 'X':
	case 'T':
	case 'B':
		if (vf_stream_u32(s, &b4, err))
			return err->status;
		return read_len_str(pm, s, b4, op == 'B' ? V_BYTES : V_STR, err);
	case 0x8c:
	case 'U':
	case 'C':
		if (vf_stream_u8(s, &b1, err))
			return err->status;
		return read_len_str(pm, s, b1, op == 'C' ? V_BYTES : V_STR, err);
	case 0x8d:
	case 0x8e:
		if (vf_stream_u64(s, &b8, err))
			return err->status;
		return read_len_str(pm, s, b8, op == 0x8e ? V_BYTES : V_STR, err);
	case 'c': /* GLOBAL module\nname\n */
		if (read_line(pm, s, mod, sizeof(mod), err) ||
		    read_line(pm, s, name, sizeof(name), err))
			return err->status;
		return do_global(pm, mod, name, err);
	case 0x93: /* STACK_GLOBAL */
		if (!(w = pop(pm, err)) || !(v = pop(pm, err)))
			return err->status;
		if (v->kind != V_STR || w->kind != V_STR)
			return bad(pm, err, "has a STACK_GLOBAL without two names");
		return do_global(pm, v->u.str.s, w->u.str.s, err);
	case 'R': /* REDUCE */
		if (!(w = pop(pm, err)) || !(v = pop(pm, err)))
			return err->status;
		return push(pm, call(pm, v, w, err), err);
	case 0x81: /* NEWOBJ: only OrderedDict */
		if (!(w = pop(pm, err)) || !(v = pop(pm, err)))
			return err->status;
		if (v->kind != V_GLOBAL || v->u.glob.g != G_ORDERED_DICT)
			return bad(pm, err, "creates an object that is not an OrderedDict");
		return push(pm, new_val(pm, V_DICT, err), err);
	case 'b': /* BUILD: state such as _metadata is not needed */
		if (!pop(pm, err) || !top(pm, err))
			return err->status;
		return VF_OK;
	case 'Q': /* BINPERSID */
		if (!(v = pop(pm, err)))
			return err->status;
		return push(pm, persistent(pm, v, err), err);
	case 'h':
		if (vf_stream_u8(s, &b1, err))
			return err->status;
		return memo_get(pm, b1, err);
	case 'j':
		if (vf_stream_u32(s, &b4, err))
			return err->status;
		return memo_get(pm, b4, err);
	case 'q':
		if (vf_stream_u8(s, &b1, err))
			return err->status;
		return memo_put(pm, b1, s, err);
	case 'r':
		if (vf_stream_u32(s, &b4, err))
			return err->status;
		return memo_put(pm, b4, s, err);
	case 0x94: /* MEMOIZE: memo[len(memo)] = top, as pickle.py does.  Not the
		    * capacity, which grows by doubling and would skip indices (so
		    * every protocol 4 pickle failed). */
		return memo_put(pm, pm->memo_len, s, err);
	case '0':
		return pop(pm, err) ? VF_OK : err->status;
	case '1':
		if (!pm->nmarks)
			return bad(pm, err, "has POP_MARK without a MARK");
		pm->sp = pm->marks[--pm->nmarks];
		return VF_OK;
	case '2':
		if (!(v = top(pm, err)))
			return err->status;
		return push(pm, v, err);
	default:
		break;
	}
	return vf_fail(err, VF_EFORMAT, pm->path,
		       "pickle uses opcode 0x%02x, which a checkpoint never needs (at byte %llu)",
		       op, (unsigned long long)pm->op_at);
}

enum vf_status tp_load(struct tp_machine *pm, struct vf_stream *s, void **result,
		       struct vf_err *err)
{
	bool stop = false;
	uint8_t op;

	*result = NULL;
	pm->sp = pm->nmarks = 0;
	pm->memo = NULL; /* each pickle has its own memo */
	pm->memo_cap = 0;
	pm->memo_len = 0;
	while (!stop) {
		pm->op_at = s->pos;
		if (vf_stream_u8(s, &op, err) || step(pm, s, op, &stop, err))
			return err->status;
	}
	if (pm->sp != 1 || pm->nmarks)
		return bad(pm, err, "stops with other than one value on its stack");
	*result = pm->stack[0];
	return VF_OK;
}

/* ---- reading results ---- */

bool tp_is_int(const void *p, int64_t *out)
{
	return as_int(p, out);
}

bool tp_is_magic(const void *p)
{
	static const unsigned char magic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9,
					      0x20, 0x6a, 0xa8, 0x50, 0x19};
	const struct val *v = p;

	return v->kind == V_BIGINT && v->u.str.len == sizeof(magic) &&
	       memcmp(v->u.str.s, magic, sizeof(magic)) == 0;
}

const char *tp_list_str(const void *p, size_t i, size_t *n)
{
	const struct val *v = p;

	if (v->kind != V_LIST && v->kind != V_TUPLE) {
		*n = 0;
		return NULL;
	}
	*n = v->u.seq.n;
	if (i >= v->u.seq.n || v->u.seq.v[i]->kind != V_STR)
		return NULL;
	return v->u.seq.v[i]->u.str.s;
}

struct walk {
	struct tp_machine *pm;
	struct vf_model *m;
	uint32_t file;
	char name[MAX_NAME];
};

static enum vf_status add_tensor(struct walk *w, const struct val *t, struct vf_err *err)
{
	struct vf_tensor vt = {0};
	unsigned es = elem_size(t->u.tensor.dtype);

	vt.name = w->name;
	vt.shape = t->u.tensor.shape;
	vt.ndim = t->u.tensor.ndim;
	vt.dtype = t->u.tensor.dtype;
	vt.file = w->file;
	vt.numel = t->u.tensor.numel;
	if (!vf_mul_ok(vt.numel, es, &vt.nbytes))
		return vf_fail(err, VF_EFORMAT, w->pm->path, "tensor \"%s\" is too large", w->name);
	if (t->u.tensor.storage < 0) {
		vt.count_params = vt.numel; /* a meta tensor: no bytes in the file */
	} else {
		struct tp_storage *s = &w->pm->storages[t->u.tensor.storage];
		vt.offset = s->data_offset;
		if (!s->counted) {
			/* the storage counts once, on its first tensor */
			vt.count_bytes = s->nbytes;
			vt.count_params = s->nbytes / es;
			s->counted = true;
		}
	}
	return vf_model_add_tensor(w->m, &vt, w->pm->path, err);
}

static enum vf_status walk(struct walk *w, struct val *v, size_t len, int depth, struct vf_err *err)
{
	bool dict = v->kind == V_DICT;
	size_t step = dict ? 2 : 1;

	if (v->kind == V_TENSOR)
		return add_tensor(w, v, err);
	if (v->kind != V_DICT && v->kind != V_LIST && v->kind != V_TUPLE)
		return VF_OK;
	if (v->visited)
		return VF_OK;
	v->visited = true;
	if (depth > 64)
		return vf_fail(err, VF_EFORMAT, w->pm->path,
			       "checkpoint nests deeper than 64 levels");
	for (size_t i = 0; i < v->u.seq.n; i += step) {
		struct val *child = dict ? v->u.seq.v[i + 1] : v->u.seq.v[i];
		char part[40];
		const char *key = part;
		size_t klen, nlen;
		if (dict) {
			struct val *k = v->u.seq.v[i];
			if (k->kind == V_STR)
				key = k->u.str.s;
			else if (k->kind == V_INT)
				snprintf(part, sizeof(part), "%lld", (long long)k->u.i);
			else
				continue; /* keys such as tuples name no tensor */
		} else {
			snprintf(part, sizeof(part), "%zu", i);
		}
		klen = strlen(key);
		nlen = len + (len ? 1 : 0) + klen;
		if (nlen >= MAX_NAME)
			return vf_fail(err, VF_EFORMAT, w->pm->path,
				       "a key path is longer than %d bytes", MAX_NAME);
		if (len)
			w->name[len] = '.';
		memcpy(w->name + len + (len ? 1 : 0), key, klen + 1);
		if (walk(w, child, nlen, depth + 1, err))
			return err->status;
		w->name[len] = '\0';
	}
	return VF_OK;
}

enum vf_status tp_add_tensors(struct tp_machine *pm, void *result, const char *key,
			      struct vf_model *m, uint32_t file, struct vf_err *err)
{
	struct walk *w = vf_malloc(sizeof(*w));
	struct val *root = result;
	enum vf_status st;

	if (!w)
		return vf_fail(err, VF_ENOMEM, pm->path, "out of memory");
	w->pm = pm;
	w->m = m;
	w->file = file;
	w->name[0] = '\0';
	if (key) {
		struct val *found = NULL;
		char keys[200] = "";
		if (root->kind == V_DICT) {
			for (size_t i = 0; i + 1 < root->u.seq.n; i += 2) {
				struct val *k = root->u.seq.v[i];
				if (k->kind != V_STR)
					continue;
				if (strcmp(k->u.str.s, key) == 0)
					found = root->u.seq.v[i + 1];
				if (strlen(keys) + strlen(k->u.str.s) + 3 < sizeof(keys))
					strcat(strcat(keys, keys[0] ? ", " : ""), k->u.str.s);
			}
		}
		if (!found) {
			vf_free(w);
			return vf_fail(err, VF_EFORMAT, pm->path,
				       "no key \"%s\" at the top of the checkpoint (keys: %s)", key,
				       keys[0] ? keys : "none");
		}
		root = found;
	}
	st = walk(w, root, 0, 0, err);
	vf_free(w);
	return st;
}
