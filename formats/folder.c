/*
 * folder.c - which files of a folder are the model, as from_pretrained
 * chooses them.
 *
 * transformers (modeling_utils.py, from_pretrained on a local folder) reads
 * the first of these that exists, with the variant inserted before the last
 * dot-part of the name (`--variant fp16`: model.fp16.safetensors):
 *
 *   1. model.safetensors
 *   2. model.safetensors.index.json      and the shards it names
 *   3. pytorch_model.bin
 *   4. pytorch_model.bin.index.json      and the shards it names
 *
 * Nothing else in such a folder is read as the model: Mistral's
 * consolidated.safetensors beside HF shards, a Trainer's optimizer.pt,
 * scheduler.pt, rng_state*.pth and training_args.bin.  The optimizer state
 * is reported (a warning with its size): it is what a resume from a
 * checkpoint-N folder loads on top of the model.
 *
 * A folder with none of those names is read as other tools write it: every
 * *.safetensors (shards without an index, consolidated.safetensors), else
 * one PyTorch file, else one GGUF file.  A PEFT adapter folder
 * (adapter_config.json beside adapter_model.*) is read as the adapter and
 * marked as one (vf_arch.adapter_base): it is not a model to plan.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "common/file.h"
#include "common/mem.h"
#include "formats/detect.h"
#include "formats/folder.h"

/* Side files a Trainer writes into checkpoint-N (and the output folder). */
static const char *const trainer_files[] = {"optimizer.pt", "optimizer.bin",	 "scheduler.pt",
					    "scaler.pt",    "training_args.bin", NULL};

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static bool is_trainer_file(const char *name)
{
	for (const char *const *t = trainer_files; *t; t++)
		if (strcmp(name, *t) == 0)
			return true;
	/* rng_state.pth, rng_state_0.pth, ... (one per process) */
	return strncmp(name, "rng_state", 9) == 0 && ends_with(name, ".pth");
}

bool vf_folder_is_file(const char *p)
{
	struct stat sb;

	return vf_path_stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

bool vf_folder_is_other(const char *p)
{
	struct stat sb;

	return vf_path_stat(p, &sb) == 0 && !S_ISREG(sb.st_mode);
}

/* NAME with VARIANT inserted before its last dot-part, as transformers'
 * _add_variant does ("model.safetensors", "fp16" -> "model.fp16.safetensors"). */
static char *with_variant(const char *name, const char *variant)
{
	const char *dot;
	size_t a, b;
	char *s;

	if (!variant || !*variant)
		return vf_strdup(name);
	dot = strrchr(name, '.');
	a = (size_t)(dot - name);
	b = strlen(variant);
	if (!(s = vf_malloc(strlen(name) + b + 2)))
		return NULL;
	memcpy(s, name, a);
	s[a] = '.';
	memcpy(s + a + 1, variant, b);
	strcpy(s + a + 1 + b, dot);
	return s;
}

/* DIR/NAME(+variant) when it exists, else NULL (*oom on failure); one that
 * is not a regular file (a FIFO named model.safetensors) is returned too, for
 * the reader to refuse: it is never taken as absent. */
static char *candidate(const char *dir, const char *name, const char *variant, bool *oom)
{
	char *v = with_variant(name, variant), *p = v ? vf_path_join(dir, v) : NULL;

	vf_free(v);
	if (!p) {
		*oom = true;
		return NULL;
	}
	if (vf_folder_is_file(p) || vf_folder_is_other(p))
		return p;
	vf_free(p);
	return NULL;
}

enum vf_status vf_folder_choose(const char *dir, const char *variant, struct vf_choice *c,
				struct vf_err *err)
{
	static const struct {
		const char *name;
		enum vf_kind kind;
	} order[] = {
	    {"model.safetensors", VF_KIND_SAFETENSORS},
	    {VF_ST_INDEX, VF_KIND_ST_INDEX},
	    {"pytorch_model.bin", VF_KIND_UNKNOWN}, /* zip or legacy: by its bytes */
	    {VF_PT_INDEX, VF_KIND_PT_INDEX},
	};
	bool oom = false;

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(c->path = candidate(dir, order[i].name, variant, &oom))) {
			if (oom)
				return vf_fail(err, VF_ENOMEM, dir, "out of memory");
			continue;
		}
		c->kind = order[i].kind;
		if (c->kind == VF_KIND_UNKNOWN)
			return vf_detect(c->path, &c->kind, err);
		return VF_OK;
	}
	if (variant && *variant)
		return vf_fail(
		    err, VF_EFORMAT, dir,
		    "no model.%s.safetensors, model.safetensors.index.%s.json, "
		    "pytorch_model.%s.bin or pytorch_model.bin.index.%s.json (--variant %s)",
		    variant, variant, variant, variant, variant);
	return VF_OK;
}

/* The first file (by name) in dir ending with one of the suffixes and not a
 * Trainer's side file, or NULL; *count says how many there are. */
static char *first_with_suffix(const char *dir, const char *const *sufs, size_t *count,
			       struct vf_err *err)
{
	struct vf_dir dh, *d = &dh;
	const char *name;
	char *best = NULL;

	*count = 0;
	if (vf_dir_open(d, dir) != 0) {
		vf_fail(err, VF_EIO, dir, "cannot open directory: %s", strerror(errno));
		return NULL;
	}
	while ((name = vf_dir_next(d)) != NULL) {
		if (name[0] == '.' || is_trainer_file(name))
			continue;
		for (const char *const *s = sufs; *s; s++) {
			if (!ends_with(name, *s))
				continue;
			(*count)++;
			if (!best || strcmp(name, best) < 0) {
				char *n = vf_strdup(name);
				if (!n) {
					vf_fail(err, VF_ENOMEM, dir, "out of memory");
					break;
				}
				vf_free(best);
				best = n;
			}
			break;
		}
	}
	vf_dir_close(d);
	return best;
}

enum vf_status vf_folder_single(const char *dir, int pass, char **path, struct vf_err *err)
{
	static const char *const torch_sufs[] = {".bin", ".pt", ".pth", NULL};
	static const char *const gguf_sufs[] = {".gguf", NULL};
	size_t count;
	char *name;

	*path = NULL;
	name = first_with_suffix(dir, pass ? gguf_sufs : torch_sufs, &count, err);
	if (err->status) {
		vf_free(name);
		return err->status;
	}
	if (!name)
		return VF_OK;
	if (count > 1) {
		vf_free(name);
		if (pass)
			return vf_fail(err, VF_EFORMAT, dir, "%zu GGUF files: name the one to read",
				       count);
		return vf_fail(err, VF_EFORMAT, dir,
			       "%zu PyTorch files, none named pytorch_model.bin and no %s: name "
			       "the one to read",
			       count, VF_PT_INDEX);
	}
	*path = vf_path_join(dir, name);
	vf_free(name);
	return *path ? VF_OK : vf_fail(err, VF_ENOMEM, dir, "out of memory");
}

void vf_choice_free(struct vf_choice *c)
{
	vf_free(c->path);
	c->path = NULL;
}
