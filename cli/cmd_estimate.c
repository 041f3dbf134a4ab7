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
#include "common/file.h"
#include "common/mem.h"
#include "common/size.h"
#include "common/strmap.h"
#include "formats/formats.h"
#include "planner/planner.h"

#define MAX_WARN 16
#define CONFIG_MAX (16u << 20)
#define GIB (1024.0 * 1024.0 * 1024.0)

static const char usage_text[] =
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
    "  --tensors           the tensors the config describes (names and shapes)\n"
    "weights\n"
    "  --dtype T           fp32 fp16 bf16 (floats never upcast), fp8 int8 int4\n"
    "                      (quantize block matrices; the rest stays 16-bit)\n"
    "  --upcast            let --dtype widen floats\n"
    "inference\n"
    "  --batch N           sequences (1)\n"
    "  --seq N             prompt tokens per sequence (min(4096, max positions))\n"
    "  --gen N             tokens generated after the prompt (0)\n"
    "  --kv-dtype T        auto fp32 fp16 bf16 fp8 int8 q8 q4 (auto: compute dtype)\n"
    "  --attn A            sdpa (default), eager, flash\n"
    "  --engine E          hf (current transformers), hf436 (transformers 4.36:\n"
    "                      fp32 logits of every position), vllm (paged, MLA latent)\n"
    "  --overhead SIZE     CUDA context and workspaces (512MiB), e.g. 1.5GiB\n"
    "training\n"
    "  --train             a training step instead of inference\n"
    "  --optim O           adamw (default), adamw-8bit, sgd, adafactor\n"
    "  --precision P       mixed (16-bit, fp32 master; default), fp32, bf16, fp16\n"
    "  --grad-ckpt         gradient checkpointing\n"
    "  --lora R            LoRA of rank R (PEFT's default targets)\n"
    "  --lora-targets L    comma-separated module names, or all-linear\n"
    "  --qlora             LoRA over a 4-bit NF4 base\n"
    "  --zero N            DeepSpeed ZeRO stage 0-3\n"
    "  --dp N              data-parallel ranks (1)\n"
    "  -h, --help          show this help\n"
    "\n"
    "exact parameter counts from config.json for: llama, mistral, mixtral, qwen2,\n"
    "qwen2_moe, qwen3, qwen3_moe, gemma, gemma2, gemma3_text, phi3, deepseek_v2,\n"
    "deepseek_v3, gpt2, bert, t5, mt5, falcon, opt; others are estimated as\n"
    "Llama-shaped and marked approximate.\n"
    "\n"
    "exit status: 0 estimated, 1 bad or unreadable input, 2 wrong usage\n";

struct opts {
	struct vf_workload w;
	bool json, layers, tensors, seq_set;
	char *targets; /* strdup of --lora-targets, split in place */
};

enum {
	O_JSON = 256,
	O_LAYERS,
	O_TENSORS,
	O_DTYPE,
	O_UPCAST,
	O_BATCH,
	O_SEQ,
	O_GEN,
	O_KV,
	O_ATTN,
	O_ENGINE,
	O_OVERHEAD,
	O_TRAIN,
	O_OPTIM,
	O_PREC,
	O_CKPT,
	O_LORA,
	O_TARGETS,
	O_QLORA,
	O_ZERO,
	O_DP,
};

static bool parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool pick(const char *s, const char *const *names, int *out)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return true;
		}
	return false;
}

static int usage(const char *fmt, const char *arg)
{
	return vf_usage_error("estimate ", fmt, arg);
}

