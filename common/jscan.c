/* jscan.c - see jscan.h. */
#include "common/jscan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/json.h"
#include "common/strmap.h"

void vf_jscan_init(struct vf_jscan *s, char *text, size_t len, const char *path, const char *what,
		   struct vf_err *err)
{
	s->text = s->p = text;
	s->end = text + len;
	s->depth = 0;
	s->path = path;
	s->what = what;
	s->err = err;
}

size_t vf_jscan_at(const struct vf_jscan *s)
{
	return (size_t)(s->p - s->text);
}

static bool fail_at(struct vf_jscan *s, const char *at, const char *why)
{
	vf_fail(s->err, VF_EFORMAT, s->path, "%s %s (at byte %zu)", s->what, why,
		(size_t)(at - s->text));
	return false;
}

bool vf_jscan_syntax(struct vf_jscan *s)
{
	unsigned char c;

	if (s->p >= s->end)
		return fail_at(s, s->p, "is not valid JSON: it ends too early");
	c = (unsigned char)*s->p;
	if (c < 0x20)
		return fail_at(s, s->p, "contains a control character");
	if (c >= 0x80 && !vf_utf8_valid((const unsigned char *)s->p, (size_t)(s->end - s->p)))
		return fail_at(s, s->p, "is not valid UTF-8");
	return fail_at(s, s->p, "is not valid JSON");
}

int vf_jscan_peek_ws(struct vf_jscan *s)
{
	char *p = s->p;

	while (p < s->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	s->p = p;
	return p < s->end ? (unsigned char)*p : -1;
}

bool vf_jscan_open(struct vf_jscan *s, char c)
{
	if (vf_jscan_peek(s) != c)
		return vf_jscan_syntax(s);
	if (s->depth == VF_JSCAN_MAX_DEPTH)
		return fail_at(s, s->p, "nests more than 64 levels deep");
	s->depth++;
	s->p++;
	return true;
}

/* The separator before member or element *i, or the closing bracket. */
static int next_member(struct vf_jscan *s, size_t *i, char close)
{
	int c = vf_jscan_peek(s);

	if (c == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	if (*i > 0) {
		if (c != ',') {
			vf_jscan_syntax(s);
			return -1;
		}
		s->p++; /* a value must follow: "[1,]" fails in the caller's read */
	}
	(*i)++;
	return 1;
}

/*
 * A key of at most 15 plain ASCII bytes followed directly by ':', as every
 * writer emits the keys of a tensor entry ("dtype":), found with one 16-byte
 * compare instead of the general string machinery.  Anything else (escapes,
 * non-ASCII, control bytes, space before the colon, long names) returns
 * false at once and takes the general path, which checks it.
 */
static bool short_key(struct vf_jscan *s, char **key)
{
#ifdef __SSE2__
	char *p = s->p + 1;
	__m128i v;
	int m, n;

	if (s->end - p < 17)
		return false;
	v = _mm_loadu_si128((const __m128i *)p);
	m = _mm_movemask_epi8(
	    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
				      _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			 _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)))); /* signed: >= 0x80 too */
	if (!m)
		return false;
	n = __builtin_ctz((unsigned)m);
	if (p[n] != '"' || p[n + 1] != ':')
		return false;
	p[n] = '\0';
	*key = p;
	s->klen = (size_t)n;
	s->p = p + n + 2;
	return true;
#else
	(void)s;
	(void)key;
	return false;
#endif
}

int vf_jscan_key(struct vf_jscan *s, size_t *i, char **key)
{
	int r = next_member(s, i, '}');

	if (r <= 0)
		return r;
	if (*s->p == '"' && short_key(s, key)) /* next_member peeked: s->p < end */
		return 1;
	if (!vf_jscan_string(s, key, &s->klen))
		return -1;
	if (vf_jscan_peek(s) != ':') {
		vf_jscan_syntax(s);
		return -1;
	}
	s->p++;
	return 1;
}

int vf_jscan_item(struct vf_jscan *s, size_t *i)
{
	return next_member(s, i, ']');
}

static int hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool hex4(const unsigned char *p, uint32_t *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		int h = hex(p[k]);
		if (h < 0)
			return false;
		*v = *v << 4 | (uint32_t)h;
	}
	return true;
}

/* Decodes the escape at p (a backslash) to w; returns the bytes it took, 0 on
 * an error (reported). */
