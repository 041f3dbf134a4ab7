/*
 * open.c - what a PATH names, and which reader reads it.
 *
 * Like libarchive's bidding, each candidate format looks at the first bytes
 * (and the name) and the best match wins; no reader is ever handed a file that
 * another format claims.  A directory is searched in a fixed order: a
 * safetensors index, then *.safetensors files; a config.json beside the
 * checkpoint is read into the architecture description.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "common/file.h"
#include "common/mem.h"
#include "formats/model_build.h"

#define INDEX_NAME "model.safetensors.index.json"

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static bool is_file(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
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

static enum vf_status open_dir(struct vf_model *m, const char *dir, struct vf_err *err)
{
	char *index = vf_path_join(dir, INDEX_NAME);
	enum vf_status st;
	bool has_config;

	if (!index)
		return vf_fail(err, VF_ENOMEM, dir, "out of memory");
	if ((st = config_beside(m, dir, err)))
		goto out;
	has_config = m->arch.present;
	m->format = VF_FMT_SAFETENSORS;
	if (is_file(index)) {
		st = vf_safetensors_read_index(m, index, err);
	} else {
		bool found;
		st = vf_safetensors_read_dir(m, dir, &found, err);
		if (!st && !found) {
			/* A directory with only a config.json is planned from its config. */
			m->format = VF_FMT_NONE;
			if (!has_config)
				st = vf_fail(err, VF_EFORMAT, dir,
					     "no checkpoint (*.safetensors, " INDEX_NAME
					     ") or config.json");
		}
	}
out:
	vf_free(index);
	return st;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return vf_strdup(".");
	return slash == path ? vf_strdup("/") : vf_strndup(path, (size_t)(slash - path));
}

static enum vf_status open_file(struct vf_model *m, const char *path, struct vf_err *err)
{
	struct vf_file f;
	unsigned char head[9] = {0};
	size_t n;
	enum vf_status st;
	char *dir;

	if ((st = vf_file_open(&f, path, err)))
		return st;
	n = f.size < sizeof(head) ? (size_t)f.size : sizeof(head);
	st = vf_file_pread(&f, head, n, 0, err);
	vf_file_close(&f);
	if (st)
		return st;
	if (ends_with(path, ".json") ||
	    (n && (head[0] == '{' || head[0] == ' ' || head[0] == '\n'))) {
		if (ends_with(path, ".index.json")) {
			m->format = VF_FMT_SAFETENSORS;
			if (!(dir = dir_of(path)))
				return vf_fail(err, VF_ENOMEM, path, "out of memory");
			st = config_beside(m, dir, err);
			vf_free(dir);
			return st ? st : vf_safetensors_read_index(m, path, err);
		}
		m->format = VF_FMT_NONE;
		return vf_config_read(path, &m->arch, err);
	}
	/* safetensors: 8-byte header length, then '{' (or a too-short file, which its
	 * reader reports precisely). */
	if (ends_with(path, ".safetensors") || n < 9 || head[8] == '{') {
		m->format = VF_FMT_SAFETENSORS;
		if (!(dir = dir_of(path)))
			return vf_fail(err, VF_ENOMEM, path, "out of memory");
		st = config_beside(m, dir, err);
		vf_free(dir);
		return st ? st : vf_safetensors_read_file(m, path, err);
	}
	return vf_fail(err, VF_EFORMAT, path,
		       "not a recognised checkpoint (safetensors, its index, or config.json)");
}

enum vf_status vf_model_open(const char *path, struct vf_model **out, struct vf_err *err)
{
	struct stat sb;
	struct vf_model *m;
	enum vf_status st;

	*out = NULL;
	if (stat(path, &sb) != 0)
		return vf_fail(err, VF_EIO, path, "cannot open: %s", strerror(errno));
	if (!(m = vf_model_new(path)))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	st = S_ISDIR(sb.st_mode) ? open_dir(m, path, err) : open_file(m, path, err);
	if (st) {
		vf_model_free(m);
		return st;
	}
	*out = m;
	return VF_OK;
}
