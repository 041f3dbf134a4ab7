/*
 * cli.h - what subcommands share: the dispatch signature, exit codes, error
 * reporting and number formatting.  Only cli/ prints or exits.
 */
#ifndef VF_CLI_H
#define VF_CLI_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

#define VF_VERSION "0.1.0"

/* Exit statuses shared by every subcommand (documented in README). */
enum {
	VF_EXIT_OK = 0,
	VF_EXIT_ERROR = 1,    /* bad input or a failure while reading it */
	VF_EXIT_USAGE = 2,    /* wrong command line */
	VF_EXIT_OFFLOAD = 10, /* check: runs only with CPU/disk offload */
	VF_EXIT_NOFIT = 11,   /* check: does not fit even with offload */
};

int cmd_inspect(int argc, char **argv);
int cmd_gpus(int argc, char **argv);
int cmd_estimate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_capacity(int argc, char **argv);

/* Prints "vramfit: PATH: message" (control characters made visible) and
 * returns the exit status for err. */
int vf_report(const struct vf_err *err);
/* Prints "vramfit: message" plus a hint to --help, returns VF_EXIT_USAGE. */
int vf_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "1,234,567" */
const char *vf_fmt_count(uint64_t v, char buf[32]);
/* "12.55 GiB", "512 B" */
const char *vf_fmt_bytes(uint64_t v, char buf[32]);
/*
 * A name from a file as human output shows it: control characters as \xNN
 * and a backslash as \\, so a name cannot break a table or fake a line; s
 * itself when nothing needs escaping.  The result lives until the fourth
 * call after this one (escaped names are cut at about 1000 bytes, with "...").
 */
const char *vf_vis(const char *s);

/* Prints a JSON document and a newline to stdout; frees it. */
int vf_print_json(cJSON *doc);
/* cJSON number from an exact integer (vramfit numbers stay below 2^53). */
cJSON *vf_json_num(uint64_t v);
/* Flushes stdout and reports a write error; returns the exit status. */
int vf_finish_stdout(int status);

#endif
