/*
 * fmt_torch_zip.c - PyTorch checkpoints in the zip format (torch >= 1.6;
 * .bin, .pt, .pth), read with libarchive's seekable zip reader (loaded on
 * the first zip opened: formats/archive_lib.h).
 *
 * Only the central directory, the local headers libarchive visits and the
 * data.pkl entry are read; data/<key> entries are skipped by seeking, so the
 * bytes read do not grow with the checkpoint.  All entries sit under one top
 * folder whose name varies ("archive", the file's base name, ...): it is taken
 * from the first entry.  Sizes come from the central directory; each storage
 * named by the pickle must have a data/<key> entry of exactly its byte size.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/mem.h"
#include "common/strmap.h"
#include "formats/archive_lib.h"
#include "formats/torch_pickle.h"

#define PKL_MAX_BYTES (256u << 20) /* data.pkl of a 100k-tensor model is ~20 MB */
/*
 * The pickle machine's budget is 64x data.pkl, but never more than the legacy
 * reader's fixed 512 MiB: data.pkl is compressed in the zip, so a 10 KB file
 * can hold a 10 MB pickle of one-byte opcodes (it took 860 MB before this
 * cap), and a 256 MB one would have been allowed 16 GiB.
 */
#define PKL_BUDGET_MAX (512u << 20)
#define MAX_ENTRIES 1000000u
#define BLOCK 4096 /* small reads: libarchive visits each local header */

struct zsrc {
	const struct vf_archive_lib *al;
	struct vf_file f;
	uint64_t pos;
	unsigned char buf[BLOCK];
};

static la_ssize_t zread(struct archive *a, void *cd, const void **out)
{
	struct zsrc *z = cd;
	uint64_t left = z->pos < z->f.size ? z->f.size - z->pos : 0;
	size_t want = left < BLOCK ? (size_t)left : BLOCK;
	ssize_t r;

	*out = z->buf;
	if (!want)
		return 0;
	/* f.base: the checkpoint may be a member stored in a tar or zip (a view
	 * of that archive file, common/file.h) */
	do
		r = pread(z->f.fd, z->buf, want, (off_t)(z->f.base + z->pos));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		z->al->set_error(a, errno, "read error");
		return -1;
	}
	z->pos += (uint64_t)r;
	vf_bytes_read += (uint64_t)r;
	return r;
}

static la_int64_t zseek(struct archive *a, void *cd, la_int64_t off, int whence)
{
	struct zsrc *z = cd;
	int64_t base = whence == SEEK_SET   ? 0
		       : whence == SEEK_CUR ? (int64_t)z->pos
					    : (int64_t)z->f.size;

	(void)a;
	if (off < -base || base + off > (int64_t)z->f.size)
		return ARCHIVE_FATAL;
	z->pos = (uint64_t)(base + off);
	return (la_int64_t)z->pos;
}

static la_int64_t zskip(struct archive *a, void *cd, la_int64_t n)
{
	struct zsrc *z = cd;
	uint64_t left = z->f.size - z->pos;

	(void)a;
	if (n < 0)
		return 0;
	if ((uint64_t)n > left)
		n = (la_int64_t)left;
	z->pos += (uint64_t)n;
	return n;
}

struct zip_state {
	const struct vf_archive_lib *al;
	struct archive *a;
	struct zsrc *z;
	char *prefix;
	unsigned char *pkl;
	size_t pkl_len;
	bool have_pkl;
	struct vf_strmap sizes; /* storage key -> index into entry_sizes */
	char **keys;
	uint64_t *entry_sizes;
	size_t n, cap;
};

static void zip_state_free(struct zip_state *zs)
{
	if (zs->a)
		zs->al->read_free(zs->a);
	if (zs->z) {
		vf_file_close(&zs->z->f);
		vf_free(zs->z);
	}
	for (size_t i = 0; i < zs->n; i++)
		vf_free(zs->keys[i]);
	vf_strmap_free(&zs->sizes);
	vf_free(zs->keys);
	vf_free(zs->entry_sizes);
	vf_free(zs->prefix);
	vf_free(zs->pkl);
}

static enum vf_status zfail(struct zip_state *zs, const char *path, struct vf_err *err)
{
	const char *why = zs->al->error_string(zs->a);

