/*
 * cmd_capacity.c - `vramfit capacity MODEL`: for each GPU of the catalogue
 * (or those named with --gpu), the fewest GPUs that run the workload, per
 * weights dtype, in which layout, how fast it decodes, and the settings of
 * the engine that would run it: vLLM for serving, DeepSpeed ZeRO-3 for
 * training (--train).  vramfit never runs a model itself.
 *
 * The command gathers inputs and prints; the memory comes from the memory
 * model (cli/run.c, planner/memory.h) and the division among GPUs from
 * planner/capacity.c.  The --json object is a stable contract (README,
 * "vramfit capacity"): "rows" sorted as the table is (fitting rows by fewest
 * GPUs, then fastest; then rows that do not fit; then rows that do not
 * apply), each with "gpu", "dtype", "fits", "gpus", "nodes",
 * "tensor_parallel", "pipeline_parallel", "per_gpu", "decode_tokens_per_s"
 * and "vllm" or "deepspeed".
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/estimate_sweep.h"
#include "cli/run.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/size.h"
#include "gpu/gpu.h"
#include "planner/capacity.h"
#include "planner/capacity_price.h"

#define GIB (1024.0 * 1024.0 * 1024.0)
#define MAX_GPUS 64

static const char usage_head[] =
    "usage: vramfit capacity [options] PATH\n"
    "\n"
    "Which GPUs, and how many, a workload needs.  For each GPU of the catalogue\n"
    "(vramfit gpus --list), or those named with --gpu, and each weights dtype that\n"
    "applies (stored, bf16, fp8, int8, int4): the fewest GPUs, with tensor\n"
    "parallelism (TP 1, 2, 4, 8 inside a node of 8; attention and KV heads must\n"
    "divide) and pipeline stages across nodes when one node is not enough; the\n"
    "decode speed, memory-bandwidth bound (tokens/s per sequence = bandwidth x\n"
    "efficiency / bytes read per token); and the settings of the engine that runs\n"
    "it: vLLM for serving, DeepSpeed ZeRO-3 for --train.  Sorted by fewest GPUs,\n"
    "then fastest.\n"
    "\n"
    "  --json              one JSON object (stable keys: see README)\n"
    "  --gpu NAME          a catalogue GPU or a size (24GiB) to size for; repeatable\n"
    "                      (default: the whole catalogue)\n"
    "  --efficiency F      share of the bandwidth decode reaches (0.50)\n"
    "  --margin SIZE       kept free on each GPU (2% of it, at least 256MiB)\n"
    "  --offload WHERE     training: none (default), optimizer, or all (optimizer and\n"
    "                      parameters in CPU memory, ZeRO-Offload / ZeRO-Infinity)\n"
    "  --key KEY           PyTorch training checkpoints: the sub-dict KEY\n"
    "  --gpu NAME:N        nodes of N GPUs (counted whole; TP stays inside a node)\n"
    "  --all               every GPU x dtype row (default: the best of each GPU)\n"
    "  --price NAME=P      cost of one GPU-hour: $/h and $/Mtok columns, cheapest first\n"
    "  --price-file FILE   lines 'NAME PRICE' or 'NAME=PRICE', # comments\n"
    "vLLM (its names work too: --tensor-parallel-size, --pipeline-parallel-size)\n"
    "  --tp N, --pp N      fix the layout instead of searching\n"
    "  --gpu-memory-utilization F   share vLLM takes (0.90)\n"
    "  --max-model-len N   tokens per sequence (default --seq + --gen; 8k, 128k)\n"
    "  --max-num-seqs N, --max-num-batched-tokens N   the scheduler (vLLM's defaults)\n"
    "  --kv-cache-dtype T  auto, fp8, fp8_e4m3, fp8_e5m2\n"
    "  --vllm V            0.7 (V0 engine, pinned; default) or current (V1)\n"
    "  --enforce-eager     no CUDA graphs\n";

static const char usage_tail[] =
    "  -h, --help          show this help\n"
    "\n"
    "Serving is planned for vLLM (--engine vllm, its paged KV cache); --dtype picks\n"
    "one dtype instead of all; --zero and --dp are chosen here, not given.\n"
    "\n"
    "exit status: 0 done, 1 bad or unreadable input, 2 wrong usage\n";

static const char efficiency_source[] =
    "Databricks/MosaicML, \"LLM Inference Performance Engineering: Best Practices\" "
    "(2023): model bandwidth utilization, worked example at 50%; an assumption, "
    "not measured by vramfit";

enum {
	C_JSON = 512,
	C_GPU,
	C_EFF,
	C_MARGIN,
	C_OFFLOAD,
	C_KEY,
	C_TP,
	C_PP,
	C_UTIL,
	C_MML,
	C_SEQS,
	C_MBT,
	C_KVC,
	C_VERSION,
	C_EAGER,
	C_ALL,
	C_PRICE,
	C_PRICE_FILE,
};

enum dopt { D_STORED, D_BF16, D_FP8, D_INT8, D_INT4, D_N };
static const char *const dnames[D_N] = {"stored", "bf16", "fp8", "int8", "int4"};

struct gpu_kind {
	struct vf_cap_gpu g;
	char key[VF_GPU_NAME_MAX], name[VF_GPU_NAME_MAX];
	int cc_major, cc_minor;
	bool catalog, a100;
	unsigned node; /* GPUs in a node (--gpu NAME:N) */
	double price;  /* per GPU-hour; 0 unknown */
};

struct dchoice {
	bool applies;
	char why[200];
	struct vf_wconv conv;
	struct vf_estimate est;
	char label[40]; /* the weights as they sit: "BF16", "fp8", "Q4_K" */
};

struct row {
	size_t gi;
	int d;
	bool applies;
	char why[200];
	struct vf_cap_layout L;
};

struct cap {
	struct vf_wopts wo;
	struct vf_run r;
	struct vf_open_opts oo;
	bool json, engine_set;
	const char *user_dtype;
	const char *user_float; /* --dtype fp32/fp16: vLLM's --dtype for it */
	const char *gpu_specs[MAX_GPUS];
	size_t nspecs;
	double efficiency;
	uint64_t margin;
	enum vf_offload offload;
	bool offload_set;
	struct gpu_kind *gpus;
	size_t ngpus;
	struct dchoice d[D_N];
	struct row *rows;
	size_t nrows;
	enum vf_dtype stored;
	char stored_label[40];
	bool quantized, replicated_kv, moe, all;
	struct vf_vllm_cfg vcfg;
	unsigned tp, pp;
	const char *kv_cache_dtype; /* as given to --kv-cache-dtype */
	struct vf_prices prices;
};

/* ---- GPUs ---- */

