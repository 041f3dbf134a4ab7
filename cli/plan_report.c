/*
 * plan_report.c - how a plan is shown: the --json object (stable keys:
 * "verdict", "device_map", "devices" [{"device", "budget", "assigned"}],
 * "remedies"), the human table, the device_map file, and llama.cpp's
 * arguments for GGUF models.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plan.h"
#include "common/file.h"
#include "common/mem.h"

static uint64_t assigned(const struct vf_plan_device *d)
{
	return d->weights + d->workload + d->reserved;
}

/* A device_map value: the CUDA index as a number, or "cpu" / "disk". */
static cJSON *map_value(const struct plan *p, int dev)
{
	if (dev < 0)
		return cJSON_CreateNull();
	if (p->dev[dev].kind == VF_PLACE_GPU)
		return cJSON_CreateNumber(p->dev[dev].gpu);
	return cJSON_CreateString(p->dev[dev].kind == VF_PLACE_CPU ? "cpu" : "disk");
}

static cJSON *device_map(const struct plan *p)
{
	cJSON *m = cJSON_CreateObject();

	for (size_t i = 0; i < p->n; i++)
		cJSON_AddItemToObject(m, p->items[i].name, map_value(p, p->items[i].device));
	return m;
}

/* llama.cpp offloads whole blocks: -ngl counts blk.N layers on GPUs (plus the
 * output layer), --tensor-split their shares per GPU. */
struct llama_args {
	unsigned ngl, blocks;
	unsigned per_gpu[64];
	char line[512];
};

static void llama_cpp_args(const struct plan *p, struct llama_args *a)
{
	size_t o = 0;
	bool split = false;

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < p->n; i++) {
		const struct vf_layer *l = &p->run.ly.v[i];
		int d = p->items[i].device;
		bool on_gpu = d >= 0 && p->dev[d].kind == VF_PLACE_GPU;
		if (l->kind == VF_LAYER_BLOCK) {
			a->blocks++;
			if (on_gpu) {
				a->ngl++;
				if (d < 64)
					a->per_gpu[d]++;
			}
		} else if (strcmp(l->name, "output") == 0 && on_gpu) {
			a->ngl++; /* -ngl above the block count also offloads the output */
		}
	}
	o += (size_t)snprintf(a->line + o, sizeof(a->line) - o, "-ngl %u", a->ngl);
	for (size_t d = 1; d < p->ngpu && d < 64; d++)
		split = split || a->per_gpu[d];
	if (split) {
		o += (size_t)snprintf(a->line + o, sizeof(a->line) - o, " --tensor-split ");
		for (size_t d = 0; d < p->ngpu && d < 64 && o < sizeof(a->line); d++)
			o += (size_t)snprintf(a->line + o, sizeof(a->line) - o, "%s%u",
					      d ? "," : "", a->per_gpu[d]);
	}
}

