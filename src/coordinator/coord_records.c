/*
 * coord_records: an account's encrypted records (file records and folder
 * metadata): opaque blobs under client-chosen 32-byte ids, written by
 * compare-and-swap on their version.
 *
 * REC_PUT with expected_version 0 creates; otherwise it replaces the
 * record only if its version is still the one expected. REC_DEL likewise.
 * A lost swap is answered with CONFLICT {current_version} (0 when the
 * record does not exist), so the client re-reads, merges and retries and
 * no update is lost. A record's bytes count toward the account's used
 * space and quota like its fragments: a put that grows past the quota is
 * refused with DZ_EQUOTA, a replacement is charged the difference and a
 * deletion frees the record's bytes. Records are only ever the requesting account's: the
 * account comes from the connection's node key, never from the message.
 */
#include <stdlib.h>
#include <string.h>

#include "coordinator/coord_credit.h"
#include "coordinator/coord_int.h"

/* CONFLICT with the record's version now. */
static int
send_conflict(struct coord_sess *s, uint32_t reqid, const uint8_t *id,
    struct dz_errmsg *em)
{
	struct proto_conflict rep = {0};
	int rc;

	if ((rc = db_rec_version(s->co->db, s->account, id, &rep.current_version,
	    em)) != 0)
		return rc;
	return coord_send(s, reqid, PROTO_CONFLICT, &rep);
}

int
coord_rec_put(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_rec_put *m = msg;
	struct proto_rec_put_rep rep = {0};
	int rc;

	struct coord_credit c;

	/* records are storage too: checked against the same quota as
	 * fragments, in the database's transaction */
	if ((rc = coord_credit_account(s->co, s->account, &c, em)) != 0)
		return rc;
	rc = db_rec_put(s->co->db, s->account, m->id, m->expected_version,
	    m->blob, m->blob_len, c.quota, &rep.version, em);
	if (rc == DZ_EQUOTA)
		coord_credit_refusal(s->co, &c, m->blob_len, em);
	if (rc == DZ_ECONFLICT)
		return send_conflict(s, reqid, m->id, em);
	if (rc != 0)
		return rc;
	return coord_send(s, reqid, PROTO_REC_PUT_REP, &rep);
}

int
coord_rec_get(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_rec_get *m = msg;
	struct proto_rec_get_rep rep = {0};
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	rc = db_rec_get(s->co->db, s->account, m->id, &blob, &len, &rep.version, em);
	if (rc == DZ_ENOENT)
		return dz_errf(em, rc, "no such record");
	if (rc != 0)
		return rc;
	rep.blob = blob;
	rep.blob_len = len;
	rc = coord_send(s, reqid, PROTO_REC_GET_REP, &rep);
	free(blob);
	return rc;
}

struct page {
	uint8_t *entries; /* nentries x PROTO_RECLIST_ENTBYTES */
	uint16_t n;
};

static int
page_add(void *arg, const uint8_t id[DB_IDBYTES], uint64_t version, uint64_t size)
{
	struct page *pg = arg;
	struct proto_reclist_ent e;

	memcpy(e.id, id, PROTO_IDBYTES);
	e.version = version;
	e.size = size > PROTO_REC_MAX ? PROTO_REC_MAX : (uint32_t)size;
	proto_reclist_ent_put(pg->entries + (size_t)pg->n * PROTO_RECLIST_ENTBYTES, &e);
	pg->n++;
	return 0;
}

int
coord_rec_list(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_rec_list *m = msg;
	struct proto_rec_list_rep rep = {0};
	struct page pg = {0};
	int rc;

	if ((pg.entries = calloc(m->max, PROTO_RECLIST_ENTBYTES)) == NULL)
		return DZ_ENOMEM;
	if ((rc = db_rec_page(s->co->db, s->account, m->after_id, m->max, page_add,
	    &pg, em)) == 0) {
		rep.nentries = pg.n;
		rep.entries = pg.entries;
		rc = coord_send(s, reqid, PROTO_REC_LIST_REP, &rep);
	}
	free(pg.entries);
	return rc;
}

int
coord_rec_del(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	const struct proto_rec_del *m = msg;
	struct proto_empty rep = {0};
	int rc;

	rc = db_rec_del(s->co->db, s->account, m->id, m->expected_version, em);
	if (rc == DZ_ECONFLICT || rc == DZ_ENOENT)
		return send_conflict(s, reqid, m->id, em);
	if (rc != 0)
		return rc;
	return coord_send(s, reqid, PROTO_REC_DEL_REP, &rep);
}
