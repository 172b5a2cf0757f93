/*
 * ltree: walking a local directory tree (for `put -r`) and re-creating one
 * under a local root (for `get -r`), safely.
 *
 * Why a module of its own: both directions meet hostile input. A tree
 * being read may hold sockets, devices, names no remote path can take,
 * symlinks pointing anywhere, loops and entries that change or vanish
 * while it is walked; a tree being written takes its names from records
 * fetched over the network and must never write outside its root, even if
 * someone plants a symlink in it meanwhile. So every system call works
 * relative to an open directory (openat, fstatat, fdopendir, symlinkat,
 * renameat2), every component is opened with O_NOFOLLOW|O_DIRECTORY, no
 * path is ever concatenated for the kernel (no PATH_MAX limit), and at
 * most one directory fd per level of depth is open.
 *
 * What it is not: no network, no encryption, no remote names. The caller
 * maps entries to folder records (folder.h) and moves the bytes.
 *
 * Rules a user sees (docs/cli.md):
 * - Stored: directories, regular files, symbolic links (as links: the
 *   target as read by readlink, never followed, wherever it points).
 *   Hard links are stored as separate files. Mount points are crossed.
 * - Skipped and named: sockets, FIFOs, devices; names of more than 255
 *   bytes, invalid UTF-8 or a control character; paths of more than
 *   LTREE_PATHMAX bytes under the root; entries deeper than LTREE_MAXDEPTH;
 *   entries that cannot be read or that vanish or change while walked.
 * - Modes: the permission bits (mode & 07777, setuid, setgid and sticky
 *   included) are stored; re-creating applies mode & 07777, and the kernel
 *   drops what the process may not set (setgid of a group it is not in,
 *   setuid for another owner). A link's own mode is not kept (Linux has
 *   none). Owners are not kept.
 * - mtimes keep their nanoseconds; a folder's mtime and mode are set after
 *   its contents are written, so a read-only folder can be re-created with
 *   its files in it and its mtime is the stored one.
 */
#ifndef DZ_LTREE_H
#define DZ_LTREE_H

#include <stdint.h>

#include "core/err.h"

#define LTREE_MAXDEPTH 64   /* levels below the root that are walked */
#define LTREE_PATHMAX 1024  /* bytes of a path under the root (= CATALOG_PATHMAX) */
#define LTREE_NAMEMAX 255   /* bytes of one component (= FOLDER_NAMEMAX) */
#define LTREE_LINKMAX 4095  /* bytes of a link target (= FOLDER_LINKMAX) */

enum ltree_type { LTREE_FILE = 1, LTREE_DIR = 2, LTREE_LINK = 3 };

/* One entry met by ltree_scan. Every pointer (and dirfd) is valid during
 * the callback only. */
struct ltree_ent {
	const char *rel;      /* path under the root, '/'-separated, never "" */
	const char *name;     /* last component of rel */
	int dirfd;            /* open fd of the entry's parent directory */
	uint8_t type;         /* enum ltree_type */
	uint32_t mode;        /* permission bits (07777) */
	int64_t mtime_sec;
	uint32_t mtime_nsec;
	uint64_t size;        /* LTREE_FILE: bytes (from lstat); else 0 */
	const char *target;   /* LTREE_LINK: the link's target, as read; else NULL */
	int depth;            /* 1 for the root's children */
	uint64_t dev, ino;    /* identity, as lstat saw it (ltree_open_file checks it) */
};

/*
 * ltree_scan: walk the directory root (the root itself may be reached
 * through a symlink; nothing below it is followed) in pre-order, every
 * folder before its contents, names in strcmp order within a folder, and
 * call fn for every directory, regular file and symbolic link (not for the
 * root itself).
 *
 * Not stored, but named to skip(arg, rel, why) (skip may be NULL) while the
 * walk goes on: sockets ("a socket"), FIFOs ("a FIFO"), devices ("a
 * device"), names a remote path cannot take ("name is longer than 255
 * bytes", "name is not valid UTF-8", "name has a control character"),
 * paths longer than LTREE_PATHMAX ("path is longer than 1024 bytes"),
 * entries deeper than LTREE_MAXDEPTH ("deeper than 64 levels"), link
 * targets over LTREE_LINKMAX, and entries that cannot be read ("permission
 * denied"; a regular file is checked with faccessat for the effective
 * user, a folder by opening it: an unreadable folder is skipped whole) or
 * vanish or change while walked ("vanished while walking", "changed while
 * walking"). The rel given to skip may hold any byte but NUL: escape it
 * before printing.
 *
 * fn's non-zero result stops the walk and is returned. Returns 0, or a
 * dz_err with em set: the root cannot be opened or read (DZ_ENOENT,
 * DZ_EIO, DZ_EINVAL if it is not a folder), DZ_ENOMEM.
 */
