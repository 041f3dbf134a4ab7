/*
 * source.c - where the files of a PATH come from: the local file system, a
 * Hugging Face model id (the local HF cache, else the hub), or an archive of a
 * model directory (.tar, .tar.gz, .tgz, .zip, NeMo's .nemo) read in place.
 *
 * Hugging Face ids: formats/hf_cache.c finds them in the local HF cache (a
 * cached snapshot always wins); one that is not there is read from the hub,
 * headers only (formats/hub.c), unless HF_HUB_OFFLINE is set.
 *
 * Archives: the archive is listed once with libarchive (loaded on the first
 * archive opened: formats/archive_lib.h) and mounted (common/file.h), so
 * ROOT/DIR/FILE paths reach the unchanged readers.  A member stored whole
 * (uncompressed tar, a zip entry with method "stored") is a byte range of the
 * archive: a view, read on demand.  A member of a compressed stream (.tar.gz)
 * or a deflated zip entry is read while the archive is listed, and only as
 * far as a header needs: a .json file whole (up to the index limit), a
 * .safetensors file its 8-byte length and header, a .gguf file its first
 * VF_ARCHIVE_GGUF_PREFIX bytes, anything else its first VF_ARCHIVE_SNIFF
 * bytes.  A reader that asks for more (a PyTorch file, whose data and
 * directory lie throughout the file) gets a one-line error saying to unpack
 * the archive.  Nothing is written to disk.
 *
 * Invariants: member names are normalised ("./a//b/" is "a/b") and refused
 * when absolute or holding "..", so no name can point outside the archive;
 * symbolic links inside the archive are resolved inside it (at most 16 hops,
 * never above its root); every member's byte range lies inside the archive
 * file; the member count is bounded (VF_ARCHIVE_MAX_MEMBERS) and so is the
 * memory kept for compressed members (VF_ARCHIVE_KEEP_MAX in all).  Every
 * byte read from the archive file is counted in vf_bytes_read.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/arena.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/strmap.h"
#include "formats/archive_lib.h"
#include "formats/hub.h"
#include "formats/model_build.h"

#define NAME_MAX_LEN 4096
#define LINK_HOPS 16
#define BLOCK 65536 /* read size: tar is read in order, zip by local headers */

/* ---- small path helpers ---- */

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* ---- archives ---- */

enum mtype { M_DIR, M_FILE, M_LINK, M_HARD };

struct member {
	const char *name;   /* normalised path; "" is the archive's root */
	const char *target; /* M_LINK: the link as stored; M_HARD: the member named */
	uint8_t type;	    /* enum mtype */
	bool contiguous;    /* stored whole: [off, off + size) of the archive file */
	uint64_t size, off;
	uint32_t parent;		 /* index of the directory holding it */
	uint32_t first_child, nchildren; /* directories: into arc->children */
	unsigned char *kept;		 /* compressed members: the first bytes */
	size_t nkept;
	struct vf_archive *arc;
};

struct vf_archive {
	struct vf_mount mt;
	char *path; /* the archive file, as named; also the mount root */
	struct vf_arena arena;
	struct member *m;
	size_t n, cap;
	struct vf_strmap names;
	uint32_t *children;
	uint64_t kept_total;
	bool torch_zip; /* a PyTorch checkpoint named .zip, not a model folder */
	/* libarchive, which lists it */
	const struct vf_archive_lib *al;
};

/* libarchive reads the archive file through these: counted, bounded reads */
struct raw {
	const struct vf_archive_lib *al;
	struct vf_file f;
	uint64_t pos;
	struct vf_err err;
	unsigned char buf[BLOCK];
};

