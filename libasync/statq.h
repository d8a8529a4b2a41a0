/* SPDX-License-Identifier: MIT */
/*
 * statq.h -- a first-in first-out queue of completed aio(M) statuses, one
 * per open file in libasync's direct path, into which completions of both
 * paths (libaio events of the direct path, and statuses the daemon
 * returned for requests sent through the ioctl path while aiotrace ran)
 * are merged in the order libasync saw them.  Pure: no system calls, no
 * locking (the caller holds libasync's lock); unit-tested in
 * test/unit/test_statq.c.
 */
#ifndef LIBASYNC_STATQ_H
#define LIBASYNC_STATQ_H

#include <stdbool.h>
#include <stddef.h>
#include "aiod/rules.h"

struct statq_entry {
	struct status st;
	bool direct;		/* holds a direct-path credit */
};

struct statq {
	struct statq_entry *v;
	size_t cap, head, len;
};

#define STATQ_INIT { NULL, 0, 0, 0 }

/* Make room for n entries in all: 0, or ENOMEM (nothing changes). */
int statq_reserve(struct statq *q, size_t n)
	__attribute__((visibility("hidden")));
/* Append one: 0, or ENOMEM (nothing changes; never after a reserve that
 * covers it). */
int statq_push(struct statq *q, const struct status *st, bool direct)
	__attribute__((visibility("hidden")));
/* Copy the first up to max entries into out, oldest first, leaving them
 * queued; returns how many. */
size_t statq_peek(const struct statq *q, struct statq_entry *out, size_t max)
	__attribute__((visibility("hidden")));
/* Remove the first n (n <= len). */
void statq_drop(struct statq *q, size_t n)
	__attribute__((visibility("hidden")));
void statq_free(struct statq *q) __attribute__((visibility("hidden")));

#endif
