/*
 * curl_lib.h - libcurl, loaded with dlopen() the first time a model is read
 * from the Hugging Face Hub (formats/hub*.c), the way libarchive is loaded
 * (formats/archive_lib.h): local work maps no HTTP or TLS library at all.
 *
 * Contract: vf_curl_lib() sets *out to the table of the libcurl functions the
 * hub reader calls and returns VF_OK, or sets *out to NULL and returns VF_EIO
 * with err set to one line about path ("cannot load libcurl.so.4 (needed to
 * read models from the Hugging Face Hub): <why>").  The library is opened,
 * its functions resolved and curl_global_init() called once per process,
 * safely from any thread; a failure is remembered.  The table is never freed.
 * <curl/curl.h> gives the types and prototypes the pointers are declared
 * with, so the compiler checks every call (curl's setopt/getinfo are
 * variadic: their arguments must have the type the option documents).
 */
#ifndef VF_CURL_LIB_H
#define VF_CURL_LIB_H

#include <curl/curl.h>

#include "common/err.h"

#define VF_CURL_SONAME "libcurl.so.4"
#define VF_CURL_SONAME_ALT "libcurl-gnutls.so.4" /* Debian's GnuTLS flavour */

/* One pointer per libcurl function used; curl_X is named X here. */
struct vf_curl_lib {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_version_info) *version_info;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_setopt) *multi_setopt;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_perform) *multi_perform;
	__typeof__(curl_multi_poll) *multi_poll;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_multi_strerror) *multi_strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
};

/* Loads libcurl on the first call; *out: the table, or NULL on failure. */
enum vf_status vf_curl_lib(const struct vf_curl_lib **out, const char *path, struct vf_err *err);

#endif
