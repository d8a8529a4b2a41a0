/* SPDX-License-Identifier: MIT */
/*
 * test_dmlinear.c -- unit tests of dmlinear_table(), the DM_TABLE_LOAD
 * argument for a slice's dm-linear device: one "linear" target of the
 * slice's size in 512-byte sectors, mapped to "MAJ:MIN START_SECTOR" of
 * the backing, read-only when asked; misaligned, empty, overflowing or
 * unnamable slices and short buffers are refused with EINVAL.
 */
#include "unit.h"
#include "aiod/dmlinear.h"

#include <errno.h>
#include <linux/dm-ioctl.h>
#include <string.h>
#include <sys/sysmacros.h>

static union {
	struct dm_ioctl io;
	char bytes[DMLINEAR_BUF_BYTES];
} buf;

static const struct dm_target_spec *target(void)
{
	return (const struct dm_target_spec *)(buf.bytes + buf.io.data_start);
}

START_TEST(linear_table)
{
	const struct dm_target_spec *t;

	memset(&buf, 0xa5, sizeof(buf));
	ck_assert_int_eq(dmlinear_table(&buf, sizeof(buf), "scoaio-42-1",
					makedev(7, 3), 1 << 20, 2 << 20,
					false), 0);
	ck_assert_uint_eq(buf.io.version[0], DM_VERSION_MAJOR);
	ck_assert_uint_eq(buf.io.data_size, sizeof(buf));
	ck_assert_uint_eq(buf.io.data_start, sizeof(struct dm_ioctl));
	ck_assert_uint_eq(buf.io.target_count, 1);
	ck_assert_uint_eq(buf.io.flags, 0);
	ck_assert_str_eq(buf.io.name, "scoaio-42-1");
	ck_assert_str_eq(buf.io.uuid, "");
	t = target();
	ck_assert_uint_eq(t->sector_start, 0);
	ck_assert_uint_eq(t->length, 4096);		/* 2 MiB */
	ck_assert_int_eq(t->status, 0);
	ck_assert_str_eq(t->target_type, "linear");
	ck_assert_str_eq((const char *)(t + 1), "7:3 2048");
	ck_assert_uint_eq(t->next % 8, 0);
	ck_assert_uint_ge(t->next, sizeof(*t) + strlen("7:3 2048") + 1);
}
END_TEST

START_TEST(linear_table_large_numbers)
{
	/* Minors past 255 and offsets past 4 GiB keep every bit. */
	ck_assert_int_eq(dmlinear_table(&buf, sizeof(buf), "n",
					makedev(259, 1048575),
					UINT64_C(5) << 40, 512, true), 0);
	ck_assert_uint_eq(buf.io.flags, DM_READONLY_FLAG);
	ck_assert_uint_eq(target()->length, 1);
	ck_assert_str_eq((const char *)(target() + 1),
			 "259:1048575 10737418240");
}
END_TEST

START_TEST(linear_table_refusals)
{
	char longname[DM_NAME_LEN + 1];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(dmlinear_table(&buf, sizeof(buf), "n", makedev(7, 0),
					100, 4096, false), EINVAL);
	ck_assert_int_eq(dmlinear_table(&buf, sizeof(buf), "n", makedev(7, 0),
					0, 1000, false), EINVAL);
	ck_assert_int_eq(dmlinear_table(&buf, sizeof(buf), "n", makedev(7, 0),
					0, 0, false), EINVAL);
	ck_assert_int_eq(dmlinear_table(&buf, sizeof(buf), "n", makedev(7, 0),
					UINT64_MAX - 511, 1024, false),
			 EINVAL);
	ck_assert_int_eq(dmlinear_table(&buf, sizeof(buf), longname,
					makedev(7, 0), 0, 512, false), EINVAL);
	ck_assert_int_eq(dmlinear_table(&buf, sizeof(struct dm_ioctl), "n",
					makedev(7, 0), 0, 512, false), EINVAL);
	/* Room for the spec but not for its parameters. */
	ck_assert_int_eq(dmlinear_table(&buf, sizeof(struct dm_ioctl) +
					sizeof(struct dm_target_spec) + 4,
					"n", makedev(7, 0), 0, 512, false),
			 EINVAL);
}
END_TEST

Suite *dmlinear_suite(void)
{
	Suite *s = suite_create("dmlinear");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, linear_table);
	tcase_add_test(tc, linear_table_large_numbers);
	tcase_add_test(tc, linear_table_refusals);
	suite_add_tcase(s, tc);
	return s;
}
