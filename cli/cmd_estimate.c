/*
 * cmd_estimate.c - `vramfit estimate PATH`: how much memory a model needs for
 * a stated workload, inference or training, from a checkpoint's headers or
 * from config.json alone.
 *
 * The command only gathers inputs and prints; every number comes from
 * planner/ (memory.h).  The --json keys "parameters" {"total", "active"} and
 * "memory" {"weights", "kv_cache", "activations", "gradients", "optimizer",
 * "overhead", "total"} are a stable contract (README); they are exact bytes,
 * 0 where a term does not apply.  Warnings (a checkpoint that disagrees with
 * its config, an approximate model, a sequence past the model's positions)
 * go to the "warnings" array and, in the table, after it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/estimate_sweep.h"
#include "cli/run.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/size.h"
#include "common/strmap.h"
#include "formats/formats.h"
#include "planner/planner.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

static const char usage_head[] =
    "usage: vramfit estimate [options] PATH\n"
    "\n"
    "How much GPU memory a model needs for a workload, before loading it: weights,\n"
    "KV cache, activations (with logits), gradients, optimizer states and\n"
    "overhead, in GiB (exact bytes with --json).  PATH is a checkpoint (tensor\n"
    "headers are read; a config.json beside it describes the structure) or a\n"
    "config.json alone.\n"
    "\n"
    "output\n"
    "  --json              one JSON object (stable keys: see README)\n"
    "  --layers            per-layer weights, buffers and KV cache, in execution order\n"
    "  --tensors           the tensors the config describes (names and shapes)\n";

static const char usage_tail[] =
    "  -h, --help          show this help\n"
    "\n"
    "exact parameter counts from config.json for: llama, mistral, mixtral, qwen2,\n"
    "qwen2_moe, qwen3, qwen3_moe, gemma, gemma2, gemma3_text, phi3, deepseek_v2,\n"
    "deepseek_v3, gpt2, bert, t5, mt5, falcon, opt; others are estimated as\n"
    "Llama-shaped and marked approximate.\n"
    "\n"
    "exit status: 0 estimated, 1 bad or unreadable input, 2 wrong usage\n";

struct opts {
	struct vf_wopts wo;
	bool json, layers, tensors;
};

enum { O_JSON = 512, O_LAYERS, O_TENSORS };

/* the printing options of this invocation (one per process) */
static struct opts *eo;

/* ---- printing ---- */

static const char *dtype_label(const struct vf_workload *w, enum vf_dtype stored)
{
	switch (w->weights.quant) {
	case VF_WQ_INT8:
		return "int8";
	case VF_WQ_INT4:
		return "int4";
	case VF_WQ_NF4DQ:
		return "nf4";
	case VF_WQ_FP8:
		return "fp8";
	case VF_WQ_GPTQ:
		return "gptq";
	case VF_WQ_AWQ:
		return "awq";
	case VF_WQ_NONE:
		break;
	}
	if (w->weights.dtype != VF_DT_UNKNOWN &&
	    (w->weights.upcast || vf_dtype_bits(w->weights.dtype) <= vf_dtype_bits(stored)))
		return vf_dtype_name(w->weights.dtype);
	return stored == VF_DT_UNKNOWN ? "stored" : vf_dtype_name(stored);
}

static const char *const optim_names[] = {"adamw", "adamw-8bit", "sgd", "adafactor"};
static const char *const prec_names[] = {"mixed", "fp32", "pure16"};
static const char *const impl_names[] = {"foreach", "for", "fused"};
static const char *const attn_names[] = {"sdpa", "eager", "flash"};

static enum vf_dtype stored_dtype(const struct vf_run *r)
{
	uint64_t by[VF_DT_COUNT] = {0};
	int best = 0;

	if (!r->m->ntensors)
		return r->have_s ? r->s.dtype : VF_DT_UNKNOWN;
	for (size_t i = 0; i < r->m->ntensors; i++)
		by[r->m->tensors[i].dtype] += r->m->tensors[i].count_bytes;
	for (int d = 1; d < VF_DT_COUNT; d++)
		if (by[d] > by[best])
			best = d;
	return (enum vf_dtype)best;
}

