/*
 * moving: this computer's journal of moves between two folders begun and
 * not finished.
 *
 * Such a move is two changes: the entry is added to the folder it goes
 * to, then dropped from the one it leaves (that order, so that a crash
 * never loses it). A command killed between the two leaves the entry in
 * both folders, and a later rm of either would forget objects (or, for a
 * folder, records) the other still names. So the move is written here,
 * durably, before its first change, and removed after its second; the
 * next command finds the moves of processes no longer running and
 * finishes them (files_moves).
 *
 * One file per move, in the profile's directory `moving/`, named
 * PID-START-RANDOM (the process as pending.h tells it, 16 hex digits).
 * Its bytes (docs/formats.md, "Moving"): magic "DZM1" | nonce[24] |
 * XChaCha20-Poly1305 of a fixed-size body under a key the caller derives
 * from the folder sub-key, the magic as associated data. The body holds
 * folder keys and paths, so it is never on disk in the clear, and it is
 * padded: its size tells no path length.
 */
#ifndef DZ_MOVING_H
#define DZ_MOVING_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define MOVING_DIR "moving"
#define MOVING_PATHMAX 1024 /* = CATALOG_PATHMAX */
#define MOVING_FILEMAX 4096 /* bytes of a journal file's path */

struct moving_rec {
	uint8_t src_id[32], src_key[32]; /* the folder the entry leaves */
	uint8_t dst_id[32], dst_key[32]; /* the folder it goes to */
	uint8_t ent_id[32];              /* what the entry names */
	uint8_t type;                    /* its FOLDER_T_ type */
	char from[MOVING_PATHMAX + 1];   /* its whole path before */
	char to[MOVING_PATHMAX + 1];     /* and after */
};

/* moving_begin: journal r (sealed under key) in the directory dir (made
 * 0700 if missing), durably; file gets the journal file's path for
 * moving_end. DZ_EIO with em naming the file if it cannot be written. */
int moving_begin(const char *dir, const uint8_t key[static 32],
    const struct moving_rec *r, char file[static MOVING_FILEMAX], struct dz_errmsg *em)
	DZ_MUST_CHECK;

/* moving_end: the move is done: its file goes. Best effort: a file left
 * behind is finished again by the next command, which finds it done. */
void moving_end(const char *file);

/*
 * moving_orphans: for every move in dir of a process no longer running,
 * call fn with its record (wiped afterwards); fn returning 0 removes the
 * file, anything else keeps it for the next command. A missing dir has
 * none. A file that does not open under key (damaged) is kept and named
 * in em with DZ_EFORMAT once all others are done; *done counts the moves
 * finished.
 */
int moving_orphans(const char *dir, const uint8_t key[static 32],
    int (*fn)(void *arg, const struct moving_rec *r), void *arg, unsigned *done,
    struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
