/*
 * estimate_sweep.c - estimate's --sweep and --svg; see estimate_sweep.h.
 */
#include "cli/estimate_sweep.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/size.h"
#include "gpu/gpu.h"

bool vf_parse_tokens(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v, mul = 1;

	if (!s || !*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1048576, end++;
	if (*end || (v && mul > UINT64_MAX / v))
		return false;
	*out = v * mul;
	return true;
}

/* ---- the sweep ---- */

#define SW_MAX 64
#define GIB (1024.0 * 1024.0 * 1024.0)

enum { S_SWEEP = 700, S_SVG, S_GPU };

const struct option vf_sweep_options[] = {
    {"sweep", required_argument, NULL, S_SWEEP},
    {"svg", required_argument, NULL, S_SVG},
    {"gpu", required_argument, NULL, S_GPU},
    {NULL, 0, NULL, 0},
};

int vf_sweep_parse(struct vf_sweep_opts *so, int c, const char *arg)
{
	switch (c) {
	case S_SWEEP:
		so->sweep = arg;
		return 0;
	case S_SVG:
		so->svg = arg;
		return 0;
	case S_GPU:
		if (so->ngpus == sizeof(so->gpus) / sizeof(so->gpus[0]))
			return vf_usage_error("estimate ", "at most 16 --gpu lines");
		so->gpus[so->ngpus++] = arg;
		return 0;
	}
	return -1;
}

struct point {
	uint64_t x;
	uint64_t t[6]; /* weights, kv_cache, activations, gradients + optimizer, overhead, total */
};

static const char *const term_names[] = {"weights", "kv_cache", "activations",
					 "gradients+optimizer", "overhead"};
static const char *const term_colors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f"};

/* "seq=1k..128k" or "batch=1..64": doubling from the first to the last. */
static int parse_sweep(const char *s, bool *seq, uint64_t *from, uint64_t *to)
{
	char a[32], b[32];
	const char *eq = strchr(s, '='), *dots = eq ? strstr(eq, "..") : NULL;

	if (!eq || !dots || (size_t)(dots - eq - 1) >= sizeof(a) || strlen(dots + 2) >= sizeof(b))
		return vf_usage_error("estimate ",
				      "--sweep takes seq=FROM..TO or batch=FROM..TO, not '%s'", s);
	*seq = strncmp(s, "seq=", 4) == 0;
	if (!*seq && strncmp(s, "batch=", 6) != 0)
		return vf_usage_error("estimate ", "--sweep sweeps seq or batch, not '%.*s'",
				      (int)(eq - s), s);
	snprintf(a, sizeof(a), "%.*s", (int)(dots - eq - 1), eq + 1);
	snprintf(b, sizeof(b), "%s", dots + 2);
	if (!vf_parse_tokens(a, from) || !vf_parse_tokens(b, to) || !*from || *to < *from ||
	    *to > (UINT64_C(1) << 32))
		return vf_usage_error("estimate ",
				      "--sweep %s: FROM..TO, 1 <= FROM <= TO (8k, 128k)", s);
	return 0;
}

static void add_text(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_text(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!*buf)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(*buf + *len, *cap - *len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < *cap - *len)
			break;
		char *nb = vf_realloc(*buf, *cap * 2 + (size_t)n);
		if (!nb) {
			vf_free(*buf);
			*buf = NULL;
			return;
		}
		*buf = nb;
		*cap = *cap * 2 + (size_t)n;
	}
	*len += (size_t)n;
}

static void fmt_count(uint64_t v, char *b, size_t n)
{
	if (v >= 1024 && v % 1024 == 0)
		snprintf(b, n, "%lluk", (unsigned long long)(v / 1024));
	else
		snprintf(b, n, "%llu", (unsigned long long)v);
}

/* Stacked areas of each term against the points (evenly spaced: they double),
 * a dashed line for each GPU. */
