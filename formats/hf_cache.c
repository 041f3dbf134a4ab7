/*
 * hf_cache.c - a Hugging Face model id resolved in the local HF cache (the
 * layout huggingface_hub writes):
 *   CACHE/models--ORG--NAME/refs/REV          the commit a branch or tag names
 *   CACHE/models--ORG--NAME/snapshots/COMMIT  files, as links into ../../blobs
 * CACHE is HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else HF_HOME/hub, else
 * XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub, in the order
 * huggingface_hub's constants.py reads them.  An id is looked up only when no
 * local path of that name exists (a local directory wins, as in
 * from_pretrained).  Links are followed by the operating system; a link whose
 * blob is missing (an interrupted download) is reported by name.  An id or
 * revision that is simply absent is "missing" (vf_hf_resolve2): source.c
 * then reads it from the hub (formats/hub.c) unless HF_HUB_OFFLINE is set.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/file.h"
#include "common/mem.h"
#include "formats/hub.h"
#include "formats/model_build.h"

#define REV_MAX 255
#define REF_MAX 256

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static bool is_dir(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Files a model is read from: what a broken link among them would break. */
static bool model_file(const char *name)
{
	static const char *const sufs[] = {".safetensors", ".json", ".bin", ".pt",
					   ".pth",	   ".gguf", ".ckpt"};

	for (size_t i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++)
		if (has_suffix(name, sufs[i]))
			return true;
	return false;
}

bool vf_hf_offline(void)
{
	static const char *const vars[] = {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"};

	/* huggingface_hub's _is_true: "1", "ON", "YES", "TRUE", any case */
	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(vars[i]);
		if (v && (strcmp(v, "1") == 0 || strcasecmp(v, "on") == 0 ||
			  strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0))
			return true;
	}
	return false;
}

bool vf_hf_is_repo_id(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t n = strlen(s);

	/* huggingface_hub's validate_repo_id: [\w.-]+/[\w.-]+, at most 96
	 * characters, no "--" or "..", parts not starting or ending in - or . */
	if (!slash || strchr(slash + 1, '/') || n > 96 || strstr(s, "--") || strstr(s, ".."))
		return false;
	for (const char *p = s; *p; p++) {
		bool edge = p == s || p == slash - 1 || p == slash + 1 || p[1] == '\0';
		if (p == slash)
			continue;
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return false;
		if (edge && (*p == '-' || *p == '.'))
			return false;
	}
	return slash != s && slash[1];
}

enum vf_status vf_hf_cache_dir(char **out, struct vf_err *err)
{
	const char *v, *home = getenv("HOME");

	*out = NULL;
	if ((v = getenv("HF_HUB_CACHE")) && *v)
		*out = vf_strdup(v);
	else if ((v = getenv("HUGGINGFACE_HUB_CACHE")) && *v)
		*out = vf_strdup(v);
	else if ((v = getenv("HF_HOME")) && *v)
		/* huggingface_hub expands a leading ~ in HF_HOME */
		*out = v[0] == '~' && v[1] == '/' && home ? vf_strjoin3(home, v + 1, "/hub")
							  : vf_path_join(v, "hub");
	else if ((v = getenv("XDG_CACHE_HOME")) && *v)
		*out = vf_path_join(v, "huggingface/hub");
	else if (home && *home)
		*out = vf_path_join(home, ".cache/huggingface/hub");
	else
		return vf_fail(err, VF_EIO, "",
			       "no Hugging Face cache: HOME, HF_HOME and HF_HUB_CACHE are unset");
	if (!*out)
		return vf_fail(err, VF_ENOMEM, "", "out of memory");
	return VF_OK;
}

static bool commit_hash(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
			return false;
	return n == 40;
}

/* A revision names refs/REV: a branch, a tag, or refs/pr/N; never a path out. */
static bool safe_revision(const char *r)
{
	size_t n = strlen(r);

	if (!n || n > REV_MAX || r[0] == '/' || r[n - 1] == '/' || strstr(r, "..") ||
	    strstr(r, "//"))
		return false;
	for (; *r; r++)
		if (!isalnum((unsigned char)*r) && !strchr("._-/+", *r))
			return false;
	return true;
}

/* A snapshot's files are links into blobs/; a missing blob means a download
 * stopped half way.  Say which file, before a reader says "cannot open". */
static enum vf_status check_links(const char *snap, const char *id, struct vf_err *err)
{
	struct vf_dir dh, *d = &dh;
	const char *name;
	enum vf_status st = VF_OK;

