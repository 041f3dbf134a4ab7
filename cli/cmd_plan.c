/*
 * cmd_plan.c - `vramfit plan PATH`: a device_map across GPUs, CPU and disk
 * that loads unchanged with from_pretrained(device_map=...) and does not OOM
 * at the stated workload.  -o writes the map alone, atomically.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plan.h"

int plan_main(int argc, char **argv, const char *cmd, const char *usage_head,
	      const char *usage_tail, int (*report)(struct plan *p));
/* plan_report.c: every layer is on disk (transformers refuses such a map) */
bool plan_all_disk(const struct plan *p);

static const char head[] =
    "usage: vramfit plan [options] PATH\n"
    "\n"
    "Splits a model's layers across GPUs, CPU and disk so that it loads and runs\n"
    "the stated workload without running out of memory: each GPU's budget is its\n"
    "free memory now, less the CUDA context, a margin and the activations of the\n"
    "block it runs; each layer brings its KV cache; the GPU that runs offloaded\n"
    "layers keeps room for them.  PATH is a checkpoint or a config.json.\n"
    "\n"
    "output\n"
    "  -o, --output FILE   write the device_map alone (JSON for from_pretrained;\n"
    "                      for GGUF, llama.cpp's -ngl/--tensor-split arguments)\n"
    "  --json              one JSON object: verdict, device_map, devices, max_memory,\n"
    "                      remedies (stable keys: see README)\n";

static const char tail[] =
    "  -h, --help          show this help\n"
    "\n"
    "exit status: 0 planned (any verdict; with -o, the map was written),\n"
    "11 with -o when no loadable map exists (the model does not fit even with\n"
    "offload, or every layer would be on disk), 1 bad input or a write error,\n"
    "2 wrong usage (vramfit check gives the verdict as its exit status)\n";

/* Why no map that from_pretrained loads can be written, or NULL. */
static const char *unloadable(const struct plan *p)
{
	if (p->verdict == VF_VERDICT_NONE)
		return "no device_map written: the model does not fit even with CPU/disk offload";
	if (!p->gguf && plan_all_disk(p))
		return "no device_map written: every layer would be on disk, which transformers "
		       "refuses (\"offload the whole model to the disk\"); give the CPU more "
		       "memory";
	return NULL;
}

/*
 * With -o the report goes to stdout first and must reach it (a full disk
 * under stdout is an error), and only then is the map renamed into place: a
 * run that fails leaves the previous map as it was.
 */
static int report(struct plan *p)
{
	struct vf_err err = {0};
	cJSON *rem = plan_remedies(p);
	const char *why = p->po->out ? unloadable(p) : NULL;
	int rc;

	/* -o -: stdout is the map alone, for a pipe (no report beside it) */
	if (p->po->out && strcmp(p->po->out, "-") == 0) {
		cJSON_Delete(rem);
		if (why) {
			fprintf(stderr, "vramfit: %s: %s\n", p->po->out, why);
			return VF_EXIT_NOFIT;
		}
		return plan_write_map(p, &err) ? vf_report(&err) : VF_EXIT_OK;
	}
	if (p->po->json) {
		rc = vf_print_json(plan_json(p, rem));
	} else {
		plan_print(p, rem, true);
		if (p->po->out && !why)
			printf("\nwrote %s\n", p->po->out);
		cJSON_Delete(rem);
		rc = VF_EXIT_OK;
	}
	/* stdout failed: main's vf_finish_stdout() says so, once; no map */
	if (rc || fflush(stdout) != 0 || ferror(stdout))
		return rc ? rc : VF_EXIT_ERROR;
	if (why) {
		fprintf(stderr, "vramfit: %s: %s\n", p->po->out, why);
		return VF_EXIT_NOFIT;
	}
	if (p->po->out && plan_write_map(p, &err))
		return vf_report(&err);
	return VF_EXIT_OK;
}

int cmd_plan(int argc, char **argv)
{
	return plan_main(argc, argv, "plan ", head, tail, report);
}