static const char *model_name(const struct vf_run *r)
{
	if (r->have_s)
		return r->s.model_type;
	return r->m->arch.model_type[0] ? r->m->arch.model_type : "?";
}

static cJSON *num(uint64_t v)
{
	return vf_json_num(v);
}

static int print_json(struct vf_run *r)
{
	const struct vf_estimate *e = &r->est;
	const struct vf_workload *w = &r->o->w;
	cJSON *doc = cJSON_CreateObject(), *o, *warn = cJSON_CreateArray();
	enum vf_dtype kvd = w->kv_dtype != VF_DT_UNKNOWN ? w->kv_dtype : e->compute;

	cJSON_AddStringToObject(doc, "path", r->path);
	cJSON_AddStringToObject(doc, "source", r->m->ntensors ? "checkpoint" : "config");
	cJSON_AddStringToObject(doc, "format", vf_format_name(r->m->format));
	cJSON_AddStringToObject(doc, "model_type", model_name(r));
	cJSON_AddItemToObject(doc, "architecture",
			      r->have_s ? cJSON_CreateString(r->s.class_name)
			      : r->m->arch.architecture[0]
				  ? cJSON_CreateString(r->m->arch.architecture)
				  : cJSON_CreateNull());
	cJSON_AddBoolToObject(doc, "approximate", e->approximate);
	o = cJSON_AddObjectToObject(doc, "parameters");
	cJSON_AddItemToObject(o, "total", num(e->params_total));
	cJSON_AddItemToObject(o, "active", num(e->params_active));
	cJSON_AddItemToObject(o, "trainable", num(e->params_trainable));
	cJSON_AddItemToObject(doc, "memory", vf_memory_json(e));
	o = cJSON_AddObjectToObject(doc, "details");
	cJSON_AddItemToObject(o, "weights_stored", num(e->weights_stored));
	cJSON_AddItemToObject(o, "buffers", num(e->buffers));
	cJSON_AddItemToObject(o, "adapters", num(e->adapters));
	cJSON_AddItemToObject(o, "kv_per_token", num(e->kv_per_token));
	cJSON_AddItemToObject(o, "kv_tokens", num(e->kv_tokens));
	cJSON_AddItemToObject(o, "logits", num(e->logits));
	cJSON_AddItemToObject(o, "layer_activations", num(e->layer_activations));
	cJSON_AddItemToObject(o, "master_weights", num(e->master));
	cJSON_AddItemToObject(o, "optimizer_states", num(e->states));
	cJSON_AddItemToObject(o, "cuda_context", num(e->context));
	cJSON_AddItemToObject(o, "allocator", num(e->allocator));
	if (w->train) {
		cJSON_AddItemToObject(o, "autocast_copies", num(e->autocast));
		cJSON_AddItemToObject(o, "step_temporaries", num(e->step_temps));
		cJSON_AddStringToObject(o, "peak_phase",
					e->step_peak > e->activations ? "optimizer_step"
								      : "forward_backward");
	}
	o = cJSON_AddObjectToObject(doc, "workload");
	cJSON_AddStringToObject(o, "mode", w->train ? "training" : "inference");
	cJSON_AddItemToObject(o, "batch", num(w->batch));
	cJSON_AddItemToObject(o, "seq", num(w->seq));
	cJSON_AddItemToObject(o, "gen", num(w->gen));
	cJSON_AddStringToObject(o, "weights_dtype", dtype_label(w, stored_dtype(r)));
	cJSON_AddStringToObject(o, "compute_dtype", vf_dtype_name(e->compute));
	cJSON_AddStringToObject(o, "kv_dtype", vf_dtype_name(kvd));
	cJSON_AddStringToObject(o, "attention", attn_names[w->attn]);
	cJSON_AddStringToObject(o, "engine", vf_engine_name(w->engine));
	if (w->train) {
		cJSON_AddStringToObject(o, "optimizer", optim_names[w->optim]);
		cJSON_AddStringToObject(o, "precision", prec_names[w->precision]);
		cJSON_AddStringToObject(o, "optimizer_impl", impl_names[w->optim_impl]);
		cJSON_AddBoolToObject(o, "gradient_checkpointing", w->grad_ckpt);
		cJSON_AddItemToObject(o, "lora_rank", num(w->lora_rank));
		cJSON_AddBoolToObject(o, "qlora", w->qlora);
		cJSON_AddItemToObject(o, "zero_stage", num(w->zero_stage));
		cJSON_AddItemToObject(o, "data_parallel", num(w->dp));
	}
	if (eo->layers) {
		cJSON *arr = cJSON_AddArrayToObject(doc, "layers");
		for (size_t i = 0; i < r->ly.n; i++) {
			const struct vf_layer *l = &r->ly.v[i];
			cJSON *lo = cJSON_CreateObject();
			long t = r->ly.tied_to ? r->ly.tied_to[i] : -1;
			cJSON_AddStringToObject(lo, "name", l->name);
			cJSON_AddStringToObject(lo, "kind", vf_layer_kind_name(l->kind));
			cJSON_AddItemToObject(lo, "tensors", num(l->ntensors));
			cJSON_AddItemToObject(lo, "parameters", num(l->params));
			cJSON_AddItemToObject(lo, "bytes", num(l->bytes));
			cJSON_AddItemToObject(lo, "buffer_bytes", num(l->buffer_bytes));
			cJSON_AddItemToObject(lo, "kv_cache", num(r->kv ? r->kv[i] : 0));
			cJSON_AddItemToObject(lo, "tied_to",
					      t >= 0 ? cJSON_CreateString(r->ly.v[t].name)
						     : cJSON_CreateNull());
			cJSON_AddItemToArray(arr, lo);
		}
	}
	if (eo->tensors && r->have_s) {
		static const char *const roles[] = {"embedding", "positions", "norm",	"linear",
						    "bias",	 "expert",    "router", "head",
						    "buffer",	 "npbuffer"};
		cJSON *arr = cJSON_AddArrayToObject(doc, "tensors");
		for (size_t i = 0; i < r->s.ntensors; i++) {
			const struct vf_tensor *t = &r->s.tensors[i];
			cJSON *to = cJSON_CreateObject(), *sh = cJSON_CreateArray();
			int role = r->s.role[i] & 0x7f;
			for (uint32_t d = 0; d < t->ndim; d++)
				cJSON_AddItemToArray(sh, num(t->shape[d]));
			cJSON_AddStringToObject(to, "name", t->name);
			cJSON_AddStringToObject(to, "dtype", vf_dtype_name(t->dtype));
			cJSON_AddItemToObject(to, "shape", sh);
			cJSON_AddStringToObject(to, "role", role < 10 ? roles[role] : "?");
			cJSON_AddItemToObject(to, "parameters", num(t->count_params));
			cJSON_AddItemToObject(to, "bytes", num(t->count_bytes));
			cJSON_AddItemToObject(
			    to, "tied_to",
			    r->s.tied[i] >= 0 ? cJSON_CreateString(r->s.tensors[r->s.tied[i]].name)
					      : cJSON_CreateNull());
			cJSON_AddItemToArray(arr, to);
		}
	}
	for (size_t i = 0; i < r->nwarn; i++)
		cJSON_AddItemToArray(warn, cJSON_CreateString(r->warn[i]));
	cJSON_AddItemToObject(doc, "warnings", warn);
	return vf_print_json(doc);
}

