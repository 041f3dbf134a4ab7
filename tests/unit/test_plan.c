/*
 * test_plan.c - the device_map solver against placements worked out by hand
 * (the arithmetic is in the comments), and a randomized check of its
 * invariants: no budget exceeded, every layer placed, one contiguous run per
 * device, tied layers together, room on the execution GPU for offloading.
 */
#include "tests/unit/testutil.h"

#include <stdbool.h>

#include "planner/plan.h"

#define GPU(b) {VF_PLACE_GPU, 0, b, 0, 0, 0}
#define CPU(b) {VF_PLACE_CPU, -1, b, 0, 0, 0}
#define DISK(b) {VF_PLACE_DISK, -1, b, 0, 0, 0}
#define ITEM(w, k) {"x", w, k, -1, -1}

static enum vf_verdict run(struct vf_plan_item *it, size_t n, struct vf_plan_device *d,
			   size_t nd, enum vf_strategy strat, uint64_t extra)
{
	struct vf_plan_opts o = {strat, extra};
	struct vf_err err = {0};
	enum vf_verdict v;

	assert_int_equal(vf_plan_solve(it, n, d, nd, &o, &v, &err), VF_OK);
	return v;
}

static uint64_t assigned(const struct vf_plan_device *d)
{
	return d->weights + d->workload + d->reserved;
}

/*
 * One 100-byte GPU.  embed 10, four blocks of 20 weights + 2 KV each, head 10
 * + 5 logits: 113 bytes, too many.  Round 1 (no reserve) offloads the head:
 * reserve 10 + 5 = 15.  Round 2: 15 + 10 + 22 + 22 + 22 = 91, b3 offloaded:
 * reserve 20 + 2 + 5 = 27.  Round 3: 27 + 10 + 22 + 22 = 81, b2 offloaded:
 * reserve 20 + 2 + 2 + 5 = 29.  Round 4: 29 + 10 + 22 + 22 = 83, b2 still
 * does not fit (105): same set, stable.  GPU: embed, b0, b1.
 */
static void test_offload_with_reserve(void **state)
{
	struct vf_plan_item it[] = {ITEM(10, 0), ITEM(20, 2), ITEM(20, 2), ITEM(20, 2),
				    ITEM(20, 2), ITEM(10, 5)};
	struct vf_plan_device d[] = {GPU(100), CPU(1000)};

	(void)state;
	assert_int_equal(run(it, 6, d, 2, VF_STRATEGY_SEQUENTIAL, 0), VF_VERDICT_OFFLOAD);
	for (int i = 0; i < 6; i++)
		assert_int_equal(it[i].device, i < 3 ? 0 : 1);
	assert_int_equal(d[0].weights, 50);
	assert_int_equal(d[0].workload, 4);
	assert_int_equal(d[0].reserved, 29);
	assert_int_equal(assigned(&d[0]), 83);
	assert_int_equal(d[1].weights, 50);
}

static void test_everything_fits(void **state)
{
	struct vf_plan_item it[] = {ITEM(10, 0), ITEM(20, 2), ITEM(20, 2), ITEM(10, 5)};
	struct vf_plan_device d[] = {GPU(69), CPU(1000)};

	(void)state;
	/* 10 + 22 + 22 + 15 = 69: exactly the budget */
	assert_int_equal(run(it, 4, d, 2, VF_STRATEGY_BALANCED, 0), VF_VERDICT_GPU);
	assert_int_equal(assigned(&d[0]), 69);
	assert_int_equal(d[0].reserved, 0);
	/* one byte less and the head (15) goes to cpu: reserve 15, GPU 15+10+22 = 47,
	 * then block 2 (22) fits: 69 > 68? 47 + 22 = 69 > 68, so it is offloaded too:
	 * reserve 20+2+5 = 27, 27 + 10 + 22 = 59 and block 2 needs 81: stable. */
	d[0].budget = 68;
	assert_int_equal(run(it, 4, d, 2, VF_STRATEGY_BALANCED, 0), VF_VERDICT_OFFLOAD);
	assert_int_equal(it[1].device, 0);
	assert_int_equal(it[2].device, 1);
	assert_int_equal(d[0].reserved, 27);
	/* exec_extra counts on the execution GPU */
	d[0].budget = 69;
	assert_int_equal(run(it, 4, d, 2, VF_STRATEGY_BALANCED, 1), VF_VERDICT_OFFLOAD);
}

/* Two 100-byte GPUs, ten 15-byte blocks: balanced puts 75 on each (share 76),
 * sequential packs 90 on GPU 0 and 60 on GPU 1. */
static void test_balanced_vs_sequential(void **state)
{
	struct vf_plan_item it[10];
	struct vf_plan_device d[] = {GPU(100), GPU(100), CPU(1000)};

	(void)state;
	for (int i = 0; i < 10; i++)
		it[i] = (struct vf_plan_item)ITEM(15, 0);
	assert_int_equal(run(it, 10, d, 3, VF_STRATEGY_BALANCED, 0), VF_VERDICT_GPU);
	assert_int_equal(d[0].weights, 75);
	assert_int_equal(d[1].weights, 75);
	assert_int_equal(run(it, 10, d, 3, VF_STRATEGY_SEQUENTIAL, 0), VF_VERDICT_GPU);
	assert_int_equal(d[0].weights, 90);
	assert_int_equal(d[1].weights, 60);
}

