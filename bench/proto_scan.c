/*
 * proto_scan.c - a measurement prototype, NOT product code: what a strict,
 * tree-free safetensors reader would cost on a sharded checkpoint, as
 * evidence for the fix proposed in bench/results.md.  Not part of make
 * bench; `make bench-profile` (bench/profile.sh) builds and runs it.
 *
 *   cc -O2 -o proto_scan bench/proto_scan.c -lpthread
 *   ./proto_scan [-j 2] [-r REPS] build/bench/deepseek-v3
 *
 * It does the JSON side of `vramfit inspect` on a sharded safetensors
 * directory: reads model.safetensors.index.json and every shard header
 * (pread), checks UTF-8 (no overlongs, no surrogates) and the JSON grammar
 * strictly (no control characters in strings, valid escapes, no \u0000, no
 * trailing data), refuses unknown or repeated tensor fields (a bitmask),
 * parses dtype / shape / data_offsets with checked arithmetic and the 2^53
 * limit, checks bytes against the shape and the tiling of each shard (sort by
 * offset), and checks index and shards against each other (every tensor in
 * the index, in the shard it names, seen once; counts equal).  No tree is
 * built: names stay in the read buffers, tensors go into one array, index
 * names into one open-addressing table of (hash, index) pairs filled and
 * probed with prefetching; strings are scanned 16 bytes at a time (SSE2).
 * With -j 2 the index is parsed on one thread while the shards are parsed on
 * another.
 *
 * Simplifications against the real reader: names with escapes are not
 * decoded; __metadata__ keys are not checked for duplicates; numbers like 1.0
 * are refused (cJSON reads them as 1); errors are a message, not vf_err.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* ---- strict scanner ---- */
struct sc {
	const unsigned char *p, *e;
	int bad;
};

static void ws(struct sc *s)
{
	while (s->p < s->e && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

static uint64_t hbytes(const unsigned char *a, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ n, w;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, a + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, a + i, n - i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 29;
	return h;
}

/* A string: returns its raw span (escapes left in place: names with escapes
 * would be decoded here; none of the real ones have any). */
static int str(struct sc *s, const unsigned char **a, size_t *n, int *esc)
{
	const unsigned char *p = s->p, *e = s->e;
	*esc = 0;
	if (p >= e || *p != '"')
		return 0;
	p++;
	*a = p;
	for (;;) {
#ifdef __SSE2__
		/* 16 bytes at a time until a quote, a backslash, a control byte or
		 * a non-ASCII byte (signed compare: >= 0x80 is negative) */
		while (e - p >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)p);
			__m128i bad = _mm_or_si128(
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
					 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))); /* signed: also >= 0x80 */
			int m = _mm_movemask_epi8(bad);
			if (m) {
				p += __builtin_ctz((unsigned)m);
				goto special;
			}
			p += 16;
		}
#endif
		while (p < e && *p >= 0x20 && *p != '"' && *p != '\\' && *p < 0x80)
			p++;
#ifdef __SSE2__
	special:
#endif
		if (p >= e)
			return 0;
		unsigned c = *p;
		if (c == '"')
			break;
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			*esc = 1;
			if (e - p < 2)
				return 0;
			c = p[1];
			if (c == 'u') {
				if (e - p < 6 || !memcmp(p + 2, "0000", 4))
					return 0;
				p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", (int)c))
				return 0;
			p += 2;
			continue;
		}
		int k = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
		if (!k || e - p < k)
			return 0;
		uint32_t cp = c & (0x7F >> k);
		for (int i = 1; i < k; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if (cp < (k == 2 ? 0x80u : k == 3 ? 0x800u : 0x10000u) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		p += k;
	}
	*n = (size_t)(p - *a);
	s->p = p + 1;
	return 1;
}

