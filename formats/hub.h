/*
 * hub.h - models read from the Hugging Face Hub by id, headers only
 * (formats/hub.c), and the local caches that spare the network
 * (formats/hf_cache.c: huggingface_hub's snapshots; formats/hub_cache.c:
 * vramfit's own cache of header bytes).  Private to formats/.
 */
#ifndef VF_HUB_H
#define VF_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct vf_hub;

/* Process-wide options, set by the CLI before a model is opened (the one
 * part of this header cli/ uses). */
void vf_hub_set_refresh(bool refresh);	 /* --refresh: ignore the header cache */
void vf_hub_set_timeout(double seconds); /* --timeout: the whole hub read (0: default) */
/* An option by name, for option parsers: "refresh" (value ignored) or
 * "timeout" (seconds, 0.1 to 86400); 0, or -1 for a bad value. */
int vf_hub_option(const char *name, const char *value);

/*
 * Reads id at revision (NULL: main) from HF_ENDPOINT: the file list and
 * commit, then the header bytes of the files a reader will open, in
 * parallel; mounts the repo at the path id (common/file.h), its files
 * sparse: the fetched bytes present, others fetched on demand within a
 * per-file budget.  variant: from_pretrained's, to pick the files.
 * *out is NULL on failure.
 */
enum vf_status vf_hub_open(struct vf_hub **out, const char *id, const char *revision,
			   const char *variant, struct vf_err *err);
/* Unmounts, saves what was fetched to the header cache, frees; NULL is a no-op. */
void vf_hub_close(struct vf_hub *hub);
/* The mount root (the id). */
const char *vf_hub_root(const struct vf_hub *hub);

/* Counters of the last hub read, for tests and the bench (VRAMFIT_HUB_STATS). */
struct vf_hub_stats {
	uint64_t requests, bytes, cache_hits, files;
};
struct vf_hub_stats vf_hub_last_stats(void);

/* hf_cache.c: vf_hf_resolve with *missing set when the id or revision is simply
 * not in the cache (then the hub may be asked), not when it is broken. */
enum vf_status vf_hf_resolve2(const char *id, const char *revision, char **snapshot, bool *missing,
			      struct vf_err *err);
/* HF_HUB_OFFLINE (or the older TRANSFORMERS_OFFLINE) set to 1/true/yes/on. */
bool vf_hf_offline(void);

/* ---- hub_cache.c: the header cache ---- */

struct vf_hub_seg {
	uint64_t off, len;
	unsigned char *data;
};

/* What is known of one file: its size, ETag, and byte ranges (sorted, disjoint). */
struct vf_hub_entry {
	char etag[160];
	uint64_t size;
	uint8_t
	    zip; /* 0 not known yet, 1 a PyTorch zip laid out for its reader (hub.c), 2 not a zip */
	struct vf_hub_seg *segs;
	size_t nseg, cap;
};

#define VF_HUB_CACHE_ENTRY_MAX (512ull << 20)

/* The cache folder: $XDG_CACHE_HOME/vramfit/hub, else ~/.cache/vramfit/hub;
 * NULL when neither can be named (or out of memory): no cache then. */
char *vf_hub_cache_root(void);
/* true when file holds a whole, unchanged entry for key; e is then filled
 * (segments owned by e).  Anything else (missing, short, corrupt, another
 * key) is false, and e is left empty. */
bool vf_hub_cache_load(const char *file, const char *key, struct vf_hub_entry *e);
/* Writes the entry atomically (temporary file, rename), making the folders;
 * a failure leaves no file and is not an error for the caller to report. */
enum vf_status vf_hub_cache_save(const char *file, const char *key, const struct vf_hub_entry *e,
				 struct vf_err *err);
void vf_hub_entry_free(struct vf_hub_entry *e);
/* Adds [off, off+len) (data taken over) in order; false when out of memory
 * or overlapping (then data is freed). */
bool vf_hub_entry_add(struct vf_hub_entry *e, uint64_t off, uint64_t len, unsigned char *data);
/* Copies [off, off+n) into buf if all of it is present; else *gap is the
 * first missing byte and *gap_end where the next present range starts. */
bool vf_hub_entry_copy(const struct vf_hub_entry *e, void *buf, size_t n, uint64_t off,
		       uint64_t *gap, uint64_t *gap_end);
uint64_t vf_hub_entry_bytes(const struct vf_hub_entry *e);

#endif
