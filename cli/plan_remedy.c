/*
 * plan_remedy.c - what would make a model fit, computed rather than guessed:
 * each remedy changes one input (free memory held by other processes, the
 * weights' dtype, the sequence or batch, a training setting), solves the plan
 * again, and is listed only when it improves the verdict.  Ranked from the
 * least intrusive (stop a process) to the most (lossy quantization, offload).
 * The plan is restored afterwards.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/plan.h"

static cJSON *remedy(cJSON *list, const char *kind, const char *flags, enum vf_verdict v,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static cJSON *remedy(cJSON *list, const char *kind, const char *flags, enum vf_verdict v,
		     const char *fmt, ...)
{
	cJSON *r = cJSON_CreateObject();
	char buf[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(r, "kind", kind);
	cJSON_AddStringToObject(r, "description", buf);
	cJSON_AddStringToObject(r, "verdict", vf_verdict_name(v));
	if (flags)
		cJSON_AddStringToObject(r, "options", flags);
	cJSON_AddItemToArray(list, r);
	return r;
}

/* Solves with the plan as it now stands; VF_VERDICT_NONE on any error. */
static enum vf_verdict try_plan(struct plan *p)
{
	struct vf_err err = {0};

	if (plan_solve(p, &err))
		return VF_VERDICT_NONE;
	return p->verdict;
}

static const char *verdict_words(enum vf_verdict v)
{
	return v == VF_VERDICT_GPU ? "it fits on the GPU" : "it runs with offload";
}

static void free_processes(struct plan *p, enum vf_verdict now, cJSON *list)
{
	uint64_t saved[64], freed = 0;
	char a[32], who[400] = "";
	size_t o = 0;
	enum vf_verdict v;
	bool measured = false;

	for (size_t k = 0; k < p->ngpu && k < 64; k++) {
		const struct vf_device *g = p->pd[k].gpu;
		uint64_t held = g->procs_known ? g->used_by_processes : g->total - g->free;
		saved[k] = p->pd[k].avail;
		if (p->pd[k].capped || g->total < g->free || !held)
			continue;
		p->pd[k].avail += held;
		freed += held;
		measured = measured || g->procs_known;
		for (size_t q = 0; q < g->nprocs && o < sizeof(who) - 80; q++)
			o += (size_t)snprintf(who + o, sizeof(who) - o, "%spid %u (%s, %s)",
					      o ? ", " : "", g->procs[q].pid,
					      g->procs[q].name[0] ? g->procs[q].name : "?",
					      vf_fmt_bytes(g->procs[q].used, a));
	}
	if (freed) {
		v = try_plan(p);
		if (v < now) {
			cJSON *r;
			if (measured && who[0])
				r = remedy(list, "stop_processes", NULL, v,
					   "stop %s: that frees %s and %s", who,
					   vf_fmt_bytes(freed, a), verdict_words(v));
			else
				r = remedy(list, "free_gpu_memory", NULL, v,
					   "free the %s other processes hold on the GPU "
					   "(nvidia-smi lists them): then %s",
					   vf_fmt_bytes(freed, a), verdict_words(v));
			cJSON_AddItemToObject(r, "frees", vf_json_num(freed));
		}
	}
	for (size_t k = 0; k < p->ngpu && k < 64; k++)
		p->pd[k].avail = saved[k];
}

static bool has_wide_floats(const struct plan *p)
{
	const struct vf_model *m = p->run.m;

	if (!m->ntensors)
		return p->run.have_s && p->run.s.dtype == VF_DT_F32;
	for (size_t i = 0; i < m->ntensors; i++)
		if (m->tensors[i].dtype == VF_DT_F32 || m->tensors[i].dtype == VF_DT_F64)
			return true;
	return false;
}

