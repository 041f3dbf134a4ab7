/*
 * open.c - what a PATH names, and which reader reads it.
 *
 * A file is recognised by its first bytes, as libarchive's bidders do: "GGUF"
 * is GGUF, "PK\3\4" a PyTorch zip, a pickle PROTO opcode (0x80) a legacy
 * PyTorch file, '{' a JSON index or config, and an 8-byte length followed by
 * '{' safetensors.  A directory is searched in the order transformers loads
 * from: safetensors index, *.safetensors, pytorch_model.bin.index.json,
 * PyTorch files, GGUF files.  A config.json beside the checkpoint fills the
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
#include "formats/model_build.h"

#define ST_INDEX "model.safetensors.index.json"
#define PT_INDEX "pytorch_model.bin.index.json"

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static bool is_file(const char *p)
{
	struct stat sb;

	return vf_path_stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

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
	if (is_file(p))
		st = vf_config_read(p, &m->arch, err);
	vf_free(p);
	return st;
}

enum kind {
	K_UNKNOWN,
	K_SAFETENSORS,
	K_ST_INDEX,
	K_PT_INDEX,
	K_JSON,
	K_TORCH_ZIP,
	K_TORCH_LEGACY,
	K_GGUF
};

static enum vf_status sniff(const char *path, enum kind *k, struct vf_err *err)
{
	struct vf_file f;
	unsigned char h[9] = {0};
	size_t n;
	enum vf_status st;

	*k = K_UNKNOWN;
	if ((st = vf_file_open(&f, path, err)))
		return st;
	n = f.size < sizeof(h) ? (size_t)f.size : sizeof(h);
	st = vf_file_pread(&f, h, n, 0, err);
	vf_file_close(&f);
	if (st)
		return st;
	if (n >= 4 && memcmp(h, "GGUF", 4) == 0)
		*k = K_GGUF;
	else if (n >= 4 && memcmp(h, "PK\3\4", 4) == 0)
		*k = K_TORCH_ZIP;
	else if (n >= 2 && h[0] == 0x80 && h[1] >= 2 && h[1] <= 5)
		*k = K_TORCH_LEGACY;
	else if (ends_with(path, ".json") || (n && (h[0] == '{' || h[0] == ' ' || h[0] == '\n')))
		*k = ends_with(path, PT_INDEX)	      ? K_PT_INDEX
		     : ends_with(path, ".index.json") ? K_ST_INDEX
						      : K_JSON;
	else if (ends_with(path, ".safetensors") || n < 9 || h[8] == '{')
		*k = K_SAFETENSORS;
	return VF_OK;
}

static enum vf_status read_kind(struct vf_model *m, const char *path, enum kind k,
				const struct vf_open_opts *o, struct vf_err *err)
{
	switch (k) {
	case K_SAFETENSORS:
		m->format = VF_FMT_SAFETENSORS;
		return vf_safetensors_read_file(m, path, err);
	case K_ST_INDEX:
		m->format = VF_FMT_SAFETENSORS;
		return vf_safetensors_read_index(m, path, err);
	case K_PT_INDEX:
		return vf_torch_read_index(m, path, o->key, err);
	case K_TORCH_ZIP:
		m->format = VF_FMT_PYTORCH_ZIP;
		return vf_torch_zip_read_file(m, path, o->key, err);
	case K_TORCH_LEGACY:
		m->format = VF_FMT_PYTORCH_LEGACY;
		return vf_torch_legacy_read_file(m, path, o->key, err);
	case K_GGUF:
		m->format = VF_FMT_GGUF;
		return vf_gguf_read_file(m, path, err);
	case K_JSON:
		m->format = VF_FMT_NONE;
		return vf_config_read(path, &m->arch, err);
	case K_UNKNOWN:
		break;
	}
	return vf_fail(err, VF_EFORMAT, path,
		       "not a recognised checkpoint (safetensors, PyTorch, GGUF, an index, or "
		       "config.json)");
}

/* The first file (by name) in dir ending with one of the suffixes, or NULL. */
static char *first_with_suffix(const char *dir, const char *const *sufs, struct vf_err *err,
			       size_t *count)
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
		if (name[0] == '.')
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

static enum vf_status open_dir(struct vf_model *m, const char *dir, const struct vf_open_opts *o,
			       struct vf_err *err)
{
	static const char *const torch_sufs[] = {".bin", ".pt", ".pth", NULL};
	static const char *const gguf_sufs[] = {".gguf", NULL};
	char *p = NULL, *name = NULL;
	enum vf_status st;
	bool found;
	size_t count;

	if ((st = config_beside(m, dir, err)))
		return st;
	if (!(p = vf_path_join(dir, ST_INDEX)))
		return vf_fail(err, VF_ENOMEM, dir, "out of memory");
	if (is_file(p)) {
		m->format = VF_FMT_SAFETENSORS;
		st = vf_safetensors_read_index(m, p, err);
		goto out;
	}
	m->format = VF_FMT_SAFETENSORS;
	if ((st = vf_safetensors_read_dir(m, dir, &found, err)) || found)
		goto out;
	vf_free(p);
	if (!(p = vf_path_join(dir, PT_INDEX))) {
		st = vf_fail(err, VF_ENOMEM, dir, "out of memory");
		goto out;
	}
	if (is_file(p)) {
		st = read_kind(m, p, K_PT_INDEX, o, err);
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		enum kind k;
		name = first_with_suffix(dir, pass ? gguf_sufs : torch_sufs, err, &count);
		if (err->status) {
			st = err->status;
			goto out;
		}
		if (!name)
			continue;
		if (count > 1) {
			st = vf_fail(err, VF_EFORMAT, dir,
				     "%zu %s files and no index: name one file, or add %s", count,
				     pass ? "GGUF" : "PyTorch", pass ? "only one" : PT_INDEX);
			goto out;
		}
		vf_free(p);
		if (!(p = vf_path_join(dir, name))) {
			st = vf_fail(err, VF_ENOMEM, dir, "out of memory");
			goto out;
		}
		if (!(st = sniff(p, &k, err)))
			st = read_kind(m, p, k, o, err);
		goto out;
	}
	/* A directory with only a config.json is planned from its config. */
	m->format = VF_FMT_NONE;
	if (!m->arch.present)
		st = vf_fail(err, VF_EFORMAT, dir,
			     "no checkpoint (safetensors, PyTorch, GGUF) or config.json");
out:
	vf_free(name);
	vf_free(p);
	return st;
}

static enum vf_status open_file(struct vf_model *m, const char *path, const struct vf_open_opts *o,
				struct vf_err *err)
{
	enum kind k;
	enum vf_status st;
	char *dir;

	if ((st = sniff(path, &k, err)))
		return st;
	if (k != K_JSON && k != K_UNKNOWN) {
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
