/*
 * gpu_probe.c - one list of measured devices from two witnesses, the CUDA
 * runtime and NVML, with the source of every number.
 *
 * Who is trusted for what, and why:
 * - Which devices, in which order: CUDA, when its runtime works.  It is what
 *   the loading process (PyTorch, accelerate) will see: it applies
 *   CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER (fastest first by default),
 *   neither of which NVML knows about.
 * - total: CUDA's totalGlobalMem, the memory a context can address.  NVML's
 *   total is the physical size, a few hundred MiB more (the driver's
 *   reserve); it is kept as nvml_total for the cross-check.
 * - free, used, processes: NVML, because it reads them without creating a
 *   CUDA context.  cudaMemGetInfo would create one first, and the context
 *   itself takes hundreds of MiB of the very memory being measured (and can
 *   fail outright on a GPU in exclusive-process mode that someone is using).
 *   Only a CUDA device NVML cannot report (no NVML, a MIG instance) falls
 *   back to cudaMemGetInfo, and is flagged free_after_own_context.
 * - When the CUDA runtime is unusable but NVML works (a driver older than the
 *   CUDA 13 runtime, or a container given NVML but not libcuda), the devices
 *   come from NVML, with CUDA_VISIBLE_DEVICES applied here as CUDA would.
 *
 * Devices are matched between the two by UUID, else by PCI bus id; each
 * match is cross-checked (name, compute capability, totals) and a
 * disagreement becomes a warning, never a silent choice.
 */
#include "gpu/gpu_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/mem.h"

#define MIB (UINT64_C(1) << 20)