static la_ssize_t raw_read(struct archive *a, void *cd, const void **out)
{
	struct raw *r = cd;
	uint64_t left = r->pos < r->f.size ? r->f.size - r->pos : 0;
	size_t want = left < BLOCK ? (size_t)left : BLOCK;

	*out = r->buf;
	if (!want)
		return 0;
	if (vf_file_pread(&r->f, r->buf, want, r->pos, &r->err)) {
		r->al->set_error(a, EIO, "%s", r->err.msg);
		return -1;
	}
	r->pos += want;
	return (la_ssize_t)want;
}

static la_int64_t raw_seek(struct archive *a, void *cd, la_int64_t off, int whence)
{
	struct raw *r = cd;
	int64_t base = whence == SEEK_SET   ? 0
		       : whence == SEEK_CUR ? (int64_t)r->pos
					    : (int64_t)r->f.size;

	(void)a;
	if (off < -base || base + off > (int64_t)r->f.size)
		return ARCHIVE_FATAL;
	r->pos = (uint64_t)(base + off);
	return (la_int64_t)r->pos;
}

static la_int64_t raw_skip(struct archive *a, void *cd, la_int64_t n)
{
	struct raw *r = cd;
	uint64_t left = r->f.size - r->pos;

	(void)a;
	if (n < 0)
		return 0;
	if ((uint64_t)n > left)
		n = (la_int64_t)left;
	r->pos += (uint64_t)n;
	return n;
}

/*
 * Normalises an archive member name into out: no leading "./" or "/"-less
 * trouble, no empty or "." components, no trailing '/'.  false for names
 * that are absolute, hold "..", or are too long.
 */
static bool normalise(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	if (in[0] == '/')
		return false;
	while (*in) {
		size_t n = strcspn(in, "/");
		if (n == 2 && in[0] == '.' && in[1] == '.')
			return false;
		if (n && !(n == 1 && in[0] == '.')) {
			if (o + n + 2 > cap)
				return false;
			if (o)
				out[o++] = '/';
			memcpy(out + o, in, n);
			o += n;
		}
		in += n;
		while (*in == '/')
			in++;
	}
	out[o] = '\0';
	return true;
}

static enum vf_status add_member(struct vf_archive *arc, const char *name, enum mtype type,
				 uint32_t *idx, struct vf_err *err)
{
	struct member *mb;
	char *copy;
	uint32_t old;
	int r;

	if (vf_strmap_get(&arc->names, name, &old)) {
		/* a folder may be listed twice, or implied before it is listed */
		if (type == M_DIR && arc->m[old].type == M_DIR) {
			*idx = old;
			return VF_OK;
		}
		return vf_fail(err, VF_EFORMAT, arc->path, "archive holds \"%s\" twice", name);
	}
	if (arc->n >= VF_ARCHIVE_MAX_MEMBERS)
		return vf_fail(err, VF_EFORMAT, arc->path, "archive has more than %u members",
			       (unsigned)VF_ARCHIVE_MAX_MEMBERS);
	if (!vf_grow(&arc->m, &arc->cap, arc->n, sizeof(*arc->m), 64))
		return vf_fail(err, VF_ENOMEM, arc->path, "out of memory");
	if (!(copy = vf_arena_alloc(&arc->arena, strlen(name) + 1)))
		return vf_fail(err, VF_ENOMEM, arc->path, "out of memory");
	memcpy(copy, name, strlen(name) + 1);
	mb = &arc->m[arc->n];
	memset(mb, 0, sizeof(*mb));
	mb->name = copy;
	mb->type = (uint8_t)type;
	mb->arc = arc;
	r = vf_strmap_put(&arc->names, copy, (uint32_t)arc->n, NULL);
	if (r < 0)
		return vf_fail(err, VF_ENOMEM, arc->path, "out of memory");
	*idx = (uint32_t)arc->n++;
	return VF_OK;
}

/* Adds name and every folder above it; *idx is name's member. */
static enum vf_status add_path(struct vf_archive *arc, char *name, enum mtype type, uint32_t *idx,
			       struct vf_err *err)
{
	uint32_t parent = 0, i;
	enum vf_status st;