static int add_gpu(struct cap *c, const char *spec)
{
	struct vf_devices d = {0};
	struct vf_err err = {0};
	char name[VF_GPU_NAME_MAX];
	const char *colon = strchr(spec, ':');
	const struct vf_gpu_model *m;
	struct gpu_kind *k;
	unsigned long node = VF_CAP_NODE;

	/* NAME:N: nodes of N GPUs (capacity still chooses how many) */
	snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - spec) : (int)strlen(spec), spec);
	if (colon) {
		char *end;
		node = strtoul(colon + 1, &end, 10);
		if (end == colon + 1 || *end || !node || node > 64 || (node & (node - 1)))
			return vf_usage_error(
			    "capacity ",
			    "--gpu NAME:N takes nodes of 1, 2, 4, 8, 16, 32 or 64 "
			    "GPUs, not '%s'",
			    spec);
	}
	if (strchr(name, ','))
		return vf_usage_error("capacity ", "--gpu takes one GPU kind, not '%s'", spec);
	m = vf_gpu_catalog_find(name, NULL);
	if (vf_devices_add_spec(&d, name, &err))
		return vf_usage_error("capacity ", "%s", err.msg);
	k = &c->gpus[c->ngpus++];
	memset(k, 0, sizeof(*k));
	snprintf(k->key, sizeof(k->key), "%s", m ? m->key : spec);
	snprintf(k->name, sizeof(k->name), "%s", d.v[0].name);
	k->g.total = d.v[0].total;
	k->g.bandwidth = d.v[0].bandwidth;
	k->cc_major = d.v[0].cc_major;
	k->cc_minor = d.v[0].cc_minor;
	k->catalog = m != NULL;
	k->node = colon ? (unsigned)node : 0;
	k->a100 = strstr(k->key, "a100") != NULL;
	vf_devices_release(&d);
	return 0;
}

static int same_gpu(const char *a, const char *b)
{
	const struct vf_gpu_model *x = vf_gpu_catalog_find(a, NULL),
				  *y = vf_gpu_catalog_find(b, NULL);

	return x && y ? x == y : strcmp(a, b) == 0;
}

static int gather_gpus(struct cap *c)
{
	size_t n;
	const struct vf_gpu_model *cat = vf_gpu_catalog(&n);
	int rc;

	if (!(c->gpus = vf_calloc(c->nspecs ? c->nspecs : n, sizeof(*c->gpus)))) {
		fputs("vramfit: out of memory\n", stderr);
		return VF_EXIT_ERROR;
	}
	for (size_t i = 0; i < (c->nspecs ? c->nspecs : n); i++)
		if ((rc = add_gpu(c, c->nspecs ? c->gpu_specs[i] : cat[i].key)))
			return rc;
	for (size_t i = 0; i < c->ngpus; i++) {
		struct gpu_kind *k = &c->gpus[i];
		k->g.key = k->key;
		k->g.name = k->name;
		k->price = vf_prices_find(&c->prices, k->key, same_gpu);
		/* the CUDA context of the serving process, per GPU generation,
		 * unless --overhead says otherwise (as plan does) */
		k->g.context = c->wo.w.context != VF_DEFAULT_CONTEXT
				   ? c->wo.w.context
				   : vf_gpu_context_overhead(k->cc_major);
	}
	return 0;
}

/* ---- dtypes ---- */

static const char *quant_name(enum vf_wquant q)
{
	static const char *const names[] = {"none", "int8", "int4", "nf4", "fp8", "gptq", "awq"};

	return q <= VF_WQ_AWQ ? names[q] : "?";
}

/* How the weights are stored, and whether they are quantized already. */
static void stored_info(struct cap *c)
{
	struct vf_run *r = &c->r;
	const struct vf_wconv *w = &c->d[D_STORED].conv;
	uint64_t by[VF_DT_COUNT] = {0};
	int best = 0;

	if (r->m->ntensors) {
		for (size_t i = 0; i < r->m->ntensors; i++)
			by[r->m->tensors[i].dtype] += r->m->tensors[i].count_bytes;
		for (int d = 1; d < VF_DT_COUNT; d++)
			if (by[d] > by[best])
				best = d;
		c->stored = (enum vf_dtype)best;
	} else {
		c->stored = r->have_s ? r->s.dtype : VF_DT_UNKNOWN;
	}
	c->quantized = c->stored != VF_DT_F16 && c->stored != VF_DT_BF16 &&
		       c->stored != VF_DT_F32 && c->stored != VF_DT_F64;
	if (w->quant != VF_WQ_NONE) {
		c->quantized = true;
		snprintf(c->stored_label, sizeof(c->stored_label), "%s", quant_name(w->quant));
	} else if (r->m->ntensors && r->m->arch.quant_method[0]) {
		c->quantized = true;
		snprintf(c->stored_label, sizeof(c->stored_label), "%s", r->m->arch.quant_method);
	} else {
		snprintf(c->stored_label, sizeof(c->stored_label), "%s", vf_dtype_name(c->stored));
	}
}

static void set_conv(struct vf_wconv *w, int d)
{
	memset(w, 0, sizeof(*w));
	w->dtype = d == D_BF16 ? VF_DT_BF16 : VF_DT_UNKNOWN;
	w->quant = d == D_FP8	 ? VF_WQ_FP8
		   : d == D_INT8 ? VF_WQ_INT8
		   : d == D_INT4 ? VF_WQ_INT4
				 : VF_WQ_NONE;
}

static int user_dopt(const char *s)
{
	for (int d = 1; d < D_N; d++)
		if (strcmp(s, dnames[d]) == 0)
			return d;
	return -1;
}

static void choose_dtypes(struct cap *c)
{
	struct dchoice *st = &c->d[D_STORED];

	st->conv = c->wo.w.weights; /* after load: a config's quantization_config */
	stored_info(c);
	if (c->user_dtype) {
		/* --dtype: that one only (fp32 and fp16 run as "stored" when they
		 * are the stored dtype, else as run.c converts them) */
		int d = user_dopt(c->user_dtype);
		for (int k = 0; k < D_N; k++) {
			c->d[k].applies = false;
			snprintf(c->d[k].why, sizeof(c->d[k].why), "--dtype %s", c->user_dtype);
		}
		if (d < 0) {
			d = D_STORED; /* fp32/fp16: what --dtype made of the weights */
			st->conv = c->wo.w.weights;
			c->user_float = strcmp(c->user_dtype, "fp32") == 0 ? "float32" : "float16";
			snprintf(c->stored_label, sizeof(c->stored_label), "%s", c->user_dtype);
		} else {
			set_conv(&c->d[d].conv, d);
		}
		c->d[d].applies = true;
		c->d[d].why[0] = '\0';
		return;
	}
	st->applies = true;
	for (int d = 1; d < D_N; d++) {
		struct dchoice *x = &c->d[d];
		set_conv(&x->conv, d);
		x->applies = false;
		if (c->wo.w.train)
			snprintf(x->why, sizeof(x->why),
				 "training keeps its own precision (--precision, --qlora)");
		else if (c->quantized)
			snprintf(x->why, sizeof(x->why), "the stored weights are quantized (%s)",
				 c->stored_label);
		else if (d == D_BF16 && c->stored != VF_DT_F32 && c->stored != VF_DT_F64)
			snprintf(x->why, sizeof(x->why),
				 "the stored weights are 16-bit already (%s)", c->stored_label);
		else
			x->applies = true;
	}
}

