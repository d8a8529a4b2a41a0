/* SPDX-License-Identifier: MIT */
/*
 * memlock_conf.h -- the parser of aiomemlock.conf(5), SCO's aiomemlock(F)
 * format, used by aiolkinit(8) and its unit tests.
 */
#ifndef MEMLOCK_CONF_H
#define MEMLOCK_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct memlock_entry {
	uid_t uid;
	uint64_t bytes;		/* 0: this user may not lock */
};

/* Parse f (named path in messages).  Returns 0 with *out (malloc'd, one
 * entry per user, a later line overriding an earlier one) and *n, or -1
 * with "path:line: reason" in err.  Unknown users are passed to warn
 * ("path:line: ...") and skipped. */
int memlock_conf_parse(FILE *f, const char *path, struct memlock_entry **out,
		       size_t *n, void (*warn)(const char *msg),
		       char *err, size_t errlen);

#endif
