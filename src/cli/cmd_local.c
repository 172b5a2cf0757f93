/*
 * cmd_local: `drizzle local init|put|get|ls`: files in a store that is a
 * local directory. Everything the network will do to a file, minus the
 * network: encryption under keys that only the password unlocks, segments,
 * fragments, records. The store's keyfile holds the wrapped master key.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/local.h"
#include "client/dirstore.h"
#include "client/xfer.h"
#include "core/fsio.h"
#include "core/keyfile.h"
#include "core/mkey.h"

#define LOCAL_ACCOUNT "local"

static const char local_usage[] =
    "usage: drizzle local <command> --store DIR [options]\n"
    "\n"
    "A store that is a local directory: everything the network does to a\n"
    "file, minus the network. Commands:\n"
    "\n"
    "  init                  create a store in DIR and its password\n"
    "  put FILE|-            store a file (prints its id on stdout)\n"
    "  get ID|NAME [OUT|-]   rebuild a stored file into OUT (default: its name)\n"
    "  ls                    list the stored files\n"
    "  frags ID|NAME         list a file's fragments: segment, index, name\n"
    "\n"
    "`drizzle local <command> --help` tells each one's options.\n"
    "\n"
    "example:\n"
    "  drizzle local init --store ~/vault && drizzle local put --store ~/vault a.txt\n"
    "\n"
    "Exit codes: 0 done, 1 failed, 2 bad command line, 3 wrong password,\n"
    "4 a file could not be rebuilt or authenticated.\n";

#define L_STORE_HELP \
    "  --store DIR           the store's directory (required)\n"
#define L_PW_HELP \
    "  --password-file FILE  read the password from FILE's first line\n" \
    "                        (else $DRIZZLE_PASSWORD, else the terminal)\n"
#define L_END_HELP \
    "  --help, -h            this text\n"

static const char init_usage[] =
    "usage: drizzle local init --store DIR [options]\n"
    "\n"
    "Create a store in DIR (made if missing) and choose its password.\n"
    "\n"
    L_STORE_HELP L_PW_HELP
    "  --kdf-ops N, --kdf-mem SIZE\n"
    "                        Argon2id costs (default: libsodium MODERATE,\n"
    "                        about 0.5 s and 256 MiB; lower only for tests)\n"
    "  --quiet               no warning before asking the password\n"
    L_END_HELP
    "\n"
    "example:\n"
    "  drizzle local init --store ~/vault\n"
    "\n"
    "Exit codes: 0 created, 1 failed (DIR already holds a store, ...), 2 bad\n"
    "command line.\n";

static const char lput_usage[] =
    "usage: drizzle local put --store DIR FILE|- [options]\n"
    "\n"
    "Store FILE (- for standard input) in the store; prints its id.\n"
    "\n"
    L_STORE_HELP L_PW_HELP
    "  --name NAME           the name to store (default: FILE's base name)\n"
    "  --k K, --n N          any K of N fragments rebuild a segment (4, 12)\n"
    "  --segment-size SIZE   plaintext bytes per segment (4M)\n"
    "  --threads N           worker threads (default: one per CPU)\n"
    "  --quiet               no progress or summary on stderr\n"
    L_END_HELP
    "\n"
    "example:\n"
    "  drizzle local put --store ~/vault --k 6 --n 9 report.pdf\n"
    "\n"
    "Exit codes: 0 stored, 1 failed, 2 bad command line, 3 wrong password.\n";

static const char lget_usage[] =
    "usage: drizzle local get --store DIR ID|NAME [OUT|-] [options]\n"
    "\n"
    "Rebuild a stored file (by id or unique name) into OUT (default: its\n"
    "stored name; - for standard output). An existing OUT is kept unless\n"
    "--force.\n"
    "\n"
    L_STORE_HELP L_PW_HELP
    "  --threads N           worker threads (default: one per CPU)\n"
    "  --force               replace OUT if it exists\n"
    "  --quiet               no progress or summary on stderr\n"
    L_END_HELP
    "\n"
    "example:\n"
    "  drizzle local get --store ~/vault report.pdf /tmp/report.pdf\n"
    "\n"
    "Exit codes: 0 rebuilt, 1 failed (no such file, OUT exists, ...), 2 bad\n"
    "command line, 3 wrong password, 4 the file could not be rebuilt or\n"
    "authenticated.\n";

static const char lls_usage[] =
    "usage: drizzle local ls --store DIR [options]\n"
    "\n"
    "List the stored files: id, size, name.\n"
    "\n"
    L_STORE_HELP L_PW_HELP L_END_HELP
    "\n"
    "example:\n"
    "  drizzle local ls --store ~/vault\n"
    "\n"
    "Exit codes: 0 listed, 1 failed, 2 bad command line, 3 wrong password.\n";

static const char frags_usage[] =
    "usage: drizzle local frags --store DIR ID|NAME [options]\n"
    "\n"
    "List a stored file's fragments, one a line: segment, index, name.\n"
    "\n"
    L_STORE_HELP L_PW_HELP L_END_HELP
    "\n"
    "example:\n"
    "  drizzle local frags --store ~/vault report.pdf | head\n"
    "\n"
    "Exit codes: 0 listed, 1 failed, 2 bad command line, 3 wrong password,\n"
    "4 the file's record could not be authenticated.\n";

#define L_STORE {"store", required_argument, NULL, 's'}
#define L_PWFILE {"password-file", required_argument, NULL, 'p'}
#define L_KDFOPS {"kdf-ops", required_argument, NULL, 'O'}
#define L_KDFMEM {"kdf-mem", required_argument, NULL, 'M'}
#define L_K {"k", required_argument, NULL, 'k'}
#define L_N {"n", required_argument, NULL, 'n'}
#define L_SEGSIZE {"segment-size", required_argument, NULL, 'S'}
#define L_THREADS {"threads", required_argument, NULL, 't'}
#define L_QUIET {"quiet", no_argument, NULL, 'q'}
#define L_HELP {"help", no_argument, NULL, 'h'}
#define L_END {NULL, 0, NULL, 0}

static const struct option init_opts[] = {
	L_STORE, L_PWFILE, L_KDFOPS, L_KDFMEM, L_QUIET, L_HELP, L_END,
};
static const struct option put_opts[] = {
	L_STORE, L_PWFILE, {"name", required_argument, NULL, 'N'}, L_K, L_N,
	L_SEGSIZE, L_THREADS, L_QUIET, L_HELP, L_END,
};
static const struct option get_opts[] = {
	L_STORE, L_PWFILE, L_THREADS, {"force", no_argument, NULL, 'f'}, L_QUIET,
	L_HELP, L_END,
};
static const struct option ls_opts[] = {L_STORE, L_PWFILE, L_HELP, L_END};

/* The subcommands: name, options, help. */
static const struct {
	const char *name;
	const struct option *opts;
	const char *help;
} local_subs[] = {
	{"init", init_opts, init_usage},
	{"put", put_opts, lput_usage},
	{"get", get_opts, lget_usage},
	{"ls", ls_opts, lls_usage},
	{"frags", ls_opts, frags_usage},
};

