/* files_int: what files.c and files_ops.c share. */
#ifndef DZ_FILES_INT_H
#define DZ_FILES_INT_H

#include <limits.h>

#include "client/files.h"
#include "client/tree.h"

struct files {
	struct netstore *ns;
	uint8_t *key;                 /* sodium_malloc: the folder sub-key */
	struct tree *t;
	char pending[PATH_MAX];       /* the journal (pending.h); "": none */
	unsigned keep;                /* previous versions kept per file */
	char moving[PATH_MAX];        /* the moves journal (moving.h); "": none */
	unsigned moves_done;          /* finished by files_moves */
	int die_midway;               /* files_test_die_midway */
};

/* files_jadd: journal id (pending.h) before a step that a crash could
 * leave it behind in; without a journal (files_journal not called)
 * nothing. */
int files_jadd(struct files *f, const uint8_t id[static 32], struct dz_errmsg *em)
	DZ_MUST_CHECK;

/* files_jdone: the step is done: id's entry goes. Best effort: an entry
 * left behind is looked up and dropped by a later command. */
void files_jdone(struct files *f, const uint8_t id[static 32]);

/* files_forget: forget an object no path names any more, then its
 * journal entry. Best effort: what fails here only costs space until the
 * next command finds the entry, and the command's outcome does not depend
 * on it. */
void files_forget(struct files *f, const uint8_t id[static 32]);

/* files_ids_push: append id to the growing array *v (*n used, *cap
 * allocated). DZ_ENOMEM. */
int files_ids_push(uint8_t (**v)[32], size_t *n, size_t *cap, const uint8_t id[static 32])
	DZ_MUST_CHECK;

/* files_nobjs / files_obj: the objects file entry e owns alone, which
 * go when it goes: its own object and those of its kept versions, but
 * not a pack (packed, it is shared with other files: compaction frees
 * it). files_obj(e, i) for i < files_nobjs(e). */
size_t files_nobjs(const struct folder_entry *e);
const uint8_t *files_obj(const struct folder_entry *e, size_t i);

/* files_put_begin: xfer_params.begin: journal the new object before it
 * is stored. */
int files_put_begin(void *arg, const uint8_t id[32], struct dz_errmsg *em);

/* files_path_ok: normalise path into norm (they may be the same buffer:
 * it is normalised in a copy) and refuse a component over CATALOG_NAMEMAX
 * bytes, which no local file system could take back. */
int files_path_ok(const char *path, char norm[static CATALOG_PATHMAX + 1],
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