static void smaller_weights(struct plan *p, enum vf_verdict now, cJSON *list)
{
	static const struct {
		enum vf_dtype dt;
		enum vf_wquant q;
		const char *flag, *words;
	} steps[] = {
	    {VF_DT_BF16, VF_WQ_NONE, "--dtype bf16",
	     "load in bfloat16 (torch_dtype=torch.bfloat16)"},
	    {VF_DT_UNKNOWN, VF_WQ_INT8, "--dtype int8",
	     "quantize to 8 bits (bitsandbytes load_in_8bit)"},
	    {VF_DT_UNKNOWN, VF_WQ_INT4, "--dtype int4",
	     "quantize to 4 bits (bitsandbytes load_in_4bit)"},
	};
	struct vf_wconv saved = p->wo.w.weights;
	char a[32], b[32];
	uint64_t before = p->run.est.weights;

	if (saved.quant != VF_WQ_NONE || p->gguf)
		return;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		enum vf_verdict v;
		if (i == 0 && !has_wide_floats(p))
			continue;
		p->wo.w.weights.dtype = steps[i].dt;
		p->wo.w.weights.quant = steps[i].q;
		v = try_plan(p);
		if (v < now) {
			remedy(list, "smaller_weights", steps[i].flag, v,
			       "%s: weights %s -> %s, then %s", steps[i].words,
			       vf_fmt_bytes(before, a), vf_fmt_bytes(p->run.est.weights, b),
			       verdict_words(v));
			if (v == VF_VERDICT_GPU)
				break; /* anything lossier is not needed */
		}
	}
	p->wo.w.weights = saved;
}

/* The largest value in [1, cur) of *field that reaches `want`, or 0. */
static uint64_t largest_that_fits(struct plan *p, uint64_t *field, enum vf_verdict want)
{
	uint64_t cur = *field, lo = 1, hi = cur - 1, best = 0;

	while (lo <= hi && hi >= 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		*field = mid;
		if (try_plan(p) <= want) {
			best = mid;
			lo = mid + 1;
		} else {
			if (mid == 1)
				break;
			hi = mid - 1;
		}
	}
	*field = cur;
	return best;
}

/* The largest sequence, else batch, that reaches `want`; true if listed. */
static bool shrink_to(struct plan *p, enum vf_verdict want, cJSON *list)
{
	uint64_t n;
	char flag[64];

	if (p->wo.w.seq > 1 && (n = largest_that_fits(p, &p->wo.w.seq, want))) {
		snprintf(flag, sizeof(flag), "--seq %llu", (unsigned long long)n);
		remedy(list, "shorter_sequence", flag, want,
		       "a shorter sequence: %llu tokens instead of %llu, then %s",
		       (unsigned long long)n, (unsigned long long)p->wo.w.seq, verdict_words(want));
		return true;
	}
	if (p->wo.w.batch > 1 && (n = largest_that_fits(p, &p->wo.w.batch, want))) {
		snprintf(flag, sizeof(flag), "--batch %llu", (unsigned long long)n);
		remedy(list, "smaller_batch", flag, want,
		       "a smaller batch: %llu sequences instead of %llu, then %s",
		       (unsigned long long)n, (unsigned long long)p->wo.w.batch,
		       verdict_words(want));
		return true;
	}
	return false;
}

/* A GPU fit first; when nothing runs at all, at least one that offloads. */
static void smaller_workload(struct plan *p, enum vf_verdict now, cJSON *list)
{
	if (!shrink_to(p, VF_VERDICT_GPU, list) && now == VF_VERDICT_NONE)
		shrink_to(p, VF_VERDICT_OFFLOAD, list);
}

