/*
 * archive_lib.h - libarchive, loaded with dlopen() the first time a zip or an
 * archive is opened (see archive_lib.c for why).
 *
 * Contract: vf_archive_lib() sets *out to the table of the libarchive
 * functions that fmt_torch_zip.c and source.c call and returns VF_OK, or sets
 * *out to NULL and returns VF_EIO with err set to one line about path
 * ("cannot load libarchive.so.13 (needed for zip and archive checkpoints):
 * <why>").  The library is loaded and its functions
 * resolved once per process, safely from any thread; a failure is remembered
 * and reported the same way on every later call.  The table is never freed
 * and stays valid until exit.  <archive.h> still gives the types and the
 * prototypes the pointers are declared with, so the compiler checks every call.
 */
#ifndef VF_ARCHIVE_LIB_H
#define VF_ARCHIVE_LIB_H

#include <archive.h>
#include <archive_entry.h>

#include "common/err.h"

#define VF_ARCHIVE_SONAME "libarchive.so.13"

/* One pointer per libarchive function used; archive_X is named X here. */
struct vf_archive_lib {
	__typeof__(archive_read_new) *read_new;
	__typeof__(archive_read_free) *read_free;
	__typeof__(archive_read_support_format_zip_seekable) *read_support_format_zip_seekable;
	__typeof__(archive_read_support_format_tar) *read_support_format_tar;
	__typeof__(archive_read_support_filter_gzip) *read_support_filter_gzip;
	__typeof__(archive_read_set_read_callback) *read_set_read_callback;
	__typeof__(archive_read_set_seek_callback) *read_set_seek_callback;
	__typeof__(archive_read_set_skip_callback) *read_set_skip_callback;
	__typeof__(archive_read_set_callback_data) *read_set_callback_data;
	__typeof__(archive_read_open1) *read_open1;
	__typeof__(archive_read_next_header) *read_next_header;
	__typeof__(archive_read_data) *read_data;
	__typeof__(archive_error_string) *error_string;
	__typeof__(archive_set_error) *set_error;
	__typeof__(archive_filter_count) *filter_count;
	__typeof__(archive_filter_bytes) *filter_bytes;
	__typeof__(archive_format_name) *format_name;
	__typeof__(archive_entry_pathname) *entry_pathname;
	__typeof__(archive_entry_filetype) *entry_filetype;
	__typeof__(archive_entry_hardlink) *entry_hardlink;
	__typeof__(archive_entry_symlink) *entry_symlink;
	__typeof__(archive_entry_is_encrypted) *entry_is_encrypted;
	__typeof__(archive_entry_size_is_set) *entry_size_is_set;
	__typeof__(archive_entry_size) *entry_size;
	__typeof__(archive_entry_sparse_count) *entry_sparse_count;
};

/* Loads libarchive on the first call; *out: the table, or NULL on failure. */
enum vf_status vf_archive_lib(const struct vf_archive_lib **out, const char *path,
			      struct vf_err *err);

#endif
