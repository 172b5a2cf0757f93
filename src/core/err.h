/*
 * err: the one error space of Drizzle.
 *
 * Every library function returns 0 on success or one of the negative codes
 * below; dz_strerror() turns any code into a sentence. Library code never
 * prints: where a code alone is too vague (which segment? which fragment?)
 * the function also fills a caller's struct dz_errmsg. The command-line layer
 * turns both into a message that names what failed and what to do.
 */
#ifndef DZ_ERR_H
#define DZ_ERR_H

#include <stddef.h>

#define DZ_MUST_CHECK __attribute__((warn_unused_result))

enum dz_err {
	DZ_OK = 0,
	DZ_ENOMEM = -1,     /* out of memory */
	DZ_EINVAL = -2,     /* invalid argument or parameter */
	DZ_EIO = -3,        /* an I/O operation failed (errno-level detail in the message) */
	DZ_EFORMAT = -4,    /* malformed input: bad magic, lengths, counts */
	DZ_EAUTH = -5,      /* authentication failed: data altered, reordered or spliced */
	DZ_EPASSWORD = -6,  /* wrong password (or the wrapped key was altered) */
	DZ_ECRYPTO = -7,    /* the crypto library itself failed */
	DZ_ERANGE = -8,     /* a value is outside its allowed bounds */
	DZ_ENOENT = -9,     /* no such object */
	DZ_EEXIST = -10,    /* the target exists and will not be overwritten */
	DZ_ENOSPC = -11,    /* no space left on the device */
	DZ_ETOOFEW = -12,   /* fewer intact fragments than needed to rebuild */
	DZ_EVERSION = -13,  /* a format version this build does not know */
	DZ_EINTEGRITY = -14,/* bytes do not match the hash that names them */
	DZ_ETRUNC = -15,    /* data ends early: truncated */
	DZ_EINTR = -16,     /* interrupted by the user */
	DZ_EPEERKEY = -17,  /* the other end showed a key other than the pinned or expected one */
	DZ_ECONNECT = -18,  /* the other end could not be reached (refused, unreachable, timed out) */
	DZ_ENOLOGIN = -19,  /* this computer is not logged in (or its node key no longer acts for the account) */
	DZ_ECONFLICT = -20, /* a compare-and-swap lost: the record changed meanwhile; re-read and retry */
	DZ_EQUOTA = -21,    /* the account's quota does not allow this */
	DZ_EDENIED = -22,   /* the other end refused the request (not allowed, throttled, no ticket) */
	DZ_EWEAKKDF = -23,  /* key-stretching parameters outside the accepted range */
	DZ_EROLLBACK = -24, /* a record is older than one this computer has seen: rolled back */
	DZ_ECHANGED = -25,  /* a local file changed (type, identity) while it was being read */
};

/* dz_strerror: a static sentence for any code (unknown codes included). */
const char *dz_strerror(int code);

/*
 * struct dz_errmsg: a caller-owned buffer that a failing function may fill
 * with detail ("segment 3: fragment 7 does not match its name"). Functions
 * taking one accept NULL. Never holds secrets.
 */
#define DZ_ERRMSG_MAX 256
struct dz_errmsg {
	char text[DZ_ERRMSG_MAX];
};

/* dz_errf: format detail into em (if non-NULL) and return code unchanged,
 * so that a failure path reads `return dz_errf(em, DZ_EIO, "read %s", p);`. */
int dz_errf(struct dz_errmsg *em, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
