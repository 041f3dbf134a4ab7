/*
 * test_gpu_probe.c - measured devices without a GPU: the NVML reader
 * (gpu_nvml.c) driven by a fake NVML behind its symbol resolver, the merge of
 * CUDA's and NVML's lists (gpu_probe.c) driven by fake backends, the
 * CUDA_VISIBLE_DEVICES reading, and the real probe on this machine.
 *
 * The fakes reproduce what the real APIs document: NVML's two-call protocol
 * for process lists (NVML_ERROR_INSUFFICIENT_SIZE with the count first),
 * its struct layouts per versioned function name, and the CUDA runtime's
 * error codes (35 insufficient driver, 100 no device).
 */
#include "tests/unit/testutil.h"

#include <dlfcn.h>
#include <sys/wait.h>

#include "common/mem.h"
#include "gpu/gpu_int.h"
#include "gpu/nvml_abi.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)
#define PROC_ROOT "tests/data/gpu_proc"

/* A fake NVML -------------------------------------------------------------- */

struct fake_gpu {
	const char *name, *uuid, *bus;
	unsigned long long total, reserved, free;
	int major, minor;
	unsigned width, mem_mhz;
	unsigned nprocs;
	nvmlProcessInfo_v2_t procs[4];
	unsigned ngfx;
	nvmlProcessInfo_v2_t gfx[2];
};

static struct {
	struct fake_gpu gpus[3];
	unsigned n;
	nvmlReturn_t init_ret, procs_ret;
	bool hide_v2_memory, hide_v3_procs, hide_v2_procs, hide_all;
	int inits, shutdowns, proc_calls;
	unsigned grow_once; /* processes appearing between the two calls */
} fk;

static struct fake_gpu *dev_of(nvmlDevice_t d)
{
	return (struct fake_gpu *)(void *)d;
}

static nvmlReturn_t f_init(void)
{
	fk.inits++;
	return fk.init_ret;
}

static nvmlReturn_t f_shutdown(void)
{
	fk.shutdowns++;
	return NVML_SUCCESS;
}

static const char *f_error_string(nvmlReturn_t r)
{
	return r == NVML_ERROR_NO_PERMISSION ? "Insufficient Permissions" : "Unknown Error";
}

static nvmlReturn_t f_driver(char *buf, unsigned int n)
{
	snprintf(buf, n, "550.54.15");
	return NVML_SUCCESS;
}

static nvmlReturn_t f_count(unsigned int *n)
{
	*n = fk.n;
	return NVML_SUCCESS;
}

static nvmlReturn_t f_handle(unsigned int i, nvmlDevice_t *d)
{
	if (i >= fk.n)
		return NVML_ERROR_INVALID_ARGUMENT;
	*d = (nvmlDevice_t)(void *)&fk.gpus[i];
	return NVML_SUCCESS;
}

static nvmlReturn_t f_name(nvmlDevice_t d, char *buf, unsigned int n)
{
	snprintf(buf, n, "%s", dev_of(d)->name);
	return NVML_SUCCESS;
}

static nvmlReturn_t f_uuid(nvmlDevice_t d, char *buf, unsigned int n)
{
	snprintf(buf, n, "%s", dev_of(d)->uuid);
	return NVML_SUCCESS;
}

static nvmlReturn_t f_pci(nvmlDevice_t d, nvmlPciInfo_t *p)
{
	snprintf(p->busId, sizeof(p->busId), "%s", dev_of(d)->bus);
	return NVML_SUCCESS;
}

static nvmlReturn_t f_mem2(nvmlDevice_t d, nvmlMemory_v2_t *m)
{
	struct fake_gpu *g = dev_of(d);

	if (m->version != (unsigned)(sizeof(nvmlMemory_v2_t) | (2u << 24)))
		return NVML_ERROR_INVALID_ARGUMENT; /* the real check */
	m->total = g->total;
	m->reserved = g->reserved;
	m->free = g->free;
	m->used = g->total - g->reserved - g->free;
	return NVML_SUCCESS;
}

static nvmlReturn_t f_mem1(nvmlDevice_t d, nvmlMemory_t *m)
{
	struct fake_gpu *g = dev_of(d);

	m->total = g->total;
	m->free = g->free;
	m->used = g->total - g->free; /* v1: reserved counted as used */
	return NVML_SUCCESS;
}

static nvmlReturn_t f_cc(nvmlDevice_t d, int *major, int *minor)
{
	*major = dev_of(d)->major;
	*minor = dev_of(d)->minor;
	return NVML_SUCCESS;
}

static nvmlReturn_t f_width(nvmlDevice_t d, unsigned int *w)
{
	*w = dev_of(d)->width;
	return NVML_SUCCESS;
}

