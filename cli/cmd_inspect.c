/*
 * cmd_inspect.c - `vramfit inspect PATH`: what a checkpoint holds, from its
 * headers only: format, files, tensors, parameters, bytes, a per-dtype table
 * and the layers in execution order.  The --json object's keys "format",
 * "tensors", "parameters", "bytes", "by_dtype" and "layers" are a stable
 * contract (README, "JSON output").
 */
#include <getopt.h>
#include <string.h>

#include "cli/cli.h"
#include "formats/formats.h"
#include "formats/hub.h"
#include "planner/planner.h"

static const char usage_text[] =
    "usage: vramfit inspect [--json] [--tensors] PATH\n"
    "\n"
    "Reads only the headers of a checkpoint and prints its format, files, tensor\n"
    "count, parameters and bytes, a per-dtype table, and the model grouped into\n"
    "layers in execution order (embedding, each block, final norm, head), with\n"
    "the largest layer.  A config.json beside the checkpoint is read too.\n"
    "Every header is checked strictly (JSON, UTF-8, dtypes, shapes against\n"
    "offsets, tensors tiling the file, index against shards); the first problem\n"
    "is reported as one line naming the file.  Shards are read on up to 8\n"
    "threads and reported in name order.\n"
    "\n"
    "PATH  a .safetensors file, a model.safetensors.index.json, a config.json,\n"
    "      or a directory holding any of them; an archive of such a directory\n"
    "      (.tar, .tar.gz, .zip, .nemo); or a Hugging Face id (ORG/NAME) in the\n"
    "      local HF cache, else on the hub (HF_ENDPOINT), headers only\n"
    "\n"
    "  --json      print one JSON object (stable keys: see README)\n"
    "  --tensors   also list every tensor (name, dtype, shape, bytes, file)\n"
    "  --revision REV  a Hugging Face id's branch, tag or commit (main)\n"
    "  --variant V     read model.V.safetensors (etc.), as from_pretrained(variant=V)\n"
    "  --refresh       ask the hub again, ignoring vramfit's header cache\n"
    "  --timeout S     give up reading the hub after S seconds (120)\n"
    "  -h, --help  show this help\n"
    "\n"
    "exit status: 0 read, 1 bad or unreadable input, 2 wrong usage\n";

struct dtype_sum {
	uint64_t tensors, params, bytes;
};

static void sum_dtypes(const struct vf_model *m, struct dtype_sum *s)
{
	memset(s, 0, VF_DT_COUNT * sizeof(*s));
	for (size_t i = 0; i < m->ntensors; i++) {
		const struct vf_tensor *t = &m->tensors[i];
		s[t->dtype].tensors++;
		s[t->dtype].params += t->count_params;
		s[t->dtype].bytes += t->count_bytes;
	}
}

static cJSON *int_or_null(int64_t v)
{
	return v == VF_UNSET ? cJSON_CreateNull() : cJSON_CreateNumber((double)v);
}

