/*
 * hub_http.c - parallel, bounded GET requests for the hub reader
 * (hub_http.h states the contract).
 *
 * One curl multi handle runs up to VF_HTTP_PARALLEL transfers at once, with
 * HTTP/2 multiplexing when the server offers it (CURLPIPE_MULTIPLEX and
 * PIPEWAIT: a new transfer waits for the connection it can share rather than
 * opening another).  A request's body goes into a buffer that never grows
 * past the request's limit: the write callback refuses the byte after it,
 * which aborts the transfer, so a hostile server costs at most the limit.
 * Headers are parsed for Content-Range, ETag, Retry-After and X-Error-Code
 * (reset at each status line: a redirect's headers do not count).
 *
 * A request answered 429 or 5xx goes back on the queue with a not-before
 * time; the loop waits for the earliest of those when nothing else runs.
 * The single deadline (opts.timeout) bounds every transfer and every wait.
 *
 * Progress: when stderr is a terminal and the run has taken more than a
 * second, one line "\r... N/M files, X MiB" is redrawn on stderr and erased
 * at the end.  This is the one place library code writes: progress is not a
 * message, and it goes nowhere when stderr is a file or a pipe.
 */
#include "formats/hub_http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "common/mem.h"
#include "formats/curl_lib.h"

_Static_assert(sizeof(((struct vf_http_req *)0)->errbuf) >= CURL_ERROR_SIZE, "errbuf");

struct vf_http {
	const struct vf_curl_lib *c;
	CURLM *multi;
	char *endpoint, *token, *what;
	char host[256]; /* the endpoint's host, for messages */
	double deadline, timeout, started;
	struct vf_http_req *queue, *queue_tail; /* waiting to start */
	size_t running;
	struct vf_http_req *active[VF_HTTP_PARALLEL];
	struct vf_err err;
	bool failed, progress_shown;
	uint64_t requests, bytes, done_files, total_files;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *vf_http_escape(const char *s, bool keep_slash)
{
	size_t n = strlen(s);
	char *o = vf_malloc(3 * n + 1), *p = o;

	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-._~", ch) || (keep_slash && ch == '/'))
			*p++ = (char)ch;
		else
			p += sprintf(p, "%%%02X", ch);
	}
	*p = '\0';
	return o;
}

enum vf_status vf_http_new(struct vf_http **out, const struct vf_http_opts *o, const char *path,
			   struct vf_err *err)
{
	struct vf_http *h;
	const struct vf_curl_lib *c;
	enum vf_status st;
	const char *hs;
	size_t n;

	*out = NULL;
	if ((st = vf_curl_lib(&c, path, err)))
		return st;
	if (!(h = vf_calloc(1, sizeof(*h))))
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	h->c = c;
	h->timeout = o->timeout > 0 ? o->timeout : VF_HTTP_TIMEOUT;
	h->started = now();
	h->deadline = h->started + h->timeout;
	h->endpoint = vf_strdup(o->endpoint);
	h->token = o->token ? vf_strdup(o->token) : NULL;
	h->what = vf_strdup(o->what ? o->what : "");
	if (!h->endpoint || (o->token && !h->token) || !h->what || !(h->multi = c->multi_init())) {
		vf_http_free(h);
		return vf_fail(err, VF_ENOMEM, path, "out of memory");
	}
	/* the host, for messages: what lies between "://" and the next '/' */
	hs = strstr(h->endpoint, "://");
	hs = hs ? hs + 3 : h->endpoint;
	n = strcspn(hs, "/");
	snprintf(h->host, sizeof(h->host), "%.*s", (int)(n < 200 ? n : 200), hs);
	c->multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	c->multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 8L);
	c->multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 16L);
	*out = h;
	return VF_OK;
}

static void req_free(struct vf_http *h, struct vf_http_req *r)
{
	if (!r)
		return;
	if (r->easy) {
		h->c->multi_remove_handle(h->multi, r->easy);
		h->c->easy_cleanup(r->easy);
	}
	if (r->hdrs)
		h->c->slist_free_all(r->hdrs);
	vf_free(r->body);
	vf_free(r->location);
	vf_free(r->url);
	vf_free(r);
}

void vf_http_free(struct vf_http *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < VF_HTTP_PARALLEL; i++)
		req_free(h, h->active[i]);
	while (h->queue) {
		struct vf_http_req *r = h->queue;
		h->queue = r->next;
		req_free(h, r);
	}
	if (h->multi)
		h->c->multi_cleanup(h->multi);
	vf_free(h->endpoint);
	vf_free(h->token);
	vf_free(h->what);
	vf_free(h);
}

