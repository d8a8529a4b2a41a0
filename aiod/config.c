/* SPDX-License-Identifier: MIT */
/*
 * config.c -- aiod's configuration: the SCO tunables, device specifications
 * (NAME=PATH[,offset=][,size=][,owner=][,group=][,mode=][,ro]
 * [,cache=writethrough|writeback]), the lock table file, the config
 * file that holds them (every error reported with its file and line) and
 * the effective configuration printed back in the file's own syntax.
 * Pure parsing with no side effects beyond user and group look-ups, so
 * that every rule here is unit-tested; opening the devices is backend.c's
 * business, reading the lock table settings.c's.
 */
#include "aiod.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <scoaio/ioctl.h>
#include "common/failmsg.h"

static const struct {
	const char *name;
	size_t offset;
	unsigned dflt, min, max;
} tunable_table[] = {
#define T(n, f, d, lo, hi) { n, offsetof(struct tunables, f), d, lo, hi }
	T("NAIOPROC", naioproc, 256, 1, 65536),
	T("NAIOREQ", naioreq, 4096, 1, 1048576),
	T("NAIOREQPP", naioreqpp, 1024, 1, 1048576),
	T("NAIOBUF", naiobuf, 4096, 1, 1048576),
	T("NAIOLOCKTBL", naiolocktbl, 256, 1, AIO_LKTBL_MAX),
	T("NAIOPROCPU", naioprocpu, 128, 1, 65536),
	T("NAIOREQPU", naioreqpu, 2048, 1, 1048576),
	T("BUSYPOLL", busypoll, 100, 0, 10000),
#undef T
};

#define NTUNABLES (sizeof(tunable_table) / sizeof(tunable_table[0]))

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NTUNABLES; i++)
		*(unsigned *)((char *)&cfg->tun + tunable_table[i].offset) =
			tunable_table[i].dflt;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->ndevices; i++) {
		free(cfg->devices[i].name);
		free(cfg->devices[i].path);
	}
	free(cfg->devices);
	cfg->devices = NULL;
	cfg->ndevices = 0;
	free(cfg->locktable);
	cfg->locktable = NULL;
	free(cfg->locks);
	cfg->locks = NULL;
	cfg->nlocks = 0;
}

