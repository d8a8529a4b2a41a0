/*
 * test_rules.c -- unit tests of engine_check_request: each DKIOCASTRT rule
 * of aio(M) (command, size, alignment, page crossing, locked region,
 * partition bounds) with the errno the caller must see, table-driven.
 */
#include "unit.h"
#include "aiod/aiod.h"

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

START_TEST(rule)
{
	/* Lock held on [PAGE + 4096, PAGE + 16384). */
	struct caller locked = { .lock_addr = PAGE + 4096, .lock_size = 12288,
				 .lock_held = true };
	struct caller unlocked = { .lock_addr = PAGE + 4096,
				   .lock_size = 12288 };

	ck_assert_msg(engine_check_request(&cases[_i].rq,
					   cases[_i].locked ? &locked
							    : &unlocked,
					   PART) == cases[_i].expect,
		      "%s: expected %d", cases[_i].what, cases[_i].expect);
}
END_TEST

START_TEST(declared_but_not_held_lock_allows_anywhere)
{
	struct caller c = { .lock_addr = PAGE + 4096, .lock_size = 4096 };
	struct request_args rq = { AU_WRITE, 0, PAGE, 512, 0 };

	ck_assert_int_eq(engine_check_request(&rq, &c, PART), 0);
}
END_TEST

Suite *rules_suite(void)
{
	Suite *s = suite_create("rules");
	TCase *tc = tcase_create("astrt");

	tcase_add_loop_test(tc, rule, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, declared_but_not_held_lock_allows_anywhere);
	suite_add_tcase(s, tc);
	return s;
}
