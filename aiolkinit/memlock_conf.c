/* SPDX-License-Identifier: MIT */
/*
 * memlock_conf.c -- parses aiomemlock.conf(5): one "name amount" line per
 * user (login name, bytes all of that user's processes together may lock
 * for AIO; 0 disables), '#' comment lines and blank lines.  A later line for
 * a user overrides an earlier one; a malformed line is an error naming the
 * file and line; an unknown user is a warning and is skipped.
 */
#include "memlock_conf.h"
#include "common/failmsg.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

static int parse_amount(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static int add(struct memlock_entry **out, size_t *n, uid_t uid,
	       uint64_t bytes)
{
	struct memlock_entry *grown;

	for (size_t i = 0; i < *n; i++)
		if ((*out)[i].uid == uid) {
			(*out)[i].bytes = bytes;
			return 0;
		}
	grown = realloc(*out, (*n + 1) * sizeof(**out));
	if (!grown)
		return -1;
	grown[(*n)++] = (struct memlock_entry){ uid, bytes };
	*out = grown;
	return 0;
}

int memlock_conf_parse(FILE *f, const char *path, struct memlock_entry **out,
		       size_t *n, void (*warn)(const char *msg),
		       char *err, size_t errlen)
{
	char *line = NULL, msg[512];
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;

	*out = NULL;
	*n = 0;
	while (rc == 0 && getline(&line, &cap, f) != -1) {
		char *name, *amount, *extra, *save;
		struct passwd *pw;
		uint64_t bytes;

		lineno++;
		name = strtok_r(line, " \t\r\n", &save);
		if (!name || *name == '#')
			continue;
		amount = strtok_r(NULL, " \t\r\n", &save);
		extra = strtok_r(NULL, " \t\r\n", &save);
		if (!amount)
			rc = failmsg(err, errlen, "%s:%u: '%s' has no amount "
				     "(expected: name bytes)", path, lineno,
				     name);
		else if (extra)
			rc = failmsg(err, errlen, "%s:%u: unexpected '%s' "
				     "after the amount", path, lineno, extra);
		else if (parse_amount(amount, &bytes))
			rc = failmsg(err, errlen, "%s:%u: amount '%s' is not a "
				     "number of bytes", path, lineno, amount);
		else if (!(pw = getpwnam(name))) {
			snprintf(msg, sizeof(msg), "%s:%u: unknown user '%s', "
				 "line skipped", path, lineno, name);
			warn(msg);
		} else if (add(out, n, pw->pw_uid, bytes)) {
			rc = failmsg(err, errlen, "out of memory");
		}
	}
	if (rc == 0 && ferror(f))
		rc = failmsg(err, errlen, "%s: %s", path, strerror(errno));
	free(line);
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}
