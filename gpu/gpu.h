/*
 * gpu.h - the devices a plan is made for, measured or hypothetical, and the
 * host RAM and disk beside them.
 *
 * A measured GPU (CUDA runtime and NVML), a catalogue GPU ("--gpu h100:8")
 * and a user-described one ("--gpu 8GiB,used=7.8GiB") are the same
 * struct vf_device, so the planner never knows the difference; `source` and
 * the per-number sources only say where the numbers came from.
 *
 * Ownership: struct vf_devices owns its array and every device's process
 * list; vf_devices_release() frees them (and is a no-op on a zeroed struct).
 * Errors: every fallible function returns an enum vf_status and records the
 * message on err (common/err.h).  A machine with no GPU, no driver or no CUDA
 * toolkit at build time is not an error: the probe succeeds with no devices
 * and says why.  Nothing here prints or exits.
 */
#ifndef VF_GPU_H
#define VF_GPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Where a device, or one of its numbers, came from. */
enum vf_gpu_source {
	VF_SRC_NONE = 0, /* not known */
	VF_SRC_CUDA,	 /* the CUDA runtime (cudaGetDeviceProperties, cudaMemGetInfo) */
	VF_SRC_NVML,	 /* NVML, loaded at run time from libnvidia-ml.so.1 */
	VF_SRC_CATALOG,	 /* vramfit's built-in catalogue of published numbers */
	VF_SRC_USER,	 /* the command line (--gpu 24GiB, used=...) */
};
const char *vf_gpu_source_name(enum vf_gpu_source s); /* "cuda", "nvml", ... "none" */

#define VF_GPU_NAME_MAX 96
#define VF_GPU_PROC_NAME_MAX 128
#define VF_GPU_MAX_DEVICES 1024	  /* the most devices one list holds */
#define VF_GPU_UNKNOWN UINT64_MAX /* a byte count that could not be read */

/* A process holding memory on a GPU (NVML). */
struct vf_gpu_process {
	uint32_t pid;
	uint64_t used;			 /* bytes, or VF_GPU_UNKNOWN (no permission, WDDM) */
	char name[VF_GPU_PROC_NAME_MAX]; /* "python train.py" from /proc; "" unknown */
};

struct vf_device {
	unsigned index; /* position in the list: the CUDA ordinal for measured GPUs */
	char name[VF_GPU_NAME_MAX];
	enum vf_gpu_source source; /* who described the device */

	/* What the planner uses.  used = total - free; all in bytes. */
	uint64_t total; /* what a CUDA process can address (not the driver-reserved part) */
	uint64_t free;	/* unallocated right now (or total - used= for hypotheticals) */
	uint64_t used;
	enum vf_gpu_source total_src, free_src;

	/* Who holds `used`.  used_by_processes sums the known sizes. */
	struct vf_gpu_process *procs;
	size_t nprocs;
	bool procs_known; /* false: NVML absent or refused, so the list says nothing */
	uint64_t used_by_processes;

	uint64_t bandwidth; /* peak memory bandwidth, bytes per second; 0 unknown */
	enum vf_gpu_source bandwidth_src;
	int cc_major, cc_minor;	    /* CUDA compute capability; 0.0 unknown or not NVIDIA */
	char uuid[VF_GPU_NAME_MAX]; /* "GPU-8f6a..." as nvidia-smi prints it; "" unknown */
	char pci_bus_id[32];	    /* "0000:3b:00.0"; "" unknown */

	/* NVML's own view, for the cross-check; 0 when NVML did not report it. */
	uint64_t nvml_total;	/* physical memory, includes what the driver reserves */
	uint64_t nvml_reserved; /* driver/firmware reserve (nvmlDeviceGetMemoryInfo_v2) */
	/* true when free came from cudaMemGetInfo, after vramfit's own context took its share */
	bool free_after_own_context;
};

struct vf_devices {
	struct vf_device *v;
	size_t n;
};
void vf_devices_release(struct vf_devices *d);

/* Why a probe found no device. */
enum vf_gpu_absence {
	VF_GPU_PRESENT = 0,
	VF_GPU_NOT_BUILT,   /* built without the CUDA toolkit, and NVML saw nothing */
	VF_GPU_NO_DRIVER,   /* no NVIDIA driver (libcuda.so.1 could not be loaded) */
	VF_GPU_OLD_DRIVER,  /* the driver is older than the CUDA runtime, NVML saw nothing */
	VF_GPU_NO_DEVICE,   /* a driver, but no CUDA-capable device */
	VF_GPU_HIDDEN,	    /* devices exist but CUDA_VISIBLE_DEVICES hides them all */
	VF_GPU_CUDA_FAILED, /* any other CUDA error */
};

#define VF_GPU_MSG_MAX 256
#define VF_GPU_MAX_WARNINGS 16

struct vf_gpu_probe {
	struct vf_devices devs;
	enum vf_gpu_source source; /* CUDA, NVML (CUDA unusable), or NONE */
	enum vf_gpu_absence absence;
	char why[VF_GPU_MSG_MAX]; /* "no CUDA device: ..." when devs.n == 0 */

