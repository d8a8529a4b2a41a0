/* SPDX-License-Identifier: MIT */
/*
 * settings.c -- aiod's effective configuration, read the same way at
 * start-up, by aiod -t and --dump-config, and on a reload (SIGHUP): the
 * config file (-c FILE, or CONFIG_DEFAULT_FILE when it exists: a missing
 * default is no error, a missing -c FILE is), then the command line's -o
 * and --device over it, then the lock table file the result names
 * (aiomemlock.conf(5); likewise the default may be absent, a configured
 * one may not).  Every error is reported, one line each naming the file
 * and line (or the option); a device's path must exist as a block device
 * or regular file, but nothing here opens a partition or changes the
 * running daemon.
 */
#include "aiod.h"
#include "aiolkinit/memlock_conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct reporter {
	void (*report)(void *ctx, const char *msg);
	void *ctx;
	int errors;
};

static void say(struct reporter *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void say(struct reporter *r, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->report(r->ctx, msg);
	r->errors++;
}

static void warn_lock_line(const char *msg)
{
	log_warn("%s", msg);
}

static void read_locktable(struct config *cfg, struct reporter *r)
{
	const char *path = config_locktable(cfg);
	struct memlock_entry *entries;
	char err[512];
	size_t n;
	FILE *f = fopen(path, "re");

	if (!f) {
		if (errno == ENOENT && !cfg->locktable)
			return;		/* no default table: root only */
		say(r, "lock table %s: %s", path, strerror(errno));
		return;
	}
	if (memlock_conf_parse(f, path, &entries, &n, warn_lock_line, err,
			       sizeof(err))) {
		fclose(f);
		say(r, "%s", err);
		return;
	}
	fclose(f);
	if (n > cfg->tun.naiolocktbl) {
		say(r, "%s lists %zu users; NAIOLOCKTBL is %u", path, n,
		    cfg->tun.naiolocktbl);
		free(entries);
		return;
	}
	cfg->locks = calloc(n ? n : 1, sizeof(*cfg->locks));
	if (!cfg->locks) {
		free(entries);
		say(r, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		cfg->locks[i] = (struct lock_entry){ entries[i].uid,
						     entries[i].bytes };
	cfg->nlocks = n;
	free(entries);
}

static void check_paths(const struct config *cfg, const char *file,
			struct reporter *r)
{
	for (size_t i = 0; i < cfg->ndevices; i++) {
		const struct device_spec *d = &cfg->devices[i];
		char where[600];
		struct stat st;

		if (d->line)
			snprintf(where, sizeof(where), "%s:%u: device %s", file,
				 d->line, d->name);
		else
			snprintf(where, sizeof(where), "--device %s", d->name);
		if (stat(d->path, &st))
			say(r, "%s: %s: %s", where, d->path, strerror(errno));
		else if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
			say(r, "%s: %s is neither a block device nor a regular "
			    "file", where, d->path);
	}
}

static void count_error(void *ctx, const char *msg)
{
	struct reporter *r = ctx;

	r->report(r->ctx, msg);
	r->errors++;
}

const char *settings_file(const struct settings_source *src)
{
	return src->file ? src->file : CONFIG_DEFAULT_FILE;
}

int settings_read(const struct settings_source *src, struct config *cfg,
		  void (*report)(void *ctx, const char *msg), void *ctx)
{
	struct reporter r = { report, ctx, 0 };
	const char *file = settings_file(src);
	char err[512];
	struct stat st;

	config_init(cfg);
	if (src->file || stat(file, &st) == 0 || errno != ENOENT)
		config_read_file(cfg, file, count_error, &r);
	for (size_t i = 0; i < src->ntunables; i++)
		if (config_set_tunable(cfg, src->tunables[i], err,
				       sizeof(err)))
			say(&r, "-o %s", err);
	for (size_t i = 0; i < src->ndevices; i++)
		if (config_add_device(cfg, src->devices[i], err, sizeof(err)))
			say(&r, "--device: %s", err);
	if (cfg->ndevices == 0 && !r.errors)
		say(&r, "no devices to serve: give --device NAME=PATH or "
		    "'device' lines in %s (see aiod(8))", file);
	check_paths(cfg, file, &r);
	read_locktable(cfg, &r);
	return r.errors;
}
