/*
 * peerd_gc: the storage peer's handling of GC_FILTER (clean-up): who may
 * send it, the sweep, and its log line. See peerd_gc.c. Not a public
 * interface: for peerd.c.
 */
#ifndef DZ_PEERD_GC_H
#define DZ_PEERD_GC_H

#include "peer/peerd_int.h"

/* peerd_gc_admit: loop thread: may pc's connection send GC_FILTER? 0 if
 * its TLS key is the pinned coordinator's, else DZ_EDENIED with em. */
int peerd_gc_admit(struct peerd *p, const struct pconn *pc,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* peerd_gc_work: pool thread: sweep the store with w's filter and make
 * the GC_FILTER_REP. 0, or a dz_err with w->em (DZ_EDENIED: a sweep is
 * already running). */
int peerd_gc_work(struct pwork *w) DZ_MUST_CHECK;

/* peerd_gc_done: loop thread: log what w's sweep did (quiet if it
 * deleted nothing). */
void peerd_gc_done(struct peerd *p, const struct pwork *w);

#endif
