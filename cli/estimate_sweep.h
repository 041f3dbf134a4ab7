/*
 * estimate_sweep.h - `vramfit estimate --sweep seq=1k..128k` (or batch=):
 * every memory term at each point, as a table, and with --svg FILE a chart
 * of memory by term against the swept quantity, with a line for each GPU
 * named with --gpu.  Also the token-count parser shared by capacity.
 */
#ifndef VF_CLI_ESTIMATE_SWEEP_H
#define VF_CLI_ESTIMATE_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include <getopt.h>

#include "cli/run.h"

/* A count with an optional k (x 1024) or m (x 1048576) suffix, either case:
 * "8192", "8k", "128K", "1m".  False for anything else or on overflow. */
bool vf_parse_tokens(const char *s, uint64_t *out);

/* The sweep's options, gathered by estimate's option loop. */
struct vf_sweep_opts {
	const char *sweep;    /* "seq=1k..128k", or NULL: no sweep */
	const char *svg;      /* chart file, or NULL */
	const char *gpus[16]; /* --gpu NAME: horizontal lines */
	unsigned ngpus;
};

/* getopt_long entries (--sweep, --svg, --gpu), ended by a zero entry. */
extern const struct option vf_sweep_options[];
/* Handles one of them: 0 taken, -1 not a sweep option, else a usage exit. */
int vf_sweep_parse(struct vf_sweep_opts *so, int c, const char *arg);

/* Runs the sweep on a loaded r (r->o->w is the base workload); prints the
 * table (or JSON) and writes the chart.  Returns the exit status. */
int vf_sweep_run(struct vf_run *r, const struct vf_sweep_opts *so, bool json);

#endif