	if (vf_dir_open(d, snap) != 0)
		return vf_fail(err, VF_EIO, snap, "cannot open directory: %s", strerror(errno));
	while (!st && (name = vf_dir_next(d))) {
		struct stat lsb, sb;
		char *p;
		if (name[0] == '.' || !model_file(name))
			continue;
		if (!(p = vf_path_join(snap, name))) {
			st = vf_fail(err, VF_ENOMEM, snap, "out of memory");
			break;
		}
		if (lstat(p, &lsb) == 0 && S_ISLNK(lsb.st_mode) && stat(p, &sb) != 0)
			st = vf_fail(err, VF_EIO, p,
				     "links to a blob that is not in the cache (an interrupted "
				     "download?): run `huggingface-cli download %s`",
				     id);
		vf_free(p);
	}
	vf_dir_close(d);
	return st;
}

enum vf_status vf_hf_resolve(const char *id, const char *revision, char **snapshot,
			     struct vf_err *err)
{
	bool missing;

	return vf_hf_resolve2(id, revision, snapshot, &missing, err);
}

enum vf_status vf_hf_resolve2(const char *id, const char *revision, char **snapshot, bool *missing,
			      struct vf_err *err)
{
	const char *rev = revision ? revision : "main";
	char *cache = NULL, *repo = NULL, *dirname = NULL, *ref = NULL, *text = NULL;
	char *commit = NULL, *snap = NULL;
	size_t len;
	enum vf_status st;

	*snapshot = NULL;
	*missing = false;
	if (!vf_hf_is_repo_id(id))
		return vf_fail(err, VF_EUSAGE, id, "not a Hugging Face model id (ORG/NAME)");
	if (!safe_revision(rev))
		return vf_fail(err, VF_EUSAGE, id,
			       "--revision '%.80s' is not a branch, tag or commit name", rev);
	if ((st = vf_hf_cache_dir(&cache, err)))
		return st;
	/* models--ORG--NAME: huggingface_hub's repo_folder_name() */
	if (!(dirname = vf_strjoin3("models--", id, ""))) {
		st = vf_fail(err, VF_ENOMEM, id, "out of memory");
		goto out;
	}
	*strchr(dirname, '/') = '\0';
	{
		char *d2 = vf_strjoin3(dirname, "--", strchr(id, '/') + 1);
		vf_free(dirname);
		dirname = d2;
	}
	if (!dirname || !(repo = vf_path_join(cache, dirname))) {
		st = vf_fail(err, VF_ENOMEM, id, "out of memory");
		goto out;
	}
	if (!is_dir(repo)) {
		*missing = true;
		st = vf_fail(err, VF_EIO, id,
			     "no such file or directory, and not in the Hugging Face cache "
			     "(%s has no %s): run `huggingface-cli download %s`",
			     cache, dirname, id);
		goto out;
	}
	if (commit_hash(rev)) {
		commit = vf_strdup(rev);
	} else {
		struct vf_err e = {0};
		if (!(ref = vf_strjoin3(repo, "/refs/", rev))) {
			st = vf_fail(err, VF_ENOMEM, id, "out of memory");
			goto out;
		}
		if (vf_file_slurp(ref, REF_MAX, &text, &len, &e)) {
			struct stat sb;
			/* a refs file that is there but does not read (a FIFO, too
			 * big) is that file's problem, not a missing revision */
			if (e.status != VF_ENOMEM && vf_path_stat(ref, &sb) == 0) {
				*err = e;
				st = e.status;
				goto out;
			}
			*missing = e.status != VF_ENOMEM;
			st = e.status == VF_ENOMEM
				 ? vf_fail(err, VF_ENOMEM, id, "out of memory")
				 : vf_fail(err, VF_EIO, id,
					   "revision \"%s\" is not in the Hugging Face cache (no "
					   "refs/%s in %s): run `huggingface-cli download %s "
					   "--revision %s`",
					   rev, rev, repo, id, rev);
			goto out;
		}
		while (len && isspace((unsigned char)text[len - 1]))
			text[--len] = '\0';
		if (!commit_hash(text)) {
			st = vf_fail(err, VF_EFORMAT, ref, "does not hold a commit hash");
			goto out;
		}
		commit = vf_strdup(text);
	}
	if (!commit || !(snap = vf_strjoin3(repo, "/snapshots/", commit))) {
		st = vf_fail(err, VF_ENOMEM, id, "out of memory");
		goto out;
	}
	if (!is_dir(snap)) {
		*missing = true;
		st = vf_fail(err, VF_EIO, id,
			     "revision \"%s\" (commit %.12s) has no snapshot in %s: run "
			     "`huggingface-cli download %s --revision %s`",
			     rev, commit, repo, id, rev);
		goto out;
	}
	if ((st = check_links(snap, id, err)))
		goto out;
	*snapshot = snap;
	snap = NULL;
out:
	vf_free(snap);
	vf_free(commit);
	vf_free(text);
	vf_free(ref);
	vf_free(repo);
	vf_free(dirname);
	vf_free(cache);
	return st;
}