static nvmlReturn_t f_clock(nvmlDevice_t d, int type, unsigned int *mhz)
{
	if (type != NVML_CLOCK_MEM)
		return NVML_ERROR_INVALID_ARGUMENT;
	*mhz = dev_of(d)->mem_mhz;
	return NVML_SUCCESS;
}

/* The documented two-call protocol, over either struct layout. */
static nvmlReturn_t procs_common(const nvmlProcessInfo_v2_t *src, unsigned n, unsigned *count,
				 void *infos, size_t esize)
{
	fk.proc_calls++;
	if (fk.procs_ret != NVML_SUCCESS)
		return fk.procs_ret;
	if (fk.grow_once && infos) {
		fk.grow_once--;
		*count = n + 20; /* more arrived than there was room for */
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	if (*count < n) {
		*count = n;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	*count = n;
	for (unsigned i = 0; i < n; i++) {
		if (esize == sizeof(nvmlProcessInfo_v2_t)) {
			((nvmlProcessInfo_v2_t *)infos)[i] = src[i];
		} else {
			nvmlProcessInfo_v1_t *p = (nvmlProcessInfo_v1_t *)infos + i;
			p->pid = src[i].pid;
			p->usedGpuMemory = src[i].usedGpuMemory;
		}
	}
	return NVML_SUCCESS;
}

static nvmlReturn_t f_procs_v2(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_v2_t *p)
{
	return procs_common(dev_of(d)->procs, dev_of(d)->nprocs, count, p, sizeof(*p));
}

static nvmlReturn_t f_procs_v1(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_v1_t *p)
{
	return procs_common(dev_of(d)->procs, dev_of(d)->nprocs, count, p, sizeof(*p));
}

static nvmlReturn_t f_gfx_v2(nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_v2_t *p)
{
	return procs_common(dev_of(d)->gfx, dev_of(d)->ngfx, count, p, sizeof(*p));
}

static void *fake_resolve(void *ctx, const char *name)
{
	static const struct {
		const char *name;
		void *fn;
	} table[] = {
	    {"nvmlInit_v2", (void *)f_init},
	    {"nvmlShutdown", (void *)f_shutdown},
	    {"nvmlErrorString", (void *)f_error_string},
	    {"nvmlSystemGetDriverVersion", (void *)f_driver},
	    {"nvmlDeviceGetCount_v2", (void *)f_count},
	    {"nvmlDeviceGetHandleByIndex_v2", (void *)f_handle},
	    {"nvmlDeviceGetName", (void *)f_name},
	    {"nvmlDeviceGetUUID", (void *)f_uuid},
	    {"nvmlDeviceGetPciInfo_v3", (void *)f_pci},
	    {"nvmlDeviceGetMemoryInfo_v2", (void *)f_mem2},
	    {"nvmlDeviceGetMemoryInfo", (void *)f_mem1},
	    {"nvmlDeviceGetCudaComputeCapability", (void *)f_cc},
	    {"nvmlDeviceGetMemoryBusWidth", (void *)f_width},
	    {"nvmlDeviceGetMaxClockInfo", (void *)f_clock},
	    {"nvmlDeviceGetComputeRunningProcesses_v3", (void *)f_procs_v2},
	    {"nvmlDeviceGetComputeRunningProcesses_v2", (void *)f_procs_v2},
	    {"nvmlDeviceGetComputeRunningProcesses", (void *)f_procs_v1},
	    {"nvmlDeviceGetGraphicsRunningProcesses_v3", (void *)f_gfx_v2},
	};

	(void)ctx;
	if (fk.hide_all)
		return NULL;
	if (fk.hide_v2_memory && !strcmp(name, "nvmlDeviceGetMemoryInfo_v2"))
		return NULL;
	if (fk.hide_v3_procs && strstr(name, "RunningProcesses_v3"))
		return NULL;
	if (fk.hide_v2_procs && strstr(name, "RunningProcesses_v2"))
		return NULL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, name))
			return table[i].fn;
	return NULL;
}

