/*
 * run.c - the workload options and the gathering that estimate, plan and
 * check share; see run.h.
 */
#include "cli/run.h"
#include "cli/estimate_sweep.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/par.h"
#include "common/size.h"
#include "common/strmap.h"
#include "formats/hub.h"

const struct option vf_workload_options[] = {
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
    {"optim-impl", required_argument, NULL, O_OPTIM_IMPL},
    {"precision", required_argument, NULL, O_PREC},
    {"grad-ckpt", no_argument, NULL, O_CKPT},
    {"lora", required_argument, NULL, O_LORA},
    {"lora-targets", required_argument, NULL, O_TARGETS},
    {"qlora", no_argument, NULL, O_QLORA},
    {"zero", required_argument, NULL, O_ZERO},
    {"dp", required_argument, NULL, O_DP},
    {"revision", required_argument, NULL, O_REVISION},
    {"variant", required_argument, NULL, O_VARIANT},
    {"refresh", no_argument, NULL, O_REFRESH},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {NULL, 0, NULL, 0},
};

const char vf_workload_help[] =
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
    "  --optim-impl I      how torch steps AdamW/SGD: foreach (default, torch 2.1 on\n"
    "                      CUDA), for (one parameter at a time), fused\n"
    "  --precision P       mixed (HF Trainer bf16/fp16=True: fp32 weights, grads and\n"
    "                      states, autocast; default), fp32, bf16, fp16 (pure 16-bit)\n"
    "  --grad-ckpt         gradient checkpointing\n"
    "  --lora R            LoRA of rank R (PEFT's default targets)\n"
    "  --lora-targets L    comma-separated module names, or all-linear\n"
    "  --qlora             LoRA over a 4-bit NF4 base\n"
    "  --zero N            DeepSpeed ZeRO stage 0-3\n"
    "  --dp N              data-parallel ranks (1)\n"
    "model source\n"
    "  --revision REV      a Hugging Face id's branch, tag or commit (main)\n"
    "  --variant V         read model.V.safetensors (etc.), as from_pretrained(variant=V)\n"
    "  --refresh           ask the hub again, ignoring vramfit's header cache\n"
    "  --timeout S         give up reading the hub after S seconds (120)\n";

void vf_wopts_init(struct vf_wopts *o)
{
	memset(o, 0, sizeof(*o));
	vf_workload_init(&o->w);
}

void vf_wopts_release(struct vf_wopts *o)
{
	vf_free(o->targets);
	o->targets = NULL;
}

static bool parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	/* token counts: 8k, 128k (cli/estimate_sweep.c) */
	if (vf_parse_tokens(s, out))
		return *out >= min && *out <= max;
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

