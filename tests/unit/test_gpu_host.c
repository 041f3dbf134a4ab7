/*
 * test_gpu_host.c - host RAM (meminfo, cgroup v2 and v1), free disk and
 * process names (gpu/gpu_host.c), read from the fixture trees under
 * tests/data/gpu_host/<case>/ and tests/data/gpu_proc/, plus one read of this
 * machine's real files.  The expected numbers are the fixture files' own
 * numbers, worked out by hand in the comments.
 */
#include "tests/unit/testutil.h"

#include <sys/stat.h>

#include "common/mem.h"
#include "gpu/gpu_int.h"

#define DATA "tests/data/gpu_host/"
#define GiB (UINT64_C(1) << 30)
#define KiB UINT64_C(1024)

static enum vf_status read_case(const char *name, struct vf_host *h, struct vf_err *err)
{
	char meminfo[256], self[256], root[256];
	struct vf_host_paths p = {meminfo, self, root};

	snprintf(meminfo, sizeof(meminfo), DATA "%s/meminfo", name);
	snprintf(self, sizeof(self), DATA "%s/self_cgroup", name);
	snprintf(root, sizeof(root), DATA "%s/cgroup", name);
	return vf_host_read(&p, NULL, h, err);
}

static struct vf_host read_ok(const char *name)
{
	struct vf_host h;
	struct vf_err err = {0};

	if (read_case(name, &h, &err))
		fail_msg("%s: unexpected error: %s: %s", name, err.path, err.msg);
	return h;
}

/* meminfo's MemTotal 65536000 kB, MemAvailable 52428800 kB (50 GiB). */
static void test_no_limit(void **state)
{
	struct vf_host h = read_ok("plain"); /* memory.max is "max" */

	(void)state;
	assert_int_equal(h.ram_total, 65536000 * KiB);
	assert_int_equal(h.meminfo_available, 50 * GiB);
	assert_int_equal(h.ram_available, 50 * GiB);
	assert_false(h.ram_limited_by_cgroup);
	assert_int_equal(h.cgroup_version, 0);
	assert_int_equal(h.cgroup_limit, VF_GPU_UNKNOWN);
	assert_int_equal(h.cgroup_available, VF_GPU_UNKNOWN);
	assert_false(h.disk_known);
}

/*
 * kubepods: max 32 GiB, current 20 GiB -> 12 GiB room; pod1: "max";
 * ctr: max 16 GiB, current 12 GiB of which 3 GiB inactive file cache ->
 * 16 - (12 - 3) = 7 GiB.  The tightest level, ctr, wins over MemAvailable.
 */
static void test_v2_nested(void **state)
{
	struct vf_host h = read_ok("v2-limited");

	(void)state;
	assert_int_equal(h.cgroup_version, 2);
	assert_int_equal(h.cgroup_limit, 16 * GiB);
	assert_int_equal(h.cgroup_usage, 12 * GiB);
	assert_int_equal(h.cgroup_reclaimable, 3 * GiB);
	assert_int_equal(h.cgroup_available, 7 * GiB);
	assert_int_equal(h.ram_available, 7 * GiB);
	assert_true(h.ram_limited_by_cgroup);
	assert_int_equal(h.meminfo_available, 50 * GiB);
}

/* /proc/self/cgroup names a path the mount lacks: the mount's root is read
 * (8 GiB max, 6 GiB current, no memory.stat -> 2 GiB). */
static void test_v2_namespace_root(void **state)
{
	struct vf_host h = read_ok("v2-ns");

	(void)state;
	assert_int_equal(h.cgroup_version, 2);
	assert_int_equal(h.cgroup_limit, 8 * GiB);
	assert_int_equal(h.ram_available, 2 * GiB);
}

/* Usage above the limit: no room at all, not a wrapped-around huge number. */
static void test_over_limit(void **state)
{
	struct vf_host h = read_ok("over-limit");

	(void)state;
	assert_int_equal(h.cgroup_available, 0);
	assert_int_equal(h.ram_available, 0);
	assert_true(h.ram_limited_by_cgroup);
}

/* v1: limit 4 GiB, usage 3 GiB, total_inactive_file 1 GiB -> 2 GiB. */
static void test_v1(void **state)
{
	struct vf_host h = read_ok("v1");

	(void)state;
	assert_int_equal(h.cgroup_version, 1);
	assert_int_equal(h.cgroup_limit, 4 * GiB);
	assert_int_equal(h.cgroup_reclaimable, 1 * GiB); /* hierarchical total_, not local */
	assert_int_equal(h.ram_available, 2 * GiB);
}

/* v1 spells "no limit" 9223372036854771712. */
static void test_v1_unlimited(void **state)
{
	struct vf_host h = read_ok("v1-unlimited");

	(void)state;
	assert_int_equal(h.cgroup_version, 0);
	assert_int_equal(h.ram_available, 50 * GiB);
}

/* Before Linux 3.14: MemFree + Buffers + Cached = 1 + 0.5 + 2 GiB. */
static void test_old_kernel(void **state)
{
	struct vf_host h;
	struct vf_err err = {0};
	struct vf_host_paths p = {DATA "old-kernel/meminfo", DATA "old-kernel/none",
				  DATA "old-kernel/none"};

	(void)state;
	assert_int_equal(vf_host_read(&p, NULL, &h, &err), VF_OK);
	assert_int_equal(h.ram_total, 16 * GiB);
	assert_int_equal(h.ram_available, 3 * GiB + GiB / 2);
}

