/*
 * plan.c - the device_map plan shared by `vramfit plan` and `vramfit check`.
 *
 * Budgets (README, "How a plan is budgeted"):
 *   GPU  = free now - CUDA context of the loading process - margin - the
 *          transient peak of one block's activations (every GPU that runs
 *          blocks needs it); --max-memory caps it further.
 *   cpu  = available RAM (cgroup-aware) - 10% margin; --ram or --max-memory
 *          cpu= as given (warned about when above what is free).  With
 *          described GPUs (--gpu) the host is described too: --ram/cpu= as
 *          given, else this machine's installed RAM - 10%, never what is free
 *          now, so the same command gives the same map on a busy machine.
 *   disk = free space at --offload-folder - 1 GiB (with --gpu: the size of
 *          that file system, not its free space), or --max-memory disk=.
 * A layer carries its weights (stored bytes, after --dtype) plus the
 * non-persistent buffers its module allocates, and as workload its KV cache;
 * the head also carries the logits.  The solver (planner/plan_solve.c) keeps
 * the execution GPU's reserve for offloaded layers.  When no GPU can even hold
 * that reserve, the model is planned for the CPU alone: it runs, slowly.
 */
#include "cli/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/size.h"

#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

const struct option vf_plan_options[] = {
    {"json", no_argument, NULL, P_JSON},
    {"gpu", required_argument, NULL, P_GPU},
    {"max-memory", required_argument, NULL, P_MAX_MEMORY},
    {"offload-folder", required_argument, NULL, P_OFFLOAD},
    {"margin", required_argument, NULL, P_MARGIN},
    {"strategy", required_argument, NULL, P_STRATEGY},
    {"output", required_argument, NULL, P_OUT},
    {"no-disk", no_argument, NULL, P_NO_DISK},
    {"key", required_argument, NULL, P_KEY},
    {"ram", required_argument, NULL, P_RAM},
    {NULL, 0, NULL, 0},
};

const char vf_plan_help[] =
    "devices (default: this machine's GPUs, RAM and disk, measured now)\n"
    "  --gpu SPEC          plan for GPUs you describe instead (repeatable):\n"
    "                      h100:8, a100-40g, 24GiB, 8GiB,used=7.8GiB (see vramfit gpus --list)\n"
    "  --max-memory SPEC   accelerate's max_memory: 0=20GiB,1=20GiB,cpu=64GiB, or a JSON\n"
    "                      file {\"0\": \"20GiB\", \"cpu\": \"64GiB\"}; caps those devices\n"
    "  --ram SIZE          plan for a host with SIZE of RAM for CPU offload, not this\n"
    "                      machine's free RAM: the cpu budget, as given (with --gpu,\n"
    "                      the plan then depends on nothing measured here but disk)\n"
    "  --offload-folder D  where disk offload goes (./offload); its free space is the\n"
    "                      disk budget\n"
    "  --no-disk           never offload to disk\n"
    "  --margin SIZE       kept free on each GPU (2% of its memory, at least 256MiB)\n"
    "  --strategy S        balanced (even across GPUs, default) or sequential (GPU 0 first)\n"
    "  --key KEY           PyTorch training checkpoints: plan the sub-dict KEY\n";

