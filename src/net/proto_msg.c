/*
 * proto_msg: the typed face of proto (see proto.h): one encode/decode pair
 * per message over the generic codec of proto.c, the character rules of
 * text fields, accessors for lists kept in wire form, the ERROR builder and
 * the signed login and passwd transcripts. Nothing here parses a body
 * itself: proto.c is the only reader of the wire.
 */
#include "net/proto.h"
#include "net/proto_io.h"

#include <string.h>

#include <sodium.h>

/* ---- Character rules ----------------------------------------------------- */

/* utf8_text_ok: n bytes of well-formed UTF-8 (RFC 3629: no overlong forms,
 * surrogates or code points past U+10FFFF) with no control character (C0,
 * DEL, C1): NUL is a control character. */
static int
utf8_text_ok(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = p[i];
		uint32_t cp;
		size_t len, k;

		if (b < 0x80) {
			if (b < 0x20 || b == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			len = 2;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			len = 3;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			len = 4;
			cp = b & 0x07;
		} else {
			return 0;
		}
		if (len > n - i)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
			return 0;
		i += len;
	}
	return 1;
}

int
proto_text_chars_ok(const char *s, size_t n)
{
	return utf8_text_ok((const uint8_t *)s, n);
}

int
proto_user_chars_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char b = s[i];

		if (!((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
		    b == '.' || b == '_' || b == '-'))
			return 0;
	}
	return 1;
}

int
proto_addr_chars_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char b = s[i];

		if (!((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') ||
		    (b >= 'A' && b <= 'F') || b == '.' || b == ':' ||
		    b == '[' || b == ']'))
			return 0;
	}
	return 1;
}

/* ---- Typed wrappers ------------------------------------------------------ */

int
proto_empty_encode(struct wbuf *w)
{
	return w->err;
}

int
proto_empty_decode(const uint8_t *buf, size_t len)
{
	(void)buf;
	return len == 0 ? 0 : DZ_EFORMAT;
}

/* CODEC(name, TYPE) defines proto_<name>_encode and proto_<name>_decode
 * (declared one by one in proto.h) as the generic codec for PROTO_<TYPE>
 * on struct proto_<name>. */
