/* file.c - counted pread and bounded whole-file reads; see file.h. */
#include "common/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"

uint64_t vf_bytes_read;

enum vf_status vf_file_open(struct vf_file *f, const char *path, struct vf_err *err)
{
	struct stat st;

	f->fd = -1;
	f->size = 0;
	f->path = path;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return vf_fail(err, VF_EIO, path, "cannot open: %s", strerror(errno));
	if (fstat(f->fd, &st) != 0) {
		int e = errno;
		vf_file_close(f);
		return vf_fail(err, VF_EIO, path, "cannot stat: %s", strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		vf_file_close(f);
		return vf_fail(err, VF_EFORMAT, path, "not a regular file");
	}
	f->size = (uint64_t)st.st_size;
	return VF_OK;
}

enum vf_status vf_file_pread(struct vf_file *f, void *buf, size_t n, uint64_t off,
			     struct vf_err *err)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(f->fd, (char *)buf + done, n - done, (off_t)(off + done));
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
		vf_bytes_read += (uint64_t)r;
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

enum vf_status vf_file_write_atomic(const char *path, const void *data, size_t len,
				    struct vf_err *err)
{
	size_t n = strlen(path);
	char *tmp = vf_malloc(n + 16);
	const char *p = data;
	int fd, e;

	if (!tmp)
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
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0 || fchmod(fd, 0644) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	vf_free(tmp);
	return VF_OK;
fail:
	e = errno ? errno : EIO;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	vf_free(tmp);
	return vf_fail(err, VF_EIO, path, "cannot write: %s", strerror(e));
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