	for (char *s = strchr(name, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		st = add_member(arc, name, M_DIR, &i, err);
		*s = '/';
		if (st)
			return st;
		arc->m[i].parent = parent;
		parent = i;
	}
	if ((st = add_member(arc, name, type, idx, err)))
		return st;
	arc->m[*idx].parent = parent;
	return VF_OK;
}

/*
 * How much of a compressed member the readers may need: a .json file whole
 * (index.c reads indexes up to 100 MB), a .safetensors file its length and
 * header, a .gguf file a generous prefix (metadata and tensor infos), others
 * enough to be recognised.
 */
static uint64_t keep_wanted(const char *name, uint64_t size, const unsigned char *first8,
			    size_t nfirst)
{
	uint64_t w = VF_ARCHIVE_SNIFF;

	if (has_suffix(name, ".json"))
		w = size <= VF_ARCHIVE_PREFIX_MAX ? size : 0;
	else if (has_suffix(name, ".gguf"))
		w = VF_ARCHIVE_GGUF_PREFIX;
	else if (has_suffix(name, ".safetensors") && nfirst == 8) {
		uint64_t n = 0;
		for (int i = 7; i >= 0; i--)
			n = (n << 8) | first8[i];
		w = n <= VF_SAFETENSORS_MAX_HEADER ? 8 + n : 8;
	}
	return w < size ? w : size;
}

static enum vf_status keep_prefix(struct vf_archive *arc, struct archive *a, struct member *mb,
				  struct vf_err *err)
{
	unsigned char first8[8];
	size_t got = 0;
	uint64_t want;