static void row(const char *name, uint64_t v)
{
	char b[32];

	printf("  %-14s %10.2f  %22s\n", name, (double)v / GIB, vf_fmt_count(v, b));
}

static void print_human(struct vf_run *r)
{
	const struct vf_estimate *e = &r->est;
	const struct vf_workload *w = &r->o->w;
	enum vf_dtype kvd = w->kv_dtype != VF_DT_UNKNOWN ? w->kv_dtype : e->compute;
	char a[32], b[32], c[32];

	printf("path          %s\n", r->path);
	printf("model         %s (%s)%s\n", model_name(r),
	       r->have_s		    ? r->s.class_name
	       : r->m->arch.architecture[0] ? r->m->arch.architecture
					    : "?",
	       e->approximate ? "  [approximate]" : "");
	if (r->m->ntensors)
		printf("source        %s checkpoint, %u file%s%s\n", vf_format_name(r->m->format),
		       r->m->nfiles, r->m->nfiles == 1 ? "" : "s",
		       r->have_s ? ", with config.json" : ", no config.json");
	else
		printf("source        config.json (no checkpoint)\n");
	printf("parameters    %s", vf_fmt_count(e->params_total, a));
	if (e->params_active != e->params_total)
		printf(" (active per token %s)", vf_fmt_count(e->params_active, b));
	if (w->train && e->params_trainable != e->params_total)
		printf(" (trainable %s)", vf_fmt_count(e->params_trainable, c));
	putchar('\n');
	if (!w->train)
		printf(
		    "workload      inference: batch %llu, prompt %llu, generate %llu; weights %s, "
		    "KV %s, %s attention, engine %s\n",
		    (unsigned long long)w->batch, (unsigned long long)w->seq,
		    (unsigned long long)w->gen, dtype_label(w, stored_dtype(r)), vf_dtype_name(kvd),
		    attn_names[w->attn], vf_engine_name(w->engine));
	else
		printf("workload      training: batch %llu, seq %llu; %s, %s precision%s%s; "
		       "ZeRO %u over %llu; %s attention, engine %s\n",
		       (unsigned long long)w->batch, (unsigned long long)w->seq,
		       optim_names[w->optim], prec_names[w->precision],
		       w->grad_ckpt ? ", gradient checkpointing" : "",
		       w->qlora	      ? ", QLoRA"
		       : w->lora_rank ? ", LoRA"
				      : "",
		       w->zero_stage, (unsigned long long)w->dp, attn_names[w->attn],
		       vf_engine_name(w->engine));
	printf("\n  %-14s %10s  %22s\n", "memory", "GiB", "bytes");
	row("weights", e->weights);
	row("kv_cache", e->kv_cache);
	row("activations", e->activations);
	row("gradients", e->gradients);
	row("optimizer", e->optimizer);
	row("overhead", e->overhead);
	row("total (peak)", e->total);
	if (!w->train && e->kv_per_token)
		printf(
		    "\nKV cache      %s per token of a sequence (all layers), %s tokens cached\n",
		    vf_fmt_bytes(e->kv_per_token, a), vf_fmt_count(e->kv_tokens, b));
	else if (e->logits)
		putchar('\n');
	if (e->logits)
		printf("logits        %s (inside activations)\n", vf_fmt_bytes(e->logits, a));
	if (eo->layers && r->ly.n) {
		printf("\n  %5s  %-40s %-9s %16s %11s %11s %11s  %s\n", "#", "layer", "kind",
		       "parameters", "weights", "buffers", "kv_cache", "tied to");
		for (size_t i = 0; i < r->ly.n; i++) {
			const struct vf_layer *l = &r->ly.v[i];
			char d[32];
			long t = r->ly.tied_to ? r->ly.tied_to[i] : -1;
			printf("  %5zu  %-40s %-9s %16s %11s %11s %11s  %s\n", i, vf_vis(l->name),
			       vf_layer_kind_name(l->kind), vf_fmt_count(l->params, a),
			       vf_fmt_bytes(l->bytes, b), vf_fmt_bytes(l->buffer_bytes, c),
			       vf_fmt_bytes(r->kv ? r->kv[i] : 0, d),
			       t >= 0 ? r->ly.v[t].name : "");
		}
	}
	if (eo->tensors && r->have_s) {
		printf("\ntensors (from config.json)\n");
		for (size_t i = 0; i < r->s.ntensors; i++) {
			const struct vf_tensor *t = &r->s.tensors[i];
			printf("  %-64s %-5s [", vf_vis(t->name), vf_dtype_name(t->dtype));
			for (uint32_t d = 0; d < t->ndim; d++)
				printf("%s%llu", d ? ", " : "", (unsigned long long)t->shape[d]);
			printf("]%s\n", (r->s.role[i] & 0x7f) == VF_ROLE_NPBUFFER ? " buffer"
					: r->s.tied[i] >= 0			  ? " tied"
										  : "");
		}
	}
	for (size_t i = 0; i < r->nwarn; i++)
		printf("%swarning: %s\n", i ? "" : "\n", r->warn[i]);
}