static cJSON *str_or_null(const char *s)
{
	return s[0] ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *arch_json(const struct vf_arch *a)
{
	cJSON *o = cJSON_CreateObject();

	if (!a->present) {
		cJSON_Delete(o);
		return cJSON_CreateNull();
	}
	cJSON_AddItemToObject(o, "model_type", str_or_null(a->model_type));
	cJSON_AddItemToObject(o, "architecture", str_or_null(a->architecture));
	cJSON_AddItemToObject(o, "torch_dtype", str_or_null(a->torch_dtype));
	cJSON_AddItemToObject(o, "num_layers", int_or_null(a->num_layers));
	cJSON_AddItemToObject(o, "hidden_size", int_or_null(a->hidden));
	cJSON_AddItemToObject(o, "num_heads", int_or_null(a->heads));
	cJSON_AddItemToObject(o, "num_kv_heads", int_or_null(a->kv_heads));
	cJSON_AddItemToObject(o, "head_dim", int_or_null(a->head_dim));
	cJSON_AddItemToObject(o, "intermediate_size", int_or_null(a->intermediate));
	cJSON_AddItemToObject(o, "vocab_size", int_or_null(a->vocab));
	cJSON_AddItemToObject(o, "max_position_embeddings",
			      int_or_null(a->max_position_embeddings));
	cJSON_AddItemToObject(o, "tie_word_embeddings",
			      a->tie_word_embeddings == VF_UNSET
				  ? cJSON_CreateNull()
				  : cJSON_CreateBool(a->tie_word_embeddings));
	cJSON_AddItemToObject(o, "num_experts", int_or_null(a->num_experts));
	cJSON_AddItemToObject(o, "experts_per_token", int_or_null(a->experts_per_tok));
	cJSON_AddItemToObject(o, "moe_intermediate_size", int_or_null(a->moe_intermediate));
	cJSON_AddItemToObject(o, "kv_lora_rank", int_or_null(a->kv_lora_rank));
	cJSON_AddItemToObject(o, "sliding_window", int_or_null(a->sliding_window));
	cJSON_AddItemToObject(o, "quant_method", str_or_null(a->quant_method));
	cJSON_AddItemToObject(o, "quant_bits", int_or_null(a->quant_bits));
	if (a->text_model_type[0])
		cJSON_AddStringToObject(o, "text_model_type", a->text_model_type);
	return o;
}

static cJSON *tensor_json(const struct vf_model *m, const struct vf_tensor *t)
{
	cJSON *o = cJSON_CreateObject(), *shape = cJSON_CreateArray();

	for (uint32_t d = 0; d < t->ndim; d++)
		cJSON_AddItemToArray(shape, vf_json_num(t->shape[d]));
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddStringToObject(o, "dtype", vf_dtype_name(t->dtype));
	cJSON_AddItemToObject(o, "shape", shape);
	cJSON_AddItemToObject(o, "parameters", vf_json_num(t->numel));
	cJSON_AddItemToObject(o, "bytes", vf_json_num(t->nbytes));
	cJSON_AddStringToObject(o, "file", m->files[t->file]);
	cJSON_AddItemToObject(o, "offset", vf_json_num(t->offset));
	return o;
}

static int print_json(const struct vf_model *m, const struct vf_layers *ly, bool tensors)
{
	cJSON *doc = cJSON_CreateObject(), *files = cJSON_CreateArray();
	cJSON *bd = cJSON_CreateObject(), *layers = cJSON_CreateArray();
	cJSON *meta = cJSON_CreateObject(), *warn = cJSON_CreateArray();
	struct dtype_sum s[VF_DT_COUNT];
	uint64_t params = 0, bytes = 0;

	sum_dtypes(m, s);
	vf_model_totals(m, &params, &bytes);
	cJSON_AddStringToObject(doc, "path", m->path);
	cJSON_AddStringToObject(doc, "format", vf_format_name(m->format));
	for (uint32_t i = 0; i < m->nfiles; i++)
		cJSON_AddItemToArray(files, cJSON_CreateString(m->files[i]));
	cJSON_AddItemToObject(doc, "files", files);
	cJSON_AddItemToObject(doc, "tensors", vf_json_num(m->ntensors));
	cJSON_AddItemToObject(doc, "parameters", vf_json_num(params));
	cJSON_AddItemToObject(doc, "bytes", vf_json_num(bytes));
	for (int d = 0; d < VF_DT_COUNT; d++) {
		cJSON *o;
		if (!s[d].tensors)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "tensors", vf_json_num(s[d].tensors));
		cJSON_AddItemToObject(o, "parameters", vf_json_num(s[d].params));
		cJSON_AddItemToObject(o, "bytes", vf_json_num(s[d].bytes));
		cJSON_AddItemToObject(bd, vf_dtype_name((enum vf_dtype)d), o);
	}
	cJSON_AddItemToObject(doc, "by_dtype", bd);
	for (size_t i = 0; i < ly->n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", ly->v[i].name);
		cJSON_AddStringToObject(o, "kind", vf_layer_kind_name(ly->v[i].kind));
		cJSON_AddItemToObject(o, "tensors", vf_json_num(ly->v[i].ntensors));
		cJSON_AddItemToObject(o, "parameters", vf_json_num(ly->v[i].params));
		cJSON_AddItemToObject(o, "bytes", vf_json_num(ly->v[i].bytes));
		cJSON_AddItemToArray(layers, o);
	}
	cJSON_AddItemToObject(doc, "layers", layers);
	cJSON_AddItemToObject(doc, "largest_layer",
			      ly->n ? cJSON_CreateString(ly->v[ly->largest].name)
				    : cJSON_CreateNull());
	for (size_t i = 0; i < m->nmeta; i++)
		cJSON_AddStringToObject(meta, m->meta_keys[i], m->meta_vals[i]);
	cJSON_AddItemToObject(doc, "metadata", meta);
	cJSON_AddItemToObject(doc, "architecture", arch_json(&m->arch));
	if (m->adapter_note) {
		cJSON *ad = cJSON_AddObjectToObject(doc, "adapter");
		cJSON_AddStringToObject(ad, "base_model", m->adapter_base);
		cJSON_AddStringToObject(ad, "note", m->adapter_note);
	} else {
		cJSON_AddNullToObject(doc, "adapter");
	}
	cJSON_AddItemToObject(doc, "optimizer_bytes", vf_json_num(m->optimizer_bytes));
	for (size_t i = 0; i < m->nwarnings; i++)
		cJSON_AddItemToArray(warn, cJSON_CreateString(m->warnings[i]));
	cJSON_AddItemToObject(doc, "warnings", warn);
	if (tensors) {
		cJSON *tl = cJSON_CreateArray();
		for (size_t i = 0; i < m->ntensors; i++)
			cJSON_AddItemToArray(tl, tensor_json(m, &m->tensors[i]));
		cJSON_AddItemToObject(doc, "tensor_list", tl);
	}
	return vf_print_json(doc);
}

