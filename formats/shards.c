/*
 * shards.c - reading the shards of a checkpoint, several at a time.
 *
 * DeepSeek-V3 is 163 shards whose headers hold 11.5 MB of JSON, next to a
 * 9 MB index that names them.  A shard's parse step (struct vf_shard_ops)
 * touches nothing shared, so worker threads run it while the caller is still
 * reading the index: each shard is queued the moment the index first names
 * it.  The caller then commits the shards to the model in name order, helping
 * with the parsing while it waits, so the tensor table, the messages and the
 * first error are those of a serial read in name order.
 *
 * Threads are used only where they are safe and reproducible: for a format
 * with a parse step, with no archive mounted (its reads go through libarchive
 * state), and not while a test injects allocation failures (the n-th
 * allocation must be the same every run).  Otherwise every step runs on the
 * caller's thread, in the same order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/par.h"
#include "formats/model_build.h"

#define MAX_WORKERS 7 /* beside the calling thread */

struct job {
	char *path;
	void *parsed;
	struct vf_err err;
	bool claimed, done;
};

struct worker_arg {
	struct vf_shards *sh;
	struct vf_arena *scratch;
};

struct vf_shards {
	const char *dir, *named_by;
	const struct vf_shard_ops *ops;
	void *ctx;
	struct job **jobs;   /* in the order they were added */
	size_t n, cap, next; /* jobs before next are all claimed */
	bool closed, stop;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	pthread_t tid[MAX_WORKERS];
	struct worker_arg args[MAX_WORKERS];
	struct vf_arena scratch[MAX_WORKERS + 1]; /* [0]: the caller's */
	size_t nthreads;
	enum vf_status oom; /* a job could not be added */
};

/* The work that may run on any thread: the existence check and the parse. */
static void run_job(struct vf_shards *sh, struct job *j, struct vf_arena *scratch)
{
	struct stat sb;

	/* vf_path_stat: a shard may be a member of a mounted archive */
	if (sh->named_by && vf_path_stat(j->path, &sb) != 0)
		vf_fail(&j->err, VF_EFORMAT, j->path, "shard named by %s is missing: %s",
			sh->named_by, strerror(errno));
	else if (sh->ops->parse)
		sh->ops->parse(j->path, sh->ctx, scratch, &j->parsed, &j->err);
}

/* The first job nobody has claimed, or NULL; with the lock held. */
static struct job *unclaimed(struct vf_shards *sh)
{
	while (sh->next < sh->n && sh->jobs[sh->next]->claimed)
		sh->next++;
	return sh->next < sh->n ? sh->jobs[sh->next] : NULL;
}

/* Claims and runs job j; called and returns with the lock held. */
static void run_claimed(struct vf_shards *sh, struct job *j, struct vf_arena *scratch)
{
	j->claimed = true;
	pthread_mutex_unlock(&sh->mu);
	run_job(sh, j, scratch);
	pthread_mutex_lock(&sh->mu);
	j->done = true;
	pthread_cond_broadcast(&sh->done);
}

static void *worker(void *arg)
{
	struct vf_shards *sh = ((struct worker_arg *)arg)->sh;
	struct vf_arena *scratch = ((struct worker_arg *)arg)->scratch;

	pthread_mutex_lock(&sh->mu);
	for (;;) {
		struct job *j;
		while (!sh->stop && !sh->closed && !unclaimed(sh))
			pthread_cond_wait(&sh->work, &sh->mu);
		if (sh->stop || !(j = unclaimed(sh)))
			break;
		run_claimed(sh, j, scratch);
	}
	pthread_mutex_unlock(&sh->mu);
	return NULL;
}

static size_t workers_for(const struct vf_shard_ops *ops)
{
	/* the CPUs this process may use (affinity, cgroup quota), not the machine's */
	unsigned cpus = vf_par_cpus();

	if (!ops->parse || vf_file_mounted() || vf_mem_injecting() || cpus < 2)
		return 0;
	return (size_t)cpus - 1 < MAX_WORKERS ? (size_t)cpus - 1 : MAX_WORKERS;
}

struct vf_shards *vf_shards_start(const char *dir, const char *named_by,
				  const struct vf_shard_ops *ops, void *ctx, size_t expect)
{
	struct vf_shards *sh = vf_calloc(1, sizeof(*sh));
	size_t want = workers_for(ops);

	if (!sh)
		return NULL;
	sh->dir = dir;
	sh->named_by = named_by;
	sh->ops = ops;
	sh->ctx = ctx;
	pthread_mutex_init(&sh->mu, NULL);
	pthread_cond_init(&sh->work, NULL);
	pthread_cond_init(&sh->done, NULL);
	if (expect && want > expect - 1)
		want = expect - 1; /* a known count: no idle threads */
	for (; sh->nthreads < want; sh->nthreads++) {
		struct worker_arg *a = &sh->args[sh->nthreads];
		a->sh = sh;
		a->scratch = &sh->scratch[sh->nthreads + 1];
		if (pthread_create(&sh->tid[sh->nthreads], NULL, worker, a) != 0)
			break; /* fewer threads is only slower */
	}
	return sh;
}

