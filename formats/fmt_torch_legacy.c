/*
 * fmt_torch_legacy.c - PyTorch's pre-1.6 format
 * (`torch.save(..., _use_new_zipfile_serialization=False)`), and the sharded
 * pytorch_model.bin.index.json.
 *
 * Layout (torch/serialization.py, _legacy_save): five pickles back to back --
 * the magic number, the protocol version 1001, a sys_info dict, the object,
 * the list of storage keys -- then, for each key in that order, an int64 count
 * of elements followed by the raw bytes.  The pickles are read through a 16
 * KiB window; each storage costs one 8-byte read of its count, and its bytes
 * are skipped by offset, never read.
 */
#include <string.h>

#include "common/file.h"
#include "common/mem.h"
#include "formats/torch_pickle.h"

#define LEGACY_BUDGET (512u << 20)

static enum vf_status read_storages(struct tp_machine *pm, struct vf_file *f, uint64_t pos,
				    void *keys, struct vf_err *err)
{
	size_t n, nst = tp_storage_count(pm);

	tp_list_str(keys, 0, &n);
	if (n != nst)
		return vf_fail(err, VF_EFORMAT, f->path,
			       "the key list names %zu storages but the object uses %zu", n, nst);
	for (size_t i = 0; i < n; i++) {
		const char *key = tp_list_str(keys, i, &n);
		struct tp_storage *s = NULL;
		unsigned char c8[8];
		uint64_t count = 0, end;
		if (!key)
			return vf_fail(err, VF_EFORMAT, f->path, "storage key %zu is not a string",
				       i);
		/* a hash lookup: scanning the storages for each key was quadratic,
		 * 35 s for a checkpoint of 80,000 tensors */
		if (!(s = tp_storage_find(pm, key)))
			return vf_fail(err, VF_EFORMAT, f->path,
				       "storage \"%s\" is listed but not used", key);
		if (f->size - pos < 8)
			return vf_fail(err, VF_EFORMAT, f->path,
				       "truncated: storage \"%s\" is missing", key);
		if (vf_file_pread(f, c8, 8, pos, err))
			return err->status;
		for (int b = 7; b >= 0; b--)
			count = (count << 8) | c8[b];
		if (count != s->numel)
			return vf_fail(
			    err, VF_EFORMAT, f->path,
			    "storage \"%s\" holds %llu elements but is described with %llu", key,
			    (unsigned long long)count, (unsigned long long)s->numel);
		s->data_offset = pos + 8;
		if (!vf_add_ok(pos + 8, s->nbytes, &end) || end > f->size)
			return vf_fail(err, VF_EFORMAT, f->path,
				       "storage \"%s\" runs past the end of the file", key);
		pos = end;
	}
	if (pos != f->size)
		return vf_fail(err, VF_EFORMAT, f->path,
			       "%llu trailing bytes after the last storage",
			       (unsigned long long)(f->size - pos));
	return VF_OK;
}

enum vf_status vf_torch_legacy_read_file(struct vf_model *m, const char *path, const char *key,
					 struct vf_err *err)
{
	struct vf_file f;
	struct vf_stream s = {0};
	struct tp_machine *pm = NULL;
	void *magic, *proto, *info, *obj, *keys;
	int64_t version;
	uint32_t file;
	enum vf_status st;

	if ((st = vf_file_open(&f, path, err)))
		return st;
	if ((st = vf_stream_open_file(&s, &f, 0, err)))
		goto out;
	if (!(pm = tp_new(path, LEGACY_BUDGET))) {
		st = vf_fail(err, VF_ENOMEM, path, "out of memory");
		goto out;
	}
	if ((st = tp_load(pm, &s, &magic, err)))
		goto out;
	if (!tp_is_magic(magic)) {
		st = vf_fail(err, VF_EFORMAT, path,
			     "not a PyTorch checkpoint (a pickle without torch's magic number)");
		goto out;
	}
	if ((st = tp_load(pm, &s, &proto, err)))
		goto out;
	if (!tp_is_int(proto, &version) || version != 1001) {
		st = vf_fail(err, VF_EFORMAT, path, "unsupported legacy protocol version");
		goto out;
	}
	if ((st = tp_load(pm, &s, &info, err)) || (st = tp_load(pm, &s, &obj, err)) ||
	    (st = tp_load(pm, &s, &keys, err)))
		goto out;
	if ((st = read_storages(pm, &f, s.pos, keys, err)))
		goto out;
	if ((st = vf_model_add_file(m, path, &file, err)))
		goto out;
	m->ordered = true;
	st = tp_add_tensors(pm, obj, key, m, file, err);
out:
	tp_free(pm);
	vf_stream_close(&s);
	vf_file_close(&f);
	return st;
}

/* ---- pytorch_model.bin.index.json ---- */

static enum vf_status read_shard(struct vf_model *m, const char *path, void *ctx, void *parsed,
				 struct vf_err *err)
{
	const char *key = ctx;
	struct vf_file f;
	unsigned char h[4] = {0};
	enum vf_status st;

	(void)parsed; /* no parse step: always NULL */
	if ((st = vf_file_open(&f, path, err)))
		return st;
	st = vf_file_pread(&f, h, f.size < 4 ? (size_t)f.size : 4, 0, err);
	vf_file_close(&f);
	if (st)
		return st;
	if (memcmp(h, "PK\3\4", 4) == 0)
		return vf_torch_zip_read_file(m, path, key, err);
	return vf_torch_legacy_read_file(m, path, key, err);
}

enum vf_status vf_torch_read_index(struct vf_model *m, const char *index_path, const char *key,
				   struct vf_err *err)
{
	enum vf_status st;

	m->format = VF_FMT_PYTORCH_ZIP;
	{
		/* pickles are read on this thread: no parse step */
		static const struct vf_shard_ops ops = {NULL, read_shard, NULL};
		st = vf_index_read(m, index_path, &ops, (void *)key, err);
	}
	if (!st && m->nfiles) {
		/* report the shards' own format */
		struct vf_file f;
		unsigned char h[4] = {0};
		if (!vf_file_open(&f, m->files[0], err)) {
			if (!vf_file_pread(&f, h, f.size < 4 ? (size_t)f.size : 4, 0, err) &&
			    memcmp(h, "PK\3\4", 4) != 0)
				m->format = VF_FMT_PYTORCH_LEGACY;
			vf_file_close(&f);
		}
		st = err->status;
	}
	return st;
}
