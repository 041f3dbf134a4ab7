/*
 * test_gpu_catalog.c - the built-in GPU catalogue, --gpu specs and the
 * context-overhead defaults (gpu/gpu_catalog.c).
 *
 * The numbers asserted here are written out independently of the catalogue:
 * memory totals as nvidia-smi prints them (MiB) for each product, and
 * bandwidths as the vendor datasheets state them (GB/s or TB/s), so a typo in
 * either place fails.
 */
#include "tests/unit/testutil.h"

#include "common/mem.h"
#include "gpu/gpu_int.h"

#define MiB (UINT64_C(1) << 20)
#define GBs UINT64_C(1000000000)

struct want {
	const char *key;
	uint64_t total_mib; /* nvidia-smi memory.total */
	uint64_t gbps;	    /* datasheet, GB/s */
	int major, minor;
};

static const struct want published[] = {
    {"h200", 143771, 4800, 9, 0},	  /* H200: 141GB HBM3e, 4.8TB/s */
    {"h100-sxm", 81559, 3350, 9, 0},	  /* H100 SXM: 80GB, 3.35TB/s */
    {"h100-pcie", 81559, 2000, 9, 0},	  /* H100 PCIe: 80GB, 2TB/s */
    {"h100-nvl", 95830, 3900, 9, 0},	  /* H100 NVL: 94GB, 3.9TB/s */
    {"a100-80g", 81920, 2039, 8, 0},	  /* A100 80GB SXM: 2,039GB/s */
    {"a100-80g-pcie", 81920, 1935, 8, 0}, /* A100 80GB PCIe: 1,935GB/s */
    {"a100-40g", 40960, 1555, 8, 0},	  /* A100 40GB: 1,555GB/s */
    {"l40s", 46068, 864, 8, 9},		  /* L40S: 48GB GDDR6 ECC, 864GB/s */
    {"l40", 46068, 864, 8, 9},
    {"a10g", 23028, 600, 8, 6},
    {"a10", 23028, 600, 8, 6},
    {"l4", 23034, 300, 8, 9},
    {"rtx4090", 24564, 1008, 8, 9},
    {"rtx3090", 24576, 936, 8, 6},
    {"rtx5090", 32607, 1792, 12, 0},
    {"rtx6000-ada", 49140, 960, 8, 9},
    {"rtx-a6000", 49140, 768, 8, 6},
    {"v100-32g", 32768, 900, 7, 0},
    {"v100-16g", 16384, 900, 7, 0},
    {"t4", 15360, 320, 7, 5},
    {"b200", 183359, 8000, 10, 0},
    {"mi300x", 196592, 5300, 0, 0},
};

static void test_published_numbers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(published) / sizeof(published[0]); i++) {
		const struct want *w = &published[i];
		const struct vf_gpu_model *m = vf_gpu_catalog_find(w->key, NULL);
		if (!m)
			fail_msg("'%s' is not in the catalogue", w->key);
		assert_string_equal(m->key, w->key);
		assert_int_equal(m->total, w->total_mib * MiB);
		assert_int_equal(m->bandwidth, w->gbps * GBs);
		assert_int_equal(m->cc_major, w->major);
		assert_int_equal(m->cc_minor, w->minor);
	}
	/* The one fractional datasheet figure: 22.4Gbps x 256 bits = 716.8GB/s. */
	assert_int_equal(vf_gpu_catalog_find("rtx4080", NULL)->bandwidth, UINT64_C(716800000000));
	assert_int_equal(vf_gpu_catalog_find("rtx4080", NULL)->total, 16376 * MiB);
}

/* Every entry is sane, and no name of one entry finds another. */
static void test_catalog_consistent(void **state)
{
	size_t n;
	const struct vf_gpu_model *m = vf_gpu_catalog(&n);

	(void)state;
	assert_true(n >= 20);
	for (size_t i = 0; i < n; i++) {
		const char *a = m[i].aliases;
		assert_true(m[i].total >= 8 * 1024 * MiB && m[i].total <= 256 * 1024 * MiB);
		assert_true(m[i].bandwidth >= 100 * GBs && m[i].bandwidth <= 10000 * GBs);
		assert_ptr_equal(vf_gpu_catalog_find(m[i].key, NULL), &m[i]);
		assert_ptr_equal(vf_gpu_catalog_find(m[i].name, NULL), &m[i]);
		assert_ptr_equal(vf_gpu_catalog_by_driver_name(m[i].name), &m[i]);
		while (*a) {
			char alias[64];
			size_t len = strcspn(a, ",");
			assert_true(len > 0 && len < sizeof(alias));
			memcpy(alias, a, len);
			alias[len] = '\0';
			if (vf_gpu_catalog_find(alias, NULL) != &m[i])
				fail_msg("alias '%s' of %s finds another entry", alias, m[i].key);
			a += len + (a[len] == ',');
		}
	}
}