struct vf_http_req *vf_http_req_new(const char *url, const char *shown)
{
	struct vf_http_req *r = vf_calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (!(r->url = vf_strdup(url))) {
		vf_free(r);
		return NULL;
	}
	r->shown = shown;
	return r;
}

void vf_http_add(struct vf_http *h, struct vf_http_req *r)
{
	r->next = NULL;
	if (h->queue_tail)
		h->queue_tail->next = r;
	else
		h->queue = r;
	h->queue_tail = r;
	if (r->kind == VF_HTTP_FILE)
		h->total_files++;
}

void vf_http_fail(struct vf_http *h, enum vf_status st, const char *path, const char *msg)
{
	vf_fail(&h->err, st, path, "%s", msg);
	h->failed = true;
}

struct vf_http_stats vf_http_stats(const struct vf_http *h)
{
	struct vf_http_stats s = {h ? h->requests : 0, h ? h->bytes : 0};
	return s;
}

/* ---- callbacks ---- */

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	struct vf_http_req *r = ud;
	size_t n = sz * nm;

	if (n > r->limit - r->nbody) {
		r->too_big = true;
		return 0; /* aborts the transfer: nothing past the limit is read */
	}
	if (!r->body) {
		/* the limit, not Content-Length, sizes the buffer: grown on demand */
		size_t first = r->limit < 65536 ? r->limit : 65536;
		if (!(r->body = vf_malloc(first ? first : 1)))
			return 0;
		r->total = first; /* capacity, until the end */
	}
	if (r->nbody + n > r->total) {
		size_t cap = (size_t)r->total;
		unsigned char *b;
		while (cap < r->nbody + n)
			cap = cap > r->limit / 2 ? r->limit : cap * 2;
		if (!(b = vf_realloc(r->body, cap)))
			return 0;
		r->body = b;
		r->total = cap;
	}
	memcpy(r->body + r->nbody, p, n);
	r->nbody += n;
	return n;
}

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	while (n && isspace((unsigned char)*v))
		v++, n--;
	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	struct vf_http_req *r = ud;
	size_t n = sz * nm;
	static const struct {
		const char *name;
		size_t off, cap;
	} keep[] = {
	    {"content-range:", offsetof(struct vf_http_req, content_range), 128},
	    {"etag:", offsetof(struct vf_http_req, etag), 160},
	    {"x-linked-etag:", offsetof(struct vf_http_req, etag), 160},
	    {"retry-after:", offsetof(struct vf_http_req, retry_after), 32},
	    {"x-error-code:", offsetof(struct vf_http_req, error_code), 64},
	};

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) { /* a new response: a redirect's, or the last */
		r->content_range[0] = r->retry_after[0] = r->error_code[0] = '\0';
		return n;
	}
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		size_t k = strlen(keep[i].name);
		if (n > k && strncasecmp(p, keep[i].name, k) == 0) {
			char *dst = (char *)r + keep[i].off;
			/* X-Linked-Etag (the LFS object's sha256) beats the ETag of the
			 * redirect response it came with */
			if (i == 1 && dst[0] && dst[0] != 'W')
				break;
			copy_value(dst, keep[i].cap, p + k, n - k);
			break;
		}
	}
	return n;
}

/* ---- running ---- */

static enum vf_status start(struct vf_http *h, struct vf_http_req *r)
{
	const struct vf_curl_lib *c = h->c;
	CURL *e = c->easy_init();
	double left = h->deadline - now();
	char range[64];

