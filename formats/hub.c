/*
 * hub.c - a model on the Hugging Face Hub, read by id, headers only.
 *
 * The repo becomes a mount (common/file.h) at the path ID, so the readers,
 * which open files by path and read only headers, read it unchanged.  Its
 * files are sparse: the byte ranges fetched are present, and a read of
 * anything else fetches it on demand (a read-ahead that doubles, within
 * VF_HUB_FILE_BUDGET bytes per file: a reader that asks for tensor data gets
 * a one-line error, not a download).
 *
 * What is fetched, and when (each step one parallel run, hub_http.c):
 *   1. GET {endpoint}/api/models/{id}/revision/{rev}?blobs=true: the commit
 *      (sha) and the file list (siblings, with sizes).
 *   2. Whole: config.json, adapter_config.json and the indexes
 *      (model.safetensors.index.json, pytorch_model.bin.index.json, with the
 *      variant); at the same time the header of model.safetensors or
 *      pytorch_model.bin when the repo has one.
 *   3. The shards the index names, or, without one, the files folder.c would
 *      read (every *.safetensors, else the one PyTorch or GGUF file).  Files
 *      are fetched from {endpoint}/{id}/resolve/{sha}/{file}: the commit, so
 *      every file comes from the same snapshot.
 * Per format: a safetensors file by one range from 0 (its size guessed from
 * the index's tensor names, else VF_HUB_ST_GUESS), then the rest of the
 * header if the 8-byte length says there is more; a GGUF file by a first
 * VF_HUB_GGUF_FIRST bytes, then on demand while the reader walks its
 * metadata and tensor infos; a PyTorch zip by its tail (end of central
 * directory), the central directory if the tail did not hold it, then each
 * entry that is not a tensor's data (data.pkl, byteorder, version, ...),
 * neighbouring ranges merged.  The zip reader (libarchive) also visits each
 * tensor entry's local header: those are written from the central
 * directory (name, flags, method; CRC and sizes 0, which libarchive takes
 * from the central directory), and the file is handed over as a sparse
 * memfd, since the zip reader reads by file descriptor.  A legacy (non-zip)
 * PyTorch file is read on demand.
 *
 * Everything fetched is saved in the header cache (hub_cache.c) when the
 * model is closed; the next run finds the file list and every header there
 * and touches no network.  --refresh ignores it (and rewrites it).
 *
 * Invariants: no file name from the server leaves the mount (absolute
 * names, "..", backslashes and control characters are refused); every size
 * from the server is checked before it sizes anything; the token goes to
 * the endpoint's host only (hub_http.c).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/jscan.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/strmap.h"
#include "formats/hub.h"
#include "formats/hub_http.h"
#include "formats/model_build.h"

#define VF_HUB_API_MAX (64u << 20)   /* the file list of a repo */
#define VF_HUB_JSON_MAX 100000000u   /* an index, as index.c allows */
#define VF_HUB_ST_GUESS (100u << 10) /* first range of a safetensors file */
#define VF_HUB_GGUF_FIRST (1u << 20) /* first range of a GGUF file */
/* tests build with a small tail, to fetch a central directory apart */
#ifndef VF_HUB_ZIP_TAIL
#define VF_HUB_ZIP_TAIL (64u << 10) /* end of a zip: EOCD and often the directory */
#endif
#define VF_HUB_ZIP_META_MAX (256u << 20)  /* data.pkl and the small entries */
#define VF_HUB_FILE_BUDGET (384ull << 20) /* bytes fetched of one file, at most */
#define VF_HUB_AHEAD_FIRST (256u << 10)
#define VF_HUB_AHEAD_MAX (16u << 20)
#define VF_HUB_MAX_FILES 100000u
#define VF_HUB_NAME_MAX 1024
#define VF_HUB_TOKEN_MAX 4096

static bool opt_refresh;
static double opt_timeout;
static struct vf_hub_stats last_stats;

void vf_hub_set_refresh(bool refresh)
{
	opt_refresh = refresh;
}

void vf_hub_set_timeout(double seconds)
{
	opt_timeout = seconds;
}

int vf_hub_option(const char *name, const char *value)
{
	char *end;
	double t;

	if (strcmp(name, "refresh") == 0) {
		opt_refresh = true;
		return 0;
	}
	if (strcmp(name, "timeout") != 0 || !value)
		return -1;
	errno = 0;
	t = strtod(value, &end);
	if (errno || end == value || *end || !(t >= 0.1 && t <= 86400))
		return -1;
	opt_timeout = t;
	return 0;
}

struct vf_hub_stats vf_hub_last_stats(void)
{
	return last_stats;
}

struct hfile {
	char *name;  /* in the repo: "config.json", "original/params.json" */
	char *shown; /* ID/NAME, for messages */
	char *url, *key, *cpath;
	char *loc; /* where the resolve URL redirected to: asked directly after */
	bool size_known, looked, dirty, planned;
	struct vf_hub_entry e;
	uint64_t fetched, ahead, est;
	int memfd;
	struct vf_hub *hub;
};

struct child {
	uint32_t dir;
	const char *base;
};

struct vf_hub {
	struct vf_mount mt;
	char *id, *rev, *sha, *endpoint, *token, *variant, *repo_cache;
	struct hfile *f;
	size_t n;
	struct vf_strmap names, dirmap;
	char **dirs;
	size_t ndirs, dcap;
	struct child *kids;
	size_t nkids;
	uint32_t *kid_first, *kid_count;
	struct vf_http *http;
	bool offline, mounted;
	struct vf_hub_stats stats;
};

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static char *cat(const char *a, const char *b, const char *c, const char *d)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c), ld = strlen(d);
	char *p = vf_malloc(la + lb + lc + ld + 1);

	if (!p)
		return NULL;
	memcpy(p, a, la);
	memcpy(p + la, b, lb);
	memcpy(p + la + lb, c, lc);
	memcpy(p + la + lb + lc, d, ld + 1);
	return p;
}

/* ---- environment: endpoint and token ---- */

static char *endpoint_url(void)
{
	const char *v = getenv("HF_ENDPOINT");
	char *e = vf_strdup(v && *v ? v : "https://huggingface.co");
	size_t n;

	if (!e)
		return NULL;
	n = strlen(e);
	while (n && e[n - 1] == '/')
		e[--n] = '\0';
	return e;
}

