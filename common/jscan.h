/*
 * jscan.h - a strict JSON scanner that builds no tree.
 *
 * A safetensors header or a sharded index is one big object of small, fixed
 * shapes: DeepSeek-V3 has 20 MB of it and 92k tensors.  Building a cJSON tree
 * of ~1.3 M nodes and walking it afterwards cost 5x more than the Python
 * reader's json.loads (bench/results.md), so the readers of those two
 * documents pull values from the text directly and write what they need
 * straight into their own tables.  cJSON (common/json.h) stays for the small,
 * free-form documents (config.json, GGUF-side JSON).
 *
 * It is exactly as strict as common/json.h: the JSON grammar of RFC 8259,
 * UTF-8 checked inside strings (no overlongs, no surrogates, nothing above
 * U+10FFFF), no control characters in strings, the escape \u0000 and lone
 * surrogate escapes refused, nothing but whitespace after the value, nesting
 * bounded by VF_JSCAN_MAX_DEPTH.  Repeated keys are the caller's to catch for
 * the objects it reads (it knows their shape: a bitmask for a tensor's three
 * fields, the tensor table for names); vf_jscan_skip() catches them in what it
 * skips.  Stricter than cJSON: numbers are never rounded through a double, so
 * vf_jscan_uint() tells 1 from 1.0 and 1e3 and refuses the latter two, as
 * the reference safetensors reader (serde, usize) does.
 *
 * Strings are decoded in place: the text must be writable, and a string
 * returned by the scanner is NUL-terminated inside it (its closing quote, or
 * an earlier byte when escapes shortened it, becomes the NUL).  So names need
 * no copy and no allocation while scanning.
 *
 * Errors go to the vf_err given to vf_jscan_init(), as one line naming the
 * file and the byte: "PATH: header is not valid JSON (at byte 1234)".
 */
#ifndef VF_JSCAN_H
#define VF_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define VF_JSCAN_MAX_DEPTH 64 /* safetensors headers and indexes need 3 */

struct vf_jscan {
	char *text, *p, *end;
	unsigned depth;
	size_t klen;		 /* length of the last key vf_jscan_key() returned */
	const char *path, *what; /* what: the document in messages ("header") */
	struct vf_err *err;
};

void vf_jscan_init(struct vf_jscan *s, char *text, size_t len, const char *path, const char *what,
		   struct vf_err *err);

/* The next byte that is not whitespace (not consumed), or -1 at the end. */
int vf_jscan_peek_ws(struct vf_jscan *s);
static inline int vf_jscan_peek(struct vf_jscan *s)
{
	/* headers written by safetensors have no whitespace: one test */
	if (s->p < s->end && (unsigned char)*s->p > ' ')
		return (unsigned char)*s->p;
	return vf_jscan_peek_ws(s);
}

/* Consumes '{' or '[' (c), checking the nesting bound; false and an error
 * when the next value is something else. */
bool vf_jscan_open(struct vf_jscan *s, char c);

/*
 * Iterates an opened object: 1 with *key (decoded, NUL-terminated) when a
 * member follows, its ':' consumed and its value next; 0 when the object
 * closed; -1 on an error.  *i counts the members read (start it at 0).
 */
int vf_jscan_key(struct vf_jscan *s, size_t *i, char **key);
/* vf_jscan_key() that also fails ("WHAT repeats the key \"K\"") on a key
 * already in seen, the keys of this object so far (start it zeroed; free it
 * with vf_strmap_free() after the object). */
struct vf_strmap;
int vf_jscan_key_once(struct vf_jscan *s, size_t *i, char **key, struct vf_strmap *seen);
/* The same for an opened array: 1 when an element is next. */
int vf_jscan_item(struct vf_jscan *s, size_t *i);

/* A string value (decoded, NUL-terminated; len excludes the NUL). */
bool vf_jscan_string(struct vf_jscan *s, char **v, size_t *len);
/* Consumes "null" when it is next (true), else consumes nothing (false). */
bool vf_jscan_null(struct vf_jscan *s);
/*
 * Consumes one value of any type: 1 when it is a number written as a whole
 * number in [0, 2^53) (no sign, fraction or exponent), *v set; 0 when it is
 * any other valid value; -1 on an error.
 */
int vf_jscan_uint(struct vf_jscan *s, uint64_t *v);
/* Consumes one value of any type, checked, repeated keys refused. */
bool vf_jscan_skip(struct vf_jscan *s);
/* True when only whitespace is left. */
bool vf_jscan_end(struct vf_jscan *s);

/* Fails with "PATH: WHAT is not valid JSON (at byte N)" at the current byte,
 * or the more precise message the byte there calls for. */
bool vf_jscan_syntax(struct vf_jscan *s);
/*
 * For a value of the wrong type: reports fmt (a message about the file), or
 * the syntax error when the value is not even valid JSON, so a truncated
 * file reads as truncated.  Returns false.
 */
bool vf_jscan_wrong(struct vf_jscan *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Offset of the next byte, for messages. */
size_t vf_jscan_at(const struct vf_jscan *s);

#endif
