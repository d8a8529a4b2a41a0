/* SPDX-License-Identifier: MIT */
/*
 * test_rules.c -- unit tests of rules.c: each DKIOCASTRT rule of aio(M)
 * (command, size, alignment, page crossing, locked region, partition
 * bounds, the file's open mode) with the errno the caller must see,
 * table-driven; DKIOCMLOCK's one region per process; DKIOCASTAT's batch.
 */
#include "unit.h"
#include "aiod/rules.h"

#include <errno.h>
#include <sys/async.h>

#define PART (1024u * 512u)	/* a 1024-block partition */
#define PAGE 0x7f0000010000ull

static const struct {
	const char *what;
	struct request_args rq;
	bool locked;
	int expect;
} cases[] = {
	{ "plain read", { AU_READ, 0, PAGE, 512, 0 }, false, 0 },
	{ "plain write", { AU_WRITE, 5, PAGE + 512, 1024, 0 }, false, 0 },
	{ "full page", { AU_READ, 0, PAGE, 4096, 0 }, false, 0 },
	{ "page tail", { AU_READ, 0, PAGE + 3584, 512, 0 }, false, 0 },
	{ "last block", { AU_READ, 1023, PAGE, 512, 0 }, false, 0 },
	{ "last 8 blocks", { AU_WRITE, 1016, PAGE, 4096, 0 }, false, 0 },
	{ "cmd 0", { 0, 0, PAGE, 512, 0 }, false, EINVAL },
	{ "cmd 3 (both bits)", { 3, 0, PAGE, 512, 0 }, false, EINVAL },
	{ "cmd 4", { 4, 0, PAGE, 512, 0 }, false, EINVAL },
	{ "cmd -1", { -1, 0, PAGE, 512, 0 }, false, EINVAL },
	{ "size 0", { AU_READ, 0, PAGE, 0, 0 }, false, EINVAL },
	{ "size negative", { AU_READ, 0, PAGE, -512, 0 }, false, EINVAL },
	{ "size 511", { AU_READ, 0, PAGE, 511, 0 }, false, EINVAL },
	{ "size 513", { AU_READ, 0, PAGE, 513, 0 }, false, EINVAL },
	{ "size over a page", { AU_READ, 0, PAGE, 8192, 0 }, false, EINVAL },
	{ "maddr odd", { AU_READ, 0, PAGE + 1, 512, 0 }, false, EINVAL },
	{ "maddr 256", { AU_READ, 0, PAGE + 256, 512, 0 }, false, EINVAL },
	{ "crosses page", { AU_READ, 0, PAGE + 3584, 1024, 0 }, false, EINVAL },
	{ "daddr negative", { AU_READ, -1, PAGE, 512, 0 }, false, ENXIO },
	{ "daddr at end", { AU_READ, 1024, PAGE, 512, 0 }, false, ENXIO },
	{ "runs past end", { AU_READ, 1023, PAGE, 1024, 0 }, false, ENXIO },
	{ "daddr huge", { AU_READ, INT64_MAX / 512, PAGE, 512, 0 }, false,
	  ENXIO },
	{ "inside lock", { AU_READ, 0, PAGE + 4096, 4096, 0 }, true, 0 },
	{ "lock tail", { AU_READ, 0, PAGE + 12288, 4096, 0 }, true, 0 },
	{ "below lock", { AU_READ, 0, PAGE, 512, 0 }, true, EINVAL },
	{ "above lock", { AU_READ, 0, PAGE + 16384, 512, 0 }, true, EINVAL },
	{ "overlaps lock end", { AU_READ, 0, PAGE + 15872, 1024, 0 }, true,
	  EINVAL },
	{ "alignment before bounds", { AU_READ, -1, PAGE + 1, 512, 0 }, false,
	  EINVAL },
};

static const struct aio_target partition = { PART, true, true };

START_TEST(rule)
{
	/* Lock held on [PAGE + 4096, PAGE + 16384). */
	struct aio_region locked = { PAGE + 4096, 12288, true };
	struct aio_region unlocked = { PAGE + 4096, 12288, false };

	ck_assert_msg(rules_check_request(&cases[_i].rq,
					  cases[_i].locked ? &locked
							   : &unlocked,
					  &partition) == cases[_i].expect,
		      "%s: expected %d", cases[_i].what, cases[_i].expect);
}
END_TEST

START_TEST(declared_but_not_held_lock_allows_anywhere)
{
	struct aio_region r = { PAGE + 4096, 4096, false };
	struct request_args rq = { AU_WRITE, 0, PAGE, 512, 0 };

	ck_assert_int_eq(rules_check_request(&rq, &r, &partition), 0);
}
END_TEST

/* A direction the file was not opened for is EBADF, after every argument
 * rule: a bad request on a read-only file is still EINVAL or ENXIO. */
START_TEST(open_mode_checked_last)
{
	static const struct aio_region none;
	struct aio_target ronly = { PART, true, false };
	struct aio_target wonly = { PART, false, true };
	struct request_args wr = { AU_WRITE, 0, PAGE, 512, 0 };
	struct request_args rd = { AU_READ, 0, PAGE, 512, 0 };
	struct request_args bad = { AU_WRITE, 0, PAGE + 1, 512, 0 };
	struct request_args past = { AU_WRITE, 1024, PAGE, 512, 0 };

	ck_assert_int_eq(rules_check_request(&wr, &none, &ronly), EBADF);
	ck_assert_int_eq(rules_check_request(&rd, &none, &wonly), EBADF);
	ck_assert_int_eq(rules_check_request(&rd, &none, &ronly), 0);
	ck_assert_int_eq(rules_check_request(&bad, &none, &ronly), EINVAL);
	ck_assert_int_eq(rules_check_request(&past, &none, &ronly), ENXIO);
}
END_TEST

START_TEST(mlock_one_region_per_process)
{
	static const struct aio_region none;
	struct aio_region has = { PAGE, 8192, true };
	struct mlock_args same = { PAGE, 8192 }, other = { PAGE, 4096 };
	struct mlock_args zero = { PAGE, 0 }, wraps = { UINT64_MAX - 4095,
							8192 };
	enum rules_mlock_action a;

	ck_assert_int_eq(rules_check_mlock(&same, &none, &a), 0);
	ck_assert_int_eq(a, RULES_MLOCK_NEW);
	ck_assert_int_eq(rules_check_mlock(&same, &has, &a), 0);
	ck_assert_int_eq(a, RULES_MLOCK_DECLARE);
	ck_assert_int_eq(rules_check_mlock(&other, &has, &a), EINVAL);
	ck_assert_int_eq(rules_check_mlock(&zero, &has, &a), 0);
	ck_assert_int_eq(a, RULES_MLOCK_NOTHING);
	ck_assert_int_eq(rules_check_mlock(&wraps, &none, &a), EFAULT);
}
END_TEST

START_TEST(astat_at_most_maxstatus)
{
	ck_assert_uint_eq(rules_status_count(0), 0);
	ck_assert_uint_eq(rules_status_count(7), 7);
	ck_assert_uint_eq(rules_status_count(MAXSTATUS), MAXSTATUS);
	ck_assert_uint_eq(rules_status_count(MAXSTATUS + 1), MAXSTATUS);
}
END_TEST

Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("astrt");

	tcase_add_loop_test(tc, rule, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, declared_but_not_held_lock_allows_anywhere);
	tcase_add_test(tc, open_mode_checked_last);
	tcase_add_test(tc, mlock_one_region_per_process);
	tcase_add_test(tc, astat_at_most_maxstatus);
	suite_add_tcase(s, tc);
	return s;
}
