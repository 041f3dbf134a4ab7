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
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/jscan.h"
#include "common/mem.h"
#include "common/strmap.h"
#include "formats/model_build.h"

#define INDEX_MAX_BYTES 100000000u /* DeepSeek-V3's index is ~9 MB */
#define MAX_WORKERS 7		   /* beside the calling thread */

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

/* ---- reading shards, in parallel where the format allows ---- */

struct job {
	char *path;
	void *parsed;
	struct vf_err err;
	bool done;
};

struct pool {
	struct job *jobs;
	size_t n;
	size_t next; /* the next job to claim (atomic) */
	bool stop;   /* set after an error: claim nothing more (atomic) */
	const char *named_by;
	const struct vf_shard_ops *ops;
	void *ctx;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* The per-shard work that may run on any thread: the existence check and the
 * format's parse step. */
static void run_job(struct pool *p, struct job *j)
{
	struct stat sb;

	/* vf_path_stat: a shard may be a member of a mounted archive */
	if (p->named_by && vf_path_stat(j->path, &sb) != 0)
		vf_fail(&j->err, VF_EFORMAT, j->path, "shard named by %s is missing: %s",
			p->named_by, strerror(errno));
	else if (p->ops->parse)
		p->ops->parse(j->path, p->ctx, &j->parsed, &j->err);
	pthread_mutex_lock(&p->mu);
	j->done = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static bool claim(struct pool *p, size_t *i)
{
	if (__atomic_load_n(&p->stop, __ATOMIC_RELAXED))
		return false;
	*i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
	return *i < p->n;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	while (claim(p, &i))
		run_job(p, &p->jobs[i]);
	return NULL;
}

/* Waits for job i, helping with unclaimed jobs meanwhile. */
static void wait_job(struct pool *p, size_t i)
{
	size_t k;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		bool done = p->jobs[i].done;
		pthread_mutex_unlock(&p->mu);
		if (done)
			return;
		if (!claim(p, &k))
			break;
		run_job(p, &p->jobs[k]);
	}
	pthread_mutex_lock(&p->mu);
	while (!p->jobs[i].done)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/*
 * How many threads beside this one.  Threads only where they are safe and
 * their result reproducible: a format with a parse step, no mounted archive
 * (its reads go through libarchive state), and no allocation fault injection
 * (tests count allocations, which threads would interleave).
 */
static size_t workers_for(const struct vf_shard_ops *ops, size_t n)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t w;

	if (!ops->parse || vf_file_mounted() || vf_mem_injecting() || cpus < 2 || n < 2)
		return 0;
	w = (size_t)cpus - 1;
	if (w > n - 1)
		w = n - 1;
	return w < MAX_WORKERS ? w : MAX_WORKERS;
}

/*
 * Runs the jobs: parse steps on up to MAX_WORKERS threads plus this one, and
 * commits here, strictly in shard order.  A shard's parse error is reported
 * when its turn to commit comes, so the first error is the one a serial read
 * would report.  DeepSeek-V3's 163 headers are 11.5 MB of JSON.
 */
static enum vf_status run_jobs(struct vf_model *m, struct pool *p, struct vf_err *err)
{
	pthread_t tid[MAX_WORKERS];
	size_t nt = 0, want = workers_for(p->ops, p->n);
	enum vf_status st = VF_OK;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (; nt < want; nt++)
		if (pthread_create(&tid[nt], NULL, worker, p) != 0)
			break; /* fewer threads is only slower */
	for (size_t i = 0; i < p->n && !st; i++) {
		struct job *j = &p->jobs[i];
		wait_job(p, i);
		if (j->err.status) {
			*err = j->err;
			st = err->status;
		} else {
			st = p->ops->commit(m, j->path, p->ctx, j->parsed, err);
			j->parsed = NULL; /* commit owns it */
		}
		if (st)
			__atomic_store_n(&p->stop, true, __ATOMIC_RELAXED);
	}
	for (size_t i = 0; i < nt; i++)
		pthread_join(tid[i], NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	return st;
}

enum vf_status vf_read_shards(struct vf_model *m, const char *dir, char **names, size_t n,
			      const char *named_by, const struct vf_shard_ops *ops, void *ctx,
			      struct vf_err *err)
{
	struct pool p = {.named_by = named_by, .ops = ops, .ctx = ctx};
	enum vf_status st = VF_OK;

