/*
 * gpu_cuda.c - the GPUs a CUDA program on this machine would see, through
 * the CUDA runtime linked statically (libcudart_static.a), so the same binary
 * runs where no driver is installed and then reports that plainly.
 *
 * The runtime applies CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER itself, so
 * ordinals here are the ones PyTorch and accelerate use (cuda:0, cuda:1...).
 *
 * Invariants: vf_cuda_list() creates no CUDA context; it calls only device
 * management functions (cudaGetDeviceCount, cudaGetDeviceProperties,
 * cudaDeviceGetAttribute, cudaDeviceGetPCIBusId), which initialise the driver
 * but allocate nothing on the GPU.  Only vf_cuda_meminfo() creates a context
 * (cudaMemGetInfo needs one), and it destroys it again before returning.  A
 * CUDA error is a finding, not a failure: out->ok is false and out->code and
 * out->error say what the runtime said.
 *
 * Without the toolkit at build time (no VF_HAVE_CUDA, see gpu/gpu.mk) this
 * file compiles to stubs that say so.
 */
#include "gpu/gpu_int.h"

#include <stdio.h>
#include <string.h>

#ifdef VF_HAVE_CUDA
#include <cuda_runtime_api.h>

const bool vf_cuda_built = true;

static void cuda_message(cudaError_t e, char *buf, size_t n)
{
	snprintf(buf, n, "%s: %s", cudaGetErrorName(e), cudaGetErrorString(e));
}

enum vf_status vf_cuda_list(struct vf_raw_list *out, struct vf_err *err)
{
	int n = 0;
	cudaError_t e;

	memset(out, 0, sizeof(*out));
	/* Both succeed without a driver: the driver version is then 0. */
	cudaRuntimeGetVersion(&out->runtime);
	cudaDriverGetVersion(&out->driver);
	e = cudaGetDeviceCount(&n);
	if (e != cudaSuccess) {
		out->code = (int)e;
		cuda_message(e, out->error, sizeof(out->error));
		return VF_OK;
	}
	out->ok = true;
	if (n > VF_GPU_MAX_DEVICES)
		n = VF_GPU_MAX_DEVICES;
	for (int i = 0; i < n; i++) {
		struct cudaDeviceProp p;
		struct vf_raw_gpu *g = vf_raw_list_add(out);
		int khz = 0, bits = 0;
		char pci[32];

		if (!g)
			return vf_fail(err, VF_ENOMEM, NULL, "out of memory");
		memset(&p, 0, sizeof(p));
		e = cudaGetDeviceProperties(&p, i);
		if (e != cudaSuccess) {
			snprintf(g->name, sizeof(g->name), "CUDA device %d", i);
			continue; /* listed, so ordinals stay CUDA's; its numbers unknown */
		}
		vf_copy_str(g->name, sizeof(g->name), p.name);
		/* nvidia-smi's spelling, so the UUID matches NVML's nvmlDeviceGetUUID. */
		snprintf(g->uuid, sizeof(g->uuid),
			 "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 (unsigned char)p.uuid.bytes[0], (unsigned char)p.uuid.bytes[1],
			 (unsigned char)p.uuid.bytes[2], (unsigned char)p.uuid.bytes[3],
			 (unsigned char)p.uuid.bytes[4], (unsigned char)p.uuid.bytes[5],
			 (unsigned char)p.uuid.bytes[6], (unsigned char)p.uuid.bytes[7],
			 (unsigned char)p.uuid.bytes[8], (unsigned char)p.uuid.bytes[9],
			 (unsigned char)p.uuid.bytes[10], (unsigned char)p.uuid.bytes[11],
			 (unsigned char)p.uuid.bytes[12], (unsigned char)p.uuid.bytes[13],
			 (unsigned char)p.uuid.bytes[14], (unsigned char)p.uuid.bytes[15]);
		g->cc_major = p.major;
		g->cc_minor = p.minor;
		/* totalGlobalMem: what a context can address, the driver's reserve left out. */
		g->total = p.totalGlobalMem;
		if (cudaDeviceGetPCIBusId(pci, sizeof(pci), i) == cudaSuccess)
			vf_pci_normalise(pci, g->pci, sizeof(g->pci));
		/* cudaDeviceProp lost memoryClockRate in CUDA 13; the attribute remains.
		 * Peak bandwidth = 2 transfers per clock x bus width in bytes. */
		if (cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, i) == cudaSuccess &&
		    cudaDeviceGetAttribute(&bits, cudaDevAttrGlobalMemoryBusWidth, i) ==
			cudaSuccess &&
		    khz > 0 && bits > 0)
			g->bandwidth = (uint64_t)khz * 1000u * 2u * ((uint64_t)bits / 8u);
	}
	return VF_OK;
}

int vf_cuda_meminfo(int ordinal, uint64_t *free, uint64_t *total, char *msg, size_t n)
{
	size_t f = 0, t = 0;
	cudaError_t e = cudaSetDevice(ordinal);

	if (e == cudaSuccess)
		e = cudaMemGetInfo(&f, &t);
	if (e != cudaSuccess) {
		cuda_message(e, msg, n);
		cudaGetLastError(); /* clear the sticky error for the next device */
		return (int)e;
	}
	*free = f;
	*total = t;
	/* Give back the primary context cudaMemGetInfo created, so a caller that
	 * probes and then goes on (the planner) does not hold its memory. */
	cudaDeviceReset();
	return 0;
}

#else /* no CUDA toolkit at build time */

const bool vf_cuda_built = false;

enum vf_status vf_cuda_list(struct vf_raw_list *out, struct vf_err *err)
{
	(void)err;
	memset(out, 0, sizeof(*out));
	out->code = -1;
	snprintf(out->error, sizeof(out->error), "vramfit was built without the CUDA toolkit");
	return VF_OK;
}

int vf_cuda_meminfo(int ordinal, uint64_t *free, uint64_t *total, char *msg, size_t n)
{
	(void)ordinal;
	(void)free;
	(void)total;
	snprintf(msg, n, "vramfit was built without the CUDA toolkit");
	return -1;
}

#endif
