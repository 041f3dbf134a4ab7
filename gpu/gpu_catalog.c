/*
 * gpu_catalog.c - hypothetical GPUs: the built-in catalogue, --gpu specs,
 * and the default CUDA context overhead per GPU generation.
 *
 * Invariants: every catalogue number cites where it comes from; `total` is
 * what the driver reports as total memory (nvidia-smi's memory.total, NVML's
 * nvmlMemory_t.total) for the product in its default ECC state, not the
 * marketing "80 GB"; `bandwidth` is the vendor's datasheet peak in bytes per
 * second (decimal: 1 TB/s = 10^12 B/s).  Names are matched after folding case
 * and dropping everything but letters and digits.
 *
 * What "total" means, and what it does not:
 * - The driver-reported totals below were read from nvidia-smi output
 *   published in public repositories (e.g. "1MiB / 81559MiB" on an
 *   "NVIDIA H100 80GB HBM3"), not measured by vramfit; none was checked on a
 *   GPU while writing this file.
 * - A CUDA process sees a few hundred MiB less than that total: the driver
 *   keeps a reserve (NVML v2 "reserved").  PyTorch's OOM message gives H100
 *   80GB "79.18-79.33 GiB total capacity" (81080-81234 MiB, by driver) and
 *   torch.cuda.get_device_properties 81082-81090 MiB, against 81559 MiB here;
 *   A100 80GB "79.35 GiB" against 81920 MiB.  The catalogue does not subtract
 *   it (it varies with the driver); measured devices do (their total is CUDA's).
 * - GDDR cards lose 1/16 of their memory to ECC when it is on: an L40S or
 *   A10 shows 46068 or 23028 MiB with ECC on (their default) and 49140 or
 *   24564 MiB with it off; workstation cards (RTX 6000 Ada, RTX A6000) ship
 *   with ECC off.  HBM cards (A100, H100, V100) pay nothing for ECC.
 * - "80 GB" on HBM products is 80 GiB of DRAM (5 stacks of 16 GiB); the driver
 *   reports all of it (A100: 81920 MiB) or slightly less (H100: 81559 MiB).
 */
#include "gpu/gpu_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/size.h"

#define MIB (UINT64_C(1) << 20)
#define GBPS UINT64_C(1000000000) /* 1 GB/s */