static char *read_token(void)
{
	const char *v = getenv("HF_TOKEN"), *home = getenv("HOME");
	char *path = NULL, *text = NULL, *tok = NULL;
	struct vf_err err = {0};
	size_t len = 0, a = 0;

	if (!(v && *v))
		v = getenv("HUGGING_FACE_HUB_TOKEN");
	if (v && *v)
		text = vf_strdup(v), len = strlen(v);
	else {
		const char *p = getenv("HF_TOKEN_PATH"), *hh = getenv("HF_HOME"),
			   *x = getenv("XDG_CACHE_HOME");
		if (p && *p)
			path = vf_strdup(p);
		else if (hh && *hh)
			path = vf_path_join(hh, "token");
		else if (x && *x)
			path = vf_path_join(x, "huggingface/token");
		else if (home && *home)
			path = vf_path_join(home, ".cache/huggingface/token");
		if (path && vf_file_slurp(path, VF_HUB_TOKEN_MAX, &text, &len, &err))
			text = NULL;
		vf_free(path);
	}
	if (!text)
		return NULL;
	while (a < len && isspace((unsigned char)text[a]))
		a++;
	while (len > a && isspace((unsigned char)text[len - 1]))
		len--;
	/* a token is printable ASCII without spaces; anything else would let a
	 * file inject a header line */
	for (size_t i = a; i < len; i++)
		if (!isgraph((unsigned char)text[i]))
			len = a;
	if (len > a)
		tok = vf_strndup(text + a, len - a);
	vf_free(text);
	return tok;
}

/* ---- the HTTP client, made on first need ---- */

static enum vf_status need_http(struct vf_hub *hub, const char *what, struct vf_err *err)
{
	struct vf_http_opts o = {0};

	if (hub->http)
		return VF_OK;
	if (hub->offline)
		return vf_fail(err, VF_EIO, what,
			       "not in the Hugging Face cache, and HF_HUB_OFFLINE is set: vramfit "
			       "does not read the hub (run `huggingface-cli download %s`, or unset "
			       "HF_HUB_OFFLINE)",
			       hub->id);
	o.endpoint = hub->endpoint;
	o.token = hub->token;
	o.timeout = opt_timeout;
	o.what = hub->id;
	return vf_http_new(&hub->http, &o, what, err);
}

static void count_stats(struct vf_hub *hub)
{
	struct vf_http_stats s = vf_http_stats(hub->http);

	hub->stats.requests = s.requests;
	hub->stats.bytes = s.bytes;
}

/* ---- the file list ---- */

static bool safe_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > VF_HUB_NAME_MAX || s[0] == '/' || s[n - 1] == '/' || strstr(s, "//"))
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return false;
	for (const char *p = s; *p;) {
		size_t k = strcspn(p, "/");
		if ((k == 1 && p[0] == '.') || (k == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += k;
		if (*p)
			p++;
	}
	return true;
}

static bool commit_sha(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]) || isupper((unsigned char)s[n]))
			return false;
	return n == 40;
}

static enum vf_status add_dir(struct vf_hub *hub, const char *d, uint32_t *idx, struct vf_err *err)
{
	char *c;
	int r;

	if (vf_strmap_get(&hub->dirmap, d, idx))
		return VF_OK;
	if (!vf_grow(&hub->dirs, &hub->dcap, hub->ndirs, sizeof(*hub->dirs), 16) ||
	    !(c = vf_strdup(d)))
		return vf_fail(err, VF_ENOMEM, hub->id, "out of memory");
	hub->dirs[hub->ndirs] = c;
	if ((r = vf_strmap_put(&hub->dirmap, c, (uint32_t)hub->ndirs, NULL)) < 0)
		return vf_fail(err, VF_ENOMEM, hub->id, "out of memory");
	*idx = (uint32_t)hub->ndirs++;
	return VF_OK;
}

static int cmp_kid(const void *a, const void *b)
{
	const struct child *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return strcmp(x->base, y->base);
}

/* Folders, and each folder's entries in name order, for vf_dir_*(). */
static enum vf_status index_dirs(struct vf_hub *hub, struct vf_err *err)
{
	uint32_t root, d;
	enum vf_status st;
	size_t cap = 0;

	if ((st = add_dir(hub, "", &root, err)))
		return st;
	for (size_t i = 0; i < hub->n; i++) {
		char *nm = hub->f[i].name;
		for (char *s = strchr(nm, '/'); s; s = strchr(s + 1, '/')) {
			*s = '\0';
			st = add_dir(hub, nm, &d, err);
			*s = '/';
			if (st)
				return st;
		}
	}
	/* each file and each folder but the root is an entry of its parent */
	for (size_t i = 0; i < hub->n + hub->ndirs; i++) {
		const char *nm = i < hub->n ? hub->f[i].name : hub->dirs[i - hub->n];
		const char *s = strrchr(nm, '/');
		uint32_t parent = root;
		if (!*nm)
			continue;
		if (s) {
			char *pd = vf_strndup(nm, (size_t)(s - nm));
			if (!pd)
				return vf_fail(err, VF_ENOMEM, hub->id, "out of memory");
			vf_strmap_get(&hub->dirmap, pd, &parent);
			vf_free(pd);
		}
		if (!vf_grow(&hub->kids, &cap, hub->nkids, sizeof(*hub->kids), 64))
			return vf_fail(err, VF_ENOMEM, hub->id, "out of memory");
		hub->kids[hub->nkids++] = (struct child){parent, s ? s + 1 : nm};
	}
	qsort(hub->kids, hub->nkids, sizeof(*hub->kids), cmp_kid);
	if (!(hub->kid_first = vf_calloc(hub->ndirs, sizeof(uint32_t))) ||
	    !(hub->kid_count = vf_calloc(hub->ndirs, sizeof(uint32_t))))
		return vf_fail(err, VF_ENOMEM, hub->id, "out of memory");
	for (size_t i = 0; i < hub->nkids; i++) {
		d = hub->kids[i].dir;
		if (!hub->kid_count[d])
			hub->kid_first[d] = (uint32_t)i;
		hub->kid_count[d]++;
	}
	return VF_OK;
}

static enum vf_status parse_api(struct vf_hub *hub, const char *text, size_t len,
				struct vf_err *err)
{
	cJSON *j =
	    vf_json_parse(text, len, 64 * (size_t)len + (1u << 20), hub->id, "hub file list", err);
	const cJSON *sha, *sib, *it;
	enum vf_status st = VF_OK;
	size_t n, cap = 0;
	char *esc = NULL;