static void test_bad_files(void **state)
{
	struct vf_host h;
	struct vf_err err = {0};
	struct vf_host_paths missing = {DATA "nope/meminfo", NULL, NULL};

	(void)state;
	assert_int_equal(read_case("bad-max", &h, &err), VF_EFORMAT);
	assert_string_equal(err.path, DATA "bad-max/cgroup/memory.max");
	assert_string_equal(err.msg, "not a number or \"max\": 'lots'");
	vf_err_clear(&err);
	assert_int_equal(read_case("no-total", &h, &err), VF_EFORMAT);
	assert_string_equal(err.msg, "no MemTotal line");
	vf_err_clear(&err);
	assert_int_equal(vf_host_read(&missing, NULL, &h, &err), VF_EIO);
	assert_string_equal(err.path, DATA "nope/meminfo");
}

/* Every allocation of a host read can fail without a leak (ASan checks). */
static void test_alloc_failures(void **state)
{
	unsigned long n;

	(void)state;
	for (n = 1; n < 100; n++) {
		struct vf_host h;
		struct vf_err err = {0};
		enum vf_status st;
		vf_mem_fail_at(n);
		st = read_case("v2-limited", &h, &err);
		vf_mem_fail_at(0);
		if (st == VF_OK)
			break;
		assert_int_equal(st, VF_ENOMEM);
	}
	assert_true(n > 1 && n < 100);
}

/* The real machine: whatever it is, the numbers hang together. */
static void test_this_machine(void **state)
{
	struct vf_host h;
	struct vf_err err = {0};

	(void)state;
	if (vf_host_read(NULL, ".", &h, &err))
		fail_msg("%s: %s", err.path, err.msg);
	assert_true(h.ram_total > 0);
	assert_true(h.ram_available <= h.meminfo_available);
	assert_true(h.meminfo_available <= h.ram_total);
	assert_true(h.disk_known);
	assert_string_equal(h.disk_path, ".");
	assert_true(h.disk_free <= h.disk_total && h.disk_total > 0);
}

/* An offload folder that does not exist yet is measured at its parent. */
static void test_disk_nearest_parent(void **state)
{
	struct vf_host h;
	struct vf_err err = {0};
	char p[512], f[600];

	(void)state;
	tu_path(p, sizeof(p), "");
	snprintf(f, sizeof(f), "%s/offload/not/yet/", tu_scratch());
	assert_int_equal(vf_host_read(NULL, f, &h, &err), VF_OK);
	assert_string_equal(h.disk_path, tu_scratch());
	assert_int_equal(vf_host_read(NULL, "no-such-relative-dir/x", &h, &err), VF_OK);
	assert_string_equal(h.disk_path, ".");
	/* Below a regular file: the OS says "not a directory", and so do we. */
	tu_path(p, sizeof(p), "file");
	tu_write(p, "x", 1);
	snprintf(f, sizeof(f), "%s/sub", p);
	assert_int_equal(vf_host_read(NULL, f, &h, &err), VF_EIO);
	assert_non_null(strstr(err.msg, "cannot measure free space"));
}

static void test_proc_names(void **state)
{
	char name[VF_GPU_PROC_NAME_MAX], small[16];

	(void)state;
	vf_proc_name("tests/data/gpu_proc", 4242, name, sizeof(name));
	assert_string_equal(name, "python3 train.py --lr 3e-4");
	vf_proc_name("tests/data/gpu_proc", 4243, name, sizeof(name)); /* empty cmdline */
	assert_string_equal(name, "nvidia-persiste");
	vf_proc_name("tests/data/gpu_proc", 4244, name, sizeof(name)); /* newline in argv */
	assert_string_equal(name, "evil?name --x");
	vf_proc_name("tests/data/gpu_proc", 4245, name, sizeof(name)); /* too long: cut */
	assert_int_equal(strlen(name), sizeof(name) - 1);
	assert_int_equal(strncmp(name, "python xxxx", 11), 0);
	assert_string_equal(name + strlen(name) - 3, "...");
	vf_proc_name("tests/data/gpu_proc", 4242, small, sizeof(small));
	assert_string_equal(small, "python3 trai...");
	vf_proc_name("tests/data/gpu_proc", 99999, name, sizeof(name)); /* gone */
	assert_string_equal(name, "");
	vf_proc_name("/proc", (uint32_t)getpid(), name, sizeof(name));
	assert_non_null(strstr(name, "test_gpu_host"));
}

static int cleanup(void **state)
{
	(void)state;
	tu_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_limit),
	    cmocka_unit_test(test_v2_nested),
	    cmocka_unit_test(test_v2_namespace_root),
	    cmocka_unit_test(test_over_limit),
	    cmocka_unit_test(test_v1),
	    cmocka_unit_test(test_v1_unlimited),
	    cmocka_unit_test(test_old_kernel),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_alloc_failures),
	    cmocka_unit_test(test_this_machine),
	    cmocka_unit_test(test_disk_nearest_parent),
	    cmocka_unit_test(test_proc_names),
	};
	return cmocka_run_group_tests_name("gpu_host", tests, NULL, cleanup);
}
