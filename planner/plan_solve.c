/*
 * plan_solve.c - greedy placement in execution order, the way accelerate's
 * infer_auto_device_map walks modules (fill a device, move on, never come
 * back), with two differences that make its maps fail at generate time:
 * every layer carries its workload bytes, and the room the execution GPU
 * keeps for offloaded layers is found by iteration rather than guessed.
 *
 * The reserve on the execution GPU is (largest offloaded layer) + (workload
 * of all offloaded layers).  It depends on what ends up offloaded, which
 * depends on the reserve, so the solver repeats placement with the reserve
 * the previous round needed until it no longer grows (it only grows, and is
 * bounded, so this ends in at most n + 1 rounds; in practice 2).
 */
#include "planner/plan.h"

#include <string.h>

#include "common/mem.h"

const char *vf_verdict_name(enum vf_verdict v)
{
	switch (v) {
	case VF_VERDICT_GPU:
		return "gpu";
	case VF_VERDICT_OFFLOAD:
		return "offload";
	case VF_VERDICT_NONE:
		break;
	}
	return "none";
}

struct state {
	struct vf_plan_item *items;
	size_t n;
	struct vf_plan_device *devs;
	size_t ndev;
	int exec; /* the execution GPU, or -1 when there is no GPU */
	uint64_t *used;
	uint64_t *tied_extra; /* cost of later tied items, charged to the first */
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Can item i (with its tied followers) go on device d, given the limit? */
static bool fits(struct state *s, size_t i, int d, uint64_t limit)
{
	const struct vf_plan_item *it = &s->items[i];
	uint64_t need = sat_add(sat_add(it->weights, it->work), s->tied_extra[i]);

	if (s->devs[d].kind == VF_PLACE_GPU)
		return need <= limit && s->used[d] <= limit - need;
	/* Offloaded: weights here; workload on the execution GPU, inside the
	 * reserve the caller keeps there.  Without a GPU it all runs here. */
	if (s->exec >= 0)
		need = sat_add(it->weights, s->tied_extra[i]);
	return need <= s->devs[d].budget && s->used[d] <= s->devs[d].budget - need;
}

static void place(struct state *s, size_t i, int d)
{
	struct vf_plan_item *it = &s->items[i];
	struct vf_plan_device *dev = &s->devs[d];

	it->device = d;
	dev->weights += it->weights;
	/* tied followers will come here at no further check: hold their room now */
	s->used[d] = sat_add(s->used[d], s->tied_extra[i]);
	if (dev->kind == VF_PLACE_GPU) {
		dev->workload += it->work;
		s->used[d] = sat_add(s->used[d], sat_add(it->weights, it->work));
	} else if (s->exec >= 0) {
		/* the execution GPU's reserve already holds this workload */
		s->used[d] = sat_add(s->used[d], it->weights);
	} else {
		dev->workload += it->work;
		s->used[d] = sat_add(s->used[d], sat_add(it->weights, it->work));
	}
}

/* One placement round with a fixed reserve; returns true when all placed. */
static bool round_(struct state *s, const struct vf_plan_opts *o, uint64_t reserve,
		   const uint64_t *target)
{
	int cur = 0;

	for (size_t d = 0; d < s->ndev; d++) {
		s->used[d] = 0;
		s->devs[d].weights = s->devs[d].workload = 0;
	}
	if (s->exec >= 0) {
		s->used[s->exec] = sat_add(reserve, o->exec_extra);
		s->devs[s->exec].reserved = s->used[s->exec];
		if (s->used[s->exec] > s->devs[s->exec].budget)
			return false; /* offloading needs more than the execution GPU has */
	}
	for (size_t i = 0; i < s->n; i++)
		s->items[i].device = -1;
	for (size_t i = 0; i < s->n; i++) {
		struct vf_plan_item *it = &s->items[i];
		if (it->tie >= 0 && (size_t)it->tie < i && s->items[it->tie].device >= 0) {
			/* its cost was reserved with the first of the group */
			int d = s->items[it->tie].device;
			it->device = d;
			s->devs[d].weights += it->weights;
			if (s->devs[d].kind == VF_PLACE_GPU || s->exec < 0)
				s->devs[d].workload += it->work;
			continue;
		}
		while (cur < (int)s->ndev) {
			uint64_t limit = s->devs[cur].budget;
			if (s->devs[cur].kind == VF_PLACE_GPU && target && target[cur] < limit &&
			    s->used[cur] > 0)
				limit = target[cur];
			if (fits(s, i, cur, limit))
				break;
			cur++;
		}
		if (cur == (int)s->ndev)
			return false;
		place(s, i, cur);
	}
	return true;
}

/* What the execution GPU must keep for the layers this round offloaded. */
static uint64_t needed_reserve(const struct state *s)
{
	uint64_t biggest = 0, work = 0;

	for (size_t i = 0; i < s->n; i++) {
		const struct vf_plan_item *it = &s->items[i];
		if (it->device < 0 || s->devs[it->device].kind == VF_PLACE_GPU)
			continue;
		if (it->weights > biggest)
			biggest = it->weights;
		work = sat_add(work, it->work);
	}
	return sat_add(biggest, work);
}

static bool solve(struct state *s, const struct vf_plan_opts *o, const uint64_t *target)
{
	uint64_t reserve = 0;

	for (size_t r = 0; r <= s->n + 1; r++) {
		bool ok = round_(s, o, reserve, target);
		uint64_t need = needed_reserve(s);
		/* The round's own offloaded work was charged as it went; the reserve
		 * must cover it before the GPU layers were placed, so repeat. */
		if (ok && need <= reserve)
			return true;
		if (need <= reserve) /* nothing more to gain from a larger reserve */
			return false;
		reserve = need;
	}
	return false;
}

enum vf_status vf_plan_solve(struct vf_plan_item *items, size_t n, struct vf_plan_device *devs,
			     size_t ndev, const struct vf_plan_opts *opts, enum vf_verdict *verdict,
			     struct vf_err *err)
{
	struct state s = {items, n, devs, ndev, -1, NULL, NULL};
	uint64_t *target = NULL;
	size_t ngpu = 0;
	uint64_t total = opts->exec_extra, gpu_budget = 0;
	bool ok = false, all_gpu = true;

