/*
 * proto_health: the bodies of OBJ_HEALTH and its reply (type 0x0731,
 * reply 0x8731; docs/protocol.md), with their codecs and the helpers that
 * read and write a listed segment. Included by proto.h after the other
 * message bodies, whose visitor table (proto.c) encodes and decodes them.
 */
#ifndef DZ_PROTO_HEALTH_H
#define DZ_PROTO_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "core/cursor.h"
#include "core/err.h"

/* OBJ_HEALTH: nobjs u16 (<= PROTO_HEALTH_MAXOBJ) | nobjs x object_id[32]
 * (points into the input). Only objects of the caller's account are
 * reported; any other id reads as an object with no segments. */
#define PROTO_HEALTH_MAXOBJ 64
struct proto_obj_health {
	uint16_t nobjs;
	const uint8_t (*ids)[PROTO_IDBYTES];
};

/* Segments listed per object in OBJ_HEALTH_REP: 4 TiB at 64 MiB
 * segments. 64 objects x 65536 x 3 bytes fit a frame. */
#define PROTO_HEALTH_MAXSEGS 65536u
/* One listed segment, PROTO_HEALTH_SEGBYTES on the wire:
 * healthy u8 (fragments on healthy holders) | avail u16 (mean measured
 * availability of those holders, 65535 = 1; 0 when healthy is 0). */
#define PROTO_HEALTH_SEGBYTES 3
#define PROTO_HEALTH_AVAIL_ONE 65535u
struct proto_health_seg {
	uint8_t healthy;
	uint16_t avail;
};

/* OBJ_HEALTH_REP: nobjs u16 (<= PROTO_HEALTH_MAXOBJ; the request's, in
 * its order) | per object: nsegs u64 (segments the coordinator knows;
 * 0: none) | threshold u8 (the object's repair threshold, 0: none
 * recorded) | nlisted u32 (exactly min(nsegs, PROTO_HEALTH_MAXSEGS), else
 * DZ_ERANGE) | nlisted x segment (PROTO_HEALTH_SEGBYTES each, wire form,
 * points into the input; read with proto_health_seg_get), worst first:
 * ordered by (healthy, avail) ascending, else DZ_EFORMAT. Segments past
 * the list are at least as healthy as its last entry. */
struct proto_obj_health_rep {
	uint16_t nobjs;
	struct proto_obj_hstate {
		uint64_t nsegs;
		uint8_t threshold;
		uint32_t nlisted;
		const uint8_t *segs;
	} objs[PROTO_HEALTH_MAXOBJ];
};

/* PROTO_OBJ_HEALTH */
int proto_obj_health_encode(const struct proto_obj_health *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_obj_health_decode(const uint8_t *buf, size_t len, struct proto_obj_health *m) DZ_MUST_CHECK;
/* PROTO_OBJ_HEALTH_REP */
int proto_obj_health_rep_encode(const struct proto_obj_health_rep *m, struct wbuf *w) DZ_MUST_CHECK;
int proto_obj_health_rep_decode(const uint8_t *buf, size_t len, struct proto_obj_health_rep *m) DZ_MUST_CHECK;

/* proto_health_seg_put: write e in wire form into out (one slot of an
 * OBJ_HEALTH_REP object's segs array). proto_health_seg_get: segment i
 * of object o into *e; DZ_EINVAL if i >= o->nlisted (nothing read). */
void proto_health_seg_put(uint8_t out[static PROTO_HEALTH_SEGBYTES],
    const struct proto_health_seg *e);
int proto_health_seg_get(const struct proto_obj_hstate *o, size_t i,
    struct proto_health_seg *e) DZ_MUST_CHECK;

#endif