/* A whole decimal number with an optional K, M, G or T (binary) suffix. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (toupper((unsigned char)*end)) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int config_set_tunable(struct config *cfg, const char *assignment,
		       char *err, size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	uint64_t v;

	if (!eq)
		return failmsg(err, errlen, "'%s': expected TUNABLE=VALUE",
			       assignment);
	for (size_t i = 0; i < NTUNABLES; i++) {
		size_t n = strlen(tunable_table[i].name);

		if ((size_t)(eq - assignment) != n ||
		    strncasecmp(assignment, tunable_table[i].name, n))
			continue;
		if (parse_size(eq + 1, &v) || v < tunable_table[i].min ||
		    v > tunable_table[i].max)
			return failmsg(err, errlen,
				       "%s: '%s' is not a number from %u to %u",
				       tunable_table[i].name, eq + 1,
				       tunable_table[i].min,
				       tunable_table[i].max);
		*(unsigned *)((char *)&cfg->tun + tunable_table[i].offset) =
			(unsigned)v;
		return 0;
	}
	return failmsg(err, errlen,
		       "unknown tunable '%.*s' (known: NAIOPROC, NAIOREQ, "
		       "NAIOREQPP, NAIOBUF, NAIOLOCKTBL, NAIOPROCPU, "
		       "NAIOREQPU, BUSYPOLL)",
		       (int)(eq - assignment), assignment);
}

int config_check_name(const char *name, char *err, size_t errlen)
{
	const char *p = name;

	if (!*name)
		return failmsg(err, errlen, "empty device name");
	while (*p) {
		const char *start = p;

		while (*p && *p != '/') {
			if (!isalnum((unsigned char)*p) && !strchr("._-+", *p))
				return failmsg(err, errlen,
					       "device name '%s': character "
					       "'%c' not allowed", name, *p);
			p++;
		}
		if (p == start || (p - start == 1 && start[0] == '.') ||
		    (p - start == 2 && start[0] == '.' && start[1] == '.'))
			return failmsg(err, errlen,
				       "device name '%s': empty, '.' or '..' "
				       "component", name);
		if (*p == '/' && !*++p)
			return failmsg(err, errlen,
				       "device name '%s' ends in '/'", name);
	}
	return 0;
}

static int parse_owner(const char *v, uid_t *out)
{
	struct passwd *pw = getpwnam(v);
	uint64_t n;

	if (pw) {
		*out = pw->pw_uid;
		return 0;
	}
	if (parse_size(v, &n) || n >= (uid_t)-1)
		return -1;
	*out = (uid_t)n;
	return 0;
}

static int parse_group(const char *v, gid_t *out)
{
	struct group *gr = getgrnam(v);
	uint64_t n;

	if (gr) {
		*out = gr->gr_gid;
		return 0;
	}
	if (parse_size(v, &n) || n >= (gid_t)-1)
		return -1;
	*out = (gid_t)n;
	return 0;
}

static int parse_device_option(struct device_spec *d, char *opt,
			       char *err, size_t errlen)
{
	char *val = strchr(opt, '=');
	uint64_t n;

	if (!strcmp(opt, "ro")) {
		d->readonly = true;
		return 0;
	}
	if (!val)
		return failmsg(err, errlen, "device option '%s': expected "
			       "KEY=VALUE", opt);
	*val++ = '\0';
	if (!strcmp(opt, "offset") || !strcmp(opt, "size")) {
		if (parse_size(val, &n))
			return failmsg(err, errlen, "device %s: %s '%s' is not "
				       "a byte count", d->name, opt, val);
		if (n % AIO_BLOCK)
			return failmsg(err, errlen, "device %s: %s %s is not a "
				       "multiple of %u", d->name, opt, val,
				       AIO_BLOCK);
		if (!strcmp(opt, "offset"))
			d->offset = n;
		else if (n == 0)
			return failmsg(err, errlen, "device %s: size 0",
				       d->name);
		else
			d->size = n;
	} else if (!strcmp(opt, "owner")) {
		if (parse_owner(val, &d->owner))
			return failmsg(err, errlen, "device %s: unknown user "
				       "'%s'", d->name, val);
	} else if (!strcmp(opt, "group")) {
		if (parse_group(val, &d->group))
			return failmsg(err, errlen, "device %s: unknown group "
				       "'%s'", d->name, val);
	} else if (!strcmp(opt, "mode")) {
		char *end;
		unsigned long m = strtoul(val, &end, 8);

		if (!*val || *end || m > 07777)
			return failmsg(err, errlen, "device %s: mode '%s' is "
				       "not an octal permission", d->name,
				       val);
		d->mode = (mode_t)m;
	} else if (!strcmp(opt, "cache")) {
		if (strcmp(val, "writethrough") && strcmp(val, "writeback"))
			return failmsg(err, errlen, "device %s: cache '%s': "
				       "expected writethrough or writeback",
				       d->name, val);
		d->writeback = !strcmp(val, "writeback");
	} else {
		return failmsg(err, errlen, "device %s: unknown option '%s' "
			       "(known: offset, size, owner, group, mode, "
			       "cache, ro)",
			       d->name, opt);
	}
	return 0;
}

int config_add_device(struct config *cfg, const char *spec,
		      char *err, size_t errlen)
{
	struct device_spec d = { .mode = 0660 };
	char *copy = strdup(spec), *eq, *opts, *opt;
	struct device_spec *grown;
	int rc = -1;

	if (!copy)
		return failmsg(err, errlen, "out of memory");
	eq = strchr(copy, '=');
	if (!eq) {
		failmsg(err, errlen,
			"device '%s': expected NAME=PATH[,option...]", spec);
		goto out;
	}
	*eq = '\0';
	if (config_check_name(copy, err, errlen))
		goto out;
	d.name = copy;
	if (parse_group("disk", &d.group))
		d.group = 0;
	opts = strchr(eq + 1, ',');
	if (opts)
		*opts++ = '\0';
	if (!eq[1]) {
		failmsg(err, errlen, "device %s: empty path", copy);
		goto out;
	}
	while (opts && (opt = strsep(&opts, ",")))
		if (parse_device_option(&d, opt, err, errlen))
			goto out;
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (!strcmp(cfg->devices[i].name, d.name)) {
			failmsg(err, errlen, "device %s is given twice",
				d.name);
			goto out;
		}
	grown = realloc(cfg->devices, (cfg->ndevices + 1) * sizeof(*grown));
	d.name = strdup(copy);
	d.path = strdup(eq + 1);
	if (!grown || !d.name || !d.path) {
		free(d.name);
		free(d.path);
		if (grown)
			cfg->devices = grown;
		failmsg(err, errlen, "out of memory");
		goto out;
	}
	cfg->devices = grown;
	cfg->devices[cfg->ndevices++] = d;
	rc = 0;
out:
	free(copy);
	return rc;
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Lines: blank, "# comment", "TUNABLE = VALUE", "device SPEC" or
 * "locktable FILE".  Every line is read; each error goes to report(). */
