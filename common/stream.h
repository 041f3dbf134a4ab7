/*
 * stream.h - sequential reads of a file (or a memory buffer) through a small
 * window, for formats whose header has no length prefix (GGUF, legacy torch
 * pickles).
 *
 * Memory stays at one window (VF_STREAM_WINDOW bytes) whatever the file size,
 * and skips past large spans seek instead of reading, so a reader can walk
 * past a multi-GB data section by reading only what it parses.  Reads are
 * counted in vf_bytes_read (common/file.h).  Reading past the end is a
 * VF_EFORMAT "truncated" error naming the file and offset.
 */
#ifndef VF_STREAM_H
#define VF_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/file.h"

#define VF_STREAM_WINDOW 16384

struct vf_stream {
	struct vf_file *file;	  /* NULL for a memory stream */
	const unsigned char *mem; /* memory stream data */
	uint64_t size;		  /* bytes in the file or buffer */
	uint64_t pos;		  /* offset of the next byte to read */
	unsigned char *win;	  /* window buffer (file streams) */
	uint64_t win_off;	  /* file offset of win[0] */
	size_t win_len;		  /* valid bytes in win */
	const char *path;	  /* for messages */
};

/* A stream over file f starting at offset start (f must outlive it). */
enum vf_status vf_stream_open_file(struct vf_stream *s, struct vf_file *f, uint64_t start,
				   struct vf_err *err);
/* A stream over len bytes at mem (not copied). */
void vf_stream_open_mem(struct vf_stream *s, const void *mem, size_t len, const char *path);
void vf_stream_close(struct vf_stream *s);

/* Copies the next n bytes into out. */
enum vf_status vf_stream_read(struct vf_stream *s, void *out, size_t n, struct vf_err *err);
/* Skips n bytes; fails (truncated) if that passes the end. */
enum vf_status vf_stream_skip(struct vf_stream *s, uint64_t n, struct vf_err *err);
/* Little-endian integers. */
enum vf_status vf_stream_u8(struct vf_stream *s, uint8_t *v, struct vf_err *err);
enum vf_status vf_stream_u16(struct vf_stream *s, uint16_t *v, struct vf_err *err);
enum vf_status vf_stream_u32(struct vf_stream *s, uint32_t *v, struct vf_err *err);
enum vf_status vf_stream_u64(struct vf_stream *s, uint64_t *v, struct vf_err *err);

/* Bytes left before the end: an upper bound for any length read from the file. */
static inline uint64_t vf_stream_left(const struct vf_stream *s)
{
	return s->size - s->pos;
}

#endif