/* A head tied to the embedding follows it, and its logits were reserved there:
 * embed 30 + head's 10 = 40, three blocks of 20: 100 exactly. */
static void test_tied_head(void **state)
{
	struct vf_plan_item it[] = {ITEM(30, 0), ITEM(20, 0), ITEM(20, 0), ITEM(20, 0),
				    {"head", 0, 10, 0, -1}};
	struct vf_plan_device d[] = {GPU(100), GPU(100), CPU(1000)};

	(void)state;
	assert_int_equal(run(it, 5, d, 3, VF_STRATEGY_SEQUENTIAL, 0), VF_VERDICT_GPU);
	assert_int_equal(it[4].device, 0);
	assert_int_equal(it[3].device, 0);
	assert_int_equal(assigned(&d[0]), 100);
}

static void test_nothing_fits(void **state)
{
	struct vf_plan_item it[] = {ITEM(30, 0), ITEM(30, 0)};
	struct vf_plan_device d[] = {GPU(20), CPU(10), DISK(10)};

	(void)state;
	/* neither device holds a 30-byte layer */
	assert_int_equal(run(it, 2, d, 3, VF_STRATEGY_BALANCED, 0), VF_VERDICT_NONE);
	/* the GPU is too small to bring one in to execute it, even with room on disk */
	d[2].budget = 100;
	assert_int_equal(run(it, 2, d, 3, VF_STRATEGY_BALANCED, 0), VF_VERDICT_NONE);
	/* a 40-byte GPU: round 1 puts layer 0 on it and layer 1 on disk, so it must
	 * keep 30 for offloading; round 2 then has room for nothing (30 + 30 > 40):
	 * both on disk, executed one at a time through the reserve */
	d[0].budget = 40;
	assert_int_equal(run(it, 2, d, 3, VF_STRATEGY_BALANCED, 0), VF_VERDICT_OFFLOAD);
	assert_int_equal(it[0].device, 2);
	assert_int_equal(it[1].device, 2);
	assert_int_equal(d[0].reserved, 30);
}

static void test_no_gpu(void **state)
{
	struct vf_plan_item it[] = {ITEM(10, 3), ITEM(10, 3)};
	struct vf_plan_device d[] = {CPU(26)};

	(void)state;
	assert_int_equal(run(it, 2, d, 1, VF_STRATEGY_BALANCED, 0), VF_VERDICT_OFFLOAD);
	assert_int_equal(assigned(&d[0]), 26);
	d[0].budget = 25;
	assert_int_equal(run(it, 2, d, 1, VF_STRATEGY_BALANCED, 0), VF_VERDICT_NONE);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_invariants(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		struct vf_plan_item it[40];
		struct vf_plan_device d[5];
		size_t n = 1 + rnd(&seed) % 40, ngpu = rnd(&seed) % 4, nd = 0;
		uint64_t biggest = 0, offwork = 0;
		enum vf_verdict v;
		int last = 0;

		for (size_t i = 0; i < n; i++) {
			it[i] = (struct vf_plan_item)ITEM(rnd(&seed) % 100, rnd(&seed) % 10);
			if (i == n - 1 && n > 2 && rnd(&seed) % 2)
				it[i].tie = 0;
		}
		for (size_t g = 0; g < ngpu; g++)
			d[nd++] = (struct vf_plan_device)GPU(rnd(&seed) % 800);
		d[nd++] = (struct vf_plan_device)CPU(rnd(&seed) % 1500);
		if (rnd(&seed) % 2)
			d[nd++] = (struct vf_plan_device)DISK(rnd(&seed) % 3000);
		v = run(it, n, d, nd, rnd(&seed) % 2 ? VF_STRATEGY_BALANCED : VF_STRATEGY_SEQUENTIAL,
			rnd(&seed) % 20);
		if (v == VF_VERDICT_NONE)
			continue;
		for (size_t k = 0; k < nd; k++)
			if (assigned(&d[k]) > d[k].budget)
				fail_msg("round %d: device %zu holds %llu of %llu", round, k,
					 (unsigned long long)assigned(&d[k]),
					 (unsigned long long)d[k].budget);
		for (size_t i = 0; i < n; i++) {
			assert_true(it[i].device >= 0 && it[i].device < (int)nd);
			if (it[i].tie >= 0) {
				assert_int_equal(it[i].device, it[it[i].tie].device);
				continue;
			}
			if (it[i].device < last)
				fail_msg("round %d: layer %zu goes back to device %d", round, i,
					 it[i].device);
			last = it[i].device;
			if (ngpu && d[it[i].device].kind != VF_PLACE_GPU) {
				if (it[i].weights > biggest)
					biggest = it[i].weights;
				offwork += it[i].work;
			}
		}
		if (ngpu)
			assert_true(d[0].reserved >= biggest + offwork);
		{
			bool all_gpu = true;
			for (size_t i = 0; i < n; i++)
				all_gpu = all_gpu && d[it[i].device].kind == VF_PLACE_GPU;
			assert_int_equal(v == VF_VERDICT_GPU, all_gpu);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offload_with_reserve), cmocka_unit_test(test_everything_fits),
		cmocka_unit_test(test_balanced_vs_sequential), cmocka_unit_test(test_tied_head),
		cmocka_unit_test(test_nothing_fits),	       cmocka_unit_test(test_no_gpu),
		cmocka_unit_test(test_random_invariants),
	};

	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
