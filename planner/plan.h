/*
 * plan.h - the device_map solver: a pure function from layers (weights and
 * the workload that lives with each), device budgets and a strategy to a
 * placement.  No I/O; cli/cmd_plan.c gathers the inputs.
 *
 * Rules (device-map.md, "Our bar"):
 *   - layers are atoms placed in execution order; each device gets one
 *     contiguous run, GPUs first, then cpu, then disk;
 *   - a layer's workload (its KV cache, its activations, the logits of the
 *     head) lives where it executes: on its GPU, or on the execution GPU
 *     (the first GPU) when the layer is offloaded to cpu or disk;
 *   - the execution GPU keeps room to bring in the largest offloaded layer;
 *   - tied layers (a head sharing the embedding's weight) go to the device of
 *     the first of them, whose placement already reserved their cost;
 *   - no device is ever filled past its budget.
 */
#ifndef VF_PLAN_H
#define VF_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum vf_place { VF_PLACE_GPU, VF_PLACE_CPU, VF_PLACE_DISK };

struct vf_plan_device {
	enum vf_place kind;
	int gpu;	 /* CUDA index of a GPU; -1 for cpu and disk */
	uint64_t budget; /* bytes usable for weights and workload */
	/* filled by the solver; weights + workload + reserved <= budget */
	uint64_t weights;  /* weight bytes of the layers placed here */
	uint64_t workload; /* workload of the layers placed here */
	uint64_t reserved; /* execution GPU only: exec_extra, the workload of all
			      offloaded layers, and room for the largest of them */
};

struct vf_plan_item {
	const char *name;
	uint64_t weights; /* weight bytes (a tied weight counts on the first layer only) */
	uint64_t work;	  /* workload bytes that live where this layer executes */
	long tie;	  /* an earlier item whose weights this one shares, or -1 */
	/* filled by the solver */
	int device; /* index into the device array, -1 when unplaced */
};

enum vf_strategy {
	VF_STRATEGY_BALANCED,	/* even across GPUs (accelerate's "auto"/"balanced") */
	VF_STRATEGY_SEQUENTIAL, /* fill GPU 0 first */
};

enum vf_verdict {
	VF_VERDICT_GPU,	    /* everything on GPUs */
	VF_VERDICT_OFFLOAD, /* runs, with layers on cpu or disk */
	VF_VERDICT_NONE,    /* does not fit even with offload */
};

struct vf_plan_opts {
	enum vf_strategy strategy;
	uint64_t exec_extra; /* bytes the execution GPU needs besides layers (peak
				activations of the forward pass that live there) */
};

/*
 * Places every item and sets *verdict.  Devices must be ordered GPUs, then
 * cpu, then disk.  With VF_VERDICT_NONE the placement is partial.  Fails only
 * when out of memory.
 */
enum vf_status vf_plan_solve(struct vf_plan_item *items, size_t n, struct vf_plan_device *devs,
			     size_t ndev, const struct vf_plan_opts *opts, enum vf_verdict *verdict,
			     struct vf_err *err);

const char *vf_verdict_name(enum vf_verdict v);

#endif