	while (got < 8 && got < mb->size) {
		la_ssize_t r = arc->al->read_data(a, first8 + got, 8 - got);
		if (r < 0)
			return vf_fail(err, VF_EFORMAT, arc->path, "cannot read \"%s\": %s",
				       mb->name, arc->al->error_string(a));
		if (r == 0)
			break;
		got += (size_t)r;
	}
	want = keep_wanted(mb->name, mb->size, first8, got);
	if (want < got)
		want = got;
	/* the memory kept for all members together is bounded */
	if (arc->kept_total + want > VF_ARCHIVE_KEEP_MAX)
		want = got;
	if (!(mb->kept = vf_malloc(want ? (size_t)want : 1)))
		return vf_fail(err, VF_ENOMEM, arc->path, "out of memory");
	memcpy(mb->kept, first8, got);
	while (got < want) {
		la_ssize_t r = arc->al->read_data(a, mb->kept + got, (size_t)(want - got));
		if (r < 0)
			return vf_fail(err, VF_EFORMAT, arc->path, "cannot read \"%s\": %s",
				       mb->name, arc->al->error_string(a));
		if (r == 0)
			break; /* shorter than its header says: the reader says truncated */
		got += (size_t)r;
	}
	mb->nkept = got;
	arc->kept_total += got;
	return VF_OK;
}

static enum vf_status scan_entry(struct vf_archive *arc, struct archive *a, struct archive_entry *e,
				 bool zip, struct raw *raw, struct vf_err *err)
{
	char name[NAME_MAX_LEN];
	const char *raw_name = arc->al->entry_pathname(e);
	mode_t ft = arc->al->entry_filetype(e);
	const char *hard = arc->al->entry_hardlink(e);
	enum mtype type;
	struct member *mb;
	uint32_t idx;
	enum vf_status st;

	if (!raw_name)
		return vf_fail(err, VF_EFORMAT, arc->path, "a member has no name");
	if (!normalise(raw_name, name, sizeof(name)))
		return vf_fail(err, VF_EFORMAT, arc->path,
			       "member \"%.200s\" points outside the archive (an absolute name, "
			       "\"..\", or too long)",
			       raw_name);
	if (hard)
		type = M_HARD;
	else if (ft == AE_IFDIR)
		type = M_DIR;
	else if (ft == AE_IFLNK)
		type = M_LINK;
	else if (ft == AE_IFREG)
		type = M_FILE;
	else
		return VF_OK; /* devices, fifos: nothing a model is made of */
	if (!name[0]) {
		if (type == M_DIR)
			return VF_OK; /* "./": the root itself */
		return vf_fail(err, VF_EFORMAT, arc->path, "member \"%.200s\" has no name",
			       raw_name);
	}
	/* torch.save writes ARCHIVE/data.pkl: a checkpoint named .zip, which the
	 * PyTorch reader reads, and which may have more members than a folder */
	if (zip && type == M_FILE && strchr(name, '/') && strchr(name, '/') == strrchr(name, '/') &&
	    strcmp(base_name(name), "data.pkl") == 0) {
		arc->torch_zip = true;
		return VF_OK;
	}
	if ((st = add_path(arc, name, type, &idx, err)))
		return st;
	mb = &arc->m[idx];
	if (type == M_LINK || type == M_HARD) {
		const char *t = type == M_LINK ? arc->al->entry_symlink(e) : hard;
		char *copy;
		if (!t)
			return vf_fail(err, VF_EFORMAT, arc->path, "link \"%s\" has no target",
				       name);
		if (type == M_HARD) { /* names a member: same rules as names */
			char norm[NAME_MAX_LEN];
			if (!normalise(t, norm, sizeof(norm)))
				return vf_fail(err, VF_EFORMAT, arc->path,
					       "link \"%s\" points outside the archive", name);
			t = norm;
			copy = vf_arena_alloc(&arc->arena, strlen(t) + 1);
			if (copy)
				memcpy(copy, t, strlen(t) + 1);
		} else {
			copy = vf_arena_alloc(&arc->arena, strlen(t) + 1);
			if (copy)
				memcpy(copy, t, strlen(t) + 1);
		}
		if (!copy)
			return vf_fail(err, VF_ENOMEM, arc->path, "out of memory");
		mb->target = copy;
		return VF_OK;
	}
	if (type != M_FILE)
		return VF_OK;
	if (arc->al->entry_is_encrypted(e))
		return vf_fail(err, VF_EFORMAT, arc->path, "member \"%s\" is encrypted", name);
	mb->size = arc->al->entry_size_is_set(e) ? (uint64_t)arc->al->entry_size(e) : 0;
	/*
	 * Stored whole?  Only without a compression filter; then libarchive has
	 * just consumed the member's header, so the uncompressed position is
	 * where its data starts.  A zip entry's method shows in the per-entry
	 * format name ("ZIP 1.0 (uncompressed)"); a sparse tar member is not one
	 * byte range.
	 */
	if (arc->al->filter_count(a) == 1 && arc->al->entry_size_is_set(e) &&
	    arc->al->entry_sparse_count(e) == 0 &&
	    (!zip || strstr(arc->al->format_name(a), "(uncompressed)"))) {
		uint64_t off = (uint64_t)arc->al->filter_bytes(a, 0);
		if (off > raw->f.size || mb->size > raw->f.size - off)
			return vf_fail(err, VF_EFORMAT, arc->path,
				       "member \"%s\" runs past the end of the archive", name);
		mb->contiguous = true;
		mb->off = off;
		return VF_OK;
	}
	return keep_prefix(arc, a, mb, err);
}

/* Directory listings: each member's children, in name order. */
static int cmp_child(const void *pa, const void *pb, void *ctx)
{
	const struct member *m = ctx;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	if (m[a].parent != m[b].parent)
		return m[a].parent < m[b].parent ? -1 : 1;
	return strcmp(m[a].name, m[b].name);
}

static enum vf_status index_children(struct vf_archive *arc, struct vf_err *err)
{
	size_t k = 0;

