/* SPDX-License-Identifier: MIT */
/*
 * test_config.c -- unit tests of config.c: tunable assignments and their
 * ranges, device names, device specifications with slices and ownership,
 * and the config file format with its line-numbered errors.
 */
#include "unit.h"
#include "aiod/aiod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct config cfg;
static char err[512];

static void setup(void) { config_init(&cfg); err[0] = '\0'; }
static void teardown(void) { config_free(&cfg); }

START_TEST(defaults_are_modern)
{
	ck_assert_uint_eq(cfg.tun.naioreq, 4096);
	ck_assert_uint_eq(cfg.tun.naioreqpp, 1024);
	ck_assert_uint_eq(cfg.tun.naiobuf, 4096);
	ck_assert_uint_eq(cfg.tun.naioproc, 256);
	ck_assert_uint_eq(cfg.tun.naiolocktbl, 256);
}
END_TEST

START_TEST(tunable_set_case_insensitive)
{
	ck_assert_int_eq(config_set_tunable(&cfg, "naioreqpp=64", err,
					    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.tun.naioreqpp, 64);
	ck_assert_int_eq(config_set_tunable(&cfg, "NAIOBUF=2K", err,
					    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.tun.naiobuf, 2048);
}
END_TEST

START_TEST(tunable_rejects_bad_values)
{
	ck_assert_int_eq(config_set_tunable(&cfg, "NAIOREQ=0", err,
					    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "NAIOREQ"));
	ck_assert_int_eq(config_set_tunable(&cfg, "NAIOREQ=12x", err,
					    sizeof(err)), -1);
	ck_assert_int_eq(config_set_tunable(&cfg, "NAIOREQ=-1", err,
					    sizeof(err)), -1);
	ck_assert_int_eq(config_set_tunable(&cfg, "NAIOREQ", err,
					    sizeof(err)), -1);
	ck_assert_int_eq(config_set_tunable(&cfg, "NAIOFOO=1", err,
					    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown tunable 'NAIOFOO'"));
	ck_assert_uint_eq(cfg.tun.naioreq, 4096);
}
END_TEST

START_TEST(device_names)
{
	ck_assert_int_eq(config_check_name("rdsk/0s1", err, sizeof(err)), 0);
	ck_assert_int_eq(config_check_name("rroot", err, sizeof(err)), 0);
	ck_assert_int_eq(config_check_name("", err, sizeof(err)), -1);
	ck_assert_int_eq(config_check_name("/rdsk", err, sizeof(err)), -1);
	ck_assert_int_eq(config_check_name("rdsk/", err, sizeof(err)), -1);
	ck_assert_int_eq(config_check_name("a//b", err, sizeof(err)), -1);
	ck_assert_int_eq(config_check_name("../etc", err, sizeof(err)), -1);
	ck_assert_int_eq(config_check_name("a/./b", err, sizeof(err)), -1);
	ck_assert_int_eq(config_check_name("a b", err, sizeof(err)), -1);
}
END_TEST

START_TEST(device_spec_full)
{
	ck_assert_int_eq(config_add_device(&cfg, "rdsk/0s2=/dev/sdb,"
		"offset=1M,size=4096,owner=0,group=0,mode=640", err,
		sizeof(err)), 0);
	ck_assert_uint_eq(cfg.ndevices, 1);
	ck_assert_str_eq(cfg.devices[0].name, "rdsk/0s2");
	ck_assert_str_eq(cfg.devices[0].path, "/dev/sdb");
	ck_assert_uint_eq(cfg.devices[0].offset, 1048576);
	ck_assert_uint_eq(cfg.devices[0].size, 4096);
	ck_assert_uint_eq(cfg.devices[0].mode, 0640);
	ck_assert_uint_eq(cfg.devices[0].owner, 0);
}
END_TEST

START_TEST(device_spec_defaults)
{
	ck_assert_int_eq(config_add_device(&cfg, "rroot=/img", err,
					   sizeof(err)), 0);
	ck_assert_uint_eq(cfg.devices[0].offset, 0);
	ck_assert_uint_eq(cfg.devices[0].size, 0);
	ck_assert_uint_eq(cfg.devices[0].mode, 0660);
	ck_assert_uint_eq(cfg.devices[0].owner, 0);
}
END_TEST

START_TEST(device_spec_errors)
{
	static const char *bad[] = {
		"noequals", "=/dev/sdb", "x=", "x=/d,offset=100",
		"x=/d,size=0", "x=/d,size=1000", "x=/d,offset=abc",
		"x=/d,mode=999", "x=/d,owner=no-such-user-here",
		"x=/d,group=no-such-group-here", "x=/d,colour=red",
		"x=/d,offset",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(config_add_device(&cfg, bad[i], err,
						sizeof(err)) == -1,
			      "accepted '%s'", bad[i]);
		ck_assert_msg(err[0], "no reason for '%s'", bad[i]);
	}
	ck_assert_uint_eq(cfg.ndevices, 0);
}
END_TEST

START_TEST(device_duplicate_name)
{
	ck_assert_int_eq(config_add_device(&cfg, "a=/x", err, sizeof(err)), 0);
	ck_assert_int_eq(config_add_device(&cfg, "a=/y", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "twice"));
}
END_TEST

static char *write_temp(const char *text)
{
	static char path[] = "/tmp/aiod-unit-XXXXXX";
	int fd;

	strcpy(path, "/tmp/aiod-unit-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(config_file_ok)
{
	char *path = write_temp("# scoaio\n\n  NAIOREQ = 200\n"
				"device rdsk/0s1=/dev/sdb1,mode=600\n"
				"naioreqpp=50\n");

	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	ck_assert_uint_eq(cfg.tun.naioreq, 200);
	ck_assert_uint_eq(cfg.tun.naioreqpp, 50);
	ck_assert_uint_eq(cfg.ndevices, 1);
	ck_assert_uint_eq(cfg.devices[0].mode, 0600);
}
END_TEST

START_TEST(config_file_error_has_line)
{
	char *path = write_temp("NAIOREQ=10\n# ok\nbogus line\n");
	char expect[64];

	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s:3:", path);
	unlink(path);
	ck_assert_msg(strstr(err, expect), "'%s' lacks '%s'", err, expect);
}
END_TEST

START_TEST(config_file_missing)
{
	ck_assert_int_eq(config_load_file(&cfg, "/nonexistent/aiod.conf",
					  err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_are_modern);
	tcase_add_test(tc, tunable_set_case_insensitive);
	tcase_add_test(tc, tunable_rejects_bad_values);
	tcase_add_test(tc, device_names);
	tcase_add_test(tc, device_spec_full);
	tcase_add_test(tc, device_spec_defaults);
	tcase_add_test(tc, device_spec_errors);
	tcase_add_test(tc, device_duplicate_name);
	tcase_add_test(tc, config_file_ok);
	tcase_add_test(tc, config_file_error_has_line);
	tcase_add_test(tc, config_file_missing);
	suite_add_tcase(s, tc);
	return s;
}
