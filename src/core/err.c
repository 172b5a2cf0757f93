/* err: the project-wide error codes and their sentences. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *
dz_strerror(int code)
{
	switch (code) {
	case DZ_OK: return "success";
	case DZ_ENOMEM: return "out of memory";
	case DZ_EINVAL: return "invalid argument";
	case DZ_EIO: return "input/output error";
	case DZ_EFORMAT: return "malformed data";
	case DZ_EAUTH: return "authentication failed: the data was altered, reordered or spliced";
	case DZ_EPASSWORD: return "wrong password";
	case DZ_ECRYPTO: return "cryptographic library failure";
	case DZ_ERANGE: return "value out of range";
	case DZ_ENOENT: return "no such object";
	case DZ_EEXIST: return "already exists";
	case DZ_ENOSPC: return "no space left on device";
	case DZ_ETOOFEW: return "too few intact fragments to rebuild the data";
	case DZ_EVERSION: return "unsupported format version";
	case DZ_EINTEGRITY: return "data does not match its hash";
	case DZ_ETRUNC: return "data is truncated";
	case DZ_EINTR: return "interrupted";
	case DZ_EPEERKEY: return "the other end showed an unexpected key";
	case DZ_ECONNECT: return "cannot connect";
	case DZ_ENOLOGIN: return "not logged in";
	case DZ_ECONFLICT: return "changed meanwhile by another writer";
	case DZ_EQUOTA: return "over quota";
	case DZ_EDENIED: return "refused by the other end";
	case DZ_EWEAKKDF: return "key-stretching parameters outside the accepted range";
	case DZ_EROLLBACK: return "rolled back: older than what this computer has already seen";
	case DZ_ECHANGED: return "a local file changed while it was being read";
	}
	return "unknown error";
}

int
dz_errf(struct dz_errmsg *em, int code, const char *fmt, ...)
{
	va_list ap;

	if (em != NULL) {
		va_start(ap, fmt);
		vsnprintf(em->text, sizeof(em->text), fmt, ap);
		va_end(ap);
	}
	return code;
}
