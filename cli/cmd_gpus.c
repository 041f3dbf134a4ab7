/*
 * cmd_gpus.c - `vramfit gpus`: the devices a plan would use and the host
 * beside them.  Without --gpu it measures this machine (gpu/gpu.h: CUDA
 * runtime + NVML); with --gpu it describes hypothetical GPUs instead and
 * measures nothing on the GPU side.  Host RAM and disk are always this
 * machine's.
 *
 * The --json keys "source", "devices" (index, name, total, free, processes
 * with pid, name, used) and "host" (ram_available) are a stable contract
 * (README, "vramfit gpus").  No GPU is not an error: exit 0 with
 * "source": "none", no devices, and the reason in "message".
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "gpu/gpu.h"

static const char usage_text[] =
    "usage: vramfit gpus [--json] [--gpu SPEC]... [--offload-folder DIR]\n"
    "       vramfit gpus --list [--json]\n"
    "\n"
    "Shows the GPUs a plan would use: per device the total, free and used memory,\n"
    "the processes holding it (pid, command, bytes), bandwidth and compute\n"
    "capability, and where each number came from; then the host RAM available\n"
    "for CPU offload and the free disk at the offload folder.\n"
    "\n"
    "Without --gpu this machine is measured: NVML (loaded at run time) for free\n"
    "and used memory and the processes, without creating a CUDA context; the\n"
    "CUDA runtime for which devices a CUDA program sees (CUDA_VISIBLE_DEVICES,\n"
    "CUDA_DEVICE_ORDER) and their total.  No GPU is not an error: it says why.\n"
    "\n"
    "  --gpu SPEC            plan for hypothetical GPUs instead (repeatable):\n"
    "                          NAME[:COUNT]   from the catalogue: h100:8, a100-40g, l4\n"
    "                          SIZE[:COUNT]   any GPU of that size: 24GiB, 80GB:2\n"
    "                          ...,used=SIZE  memory already in use, e.g. to replay an\n"
    "                                         OOM report: 8GiB,used=7.8GiB (or free=SIZE)\n"
    "  --offload-folder DIR  measure free disk there (default: the current folder)\n"
    "  --list                print the GPU catalogue\n"
    "  --json                print one JSON object (stable keys: see README)\n"
    "  -h, --help            show this help\n"
    "\n"
    "Sizes read as accelerate reads max_memory: GiB/MiB/KiB binary, GB/MB/KB\n"
    "decimal, a lowercase b (10Gb) bits, a plain integer bytes.\n"
    "\n"
    "exit status: 0 done (GPUs or not), 1 the host could not be read, 2 wrong usage\n";

static const char *absence_name(enum vf_gpu_absence a)
{
	switch (a) {
	case VF_GPU_NOT_BUILT:
		return "not_built";
	case VF_GPU_NO_DRIVER:
		return "no_driver";
	case VF_GPU_OLD_DRIVER:
		return "old_driver";
	case VF_GPU_NO_DEVICE:
		return "no_device";
	case VF_GPU_HIDDEN:
		return "hidden";
	case VF_GPU_CUDA_FAILED:
		return "cuda_failed";
	default:
		return NULL;
	}
}

static const char *fmt_bw(uint64_t bw, char buf[32])
{
	if (!bw)
		snprintf(buf, 32, "?");
	else
		snprintf(buf, 32, "%.0f GB/s", (double)bw / 1e9);
	return buf;
}

static const char *fmt_cuda_version(int v, char buf[32])
{
	if (v <= 0)
		snprintf(buf, 32, "none");
	else
		snprintf(buf, 32, "%d.%d", v / 1000, v % 1000 / 10);
	return buf;
}

static cJSON *str_or_null(const char *s)
{
	return s && s[0] ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *bytes_or_null(uint64_t v, bool known)
{
	return known ? vf_json_num(v) : cJSON_CreateNull();
}

/* JSON ------------------------------------------------------------------------ */

