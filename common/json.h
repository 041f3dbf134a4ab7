/*
 * json.h - strict, bounded JSON parsing on top of cJSON.
 *
 * cJSON is lenient where a checkpoint reader must not be: it does not check
 * UTF-8, keeps duplicate keys, turns "\u0000" into a silent truncation and has
 * no memory limit.  vf_json_parse() adds those checks so that every reader in
 * formats/ gets the same strictness:
 *   - the text must be valid UTF-8 (no overlongs, no surrogates);
 *   - only whitespace may follow the value;
 *   - no object may repeat a key, at any depth;
 *   - the escape \u0000 is refused (it would truncate a C string);
 *   - cJSON may allocate at most mem_cap bytes, so a small hostile text cannot
 *     expand into gigabytes of nodes.
 * Numbers are doubles in cJSON; vf_json_uint() accepts only integers below
 * 2^53.  Every such integer is exact in a double, and any text integer >= 2^53
 * rounds to a double >= 2^53 and is refused, so no size is silently rounded.
 */
#ifndef VF_JSON_H
#define VF_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* what: how to name the text in messages, e.g. "header" or "config" */
cJSON *vf_json_parse(const char *text, size_t len, size_t mem_cap, const char *path,
		     const char *what, struct vf_err *err);
void vf_json_free(cJSON *j);
/* Routes all cJSON allocations through vf_malloc; call before building any
 * cJSON tree (vf_json_parse does it itself). */
void vf_json_init(void);

#define VF_JSON_MAX_EXACT (UINT64_C(1) << 53)

/* true when item is a number that is a whole value in [0, 2^53) */
bool vf_json_uint(const cJSON *item, uint64_t *out);

/* true when s[0..n) is valid UTF-8 */
bool vf_utf8_valid(const unsigned char *s, size_t n);

#endif