int vf_wopts_parse(struct vf_wopts *o, int c, const char *arg, const char *cmd)
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
	static const char *const impls[] = {"foreach", "for", "fused", NULL};
	struct vf_workload *w = &o->w;
	struct vf_err err = {0};
	uint64_t v;
	int i;

	switch (c) {
	case O_UPCAST:
		w->weights.upcast = true;
		return 0;
	case O_TRAIN:
		w->train = true;
		return 0;
	case O_CKPT:
		w->grad_ckpt = true;
		return 0;
	case O_QLORA:
		w->qlora = true;
		return 0;
	case O_REVISION:
		o->revision = arg;
		return 0;
	case O_VARIANT:
		o->variant = arg;
		return 0;
	case O_REFRESH:
	case O_TIMEOUT:
		if (vf_hub_option(c == O_REFRESH ? "refresh" : "timeout", arg))
			return vf_usage_error(
			    cmd, "--timeout takes seconds (0.1 to 86400), not '%s'", arg);
		return 0;
	case O_DTYPE:
		if (!pick(arg, dtypes, &i))
			return vf_usage_error(
			    cmd, "--dtype takes fp32, fp16, bf16, fp8, int8 or int4, not '%s'",
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
			return vf_usage_error(
			    cmd, "expected a whole number from 1 to 2^32, not '%s'", arg);
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
			return vf_usage_error(cmd, "--zero takes a stage from 0 to 3, not '%s'",
					      arg);
		w->zero_stage = (uint32_t)v;
		return 0;
	case O_KV:
		if (!pick(arg, kvs, &i))
			return vf_usage_error(
			    cmd,
			    "--kv-dtype takes auto, fp32, fp16, bf16, fp8, int8, q8 or q4, not "
			    "'%s'",
			    arg);
		w->kv_dtype = kvdt[i];
		return 0;
	case O_ATTN:
		if (!pick(arg, attns, &i))
			return vf_usage_error(cmd, "--attn takes sdpa, eager or flash, not '%s'",
					      arg);
		w->attn = (enum vf_attn_impl)i;
		return 0;
	case O_ENGINE:
		if (!pick(arg, engines, &i))
			return vf_usage_error(cmd, "--engine takes hf, hf436 or vllm, not '%s'",
					      arg);
		w->engine = (enum vf_engine)i;
		return 0;
	case O_OPTIM:
		if (!pick(arg, optims, &i))
			return vf_usage_error(
			    cmd, "--optim takes adamw, adamw-8bit, sgd or adafactor, not '%s'",
			    arg);
		w->optim = (enum vf_optim)i;
		return 0;
	case O_OPTIM_IMPL:
		if (!pick(arg, impls, &i))
			return vf_usage_error(
			    cmd, "--optim-impl takes foreach, for or fused, not '%s'", arg);
		w->optim_impl = (enum vf_optim_impl)i;
		return 0;
	case O_PREC:
		if (!pick(arg, precs, &i))
			return vf_usage_error(
			    cmd, "--precision takes mixed, fp32, bf16 or fp16, not '%s'", arg);
		w->precision = i == 0 ? VF_PREC_MIXED : i == 1 ? VF_PREC_FP32 : VF_PREC_PURE16;
		return 0;
	case O_OVERHEAD:
		if (vf_size_parse(arg, &w->context, &err))
			return vf_usage_error(cmd, "--overhead: %s", err.msg);
		return 0;
	case O_TARGETS: {
		char *save = NULL, *tok;
		vf_free(o->targets);
		if (!(o->targets = vf_strdup(arg)))
			return vf_usage_error(cmd, "out of memory%s", "");
		w->nlora_targets = 0;
		w->lora_all_linear = false;
		for (tok = strtok_r(o->targets, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (strcmp(tok, "all-linear") == 0) {
				w->lora_all_linear = true;
				continue;
			}
			if (w->nlora_targets == VF_LORA_MAX_TARGETS)
				return vf_usage_error(
				    cmd, "--lora-targets names at most 16 modules%s", "");
			w->lora_targets[w->nlora_targets++] = tok;
		}
		if (!w->nlora_targets && !w->lora_all_linear)
			return vf_usage_error(cmd, "--lora-targets needs module names, not '%s'",
					      arg);
		return 0;
	}
	}
	return vf_usage_error(cmd, "unknown option '%s'", arg ? arg : "?");
}

/* ---- gathering ---- */

static bool same_conv(const struct vf_wconv *a, const struct vf_wconv *b)
{
	return a->dtype == b->dtype && a->upcast == b->upcast && a->quant == b->quant &&
	       a->bits == b->bits && a->group == b->group;
}

/* The checkpoint's layers with bytes after conversion c and logical
 * parameters, and the config's buffers and ties, matched by layer name. */
static enum vf_status ckpt_layers(struct vf_run *r, const struct vf_wconv *c, struct vf_err *err)
{
	struct vf_layers sl = {0};
	struct vf_strmap map = {0};
	struct vf_err ignore = {0};
	enum vf_status st;

	if (!r->ly_grouped) {
		if ((st = vf_layers_group(r->m, r->m->ordered, &r->ly, err)))
			return st;
		r->ly_grouped = true;
	} else if (same_conv(&r->ly_conv, c)) {
		return VF_OK;
	}
	r->ly_conv = *c;
	/* keys are modules of the class config.json names (planner.h); GGUF
	 * keeps llama.cpp's blocks */
	if (r->have_s && !r->s.approximate && r->m->format != VF_FMT_GGUF) {
		struct vf_class_fit fit;
		struct vf_layers cl = {0};
		if ((st = vf_layers_for_class(&r->s, &r->ck, c, &cl, &fit, err)))
			return st;
		vf_layers_release(&r->ly);
		r->ly = cl;
		return VF_OK;
	}
	vf_layers_weigh(&r->ly, &r->ck, c);
	for (size_t i = 0; i < r->ly.n; i++)
		r->ly.v[i].buffer_bytes = 0;
	vf_free(r->ly.tied_to);
	r->ly.tied_to = NULL;
	if (!r->have_s || r->s.approximate || vf_layers_from_synth(&r->s, c, &sl, &ignore))
		return VF_OK;
	vf_strmap_reserve(&map, r->ly.n); /* else the puts grow it */
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
			if (!r->ly.tied_to && (r->ly.tied_to = vf_malloc(r->ly.n * sizeof(long))))
				for (size_t k = 0; k < r->ly.n; k++)
					r->ly.tied_to[k] = -1;
			if (r->ly.tied_to)
				r->ly.tied_to[li] = (long)lo;
		}
	}
	vf_strmap_free(&map);
	vf_layers_release(&sl);
	return VF_OK;
}