static int uint53(struct sc *s, uint64_t *v)
{
	const unsigned char *p = s->p;
	uint64_t x = 0;
	if (p >= s->e || *p < '0' || *p > '9')
		return 0;
	if (*p == '0' && p + 1 < s->e && p[1] >= '0' && p[1] <= '9')
		return 0;
	while (p < s->e && *p >= '0' && *p <= '9') {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x >= (1ULL << 53))
			return 0;
		p++;
	}
	if (p < s->e && (*p == '.' || *p == 'e' || *p == 'E'))
		return 0; /* stricter than cJSON; a real reader would accept 1.0 = 1 if wanted */
	s->p = p;
	*v = x;
	return 1;
}

static int lit(struct sc *s, char c)
{
	ws(s);
	if (s->p < s->e && *s->p == (unsigned char)c) {
		s->p++;
		return 1;
	}
	return 0;
}

/* ---- tables ---- */
struct tensor {
	const unsigned char *name;
	uint32_t nlen, shard;
	uint8_t dtype, ndim;
	uint64_t numel, begin, end;
};

struct slot {
	uint32_t h; /* high half of the hash */
	uint32_t v; /* index+1, 0 empty */
};
struct map {
	struct slot *s;
	size_t cap;
};

static void map_init(struct map *m, size_t n)
{
	m->cap = 16;
	while (m->cap < 2 * n)
		m->cap *= 2;
	m->s = calloc(m->cap, sizeof(struct slot));
}

struct ientry {
	const unsigned char *name;
	uint32_t nlen, shard;
	uint32_t seen;
};

static const char *DT[] = {"BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16",
			   "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"};
static const int DTB[] = {8, 8, 8, 8, 8, 8, 16, 16, 16, 16, 32, 32, 32, 64, 64, 64};

static int dtype_of(const unsigned char *a, size_t n)
{
	for (int i = 0; i < 16; i++)
		if (strlen(DT[i]) == n && !memcmp(DT[i], a, n))
			return i;
	return -1;
}

/* ---- index ---- */
static struct ientry *ix;
static uint64_t *ixh;
static size_t nix;
static struct map imap;
static char shard_names[1024][128];
static int nshards;
static int shmap[2048];
static size_t shlen[1024];

static int parse_index(const unsigned char *t, size_t n)
{
	struct sc s = {t, t + n, 0};
	const unsigned char *a;
	size_t l;
	int esc;
	ix = malloc(sizeof(*ix) * (n / 40 + 16));
	ixh = malloc(sizeof(*ixh) * (n / 40 + 16));
	map_init(&imap, n / 40 + 16);
	if (!lit(&s, '{'))
		return 0;
	for (;;) {
		ws(&s);
		if (!str(&s, &a, &l, &esc) || !lit(&s, ':'))
			return 0;
		ws(&s);
		if (l == 10 && !memcmp(a, "weight_map", 10)) {
			if (!lit(&s, '{'))
				return 0;
			for (;;) {
				const unsigned char *b;
				size_t bl;
				ws(&s);
				if (!str(&s, &a, &l, &esc) || !lit(&s, ':'))
					return 0;
				ws(&s);
				if (!str(&s, &b, &bl, &esc))
					return 0;
				int sh = -1;
				uint64_t hb = hbytes(b, bl);
				size_t q = hb & 2047;
				while (shmap[q]) {
					int c2 = shmap[q] - 1;
					if (shlen[c2] == bl && !memcmp(shard_names[c2], b, bl)) {
						sh = c2;
						break;
					}
					q = (q + 1) & 2047;
				}
				if (sh < 0)
					return 0; /* names a shard that is not there */
				ixh[nix] = hbytes(a, l);
				ix[nix++] = (struct ientry){a, (uint32_t)l, (uint32_t)sh, 0};
				if (lit(&s, ','))
					continue;
				if (lit(&s, '}'))
					break;
				return 0;
			}
		} else if (l == 8 && !memcmp(a, "metadata", 8)) {
			uint64_t v;
			if (!lit(&s, '{'))
				return 0;
			ws(&s);
			if (!str(&s, &a, &l, &esc) || !lit(&s, ':'))
				return 0;
			ws(&s);
			if (!uint53(&s, &v) || !lit(&s, '}'))
				return 0;
		} else
			return 0;
		if (lit(&s, ','))
			continue;
		if (lit(&s, '}'))
			break;
		return 0;
	}
	ws(&s);
	if (s.p != s.e)
		return 0;
	for (size_t k = 0; k < nix; k++) {
		if (k + 16 < nix)
			__builtin_prefetch(&imap.s[ixh[k + 16] & (imap.cap - 1)], 1);
		uint64_t h = ixh[k];
		size_t i = h & (imap.cap - 1);
		while (imap.s[i].v) {
			struct ientry *o = &ix[imap.s[i].v - 1];
			if (imap.s[i].h == (uint32_t)(h >> 32) && o->nlen == ix[k].nlen &&
			    !memcmp(o->name, ix[k].name, ix[k].nlen))
				return 0; /* duplicate key */
			i = (i + 1) & (imap.cap - 1);
		}
		imap.s[i].h = (uint32_t)(h >> 32);
		imap.s[i].v = (uint32_t)k + 1;
	}
	return 1;
}