	if (!j)
		return err->status;
	sha = cJSON_GetObjectItemCaseSensitive(j, "sha");
	sib = cJSON_GetObjectItemCaseSensitive(j, "siblings");
	if (!cJSON_IsString(sha) || !commit_sha(sha->valuestring) || !cJSON_IsArray(sib)) {
		st = vf_fail(err, VF_EFORMAT, hub->id,
			     "the hub's answer for this revision has no commit \"sha\" or no "
			     "\"siblings\" list");
		goto out;
	}
	if (!(hub->sha = vf_strdup(sha->valuestring)))
		goto oom;
	if ((n = (size_t)cJSON_GetArraySize(sib)) > VF_HUB_MAX_FILES) {
		st = vf_fail(err, VF_EFORMAT, hub->id, "the repo lists more than %u files",
			     VF_HUB_MAX_FILES);
		goto out;
	}
	cJSON_ArrayForEach(it, sib)
	{
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "rfilename");
		const cJSON *sz = cJSON_GetObjectItemCaseSensitive(it, "size");
		struct hfile *f;
		uint64_t size = 0;
		if (!cJSON_IsString(nm) || !safe_name(nm->valuestring)) {
			st = vf_fail(err, VF_EFORMAT, hub->id,
				     "the hub lists a file with no name, or a name that leaves "
				     "the repo (\"%.80s\")",
				     cJSON_IsString(nm) ? nm->valuestring : "");
			goto out;
		}
		if (sz && !cJSON_IsNull(sz) && !vf_json_uint(sz, &size)) {
			st = vf_fail(err, VF_EFORMAT, hub->id, "file \"%.200s\" has a bad size",
				     nm->valuestring);
			goto out;
		}
		if (!vf_grow(&hub->f, &cap, hub->n, sizeof(*hub->f), 16))
			goto oom;
		f = &hub->f[hub->n];
		memset(f, 0, sizeof(*f));
		f->memfd = -1;
		f->hub = hub;
		f->ahead = VF_HUB_AHEAD_FIRST;
		if (!(f->name = vf_strdup(nm->valuestring)) ||
		    !(f->shown = cat(hub->id, "/", f->name, "")))
			goto oom;
		hub->n++;
		f->size_known = sz && !cJSON_IsNull(sz);
		f->e.size = size;
		if (!(esc = vf_http_escape(f->name, true)) ||
		    !(f->url = cat(hub->endpoint, "/", hub->id, "/resolve/")))
			goto oom;
		{
			char *u = cat(f->url, hub->sha, "/", esc);
			vf_free(f->url);
			if (!(f->url = u))
				goto oom;
		}
		vf_free(esc);
		esc = NULL;
		if (!(f->key = cat(hub->endpoint, "\n", hub->id, "\n")))
			goto oom;
		{
			char *k = cat(f->key, hub->sha, "\n", f->name);
			vf_free(f->key);
			if (!(f->key = k))
				goto oom;
		}
		if (hub->repo_cache) {
			char *e2 = vf_http_escape(f->name, false), *dir;
			dir = e2 ? cat(hub->repo_cache, "/", hub->sha, "/") : NULL;
			f->cpath = dir ? cat(dir, e2, ".hdr", "") : NULL;
			vf_free(dir);
			vf_free(e2);
			if (!f->cpath)
				goto oom;
		}
	}
	for (size_t i = 0; i < hub->n; i++) {
		int r = vf_strmap_put(&hub->names, hub->f[i].name, (uint32_t)i, NULL);
		if (r < 0)
			goto oom;
		if (r == 0) {
			st = vf_fail(err, VF_EFORMAT, hub->id, "the hub lists \"%.200s\" twice",
				     hub->f[i].name);
			goto out;
		}
	}
	st = index_dirs(hub, err);
	goto out;
oom:
	st = vf_fail(err, VF_ENOMEM, hub->id, "out of memory");
out:
	vf_free(esc);
	vf_json_free(j);
	return st;
}

/* ---- fetching ---- */

static void file_loaded(struct hfile *f)
{
	if (f->looked)
		return;
	f->looked = true;
	if (!opt_refresh && f->cpath) {
		struct vf_hub_entry e;
		if (vf_hub_cache_load(f->cpath, f->key, &e)) {
			vf_hub_entry_free(&f->e);
			f->e = e;
			f->size_known = true;
			f->hub->stats.cache_hits++;
		}
	}
}

static bool cached(const struct hfile *f)
{
	return f->e.nseg > 0;
}

static struct hfile *req_file(struct vf_http_req *r)
{
	return r->user;
}

/* Keeps the body of a finished range (or whole-file) request. */
static bool keep(struct vf_http *h, struct vf_http_req *r)
{
	struct hfile *f = req_file(r);
	uint64_t off = r->ranged ? r->off : 0;

	if (!f->size_known) {
		f->e.size = r->total;
		f->size_known = true;
	} else if (r->total != f->e.size) {
		vf_http_fail(h, VF_EFORMAT, r->shown,
			     "the hub lists a different size for this file than the server sends");
		return false;
	}
	if (r->location && !f->loc) {
		f->loc = r->location;
		r->location = NULL;
	}
	if (r->etag[0] && !f->e.etag[0])
		snprintf(f->e.etag, sizeof(f->e.etag), "%s", r->etag);
	if (!r->nbody)
		return true;
	f->fetched += r->nbody;
	f->dirty = true;
	if (!vf_hub_entry_add(&f->e, off, r->nbody, r->body)) {
		r->body = NULL;
		vf_http_fail(h, VF_ENOMEM, r->shown, "out of memory (or overlapping ranges)");
		return false;
	}
	r->body = NULL;
	return true;
}

static void done_plain(struct vf_http *h, struct vf_http_req *r)
{
	keep(h, r);
}

static bool add_req(struct vf_hub *hub, struct hfile *f, bool ranged, uint64_t off, uint64_t len,
		    void (*done)(struct vf_http *, struct vf_http_req *))
{
	struct vf_http_req *r = vf_http_req_new(f->loc ? f->loc : f->url, f->shown);

	if (!r) {
		vf_http_fail(hub->http, VF_ENOMEM, f->shown, "out of memory");
		return false;
	}
	r->kind = VF_HTTP_FILE;
	r->user = f;
	r->done = done;
	r->ranged = ranged;
	r->off = off;
	r->len = len;
	r->cap = VF_HUB_JSON_MAX;
	vf_http_add(hub->http, r);
	return true;
}

