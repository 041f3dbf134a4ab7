/* stream.c - windowed sequential reads; see stream.h. */
#include "common/stream.h"

#include <string.h>

#include "common/mem.h"

enum vf_status vf_stream_open_file(struct vf_stream *s, struct vf_file *f, uint64_t start,
				   struct vf_err *err)
{
	memset(s, 0, sizeof(*s));
	s->file = f;
	s->size = f->size;
	s->pos = start;
	s->path = f->path;
	s->win = vf_malloc(VF_STREAM_WINDOW);
	if (!s->win)
		return vf_fail(err, VF_ENOMEM, f->path, "out of memory");
	return VF_OK;
}

void vf_stream_open_mem(struct vf_stream *s, const void *mem, size_t len, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->mem = mem;
	s->size = len;
	s->path = path;
}

void vf_stream_close(struct vf_stream *s)
{
	vf_free(s->win);
	s->win = NULL;
}

static enum vf_status truncated(struct vf_stream *s, struct vf_err *err)
{
	return vf_fail(err, VF_EFORMAT, s->path, "truncated: needs bytes past the end at offset %llu",
		       (unsigned long long)s->size);
}

enum vf_status vf_stream_read(struct vf_stream *s, void *out, size_t n, struct vf_err *err)
{
	unsigned char *o = out;

	if (n > vf_stream_left(s))
		return truncated(s, err);
	if (s->mem) {
		memcpy(o, s->mem + s->pos, n);
		s->pos += n;
		return VF_OK;
	}
	while (n) {
		size_t have, take;
		if (s->pos < s->win_off || s->pos >= s->win_off + s->win_len) {
			uint64_t left = s->size - s->pos;
			size_t want = left < VF_STREAM_WINDOW ? (size_t)left : VF_STREAM_WINDOW;
			enum vf_status st = vf_file_pread(s->file, s->win, want, s->pos, err);
			if (st)
				return st;
			s->win_off = s->pos;
			s->win_len = want;
		}
		have = (size_t)(s->win_off + s->win_len - s->pos);
		take = n < have ? n : have;
		memcpy(o, s->win + (s->pos - s->win_off), take);
		o += take;
		n -= take;
		s->pos += take;
	}
	return VF_OK;
}

enum vf_status vf_stream_skip(struct vf_stream *s, uint64_t n, struct vf_err *err)
{
	if (n > vf_stream_left(s))
		return truncated(s, err);
	s->pos += n; /* the window refills lazily, so a skip reads nothing */
	return VF_OK;
}

#define LE(type, bytes)                                                                        \
	enum vf_status st;                                                                     \
	unsigned char b[bytes];                                                                \
	type r = 0;                                                                            \
	if ((st = vf_stream_read(s, b, bytes, err)))                                           \
		return st;                                                                     \
	for (int i = bytes - 1; i >= 0; i--)                                                   \
		r = (type)((r << 8) | b[i]);                                                   \
	*v = r;                                                                                \
	return VF_OK

enum vf_status vf_stream_u8(struct vf_stream *s, uint8_t *v, struct vf_err *err)
{
	LE(uint8_t, 1);
}

enum vf_status vf_stream_u16(struct vf_stream *s, uint16_t *v, struct vf_err *err)
{
	LE(uint16_t, 2);
}

enum vf_status vf_stream_u32(struct vf_stream *s, uint32_t *v, struct vf_err *err)
{
	LE(uint32_t, 4);
}

enum vf_status vf_stream_u64(struct vf_stream *s, uint64_t *v, struct vf_err *err)
{
	LE(uint64_t, 8);
}