static cJSON *device_json(const struct vf_device *d)
{
	cJSON *o = cJSON_CreateObject(), *procs = cJSON_CreateArray(), *src = cJSON_CreateObject();
	char cc[16];

	cJSON_AddItemToObject(o, "index", vf_json_num(d->index));
	cJSON_AddStringToObject(o, "name", d->name);
	cJSON_AddStringToObject(o, "source", vf_gpu_source_name(d->source));
	cJSON_AddItemToObject(o, "total", vf_json_num(d->total));
	cJSON_AddItemToObject(o, "free", vf_json_num(d->free));
	cJSON_AddItemToObject(o, "used", vf_json_num(d->used));
	cJSON_AddItemToObject(o, "used_by_processes", vf_json_num(d->used_by_processes));
	cJSON_AddBoolToObject(o, "processes_known", d->procs_known);
	for (size_t i = 0; i < d->nprocs; i++) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddItemToObject(p, "pid", vf_json_num(d->procs[i].pid));
		cJSON_AddItemToObject(p, "name", str_or_null(d->procs[i].name));
		cJSON_AddItemToObject(
		    p, "used", bytes_or_null(d->procs[i].used, d->procs[i].used != VF_GPU_UNKNOWN));
		cJSON_AddItemToArray(procs, p);
	}
	cJSON_AddItemToObject(o, "processes", procs);
	cJSON_AddItemToObject(o, "bandwidth", bytes_or_null(d->bandwidth, d->bandwidth != 0));
	snprintf(cc, sizeof(cc), "%d.%d", d->cc_major, d->cc_minor);
	cJSON_AddItemToObject(o, "compute_capability", str_or_null(d->cc_major ? cc : ""));
	cJSON_AddItemToObject(o, "uuid", str_or_null(d->uuid));
	cJSON_AddItemToObject(o, "pci_bus_id", str_or_null(d->pci_bus_id));
	cJSON_AddStringToObject(src, "total", vf_gpu_source_name(d->total_src));
	cJSON_AddStringToObject(src, "free", vf_gpu_source_name(d->free_src));
	cJSON_AddStringToObject(src, "processes",
				vf_gpu_source_name(d->procs_known ? VF_SRC_NVML : VF_SRC_NONE));
	cJSON_AddStringToObject(src, "bandwidth", vf_gpu_source_name(d->bandwidth_src));
	cJSON_AddItemToObject(o, "sources", src);
	cJSON_AddItemToObject(o, "nvml_total", bytes_or_null(d->nvml_total, d->nvml_total != 0));
	cJSON_AddItemToObject(o, "nvml_reserved",
			      bytes_or_null(d->nvml_reserved, d->nvml_total != 0));
	cJSON_AddBoolToObject(o, "free_after_own_context", d->free_after_own_context);
	cJSON_AddItemToObject(o, "context_overhead",
			      vf_json_num(vf_gpu_context_overhead(d->cc_major)));
	return o;
}

static cJSON *host_json(const struct vf_host *h)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "ram_available", vf_json_num(h->ram_available));
	cJSON_AddItemToObject(o, "ram_total", vf_json_num(h->ram_total));
	cJSON_AddStringToObject(o, "ram_available_source",
				h->ram_limited_by_cgroup ? "cgroup" : "meminfo");
	cJSON_AddItemToObject(o, "meminfo_available", vf_json_num(h->meminfo_available));
	if (h->cgroup_version) {
		cJSON *c = cJSON_CreateObject();
		cJSON_AddItemToObject(c, "version", vf_json_num((uint64_t)h->cgroup_version));
		cJSON_AddItemToObject(c, "limit", vf_json_num(h->cgroup_limit));
		cJSON_AddItemToObject(c, "usage", vf_json_num(h->cgroup_usage));
		cJSON_AddItemToObject(c, "reclaimable", vf_json_num(h->cgroup_reclaimable));
		cJSON_AddItemToObject(c, "available", vf_json_num(h->cgroup_available));
		cJSON_AddItemToObject(o, "cgroup", c);
	} else {
		cJSON_AddNullToObject(o, "cgroup");
	}
	cJSON_AddItemToObject(o, "disk_path", str_or_null(h->disk_known ? h->disk_path : ""));
	cJSON_AddItemToObject(o, "disk_free", bytes_or_null(h->disk_free, h->disk_known));
	cJSON_AddItemToObject(o, "disk_total", bytes_or_null(h->disk_total, h->disk_known));
	return o;
}