/* The range [a, b) clipped to the file (when its size is known); false when empty. */
static bool clip(const struct hfile *f, uint64_t a, uint64_t *b)
{
	if (f->size_known && *b > f->e.size)
		*b = f->e.size;
	return *b > a;
}

/* safetensors: after the first range, the rest of the header */
static void done_st(struct vf_http *h, struct vf_http_req *r)
{
	struct hfile *f = req_file(r);
	uint64_t n = 0, have, need;
	unsigned char b8[8];
	uint64_t g, ge;

	if (!keep(h, r) || !vf_hub_entry_copy(&f->e, b8, 8, 0, &g, &ge))
		return; /* shorter than 8 bytes: the reader says so */
	for (int i = 7; i >= 0; i--)
		n = (n << 8) | b8[i];
	if (n > VF_SAFETENSORS_MAX_HEADER || 8 + n > f->e.size)
		return; /* the reader reports it */
	need = 8 + n;
	have = f->e.segs[0].off == 0 ? f->e.segs[0].len : 0;
	if (have < need)
		add_req(f->hub, f, true, have, need - have, done_plain);
}

/* ---- PyTorch zip ---- */

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return le16(p) | le16(p + 2) << 16;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

struct zent {
	uint64_t lh, csize;
	uint32_t flags, method, version, nlen;
	const unsigned char *name;
	bool data; /* a tensor's bytes: only its local header is needed */
};

static int cmp_zent(const void *a, const void *b)
{
	const struct zent *x = a, *y = b;

	return x->lh < y->lh ? -1 : x->lh > y->lh;
}

static bool is_data_entry(const unsigned char *name, uint32_t n)
{
	/* TOP/data/KEY: under the one top folder */
	const unsigned char *s = memchr(name, '/', n);

	return s && (size_t)(name + n - (s + 1)) > 5 && memcmp(s + 1, "data/", 5) == 0;
}

/* A local file header written from the central directory (see the top). */
static bool synth_header(struct hfile *f, const struct zent *z)
{
	size_t n = 30 + z->nlen;
	unsigned char *p = vf_calloc(1, n);

	if (!p)
		return false;
	p[0] = 'P', p[1] = 'K', p[2] = 3, p[3] = 4;
	p[4] = (unsigned char)z->version, p[5] = (unsigned char)(z->version >> 8);
	p[6] = (unsigned char)z->flags, p[7] = (unsigned char)(z->flags >> 8);
	p[8] = (unsigned char)z->method, p[9] = (unsigned char)(z->method >> 8);
	p[26] = (unsigned char)z->nlen, p[27] = (unsigned char)(z->nlen >> 8);
	memcpy(p + 30, z->name, z->nlen);
	return vf_hub_entry_add(&f->e, z->lh, n, p);
}

/* Fetches the bytes of [a, b) not already present, as one request per gap. */
static bool want_range(struct vf_hub *hub, struct hfile *f, uint64_t a, uint64_t b)
{
	while (a < b) {
		uint64_t g, ge;
		unsigned char c;
		/* skip what is there */
		while (a < b && vf_hub_entry_copy(&f->e, &c, 1, a, &g, &ge))
			a++;
		if (a >= b)
			break;
		ge = ge < b ? ge : b;
		if (!add_req(hub, f, true, a, ge - a, done_plain))
			return false;
		a = ge;
	}
	return true;
}

/* Parses the central directory at [cd, cd + cdsize), which is present. */
static void zip_plan_entries(struct vf_http *h, struct hfile *f, uint64_t cd, uint64_t cdsize,
			     uint64_t count)
{
	unsigned char *dir = NULL;
	struct zent *z = NULL;
	uint64_t g, ge, pos = 0, k = 0;
	uint64_t run_a = 0, run_b = 0;

	if (count > 1000000 || cdsize > VF_HUB_ZIP_META_MAX || !(dir = vf_malloc(cdsize + 1)) ||
	    !(z = vf_calloc(count + 1, sizeof(*z))) ||
	    !vf_hub_entry_copy(&f->e, dir, (size_t)cdsize, cd, &g, &ge)) {
		f->e.zip = 2; /* the reader reports what is wrong */
		goto out;
	}
	for (; k < count; k++) {
		const unsigned char *p = dir + pos;
		uint32_t nlen, xlen, clen;
		uint64_t csize, usize, lh;
		if (cdsize - pos < 46 || le32(p) != 0x02014b50)
			break;
		nlen = le16(p + 28), xlen = le16(p + 30), clen = le16(p + 32);
		if (cdsize - pos - 46 < (uint64_t)nlen + xlen + clen)
			break;
		csize = le32(p + 20), usize = le32(p + 24), lh = le32(p + 42);
		/* zip64 extra: the fields that are 0xFFFFFFFF, in this order */
		for (uint32_t x = 0; x + 4 <= xlen;) {
			const unsigned char *e = p + 46 + nlen + x;
			uint32_t id = le16(e), sz = le16(e + 2), o = 4;
			if (x + 4 + sz > xlen)
				break;
			if (id == 1) {
				if (usize == 0xFFFFFFFFu && o + 8 <= 4 + sz)
					usize = le64(e + o), o += 8;
				if (csize == 0xFFFFFFFFu && o + 8 <= 4 + sz)
					csize = le64(e + o), o += 8;
				if (lh == 0xFFFFFFFFu && o + 8 <= 4 + sz)
					lh = le64(e + o), o += 8;
			}
			x += 4 + sz;
		}
		(void)usize;
		z[k] = (struct zent){lh,	  csize, le16(p + 8), le16(p + 10),
				     le16(p + 6), nlen,	 p + 46,      is_data_entry(p + 46, nlen)};
		pos += 46 + (uint64_t)nlen + xlen + clen;
	}
	if (k != count) {
		f->e.zip = 2;
		goto out;
	}
	qsort(z, (size_t)count, sizeof(*z), cmp_zent);
	f->e.zip = 1;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t next = i + 1 < count ? z[i + 1].lh : cd;
		if (z[i].lh >= next || next > f->e.size) {
			f->e.zip = 2;
			goto out;
		}
		if (z[i].data && 30 + (uint64_t)z[i].nlen <= next - z[i].lh) {
			unsigned char c;
			uint64_t hend = z[i].lh + 30 + z[i].nlen;
			if (vf_hub_entry_copy(&f->e, &c, 1, z[i].lh, &g, &ge))
				continue; /* fetched already (the tail) */
			if (ge < hend) {
				/* the tail starts inside this header: fetch the real one */
				if (!want_range(f->hub, f, z[i].lh, hend))
					goto out;
			} else if (!synth_header(f, &z[i])) {
				vf_http_fail(h, VF_ENOMEM, f->shown, "out of memory");
				goto out;
			}
			continue;
		}
		if (next - z[i].lh > VF_HUB_ZIP_META_MAX) {
			f->e.zip = 2;
			goto out;
		}
		/* merge neighbours: one request for data.pkl, byteorder, ... */
		if (run_b && z[i].lh <= run_b + 4096) {
			run_b = next;
			continue;
		}
		if (run_b && !want_range(f->hub, f, run_a, run_b))
			goto out;
		run_a = z[i].lh, run_b = next;
	}
	if (run_b)
		want_range(f->hub, f, run_a, run_b);
	f->dirty = true;