/* Two H100s and an A100 in PCI order; pids 4242/4243 exist in gpu_proc/. */
static void fake_reset(void)
{
	static const struct fake_gpu busy_h100 = {
	    .name = "NVIDIA H100 80GB HBM3",
	    .uuid = "GPU-aaaaaaaa-0000-1111-2222-333333333333",
	    .bus = "00000000:1B:00.0",
	    .total = 81559 * MiB,
	    .reserved = 470 * MiB,
	    .free = 73000 * MiB,
	    .major = 9,
	    .width = 5120,
	    .mem_mhz = 2619,
	    .nprocs = 2,
	    .procs = {{4242, 7800 * MiB, ~0u, ~0u}, {4243, 280 * MiB, ~0u, ~0u}},
	    .ngfx = 1, /* 4243 is a C+G process: in both lists */
	    .gfx = {{4243, 280 * MiB, ~0u, ~0u}},
	};
	static const struct fake_gpu idle_h100 = {
	    .name = "NVIDIA H100 80GB HBM3",
	    .uuid = "GPU-bbbbbbbb-0000-1111-2222-333333333333",
	    .bus = "00000000:3B:00.0",
	    .total = 81559 * MiB,
	    .reserved = 470 * MiB,
	    .free = 81089 * MiB,
	    .major = 9,
	    .width = 5120,
	    .mem_mhz = 2619,
	};
	static const struct fake_gpu a100 = {
	    .name = "NVIDIA A100-SXM4-40GB",
	    .uuid = "GPU-cccccccc-0000-1111-2222-333333333333",
	    .bus = "00000001:00:00.0",
	    .total = 40960 * MiB,
	    .free = 40000 * MiB,
	    .major = 8,
	    .width = 5120,
	    .mem_mhz = 1215,
	    .nprocs = 1, /* a pid from another PID namespace, size not available */
	    .procs = {{99999, 0xffffffffffffffffULL, ~0u, ~0u}},
	};

	memset(&fk, 0, sizeof(fk));
	fk.n = 3;
	fk.gpus[0] = busy_h100;
	fk.gpus[1] = idle_h100;
	fk.gpus[2] = a100;
}

static void test_nvml_reader(void **state)
{
	struct vf_raw_list l;
	struct vf_err err = {0};

	(void)state;
	fake_reset();
	assert_int_equal(vf_nvml_list_with(fake_resolve, NULL, &l, &err), VF_OK);
	assert_true(l.ok);
	assert_int_equal(fk.inits, 1);
	assert_int_equal(fk.shutdowns, 1);
	assert_string_equal(l.driver_version, "550.54.15");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].name, "NVIDIA H100 80GB HBM3");
	assert_string_equal(l.v[0].pci, "0000:1b:00.0"); /* 8-digit domain normalised */
	assert_string_equal(l.v[2].pci, "0001:00:00.0");
	assert_true(l.v[0].have_mem);
	assert_int_equal(l.v[0].total, 81559 * MiB);
	assert_int_equal(l.v[0].reserved, 470 * MiB);
	assert_int_equal(l.v[0].free, 73000 * MiB);
	assert_int_equal(l.v[0].cc_major, 9);
	/* 2619 MHz x 2 x 5120/8 bytes = 3.352 TB/s, the datasheet's 3.35 */
	assert_int_equal(l.v[0].bandwidth, UINT64_C(3352320000000));
	/* pid 4243 is in the compute and the graphics list: counted once */
	assert_true(l.v[0].procs_known);
	assert_int_equal(l.v[0].nprocs, 2);
	assert_int_equal(l.v[0].procs[0].pid, 4242);
	assert_int_equal(l.v[0].procs[0].used, 7800 * MiB);
	assert_int_equal(l.v[0].procs[1].used, 280 * MiB);
	assert_int_equal(l.v[1].nprocs, 0);
	assert_true(l.v[1].procs_known);
	/* NVML_VALUE_NOT_AVAILABLE (WDDM, no permission) is "unknown", not 16 EiB */
	assert_int_equal(l.v[2].procs[0].used, VF_GPU_UNKNOWN);
	vf_raw_list_release(&l);
}

/* Older libraries: v1 memory info and the v1 (16-byte) process struct. */
static void test_nvml_old_abi(void **state)
{
	struct vf_raw_list l;
	struct vf_err err = {0};

	(void)state;
	fake_reset();
	fk.hide_v2_memory = fk.hide_v3_procs = fk.hide_v2_procs = true;
	assert_int_equal(vf_nvml_list_with(fake_resolve, NULL, &l, &err), VF_OK);
	assert_int_equal(l.v[0].reserved, 0);
	assert_int_equal(l.v[0].total, 81559 * MiB);
	assert_int_equal(l.v[0].nprocs, 2);
	assert_int_equal(l.v[0].procs[0].pid, 4242);
	assert_int_equal(l.v[0].procs[0].used, 7800 * MiB);
	assert_int_equal(l.v[0].procs[1].pid, 4243);
	vf_raw_list_release(&l);
}

/* Processes that start between the count and the read: asked again. */
static void test_nvml_process_race(void **state)
{
	struct vf_raw_list l;
	struct vf_err err = {0};

	(void)state;
	fake_reset();
	fk.grow_once = 1;
	assert_int_equal(vf_nvml_list_with(fake_resolve, NULL, &l, &err), VF_OK);
	assert_true(l.v[0].procs_known);
	assert_int_equal(l.v[0].nprocs, 2);
	vf_raw_list_release(&l);
}