static int fail(struct vf_run *r, struct vf_err *err)
{
	int rc;

	if (!err->path[0])
		snprintf(err->path, sizeof(err->path), "%s", r->path);
	rc = vf_report(err);
	vf_run_release(r);
	vf_wopts_release(&eo->wo);
	return rc;
}

int cmd_estimate(int argc, char **argv)
{
	static struct option lopts[64];
	static const struct option own[] = {
	    {"json", no_argument, NULL, O_JSON},
	    {"layers", no_argument, NULL, O_LAYERS},
	    {"tensors", no_argument, NULL, O_TENSORS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o;
	struct vf_sweep_opts so;
	struct vf_run r;
	struct vf_err err = {0};
	size_t n = 0;
	int c, rc;

	for (size_t i = 0; own[i].name; i++)
		lopts[n++] = own[i];
	for (size_t i = 0; vf_workload_options[i].name; i++)
		lopts[n++] = vf_workload_options[i];
	for (size_t i = 0; vf_sweep_options[i].name; i++) /* --sweep, --svg, --gpu */
		lopts[n++] = vf_sweep_options[i];
	memset(&lopts[n], 0, sizeof(lopts[n]));
	memset(&so, 0, sizeof(so));
	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	vf_wopts_init(&o.wo);
	eo = &o;
	r.o = &o.wo;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", lopts, NULL)) != -1) {
		switch (c) {
		case O_JSON:
			o.json = true;
			break;
		case O_LAYERS:
			o.layers = true;
			break;
		case O_TENSORS:
			o.tensors = true;
			break;
		case 'h':
			fputs(usage_head, stdout);
			fputs(vf_workload_help, stdout);
			fputs(usage_tail, stdout);
			return VF_EXIT_OK;
		case '?':
			/* getopt sets optopt for a known option that lacks its value */
			return vf_usage_error("estimate ",
					      optopt ? "option '%s' needs a value"
						     : "unknown option '%s'",
					      argv[optind - 1]);
		default:
			if ((rc = vf_sweep_parse(&so, c, optarg)) >= 0) {
				if (rc)
					return rc;
				break;
			}
			if ((rc = vf_wopts_parse(&o.wo, c, optarg, "estimate "))) {
				vf_wopts_release(&o.wo);
				return rc;
			}
		}
	}
	if (argc - optind != 1) {
		vf_wopts_release(&o.wo);
		return vf_usage_error("estimate ", "estimate takes exactly one PATH");
	}
	if (vf_run_load(&r, argv[optind], NULL, &err))
		return fail(&r, &err);
	if (o.tensors && !r.have_s) {
		err.status = VF_EUSAGE;
		snprintf(err.msg, sizeof(err.msg),
			 "--tensors lists what config.json describes, and there is none");
		return fail(&r, &err);
	}
	if (so.sweep) { /* cli/estimate_sweep.c */
		rc = vf_sweep_run(&r, &so, o.json);
		vf_run_release(&r);
		vf_wopts_release(&o.wo);
		return rc;
	}
	if (vf_run_estimate(&r, &err))
		return fail(&r, &err);
	if (o.layers && vf_run_layers(&r, &err))
		return fail(&r, &err);
	if (o.json) {
		rc = print_json(&r);
	} else {
		print_human(&r);
		rc = VF_EXIT_OK;
	}
	vf_run_release(&r);
	vf_wopts_release(&o.wo);
	return rc;
}