static int parse_value(struct opts *o, int c, const char *arg)
{
	static const char *const dtypes[] = {"fp32", "fp16", "bf16", "fp8", "int8", "int4", NULL};
	static const char *const kvs[] = {"auto", "fp32", "fp16", "bf16", "fp8",
					  "int8", "q8",	  "q4",	  NULL};
	static const enum vf_dtype kvdt[] = {VF_DT_UNKNOWN, VF_DT_F32, VF_DT_F16,  VF_DT_BF16,
					     VF_DT_F8_E4M3, VF_DT_I8,  VF_DT_Q8_0, VF_DT_Q4_0};
	static const char *const attns[] = {"sdpa", "eager", "flash", NULL};
	static const char *const engines[] = {"hf", "hf436", "vllm", NULL};
	static const char *const optims[] = {"adamw", "adamw-8bit", "sgd", "adafactor", NULL};
	static const char *const precs[] = {"mixed", "fp32", "bf16", "fp16", NULL};
	struct vf_workload *w = &o->w;
	struct vf_err err = {0};
	uint64_t v;
	int i;

	switch (c) {
	case O_DTYPE:
		if (!pick(arg, dtypes, &i))
			return usage("--dtype takes fp32, fp16, bf16, fp8, int8 or int4, not '%s'",
				     arg);
		w->weights.dtype = i == 0   ? VF_DT_F32
				   : i == 1 ? VF_DT_F16
				   : i == 2 ? VF_DT_BF16
					    : VF_DT_UNKNOWN;
		w->weights.quant = i == 3   ? VF_WQ_FP8
				   : i == 4 ? VF_WQ_INT8
				   : i == 5 ? VF_WQ_INT4
					    : VF_WQ_NONE;
		return 0;
	case O_BATCH:
	case O_SEQ:
	case O_GEN:
	case O_DP:
	case O_LORA:
		if (!parse_count(arg, c == O_GEN ? 0 : 1, UINT64_C(1) << 32, &v))
			return usage("expected a whole number from 1 to 2^32, not '%s'", arg);
		if (c == O_BATCH)
			w->batch = v;
		else if (c == O_SEQ)
			w->seq = v, o->seq_set = true;
		else if (c == O_GEN)
			w->gen = v;
		else if (c == O_DP)
			w->dp = v;
		else
			w->lora_rank = (uint32_t)v;
		return 0;
	case O_ZERO:
		if (!parse_count(arg, 0, 3, &v))
			return usage("--zero takes a stage from 0 to 3, not '%s'", arg);
		w->zero_stage = (uint32_t)v;
		return 0;
	case O_KV:
		if (!pick(arg, kvs, &i))
			return usage(
			    "--kv-dtype takes auto, fp32, fp16, bf16, fp8, int8, q8 or q4, not "
			    "'%s'",
			    arg);
		w->kv_dtype = kvdt[i];
		return 0;
	case O_ATTN:
		if (!pick(arg, attns, &i))
			return usage("--attn takes sdpa, eager or flash, not '%s'", arg);
		w->attn = (enum vf_attn_impl)i;
		return 0;
	case O_ENGINE:
		if (!pick(arg, engines, &i))
			return usage("--engine takes hf, hf436 or vllm, not '%s'", arg);
		w->engine = (enum vf_engine)i;
		return 0;
	case O_OPTIM:
		if (!pick(arg, optims, &i))
			return usage("--optim takes adamw, adamw-8bit, sgd or adafactor, not '%s'",
				     arg);
		w->optim = (enum vf_optim)i;
		return 0;
	case O_PREC:
		if (!pick(arg, precs, &i))
			return usage("--precision takes mixed, fp32, bf16 or fp16, not '%s'", arg);
		w->precision = i == 0 ? VF_PREC_MIXED : i == 1 ? VF_PREC_FP32 : VF_PREC_PURE16;
		return 0;
	case O_OVERHEAD:
		if (vf_size_parse(arg, &w->context, &err))
			return vf_usage_error("estimate ", "--overhead: %s", err.msg);
		return 0;
	case O_TARGETS: {
		char *save = NULL, *tok;
		vf_free(o->targets);
		if (!(o->targets = vf_strdup(arg)))
			return usage("out of memory%s", "");
		w->nlora_targets = 0;
		w->lora_all_linear = false;
		for (tok = strtok_r(o->targets, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, "all-linear") == 0) {
				w->lora_all_linear = true;
				continue;
			}
			if (w->nlora_targets == VF_LORA_MAX_TARGETS)
				return usage("--lora-targets names at most 16 modules%s", "");
			w->lora_targets[w->nlora_targets++] = tok;
		}
		if (!w->nlora_targets && !w->lora_all_linear)
			return usage("--lora-targets needs module names, not '%s'", arg);
		return 0;
	}
	}
	return usage("unknown option '%s'", arg);
}

/* ---- gathering ---- */