int plan_parse_opt(struct plan_opts *po, struct plan *p, int c, const char *arg, const char *cmd)
{
	struct vf_err err = {0};

	switch (c) {
	case P_JSON:
		po->json = true;
		return 0;
	case P_GPU:
		if (po->ngpu_specs == sizeof(po->gpu_specs) / sizeof(po->gpu_specs[0]))
			return vf_usage_error(cmd, "at most 64 --gpu options");
		po->gpu_specs[po->ngpu_specs++] = arg;
		return 0;
	case P_MAX_MEMORY:
		po->max_memory = arg;
		return 0;
	case P_OFFLOAD:
		po->offload_folder = arg;
		return 0;
	case P_NO_DISK:
		po->no_disk = true;
		return 0;
	case P_KEY:
		po->open.key = arg;
		return 0;
	case P_RAM:
		if (vf_size_parse(arg, &po->ram, &err))
			return vf_usage_error(cmd, "--ram: %s", err.msg);
		po->ram_set = true;
		return 0;
	case P_OUT:
		po->out = arg;
		return 0;
	case P_MARGIN:
		if (vf_size_parse(arg, &po->margin, &err))
			return vf_usage_error(cmd, "--margin: %s", err.msg);
		po->margin_set = true;
		return 0;
	case P_STRATEGY:
		if (strcmp(arg, "balanced") == 0 || strcmp(arg, "auto") == 0)
			po->strategy = VF_STRATEGY_BALANCED;
		else if (strcmp(arg, "sequential") == 0)
			po->strategy = VF_STRATEGY_SEQUENTIAL;
		else
			return vf_usage_error(
			    cmd, "--strategy takes balanced or sequential, not '%s'", arg);
		return 0;
	}
	return vf_wopts_parse(&p->wo, c, arg, cmd);
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* ---- --max-memory ---- */

static enum vf_status add_cap(struct plan_cap *caps, size_t *n, const char *key, size_t klen,
			      const char *val, const char *src, struct vf_err *err)
{
	char k[16];
	uint64_t b;

	if (*n == PLAN_MAX_CAPS)
		return vf_fail(err, VF_EUSAGE, src, "--max-memory names more than 64 devices");
	if (!klen || klen >= sizeof(k))
		return vf_fail(err, VF_EUSAGE, src,
			       "--max-memory: a device name is missing or too long");
	memcpy(k, key, klen);
	k[klen] = '\0';
	for (size_t i = 0; i < klen; i++)
		if (!(k[i] >= '0' && k[i] <= '9') && strcmp(k, "cpu") && strcmp(k, "disk"))
			return vf_fail(err, VF_EUSAGE, src,
				       "--max-memory: device '%s' is not a GPU index, cpu or disk",
				       k);
	/* "00" and "0" are one GPU to accelerate (int keys) */
	if (k[0] >= '0' && k[0] <= '9')
		snprintf(k, sizeof(k), "%lu", strtoul(k, NULL, 10));
	for (size_t i = 0; i < *n; i++)
		if (strcmp(caps[i].key, k) == 0)
			return vf_fail(err, VF_EUSAGE, src, "--max-memory names device '%s' twice",
				       k);
	{
		struct vf_err e = {0};
		if (vf_size_parse(val, &b, &e))
			return vf_fail(err, VF_EUSAGE, "", "--max-memory %s: %s", k, e.msg);
	}
	snprintf(caps[*n].key, sizeof(caps[*n].key), "%s", k);
	caps[(*n)++].bytes = b;
	return VF_OK;
}

/* 0=20GiB,1=20GiB,cpu=64GiB: items split at every comma (an empty item is an
 * error, not skipped), a space after a comma allowed */
static enum vf_status parse_cap_list(const char *spec, struct plan_cap *caps, size_t *n,
				     struct vf_err *err)
{
	const char *item = spec;

	for (;;) {
		const char *end = strchr(item, ','), *eq;
		size_t len;
		while (*item == ' ')
			item++;
		len = end ? (size_t)(end - item) : strlen(item);
		while (len && item[len - 1] == ' ')
			len--;
		if (!len)
			return vf_fail(err, VF_EUSAGE, "", "--max-memory: an item is empty in '%s'",
				       spec);
		eq = memchr(item, '=', len);
		if (!eq)
			return vf_fail(err, VF_EUSAGE, "",
				       "--max-memory: '%.*s' is not DEVICE=SIZE", (int)len, item);
		{
			char val[64];
			size_t vlen = len - (size_t)(eq + 1 - item);
			if (vlen >= sizeof(val))
				return vf_fail(err, VF_EUSAGE, "",
					       "--max-memory: '%.*s' is too long", (int)len, item);
			memcpy(val, eq + 1, vlen);
			val[vlen] = '\0';
			if (add_cap(caps, n, item, (size_t)(eq - item), val, "", err))
				return err->status;
		}
		if (!end)
			return VF_OK;
		item = end + 1;
	}
}

static enum vf_status parse_caps(const char *spec, struct plan_cap *caps, size_t *n,
				 struct vf_err *err)
{
	char *text = NULL;
	size_t len;
	cJSON *root, *c;
	enum vf_status st = VF_OK;

	*n = 0;
	if (strchr(spec, '='))
		return parse_cap_list(spec, caps, n, err);
	/* a JSON file, as accelerate users keep max_memory */
	if ((st = vf_file_slurp(spec, 1u << 20, &text, &len, err)))
		return st;
	root = vf_json_parse(text, len, (1u << 20) + len * 16, spec, "max_memory", err);
	vf_free(text);
	if (!root)
		return err->status;
	if (!cJSON_IsObject(root))
		st = vf_fail(err, VF_EFORMAT, spec, "max_memory is not a JSON object");
	for (c = root->child; c && !st; c = c->next) {
		char num[32];
		const char *val = num;
		uint64_t v;
		if (cJSON_IsString(c))
			val = c->valuestring;
		else if (vf_json_uint(c, &v))
			snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
		else
			st = vf_fail(err, VF_EFORMAT, spec, "max_memory[\"%s\"] is not a size",
				     c->string);
		if (!st)
			st = add_cap(caps, n, c->string, strlen(c->string), val, spec, err);
	}
	vf_json_free(root);
	return st;
}

static const struct plan_cap *find_cap(const struct plan_cap *caps, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(caps[i].key, key) == 0)
			return &caps[i];
	return NULL;
}

