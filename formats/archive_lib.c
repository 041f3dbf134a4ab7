/*
 * archive_lib.c - libarchive, dlopen()ed on first use instead of linked.
 *
 * Why: libarchive.so.13 pulls in 12 more shared libraries (libxml2, ICU,
 * libstdc++, nettle, lzma, zstd, lz4, bz2, acl, ...).  Linked, the dynamic
 * loader mapped and relocated all 13 on every run: `vramfit --version`
 * took ~1.9 ms of CPU against 0.3 ms for /bin/true, and most runs
 * (safetensors, GGUF, config.json) never touch a zip.  Only PyTorch zip
 * checkpoints (fmt_torch_zip.c) and archives (source.c) need it, and they
 * pay the load once, when the first one is opened.
 *
 * Invariants: the library is opened and every function resolved exactly once
 * (pthread_once: shards may be read from several threads); either all of the
 * table is resolved or none of it is used.  The handle is never dlclose()d,
 * so the table stays valid until exit.
 */
#include "formats/archive_lib.h"

#include "common/dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define F(n)                                                                                       \
	{                                                                                          \
		"archive_" #n, offsetof(struct vf_archive_lib, n)                                  \
	}

static const struct vf_dlsym fields[] = {
    F(read_new),
    F(read_free),
    F(read_support_format_zip_seekable),
    F(read_support_format_tar),
    F(read_support_filter_gzip),
    F(read_set_read_callback),
    F(read_set_seek_callback),
    F(read_set_skip_callback),
    F(read_set_callback_data),
    F(read_open1),
    F(read_next_header),
    F(read_data),
    F(error_string),
    F(set_error),
    F(filter_count),
    F(filter_bytes),
    F(format_name),
    F(entry_pathname),
    F(entry_filetype),
    F(entry_hardlink),
    F(entry_symlink),
    F(entry_is_encrypted),
    F(entry_size_is_set),
    F(entry_size),
    F(entry_sparse_count),
};

/* every member of the table is named above, and each holds a dlsym() result */
_Static_assert(sizeof(fields) / sizeof(fields[0]) * sizeof(void *) == sizeof(struct vf_archive_lib),
	       "struct vf_archive_lib and fields[] disagree");
_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "function pointers are not void *-sized");

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct vf_archive_lib lib;
static bool loaded;
static char why[256]; /* dlerror()'s text, copied: it does not outlive the next dl call */

static void load(void)
{
	struct vf_archive_lib t = {0};
	const char *e;
	/* RTLD_LAZY: the binding the loader used when it was linked; RTLD_NOW
	 * binds every function of ICU, libxml2 and libstdc++ up front and made
	 * the first zip ~0.5 ms slower.  The functions used are checked below. */
	void *h = dlopen(VF_ARCHIVE_SONAME, RTLD_LAZY | RTLD_LOCAL);

	if (!h) {
		e = dlerror();
		snprintf(why, sizeof(why), "%s", e ? e : "dlopen failed");
		return;
	}
	if (!vf_dlsyms(h, fields, sizeof(fields) / sizeof(fields[0]), &t, why, sizeof(why)))
		return; /* h is kept: the failure is final for the process */
	lib = t;
	loaded = true;
}

enum vf_status vf_archive_lib(const struct vf_archive_lib **out, const char *path,
			      struct vf_err *err)
{
	pthread_once(&once, load);
	*out = loaded ? &lib : NULL;
	if (!loaded)
		return vf_fail(err, VF_EIO, path,
			       "cannot load " VF_ARCHIVE_SONAME
			       " (needed for zip and archive checkpoints): %s",
			       why);
	return VF_OK;
}