out:
	vf_free(dir);
	vf_free(z);
}

static void done_zip_cd(struct vf_http *h, struct vf_http_req *r)
{
	struct hfile *f = req_file(r);
	uint64_t cd = r->off, cdsize = f->est >> 32, count = f->est & 0xffffffffu;

	if (!keep(h, r))
		return;
	zip_plan_entries(h, f, cd, cdsize, count);
}

static void done_zip_tail(struct vf_http *h, struct vf_http_req *r)
{
	struct hfile *f = req_file(r);
	const unsigned char *t;
	uint64_t base, n, cd, cdsize, count;
	long i;

	if (!keep(h, r))
		return;
	t = f->e.segs[f->e.nseg - 1].data;
	base = f->e.segs[f->e.nseg - 1].off;
	n = f->e.segs[f->e.nseg - 1].len;
	if (base + n != f->e.size) {
		f->e.zip = 2;
		return;
	}
	for (i = (long)n - 22; i >= 0; i--)
		if (le32(t + i) == 0x06054b50)
			break;
	if (i < 0) {
		f->e.zip = 2; /* not a zip: a legacy PyTorch file, read on demand */
		return;
	}
	count = le16(t + i + 10);
	cdsize = le32(t + i + 12);
	cd = le32(t + i + 16);
	if ((count == 0xFFFF || cdsize == 0xFFFFFFFFu || cd == 0xFFFFFFFFu) && i >= 20 &&
	    le32(t + i - 20) == 0x07064b50) {
		uint64_t z64 = le64(t + i - 20 + 8);
		if (z64 < base || z64 + 56 > base + n) {
			f->e.zip = 2;
			return;
		}
		z64 -= base;
		if (le32(t + z64) != 0x06064b50) {
			f->e.zip = 2;
			return;
		}
		count = le64(t + z64 + 32);
		cdsize = le64(t + z64 + 40);
		cd = le64(t + z64 + 48);
	}
	if (cd > f->e.size || cdsize > f->e.size - cd || cdsize > VF_HUB_ZIP_META_MAX) {
		f->e.zip = 2;
		return;
	}
	if (cd >= base) {
		zip_plan_entries(h, f, cd, cdsize, count);
		return;
	}
	if (count > 1000000 || cdsize > 0xffffffffu) {
		f->e.zip = 2; /* the reader reports what is wrong */
		return;
	}
	f->est = cdsize << 32 | count; /* for done_zip_cd */
	{
		struct vf_http_req *q = vf_http_req_new(f->loc ? f->loc : f->url, f->shown);
		if (!q) {
			vf_http_fail(h, VF_ENOMEM, f->name, "out of memory");
			return;
		}
		q->kind = VF_HTTP_FILE;
		q->user = f;
		q->done = done_zip_cd;
		q->ranged = true;
		q->off = cd;
		q->len = base - cd < cdsize ? base - cd : cdsize;
		vf_http_add(h, q);
	}
}

static bool is_torch_name(const char *n)
{
	return has_suffix(n, ".bin") || has_suffix(n, ".pt") || has_suffix(n, ".pth") ||
	       has_suffix(n, ".ckpt");
}

/* Queues the first requests for one file by its kind. */
static bool plan_file(struct vf_hub *hub, struct hfile *f)
{
	uint64_t b;

	file_loaded(f);
	if (f->planned || cached(f))
		return true;
	f->planned = true;
	if (f->size_known && f->e.size == 0)
		return true;
	if (has_suffix(f->name, ".json"))
		return add_req(hub, f, false, 0, 0, done_plain);
	if (has_suffix(f->name, ".safetensors")) {
		b = f->est ? 8 + f->est : VF_HUB_ST_GUESS;
		return !clip(f, 0, &b) || add_req(hub, f, true, 0, b, done_st);
	}
	if (has_suffix(f->name, ".gguf")) {
		b = VF_HUB_GGUF_FIRST;
		return !clip(f, 0, &b) || add_req(hub, f, true, 0, b, done_plain);
	}
	if (is_torch_name(f->name) && f->size_known) {
		uint64_t a = f->e.size > VF_HUB_ZIP_TAIL ? f->e.size - VF_HUB_ZIP_TAIL : 0;
		return add_req(hub, f, true, a, f->e.size - a, done_zip_tail);
	}
	return true; /* on demand */
}

static struct hfile *find(struct vf_hub *hub, const char *name)
{
	uint32_t i;

	return vf_strmap_get(&hub->names, name, &i) ? &hub->f[i] : NULL;
}

static enum vf_status run(struct vf_hub *hub, struct vf_err *err)
{
	enum vf_status st = vf_http_run(hub->http, err);

	count_stats(hub);
	return st;
}

/* NAME with the variant before its last dot-part (folder.c's rule). */
static char *variant_name(const char *name, const char *variant)
{
	const char *dot = strrchr(name, '.');
	char *a, *r;

	if (!variant || !*variant || !dot)
		return vf_strdup(name);
	if (!(a = vf_strndup(name, (size_t)(dot - name))))
		return NULL;
	r = cat(a, ".", variant, dot);
	vf_free(a);
	return r;
}

/* The shards an index names, with an estimate of each safetensors header.
 * The index is scanned, not built into a tree (common/jscan.h: DeepSeek-V3's
 * is 9 MB); a malformed one is left to the reader to report. */
static enum vf_status plan_index(struct vf_hub *hub, struct hfile *ix, struct vf_err *err)
{
	char *text, *key, *val;
	uint64_t g, ge, size = ix->e.size;
	struct vf_jscan js;
	struct vf_err scan_err = {0};
	size_t i = 0, j, vlen;
	enum vf_status st = VF_OK;
	bool missing = false;
	int r = 0;