static void test_nvml_refusals(void **state)
{
	struct vf_raw_list l;
	struct vf_err err = {0};

	(void)state;
	fake_reset();
	fk.init_ret = NVML_ERROR_NO_PERMISSION;
	assert_int_equal(vf_nvml_list_with(fake_resolve, NULL, &l, &err), VF_OK);
	assert_false(l.ok);
	assert_string_equal(l.error, "nvmlInit: Insufficient Permissions");
	assert_int_equal(fk.shutdowns, 0); /* no shutdown without a successful init */
	assert_int_equal(l.n, 0);

	fake_reset();
	fk.procs_ret = NVML_ERROR_NO_PERMISSION;
	assert_int_equal(vf_nvml_list_with(fake_resolve, NULL, &l, &err), VF_OK);
	assert_true(l.ok);
	assert_false(l.v[0].procs_known);
	assert_true(l.v[0].have_mem); /* memory still read */
	assert_true(l.nwarnings > 0);
	assert_non_null(strstr(l.warnings[0], "process list: Insufficient Permissions"));
	vf_raw_list_release(&l);

	fake_reset();
	fk.hide_all = true;
	assert_int_equal(vf_nvml_list_with(fake_resolve, NULL, &l, &err), VF_OK);
	assert_false(l.ok);
	assert_non_null(strstr(l.error, "too old"));
}

static void test_nvml_absent(void **state)
{
	struct vf_raw_list l;
	struct vf_err err = {0};

	(void)state;
	assert_int_equal(vf_nvml_list_lib("/nonexistent/libnvidia-ml.so.1", &l, &err), VF_OK);
	assert_false(l.ok);
	assert_non_null(strstr(l.error, "No such file"));
	assert_int_equal(l.n, 0);
}

static void test_nvml_alloc_failures(void **state)
{
	unsigned long n;

	(void)state;
	for (n = 1; n < 200; n++) {
		struct vf_raw_list l;
		struct vf_err err = {0};
		enum vf_status st;
		fake_reset();
		vf_mem_fail_at(n);
		st = vf_nvml_list_with(fake_resolve, NULL, &l, &err);
		vf_mem_fail_at(0);
		assert_int_equal(fk.shutdowns, fk.inits);
		if (st == VF_OK) {
			vf_raw_list_release(&l);
			break;
		}
		assert_int_equal(st, VF_ENOMEM);
	}
	assert_true(n > 5 && n < 200);
}

/* Fake backends for the merge ------------------------------------------------ */

static struct {
	int code, driver;
	unsigned n;
	struct vf_raw_gpu gpus[3];
	int meminfo_ret, meminfo_calls;
	bool nvml_absent;
} fc;

static enum vf_status fake_cuda_list(struct vf_raw_list *out, struct vf_err *err)
{
	memset(out, 0, sizeof(*out));
	out->runtime = 13000;
	out->driver = fc.driver;
	if (fc.code) {
		out->code = fc.code;
		snprintf(out->error, sizeof(out->error), "cudaError %d", fc.code);
		return VF_OK;
	}
	out->ok = true;
	for (unsigned i = 0; i < fc.n; i++) {
		struct vf_raw_gpu *g = vf_raw_list_add(out);
		if (!g)
			return vf_fail(err, VF_ENOMEM, NULL, "out of memory");
		*g = fc.gpus[i];
	}
	return VF_OK;
}

static int fake_cuda_meminfo(int ordinal, uint64_t *free, uint64_t *total, char *msg, size_t n)
{
	fc.meminfo_calls++;
	if (fc.meminfo_ret) {
		snprintf(msg, n, "cudaErrorDevicesUnavailable: CUDA-capable device(s) is/are busy");
		return fc.meminfo_ret;
	}
	*free = (uint64_t)(70000 + ordinal) * MiB;
	*total = fc.gpus[ordinal].total;
	return 0;
}

static enum vf_status fake_nvml_list(struct vf_raw_list *out, struct vf_err *err)
{
	if (fc.nvml_absent) {
		memset(out, 0, sizeof(*out));
		out->code = -1;
		snprintf(out->error, sizeof(out->error),
			 "libnvidia-ml.so.1: cannot open shared object file");
		return VF_OK;
	}
	return vf_nvml_list_with(fake_resolve, NULL, out, err);
}

static struct vf_gpu_backend backend(const char *cvd)
{
	struct vf_gpu_backend be = {
	    true, fake_cuda_list, fake_cuda_meminfo, fake_nvml_list, PROC_ROOT, cvd, NULL};
	return be;
}

/*
 * CUDA, fastest first, sees two GPUs: cuda:0 is NVML's index 1 (matched by
 * UUID), cuda:1 NVML's index 0 (no UUID: matched by PCI bus id); the A100
 * is hidden by CUDA_VISIBLE_DEVICES.
 */
