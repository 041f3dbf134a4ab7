/*
 * dl.h - filling a table of function pointers from a library loaded with
 * dlopen() (formats/archive_lib.c, formats/curl_lib.c).
 */
#ifndef VF_DL_H
#define VF_DL_H

#include <stdbool.h>
#include <stddef.h>

/* one function: its symbol name and where its pointer goes in the table */
struct vf_dlsym {
	const char *name;
	size_t off;
};

/* Resolves the n symbols of handle h into table; false with why (of size
 * whylen) saying which one failed. */
bool vf_dlsyms(void *h, const struct vf_dlsym *syms, size_t n, void *table, char *why,
	       size_t whylen);

#endif
