/* SPDX-License-Identifier: MIT */
/*
 * statq.c -- the status queue of statq.h: a ring that grows by doubling;
 * libasync reserves room for a request's status before submitting it, so
 * that no completion is ever dropped for want of memory.
 */
#include "statq.h"

#include <errno.h>
#include <stdlib.h>

int statq_reserve(struct statq *q, size_t n)
{
	size_t cap = q->cap ? q->cap : 16;
	struct statq_entry *v;

	if (n <= q->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	v = malloc(cap * sizeof(*v));
	if (!v)
		return ENOMEM;
	for (size_t i = 0; i < q->len; i++)
		v[i] = q->v[(q->head + i) % q->cap];
	free(q->v);
	q->v = v;
	q->cap = cap;
	q->head = 0;
	return 0;
}

int statq_push(struct statq *q, const struct status *st, bool direct)
{
	if (q->len == q->cap && statq_reserve(q, q->len + 1))
		return ENOMEM;
	q->v[(q->head + q->len) % q->cap] = (struct statq_entry){ *st, direct };
	q->len++;
	return 0;
}

size_t statq_peek(const struct statq *q, struct statq_entry *out, size_t max)
{
	size_t n = q->len < max ? q->len : max;

	for (size_t i = 0; i < n; i++)
		out[i] = q->v[(q->head + i) % q->cap];
	return n;
}

void statq_drop(struct statq *q, size_t n)
{
	q->head = q->cap ? (q->head + n) % q->cap : 0;
	q->len -= n;
}

void statq_free(struct statq *q)
{
	free(q->v);
	*q = (struct statq)STATQ_INIT;
}
