/*
 * err.h - the one error type of vramfit.
 *
 * Every fallible function in common/, formats/, planner/ and gpu/ returns an
 * enum vf_status and, on failure, records a message on a struct vf_err.  The
 * first failure wins: later calls to vf_fail() on an error that is already set
 * are ignored, so the message names the root cause, not a consequence.
 * Library code never prints or exits; cli/ turns the error into the single line
 * "vramfit: PATH: message" and the exit status.
 */
#ifndef VF_ERR_H
#define VF_ERR_H

#include <stddef.h>

enum vf_status {
	VF_OK = 0,
	VF_EIO,	    /* the operating system refused (open, read, stat) */
	VF_EFORMAT, /* the input is malformed, hostile or unsupported */
	VF_ENOMEM,  /* out of memory, or a limit on memory was reached */
	VF_EUSAGE,  /* the caller asked for something that cannot be done */
};

#define VF_ERR_PATH_MAX 1024
#define VF_ERR_MSG_MAX 512

struct vf_err {
	enum vf_status status;
	char path[VF_ERR_PATH_MAX]; /* the file the message is about; may be "" */
	char msg[VF_ERR_MSG_MAX];
};

/* Records the failure unless one is already recorded; returns status. */
enum vf_status vf_fail(struct vf_err *err, enum vf_status status, const char *path, const char *fmt,
		       ...) __attribute__((format(printf, 4, 5)));

/* Forgets a recorded failure (used when a caller retries another way). */
void vf_err_clear(struct vf_err *err);

#endif
