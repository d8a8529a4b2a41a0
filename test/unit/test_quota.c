/* SPDX-License-Identifier: MIT */
/*
 * test_quota.c -- unit tests of quota.c: a user other than root holds at
 * most its share of processes and request slots, users other than root
 * together leave an eighth of each limit to root, root is bound by the
 * limits alone, and what is given back can be taken again.
 */
#include "unit.h"
#include "aiod/aiod.h"

#include <errno.h>

static const struct tunables limits = {
	.naioproc = 16, .naioreq = 64, .naioreqpp = 64, .naiobuf = 64,
	.naiolocktbl = 4, .naioprocpu = 6, .naioreqpu = 40,
};

static void setup(void) { ck_assert_int_eq(quota_init(&limits), 0); }
static void teardown(void) { quota_shutdown(); }

/* How many more requests uid gets before EAGAIN. */
static unsigned take_requests(uid_t uid)
{
	unsigned n = 0;

	while (quota_take_request(uid) == 0)
		n++;
	return n;
}

START_TEST(user_share_then_others_then_root)
{
	ck_assert_uint_eq(take_requests(1000), 40);	/* NAIOREQPU */
	ck_assert_uint_eq(take_requests(1001), 16);	/* 64 - 64/8 - 40 */
	ck_assert_uint_eq(take_requests(1002), 0);
	ck_assert_uint_eq(take_requests(0), 8);		/* root's eighth */
	quota_put_request(1000);
	ck_assert_uint_eq(take_requests(1002), 1);	/* the one 1000 freed */
	quota_put_request(0);
	quota_put_request(0);
	ck_assert_uint_eq(take_requests(1002), 0);	/* root's, not theirs */
	ck_assert_uint_eq(take_requests(0), 2);
}
END_TEST

START_TEST(root_alone_gets_everything)
{
	ck_assert_uint_eq(take_requests(0), 64);
	ck_assert_int_eq(quota_take_request(1000), EAGAIN);
}
END_TEST

START_TEST(processes_shared_alike)
{
	unsigned n = 0;

	while (quota_take_process(1000) == 0)
		n++;
	ck_assert_uint_eq(n, 6);			/* NAIOPROCPU */
	for (uid_t u = 2000; u < 2010; u++)
		if (quota_take_process(u) == 0)
			n++;
	ck_assert_uint_eq(n, 14);			/* 16 - 16/8 */
	ck_assert_int_eq(quota_take_process(0), 0);
	ck_assert_int_eq(quota_take_process(0), 0);
	ck_assert_int_eq(quota_take_process(0), EAGAIN);	/* NAIOPROC */
	quota_put_process(1000);
	ck_assert_int_eq(quota_take_process(1000), 0);
}
END_TEST

Suite *quota_suite(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("quota");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, user_share_then_others_then_root);
	tcase_add_test(tc, root_alone_gets_everything);
	tcase_add_test(tc, processes_shared_alike);
	suite_add_tcase(s, tc);
	return s;
}
