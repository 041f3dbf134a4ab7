/*
 * file.c - counted pread and bounded whole-file reads; see file.h.
 *
 * Every read of a model file comes through vf_file_pread(), which counts it
 * in vf_bytes_read.  A vf_file may be a view (a byte range of a larger file,
 * or a callback for a compressed archive member); reads never leave the
 * view.  Paths below a mounted archive are answered by the mount; all other
 * paths go to the operating system unchanged.
 */
#include "common/file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"

uint64_t vf_bytes_read;

static struct vf_mount *mounts;

/* The mount that owns path, with *rel set to the rest of it, or NULL. */
static struct vf_mount *mount_of(const char *path, const char **rel)
{
	for (struct vf_mount *mt = mounts; mt; mt = mt->next) {
		size_t n = strlen(mt->root);
		if (strncmp(path, mt->root, n) != 0 || (path[n] && path[n] != '/'))
			continue;
		path += n;
		while (*path == '/')
			path++;
		*rel = path;
		return mt;
	}
	return NULL;
}

void vf_mount_push(struct vf_mount *mt)
{
	mt->next = mounts;
	mounts = mt;
}

void vf_mount_pop(struct vf_mount *mt)
{
	for (struct vf_mount **p = &mounts; *p; p = &(*p)->next)
		if (*p == mt) {
			*p = mt->next;
			break;
		}
	mt->next = NULL;
}

bool vf_file_mounted(void)
{
	return mounts != NULL;
}

static void file_init(struct vf_file *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->path = path;
}

static enum vf_status open_real(struct vf_file *f, const char *real, const char *shown,
				struct vf_err *err)
{
	struct stat st;

	int fl;