	bool cuda_built;		 /* compiled with the CUDA toolkit */
	int cuda_runtime, cuda_driver;	 /* 13000 = 13.0; driver 0 = none installed */
	char cuda_error[VF_GPU_MSG_MAX]; /* "" when the runtime worked */
	bool nvml;			 /* libnvidia-ml.so.1 loaded and initialised */
	char nvml_error[VF_GPU_MSG_MAX]; /* why not, or "" */
	char driver_version[80];	 /* "550.54.15" from NVML, or "" */

	char warnings[VF_GPU_MAX_WARNINGS][VF_GPU_MSG_MAX]; /* cross-check disagreements */
	unsigned nwarnings;
};

/*
 * Measures this machine's GPUs: NVML first (no CUDA context, per-process
 * memory), then the CUDA runtime for the devices a CUDA program would see
 * (CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER), matched to NVML by UUID or PCI
 * bus id.  cudaMemGetInfo is called only for a device NVML could not report.
 * Fails only when out of memory.  Release with vf_gpu_probe_release().
 */
enum vf_status vf_gpu_probe(struct vf_gpu_probe *out, struct vf_err *err);
void vf_gpu_probe_release(struct vf_gpu_probe *p);

/* One entry of the built-in catalogue (gpu_catalog.c cites each number). */
struct vf_gpu_model {
	const char *key;     /* "h100-sxm": the canonical --gpu name */
	const char *name;    /* "NVIDIA H100 80GB HBM3": as the driver names it */
	const char *aliases; /* "h100,h100-80g,...": more --gpu names, comma-separated */
	const char *memory;  /* "80 GB HBM3": the datasheet's words */
	uint64_t total;	     /* bytes the driver reports as total (nvidia-smi) */
	uint64_t bandwidth;  /* datasheet peak, bytes per second */
	int cc_major, cc_minor;
};

/* The catalogue, in a stable order. */
const struct vf_gpu_model *vf_gpu_catalog(size_t *n);
/*
 * Finds a model by key, alias or driver name: case, spaces, '-' and '_' do not
 * matter, and an "nvidia"/"geforce"/"tesla"/"amd"/"instinct" prefix may be
 * left out.  Returns NULL when unknown; *ambiguous (may be NULL) is set to a
 * hint such as "a100-80g, a100-40g" for names like "a100" that mean several.
 */
const struct vf_gpu_model *vf_gpu_catalog_find(const char *name, const char **ambiguous);

/*
 * Appends the devices one --gpu SPEC describes:
 *   NAME[:COUNT][,used=SIZE|,free=SIZE]   a catalogue GPU ("h100:8", "a100-40g")
 *   SIZE[:COUNT][,used=SIZE|,free=SIZE]   any GPU of that total ("24GiB")
 * SIZE as in common/size.h; COUNT 1..VF_GPU_MAX_DEVICES.  used= replays an
 * OOM report ("8GiB,used=7.8GiB").  Bad specs fail with VF_EUSAGE.
 */
enum vf_status vf_devices_add_spec(struct vf_devices *d, const char *spec, struct vf_err *err);

/*
 * Bytes the CUDA context of the process that loads the model will take on a
 * GPU of this compute capability major (0: unknown).  A default, not a
 * measurement: see gpu_catalog.c for the numbers and where they come from.
 */
uint64_t vf_gpu_context_overhead(int cc_major);

/* Host RAM and disk. */
struct vf_host {
	uint64_t ram_total;	     /* MemTotal */
	uint64_t ram_available;	     /* min(MemAvailable, cgroup headroom) */
	uint64_t meminfo_available;  /* MemAvailable (or MemFree+Buffers+Cached on old kernels) */
	bool ram_limited_by_cgroup;  /* ram_available is the cgroup's headroom */
	int cgroup_version;	     /* 2, 1, or 0 when no memory limit was found */
	uint64_t cgroup_limit;	     /* memory.max of the tightest level; VF_GPU_UNKNOWN none */
	uint64_t cgroup_usage;	     /* memory.current there */
	uint64_t cgroup_reclaimable; /* inactive_file there (page cache the kernel drops first) */
	uint64_t cgroup_available;   /* limit - (usage - reclaimable); VF_GPU_UNKNOWN none */

	char disk_path[1024]; /* the folder measured (the nearest existing one) */
	bool disk_known;
	uint64_t disk_free, disk_total; /* statvfs f_bavail, f_blocks times f_frsize */
};

/* Where the host is read from; NULL members (or a NULL struct) mean the real paths. */
struct vf_host_paths {
	const char *meminfo;	 /* /proc/meminfo */
	const char *self_cgroup; /* /proc/self/cgroup */
	const char *cgroup_root; /* /sys/fs/cgroup */
};

/*
 * Reads RAM (MemAvailable, lowered to the cgroup's headroom when that is
 * smaller, as in containers) and, when disk_dir is not NULL, the free disk
 * at disk_dir or, if it does not exist yet, at its nearest existing parent.
 * With paths NULL and VF_HOST_ROOT set in the environment, the host's files
 * are read from $VF_HOST_ROOT/meminfo, /self_cgroup and /cgroup instead (the
 * layout of tests/data/gpu_host/NAME): a recorded host replayed, so tests can
 * show what the machine's own RAM does and does not change.
 */
#define VF_HOST_ROOT_ENV "VF_HOST_ROOT"
enum vf_status vf_host_read(const struct vf_host_paths *paths, const char *disk_dir,
			    struct vf_host *out, struct vf_err *err);

#endif