	return vf_fail(err, VF_EFORMAT, path, "not a readable zip archive: %s",
		       why ? why : "unknown error");
}

static enum vf_status read_pkl(struct zip_state *zs, int64_t size, const char *path,
			       struct vf_err *err)
{
	size_t got = 0;

	/* The directory's size is checked before allocating, and the data is never
	 * allowed to grow past it (a zip bomb declares a small size). */
	if (size < 0 || (uint64_t)size > PKL_MAX_BYTES)
		return vf_fail(err, VF_EFORMAT, path,
			       "data.pkl is %lld bytes, more than the %u allowed", (long long)size,
			       PKL_MAX_BYTES);
	if (!(zs->pkl = vf_malloc((size_t)size + 1)))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	for (;;) {
		la_ssize_t r = zs->al->read_data(zs->a, zs->pkl + got, (size_t)size + 1 - got);
		if (r < 0)
			return zfail(zs, path, err);
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > (size_t)size)
			return vf_fail(err, VF_EFORMAT, path,
				       "data.pkl holds more bytes than its directory entry says");
	}
	if (got != (size_t)size)
		return vf_fail(err, VF_EFORMAT, path, "data.pkl is truncated");
	zs->pkl_len = got;
	zs->have_pkl = true;
	return VF_OK;
}

static enum vf_status record_storage(struct zip_state *zs, const char *key, int64_t size,
				     const char *path, struct vf_err *err)
{
	int r;

	if (zs->n == zs->cap) {
		size_t nc = zs->cap ? zs->cap * 2 : 64;
		char **k = vf_realloc(zs->keys, nc * sizeof(*k));
		uint64_t *s;
		if (!k)
			return vf_fail(err, VF_ENOMEM, path, "out of memory");
		zs->keys = k;
		if (!(s = vf_realloc(zs->entry_sizes, nc * sizeof(*s))))
			return vf_fail(err, VF_ENOMEM, path, "out of memory");
		zs->entry_sizes = s;
		zs->cap = nc;
	}
	if (!(zs->keys[zs->n] = vf_strdup(key)))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	zs->entry_sizes[zs->n] = (uint64_t)size;
	r = vf_strmap_put(&zs->sizes, zs->keys[zs->n], (uint32_t)zs->n, NULL);
	zs->n++;
	if (r < 0)
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	if (r == 0)
		return vf_fail(err, VF_EFORMAT, path, "archive holds data/%s twice", key);
	return VF_OK;
}

static enum vf_status scan(struct zip_state *zs, const char *path, struct vf_err *err)
{
	struct archive_entry *e;
	size_t entries = 0, plen = 0;
	int r;

	while ((r = zs->al->read_next_header(zs->a, &e)) == ARCHIVE_OK) {
		const char *name = zs->al->entry_pathname(e);
		int64_t size = zs->al->entry_size_is_set(e) ? zs->al->entry_size(e) : -1;
		if (!name)
			return vf_fail(err, VF_EFORMAT, path, "zip entry without a name");
		if (++entries > MAX_ENTRIES)
			return vf_fail(err, VF_EFORMAT, path, "archive has more than %u entries",
				       MAX_ENTRIES);
		if (!zs->prefix) {
			const char *slash = strchr(name, '/');
			if (!slash)
				return vf_fail(err, VF_EFORMAT, path,
					       "zip is not a PyTorch checkpoint (no top folder)");
			plen = (size_t)(slash - name) + 1;
			if (!(zs->prefix = vf_strndup(name, plen)))
				return vf_fail(err, VF_ENOMEM, path, "out of memory");
		}
		if (strncmp(name, zs->prefix, plen) != 0)
			continue;
		name += plen;
		if (strcmp(name, "data.pkl") == 0) {
			if (zs->have_pkl)
				return vf_fail(err, VF_EFORMAT, path,
					       "archive holds data.pkl twice");
			if (read_pkl(zs, size, path, err))
				return err->status;
		} else if (strncmp(name, "data/", 5) == 0 && name[5]) {
			if (size < 0)
				return vf_fail(err, VF_EFORMAT, path, "entry %s has no size", name);
			if (record_storage(zs, name + 5, size, path, err))
				return err->status;
		} else if (strcmp(name, "byteorder") == 0) {
			char bo[8] = {0};
			if (zs->al->read_data(zs->a, bo, sizeof(bo) - 1) < 0)
				return zfail(zs, path, err);
			if (strncmp(bo, "little", 6) != 0)
				return vf_fail(err, VF_EFORMAT, path,
					       "checkpoint is big-endian (byteorder \"%s\")", bo);
		}
	}
	if (r != ARCHIVE_EOF)
		return zfail(zs, path, err);
	if (!zs->have_pkl)
		return vf_fail(err, VF_EFORMAT, path,
			       "zip is not a PyTorch checkpoint (no data.pkl)");
	return VF_OK;
}

