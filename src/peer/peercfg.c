/*
 * peercfg: parse, check and write the peer's config file (peercfg.h).
 */
#include "peer/peercfg.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsio.h"
#include "core/size.h"

static const char *const names[PEERCFG_NKEYS] = {
	[PEERCFG_CAPACITY] = "capacity",
	[PEERCFG_MAX_UPLOAD] = "max-upload",
	[PEERCFG_MAX_DOWNLOAD] = "max-download",
};

const char *
peercfg_name(enum peercfg_key key)
{
	return key < PEERCFG_NKEYS ? names[key] : "?";
}

int
peercfg_lookup(const char *name)
{
	for (int k = 0; k < PEERCFG_NKEYS; k++)
		if (strcmp(name, names[k]) == 0)
			return k;
	return -1;
}

int
peercfg_value(enum peercfg_key key, const char *text, uint64_t *out,
    struct dz_errmsg *em)
{
	uint64_t v;

	if (size_parse(text, &v) != 0)
		return dz_errf(em, DZ_EINVAL, "%s must be %s, not '%.64s'",
		    peercfg_name(key), key == PEERCFG_CAPACITY ?
		    "a size such as 64M or 1G" :
		    "bytes per second such as 10M (0: unlimited)", text);
	if (key == PEERCFG_CAPACITY && v == 0)
		return dz_errf(em, DZ_EINVAL, "capacity must be at least 1 byte");
	if (key != PEERCFG_CAPACITY && v != 0 && v < PEERCFG_RATE_MIN)
		return dz_errf(em, DZ_EINVAL, "%s must be 0 (unlimited) or at "
		    "least 64K a second, not '%.64s'", peercfg_name(key), text);
	*out = v;
	return 0;
}

/* One line (NUL-terminated, no newline) into out. */
static int
parse_line(char *line, unsigned lineno, struct peercfg *out,
    struct dz_errmsg *em)
{
	struct dz_errmsg vem = {{0}};
	char *key, *val, *extra, *save = NULL;
	uint64_t v;
	int k;

	key = strtok_r(line, " \t\r", &save);
	if (key == NULL || key[0] == '#')
		return 0;
	val = strtok_r(NULL, " \t\r", &save);
	extra = strtok_r(NULL, " \t\r", &save);
	if ((k = peercfg_lookup(key)) < 0)
		return dz_errf(em, DZ_EFORMAT, "line %u: unknown key '%.64s' (keys: "
		    "capacity, max-upload, max-download)", lineno, key);
	if (val == NULL || extra != NULL)
		return dz_errf(em, DZ_EFORMAT, "line %u: expected `%s VALUE`",
		    lineno, key);
	if (out->set & (1u << k))
		return dz_errf(em, DZ_EFORMAT, "line %u: %s given twice", lineno, key);
	if (peercfg_value((enum peercfg_key)k, val, &v, &vem) != 0)
		return dz_errf(em, DZ_EFORMAT, "line %u: %s", lineno, vem.text);
	out->v[k] = v;
	out->set |= 1u << k;
	return 0;
}

int
peercfg_parse(const char *text, size_t len, struct peercfg *out,
    struct dz_errmsg *em)
{
	char line[256];
	size_t i = 0, n;
	unsigned lineno = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);

		n = (nl != NULL ? (size_t)(nl - text) : len) - i;
		lineno++;
		if (n >= sizeof(line))
			return dz_errf(em, DZ_EFORMAT, "line %u: longer than %zu bytes",
			    lineno, sizeof(line) - 1);
		if (memchr(text + i, '\0', n) != NULL)
			return dz_errf(em, DZ_EFORMAT, "line %u: a NUL byte", lineno);
		memcpy(line, text + i, n);
		line[n] = '\0';
		if ((rc = parse_line(line, lineno, out, em)) != 0)
			return rc;
		i += n + 1;
	}
	return 0;
}

static char *
path_of(const char *dir)
{
	size_t n = strlen(dir) + sizeof("/" PEERCFG_FILE);
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, PEERCFG_FILE);
	return p;
}

int
peercfg_load(const char *dir, struct peercfg *out, struct dz_errmsg *em)
{
	struct dz_errmsg pem = {{0}};
	uint8_t buf[PEERCFG_FILE_MAX];
	char *path = path_of(dir);
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (path == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	rc = fsio_read_file(AT_FDCWD, path, buf, sizeof(buf), &len, &pem);
	if (rc == DZ_ENOENT) {
		rc = 0;
	} else if (rc == DZ_ERANGE) {
		rc = dz_errf(em, rc, "%s: larger than %u bytes", path, PEERCFG_FILE_MAX);
	} else if (rc != 0) {
		rc = dz_errf(em, rc, "%s", pem.text[0] ? pem.text : dz_strerror(rc));
	} else if ((rc = peercfg_parse((const char *)buf, len, out, &pem)) != 0) {
		memset(out, 0, sizeof(*out));
		rc = dz_errf(em, rc, "%s: %s", path, pem.text);
	}
	free(path);
	return rc;
}

int
peercfg_save(const char *dir, const struct peercfg *cfg, struct dz_errmsg *em)
{
	char text[PEERCFG_FILE_MAX], num[SIZE_STRMAX], *path = path_of(dir);
	size_t n;
	int rc, w;

	if (path == NULL)
		return dz_errf(em, DZ_ENOMEM, "out of memory");
	n = (size_t)snprintf(text, sizeof(text), "# drizzle peer settings "
	    "(docs/formats.md); written by `drizzle config`\n");
	for (int k = 0; k < PEERCFG_NKEYS; k++) {
		if (!(cfg->set & (1u << k)))
			continue;
		w = snprintf(text + n, sizeof(text) - n, "%s %s\n", names[k],
		    size_format(cfg->v[k], num, sizeof(num)));
		n += (size_t)w;
	}
	rc = fsio_write_durable(AT_FDCWD, path, (const uint8_t *)text, n, 0, 0644, em);
	free(path);
	return rc;
}