	if (!e)
		return vf_fail(&h->err, VF_ENOMEM, r->shown, "out of memory");
	r->easy = e;
	r->nbody = 0;
	r->total = 0;
	r->too_big = false;
	r->etag[0] = r->content_range[0] = r->retry_after[0] = r->error_code[0] = '\0';
	r->limit = r->ranged ? (size_t)r->len : r->cap;
	c->easy_setopt(e, CURLOPT_URL, r->url);
	c->easy_setopt(e, CURLOPT_PRIVATE, (void *)r);
	r->errbuf[0] = '\0';
	c->easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	c->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	c->easy_setopt(e, CURLOPT_MAXREDIRS, (long)VF_HTTP_MAX_REDIRS);
	c->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	c->easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	c->easy_setopt(e, CURLOPT_USERAGENT, "vramfit");
	c->easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	c->easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	c->easy_setopt(
	    e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(1000 * (left < VF_HTTP_CONNECT_TIMEOUT ? left : VF_HTTP_CONNECT_TIMEOUT)));
	c->easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(left > 0.001 ? 1000 * left : 1));
	c->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	c->easy_setopt(e, CURLOPT_WRITEDATA, (void *)r);
	c->easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	c->easy_setopt(e, CURLOPT_HEADERDATA, (void *)r);
	if (h->token && strncmp(r->url, h->endpoint, strlen(h->endpoint)) == 0 &&
	    r->url[strlen(h->endpoint)] == '/') {
		/* a bearer token goes to the URL's own host only: libcurl drops it
		 * on a redirect to another host (or port, or scheme) */
		c->easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		c->easy_setopt(e, CURLOPT_XOAUTH2_BEARER, h->token);
	}
	if (r->ranged) {
		snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)r->off,
			 (unsigned long long)(r->off + r->len - 1));
		c->easy_setopt(e, CURLOPT_RANGE, range);
	}
	if (c->multi_add_handle(h->multi, e) != CURLM_OK)
		return vf_fail(&h->err, VF_ENOMEM, r->shown, "out of memory");
	h->requests++;
	return VF_OK;
}

static void put_active(struct vf_http *h, struct vf_http_req *r)
{
	for (size_t i = 0; i < VF_HTTP_PARALLEL; i++)
		if (!h->active[i]) {
			h->active[i] = r;
			h->running++;
			return;
		}
}

static void take_active(struct vf_http *h, struct vf_http_req *r)
{
	for (size_t i = 0; i < VF_HTTP_PARALLEL; i++)
		if (h->active[i] == r) {
			h->active[i] = NULL;
			h->running--;
			return;
		}
}

/* Starts what the queue holds that may start now; *wait: seconds until the
 * earliest retry that may not. */