static void cuda_two_of_three(void)
{
	memset(&fc, 0, sizeof(fc));
	fake_reset();
	fc.driver = 12040;
	fc.n = 2;
	fc.gpus[0] = (struct vf_raw_gpu){.name = "NVIDIA H100 80GB HBM3",
					 .uuid = "GPU-BBBBBBBB-0000-1111-2222-333333333333",
					 .pci = "0000:3b:00.0",
					 .cc_major = 9,
					 .total = 81089 * MiB,
					 .bandwidth = UINT64_C(3352320000000)};
	fc.gpus[1] = (struct vf_raw_gpu){.name = "NVIDIA H100 80GB HBM3",
					 .pci = "0000:1b:00.0",
					 .cc_major = 9,
					 .total = 81089 * MiB};
}

static void test_merge_cuda_nvml(void **state)
{
	struct vf_gpu_backend be;
	struct vf_gpu_probe p;
	struct vf_err err = {0};
	const struct vf_device *d;

	(void)state;
	cuda_two_of_three();
	be = backend("1,0");
	assert_int_equal(vf_gpu_probe_with(&be, &p, &err), VF_OK);
	assert_int_equal(p.source, VF_SRC_CUDA);
	assert_int_equal(p.absence, VF_GPU_PRESENT);
	assert_string_equal(p.why, "");
	assert_true(p.nvml);
	assert_string_equal(p.driver_version, "550.54.15");
	assert_int_equal(p.cuda_driver, 12040);
	assert_int_equal(p.devs.n, 2);
	assert_int_equal(fc.meminfo_calls, 0); /* no context created: NVML had it all */

	d = &p.devs.v[0]; /* NVML's second GPU, idle */
	assert_int_equal(d->index, 0);
	assert_int_equal(d->source, VF_SRC_CUDA);
	assert_int_equal(d->total, 81089 * MiB);
	assert_int_equal(d->total_src, VF_SRC_CUDA);
	assert_int_equal(d->free, 81089 * MiB); /* NVML's 81089 MiB free */
	assert_int_equal(d->free_src, VF_SRC_NVML);
	assert_int_equal(d->used, 0);
	assert_int_equal(d->nvml_total, 81559 * MiB);
	assert_int_equal(d->nvml_reserved, 470 * MiB);
	assert_string_equal(d->pci_bus_id, "0000:3b:00.0");
	assert_int_equal(d->bandwidth_src, VF_SRC_CUDA);
	assert_false(d->free_after_own_context);

	d = &p.devs.v[1]; /* NVML's first GPU, busy; uuid taken from NVML */
	assert_string_equal(d->uuid, "GPU-aaaaaaaa-0000-1111-2222-333333333333");
	assert_int_equal(d->free, 73000 * MiB);
	assert_int_equal(d->used, 8089 * MiB);
	assert_true(d->procs_known);
	assert_int_equal(d->nprocs, 2);
	assert_string_equal(d->procs[0].name, "python3 train.py --lr 3e-4");
	assert_int_equal(d->procs[0].used, 7800 * MiB);
	assert_string_equal(d->procs[1].name, "nvidia-persiste");
	assert_int_equal(d->used_by_processes, 8080 * MiB);
	assert_int_equal(d->bandwidth_src, VF_SRC_NVML); /* CUDA gave none for it */
	assert_int_equal(d->bandwidth, UINT64_C(3352320000000));

	/* The hidden A100 is mentioned, not listed. */
	assert_true(p.nwarnings >= 1);
	assert_non_null(strstr(p.warnings[p.nwarnings - 1], "NVML sees 3 GPUs, CUDA 2"));
	vf_gpu_probe_release(&p);
	vf_gpu_probe_release(&p);
}

/* Without NVML: cudaMemGetInfo, flagged; or, when that fails, 0 free. */
static void test_merge_without_nvml(void **state)
{
	struct vf_gpu_backend be;
	struct vf_gpu_probe p;
	struct vf_err err = {0};

	(void)state;
	cuda_two_of_three();
	fc.nvml_absent = true;
	be = backend(NULL);
	assert_int_equal(vf_gpu_probe_with(&be, &p, &err), VF_OK);
	assert_false(p.nvml);
	assert_non_null(strstr(p.nvml_error, "libnvidia-ml.so.1"));
	assert_int_equal(fc.meminfo_calls, 2);
	assert_int_equal(p.devs.v[1].free, 70001 * MiB);
	assert_int_equal(p.devs.v[1].free_src, VF_SRC_CUDA);
	assert_true(p.devs.v[1].free_after_own_context);
	assert_false(p.devs.v[1].procs_known);
	/* No bandwidth from either API: the catalogue's, by the driver's name. */
	assert_int_equal(p.devs.v[1].bandwidth, UINT64_C(3350000000000));
	assert_int_equal(p.devs.v[1].bandwidth_src, VF_SRC_CATALOG);
	assert_non_null(strstr(p.warnings[0], "cudaMemGetInfo"));
	vf_gpu_probe_release(&p);

	fc.meminfo_ret = 46; /* e.g. exclusive-process mode, GPU taken */
	fc.meminfo_calls = 0;
	assert_int_equal(vf_gpu_probe_with(&be, &p, &err), VF_OK);
	assert_int_equal(p.devs.v[0].free, 0);
	assert_int_equal(p.devs.v[0].used, p.devs.v[0].total);
	assert_int_equal(p.devs.v[0].free_src, VF_SRC_NONE);
	assert_non_null(strstr(p.warnings[1], "free memory unknown, taken as 0"));
	vf_gpu_probe_release(&p);
}