static size_t unescape(struct vf_jscan *s, const unsigned char *p, const unsigned char *e,
		       unsigned char **w)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	uint32_t cp, lo;
	unsigned char *o = *w;
	const char *f;

	if (e - p < 2)
		return fail_at(s, (const char *)p, "is not valid JSON"), 0;
	if (p[1] != 'u') {
		if (!p[1] || !(f = strchr(from, p[1])))
			return fail_at(s, (const char *)p, "has an unknown escape in a string"), 0;
		*o++ = (unsigned char)to[f - from];
		*w = o;
		return 2;
	}
	if (e - p < 6 || !hex4(p + 2, &cp))
		return fail_at(s, (const char *)p, "has a bad \\u escape"), 0;
	if (cp == 0)
		return fail_at(s, (const char *)p, "contains the escape \\u0000"), 0;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail_at(s, (const char *)p, "has a lone surrogate escape"), 0;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (e - p < 12 || p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, &lo) || lo < 0xDC00 ||
		    lo > 0xDFFF)
			return fail_at(s, (const char *)p, "has a lone surrogate escape"), 0;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
	}
	/* the UTF-8 form is never longer than the escape: \uXXXX (6 bytes) -> at
	 * most 3, a surrogate pair (12) -> 4; so w never overtakes p */
	if (cp < 0x80) {
		*o++ = (unsigned char)cp;
	} else if (cp < 0x800) {
		*o++ = (unsigned char)(0xC0 | cp >> 6);
		*o++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (unsigned char)(0xE0 | cp >> 12);
		*o++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		*o++ = (unsigned char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (unsigned char)(0xF0 | cp >> 18);
		*o++ = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
		*o++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		*o++ = (unsigned char)(0x80 | (cp & 0x3F));
	}
	*w = o;
	return cp >= 0x10000 ? 12 : 6;
}

/* Bytes of the UTF-8 sequence at p, 0 when it is not a valid one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *e)
{
	unsigned c = *p;
	size_t k = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
	uint32_t cp;

	if (!k || (size_t)(e - p) < k)
		return 0;
	cp = c & (0x7Fu >> k);
	for (size_t i = 1; i < k; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3Fu);
	}
	if (cp < (k == 2   ? 0x80u
		  : k == 3 ? 0x800u
			   : 0x10000u) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return k;
}

/* The first byte at or after p that is a quote, a backslash, a control
 * character or not ASCII: the plain bytes of a name are ~all of a header. */
static const unsigned char *plain_run(const unsigned char *p, const unsigned char *e)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
		      space = _mm_set1_epi8(0x20);
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		/* signed compare: bytes >= 0x80 are negative, so < 0x20 too */
		__m128i stop =
		    _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
				 _mm_cmplt_epi8(v, space));
		int m = _mm_movemask_epi8(stop);
		if (m)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	while (p < e && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return p;
}

bool vf_jscan_string(struct vf_jscan *s, char **v, size_t *len)
{
	const unsigned char *p = (const unsigned char *)s->p, *e = (const unsigned char *)s->end;
	unsigned char *start, *w = NULL; /* w: where decoded bytes go, once shifted */

	if (vf_jscan_peek(s) != '"')
		return vf_jscan_syntax(s);
	p = (const unsigned char *)s->p + 1;
	start = (unsigned char *)p;
	for (;;) {
		const unsigned char *run = p;
		size_t k;
		p = plain_run(p, e);
		if (w) {
			memmove(w, run, (size_t)(p - run));
			w += p - run;
		}
		if (p >= e)
			return fail_at(s, s->end, "is not valid JSON: a string does not end");
		if (*p == '"')
			break;
		if (*p < 0x20)
			return fail_at(s, (const char *)p,
				       "contains a control character inside a string");
		if (*p == '\\') {
			if (!w)
				w = (unsigned char *)p;
			if (!(k = unescape(s, p, e, &w)))
				return false;
			p += k;
			continue;
		}
		if (!(k = utf8_len(p, e)))
			return fail_at(s, (const char *)p, "is not valid UTF-8");
		if (w) {
			memmove(w, p, k);
			w += k;
		}
		p += k;
	}
	if (!w)
		w = (unsigned char *)p;
	*w = '\0';
	*v = (char *)start;
	*len = (size_t)(w - start);
	s->p = (char *)p + 1;
	return true;
}

bool vf_jscan_null(struct vf_jscan *s)
{
	if (vf_jscan_peek(s) != 'n' || s->end - s->p < 4 || memcmp(s->p, "null", 4) != 0)
		return false;
	s->p += 4;
	return true;
}

/*
 * How many of the 8 bytes at p are leading decimal digits, and their value:
 * one 8-byte load instead of a loop per digit, for the ~370k numbers of a
 * DeepSeek-V3 header set.  A byte is a digit when subtracting '0' does not
 * borrow and adding 0x46 does not reach 0x80; carries and borrows only move
 * toward later bytes, which lie after the first non-digit anyway.
 */
