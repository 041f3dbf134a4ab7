/*
 * run.h - what estimate, plan and check share: the workload options, and
 * gathering a model into everything the planner needs (tensor table, config
 * facts, the synthesized model, the estimate, layers and their KV cache).
 * cli/ only; every number still comes from planner/.
 */
#ifndef VF_CLI_RUN_H
#define VF_CLI_RUN_H

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>

#include "common/err.h"
#include "formats/formats.h"
#include "planner/planner.h"

#define VF_RUN_MAX_WARN 16

/* Workload options (codes from 256 up; a command's own start at 512). */
enum {
	O_DTYPE = 256,
	O_UPCAST,
	O_BATCH,
	O_SEQ,
	O_GEN,
	O_KV,
	O_ATTN,
	O_ENGINE,
	O_OVERHEAD,
	O_TRAIN,
	O_OPTIM,
	O_PREC,
	O_CKPT,
	O_LORA,
	O_TARGETS,
	O_QLORA,
	O_ZERO,
	O_DP,
	O_REVISION, /* not the workload's: where the model comes from (vf_open_opts) */
	O_VARIANT,
	O_REFRESH, /* the hub reader's (formats/hub.h) */
	O_TIMEOUT,
	O_OPTIM_IMPL, /* --optim-impl foreach|for|fused */
	O_WORKLOAD_END,
};

/* getopt_long entries for the workload options, ended by a zero entry. */
extern const struct option vf_workload_options[];
/* The help text for them ("weights", "inference", "training" sections). */
extern const char vf_workload_help[];

struct vf_wopts {
	struct vf_workload w;
	bool seq_set;
	char *targets;	      /* strdup of --lora-targets, split in place */
	const char *revision; /* --revision: vf_run_load() passes it to the open */
	const char *variant;  /* --variant: model.VARIANT.safetensors, as from_pretrained */
};

void vf_wopts_init(struct vf_wopts *o);
void vf_wopts_release(struct vf_wopts *o);
/* Handles one workload option; 0, or the exit status of a usage error
 * (cmd names the command in the message, e.g. "plan "). */
int vf_wopts_parse(struct vf_wopts *o, int c, const char *arg, const char *cmd);

struct vf_run {
	struct vf_wopts *o;
	const char *path;
	struct vf_model *m;
	struct vf_ckpt ck; /* m's tensors read once, when it has any */
	struct vf_synth s;
	bool have_s;
	struct vf_estimate est;
	struct vf_layers ly;
	/* A checkpoint's layers are grouped once, and weighed again only when
	 * the weights' conversion changes (plan solves again for each remedy). */
	struct vf_wconv ly_conv;
	bool ly_grouped;
	uint64_t *kv; /* per layer */
	char *warn[VF_RUN_MAX_WARN];
	size_t nwarn;
};

/*
 * Opens path, reads the config facts, synthesizes the model, settles the
 * workload's defaults (sequence length, a config's quantization) and
 * collects warnings.  r->o must be set; on failure err says why.
 */
enum vf_status vf_run_load(struct vf_run *r, const char *path, const struct vf_open_opts *oo,
			   struct vf_err *err);
/* The estimate for r->o->w (callable again after changing the workload). */
enum vf_status vf_run_estimate(struct vf_run *r, struct vf_err *err);
/* Layers with bytes as the weights will sit in memory and their KV cache
 * (callable again: the previous layers are released). */
enum vf_status vf_run_layers(struct vf_run *r, struct vf_err *err);
void vf_run_warn(struct vf_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vf_run_release(struct vf_run *r);

/* The estimate's "memory" object (the README's stable contract), shared by
 * estimate --json and plan/check --json. */
cJSON *vf_memory_json(const struct vf_estimate *e);

#endif
