/*
 * cmd_demo: `drizzle demo`: the whole local round trip in one command.
 * Makes a random file, creates a store with a throwaway password, stores
 * the file, deletes n-k-1 fragments of every segment and corrupts one more,
 * rebuilds the file and checks it is identical, then loses one fragment
 * too many and shows that the get refuses instead of returning wrong data.
 * Prints what happened and the throughput; exits non-zero if anything did
 * not go as it must.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/local.h"
#include "core/frag.h"
#include "core/fsio.h"

static const char demo_usage[] =
    "usage: drizzle demo --local [options]\n"
    "\n"
    "Stores a random file in a throwaway local store, loses fragments of every\n"
    "segment, rebuilds the file from the survivors and checks it is identical.\n"
    "\n"
    "  --size SIZE           the file's size (default 64M)\n"
    "  --k K, --n N          the code: any K of N fragments rebuild (4, 12)\n"
    "  --segment-size SIZE   plaintext bytes per segment (4M)\n"
    "  --dir DIR             work in DIR (default: a new directory in $TMPDIR)\n"
    "  --keep                keep the work directory\n"
    "  --kdf-ops N, --kdf-mem SIZE  Argon2id costs (default MODERATE)\n"
    "  --help, -h            this text\n"
    "\n"
    "example:\n"
    "  drizzle demo --local --size 16M --k 3 --n 6\n"
    "\n"
    "Exit codes: 0 every step went as it must, 1 one did not (the output says\n"
    "which), 2 bad command line.\n";

struct lose {
	const struct store *st;
	unsigned k;
	uint64_t deleted, corrupted, total;
	uint8_t *buf;
	size_t cap;
	int only_seg0; /* the "one too many" step: delete one more of segment 0 */
};

/* Delete n-k-1 fragments of the segment and corrupt one more, choosing at
 * random but always hitting data fragments so that decoding must work. */