void
local_opts_init(struct local_opts *o)
{
	memset(o, 0, sizeof(*o));
	pwkey_params_default(&o->kdf);
	xfer_params_default(&o->xp);
}

int
local_option(struct local_opts *o, int c, const char *arg)
{
	uint64_t v;

	switch (c) {
	case 's': o->store = arg; break;
	case 'p': o->password_file = arg; break;
	case 'O': return cli_kdf_option("kdf-ops", arg, &o->kdf);
	case 'M': return cli_kdf_option("kdf-mem", arg, &o->kdf);
	case 'N': o->name = arg; break;
	case 'k':
	case 'n':
		if (cli_parse_uint(arg, c == 'k' ? 1 : 2, c == 'k' ? 254 : 255, &v) != 0) {
			cli_err("--%c must be a whole number with 1 <= k < n <= 255", c);
			return EXIT_USAGE;
		}
		if (c == 'k')
			o->xp.k = (unsigned)v;
		else
			o->xp.n = (unsigned)v;
		break;
	case 'S':
		if (cli_parse_size(arg, &v) != 0 || v < RECORD_SEGMIN || v > RECORD_SEGMAX) {
			cli_err("--segment-size must be a size between 4K and 64M");
			return EXIT_USAGE;
		}
		o->xp.seg_size = (uint32_t)v;
		break;
	case 't':
		if (cli_parse_uint(arg, 1, 64, &v) != 0) {
			cli_err("--threads must be between 1 and 64");
			return EXIT_USAGE;
		}
		o->xp.threads = (unsigned)v;
		break;
	case 'f': o->force = 1; break;
	case 'q': o->quiet = 1; break;
	default: /* an option in a table that this switch forgot */
		cli_err("option -%c is not handled (a bug)", c);
		return EXIT_USAGE;
	}
	return 0;
}