cJSON *plan_json(struct plan *p, cJSON *remedies)
{
	const struct vf_estimate *e = &p->run.est;
	cJSON *doc = cJSON_CreateObject(), *devs, *mm, *o, *warn;

	cJSON_AddStringToObject(doc, "path", p->run.path);
	cJSON_AddStringToObject(doc, "verdict", vf_verdict_name(p->verdict));
	cJSON_AddBoolToObject(doc, "cpu_only", p->cpu_only);
	cJSON_AddItemToObject(doc, "device_map", device_map(p));
	devs = cJSON_AddArrayToObject(doc, "devices");
	mm = cJSON_CreateObject();
	for (size_t i = 0; i < p->nd; i++) {
		const struct plan_dev *d = &p->pd[i];
		const struct vf_plan_device *v = &p->dev[i];
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "device", d->label);
		if (d->gpu)
			cJSON_AddStringToObject(x, "name", d->gpu->name);
		cJSON_AddItemToObject(x, "budget", vf_json_num(v->budget));
		cJSON_AddItemToObject(x, "assigned", vf_json_num(assigned(v)));
		cJSON_AddItemToObject(x, "weights", vf_json_num(v->weights));
		cJSON_AddItemToObject(x, "workload", vf_json_num(v->workload));
		cJSON_AddItemToObject(x, "reserved", vf_json_num(v->reserved));
		cJSON_AddItemToObject(x, "available", vf_json_num(d->avail));
		cJSON_AddItemToObject(x, "context", vf_json_num(d->context));
		cJSON_AddItemToObject(x, "margin", vf_json_num(d->margin));
		cJSON_AddItemToObject(x, "activations", vf_json_num(d->transient));
		cJSON_AddItemToArray(devs, x);
		/* accelerate's max_memory that keeps these weights where they are */
		if (v->weights)
			cJSON_AddItemToObject(mm, d->label, vf_json_num(v->weights));
	}
	cJSON_AddItemToObject(doc, "max_memory", mm);
	if (p->gguf) {
		struct llama_args a;
		llama_cpp_args(p, &a);
		o = cJSON_AddObjectToObject(doc, "llama_cpp");
		cJSON_AddItemToObject(o, "n_gpu_layers", vf_json_num(a.ngl));
		cJSON_AddStringToObject(o, "args", a.line);
	}
	cJSON_AddItemToObject(doc, "remedies", remedies ? remedies : cJSON_CreateArray());
	cJSON_AddItemToObject(doc, "memory", vf_memory_json(e));
	o = cJSON_AddObjectToObject(doc, "workload");
	cJSON_AddStringToObject(o, "mode", p->wo.w.train ? "training" : "inference");
	cJSON_AddItemToObject(o, "batch", vf_json_num(p->wo.w.batch));
	cJSON_AddItemToObject(o, "seq", vf_json_num(p->wo.w.seq));
	cJSON_AddItemToObject(o, "gen", vf_json_num(p->wo.w.gen));
	cJSON_AddStringToObject(doc, "source",
				p->hypothetical ? "hypothetical"
				: p->ngpu	? vf_gpu_source_name(p->probe.source)
						: "none");
	warn = cJSON_AddArrayToObject(doc, "warnings");
	for (size_t i = 0; i < p->run.nwarn; i++)
		cJSON_AddItemToArray(warn, cJSON_CreateString(p->run.warn[i]));
	if (!p->ngpu && !p->hypothetical)
		cJSON_AddItemToArray(warn, cJSON_CreateString(p->probe.why));
	return doc;
}

bool plan_all_disk(const struct plan *p);

bool plan_all_disk(const struct plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].device < 0 || p->dev[p->items[i].device].kind != VF_PLACE_DISK)
			return false;
	return p->n > 0;
}

enum vf_status plan_write_map(struct plan *p, struct vf_err *err)
{
	char *text;
	enum vf_status st;

	if (p->gguf) {
		struct llama_args a;
		char line[600];
		llama_cpp_args(p, &a);
		snprintf(line, sizeof(line), "%s\n", a.line);
		return vf_file_write_atomic(p->po->out, line, strlen(line), err);
	}
	{
		cJSON *m = device_map(p);
		text = m ? cJSON_Print(m) : NULL;
		cJSON_Delete(m);
	}
	if (!text)
		return vf_fail(err, VF_ENOMEM, p->po->out, "out of memory");
	{
		size_t n = strlen(text);
		char *t = vf_malloc(n + 2);
		if (!t) {
			cJSON_free(text);
			return vf_fail(err, VF_ENOMEM, p->po->out, "out of memory");
		}
		memcpy(t, text, n);
		t[n] = '\n';
		t[n + 1] = '\0';
		cJSON_free(text);
		st = vf_file_write_atomic(p->po->out, t, n + 1, err);
		vf_free(t);
	}
	return st;
}

static const char *device_words(const struct plan *p, int d, char *buf, size_t n)
{
	if (d < 0)
		return "-";
	if (p->dev[d].kind == VF_PLACE_GPU)
		snprintf(buf, n, "GPU %d", p->dev[d].gpu);
	else
		snprintf(buf, n, "%s", p->dev[d].kind == VF_PLACE_CPU ? "cpu" : "disk");
	return buf;
}

static const char *slowdown(const struct plan *p)
{
	bool disk = false;

	if (p->verdict == VF_VERDICT_GPU)
		return "all on GPU: full speed";
	if (p->verdict == VF_VERDICT_NONE)
		return "does not fit, even with offload";
	for (size_t i = 0; i < p->n; i++)
		disk = disk || (p->items[i].device >= 0 &&
				p->dev[p->items[i].device].kind == VF_PLACE_DISK);
	if (p->cpu_only || !p->ngpu)
		return disk ? "runs on the CPU with disk offload: very slow"
			    : "runs on the CPU only: slow";
	return disk ? "disk offload: offloaded layers are read from disk every step (very slow)"
		    : "CPU offload: offloaded layers cross PCIe every step (slow)";
}