/*
 * What can be refused before the model is read: --max-memory, an offload
 * folder that is not a folder, an output that must not be replaced.
 */
static enum vf_status check_options(struct plan *p, struct vf_err *err)
{
	struct plan_opts *po = p->po;
	struct stat sb;
	enum vf_status st;

	if (po->max_memory && (st = parse_caps(po->max_memory, p->caps, &p->ncaps, err)))
		return st;
	if (po->offload_folder && !po->no_disk && stat(po->offload_folder, &sb) == 0 &&
	    !S_ISDIR(sb.st_mode))
		return vf_fail(err, VF_EUSAGE, po->offload_folder,
			       S_ISREG(sb.st_mode) ? "--offload-folder names a file, not a folder"
						   : "--offload-folder is not a folder");
	if (po->out && (st = vf_file_check_target(po->out, err)))
		return st;
	return VF_OK;
}

/* ---- devices ---- */

/*
 * The cpu budget.  --ram (and cpu= beside described GPUs) describes a host:
 * the budget is that size, as given, whatever this machine holds.  Described
 * GPUs without either are planned on a host like this one at rest: its RAM
 * (the cgroup's limit in a container) less 10%, never what is free right now,
 * so the same command gives the same map whatever this machine is doing.
 * Measured GPUs use the RAM available now; a stated budget above it is kept
 * (accelerate does) and warned about.
 */
static void set_cpu(struct plan *p, struct plan_dev *d, const struct plan_cap *cap)
{
	const struct plan_opts *po = p->po;
	uint64_t stated = 0;
	bool have = po->ram_set || cap;
	char a[32], b[32];

	if (have)
		stated = po->ram_set && (!cap || po->ram < cap->bytes) ? po->ram : cap->bytes;
	if (have && (p->hypothetical || po->ram_set)) {
		d->capped = true;
		d->avail = stated;
		d->margin = 0;
		p->host_described = true;
	} else if (p->hypothetical) {
		uint64_t ram = p->host.ram_total;
		if (p->host.cgroup_limit != VF_GPU_UNKNOWN && p->host.cgroup_limit < ram)
			ram = p->host.cgroup_limit;
		d->avail = ram;
		d->margin = ram / 10;
	} else if (have) {
		d->capped = true;
		d->avail = stated;
		d->margin = 0;
	} else {
		d->avail = p->host.ram_available;
		d->margin = p->host.ram_available / 10;
	}
	if (!p->hypothetical && have && stated > p->host.ram_available)
		vf_run_warn(&p->run,
			    "the cpu budget (%s, %s) is more than the %s of RAM available here "
			    "now: loading may swap or be killed",
			    vf_fmt_bytes(stated, a),
			    po->ram_set && stated == po->ram ? "--ram" : "--max-memory cpu=",
			    vf_fmt_bytes(p->host.ram_available, b));
}

static enum vf_status gather_devices(struct plan *p, struct vf_err *err)
{
	struct plan_opts *po = p->po;
	const struct plan_cap *caps = p->caps, *cap;
	size_t ncaps = p->ncaps, nd = 0;
	const char *folder = po->offload_folder ? po->offload_folder : "offload";
	enum vf_status st;

