/* SPDX-License-Identifier: MIT */
/*
 * main.c -- the aioconform program: command-line options, the run
 * configuration, choosing which tests apply (a test whose device, option or
 * privilege is missing is not added, and a line says so; under --no-skip
 * that is a failure), building the Check suite with one tcase per group,
 * running it in Check's fork mode with CK_VERBOSE output, and the final
 * "N passed, N failed, N skipped" line and exit status.
 * The tests themselves live in the t_*.c files, one file per concern.
 */
#include "conform.h"
#include "common/cli.h"

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

struct conf conf = { .allowance = -1, .error_block = -1 };

static const struct cgroup *const groups[] = {
	&group_mlock, &group_request, &group_status, &group_data, &group_safety,
	&group_posio, &group_life, &group_limits, &group_perm,
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

static void usage(FILE *f)
{
	fprintf(f,
"Usage: aioconform [options] DEVICE [SLICE_DEVICE]\n"
"\n"
"Checks that DEVICE (and SLICE_DEVICE, another slice of the same disk)\n"
"behaves as aio(M) says: DKIOCMLOCK, DKIOCASTRT and DKIOCASTAT.  Writes to\n"
"the first 8 MiB of each device.\n"
"\n"
"  -s BYTES         size of DEVICE (exact ENXIO boundary tests)\n"
"  -S BYTES         size of SLICE_DEVICE (its boundary tests)\n"
"  -b PATH[@OFF]    backing block device or image of DEVICE and DEVICE's\n"
"                   byte offset in it (data-integrity tests, O_DIRECT)\n"
"  -B PATH[@OFF]    the same for SLICE_DEVICE\n"
"  -p N             the daemon's NAIOREQPP (per-process request limit)\n"
"  -q N             the requests all of this user's processes may hold\n"
"                   (aiod: NAIOREQ; for a user other than root NAIOREQ\n"
"                   less an eighth, or NAIOREQPU if lower)\n"
"  -P               no positional I/O: skip the pread/pwrite tests (CUSE)\n"
"  -E BLOCK         a block of DEVICE whose reads fail (device errors)\n"
"  -L BYTES         this user's memory-lock allowance as loaded into the\n"
"                   daemon by aiolkinit (permission tests; 0: none)\n"
"  -r               DEVICE is served read-only (ro): writes get EROFS;\n"
"                   only the read-only tests use it\n"
"  -R FIRST:COUNT   blocks FIRST..FIRST+COUNT-1 of DEVICE fail (EIO)\n"
"  -W FIRST:COUNT   writes to blocks FIRST..FIRST+COUNT-1 fail (EIO), reads\n"
"                   of them work (dm-flakey error_writes); multiples of 8\n"
"  -F               every transfer on DEVICE fails (EIO): its backing\n"
"                   injects errors (nbdkit's error filter); only the\n"
"                   tests of that run\n"
"  -A PID           the daemon's pid: the tests that stop it (SIGTERM,\n"
"                   SIGKILL) with writes in flight may run; one at a time\n"
"  -D MS            DEVICE delays each transfer by at least MS milliseconds\n"
"                   (tests that tell not blocking from waiting)\n"
"  -w SECONDS       how long to wait for a completion (default 10)\n"
"  -t NAME          run only this test or group (may be repeated)\n"
"      --no-skip    a selected test that cannot run here is a failure\n"
"  -l               list the test names and exit\n"
"  -h, --help       this text\n"
"  -V, --version    show the version\n"
"\n"
"A test whose device, option or privilege is missing is skipped, with a\n"
"line saying why.  Each test runs in its own process (Check's fork mode).\n"
"Exit status 0 only if at least one test ran and every test run passed\n"
"(and, with --no-skip, none was skipped); 1 otherwise; 2 for a usage\n"
"error.\n");
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "aioconform: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'aioconform --help' for more information.\n");
	exit(2);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *s == '-')
		die("bad number for %s", what);
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		die("bad number for %s", what);
	return v;
}

static void parse_backing(char *arg, const char **path, uint64_t *off,
			  const char *opt)
{
	char *at = strrchr(arg, '@');

	*off = 0;
	if (at != NULL) {
		*at = '\0';
		*off = parse_u64(at + 1, opt);
	}
	if (*arg == '\0')
		die("%s needs a PATH", opt);
	if (*off % BLK != 0)
		die("the offset given with %s must be a multiple of 512", opt);
	*path = arg;
}