	qsort(names, n, sizeof(*names), cmp_str);
	if (!(p.jobs = vf_calloc(n + 1, sizeof(*p.jobs))))
		return vf_fail(err, VF_ENOMEM, dir, "out of memory");
	for (size_t i = 0; i < n && !st; i++) {
		if (i && strcmp(names[i], names[i - 1]) == 0)
			continue;
		if (!(p.jobs[p.n++].path = vf_path_join(dir, names[i])))
			st = vf_fail(err, VF_ENOMEM, dir, "out of memory");
	}
	if (!st)
		st = run_jobs(m, &p, err);
	for (size_t i = 0; i < p.n; i++) {
		if (p.jobs[i].parsed)
			ops->drop(p.jobs[i].parsed);
		vf_free(p.jobs[i].path);
	}
	vf_free(p.jobs);
	return st;
}

/* ---- the index ---- */

struct index {
	char *text; /* names below point into it (decoded in place) */
	const char **name, **shard;
	size_t n, cap;
	struct vf_strmap files; /* shard names, each once */
	char **shards;
	size_t nshards;
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
		if (x->n == x->cap) {
			size_t nc = x->cap ? x->cap * 2 : 1024;
			const char **a = vf_realloc(x->name, nc * sizeof(*a));
			if (a)
				x->name = a;
			const char **b = a ? vf_realloc(x->shard, nc * sizeof(*b)) : NULL;
			if (!a || !b)
				return index_oom(err, path);
			x->shard = b;
			x->cap = nc;
		}
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
		} else if (put == 1) {
			char **a = vf_realloc(x->shards, (x->nshards + 1) * sizeof(*a));
			if (!a)
				return index_oom(err, path);
			x->shards = a;
			x->shards[x->nshards++] = file;
		}
		x->name[x->n] = name;
		x->shard[x->n++] = file;
	}
	return r == 0;
}

static bool read_metadata(struct vf_jscan *s, struct index *x, const char *path, struct vf_err *err)
{
	struct vf_strmap seen = {0};
	size_t i = 0;
	char *key;
	int r, put;
	bool ok = true;

	if (vf_jscan_peek(s) != '{')
		return vf_jscan_skip(s); /* not ours to judge */
	vf_jscan_open(s, '{');
	while (ok && (r = vf_jscan_key(s, &i, &key)) > 0) {
		if ((put = vf_strmap_put(&seen, key, 0, NULL)) < 0)
			ok = index_oom(err, path);
		else if (put == 0)
			ok = !vf_fail(err, VF_EFORMAT, path, "index repeats the key \"%s\"", key);
		else if (strcmp(key, "total_size") == 0)
			ok = (r = vf_jscan_uint(s, &x->total)) >= 0 && ((x->has_total = r), true);
		else
			ok = vf_jscan_skip(s);
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
	int r, put;
	bool ok = true, wm = false;

	vf_jscan_init(&s, x->text, len, path, "index", err);
	if (vf_jscan_peek(&s) != '{')
		return vf_jscan_wrong(&s, "index has no \"weight_map\" object");
	vf_jscan_open(&s, '{');
	while (ok && (r = vf_jscan_key(&s, &i, &key)) > 0) {
		if ((put = vf_strmap_put(&seen, key, 0, NULL)) < 0)
			ok = index_oom(err, path);
		else if (put == 0)
			ok = !vf_fail(err, VF_EFORMAT, path, "index repeats the key \"%s\"", key);
		else if (strcmp(key, "weight_map") == 0)
			ok = wm = read_weight_map(&s, x, path, err);
		else if (strcmp(key, "metadata") == 0)
			ok = read_metadata(&s, x, path, err);
		else
			ok = vf_jscan_skip(&s);
	}
	vf_strmap_free(&seen);
	if (!ok || r != 0 || !vf_jscan_end(&s))
		return false;
	return wm || !vf_fail(err, VF_EFORMAT, path, "index has no \"weight_map\" object");
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
	enum vf_status st = VF_OK;

	if (!entry)
		return vf_fail(err, VF_ENOMEM, index_path, "out of memory");
	for (size_t k = 0; k < x->n; k++) {
		long i = vf_model_find(m, x->name[k]);
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

	if ((st = vf_file_slurp(index_path, INDEX_MAX_BYTES, &x.text, &len, err)))
		return st;
	if (!read_index(&x, len, index_path, err)) {
		st = err->status;
		goto out;
	}
	if (!(dir = dir_of(index_path))) {
		st = vf_fail(err, VF_ENOMEM, index_path, "out of memory");
		goto out;
	}
	if ((st = vf_model_reserve(m, m->ntensors + x.n, err)))
		goto out;
	if ((st = vf_read_shards(m, dir, x.shards, x.nshards, base_of(index_path), ops, ctx, err)))
		goto out;
	st = check_shards(m, &x, first, index_path, err);
out:
	vf_strmap_free(&x.files);
	vf_free(x.shards);
	vf_free(x.name);
	vf_free(x.shard);
	vf_free(dir);
	vf_free(x.text);
	return st;
}