	if (!(arc->children = vf_calloc(arc->n ? arc->n : 1, sizeof(*arc->children))))
		return vf_fail(err, VF_ENOMEM, arc->path, "out of memory");
	for (size_t i = 1; i < arc->n; i++)
		arc->children[k++] = (uint32_t)i;
	qsort_r(arc->children, k, sizeof(*arc->children), cmp_child, arc->m);
	for (size_t i = 0; i < k; i++) {
		struct member *p = &arc->m[arc->m[arc->children[i]].parent];
		if (!p->nchildren)
			p->first_child = (uint32_t)i;
		p->nchildren++;
	}
	return VF_OK;
}

/*
 * Resolves a path inside the archive to a member, following links inside the
 * archive.  follow: also follow a link in the last component.  -1 with errno
 * ENOENT, ENOTDIR or ELOOP when there is none.
 */
static long resolve(const struct vf_archive *arc, const char *path, bool follow)
{
	char cur[NAME_MAX_LEN], rest[2 * NAME_MAX_LEN];
	size_t clen = 0;
	unsigned hops = 0;
	uint32_t idx = 0;

	if (strlen(path) >= sizeof(rest)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(rest, path);
	cur[0] = '\0';
	for (;;) {
		char *r = rest, comp[NAME_MAX_LEN];
		size_t n;
		const struct member *mb;
		while (*r == '/')
			r++;
		if (!*r)
			break;
		n = strcspn(r, "/");
		if (n >= sizeof(comp) || clen + n + 2 > sizeof(cur)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, r, n);
		comp[n] = '\0';
		memmove(rest, r + n, strlen(r + n) + 1);
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			char *s = strrchr(cur, '/');
			if (!clen) { /* never above the archive's root */
				errno = ENOENT;
				return -1;
			}
			clen = s ? (size_t)(s - cur) : 0;
			cur[clen] = '\0';
			continue;
		}
		if (clen)
			cur[clen++] = '/';
		memcpy(cur + clen, comp, n + 1);
		clen += n;
		if (!vf_strmap_get(&arc->names, cur, &idx)) {
			errno = ENOENT;
			return -1;
		}
		mb = &arc->m[idx];
		if (mb->type == M_HARD) {
			if (!vf_strmap_get(&arc->names, mb->target, &idx) ||
			    arc->m[idx].type != M_FILE) {
				errno = ENOENT;
				return -1;
			}
			mb = &arc->m[idx];
		}
		if (mb->type == M_LINK && (rest[0] || follow)) {
			char *s;
			if (++hops > LINK_HOPS) {
				errno = ELOOP;
				return -1;
			}
			if (mb->target[0] == '/' ||
			    strlen(mb->target) + strlen(rest) + 2 > sizeof(rest)) {
				errno = ENOENT; /* an absolute link leaves the archive */
				return -1;
			}
			memmove(rest + strlen(mb->target) + 1, rest, strlen(rest) + 1);
			memcpy(rest, mb->target, strlen(mb->target));
			rest[strlen(mb->target)] = '/';
			s = strrchr(cur, '/'); /* a link is relative to its folder */
			clen = s ? (size_t)(s - cur) : 0;
			cur[clen] = '\0';
			continue;
		}
		if (mb->type == M_FILE && rest[strspn(rest, "/")]) {
			errno = ENOTDIR;
			return -1;
		}
	}
	if (!clen)
		return 0;
	/* after a "..", cur names a folder already passed: look it up again */
	if (!vf_strmap_get(&arc->names, cur, &idx)) {
		errno = ENOENT;
		return -1;
	}
	if (arc->m[idx].type == M_HARD && !vf_strmap_get(&arc->names, arc->m[idx].target, &idx)) {
		errno = ENOENT;
		return -1;
	}
	return (long)idx;
}

static int mt_stat(void *ctx, const char *rel, struct stat *st)
{
	const struct vf_archive *arc = ctx;
	long i = resolve(arc, rel, true);

	if (i < 0)
		return -1;
	memset(st, 0, sizeof(*st));
	st->st_mode = arc->m[i].type == M_DIR ? S_IFDIR | 0555 : S_IFREG | 0444;
	st->st_size = (off_t)arc->m[i].size;
	return 0;
}

static enum vf_status kept_read(const struct vf_file *f, void *buf, size_t n, uint64_t off,
				struct vf_err *err)
{
	const struct member *mb = f->ctx;