/* A block range FIRST:COUNT, COUNT above 0. */
static void parse_range(char *arg, const char *opt, long *first, long *count)
{
	char *colon = strchr(arg, ':');

	if (!colon)
		die("%s: expected FIRST:COUNT", opt);
	*colon = '\0';
	*first = (long)parse_u64(arg, opt);
	*count = (long)parse_u64(colon + 1, opt);
	if (*count <= 0)
		die("%s needs a COUNT above 0", opt);
}

/* Why test t cannot run here, or NULL if it can. */
static const char *missing(const struct ctest *t)
{
	unsigned n = t->needs;

	if ((n & NEED_SLICE) && conf.slice == NULL)
		return "needs SLICE_DEVICE";
	if ((n & NEED_SIZE) && conf.dev_size == 0)
		return "needs -s (size of DEVICE)";
	if ((n & NEED_SIZE) && conf.dev_size / BLK > (uint64_t)LONG_MAX)
		return "DEVICE has more blocks than a long can number";
	if ((n & NEED_BACKING) && conf.backing == NULL)
		return "needs -b (backing of DEVICE)";
	if ((n & NEED_SLICE_BACKING) &&
	    (conf.slice == NULL || conf.slice_backing == NULL))
		return "needs SLICE_DEVICE and -B (its backing)";
	if ((n & NEED_SLICE_SIZE) &&
	    (conf.slice == NULL || conf.slice_size == 0))
		return "needs SLICE_DEVICE and -S (its size)";
	if ((n & NEED_SAME_BACKING) &&
	    (conf.backing == NULL || conf.slice_backing == NULL ||
	     strcmp(conf.backing, conf.slice_backing) != 0 ||
	     conf.slice_backing_off < conf.backing_off ||
	     (conf.slice_backing_off - conf.backing_off) / BLK +
	     AREA_BLOCKS > (uint64_t)LONG_MAX ||
	     (conf.dev_size && (conf.slice_backing_off - conf.backing_off) /
	      BLK + AREA_BLOCKS > conf.dev_size / BLK)))
		return "needs -b and -B naming the same PATH, with "
		       "SLICE_DEVICE's test area inside DEVICE";
	if ((n & NEED_SLICE_SIZE) && conf.slice_size / BLK > (uint64_t)LONG_MAX)
		return "SLICE_DEVICE has more blocks than a long can number";
	if ((n & NEED_ROOT) && geteuid() != 0)
		return "needs root";
	if ((n & NEED_ERROR_BLOCK) && conf.error_block < 0)
		return "needs -E (a block whose reads fail)";
	if ((n & NEED_NONROOT) && geteuid() == 0)
		return "needs a user other than root";
	if ((n & NEED_LOCKS) && geteuid() != 0 && conf.allowance < 65536)
		return "needs a lock that holds: root, or -L of 64K or more";
	if ((n & NEED_NO_ALLOWANCE) && (geteuid() == 0 || conf.allowance != 0))
		return "needs a user other than root and -L 0";
	if ((n & NEED_ALLOWANCE) &&
	    (geteuid() == 0 || conf.allowance < 4 * PAGE ||
	     conf.allowance > 1 << 20))
		return "needs a user other than root and -L from 16K to 1M";
	if ((n & NEED_POSIO) && conf.no_posio)
		return "positional I/O tests are off (-P)";
	if ((n & NEED_LIMITS) && (conf.naioreqpp == 0 || conf.naioreq == 0))
		return "needs -p NAIOREQPP and -q NAIOREQ";
	if ((n & NEED_READONLY) && !conf.readonly)
		return "needs -r (DEVICE served read-only)";
	if ((n & NEED_BAD_RANGE) && conf.bad_count == 0)
		return "needs -R (DEVICE's bad blocks)";
	if ((n & NEED_WRITE_FAULTS) && conf.wfault_count == 0)
		return "needs -W (DEVICE's blocks whose writes fail)";
	if ((n & NEED_ALL_FAIL) && !conf.all_fail)
		return "needs -F (every transfer on DEVICE fails)";
	if (!(n & NEED_ALL_FAIL) && conf.all_fail)
		return "needs working transfers, and -F says all fail";
	if ((n & NEED_AIOD_PID) && conf.aiod_pid <= 0)
		return "needs -A (the daemon's pid; the test stops it)";
	if (!(n & NEED_READONLY) && conf.readonly)
		return "writes, and -r says DEVICE is read-only";
	if ((n & NEED_DELAY) && conf.delay_ms == 0)
		return "needs -D (a device that delays each transfer)";
	return NULL;
}