	/* everything cached already: no need to read the index here */
	for (size_t k = 0; k < hub->n && !missing; k++) {
		struct hfile *f = &hub->f[k];
		file_loaded(f);
		missing = !strchr(f->name, '/') && !cached(f) &&
			  (has_suffix(f->name, ".safetensors") || is_torch_name(f->name));
	}
	/* shards of an index at the top of the repo (the ones folder.c reads) */
	if (!missing || strchr(ix->name, '/') || !size || size > VF_HUB_JSON_MAX ||
	    !(text = vf_malloc(size + 1)))
		return VF_OK;
	if (!vf_hub_entry_copy(&ix->e, text, (size_t)size, 0, &g, &ge)) {
		vf_free(text);
		return VF_OK;
	}
	vf_jscan_init(&js, text, (size_t)size, ix->name, "index", &scan_err);
	if (vf_jscan_peek(&js) == '{' && vf_jscan_open(&js, '{'))
		while ((r = vf_jscan_key(&js, &i, &key)) > 0) {
			if (strcmp(key, "weight_map") != 0 || vf_jscan_peek(&js) != '{') {
				if (!vf_jscan_skip(&js))
					break;
				continue;
			}
			vf_jscan_open(&js, '{');
			j = 0;
			while ((r = vf_jscan_key(&js, &j, &key)) > 0) {
				size_t klen = js.klen;
				struct hfile *f;
				if (vf_jscan_peek(&js) != '"' || !vf_jscan_string(&js, &val, &vlen))
					break;
				/* one tensor's JSON: its name and about 74 bytes of dtype,
				 * shape and offsets (DeepSeek-V3: 74, Llama-3.1-70B: 78 to
				 * 106); a little over, so that one range is usually the
				 * whole header */
				if ((f = find(hub, val)))
					f->est += klen + 80;
			}
			break;
		}
	vf_free(text);
	for (size_t k = 0; k < hub->n && !st; k++) {
		struct hfile *f = &hub->f[k];
		if (!f->est || f->planned || cached(f))
			continue;
		f->est += 128; /* __metadata__, padding */
		if ((st = need_http(hub, hub->id, err)))
			break;
		if (!plan_file(hub, f))
			st = VF_ENOMEM;
	}
	return st;
}

/* Steps 2 and 3 of the top comment. */
static enum vf_status prefetch(struct vf_hub *hub, struct vf_err *err)
{
	static const char *const whole[] = {"config.json", "adapter_config.json", NULL};
	static const char *const order[] = {"model.safetensors", "model.safetensors.index.json",
					    "pytorch_model.bin", "pytorch_model.bin.index.json"};
	struct hfile *pick[4] = {NULL};
	enum vf_status st;
	bool any = false, need_net = false;

	for (size_t i = 0; i < 4; i++) {
		char *v = variant_name(order[i], hub->variant);
		if (!v)
			return vf_fail(err, VF_ENOMEM, hub->id, "out of memory");
		pick[i] = find(hub, v);
		vf_free(v);
	}
	/* every file we may fetch: see first whether the cache has them all */
	for (size_t i = 0; i < hub->n; i++)
		file_loaded(&hub->f[i]);
	for (size_t i = 0; whole[i]; i++) {
		struct hfile *f = find(hub, whole[i]);
		need_net |= f && !cached(f);
	}
	for (size_t i = 0; i < 4; i++)
		need_net |= pick[i] && !cached(pick[i]);
	if (need_net && (st = need_http(hub, hub->id, err)))
		return st;
	if (hub->http) {
		for (size_t i = 0; whole[i]; i++) {
			struct hfile *f = find(hub, whole[i]);
			if (f && !plan_file(hub, f))
				return run(hub, err);
		}
		for (size_t i = 0; i < 4; i++)
			if (pick[i] && !plan_file(hub, pick[i]))
				return run(hub, err);
		if ((st = run(hub, err)))
			return st;
	}
	/* step 3: the shards */
	if (pick[0])
		return VF_OK;
	if (pick[1] || (!pick[2] && pick[3])) {
		struct hfile *ix = pick[1] ? pick[1] : pick[3];
		if (!cached(ix))
			return VF_OK;
		/* plan what is not cached; a client is made only if needed */
		if ((st = plan_index(hub, ix, err)))
			return hub->http ? (run(hub, err), st) : st;
		return hub->http ? run(hub, err) : VF_OK;
	}
	if (pick[2])
		return VF_OK;
	/* no HF names: every *.safetensors at the top, else the one PyTorch or GGUF file */
	{
		size_t nst = 0, nt = 0, ng = 0;
		for (size_t i = 0; i < hub->n; i++) {
			const char *nm = hub->f[i].name;
			if (strchr(nm, '/'))
				continue;
			nst += has_suffix(nm, ".safetensors");
			nt += is_torch_name(nm);
			ng += has_suffix(nm, ".gguf");
		}
		for (size_t i = 0; i < hub->n; i++) {
			struct hfile *f = &hub->f[i];
			const char *nm = f->name;
			bool take =
			    !strchr(nm, '/') && (nst	   ? has_suffix(nm, ".safetensors")
						 : nt == 1 ? is_torch_name(nm)
							   : ng == 1 && has_suffix(nm, ".gguf"));
			if (!take || cached(f))
				continue;
			if ((st = need_http(hub, hub->id, err)))
				return st;
			any = true;
			if (!plan_file(hub, f))
				break;
		}
	}
	return any ? run(hub, err) : VF_OK;
}

/* ---- the mount ---- */

static enum vf_status fetch_now(struct hfile *f, uint64_t a, uint64_t b, const char *path,
				struct vf_err *err)
{
	struct vf_hub *hub = f->hub;
	enum vf_status st;

	if ((st = need_http(hub, path, err)))
		return st;
	if (f->fetched + (b - a) > VF_HUB_FILE_BUDGET)
		return vf_fail(err, VF_EFORMAT, path,
			       "reading it needs byte %llu, past the %llu MiB of headers vramfit "
			       "fetches of a file from the hub (it reads headers, not weights)",
			       (unsigned long long)b, VF_HUB_FILE_BUDGET >> 20);
	if (!add_req(hub, f, true, a, b - a, done_plain))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	return run(hub, err);
}

static enum vf_status ensure_size(struct hfile *f, const char *path, struct vf_err *err)
{
	uint64_t b = VF_HUB_AHEAD_FIRST;