	if (off > f->size || n > f->size - off)
		return vf_fail(err, VF_EFORMAT, f->path, "truncated: file ends at byte %llu",
			       (unsigned long long)f->size);
	if (off + n > mb->nkept)
		return vf_fail(err, VF_EFORMAT, f->path,
			       "reading it needs byte %llu, but a member of a compressed archive "
			       "is read only as far as its header (%zu bytes here): unpack the "
			       "archive, or pack it as .tar or a stored .zip (zip -0)",
			       (unsigned long long)(off + n), mb->nkept);
	memcpy(buf, mb->kept + off, n);
	return VF_OK;
}

static enum vf_status mt_open(void *ctx, const char *rel, const char *path, struct vf_file *f,
			      struct vf_err *err)
{
	struct vf_archive *arc = ctx;
	long i = resolve(arc, rel, true);
	struct member *mb;

	if (i < 0)
		return vf_fail(err, VF_EIO, path, "cannot open: %s", strerror(errno));
	mb = &arc->m[i];
	if (mb->type != M_FILE)
		return vf_fail(err, VF_EFORMAT, path, "not a regular file");
	if (mb->contiguous)
		return vf_file_open_range(f, arc->path, mb->off, mb->size, path, err);
	f->size = mb->size;
	f->read = kept_read;
	f->ctx = mb;
	return VF_OK;
}

static const char *mt_entry(void *ctx, const char *rel, size_t i)
{
	const struct vf_archive *arc = ctx;
	long d = resolve(arc, rel, true);

	if (d < 0 || arc->m[d].type != M_DIR || i >= arc->m[d].nchildren)
		return NULL;
	return base_name(arc->m[arc->children[arc->m[d].first_child + i]].name);
}

static void arc_free(struct vf_archive *arc)
{
	if (!arc)
		return;
	for (size_t i = 0; i < arc->n; i++)
		vf_free(arc->m[i].kept);
	vf_free(arc->m);
	vf_free(arc->children);
	vf_strmap_free(&arc->names);
	vf_arena_free(&arc->arena);
	vf_free(arc->path);
	vf_free(arc);
}

static enum vf_status archive_list(struct vf_archive *arc, bool zip, struct vf_err *err)
{
	struct raw *raw = vf_calloc(1, sizeof(*raw));
	struct archive *a = NULL;
	struct archive_entry *e;
	enum vf_status st = VF_OK;
	uint32_t root;
	int r;