	if (po->ngpu_specs) {
		p->hypothetical = true;
		for (size_t i = 0; i < po->ngpu_specs; i++)
			if ((st = vf_devices_add_spec(&p->probe.devs, po->gpu_specs[i], err)))
				return st;
	} else {
		if ((st = vf_gpu_probe(&p->probe, err)))
			return st;
		/* --max-memory may describe GPUs this machine does not have: plan
		 * for them as described, like accelerate does with any max_memory */
		if (!p->probe.devs.n)
			for (size_t i = 0; i < ncaps; i++) {
				struct vf_device *v, *g;
				if (caps[i].key[0] < '0' || caps[i].key[0] > '9')
					continue;
				v = vf_realloc(p->probe.devs.v, (p->probe.devs.n + 1) * sizeof(*v));
				if (!v)
					return vf_fail(err, VF_ENOMEM, "", "out of memory");
				p->probe.devs.v = v;
				g = &v[p->probe.devs.n++];
				memset(g, 0, sizeof(*g));
				g->index = (unsigned)strtoul(caps[i].key, NULL, 10);
				snprintf(g->name, sizeof(g->name), "max_memory %.15s", caps[i].key);
				g->source = g->total_src = g->free_src = VF_SRC_USER;
				g->total = g->free = caps[i].bytes;
				p->hypothetical = true;
			}
	}
	if ((st = vf_host_read(NULL, folder, &p->host, err)))
		return st;
	p->ngpu = p->probe.devs.n;
	p->pd = vf_calloc(p->ngpu + 2, sizeof(*p->pd));
	p->dev = vf_calloc(p->ngpu + 2, sizeof(*p->dev));
	if (!p->pd || !p->dev)
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	for (size_t i = 0; i < p->ngpu; i++) {
		struct plan_dev *d = &p->pd[nd];
		const struct vf_device *g = &p->probe.devs.v[i];
		snprintf(d->label, sizeof(d->label), "%u", g->index);
		d->gpu = g;
		d->avail = g->free;
		d->context = p->wo.w.context != VF_DEFAULT_CONTEXT
				 ? p->wo.w.context
				 : vf_gpu_context_overhead(g->cc_major);
		d->margin = po->margin_set
				? po->margin
				: (g->total / 50 > 256 * MIB ? g->total / 50 : 256 * MIB);
		if ((cap = find_cap(caps, ncaps, d->label))) {
			d->capped = true;
			/* a stated cap on a described GPU is the budget itself (as in
			 * accelerate); on a measured one it cannot exceed what is free */
			d->avail = cap->bytes;
			if (!p->hypothetical) {
				uint64_t measured = sub0(sub0(g->free, d->context), d->margin);
				d->avail = cap->bytes < measured ? cap->bytes : measured;
			}
			d->context = d->margin = 0;
		}
		p->dev[nd].kind = VF_PLACE_GPU;
		p->dev[nd].gpu = (int)g->index;
		nd++;
	}
	snprintf(p->pd[nd].label, sizeof(p->pd[nd].label), "cpu");
	set_cpu(p, &p->pd[nd], find_cap(caps, ncaps, "cpu"));
	p->dev[nd].kind = VF_PLACE_CPU;
	p->dev[nd].gpu = -1;
	nd++;
	if (!po->no_disk) {
		snprintf(p->pd[nd].label, sizeof(p->pd[nd].label), "disk");
		/* a described host's disk is this one's, empty: not what is free now */
		p->pd[nd].avail = !p->host.disk_known ? 0
				  : p->hypothetical   ? p->host.disk_total
						      : p->host.disk_free;
		p->pd[nd].margin = GIB;
		if ((cap = find_cap(caps, ncaps, "disk"))) {
			p->pd[nd].capped = true;
			/* like cpu=: as given for described devices, at most what is
			 * free on measured ones */
			p->pd[nd].avail = p->hypothetical || cap->bytes < p->pd[nd].avail
					      ? cap->bytes
					      : p->pd[nd].avail;
			p->pd[nd].margin = 0;
		}
		p->dev[nd].kind = VF_PLACE_DISK;
		p->dev[nd].gpu = -1;
		nd++;
	}
	for (size_t i = 0; i < ncaps; i++) {
		bool known = false;
		for (size_t k = 0; k < nd; k++)
			known = known || strcmp(p->pd[k].label, caps[i].key) == 0;
		if (!known)
			return vf_fail(err, VF_EUSAGE, "",
				       "--max-memory names device '%s', which is not here",
				       caps[i].key);
	}
	p->nd = nd;
	return VF_OK;
}

/* ---- items and solving ---- */

static bool is_head(const struct vf_layers *ly, size_t i)
{
	return ly->v[i].kind == VF_LAYER_HEAD;
}

static enum vf_status build_items(struct plan *p, struct vf_err *err)
{
	struct vf_run *r = &p->run;
	const struct vf_estimate *e = &r->est;
	const struct vf_workload *w = &p->wo.w;
	uint64_t total_w = 0, nblocks = 0;
	size_t head = r->ly.n ? r->ly.n - 1 : 0;

