/* par.c - see par.h. */
#include "common/par.h"

#include <pthread.h>
#include <stdbool.h>
#include <unistd.h>

#include "common/mem.h"

struct job {
	void (*fn)(void *);
	void *ctx;
};

static void *run(void *arg)
{
	struct job *j = arg;

	j->fn(j->ctx);
	return NULL;
}

void vf_par2(void (*a)(void *), void *actx, void (*b)(void *), void *bctx)
{
	struct job jb = {b, bctx};
	pthread_t tid;
	bool threaded = !vf_mem_injecting() && sysconf(_SC_NPROCESSORS_ONLN) >= 2 &&
			pthread_create(&tid, NULL, run, &jb) == 0;

	a(actx);
	if (threaded)
		pthread_join(tid, NULL);
	else
		b(bctx);
}
