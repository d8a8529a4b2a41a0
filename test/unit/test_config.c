/* SPDX-License-Identifier: MIT */
/*
 * test_config.c -- unit tests of config.c: tunable assignments and their
 * ranges, device names, device specifications with slices, ownership and
 * the ro and cache= options, the config file format with its line-numbered
 * errors (every one of them, not just the first), the locktable directive,
 * and the dump that reads back as the same configuration.
 */
#include "unit.h"
#include "aiod/aiod.h"

#include <fcntl.h>
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
	ck_assert_uint_eq(cfg.tun.busypoll, 100);
}
END_TEST

START_TEST(busypoll_zero_to_ten_ms)
{
	ck_assert_int_eq(config_set_tunable(&cfg, "BUSYPOLL=0", err,
					    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.tun.busypoll, 0);
	ck_assert_int_eq(config_set_tunable(&cfg, "busypoll=10000", err,
					    sizeof(err)), 0);
	ck_assert_uint_eq(cfg.tun.busypoll, 10000);
	ck_assert_int_eq(config_set_tunable(&cfg, "BUSYPOLL=10001", err,
					    sizeof(err)), -1);
	ck_assert_str_eq(err, "BUSYPOLL: '10001' is not a number from 0 to "
			      "10000");
	ck_assert_uint_eq(cfg.tun.busypoll, 10000);
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

START_TEST(device_spec_ro_and_cache)
{
	ck_assert_int_eq(config_add_device(&cfg, "a=/x,ro", err,
					   sizeof(err)), 0);
	ck_assert_int_eq(config_add_device(&cfg, "b=/x,cache=writeback,"
					   "mode=600", err, sizeof(err)), 0);
	ck_assert_int_eq(config_add_device(&cfg, "c=/x,cache=writethrough",
					   err, sizeof(err)), 0);
	ck_assert_int_eq(config_add_device(&cfg, "d=/x,ro,cache=writeback",
					   err, sizeof(err)), 0);
	ck_assert(cfg.devices[0].readonly && !cfg.devices[0].writeback);
	ck_assert(!cfg.devices[1].readonly && cfg.devices[1].writeback);
	ck_assert_uint_eq(cfg.devices[1].mode, 0600);
	ck_assert(!cfg.devices[2].readonly && !cfg.devices[2].writeback);
	ck_assert(cfg.devices[3].readonly && cfg.devices[3].writeback);
}
END_TEST

START_TEST(device_spec_defaults_durable_rw)
{
	ck_assert_int_eq(config_add_device(&cfg, "a=/x", err, sizeof(err)), 0);
	ck_assert(!cfg.devices[0].readonly);
	ck_assert(!cfg.devices[0].writeback);
}
END_TEST

START_TEST(device_spec_cache_errors)
{
	ck_assert_int_eq(config_add_device(&cfg, "a=/x,cache=none", err,
					   sizeof(err)), -1);
	ck_assert_msg(strstr(err, "expected writethrough or writeback"),
		      "%s", err);
	ck_assert_int_eq(config_add_device(&cfg, "a=/x,cache", err,
					   sizeof(err)), -1);
	ck_assert_int_eq(config_add_device(&cfg, "a=/x,ro=1", err,
					   sizeof(err)), -1);
	ck_assert_msg(strstr(err, "unknown option 'ro'"), "%s", err);
	ck_assert_uint_eq(cfg.ndevices, 0);
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

struct collected {
	char msgs[8][300];
	int n;
};

static void collect(void *ctx, const char *msg)
{
	struct collected *c = ctx;

	if (c->n < 8)
		snprintf(c->msgs[c->n++], sizeof(c->msgs[0]), "%s", msg);
}

START_TEST(config_file_reports_every_error)
{
	char *path = write_temp("NAIOREQ=x\nNAIOBUF = 10\nnonsense\n"
				"device a=/dev/null,mode=9\nlocktable rel\n");
	struct collected c = { .n = 0 };
	char expect[64];

	ck_assert_int_eq(config_read_file(&cfg, path, collect, &c), 4);
	ck_assert_int_eq(c.n, 4);
	for (int i = 0; i < 4; i++) {
		static const int lines[] = { 1, 3, 4, 5 };

		snprintf(expect, sizeof(expect), "%s:%d: ", path, lines[i]);
		ck_assert_msg(!strncmp(c.msgs[i], expect, strlen(expect)),
			      "'%s' does not start '%s'", c.msgs[i], expect);
	}
	unlink(path);
	/* The good line between the bad ones still applies. */
	ck_assert_uint_eq(cfg.tun.naiobuf, 10);
}
END_TEST

START_TEST(config_file_device_lines_numbered)
{
	char *path = write_temp("\n# x\ndevice a=/dev/null\n");

	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	ck_assert_uint_eq(cfg.ndevices, 1);
	ck_assert_uint_eq(cfg.devices[0].line, 3);
	ck_assert_int_eq(config_add_device(&cfg, "b=/dev/null", err,
					   sizeof(err)), 0);
	ck_assert_uint_eq(cfg.devices[1].line, 0);
}
END_TEST

START_TEST(locktable_directive)
{
	char *path = write_temp("locktable   /srv/aio/locks.conf  \n");

	ck_assert_str_eq(config_locktable(&cfg), CONFIG_DEFAULT_LOCKTABLE);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), 0);
	unlink(path);
	ck_assert_str_eq(config_locktable(&cfg), "/srv/aio/locks.conf");
	ck_assert_int_eq(config_set_locktable(&cfg, "locks.conf", err,
					      sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "absolute"));
	ck_assert_str_eq(config_locktable(&cfg), "/srv/aio/locks.conf");
}
END_TEST

START_TEST(dump_reads_back_the_same)
{
	struct config back;
	char *path;
	FILE *f;
	int fd;

	ck_assert_int_eq(config_set_tunable(&cfg, "NAIOREQ=300", err,
					    sizeof(err)), 0);
	ck_assert_int_eq(config_set_locktable(&cfg, "/etc/x.conf", err,
					      sizeof(err)), 0);
	ck_assert_int_eq(config_add_device(&cfg, "rdsk/0s1=/dev/sdb,"
					   "offset=1M,size=2M,owner=4321,"
					   "group=1234,mode=0604,ro,"
					   "cache=writeback", err,
					   sizeof(err)), 0);
	ck_assert_int_eq(config_add_device(&cfg, "rroot=/dev/sdc", err,
					   sizeof(err)), 0);
	path = write_temp("");
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	config_dump(&cfg, f);
	ck_assert_int_eq(fclose(f), 0);
	config_init(&back);
	ck_assert_int_eq(config_load_file(&back, path, err, sizeof(err)), 0);
	unlink(path);
	ck_assert_int_eq(memcmp(&back.tun, &cfg.tun, sizeof(cfg.tun)), 0);
	ck_assert_str_eq(config_locktable(&back), "/etc/x.conf");
	ck_assert_uint_eq(back.ndevices, 2);
	for (size_t i = 0; i < 2; i++) {
		const struct device_spec *a = &cfg.devices[i],
					 *b = &back.devices[i];

		ck_assert_str_eq(a->name, b->name);
		ck_assert_str_eq(a->path, b->path);
		ck_assert_uint_eq(a->offset, b->offset);
		ck_assert_uint_eq(a->size, b->size);
		ck_assert_uint_eq(a->owner, b->owner);
		ck_assert_uint_eq(a->group, b->group);
		ck_assert_uint_eq(a->mode, b->mode);
		ck_assert_int_eq(a->readonly, b->readonly);
		ck_assert_int_eq(a->writeback, b->writeback);
	}
	config_free(&back);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, defaults_are_modern);
	tcase_add_test(tc, tunable_set_case_insensitive);
	tcase_add_test(tc, busypoll_zero_to_ten_ms);
	tcase_add_test(tc, tunable_rejects_bad_values);
	tcase_add_test(tc, device_names);
	tcase_add_test(tc, device_spec_full);
	tcase_add_test(tc, device_spec_defaults);
	tcase_add_test(tc, device_spec_ro_and_cache);
	tcase_add_test(tc, device_spec_defaults_durable_rw);
	tcase_add_test(tc, device_spec_cache_errors);
	tcase_add_test(tc, device_spec_errors);
	tcase_add_test(tc, device_duplicate_name);
	tcase_add_test(tc, config_file_ok);
	tcase_add_test(tc, config_file_error_has_line);
	tcase_add_test(tc, config_file_missing);
	tcase_add_test(tc, config_file_reports_every_error);
	tcase_add_test(tc, config_file_device_lines_numbered);
	tcase_add_test(tc, locktable_directive);
	tcase_add_test(tc, dump_reads_back_the_same);
	suite_add_tcase(s, tc);
	return s;
}
