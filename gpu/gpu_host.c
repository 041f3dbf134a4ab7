/*
 * gpu_host.c - the host side of a plan: RAM available to this process (what
 * CPU offload can use), free disk at the offload folder, and the names of
 * processes that hold GPU memory.
 *
 * Invariants: every file is read through one bounded reader (HOST_FILE_MAX
 * bytes, plain read(2): /proc files report size 0, and these reads are not
 * model bytes, so they stay out of vf_bytes_read); every path comes from
 * struct vf_host_paths or proc_root, so tests read fixtures; a missing or
 * unreadable cgroup file means "no limit known here", a malformed one is an
 * error; /proc/meminfo must be readable.
 *
 * Why the cgroup matters: in a container MemAvailable describes the whole
 * machine, while the kernel kills the container at its own memory.max.  The
 * headroom is memory.max - memory.current at each level from this process's
 * cgroup up to the root of the mount, the tightest level winning.  One
 * refinement over that plain difference: memory.current counts page cache,
 * and right after a model download most of it is inactive file cache the
 * kernel reclaims before it OOM-kills, so inactive_file (memory.stat) is
 * given back, as kubelet's "working set" does; MemAvailable makes the same
 * allowance for the whole machine.  cgroup v1 (memory.limit_in_bytes) is read
 * when no v2 limit exists, for older hosts.
 */
#include "gpu/gpu_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/mem.h"

#define HOST_FILE_MAX 65536 /* /proc/meminfo and memory.stat are a few KiB */
#define CGROUP_DEPTH_MAX 64
#define V1_UNLIMITED (UINT64_C(1) << 62) /* v1 says "no limit" with ~2^63 */

/*
 * Reads up to n - 1 bytes and NUL-terminates them.  Returns 0, or -1 with err
 * set, or 1 when the file is absent and that is allowed: optional files
 * (cgroup, /proc/PID) may be missing or unreadable (a sandbox that hides
 * them), which means "nothing known here", not a failure.
 */