/* fp8 in vLLM: W8A8 from compute capability 8.9, weight-only (FP8 Marlin)
 * from 7.5 (docs.vllm.ai, "FP8 W8A8"); AMD MI300X supports it too. */
static bool gpu_fp8(const struct gpu_kind *k, char *why, size_t n)
{
	int cc = k->cc_major * 10 + k->cc_minor;

	if (k->cc_major > 0 && cc < 75) {
		snprintf(why, n, "vLLM's fp8 needs compute capability 7.5 or more (this is %d.%d)",
			 k->cc_major, k->cc_minor);
		return false;
	}
	return true;
}

/* ---- the rows ---- */

/* the rows' GPUs and prices, for qsort */
static const struct cap *sorting;

static double row_cost(const struct row *r)
{
	const struct gpu_kind *k = &sorting->gpus[r->gi];

	return vf_price_per_mtok(k->price * r->L.gpus,
				 r->L.tokens_per_s * (double)sorting->wo.w.batch);
}

static int cmp_rows(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;

	if (a->applies != b->applies)
		return a->applies ? -1 : 1;
	if (a->L.fits != b->L.fits)
		return a->L.fits ? -1 : 1;
	if (a->L.fits && sorting->prices.n) {
		/* with prices: cheapest per million generated tokens first */
		double ca = row_cost(a), cb = row_cost(b);
		if ((ca > 0) != (cb > 0))
			return ca > 0 ? -1 : 1;
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (a->L.fits) {
		if (a->L.gpus != b->L.gpus)
			return a->L.gpus < b->L.gpus ? -1 : 1;
		/* the same GPUs: the weights least quantized first */
		if (a->gi == b->gi && a->d != b->d)
			return a->d - b->d;
		if (a->L.tokens_per_s != b->L.tokens_per_s)
			return a->L.tokens_per_s > b->L.tokens_per_s ? -1 : 1;
	}
	if (a->gi != b->gi)
		return a->gi < b->gi ? -1 : 1;
	return a->d - b->d;
}

/* KV bytes per token of one sequence, all layers (windows not credited:
 * vLLM's V0 block manager allocates a sequence's blocks for all of it). */
static uint64_t kv_token(const struct cap *c, const struct vf_estimate *e)
{
	uint64_t b = c->wo.w.batch ? c->wo.w.batch : 1;

	if (e->kv_per_token)
		return e->kv_per_token / b;
	return e->kv_tokens ? e->kv_cache / b / e->kv_tokens : 0;
}

static uint64_t max_model_len(const struct cap *c);

static enum vf_status compute(struct cap *c, struct vf_err *err)
{
	struct vf_vllm_cfg vcfg = c->vcfg;
	struct vf_run *r = &c->r;
	const struct vf_arch *a = &r->m->arch;
	enum vf_status st;

	vcfg.max_model_len = max_model_len(c);
	if (!(c->rows = vf_calloc(c->ngpus * D_N, sizeof(*c->rows))))
		return vf_fail(err, VF_ENOMEM, r->path, "out of memory");
	for (size_t i = 0; r->have_s && i < r->s.nblocks; i++)
		c->moe = c->moe || r->s.blocks[i].moe;
	for (size_t i = 0; r->have_s && i < r->s.nblocks; i++)
		c->replicated_kv = c->replicated_kv ||
				   (r->s.blocks[i].latent > 0 && c->wo.w.engine == VF_ENGINE_VLLM);
	for (int d = 0; d < D_N; d++) {
		struct dchoice *x = &c->d[d];
		if (!x->applies)
			continue; /* said once, in "dtypes", not once per GPU */
		c->wo.w.weights = x->conv;
		if ((st = vf_run_estimate(r, err)))
			return st;
		x->est = r->est;
		if (!c->wo.w.train && vf_run_layers(r, err)) {
			if (err->status != VF_EFORMAT)
				return err->status;
			/* an approximate model has no exact layers: no pipeline
			 * stages then, tensor parallelism still */
			vf_err_clear(err);
			if (d == D_STORED)
				vf_run_warn(r, "no layer table: pipeline stages are not planned");
		}
		for (size_t g = 0; g < c->ngpus; g++) {
			struct row *rw = &c->rows[c->nrows++];
			struct gpu_kind *k = &c->gpus[g];
			rw->gi = g;
			rw->d = d;
			rw->applies = true;
			if (d == D_INT8 && !c->wo.w.train && !c->moe) {
				snprintf(rw->why, sizeof(rw->why),
					 "vLLM quantizes to int8 at load only a MoE's experts "
					 "(experts_int8): serve an int8 checkpoint");
				rw->applies = false;
				continue;
			}
			if (d == D_FP8 && !c->wo.w.train && !gpu_fp8(k, rw->why, sizeof(rw->why))) {
				rw->applies = false;
				continue;
			}
			if (c->wo.w.train) {
				struct vf_cap_train in = {r->m, r->have_s ? &r->s : NULL, &c->wo.w,
							  c->offload, c->margin};
				st = vf_capacity_train(&in, &k->g, &rw->L, err);
			} else {
				struct vf_cap_serve in = {.est = &x->est,
							  .s = r->have_s ? &r->s : NULL,
							  .ly = r->ly.n ? &r->ly : NULL,
							  .kv = r->kv,
							  .kv_token = kv_token(c, &x->est),
							  .heads = a->heads,
							  .kv_heads = a->kv_heads,
							  .replicated_kv = c->replicated_kv,
							  .efficiency = c->efficiency,
							  .vllm = vcfg,
							  .batch = c->wo.w.batch,
							  .tp = c->tp,
							  .pp = c->pp,
							  .node = k->node,
							  .a100 = k->a100};
				st = vf_capacity_serve(&in, &k->g, &rw->L, err);
			}
			if (st)
				return st;
			if (!rw->L.fits)
				snprintf(rw->why, sizeof(rw->why), "%s",
					 rw->L.why[0] ? rw->L.why : "does not fit in 512 GPUs");
		}
	}
	sorting = c;
	qsort(c->rows, c->nrows, sizeof(*c->rows), cmp_rows);
	return VF_OK;
}

/* ---- engine settings ---- */

static uint64_t max_model_len(const struct cap *c)
{
	return c->vcfg.max_model_len ? c->vcfg.max_model_len : c->wo.w.seq + c->wo.w.gen;
}

/* vLLM's in-flight quantization at load (QUANTIZATION_METHODS): fp8; int8
 * only for a MoE's experts (experts_int8); int4 with bitsandbytes, which
 * also needs --load-format bitsandbytes in the pinned version. */
static const char *vllm_quant(const struct cap *c, int d)
{
	if (d == D_FP8)
		return "fp8";
	if (d == D_INT8)
		return c->moe ? "experts_int8" : NULL;
	return d == D_INT4 ? "bitsandbytes" : NULL;
}

static const char *vllm_dtype(const struct cap *c, int d)
{
	if (d == D_BF16)
		return "bfloat16";
	if (d == D_STORED && c->user_float)
		return c->user_float;
	/* vLLM's "auto" serves fp32 checkpoints in fp16: say what was planned */
	if (d == D_STORED && !c->quantized && c->stored == VF_DT_F32)
		return "float32";
	return NULL;
}

static void vllm_args(const struct cap *c, const struct row *rw, char *buf, size_t n)
{
	const char *q = vllm_quant(c, rw->d), *dt = vllm_dtype(c, rw->d);
	int o = snprintf(buf, n,
			 "--tensor-parallel-size %u --pipeline-parallel-size %u --max-model-len "
			 "%llu --gpu-memory-utilization %.2f",
			 rw->L.tp, rw->L.pp, (unsigned long long)max_model_len(c),
			 rw->L.memory_utilization);

	if (dt && o > 0 && (size_t)o < n)
		o += snprintf(buf + o, n - (size_t)o, " --dtype %s", dt);
	if (q && o > 0 && (size_t)o < n)
		o += snprintf(buf + o, n - (size_t)o, " --quantization %s%s", q,
			      strcmp(q, "bitsandbytes") == 0 ? " --load-format bitsandbytes" : "");
	if ((c->kv_cache_dtype || c->wo.w.kv_dtype == VF_DT_F8_E4M3) && o > 0 && (size_t)o < n)
		o += snprintf(buf + o, n - (size_t)o, " --kv-cache-dtype %s",
			      c->kv_cache_dtype ? c->kv_cache_dtype : "fp8");
	if (c->vcfg.max_num_seqs && o > 0 && (size_t)o < n)
		o += snprintf(buf + o, n - (size_t)o, " --max-num-seqs %llu",
			      (unsigned long long)c->vcfg.max_num_seqs);
	if (c->vcfg.max_num_batched_tokens && o > 0 && (size_t)o < n)
		o += snprintf(buf + o, n - (size_t)o, " --max-num-batched-tokens %llu",
			      (unsigned long long)c->vcfg.max_num_batched_tokens);
	if (c->vcfg.enforce_eager && o > 0 && (size_t)o < n)
		snprintf(buf + o, n - (size_t)o, " --enforce-eager");
}

static const char *offload_name(enum vf_offload o)
{
	return o == VF_OFFLOAD_ALL ? "all" : o == VF_OFFLOAD_OPTIMIZER ? "optimizer" : "none";
}

static cJSON *deepspeed_json(const struct cap *c, const struct row *rw)
{
	cJSON *ds = cJSON_CreateObject(), *z, *o;
	bool fp16 = c->d[D_STORED].est.compute == VF_DT_F16;

	cJSON_AddItemToObject(ds, "train_micro_batch_size_per_gpu", vf_json_num(c->wo.w.batch));
	cJSON_AddItemToObject(ds, "gradient_accumulation_steps", vf_json_num(1));
	if (c->wo.w.precision != VF_PREC_FP32) {
		o = cJSON_AddObjectToObject(ds, fp16 ? "fp16" : "bf16");
		cJSON_AddBoolToObject(o, "enabled", true);
	}
	z = cJSON_AddObjectToObject(ds, "zero_optimization");
	cJSON_AddItemToObject(z, "stage", vf_json_num(3));
	o = cJSON_AddObjectToObject(z, "offload_param");
	cJSON_AddStringToObject(o, "device", rw->L.offload == VF_OFFLOAD_ALL ? "cpu" : "none");
	o = cJSON_AddObjectToObject(z, "offload_optimizer");
	cJSON_AddStringToObject(o, "device", rw->L.offload != VF_OFFLOAD_NONE ? "cpu" : "none");
	return ds;
}

/* ---- printing ---- */

/* What vllm serve takes: a Hugging Face id or a folder that holds
 * config.json.  A config.json names the folder it is in; a checkpoint file
 * its folder when a config.json is beside it; any other JSON file the id in
 * its "_name_or_path" when it has one, else a placeholder (said in a note). */
static const char *serve_name(const char *path, char *buf, size_t n, const char **note)
{
	struct stat sb;
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t len = strlen(path), dlen = slash ? (size_t)(slash - path) : 0;
	char cfg[4200];

	*note = NULL;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return path; /* a folder, or a Hugging Face id */
	if (strcmp(base, "config.json") == 0) {
		snprintf(buf, n, "%.*s", slash ? (int)dlen : 1, slash ? path : ".");
		return buf;
	}
	if (len > 5 && strcmp(path + len - 5, ".json") == 0) {
		char *text = NULL;
		size_t tl = 0;
		struct vf_err err = {0};
		cJSON *j, *id;
		if (vf_file_slurp(path, 1 << 22, &text, &tl, &err) == VF_OK &&
		    (j = cJSON_ParseWithLength(text, tl))) {
			id = cJSON_GetObjectItemCaseSensitive(j, "_name_or_path");
			if (cJSON_IsString(id) && id->valuestring[0])
				snprintf(buf, n, "%s", id->valuestring);
			else
				buf[0] = '\0';
			cJSON_Delete(j);
		} else {
			buf[0] = '\0';
		}
		vf_free(text);
		if (buf[0])
			return buf;
		*note = "this JSON file is not named config.json and names no \"_name_or_path\": "
			"give vllm the model's Hugging Face id, or a folder with the file saved "
			"as config.json";
		return "MODEL_ID";
	}
	snprintf(cfg, sizeof(cfg), "%.*s/config.json", slash ? (int)dlen : 1, slash ? path : ".");
	if (stat(cfg, &sb) == 0 && S_ISREG(sb.st_mode)) {
		snprintf(buf, n, "%.*s", slash ? (int)dlen : 1, slash ? path : ".");
		return buf;
	}
	*note = "vllm serve takes a folder with config.json and the weights, or a Hugging Face "
		"id: no config.json beside this file";
	return "MODEL_FOLDER";
}

static const char *model_name(const struct vf_run *r)
{
	if (r->have_s)
		return r->s.model_type;
	return r->m->arch.model_type[0] ? r->m->arch.model_type : "?";
}

static const char *row_dtype(const struct cap *c, const struct row *rw, char *buf, size_t n)
{
	if (rw->d == D_STORED)
		snprintf(buf, n, "%s", c->stored_label);
	else
		snprintf(buf, n, "%s", dnames[rw->d]);
	return buf;
}

static cJSON *num_or_null(bool ok, uint64_t v)
{
	return ok ? vf_json_num(v) : cJSON_CreateNull();
}

static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

static int print_json(struct cap *c)
{
	struct vf_run *r = &c->r;
	const struct vf_arch *a = &r->m->arch;
	const struct vf_workload *w = &c->wo.w;
	cJSON *doc = cJSON_CreateObject(), *o, *arr, *warn;

	cJSON_AddStringToObject(doc, "path", r->path);
	cJSON_AddStringToObject(doc, "model_type", model_name(r));
	cJSON_AddItemToObject(doc, "architecture",
			      r->have_s		   ? cJSON_CreateString(r->s.class_name)
			      : a->architecture[0] ? cJSON_CreateString(a->architecture)
						   : cJSON_CreateNull());
	cJSON_AddBoolToObject(doc, "approximate", c->d[D_STORED].est.approximate);
	o = cJSON_AddObjectToObject(doc, "parameters");
	cJSON_AddItemToObject(o, "total", vf_json_num(c->d[D_STORED].est.params_total));
	cJSON_AddItemToObject(o, "active", vf_json_num(c->d[D_STORED].est.params_active));
	o = cJSON_AddObjectToObject(doc, "attention");
	cJSON_AddItemToObject(o, "heads", num_or_null(a->heads > 0, (uint64_t)a->heads));
	cJSON_AddItemToObject(o, "kv_heads", num_or_null(a->kv_heads > 0, (uint64_t)a->kv_heads));
	cJSON_AddStringToObject(o, "kv_cache_under_tp", c->replicated_kv ? "replicated" : "split");
	arr = cJSON_AddArrayToObject(o, "tensor_parallel_sizes");
	for (unsigned t = 1; t <= VF_CAP_NODE; t *= 2)
		if (vf_tp_valid(a->heads, a->kv_heads, c->replicated_kv, t))
			cJSON_AddItemToArray(arr, vf_json_num(t));
	o = cJSON_AddObjectToObject(doc, "workload");
	cJSON_AddStringToObject(o, "mode", w->train ? "training" : "serving");
	cJSON_AddStringToObject(o, "engine", w->train ? "deepspeed" : "vllm");
	cJSON_AddItemToObject(o, "batch", vf_json_num(w->batch));
	cJSON_AddItemToObject(o, "seq", vf_json_num(w->seq));
	cJSON_AddItemToObject(o, "gen", vf_json_num(w->gen));
	cJSON_AddItemToObject(o, "max_model_len", vf_json_num(max_model_len(c)));
	if (w->train)
		cJSON_AddStringToObject(o, "offload", offload_name(c->offload));
	o = cJSON_AddObjectToObject(doc, "speed_model");
	cJSON_AddStringToObject(o, "formula",
				"tokens/s per sequence = bandwidth * efficiency / bytes read per "
				"token (weights per GPU, active experts only, + KV cache per GPU, "
				"summed over pipeline stages)");
	cJSON_AddNumberToObject(o, "efficiency", c->efficiency);
	cJSON_AddStringToObject(o, "efficiency_source", efficiency_source);
	arr = cJSON_AddArrayToObject(doc, "dtypes");
	for (int d = 0; d < D_N; d++) {
		const struct dchoice *x = &c->d[d];
		cJSON *e = cJSON_CreateObject(), *m;
		cJSON_AddStringToObject(e, "name", dnames[d]);
		cJSON_AddStringToObject(e, "weights", d == D_STORED ? c->stored_label : dnames[d]);
		cJSON_AddBoolToObject(e, "applies", x->applies);
		cJSON_AddItemToObject(e, "reason",
				      x->applies ? cJSON_CreateNull() : cJSON_CreateString(x->why));
		m = cJSON_AddObjectToObject(e, "memory");
		cJSON_AddItemToObject(m, "weights", num_or_null(x->applies, x->est.weights));
		cJSON_AddItemToObject(m, "kv_cache", num_or_null(x->applies, x->est.kv_cache));
		cJSON_AddItemToObject(m, "activations",
				      num_or_null(x->applies, x->est.activations));
		cJSON_AddItemToArray(arr, e);
	}
	arr = cJSON_AddArrayToObject(doc, "rows");
	for (size_t i = 0; i < c->nrows; i++) {
		const struct row *rw = &c->rows[i];
		const struct gpu_kind *k = &c->gpus[rw->gi];
		bool ok = rw->applies && rw->L.fits;
		cJSON *e = cJSON_CreateObject(), *p;
		char dt[40], args[400];
		cJSON_AddStringToObject(e, "gpu", k->key);
		cJSON_AddStringToObject(e, "gpu_name", k->name);
		cJSON_AddItemToObject(e, "gpu_memory", vf_json_num(k->g.total));
		cJSON_AddItemToObject(e, "bandwidth",
				      num_or_null(k->g.bandwidth > 0, k->g.bandwidth));
		cJSON_AddStringToObject(e, "dtype", dnames[rw->d]);
		cJSON_AddStringToObject(e, "weights", row_dtype(c, rw, dt, sizeof(dt)));
		cJSON_AddBoolToObject(e, "applies", rw->applies);
		cJSON_AddBoolToObject(e, "fits", ok);
		cJSON_AddItemToObject(e, "reason",
				      ok ? cJSON_CreateNull() : cJSON_CreateString(rw->why));
		cJSON_AddItemToObject(e, "gpus", num_or_null(ok, rw->L.gpus));
		cJSON_AddItemToObject(e, "nodes", num_or_null(ok, rw->L.nodes));
		cJSON_AddItemToObject(e, "tensor_parallel", num_or_null(ok, rw->L.tp));
		cJSON_AddItemToObject(e, "pipeline_parallel", num_or_null(ok, rw->L.pp));
		cJSON_AddItemToObject(e, "data_parallel", num_or_null(ok, rw->L.dp));
		if (rw->applies) {
			p = cJSON_AddObjectToObject(e, "per_gpu");
			cJSON_AddItemToObject(p, "weights", vf_json_num(rw->L.weights));
			cJSON_AddItemToObject(p, "kv_cache", vf_json_num(rw->L.kv_cache));
			cJSON_AddItemToObject(p, "activations", vf_json_num(rw->L.activations));
			cJSON_AddItemToObject(p, "gradients", vf_json_num(rw->L.gradients));
			cJSON_AddItemToObject(p, "optimizer", vf_json_num(rw->L.optimizer));
			cJSON_AddItemToObject(p, "overhead", vf_json_num(rw->L.overhead));
			cJSON_AddItemToObject(p, "margin", vf_json_num(rw->L.margin));
			cJSON_AddItemToObject(p, "total", vf_json_num(rw->L.need));
		} else {
			cJSON_AddItemToObject(e, "per_gpu", cJSON_CreateNull());
		}
		cJSON_AddItemToObject(e, "bytes_per_token",
				      num_or_null(ok && !c->wo.w.train, rw->L.bytes_per_token));
		cJSON_AddItemToObject(e, "decode_tokens_per_s",
				      ok && rw->L.tokens_per_s > 0
					  ? cJSON_CreateNumber(round2(rw->L.tokens_per_s))
					  : cJSON_CreateNull());
		if (ok && !c->wo.w.train) {
			const char *q = vllm_quant(c, rw->d), *vd = vllm_dtype(c, rw->d);
			p = cJSON_AddObjectToObject(e, "vllm");
			cJSON_AddItemToObject(p, "tensor_parallel_size", vf_json_num(rw->L.tp));
			cJSON_AddItemToObject(p, "pipeline_parallel_size", vf_json_num(rw->L.pp));
			cJSON_AddItemToObject(p, "max_model_len", vf_json_num(max_model_len(c)));
			cJSON_AddNumberToObject(p, "gpu_memory_utilization",
						round2(rw->L.memory_utilization));
			cJSON_AddItemToObject(p, "quantization",
					      q ? cJSON_CreateString(q) : cJSON_CreateNull());
			cJSON_AddItemToObject(p, "dtype",
					      vd ? cJSON_CreateString(vd) : cJSON_CreateNull());
			vllm_args(c, rw, args, sizeof(args));
			cJSON_AddStringToObject(p, "args", args);
			cJSON_AddItemToObject(p, "max_num_batched_tokens",
					      vf_json_num(rw->L.batched_tokens));
			cJSON_AddItemToObject(p, "max_num_seqs", vf_json_num(rw->L.num_seqs));
			cJSON_AddBoolToObject(p, "chunked_prefill", rw->L.chunked);
			cJSON_AddItemToObject(p, "kv_blocks", vf_json_num(rw->L.kv_blocks));
			cJSON_AddItemToObject(p, "block_bytes",
					      vf_json_num(rw->L.rank.block_bytes));
			cJSON_AddNumberToObject(p, "max_concurrency", round2(rw->L.concurrency));
			cJSON_AddItemToObject(p, "max_batch", vf_json_num(rw->L.max_batch));
			if (rw->d == D_INT8 && !c->moe)
				cJSON_AddStringToObject(
				    p, "note",
				    "vLLM has no in-flight int8: serve an int8 checkpoint (its "
				    "quantization_config tells vLLM the method)");
		}
		if (ok && c->wo.w.train) {
			cJSON_AddItemToObject(e, "deepspeed", deepspeed_json(c, rw));
			cJSON_AddItemToObject(e, "host_memory_per_node",
					      vf_json_num(rw->L.host_per_node));
		}
		cJSON_AddItemToArray(arr, e);
	}
	warn = cJSON_AddArrayToObject(doc, "warnings");
	for (size_t i = 0; i < r->nwarn; i++)
		cJSON_AddItemToArray(warn, cJSON_CreateString(r->warn[i]));
	return vf_print_json(doc);
}

/* By default the best row of each GPU kind (the sort put it first), and
 * rows that do not fit only when nothing of that kind does; --all: all. */
static bool shown_row(const struct cap *c, size_t i)
{
	const struct row *rw = &c->rows[i];

	if (c->all)
		return true;
	for (size_t j = 0; j < i; j++)
		if (c->rows[j].gi == rw->gi)
			return false;
	return true;
}

static void print_human(struct cap *c)
{
	struct vf_run *r = &c->r;
	const struct vf_arch *a = &r->m->arch;
	const struct vf_workload *w = &c->wo.w;
	const struct vf_estimate *e = &c->d[D_STORED].est;
	char b1[32], b2[4096], dt[40], args[400];
	bool first = true;

	printf("path          %s\n", r->path);
	printf("model         %s (%s): %s parameters", model_name(r),
	       r->have_s	    ? r->s.class_name
	       : a->architecture[0] ? a->architecture
				    : "?",
	       vf_fmt_count(e->params_total, b1));
	if (e->params_active != e->params_total)
		printf(", %s active per token", vf_fmt_count(e->params_active, b2));
	putchar('\n');
	if (a->heads > 0)
		printf("attention     %lld heads, %lld KV heads%s: tensor parallel",
		       (long long)a->heads, (long long)a->kv_heads,
		       c->replicated_kv ? " (latent cache, replicated)" : "");
	else
		printf("attention     heads unknown: tensor parallel");
	for (unsigned t = 1; t <= VF_CAP_NODE; t *= 2)
		if (vf_tp_valid(a->heads, a->kv_heads, c->replicated_kv, t))
			printf("%s %u", t == 1 ? "" : ",", t);
	putchar('\n');
	if (w->train)
		printf(
		    "workload      training with DeepSpeed ZeRO-3 (offload %s): micro-batch %llu "
		    "per GPU, seq %llu\n",
		    offload_name(c->offload), (unsigned long long)w->batch,
		    (unsigned long long)w->seq);
	else
		printf("workload      serving with vLLM: batch %llu, max-model-len %llu (prompt "
		       "%llu + generate %llu)\n",
		       (unsigned long long)w->batch, (unsigned long long)max_model_len(c),
		       (unsigned long long)w->seq, (unsigned long long)w->gen);
	printf("dtypes       ");
	for (int d = 0; d < D_N; d++) {
		if (!c->d[d].applies)
			continue;
		printf("%s %s", first ? "" : ",", dnames[d]);
		if (d == D_STORED)
			printf(" (%s)", c->stored_label);
		first = false;
	}
	/* dtypes that do not apply, grouped by why */
	for (int d = 0; d < D_N && !c->user_dtype; d++) {
		bool seen = false;
		if (c->d[d].applies)
			continue;
		for (int k = 0; k < d; k++)
			seen = seen || (!c->d[k].applies && strcmp(c->d[k].why, c->d[d].why) == 0);
		if (seen)
			continue;
		printf("; not %s", dnames[d]);
		for (int k = d + 1; k < D_N; k++)
			if (!c->d[k].applies && strcmp(c->d[k].why, c->d[d].why) == 0)
				printf(", %s", dnames[k]);
		printf(": %s", c->d[d].why);
	}
	putchar('\n');
	if (!w->train)
		printf("speed         decode tokens/s per sequence = bandwidth x %.2f / bytes read "
		       "per token\n              (efficiency: %s)\n",
		       c->efficiency, efficiency_source);
	if (!w->train)
		printf("vllm          %s accounting (--vllm %s): KV blocks = (%.2f x memory - "
		       "weights - activations of one step - non-torch) / block of %d tokens\n",
		       c->vcfg.version == VF_VLLM_V1 ? "V1 engine (current)"
						     : "V0 engine " VF_VLLM_PINNED,
		       c->vcfg.version == VF_VLLM_V1 ? "current" : "0.7",
		       c->vcfg.util > 0 ? c->vcfg.util : VF_VLLM_UTIL, VF_VLLM_BLOCK);
	printf("\n %5s %5s %3s %3s  %-14s %-9s %10s %10s %8s", "gpus", "nodes", "TP", "PP", "gpu",
	       "dtype", "per GPU", "of", "tok/s");
	if (w->train)
		printf("  offload\n");
	else
		printf(" %7s %6s%s\n", "concur", "batch", c->prices.n ? "      $/h   $/Mtok" : "");
	for (size_t i = 0; i < c->nrows; i++) {
		const struct row *rw = &c->rows[i];
		const struct gpu_kind *k = &c->gpus[rw->gi];
		if (!shown_row(c, i))
			continue;
		row_dtype(c, rw, dt, sizeof(dt));
		if (!rw->applies || !rw->L.fits) {
			printf(" %5s %5s %3s %3s  %-14s %-9s  %s\n", "-", "-", "-", "-", k->key, dt,
			       rw->why);
			continue;
		}
		printf(" %5u %5u %3u %3u  %-14s %-9s %6.2f GiB %6.1f GiB", rw->L.gpus, rw->L.nodes,
		       rw->L.tp, rw->L.pp, k->key, dt, (double)rw->L.need / GIB,
		       (double)k->g.total / GIB);
		if (rw->L.tokens_per_s > 0)
			printf(" %8.1f", rw->L.tokens_per_s);
		else
			printf(" %8s", "?");
		if (w->train) {
			printf("  %s\n", offload_name(rw->L.offload));
			continue;
		}
		printf(" %7.1f %6llu", rw->L.concurrency, (unsigned long long)rw->L.max_batch);
		if (c->prices.n && k->price > 0) {
			double ph = k->price * rw->L.gpus;
			printf(" %8.2f %8.3f", ph,
			       vf_price_per_mtok(ph, rw->L.tokens_per_s * (double)w->batch));
		} else if (c->prices.n) {
			printf(" %8s %8s", "?", "?");
		}
		putchar('\n');
	}
	if (!w->train)
		printf(
		    "\n(concur: sequences of max-model-len the KV blocks hold, as vLLM prints it;"
		    " batch: whole ones, at most max_num_seqs%s)\n",
		    c->prices.n ? "; $/Mtok: price per hour / (batch x tok/s x 3600) x 1e6" : "");
	/* the engine settings of the best row (of each GPU named with --gpu) */
	for (size_t i = 0; i < c->nrows; i++) {
		const struct row *rw = &c->rows[i];
		bool shown = false;
		if (!rw->applies || !rw->L.fits)
			continue;
		for (size_t j = 0; j < i; j++)
			shown = shown || (c->rows[j].gi == rw->gi && c->rows[j].applies &&
					  c->rows[j].L.fits);
		if (shown)
			continue;
		row_dtype(c, rw, dt, sizeof(dt));
		printf("\n%s, %s, %u GPU%s:\n", c->gpus[rw->gi].key, dt, rw->L.gpus,
		       rw->L.gpus == 1 ? "" : "s");
		if (w->train) {
			printf("  deepspeed zero_optimization: stage 3, offload_param %s, "
			       "offload_optimizer %s; train_micro_batch_size_per_gpu %llu\n",
			       rw->L.offload == VF_OFFLOAD_ALL ? "cpu" : "none",
			       rw->L.offload != VF_OFFLOAD_NONE ? "cpu" : "none",
			       (unsigned long long)w->batch);
			if (rw->L.host_per_node)
				printf("  host memory per node for offload: %s\n",
				       vf_fmt_bytes(rw->L.host_per_node, b1));
		} else {
			vllm_args(c, rw, args, sizeof(args));
			const char *note;
			const char *sn = serve_name(r->path, b2, sizeof(b2), &note);
			printf("  vllm serve %s %s\n", sn, args);
			if (note)
				printf("  (%s)\n", note);
			if (rw->d == D_INT8 && !c->moe)
				printf(
				    "  (vLLM has no in-flight int8: serve an int8 checkpoint)\n");
		}
		if (!c->nspecs || c->nspecs > 4)
			break; /* the whole catalogue: the best row only */
	}
	for (size_t i = 0; i < r->nwarn; i++)
		printf("%swarning: %s\n", i ? "" : "\n", r->warn[i]);
}

/* ---- options ---- */

static int parse_own(struct cap *c, int opt, const char *arg)
{
	struct vf_err err = {0};
	char *end;
	uint64_t v;

	switch (opt) {
	case C_JSON:
		c->json = true;
		return 0;
	case C_GPU:
		if (c->nspecs == MAX_GPUS)
			return vf_usage_error("capacity ", "at most %d --gpu options", MAX_GPUS);
		c->gpu_specs[c->nspecs++] = arg;
		return 0;
	case C_EFF:
		c->efficiency = strtod(arg, &end);
		if (end == arg || *end || !(c->efficiency > 0 && c->efficiency <= 1))
			return vf_usage_error("capacity ",
					      "--efficiency takes a number above 0 and at most 1, "
					      "not '%s'",
					      arg);
		return 0;
	case C_MARGIN:
		if (vf_size_parse(arg, &c->margin, &err))
			return vf_usage_error("capacity ", "--margin: %s", err.msg);
		return 0;
	case C_OFFLOAD:
		c->offload_set = true;
		if (strcmp(arg, "none") == 0)
			c->offload = VF_OFFLOAD_NONE;
		else if (strcmp(arg, "optimizer") == 0)
			c->offload = VF_OFFLOAD_OPTIMIZER;
		else if (strcmp(arg, "all") == 0)
			c->offload = VF_OFFLOAD_ALL;
		else
			return vf_usage_error(
			    "capacity ", "--offload takes none, optimizer or all, not '%s'", arg);
		return 0;
	case C_KEY:
		c->oo.key = arg;
		return 0;
	case C_TP:
	case C_PP:
		if (!vf_parse_tokens(arg, &v) || v < 1 || v > VF_CAP_MAX_GPUS)
			return vf_usage_error("capacity ", "%s takes a GPU count, not '%s'",
					      opt == C_TP ? "--tp" : "--pp", arg);
		*(opt == C_TP ? &c->tp : &c->pp) = (unsigned)v;
		return 0;
	case C_UTIL:
		c->vcfg.util = strtod(arg, &end);
		if (end == arg || *end || !(c->vcfg.util > 0 && c->vcfg.util <= 1))
			return vf_usage_error(
			    "capacity ",
			    "--gpu-memory-utilization takes a number above 0 and at "
			    "most 1, not '%s'",
			    arg);
		return 0;
	case C_MML:
	case C_SEQS:
	case C_MBT:
		if (!vf_parse_tokens(arg, &v) || v < 1 || v > (UINT64_C(1) << 32))
			return vf_usage_error("capacity ", "%s takes a count (8k, 128k), not '%s'",
					      opt == C_MML    ? "--max-model-len"
					      : opt == C_SEQS ? "--max-num-seqs"
							      : "--max-num-batched-tokens",
					      arg);
		*(opt == C_MML	  ? &c->vcfg.max_model_len
		  : opt == C_SEQS ? &c->vcfg.max_num_seqs
				  : &c->vcfg.max_num_batched_tokens) = v;
		return 0;
	case C_KVC:
		if (strcmp(arg, "auto") == 0)
			return vf_wopts_parse(&c->wo, O_KV, "auto", "capacity ");
		if (strcmp(arg, "fp8") && strcmp(arg, "fp8_e4m3") && strcmp(arg, "fp8_e5m2"))
			return vf_usage_error(
			    "capacity ",
			    "--kv-cache-dtype takes auto, fp8, fp8_e4m3 or fp8_e5m2 "
			    "(vLLM's choices), not '%s'",
			    arg);
		c->kv_cache_dtype = arg;
		return vf_wopts_parse(&c->wo, O_KV, "fp8", "capacity ");
	case C_VERSION:
		if (strcmp(arg, VF_VLLM_PINNED) == 0 || strcmp(arg, "0.7") == 0 ||
		    strcmp(arg, "v0") == 0)
			c->vcfg.version = VF_VLLM_V0;
		else if (strcmp(arg, "current") == 0 || strcmp(arg, "v1") == 0)
			c->vcfg.version = VF_VLLM_V1;
		else
			return vf_usage_error("capacity ",
					      "--vllm takes 0.7 (V0 engine) or current (V1), not "
					      "'%s'",
					      arg);
		return 0;
	case C_EAGER:
		c->vcfg.enforce_eager = true;
		return 0;
	case C_ALL:
		c->all = true;
		return 0;
	case C_PRICE:
		if (vf_prices_add(&c->prices, arg, &err))
			return vf_usage_error("capacity ", "--price: %s", err.msg);
		return 0;
	case C_PRICE_FILE: {
		char *text = NULL;
		size_t len = 0;
		enum vf_status st = vf_file_slurp(arg, 1 << 20, &text, &len, &err);
		struct vf_prices mine = {0};
		if (st == VF_OK)
			st = vf_prices_parse(&mine, text, len, &err);
		vf_free(text);
		if (st)
			return vf_usage_error("capacity ", "--price-file %s: %s", arg, err.msg);
		/* the file first: --price given before or after it still wins */
		for (size_t i = 0; i < c->prices.n && mine.n < VF_PRICES_MAX; i++) {
			snprintf(mine.name[mine.n], VF_PRICE_NAME_MAX, "%s", c->prices.name[i]);
			mine.price[mine.n++] = c->prices.price[i];
		}
		c->prices = mine;
		return 0;
	}
	case O_ENGINE:
		c->engine_set = true;
		break;
	case O_DTYPE:
		c->user_dtype = arg;
		break;
	}
	return vf_wopts_parse(&c->wo, opt, arg, "capacity ");
}

static int finish(struct cap *c, int rc)
{
	vf_run_release(&c->r);
	vf_wopts_release(&c->wo);
	vf_free(c->gpus);
	vf_free(c->rows);
	return rc;
}

static int fail(struct cap *c, struct vf_err *err)
{
	if (!err->path[0] && err->status != VF_EUSAGE)
		snprintf(err->path, sizeof(err->path), "%s", c->r.path ? c->r.path : "");
	return finish(c, vf_report(err));
}

int cmd_capacity(int argc, char **argv)
{
	static struct option lopts[96];
	static const struct option own[] = {
	    {"json", no_argument, NULL, C_JSON},
	    {"gpu", required_argument, NULL, C_GPU},
	    {"efficiency", required_argument, NULL, C_EFF},
	    {"margin", required_argument, NULL, C_MARGIN},
	    {"offload", required_argument, NULL, C_OFFLOAD},
	    {"key", required_argument, NULL, C_KEY},
	    {"tp", required_argument, NULL, C_TP},
	    {"tensor-parallel-size", required_argument, NULL, C_TP},
	    {"pp", required_argument, NULL, C_PP},
	    {"pipeline-parallel-size", required_argument, NULL, C_PP},
	    {"gpu-memory-utilization", required_argument, NULL, C_UTIL},
	    {"max-model-len", required_argument, NULL, C_MML},
	    {"max-num-seqs", required_argument, NULL, C_SEQS},
	    {"max-num-batched-tokens", required_argument, NULL, C_MBT},
	    {"kv-cache-dtype", required_argument, NULL, C_KVC},
	    {"vllm", required_argument, NULL, C_VERSION},
	    {"enforce-eager", no_argument, NULL, C_EAGER},
	    {"all", no_argument, NULL, C_ALL},
	    {"price", required_argument, NULL, C_PRICE},
	    {"price-file", required_argument, NULL, C_PRICE_FILE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static struct cap c;
	struct vf_err err = {0};
	size_t n = 0;
	int opt, rc;

	for (size_t i = 0; own[i].name; i++)
		lopts[n++] = own[i];
	for (size_t i = 0; vf_workload_options[i].name; i++)
		lopts[n++] = vf_workload_options[i];
	memset(&lopts[n], 0, sizeof(lopts[n]));
	memset(&c, 0, sizeof(c));
	vf_wopts_init(&c.wo);
	c.r.o = &c.wo;
	c.efficiency = VF_CAP_EFFICIENCY;
	c.margin = UINT64_MAX;
	c.vcfg.graphs = UINT64_MAX;
	opterr = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+h", lopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage_head, stdout);
			fputs(vf_workload_help, stdout);
			fputs(usage_tail, stdout);
			return finish(&c, VF_EXIT_OK);
		}
		if (opt == '?')
			return finish(&c, vf_usage_error("capacity ",
							 optopt ? "option '%s' needs a value"
								: "unknown option '%s'",
							 argv[optind - 1]));
		if ((rc = parse_own(&c, opt, optarg)))
			return finish(&c, rc);
	}
	if (argc - optind != 1)
		return finish(&c, vf_usage_error("capacity ", "capacity takes exactly one PATH"));
	if (c.wo.w.zero_stage || c.wo.w.dp != 1)
		return finish(&c,
			      vf_usage_error("capacity ",
					     "capacity chooses --zero and --dp (ZeRO-3 over the "
					     "GPUs it counts)"));
	if (c.offload_set && !c.wo.w.train)
		return finish(
		    &c, vf_usage_error("capacity ", "--offload describes training (--train)"));
	if (!c.wo.w.train) {
		if (c.engine_set && c.wo.w.engine != VF_ENGINE_VLLM)
			return finish(&c, vf_usage_error("capacity ",
							 "capacity plans serving with vLLM: "
							 "--engine takes vllm here"));
		c.wo.w.engine = VF_ENGINE_VLLM;
	}
	if ((rc = gather_gpus(&c)))
		return finish(&c, rc);
	if (vf_run_load(&c.r, argv[optind], &c.oo, &err))
		return fail(&c, &err);
	choose_dtypes(&c);
	if (compute(&c, &err))
		return fail(&c, &err);
	if (c.json)
		rc = print_json(&c);
	else {
		print_human(&c);
		rc = VF_EXIT_OK;
	}
	return finish(&c, rc);
}
