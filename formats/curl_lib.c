/*
 * curl_lib.c - libcurl, dlopen()ed on first remote use instead of linked.
 *
 * Why: libcurl.so.4 pulls in OpenSSL, nghttp2, libssh2, librtmp, LDAP,
 * Kerberos, libidn2, libpsl, brotli and zstd (about 30 shared objects).
 * Linked, every run would map and relocate them, and almost every run reads
 * local files.  Only a Hugging Face id that is not in the local cache
 * (formats/hub.c) needs HTTP, and it pays the load once.  libcurl.so.4 is
 * tried first, then Debian's GnuTLS flavour libcurl-gnutls.so.4; both have the
 * same ABI.
 *
 * Invariants: as in archive_lib.c, the library is opened and every function
 * resolved exactly once (pthread_once); all of the table is resolved or none
 * of it is used; the handle is never dlclose()d.
 */
#include "formats/curl_lib.h"

#include "common/dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define F(n)                                                                                       \
	{                                                                                          \
		"curl_" #n, offsetof(struct vf_curl_lib, n)                                        \
	}

static const struct vf_dlsym fields[] = {
    F(global_init),  F(version_info),	  F(easy_init),		  F(easy_setopt),
    F(easy_getinfo), F(easy_cleanup),	  F(easy_strerror),	  F(multi_init),
    F(multi_setopt), F(multi_add_handle), F(multi_remove_handle), F(multi_perform),
    F(multi_poll),   F(multi_info_read),  F(multi_cleanup),	  F(multi_strerror),
    F(slist_append), F(slist_free_all),
};

_Static_assert(sizeof(fields) / sizeof(fields[0]) * sizeof(void *) == sizeof(struct vf_curl_lib),
	       "struct vf_curl_lib and fields[] disagree");
_Static_assert(sizeof(void (*)(void)) == sizeof(void *), "function pointers are not void *-sized");

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct vf_curl_lib lib;
static bool loaded;
static char why[256];

static void load(void)
{
	struct vf_curl_lib t = {0};
	const char *e;
	void *h = dlopen(VF_CURL_SONAME, RTLD_LAZY | RTLD_LOCAL);

	if (!h)
		h = dlopen(VF_CURL_SONAME_ALT, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		e = dlerror();
		snprintf(why, sizeof(why), "%s", e ? e : "dlopen failed");
		return;
	}
	if (!vf_dlsyms(h, fields, sizeof(fields) / sizeof(fields[0]), &t, why, sizeof(why)))
		return;
	/* once, before any thread could use it (curl_global_init is not
	 * thread-safe on older libcurl); no curl_global_cleanup: the table
	 * lives until exit */
	if (t.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, sizeof(why), "curl_global_init failed");
		return;
	}
	lib = t;
	loaded = true;
}

enum vf_status vf_curl_lib(const struct vf_curl_lib **out, const char *path, struct vf_err *err)
{
	pthread_once(&once, load);
	*out = loaded ? &lib : NULL;
	if (!loaded)
		return vf_fail(err, VF_EIO, path,
			       "cannot load " VF_CURL_SONAME
			       " (needed to read models from the Hugging Face Hub): %s",
			       why);
	return VF_OK;
}