static int print_json(const struct vf_gpu_probe *p, const struct vf_devices *hyp,
		      const struct vf_host *h)
{
	cJSON *doc = cJSON_CreateObject(), *devs = cJSON_CreateArray(), *warn = cJSON_CreateArray();
	const struct vf_devices *d = hyp ? hyp : &p->devs;

	cJSON_AddStringToObject(doc, "source",
				hyp ? "hypothetical" : vf_gpu_source_name(p->source));
	if (!hyp) {
		const char *a = absence_name(p->absence);
		cJSON_AddItemToObject(doc, "message", str_or_null(p->devs.n ? "" : p->why));
		cJSON_AddItemToObject(doc, "absence", str_or_null(a));
		cJSON_AddBoolToObject(doc, "cuda_built", p->cuda_built);
		cJSON_AddItemToObject(doc, "cuda_runtime_version",
				      p->cuda_built ? vf_json_num((uint64_t)p->cuda_runtime)
						    : cJSON_CreateNull());
		cJSON_AddItemToObject(doc, "cuda_driver_version",
				      p->cuda_built ? vf_json_num((uint64_t)p->cuda_driver)
						    : cJSON_CreateNull());
		cJSON_AddItemToObject(doc, "cuda_error", str_or_null(p->cuda_error));
		cJSON_AddBoolToObject(doc, "nvml", p->nvml);
		cJSON_AddItemToObject(doc, "nvml_error", str_or_null(p->nvml_error));
		cJSON_AddItemToObject(doc, "driver_version", str_or_null(p->driver_version));
		for (unsigned i = 0; i < p->nwarnings; i++)
			cJSON_AddItemToArray(warn, cJSON_CreateString(p->warnings[i]));
	}
	for (size_t i = 0; i < d->n; i++)
		cJSON_AddItemToArray(devs, device_json(&d->v[i]));
	cJSON_AddItemToObject(doc, "devices", devs);
	cJSON_AddItemToObject(doc, "host", host_json(h));
	cJSON_AddItemToObject(doc, "warnings", warn);
	return vf_print_json(doc);
}

/* human ----------------------------------------------------------------------- */

static const char *number_sources(const struct vf_device *d, char buf[32])
{
	if (d->total_src == d->free_src)
		snprintf(buf, 32, "%s", vf_gpu_source_name(d->total_src));
	else
		snprintf(buf, 32, "%s/%s", vf_gpu_source_name(d->total_src),
			 vf_gpu_source_name(d->free_src));
	return buf;
}

