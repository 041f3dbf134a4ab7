/*
 * open.c - what a PATH names, and which reader reads it.
 *
 * A file is what its first bytes prove it is (formats/detect.c), its name
 * deciding only when nothing is proven.  A folder is read as from_pretrained
 * reads it (formats/folder.c), a PEFT adapter folder as an adapter
 * (formats/adapter.c).  A config.json beside the checkpoint fills the
 * architecture description.
 *
 * Before any of this, formats/source.c says where PATH's files are: the
 * path itself, a Hugging Face cache snapshot, or a folder inside an archive
 * mounted for the length of the open.  That is why files are stat'ed and
 * folders listed through common/file.h (vf_path_stat, vf_dir_*), which see
 * mounted archives, and not with stat(2) and opendir(3).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/file.h"
#include "common/mem.h"
#include "formats/adapter.h"
#include "formats/detect.h"
#include "formats/folder.h"
#include "formats/model_build.h"

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return vf_strdup(".");
	return slash == path ? vf_strdup("/") : vf_strndup(path, (size_t)(slash - path));
}

/* Reads DIR/config.json into the model when it exists. */
static enum vf_status config_beside(struct vf_model *m, const char *dir, struct vf_err *err)
{
	char *p = vf_path_join(dir, "config.json");
	enum vf_status st = VF_OK;

	if (!p)
		return vf_fail(err, VF_ENOMEM, dir, "out of memory");
	if (vf_folder_is_file(p))
		st = vf_config_read(p, &m->arch, err);
	else if (vf_folder_is_other(p))
		st = vf_fail(err, VF_EFORMAT, p, "not a regular file");
	vf_free(p);
	return st;
}

static enum vf_status read_kind(struct vf_model *m, const char *path, enum vf_kind k,
				const struct vf_open_opts *o, struct vf_err *err)
{
	switch (k) {
	case VF_KIND_SAFETENSORS:
		m->format = VF_FMT_SAFETENSORS;
		return vf_safetensors_read_file(m, path, err);
	case VF_KIND_ST_INDEX:
		m->format = VF_FMT_SAFETENSORS;
		return vf_safetensors_read_index(m, path, err);
	case VF_KIND_PT_INDEX:
		return vf_torch_read_index(m, path, o->key, err);
	case VF_KIND_TORCH_ZIP:
		m->format = VF_FMT_PYTORCH_ZIP;
		return vf_torch_zip_read_file(m, path, o->key, err);
	case VF_KIND_TORCH_LEGACY:
		m->format = VF_FMT_PYTORCH_LEGACY;
		return vf_torch_legacy_read_file(m, path, o->key, err);
	case VF_KIND_PICKLE_OLD:
		return vf_fail(
		    err, VF_EFORMAT, path,
		    "a PyTorch file saved with pickle protocol 0 or 1, which vramfit does "
		    "not read (re-save it with torch.save's default protocol)");
	case VF_KIND_GGUF:
		m->format = VF_FMT_GGUF;
		return vf_gguf_read_file(m, path, err);
	case VF_KIND_JSON:
		m->format = VF_FMT_NONE;
		return vf_config_read(path, &m->arch, err);
	case VF_KIND_UNKNOWN:
		break;
	}
	return vf_fail(err, VF_EFORMAT, path,
		       "not a recognised checkpoint (safetensors, PyTorch, GGUF, an index, or "
		       "config.json)");
}

/* optimizer.pt beside the model (a Trainer's checkpoint-N): its size is
 * what a resume loads on top of the model.  A file that does not read is
 * said so in a warning; it is not the model. */
static enum vf_status optimizer_beside(struct vf_model *m, const char *dir, struct vf_err *err)
{
	char *p = vf_path_join(dir, "optimizer.pt");
	struct vf_model *opt = NULL;
	struct vf_err e2 = {0};
	enum vf_kind k;
	enum vf_status st = VF_OK;

