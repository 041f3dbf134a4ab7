/*
 * main.c - the command table and dispatch (git's cmd_struct pattern).  Each
 * subcommand lives in cli/cmd_<name>.c and parses its own options.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/json.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
    {"inspect", cmd_inspect, "tensors, dtypes and layers of a checkpoint or config.json"},
    {"estimate", cmd_estimate, "memory for inference or training: weights, KV cache, activations"},
    {"plan", cmd_plan, "a device_map across GPUs, CPU and disk for a workload (-o FILE)"},
    {"check", cmd_check, "pre-flight verdict as exit status (0 GPU, 10 offload, 11 no), remedies"},
    {"capacity", cmd_capacity, "which GPUs, how many, how fast; vLLM / DeepSpeed settings"},
    {"gpus", cmd_gpus, "GPUs (measured or --gpu), free memory and who holds it; host RAM, disk"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fputs("usage: vramfit <command> [options] PATH\n"
	      "       vramfit --version | --help\n\n"
	      "Plans the GPU memory of a model from its checkpoint headers, before loading it.\n\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\n'vramfit <command> --help' describes a command.\n"
	      "exit status: 0 success, 1 bad input or failure, 2 wrong usage;\n"
	      "vramfit check: 0 fits on GPU, 10 only with CPU/disk offload, 11 does not fit\n",
	      f);
}

int main(int argc, char **argv)
{
	vf_json_init();
	if (argc < 2) {
		usage(stderr);
		return VF_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return vf_finish_stdout(VF_EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("vramfit %s\n", VF_VERSION);
		return vf_finish_stdout(VF_EXIT_OK);
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return vf_finish_stdout(commands[i].fn(argc - 1, argv + 1));
	return vf_usage_error(NULL, "unknown command '%s'", argv[1]);
}
