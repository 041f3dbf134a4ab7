/*
 * cmd_check.c - `vramfit check PATH`: the pre-flight verdict for shells and
 * CI.  Exit 0 = fits on GPU(s); 10 = runs only with CPU/disk offload;
 * 11 = does not fit even with offload; 1 = bad input; 2 = usage.  Prints the
 * remedies that would make it fit, computed for this model and machine.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/plan.h"

int plan_main(int argc, char **argv, const char *cmd, const char *usage_head,
	      const char *usage_tail, int (*report)(struct plan *p));
/* plan_report.c: every layer is on disk (transformers refuses such a map) */
bool plan_all_disk(const struct plan *p);

static const char head[] =
    "usage: vramfit check [options] PATH\n"
    "\n"
    "Will this model run this workload on these GPUs?  The verdict is the exit\n"
    "status, for scripts and CI, and the remedies that would make it fit are\n"
    "listed, ranked and quantified (stop a process, a smaller dtype, a shorter\n"
    "sequence, gradient checkpointing, offload).  Same options as vramfit plan.\n"
    "\n"
    "output\n"
    "  --json              the plan's JSON object (verdict, device_map, devices,\n"
    "                      remedies)\n"
    "  -o, --output FILE   also write the device_map (when it runs at all)\n";

static const char tail[] =
    "  -h, --help          show this help\n"
    "\n"
    "exit status: 0 fits on the GPU(s), 10 runs only with CPU/disk offload,\n"
    "11 does not fit even with offload, 1 bad input, 2 wrong usage\n";

static int exit_for(enum vf_verdict v)
{
	return v == VF_VERDICT_GPU	 ? VF_EXIT_OK
	       : v == VF_VERDICT_OFFLOAD ? VF_EXIT_OFFLOAD
					 : VF_EXIT_NOFIT;
}

static int report(struct plan *p)
{
	struct vf_err err = {0};
	cJSON *rem = plan_remedies(p);
	int rc;

	/* the report reaches stdout before the map is renamed into place; a map
	 * transformers would refuse (all on disk) is not written */
	if (p->po->json) {
		rc = vf_print_json(plan_json(p, rem));
	} else {
		plan_print(p, rem, false);
		cJSON_Delete(rem);
		rc = VF_EXIT_OK;
	}
	/* stdout failed: main's vf_finish_stdout() says so, once; no map */
	if (rc || fflush(stdout) != 0 || ferror(stdout))
		return rc ? rc : VF_EXIT_ERROR;
	if (p->po->out && p->verdict != VF_VERDICT_NONE && (p->gguf || !plan_all_disk(p)) &&
	    plan_write_map(p, &err))
		return vf_report(&err);
	return exit_for(p->verdict);
}

int cmd_check(int argc, char **argv)
{
	return plan_main(argc, argv, "check ", head, tail, report);
}