/* Entries: key, driver name, aliases, datasheet memory, total, bandwidth, cc. */
static const struct vf_gpu_model catalog[] = {
    /* NVIDIA H200 datasheet (nvidia.com/en-us/data-center/h200): 141GB HBM3e,
     * 4.8TB/s.  nvidia-smi: 143771MiB. */
    {"h200", "NVIDIA H200", "h200-141g,h200-sxm", "141 GB HBM3e", 143771 * MIB, 4800 * GBPS, 9, 0},
    /* NVIDIA H100 datasheet (nvidia.com/en-us/data-center/h100): H100 SXM
     * 80GB, 3.35TB/s.  nvidia-smi "NVIDIA H100 80GB HBM3": 81559MiB. */
    {"h100-sxm", "NVIDIA H100 80GB HBM3", "h100,h100-80g,h100-sxm5,h100-sxm-80g", "80 GB HBM3",
     81559 * MIB, 3350 * GBPS, 9, 0},
    /* Same datasheet: H100 PCIe 80GB, 2TB/s.  nvidia-smi: 81559MiB. */
    {"h100-pcie", "NVIDIA H100 PCIe", "h100-pcie-80g", "80 GB HBM2e", 81559 * MIB, 2000 * GBPS, 9,
     0},
    /* Same datasheet: H100 NVL 94GB, 3.9TB/s.  nvidia-smi: 95830MiB. */
    {"h100-nvl", "NVIDIA H100 NVL", "h100-94g", "94 GB HBM3", 95830 * MIB, 3900 * GBPS, 9, 0},
    /* NVIDIA A100 datasheet (nvidia.com/en-us/data-center/a100): 80GB SXM
     * HBM2e 2,039GB/s.  nvidia-smi "NVIDIA A100-SXM4-80GB": 81920MiB. */
    {"a100-80g", "NVIDIA A100-SXM4-80GB", "a100-80gb,a100-sxm-80g,a100-80g-sxm", "80 GB HBM2e",
     81920 * MIB, 2039 * GBPS, 8, 0},
    /* Same datasheet: 80GB PCIe 1,935GB/s.  nvidia-smi: 81920MiB. */
    {"a100-80g-pcie", "NVIDIA A100 80GB PCIe", "a100-pcie-80g", "80 GB HBM2e", 81920 * MIB,
     1935 * GBPS, 8, 0},
    /* Same datasheet: 40GB HBM2 1,555GB/s (SXM and PCIe).
     * nvidia-smi "NVIDIA A100-SXM4-40GB": 40960MiB. */
    {"a100-40g", "NVIDIA A100-SXM4-40GB", "a100-40gb,a100-pcie-40g,nvidia-a100-pcie-40gb",
     "40 GB HBM2", 40960 * MIB, 1555 * GBPS, 8, 0},
    /* NVIDIA L40S datasheet: 48GB GDDR6 with ECC, 864GB/s.
     * nvidia-smi (ECC on, the default): 46068MiB. */
    {"l40s", "NVIDIA L40S", "l40s-48g", "48 GB GDDR6", 46068 * MIB, 864 * GBPS, 8, 9},
    /* NVIDIA L40 datasheet: 48GB GDDR6 with ECC, 864GB/s.  nvidia-smi (ECC on): 46068MiB. */
    {"l40", "NVIDIA L40", "l40-48g", "48 GB GDDR6", 46068 * MIB, 864 * GBPS, 8, 9},
    /* AWS EC2 G5 page (aws.amazon.com/ec2/instance-types/g5): A10G, 24 GB.
     * AWS publishes no bandwidth; assumed the A10's 600GB/s (same GA102 memory
     * system).  nvidia-smi (ECC on): 23028MiB. */
    {"a10g", "NVIDIA A10G", "a10g-24g", "24 GB GDDR6", 23028 * MIB, 600 * GBPS, 8, 6},
    /* NVIDIA A10 datasheet: 24GB GDDR6, 600GB/s.  nvidia-smi (ECC on): 23028MiB. */
    {"a10", "NVIDIA A10", "a10-24g", "24 GB GDDR6", 23028 * MIB, 600 * GBPS, 8, 6},
    /* NVIDIA L4 datasheet: 24GB GDDR6, 300GB/s.  nvidia-smi (ECC on): 23034MiB. */
    {"l4", "NVIDIA L4", "l4-24g", "24 GB GDDR6", 23034 * MIB, 300 * GBPS, 8, 9},
    /* NVIDIA Ada Lovelace architecture whitepaper: RTX 4090 24GB GDDR6X,
     * 21Gbps x 384-bit = 1,008GB/s.  nvidia-smi: 24564MiB. */
    {"rtx4090", "NVIDIA GeForce RTX 4090", "4090", "24 GB GDDR6X", 24564 * MIB, 1008 * GBPS, 8, 9},
    /* Same whitepaper: RTX 4080 16GB GDDR6X, 22.4Gbps x 256-bit = 716.8GB/s.
     * nvidia-smi: 16376MiB. */
    {"rtx4080", "NVIDIA GeForce RTX 4080", "4080", "16 GB GDDR6X", 16376 * MIB,
     UINT64_C(716800000000), 8, 9},
    /* NVIDIA Ampere GA102 whitepaper: RTX 3090 24GB GDDR6X, 19.5Gbps x 384-bit
     * = 936GB/s.  nvidia-smi: 24576MiB. */
    {"rtx3090", "NVIDIA GeForce RTX 3090", "3090", "24 GB GDDR6X", 24576 * MIB, 936 * GBPS, 8, 6},
    /* nvidia.com GeForce RTX 5090 specifications: 32GB GDDR7, 1,792GB/s.
     * nvidia-smi: 32607MiB. */
    {"rtx5090", "NVIDIA GeForce RTX 5090", "5090", "32 GB GDDR7", 32607 * MIB, 1792 * GBPS, 12, 0},
    /* NVIDIA RTX 6000 Ada Generation datasheet: 48GB GDDR6 with ECC, 960GB/s.
     * nvidia-smi (ECC off, as shipped): 49140MiB. */
    {"rtx6000-ada", "NVIDIA RTX 6000 Ada Generation", "6000-ada,rtx-6000-ada", "48 GB GDDR6",
     49140 * MIB, 960 * GBPS, 8, 9},
    /* NVIDIA RTX A6000 datasheet: 48GB GDDR6 with ECC, 768GB/s.
     * nvidia-smi (ECC off, as shipped): 49140MiB. */
    {"rtx-a6000", "NVIDIA RTX A6000", "a6000", "48 GB GDDR6", 49140 * MIB, 768 * GBPS, 8, 6},
    /* NVIDIA V100 datasheet: 32/16GB HBM2, 900GB/s (SXM2 and PCIe).
     * nvidia-smi "Tesla V100-SXM2-32GB": 32768MiB (older drivers: 32510MiB). */
    {"v100-32g", "Tesla V100-SXM2-32GB", "v100-32gb,v100-sxm2-32g,v100-pcie-32g", "32 GB HBM2",
     32768 * MIB, 900 * GBPS, 7, 0},
    /* nvidia-smi "Tesla V100-SXM2-16GB": 16384MiB (older drivers: 16160MiB). */
    {"v100-16g", "Tesla V100-SXM2-16GB", "v100-16gb,v100-sxm2-16g,v100-pcie-16g", "16 GB HBM2",
     16384 * MIB, 900 * GBPS, 7, 0},
    /* NVIDIA T4 datasheet: 16GB GDDR6, "320+ GB/s".  nvidia-smi (ECC on): 15360MiB. */
    {"t4", "Tesla T4", "t4-16g", "16 GB GDDR6", 15360 * MIB, 320 * GBPS, 7, 5},
    /* NVIDIA DGX B200 datasheet: 1,440GB HBM3e and 64TB/s for 8 GPUs, so
     * 180GB and 8TB/s each.  nvidia-smi: 183359MiB. */
    {"b200", "NVIDIA B200", "b200-180g", "180 GB HBM3e", 183359 * MIB, 8000 * GBPS, 10, 0},
    /* AMD Instinct MI300X datasheet: 192GB HBM3, 5.3TB/s.  Total as PyTorch on
     * ROCm reports it (total_memory=196592MB).  No CUDA compute capability. */
    {"mi300x", "AMD Instinct MI300X", "mi300x-192g", "192 GB HBM3", 196592 * MIB, 5300 * GBPS, 0,
     0},
};

