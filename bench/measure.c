/*
 * measure.c - runs one command and reports what it cost, for bench/run.py.
 *
 *   measure OUT ERR CMD [ARG...]
 *
 * stdout and stderr of CMD go to the files OUT and ERR.  Prints one line:
 *   wall_ns cpu_ns maxrss_kib rchar read_bytes exit_status
 *
 * Why a helper rather than Python's posix_spawn: a child's ru_maxrss counts
 * the memory of the process it was forked or vforked from until it execs, so
 * a child of the Python driver would report at least the driver's ~16 MiB.
 * This helper is small (posix_spawn shares its memory until the exec), so the floor is its own ~1 MiB.  rchar and read_bytes
 * come from /proc/PID/io, read once CMD has exited but before it is reaped
 * (waitid WNOWAIT), so they are CMD's alone.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long long t0, t1, rchar = -1, rbytes = -1;
	int out, err, status;
	struct rusage ru;
	siginfo_t si;
	char path[64], line[256];
	FILE *f;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	int rc = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: measure OUT ERR CMD [ARG...]\n");
		return 2;
	}
	out = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	err = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0 || err < 0) {
		perror("measure: open");
		return 2;
	}
	t0 = ns();
	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) ||
	    posix_spawn_file_actions_adddup2(&fa, out, 1) ||
	    posix_spawn_file_actions_adddup2(&fa, err, 2) ||
	    (rc = posix_spawn(&pid, argv[3], &fa, NULL, argv + 3, environ)) != 0) {
		fprintf(stderr, "measure: cannot run %s: %s\n", argv[3], strerror(rc));
		return 2;
	}
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0) {
		perror("measure: waitid");
		return 2;
	}
	t1 = ns();
	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "rchar:", 6) == 0)
				rchar = atoll(line + 6);
			else if (strncmp(line, "read_bytes:", 11) == 0)
				rbytes = atoll(line + 11);
		}
		fclose(f);
	}
	if (wait4(pid, &status, 0, &ru) != pid) {
		perror("measure: wait4");
		return 2;
	}
	printf("%lld %lld %ld %lld %lld %d\n", t1 - t0,
	       (long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
		   (long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL,
	       ru.ru_maxrss, rchar, rbytes,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