/* Options of argv (argv[0] is the subcommand) as longopts takes them; 0,
 * or -1 after --help, or EXIT_USAGE. */
static int
local_parse(int argc, char **argv, const struct option *longopts, const char *help,
    struct local_opts *o)
{
	int c, ex;

	optind = 0;
	while ((c = cli_getopt(argc, argv, longopts, help, &ex)) != -1) {
		if (c == CLI_OPT_EXIT)
			return ex == EXIT_OK ? -1 : ex;
		if ((ex = local_option(o, c, optarg)) != 0)
			return ex;
	}
	if (o->xp.k >= o->xp.n) {
		cli_err("--k must be smaller than --n (any k of n fragments rebuild the data)");
		return EXIT_USAGE;
	}
	o->args = argv + optind;
	o->nargs = argc - optind;
	return 0;
}

int
local_init(const struct local_opts *o)
{
	struct dz_errmsg em = {{0}};
	struct dirstore *ds = NULL;
	struct keyfile kf;
	uint8_t buf[KEYFILE_BYTES], login_pk[32];
	uint8_t *mk = sodium_malloc(MKEY_BYTES);
	char *pw = NULL;
	size_t pwlen;
	int rc, ex;

	if (mk == NULL)
		return cli_fail(DZ_ENOMEM, NULL, "init");
	if ((rc = dirstore_open(o->store, 1, &ds, &em)) != 0) {
		ex = cli_fail(rc, &em, "cannot create the store");
		goto out;
	}
	if (faccessat(dirstore_dirfd(ds), "keyfile", F_OK, 0) == 0) {
		cli_err("%s already holds a store; its password and files are kept as they are",
		    o->store);
		ex = EXIT_FAIL;
		goto out;
	}
	if (!o->quiet)
		fprintf(stderr,
		    "Choose a password. It never leaves this computer and nobody can reset\n"
		    "or recover it: if you lose it, the files in this store are lost.\n");
	if (o->password != NULL) {
		pwlen = strlen(o->password);
	} else if ((ex = cli_password(o->password_file, 1, "New password: ", &pw,
	    &pwlen)) != 0) {
		goto out;
	}
	rc = keyfile_create(o->password != NULL ? o->password : pw, pwlen, &o->kdf, LOCAL_ACCOUNT, &kf, mk, login_pk);
	if (rc != 0) {
		ex = cli_fail(rc, NULL, "cannot derive the keys");
		goto out;
	}
	keyfile_encode(&kf, buf);
	rc = fsio_write_durable(dirstore_dirfd(ds), "keyfile", buf, sizeof(buf), 1,
	    0600, &em);
	if (rc != 0) {
		ex = cli_fail(rc, &em, "cannot write the keyfile");
		goto out;
	}
	if (!o->quiet)
		fprintf(stderr, "created store %s\n", o->store);
	ex = EXIT_OK;
out:
	cli_password_free(pw);
	sodium_free(mk);
	dirstore_close(ds);
	return ex;
}