static int write_svg(const char *path, const struct point *p, size_t np, bool seq,
		     const struct vf_sweep_opts *so)
{
	const double W = 820, H = 480, L = 70, R = 170, T = 30, B = 50;
	double ymax = 0, gt[16] = {0};
	const char *gk[16] = {0};
	size_t len = 0, cap = 8192;
	char *buf = vf_malloc(cap), lab[32];
	struct vf_err err = {0};
	uint64_t below[SW_MAX] = {0};
	enum vf_status st;
	int drawn = 0;

	for (size_t i = 0; i < np; i++)
		ymax = ymax > (double)p[i].t[5] ? ymax : (double)p[i].t[5];
	for (unsigned g = 0; g < so->ngpus; g++) {
		const struct vf_gpu_model *m = vf_gpu_catalog_find(so->gpus[g], NULL);
		uint64_t sz = 0;
		if (m)
			sz = m->total, gk[g] = m->key;
		else if (vf_size_parse(so->gpus[g], &sz, &err) == VF_OK)
			gk[g] = so->gpus[g];
		else {
			vf_free(buf);
			return vf_usage_error(
			    "estimate ", "--gpu: no GPU '%s' (vramfit gpus --list)", so->gpus[g]);
		}
		gt[g] = (double)sz;
		ymax = ymax > gt[g] ? ymax : gt[g];
	}
	ymax = ymax * 1.08 / GIB;
	if (!(ymax > 0))
		ymax = 1;
#define X(i) (L + (np > 1 ? (double)(i) * (W - L - R) / (double)(np - 1) : (W - L - R) / 2))
#define Y(v) (H - B - ((double)(v) / GIB) * (H - T - B) / ymax)
	add_text(&buf, &len, &cap,
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		 "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n"
		 "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		 "<title>GPU memory by term against %s</title>\n",
		 W, H, W, H, seq ? "context length" : "batch size");
	for (int k = 0; k < 5; k++) {
		bool any = false;
		for (size_t i = 0; i < np; i++)
			any = any || p[i].t[k];
		if (!any)
			continue;
		add_text(&buf, &len, &cap, "<polygon fill=\"%s\" fill-opacity=\"0.85\" points=\"",
			 term_colors[k]);
		for (size_t i = 0; i < np; i++)
			add_text(&buf, &len, &cap, "%.1f,%.1f ", X(i), Y(below[i] + p[i].t[k]));
		for (size_t i = np; i-- > 0;)
			add_text(&buf, &len, &cap, "%.1f,%.1f ", X(i), Y(below[i]));
		add_text(&buf, &len, &cap, "\"><title>%s</title></polygon>\n", term_names[k]);
		for (size_t i = 0; i < np; i++)
			below[i] += p[i].t[k];
		add_text(&buf, &len, &cap,
			 "<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			 "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
			 W - R + 15, H - B - 18.0 * (5 - drawn), term_colors[k], W - R + 32,
			 H - B + 10 - 18.0 * (5 - drawn), term_names[k]);
		drawn++;
	}
	for (unsigned g = 0; g < so->ngpus; g++)
		add_text(
		    &buf, &len, &cap,
		    "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"black\" "
		    "stroke-dasharray=\"6 4\"/><text x=\"%.0f\" y=\"%.1f\">%s %.1f GiB</text>\n",
		    L, W - R, Y(gt[g]), Y(gt[g]), W - R + 4, Y(gt[g]) + 4, gk[g], gt[g] / GIB);
	/* axes, ticks */
	add_text(&buf, &len, &cap,
		 "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n"
		 "<line x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n",
		 L, W - R, H - B, H - B, L, L, T, H - B);
	for (size_t i = 0; i < np; i++) {
		fmt_count(p[i].x, lab, sizeof(lab));
		add_text(&buf, &len, &cap,
			 "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", X(i),
			 H - B + 16, lab);
	}
	for (int k = 0; k <= 4; k++)
		add_text(&buf, &len, &cap,
			 "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n", L - 6,
			 H - B - k * (H - T - B) / 4 + 4, ymax * k / 4);
	add_text(&buf, &len, &cap,
		 "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n"
		 "<text x=\"16\" y=\"%.0f\" transform=\"rotate(-90 16 %.0f)\" "
		 "text-anchor=\"middle\">GiB</text>\n</svg>\n",
		 (L + W - R) / 2, H - 12, seq ? "prompt tokens (--seq)" : "sequences (--batch)",
		 (T + H - B) / 2, (T + H - B) / 2);
#undef X
#undef Y
	if (!buf) {
		fputs("vramfit: out of memory\n", stderr);
		return VF_EXIT_ERROR;
	}
	st = vf_file_write_atomic(path, buf, len, &err);
	vf_free(buf);
	return st ? vf_report(&err) : VF_EXIT_OK;
}

int vf_sweep_run(struct vf_run *r, const struct vf_sweep_opts *so, bool json)
{
	struct point p[SW_MAX];
	struct vf_err err = {0};
	uint64_t from, to, base;
	size_t np = 0;
	bool seq = true;
	int rc;

	if ((rc = parse_sweep(so->sweep, &seq, &from, &to)))
		return rc;
	if (so->svg && vf_file_check_target(so->svg, &err))
		return vf_report(&err);
	base = seq ? r->o->w.seq : r->o->w.batch;
	for (uint64_t x = from; np<SW_MAX; x = x * 2> to && x < to ? to : x * 2) {
		const struct vf_estimate *e = &r->est;
		*(seq ? &r->o->w.seq : &r->o->w.batch) = x;
		if (vf_run_estimate(r, &err))
			return vf_report(&err);
		p[np].x = x;
		p[np].t[0] = e->weights;
		p[np].t[1] = e->kv_cache;
		p[np].t[2] = e->activations;
		p[np].t[3] = e->gradients + e->optimizer;
		p[np].t[4] = e->overhead;
		p[np].t[5] = e->total;
		np++;
		if (x >= to)
			break;
	}
	*(seq ? &r->o->w.seq : &r->o->w.batch) = base;
	if (json) {
		cJSON *doc = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(doc, "points");
		cJSON_AddStringToObject(doc, "sweep", seq ? "seq" : "batch");
		for (size_t i = 0; i < np; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddItemToObject(o, seq ? "seq" : "batch", vf_json_num(p[i].x));
			for (int k = 0; k < 5; k++)
				cJSON_AddItemToObject(
				    o, k == 3 ? "gradients_optimizer" : term_names[k],
				    vf_json_num(p[i].t[k]));
			cJSON_AddItemToObject(o, "total", vf_json_num(p[i].t[5]));
			cJSON_AddItemToArray(arr, o);
		}
		rc = vf_print_json(doc);
	} else {
		printf("%8s %12s %12s %12s %12s %12s %12s   (GiB)\n", seq ? "seq" : "batch",
		       "weights", "kv_cache", "activations", "grad+optim", "overhead", "total");
		for (size_t i = 0; i < np; i++) {
			char lab[32];
			fmt_count(p[i].x, lab, sizeof(lab));
			printf("%8s", lab);
			for (int k = 0; k < 6; k++)
				printf(" %12.2f", (double)p[i].t[k] / GIB);
			putchar('\n');
		}
		rc = VF_EXIT_OK;
	}
	if (!rc && so->svg)
		rc = write_svg(so->svg, p, np, seq, so);
	return rc;
}