/* A driver too old for the CUDA 13 runtime: NVML's devices, CVD applied here. */
static void test_merge_nvml_only(void **state)
{
	struct vf_gpu_backend be;
	struct vf_gpu_probe p;
	struct vf_err err = {0};
	const struct vf_device *d;

	(void)state;
	cuda_two_of_three();
	fc.code = VF_CUDA_ERR_INSUFFICIENT_DRIVER;
	be = backend("2,0");
	assert_int_equal(vf_gpu_probe_with(&be, &p, &err), VF_OK);
	assert_int_equal(p.source, VF_SRC_NVML);
	assert_int_equal(p.devs.n, 2);
	d = &p.devs.v[0];
	assert_string_equal(d->name, "NVIDIA A100-SXM4-40GB");
	assert_int_equal(d->index, 0);
	assert_int_equal(d->source, VF_SRC_NVML);
	assert_int_equal(d->total, 40960 * MiB);
	assert_int_equal(d->cc_major, 8);
	assert_string_equal(d->procs[0].name, ""); /* pid 99999 is not in gpu_proc/ */
	assert_int_equal(d->used_by_processes, 0); /* its size was not available */
	d = &p.devs.v[1];
	assert_int_equal(d->total, (81559 - 470) * MiB); /* what CUDA would call total */
	assert_int_equal(d->total_src, VF_SRC_NVML);
	assert_int_equal(d->free, 73000 * MiB);
	assert_non_null(strstr(p.warnings[0], "the CUDA runtime cannot be used"));
	/* H100 and A100 mixed, CUDA_DEVICE_ORDER unset: the order may differ */
	assert_non_null(strstr(p.warnings[1], "fastest first"));
	vf_gpu_probe_release(&p);

	be.cuda_device_order = "PCI_BUS_ID";
	assert_int_equal(vf_gpu_probe_with(&be, &p, &err), VF_OK);
	assert_int_equal(p.nwarnings, 1);
	vf_gpu_probe_release(&p);
}

struct absence_case {
	bool built, nvml_absent;
	int code, driver;
	const char *cvd, *why;
	enum vf_gpu_absence want;
};

static const struct absence_case absences[] = {
    {true, true, VF_CUDA_ERR_INSUFFICIENT_DRIVER, 0, NULL,
     "no CUDA device: no NVIDIA driver is installed (libcuda.so.1 was not found)",
     VF_GPU_NO_DRIVER},
    {true, true, VF_CUDA_ERR_INSUFFICIENT_DRIVER, 12020, NULL,
     "no CUDA device: the NVIDIA driver supports CUDA 12.2, older than vramfit's CUDA 13.0 "
     "runtime, and NVML cannot stand in (libnvidia-ml.so.1: cannot open shared object file)",
     VF_GPU_OLD_DRIVER},
    {true, true, VF_CUDA_ERR_NO_DEVICE, 13000, NULL,
     "no CUDA device: the NVIDIA driver found no CUDA-capable GPU", VF_GPU_NO_DEVICE},
    {true, false, VF_CUDA_ERR_NO_DEVICE, 13000, "",
     "no CUDA device: CUDA_VISIBLE_DEVICES='' hides all 3 GPUs", VF_GPU_HIDDEN},
    {true, true, 999, 13000, NULL, "no CUDA device: the CUDA runtime failed (cudaError 999)",
     VF_GPU_CUDA_FAILED},
    {false, true, -1, 0, NULL,
     "no CUDA device: vramfit was built without the CUDA toolkit, and NVML found no GPU "
     "(libnvidia-ml.so.1: cannot open shared object file)",
     VF_GPU_NOT_BUILT},
    /* CUDA unusable, NVML sees GPUs, but CUDA_VISIBLE_DEVICES=-1 hides them */
    {true, false, VF_CUDA_ERR_INSUFFICIENT_DRIVER, 12020, "-1",
     "no CUDA device: CUDA_VISIBLE_DEVICES='-1' hides all 3 GPUs", VF_GPU_HIDDEN},
};

