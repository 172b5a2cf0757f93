/* tree_int: what tree.c, tree_ops.c and tree_migrate.c share. */
#ifndef DZ_TREE_INT_H
#define DZ_TREE_INT_H

#include "client/seen.h"
#include "client/tree.h"

struct tree {
	struct netstore *ns;
	uint8_t *keys;                  /* sodium_malloc: sub-key | root key | catalog key */
	uint8_t root_id[FOLDER_IDBYTES];
	uint8_t cat_id[CATALOG_IDBYTES];
	struct seen *seen;              /* NULL: no rollback memory */
	int batch;                      /* inside tree_batch */
	/* tests only: called between a record's fetch and its check, the
	 * window another command of this computer can write in */
	void (*after_fetch)(void *arg);
	void *after_fetch_arg;
};

#define TREE_SUBKEY(t) ((t)->keys)
#define TREE_ROOTKEY(t) ((t)->keys + 32)
#define TREE_CATKEY(t) ((t)->keys + 64)

/* How the rollback memory and messages name the folder at path. */
#define TREE_WHATMAX (CATALOG_PATHMAX + 16)
void tree_what(const char *path, char what[static TREE_WHATMAX]);

/* tree_read: the folder (id, key) at path (for messages) with the shard
 * holding name loaded (NULL: all, "": none), its records checked against
 * the rollback memory. A missing root is migrated or made empty. */
int tree_read(struct tree *t, const uint8_t id[static FOLDER_IDBYTES],
    const uint8_t key[static FOLDER_KEYBYTES], const char *path, const char *name,
    struct folder **out, struct dz_errmsg *em) DZ_MUST_CHECK;

/* tree_write: write f's changed records (folder id at path) in order by
 * compare-and-swap; DZ_ECONFLICT when another writer was first. */
int tree_write(struct tree *t, struct folder *f, const uint8_t id[static FOLDER_IDBYTES],
    const char *path, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
