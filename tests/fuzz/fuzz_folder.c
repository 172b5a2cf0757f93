/* fuzz_folder: folder_open never reads out of bounds or crashes on any
 * folder record plaintext, sealed under the right key as only a key
 * holder could (the coordinator's bytes do not even authenticate), and
 * what it accepts lists, sorts, takes a change and re-seals; its files'
 * versions are looked up, one restored, and a new version put over one
 * (corpus/folder/plain-versions is a format-2 record with versions;
 * packed-versions one with packed entries and packed versions), and a
 * packed file put over a whole one and back. The
 * input is the plaintext from its head on; the blob's clear head is
 * copied from it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/folder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[24];
	uint8_t id[32], key[32], k[32], ad[52], *blob;
	const struct folder_entry **v, *e;
	struct folder_blob *out;
	struct folder *f;
	unsigned long long cl;
	size_t n, cur = 0;

	if (sodium_init() < 0 || size < 20 || size > (1u << 20))
		return 0;
	memset(id, 0x22, 32);
	memset(key, 0x11, 32);
	if (crypto_kdf_derive_from_key(k, 32, 1, "dzfoldr1", key) != 0 ||
	    (blob = malloc(44 + size + 16)) == NULL)
		abort();
	memcpy(ad, data, 20);
	memcpy(ad + 20, id, 32);
	memcpy(blob, data, 20);
	memcpy(blob + 20, zero, 24);
	crypto_aead_xchacha20poly1305_ietf_encrypt(blob + 44, &cl, data, size, ad, 52,
	    NULL, blob + 20, k);
	if (folder_open(id, key, blob, 44 + (size_t)cl, &f, NULL) == 0) {
		struct folder_version dropped[FOLDER_VERS_MAX + 1], w;
		char restore[FOLDER_NAMEMAX + 1] = "";
		uint32_t rnum = 0;
		struct folder_entry ne;
		size_t nd;

		while (folder_iter(f, &cur, &e)) {
			(void)folder_find(f, e->name, &e);
			for (uint16_t i = 0; i < e->nvers; i++)
				if (folder_file_version(e, e->vers[i].number, &w) != 0 ||
				    w.number != e->vers[i].number)
					abort();
			if (e->nvers > 0 && restore[0] == '\0') {
				strcpy(restore, e->name);
				rnum = e->vers[e->nvers - 1].number;
			}
		}
		if (restore[0] != '\0' &&
		    folder_restore_version(f, restore, rnum, 1, NULL) == 0 &&
		    folder_find(f, restore, &e) == 0 && e->nvers == 0)
			abort(); /* a restore drops nothing */
		if (folder_sorted(f, &v, &n) == 0)
			free(v);
		for (size_t i = 0; i < folder_nshards(f); i++)
			(void)folder_shard_info(f, i, NULL, NULL, NULL);
		/* a change: finishes a frozen record's split, may split */
		memset(&ne, 0, sizeof(ne));
		ne.name = "fuzz";
		ne.type = FOLDER_T_FILE;
		if (folder_put_version(f, &ne, 2, dropped, &nd, NULL, NULL) == 0 &&
		    folder_put_version(f, &ne, 2, dropped, &nd, NULL, NULL) == 0 &&
		    (folder_find(f, "fuzz", &e) != 0 || e->nvers > 2))
			abort(); /* the keep limit holds */
		ne.type = FOLDER_T_PACKED;
		ne.size = 3;
		ne.pack_off = 80;
		ne.pack_len = 3 + FOLDER_PACK_OVERHEAD;
		if (folder_put_version(f, &ne, 2, dropped, &nd, NULL, NULL) == 0 &&
		    (folder_find(f, "fuzz", &e) != 0 || e->type != FOLDER_T_PACKED ||
		    folder_file_version(e, 0, &w) != 0 || !w.packed))
			abort(); /* a packed current is a packed version */
		memset(&ne, 0, sizeof(ne));
		ne.name = "fuzz";
		ne.type = FOLDER_T_FILE;
		if (folder_put(f, &ne, NULL, NULL) == 0 &&
		    folder_seal_dirty(f, &out, &n, NULL) == 0)
			folder_blobs_free(out, n);
		folder_free(f);
	}
	free(blob);
	return 0;
}