static void print_arch(const struct vf_arch *a)
{
	if (!a->present)
		return;
	printf("\narchitecture  %s%s%s%s\n", a->model_type[0] ? vf_vis(a->model_type) : "?",
	       a->architecture[0] ? " (" : "", vf_vis(a->architecture),
	       a->architecture[0] ? ")" : "");
	if (a->num_layers != VF_UNSET)
		printf("  layers %lld", (long long)a->num_layers);
	if (a->hidden != VF_UNSET)
		printf(", hidden %lld", (long long)a->hidden);
	if (a->heads != VF_UNSET)
		printf(", heads %lld (kv %lld, head_dim %lld)", (long long)a->heads,
		       (long long)a->kv_heads, (long long)a->head_dim);
	if (a->intermediate != VF_UNSET)
		printf(", intermediate %lld", (long long)a->intermediate);
	if (a->vocab != VF_UNSET)
		printf(", vocab %lld", (long long)a->vocab);
	if (a->num_experts != VF_UNSET)
		printf(", experts %lld (top %lld)", (long long)a->num_experts,
		       (long long)a->experts_per_tok);
	if (a->torch_dtype[0])
		printf(", %s", vf_vis(a->torch_dtype));
	if (a->quant_method[0])
		printf(", quantized: %s", vf_vis(a->quant_method));
	putchar('\n');
}

