/*
 * gpu_int.h - what the gpu/ files share with each other and with their unit
 * tests, not with the rest of vramfit (which includes gpu.h only).
 *
 * The probe is split so that everything but the two driver calls can be
 * tested on a machine with no GPU: gpu_nvml.c reads NVML through a symbol
 * resolver (dlsym in real use, a table of fakes in tests), gpu_cuda.c wraps
 * the CUDA runtime, and gpu_probe.c merges their two lists through a
 * struct vf_gpu_backend that tests fill with fakes.
 */
#ifndef VF_GPU_INT_H
#define VF_GPU_INT_H

#include <string.h>

#include "gpu/gpu.h"

/* Copies a NUL-terminated string, cut to fit n bytes (n > 0). */
static inline void vf_copy_str(char *dst, size_t n, const char *src)
{
	size_t k = strnlen(src, n - 1);

	memcpy(dst, src, k);
	dst[k] = '\0';
}

/* One GPU as one API (CUDA or NVML) reports it. */
struct vf_raw_gpu {
	char name[VF_GPU_NAME_MAX];
	char uuid[VF_GPU_NAME_MAX]; /* "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
	char pci[32];		    /* normalised: "0000:3b:00.0" */
	int cc_major, cc_minor;
	uint64_t bandwidth; /* bytes/s from clock and bus width; 0 unknown */

	bool have_mem; /* total/free/used below were read */
	uint64_t total, free, used, reserved;

	bool procs_known;
	struct vf_gpu_process *procs; /* names are filled in later by the probe */
	size_t nprocs;
};

struct vf_raw_list {
	struct vf_raw_gpu *v;
	size_t n;
	bool ok;		    /* the API could be used (n may still be 0) */
	int code;		    /* the API's error code when !ok */
	char error[VF_GPU_MSG_MAX]; /* the API's words when !ok */
	int runtime, driver;	    /* CUDA: runtime and driver versions */
	char driver_version[80];    /* NVML: "550.54.15" */
	char warnings[4][VF_GPU_MSG_MAX];
	unsigned nwarnings;
};
void vf_raw_list_release(struct vf_raw_list *l);
/* Adds a zeroed GPU at the end; NULL when out of memory. */
struct vf_raw_gpu *vf_raw_list_add(struct vf_raw_list *l);

/* CUDA runtime error codes the probe tells apart (driver_types.h). */
enum {
	VF_CUDA_ERR_INSUFFICIENT_DRIVER = 35,
	VF_CUDA_ERR_NO_DEVICE = 100,
};

/* What the probe calls; vf_gpu_probe() uses the real ones. */
struct vf_gpu_backend {
	bool cuda_built;
	/* Lists CUDA devices without creating a context. */
	enum vf_status (*cuda_list)(struct vf_raw_list *out, struct vf_err *err);
	/* cudaMemGetInfo on one ordinal (creates a context); 0 or a CUDA error code. */
	int (*cuda_meminfo)(int ordinal, uint64_t *free, uint64_t *total, char *msg, size_t n);
	enum vf_status (*nvml_list)(struct vf_raw_list *out, struct vf_err *err);
	const char *proc_root; /* "/proc" */
	/* The environment a CUDA program would see; NULL = unset. */
	const char *cuda_visible_devices, *cuda_device_order;
};
enum vf_status vf_gpu_probe_with(const struct vf_gpu_backend *be, struct vf_gpu_probe *out,
				 struct vf_err *err);

/* gpu_cuda.c */
enum vf_status vf_cuda_list(struct vf_raw_list *out, struct vf_err *err);
int vf_cuda_meminfo(int ordinal, uint64_t *free, uint64_t *total, char *msg, size_t n);
extern const bool vf_cuda_built;

/* gpu_nvml.c: resolve returns the address of an NVML function, or NULL. */
typedef void *(*vf_nvml_resolve_fn)(void *ctx, const char *symbol);
enum vf_status vf_nvml_list_with(vf_nvml_resolve_fn resolve, void *ctx, struct vf_raw_list *out,
				 struct vf_err *err);
/* dlopen()s libname (NULL: "libnvidia-ml.so.1") and reads it. */
enum vf_status vf_nvml_list_lib(const char *libname, struct vf_raw_list *out, struct vf_err *err);
enum vf_status vf_nvml_list(struct vf_raw_list *out, struct vf_err *err);

/* gpu_host.c: "python3 train.py --lr 3e-4" from <proc_root>/<pid>/cmdline, or comm. */
void vf_proc_name(const char *proc_root, uint32_t pid, char *buf, size_t n);

/* gpu_probe.c helpers, exposed for tests. */
/* "0000:3B:00.0" or "00000000:3b:00.0" -> "0000:3b:00.0"; false if not a bus id. */
bool vf_pci_normalise(const char *in, char *out, size_t n);
/*
 * Which of the nvml->n GPUs (in NVML's PCI order) CUDA_VISIBLE_DEVICES keeps,
 * in CUDA's order, as CUDA reads the variable: a comma-separated list of
 * indices or GPU-/MIG- UUID prefixes, read up to the first entry that is
 * invalid, out of range or repeated.  sel must hold nvml->n entries.
 * Returns the count.
 */
size_t vf_cvd_select(const char *cvd, const struct vf_raw_list *nvml, size_t *sel);

/* gpu_catalog.c: the catalogue entry whose driver name is name, or NULL. */
const struct vf_gpu_model *vf_gpu_catalog_by_driver_name(const char *name);

#endif