#define NCATALOG (sizeof(catalog) / sizeof(catalog[0]))

/* Names that mean several models: refuse them rather than guess the memory. */
static const struct {
	const char *name, *choices;
} ambiguous_names[] = {
    {"a100", "a100-80g, a100-80g-pcie, a100-40g"},
    {"v100", "v100-32g, v100-16g"},
};

const struct vf_gpu_model *vf_gpu_catalog(size_t *n)
{
	*n = NCATALOG;
	return catalog;
}

/* Lowercase letters and digits only, then without vendor prefixes. */
static void fold(const char *in, size_t len, char *out, size_t n)
{
	static const char *const prefixes[] = {"nvidia", "geforce", "tesla", "amd", "instinct"};
	size_t o = 0;
	bool again = true;

	for (size_t i = 0; i < len && in[i] && o + 1 < n; i++)
		if (isalnum((unsigned char)in[i]))
			out[o++] = (char)tolower((unsigned char)in[i]);
	out[o] = '\0';
	while (again) {
		again = false;
		for (size_t p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
			size_t k = strlen(prefixes[p]);
			if (strncmp(out, prefixes[p], k) == 0 && out[k]) {
				memmove(out, out + k, strlen(out + k) + 1);
				again = true;
			}
		}
	}
}

static bool same_name(const char *folded, const char *candidate, size_t len)
{
	char f[VF_GPU_NAME_MAX];

	fold(candidate, len, f, sizeof(f));
	return strcmp(folded, f) == 0;
}

static bool model_matches(const struct vf_gpu_model *m, const char *folded)
{
	const char *a = m->aliases;

	if (same_name(folded, m->key, strlen(m->key)) ||
	    same_name(folded, m->name, strlen(m->name)))
		return true;
	while (*a) {
		size_t len = strcspn(a, ",");
		if (same_name(folded, a, len))
			return true;
		a += len + (a[len] == ',');
	}
	return false;
}