	if (!raw)
		return vf_fail(err, VF_ENOMEM, arc->path, "out of memory");
	raw->f.fd = -1;
	if ((st = vf_file_open(&raw->f, arc->path, err)))
		goto out;
	if ((st = vf_archive_lib(&arc->al, arc->path, err)))
		goto out;
	raw->al = arc->al;
	if ((st = add_member(arc, "", M_DIR, &root, err)))
		goto out;
	if (!(a = arc->al->read_new())) {
		st = vf_fail(err, VF_ENOMEM, arc->path, "out of memory");
		goto out;
	}
	if (zip) {
		arc->al->read_support_format_zip_seekable(a);
	} else {
		/* gzip only: libarchive's other filters may run external programs */
		arc->al->read_support_format_tar(a);
		arc->al->read_support_filter_gzip(a);
	}
	arc->al->read_set_read_callback(a, raw_read);
	arc->al->read_set_seek_callback(a, raw_seek);
	arc->al->read_set_skip_callback(a, raw_skip);
	arc->al->read_set_callback_data(a, raw);
	if (arc->al->read_open1(a) != ARCHIVE_OK) {
		st = vf_fail(err, VF_EFORMAT, arc->path, "not a readable %s archive: %s",
			     zip ? "zip" : "tar", arc->al->error_string(a));
		goto out;
	}
	while ((r = arc->al->read_next_header(a, &e)) == ARCHIVE_OK && !arc->torch_zip)
		if ((st = scan_entry(arc, a, e, zip, raw, err)))
			goto out;
	if (r != ARCHIVE_EOF && !arc->torch_zip) {
		const char *why = raw->err.status ? raw->err.msg : arc->al->error_string(a);
		st = vf_fail(err, raw->err.status == VF_EIO ? VF_EIO : VF_EFORMAT, arc->path,
			     "not a readable %s archive: %s", zip ? "zip" : "tar",
			     why ? why : "unknown error");
		goto out;
	}
	st = index_children(arc, err);
out:
	if (a)
		arc->al->read_free(a);
	vf_file_close(&raw->f);
	vf_free(raw);
	return st;
}

static bool archive_name(const char *p, bool *zip)
{
	*zip = has_suffix(p, ".zip");
	return *zip || has_suffix(p, ".tar") || has_suffix(p, ".tar.gz") || has_suffix(p, ".tgz") ||
	       has_suffix(p, ".nemo");
}

/* A folder holds a model when it has a config.json or a checkpoint file. */
static bool holds_model(const struct vf_archive *arc, uint32_t d, bool *nemo_only)
{
	static const char *const sufs[] = {".safetensors", ".bin", ".pt", ".pth", ".gguf"};
	const struct member *dm = &arc->m[d];
	bool any = false, nemo = false;

	for (uint32_t k = 0; k < dm->nchildren; k++) {
		const struct member *c = &arc->m[arc->children[dm->first_child + k]];
		const char *b = base_name(c->name);
		if (c->type == M_DIR || b[0] == '.')
			continue;
		if (strcmp(b, "config.json") == 0)
			any = true;
		for (size_t i = 0; i < sizeof(sufs) / sizeof(sufs[0]); i++)
			any = any || has_suffix(b, sufs[i]);
		/* NeMo 1.x: model_config.yaml beside a torch.save'd state dict */
		nemo = nemo || strcmp(b, "model_weights.ckpt") == 0;
	}
	*nemo_only = nemo && !any;
	return any || nemo;
}

static size_t depth(const char *name)
{
	size_t n = *name ? 1 : 0;

	for (; *name; name++)
		n += *name == '/';
	return n;
}

/* The folder of the archive that holds the model: the shallowest one. */
static enum vf_status pick_root(const struct vf_archive *arc, char **out, struct vf_err *err)
{
	long best = -1;
	bool best_nemo = false;
	size_t bd = 0;

	*out = NULL;
	for (size_t i = 0; i < arc->n; i++) {
		bool nemo;
		if (arc->m[i].type != M_DIR || !holds_model(arc, (uint32_t)i, &nemo))
			continue;
		if (best >= 0 && depth(arc->m[i].name) == bd) {
			const char *a = arc->m[best].name, *b = arc->m[i].name;
			if (strcmp(a, b) > 0) { /* in name order, whatever the archive's */
				const char *t = a;
				a = b;
				b = t;
			}
			return vf_fail(err, VF_EFORMAT, arc->path,
				       "archive holds models in \"%s\" and \"%s\": unpack it and "
				       "name one",
				       a, b);
		}
		if (best < 0 || depth(arc->m[i].name) < bd) {
			best = (long)i;
			bd = depth(arc->m[i].name);
			best_nemo = nemo;
		}
	}
	if (best < 0)
		return vf_fail(err, VF_EFORMAT, arc->path,
			       "archive holds no checkpoint (safetensors, PyTorch, GGUF) or "
			       "config.json");
	{
		const char *d = arc->m[best].name;
		char *p = *d ? vf_strjoin3(arc->path, "/", d) : vf_strdup(arc->path);
		if (p && best_nemo) {
			char *q = vf_path_join(p, "model_weights.ckpt");
			vf_free(p);
			p = q;
		}
		if (!p)
			return vf_fail(err, VF_ENOMEM, arc->path, "out of memory");
		*out = p;
	}
	return VF_OK;
}

static enum vf_status archive_open(const char *path, bool zip, struct vf_source *src,
				   struct vf_err *err)
{
	struct vf_archive *arc = vf_calloc(1, sizeof(*arc));
	size_t n;
	enum vf_status st;