int
local_open(const struct local_opts *o, struct dirstore **ds, uint8_t **folder_key)
{
	struct dz_errmsg em = {{0}};
	struct keyfile kf;
	uint8_t buf[KEYFILE_BYTES];
	uint8_t *mk = sodium_malloc(MKEY_BYTES), *fk = sodium_malloc(32);
	char *pw = NULL;
	size_t len, pwlen;
	int rc, ex = EXIT_FAIL;

	*ds = NULL;
	*folder_key = NULL;
	if (mk == NULL || fk == NULL) {
		ex = cli_fail(DZ_ENOMEM, NULL, "cannot open the store");
		goto out;
	}
	if (o->store == NULL) {
		cli_err("--store DIR is required");
		ex = EXIT_USAGE;
		goto out;
	}
	if ((rc = dirstore_open(o->store, 0, ds, &em)) != 0) {
		ex = cli_fail(rc, &em, "cannot open the store");
		goto out;
	}
	rc = fsio_read_file(dirstore_dirfd(*ds), "keyfile", buf, sizeof(buf), &len, &em);
	if (rc == 0)
		rc = keyfile_parse(buf, len, &kf);
	if (rc != 0) {
		ex = cli_fail(rc, &em, "the store's keyfile is unreadable or damaged");
		goto out;
	}
	if (o->password != NULL) {
		pwlen = strlen(o->password);
	} else if ((ex = cli_password(o->password_file, 0, "Password: ", &pw,
	    &pwlen)) != 0) {
		goto out;
	}
	rc = keyfile_open(&kf, o->password != NULL ? o->password : pw, pwlen,
	    LOCAL_ACCOUNT, mk);
	if (rc == 0)
		rc = mkey_derive(mk, MKEY_SUB_FOLDER, fk);
	if (rc != 0) {
		if (rc == DZ_EPASSWORD)
			cli_err("wrong password for store %s", o->store);
		else
			cli_fail(rc, NULL, "cannot unlock the store");
		ex = rc == DZ_EPASSWORD ? EXIT_PASSWORD : EXIT_FAIL;
		goto out;
	}
	*folder_key = fk;
	fk = NULL;
	ex = EXIT_OK;
out:
	cli_password_free(pw);
	sodium_free(mk);
	sodium_free(fk);
	if (ex != EXIT_OK) {
		dirstore_close(*ds);
		*ds = NULL;
	}
	return ex;
}

int
local_put(const struct local_opts *o, struct dirstore *ds, const uint8_t *fk,
    const char *path, char id_hex[65], uint64_t *size)
{
	struct dz_errmsg em = {{0}};
	struct store st = dirstore_store(ds);
	struct xfer_params xp = o->xp;
	struct cli_progress pr;
	struct xfer_file fi;
	struct stat sb;
	uint8_t id[RECORD_IDBYTES];
	char *pathcopy = NULL;
	int fd, rc, ex;

	fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		cli_err("cannot open %s: %s", path, strerror(errno));
		return EXIT_FAIL;
	}
	if (fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
		cli_err("cannot store %s: %s", path,
		    S_ISDIR(sb.st_mode) ? "it is a directory" : strerror(errno));
		ex = EXIT_FAIL;
		goto out;
	}
	memset(&fi, 0, sizeof(fi));
	pathcopy = strdup(path);
	fi.name = o->name != NULL ? o->name : fd == STDIN_FILENO ? "stdin" :
	    pathcopy != NULL ? basename(pathcopy) : "file";
	fi.mtime_sec = sb.st_mtim.tv_sec;
	fi.mtime_nsec = (uint32_t)sb.st_mtim.tv_nsec;
	fi.mode = sb.st_mode & 07777;
	cli_progress_init(&pr, "put", S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0,
	    o->quiet);
	xp.progress = cli_progress_cb;
	xp.progress_arg = &pr;
	rc = put_file(&st, fk, fd, &fi, &xp, id, size, &em);
	cli_progress_end(&pr);
	if (rc != 0) {
		ex = cli_fail(rc, &em, path);
		goto out;
	}
	hex_encode(id, sizeof(id), id_hex);
	ex = EXIT_OK;