const struct vf_gpu_model *vf_gpu_catalog_find(const char *name, const char **ambiguous)
{
	char folded[VF_GPU_NAME_MAX];

	if (ambiguous)
		*ambiguous = NULL;
	fold(name, strlen(name), folded, sizeof(folded));
	if (!folded[0])
		return NULL;
	for (size_t i = 0; i < NCATALOG; i++)
		if (model_matches(&catalog[i], folded))
			return &catalog[i];
	for (size_t i = 0; i < sizeof(ambiguous_names) / sizeof(ambiguous_names[0]); i++)
		if (strcmp(folded, ambiguous_names[i].name) == 0 && ambiguous)
			*ambiguous = ambiguous_names[i].choices;
	return NULL;
}

const struct vf_gpu_model *vf_gpu_catalog_by_driver_name(const char *name)
{
	char folded[VF_GPU_NAME_MAX];

	fold(name, strlen(name), folded, sizeof(folded));
	for (size_t i = 0; i < NCATALOG; i++)
		if (same_name(folded, catalog[i].name, strlen(catalog[i].name)))
			return &catalog[i];
	return NULL;
}

const char *vf_gpu_source_name(enum vf_gpu_source s)
{
	switch (s) {
	case VF_SRC_CUDA:
		return "cuda";
	case VF_SRC_NVML:
		return "nvml";
	case VF_SRC_CATALOG:
		return "catalog";
	case VF_SRC_USER:
		return "user";
	default:
		return "none";
	}
}

/*
 * Default context overhead by compute capability major.  NOT MEASURED by
 * vramfit (it was written on a machine with no GPU); these are estimates to
 * be replaced by measurements, and the planner lets a flag override them.
 * Where they come from:
 * - PyTorch's CUDA context on recent GPUs typically costs 300-600 MiB
 *   (nvidia-smi of a process that only ran torch.zeros(1).cuda(), with CUDA
 *   lazy module loading, the default since CUDA 11.7 / PyTorch 2.x; without
 *   lazy loading it was 1 GiB and more).
 * - A large part of it is the local-memory reserve the driver makes for every
 *   thread slot: SMs x max threads per SM x the 1 KiB default stack, e.g.
 *   V100 80 x 2048 = 160 MiB, A100 108 x 2048 = 216 MiB, H100 132 x 2048 =
 *   264 MiB, so the overhead grows with the generation; the rest is the
 *   runtime, cuBLAS workspace and loaded kernels.
 */
uint64_t vf_gpu_context_overhead(int cc_major)
{
	if (cc_major <= 0)
		return 512 * MIB; /* unknown device (user size, non-NVIDIA): middle of the range */
	if (cc_major < 7)
		return 300 * MIB; /* Pascal and older */
	if (cc_major == 7)
		return 400 * MIB; /* Volta, Turing */
	if (cc_major == 8)
		return 500 * MIB; /* Ampere, Ada */
	return 600 * MIB;	  /* Hopper, Blackwell and later */
}

void vf_devices_release(struct vf_devices *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		vf_free(d->v[i].procs);
	vf_free(d->v);
	d->v = NULL;
	d->n = 0;
}

/* --gpu SPEC ----------------------------------------------------------------- */

#define SPEC_MAX 256

