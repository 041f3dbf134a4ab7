/*
 * gpu_nvml.c - every GPU as NVML sees it: name, UUID, PCI bus id, compute
 * capability, memory (total, reserved, free, used), bandwidth, and the
 * processes holding memory.
 *
 * Why NVML beside the CUDA runtime: NVML reads free/used without creating a
 * CUDA context (cudaMemGetInfo creates one, which itself takes hundreds of
 * MiB on the GPU being measured), it lists the processes that hold memory,
 * and it works with any driver, while a CUDA 13 runtime refuses a driver
 * older than itself.  NVML ignores CUDA_VISIBLE_DEVICES and numbers GPUs in
 * PCI order; gpu_probe.c maps them to CUDA's devices.
 *
 * Invariants: there is no link-time dependency; functions are resolved by
 * name through a resolver (dlsym on libnvidia-ml.so.1 in real use, fakes in
 * tests) and each versioned name is called with the struct layout nvml_abi.h
 * declares for it.  Only nvmlInit_v2, nvmlDeviceGetCount_v2 and
 * nvmlDeviceGetHandleByIndex_v2 are required; a missing or failing optional
 * call leaves its field unknown.  NVML being absent or refusing is not an
 * error: out->ok is false and out->error says why.  nvmlShutdown always
 * follows a successful nvmlInit.
 */
#include "gpu/gpu_int.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "gpu/nvml_abi.h"

#define NVML_PROCS_MAX 4096 /* per device; NVML itself reports far fewer */

struct nvml {
	vf_nvml_resolve_fn resolve;
	void *ctx;
	nvml_error_string_fn error_string;
};

static void *sym(struct nvml *api, const char *name)
{
	return api->resolve(api->ctx, name);
}

static const char *errstr(struct nvml *api, nvmlReturn_t r)
{
	static char buf[32];
	const char *s = api->error_string ? api->error_string(r) : NULL;

	if (s && *s)
		return s;
	snprintf(buf, sizeof(buf), "NVML error %d", r);
	return buf;
}

static void warn(struct vf_raw_list *l, const char *fmt, const char *a, const char *b)
{
	if (l->nwarnings < sizeof(l->warnings) / sizeof(l->warnings[0]))
		snprintf(l->warnings[l->nwarnings++], VF_GPU_MSG_MAX, fmt, a, b);
}

/* Adds (or merges, by pid) one process; a C+G process is in both lists. */
static bool add_proc(struct vf_raw_gpu *g, unsigned int pid, unsigned long long used)
{
	uint64_t u = used == NVML_VALUE_NOT_AVAILABLE_ULL ? VF_GPU_UNKNOWN : (uint64_t)used;
	struct vf_gpu_process *p;

	for (size_t i = 0; i < g->nprocs; i++)
		if (g->procs[i].pid == pid) {
			if (u != VF_GPU_UNKNOWN &&
			    (g->procs[i].used == VF_GPU_UNKNOWN || u > g->procs[i].used))
				g->procs[i].used = u;
			return true;
		}
	if (g->nprocs >= NVML_PROCS_MAX)
		return true;
	p = vf_realloc(g->procs, (g->nprocs + 1) * sizeof(*p));
	if (!p)
		return false;
	g->procs = p;
	memset(&p[g->nprocs], 0, sizeof(*p));
	p[g->nprocs].pid = pid;
	p[g->nprocs].used = u;
	g->nprocs++;
	return true;
}

/*
 * Calls one of the *RunningProcesses functions: first with no room to learn
 * the count, then with room for it plus slack (processes come and go
 * between the calls), retrying a few times.  Returns the NVML status.
 */
static nvmlReturn_t list_procs(struct nvml *api, nvmlDevice_t dev, const char *kind,
			       struct vf_raw_gpu *g, bool *nomem)
{
	char v3[80], v2[80];
	nvml_procs_v2_fn f2;
	nvml_procs_v1_fn f1 = NULL;
	nvmlReturn_t r = NVML_ERROR_FUNCTION_NOT_FOUND;