out:
	free(pathcopy);
	if (fd != STDIN_FILENO)
		close(fd);
	return ex;
}

/* Resolve ID|NAME to an object id: a 64-hex id of an existing record, or
 * the one record whose (decrypted) name equals it. */
struct find {
	const struct store *st;
	const uint8_t *fk;
	const char *name;
	struct record_hdr *hdr;
	uint8_t id[RECORD_IDBYTES];
	int found;
};

static int
find_cb(void *arg, const uint8_t id[STORE_NAMEBYTES])
{
	struct find *f = arg;

	if (get_record(f->st, f->fk, id, f->hdr, NULL) != 0)
		return 0; /* not ours or damaged: not a match */
	if (strcmp(f->hdr->name, f->name) != 0)
		return 0;
	if (f->found++ == 0)
		memcpy(f->id, id, RECORD_IDBYTES);
	return 0;
}

int
local_resolve(struct dirstore *ds, const uint8_t *fk, const char *what,
    uint8_t id[RECORD_IDBYTES])
{
	struct dz_errmsg em = {{0}};
	struct store st = dirstore_store(ds);
	struct find f = {&st, fk, what, NULL, {0}, 0};
	int rc;

	if (hex_decode(what, id, RECORD_IDBYTES) == 0)
		return EXIT_OK;
	f.hdr = sodium_malloc(sizeof(*f.hdr));
	if (f.hdr == NULL)
		return cli_fail(DZ_ENOMEM, NULL, what);
	rc = dirstore_list(ds, find_cb, &f, &em);
	sodium_free(f.hdr);
	if (rc != 0)
		return cli_fail(rc, &em, "cannot list the store");
	if (f.found == 0) {
		cli_err("no file called '%s' in the store (`drizzle local ls` lists them)",
		    what);
		return EXIT_FAIL;
	}
	if (f.found > 1) {
		cli_err("%d files are called '%s'; give the id of one (`drizzle local ls`)",
		    f.found, what);
		return EXIT_FAIL;
	}
	memcpy(id, f.id, RECORD_IDBYTES);
	return EXIT_OK;
}