int ltree_scan(const char *root,
    int (*fn)(void *arg, const struct ltree_ent *e),
    void (*skip)(void *arg, const char *rel, const char *why), void *arg,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/*
 * ltree_open_file: open e (LTREE_FILE, inside ltree_scan's fn) for reading
 * with openat(e->dirfd, e->name, O_RDONLY|O_NOFOLLOW|O_NOCTTY|O_NONBLOCK)
 * (O_NONBLOCK then cleared: a FIFO swapped in cannot block the open), and
 * fstat it to check it is still the regular file the walk saw (same dev
 * and inode). *fd is the caller's to close. DZ_ECHANGED if it is now a
 * link, another type or another file, DZ_ENOENT if it vanished, DZ_EIO
 * otherwise (permission denied included); em names e->rel. A file deleted
 * and re-created may reuse the inode: a caller that must know compares
 * fstat's size and mtime after reading.
 */
int ltree_open_file(const struct ltree_ent *e, int *fd, struct dz_errmsg *em)
	DZ_MUST_CHECK;

/*
 * Re-creating a tree under a local root, for get -r. Entries are given in
 * pre-order (a folder by ltree_out_mkdir before anything in it); a rel is
 * a '/'-separated path under the root and is checked strictly (DZ_EINVAL:
 * empty, a leading or trailing '/', an empty, "." or ".." component, a
 * component over 255 bytes, invalid UTF-8, a control character, longer
 * than LTREE_PATHMAX). The folders of rel must exist (made by
 * ltree_out_mkdir, or there before): every one is opened with
 * O_NOFOLLOW|O_DIRECTORY, so a link or file found where a folder should
 * be fails with DZ_EEXIST naming it, even with force, and nothing is ever
 * written outside the root. With force, ltree_out_mkdir replaces a link or
 * file at its own rel by a folder; that is the only place a link in the
 * way is removed.
 */
struct ltree_out;

/* ltree_out_open: root is created if missing (mode 0777 & ~umask; its
 * parents must exist; it may be a symlink to a folder), must be a
 * directory (else DZ_EEXIST). force: replace existing files and links
 * (else an existing one is DZ_EEXIST naming it); an existing directory is
 * fine and kept (its files too, unless a file of the tree replaces one).
 * *out is freed by ltree_out_close. */
int ltree_out_open(const char *root, int force, struct ltree_out **out,
    struct dz_errmsg *em) DZ_MUST_CHECK;

/* ltree_out_lazy_sync: from now on ltree_out_file_commit does not fsync
 * each file; ltree_out_close syncs the file system holding the root once
 * (syncfs) instead. Measured on ext4 (a loaded 2-core machine): 10,000
 * files of 1 KiB in 100 folders took 33 s with an fsync each, 7.5 s this
 * way (the walk itself: 0.1 s). The cost: a crash
 * before ltree_out_close may leave renamed files empty or short (never
 * a file outside the root, never a half-replaced old file on ext4's
 * default mount); a get -r that did not finish must be run again. */
void ltree_out_lazy_sync(struct ltree_out *o);

/* ltree_out_mkdir: make the folder rel (made 0700 for now; an existing one
 * is kept and made owner-writable for now) and remember mode & 07777 and
 * the mtime for ltree_out_close. Call it for every folder of the tree,
 * existing ones too: ltree_out_close fsyncs the folders named here. */
int ltree_out_mkdir(struct ltree_out *o, const char *rel, uint32_t mode,
    int64_t mtime_sec, uint32_t mtime_nsec, struct dz_errmsg *em) DZ_MUST_CHECK;

/* A file: ltree_out_file_begin gives *fd (write-only) on a new temporary
 * file ".dztmp-<random>" in rel's parent folder (DZ_EEXIST at once if rel
 * exists and force is off, or if rel is a folder); the caller writes the
 * content; ltree_out_file_commit fsyncs it, sets mode & 07777 and mtime,
 * and renames it into place (the file's data durable at once, its name
 * once ltree_out_close fsynced the folder); ltree_out_file_abort removes
 * it. Commit and abort close fd in every case; several files may be open
 * at once. Commit without force never replaces a file created meanwhile
 * (renameat2 RENAME_NOREPLACE: DZ_EEXIST); with force it replaces a file
 * or link, never a folder (DZ_EEXIST). */
int ltree_out_file_begin(struct ltree_out *o, const char *rel, int *fd,
    struct dz_errmsg *em) DZ_MUST_CHECK;
int ltree_out_file_commit(struct ltree_out *o, const char *rel, int fd,
    uint32_t mode, int64_t mtime_sec, uint32_t mtime_nsec, struct dz_errmsg *em)
	DZ_MUST_CHECK;
void ltree_out_file_abort(struct ltree_out *o, const char *rel, int fd);

/* ltree_out_link: create the symbolic link rel -> target (1 to
 * LTREE_LINKMAX bytes, never followed nor checked: it may point anywhere)
 * with symlinkat, and set its mtime with utimensat(AT_SYMLINK_NOFOLLOW).
 * An existing entry: DZ_EEXIST, or with force replaced atomically unless
 * it is a folder. */
int ltree_out_link(struct ltree_out *o, const char *rel, const char *target,
    int64_t mtime_sec, uint32_t mtime_nsec, struct dz_errmsg *em) DZ_MUST_CHECK;

/* ltree_out_close: set the modes and mtimes of the folders made or named
 * by ltree_out_mkdir, deepest first (after their contents were written, so
 * a read-only folder can still be filled and its mtime is not disturbed),
 * fsync them and the root, remove the temporary files still open (closing
 * their fds), and free o (NULL is a no-op). Returns the first error. */
int ltree_out_close(struct ltree_out *o, struct dz_errmsg *em);

/* ltree_rel_ok: 0 if rel is a path ltree_out takes (rules above), else
 * DZ_EINVAL with em saying why. */
int ltree_rel_ok(const char *rel, struct dz_errmsg *em) DZ_MUST_CHECK;

#endif
