/*
 * par.h - two independent pieces of work at once.
 *
 * A few passes over a big checkpoint's ~100k tensors are pure and split in
 * two: look-ups in the name table, classifying the names, building the model
 * from config.json beside that.  vf_par2() runs b(bctx) on a second thread
 * while a(actx) runs on the caller's, and returns when both are done.  It
 * runs both on the caller's thread, a first, when there is one CPU, when a
 * thread cannot start, or while allocation failures are injected (tests need
 * the same n-th allocation on every run).  The shards of a checkpoint have a
 * pool of their own (formats/shards.c).
 */
#ifndef VF_PAR_H
#define VF_PAR_H

void vf_par2(void (*a)(void *), void *actx, void (*b)(void *), void *bctx);

#endif
