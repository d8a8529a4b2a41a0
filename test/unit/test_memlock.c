/* SPDX-License-Identifier: MIT */
/*
 * test_memlock.c -- unit tests of the aiomemlock.conf(5) parser: comments,
 * overriding lines, unknown users as warnings, malformed lines as errors
 * with file and line.
 */
#include "unit.h"
#include "aiolkinit/memlock_conf.h"

#include <stdlib.h>
#include <string.h>

static char warned[512];
static int nwarn;

static void warn(const char *msg)
{
	snprintf(warned, sizeof(warned), "%s", msg);
	nwarn++;
}

static int parse(const char *text, struct memlock_entry **e, size_t *n,
		 char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	ck_assert_ptr_nonnull(f);
	nwarn = 0;
	rc = memlock_conf_parse(f, "aiomemlock.conf", e, n, warn, err, errlen);
	fclose(f);
	return rc;
}

START_TEST(comments_blank_and_entries)
{
	struct memlock_entry *e;
	char err[256];
	size_t n;

	ck_assert_int_eq(parse("# who may lock\n\nroot 4000000\n"
			       "  nobody\t8192  \n", &e, &n, err,
			       sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(e[0].uid, 0);
	ck_assert_uint_eq(e[0].bytes, 4000000);
	ck_assert_uint_eq(e[1].uid, 65534);
	ck_assert_uint_eq(e[1].bytes, 8192);
	free(e);
}
END_TEST

START_TEST(later_line_overrides)
{
	struct memlock_entry *e;
	char err[256];
	size_t n;

	ck_assert_int_eq(parse("nobody 100\nroot 5\nnobody 0\n", &e, &n, err,
			       sizeof(err)), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(e[0].uid, 65534);
	ck_assert_uint_eq(e[0].bytes, 0);
	free(e);
}
END_TEST

START_TEST(unknown_user_is_a_warning)
{
	struct memlock_entry *e;
	char err[256];
	size_t n;

	ck_assert_int_eq(parse("nobody 1\nno-such-user-xyz 5\n", &e, &n, err,
			       sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(nwarn, 1);
	ck_assert_ptr_nonnull(strstr(warned, "aiomemlock.conf:2:"));
	ck_assert_ptr_nonnull(strstr(warned, "no-such-user-xyz"));
	free(e);
}
END_TEST

START_TEST(malformed_lines)
{
	static const struct { const char *text, *expect; } bad[] = {
		{ "nobody\n", "aiomemlock.conf:1:" },
		{ "# c\nnobody 12x\n", "aiomemlock.conf:2:" },
		{ "nobody -5\n", "not a number" },
		{ "nobody 5 6\n", "unexpected '6'" },
		{ "nobody 99999999999999999999999\n", "not a number" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct memlock_entry *e;
		char err[256] = "";
		size_t n;

		ck_assert_int_eq(parse(bad[i].text, &e, &n, err, sizeof(err)),
				 -1);
		ck_assert_msg(strstr(err, bad[i].expect), "'%s' lacks '%s'",
			      err, bad[i].expect);
		ck_assert_ptr_null(e);
	}
}
END_TEST

Suite *memlock_suite(void)
{
	Suite *s = suite_create("aiomemlock.conf");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, comments_blank_and_entries);
	tcase_add_test(tc, later_line_overrides);
	tcase_add_test(tc, unknown_user_is_a_warning);
	tcase_add_test(tc, malformed_lines);
	suite_add_tcase(s, tc);
	return s;
}