static enum vf_status spec_fail(struct vf_err *err, const char *spec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum vf_status spec_fail(struct vf_err *err, const char *spec, const char *fmt, ...)
{
	char msg[VF_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vf_fail(err, VF_EUSAGE, NULL, "--gpu '%.80s': %s", spec, msg);
}

/* Parses an option's size; the size parser's message follows ours. */
static enum vf_status spec_size(const char *spec, const char *what, const char *text, uint64_t *out,
				struct vf_err *err)
{
	struct vf_err e = {0};

	if (vf_size_parse(text, out, &e))
		return what ? spec_fail(err, spec, "%s: %s", what, e.msg)
			    : spec_fail(err, spec, "%s", e.msg);
	return VF_OK;
}

static bool has_letter(const char *s)
{
	for (; *s; s++)
		if (isalpha((unsigned char)*s))
			return true;
	return false;
}

enum vf_status vf_devices_add_spec(struct vf_devices *d, const char *spec, struct vf_err *err)
{
	char buf[SPEC_MAX], *opts, *colon, *base;
	const struct vf_gpu_model *m = NULL;
	const char *amb = NULL;
	uint64_t total = 0, used = 0, free_arg = 0;
	bool have_used = false, have_free = false;
	unsigned long count = 1;
	struct vf_device *nv;

	if (strlen(spec) >= sizeof(buf))
		return spec_fail(err, spec, "too long");
	memcpy(buf, spec, strlen(spec) + 1);
	opts = strchr(buf, ',');
	if (opts)
		*opts++ = '\0';
	colon = strrchr(buf, ':');
	if (colon) {
		char *end;
		*colon++ = '\0';
		if (!isdigit((unsigned char)*colon))
			return spec_fail(err, spec, "count '%s' is not a number from 1 to %d",
					 colon, VF_GPU_MAX_DEVICES);
		count = strtoul(colon, &end, 10);
		if (*end || count < 1 || count > VF_GPU_MAX_DEVICES)
			return spec_fail(err, spec, "count '%s' is not a number from 1 to %d",
					 colon, VF_GPU_MAX_DEVICES);
	}
	base = buf;
	if (!*base)
		return spec_fail(err, spec, "no GPU name or size");
	/* A name first ("4090" is a GPU, not 4090 bytes); a size needs a unit. */
	m = vf_gpu_catalog_find(base, &amb);
	if (!m) {
		if (amb)
			return spec_fail(err, spec, "'%s' is ambiguous: say %s", base, amb);
		if (!has_letter(base))
			return spec_fail(err, spec,
					 "'%s' is not a known GPU, and a size needs a unit (e.g. "
					 "24GiB)",
					 base);
		if (isdigit((unsigned char)*base) || *base == '.' || *base == '+' || *base == '-') {
			/* It looks like a size: the size parser says best what is wrong. */
			if (spec_size(spec, NULL, base, &total, err))
				return err->status;
		} else if (vf_size_parse(base, &total, &(struct vf_err){0})) {
			return spec_fail(
			    err, spec,
			    "'%s' is not a known GPU (see 'vramfit gpus --list') nor a "
			    "size like 24GiB",
			    base);
		}
		if (!total)
			return spec_fail(err, spec, "a GPU needs more than 0 bytes");
	} else {
		total = m->total;
	}
	while (opts && *opts) {
		char *next = strchr(opts, ','), *eq;
		if (next)
			*next++ = '\0';
		eq = strchr(opts, '=');
		if (eq)
			*eq++ = '\0';
		if (eq && strcmp(opts, "used") == 0 && !have_used) {
			if (spec_size(spec, "used=", eq, &used, err))
				return err->status;
			have_used = true;
		} else if (eq && strcmp(opts, "free") == 0 && !have_free) {
			if (spec_size(spec, "free=", eq, &free_arg, err))
				return err->status;
			have_free = true;
		} else {
			return spec_fail(err, spec,
					 "unknown or repeated option '%s' (used=SIZE or free=SIZE)",
					 opts);
		}
		opts = next;
	}
	if (have_used && have_free)
		return spec_fail(err, spec, "give used= or free=, not both");
	if (have_free) {
		if (free_arg > total)
			return spec_fail(err, spec, "free= is more than the GPU's total");
		used = total - free_arg;
	}
	if (used > total)
		return spec_fail(err, spec, "used= is more than the GPU's total");
	if (d->n + count > VF_GPU_MAX_DEVICES)
		return spec_fail(err, spec, "more than %d GPUs in all", VF_GPU_MAX_DEVICES);
	nv = vf_realloc(d->v, (d->n + count) * sizeof(*nv));
	if (!nv)
		return vf_fail(err, VF_ENOMEM, NULL, "out of memory");
	d->v = nv;
	for (unsigned long i = 0; i < count; i++) {
		struct vf_device *dev = &d->v[d->n];
		memset(dev, 0, sizeof(*dev));
		dev->index = (unsigned)d->n;
		dev->total = total;
		dev->used = used;
		dev->free = total - used;
		if (m) {
			snprintf(dev->name, sizeof(dev->name), "%s", m->name);
			dev->source = VF_SRC_CATALOG;
			dev->total_src = VF_SRC_CATALOG;
			dev->bandwidth = m->bandwidth;
			dev->bandwidth_src = VF_SRC_CATALOG;
			dev->cc_major = m->cc_major;
			dev->cc_minor = m->cc_minor;
		} else {
			snprintf(dev->name, sizeof(dev->name), "custom %.80s", base);
			dev->source = VF_SRC_USER;
			dev->total_src = VF_SRC_USER;
		}
		dev->free_src = (have_used || have_free) ? VF_SRC_USER : dev->total_src;
		d->n++;
	}
	return VF_OK;
}