static int
lose_cb(void *arg, uint64_t seg, unsigned n, const uint8_t *names)
{
	struct lose *l = arg;
	unsigned order[256], lost = n - l->k;
	struct dz_errmsg em;
	size_t len;
	int rc;

	if (l->only_seg0) {
		if (seg != 0)
			return 0;
		/* the earlier pass left exactly k intact fragments, so this
		 * deletes all that remain but k-1 */
		for (unsigned i = 0; i < n; i++)
			(void)l->st->ops->del_frag(l->st->ctx, names + 32 * i);
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	/* shuffle, then put fragment 0 first: a data fragment always goes */
	for (unsigned i = n - 1; i > 0; i--) {
		unsigned j = randombytes_uniform(i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	for (unsigned i = 0; i < n; i++)
		if (order[i] == 0) {
			order[i] = order[0];
			order[0] = 0;
		}
	l->total += n;
	for (unsigned i = 0; i < lost; i++) {
		const uint8_t *name = names + 32 * order[i];
		if (i + 1 < lost) {
			(void)l->st->ops->del_frag(l->st->ctx, name);
			l->deleted++;
			continue;
		}
		/* the last one is corrupted, not deleted: one flipped bit */
		rc = l->st->ops->get_frag(l->st->ctx, name, l->buf, l->cap, &len, &em);
		if (rc != 0)
			return rc;
		l->buf[len / 2] ^= 0x10;
		if ((rc = l->st->ops->put_frag(l->st->ctx, name, l->buf, len, &em)) != 0)
			return rc;
		l->corrupted++;
	}
	return 0;
}

int
cli_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
cli_make_random_file(const char *path, uint64_t size, uint8_t digest[32])
{
	crypto_hash_sha256_state h;
	static uint8_t buf[1 << 20];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int rc = 0;

	if (fd < 0)
		return fsio_errno(errno);
	crypto_hash_sha256_init(&h);
	while (size > 0 && rc == 0) {
		size_t n = size < sizeof(buf) ? (size_t)size : sizeof(buf);
		randombytes_buf(buf, n);
		crypto_hash_sha256_update(&h, buf, n);
		rc = fsio_write_all(fd, buf, n);
		size -= n;
	}
	crypto_hash_sha256_final(&h, digest);
	if (close(fd) != 0 && rc == 0)
		rc = fsio_errno(errno);
	return rc;
}

int
cli_hash_file(const char *path, uint8_t digest[32])
{
	crypto_hash_sha256_state h;
	static uint8_t buf[1 << 20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got;
	int rc;

	if (fd < 0)
		return fsio_errno(errno);
	crypto_hash_sha256_init(&h);
	while ((rc = fsio_read_full(fd, buf, sizeof(buf), &got)) == 0 && got > 0)
		crypto_hash_sha256_update(&h, buf, got);
	crypto_hash_sha256_final(&h, digest);
	close(fd);
	return rc;
}

static int
demo_local_main(int argc, char **argv)
{
	struct local_opts o;
	struct dirstore *ds = NULL;
	struct store st;
	struct lose l;
	struct dz_errmsg em = {{0}};
	uint8_t *fk = NULL, id[RECORD_IDBYTES], want[32], got[32];
	char dirbuf[4096], store[4200], in[4200], out[4200], out2[4200], hex[65], h[32];
	char rate[32], rate2[32];
	char *pw = NULL, *tmpl, *dir = NULL;
	uint64_t size = 64ULL << 20, v, n;
	int keep = 0, ex = EXIT_FAIL, rc, fail_ex;
	double t0, t_put, t_get;
	static const struct option longopts[] = {
		{"size", required_argument, NULL, 'Z'},
		{"dir", required_argument, NULL, 'D'},
		{"keep", no_argument, NULL, 'K'},
		{"k", required_argument, NULL, 'k'},
		{"n", required_argument, NULL, 'n'},
		{"segment-size", required_argument, NULL, 'S'},
		{"kdf-ops", required_argument, NULL, 'O'},
		{"kdf-mem", required_argument, NULL, 'M'},
		{"local", no_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	local_opts_init(&o);
	o.quiet = 1;
	optind = 0;
	/* demo's own options; the code and KDF ones are `drizzle local`'s */
	while ((c = cli_getopt(argc, argv, longopts, demo_usage, &ex)) != -1) {
		switch (c) {
		case CLI_OPT_EXIT:
			return ex;
		case 'Z':
			if (cli_parse_size(optarg, &size) != 0) {
				cli_err("--size must be a size such as 64M");
				return EXIT_USAGE;
			}
			break;
		case 'D': dir = optarg; break;
		case 'K': keep = 1; break;
		case 'L': break; /* cmd_demo_main has seen it */
		default:
			if ((ex = local_option(&o, c, optarg)) != 0)
				return ex;
		}
	}
	if (o.xp.k >= o.xp.n) {
		cli_err("--k must be smaller than --n (any k of n fragments rebuild the data)");
		return EXIT_USAGE;
	}
	if (optind < argc) {
		cli_err("demo takes no arguments and makes its own store (try --help)");
		return EXIT_USAGE;
	}
	if (dir == NULL) {
		const char *t = getenv("TMPDIR");
		snprintf(dirbuf, sizeof(dirbuf), "%s/drizzle-demo-XXXXXX", t ? t : "/tmp");
		tmpl = mkdtemp(dirbuf);
		if (tmpl == NULL) {
			cli_err("cannot create a work directory in %s: %s", t ? t : "/tmp",
			    strerror(errno));
			return EXIT_FAIL;
		}
		dir = tmpl;
	} else if (mkdir(dir, 0700) != 0) {
		cli_err("cannot create the work directory %s: %s (it must not exist)",
		    dir, strerror(errno));
		return EXIT_FAIL;
	}
	snprintf(store, sizeof(store), "%s/store", dir);
	snprintf(in, sizeof(in), "%s/original", dir);
	snprintf(out, sizeof(out), "%s/rebuilt", dir);
	snprintf(out2, sizeof(out2), "%s/rebuilt-again", dir);
	o.store = store;
	ex = EXIT_FAIL;

	cli_human(size, h);
	printf("drizzle demo: a %s random file, %u-of-%u code, %u KiB segments, in %s\n",
	    h, o.xp.k, o.xp.n, o.xp.seg_size / 1024, dir);
	if ((rc = cli_make_random_file(in, size, want)) != 0) {
		cli_fail(rc, NULL, "cannot write the demo's input file");
		goto out;
	}
	/* a throwaway password that exists only in locked memory */
	pw = sodium_malloc(33);
	if (pw == NULL)
		goto out;
	for (int i = 0; i < 32; i++)
		pw[i] = (char)('a' + randombytes_uniform(26));
	pw[32] = '\0';
	o.password = pw;

	t0 = cli_now();
	if ((ex = local_init(&o)) != 0 || (ex = local_open(&o, &ds, &fk)) != 0)
		goto out;
	ex = EXIT_FAIL;
	printf("  keys:    master key made, wrapped under an Argon2id key (%llu MiB, %llu passes), unlocked again: %.2f s\n",
	    (unsigned long long)(o.kdf.memlimit >> 20),
	    (unsigned long long)o.kdf.opslimit, cli_now() - t0);

	t0 = cli_now();
	if ((ex = local_put(&o, ds, fk, in, hex, &v)) != 0)
		goto out;
	ex = EXIT_FAIL;
	t_put = cli_now() - t0;
	cli_human_rate(size, t_put, rate);
	printf("  put:     %s in %.2f s (%s), object %.16s...\n", h, t_put, rate, hex);

	st = dirstore_store(ds);
	memset(&l, 0, sizeof(l));
	l.st = &st;
	l.k = o.xp.k;
	l.cap = FRAG_HDRBYTES + frag_payload_len(o.xp.seg_size + 16, o.xp.k);
	l.buf = malloc(l.cap);
	if (l.buf == NULL || hex_decode(hex, id, sizeof(id)) != 0)
		goto out;
	if ((rc = get_walk(&st, fk, id, lose_cb, &l, &em)) != 0) {
		cli_fail(rc, &em, "cannot damage the store");
		goto out;
	}
	n = l.total / o.xp.n;
	printf("  damage:  in each of %llu segments, %u fragments deleted and 1 corrupted (%llu of %llu gone)\n",
	    (unsigned long long)n, o.xp.n - o.xp.k - 1,
	    (unsigned long long)(l.deleted + l.corrupted), (unsigned long long)l.total);

	t0 = cli_now();
	if ((ex = local_get(&o, ds, fk, id, out, &v)) != 0)
		goto out;
	ex = EXIT_FAIL;
	t_get = cli_now() - t0;
	cli_human_rate(size, t_get, rate);
	printf("  get:     %s rebuilt from the survivors in %.2f s (%s)\n", h,
	    t_get, rate);
	if ((rc = cli_hash_file(out, got)) != 0) {
		cli_fail(rc, NULL, "cannot read the rebuilt file");
		goto out;
	}
	if (sodium_memcmp(want, got, 32) != 0) {
		printf("  verify:  MISMATCH: the rebuilt file differs from the original\n");
		ex = EXIT_DAMAGED;
		goto out;
	}
	printf("  verify:  identical to the original (SHA-256 match)\n");

	l.only_seg0 = 1;
	if ((rc = get_walk(&st, fk, id, lose_cb, &l, &em)) != 0) {
		cli_fail(rc, &em, "cannot damage the store");
		goto out;
	}
	fprintf(stderr, "  (the next error is expected:)\n");
	fflush(stdout);
	fail_ex = local_get(&o, ds, fk, id, out2, &v);
	if (fail_ex == EXIT_OK || access(out2, F_OK) == 0) {
		printf("  too few: the get did NOT refuse a segment with fewer than k fragments\n");
		goto out;
	}
	printf("  too few: with segment 0 below %u fragments the get refuses (exit %d) and leaves no output\n",
	    o.xp.k, fail_ex);
	cli_human_rate(size, t_put, rate);
	cli_human_rate(size, t_get, rate2);
	printf("ok: put %s, get %s\n", rate, rate2);
	ex = EXIT_OK;
out:
	if (ex != EXIT_OK)
		printf("demo FAILED\n");
	free(l.buf);
	sodium_free(fk);
	dirstore_close(ds);
	cli_password_free(pw);
	if (!keep)
		nftw(dir, cli_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	else
		printf("kept %s\n", dir);
	return ex;
}

/* `drizzle demo` runs the network demo (cmd_netdemo.c); with --local, the
 * round trip through a local directory store above. */
int
cmd_demo_main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--local") == 0) {
			for (int j = i; j + 1 < argc; j++)
				argv[j] = argv[j + 1];
			return demo_local_main(argc - 1, argv);
		}
	return cmd_netdemo_main(argc, argv);
}