int vf_shards_add(struct vf_shards *sh, const char *name)
{
	struct job *j = vf_calloc(1, sizeof(*j));
	int r = -1;

	if (j && (j->path = vf_path_join(sh->dir, name))) {
		pthread_mutex_lock(&sh->mu);
		if (vf_grow(&sh->jobs, &sh->cap, sh->n, sizeof(*sh->jobs), 64)) {
			sh->jobs[sh->n++] = j;
			pthread_cond_signal(&sh->work);
			r = 0;
		}
		pthread_mutex_unlock(&sh->mu);
	}
	if (r) {
		if (j)
			vf_free(j->path);
		vf_free(j);
		sh->oom = VF_ENOMEM;
	}
	return r;
}

static int by_path(const void *a, const void *b)
{
	return strcmp((*(struct job *const *)a)->path, (*(struct job *const *)b)->path);
}

/* Stops the workers and frees everything, committed or not. */
static void shards_free(struct vf_shards *sh)
{
	pthread_mutex_lock(&sh->mu);
	sh->stop = true;
	pthread_cond_broadcast(&sh->work);
	pthread_mutex_unlock(&sh->mu);
	for (size_t i = 0; i < sh->nthreads; i++)
		pthread_join(sh->tid[i], NULL);
	for (size_t i = 0; i < sh->n; i++) {
		if (sh->jobs[i]->parsed)
			sh->ops->drop(sh->jobs[i]->parsed);
		vf_free(sh->jobs[i]->path);
		vf_free(sh->jobs[i]);
	}
	vf_free(sh->jobs);
	for (size_t i = 0; i <= MAX_WORKERS; i++)
		vf_arena_free(&sh->scratch[i]);
	pthread_cond_destroy(&sh->done);
	pthread_cond_destroy(&sh->work);
	pthread_mutex_destroy(&sh->mu);
	vf_free(sh);
}

void vf_shards_abort(struct vf_shards *sh)
{
	if (sh)
		shards_free(sh);
}

enum vf_status vf_shards_finish(struct vf_shards *sh, struct vf_model *m, struct vf_err *err)
{
	struct job **order = NULL;
	enum vf_status st = VF_OK;
	size_t n;

	if (sh->oom) {
		shards_free(sh);
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	}
	pthread_mutex_lock(&sh->mu);
	sh->closed = true;
	pthread_cond_broadcast(&sh->work);
	n = sh->n;
	if ((order = vf_calloc(n + 1, sizeof(*order))) != NULL && n)
		memcpy(order, sh->jobs, n * sizeof(*order)); /* jobs is NULL when n is 0 */
	pthread_mutex_unlock(&sh->mu);
	if (!order) {
		shards_free(sh);
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	}
	qsort(order, n, sizeof(*order), by_path);
	for (size_t i = 0; i < n && !st; i++) {
		struct job *j = order[i];
		if (i && strcmp(j->path, order[i - 1]->path) == 0)
			continue; /* named twice: read once */
		pthread_mutex_lock(&sh->mu);
		/* This job first; while a worker has it, help with others.  With
		 * no workers the jobs run strictly in name order and stop at the
		 * first error, as a serial read does: no work past it (tests
		 * count allocations). */
		if (!j->claimed)
			run_claimed(sh, j, &sh->scratch[0]);
		while (!j->done) {
			struct job *other = sh->nthreads ? unclaimed(sh) : NULL;
			if (other)
				run_claimed(sh, other, &sh->scratch[0]);
			else
				pthread_cond_wait(&sh->done, &sh->mu);
		}
		pthread_mutex_unlock(&sh->mu);
		if (j->err.status) {
			*err = j->err;
			st = err->status;
		} else {
			st = sh->ops->commit(m, j->path, sh->ctx, j->parsed, err);
			j->parsed = NULL; /* commit owns it */
		}
	}
	vf_free(order);
	shards_free(sh);
	return st;
}

enum vf_status vf_read_shards(struct vf_model *m, const char *dir, char **names, size_t n,
			      const char *named_by, const struct vf_shard_ops *ops, void *ctx,
			      struct vf_err *err)
{
	struct vf_shards *sh = vf_shards_start(dir, named_by, ops, ctx, n);

	if (!sh)
		return vf_fail(err, VF_ENOMEM, dir, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (vf_shards_add(sh, names[i]) != 0)
			break;
	return vf_shards_finish(sh, m, err);
}