static void test_absences(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(absences) / sizeof(absences[0]); i++) {
		const struct absence_case *c = &absences[i];
		struct vf_gpu_backend be;
		struct vf_gpu_probe p;
		struct vf_err err = {0};

		cuda_two_of_three();
		fc.code = c->code;
		fc.driver = c->driver;
		fc.nvml_absent = c->nvml_absent;
		be = backend(c->cvd);
		be.cuda_built = c->built;
		assert_int_equal(vf_gpu_probe_with(&be, &p, &err), VF_OK);
		if (p.absence != c->want)
			fail_msg("case %zu: absence %d, want %d (%s)", i, p.absence, c->want,
				 p.why);
		assert_int_equal(p.devs.n, 0);
		assert_int_equal(p.source, VF_SRC_NONE);
		assert_string_equal(p.why, c->why);
		vf_gpu_probe_release(&p);
	}
}

/* Disagreements between the witnesses are said, not hidden. */
static void test_cross_check(void **state)
{
	struct vf_gpu_backend be;
	struct vf_gpu_probe p;
	struct vf_err err = {0};

	(void)state;
	cuda_two_of_three();
	snprintf(fc.gpus[0].name, sizeof(fc.gpus[0].name), "NVIDIA H100 PCIe");
	fc.gpus[0].cc_minor = 1;
	fc.gpus[0].total = 90000 * MiB; /* more than NVML's physical total */
	fc.gpus[1].total = 60000 * MiB; /* far less than NVML's */
	be = backend(NULL);
	assert_int_equal(vf_gpu_probe_with(&be, &p, &err), VF_OK);
	assert_int_equal(p.nwarnings, 6);
	assert_string_equal(
	    p.warnings[0], "GPU 0: CUDA calls it 'NVIDIA H100 PCIe', NVML 'NVIDIA H100 80GB HBM3'");
	assert_string_equal(p.warnings[1],
			    "GPU 0: compute capability 9.1 from CUDA, 9.0 from NVML");
	assert_string_equal(p.warnings[2],
			    "GPU 0: NVML total 81559 MiB is less than CUDA's 90000 MiB");
	assert_string_equal(p.warnings[3],
			    "GPU 1: NVML total 81559 MiB is far above CUDA's 60000 MiB");
	assert_string_equal(p.warnings[4],
			    "GPU 1: NVML reports 73000 MiB free, more than CUDA's total; capped");
	assert_int_equal(p.devs.v[1].free, 60000 * MiB);
	assert_int_equal(p.devs.v[1].used, 0);
	vf_gpu_probe_release(&p);
}

static void test_probe_alloc_failures(void **state)
{
	unsigned long n;

	(void)state;
	for (n = 1; n < 400; n++) {
		struct vf_gpu_backend be;
		struct vf_gpu_probe p;
		struct vf_err err = {0};
		enum vf_status st;
		cuda_two_of_three();
		be = backend(NULL);
		vf_mem_fail_at(n);
		st = vf_gpu_probe_with(&be, &p, &err);
		vf_mem_fail_at(0);
		if (st == VF_OK) {
			vf_gpu_probe_release(&p);
			break;
		}
		assert_int_equal(st, VF_ENOMEM);
		assert_int_equal(p.devs.n, 0);
	}
	assert_true(n > 5 && n < 400);
}

/* CUDA_VISIBLE_DEVICES, read as the CUDA runtime reads it --------------------- */

static void test_cvd(void **state)
{
	struct vf_raw_list l;
	struct vf_err err = {0};
	size_t sel[3], n;

	(void)state;
	fake_reset();
	assert_int_equal(vf_nvml_list_with(fake_resolve, NULL, &l, &err), VF_OK);
	n = vf_cvd_select(NULL, &l, sel);
	assert_int_equal(n, 3);
	assert_int_equal(vf_cvd_select("", &l, sel), 0);
	assert_int_equal(vf_cvd_select("-1", &l, sel), 0);
	n = vf_cvd_select("2,0", &l, sel);
	assert_int_equal(n, 2);
	assert_int_equal(sel[0], 2);
	assert_int_equal(sel[1], 0);
	n = vf_cvd_select(" 1 , 2 ", &l, sel);
	assert_int_equal(n, 2);
	assert_int_equal(sel[0], 1);
	assert_int_equal(vf_cvd_select("0,0,1", &l, sel), 1);	/* a repeat ends it */
	assert_int_equal(vf_cvd_select("0,7,1", &l, sel), 1);	/* out of range ends it */
	assert_int_equal(vf_cvd_select("1,x,0", &l, sel), 1);	/* garbage ends it */
	assert_int_equal(vf_cvd_select("MIG-abc", &l, sel), 0); /* MIG: not mapped */
	n = vf_cvd_select("GPU-ccc,GPU-AAAA", &l, sel);		/* UUID prefixes */
	assert_int_equal(n, 2);
	assert_int_equal(sel[0], 2);
	assert_int_equal(sel[1], 0);
	assert_int_equal(vf_cvd_select("GPU-", &l, sel), 0); /* prefix of all: ambiguous */
	vf_raw_list_release(&l);
}