void plan_print(struct plan *p, cJSON *remedies, bool show_map)
{
	const struct vf_estimate *e = &p->run.est;
	char a[32], b[32], c[32], d[32], f[32], name[300];
	size_t i = 0;

	printf("model         %s (%s, %s parameters)\n", p->run.path,
	       vf_format_name(p->run.m->format), vf_fmt_count(e->params_total, a));
	printf("workload      %s: batch %llu, seq %llu, gen %llu; needs %s (weights %s, KV %s, "
	       "activations %s%s)\n",
	       p->wo.w.train ? "training" : "inference", (unsigned long long)p->wo.w.batch,
	       (unsigned long long)p->wo.w.seq, (unsigned long long)p->wo.w.gen,
	       vf_fmt_bytes(e->total, a), vf_fmt_bytes(e->weights, b), vf_fmt_bytes(e->kv_cache, c),
	       vf_fmt_bytes(e->activations, d),
	       p->wo.w.train ? ", plus gradients and optimizer" : "");
	for (size_t k = 0; k < p->ngpu; k++) {
		const struct vf_device *g = p->pd[k].gpu;
		printf("GPU %-9u %s: %s total, %s free", g->index, g->name,
		       vf_fmt_bytes(g->total, a), vf_fmt_bytes(g->free, b));
		if (g->used_by_processes)
			printf(" (%s held by other processes)",
			       vf_fmt_bytes(g->used_by_processes, c));
		else if (g->used && g->total > g->free)
			printf(" (%s in use)", vf_fmt_bytes(g->total - g->free, c));
		putchar('\n');
		for (size_t q = 0; q < g->nprocs && q < 5; q++)
			printf("                %s held by pid %u (%s)\n",
			       vf_fmt_bytes(g->procs[q].used, a), g->procs[q].pid,
			       g->procs[q].name[0] ? g->procs[q].name : "?");
	}
	if (!p->ngpu)
		printf("GPUs          %s\n", p->probe.why[0] ? p->probe.why : "none");
	printf("verdict       %s: %s\n\n", vf_verdict_name(p->verdict), slowdown(p));
	printf("  %-6s %12s %12s %12s %12s %12s %12s\n", "device", "budget", "weights", "workload",
	       "reserved", "assigned", "free after");
	for (size_t k = 0; k < p->nd; k++) {
		const struct vf_plan_device *v = &p->dev[k];
		printf("  %-6s %12s %12s %12s %12s %12s %12s\n", p->pd[k].label,
		       vf_fmt_bytes(v->budget, a), vf_fmt_bytes(v->weights, b),
		       vf_fmt_bytes(v->workload, c), vf_fmt_bytes(v->reserved, d),
		       vf_fmt_bytes(assigned(v), f),
		       vf_fmt_bytes(v->budget > assigned(v) ? v->budget - assigned(v) : 0, name));
	}
	if (p->ngpu && !p->cpu_only)
		printf("  (budget = free - CUDA context %s - margin %s - one block's activations "
		       "%s)\n",
		       vf_fmt_bytes(p->pd[0].context, a), vf_fmt_bytes(p->pd[0].margin, b),
		       vf_fmt_bytes(p->pd[0].transient, c));
	if (show_map && p->verdict != VF_VERDICT_NONE) {
		printf("\ndevice_map\n");
		/* runs of blocks on one device print as one line */
		while (i < p->n) {
			size_t j = i;
			while (j + 1 < p->n && p->items[j + 1].device == p->items[i].device &&
			       p->run.ly.v[j + 1].kind == VF_LAYER_BLOCK &&
			       p->run.ly.v[i].kind == VF_LAYER_BLOCK)
				j++;
			if (j > i)
				printf("  %-40s %s\n",
				       (snprintf(name, sizeof(name), "%s .. %ld", vf_vis(p->items[i].name),
						 p->run.ly.v[j].block),
					name),
				       device_words(p, p->items[i].device, a, sizeof(a)));
			else
				printf("  %-40s %s\n", vf_vis(p->items[i].name),
				       device_words(p, p->items[i].device, a, sizeof(a)));
			i = j + 1;
		}
		if (p->gguf) {
			struct llama_args la;
			llama_cpp_args(p, &la);
			printf("\nllama.cpp     %s   (llama.cpp places the last -ngl layers on the "
			       "GPU)\n",
			       la.line);
		}
	}
	if (remedies && cJSON_GetArraySize(remedies)) {
		const cJSON *r;
		int k = 1;
		printf("\nremedies (ranked)\n");
		cJSON_ArrayForEach(r, remedies)
		{
			const cJSON *t = cJSON_GetObjectItem(r, "description");
			printf("  %d. %s\n", k++, cJSON_IsString(t) ? t->valuestring : "?");
		}
	}
	for (size_t k = 0; k < p->run.nwarn; k++)
		printf("\nwarning: %s\n", p->run.warn[k]);
}