	if (!arc || !(arc->path = vf_strdup(path))) {
		vf_free(arc);
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	}
	/* the mount root is the archive's name without trailing slashes */
	n = strlen(arc->path);
	while (n > 1 && arc->path[n - 1] == '/')
		arc->path[--n] = '\0';
	if ((st = archive_list(arc, zip, err)))
		goto fail;
	if (arc->torch_zip) {
		arc_free(arc); /* a PyTorch checkpoint: the zip reader reads it */
		return VF_OK;
	}
	if ((st = pick_root(arc, &src->owned, err)))
		goto fail;
	arc->mt.root = arc->path;
	arc->mt.ctx = arc;
	arc->mt.stat = mt_stat;
	arc->mt.open = mt_open;
	arc->mt.entry = mt_entry;
	vf_mount_push(&arc->mt);
	src->arc = arc;
	src->path = src->owned;
	return VF_OK;
fail:
	arc_free(arc);
	return st;
}

/* ---- the source of a PATH ---- */

enum vf_status vf_source_open(struct vf_source *src, const char *path, const struct vf_open_opts *o,
			      struct vf_err *err)
{
	const char *rev = o ? o->revision : NULL;
	struct stat sb;
	bool zip;
	enum vf_status st;

	memset(src, 0, sizeof(*src));
	src->path = path;
	if (stat(path, &sb) == 0) {
		if (rev)
			return vf_fail(err, VF_EUSAGE, path,
				       "--revision is for a Hugging Face model id, and this is a "
				       "local path");
		if (!S_ISREG(sb.st_mode) || !archive_name(path, &zip))
			return VF_OK;
		return archive_open(path, zip, src, err);
	}
	if (errno != ENOENT || !vf_hf_is_repo_id(path)) {
		if (rev)
			return vf_fail(err, VF_EUSAGE, path,
				       "--revision is for a Hugging Face model id (ORG/NAME)");
		return VF_OK; /* the caller reports what is wrong with the path */
	}
	{
		bool missing = false;
		struct vf_err local = {0};
		if (!(st = vf_hf_resolve2(path, rev, &src->owned, &missing, &local))) {
			src->path = src->owned;
			return VF_OK;
		}
		if (!missing) {
			vf_fail(err, local.status, local.path, "%s", local.msg);
			return st;
		}
		if (vf_hf_offline()) {
			/* the hub reader may still answer from vramfit's header cache */
			if (!vf_hub_open(&src->hub, path, rev, o ? o->variant : NULL, err))
				goto hub;
			if (strstr(err->msg, "HF_HUB_OFFLINE")) {
				vf_err_clear(err);
				/* the cache's own words say where it looked */
				return vf_fail(err, VF_EIO, path,
					       "%s; HF_HUB_OFFLINE is set, so the hub is not asked",
					       local.msg);
			}
			return err->status;
		}
		if ((st = vf_hub_open(&src->hub, path, rev, o ? o->variant : NULL, err)))
			return st;
	}
hub:
	src->path = vf_hub_root(src->hub);
	return VF_OK;
}

void vf_source_close(struct vf_source *src)
{
	vf_hub_close(src->hub);
	if (src->arc) {
		vf_mount_pop(&src->arc->mt);
		arc_free(src->arc);
	}
	vf_free(src->owned);
	memset(src, 0, sizeof(*src));
}