	vf_free(p->items);
	p->n = r->ly.n;
	if (!(p->items = vf_calloc(p->n ? p->n : 1, sizeof(*p->items))))
		return vf_fail(err, VF_ENOMEM, r->path, "out of memory");
	for (size_t i = 0; i < p->n; i++) {
		total_w += r->ly.v[i].bytes;
		nblocks += r->ly.v[i].kind == VF_LAYER_BLOCK;
		if (is_head(&r->ly, i))
			head = i;
	}
	for (size_t i = 0; i < p->n; i++) {
		struct vf_plan_item *it = &p->items[i];
		const struct vf_layer *l = &r->ly.v[i];
		it->name = l->name;
		it->weights = l->bytes + l->buffer_bytes;
		it->work = r->kv ? r->kv[i] : 0;
		it->tie = r->ly.tied_to ? r->ly.tied_to[i] : -1;
		it->device = -1;
		if (w->train) {
			/* gradients and optimizer states follow the weights they belong
			 * to; saved activations are spread over the blocks */
			if (total_w)
				it->work += (uint64_t)((double)(e->gradients + e->optimizer) *
						       ((double)l->bytes / (double)total_w));
			if (l->kind == VF_LAYER_BLOCK && nblocks)
				it->work += e->layer_activations / nblocks;
		}
	}
	/* the logits live where the head runs: beyond the block peak every GPU
	 * keeps, inference needs activations - layer_activations there */
	if (p->n)
		p->items[head].work +=
		    w->train ? e->logits : sub0(e->activations, e->layer_activations);
	return VF_OK;
}

static void set_budgets(struct plan *p, bool with_gpus)
{
	const struct vf_estimate *e = &p->run.est;
	uint64_t transient = p->wo.w.train ? 0 : e->layer_activations;

	for (size_t i = 0; i < p->nd; i++) {
		struct plan_dev *d = &p->pd[i];
		if (d->gpu) {
			d->transient = transient;
			p->dev[i].budget =
			    with_gpus
				? sub0(sub0(sub0(d->avail, d->context), d->margin), d->transient)
				: 0;
		} else {
			p->dev[i].budget = sub0(d->avail, d->margin);
		}
	}
}

enum vf_status plan_solve(struct plan *p, struct vf_err *err)
{
	struct vf_plan_opts so = {p->po->strategy, p->run.est.allocator};
	enum vf_status st;

	if ((st = vf_run_estimate(&p->run, err)) || (st = vf_run_layers(&p->run, err)) ||
	    (st = build_items(p, err)))
		return st;
	p->cpu_only = false;
	set_budgets(p, true);
	if ((st = vf_plan_solve(p->items, p->n, p->dev, p->nd, &so, &p->verdict, err)))
		return st;
	if (p->verdict == VF_VERDICT_NONE && p->ngpu) {
		/* No GPU can hold the execution reserve: what about the CPU alone? */
		struct vf_plan_device *rest = p->dev + p->ngpu;
		if ((st = vf_plan_solve(p->items, p->n, rest, p->nd - p->ngpu, &so, &p->verdict,
					err)))
			return st;
		if (p->verdict != VF_VERDICT_NONE) {
			p->cpu_only = true;
			p->verdict = VF_VERDICT_OFFLOAD;
			for (size_t i = 0; i < p->n; i++)
				p->items[i].device += (int)p->ngpu;
			for (size_t i = 0; i < p->ngpu; i++)
				p->dev[i].weights = p->dev[i].workload = p->dev[i].reserved = 0;
		} else {
			/* report the GPU attempt, which is the one the user asked about */
			set_budgets(p, true);
			st = vf_plan_solve(p->items, p->n, p->dev, p->nd, &so, &p->verdict, err);
		}
	}
	return st;
}

enum vf_status plan_run(struct plan *p, const char *path, struct vf_err *err)
{
	enum vf_status st;

	p->run.o = &p->wo;
	if ((st = check_options(p, err)) || (st = vf_run_load(&p->run, path, &p->po->open, err)))
		return st;
	p->gguf = p->run.m->format == VF_FMT_GGUF;
	if (!p->run.m->ntensors && (!p->run.have_s || p->run.s.approximate))
		return vf_fail(err, VF_EFORMAT, path, "cannot plan a device_map: %s",
			       p->run.have_s
				   ? "the architecture is not one vramfit models exactly, "
				     "so its module names would be guesses"
				   : "no tensors and no config.json");
	if ((st = gather_devices(p, err)))
		return st;
	return plan_solve(p, err);
}

void plan_release(struct plan *p)
{
	vf_run_release(&p->run);
	vf_wopts_release(&p->wo);
	vf_gpu_probe_release(&p->probe);
	vf_free(p->pd);
	vf_free(p->dev);
	vf_free(p->items);
}
