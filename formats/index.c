/*
 * index.c - sharded checkpoints: model.safetensors.index.json and
 * pytorch_model.bin.index.json share one layout,
 *   {"metadata": {"total_size": N}, "weight_map": {tensor name: shard file}}.
 *
 * Shards are read in name order (model-00001-of-00004 first), each once.  The
 * index and the shards must agree tensor by tensor: every tensor of a shard is
 * in the weight_map under that shard, and every weight_map entry is found.
 * Shard names must be plain file names in the index's directory, so an index
 * cannot point vramfit at /etc/passwd or ../elsewhere.  A total_size that
 * disagrees with the shards is a warning, not an error: writers differ in
 * what they count.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/file.h"
#include "common/jscan.h"
#include "common/mem.h"
#include "common/strmap.h"
#include "formats/model_build.h"

#define INDEX_MAX_BYTES 100000000u /* DeepSeek-V3's index is ~9 MB */

static bool safe_file_name(const char *s)
{
	return *s && strchr(s, '/') == NULL && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return vf_strdup(".");
	if (slash == path)
		return vf_strdup("/");
	return vf_strndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* ---- the index ---- */

struct index {
	char *text; /* names below point into it (decoded in place) */
	const char **name, **shard;
	size_t n, cap, shard_cap;
	struct vf_strmap files;	  /* shard names, each once */
	struct vf_shards *shards; /* reading them while the index is read */
	uint64_t total;
	bool has_total;
};

static bool index_oom(struct vf_err *err, const char *path)
{
	vf_fail(err, VF_ENOMEM, path, "out of memory");
	return false;
}

static bool read_weight_map(struct vf_jscan *s, struct index *x, const char *path,
			    struct vf_err *err)
{
	size_t i = 0, len;
	char *name, *file;
	int r;

	if (vf_jscan_peek(s) != '{')
		return vf_jscan_wrong(s, "index has no \"weight_map\" object");
	vf_jscan_open(s, '{');
	while ((r = vf_jscan_key(s, &i, &name)) > 0) {
		int put;
		if (x->n == UINT32_MAX)
			return !vf_fail(err, VF_EFORMAT, path, "index has too many entries");
		if (!vf_grow(&x->name, &x->cap, x->n, sizeof(*x->name), 1024) ||
		    !vf_grow(&x->shard, &x->shard_cap, x->n, sizeof(*x->shard), 1024))
			return index_oom(err, path);
		if (vf_jscan_peek(s) != '"')
			return vf_jscan_wrong(s, "weight_map entry \"%s\" is not a plain file name",
					      name);
		if (!vf_jscan_string(s, &file, &len))
			return false;
		if (!safe_file_name(file))
			return !vf_fail(err, VF_EFORMAT, path,
					"weight_map entry \"%s\" is not a plain file name", name);
		/* each shard once: ~90k entries name ~160 files, mostly in runs */
		if (x->n && strcmp(file, x->shard[x->n - 1]) == 0) {
			file = (char *)x->shard[x->n - 1];
		} else if ((put = vf_strmap_put(&x->files, file, 0, NULL)) < 0) {
			return index_oom(err, path);
		} else if (put == 1 && vf_shards_add(x->shards, file) != 0) {
			return index_oom(err, path);
		}
		x->name[x->n] = name;
		x->shard[x->n++] = file;
	}
	return r == 0;
}

static bool read_metadata(struct vf_jscan *s, struct index *x)
{
	struct vf_strmap seen = {0};
	size_t i = 0;
	char *key;
	int r, u;
	bool ok = true;

	if (vf_jscan_peek(s) != '{')
		return vf_jscan_skip(s); /* not ours to judge */
	vf_jscan_open(s, '{');
	while (ok && (r = vf_jscan_key_once(s, &i, &key, &seen)) > 0) {
		if (strcmp(key, "total_size") == 0) {
			ok = (u = vf_jscan_uint(s, &x->total)) >= 0;
			x->has_total = u == 1;
		} else {
			ok = vf_jscan_skip(s);
		}
	}
	vf_strmap_free(&seen);
	return ok && r == 0;
}

static bool read_index(struct index *x, size_t len, const char *path, struct vf_err *err)
{
	struct vf_jscan s;
	struct vf_strmap seen = {0};
	size_t i = 0;
	char *key;
	int r;
	bool ok = true, wm = false;

	vf_jscan_init(&s, x->text, len, path, "index", err);
	if (vf_jscan_peek(&s) != '{')
		return vf_jscan_wrong(&s, "index has no \"weight_map\" object");
	vf_jscan_open(&s, '{');
	while (ok && (r = vf_jscan_key_once(&s, &i, &key, &seen)) > 0) {
		if (strcmp(key, "weight_map") == 0)
			ok = wm = read_weight_map(&s, x, path, err);
		else if (strcmp(key, "metadata") == 0)
			ok = read_metadata(&s, x);
		else
			ok = vf_jscan_skip(&s);
	}
	vf_strmap_free(&seen);
	if (!ok || r != 0 || !vf_jscan_end(&s))
		return false;
	if (!wm)
		return !vf_fail(err, VF_EFORMAT, path, "index has no \"weight_map\" object");
	/* an index of nothing loads nothing: say so rather than plan 0 bytes */
	return x->n > 0 || !vf_fail(err, VF_EFORMAT, path, "index has an empty \"weight_map\"");
}

/*
 * Index and shards must agree: every tensor of the shards has an entry that
 * names its shard, no entry is repeated, and every entry is found.  The
 * model's name table answers the look-ups, so the 92k names of DeepSeek-V3
 * are not hashed into a table of the index's own.  Messages come in the
 * order of the shards' tensors first: the shards are the truth.
 */
static enum vf_status check_shards(struct vf_model *m, const struct index *x, size_t first,
				   const char *index_path, struct vf_err *err)
{
	size_t n = m->ntensors - first; /* the shards' tensors come last */
	size_t missing = SIZE_MAX, repeated = SIZE_MAX;
	uint64_t total = 0;
	uint32_t *entry = vf_calloc(n + 1, sizeof(*entry)); /* k + 1, or 0 */
	uint32_t *at = vf_malloc((x->n + 1) * sizeof(*at));
	enum vf_status st = VF_OK;

	if (!entry || !at) {
		vf_free(entry);
		vf_free(at);
		return vf_fail(err, VF_ENOMEM, index_path, "out of memory");
	}
	vf_model_find_many(m, x->name, x->n, at);
	for (size_t k = 0; k < x->n; k++) {
		long i = at[k] == UINT32_MAX ? -1 : (long)at[k];
		if (i < (long)first)
			missing = missing < k ? missing : k;
		else if (entry[(size_t)i - first])
			repeated = repeated < k ? repeated : k;
		else
			entry[(size_t)i - first] = (uint32_t)k + 1;
	}
	for (size_t i = 0; i < n && !st; i++) {
		const struct vf_tensor *t = &m->tensors[first + i];
		const char *shard = entry[i] ? x->shard[entry[i] - 1] : NULL;
		if (!shard)
			st = vf_fail(err, VF_EFORMAT, m->files[t->file],
				     "tensor \"%s\" is not in %s", t->name, base_of(index_path));
		else if (strcmp(shard, base_of(m->files[t->file])) != 0)
			st = vf_fail(err, VF_EFORMAT, index_path,
				     "index puts tensor \"%s\" in \"%s\", but it is in \"%s\"",
				     t->name, shard, base_of(m->files[t->file]));
		total += t->count_bytes;
	}
	vf_free(entry);
	vf_free(at);
	if (!st && repeated != SIZE_MAX)
		st = vf_fail(err, VF_EFORMAT, index_path, "index repeats the key \"%s\"",
			     x->name[repeated]);
	if (!st && missing != SIZE_MAX)
		st =
		    vf_fail(err, VF_EFORMAT, index_path, "tensor \"%s\" is not in its shard \"%s\"",
			    x->name[missing], x->shard[missing]);
	if (!st && x->has_total && x->total != total)
		st = vf_model_warn(
		    m, err, "%s: metadata.total_size is %llu but the shards hold %llu",
		    base_of(index_path), (unsigned long long)x->total, (unsigned long long)total);
	return st;
}

enum vf_status vf_index_read(struct vf_model *m, const char *index_path,
			     const struct vf_shard_ops *ops, void *ctx, struct vf_err *err)
{
	struct index x = {0};
	char *dir = NULL;
	size_t len;
	size_t first = m->ntensors;
	enum vf_status st;

	if (!(dir = dir_of(index_path)) ||
	    !(x.shards = vf_shards_start(dir, base_of(index_path), ops, ctx, 0))) {
		vf_free(dir);
		return vf_fail(err, VF_ENOMEM, index_path, "out of memory");
	}
	/* shards.c reads each shard as soon as the index names it */
	if ((st = vf_file_slurp(index_path, INDEX_MAX_BYTES, &x.text, &len, err)))
		goto out;
	if (!read_index(&x, len, index_path, err)) {
		st = err->status;
		goto out;
	}
	if ((st = vf_model_reserve(m, m->ntensors + x.n, err)))
		goto out;
	st = vf_shards_finish(x.shards, m, err);
	x.shards = NULL; /* finished: freed */
	if (!st)
		st = check_shards(m, &x, first, index_path, err);
out:
	vf_shards_abort(x.shards);
	vf_strmap_free(&x.files);
	vf_free(x.name);
	vf_free(x.shard);
	vf_free(dir);
	vf_free(x.text);
	return st;
}