int
local_get(const struct local_opts *o, struct dirstore *ds, const uint8_t *fk,
    const uint8_t id[RECORD_IDBYTES], const char *out, uint64_t *size)
{
	struct dz_errmsg em = {{0}};
	struct store st = dirstore_store(ds);
	struct xfer_params xp = o->xp;
	struct record_hdr *hdr = sodium_malloc(sizeof(*hdr));
	struct cli_damage dmg = {0, 0, 0};
	struct cli_progress pr;
	struct cli_out co;
	int rc, ex, have_hdr = out == NULL;

	if (hdr == NULL)
		return cli_fail(DZ_ENOMEM, NULL, "get");
	if (out == NULL) {
		/* default output: the stored name, which must be a plain file
		 * name: never let a record steer where we write */
		rc = get_record(&st, fk, id, hdr, &em);
		if (rc != 0) {
			ex = cli_fail(rc, &em, "cannot read the file record");
			goto done;
		}
		if (strchr(hdr->name, '/') != NULL || strcmp(hdr->name, ".") == 0 ||
		    strcmp(hdr->name, "..") == 0 || hdr->name[0] == '\0') {
			cli_err("the stored name '%s' is not a plain file name; give OUT",
			    hdr->name);
			ex = EXIT_USAGE;
			goto done;
		}
		out = hdr->name;
	}
	if ((ex = cli_out_open(&co, out, o->force)) != 0)
		goto done;
	cli_progress_init(&pr, "get", 0, o->quiet || co.is_stdout);
	/* the total for the percentage: the record, read already or now */
	if (pr.enabled && (have_hdr || get_record(&st, fk, id, hdr, &em) == 0))
		pr.total = hdr->size;
	xp.progress = cli_progress_cb;
	xp.progress_arg = &pr;
	xp.damage = cli_damage_cb;
	xp.damage_arg = &dmg;
	rc = get_file(&st, fk, id, co.fd, &xp, hdr, &em);
	if (dmg.count > 0)
		cli_err("warning: %u fragment(s) missing and %u corrupt%s; %s", dmg.missing,
		    dmg.corrupt, dmg.count > CLI_DAMAGE_NAMED ? " (the first ones named above)" : "",
		    rc == 0 ? "every segment was rebuilt from the others" :
		    "too many in one segment to rebuild it");
	cli_progress_end(&pr);
	if (rc != 0) {
		cli_out_abort(&co);
		ex = cli_fail(rc, &em, "cannot rebuild the file");
		goto done;
	}
	*size = hdr->size;
	ex = cli_out_commit(&co);
done:
	sodium_free(hdr);
	return ex;
}

struct ls {
	const struct store *st;
	const uint8_t *fk;
	struct record_hdr *hdr;
	int bad;
};

static int
ls_cb(void *arg, const uint8_t id[STORE_NAMEBYTES])
{
	struct ls *l = arg;
	char hex[65], when[32], size[32];
	struct tm tm;
	time_t t;

	hex_encode(id, STORE_NAMEBYTES, hex);
	if (get_record(l->st, l->fk, id, l->hdr, NULL) != 0) {
		l->bad++;
		printf("%s  %10s  %16s  (record unreadable: damaged, or not this store's)\n",
		    hex, "?", "?");
		return 0;
	}
	t = (time_t)l->hdr->mtime_sec;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(when, sizeof(when), "?");
	cli_human(l->hdr->size, size);
	printf("%s  %10s  %16s  %s\n", hex, size, when, l->hdr->name);
	return 0;
}

static int
local_ls(const struct local_opts *o)
{
	struct dz_errmsg em = {{0}};
	struct dirstore *ds;
	struct store st;
	struct ls l = {NULL, NULL, NULL, 0};
	uint8_t *fk;
	int rc, ex;

	if ((ex = local_open(o, &ds, &fk)) != 0)
		return ex;
	st = dirstore_store(ds);
	l.st = &st;
	l.fk = fk;
	l.hdr = sodium_malloc(sizeof(*l.hdr));
	if (l.hdr == NULL) {
		ex = cli_fail(DZ_ENOMEM, NULL, "ls");
		goto out;
	}
	rc = dirstore_list(ds, ls_cb, &l, &em);
	ex = rc != 0 ? cli_fail(rc, &em, "cannot list the store") :
	    l.bad ? EXIT_DAMAGED : EXIT_OK;
out:
	sodium_free(l.hdr);
	sodium_free(fk);
	dirstore_close(ds);
	return ex;
}

static int
frags_cb(void *arg, uint64_t seg, unsigned n, const uint8_t *names)
{
	char hex[65];

	(void)arg;
	for (unsigned i = 0; i < n; i++) {
		hex_encode(names + (size_t)i * STORE_NAMEBYTES, STORE_NAMEBYTES, hex);
		printf("%llu %u %s\n", (unsigned long long)seg, i, hex);
	}
	return 0;
}

static int
local_frags(const struct local_opts *o, struct dirstore *ds, const uint8_t *fk,
    const uint8_t id[RECORD_IDBYTES])
{
	struct dz_errmsg em = {{0}};
	struct store st = dirstore_store(ds);
	int rc = get_walk(&st, fk, id, frags_cb, NULL, &em);

	(void)o;
	return rc != 0 ? cli_fail(rc, &em, "cannot read the file record") : EXIT_OK;
}