static void print_devices(const struct vf_devices *d)
{
	char a[32], b[32], c[32], e[32], f[32], g[32];

	if (!d->n)
		return;
	printf("\n  %3s  %-30s %11s %11s %11s %10s %4s  %s\n", "#", "name", "total", "free", "used",
	       "bandwidth", "cc", "source (total/free)");
	for (size_t i = 0; i < d->n; i++) {
		const struct vf_device *v = &d->v[i];
		snprintf(g, sizeof(g), "%d.%d", v->cc_major, v->cc_minor);
		printf("  %3u  %-30.30s %11s %11s %11s %10s %4s  %s\n", v->index, v->name,
		       vf_fmt_bytes(v->total, a), vf_fmt_bytes(v->free, b),
		       vf_fmt_bytes(v->used, c), fmt_bw(v->bandwidth, e), v->cc_major ? g : "?",
		       number_sources(v, f));
		for (size_t j = 0; j < v->nprocs; j++) {
			const struct vf_gpu_process *p = &v->procs[j];
			printf("       %s held by pid %u (%s)\n",
			       p->used == VF_GPU_UNKNOWN ? "? bytes" : vf_fmt_bytes(p->used, a),
			       p->pid, p->name[0] ? p->name : "name unknown");
		}
		if (v->procs_known && v->used > v->used_by_processes)
			printf("       %s not attributed to a listed process\n",
			       vf_fmt_bytes(v->used - v->used_by_processes, a));
		else if (!v->procs_known && v->source != VF_SRC_CATALOG && v->source != VF_SRC_USER)
			printf("       processes unknown (NVML could not list them)\n");
		if (v->free_after_own_context)
			printf("       free measured after vramfit's own CUDA context\n");
	}
	/* One line per generation present: the default differs by cc major. */
	for (size_t i = 0; i < d->n; i++) {
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= d->v[j].cc_major == d->v[i].cc_major;
		if (seen)
			continue;
		snprintf(g, sizeof(g), "%d.x", d->v[i].cc_major);
		printf("%s  CUDA context of the loading process: about %s per GPU of compute "
		       "capability %s (a default, not measured)\n",
		       i ? "" : "\n", vf_fmt_bytes(vf_gpu_context_overhead(d->v[i].cc_major), a),
		       d->v[i].cc_major ? g : "unknown");
	}
}

static void print_host(const struct vf_host *h)
{
	char a[32], b[32], c[32];

	printf("\nhost RAM      %s available of %s", vf_fmt_bytes(h->ram_available, a),
	       vf_fmt_bytes(h->ram_total, b));
	if (h->ram_limited_by_cgroup)
		printf(" (cgroup v%d limit %s, %s in use)\n", h->cgroup_version,
		       vf_fmt_bytes(h->cgroup_limit, c), vf_fmt_bytes(h->cgroup_usage, b));
	else
		printf(" (MemAvailable)\n");
	if (h->disk_known)
		printf("disk          %s free of %s at %s\n", vf_fmt_bytes(h->disk_free, a),
		       vf_fmt_bytes(h->disk_total, b), h->disk_path);
}

static void print_human(const struct vf_gpu_probe *p, const struct vf_devices *hyp,
			const struct vf_host *h)
{
	char a[32], b[32];

	if (hyp) {
		printf("GPUs          %zu hypothetical (--gpu); nothing measured\n", hyp->n);
		print_devices(hyp);
	} else {
		if (p->devs.n)
			printf("GPUs          %zu, from %s\n", p->devs.n,
			       p->source == VF_SRC_CUDA ? "the CUDA runtime and NVML"
							: "NVML (the CUDA runtime is unusable)");
		else
			printf("GPUs          none: %s\n", p->why);
		if (p->cuda_built)
			printf("CUDA          runtime %s (static), driver %s%s%s\n",
			       fmt_cuda_version(p->cuda_runtime, a),
			       fmt_cuda_version(p->cuda_driver, b), p->cuda_error[0] ? "; " : "",
			       p->cuda_error);
		else
			printf("CUDA          not built in (no CUDA toolkit at build time)\n");
		if (p->nvml)
			printf("NVML          yes, driver %s\n",
			       p->driver_version[0] ? p->driver_version : "?");
		else
			printf("NVML          not available: %s\n", p->nvml_error);
		print_devices(&p->devs);
		for (unsigned i = 0; i < p->nwarnings; i++)
			printf("\nwarning: %s", p->warnings[i]);
		if (p->nwarnings)
			putchar('\n');
	}
	print_host(h);
}

