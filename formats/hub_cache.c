/*
 * hub_cache.c - vramfit's cache of hub header bytes (formats/hub.h).
 *
 * One file per (endpoint, repo, commit, file), and one per (endpoint, repo,
 * revision) for the file list, under vf_hub_cache_root().  A commit's files
 * never change, so an entry never goes stale; a branch's file list does, and
 * --refresh asks again.  An entry is:
 *
 *   "VFHUBC1\n"  u32 keylen  key  u32 etaglen  etag  u64 size  u8 zip
 *   u32 nseg  { u64 off  u64 len  len bytes } * nseg  u64 fnv1a(all before)
 *
 * little-endian (the checksum reads words in the machine's order: a cache
 * moved to a big-endian machine is a miss).  The key is stored whole and compared, so a hash
 * collision of file names or a renamed file is a miss, not a wrong answer; the checksum makes a
 * torn or corrupted file a miss too (it is then fetched again and rewritten).  Entries are written
 * to a temporary file beside the entry and renamed over it: a reader sees the old entry or the new
 * one, never half of one.  There is no fsync (a DeepSeek-V3 read writes 165 entries, and 165 fsyncs
 * cost more than the whole hub read): after a crash an entry may be empty or torn, which the
 * checksum turns into a miss.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/mem.h"
#include "formats/hub.h"

#define MAGIC "VFHUBC1\n"
#define KEY_MAX 8192

char *vf_hub_cache_root(void)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (x && x[0] == '/')
		return vf_path_join(x, "vramfit/hub");
	if (home && *home)
		return vf_path_join(home, ".cache/vramfit/hub");
	return NULL;
}

void vf_hub_entry_free(struct vf_hub_entry *e)
{
	for (size_t i = 0; i < e->nseg; i++)
		vf_free(e->segs[i].data);
	vf_free(e->segs);
	memset(e, 0, sizeof(*e));
}

bool vf_hub_entry_add(struct vf_hub_entry *e, uint64_t off, uint64_t len, unsigned char *data)
{
	size_t i = 0;

	while (i < e->nseg && e->segs[i].off < off)
		i++;
	if ((i > 0 && e->segs[i - 1].off + e->segs[i - 1].len > off) ||
	    (i < e->nseg && off + len > e->segs[i].off) || !len ||
	    !vf_grow(&e->segs, &e->cap, e->nseg, sizeof(*e->segs), 8)) {
		vf_free(data);
		return false;
	}
	memmove(e->segs + i + 1, e->segs + i, (e->nseg - i) * sizeof(*e->segs));
	e->segs[i].off = off;
	e->segs[i].len = len;
	e->segs[i].data = data;
	e->nseg++;
	return true;
}

bool vf_hub_entry_copy(const struct vf_hub_entry *e, void *buf, size_t n, uint64_t off,
		       uint64_t *gap, uint64_t *gap_end)
{
	uint64_t pos = off, end = off + n;
	size_t i = 0;

	while (pos < end) {
		while (i < e->nseg && e->segs[i].off + e->segs[i].len <= pos)
			i++;
		if (i == e->nseg || e->segs[i].off > pos) {
			*gap = pos;
			*gap_end = i < e->nseg ? e->segs[i].off : UINT64_MAX;
			return false;
		}
		{
			const struct vf_hub_seg *s = &e->segs[i];
			uint64_t k = s->off + s->len - pos;
			if (k > end - pos)
				k = end - pos;
			memcpy((char *)buf + (pos - off), s->data + (pos - s->off), (size_t)k);
			pos += k;
		}
	}
	return true;
}

uint64_t vf_hub_entry_bytes(const struct vf_hub_entry *e)
{
	uint64_t n = 0;

	for (size_t i = 0; i < e->nseg; i++)
		n += e->segs[i].len;
	return n;
}

/* A checksum against torn and corrupted entries (not an adversary: the cache
 * is the user's own): FNV-1a's constants over 8-byte words, mixed at the end,
 * so 20 MB of headers cost ~3 ms rather than ~40. */
static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ n, w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 1099511628211ull;
		h ^= h >> 29;
	}
	while (n--)
		h = (h ^ *p++) * 1099511628211ull;
	return h ^ (h >> 32);
}

/* ---- reading ---- */

struct rd {
	const unsigned char *p;
	size_t n, pos;
	bool bad;
};

static uint64_t get(struct rd *r, int bytes)
{
	uint64_t v = 0;

	if (r->bad || r->n - r->pos < (size_t)bytes) {
		r->bad = true;
		return 0;
	}
	for (int i = bytes - 1; i >= 0; i--)
		v = (v << 8) | r->p[r->pos + (size_t)i];
	r->pos += (size_t)bytes;
	return v;
}

static const unsigned char *take(struct rd *r, uint64_t n)
{
	const unsigned char *q;

	if (r->bad || n > r->n - r->pos) {
		r->bad = true;
		return NULL;
	}
	q = r->p + r->pos;
	r->pos += (size_t)n;
	return q;
}

