/*
 * torch_pickle.h - a pickle interpreter that understands exactly what a
 * PyTorch checkpoint needs and refuses everything else (private to formats/).
 *
 * Nothing is ever executed.  GLOBAL resolves only names on a fixed allow-list
 * (collections.OrderedDict, torch's _rebuild_* functions, storage classes,
 * dtypes, torch.Size, torch.device, _codecs.encode), modelled on torch's own
 * weights_only unpickler; any other global -- os.system, builtins.eval, a
 * model class -- is an error naming it.  REDUCE "calls" only allow-listed
 * callables, and only by building a description of the result (a tensor is a
 * dtype, shape, stride, offset and storage reference).  Every value lives in
 * one budgeted pool freed at once, so a hostile pickle cannot make vramfit
 * allocate more than a fixed multiple of its own size.
 */
#ifndef VF_TORCH_PICKLE_H
#define VF_TORCH_PICKLE_H

#include "common/stream.h"
#include "formats/model_build.h"

struct tp_machine;

/* A storage named by a persistent id: ('storage', type, key, location, numel[, view]). */
struct tp_storage {
	const char *key;
	enum vf_dtype dtype;  /* VF_DT_UNKNOWN for an UntypedStorage until a tensor says */
	bool untyped;	      /* numel counts bytes */
	uint64_t numel;	      /* as the persistent id says */
	uint64_t nbytes;      /* known once the dtype is known */
	bool counted;	      /* its bytes were already added to a tensor's count_bytes */
	uint64_t data_offset; /* where its bytes start in the file, 0 if unknown */
};

struct tp_machine *tp_new(const char *path, size_t budget);
void tp_free(struct tp_machine *pm);

/*
 * Runs one pickle from s up to its STOP.  The result stays owned by the
 * machine; storages persist across calls (a legacy file holds five pickles).
 */
enum vf_status tp_load(struct tp_machine *pm, struct vf_stream *s, void **result,
		       struct vf_err *err);

/* Storages seen so far, in first-seen order. */
size_t tp_storage_count(const struct tp_machine *pm);
struct tp_storage *tp_storage_at(struct tp_machine *pm, size_t i);
/* The storage with this key, or NULL (a hash lookup). */
struct tp_storage *tp_storage_find(struct tp_machine *pm, const char *key);

/* For the legacy format's header pickles. */
bool tp_is_int(const void *v, int64_t *out);
bool tp_is_magic(const void *v); /* the LONG 0x1950a86a20f9469cfc6c */
/* A list of strings: its n-th element, or NULL. */
const char *tp_list_str(const void *v, size_t i, size_t *n);

/*
 * Adds every tensor reachable from result to the model, named by dotted key
 * paths ("model.fc.weight", "optimizer.state.0.exp_avg"), in pickle order.
 * key narrows to one top-level entry.  Storage sizes must already be final
 * (tp_storage.nbytes checked by the caller).
 */
enum vf_status tp_add_tensors(struct tp_machine *pm, void *result, const char *key,
			      struct vf_model *m, uint32_t file, struct vf_err *err);

#endif