static bool is_dir(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool is_file(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* The config.json the model was described by, as open.c finds it: PATH itself
 * when it is the config, else config.json in PATH or beside it.  NULL if none. */
static char *config_path(const struct vf_model *m, const char *path)
{
	char *dir, *p;
	const char *slash;

	if (!m->arch.present)
		return NULL;
	if (is_dir(path))
		return vf_path_join(path, "config.json");
	if (m->format == VF_FMT_NONE)
		return vf_strdup(path);
	slash = strrchr(path, '/');
	dir = slash ? vf_strndup(path, (size_t)(slash - path)) : vf_strdup(".");
	if (!dir)
		return NULL;
	p = vf_path_join(*dir ? dir : "/", "config.json");
	vf_free(dir);
	if (p && !is_file(p)) {
		vf_free(p);
		p = NULL; /* the architecture came from the checkpoint itself (GGUF) */
	}
	return p;
}

struct run {
	struct opts *o;
	const char *path;
	struct vf_model *m;
	struct vf_archx x;
	bool have_x;
	struct vf_synth s;
	bool have_s;
	struct vf_estimate est;
	struct vf_layers ly;
	uint64_t *kv; /* per layer */
	char *warn[MAX_WARN];
	size_t nwarn;
};

static void warnf(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warnf(struct run *r, const char *fmt, ...)
{
	char buf[600];
	va_list ap;

	if (r->nwarn >= MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((r->warn[r->nwarn] = vf_strdup(buf)) != NULL)
		r->nwarn++;
}

static enum vf_status read_archx(struct run *r, struct vf_err *err)
{
	char *cp = config_path(r->m, r->path), *text = NULL;
	size_t len;
	enum vf_status st;

	if (!cp)
		return VF_OK;
	st = vf_file_slurp(cp, CONFIG_MAX, &text, &len, err);
	if (!st)
		st = vf_archx_parse(text, len, cp, &r->x, err);
	r->have_x = !st;
	vf_free(text);
	vf_free(cp);
	return st;
}

/* The layers of the checkpoint (or of the config), with bytes as the weights
 * will sit in memory, logical parameters, and the config's buffers and ties. */
static enum vf_status build_layers(struct run *r, struct vf_err *err)
{
	const struct vf_wconv *c = &r->o->w.weights;
	enum vf_status st;

	if (!r->m->ntensors) {
		if (!r->have_s)
			return VF_OK;
		if ((st = vf_layers_from_synth(&r->s, c, &r->ly, err)))
			return st;
	} else {
		struct vf_layers sl = {0};
		struct vf_strmap map = {0};
		struct vf_err ignore = {0};
		if ((st = vf_layers_group(r->m, r->m->ordered, &r->ly, err)))
			return st;
		for (size_t i = 0; i < r->ly.n; i++)
			r->ly.v[i].params = r->ly.v[i].bytes = 0;
		for (size_t i = 0; i < r->m->ntensors; i++) {
			const struct vf_tensor *t = &r->m->tensors[i];
			struct vf_layer *l = &r->ly.v[r->ly.of_tensor[i]];
			l->params += vf_tensor_params(t, &r->m->arch);
			if (t->count_bytes)
				l->bytes += vf_tensor_bytes_as(t, -1, c);
		}
		/* buffers and ties from the config, matched by layer name */
		if (r->have_s && !r->s.approximate &&
		    !vf_layers_from_synth(&r->s, c, &sl, &ignore)) {
			for (size_t i = 0; i < r->ly.n; i++)
				if (vf_strmap_put(&map, r->ly.v[i].name, (uint32_t)i, NULL) < 0)
					break;
			for (size_t i = 0; i < sl.n; i++) {
				uint32_t li, lo;
				if (!vf_strmap_get(&map, sl.v[i].name, &li))
					continue;
				r->ly.v[li].buffer_bytes = sl.v[i].buffer_bytes;
				if (sl.tied_to && sl.tied_to[i] >= 0 &&
				    vf_strmap_get(&map, sl.v[sl.tied_to[i]].name, &lo)) {
					if (!r->ly.tied_to &&
					    (r->ly.tied_to = vf_malloc(r->ly.n * sizeof(long))))
						for (size_t k = 0; k < r->ly.n; k++)
							r->ly.tied_to[k] = -1;
					if (r->ly.tied_to)
						r->ly.tied_to[li] = (long)lo;
				}
			}
			vf_strmap_free(&map);
			vf_layers_release(&sl);
		}
	}
	if (!r->ly.n)
		return VF_OK;
	if (!(r->kv = vf_calloc(r->ly.n, sizeof(*r->kv))))
		return vf_fail(err, VF_ENOMEM, r->path, "out of memory");
	if (r->have_s && !r->o->w.train)
		return vf_kv_per_layer(&r->s, &r->o->w, &r->ly, r->kv, err);
	return VF_OK;
}

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
static const char *const attn_names[] = {"sdpa", "eager", "flash"};

static enum vf_dtype stored_dtype(const struct run *r)
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

static const char *model_name(const struct run *r)
{
	if (r->have_s)
		return r->s.model_type;
	return r->m->arch.model_type[0] ? r->m->arch.model_type : "?";
}

static cJSON *num(uint64_t v)
{
	return vf_json_num(v);
}

static int print_json(struct run *r)
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
	o = cJSON_AddObjectToObject(doc, "memory");
	cJSON_AddItemToObject(o, "weights", num(e->weights));
	cJSON_AddItemToObject(o, "kv_cache", num(e->kv_cache));
	cJSON_AddItemToObject(o, "activations", num(e->activations));
	cJSON_AddItemToObject(o, "gradients", num(e->gradients));
	cJSON_AddItemToObject(o, "optimizer", num(e->optimizer));
	cJSON_AddItemToObject(o, "overhead", num(e->overhead));
	cJSON_AddItemToObject(o, "total", num(e->total));
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
		cJSON_AddBoolToObject(o, "gradient_checkpointing", w->grad_ckpt);
		cJSON_AddItemToObject(o, "lora_rank", num(w->lora_rank));
		cJSON_AddBoolToObject(o, "qlora", w->qlora);
		cJSON_AddItemToObject(o, "zero_stage", num(w->zero_stage));
		cJSON_AddItemToObject(o, "data_parallel", num(w->dp));
	}
	if (r->o->layers) {
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
	if (r->o->tensors && r->have_s) {
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

static void print_human(struct run *r)
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
	if (r->o->layers && r->ly.n) {
		printf("\n  %5s  %-40s %-9s %16s %11s %11s %11s  %s\n", "#", "layer", "kind",
		       "parameters", "weights", "buffers", "kv_cache", "tied to");
		for (size_t i = 0; i < r->ly.n; i++) {
			const struct vf_layer *l = &r->ly.v[i];
			char d[32];
			long t = r->ly.tied_to ? r->ly.tied_to[i] : -1;
			printf("  %5zu  %-40s %-9s %16s %11s %11s %11s  %s\n", i, l->name,
			       vf_layer_kind_name(l->kind), vf_fmt_count(l->params, a),
			       vf_fmt_bytes(l->bytes, b), vf_fmt_bytes(l->buffer_bytes, c),
			       vf_fmt_bytes(r->kv ? r->kv[i] : 0, d),
			       t >= 0 ? r->ly.v[t].name : "");
		}
	}
	if (r->o->tensors && r->have_s) {
		printf("\ntensors (from config.json)\n");
		for (size_t i = 0; i < r->s.ntensors; i++) {
			const struct vf_tensor *t = &r->s.tensors[i];
			printf("  %-64s %-5s [", t->name, vf_dtype_name(t->dtype));
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

static void run_release(struct run *r)
{
	for (size_t i = 0; i < r->nwarn; i++)
		vf_free(r->warn[i]);
	vf_free(r->kv);
	vf_layers_release(&r->ly);
	if (r->have_s)
		vf_synth_release(&r->s);
	vf_model_free(r->m);
	vf_free(r->o->targets);
}

static int fail(struct run *r, struct vf_err *err)
{
	int rc;

	if (!err->path[0])
		snprintf(err->path, sizeof(err->path), "%s", r->path);
	rc = vf_report(err);
	run_release(r);
	return rc;
}

int cmd_estimate(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"json", no_argument, NULL, O_JSON},
	    {"layers", no_argument, NULL, O_LAYERS},
	    {"tensors", no_argument, NULL, O_TENSORS},
	    {"dtype", required_argument, NULL, O_DTYPE},
	    {"upcast", no_argument, NULL, O_UPCAST},
	    {"batch", required_argument, NULL, O_BATCH},
	    {"seq", required_argument, NULL, O_SEQ},
	    {"gen", required_argument, NULL, O_GEN},
	    {"kv-dtype", required_argument, NULL, O_KV},
	    {"attn", required_argument, NULL, O_ATTN},
	    {"engine", required_argument, NULL, O_ENGINE},
	    {"overhead", required_argument, NULL, O_OVERHEAD},
	    {"train", no_argument, NULL, O_TRAIN},
	    {"optim", required_argument, NULL, O_OPTIM},
	    {"precision", required_argument, NULL, O_PREC},
	    {"grad-ckpt", no_argument, NULL, O_CKPT},
	    {"lora", required_argument, NULL, O_LORA},
	    {"lora-targets", required_argument, NULL, O_TARGETS},
	    {"qlora", no_argument, NULL, O_QLORA},
	    {"zero", required_argument, NULL, O_ZERO},
	    {"dp", required_argument, NULL, O_DP},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o;
	struct run r;
	struct vf_err err = {0};
	int c, rc;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	vf_workload_init(&o.w);
	r.o = &o;
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
		case O_UPCAST:
			o.w.weights.upcast = true;
			break;
		case O_TRAIN:
			o.w.train = true;
			break;
		case O_CKPT:
			o.w.grad_ckpt = true;
			break;
		case O_QLORA:
			o.w.qlora = true;
			break;
		case 'h':
			vf_free(o.targets);
			fputs(usage_text, stdout);
			return VF_EXIT_OK;
		case '?':
			vf_free(o.targets);
			/* getopt sets optopt for a known option that lacks its value */
			return usage(optopt ? "option '%s' needs a value" : "unknown option '%s'",
				     argv[optind - 1]);
		default:
			if ((rc = parse_value(&o, c, optarg))) {
				vf_free(o.targets);
				return rc;
			}
		}
	}
	if (argc - optind != 1) {
		vf_free(o.targets);
		return usage("estimate takes exactly one PATH%s", "");
	}
	r.path = argv[optind];
	if (o.w.qlora && !o.w.lora_rank)
		o.w.lora_rank = 16; /* the rank QLoRA's paper and PEFT examples use */
	if (vf_model_open(r.path, &r.m, &err))
		return fail(&r, &err);
	if (r.m->arch.present) {
		if (read_archx(&r, &err))
			return fail(&r, &err);
		if (!vf_synth_build(&r.m->arch, r.have_x ? &r.x : NULL, o.w.engine, &r.s, &err)) {
			r.have_s = true;
		} else if (r.m->ntensors && err.status == VF_EFORMAT) {
			/* The tensors still give the weights exactly. */
			warnf(&r, "%s: KV cache and activations are not estimated", err.msg);
			vf_err_clear(&err);
		} else {
			return fail(&r, &err);
		}
	}
	/* a quantized model planned from its config alone: the quantization_config
	 * says how its matrices are stored (a checkpoint's tensors say it exactly) */
	if (r.have_s && !r.m->ntensors && o.w.weights.quant == VF_WQ_NONE &&
	    o.w.weights.dtype == VF_DT_UNKNOWN &&
	    vf_wconv_from_config(&r.m->arch, r.have_x ? &r.x : NULL, &o.w.weights))
		warnf(&r, "weights as quantization_config describes them (%s)",
		      r.m->arch.quant_method);
	if (!o.seq_set) {
		int64_t mp = r.have_s ? r.s.max_positions : VF_UNSET;
		o.w.seq = mp > 0 && mp < 4096 ? (uint64_t)mp : 4096;
	}
	if (o.tensors && !r.have_s) {
		err.status = VF_EUSAGE;
		snprintf(err.msg, sizeof(err.msg),
			 "--tensors lists what config.json describes, and "
			 "there is none");
		return fail(&r, &err);
	}
	/* facts worth telling */
	if (r.have_s && r.s.note[0])
		warnf(&r, "%s", r.s.note);
	if (r.have_s && r.s.class_assumed && r.have_x)
		warnf(&r, "config.json names no architecture: %s assumed", r.s.class_name);
	if (!r.m->arch.present)
		warnf(&r, "no config.json: weights only; KV cache and activations need the "
			  "architecture");
	if (r.have_s && r.s.max_positions > 0 && o.w.seq + o.w.gen > (uint64_t)r.s.max_positions)
		warnf(&r, "%llu tokens per sequence is more than max_position_embeddings (%lld)",
		      (unsigned long long)(o.w.seq + o.w.gen), (long long)r.s.max_positions);
	if (r.have_s && !r.s.approximate && r.m->ntensors) {
		char *msgs[4];
		size_t n = vf_synth_compare(&r.s, r.m, msgs, 4);
		for (size_t i = 0; i < n; i++) {
			warnf(&r, "%s", msgs[i]);
			vf_free(msgs[i]);
		}
	}
	for (size_t i = 0; i < r.m->nwarnings; i++)
		warnf(&r, "%s", r.m->warnings[i]);
	if (vf_estimate(r.m, r.have_s ? &r.s : NULL, &o.w, &r.est, &err))
		return fail(&r, &err);
	if (o.layers && build_layers(&r, &err))
		return fail(&r, &err);
	if (o.json) {
		rc = print_json(&r);
	} else {
		print_human(&r);
		rc = VF_EXIT_OK;
	}
	run_release(&r);
	return rc;
}
