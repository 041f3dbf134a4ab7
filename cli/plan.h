/*
 * plan.h - what `vramfit plan` and `vramfit check` share: the device options,
 * gathering devices and budgets, turning layers into solver items, solving,
 * the remedies that would make a model fit, and the JSON/human reports.
 * The numbers come from planner/ (memory model, solver) and gpu/ (devices).
 */
#ifndef VF_CLI_PLAN_H
#define VF_CLI_PLAN_H

#include <cjson/cJSON.h>

#include "cli/run.h"
#include "gpu/gpu.h"
#include "planner/plan.h"

/* plan/check options (after the workload's, from 512 up) */
enum {
	P_JSON = 512,
	P_GPU,
	P_MAX_MEMORY,
	P_OFFLOAD,
	P_MARGIN,
	P_STRATEGY,
	P_OUT,
	P_NO_DISK,
	P_KEY,
	P_RAM,
};

extern const struct option vf_plan_options[];
extern const char vf_plan_help[];

struct plan_opts {
	const char *gpu_specs[64];
	size_t ngpu_specs;
	const char *max_memory; /* "0=20GiB,cpu=64GiB" or a JSON file */
	uint64_t ram;		/* --ram: the host's RAM for offload, as given */
	bool ram_set;
	const char *offload_folder;
	uint64_t margin;
	bool margin_set;
	enum vf_strategy strategy;
	const char *out;
	bool json, no_disk;
	struct vf_open_opts open;
};

/* One --max-memory entry. */
struct plan_cap {
	char key[16]; /* "0", "cpu", "disk" */
	uint64_t bytes;
};
#define PLAN_MAX_CAPS 64

/* One device as the plan sees it. */
struct plan_dev {
	char label[16];		     /* "0", "1", "cpu", "disk" */
	const struct vf_device *gpu; /* NULL for cpu and disk */
	uint64_t avail;		     /* free (or max_memory) before deductions */
	uint64_t context, margin, transient;
	bool capped; /* --max-memory set this device's budget */
};

struct plan {
	struct plan_opts *po;
	struct vf_wopts wo;
	struct vf_run run;
	struct vf_gpu_probe probe;
	bool hypothetical; /* --gpu given: devices described, not measured */
	/* --ram, or --max-memory cpu= beside described GPUs: the host is not this
	 * machine, and nothing about this machine's RAM or load changes the plan */
	bool host_described;
	struct vf_host host;
	struct plan_cap caps[PLAN_MAX_CAPS]; /* --max-memory, parsed before the model */
	size_t ncaps;
	struct plan_dev *pd;
	struct vf_plan_device *dev;
	size_t nd, ngpu;
	struct vf_plan_item *items;
	size_t n;
	enum vf_verdict verdict;
	bool cpu_only; /* no GPU could even hold the execution reserve: planned on cpu */
	bool gguf;
};

/* Parses one plan/check option; 0 or a usage exit status. */
int plan_parse_opt(struct plan_opts *po, struct plan *p, int c, const char *arg, const char *cmd);
/* Loads the model and the devices, and solves; VF_OK or an error. */
enum vf_status plan_run(struct plan *p, const char *path, struct vf_err *err);
/* Solves again for the current workload and devices (after a change). */
enum vf_status plan_solve(struct plan *p, struct vf_err *err);
/* The remedies, ranked, as a JSON array (check and plan --json). */
cJSON *plan_remedies(struct plan *p);
/* The report; device_map written to po->out when set. */
cJSON *plan_json(struct plan *p, cJSON *remedies);
void plan_print(struct plan *p, cJSON *remedies, bool verbose_map);
enum vf_status plan_write_map(struct plan *p, struct vf_err *err);
void plan_release(struct plan *p);

#endif