/* ---- shard headers ---- */
struct job {
	int first, step;
	char *dir;
	struct tensor *t;
	size_t nt, cap;
	unsigned char **bufs;
	int ok;
	uint64_t bytes_read;
};

static int by_begin(const void *a, const void *b)
{
	const struct tensor *x = *(const struct tensor *const *)a, *y = *(const struct tensor *const *)b;
	return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static int parse_shard(struct job *j, int sh, const unsigned char *t, size_t n, uint64_t data_len)
{
	struct sc s = {t, t + n, 0};
	const unsigned char *a;
	size_t l, first = j->nt;
	int esc;
	if (!lit(&s, '{'))
		return 0;
	for (;;) {
		ws(&s);
		if (!str(&s, &a, &l, &esc) || !lit(&s, ':'))
			return 0;
		ws(&s);
		if (l == 12 && !memcmp(a, "__metadata__", 12)) {
			if (!lit(&s, '{'))
				return 0;
			if (!lit(&s, '}'))
				for (;;) {
					const unsigned char *b;
					size_t bl;
					ws(&s);
					if (!str(&s, &b, &bl, &esc) || !lit(&s, ':'))
						return 0;
					ws(&s);
					if (!str(&s, &b, &bl, &esc))
						return 0;
					if (lit(&s, ','))
						continue;
					if (lit(&s, '}'))
						break;
					return 0;
				}
		} else {
			struct tensor T = {a, (uint32_t)l, (uint32_t)sh, 0, 0, 1, 0, 0};
			int have = 0;
			uint64_t bits;
			if (!lit(&s, '{'))
				return 0;
			for (;;) {
				const unsigned char *k;
				size_t kl;
				ws(&s);
				if (!str(&s, &k, &kl, &esc) || !lit(&s, ':'))
					return 0;
				ws(&s);
				if (kl == 5 && !memcmp(k, "dtype", 5) && !(have & 1)) {
					const unsigned char *v;
					size_t vl;
					int d;
					if (!str(&s, &v, &vl, &esc) || (d = dtype_of(v, vl)) < 0)
						return 0;
					T.dtype = (uint8_t)d;
					have |= 1;
				} else if (kl == 5 && !memcmp(k, "shape", 5) && !(have & 2)) {
					if (!lit(&s, '['))
						return 0;
					if (!lit(&s, ']'))
						for (;;) {
							uint64_t d;
							ws(&s);
							if (!uint53(&s, &d) || T.ndim == 64 ||
							    __builtin_mul_overflow(T.numel, d, &T.numel))
								return 0;
							T.ndim++;
							if (lit(&s, ','))
								continue;
							if (lit(&s, ']'))
								break;
							return 0;
						}
					have |= 2;
				} else if (kl == 12 && !memcmp(k, "data_offsets", 12) && !(have & 4)) {
					if (!lit(&s, '['))
						return 0;
					ws(&s);
					if (!uint53(&s, &T.begin) || !lit(&s, ','))
						return 0;
					ws(&s);
					if (!uint53(&s, &T.end) || !lit(&s, ']'))
						return 0;
					have |= 4;
				} else
					return 0; /* unknown or repeated field */
				if (lit(&s, ','))
					continue;
				if (lit(&s, '}'))
					break;
				return 0;
			}
			if (have != 7 || T.end < T.begin ||
			    __builtin_mul_overflow(T.numel, (uint64_t)DTB[T.dtype], &bits) ||
			    bits % 8 || bits / 8 != T.end - T.begin)
				return 0;
			if (j->nt == j->cap) {
				j->cap = j->cap ? j->cap * 2 : 4096;
				j->t = realloc(j->t, j->cap * sizeof(*j->t));
			}
			j->t[j->nt++] = T;
		}
		if (lit(&s, ','))
			continue;
		if (lit(&s, '}'))
			break;
		return 0;
	}
	ws(&s);
	if (s.p != s.e)
		return 0;
	/* tiling */
	size_t k = j->nt - first;
	struct tensor **o = malloc((k + 1) * sizeof(*o));
	for (size_t i = 0; i < k; i++)
		o[i] = &j->t[first + i];
	qsort(o, k, sizeof(*o), by_begin);
	uint64_t at = 0;
	for (size_t i = 0; i < k; i++) {
		if (o[i]->begin != at) {
			free(o);
			return 0;
		}
		at = o[i]->end;
	}
	free(o);
	return at == data_len;
}

static void *run_job(void *arg)
{
	struct job *j = arg;
	char path[4096];
	j->ok = 1;
	for (int sh = j->first; sh < nshards; sh += j->step) {
		snprintf(path, sizeof(path), "%s/%s", j->dir, shard_names[sh]);
		int fd = open(path, O_RDONLY);
		struct stat st;
		uint64_t n;
		fstat(fd, &st);
		if (pread(fd, &n, 8, 0) != 8 || n > 100000000 || n > (uint64_t)st.st_size - 8) {
			j->ok = 0;
			return NULL;
		}
		unsigned char *b = malloc(n + 1);
		if (pread(fd, b, n, 8) != (ssize_t)n) {
			j->ok = 0;
			return NULL;
		}
		close(fd);
		j->bytes_read += 8 + n;
		if (!parse_shard(j, sh, b, n, (uint64_t)st.st_size - 8 - n)) {
			fprintf(stderr, "shard %s rejected\n", path);
			j->ok = 0;
			return NULL;
		}
		j->bufs[sh] = b; /* names point into it */
	}
	return NULL;
}

struct iarg {
	const unsigned char *t;
	size_t n;
	int ok;
};
static void *index_thread(void *a)
{
	struct iarg *ia = a;
	ia->ok = parse_index(ia->t, ia->n);
	return NULL;
}
/* The index's shard names, in order, taken from the directory listing here so
 * that shard parsing need not wait for the index (a real reader would check
 * the two sets are equal afterwards). */
#include <dirent.h>
static int cmpstr(const void *a, const void *b) { return strcmp(a, b); }
static int parse_index_names(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 12 && !strcmp(de->d_name + l - 12, ".safetensors"))
			strcpy(shard_names[nshards++], de->d_name);
	}
	closedir(d);
	qsort(shard_names, nshards, sizeof(shard_names[0]), cmpstr);
	for (int i = 0; i < nshards; i++) {
		shlen[i] = strlen(shard_names[i]);
		uint64_t hb = hbytes((const unsigned char *)shard_names[i], shlen[i]);
		size_t q = hb & 2047;
		while (shmap[q])
			q = (q + 1) & 2047;
		shmap[q] = i + 1;
	}
	return nshards > 0;
}

