/*
 * par.h - two independent pieces of work at once.
 *
 * A few passes over a big checkpoint's ~100k tensors are pure and split in
 * two: look-ups in the name table, classifying the names, building the model
 * from config.json beside that.  vf_par2() runs b(bctx) on a second thread
 * while a(actx) runs on the caller's, and returns when both are done.  It
 * runs both on the caller's thread, a first, when there is one CPU, when a
 * thread cannot start, or while allocation failures are injected (tests need
 * the same n-th allocation on every run).  The shards of a checkpoint have a
 * pool of their own (formats/shards.c).
 */
#ifndef VF_PAR_H
#define VF_PAR_H

void vf_par2(void (*a)(void *), void *actx, void (*b)(void *), void *bctx);

/*
 * The CPUs this process may use, at least 1: the affinity mask
 * (sched_getaffinity: taskset, cpusets) lowered to the cgroup v2 quota
 * (cpu.max "QUOTA PERIOD", rounded up; the tightest level from this process's
 * cgroup up to the root), not the machine's count.  Read once, then cached.
 */
unsigned vf_par_cpus(void);
/* The same, reading the cgroup files below cgroup_root and self_cgroup (tests). */
unsigned vf_par_cpus_at(const char *cgroup_root, const char *self_cgroup);
/* CPUs one cpu.max text allows, rounded up ("150000 100000" is 2); 0 for
 * "max ..." or malformed text (no limit known). */
unsigned vf_par_cpu_max(const char *text);

#endif