#define CODEC(name, TYPE)                                                    \
	int proto_##name##_encode(const struct proto_##name *m,              \
	    struct wbuf *w)                                                  \
	{                                                                    \
		return proto_encode(PROTO_##TYPE, m, w);                     \
	}                                                                    \
	int proto_##name##_decode(const uint8_t *buf, size_t len,            \
	    struct proto_##name *m)                                          \
	{                                                                    \
		return proto_decode(PROTO_##TYPE, buf, len, m);              \
	}

CODEC(error, ERROR)
CODEC(conflict, CONFLICT)
CODEC(signup, SIGNUP)
CODEC(prelogin, PRELOGIN)
CODEC(prelogin_rep, PRELOGIN_REP)
CODEC(login, LOGIN)
CODEC(login_rep, LOGIN_REP)
CODEC(passwd, PASSWD)
CODEC(place, PLACE)
CODEC(place_rep, PLACE_REP)
CODEC(frags_commit, FRAGS_COMMIT)
CODEC(frags_locate, FRAGS_LOCATE)
CODEC(frags_locate_rep, FRAGS_LOCATE_REP)
CODEC(obj_delete, OBJ_DELETE)
CODEC(rec_put, REC_PUT)
CODEC(rec_put_rep, REC_PUT_REP)
CODEC(rec_get, REC_GET)
CODEC(rec_get_rep, REC_GET_REP)
CODEC(rec_list, REC_LIST)
CODEC(rec_list_rep, REC_LIST_REP)
CODEC(rec_del, REC_DEL)
CODEC(status_rep, STATUS_REP)
CODEC(peer_register, PEER_REGISTER)
CODEC(peer_heartbeat, PEER_HEARTBEAT)
CODEC(frag_put, FRAG_PUT)
CODEC(frag_get, FRAG_GET)
CODEC(frag_get_rep, FRAG_GET_REP)
CODEC(frag_has, FRAG_HAS)
CODEC(frag_has_rep, FRAG_HAS_REP)
CODEC(audit, AUDIT)
CODEC(audit_rep, AUDIT_REP)
CODEC(audit_news, AUDIT_NEWS)
CODEC(audit_news_rep, AUDIT_NEWS_REP)
CODEC(peer_report_rep, PEER_REPORT_REP)
CODEC(gc_filter, GC_FILTER)
CODEC(gc_filter_rep, GC_FILTER_REP)
CODEC(obj_health, OBJ_HEALTH)
CODEC(obj_health_rep, OBJ_HEALTH_REP)
#undef CODEC

const char *
proto_peer_state_name(unsigned state)
{
	static const char *const names[] = {"vetting", "trusted", "suspended",
		"disqualified"};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}

const char *
proto_audit_reason_name(unsigned reason)
{
	static const char *const names[] = {"passed", "wrong data", "missing",
		"timeout"};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}

/* ---- Helpers ------------------------------------------------------------- */

void
proto_health_seg_put(uint8_t out[static PROTO_HEALTH_SEGBYTES],
    const struct proto_health_seg *e)
{
	out[0] = e->healthy;
	out[1] = (uint8_t)e->avail;
	out[2] = (uint8_t)(e->avail >> 8);
}

int
proto_health_seg_get(const struct proto_obj_hstate *o, size_t i,
    struct proto_health_seg *e)
{
	const uint8_t *p;

	if (i >= o->nlisted)
		return DZ_EINVAL;
	p = o->segs + i * PROTO_HEALTH_SEGBYTES;
	e->healthy = p[0];
	e->avail = (uint16_t)(p[1] | p[2] << 8);
	return 0;
}

void
proto_frag_put_prefix(uint8_t out[static PROTO_FRAG_PUT_PREFIX],
    const uint8_t name[static PROTO_NAMEBYTES], const struct proto_ticket *t,
    uint32_t len)
{
	struct wbuf w;
	struct io io = {.mode = IO_WRITE, .w = &w};
	struct proto_ticket tk = *t;
	uint8_t one = 1;

	/* v_frag_put's fields up to the data, written by the same steps */
	wbuf_init(&w, out, PROTO_FRAG_PUT_PREFIX);
	io_bytes(&io, (void *)name, PROTO_NAMEBYTES);
	io_u8(&io, &one);
	io_ticket(&io, &tk);
	io_u32(&io, &len);
}

void
proto_commit_ent_put(uint8_t out[static PROTO_COMMIT_ENTBYTES],
    const struct proto_commit_ent *e)
{
	le64_put(out, e->seg);
	out[8] = e->index;
	memcpy(out + 9, e->name, PROTO_NAMEBYTES);
	le32_put(out + 41, e->size);
	memcpy(out + 45, e->peer, PROTO_PKBYTES);
}

int
proto_frags_commit_ent(const struct proto_frags_commit *m, size_t i,
    struct proto_commit_ent *e)
{
	const uint8_t *p;

	if (i >= m->nentries || m->entries == NULL)
		return DZ_EINVAL;
	p = m->entries + i * PROTO_COMMIT_ENTBYTES;
	e->seg = le64_get(p);
	e->index = p[8];
	memcpy(e->name, p + 9, PROTO_NAMEBYTES);
	e->size = le32_get(p + 41);
	memcpy(e->peer, p + 45, PROTO_PKBYTES);
	return 0;
}

void
proto_reclist_ent_put(uint8_t out[static PROTO_RECLIST_ENTBYTES],
    const struct proto_reclist_ent *e)
{
	memcpy(out, e->id, PROTO_IDBYTES);
	le64_put(out + 32, e->version);
	le32_put(out + 40, e->size);
}

int
proto_rec_list_rep_ent(const struct proto_rec_list_rep *m, size_t i,
    struct proto_reclist_ent *e)
{
	const uint8_t *p;

	if (i >= m->nentries || m->entries == NULL)
		return DZ_EINVAL;
	p = m->entries + i * PROTO_RECLIST_ENTBYTES;
	memcpy(e->id, p, PROTO_IDBYTES);
	e->version = le64_get(p + 32);
	e->size = le32_get(p + 40);
	return 0;
}

int
proto_has_bit(const struct proto_frag_has_rep *m, size_t i)
{
	if (i >= m->count)
		return 0;
	return (m->bits[i / 8] >> (i % 8)) & 1;
}

void
proto_has_set(struct proto_frag_has_rep *m, size_t i)
{
	if (i < PROTO_HAS_MAX)
		m->bits[i / 8] |= (uint8_t)(1u << (i % 8));
}

void
proto_error_make(struct proto_error *e, int code, const char *text)
{
	size_t n = 0, i = 0, k;

	memset(e, 0, sizeof(*e));
	e->code = code < 0 ? (int32_t)code : DZ_EINVAL;
	if (text == NULL)
		return;
	/* Copy character by character: a valid one as it is, anything else
	 * as one '?' per byte; stop before a character that would not fit. */
	while (text[i] != '\0') {
		const uint8_t *p = (const uint8_t *)text + i;
		size_t clen = 1;

		if (*p >= 0xc2 && *p <= 0xf4) {
			clen = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
			for (k = 1; k < clen && p[k] != '\0'; k++)
				;
			if (k < clen || !utf8_text_ok(p, clen))
				clen = 1;
		}
		if (n + clen > PROTO_ERRMSG_MAX)
			break;
		if (clen == 1 && !utf8_text_ok(p, 1))
			e->message[n] = '?';
		else
			memcpy(e->message + n, p, clen);
		n += clen;
		i += clen;
	}
}

void
proto_login_transcript(uint8_t out[static PROTO_LOGIN_TBYTES],
    const uint8_t coordinator_pk[static PROTO_PKBYTES],
    const uint8_t client_tls_pk[static PROTO_PKBYTES],
    const uint8_t challenge[static PROTO_CHALLENGEBYTES])
{
	memcpy(out, PROTO_LOGIN_LABEL, 16);
	memcpy(out + 16, coordinator_pk, 32);
	memcpy(out + 48, client_tls_pk, 32);
	memcpy(out + 80, challenge, 32);
}

void
proto_passwd_transcript(uint8_t out[static PROTO_PASSWD_TBYTES],
    const uint8_t challenge[static PROTO_CHALLENGEBYTES],
    const uint8_t keyfile[static KEYFILE_BYTES],
    const uint8_t new_login_pk[static PROTO_PKBYTES])
{
	memcpy(out, PROTO_PASSWD_LABEL, 17);
	memcpy(out + 17, challenge, 32);
	/* libsodium's SHA-256 cannot fail and needs no sodium_init. */
	(void)crypto_hash_sha256(out + 49, keyfile, KEYFILE_BYTES);
	memcpy(out + 81, new_login_pk, 32);
}
