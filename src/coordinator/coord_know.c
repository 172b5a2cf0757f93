/*
 * coord_know: WHATDOYOUKNOW, the privacy policy made checkable: the
 * coordinator tells an account everything it stores about it and about
 * the peers it owns (docs/trading.md, "What the coordinator knows";
 * db_know.h lists the columns covered).
 *
 * The wrapped master key is stored but not sent back here (LOGIN sends it
 * to whoever proves the password); this reply says how many bytes of it
 * are kept, with the salt and KDF parameters parsed out of it. Record ids,
 * record blobs, fragment names and object ids are summed, never listed:
 * the client knows them already, and a reply that listed them would be
 * one more place they travel.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "coordinator/coord_int.h"
#include "coordinator/db_know.h"
#include "core/keyfile.h"

int
coord_whatdoyouknow(struct coord_sess *s, uint32_t reqid, const void *msg,
    struct dz_errmsg *em)
{
	struct coord *co = s->co;
	struct proto_whatdoyouknow_rep *rep = NULL;
	struct db_key keys[PROTO_KNOW_DEVICES_MAX];
	struct db_know *k = NULL;
	struct keyfile kf;
	size_t n = 0;
	int rc;

	(void)msg;
	if ((rep = calloc(1, sizeof(*rep))) == NULL ||
	    (k = calloc(1, sizeof(*k))) == NULL) {
		rc = DZ_ENOMEM;
		goto out;
	}
	if ((rc = db_know_account(co->db, s->account, k, em)) != 0 ||
	    (rc = coord_account_space(co, s->account, &rep->used, &rep->earned,
	    &rep->quota, em)) != 0 ||
	    (rc = db_key_list(co->db, s->account, keys, PROTO_KNOW_DEVICES_MAX, &n,
	    em)) != 0 ||
	    (rc = db_know_peers(co->db, s->account,
	    coord_now(co) - (int64_t)co->opts.peer_timeout, rep, em)) != 0)
		goto out;
	if ((rc = keyfile_parse(k->acct.keyblob, k->acct.keyblob_len, &kf)) != 0) {
		dz_errf(em, rc, "coordinator database: the account's keyfile is damaged");
		goto out;
	}
	memcpy(rep->user, k->acct.name, sizeof(rep->user));
	rep->created = (uint64_t)k->acct.created;
	rep->params = kf.params;
	memcpy(rep->salt, kf.salt, sizeof(rep->salt));
	rep->keyfile_bytes = (uint32_t)k->acct.keyblob_len;
	memcpy(rep->login_pk, k->acct.login_pk, sizeof(rep->login_pk));
	memcpy(rep->hint, k->acct.hint, sizeof(rep->hint));
	rep->records = k->records;
	rep->record_bytes = k->record_bytes;
	rep->tombstones = k->tombstones;
	rep->objects = k->objects;
	rep->fragments = k->fragments;
	rep->fragment_bytes = k->fragment_bytes;
	rep->copies = k->copies;
	rep->failed_logins = coord_thr_account_failures(co, s->account);
	rep->ndev = (uint16_t)(n < PROTO_KNOW_DEVICES_MAX ? n : PROTO_KNOW_DEVICES_MAX);
	for (size_t i = 0; i < rep->ndev; i++) {
		memcpy(rep->dev[i].pk, keys[i].pk, PROTO_PKBYTES);
		rep->dev[i].bound = (uint64_t)keys[i].bound;
		rep->dev[i].seen = (uint64_t)keys[i].seen;
	}
	rc = coord_send(s, reqid, PROTO_WHATDOYOUKNOW_REP, rep);
out:
	sodium_memzero(&kf, sizeof(kf));
	if (k != NULL)
		sodium_memzero(k, sizeof(*k));
	free(k);
	free(rep);
	return rc;
}
