/*
 * hub_http.h - the HTTP transfers of the Hugging Face Hub reader: a queue of
 * GET requests (whole small files, or one byte range each) run in parallel
 * on one libcurl multi handle, with bounded memory, retries and one-line
 * errors.  Private to formats/hub*.c.
 *
 * Contract:
 * - Every request has a byte limit before it starts: a range request accepts
 *   at most its length, a whole-file request at most its cap.  A server that
 *   sends more (ignores Range, lies in Content-Length, never stops) is cut off
 *   at the limit and the run fails with a message saying so.
 * - Redirects are followed (at most VF_HTTP_MAX_REDIRS); the token is sent as
 *   a bearer token to URLs under the endpoint only, never to a host a redirect
 *   names (libcurl's rule without CURLOPT_UNRESTRICTED_AUTH), nor to a URL a
 *   redirect led to that the caller asks for directly later (req.location).
 * - 429 and 5xx are retried at most VF_HTTP_TRIES times in all, after the
 *   server's Retry-After (capped) or an exponential backoff; the whole run has
 *   one deadline (the --timeout), every transfer one connect timeout.
 * - The first failure wins: the run stops, every transfer is dropped, and err
 *   holds one line naming the request's file.
 */
#ifndef VF_HUB_HTTP_H
#define VF_HUB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define VF_HTTP_MAX_REDIRS 10
#define VF_HTTP_TRIES 4		   /* tries of a request answered 429 or 5xx */
#define VF_HTTP_RETRY_AFTER_MAX 30 /* seconds of Retry-After honoured */
#define VF_HTTP_TIMEOUT 120.0	   /* default --timeout: the whole hub read */
#define VF_HTTP_CONNECT_TIMEOUT 10.0
#define VF_HTTP_PARALLEL 32 /* transfers in flight */

struct vf_http;

enum vf_http_kind { VF_HTTP_API, VF_HTTP_FILE };

struct vf_http_req {
	/* set by the caller */
	char *url;	   /* owned by the request */
	const char *shown; /* the file, for messages (borrowed) */
	enum vf_http_kind kind;
	bool ranged;						/* Range: bytes=off-(off+len-1) */
	uint64_t off, len;					/* ranged */
	size_t cap;						/* whole: the most bytes accepted */
	void (*done)(struct vf_http *h, struct vf_http_req *r); /* may add more requests */
	void *user;
	/* results, valid in done() */
	unsigned char *body; /* owned by the request; done() may take it (set NULL) */
	size_t nbody;
	uint64_t total; /* the whole file's size: Content-Range's, or nbody */
	char etag[160]; /* ETag or X-Linked-Etag, unquoted; "" if none */
	char *location; /* where redirects led, when elsewhere (owned; done() may take it) */
	/* private */
	long status;
	char content_range[128], retry_after[32], error_code[64];
	unsigned tries;
	double not_before;
	bool too_big;
	char errbuf[256]; /* CURL_ERROR_SIZE */
	size_t limit;
	void *easy;
	struct curl_slist *hdrs;
	struct vf_http_req *next;
};

struct vf_http_opts {
	const char *endpoint; /* https://huggingface.co */
	const char *token;    /* NULL: none */
	double timeout;	      /* seconds for the whole run; 0: VF_HTTP_TIMEOUT */
	const char *what;     /* for progress: the repo id */
};

/* A client; *out is NULL on failure (libcurl missing, out of memory). */
enum vf_status vf_http_new(struct vf_http **out, const struct vf_http_opts *o, const char *path,
			   struct vf_err *err);
void vf_http_free(struct vf_http *h);

/* Queues r (the client owns it from now on and frees it after done()). */
void vf_http_add(struct vf_http *h, struct vf_http_req *r);
/* A new request for url (copied); NULL when out of memory. */
struct vf_http_req *vf_http_req_new(const char *url, const char *shown);
/* Runs the queue until it is empty or a request fails. */
enum vf_status vf_http_run(struct vf_http *h, struct vf_err *err);
/* Fails the run from done() (the first failure wins). */
void vf_http_fail(struct vf_http *h, enum vf_status st, const char *path, const char *msg);

/* Counters for tests and the bench: requests made, body bytes received. */
struct vf_http_stats {
	uint64_t requests, bytes;
};
struct vf_http_stats vf_http_stats(const struct vf_http *h);

/* "%2F"-escapes what a URL path segment must not hold; NULL when out of memory. */
char *vf_http_escape(const char *s, bool keep_slash);

#endif