static unsigned digits8(const char *p, uint64_t *val)
{
	uint64_t w, nd;
	unsigned n;

	memcpy(&w, p, 8);
	nd = ((w + 0x4646464646464646ULL) | (w - 0x3030303030303030ULL)) & 0x8080808080808080ULL;
	n = nd ? (unsigned)__builtin_ctzll(nd) / 8 : 8;
	if (n == 0)
		return 0;
	/* digit values, the first (most significant) in the lowest byte; the
	 * shift puts zeros, that is leading zeros, below them */
	w = (w - 0x3030303030303030ULL) << (8 * (8 - n));
	w = (w * 10) + (w >> 8);
	w = (((w & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
	     (((w >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
	    32;
	*val = w;
	return n;
}

/* A number token by the RFC 8259 grammar; *whole when it is digits only and
 * below 2^53, with the value in *v. */
static bool number(struct vf_jscan *s, uint64_t *v, bool *whole)
{
	const char *p = s->p, *e = s->end;
	uint64_t x = 0;
	bool big = false;

	*whole = false;
	/* the common case: up to 15 digits (below 2^53) and a delimiter */
	if (e - p > 16 && *p >= '1' && *p <= '9') {
		static const uint64_t pow10[9] = {1,	  10,	   100,	     1000,     10000,
						  100000, 1000000, 10000000, 100000000};
		uint64_t hi, lo = 0;
		unsigned n = digits8(p, &hi), m = n == 8 ? digits8(p + 8, &lo) : 0;
		char c = p[n + m];
		if (n + m < 16 && (c == ',' || c == ']' || c == '}')) {
			*v = hi * pow10[m] + lo;
			*whole = true;
			s->p = (char *)p + n + m;
			return true;
		}
	}
	if (p < e && *p == '-')
		p++;
	if (p >= e || *p < '0' || *p > '9')
		return fail_at(s, p, "is not valid JSON");
	if (*p == '0') {
		p++;
	} else {
		for (; p < e && *p >= '0' && *p <= '9'; p++) {
			x = x * 10 + (uint64_t)(*p - '0');
			if (x >= VF_JSON_MAX_EXACT) {
				big = true;
				x = 0; /* keeps the multiply from overflowing */
			}
		}
	}
	*whole = *s->p != '-' && !big;
	if (p < e && *p == '.') {
		*whole = false;
		if (++p >= e || *p < '0' || *p > '9')
			return fail_at(s, p, "is not valid JSON");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		*whole = false;
		if (++p < e && (*p == '+' || *p == '-'))
			p++;
		if (p >= e || *p < '0' || *p > '9')
			return fail_at(s, p, "is not valid JSON");
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	}
	*v = x;
	s->p = (char *)p;
	return true;
}

int vf_jscan_uint(struct vf_jscan *s, uint64_t *v)
{
	int c = vf_jscan_peek(s);
	bool whole;

	if (c == '-' || (c >= '0' && c <= '9')) {
		if (!number(s, v, &whole))
			return -1;
		return whole ? 1 : 0;
	}
	return vf_jscan_skip(s) ? 0 : -1;
}

static bool literal(struct vf_jscan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return vf_jscan_syntax(s);
	s->p += n;
	return true;
}

int vf_jscan_key_once(struct vf_jscan *s, size_t *i, char **key, struct vf_strmap *seen)
{
	int r = vf_jscan_key(s, i, key), put;

	if (r <= 0)
		return r;
	if ((put = vf_strmap_put(seen, *key, 0, NULL)) < 0) {
		vf_fail(s->err, VF_ENOMEM, s->path, "out of memory");
		return -1;
	}
	if (put == 0) {
		vf_fail(s->err, VF_EFORMAT, s->path, "%s repeats the key \"%s\"", s->what, *key);
		return -1;
	}
	return 1;
}

static bool skip_object(struct vf_jscan *s)
{
	struct vf_strmap seen = {0};
	size_t i = 0;
	char *key;
	int r;

	if (!vf_jscan_open(s, '{'))
		return false;
	while ((r = vf_jscan_key_once(s, &i, &key, &seen)) > 0 && vf_jscan_skip(s))
		;
	vf_strmap_free(&seen);
	return r == 0;
}

bool vf_jscan_skip(struct vf_jscan *s)
{
	char *str;
	size_t len, i = 0;
	uint64_t v;
	bool whole;
	int r;

	switch (vf_jscan_peek(s)) {
	case '{':
		return skip_object(s);
	case '[':
		if (!vf_jscan_open(s, '['))
			return false;
		while ((r = vf_jscan_item(s, &i)) > 0)
			if (!vf_jscan_skip(s))
				return false;
		return r == 0;
	case '"':
		return vf_jscan_string(s, &str, &len);
	case 't':
		return literal(s, "true");
	case 'f':
		return literal(s, "false");
	case 'n':
		return literal(s, "null");
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return number(s, &v, &whole);
	}
	return vf_jscan_syntax(s);
}

bool vf_jscan_end(struct vf_jscan *s)
{
	int c = vf_jscan_peek(s);

	if (c < 0)
		return true;
	if (c < 0x20)
		return fail_at(s, s->p, "contains a control character");
	return fail_at(s, s->p, "has data after the JSON value");
}

bool vf_jscan_wrong(struct vf_jscan *s, const char *fmt, ...)
{
	char msg[VF_ERR_MSG_MAX];
	va_list ap;

	if (!vf_jscan_skip(s))
		return false;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vf_fail(s->err, VF_EFORMAT, s->path, "%s", msg);
	return false;
}