bool vf_hub_cache_load(const char *file, const char *key, struct vf_hub_entry *e)
{
	struct vf_err err = {0};
	char *text = NULL;
	size_t len = 0, kl = strlen(key);
	struct rd r;
	const unsigned char *q;
	uint64_t n, nseg;
	bool ok = false;

	memset(e, 0, sizeof(*e));
	if (vf_file_slurp(file, VF_HUB_CACHE_ENTRY_MAX, &text, &len, &err))
		return false;
	r = (struct rd){(const unsigned char *)text, len, 0, false};
	if (len < 8 + 8 || memcmp(text, MAGIC, 8) != 0 ||
	    fnv(r.p, len - 8) != (r.pos = len - 8, get(&r, 8)))
		goto out;
	r.pos = 8;
	r.n = len - 8;
	if (get(&r, 4) != kl || !(q = take(&r, kl)) || memcmp(q, key, kl) != 0)
		goto out;
	n = get(&r, 4);
	if (n >= sizeof(e->etag) || !(q = take(&r, n)))
		goto out;
	memcpy(e->etag, q, (size_t)n);
	e->etag[n] = '\0';
	e->size = get(&r, 8);
	e->zip = (uint8_t)get(&r, 1);
	nseg = get(&r, 4);
	for (uint64_t i = 0; i < nseg && !r.bad; i++) {
		uint64_t off = get(&r, 8), sl = get(&r, 8);
		unsigned char *d;
		if (r.bad || off > e->size || sl > e->size - off || !(q = take(&r, sl)))
			goto out;
		if (!(d = vf_malloc(sl ? (size_t)sl : 1)))
			goto out;
		memcpy(d, q, (size_t)sl);
		if (!vf_hub_entry_add(e, off, sl, d))
			goto out;
	}
	ok = !r.bad && r.pos == r.n;
out:
	if (!ok)
		vf_hub_entry_free(e);
	vf_free(text);
	return ok;
}

/* ---- writing ---- */

static void put(unsigned char **p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		*(*p)++ = (unsigned char)(v >> (8 * i));
}

static int mkdirs(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	return 0;
}

/* temp file + rename, without fsync (see the top) */
static enum vf_status write_replace(const char *file, const unsigned char *buf, size_t n,
				    struct vf_err *err)
{
	size_t len = strlen(file), done = 0;
	char *tmp = vf_malloc(len + 32);
	int fd;

	if (!tmp)
		return vf_fail(err, VF_ENOMEM, file, "out of memory");
	snprintf(tmp, len + 32, "%s.%ld.tmp", file, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		vf_free(tmp);
		return vf_fail(err, VF_EIO, file, "cannot write: %s", strerror(errno));
	}
	while (done < n) {
		ssize_t w = write(fd, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	if (close(fd) != 0 || done != n || rename(tmp, file) != 0) {
		int e = errno;
		unlink(tmp);
		vf_free(tmp);
		return vf_fail(err, VF_EIO, file, "cannot write: %s", strerror(e));
	}
	vf_free(tmp);
	return VF_OK;
}

enum vf_status vf_hub_cache_save(const char *file, const char *key, const struct vf_hub_entry *e,
				 struct vf_err *err)
{
	size_t kl = strlen(key), el = strlen(e->etag), n = 8 + 4 + kl + 4 + el + 8 + 1 + 4 + 8;
	unsigned char *buf, *p;
	char *dir;
	enum vf_status st;

	for (size_t i = 0; i < e->nseg; i++)
		n += 16 + (size_t)e->segs[i].len;
	if (n > VF_HUB_CACHE_ENTRY_MAX || kl > KEY_MAX)
		return vf_fail(err, VF_EFORMAT, file, "cache entry too large");
	if (!(dir = vf_strdup(file)) || !(buf = vf_malloc(n))) {
		vf_free(dir);
		return vf_fail(err, VF_ENOMEM, file, "out of memory");
	}
	mkdirs(dir);
	vf_free(dir);
	p = buf;
	memcpy(p, MAGIC, 8);
	p += 8;
	put(&p, kl, 4);
	memcpy(p, key, kl);
	p += kl;
	put(&p, el, 4);
	memcpy(p, e->etag, el);
	p += el;
	put(&p, e->size, 8);
	put(&p, e->zip, 1);
	put(&p, e->nseg, 4);
	for (size_t i = 0; i < e->nseg; i++) {
		put(&p, e->segs[i].off, 8);
		put(&p, e->segs[i].len, 8);
		memcpy(p, e->segs[i].data, (size_t)e->segs[i].len);
		p += e->segs[i].len;
	}
	put(&p, fnv(buf, (size_t)(p - buf)), 8);
	st = write_replace(file, buf, n, err);
	vf_free(buf);
	return st;
}