	*verdict = VF_VERDICT_NONE;
	s.used = vf_calloc(ndev, sizeof(*s.used));
	s.tied_extra = vf_calloc(n, sizeof(*s.tied_extra));
	target = vf_calloc(ndev, sizeof(*target));
	if (!s.used || !s.tied_extra || !target) {
		vf_free(s.used);
		vf_free(s.tied_extra);
		vf_free(target);
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		long t = items[i].tie;
		if (t >= 0 && (size_t)t < i)
			s.tied_extra[t] =
			    sat_add(s.tied_extra[t], sat_add(items[i].weights, items[i].work));
		total = sat_add(total, sat_add(items[i].weights, items[i].work));
	}
	for (size_t d = 0; d < ndev; d++) {
		devs[d].reserved = 0;
		if (devs[d].kind == VF_PLACE_GPU) {
			if (s.exec < 0)
				s.exec = (int)d;
			ngpu++;
			gpu_budget = sat_add(gpu_budget, devs[d].budget);
		}
	}
	/* Balanced: an even share per GPU when everything fits on GPUs; the last
	 * GPU takes what is left.  Otherwise, or when balancing fails, pack. */
	if (opts->strategy == VF_STRATEGY_BALANCED && ngpu > 1 && total <= gpu_budget) {
		uint64_t share = total / ngpu + 1;
		for (size_t d = 0; d < ndev; d++)
			target[d] = devs[d].kind == VF_PLACE_GPU ? share : UINT64_MAX;
		for (size_t d = ndev; d-- > 0;)
			if (devs[d].kind == VF_PLACE_GPU) {
				target[d] = UINT64_MAX;
				break;
			}
		ok = solve(&s, opts, target);
		for (size_t i = 0; ok && i < n; i++)
			if (devs[items[i].device].kind != VF_PLACE_GPU)
				ok = false; /* balancing pushed a layer off the GPUs: pack */
	}
	if (!ok)
		ok = solve(&s, opts, NULL);
	if (ok) {
		for (size_t i = 0; i < n; i++)
			if (devs[items[i].device].kind != VF_PLACE_GPU)
				all_gpu = false;
		*verdict = all_gpu ? VF_VERDICT_GPU : VF_VERDICT_OFFLOAD;
	}
	vf_free(s.used);
	vf_free(s.tied_extra);
	vf_free(target);
	return VF_OK;
}