	file_loaded(f);
	if (f->size_known)
		return VF_OK;
	return fetch_now(f, 0, b, path, err);
}

static enum vf_status hub_read(const struct vf_file *vf, void *buf, size_t n, uint64_t off,
			       struct vf_err *err)
{
	struct hfile *f = vf->ctx;
	uint64_t g, ge;
	enum vf_status st;

	if (off > f->e.size || n > f->e.size - off)
		return vf_fail(err, VF_EFORMAT, vf->path, "truncated: file ends at byte %llu",
			       (unsigned long long)f->e.size);
	while (!vf_hub_entry_copy(&f->e, buf, n, off, &g, &ge)) {
		uint64_t b = off + n > g + f->ahead ? off + n : g + f->ahead;
		if (b > ge)
			b = ge;
		if (b > f->e.size)
			b = f->e.size;
		if ((st = fetch_now(f, g, b, vf->path, err)))
			return st;
		if (f->ahead < VF_HUB_AHEAD_MAX)
			f->ahead *= 2;
	}
	return VF_OK;
}

static int mt_stat(void *ctx, const char *rel, struct stat *sb)
{
	struct vf_hub *hub = ctx;
	uint32_t i;

	memset(sb, 0, sizeof(*sb));
	if (vf_strmap_get(&hub->dirmap, rel, &i)) {
		sb->st_mode = S_IFDIR | 0555;
		return 0;
	}
	if (vf_strmap_get(&hub->names, rel, &i)) {
		sb->st_mode = S_IFREG | 0444;
		sb->st_size = (off_t)hub->f[i].e.size;
		return 0;
	}
	errno = ENOENT;
	return -1;
}

static enum vf_status make_memfd(struct hfile *f, const char *path, struct vf_err *err)
{
	int fd;

	if (f->memfd >= 0)
		return VF_OK;
	if ((fd = memfd_create("vramfit-hub", MFD_CLOEXEC)) < 0 ||
	    ftruncate(fd, (off_t)f->e.size) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return vf_fail(err, VF_EIO, path, "cannot make a sparse file for it: %s",
			       strerror(e));
	}
	for (size_t i = 0; i < f->e.nseg; i++) {
		const struct vf_hub_seg *s = &f->e.segs[i];
		size_t done = 0;
		while (done < s->len) {
			ssize_t w = pwrite(fd, s->data + done, (size_t)s->len - done,
					   (off_t)(s->off + done));
			if (w <= 0) {
				int e = errno;
				close(fd);
				return vf_fail(err, VF_EIO, path,
					       "cannot write its header to a sparse file: %s",
					       strerror(e));
			}
			done += (size_t)w;
		}
	}
	f->memfd = fd;
	return VF_OK;
}

static enum vf_status mt_open(void *ctx, const char *rel, const char *path, struct vf_file *vf,
			      struct vf_err *err)
{
	struct vf_hub *hub = ctx;
	struct hfile *f = find(hub, rel);
	enum vf_status st;

	if (!f) {
		if (vf_strmap_get(&hub->dirmap, rel, &(uint32_t){0}))
			return vf_fail(err, VF_EFORMAT, path, "not a regular file");
		return vf_fail(err, VF_EIO, path, "cannot open: no such file in the repo");
	}
	if ((st = ensure_size(f, path, err)))
		return st;
	/* a PyTorch file not planned yet: find out now whether it is a zip */
	if (is_torch_name(f->name) && !f->e.zip && f->e.size) {
		if ((st = need_http(hub, path, err)))
			return st;
		f->planned = false;
		if (!plan_file(hub, f) || (st = run(hub, err)))
			return st ? st : vf_fail(err, VF_ENOMEM, path, "out of memory");
		if (!f->e.zip)
			f->e.zip = 2;
	}
	vf->size = f->e.size;
	if (f->e.zip == 1) {
		if ((st = make_memfd(f, path, err)))
			return st;
		if ((vf->fd = fcntl(f->memfd, F_DUPFD_CLOEXEC, 0)) < 0)
			return vf_fail(err, VF_EIO, path, "cannot open: %s", strerror(errno));
		return VF_OK;
	}
	vf->read = hub_read;
	vf->ctx = f;
	return VF_OK;
}

static const char *mt_entry(void *ctx, const char *rel, size_t i)
{
	struct vf_hub *hub = ctx;
	uint32_t d;

	if (!vf_strmap_get(&hub->dirmap, rel, &d) || i >= hub->kid_count[d])
		return NULL;
	return hub->kids[hub->kid_first[d] + i].base;
}

/* ---- opening ---- */

static char *repo_cache_dir(const char *endpoint, const char *id)
{
	char *root = vf_hub_cache_root(), *ep, *r = NULL, *nm;

	if (!root)
		return NULL;
	ep = vf_http_escape(endpoint, false);
	nm = cat("models--", id, "", "");
	if (ep && nm) {
		*strchr(nm, '/') = '\0';
		{
			char *full = cat(nm, "--", strchr(id, '/') + 1, "");
			if (full) {
				char *a = cat(root, "/", ep, "/");
				r = a ? cat(a, full, "", "") : NULL;
				vf_free(a);
			}
			vf_free(full);
		}
	}
	vf_free(nm);
	vf_free(ep);
	vf_free(root);
	return r;
}

static void api_done(struct vf_http *h, struct vf_http_req *r)
{
	struct vf_hub_entry *e = r->user;

	(void)h;
	e->size = r->nbody;
	if (r->nbody && vf_hub_entry_add(e, 0, r->nbody, r->body))
		r->body = NULL;
	else if (r->nbody)
		r->body = NULL; /* freed by vf_hub_entry_add */
}

static enum vf_status load_list(struct vf_hub *hub, struct vf_err *err)
{
	struct vf_hub_entry e = {0};
	char *key = NULL, *file = NULL, *erev = NULL, *url = NULL, *text = NULL;
	enum vf_status st = VF_OK;
	bool from_cache = false;
	uint64_t g, ge;

