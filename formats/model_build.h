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

/* Room for n tensors in all (an index tells how many are coming). */
enum vf_status vf_model_reserve(struct vf_model *m, size_t n, struct vf_err *err);

/* Adds a file name; its index is returned through idx. */
enum vf_status vf_model_add_file(struct vf_model *m, const char *file, uint32_t *idx,
				 struct vf_err *err);

/*
 * Adds a tensor; t->name and t->shape are copied.  A repeated name fails with
 * VF_EFORMAT naming path.
 */
enum vf_status vf_model_add_tensor(struct vf_model *m, const struct vf_tensor *t, const char *path,
				   struct vf_err *err);
/* The same with hash = vf_strmap_hash(t->name) computed beforehand, and a
 * prefetch for a tensor coming soon (common/strmap.h says why). */
enum vf_status vf_model_add_tensor_h(struct vf_model *m, const struct vf_tensor *t, uint64_t hash,
				     const char *path, struct vf_err *err);
void vf_model_prefetch(const struct vf_model *m, uint64_t hash);

enum vf_status vf_model_warn(struct vf_model *m, struct vf_err *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum vf_status vf_model_add_meta(struct vf_model *m, const char *key, const char *val,
				 struct vf_err *err);

/* ---- readers (one file per format) ---- */

/* Appends the tensors of one .safetensors file. */
enum vf_status vf_safetensors_read_file(struct vf_model *m, const char *path, struct vf_err *err);
/*
 * index.c: how a format reads one shard.  parse (NULL: none) reads and checks
 * a shard without touching the model or any shared state, so index.c may run
 * it for several shards at once on worker threads; commit adds the result (or
 * does all the work when there is no parse) on the calling thread, in shard
 * order, and owns what parse returned; drop frees a result never committed.
 */
struct vf_arena;
struct vf_shard_ops {
	/* scratch: memory that lives until every shard is committed (one arena
	 * per thread, so no locking; freed in one sweep) */
	enum vf_status (*parse)(const char *path, void *ctx, struct vf_arena *scratch,
				void **parsed, struct vf_err *err);
	enum vf_status (*commit)(struct vf_model *m, const char *path, void *ctx, void *parsed,
				 struct vf_err *err);
	void (*drop)(void *parsed);
};
/* Reads an index (safetensors or PyTorch layout) and every shard it names;
 * checks that index and shards agree. */
enum vf_status vf_index_read(struct vf_model *m, const char *index_path,
			     const struct vf_shard_ops *ops, void *ctx, struct vf_err *err);
/* shards.c: reads the named files of dir in name order, each once; named_by
 * (or NULL) names the index for the message when one is missing. */
enum vf_status vf_read_shards(struct vf_model *m, const char *dir, char **names, size_t n,
			      const char *named_by, const struct vf_shard_ops *ops, void *ctx,
			      struct vf_err *err);
/*
 * The same in steps, for shards learned one by one (an index): start (expect:
 * how many will come, 0 when unknown), add each name as it is found (it is
 * parsed on a worker thread at once), then finish (commits in name order and
 * frees) or abort (frees).  dir and named_by must outlive the reading.
 */
struct vf_shards;
struct vf_shards *vf_shards_start(const char *dir, const char *named_by,
				  const struct vf_shard_ops *ops, void *ctx, size_t expect);
int vf_shards_add(struct vf_shards *sh, const char *name);
enum vf_status vf_shards_finish(struct vf_shards *sh, struct vf_model *m, struct vf_err *err);
void vf_shards_abort(struct vf_shards *sh);

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

/* ---- source.c: where a PATH's files come from ---- */

#define VF_ARCHIVE_MAX_MEMBERS 65536u /* members (and implied folders) of an archive */
/* Of a member of a compressed archive, at most this much is read: the
 * largest header a reader accepts (a safetensors header and its length). */
#define VF_ARCHIVE_PREFIX_MAX (VF_SAFETENSORS_MAX_HEADER + 8)
#define VF_ARCHIVE_GGUF_PREFIX (64ull << 20) /* GGUF metadata and tensor infos */
#define VF_ARCHIVE_SNIFF 4096ull	     /* other files: enough to recognise them */
#define VF_ARCHIVE_KEEP_MAX (1ull << 30)     /* kept for all compressed members */

struct vf_archive;

/* What vf_model_open_opts() opens: path (a local path, a snapshot folder of
 * the HF cache, or a folder or file inside a mounted archive). */
struct vf_source {
	const char *path;
	char *owned;		/* path, when it was made here */
	struct vf_archive *arc; /* mounted until vf_source_close() */
	struct vf_hub *hub;	/* a repo read from the hub, mounted likewise */
};

/*
 * Resolves PATH (source.c explains the rules): a local path is used as it
 * is; an archive (.tar, .tar.gz, .tgz, .zip, .nemo) is listed and mounted
 * (common/file.h) and src->path names the folder in it that holds the model;
 * ORG/NAME with no such local path is looked up in the Hugging Face cache at
 * o->revision (main when NULL).  vf_source_close() unmounts and frees (also
 * after a failure).
 */
enum vf_status vf_source_open(struct vf_source *src, const char *path, const struct vf_open_opts *o,
			      struct vf_err *err);
void vf_source_close(struct vf_source *src);

/* The HF hub cache folder (HF_HUB_CACHE, HF_HOME/hub, ~/.cache/huggingface/hub). */
enum vf_status vf_hf_cache_dir(char **out, struct vf_err *err);
/* ORG/NAME as huggingface_hub validates repo ids. */
bool vf_hf_is_repo_id(const char *s);
/* The snapshot folder of id at revision (NULL: main), checked for broken links. */
enum vf_status vf_hf_resolve(const char *id, const char *revision, char **snapshot,
			     struct vf_err *err);

#endif