enum vf_status vf_torch_zip_read_file(struct vf_model *m, const char *path, const char *key,
				      struct vf_err *err)
{
	struct zip_state zs = {0};
	struct tp_machine *pm = NULL;
	struct vf_stream s;
	void *root;
	uint32_t file;
	enum vf_status st;

	if (!(zs.z = vf_calloc(1, sizeof(*zs.z))))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	zs.z->f.fd = -1;
	if ((st = vf_file_open(&zs.z->f, path, err)))
		goto out;
	if (zs.z->f.read) { /* a member of a compressed archive: no fd to seek in */
		st = vf_fail(err, VF_EFORMAT, path,
			     "a PyTorch zip inside a compressed archive needs random access: "
			     "unpack the archive, or pack it as .tar or a stored .zip (zip -0)");
		goto out;
	}
	if ((st = vf_archive_lib(&zs.al, path, err)))
		goto out;
	zs.z->al = zs.al;
	if (!(zs.a = zs.al->read_new())) {
		st = vf_fail(err, VF_ENOMEM, path, "out of memory");
		goto out;
	}
	zs.al->read_support_format_zip_seekable(zs.a);
	zs.al->read_set_read_callback(zs.a, zread);
	zs.al->read_set_seek_callback(zs.a, zseek);
	zs.al->read_set_skip_callback(zs.a, zskip);
	zs.al->read_set_callback_data(zs.a, zs.z);
	if (zs.al->read_open1(zs.a) != ARCHIVE_OK) {
		st = zfail(&zs, path, err);
		goto out;
	}
	if ((st = scan(&zs, path, err)))
		goto out;
	if (!(pm = tp_new(path, zs.pkl_len < (PKL_BUDGET_MAX - (1u << 20)) / 64
				    ? zs.pkl_len * 64 + (1u << 20)
				    : PKL_BUDGET_MAX))) {
		st = vf_fail(err, VF_ENOMEM, path, "out of memory");
		goto out;
	}
	vf_stream_open_mem(&s, zs.pkl, zs.pkl_len, path);
	if ((st = tp_load(pm, &s, &root, err)))
		goto out;
	if (vf_stream_left(&s)) {
		st = vf_fail(err, VF_EFORMAT, path, "data.pkl has %llu bytes after its STOP",
			     (unsigned long long)vf_stream_left(&s));
		goto out;
	}
	for (size_t i = 0; i < tp_storage_count(pm); i++) {
		struct tp_storage *ts = tp_storage_at(pm, i);
		uint32_t k;
		if (!vf_strmap_get(&zs.sizes, ts->key, &k)) {
			st = vf_fail(err, VF_EFORMAT, path, "storage \"%s\" has no data/%s entry",
				     ts->key, ts->key);
			goto out;
		}
		if (zs.entry_sizes[k] != ts->nbytes) {
			st = vf_fail(err, VF_EFORMAT, path,
				     "storage \"%s\" needs %llu bytes but data/%s holds %llu",
				     ts->key, (unsigned long long)ts->nbytes, ts->key,
				     (unsigned long long)zs.entry_sizes[k]);
			goto out;
		}
	}
	if ((st = vf_model_add_file(m, path, &file, err)))
		goto out;
	m->ordered = true; /* a state_dict lists modules in registration order */
	st = tp_add_tensors(pm, root, key, m, file, err);
out:
	tp_free(pm);
	zip_state_free(&zs);
	return st;
}