	snprintf(v3, sizeof(v3), "nvmlDeviceGet%sRunningProcesses_v3", kind);
	snprintf(v2, sizeof(v2), "nvmlDeviceGet%sRunningProcesses_v2", kind);
	f2 = (nvml_procs_v2_fn)sym(api, v3);
	if (!f2)
		f2 = (nvml_procs_v2_fn)sym(api, v2);
	if (!f2) {
		char v1[80];
		snprintf(v1, sizeof(v1), "nvmlDeviceGet%sRunningProcesses", kind);
		f1 = (nvml_procs_v1_fn)sym(api, v1);
		if (!f1)
			return NVML_ERROR_FUNCTION_NOT_FOUND;
	}
	for (int attempt = 0; attempt < 4; attempt++) {
		unsigned int count = 0, room;
		size_t esize = f2 ? sizeof(nvmlProcessInfo_v2_t) : sizeof(nvmlProcessInfo_v1_t);
		void *infos;

		r = f2 ? f2(dev, &count, NULL) : f1(dev, &count, NULL);
		if (r == NVML_SUCCESS)
			return r; /* nothing running */
		if (r != NVML_ERROR_INSUFFICIENT_SIZE)
			return r;
		if (count > NVML_PROCS_MAX)
			count = NVML_PROCS_MAX;
		room = count + 8;
		infos = vf_calloc(room, esize);
		if (!infos) {
			*nomem = true;
			return NVML_ERROR_UNKNOWN;
		}
		count = room;
		r = f2 ? f2(dev, &count, infos) : f1(dev, &count, infos);
		if (r == NVML_SUCCESS) {
			if (count > room)
				count = room;
			for (unsigned int i = 0; i < count && !*nomem; i++) {
				if (f2) {
					nvmlProcessInfo_v2_t *p = (nvmlProcessInfo_v2_t *)infos + i;
					*nomem = !add_proc(g, p->pid, p->usedGpuMemory);
				} else {
					nvmlProcessInfo_v1_t *p = (nvmlProcessInfo_v1_t *)infos + i;
					*nomem = !add_proc(g, p->pid, p->usedGpuMemory);
				}
			}
		}
		vf_free(infos);
		if (r != NVML_ERROR_INSUFFICIENT_SIZE || *nomem)
			return r;
	}
	return r;
}

static enum vf_status read_device(struct nvml *api, unsigned int i, struct vf_raw_list *out,
				  struct vf_err *err)
{
	nvml_handle_fn by_index = (nvml_handle_fn)sym(api, "nvmlDeviceGetHandleByIndex_v2");
	nvml_string_fn get_name = (nvml_string_fn)sym(api, "nvmlDeviceGetName");
	nvml_string_fn get_uuid = (nvml_string_fn)sym(api, "nvmlDeviceGetUUID");
	nvml_pci_fn get_pci = (nvml_pci_fn)sym(api, "nvmlDeviceGetPciInfo_v3");
	nvml_memory_v2_fn mem2 = (nvml_memory_v2_fn)sym(api, "nvmlDeviceGetMemoryInfo_v2");
	nvml_memory_fn mem1 = (nvml_memory_fn)sym(api, "nvmlDeviceGetMemoryInfo");
	nvml_cc_fn get_cc = (nvml_cc_fn)sym(api, "nvmlDeviceGetCudaComputeCapability");
	nvml_uint_fn bus_width = (nvml_uint_fn)sym(api, "nvmlDeviceGetMemoryBusWidth");
	nvml_clock_fn max_clock = (nvml_clock_fn)sym(api, "nvmlDeviceGetMaxClockInfo");
	struct vf_raw_gpu *g;
	nvmlDevice_t dev = NULL;
	nvmlReturn_t r, rc, rg;
	bool nomem = false;
	char idx[16];

	snprintf(idx, sizeof(idx), "%u", i);
	if (!get_pci)
		get_pci = (nvml_pci_fn)sym(api, "nvmlDeviceGetPciInfo_v2");
	r = by_index(i, &dev);
	if (r != NVML_SUCCESS) {
		/* A GPU NVML may not touch (no permission, fallen off the bus) is left out. */
		warn(out, "NVML device %s: %s", idx, errstr(api, r));
		return VF_OK;
	}
	g = vf_raw_list_add(out);
	if (!g)
		return vf_fail(err, VF_ENOMEM, NULL, "out of memory");
	if (get_name && get_name(dev, g->name, sizeof(g->name)) != NVML_SUCCESS)
		g->name[0] = '\0';
	g->name[sizeof(g->name) - 1] = '\0';
	if (get_uuid && get_uuid(dev, g->uuid, sizeof(g->uuid)) != NVML_SUCCESS)
		g->uuid[0] = '\0';
	g->uuid[sizeof(g->uuid) - 1] = '\0';
	if (get_pci) {
		nvmlPciInfo_t pci;
		memset(&pci, 0, sizeof(pci));
		if (get_pci(dev, &pci) == NVML_SUCCESS) {
			pci.busId[sizeof(pci.busId) - 1] = '\0';
			if (!vf_pci_normalise(pci.busId, g->pci, sizeof(g->pci)))
				g->pci[0] = '\0';
		}
	}
	if (mem2) {
		nvmlMemory_v2_t m;
		memset(&m, 0, sizeof(m));
		m.version = NVML_MEMORY_V2_VERSION;
		if (mem2(dev, &m) == NVML_SUCCESS) {
			g->have_mem = true;
			g->total = m.total;
			g->reserved = m.reserved;
			g->free = m.free;
			g->used = m.used;
		}
	}
	if (!g->have_mem && mem1) {
		nvmlMemory_t m;
		memset(&m, 0, sizeof(m));
		r = mem1(dev, &m);
		if (r == NVML_SUCCESS) {
			g->have_mem = true;
			g->total = m.total;
			g->free = m.free;
			g->used = m.used;
		} else {
			warn(out, "NVML device %s: memory info: %s", idx, errstr(api, r));
		}
	}
	if (get_cc && get_cc(dev, &g->cc_major, &g->cc_minor) != NVML_SUCCESS)
		g->cc_major = g->cc_minor = 0;
	if (bus_width && max_clock) {
		unsigned int width = 0, mhz = 0;
		/* Double data rate: two transfers per memory clock, width/8 bytes each;
		 * the same formula as CUDA's memoryClockRate * memoryBusWidth. */
		if (bus_width(dev, &width) == NVML_SUCCESS &&
		    max_clock(dev, NVML_CLOCK_MEM, &mhz) == NVML_SUCCESS)
			g->bandwidth = (uint64_t)mhz * 1000000u * 2u * (width / 8u);
	}
	rc = list_procs(api, dev, "Compute", g, &nomem);
	rg = nomem ? rc : list_procs(api, dev, "Graphics", g, &nomem);
	if (nomem)
		return vf_fail(err, VF_ENOMEM, NULL, "out of memory");
	/* Known if the compute list was read: that is where CUDA programs appear. */
	g->procs_known = rc == NVML_SUCCESS;
	if (rc != NVML_SUCCESS)
		warn(out, "NVML device %s: process list: %s", idx, errstr(api, rc));
	(void)rg; /* graphics processes are a bonus: a failure there says nothing new */
	return VF_OK;
}

