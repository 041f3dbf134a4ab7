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
#include "common/json.h"
#include "common/mem.h"
#include "common/strmap.h"
#include "formats/model_build.h"

#define INDEX_MAX_BYTES 100000000u /* DeepSeek-V3's index is ~9 MB */
#define JSON_MEM_CAP(n) ((size_t)(n)*16 + ((size_t)1 << 20))

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

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

enum vf_status vf_read_shards(struct vf_model *m, const char *dir, char **names, size_t n,
			      const char *named_by, vf_shard_reader *read, void *ctx,
			      struct vf_err *err)
{
	enum vf_status st = VF_OK;

	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && !st; i++) {
		char *p;
		struct stat sb;
		if (i && strcmp(names[i], names[i - 1]) == 0)
			continue;
		if (!(p = vf_path_join(dir, names[i])))
			return vf_fail(err, VF_ENOMEM, dir, "out of memory");
		/* vf_path_stat: a shard may be a member of a mounted archive */
		if (named_by && vf_path_stat(p, &sb) != 0)
			st = vf_fail(err, VF_EFORMAT, p, "shard named by %s is missing: %s",
				     named_by, strerror(errno));
		else
			st = read(m, p, ctx, err);
		vf_free(p);
	}
	return st;
}

enum vf_status vf_index_read(struct vf_model *m, const char *index_path, vf_shard_reader *read,
			     void *ctx, struct vf_err *err)
{
	char *text = NULL, *dir = NULL;
	char **shards = NULL;
	const cJSON **items = NULL;
	size_t len, nshards = 0;
	cJSON *root = NULL;
	const cJSON *wm, *md, *c;
	struct vf_strmap map = {0}, files = {0};
	size_t nfiles = 0, found = 0;
	uint64_t total = 0, want;
	uint32_t first_file = m->nfiles;
	enum vf_status st;

	if ((st = vf_file_slurp(index_path, INDEX_MAX_BYTES, &text, &len, err)))
		return st;
	if (!(root = vf_json_parse(text, len, JSON_MEM_CAP(len), index_path, "index", err))) {
		st = err->status;
		goto out;
	}
	wm = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
	if (!cJSON_IsObject(root) || !cJSON_IsObject(wm)) {
		st = vf_fail(err, VF_EFORMAT, index_path, "index has no \"weight_map\" object");
		goto out;
	}
	shards = vf_calloc((size_t)cJSON_GetArraySize(wm) + 1, sizeof(*shards));
	items = vf_calloc((size_t)cJSON_GetArraySize(wm) + 1, sizeof(*items));
	if (!shards || !items) {
		st = vf_fail(err, VF_ENOMEM, index_path, "out of memory");
		goto out;
	}
	for (c = wm->child; c; c = c->next) {
		if (!cJSON_IsString(c) || !safe_file_name(c->valuestring)) {
			st = vf_fail(err, VF_EFORMAT, index_path,
				     "weight_map entry \"%s\" is not a plain file name", c->string);
			goto out;
		}
		if (vf_strmap_put(&map, c->string, (uint32_t)nshards, NULL) < 0) {
			st = vf_fail(err, VF_ENOMEM, index_path, "out of memory");
			goto out;
		}
		items[nshards++] = c;
		/* each shard once: ~90k entries name ~160 files, and sorting the
		 * repeats would cost more than reading every header */
		if (vf_strmap_put(&files, c->valuestring, 0, NULL) < 0) {
			st = vf_fail(err, VF_ENOMEM, index_path, "out of memory");
			goto out;
		}
		if (files.len > nfiles)
			shards[nfiles++] = c->valuestring;
	}
	if (!(dir = dir_of(index_path))) {
		st = vf_fail(err, VF_ENOMEM, index_path, "out of memory");
		goto out;
	}
	if ((st = vf_read_shards(m, dir, shards, nfiles, base_of(index_path), read, ctx, err)))
		goto out;
	/* Every tensor of every shard must be the index's, in the shard it names. */
	for (size_t i = 0; i < m->ntensors; i++) {
		const struct vf_tensor *t = &m->tensors[i];
		const cJSON *e;
		uint32_t k;
		if (t->file < first_file)
			continue;
		if (!vf_strmap_get(&map, t->name, &k)) {
			st = vf_fail(err, VF_EFORMAT, m->files[t->file],
				     "tensor \"%s\" is not in %s", t->name, base_of(index_path));
			goto out;
		}
		e = items[k];
		if (strcmp(e->valuestring, base_of(m->files[t->file])) != 0) {
			st = vf_fail(err, VF_EFORMAT, index_path,
				     "index puts tensor \"%s\" in \"%s\", but it is in \"%s\"",
				     t->name, e->valuestring, base_of(m->files[t->file]));
			goto out;
		}
		total += t->count_bytes;
		found++;
	}
	/* Every shard tensor is in the map and names are unique, so equal counts
	 * mean every entry was found; only a shortfall needs the search. */
	for (c = wm->child; c && found != map.len; c = c->next) {
		if (vf_model_find(m, c->string) < 0) {
			st = vf_fail(err, VF_EFORMAT, index_path,
				     "tensor \"%s\" is not in its shard \"%s\"", c->string,
				     c->valuestring);
			goto out;
		}
	}
	md = cJSON_GetObjectItemCaseSensitive(root, "metadata");
	c = md ? cJSON_GetObjectItemCaseSensitive(md, "total_size") : NULL;
	if (c && vf_json_uint(c, &want) && want != total)
		st = vf_model_warn(
		    m, err, "%s: metadata.total_size is %llu but the shards hold %llu",
		    base_of(index_path), (unsigned long long)want, (unsigned long long)total);
out:
	vf_strmap_free(&map);
	vf_strmap_free(&files);
	vf_free(shards);
	vf_free(items);
	vf_free(dir);
	vf_json_free(root);
	vf_free(text);
	return st;
}