static void test_pci(void **state)
{
	char out[32];

	(void)state;
	assert_true(vf_pci_normalise("0000:3B:00.0", out, sizeof(out)));
	assert_string_equal(out, "0000:3b:00.0");
	assert_true(vf_pci_normalise("00000000:3b:00.0", out, sizeof(out)));
	assert_string_equal(out, "0000:3b:00.0");
	assert_true(vf_pci_normalise("00000001:C1:1F.3", out, sizeof(out)));
	assert_string_equal(out, "0001:c1:1f.3");
	assert_false(vf_pci_normalise("", out, sizeof(out)));
	assert_false(vf_pci_normalise("0000:3b:00", out, sizeof(out)));
	assert_false(vf_pci_normalise("0000:3b:00.0x", out, sizeof(out)));
}

/* The real probe ---------------------------------------------------------------- */

/* On any machine, the result hangs together. */
static void test_real_probe(void **state)
{
	struct vf_gpu_probe p;
	struct vf_err err = {0};

	(void)state;
	assert_int_equal(vf_gpu_probe(&p, &err), VF_OK);
	assert_int_equal(p.cuda_built, vf_cuda_built);
	if (p.devs.n == 0) {
		assert_int_equal(p.source, VF_SRC_NONE);
		assert_int_not_equal(p.absence, VF_GPU_PRESENT);
		assert_int_equal(strncmp(p.why, "no CUDA device: ", 16), 0);
	} else {
		assert_true(p.source == VF_SRC_CUDA || p.source == VF_SRC_NVML);
		for (size_t i = 0; i < p.devs.n; i++) {
			assert_true(p.devs.v[i].total > 0);
			assert_true(p.devs.v[i].free <= p.devs.v[i].total);
			assert_int_equal(p.devs.v[i].used, p.devs.v[i].total - p.devs.v[i].free);
		}
	}
	vf_gpu_probe_release(&p);
}

/*
 * The no-GPU path of this machine (a CUDA toolkit, no driver): skipped where
 * a driver is installed, so the suite passes on GPU machines too.
 */
static void test_real_probe_no_driver(void **state)
{
	struct vf_gpu_probe p;
	struct vf_err err = {0};
	void *cuda = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD);

	(void)state;
	if (!cuda)
		cuda = dlopen("libcuda.so.1", RTLD_LAZY);
	if (cuda) {
		dlclose(cuda);
		skip();
	}
	assert_int_equal(vf_gpu_probe(&p, &err), VF_OK);
	assert_int_equal(p.devs.n, 0);
	assert_int_equal(p.source, VF_SRC_NONE);
	if (vf_cuda_built) {
		assert_int_equal(p.absence, VF_GPU_NO_DRIVER);
		assert_int_equal(p.cuda_driver, 0);
		assert_true(p.cuda_runtime >= 12000);
		assert_string_equal(p.why, "no CUDA device: no NVIDIA driver is installed "
					   "(libcuda.so.1 was not found)");
	} else {
		assert_int_equal(p.absence, VF_GPU_NOT_BUILT);
	}
	vf_gpu_probe_release(&p);
}

/*
 * With CUDA_VISIBLE_DEVICES="" no GPU is visible, driver or not.  The CUDA
 * driver reads the variable once, at its first initialisation, so this runs
 * in a child forked before anything else in this binary touches CUDA.
 */
static void test_real_probe_hidden(void **state)
{
	pid_t pid;
	int status = 0;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vf_gpu_probe p;
		struct vf_err err = {0};
		int bad;
		setenv("CUDA_VISIBLE_DEVICES", "", 1);
		bad = vf_gpu_probe(&p, &err) != VF_OK || p.devs.n != 0 || p.source != VF_SRC_NONE ||
		      strncmp(p.why, "no CUDA device: ", 16) != 0;
		vf_gpu_probe_release(&p);
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nvml_reader),
	    cmocka_unit_test(test_nvml_old_abi),
	    cmocka_unit_test(test_nvml_process_race),
	    cmocka_unit_test(test_nvml_refusals),
	    cmocka_unit_test(test_nvml_absent),
	    cmocka_unit_test(test_nvml_alloc_failures),
	    cmocka_unit_test(test_merge_cuda_nvml),
	    cmocka_unit_test(test_merge_without_nvml),
	    cmocka_unit_test(test_merge_nvml_only),
	    cmocka_unit_test(test_absences),
	    cmocka_unit_test(test_cross_check),
	    cmocka_unit_test(test_probe_alloc_failures),
	    cmocka_unit_test(test_cvd),
	    cmocka_unit_test(test_pci),
	    cmocka_unit_test(test_real_probe_hidden),
	    cmocka_unit_test(test_real_probe_no_driver),
	    cmocka_unit_test(test_real_probe),
	};
	return cmocka_run_group_tests_name("gpu_probe", tests, NULL, NULL);
}
