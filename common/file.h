/*
 * file.h - bounded, counted reads of local files.
 *
 * vramfit promises to read headers only.  Every byte it reads from a model file
 * goes through vf_file_pread(), which adds to vf_bytes_read so tests and the
 * benchmark can prove that the bytes read do not grow with the checkpoint.
 */
#ifndef VF_FILE_H
#define VF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#include <dirent.h>
#include <sys/stat.h>

/*
 * A file, or a view of one: bytes [base, base + size) of fd (a member stored
 * uncompressed in a tar or zip), or, when read is set, bytes a callback
 * produces (a member of a compressed archive, decompressed on demand; fd is
 * -1).  Offsets given to vf_file_pread() are always relative to the view, so
 * a reader never knows whether it reads a file or an archive member.
 */
struct vf_file {
	int fd;
	uint64_t size;
	const char *path; /* borrowed, for messages */
	uint64_t base;	  /* offset of the view's byte 0 in fd */
	enum vf_status (*read)(const struct vf_file *f, void *buf, size_t n, uint64_t off,
			       struct vf_err *err);
	void *ctx; /* for read */
};

extern uint64_t vf_bytes_read;

/* Opens a regular file for reading; directories and devices are refused.
 * A path inside a mounted archive (below) opens that member's view. */
enum vf_status vf_file_open(struct vf_file *f, const char *path, struct vf_err *err);
/* Opens bytes [base, base + size) of the real file real as a view named
 * shown; fails when the range is not inside the file. */
enum vf_status vf_file_open_range(struct vf_file *f, const char *real, uint64_t base, uint64_t size,
				  const char *shown, struct vf_err *err);
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
 * temporary file is removed.  path must be new or a regular file (see
 * vf_file_check_target); "-" writes to stdout instead, flushed and checked.
 */
enum vf_status vf_file_write_atomic(const char *path, const void *data, size_t len,
				    struct vf_err *err);
/*
 * Whether path may be written by vf_file_write_atomic: "-", a path that does
 * not exist, or an existing regular file.  A symbolic link, directory, FIFO,
 * socket or device node is refused (VF_EIO, "is a FIFO, not a regular file:
 * nothing written"); links are not followed.  Callers check early, before
 * the work whose result they will write.
 */
enum vf_status vf_file_check_target(const char *path, struct vf_err *err);

/* "dir" + "/" + "name" in a new buffer; NULL when out of memory. */
char *vf_path_join(const char *dir, const char *name);

/*
 * Mounted archives (formats/source.c).  While a mount is pushed, ROOT names
 * a directory and ROOT/NAME the archive's members, for vf_file_open(),
 * vf_file_slurp(), vf_path_stat() and vf_dir_*(): the readers, which open
 * files by path, read archive members unchanged.  An archive is a regular
 * file, so no real path lies below ROOT and nothing real is hidden.  Mounts
 * are process state (vramfit opens one model at a time); rel is "" for ROOT.
 */
struct vf_mount {
	const char *root;
	void *ctx;
	/* 0 with st_mode (S_IFREG or S_IFDIR) and st_size set, or -1 with errno */
	int (*stat)(void *ctx, const char *rel, struct stat *st);
	enum vf_status (*open)(void *ctx, const char *rel, const char *path, struct vf_file *f,
			       struct vf_err *err);
	/* the i-th entry of directory rel, or NULL after the last */
	const char *(*entry)(void *ctx, const char *rel, size_t i);
	struct vf_mount *next; /* set by vf_mount_push */
};
void vf_mount_push(struct vf_mount *mt);
void vf_mount_pop(struct vf_mount *mt);
/* True while an archive is mounted (its reads are not safe across threads). */
bool vf_file_mounted(void);

/* stat(2) that sees mounted archives; symlinks are followed. */
int vf_path_stat(const char *path, struct stat *st);

/* opendir/readdir that see mounted archives; names starting with '.' are
 * returned too (callers skip them).  The caller owns the struct (so opening
 * allocates nothing of ours) and path must outlive it; vf_dir_open returns 0,
 * or -1 with errno. */
struct vf_dir {
	DIR *d;		     /* a real directory */
	struct vf_mount *mt; /* or one inside a mounted archive */
	const char *rel;
	size_t i;
};
int vf_dir_open(struct vf_dir *d, const char *path);
const char *vf_dir_next(struct vf_dir *d);
void vf_dir_close(struct vf_dir *d);

#endif
