/* SPDX-License-Identifier: MIT */
/*
 * test_statq.c -- unit tests of libasync's status queue (statq.c), where
 * the direct path merges its completions with those the ioctl path
 * returned: order kept across both, at most what was asked for per take,
 * nothing lost when the queue grows past its first size or when a take
 * is not committed (peek without drop), each entry's path kept, and no
 * allocation for pushes a reserve covered.
 */
#include "unit.h"
#include "libasync/statq.h"

#include <sys/async.h>

static struct status st(unsigned ref)
{
	return (struct status){ 0, 512, 0x1000 * ref, ref };
}

START_TEST(merged_in_arrival_order)
{
	struct statq q = STATQ_INIT;
	struct statq_entry e[MAXSTATUS];
	unsigned next = 0;
	size_t n;

	/* 40 completions alternating in runs between the two paths. */
	for (unsigned i = 0; i < 40; i++) {
		struct status s = st(i);

		ck_assert_int_eq(statq_push(&q, &s, (i / 3) % 2 == 0), 0);
	}
	while ((n = statq_peek(&q, e, MAXSTATUS))) {
		ck_assert_uint_le(n, MAXSTATUS);
		for (size_t k = 0; k < n; k++, next++) {
			ck_assert_uint_eq(e[k].st.ioref, next);
			ck_assert(e[k].direct == ((next / 3) % 2 == 0));
		}
		statq_drop(&q, n);
	}
	ck_assert_uint_eq(next, 40);
	statq_free(&q);
}
END_TEST

/* A take that could not be delivered (the caller's array unwritable)
 * leaves everything queued; pushes between takes wrap the ring. */
START_TEST(peek_without_drop_keeps_all)
{
	struct statq q = STATQ_INIT;
	struct statq_entry e[MAXSTATUS];
	unsigned pushed = 0, taken = 0;

	for (int round = 0; round < 50; round++) {
		for (int k = 0; k < 7; k++) {
			struct status s = st(pushed++);

			ck_assert_int_eq(statq_push(&q, &s, true), 0);
		}
		ck_assert_uint_eq(statq_peek(&q, e, MAXSTATUS),
				  q.len < MAXSTATUS ? q.len : MAXSTATUS);
		ck_assert_uint_eq(e[0].st.ioref, taken);
		if (round % 3 == 0)
			continue;	/* not delivered */
		size_t n = statq_peek(&q, e, 5);

		statq_drop(&q, n);
		taken += (unsigned)n;
	}
	ck_assert_uint_eq(q.len, pushed - taken);
	statq_free(&q);
	ck_assert_uint_eq(q.len, 0);
	ck_assert_uint_eq(statq_peek(&q, e, MAXSTATUS), 0);
}
END_TEST

/* After a reserve, pushes up to the reserved count never need memory:
 * the ring does not move. */
START_TEST(reserve_covers_pushes)
{
	struct statq q = STATQ_INIT;
	struct statq_entry e[MAXSTATUS];
	struct statq_entry *ring;

	ck_assert_int_eq(statq_reserve(&q, 100), 0);
	ring = q.v;
	ck_assert_uint_ge(q.cap, 100);
	for (unsigned i = 0; i < 100; i++) {
		struct status s = st(i);

		ck_assert_int_eq(statq_push(&q, &s, i % 2), 0);
	}
	ck_assert_ptr_eq(q.v, ring);
	ck_assert_int_eq(statq_reserve(&q, 50), 0);	/* already enough */
	ck_assert_ptr_eq(q.v, ring);
	ck_assert_uint_eq(statq_peek(&q, e, MAXSTATUS), MAXSTATUS);
	ck_assert_uint_eq(e[MAXSTATUS - 1].st.ioref, MAXSTATUS - 1);
	statq_free(&q);
}
END_TEST

Suite *statq_suite(void)
{
	Suite *s = suite_create("statq");
	TCase *tc = tcase_create("merge");

	tcase_add_test(tc, merged_in_arrival_order);
	tcase_add_test(tc, peek_without_drop_keeps_all);
	tcase_add_test(tc, reserve_covers_pushes);
	suite_add_tcase(s, tc);
	return s;
}