static bool selected(const struct cgroup *g, const struct ctest *t,
		     char **only, int nonly, bool *used)
{
	if (nonly == 0)
		return true;
	for (int i = 0; i < nonly; i++)
		if (strcmp(only[i], t->name) == 0 ||
		    strcmp(only[i], g->name) == 0) {
			used[i] = true;
			return true;
		}
	return false;
}

static void check_device(const char *path, uint64_t size, const char *what)
{
	int fd = open(path, conf.readonly ? O_RDONLY : O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "aioconform: cannot open %s %s: %s\n", what,
			path, strerror(errno));
		exit(2);
	}
	close(fd);
	if (size != 0 && size < (uint64_t)AREA_BLOCKS * BLK) {
		fprintf(stderr, "aioconform: %s %s is smaller than the %ld "
			"bytes the tests use\n", what, path,
			AREA_BLOCKS * BLK);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	enum { OPT_NO_SKIP = 256 };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "no-skip", no_argument, NULL, OPT_NO_SKIP },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char **only = calloc((size_t)argc, sizeof(char *));
	bool *used = calloc((size_t)argc, sizeof(bool));
	int nonly = 0, c;
	bool list = false, no_skip = false;

	if (only == NULL || used == NULL)
		die("%s", "out of memory");
	cli_init(argv, "aioconform");
	while ((c = getopt_long(argc, argv, "hVlPrFs:S:b:B:p:q:t:w:L:E:D:R:W:A:",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			cli_version();
		case 'l':
			list = true;
			break;
		case 'P':
			conf.no_posio = true;
			break;
		case 's':
			conf.dev_size = parse_u64(optarg, "-s");
			break;
		case 'S':
			conf.slice_size = parse_u64(optarg, "-S");
			break;
		case 'b':
			parse_backing(optarg, &conf.backing,
				      &conf.backing_off, "-b");
			break;
		case 'B':
			parse_backing(optarg, &conf.slice_backing,
				      &conf.slice_backing_off, "-B");
			break;
		case 'p':
			conf.naioreqpp = (long)parse_u64(optarg, "-p");
			if (conf.naioreqpp <= 0)
				die("%s", "-p must be positive");
			break;
		case 'q':
			conf.naioreq = (long)parse_u64(optarg, "-q");
			if (conf.naioreq <= 0)
				die("%s", "-q must be positive");
			break;
		case 't':
			only[nonly++] = optarg;
			break;
		case 'E':
			conf.error_block = (long)parse_u64(optarg, "-E");
			break;
		case 'r':
			conf.readonly = true;
			break;
		case 'F':
			conf.all_fail = true;
			break;
		case 'R':
			parse_range(optarg, "-R", &conf.bad_first,
				    &conf.bad_count);
			break;
		case 'W':
			parse_range(optarg, "-W", &conf.wfault_first,
				    &conf.wfault_count);
			if (conf.wfault_count % 8 || conf.wfault_first % 8)
				die("%s", "-W needs FIRST and COUNT multiples "
				    "of 8 (whole pages)");
			break;
		case 'A':
			conf.aiod_pid = (pid_t)parse_u64(optarg, "-A");
			if (conf.aiod_pid <= 0)
				die("%s", "-A must be a pid");
			break;
		case 'D':
			conf.delay_ms = (long)parse_u64(optarg, "-D");
			if (conf.delay_ms <= 0)
				die("%s", "-D must be positive");
			break;
		case OPT_NO_SKIP:
			no_skip = true;
			break;
		case 'L':
			conf.allowance = (int64_t)parse_u64(optarg, "-L");
			break;
		case 'w':
			io_timeout = strtod(optarg, NULL);
			if (!(io_timeout > 0))
				die("%s", "-w needs a positive number");
			break;
		default:
			cli_usage_error(NULL);
		}
	}

	if (list) {
		for (size_t g = 0; g < NGROUPS; g++)
			for (const struct ctest *t = groups[g]->tests;
			     t->name != NULL; t++)
				printf("%s\n", t->name);
		return 0;
	}
	if (optind >= argc || argc - optind > 2)
		cli_usage_error("expected DEVICE [SLICE_DEVICE], not %d "
				"argument%s", argc - optind,
				argc - optind == 1 ? "" : "s");
	conf.dev = argv[optind];
	conf.slice = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (conf.slice_size != 0 && conf.slice == NULL)
		die("%s", "-S given without SLICE_DEVICE");
	if (conf.slice_backing != NULL && conf.slice == NULL)
		die("%s", "-B given without SLICE_DEVICE");
	if (conf.dev_size % BLK != 0 || conf.slice_size % BLK != 0)
		die("%s", "-s and -S must be multiples of 512");

	check_device(conf.dev, conf.dev_size, "DEVICE");
	if (conf.slice != NULL)
		check_device(conf.slice, conf.slice_size, "SLICE_DEVICE");

	const char *mult = getenv("CK_TIMEOUT_MULTIPLIER");

	if (mult != NULL && strtod(mult, NULL) > 0)
		io_timeout *= strtod(mult, NULL);
	const char *fork_env = getenv("CK_FORK");

	if (fork_env != NULL && strcmp(fork_env, "no") == 0)
		fprintf(stderr, "aioconform: warning: CK_FORK=no: tests share "
			"one process and its AIO state; results may not "
			"hold\n");

	printf("aioconform: DEVICE %s", conf.dev);
	if (conf.dev_size)
		printf(" (%" PRIu64 " bytes)", conf.dev_size);
	if (conf.backing)
		printf(" backed by %s@%" PRIu64, conf.backing,
		       conf.backing_off);
	if (conf.slice)
		printf(", SLICE_DEVICE %s", conf.slice);
	if (conf.slice_size)
		printf(" (%" PRIu64 " bytes)", conf.slice_size);
	if (conf.slice_backing)
		printf(" backed by %s@%" PRIu64, conf.slice_backing,
		       conf.slice_backing_off);
	if (conf.naioreqpp)
		printf(", NAIOREQPP %ld", conf.naioreqpp);
	if (conf.naioreq)
		printf(", NAIOREQ %ld", conf.naioreq);
	if (conf.delay_ms)
		printf(", transfers take %ld ms or more", conf.delay_ms);
	printf(", %s-bit\n", sizeof(long) == 8 ? "64" : "32");

	Suite *s = suite_create("aio");
	int nadded = 0, nskipped = 0;

	for (size_t g = 0; g < NGROUPS; g++) {
		TCase *tc = NULL;

		for (const struct ctest *t = groups[g]->tests; t->name != NULL;
		     t++) {
			if (!selected(groups[g], t, only, nonly, used))
				continue;
			const char *why = missing(t);

			if (why != NULL) {
				printf("aioconform: %s %s: %s\n", no_skip ?
				       "FAILED (--no-skip): cannot run" :
				       "skipping", t->name, why);
				nskipped++;
				continue;
			}
			if (tc == NULL) {
				tc = tcase_create(groups[g]->name);
				tcase_set_timeout(tc, groups[g]->timeout);
			}
			tcase_add_test(tc, *t->test);
			nadded++;
		}
		if (tc != NULL)
			suite_add_tcase(s, tc);
	}
	for (int i = 0; i < nonly; i++)
		if (!used[i])
			die("no test or group named %s (see -l)", only[i]);
	if (nskipped)
		printf("aioconform: %d test%s skipped, %d to run\n", nskipped,
		       nskipped == 1 ? "" : "s", nadded);
	fflush(stdout);

	SRunner *sr = srunner_create(s);

	srunner_run_all(sr, CK_VERBOSE);
	int run = srunner_ntests_run(sr);
	int failed = srunner_ntests_failed(sr);

	srunner_free(sr);
	printf("%d passed, %d failed, %d skipped\n", run - failed, failed,
	       nskipped);
	free(only);
	free(used);
	if (run == 0) {
		printf("aioconform: FAILED: no selected test ran\n");
		return 1;
	}
	if (no_skip && nskipped) {
		printf("aioconform: FAILED: --no-skip and %d test%s skipped "
		       "(see above)\n", nskipped, nskipped == 1 ? " was" :
		       "s were");
		return 1;
	}
	return failed == 0 ? 0 : 1;
}