static void fill(struct vf_http *h, double *wait)
{
	struct vf_http_req **pp = &h->queue, *prev = NULL;
	double t = now();

	*wait = -1;
	while (*pp && h->running < VF_HTTP_PARALLEL && !h->failed) {
		struct vf_http_req *r = *pp;
		if (r->not_before > t) {
			double w = r->not_before - t;
			if (*wait < 0 || w < *wait)
				*wait = w;
			prev = r;
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		if (h->queue_tail == r)
			h->queue_tail = prev;
		put_active(h, r);
		if (start(h, r))
			h->failed = true;
	}
}

static bool retryable(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static void failf(struct vf_http *h, enum vf_status st, struct vf_http_req *r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void failf(struct vf_http *h, enum vf_status st, struct vf_http_req *r, const char *fmt, ...)
{
	char msg[VF_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vf_http_fail(h, st, r->shown, msg);
}

static bool parse_content_range(const char *s, uint64_t *a, uint64_t *b, uint64_t *total)
{
	unsigned long long x, y, z;
	char star;

	if (sscanf(s, "bytes %llu-%llu/%llu", &x, &y, &z) == 3 && x <= y && y < z) {
		*a = x, *b = y, *total = z;
		return true;
	}
	if (sscanf(s, "bytes %llu-%llu/%c", &x, &y, &star) == 3 && star == '*' && x <= y) {
		*a = x, *b = y, *total = 0;
		return true;
	}
	return false;
}

static const char *gated_hint(const struct vf_http *h)
{
	return h->token ? "the token (HF_TOKEN or the token file) was refused: accept the license "
			  "on the model page with the account the token belongs to"
			: "a gated or private repo: accept the license on the model page, then set "
			  "HF_TOKEN";
}

/* Checks a finished transfer; true when done() may run. */
static bool judge(struct vf_http *h, struct vf_http_req *r, CURLcode cc, const char *cerr)
{
	long status = 0;
	uint64_t a = 0, b = 0, total = 0;
	double left;

	h->c->easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	r->status = status;
	if (cc == CURLE_WRITE_ERROR && r->too_big) {
		if (r->ranged && status == 200)
			failf(h, VF_EFORMAT, r,
			      "the server ignored the Range request (HTTP 200, the whole file): "
			      "stopped after %llu bytes rather than download it",
			      (unsigned long long)r->len);
		else
			failf(h, VF_EFORMAT, r,
			      "the response is larger than asked for (more than %zu bytes): "
			      "stopped reading",
			      r->limit);
		return false;
	}
	if (cc != CURLE_OK && !(cc == CURLE_HTTP_RETURNED_ERROR)) {
		switch (cc) {
		case CURLE_OPERATION_TIMEDOUT:
			if (status == 0 && r->nbody == 0 && now() - h->started < h->timeout - 0.5)
				failf(h, VF_EIO, r, "cannot connect to %s within %.0f s", h->host,
				      VF_HTTP_CONNECT_TIMEOUT);
			else
				failf(h, VF_EIO, r,
				      "timed out: the hub read took more than %g s (--timeout "
				      "SECONDS)",
				      h->timeout);
			break;
		case CURLE_TOO_MANY_REDIRECTS:
			failf(h, VF_EIO, r, "redirect loop: more than %d redirects",
			      VF_HTTP_MAX_REDIRS);
			break;
		case CURLE_PARTIAL_FILE:
			failf(h, VF_EIO, r,
			      "truncated response: the connection closed after %zu bytes of the "
			      "body",
			      r->nbody);
			break;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_CONNECT:
			failf(h, VF_EIO, r, "cannot connect to %s: %s", h->host,
			      cerr[0] ? cerr : h->c->easy_strerror(cc));
			break;
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_ISSUER_ERROR:
			failf(h, VF_EIO, r, "TLS failure: %s",
			      cerr[0] ? cerr : h->c->easy_strerror(cc));
			break;
		default:
			failf(h, VF_EIO, r, "HTTP request failed: %s",
			      cerr[0] ? cerr : h->c->easy_strerror(cc));
		}
		return false;
	}
	if (retryable(status)) {
		if (++r->tries >= VF_HTTP_TRIES) {
			failf(h, VF_EIO, r, "HTTP %ld from %s, %u tries: %s", status, h->host,
			      r->tries,
			      status == 429 ? "rate limited, try again later"
					    : "the server is failing, try again later");
			return false;
		}
		{
			double d = 0.5 * (double)(1u << (r->tries - 1));
			char *end;
			long ra = strtol(r->retry_after, &end, 10);
			if (r->retry_after[0] && end != r->retry_after && ra >= 0)
				d = ra < VF_HTTP_RETRY_AFTER_MAX ? (double)ra
								 : VF_HTTP_RETRY_AFTER_MAX;
			left = h->deadline - now();
			if (d >= left) {
				failf(h, VF_EIO, r,
				      "HTTP %ld from %s, and the retry would pass the %g s "
				      "timeout (--timeout SECONDS)",
				      status, h->host, h->timeout);
				return false;
			}
			r->not_before = now() + d;
		}
		h->c->multi_remove_handle(h->multi, r->easy);
		h->c->easy_cleanup(r->easy);
		r->easy = NULL;
		vf_free(r->body);
		r->body = NULL;
		take_active(h, r);
		if (r->kind == VF_HTTP_FILE)
			h->total_files--;
		vf_http_add(h, r);
		return false;
	}
	if (status == 401 || status == 403) {
		failf(h, VF_EIO, r, "access denied (HTTP %ld): %s", status, gated_hint(h));
		return false;
	}
	if (status == 404) {
		const char *ec = r->error_code;
		if (strcmp(ec, "RevisionNotFound") == 0)
			failf(h, VF_EIO, r, "no such revision on %s (HTTP 404)", h->host);
		else if (strcmp(ec, "EntryNotFound") == 0 || r->kind == VF_HTTP_FILE)
			failf(h, VF_EIO, r, "no such file in the repo at this revision (HTTP 404)");
		else
			failf(h, VF_EIO, r,
			      "no such model, or no such revision, on %s (HTTP 404); a private "
			      "repo needs HF_TOKEN",
			      h->host);
		return false;
	}
	if (status != 200 && status != 206) {
		failf(h, VF_EIO, r, "unexpected HTTP status %ld from %s", status, h->host);
		return false;
	}
	{
		char *eff = NULL;
		h->c->easy_getinfo(r->easy, CURLINFO_EFFECTIVE_URL, &eff);
		vf_free(r->location);
		r->location = eff && strcmp(eff, r->url) != 0 ? vf_strdup(eff) : NULL;
	}
	if (!r->ranged) {
		r->total = r->nbody;
		return true;
	}
	if (status == 200) {
		/* a whole file no longer than the range asked from its start is a
		 * fair answer; anything else was cut off above */
		if (r->off != 0) {
			failf(h, VF_EFORMAT, r,
			      "the server ignored the Range request (HTTP 200, the whole file): "
			      "stopped rather than download it");
			return false;
		}
		r->total = r->nbody;
		return true;
	}
	if (!parse_content_range(r->content_range, &a, &b, &total)) {
		failf(h, VF_EFORMAT, r, "HTTP 206 without a valid Content-Range (\"%.60s\")",
		      r->content_range);
		return false;
	}
	if (a != r->off || b > r->off + r->len - 1) {
		failf(h, VF_EFORMAT, r,
		      "the server sent bytes %llu-%llu, not the %llu-%llu asked for",
		      (unsigned long long)a, (unsigned long long)b, (unsigned long long)r->off,
		      (unsigned long long)(r->off + r->len - 1));
		return false;
	}
	if (r->nbody != b - a + 1) {
		failf(h, VF_EIO, r, "truncated response: %zu of the %llu bytes of the range",
		      r->nbody, (unsigned long long)(b - a + 1));
		return false;
	}
	if (total && b + 1 < total && b + 1 < r->off + r->len) {
		failf(h, VF_EIO, r, "truncated response: the range ends at byte %llu of %llu",
		      (unsigned long long)(b + 1), (unsigned long long)total);
		return false;
	}
	r->total = total ? total : b + 1;
	return true;
}

static void progress(struct vf_http *h, bool end)
{
	double t = now() - h->started;

	if (end) {
		if (h->progress_shown)
			fputs("\r\033[K", stderr);
		h->progress_shown = false;
		return;
	}
	if (t < 1.0 || !isatty(2))
		return;
	if (!h->total_files)
		fprintf(stderr, "\r\033[Kvramfit: %s: asking %s for the file list", h->what,
			h->host);
	else
		fprintf(stderr,
			"\r\033[Kvramfit: %s: reading headers from %s: %llu/%llu files, %.1f MiB",
			h->what, h->host, (unsigned long long)h->done_files,
			(unsigned long long)h->total_files, (double)h->bytes / 1048576.0);
	h->progress_shown = true;
}

enum vf_status vf_http_run(struct vf_http *h, struct vf_err *err)
{
	const struct vf_curl_lib *c = h->c;
	double last_progress = 0;

	while (!h->failed && (h->queue || h->running)) {
		int still = 0, left = 0;
		double wait;
		CURLMsg *m;

		fill(h, &wait);
		if (h->failed)
			break;
		if (!h->running) {
			/* only retries are waiting: sleep until the first may start */
			if (wait > 0)
				usleep((useconds_t)(wait * 1e6) + 1000);
			continue;
		}
		if (c->multi_perform(h->multi, &still) != CURLM_OK) {
			vf_fail(&h->err, VF_EIO, h->what, "HTTP transfer failed");
			h->failed = true;
			break;
		}
		while ((m = c->multi_info_read(h->multi, &left))) {
			struct vf_http_req *r = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			c->easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			h->bytes += r->nbody;
			if (!judge(h, r, m->data.result, r->errbuf)) {
				if (h->failed)
					break;
				continue; /* requeued for a retry */
			}
			take_active(h, r);
			c->multi_remove_handle(h->multi, r->easy);
			c->easy_cleanup(r->easy);
			r->easy = NULL;
			if (r->kind == VF_HTTP_FILE)
				h->done_files++;
			r->done(h, r);
			req_free(h, r);
			if (h->failed)
				break;
		}
		if (h->failed)
			break;
		if (now() - last_progress > 0.2) {
			progress(h, false);
			last_progress = now();
		}
		if (h->running && c->multi_poll(h->multi, NULL, 0, 100, NULL) != CURLM_OK) {
			vf_fail(&h->err, VF_EIO, h->what, "HTTP transfer failed");
			h->failed = true;
		}
		if (now() > h->deadline + 1) {
			vf_fail(&h->err, VF_EIO, h->what,
				"timed out: the hub read took more than %g s (--timeout SECONDS)",
				h->timeout);
			h->failed = true;
		}
	}
	progress(h, true);
	if (h->failed) {
		/* drop everything: the first failure is the answer */
		for (size_t i = 0; i < VF_HTTP_PARALLEL; i++) {
			req_free(h, h->active[i]);
			h->active[i] = NULL;
		}
		h->running = 0;
		while (h->queue) {
			struct vf_http_req *r = h->queue;
			h->queue = r->next;
			req_free(h, r);
		}
		h->queue_tail = NULL;
		vf_fail(err, h->err.status ? h->err.status : VF_EIO, h->err.path, "%s", h->err.msg);
		/* a failed client stays failed */
		return err->status;
	}
	return VF_OK;
}