int config_read_file(struct config *cfg, const char *path,
		     void (*report)(void *ctx, const char *msg), void *ctx)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, why[256], msg[600];
	size_t cap = 0;
	unsigned lineno = 0;
	int errors = 0;

	if (!f) {
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
		report(ctx, msg);
		return 1;
	}
	while (getline(&line, &cap, f) != -1) {
		char *s = trim(line);
		int rc;

		lineno++;
		if (!*s || *s == '#')
			continue;
		if (!strncmp(s, "device", 6) && isspace((unsigned char)s[6])) {
			rc = config_add_device(cfg, trim(s + 6), why,
					       sizeof(why));
			if (!rc)
				cfg->devices[cfg->ndevices - 1].line = lineno;
		} else if (!strncmp(s, "locktable", 9) &&
			   isspace((unsigned char)s[9])) {
			rc = config_set_locktable(cfg, trim(s + 9), why,
						  sizeof(why));
		} else {
			char *eq = strchr(s, '='), assignment[128];

			if (!eq) {
				rc = failmsg(why, sizeof(why), "expected "
					     "TUNABLE = VALUE, device SPEC or "
					     "locktable FILE");
			} else {
				*eq = '\0';
				snprintf(assignment, sizeof(assignment),
					 "%s=%s", trim(s), trim(eq + 1));
				rc = config_set_tunable(cfg, assignment, why,
							sizeof(why));
			}
		}
		if (rc) {
			snprintf(msg, sizeof(msg), "%s:%u: %s", path, lineno,
				 why);
			report(ctx, msg);
			errors++;
		}
	}
	if (ferror(f)) {
		snprintf(msg, sizeof(msg), "%s: %s", path, strerror(errno));
		report(ctx, msg);
		errors++;
	}
	free(line);
	fclose(f);
	return errors;
}

struct first_error {
	char *err;
	size_t errlen;
	bool seen;
};

static void keep_first(void *ctx, const char *msg)
{
	struct first_error *fe = ctx;

	if (!fe->seen)
		failmsg(fe->err, fe->errlen, "%s", msg);
	fe->seen = true;
}

int config_load_file(struct config *cfg, const char *path,
		     char *err, size_t errlen)
{
	struct first_error fe = { err, errlen, false };

	return config_read_file(cfg, path, keep_first, &fe) ? -1 : 0;
}

int config_set_locktable(struct config *cfg, const char *path,
			 char *err, size_t errlen)
{
	char *copy;

	if (*path != '/')
		return failmsg(err, errlen, "locktable '%s': expected an "
			       "absolute path", path);
	copy = strdup(path);
	if (!copy)
		return failmsg(err, errlen, "out of memory");
	free(cfg->locktable);
	cfg->locktable = copy;
	return 0;
}

const char *config_locktable(const struct config *cfg)
{
	return cfg->locktable ? cfg->locktable : CONFIG_DEFAULT_LOCKTABLE;
}

static void dump_id(FILE *out, const char *key, const char *name,
		    unsigned id)
{
	if (name)
		fprintf(out, ",%s=%s", key, name);
	else
		fprintf(out, ",%s=%u", key, id);
}

/* A name that parse_owner()/parse_group() map back to the same id. */
static const char *user_name(uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	uid_t back;

	return pw && !parse_owner(pw->pw_name, &back) && back == uid ?
	       pw->pw_name : NULL;
}

static const char *group_name(gid_t gid)
{
	struct group *gr = getgrgid(gid);
	gid_t back;

	return gr && !parse_group(gr->gr_name, &back) && back == gid ?
	       gr->gr_name : NULL;
}

void config_dump(const struct config *cfg, FILE *out)
{
	fprintf(out, "# aiod configuration (aiod --dump-config): the file "
		"and the command line together\n");
	for (size_t i = 0; i < NTUNABLES; i++)
		fprintf(out, "%s = %u\n", tunable_table[i].name,
			*(const unsigned *)((const char *)&cfg->tun +
					    tunable_table[i].offset));
	fprintf(out, "locktable %s\n", config_locktable(cfg));
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct device_spec *d = &cfg->devices[i];

		fprintf(out, "device %s=%s,offset=%llu", d->name, d->path,
			(unsigned long long)d->offset);
		if (d->size)
			fprintf(out, ",size=%llu", (unsigned long long)d->size);
		dump_id(out, "owner", user_name(d->owner), (unsigned)d->owner);
		dump_id(out, "group", group_name(d->group), (unsigned)d->group);
		fprintf(out, ",mode=%04o%s,cache=%s\n", (unsigned)d->mode,
			d->readonly ? ",ro" : "",
			d->writeback ? "writeback" : "writethrough");
	}
}