int
cmd_local_main(int argc, char **argv)
{
	struct local_opts o;
	struct dirstore *ds;
	uint8_t id[RECORD_IDBYTES], *fk;
	char hex[65], h[32];
	uint64_t size = 0;
	const char *sub, *names[sizeof(local_subs) / sizeof(local_subs[0])], *near;
	size_t si, nsubs = sizeof(local_subs) / sizeof(local_subs[0]);
	double t0;
	int ex;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(local_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	sub = argv[1];
	for (si = 0; si < nsubs && strcmp(sub, local_subs[si].name) != 0; si++)
		names[si] = local_subs[si].name;
	if (si == nsubs) {
		near = cli_suggest(sub, names, nsubs);
		if (near != NULL)
			cli_err("unknown command 'local %s' (did you mean `drizzle local %s`?)",
			    sub, near);
		else
			cli_err("unknown command 'local %s' (try `drizzle local --help`)", sub);
		return EXIT_USAGE;
	}
	local_opts_init(&o);
	if ((ex = local_parse(argc - 1, argv + 1, local_subs[si].opts,
	    local_subs[si].help, &o)) != 0)
		return ex < 0 ? EXIT_OK : ex;
	if (o.store == NULL) {
		cli_err("--store DIR is required (try `drizzle local %s --help`)", sub);
		return EXIT_USAGE;
	}
	if (strcmp(sub, "init") == 0) {
		if (o.nargs != 0) {
			cli_err("init takes no arguments besides its options");
			return EXIT_USAGE;
		}
		return local_init(&o);
	}
	if (strcmp(sub, "ls") == 0) {
		if (o.nargs != 0) {
			cli_err("ls takes no arguments besides its options");
			return EXIT_USAGE;
		}
		return local_ls(&o);
	}
	if (strcmp(sub, "put") == 0 && o.nargs != 1) {
		cli_err("usage: drizzle local put --store DIR FILE|-");
		return EXIT_USAGE;
	}
	if (strcmp(sub, "frags") == 0 && o.nargs != 1) {
		cli_err("usage: drizzle local frags --store DIR ID|NAME");
		return EXIT_USAGE;
	}
	if (strcmp(sub, "get") == 0 && (o.nargs < 1 || o.nargs > 2)) {
		cli_err("usage: drizzle local get --store DIR ID|NAME [OUT|-]");
		return EXIT_USAGE;
	}
	if ((ex = local_open(&o, &ds, &fk)) != 0)
		return ex;
	t0 = cli_now();
	if (strcmp(sub, "put") == 0) {
		ex = local_put(&o, ds, fk, o.args[0], hex, &size);
		if (ex == EXIT_OK) {
			printf("%s\n", hex);
			cli_human(size, h);
			if (!o.quiet)
				fprintf(stderr, "stored %s (%s) as %u-of-%u fragments in %.2f s\n",
				    o.args[0], h, o.xp.k, o.xp.n, cli_now() - t0);
		}
	} else if (strcmp(sub, "frags") == 0) {
		ex = local_resolve(ds, fk, o.args[0], id);
		if (ex == EXIT_OK)
			ex = local_frags(&o, ds, fk, id);
	} else {
		ex = local_resolve(ds, fk, o.args[0], id);
		if (ex == EXIT_OK)
			ex = local_get(&o, ds, fk, id, o.nargs > 1 ? o.args[1] : NULL, &size);
		if (ex == EXIT_OK && !o.quiet) {
			cli_human(size, h);
			fprintf(stderr, "rebuilt %s (%s) in %.2f s\n", o.args[0], h,
			    cli_now() - t0);
		}
	}
	sodium_free(fk);
	dirstore_close(ds);
	return ex;
}