/* The layers of the checkpoint (or of the config), with bytes as the weights
 * will sit in memory, logical parameters, and the config's buffers and ties. */
enum vf_status vf_run_layers(struct vf_run *r, struct vf_err *err)
{
	const struct vf_wconv *c = &r->o->w.weights;
	enum vf_status st;

	vf_free(r->kv);
	r->kv = NULL;
	if (!r->m->ntensors) {
		vf_layers_release(&r->ly);
		if (!r->have_s)
			return VF_OK;
		if ((st = vf_layers_from_synth(&r->s, c, &r->ly, err)))
			return st;
	} else if ((st = ckpt_layers(r, c, err))) {
		return st;
	}
	if (!r->ly.n)
		return VF_OK;
	if (!(r->kv = vf_calloc(r->ly.n, sizeof(*r->kv))))
		return vf_fail(err, VF_ENOMEM, r->path, "out of memory");
	if (r->have_s && !r->o->w.train)
		return vf_kv_per_layer(&r->s, &r->o->w, &r->ly, r->kv, err);
	return VF_OK;
}

void vf_run_warn(struct vf_run *r, const char *fmt, ...)
{
	char buf[600];
	va_list ap;

	if (r->nwarn >= VF_RUN_MAX_WARN)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((r->warn[r->nwarn] = vf_strdup(buf)) != NULL)
		r->nwarn++;
}

/*
 * The model synthesized from config.json does not depend on the tensors, so
 * for a big checkpoint it is built while the tensors are classified
 * (common/par.h; DeepSeek-V3: ~4 ms beside ~5 ms).
 */
struct load_step {
	struct vf_run *r;
	struct vf_err err;
	enum vf_status st;
};

static void ckpt_step(void *arg)
{
	struct load_step *j = arg;

	j->st = vf_ckpt_init(&j->r->ck, j->r->m, &j->err);
}

static void synth_step(void *arg)
{
	struct load_step *j = arg;
	struct vf_run *r = j->r;

	j->st = vf_synth_build(&r->m->arch, &r->m->arch.x, r->o->w.engine, &r->s, &j->err);
	r->have_s = j->st == VF_OK; /* then r owns r->s, whatever else fails */
}

enum vf_status vf_run_load(struct vf_run *r, const char *path, const struct vf_open_opts *oo,
			   struct vf_err *err)
{
	struct load_step ck = {.r = r}, sy = {.r = r};