	/* O_NONBLOCK: opening a FIFO for reading blocks until a writer comes,
	 * so without it "vramfit inspect fifo" would hang before fstat could
	 * refuse it.  Regular files ignore the flag; it is cleared anyway. */
	f->fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (f->fd < 0)
		return vf_fail(err, VF_EIO, shown, "cannot open: %s", strerror(errno));
	if (fstat(f->fd, &st) != 0) {
		int e = errno;
		vf_file_close(f);
		return vf_fail(err, VF_EIO, shown, "cannot stat: %s", strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		vf_file_close(f);
		return vf_fail(err, VF_EFORMAT, shown, "not a regular file");
	}
	if ((fl = fcntl(f->fd, F_GETFL)) == -1 || fcntl(f->fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		int e = errno;
		vf_file_close(f);
		return vf_fail(err, VF_EIO, shown, "cannot open: %s", strerror(e));
	}
	f->size = (uint64_t)st.st_size;
	return VF_OK;
}

enum vf_status vf_file_open(struct vf_file *f, const char *path, struct vf_err *err)
{
	const char *rel;
	struct vf_mount *mt;

	file_init(f, path);
	if ((mt = mount_of(path, &rel)) != NULL)
		return mt->open(mt->ctx, rel, path, f, err);
	return open_real(f, path, path, err);
}

enum vf_status vf_file_open_range(struct vf_file *f, const char *real, uint64_t base, uint64_t size,
				  const char *shown, struct vf_err *err)
{
	enum vf_status st;

	file_init(f, shown);
	if ((st = open_real(f, real, shown, err)))
		return st;
	if (base > f->size || size > f->size - base) {
		vf_file_close(f);
		return vf_fail(err, VF_EFORMAT, shown, "bytes %llu to %llu are past the end of %s",
			       (unsigned long long)base, (unsigned long long)(base + size), real);
	}
	f->base = base;
	f->size = size;
	return VF_OK;
}

enum vf_status vf_file_pread(struct vf_file *f, void *buf, size_t n, uint64_t off,
			     struct vf_err *err)
{
	size_t done = 0;

	if (f->read)
		return f->read(f, buf, n, off, err);
	/* A view must not read the bytes after it (the archive's next member);
	 * for a whole file this is where pread would have hit the end anyway. */
	if (off > f->size || n > f->size - off)
		return vf_fail(err, VF_EFORMAT, f->path, "truncated: file ends at byte %llu",
			       (unsigned long long)f->size);
	while (done < n) {
		ssize_t r =
		    pread(f->fd, (char *)buf + done, n - done, (off_t)(f->base + off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return vf_fail(err, VF_EIO, f->path, "read error: %s", strerror(errno));
		}
		if (r == 0)
			return vf_fail(err, VF_EFORMAT, f->path,
				       "truncated: file ends at byte %llu",
				       (unsigned long long)(off + done));
		done += (size_t)r;
		/* atomic: shard headers are read on several threads */
		__atomic_add_fetch(&vf_bytes_read, (uint64_t)r, __ATOMIC_RELAXED);
	}
	return VF_OK;
}

void vf_file_close(struct vf_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

enum vf_status vf_file_slurp(const char *path, size_t max, char **buf, size_t *len,
			     struct vf_err *err)
{
	struct vf_file f;
	enum vf_status st;
	char *b;

	*buf = NULL;
	*len = 0;
	st = vf_file_open(&f, path, err);
	if (st)
		return st;
	if (f.size > max) {
		vf_file_close(&f);
		return vf_fail(err, VF_EFORMAT, path,
			       "file is %llu bytes, more than the %zu allowed",
			       (unsigned long long)f.size, max);
	}
	b = vf_malloc((size_t)f.size + 1);
	if (!b) {
		vf_file_close(&f);
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	}
	st = vf_file_pread(&f, b, (size_t)f.size, 0, err);
	vf_file_close(&f);
	if (st) {
		vf_free(b);
		return st;
	}
	b[f.size] = '\0';
	*buf = b;
	*len = (size_t)f.size;
	return VF_OK;
}

static const char *kind_name(mode_t m)
{
	return S_ISLNK(m)		  ? "a symbolic link"
	       : S_ISDIR(m)		  ? "a directory"
	       : S_ISFIFO(m)		  ? "a FIFO"
	       : S_ISSOCK(m)		  ? "a socket"
	       : S_ISCHR(m) || S_ISBLK(m) ? "a device"
					  : "not a plain file";
}

enum vf_status vf_file_check_target(const char *path, struct vf_err *err)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return VF_OK;
	if (!*path)
		return vf_fail(err, VF_EUSAGE, "", "the output file name is empty");
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return VF_OK; /* a new file: its directory is checked by the write */
		return vf_fail(err, VF_EIO, path, "cannot write: %s", strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return vf_fail(err, VF_EIO, path, "is %s, not a regular file: nothing written",
			       kind_name(st.st_mode));
	return VF_OK;
}

/* "-": the bytes go to stdout, flushed and checked (a full disk fails). */
static enum vf_status write_stdout(const void *data, size_t len, struct vf_err *err)
{
	if ((len && fwrite(data, 1, len, stdout) != len) || fflush(stdout) != 0 || ferror(stdout))
		return vf_fail(err, VF_EIO, "stdout", "write error");
	return VF_OK;
}

enum vf_status vf_file_write_atomic(const char *path, const void *data, size_t len,
				    struct vf_err *err)
{
	size_t n = strlen(path);
	char *tmp;
	const char *p = data;
	enum vf_status st;
	int fd, e = 0;

	if (strcmp(path, "-") == 0)
		return write_stdout(data, len, err);
	/* rename() would replace a link, FIFO or device node by a regular file
	 * (and a link's target would keep its old content): refuse them */
	if ((st = vf_file_check_target(path, err)))
		return st;
	if (!(tmp = vf_malloc(n + 16)))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	/* same directory, so rename() cannot cross file systems */
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmp-XXXXXX", 12);
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		vf_free(tmp);
		return vf_fail(err, VF_EIO, path, "cannot write: %s", strerror(e));
	}
	/* from here every failure removes tmp: path keeps its old content */
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : ENOSPC;
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0 || fchmod(fd, 0644) != 0) {
		e = errno;
		goto fail;
	}
	if (close(fd) != 0) {
		e = errno;
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		e = errno;
		goto fail;
	}
	vf_free(tmp);
	return VF_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	vf_free(tmp);
	return vf_fail(err, VF_EIO, path, "cannot write: %s", strerror(e ? e : EIO));
}

char *vf_path_join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = vf_malloc(a + b + 2);

	if (!p)
		return NULL;
	memcpy(p, dir, a);
	p[a] = '/';
	memcpy(p + a + 1, name, b + 1);
	return p;
}

int vf_path_stat(const char *path, struct stat *st)
{
	const char *rel;
	struct vf_mount *mt = mount_of(path, &rel);

	return mt ? mt->stat(mt->ctx, rel, st) : stat(path, st);
}

int vf_dir_open(struct vf_dir *d, const char *path)
{
	const char *rel;
	struct vf_mount *mt = mount_of(path, &rel);
	struct stat st;

	memset(d, 0, sizeof(*d));
	if (!mt)
		return (d->d = opendir(path)) ? 0 : -1;
	errno = 0;
	if (mt->stat(mt->ctx, rel, &st) != 0) {
		if (!errno)
			errno = ENOENT;
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	d->mt = mt;
	d->rel = rel;
	return 0;
}

const char *vf_dir_next(struct vf_dir *d)
{
	struct dirent *de;

	if (d->mt)
		return d->mt->entry(d->mt->ctx, d->rel, d->i++);
	de = d->d ? readdir(d->d) : NULL;
	return de ? de->d_name : NULL;
}

void vf_dir_close(struct vf_dir *d)
{
	if (d->d)
		closedir(d->d);
	memset(d, 0, sizeof(*d));
}
