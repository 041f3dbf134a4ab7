/*
 * dl.c - see dl.h.
 */
#include "common/dl.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

bool vf_dlsyms(void *h, const struct vf_dlsym *syms, size_t n, void *table, char *why,
	       size_t whylen)
{
	for (size_t i = 0; i < n; i++) {
		const char *e;
		void *p;

		dlerror();
		if (!(p = dlsym(h, syms[i].name))) {
			e = dlerror();
			snprintf(why, whylen, "%s", e ? e : syms[i].name);
			return false;
		}
		/* POSIX guarantees a function's address survives void *; memcpy
		 * keeps the store free of type punning */
		memcpy((char *)table + syms[i].off, &p, sizeof(p));
	}
	return true;
}
