/*
 * xfer: moving whole files through a store: put_file cuts a stream into
 * segments, seals, erasure-codes and names them and hands the fragments to
 * the store, then writes the sealed file record; get_file reads the record
 * and rebuilds the stream from any k intact fragments of every segment.
 *
 * Both run the costly per-segment work on several threads (opipe.h) over
 * buffers allocated once, so memory is flat in the file's size: a few
 * segments' worth, whatever the file. A get returns the exact bytes that
 * were put or an error; it never writes a segment it could not
 * authenticate.
 */
#ifndef DZ_XFER_H
#define DZ_XFER_H

#include <stdint.h>

#include "client/store.h"
#include "core/err.h"
#include "core/record.h"

struct xfer_params {
	unsigned k, n;       /* put: the code; get: ignored (the record says) */
	uint32_t seg_size;   /* put: plaintext bytes per segment */
	unsigned threads;    /* worker threads; 0 = one per online CPU */
	/* progress: called from the calling thread after each segment with
	 * the plaintext bytes done so far; may be NULL. */
	void (*progress)(void *arg, uint64_t done);
	void *progress_arg;
	/* damage (get): called from the calling thread, in segment order, for
	 * every fragment a get found missing (DZ_ENOENT, ...) or rejected
	 * (DZ_EINTEGRITY: bytes do not match the name; DZ_EFORMAT: a header
	 * that disagrees with the record) while rebuilding; may be NULL. The
	 * file still comes back whole as long as k per segment were intact. */
	void (*damage)(void *arg, uint64_t seg, unsigned index,
	    const uint8_t name[32], int why);
	void *damage_arg;
	/* stop: polled from the calling thread between segments; non-zero
	 * ends the transfer with DZ_EINTR, a put undoing what it stored (an
	 * interrupted command). May be NULL. */
	int (*stop)(void *arg);
	void *stop_arg;
	/* Memory: the segment buffers of the segments in flight, and the
	 * store's own copies of their fragments (store_copies per fragment
	 * byte: 0 for a local store, NETSTORE_COPIES for the network), are
	 * kept within mem_budget bytes by running fewer segments at once
	 * than `threads` asks (0: no bound). One segment in flight is the
	 * floor, whatever it costs: seg_size * (1 + n/k) and its copies. */
	size_t mem_budget;
	unsigned store_copies;
	/* begin (put): called from the calling thread with the new object's
	 * id before anything of it is stored, so that the caller can journal
	 * it (pending.h) before a crash could leave it behind; non-zero fails
	 * the put. May be NULL. */
	int (*begin)(void *arg, const uint8_t id[32], struct dz_errmsg *em);
	void *begin_arg;
};

/* What the buffers of a transfer may take by default: with the program's
 * own few MiB and the libraries', a client stays under 128 MiB resident. */
#define XFER_MEM_BUDGET ((size_t)96 << 20)

/* xfer_params_default: 4-of-12 with 4 MiB segments, one thread per CPU,
 * XFER_MEM_BUDGET, no store copies. */
void xfer_params_default(struct xfer_params *p);

struct xfer_file {
	const char *name;   /* stored (encrypted) in the record */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint32_t mode;
};

/*
 * put_file: read fd to its end and store it: fragments through st, then the
 * record sealed under a key derived from folder_key. object_id receives the
 * new object's id, *size the bytes read. On failure nothing is committed and
 * the fragments already handed over are deleted (best effort). Returns 0 or
 * a dz_err, with detail in em.
 */
int put_file(const struct store *st, const uint8_t folder_key[static 32], int fd,
    const struct xfer_file *fi, const struct xfer_params *pp,
    uint8_t object_id[static RECORD_IDBYTES], uint64_t *size,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * get_record: read and authenticate just the header of object id's record
 * into hdr (caller's sodium_malloc memory: it holds the file key).
 */
int get_record(const struct store *st, const uint8_t folder_key[static 32],
    const uint8_t id[static RECORD_IDBYTES], struct record_hdr *hdr,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * get_walk: read object id's record and call fn once per segment, in
 * order, with its n fragment names (n * 32 bytes, valid during the call);
 * stops at and returns fn's first non-zero result. For tools that look at
 * where a file's fragments are (the demo, later repair).
 */
int get_walk(const struct store *st, const uint8_t folder_key[static 32],
    const uint8_t id[static RECORD_IDBYTES],
    int (*fn)(void *arg, uint64_t seg, unsigned n, const uint8_t *names),
    void *arg, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * get_file: rebuild object id into fd, segment by segment in order. hdr
 * (optional, sodium_malloc memory) receives the record header. On failure
 * fd may hold a prefix of the file, every byte of it authentic; the caller
 * removes partial output. DZ_ETOOFEW, DZ_EAUTH, DZ_EINTEGRITY ... name the
 * segment in em.
 */
int get_file(const struct store *st, const uint8_t folder_key[static 32],
    const uint8_t id[static RECORD_IDBYTES], int fd, const struct xfer_params *pp,
    struct record_hdr *hdr, struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * get_range: copy bytes [off, off + len) of object id into out (len
 * bytes, the caller's), the record opened under record_key itself (not
 * derived from a folder key: a pack's entry stores it, pack.h). Only the
 * segments that overlap the range are fetched and rebuilt, each still
 * authenticated whole, so a fragment of another segment is never read.
 * DZ_ERANGE if the range passes the object's end (nothing copied);
 * otherwise as get_file (on failure out may hold part of the range, every
 * byte of it authentic). len 0 only checks the record.
 */
int get_range(const struct store *st, const uint8_t record_key[static 32],
    const uint8_t id[static RECORD_IDBYTES], uint64_t off, uint64_t len,
    uint8_t *out, const struct xfer_params *pp, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