int main(int argc, char **argv)
{
	int nj = 1, reps = 5, c;
	while ((c = getopt(argc, argv, "j:r:")) != -1) {
		if (c == 'j')
			nj = atoi(optarg);
		else if (c == 'r')
			reps = atoi(optarg);
		else
			return 2;
	}
	if (optind >= argc || nj < 1 || nj > 16) {
		fprintf(stderr, "usage: proto_scan [-j N] [-r REPS] DIR\n");
		return 2;
	}
	char *dir = argv[optind];
	for (int r = 0; r < reps; r++) {
		double t0 = now();
		char path[4096];
		snprintf(path, sizeof(path), "%s/model.safetensors.index.json", dir);
		int fd = open(path, O_RDONLY);
		struct stat st;
		fstat(fd, &st);
		unsigned char *itext = malloc((size_t)st.st_size);
		if (pread(fd, itext, (size_t)st.st_size, 0) != st.st_size)
			return 1;
		close(fd);
		nshards = 0;
		memset(shmap, 0, sizeof(shmap));
		nix = 0;
		/* shard list: from the directory, as the index parse runs beside the shard parse */
		if (!parse_index_names(dir)) return 1;
		pthread_t ith;
		struct iarg ia = {itext, (size_t)st.st_size, 0};
		if (nj > 1)
			pthread_create(&ith, NULL, index_thread, &ia);
		else
			index_thread(&ia);
		double t1 = now();
		struct job jobs[16];
		pthread_t th[16];
		unsigned char **bufs = calloc(nshards, sizeof(*bufs));
		for (int i = 0; i < nj; i++) {
			jobs[i] = (struct job){i, nj, dir, NULL, 0, 0, bufs, 0, 0};
			if (nj > 1)
				pthread_create(&th[i], NULL, run_job, &jobs[i]);
			else
				run_job(&jobs[i]);
		}
		if (nj > 1) {
			for (int i = 0; i < nj; i++)
				pthread_join(th[i], NULL);
			pthread_join(ith, NULL);
		}
		if (!ia.ok) {
			fprintf(stderr, "index rejected\n");
			return 1;
		}
		double t2 = now();
		/* index vs shards, and totals */
		size_t nt = 0;
		uint64_t bytes = 0, params = 0;
		for (int i = 0; i < nj; i++) {
			if (!jobs[i].ok)
				return 1;
			uint64_t *th = malloc(jobs[i].nt * sizeof(*th) + 8);
			for (size_t k = 0; k < jobs[i].nt; k++)
				th[k] = hbytes(jobs[i].t[k].name, jobs[i].t[k].nlen);
			for (size_t k = 0; k < jobs[i].nt; k++) {
				struct tensor *T = &jobs[i].t[k];
				uint64_t h = th[k];
				if (k + 16 < jobs[i].nt) {
					__builtin_prefetch(&imap.s[th[k + 16] & (imap.cap - 1)]);
				}
				size_t s = h & (imap.cap - 1);
				for (;;) {
					if (!imap.s[s].v) {
						fprintf(stderr, "tensor not in index\n");
						return 1;
					}
					struct ientry *o = &ix[imap.s[s].v - 1];
					if (imap.s[s].h == (uint32_t)(h >> 32) && o->nlen == T->nlen &&
					    !memcmp(o->name, T->name, T->nlen)) {
						if (o->shard != T->shard || o->seen) {
							fprintf(stderr, "wrong shard or twice\n");
							return 1;
						}
						o->seen = 1;
						break;
					}
					s = (s + 1) & (imap.cap - 1);
				}
				bytes += T->end - T->begin;
				params += T->numel;
				nt++;
			}
			free(th);
		}
		if (nt != nix) {
			fprintf(stderr, "index has tensors no shard has\n");
			return 1;
		}
		double t3 = now();
		printf("-j%d: %zu tensors, %llu params, %llu bytes: index %.1f ms, shards %.1f ms, "
		       "cross-check %.1f ms, total %.1f ms\n",
		       nj, nt, (unsigned long long)params, (unsigned long long)bytes, (t1 - t0) * 1e3,
		       (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t3 - t0) * 1e3);
		for (int i = 0; i < nj; i++)
			free(jobs[i].t);
		for (int i = 0; i < nshards; i++)
			free(bufs[i]);
		free(bufs);
		free(itext);
		free(ix);
		free(ixh);
		free(imap.s);
	}
	return 0;
}