static void print_human(const struct vf_model *m, const struct vf_layers *ly, bool tensors)
{
	struct dtype_sum s[VF_DT_COUNT];
	uint64_t params = 0, bytes = 0;
	char a[32], b[32], c[32];

	sum_dtypes(m, s);
	vf_model_totals(m, &params, &bytes);
	printf("path          %s\n", vf_vis(m->path));
	printf("format        %s (%u file%s)\n", vf_format_name(m->format), m->nfiles,
	       m->nfiles == 1 ? "" : "s");
	printf("tensors       %s\n", vf_fmt_count(m->ntensors, a));
	printf("parameters    %s\n", vf_fmt_count(params, a));
	printf("bytes         %s (%s)\n", vf_fmt_count(bytes, a), vf_fmt_bytes(bytes, b));
	if (m->ntensors) {
		printf("\n  %-12s %8s %18s %12s\n", "dtype", "tensors", "parameters", "bytes");
		for (int d = 0; d < VF_DT_COUNT; d++)
			if (s[d].tensors)
				printf("  %-12s %8llu %18s %12s\n", vf_dtype_name((enum vf_dtype)d),
				       (unsigned long long)s[d].tensors,
				       vf_fmt_count(s[d].params, a), vf_fmt_bytes(s[d].bytes, b));
	}
	print_arch(&m->arch);
	if (ly->n) {
		printf("\nlayers        %zu in execution order; largest %s (%s)\n", ly->n,
		       vf_vis(ly->v[ly->largest].name), vf_fmt_bytes(ly->v[ly->largest].bytes, a));
		printf("  %5s  %-40s %-9s %7s %18s %12s\n", "#", "layer", "kind", "tensors",
		       "parameters", "bytes");
		for (size_t i = 0; i < ly->n; i++)
			printf("  %5zu  %-40s %-9s %7zu %18s %12s\n", i, vf_vis(ly->v[i].name),
			       vf_layer_kind_name(ly->v[i].kind), ly->v[i].ntensors,
			       vf_fmt_count(ly->v[i].params, a), vf_fmt_bytes(ly->v[i].bytes, b));
	}
	if (tensors && m->ntensors) {
		printf("\ntensors\n");
		for (size_t i = 0; i < m->ntensors; i++) {
			const struct vf_tensor *t = &m->tensors[i];
			printf("  %-56s %-8s [", vf_vis(t->name), vf_dtype_name(t->dtype));
			for (uint32_t d = 0; d < t->ndim; d++)
				printf("%s%llu", d ? ", " : "", (unsigned long long)t->shape[d]);
			printf("] %s\n", vf_fmt_bytes(t->nbytes, c));
		}
	}
	for (size_t i = 0; i < m->nwarnings; i++)
		printf("\nwarning: %s\n", vf_vis(m->warnings[i]));
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"tensors", no_argument, NULL, 't'},
	    {"key", required_argument, NULL, 'k'},
	    {"revision", required_argument, NULL, 'r'},
	    {"variant", required_argument, NULL, 'V'},
	    {"refresh", no_argument, NULL, 'F'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false, tensors = false;
	struct vf_open_opts oo = {0};
	struct vf_err err = {0};
	struct vf_model *m = NULL;
	struct vf_layers ly = {0};
	int c, rc;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 't':
			tensors = true;
			break;
		case 'k':
			oo.key = optarg;
			break;
		case 'r':
			oo.revision = optarg;
			break;
		case 'V':
			oo.variant = optarg;
			break;
		case 'F':
		case 'T':
			if (vf_hub_option(c == 'F' ? "refresh" : "timeout", optarg))
				return vf_usage_error(
				    "inspect ", "--timeout takes seconds (0.1 to 86400), not '%s'",
				    optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return VF_EXIT_OK;
		default:
			if (optopt == 'k' || optopt == 'r' || optopt == 'V' || optopt == 'T')
				return vf_usage_error("inspect ", "--%s needs a value",
						      optopt == 'k'   ? "key"
						      : optopt == 'r' ? "revision"
						      : optopt == 'T' ? "timeout"
								      : "variant");
			return vf_usage_error("inspect ", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return vf_usage_error("inspect ", "inspect takes exactly one PATH");
	if (vf_model_open_opts(argv[optind], &oo, &m, &err) ||
	    vf_layers_group(m, m->ordered, &ly, &err)) {
		vf_model_free(m);
		return vf_report(&err);
	}
	if (json)
		rc = print_json(m, &ly, tensors);
	else {
		print_human(m, &ly, tensors);
		rc = VF_EXIT_OK;
	}
	vf_layers_release(&ly);
	vf_model_free(m);
	return rc;
}