static int read_small(const char *path, char *buf, size_t n, size_t *len, struct vf_err *err,
		      bool optional)
{
	/* O_NONBLOCK, then fstat: a FIFO in a replayed host must not hang */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	size_t done = 0;
	struct stat sb;

	if (fd < 0) {
		if (optional &&
		    (errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == EPERM))
			return 1;
		vf_fail(err, VF_EIO, path, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		vf_fail(err, VF_EIO, path, "not a regular file");
		return -1;
	}
	while (done + 1 < n) {
		ssize_t r = read(fd, buf + done, n - 1 - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			vf_fail(err, VF_EIO, path, "read error: %s", strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	close(fd);
	buf[done] = '\0';
	*len = done;
	return 0;
}

/* A decimal number filling the whole (trimmed) text. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++)
		if (!vf_mul_ok(v, 10, &v) || !vf_add_ok(v, (uint64_t)(*s - '0'), &v))
			return false;
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s)
		return false;
	*out = v;
	return true;
}

/* meminfo -------------------------------------------------------------------- */

static enum vf_status read_meminfo(const char *path, struct vf_host *h, struct vf_err *err)
{
	char *buf = vf_malloc(HOST_FILE_MAX), *line, *save = NULL;
	uint64_t total = 0, avail = 0, mfree = 0, buffers = 0, cached = 0;
	bool have_total = false, have_avail = false, have_free = false;
	size_t len;
	int r;

	if (!buf)
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	r = read_small(path, buf, HOST_FILE_MAX, &len, err, false);
	if (r) {
		vf_free(buf);
		return err->status;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char key[64], unit[8] = "";
		unsigned long long v;
		int f = sscanf(line, "%63[^:]: %llu %7s", key, &v, unit);
		uint64_t bytes;

		if (f < 2)
			continue;
		/* Values are in kB (KiB) when a unit is given, else a count. */
		if (f == 3 && strcmp(unit, "kB") != 0) {
			vf_free(buf);
			return vf_fail(err, VF_EFORMAT, path, "unknown unit '%s' in \"%s\"", unit,
				       key);
		}
		if (!vf_mul_ok(v, f == 3 ? 1024 : 1, &bytes)) {
			vf_free(buf);
			return vf_fail(err, VF_EFORMAT, path, "\"%s\" is too large", key);
		}
		if (!strcmp(key, "MemTotal"))
			total = bytes, have_total = true;
		else if (!strcmp(key, "MemAvailable"))
			avail = bytes, have_avail = true;
		else if (!strcmp(key, "MemFree"))
			mfree = bytes, have_free = true;
		else if (!strcmp(key, "Buffers"))
			buffers = bytes;
		else if (!strcmp(key, "Cached"))
			cached = bytes;
	}
	vf_free(buf);
	if (!have_total)
		return vf_fail(err, VF_EFORMAT, path, "no MemTotal line");
	if (!have_avail) {
		/* Kernels before 3.14 have no MemAvailable: the old rule of thumb. */
		if (!have_free)
			return vf_fail(err, VF_EFORMAT, path, "neither MemAvailable nor MemFree");
		avail = mfree + buffers + cached;
		if (avail > total)
			avail = total;
	}
	h->ram_total = total;
	h->meminfo_available = avail;
	return VF_OK;
}

/* cgroup --------------------------------------------------------------------- */

struct cg_level {
	uint64_t limit, usage, reclaimable;
};

/* Reads "key value" from a memory.stat; *v unchanged when absent. */
static enum vf_status stat_value(const char *path, const char *key, uint64_t *v, struct vf_err *err)
{
	char *buf = vf_malloc(HOST_FILE_MAX), *line, *save = NULL;
	size_t len, k = strlen(key);
	int r;

	if (!buf)
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	r = read_small(path, buf, HOST_FILE_MAX, &len, err, true);
	if (r < 0) {
		vf_free(buf);
		return err->status;
	}
	if (r == 0)
		for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			if (strncmp(line, key, k) == 0 && line[k] == ' ') {
				if (!parse_u64(line + k + 1, v)) {
					vf_free(buf);
					return vf_fail(err, VF_EFORMAT, path, "bad \"%s\" value",
						       key);
				}
				break;
			}
	vf_free(buf);
	return VF_OK;
}

/*
 * Reads one level's limit file (memory.max or memory.limit_in_bytes).
 * Returns 1 when the level sets no limit (file absent, "max", v1's huge value).
 */
static int read_level(const char *dir, int version, struct cg_level *lv, struct vf_err *err)
{
	const char *fmax = version == 2 ? "memory.max" : "memory.limit_in_bytes";
	const char *fcur = version == 2 ? "memory.current" : "memory.usage_in_bytes";
	const char *kinact = version == 2 ? "inactive_file" : "total_inactive_file";
	char path[PATH_MAX + 32], buf[128];
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, fmax);
	r = read_small(path, buf, sizeof(buf), &len, err, true);
	if (r)
		return r;
	while (len && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	if (strcmp(buf, "max") == 0) /* v2 spelling of "no limit" */
		return 1;
	if (!parse_u64(buf, &lv->limit)) {
		vf_fail(err, VF_EFORMAT, path, "not a number or \"max\": '%.40s'", buf);
		return -1;
	}
	if (version == 1 && lv->limit >= V1_UNLIMITED)
		return 1;
	snprintf(path, sizeof(path), "%s/%s", dir, fcur);
	r = read_small(path, buf, sizeof(buf), &len, err, true);
	if (r < 0)
		return -1;
	if (r > 0)
		return 1; /* a limit without its usage tells nothing about the room left */
	if (!parse_u64(buf, &lv->usage)) {
		vf_fail(err, VF_EFORMAT, path, "not a number: '%.40s'", buf);
		return -1;
	}
	lv->reclaimable = 0;
	snprintf(path, sizeof(path), "%s/memory.stat", dir);
	if (stat_value(path, kinact, &lv->reclaimable, err))
		return -1;
	if (lv->reclaimable > lv->usage)
		lv->reclaimable = lv->usage;
	return 0;
}

static bool is_dir(const char *path)
{
	return access(path, X_OK) == 0;
}

/*
 * Walks from root + rel up to root, keeping the level with the least headroom.
 * When root + rel does not exist (a container that mounts only its own
 * cgroup at the root), the root alone is read.
 */
static enum vf_status walk_levels(const char *root, const char *rel, int version, struct vf_host *h,
				  struct vf_err *err)
{
	char dir[PATH_MAX];
	size_t rootlen = strlen(root);

	if (snprintf(dir, sizeof(dir), "%s%s", root, strcmp(rel, "/") ? rel : "") >=
	    (int)sizeof(dir))
		return VF_OK;
	while (strlen(dir) > rootlen && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	if (!is_dir(dir))
		snprintf(dir, sizeof(dir), "%s", root);
	for (int depth = 0; depth < CGROUP_DEPTH_MAX; depth++) {
		struct cg_level lv;
		int r = read_level(dir, version, &lv, err);
		char *slash;

		if (r < 0)
			return err->status;
		if (r == 0) {
			uint64_t used = lv.usage - lv.reclaimable;
			uint64_t room = lv.limit > used ? lv.limit - used : 0;
			if (h->cgroup_available == VF_GPU_UNKNOWN || room < h->cgroup_available) {
				h->cgroup_version = version;
				h->cgroup_limit = lv.limit;
				h->cgroup_usage = lv.usage;
				h->cgroup_reclaimable = lv.reclaimable;
				h->cgroup_available = room;
			}
		}
		if (strlen(dir) <= rootlen)
			break;
		slash = strrchr(dir + rootlen, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
	return VF_OK;
}

static enum vf_status read_cgroup(const char *self, const char *root, struct vf_host *h,
				  struct vf_err *err)
{
	char *buf = vf_malloc(HOST_FILE_MAX), *line, *save = NULL;
	char v2[PATH_MAX] = "", v1[PATH_MAX] = "";
	bool have_v2 = false, have_v1 = false;
	enum vf_status st = VF_OK;
	size_t len;
	int r;

	if (!buf)
		return vf_fail(err, VF_ENOMEM, self, "out of memory");
	r = read_small(self, buf, HOST_FILE_MAX, &len, err, true);
	if (r) {
		vf_free(buf);
		return r > 0 ? VF_OK : err->status; /* no cgroups at all: no limit */
	}
	/* Lines are "ID:CONTROLLERS:PATH"; v2 is "0::PATH". */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || c2[1] != '/')
			continue;
		*c2 = '\0';
		if (strcmp(line, "0:") == 0 && c1 + 1 == c2) {
			snprintf(v2, sizeof(v2), "%s", c2 + 1);
			have_v2 = true;
		} else {
			char *ctl = c1 + 1, *tok, *s2 = NULL;
			for (tok = strtok_r(ctl, ",", &s2); tok; tok = strtok_r(NULL, ",", &s2))
				if (strcmp(tok, "memory") == 0) {
					snprintf(v1, sizeof(v1), "%s", c2 + 1);
					have_v1 = true;
				}
		}
	}
	vf_free(buf);
	if (have_v2)
		st = walk_levels(root, v2, 2, h, err);
	if (!st && have_v1 && h->cgroup_version == 0) {
		char r1[PATH_MAX];
		if (snprintf(r1, sizeof(r1), "%s/memory", root) >= (int)sizeof(r1))
			return vf_fail(err, VF_EUSAGE, root, "path is too long");
		st = walk_levels(r1, v1, 1, h, err);
	}
	return st;
}

/* disk ----------------------------------------------------------------------- */

static enum vf_status read_disk(const char *dir, struct vf_host *h, struct vf_err *err)
{
	char path[sizeof(h->disk_path)];
	struct statvfs sv;

	if (snprintf(path, sizeof(path), "%s", *dir ? dir : ".") >= (int)sizeof(path))
		return vf_fail(err, VF_EUSAGE, dir, "path is too long");
	/* The offload folder is often created by the load itself: measure its
	 * nearest existing parent, which is where it will live. */
	while (statvfs(path, &sv) != 0) {
		char *slash;
		if (errno != ENOENT)
			return vf_fail(err, VF_EIO, path, "cannot measure free space: %s",
				       strerror(errno));
		while (strlen(path) > 1 && path[strlen(path) - 1] == '/')
			path[strlen(path) - 1] = '\0';
		slash = strrchr(path, '/');
		if (!slash)
			snprintf(path, sizeof(path), ".");
		else if (slash == path)
			path[1] = '\0';
		else
			*slash = '\0';
	}
	snprintf(h->disk_path, sizeof(h->disk_path), "%s", path);
	h->disk_known = true;
	h->disk_free = (uint64_t)sv.f_bavail * sv.f_frsize;
	h->disk_total = (uint64_t)sv.f_blocks * sv.f_frsize;
	return VF_OK;
}

enum vf_status vf_host_read(const struct vf_host_paths *paths, const char *disk_dir,
			    struct vf_host *h, struct vf_err *err)
{
	const char *meminfo = paths && paths->meminfo ? paths->meminfo : "/proc/meminfo";
	const char *self = paths && paths->self_cgroup ? paths->self_cgroup : "/proc/self/cgroup";
	const char *root = paths && paths->cgroup_root ? paths->cgroup_root : "/sys/fs/cgroup";
	const char *replay = paths ? NULL : getenv(VF_HOST_ROOT_ENV);
	char rm[PATH_MAX], rs[PATH_MAX], rr[PATH_MAX];

	memset(h, 0, sizeof(*h));
	if (replay && *replay) {
		/* another host's files, laid out as tests/data/gpu_host/NAME */
		if (snprintf(rm, sizeof(rm), "%s/meminfo", replay) >= (int)sizeof(rm) ||
		    snprintf(rs, sizeof(rs), "%s/self_cgroup", replay) >= (int)sizeof(rs) ||
		    snprintf(rr, sizeof(rr), "%s/cgroup", replay) >= (int)sizeof(rr))
			return vf_fail(err, VF_EUSAGE, replay, "path is too long");
		meminfo = rm, self = rs, root = rr;
	}
	h->cgroup_limit = h->cgroup_available = VF_GPU_UNKNOWN;
	if (read_meminfo(meminfo, h, err) || read_cgroup(self, root, h, err))
		return err->status;
	h->ram_available = h->meminfo_available;
	if (h->cgroup_available != VF_GPU_UNKNOWN && h->cgroup_available < h->ram_available) {
		h->ram_available = h->cgroup_available;
		h->ram_limited_by_cgroup = true;
	}
	if (disk_dir && read_disk(disk_dir, h, err))
		return err->status;
	return VF_OK;
}

/* process names -------------------------------------------------------------- */

void vf_proc_name(const char *proc_root, uint32_t pid, char *buf, size_t n)
{
	char path[PATH_MAX], raw[4096];
	size_t len = 0, o = 0, start = 0;
	struct vf_err e = {0};

	buf[0] = '\0';
	if (n < 8)
		return;
	snprintf(path, sizeof(path), "%s/%" PRIu32 "/cmdline", proc_root, pid);
	if (read_small(path, raw, sizeof(raw), &len, &e, true) || len == 0) {
		/* Kernel threads and zombies have no cmdline; comm is the short name. */
		vf_err_clear(&e);
		snprintf(path, sizeof(path), "%s/%" PRIu32 "/comm", proc_root, pid);
		if (read_small(path, raw, sizeof(raw), &len, &e, true))
			return;
		while (len && (raw[len - 1] == '\n' || raw[len - 1] == '\0'))
			len--;
		raw[len] = '\0';
	} else {
		/* argv[0] without its directory: "python3 train.py", not "/usr/bin/python3 ..." */
		const char *slash = memrchr(raw, '/', strnlen(raw, len));
		start = slash ? (size_t)(slash - raw) + 1 : 0;
		while (len && raw[len - 1] == '\0')
			len--;
	}
	for (size_t i = start; i < len && o + 1 < n; i++) {
		unsigned char c = (unsigned char)raw[i];
		buf[o++] = c == '\0' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[o] = '\0';
	if (len - start >= n && n > 4)
		memcpy(buf + n - 4, "...", 4); /* cut: say so */
}
