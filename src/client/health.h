/*
 * health: what the network says about the health of the account's stored
 * objects (OBJ_HEALTH at the coordinator), turned into what `ls -l` and
 * `status` show: the fewest healthy fragments of any segment, and the
 * estimated probability of losing the file within a year (durability.h,
 * docs/durability.md).
 *
 * Not for deciding or triggering repair (the coordinator does), and not a
 * proof: the coordinator's word about its own measurements is taken as
 * it is; what the client can check (counts within the code) it checks.
 */
#ifndef DZ_HEALTH_H
#define DZ_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "client/netstore.h"
#include "core/err.h"

/* One object's health. */
struct health_obj {
	uint64_t nsegs;      /* segments the coordinator knows (0: none) */
	unsigned healthy;    /* fewest healthy fragments of any segment
	                        (0 when nsegs is 0) */
	unsigned threshold;  /* its repair threshold, 0: none recorded */
	double loss;         /* probability of loss within a year */
};

/*
 * health_query: the health of count objects ids[i] coded k[i]-of-n[i]
 * (from their file records), into out[i], asking the coordinator in
 * batches of PROTO_HEALTH_MAXOBJ. Returns 0, or the request's error
 * (DZ_ENOLOGIN, DZ_ECONNECT, ...), or DZ_EFORMAT if the reply answers
 * another number of objects or claims more healthy fragments than n.
 */
int health_query(struct netstore *ns, const uint8_t (*ids)[32],
    const uint8_t *k, const uint8_t *n, size_t count, struct health_obj *out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
