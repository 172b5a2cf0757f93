/*
 * fragfix: real fragments for the tests of the fragment store and the
 * peer: a header and random payload, named by their Merkle root, in a
 * buffer aligned for direct I/O. Test code only.
 */
#ifndef DZ_TEST_FRAGFIX_H
#define DZ_TEST_FRAGFIX_H

#include <stdint.h>
#include <stdlib.h>

#include <sodium.h>

#include "core/frag.h"
#include "core/merkle.h"
#include "peer/fragstore.h"

#define NAMEB FRAGSTORE_NAMEBYTES

struct tfrag {
	uint8_t name[NAMEB];
	uint8_t *buf; /* aligned to FRAGSTORE_DIO_ALIGN, plus one spare byte */
	size_t len;
};

/* make_frag: a real fragment (header + random payload) named by its Merkle
 * root; `offset` 1 makes the buffer unaligned to exercise buffered I/O. */
__attribute__((unused)) static void
make_frag(struct tfrag *f, uint32_t seg_len, unsigned index, int offset)
{
	struct frag_hdr h;
	struct merkle *m;
	void *p;

	assert_int_equal(frag_hdr_init(&h, 3, 5, index, seg_len), 0);
	f->len = FRAG_HDRBYTES + h.payload_len;
	assert_int_equal(posix_memalign(&p, FRAGSTORE_DIO_ALIGN, f->len + 1), 0);
	f->buf = (uint8_t *)p + offset;
	frag_hdr_encode(&h, f->buf);
	randombytes_buf(f->buf + FRAG_HDRBYTES, h.payload_len);
	assert_int_equal(merkle_new(f->len, &m), 0);
	assert_int_equal(merkle_build(m, f->buf, f->len, f->name), 0);
	merkle_free(m);
}

__attribute__((unused)) static void
free_frag(struct tfrag *f)
{
	free((void *)((uintptr_t)f->buf & ~(uintptr_t)(FRAGSTORE_DIO_ALIGN - 1)));
}

#endif