	if (!p)
		return vf_fail(err, VF_ENOMEM, dir, "out of memory");
	if (!vf_folder_is_file(p))
		goto out;
	if (!(opt = vf_model_new(p))) {
		st = vf_fail(err, VF_ENOMEM, dir, "out of memory");
		goto out;
	}
	if (vf_detect(p, &k, &e2) || k != VF_KIND_TORCH_ZIP ||
	    vf_torch_zip_read_file(opt, p, NULL, &e2)) {
		st = vf_model_warn(m, err, "optimizer.pt beside the model does not read: %s",
				   e2.status ? e2.msg : "not a PyTorch zip file");
		goto out;
	}
	for (size_t i = 0; i < opt->ntensors; i++)
		m->optimizer_bytes += opt->tensors[i].count_bytes;
	st = vf_model_warn(m, err,
			   "optimizer.pt: the optimizer state a resume loads, %zu tensors, %llu "
			   "bytes; not part of the model",
			   opt->ntensors, (unsigned long long)m->optimizer_bytes);
out:
	vf_model_free(opt);
	vf_free(p);
	return st;
}

static enum vf_status open_dir(struct vf_model *m, const char *dir, const struct vf_open_opts *o,
			       struct vf_err *err)
{
	struct vf_choice c;
	char *p = NULL;
	enum vf_status st;
	bool found;

	if ((st = config_beside(m, dir, err)))
		return st;
	if ((st = vf_folder_choose(dir, o->variant, &c, err)))
		return st;
	if (c.path) {
		st = read_kind(m, c.path, c.kind, o, err);
		vf_choice_free(&c);
		return st ? st : optimizer_beside(m, dir, err);
	}
	if ((st = vf_adapter_open(m, dir, o, err)) || m->adapter_note)
		return st;
	/* none of transformers' names: the files other tools write */
	m->format = VF_FMT_SAFETENSORS;
	if ((st = vf_safetensors_read_dir(m, dir, &found, err)) || found)
		return st;
	for (int pass = 0; pass < 2; pass++) {
		enum vf_kind k;
		if ((st = vf_folder_single(dir, pass, &p, err)))
			return st;
		if (!p)
			continue;
		if (!(st = vf_detect(p, &k, err)))
			st = read_kind(m, p, k, o, err);
		vf_free(p);
		return st;
	}
	/* A directory with only a config.json is planned from its config. */
	m->format = VF_FMT_NONE;
	if (!m->arch.present)
		st = vf_fail(err, VF_EFORMAT, dir,
			     "no checkpoint (safetensors, PyTorch, GGUF) or config.json");
	return st;
}

static enum vf_status open_file(struct vf_model *m, const char *path, const struct vf_open_opts *o,
				struct vf_err *err)
{
	enum vf_kind k;
	enum vf_status st;
	char *dir;

	if ((st = vf_detect(path, &k, err)))
		return st;
	if (k != VF_KIND_JSON && k != VF_KIND_UNKNOWN) {
		if (!(dir = dir_of(path)))
			return vf_fail(err, VF_ENOMEM, path, "out of memory");
		st = config_beside(m, dir, err);
		vf_free(dir);
		if (st)
			return st;
	}
	return read_kind(m, path, k, o, err);
}

enum vf_status vf_model_open_opts(const char *path, const struct vf_open_opts *opts,
				  struct vf_model **out, struct vf_err *err)
{
	static const struct vf_open_opts none = {0};
	struct vf_source src;
	struct stat sb;
	struct vf_model *m = NULL;
	const char *p;
	enum vf_status st;

	*out = NULL;
	if (!opts)
		opts = &none;
	/* an HF id or an archive becomes a folder (src.path) to open; m->path
	 * stays what the user named */
	if ((st = vf_source_open(&src, path, opts, err)))
		goto out;
	p = src.path;
	if (vf_path_stat(p, &sb) != 0) {
		st = vf_fail(err, VF_EIO, p, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (!(m = vf_model_new(path))) {
		st = vf_fail(err, VF_ENOMEM, path, "out of memory");
		goto out;
	}
	st = S_ISDIR(sb.st_mode) ? open_dir(m, p, opts, err) : open_file(m, p, opts, err);
out:
	vf_source_close(&src);
	if (st) {
		vf_model_free(m);
		return st;
	}
	*out = m;
	return VF_OK;
}

enum vf_status vf_model_open(const char *path, struct vf_model **out, struct vf_err *err)
{
	return vf_model_open_opts(path, NULL, out, err);
}