static void training(struct plan *p, enum vf_verdict now, cJSON *list)
{
	struct vf_workload saved = p->wo.w;
	enum vf_verdict v;

	if (!p->wo.w.train)
		return;
	if (!p->wo.w.grad_ckpt) {
		p->wo.w.grad_ckpt = true;
		if ((v = try_plan(p)) < now)
			remedy(list, "gradient_checkpointing", "--grad-ckpt", v,
			       "gradient checkpointing (model.gradient_checkpointing_enable()): "
			       "activations %s, then %s",
			       "recomputed instead of kept", verdict_words(v));
		p->wo.w = saved;
	}
	if (p->wo.w.optim == VF_OPTIM_ADAMW) {
		p->wo.w.optim = VF_OPTIM_ADAMW8;
		if ((v = try_plan(p)) < now)
			remedy(list, "optimizer", "--optim adamw-8bit", v,
			       "8-bit AdamW (bitsandbytes): optimizer states 4x smaller, then %s",
			       verdict_words(v));
		p->wo.w = saved;
	}
	if (!p->wo.w.lora_rank) {
		p->wo.w.lora_rank = 16;
		p->wo.w.qlora = false;
		if ((v = try_plan(p)) < now)
			remedy(list, "lora", "--lora 16", v,
			       "LoRA (rank 16) instead of full fine-tuning, then %s",
			       verdict_words(v));
		else {
			p->wo.w.qlora = true;
			if ((v = try_plan(p)) < now)
				remedy(list, "qlora", "--qlora", v,
				       "QLoRA: LoRA over a 4-bit base, then %s", verdict_words(v));
		}
		p->wo.w = saved;
	}
}

cJSON *plan_remedies(struct plan *p)
{
	cJSON *list = cJSON_CreateArray();
	enum vf_verdict now = p->verdict;
	struct vf_err err = {0};
	char a[32], b[32];

	if (now == VF_VERDICT_GPU)
		return list;
	free_processes(p, now, list);
	smaller_weights(p, now, list);
	smaller_workload(p, now, list);
	training(p, now, list);
	/* back to the plan as asked */
	plan_solve(p, &err);
	if (p->verdict == VF_VERDICT_OFFLOAD) {
		size_t cpu = 0, disk = 0;
		uint64_t cpu_b = 0, disk_b = 0;
		for (size_t i = 0; i < p->n; i++) {
			int d = p->items[i].device;
			if (d < 0)
				continue;
			if (p->dev[d].kind == VF_PLACE_CPU)
				cpu++, cpu_b += p->items[i].weights;
			else if (p->dev[d].kind == VF_PLACE_DISK)
				disk++, disk_b += p->items[i].weights;
		}
		if (p->gguf) { /* llama.cpp, not transformers */
			size_t ngl = 0, blocks = 0;
			for (size_t i = 0; i < p->n; i++) {
				int d = p->items[i].device;
				if (p->run.ly.v[i].kind != VF_LAYER_BLOCK)
					continue;
				blocks++;
				ngl += d >= 0 && p->dev[d].kind == VF_PLACE_GPU;
			}
			remedy(list, "offload", "-o llama_args.txt", VF_VERDICT_OFFLOAD,
			       "offload as planned: llama.cpp with -ngl %zu (%zu of %zu blocks on "
			       "the GPU, %s in RAM; vramfit plan -o FILE writes the arguments), "
			       "or a smaller context (-c) to fit more layers; slower",
			       ngl, ngl, blocks, vf_fmt_bytes(cpu_b + disk_b, a));
			return list;
		}
		remedy(list, "offload", "-o device_map.json", VF_VERDICT_OFFLOAD,
		       "offload as planned (vramfit plan -o device_map.json, then "
		       "from_pretrained(device_map=json.load(f))): %zu layers (%s) on cpu, %zu "
		       "(%s) on disk; slower",
		       cpu, vf_fmt_bytes(cpu_b, a), disk, vf_fmt_bytes(disk_b, b));
	} else if (p->verdict == VF_VERDICT_NONE) {
		uint64_t need = p->run.est.total;
		if (p->ngpu)
			need += p->pd[0].margin;
		remedy(list, "more_memory", NULL, VF_VERDICT_GPU,
		       "more memory: about %s of GPU memory in all for this workload "
		       "(vramfit gpus --list shows GPUs and their sizes)",
		       vf_fmt_bytes(need, a));
	}
	return list;
}
