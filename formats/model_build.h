/*
 * model_build.h - what readers use to fill a struct vf_model (private to
 * formats/).  Strings and shapes are copied into an arena owned by the model;
 * tensor names are unique across the whole model (a second tensor with the same
 * name is a format error).
 */
#ifndef VF_MODEL_BUILD_H
#define VF_MODEL_BUILD_H

#include "formats/formats.h"

struct vf_model *vf_model_new(const char *path);

/* Copies s into the model's arena; NULL when out of memory. */
char *vf_model_strdup(struct vf_model *m, const char *s);
void *vf_model_alloc(struct vf_model *m, size_t n);

/* Adds a file name; its index is returned through idx. */
enum vf_status vf_model_add_file(struct vf_model *m, const char *file, uint32_t *idx,
				 struct vf_err *err);

/*
 * Adds a tensor; t->name and t->shape are copied.  A repeated name fails with
 * VF_EFORMAT naming path.
 */
enum vf_status vf_model_add_tensor(struct vf_model *m, const struct vf_tensor *t, const char *path,
				   struct vf_err *err);

enum vf_status vf_model_warn(struct vf_model *m, struct vf_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum vf_status vf_model_add_meta(struct vf_model *m, const char *key, const char *val,
				 struct vf_err *err);

/* ---- readers (one file per format) ---- */

/* Appends the tensors of one .safetensors file. */
enum vf_status vf_safetensors_read_file(struct vf_model *m, const char *path, struct vf_err *err);
/* index.c: reads one shard into the model. */
typedef enum vf_status vf_shard_reader(struct vf_model *m, const char *path, void *ctx,
				       struct vf_err *err);
/* Reads an index (safetensors or PyTorch layout) and every shard it names with
 * read; checks that index and shards agree. */
enum vf_status vf_index_read(struct vf_model *m, const char *index_path, vf_shard_reader *read,
			     void *ctx, struct vf_err *err);
/* Reads the named files of dir in name order, each once; named_by (or NULL)
 * names the index for the message when one is missing. */
enum vf_status vf_read_shards(struct vf_model *m, const char *dir, char **names, size_t n,
			      const char *named_by, vf_shard_reader *read, void *ctx,
			      struct vf_err *err);

/* Reads a model.safetensors.index.json and every shard it names. */
enum vf_status vf_safetensors_read_index(struct vf_model *m, const char *index_path,
					 struct vf_err *err);
/* Reads every *.safetensors file of a directory, in name order; *found tells
 * whether there was any (none is not an error here). */
enum vf_status vf_safetensors_read_dir(struct vf_model *m, const char *dir, bool *found,
				       struct vf_err *err);

#define VF_SAFETENSORS_MAX_HEADER 100000000ULL /* the reference reader's limit */

/* fmt_gguf.c: one GGUF file; its metadata also fills m->arch when no
 * config.json did. */
enum vf_status vf_gguf_read_file(struct vf_model *m, const char *path, struct vf_err *err);

/* fmt_torch_zip.c / fmt_torch_legacy.c: one PyTorch checkpoint.  key, when not
 * NULL, narrows a training checkpoint to one sub-dict ("model"). */
enum vf_status vf_torch_zip_read_file(struct vf_model *m, const char *path, const char *key,
				      struct vf_err *err);
enum vf_status vf_torch_legacy_read_file(struct vf_model *m, const char *path, const char *key,
					 struct vf_err *err);
/* A pytorch_model.bin.index.json and every shard it names. */
enum vf_status vf_torch_read_index(struct vf_model *m, const char *index_path, const char *key,
				   struct vf_err *err);

#endif
