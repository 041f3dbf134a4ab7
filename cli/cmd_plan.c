/*
 * cmd_plan.c - `vramfit plan PATH`: a device_map across GPUs, CPU and disk
 * that loads unchanged with from_pretrained(device_map=...) and does not OOM
 * at the stated workload.  -o writes the map alone, atomically.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "cli/plan.h"

int plan_main(int argc, char **argv, const char *cmd, const char *usage_head,
	      const char *usage_tail, int (*report)(struct plan *p));

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

static const char tail[] = "  -h, --help          show this help\n"
			   "\n"
			   "exit status: 0 planned (any verdict), 1 bad input, 2 wrong usage\n"
			   "(vramfit check gives the verdict as its exit status)\n";

static int report(struct plan *p)
{
	struct vf_err err = {0};
	cJSON *rem = plan_remedies(p);

	if (p->po->out && p->verdict != VF_VERDICT_NONE && plan_write_map(p, &err)) {
		cJSON_Delete(rem);
		return vf_report(&err);
	}
	if (p->po->json)
		return vf_print_json(plan_json(p, rem));
	plan_print(p, rem, true);
	if (p->po->out && p->verdict != VF_VERDICT_NONE)
		printf("\nwrote %s\n", p->po->out);
	else if (p->po->out)
		printf("\nnothing written to %s: the model does not fit\n", p->po->out);
	cJSON_Delete(rem);
	return VF_EXIT_OK;
}

int cmd_plan(int argc, char **argv)
{
	return plan_main(argc, argv, "plan ", head, tail, report);
}
