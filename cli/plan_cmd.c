/*
 * plan_cmd.c - the option loop and flow `vramfit plan` and `vramfit check`
 * share; cmd_plan.c and cmd_check.c only say how they report and exit.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plan.h"

int plan_main(int argc, char **argv, const char *cmd, const char *usage_head,
	      const char *usage_tail, int (*report)(struct plan *p))
{
	static struct option lopts[64];
	struct plan_opts po;
	struct plan p;
	struct vf_err err = {0};
	size_t n = 0;
	int c, rc;

	for (size_t i = 0; vf_plan_options[i].name; i++)
		lopts[n++] = vf_plan_options[i];
	for (size_t i = 0; vf_workload_options[i].name; i++)
		lopts[n++] = vf_workload_options[i];
	lopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
	memset(&lopts[n], 0, sizeof(lopts[n]));
	memset(&po, 0, sizeof(po));
	memset(&p, 0, sizeof(p));
	vf_wopts_init(&p.wo);
	p.po = &po;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "ho:", lopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_head, stdout);
			fputs(vf_plan_help, stdout);
			fputs(vf_workload_help, stdout);
			fputs(usage_tail, stdout);
			vf_wopts_release(&p.wo);
			return VF_EXIT_OK;
		}
		if (c == '?') {
			vf_wopts_release(&p.wo);
			return vf_usage_error(
			    cmd, optopt ? "option '%s' needs a value" : "unknown option '%s'",
			    argv[optind - 1]);
		}
		if (c == 'o')
			c = P_OUT;
		if ((rc = plan_parse_opt(&po, &p, c, optarg, cmd))) {
			vf_wopts_release(&p.wo);
			return rc;
		}
	}
	if (argc - optind != 1) {
		vf_wopts_release(&p.wo);
		return vf_usage_error(cmd, "%stakes exactly one PATH", cmd);
	}
	if (plan_run(&p, argv[optind], &err)) {
		if (!err.path[0] && err.status != VF_EUSAGE)
			snprintf(err.path, sizeof(err.path), "%s", argv[optind]);
		rc = vf_report(&err);
		plan_release(&p);
		return rc;
	}
	rc = report(&p);
	plan_release(&p);
	return rc;
}