void vf_raw_list_release(struct vf_raw_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		vf_free(l->v[i].procs);
	vf_free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct vf_raw_gpu *vf_raw_list_add(struct vf_raw_list *l)
{
	struct vf_raw_gpu *v = vf_realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	l->v = v;
	memset(&v[l->n], 0, sizeof(*v));
	return &v[l->n++];
}

bool vf_pci_normalise(const char *in, char *out, size_t n)
{
	unsigned int dom, bus, dev, fn;
	int used = -1;

	/* Only hex digits and separators: sscanf's %x would also take "0x" and signs. */
	if (strspn(in, "0123456789abcdefABCDEF:.") != strlen(in) ||
	    sscanf(in, "%x:%x:%x.%x%n", &dom, &bus, &dev, &fn, &used) != 4 ||
	    used != (int)strlen(in) || bus > 0xff || dev > 0x1f || fn > 7)
		return false;
	snprintf(out, n, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

size_t vf_cvd_select(const char *cvd, const struct vf_raw_list *nvml, size_t *sel)
{
	size_t nsel = 0;
	const char *p = cvd;

	if (!cvd) {
		for (size_t i = 0; i < nvml->n; i++)
			sel[nsel++] = i;
		return nsel;
	}
	while (*p && nsel < nvml->n) {
		char tok[VF_GPU_NAME_MAX];
		size_t len = strcspn(p, ","), k = 0, pick = SIZE_MAX, matches = 0;

		for (size_t i = 0; i < len && k + 1 < sizeof(tok); i++)
			if (!isspace((unsigned char)p[i]))
				tok[k++] = p[i];
		tok[k] = '\0';
		if (k && isdigit((unsigned char)tok[0])) {
			char *end;
			unsigned long v = strtoul(tok, &end, 10);
			if (!*end && v < nvml->n)
				pick = v;
		} else if (strncasecmp(tok, "GPU-", 4) == 0) {
			/* A UUID prefix must name exactly one GPU. */
			for (size_t i = 0; i < nvml->n; i++)
				if (strncasecmp(nvml->v[i].uuid, tok, k) == 0)
					pick = i, matches++;
			if (matches != 1)
				pick = SIZE_MAX;
		}
		/* MIG-... and anything else: CUDA stops reading here, and so do we. */
		for (size_t j = 0; j < nsel && pick != SIZE_MAX; j++)
			if (sel[j] == pick)
				pick = SIZE_MAX; /* a repeat ends the list, as in CUDA */
		if (pick == SIZE_MAX)
			break;
		sel[nsel++] = pick;
		p += len;
		if (*p == ',')
			p++;
	}
	return nsel;
}

static void warn(struct vf_gpu_probe *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(struct vf_gpu_probe *out, const char *fmt, ...)
{
	va_list ap;

	if (out->nwarnings >= VF_GPU_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(out->warnings[out->nwarnings++], VF_GPU_MSG_MAX, fmt, ap);
	va_end(ap);
}

static struct vf_raw_gpu *match_nvml(const struct vf_raw_gpu *cu, struct vf_raw_list *nv,
				     bool *taken)
{
	for (size_t i = 0; i < nv->n; i++)
		if (!taken[i] && cu->uuid[0] && strcasecmp(cu->uuid, nv->v[i].uuid) == 0)
			return taken[i] = true, &nv->v[i];
	for (size_t i = 0; i < nv->n; i++)
		if (!taken[i] && cu->pci[0] && strcmp(cu->pci, nv->v[i].pci) == 0)
			return taken[i] = true, &nv->v[i];
	return NULL;
}

/* Moves NVML's process list and memory numbers onto a device. */
static void take_nvml(struct vf_device *d, struct vf_raw_gpu *g)
{
	d->procs = g->procs;
	d->nprocs = g->nprocs;
	d->procs_known = g->procs_known;
	g->procs = NULL;
	g->nprocs = 0;
	if (g->have_mem) {
		d->nvml_total = g->total;
		d->nvml_reserved = g->reserved;
	}
}

static void set_bandwidth(struct vf_device *d, uint64_t cuda_bw, uint64_t nvml_bw)
{
	const struct vf_gpu_model *m;

	if (cuda_bw) {
		d->bandwidth = cuda_bw, d->bandwidth_src = VF_SRC_CUDA;
	} else if (nvml_bw) {
		d->bandwidth = nvml_bw, d->bandwidth_src = VF_SRC_NVML;
	} else if ((m = vf_gpu_catalog_by_driver_name(d->name)) != NULL) {
		d->bandwidth = m->bandwidth, d->bandwidth_src = VF_SRC_CATALOG;
	}
}

static void cross_check(struct vf_gpu_probe *out, const struct vf_device *d,
			const struct vf_raw_gpu *nv)
{
	if (nv->name[0] && strcmp(d->name, nv->name) != 0)
		warn(out, "GPU %u: CUDA calls it '%s', NVML '%s'", d->index, d->name, nv->name);
	if (nv->cc_major && (nv->cc_major != d->cc_major || nv->cc_minor != d->cc_minor))
		warn(out, "GPU %u: compute capability %d.%d from CUDA, %d.%d from NVML", d->index,
		     d->cc_major, d->cc_minor, nv->cc_major, nv->cc_minor);
	if (!nv->have_mem)
		return;
	/* NVML's physical total exceeds CUDA's by the driver reserve (hundreds of
	 * MiB); anything else, or more than 1/16 of the GPU, is worth saying. */
	if (nv->total < d->total)
		warn(out, "GPU %u: NVML total %llu MiB is less than CUDA's %llu MiB", d->index,
		     (unsigned long long)(nv->total / MIB), (unsigned long long)(d->total / MIB));
	else if (nv->total - d->total > nv->total / 16)
		warn(out, "GPU %u: NVML total %llu MiB is far above CUDA's %llu MiB", d->index,
		     (unsigned long long)(nv->total / MIB), (unsigned long long)(d->total / MIB));
	if (nv->free > d->total)
		warn(out, "GPU %u: NVML reports %llu MiB free, more than CUDA's total; capped",
		     d->index, (unsigned long long)(nv->free / MIB));
}

static enum vf_status add_device(struct vf_gpu_probe *out, struct vf_device **d, struct vf_err *err)
{
	struct vf_device *v = vf_realloc(out->devs.v, (out->devs.n + 1) * sizeof(*v));

	if (!v)
		return vf_fail(err, VF_ENOMEM, NULL, "out of memory");
	out->devs.v = v;
	*d = &v[out->devs.n];
	memset(*d, 0, sizeof(**d));
	(*d)->index = (unsigned)out->devs.n++;
	return VF_OK;
}

static enum vf_status from_cuda(const struct vf_gpu_backend *be, struct vf_gpu_probe *out,
				struct vf_raw_list *cu, struct vf_raw_list *nv, struct vf_err *err)
{
	bool *taken = vf_calloc(nv->n ? nv->n : 1, sizeof(bool));
	bool warned_fallback = false;

	if (!taken)
		return vf_fail(err, VF_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < cu->n; i++) {
		struct vf_raw_gpu *g = &cu->v[i], *m = match_nvml(g, nv, taken);
		struct vf_device *d;

		if (add_device(out, &d, err)) {
			vf_free(taken);
			return err->status;
		}
		snprintf(d->name, sizeof(d->name), "%s", g->name);
		snprintf(d->uuid, sizeof(d->uuid), "%s", g->uuid[0] || !m ? g->uuid : m->uuid);
		snprintf(d->pci_bus_id, sizeof(d->pci_bus_id), "%s",
			 g->pci[0] || !m ? g->pci : m->pci);
		d->source = VF_SRC_CUDA;
		d->cc_major = g->cc_major;
		d->cc_minor = g->cc_minor;
		d->total = g->total;
		d->total_src = VF_SRC_CUDA;
		if (m && m->have_mem) {
			cross_check(out, d, m);
			d->free = m->free < d->total ? m->free : d->total;
			d->free_src = VF_SRC_NVML;
			take_nvml(d, m);
		} else {
			uint64_t f = 0, t = 0;
			char msg[VF_GPU_MSG_MAX] = "";
			if (m)
				take_nvml(d, m); /* processes, even without memory numbers */
			if (!warned_fallback) {
				warn(out,
				     "free memory from cudaMemGetInfo, after vramfit's own CUDA "
				     "context took its share (NVML %s)",
				     out->nvml ? "could not report this device"
					       : "is not available");
				warned_fallback = true;
			}
			if (be->cuda_meminfo((int)i, &f, &t, msg, sizeof(msg)) == 0) {
				d->free = f < d->total ? f : d->total;
				d->free_src = VF_SRC_CUDA;
				d->free_after_own_context = true;
				if (!d->total)
					d->total = t;
			} else {
				/* Unknown free is planned as none free: never overcommit. */
				d->free = 0;
				d->free_src = VF_SRC_NONE;
				warn(out, "GPU %zu: free memory unknown, taken as 0: %s", i, msg);
			}
		}
		d->used = d->total - d->free;
		set_bandwidth(d, g->bandwidth, m ? m->bandwidth : 0);
	}
	vf_free(taken);
	if (nv->n > cu->n && cu->n)
		warn(out, "NVML sees %zu GPUs, CUDA %zu (CUDA_VISIBLE_DEVICES%s%s)", nv->n, cu->n,
		     be->cuda_visible_devices ? "=" : " unset",
		     be->cuda_visible_devices ? be->cuda_visible_devices : "");
	return VF_OK;
}

static enum vf_status from_nvml(const struct vf_gpu_backend *be, struct vf_gpu_probe *out,
				struct vf_raw_list *nv, struct vf_err *err)
{
	size_t *sel = vf_calloc(nv->n ? nv->n : 1, sizeof(size_t)), nsel;
	bool mixed = false;

	if (!sel)
		return vf_fail(err, VF_ENOMEM, NULL, "out of memory");
	nsel = vf_cvd_select(be->cuda_visible_devices, nv, sel);
	for (size_t i = 1; i < nv->n; i++)
		mixed |= strcmp(nv->v[i].name, nv->v[0].name) != 0;
	if (mixed && !(be->cuda_device_order && !strcmp(be->cuda_device_order, "PCI_BUS_ID")))
		warn(out, "GPUs listed in PCI order (NVML's); CUDA would number these mixed "
			  "GPUs fastest first unless CUDA_DEVICE_ORDER=PCI_BUS_ID");
	for (size_t k = 0; k < nsel; k++) {
		struct vf_raw_gpu *g = &nv->v[sel[k]];
		struct vf_device *d;

		if (add_device(out, &d, err)) {
			vf_free(sel);
			return err->status;
		}
		snprintf(d->name, sizeof(d->name), "%s", g->name);
		snprintf(d->uuid, sizeof(d->uuid), "%s", g->uuid);
		snprintf(d->pci_bus_id, sizeof(d->pci_bus_id), "%s", g->pci);
		d->source = VF_SRC_NVML;
		d->cc_major = g->cc_major;
		d->cc_minor = g->cc_minor;
		if (g->have_mem) {
			/* What CUDA would call total: physical minus the driver's reserve
			 * (known from nvmlDeviceGetMemoryInfo_v2; else the physical size). */
			d->total = g->total - (g->reserved < g->total ? g->reserved : 0);
			d->free = g->free < d->total ? g->free : d->total;
			d->total_src = d->free_src = VF_SRC_NVML;
		} else {
			warn(out, "GPU %zu: NVML gave no memory numbers; taken as 0", k);
		}
		d->used = d->total - d->free;
		take_nvml(d, g);
		set_bandwidth(d, 0, g->bandwidth);
	}
	vf_free(sel);
	return VF_OK;
}

static void say_why(const struct vf_gpu_backend *be, struct vf_gpu_probe *out,
		    const struct vf_raw_list *cu, const struct vf_raw_list *nv)
{
	char *w = out->why;
	size_t n = sizeof(out->why);

	switch (out->absence) {
	case VF_GPU_NOT_BUILT:
		snprintf(w, n,
			 "no CUDA device: vramfit was built without the CUDA toolkit, and NVML "
			 "found no GPU (%.150s)",
			 nv->ok ? "it lists none" : nv->error);
		break;
	case VF_GPU_NO_DRIVER:
		snprintf(w, n,
			 "no CUDA device: no NVIDIA driver is installed (libcuda.so.1 "
			 "was not found)");
		break;
	case VF_GPU_OLD_DRIVER:
		snprintf(w, n,
			 "no CUDA device: the NVIDIA driver supports CUDA %d.%d, older than "
			 "vramfit's CUDA %d.%d runtime, and NVML cannot stand in (%.100s)",
			 cu->driver / 1000, cu->driver % 1000 / 10, cu->runtime / 1000,
			 cu->runtime % 1000 / 10, nv->ok ? "it lists no GPU" : nv->error);
		break;
	case VF_GPU_NO_DEVICE:
		snprintf(w, n, "no CUDA device: the NVIDIA driver found no CUDA-capable GPU");
		break;
	case VF_GPU_HIDDEN:
		snprintf(w, n, "no CUDA device: CUDA_VISIBLE_DEVICES='%.64s' hides all %zu GPUs",
			 be->cuda_visible_devices ? be->cuda_visible_devices : "", nv->n);
		break;
	case VF_GPU_CUDA_FAILED:
		snprintf(w, n, "no CUDA device: the CUDA runtime failed (%.200s)", cu->error);
		break;
	default:
		w[0] = '\0';
	}
}

static enum vf_gpu_absence cuda_absence(const struct vf_gpu_backend *be,
					const struct vf_raw_list *cu)
{
	if (!be->cuda_built)
		return VF_GPU_NOT_BUILT;
	if (cu->code == VF_CUDA_ERR_INSUFFICIENT_DRIVER)
		return cu->driver == 0 ? VF_GPU_NO_DRIVER : VF_GPU_OLD_DRIVER;
	if (cu->code == VF_CUDA_ERR_NO_DEVICE || cu->ok)
		return VF_GPU_NO_DEVICE;
	return VF_GPU_CUDA_FAILED;
}

enum vf_status vf_gpu_probe_with(const struct vf_gpu_backend *be, struct vf_gpu_probe *out,
				 struct vf_err *err)
{
	struct vf_raw_list nv, cu;
	enum vf_status st;
	bool hidden_by_cvd;

	memset(out, 0, sizeof(*out));
	memset(&cu, 0, sizeof(cu));
	out->cuda_built = be->cuda_built;
	/* NVML first: its numbers must be read before any CUDA context exists. */
	st = be->nvml_list(&nv, err);
	if (st)
		return st;
	out->nvml = nv.ok;
	snprintf(out->nvml_error, sizeof(out->nvml_error), "%s", nv.ok ? "" : nv.error);
	snprintf(out->driver_version, sizeof(out->driver_version), "%s", nv.driver_version);
	for (unsigned i = 0; i < nv.nwarnings; i++)
		warn(out, "%s", nv.warnings[i]);
	st = be->cuda_list(&cu, err);
	if (st)
		goto out;
	out->cuda_runtime = cu.runtime;
	out->cuda_driver = cu.driver;
	snprintf(out->cuda_error, sizeof(out->cuda_error), "%s", cu.ok ? "" : cu.error);

	hidden_by_cvd = be->cuda_visible_devices && nv.n > 0 &&
			(cu.code == VF_CUDA_ERR_NO_DEVICE || (cu.ok && cu.n == 0));
	if (cu.ok && cu.n > 0) {
		out->source = VF_SRC_CUDA;
		st = from_cuda(be, out, &cu, &nv, err);
	} else if (hidden_by_cvd) {
		out->absence = VF_GPU_HIDDEN;
	} else if (!cu.ok && nv.ok && nv.n > 0) {
		out->source = VF_SRC_NVML;
		warn(out, "the CUDA runtime cannot be used (%s); devices and numbers are NVML's",
		     cu.error);
		st = from_nvml(be, out, &nv, err);
		if (!st && out->devs.n == 0) {
			out->source = VF_SRC_NONE;
			out->absence = VF_GPU_HIDDEN;
		}
	} else {
		out->absence = cuda_absence(be, &cu);
	}
	if (st)
		goto out;
	for (size_t i = 0; i < out->devs.n; i++) {
		struct vf_device *d = &out->devs.v[i];
		for (size_t j = 0; j < d->nprocs; j++) {
			vf_proc_name(be->proc_root, d->procs[j].pid, d->procs[j].name,
				     sizeof(d->procs[j].name));
			if (d->procs[j].used != VF_GPU_UNKNOWN)
				d->used_by_processes += d->procs[j].used;
		}
	}
	say_why(be, out, &cu, &nv);
out:
	vf_raw_list_release(&nv);
	vf_raw_list_release(&cu);
	if (st)
		vf_gpu_probe_release(out);
	return st;
}

void vf_gpu_probe_release(struct vf_gpu_probe *p)
{
	if (p)
		vf_devices_release(&p->devs);
}

enum vf_status vf_gpu_probe(struct vf_gpu_probe *out, struct vf_err *err)
{
	struct vf_gpu_backend be = {
	    .cuda_built = vf_cuda_built,
	    .cuda_list = vf_cuda_list,
	    .cuda_meminfo = vf_cuda_meminfo,
	    .nvml_list = vf_nvml_list,
	    .proc_root = "/proc",
	    .cuda_visible_devices = getenv("CUDA_VISIBLE_DEVICES"),
	    .cuda_device_order = getenv("CUDA_DEVICE_ORDER"),
	};

	return vf_gpu_probe_with(&be, out, err);
}