enum vf_status vf_nvml_list_with(vf_nvml_resolve_fn resolve, void *ctx, struct vf_raw_list *out,
				 struct vf_err *err)
{
	struct nvml api = {resolve, ctx, NULL};
	nvml_void_fn init, shutdown;
	nvml_count_fn count_fn;
	nvml_driver_version_fn drv;
	enum vf_status st = VF_OK;
	unsigned int count = 0;
	nvmlReturn_t r;

	memset(out, 0, sizeof(*out));
	api.error_string = (nvml_error_string_fn)sym(&api, "nvmlErrorString");
	init = (nvml_void_fn)sym(&api, "nvmlInit_v2");
	shutdown = (nvml_void_fn)sym(&api, "nvmlShutdown");
	count_fn = (nvml_count_fn)sym(&api, "nvmlDeviceGetCount_v2");
	if (!init || !shutdown || !count_fn || !sym(&api, "nvmlDeviceGetHandleByIndex_v2")) {
		out->code = NVML_ERROR_FUNCTION_NOT_FOUND;
		snprintf(out->error, sizeof(out->error),
			 "the NVML library lacks nvmlInit_v2 and friends (too old)");
		return VF_OK;
	}
	r = init();
	if (r != NVML_SUCCESS) {
		out->code = r;
		snprintf(out->error, sizeof(out->error), "nvmlInit: %s", errstr(&api, r));
		return VF_OK;
	}
	drv = (nvml_driver_version_fn)sym(&api, "nvmlSystemGetDriverVersion");
	if (drv && drv(out->driver_version, sizeof(out->driver_version)) != NVML_SUCCESS)
		out->driver_version[0] = '\0';
	out->driver_version[sizeof(out->driver_version) - 1] = '\0';
	r = count_fn(&count);
	if (r != NVML_SUCCESS) {
		out->code = r;
		snprintf(out->error, sizeof(out->error), "nvmlDeviceGetCount: %s", errstr(&api, r));
	} else {
		out->ok = true;
		if (count > VF_GPU_MAX_DEVICES)
			count = VF_GPU_MAX_DEVICES;
		for (unsigned int i = 0; i < count && !st; i++)
			st = read_device(&api, i, out, err);
	}
	shutdown();
	if (st)
		vf_raw_list_release(out);
	return st;
}

static void *dl_resolve(void *handle, const char *name)
{
	return dlsym(handle, name);
}

enum vf_status vf_nvml_list_lib(const char *libname, struct vf_raw_list *out, struct vf_err *err)
{
	const char *name = libname ? libname : "libnvidia-ml.so.1";
	void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	enum vf_status st;

	if (!h) {
		const char *why = dlerror();
		memset(out, 0, sizeof(*out));
		out->code = -1;
		snprintf(out->error, sizeof(out->error), "%s", why ? why : name);
		return VF_OK;
	}
	st = vf_nvml_list_with(dl_resolve, h, out, err);
	/* Not dlclose()d: NVML may leave threads or atexit handlers behind, and
	 * unloading their code under them is worse than keeping one library. */
	return st;
}

enum vf_status vf_nvml_list(struct vf_raw_list *out, struct vf_err *err)
{
	return vf_nvml_list_lib(NULL, out, err);
}
