/* err.c - first-error-wins failure recording; see err.h. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum vf_status vf_fail(struct vf_err *err, enum vf_status status, const char *path, const char *fmt,
		       ...)
{
	va_list ap;

	if (!err || err->status != VF_OK)
		return err ? err->status : status;
	err->status = status;
	snprintf(err->path, sizeof(err->path), "%s", path ? path : "");
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return status;
}

void vf_err_clear(struct vf_err *err)
{
	memset(err, 0, sizeof(*err));
}
