/* par.c - see par.h. */
#include "common/par.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	bool threaded =
	    !vf_mem_injecting() && vf_par_cpus() >= 2 && pthread_create(&tid, NULL, run, &jb) == 0;

	a(actx);
	if (threaded)
		pthread_join(tid, NULL);
	else
		b(bctx);
}

/* A small file, whole, or false (absent, unreadable, not a regular file,
 * too long).  O_NONBLOCK and fstat: nothing here can wait on a FIFO. */
static bool read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat sb;
	ssize_t r;

	if (fd < 0)
		return false;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return false;
	}
	r = read(fd, buf, n - 1);
	close(fd);
	if (r < 0 || (size_t)r >= n - 1)
		return false;
	buf[r] = '\0';
	return true;
}

unsigned vf_par_cpu_max(const char *text)
{
	char quota[32];
	unsigned long long q, period = 100000;
	int k = sscanf(text, "%31s %llu", quota, &period);
	char *end;

	if (k < 1 || strcmp(quota, "max") == 0)
		return 0;
	q = strtoull(quota, &end, 10);
	if (*end || quota[0] == '-' || !q || !period)
		return 0; /* malformed: no limit known */
	/* rounded up: a quota of 1.5 CPUs keeps two threads busy part time */
	q = q / period + (q % period != 0);
	return q > 4096 ? 4096 : (unsigned)q;
}

/* The tightest cpu.max from this process's cgroup (v2) up to the root. */
static unsigned cgroup_cpus(const char *root, const char *self)
{
	char buf[4096], dir[PATH_MAX], text[128], path[PATH_MAX + 16];
	const char *line = buf;
	unsigned best = 0;
	size_t rootlen = strlen(root);

	if (!read_small(self, buf, sizeof(buf)))
		return 0;
	for (;;) { /* the "0::PATH" line */
		if (strncmp(line, "0::/", 4) == 0)
			break;
		if (!(line = strchr(line, '\n')))
			return 0;
		line++;
	}
	line += 3;
	if (snprintf(dir, sizeof(dir), "%s%.*s", root, (int)strcspn(line, "\n"), line) >=
	    (int)sizeof(dir))
		return 0;
	for (int depth = 0; depth < 64; depth++) {
		char *slash;
		snprintf(path, sizeof(path), "%s/cpu.max", dir);
		if (read_small(path, text, sizeof(text))) {
			unsigned c = vf_par_cpu_max(text);
			if (c && (!best || c < best))
				best = c;
		}
		if (strlen(dir) <= rootlen || !(slash = strrchr(dir + rootlen, '/')))
			break;
		*slash = '\0';
	}
	return best;
}

unsigned vf_par_cpus_at(const char *cgroup_root, const char *self_cgroup)
{
	cpu_set_t set;
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = online > 0 ? (unsigned)online : 1, c;

	/* taskset, numactl, docker --cpuset-cpus */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		n = (unsigned)CPU_COUNT(&set);
	/* docker --cpus, Kubernetes limits: a quota, not a set of CPUs */
	if ((c = cgroup_cpus(cgroup_root, self_cgroup)) && c < n)
		n = c;
	return n;
}

static unsigned cpus_cached;
static pthread_once_t cpus_once = PTHREAD_ONCE_INIT;

static void cpus_init(void)
{
	cpus_cached = vf_par_cpus_at("/sys/fs/cgroup", "/proc/self/cgroup");
}

unsigned vf_par_cpus(void)
{
	pthread_once(&cpus_once, cpus_init);
	return cpus_cached;
}