static int print_catalog(bool json)
{
	size_t n;
	const struct vf_gpu_model *m = vf_gpu_catalog(&n);
	char a[32], b[32], cc[16];

	if (json) {
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			snprintf(cc, sizeof(cc), "%d.%d", m[i].cc_major, m[i].cc_minor);
			cJSON_AddStringToObject(o, "key", m[i].key);
			cJSON_AddStringToObject(o, "name", m[i].name);
			cJSON_AddStringToObject(o, "aliases", m[i].aliases);
			cJSON_AddStringToObject(o, "memory", m[i].memory);
			cJSON_AddItemToObject(o, "total", vf_json_num(m[i].total));
			cJSON_AddItemToObject(o, "bandwidth", vf_json_num(m[i].bandwidth));
			cJSON_AddItemToObject(o, "compute_capability",
					      str_or_null(m[i].cc_major ? cc : ""));
			cJSON_AddItemToObject(o, "context_overhead",
					      vf_json_num(vf_gpu_context_overhead(m[i].cc_major)));
			cJSON_AddItemToArray(arr, o);
		}
		cJSON_AddItemToObject(doc, "catalog", arr);
		return vf_print_json(doc);
	}
	printf("  %-14s %-31s %-13s %11s %10s %4s  %s\n", "key", "driver name", "memory", "total",
	       "bandwidth", "cc", "aliases");
	for (size_t i = 0; i < n; i++) {
		snprintf(cc, sizeof(cc), "%d.%d", m[i].cc_major, m[i].cc_minor);
		printf("  %-14s %-31s %-13s %11s %10s %4s  %s\n", m[i].key, m[i].name, m[i].memory,
		       vf_fmt_bytes(m[i].total, a), fmt_bw(m[i].bandwidth, b),
		       m[i].cc_major ? cc : "-", m[i].aliases);
	}
	printf("\ntotal: the memory the driver reports (nvidia-smi), in the product's default ECC "
	       "state;\nbandwidth: the vendor's datasheet peak.  Names ignore case, spaces and "
	       "dashes.\n");
	return VF_EXIT_OK;
}

int cmd_gpus(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"gpu", required_argument, NULL, 'g'},
	    {"offload-folder", required_argument, NULL, 'o'},
	    {"list", no_argument, NULL, 'l'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false, list = false;
	const char *folder = NULL;
	struct vf_devices hyp = {0};
	struct vf_gpu_probe probe;
	struct vf_host host;
	struct vf_err err = {0};
	int c, rc;

	memset(&probe, 0, sizeof(probe));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'g':
			if (vf_devices_add_spec(&hyp, optarg, &err)) {
				vf_devices_release(&hyp);
				if (err.status == VF_ENOMEM)
					return vf_report(&err);
				return vf_usage_error("gpus ", "%s", err.msg);
			}
			break;
		case 'o':
			folder = optarg;
			break;
		case 'l':
			list = true;
			break;
		case 'h':
			vf_devices_release(&hyp);
			fputs(usage_text, stdout);
			return VF_EXIT_OK;
		default:
			vf_devices_release(&hyp);
			if ((optopt == 'g' || optopt == 'o') &&
			    strncmp(argv[optind - 1], "--", 2) == 0)
				return vf_usage_error("gpus ", "option '%s' needs a value",
						      argv[optind - 1]);
			return vf_usage_error("gpus ", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		vf_devices_release(&hyp);
		return vf_usage_error("gpus ", "gpus takes no PATH ('%s')", argv[optind]);
	}
	if (list) {
		bool other = hyp.n || folder;
		vf_devices_release(&hyp);
		if (other)
			return vf_usage_error("gpus ", "--list takes only --json");
		return print_catalog(json);
	}
	if (vf_host_read(NULL, folder ? folder : ".", &host, &err)) {
		vf_devices_release(&hyp);
		return vf_report(&err);
	}
	if (!hyp.n && vf_gpu_probe(&probe, &err)) {
		vf_devices_release(&hyp);
		return vf_report(&err);
	}
	if (json) {
		rc = print_json(&probe, hyp.n ? &hyp : NULL, &host);
	} else {
		print_human(&probe, hyp.n ? &hyp : NULL, &host);
		rc = VF_EXIT_OK;
	}
	vf_gpu_probe_release(&probe);
	vf_devices_release(&hyp);
	return rc;
}