	if (!(erev = vf_http_escape(hub->rev, false)) ||
	    !(key = cat("api\n", hub->endpoint, "\n", hub->id)))
		goto oom;
	{
		char *k2 = cat(key, "\n", hub->rev, "");
		vf_free(key);
		if (!(key = k2))
			goto oom;
	}
	if (hub->repo_cache && !(file = cat(hub->repo_cache, "/revisions/", erev, ".json")))
		goto oom;
	if (file && !opt_refresh && vf_hub_cache_load(file, key, &e))
		from_cache = true;
	if (!from_cache) {
		struct vf_http_req *r;
		if ((st = need_http(hub, hub->id, err)))
			goto out;
		{
			char *a = cat(hub->endpoint, "/api/models/", hub->id, "/revision/");
			url = a ? cat(a, erev, "?blobs=true", "") : NULL;
			vf_free(a);
		}
		if (!url || !(r = vf_http_req_new(url, hub->id)))
			goto oom;
		r->kind = VF_HTTP_API;
		r->cap = VF_HUB_API_MAX;
		r->done = api_done;
		r->user = &e;
		vf_http_add(hub->http, r);
		if ((st = run(hub, err)))
			goto out;
	}
	if (!e.size || !(text = vf_malloc(e.size + 1)) ||
	    !vf_hub_entry_copy(&e, text, (size_t)e.size, 0, &g, &ge)) {
		st = e.size ? vf_fail(err, VF_ENOMEM, hub->id, "out of memory")
			    : vf_fail(err, VF_EFORMAT, hub->id, "the hub sent an empty file list");
		goto out;
	}
	if ((st = parse_api(hub, text, (size_t)e.size, err))) {
		if (from_cache) {
			/* a cache entry that parses badly: ask the hub instead */
			vf_err_clear(err);
			opt_refresh = true;
			st = VF_EFORMAT;
		}
		goto out;
	}
	if (!from_cache && file) {
		struct vf_err ignored = {0};
		vf_hub_cache_save(file, key, &e, &ignored);
	} else if (from_cache)
		hub->stats.cache_hits++;
out:
	vf_hub_entry_free(&e);
	vf_free(text);
	vf_free(url);
	vf_free(file);
	vf_free(key);
	vf_free(erev);
	return st;
oom:
	st = vf_fail(err, VF_ENOMEM, hub->id, "out of memory");
	goto out;
}

const char *vf_hub_root(const struct vf_hub *hub)
{
	return hub->id;
}

static void free_files(struct vf_hub *hub)
{
	for (size_t i = 0; i < hub->n; i++) {
		struct hfile *f = &hub->f[i];
		if (f->memfd >= 0)
			close(f->memfd);
		vf_hub_entry_free(&f->e);
		vf_free(f->name);
		vf_free(f->shown);
		vf_free(f->loc);
		vf_free(f->url);
		vf_free(f->key);
		vf_free(f->cpath);
	}
	vf_free(hub->f);
	hub->f = NULL;
	hub->n = 0;
	for (size_t i = 0; i < hub->ndirs; i++)
		vf_free(hub->dirs[i]);
	vf_free(hub->dirs);
	hub->dirs = NULL;
	hub->ndirs = hub->dcap = 0;
	vf_free(hub->kids);
	vf_free(hub->kid_first);
	vf_free(hub->kid_count);
	hub->kids = NULL;
	hub->kid_first = hub->kid_count = NULL;
	hub->nkids = 0;
	vf_strmap_free(&hub->names);
	vf_strmap_free(&hub->dirmap);
	vf_free(hub->sha);
	hub->sha = NULL;
}

static void write_stats(const struct vf_hub *hub)
{
	const char *p = getenv("VRAMFIT_HUB_STATS");
	FILE *fp;

	if (!p || !*p || !(fp = fopen(p, "a")))
		return;
	fprintf(fp, "requests %llu bytes %llu cache_hits %llu files %llu\n",
		(unsigned long long)hub->stats.requests, (unsigned long long)hub->stats.bytes,
		(unsigned long long)hub->stats.cache_hits, (unsigned long long)hub->n);
	fclose(fp);
}

void vf_hub_close(struct vf_hub *hub)
{
	if (!hub)
		return;
	if (hub->mounted)
		vf_mount_pop(&hub->mt);
	for (size_t i = 0; i < hub->n; i++) {
		struct hfile *f = &hub->f[i];
		struct vf_err ignored = {0};
		if (f->dirty && f->cpath && f->e.nseg)
			vf_hub_cache_save(f->cpath, f->key, &f->e, &ignored);
	}
	hub->stats.files = hub->n;
	last_stats = hub->stats;
	write_stats(hub);
	free_files(hub);
	vf_http_free(hub->http);
	vf_free(hub->id);
	vf_free(hub->rev);
	vf_free(hub->endpoint);
	vf_free(hub->token);
	vf_free(hub->variant);
	vf_free(hub->repo_cache);
	vf_free(hub);
}

enum vf_status vf_hub_open(struct vf_hub **out, const char *id, const char *revision,
			   const char *variant, struct vf_err *err)
{
	struct vf_hub *hub = vf_calloc(1, sizeof(*hub));
	bool refresh = opt_refresh;
	enum vf_status st;

	*out = NULL;
	if (!hub)
		return vf_fail(err, VF_ENOMEM, id, "out of memory");
	hub->offline = vf_hf_offline();
	if (!(hub->id = vf_strdup(id)) || !(hub->rev = vf_strdup(revision ? revision : "main")) ||
	    !(hub->endpoint = endpoint_url()) ||
	    (variant && !(hub->variant = vf_strdup(variant)))) {
		st = vf_fail(err, VF_ENOMEM, id, "out of memory");
		goto fail;
	}
	if (strncmp(hub->endpoint, "http://", 7) != 0 &&
	    strncmp(hub->endpoint, "https://", 8) != 0) {
		st = vf_fail(err, VF_EUSAGE, id, "HF_ENDPOINT \"%.100s\" is not an http(s) URL",
			     hub->endpoint);
		goto fail;
	}
	hub->token = read_token();
	hub->repo_cache = repo_cache_dir(hub->endpoint, id);
	st = load_list(hub, err);
	if (st == VF_EFORMAT && !err->status && opt_refresh != refresh) {
		free_files(hub); /* the cached list was corrupt: once more, from the hub */
		st = load_list(hub, err);
	}
	opt_refresh = refresh;
	if (st)
		goto fail;
	if ((st = prefetch(hub, err)))
		goto fail;
	hub->mt.root = hub->id;
	hub->mt.ctx = hub;
	hub->mt.stat = mt_stat;
	hub->mt.open = mt_open;
	hub->mt.entry = mt_entry;
	vf_mount_push(&hub->mt);
	hub->mounted = true;
	*out = hub;
	return VF_OK;
fail:
	vf_hub_close(hub);
	return st;
}