static void test_names(void **state)
{
	const char *amb;

	(void)state;
	assert_string_equal(vf_gpu_catalog_find("H100", NULL)->key, "h100-sxm");
	assert_string_equal(vf_gpu_catalog_find("nvidia-h100", NULL)->key, "h100-sxm");
	assert_string_equal(vf_gpu_catalog_find("A100_80G", NULL)->key, "a100-80g");
	assert_string_equal(vf_gpu_catalog_find("a100-80g", NULL)->key, "a100-80g");
	assert_string_equal(vf_gpu_catalog_find("NVIDIA A100-PCIE-40GB", NULL)->key, "a100-40g");
	assert_string_equal(vf_gpu_catalog_find("NVIDIA GeForce RTX 4090", NULL)->key, "rtx4090");
	assert_string_equal(vf_gpu_catalog_find("RTX 4090", NULL)->key, "rtx4090");
	assert_string_equal(vf_gpu_catalog_find("4090", NULL)->key, "rtx4090");
	assert_string_equal(vf_gpu_catalog_find("Tesla T4", NULL)->key, "t4");
	assert_string_equal(vf_gpu_catalog_find("L4", NULL)->key, "l4");
	assert_string_equal(vf_gpu_catalog_find("L40S", NULL)->key, "l40s");
	assert_string_equal(vf_gpu_catalog_find("AMD Instinct MI300X", NULL)->key, "mi300x");
	assert_string_equal(vf_gpu_catalog_find("rtx 6000 ada", NULL)->key, "rtx6000-ada");
	assert_null(vf_gpu_catalog_find("a100", &amb));
	assert_non_null(amb);
	assert_non_null(strstr(amb, "a100-40g"));
	assert_null(vf_gpu_catalog_find("v100", &amb));
	assert_non_null(strstr(amb, "v100-16g"));
	assert_null(vf_gpu_catalog_find("h1000", &amb));
	assert_null(amb);
	assert_null(vf_gpu_catalog_find("", NULL));
	assert_null(vf_gpu_catalog_find("---", NULL));
	assert_null(vf_gpu_catalog_find("nvidia", NULL));
}

static struct vf_devices add_ok(const char *const *specs, size_t n)
{
	struct vf_devices d = {0};

	for (size_t i = 0; i < n; i++) {
		struct vf_err err = {0};
		if (vf_devices_add_spec(&d, specs[i], &err))
			fail_msg("'%s': unexpected error: %s", specs[i], err.msg);
	}
	return d;
}

static void test_specs(void **state)
{
	const char *specs[] = {"h100:2", "8GiB,used=7.8GiB", "a100-40g,free=10GiB", "24GiB:3",
			       "4090"};
	struct vf_devices d = add_ok(specs, 5);

	(void)state;
	assert_int_equal(d.n, 2 + 1 + 1 + 3 + 1);
	for (size_t i = 0; i < d.n; i++)
		assert_int_equal(d.v[i].index, i);
	assert_string_equal(d.v[0].name, "NVIDIA H100 80GB HBM3");
	assert_int_equal(d.v[1].total, 81559 * MiB);
	assert_int_equal(d.v[1].free, 81559 * MiB);
	assert_int_equal(d.v[1].used, 0);
	assert_int_equal(d.v[1].source, VF_SRC_CATALOG);
	assert_int_equal(d.v[1].cc_major, 9);
	assert_int_equal(d.v[1].bandwidth, 3350 * GBs);
	/* An OOM report replayed: 8 GiB card, 7.8 GiB already in use. */
	assert_string_equal(d.v[2].name, "custom 8GiB");
	assert_int_equal(d.v[2].source, VF_SRC_USER);
	assert_int_equal(d.v[2].total, UINT64_C(8589934592));
	assert_int_equal(d.v[2].used, UINT64_C(8375186227));
	assert_int_equal(d.v[2].free, UINT64_C(8589934592) - UINT64_C(8375186227));
	assert_int_equal(d.v[2].free_src, VF_SRC_USER);
	assert_int_equal(d.v[2].cc_major, 0);
	assert_int_equal(d.v[2].bandwidth, 0);
	assert_int_equal(d.v[3].total, 40960 * MiB);
	assert_int_equal(d.v[3].free, UINT64_C(10737418240));
	assert_int_equal(d.v[3].used, 40960 * MiB - UINT64_C(10737418240));
	for (int i = 4; i < 7; i++)
		assert_int_equal(d.v[i].total, UINT64_C(25769803776));
	assert_string_equal(d.v[7].name, "NVIDIA GeForce RTX 4090");
	vf_devices_release(&d);
	vf_devices_release(&d); /* released twice: a no-op */
}

struct bad_spec {
	const char *spec, *msg;
};

