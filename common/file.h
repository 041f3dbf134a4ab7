/*
 * file.h - bounded, counted reads of local files.
 *
 * vramfit promises to read headers only.  Every byte it reads from a model file
 * goes through vf_file_pread(), which adds to vf_bytes_read so tests and the
 * benchmark can prove that the bytes read do not grow with the checkpoint.
 */
#ifndef VF_FILE_H
#define VF_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct vf_file {
	int fd;
	uint64_t size;
	const char *path; /* borrowed, for messages */
};

extern uint64_t vf_bytes_read;

/* Opens a regular file for reading; directories and devices are refused. */
enum vf_status vf_file_open(struct vf_file *f, const char *path, struct vf_err *err);
/* Reads exactly n bytes at off; a short read is a format error ("truncated"). */
enum vf_status vf_file_pread(struct vf_file *f, void *buf, size_t n, uint64_t off,
			     struct vf_err *err);
void vf_file_close(struct vf_file *f);

/*
 * Reads a whole small file (a JSON index or config) into a NUL-terminated
 * buffer; files larger than max bytes are refused before anything is allocated.
 */
enum vf_status vf_file_slurp(const char *path, size_t max, char **buf, size_t *len,
			     struct vf_err *err);

/*
 * Writes len bytes to path atomically: a temporary file in the same directory,
 * fsync, then rename over path.  On any failure path is left as it was and the
 * temporary file is removed.
 */
enum vf_status vf_file_write_atomic(const char *path, const void *data, size_t len,
				    struct vf_err *err);

/* "dir" + "/" + "name" in a new buffer; NULL when out of memory. */
char *vf_path_join(const char *dir, const char *name);

#endif
