/* SPDX-License-Identifier: MIT */
/*
 * test_backend.c -- unit tests of partition opening in backend.c on real
 * image files: slices inside and past the end, default sizes, clear
 * reasons for a missing path or a path that is not a disk, and how ro and
 * cache= open the backing (read-only; O_DSYNC unless writeback; slices of
 * one backing must agree on both).
 */
#include "unit.h"
#include "aiod/aiod.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <errno.h>

static char image[] = "/var/tmp/aiod-unit-img-XXXXXX";
static struct device dev;
static char err[512];

static struct device dev2;

static void make_image(void)
{
	int fd;

	strcpy(image, "/var/tmp/aiod-unit-img-XXXXXX");
	fd = mkstemp(image);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);	/* 1 MiB */
	close(fd);
}

static void remove_image(void)
{
	backend_close_device(&dev);
	backend_close_device(&dev2);
	unlink(image);
}

static int open_slice(uint64_t offset, uint64_t size)
{
	struct device_spec spec = { .name = "t", .path = image,
				    .offset = offset, .size = size };

	return backend_open_device(&dev, &spec, err, sizeof(err));
}

START_TEST(whole_image)
{
	ck_assert_int_eq(open_slice(0, 0), 0);
	ck_assert_uint_eq(dev.size, 1 << 20);
	ck_assert_uint_eq(dev.offset, 0);
}
END_TEST

START_TEST(slice_to_end)
{
	ck_assert_int_eq(open_slice(65536, 0), 0);
	ck_assert_uint_eq(dev.size, (1 << 20) - 65536);
	ck_assert_uint_eq(dev.offset, 65536);
}
END_TEST

START_TEST(slice_exact)
{
	ck_assert_int_eq(open_slice(512, (1 << 20) - 512), 0);
	ck_assert_uint_eq(dev.size, (1 << 20) - 512);
}
END_TEST

START_TEST(slice_past_end)
{
	ck_assert_int_eq(open_slice(512, 1 << 20), -1);
	ck_assert_ptr_nonnull(strstr(err, "past the end"));
	ck_assert_int_eq(open_slice(1 << 20, 0), -1);
	ck_assert_ptr_nonnull(strstr(err, "past the end"));
}
END_TEST

START_TEST(missing_path)
{
	struct device_spec spec = { .name = "t", .path = "/nonexistent/disk" };

	ck_assert_int_eq(backend_open_device(&dev, &spec, err, sizeof(err)),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/disk"));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

START_TEST(not_a_disk)
{
	struct device_spec spec = { .name = "t", .path = "/dev/null" };

	ck_assert_int_eq(backend_open_device(&dev, &spec, err, sizeof(err)),
			 -1);
	ck_assert_msg(strstr(err, "not a block device") ||
		      strstr(err, "O_DIRECT"), "%s", err);
}
END_TEST

/* Open image as the device named NAME with ro and cache=writeback given. */
static int open_opts(struct device *d, const char *name, bool ro,
		     bool writeback)
{
	struct device_spec spec = { .name = (char *)name, .path = image,
				    .readonly = ro, .writeback = writeback };

	return backend_open_device(d, &spec, err, sizeof(err));
}

static int fd_flags(const struct device *d)
{
	int flags = fcntl(d->fd, F_GETFL);

	ck_assert_msg(flags >= 0, "F_GETFL: %s", strerror(errno));
	return flags;
}

START_TEST(default_is_durable_read_write)
{
	ck_assert_int_eq(open_opts(&dev, "t", false, false), 0);
	ck_assert(!dev.readonly);
	ck_assert_int_eq(fd_flags(&dev) & O_ACCMODE, O_RDWR);
	ck_assert_int_ne(fd_flags(&dev) & O_DSYNC, 0);
	ck_assert_int_ne(fd_flags(&dev) & O_DIRECT, 0);
}
END_TEST

START_TEST(writeback_is_not_dsync)
{
	ck_assert_int_eq(open_opts(&dev, "t", false, true), 0);
	ck_assert_int_eq(fd_flags(&dev) & O_DSYNC, 0);
	ck_assert_int_ne(fd_flags(&dev) & O_DIRECT, 0);
}
END_TEST

START_TEST(ro_opens_read_only)
{
	ck_assert_int_eq(open_opts(&dev, "t", true, false), 0);
	ck_assert(dev.readonly);
	ck_assert_int_eq(fd_flags(&dev) & O_ACCMODE, O_RDONLY);
}
END_TEST

START_TEST(slices_share_one_open_and_agree)
{
	ck_assert_int_eq(open_opts(&dev, "a", false, false), 0);
	ck_assert_int_eq(open_opts(&dev2, "b", true, false), -1);
	ck_assert_msg(strstr(err, "must agree on ro (see device a)"), "%s",
		      err);
	ck_assert_int_eq(open_opts(&dev2, "b", false, true), -1);
	ck_assert_msg(strstr(err, "must agree on cache="), "%s", err);
	ck_assert_int_eq(open_opts(&dev2, "b", false, false), 0);
	ck_assert_int_eq(dev2.fd, dev.fd);
}
END_TEST

Suite *backend_suite(void)
{
	Suite *s = suite_create("backend");
	TCase *tc = tcase_create("slices");

	tcase_add_checked_fixture(tc, make_image, remove_image);
	tcase_add_test(tc, whole_image);
	tcase_add_test(tc, slice_to_end);
	tcase_add_test(tc, slice_exact);
	tcase_add_test(tc, slice_past_end);
	tcase_add_test(tc, missing_path);
	tcase_add_test(tc, not_a_disk);
	tcase_add_test(tc, default_is_durable_read_write);
	tcase_add_test(tc, writeback_is_not_dsync);
	tcase_add_test(tc, ro_opens_read_only);
	tcase_add_test(tc, slices_share_one_open_and_agree);
	suite_add_tcase(s, tc);
	return s;
}