	r->path = path;
	if (r->o->w.qlora && !r->o->w.lora_rank)
		r->o->w.lora_rank = 16; /* the rank QLoRA's paper and PEFT examples use */
	/* --revision is parsed with the workload options, so estimate, plan and
	 * check all take it; it joins whatever open options the caller has */
	if (r->o->revision || r->o->variant) {
		static const struct vf_open_opts none = {0};
		struct vf_open_opts o2 = oo ? *oo : none;
		if (r->o->revision)
			o2.revision = r->o->revision;
		if (r->o->variant)
			o2.variant = r->o->variant;
		if (vf_model_open_opts(r->path, &o2, &r->m, err))
			return err->status;
	} else if (vf_model_open_opts(r->path, oo, &r->m, err)) {
		return err->status;
	}
	/* an adapter is planned as its base model with --lora */
	if (r->m->adapter_note)
		return vf_fail(err, VF_EFORMAT, path, "%s", r->m->adapter_note);
	if (r->m->ntensors >= 16384 && r->m->arch.present) {
		vf_par2(ckpt_step, &ck, synth_step, &sy);
	} else {
		if (r->m->ntensors)
			ckpt_step(&ck);
		if (!ck.st && r->m->arch.present)
			synth_step(&sy);
	}
	if (ck.st) {
		*err = ck.err;
		return err->status;
	}
	if (r->m->arch.present && sy.st) {
		if (!r->m->ntensors || sy.err.status != VF_EFORMAT) {
			*err = sy.err;
			return err->status;
		}
		/* The tensors still give the weights exactly. */
		vf_run_warn(r, "%s: KV cache and activations are not estimated", sy.err.msg);
	}
	/* From config.json alone, an estimate that models only part of the
	 * model (a multimodal wrapper's language model) would be a wrong total:
	 * refused (a checkpoint's tensors give the whole weights) */
	if (r->have_s && r->s.approximate && !r->m->ntensors)
		return vf_fail(err, VF_EFORMAT, path,
			       "%s; from config.json alone the total is unknown", r->s.note);
	/* a quantized model planned from its config alone: the quantization_config
	 * says how its matrices are stored (a checkpoint's tensors say it exactly) */
	if (r->have_s && !r->m->ntensors && r->o->w.weights.quant == VF_WQ_NONE &&
	    r->o->w.weights.dtype == VF_DT_UNKNOWN &&
	    vf_wconv_from_config(&r->m->arch, &r->m->arch.x, &r->o->w.weights))
		vf_run_warn(r, "weights as quantization_config describes them (%s)",
			    r->m->arch.quant_method);
	if (!r->o->seq_set) {
		int64_t mp = r->have_s ? r->s.max_positions : VF_UNSET;
		r->o->w.seq = mp > 0 && mp < 4096 ? (uint64_t)mp : 4096;
	}
	/* facts worth telling */
	if (r->have_s && r->s.note[0])
		vf_run_warn(r, "%s", r->s.note);
	if (r->have_s && r->s.class_assumed && r->m->format == VF_FMT_GGUF)
		vf_run_warn(r,
			    "the GGUF metadata (general.architecture %s) names no transformers "
			    "class: %s assumed",
			    r->m->arch.model_type, r->s.class_name);
	else if (r->have_s && r->s.class_assumed)
		vf_run_warn(r, "config.json names no architecture: %s assumed", r->s.class_name);
	if (!r->m->arch.present)
		vf_run_warn(r, "no config.json: weights only; KV cache and activations need the "
			       "architecture");
	if (r->have_s && r->s.max_positions > 0 &&
	    r->o->w.seq + r->o->w.gen > (uint64_t)r->s.max_positions)
		vf_run_warn(
		    r, "%llu tokens per sequence is more than max_position_embeddings (%lld)",
		    (unsigned long long)(r->o->w.seq + r->o->w.gen), (long long)r->s.max_positions);
	if (r->have_s && !r->s.approximate && r->m->ntensors) {
		char *msgs[4];
		size_t n = vf_synth_compare(&r->s, &r->ck, msgs, 4);
		for (size_t i = 0; i < n; i++) {
			vf_run_warn(r, "%s", msgs[i]);
			vf_free(msgs[i]);
		}
	}
	/* the counts of what the class holds (planner.h, vf_ckpt_fit_class) */
	if (r->have_s && !r->s.approximate && r->m->ntensors && r->m->format != VF_FMT_GGUF) {
		struct vf_class_fit fit;
		if (vf_ckpt_fit_class(&r->ck, &r->s, &fit, err))
			return err->status;
		if (fit.created)
			vf_run_warn(
			    r,
			    "%zu tensor%s of %s not in the checkpoint (first: %s) %s created "
			    "by from_pretrained and counted",
			    fit.created, fit.created == 1 ? "" : "s", r->s.class_name,
			    fit.first_created, fit.created == 1 ? "is" : "are");
	}
	for (size_t i = 0; i < r->m->nwarnings; i++)
		vf_run_warn(r, "%s", r->m->warnings[i]);
	return VF_OK;
}

enum vf_status vf_run_estimate(struct vf_run *r, struct vf_err *err)
{
	return vf_estimate_ckpt(r->m->ntensors ? &r->ck : NULL, r->have_s ? &r->s : NULL, &r->o->w,
				&r->est, err);
}

void vf_run_release(struct vf_run *r)
{
	for (size_t i = 0; i < r->nwarn; i++)
		vf_free(r->warn[i]);
	r->nwarn = 0;
	vf_free(r->kv);
	r->kv = NULL;
	vf_layers_release(&r->ly);
	r->ly_grouped = false;
	if (r->have_s)
		vf_synth_release(&r->s);
	r->have_s = false;
	vf_ckpt_release(&r->ck);
	vf_model_free(r->m);
	r->m = NULL;
}

cJSON *vf_memory_json(const struct vf_estimate *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "weights", vf_json_num(e->weights));
	cJSON_AddItemToObject(o, "kv_cache", vf_json_num(e->kv_cache));
	cJSON_AddItemToObject(o, "activations", vf_json_num(e->activations));
	cJSON_AddItemToObject(o, "gradients", vf_json_num(e->gradients));
	cJSON_AddItemToObject(o, "optimizer", vf_json_num(e->optimizer));
	cJSON_AddItemToObject(o, "overhead", vf_json_num(e->overhead));
	cJSON_AddItemToObject(o, "total", vf_json_num(e->total));
	return o;
}