static const struct bad_spec bad_specs[] = {
    {"", "no GPU name or size"},
    {":2", "no GPU name or size"},
    {"a100", "is ambiguous"},
    {"h1000", "not a known GPU"},
    {"1234", "a size needs a unit"},
    {"8XB", "is not a size"},
    {"-8GiB", "negative"},
    {"0GiB", "more than 0 bytes"},
    {"h100:0", "count '0'"},
    {"h100:1025", "count '1025'"},
    {"h100:-1", "count '-1'"},
    {"h100:2x", "count '2x'"},
    {"h100:", "count ''"},
    {"8GiB,used=9GiB", "used= is more than"},
    {"8GiB,free=9GiB", "free= is more than"},
    {"8GiB,used=1GiB,free=1GiB", "not both"},
    {"8GiB,used=1GiB,used=2GiB", "repeated option 'used'"},
    {"8GiB,used", "unknown or repeated option 'used'"},
    {"8GiB,foo=1", "option 'foo'"},
    {"8GiB,used=x", "used=: 'x' is not a size"},
    {"1e30GB", "more than 8 PiB"},
};

static void test_bad_specs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
		struct vf_devices d = {0};
		struct vf_err err = {0};
		enum vf_status st = vf_devices_add_spec(&d, bad_specs[i].spec, &err);
		if (st != VF_EUSAGE)
			fail_msg("'%s': status %d, want VF_EUSAGE", bad_specs[i].spec, st);
		if (!strstr(err.msg, bad_specs[i].msg))
			fail_msg("'%s': '%s' lacks '%s'", bad_specs[i].spec, err.msg,
				 bad_specs[i].msg);
		assert_int_equal(strncmp(err.msg, "--gpu '", 7), 0);
		assert_int_equal(d.n, 0);
		vf_devices_release(&d);
	}
}

static void test_device_limit(void **state)
{
	struct vf_devices d = {0};
	struct vf_err err = {0};

	(void)state;
	assert_int_equal(vf_devices_add_spec(&d, "l4:1000", &err), VF_OK);
	assert_int_equal(vf_devices_add_spec(&d, "l4:24", &err), VF_OK);
	assert_int_equal(vf_devices_add_spec(&d, "l4", &err), VF_EUSAGE);
	assert_non_null(strstr(err.msg, "more than 1024 GPUs"));
	assert_int_equal(d.n, 1024);
	vf_devices_release(&d);
}

static void test_alloc_failure(void **state)
{
	struct vf_devices d = {0};
	struct vf_err err = {0};

	(void)state;
	vf_mem_fail_at(1);
	assert_int_equal(vf_devices_add_spec(&d, "h100:8", &err), VF_ENOMEM);
	vf_mem_fail_at(0);
	assert_int_equal(d.n, 0);
	vf_devices_release(&d);
}

static void test_context_overhead(void **state)
{
	(void)state;
	assert_int_equal(vf_gpu_context_overhead(0), 512 * MiB);
	assert_int_equal(vf_gpu_context_overhead(6), 300 * MiB);
	assert_int_equal(vf_gpu_context_overhead(7), 400 * MiB);
	assert_int_equal(vf_gpu_context_overhead(8), 500 * MiB);
	assert_int_equal(vf_gpu_context_overhead(9), 600 * MiB);
	assert_int_equal(vf_gpu_context_overhead(12), 600 * MiB);
	/* Within the 300-600 MiB commonly reported for a PyTorch context. */
	for (int cc = 1; cc <= 12; cc++) {
		assert_true(vf_gpu_context_overhead(cc) >= 300 * MiB);
		assert_true(vf_gpu_context_overhead(cc) <= 600 * MiB);
		assert_true(vf_gpu_context_overhead(cc) >= vf_gpu_context_overhead(cc - 1) ||
			    cc == 1);
	}
}

static void test_source_names(void **state)
{
	(void)state;
	assert_string_equal(vf_gpu_source_name(VF_SRC_CUDA), "cuda");
	assert_string_equal(vf_gpu_source_name(VF_SRC_NVML), "nvml");
	assert_string_equal(vf_gpu_source_name(VF_SRC_CATALOG), "catalog");
	assert_string_equal(vf_gpu_source_name(VF_SRC_USER), "user");
	assert_string_equal(vf_gpu_source_name(VF_SRC_NONE), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_published_numbers),
	    cmocka_unit_test(test_catalog_consistent),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_specs),
	    cmocka_unit_test(test_bad_specs),
	    cmocka_unit_test(test_device_limit),
	    cmocka_unit_test(test_alloc_failure),
	    cmocka_unit_test(test_context_overhead),
	    cmocka_unit_test(test_source_names),
	};
	return cmocka_run_group_tests_name("gpu_catalog", tests, NULL, NULL);
}
