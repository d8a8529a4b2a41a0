/* SPDX-License-Identifier: MIT */
/*
 * t_status.c -- DKIOCASTAT: collecting completions.  Owns the rules that
 * it never blocks (seen on a device slow enough to tell, -D) and reports
 * acount 0 when nothing has completed; that one call returns at most
 * MAXSTATUS (15) statuses, and a full 15 when that many are waiting; that
 * every request comes back exactly once with iostatus 0, iobsize ==
 * au_size and iomaddr/ioref echoing the request (ioref opaque, any value);
 * that a bad argument pointer gives EFAULT; and that statuses belong to
 * the open file: not seen on another open of the same or another device,
 * but seen through a dup() of the same open file.
 */
#include "conform.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define STBLK	3000L		/* blocks used by these tests */

/* n mixed requests: reads and writes, sizes 512..4096, each in its own
 * page, at the page's start or end. */
static struct req *mixed_reqs(long n)
{
	static const long sizes[] = { 512, 1024, 2048, 4096, 1536, 3584 };
	struct req *r = calloc((size_t)n, sizeof(*r));
	char *p = pages_alloc((size_t)n);

	ck_assert(r != NULL);
	for (long i = 0; i < n; i++) {
		long size = sizes[i % 6];

		r[i].cmd = i % 2 ? AU_READ : AU_WRITE;
		r[i].daddr = STBLK + 8 * i;
		r[i].size = size;
		r[i].maddr = p + i * PAGE + (i % 4 < 2 ? 0 : PAGE - size);
		if (r[i].cmd == AU_WRITE)
			pat_fill(r[i].maddr, r[i].daddr, (size_t)size, 4);
	}
	return r;
}

static void start_all(int fd, struct req *r, long n)
{
	for (long i = 0; i < n; i++)
		req_start(fd, &r[i]);
}

static void expect_empty(int fd, const char *what)
{
	ASYNCSTATUS st;

	ck_assert_msg(status_poll(fd, &st) == 0, "%s: acount %ld, expected 0",
		      what, st.acount);
}

START_TEST(astat_nothing_done_acount_zero)
{
	int fd = dev_open();

	for (int i = 0; i < 5; i++)
		expect_empty(fd, "DKIOCASTAT on a fresh open file");
	dev_close(fd);
}
END_TEST

/* On a device whose every transfer takes at least -D ms, a DKIOCASTAT
 * that waited for a completion would take about that long; one that never
 * blocks returns in a small part of it. */
START_TEST(astat_never_blocks)
{
	int fd = dev_open();
	ASYNCSTATUS st;
	const double delay = conf.delay_ms / 1000.0, limit = delay / 4;
	long n = batch_max(15), got = 0, empty = 0;
	struct req *r = mixed_reqs(n);
	double t, took, first = -1, start;

	for (int i = 0; i < 20; i++) {
		t = now();
		status_poll(fd, &st);
		took = now() - t;
		ck_assert_msg(took < limit, "DKIOCASTAT with nothing in flight "
			      "took %.0f ms", took * 1000);
	}
	start = now();
	start_all(fd, r, n);
	ck_assert_msg(now() - start < limit, "starting %ld requests took "
		      "%.0f ms: too slow to tell (-D %ld)", n,
		      (now() - start) * 1000, conf.delay_ms);
	while (got < n) {
		t = now();
		long k = status_poll(fd, &st);

		took = now() - t;
		ck_assert_msg(took < limit, "DKIOCASTAT with %ld requests in "
			      "flight took %.0f ms, on a device that delays "
			      "each transfer by %ld ms", n - got, took * 1000,
			      conf.delay_ms);
		if (k > 0 && first < 0)
			first = now() - start;
		empty += k == 0;
		for (long j = 0; j < k; j++)
			req_status(&st.astatus[j], r, (size_t)n);
		got += k;
		ck_assert_msg(now() - start < delay + io_timeout, "timeout: "
			      "%ld of %ld statuses", got, n);
		nap_ms(5);
	}
	ck_assert_msg(empty > 0, "no DKIOCASTAT found the requests still in "
		      "flight");
	ck_assert_msg(first >= 0.75 * delay, "the first status came back "
		      "%.0f ms after the start: DEVICE is not as slow as -D "
		      "%ld says", first * 1000, conf.delay_ms);
	free(r);
	dev_close(fd);
}
END_TEST

START_TEST(astat_at_most_15_all_back_once)
{
	int fd = dev_open();
	long n = batch_max(40);
	struct req *r = mixed_reqs(n);

	start_all(fd, r, n);
	reqs_wait(fd, r, (size_t)n);	/* checks acount <= 15 each call */
	nap_ms(50);
	expect_empty(fd, "DKIOCASTAT after every status was returned");
	/* The writes landed where they were meant to. */
	char *back = pages_alloc(1);

	for (long i = 0; i < n; i++)
		if (r[i].cmd == AU_WRITE) {
			memset(back, 0, PAGE);
			io_sync(fd, AU_READ, r[i].daddr, back, r[i].size);
			EXPECT_PAT(back, r[i].daddr, (size_t)r[i].size, 4,
				   "request %ld read back", i);
		}
	free(r);
	dev_close(fd);
}
END_TEST

START_TEST(astat_full_batch_when_many_done)
{
	int fd = dev_open();
	long n = batch_max(40);
	struct req *r = mixed_reqs(n);
	ASYNCSTATUS st;

	start_all(fd, r, n);
	nap_ms(1000);	/* time for all of them to complete */
	long k = status_poll(fd, &st);

	ck_assert_msg(k == (n < MAXSTATUS ? n : MAXSTATUS),
		      "first DKIOCASTAT 1 s after %ld requests returned %ld "
		      "statuses, expected %d", n, k,
		      n < MAXSTATUS ? (int)n : MAXSTATUS);
	for (long j = 0; j < k; j++)
		req_status(&st.astatus[j], r, (size_t)n);
	reqs_wait(fd, r, (size_t)n);
	free(r);
	dev_close(fd);
}
END_TEST

START_TEST(astat_ref_opaque)
{
	int fd = dev_open();
	char *p = pages_alloc(2);
	char *refs[] = {
		NULL, (char *)1, (char *)(uintptr_t)-1,
		(char *)(uintptr_t)0x80000000u, p + 7,
		(char *)(uintptr_t)0xdeadbeefu, (char *)(uintptr_t)-512,
	};
	const long n = sizeof(refs) / sizeof(refs[0]);
	int seen[sizeof(refs) / sizeof(refs[0])] = { 0 };
	long got = 0;
	double end = now() + io_timeout;

	for (long i = 0; i < n; i++)
		EXPECT_OK(aio_start(fd, AU_READ, STBLK + i, p + i * BLK, BLK,
				    refs[i]), "DKIOCASTRT with au_ref %p",
			  (void *)refs[i]);
	while (got < n) {
		ASYNCSTATUS st;
		long k = status_poll(fd, &st);

		for (long j = 0; j < k; j++) {
			const IOSTAT *s = &st.astatus[j];
			long i = (s->iomaddr - p) / BLK;

			ck_assert_msg(s->iomaddr >= p && s->iomaddr < p + n * BLK
				      && (s->iomaddr - p) % BLK == 0,
				      "status with unknown iomaddr %p",
				      (void *)s->iomaddr);
			ck_assert_msg(!seen[i], "request %ld returned twice", i);
			seen[i] = 1;
			ck_assert_msg(s->ioref == refs[i], "request %ld: ioref %p,"
				      " au_ref was %p", i, (void *)s->ioref,
				      (void *)refs[i]);
			ck_assert_msg(s->iostatus == 0 && s->iobsize == BLK,
				      "request %ld: iostatus %d iobsize %d", i,
				      s->iostatus, s->iobsize);
		}
		got += k;
		if (k == 0) {
			ck_assert_msg(now() < end, "timeout: %ld of %ld "
				      "statuses", got, n);
			nap_ms(0.5);
		}
	}
	dev_close(fd);
}
END_TEST

START_TEST(astat_bad_arg_efault)
{
	int fd = dev_open();

	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTAT, NULL),
		   "DKIOCASTAT with arg NULL");
	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTAT, (void *)1),
		   "DKIOCASTAT with arg (void *)1");
	char *hole = pages_hole(1);

	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTAT, hole),
		   "DKIOCASTAT with arg pointing to an unmapped page");
	expect_empty(fd, "a good DKIOCASTAT afterwards");
	dev_close(fd);
}
END_TEST

START_TEST(astat_bad_arg_loses_nothing)
{
	/* The statuses waiting when DKIOCASTAT fails with EFAULT are still
	 * there for the next good call. */
	int fd = dev_open();
	struct req *r = mixed_reqs(3);

	start_all(fd, r, 3);
	nap_ms(500);
	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTAT, NULL),
		   "DKIOCASTAT with arg NULL, statuses waiting");
	char *hole = pages_hole(1);

	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTAT, hole),
		   "DKIOCASTAT with arg unmapped, statuses waiting");
	reqs_wait(fd, r, 3);
	free(r);
	dev_close(fd);
}
END_TEST

static void separate_files(int a, int b, const char *what)
{
	struct req *ra = mixed_reqs(10);
	struct req *rb = ra + 5;
	ASYNCSTATUS st;

	/* Both at once: each file gets only its own. */
	start_all(a, ra, 5);
	start_all(b, rb, 5);
	reqs_wait(a, ra, 5);
	reqs_wait(b, rb, 5);
	/* Requests on a only: b sees nothing, a gets them all. */
	for (int i = 0; i < 5; i++)
		ra[i].state = REQ_IDLE;
	start_all(a, ra, 5);
	nap_ms(300);
	for (int i = 0; i < 3; i++)
		ck_assert_msg(status_poll(b, &st) == 0,
			      "%s returned %ld statuses of requests started "
			      "on the other", what, st.acount);
	reqs_wait(a, ra, 5);
	free(ra);
}

START_TEST(astat_per_open_file)
{
	int a = dev_open(), b = dev_open();

	separate_files(a, b, "a second open of DEVICE");
	dev_close(a);
	dev_close(b);
}
END_TEST

START_TEST(astat_per_device)
{
	int a = dev_open(), b = slice_open();

	separate_files(a, b, "SLICE_DEVICE");
	dev_close(a);
	dev_close(b);
}
END_TEST

START_TEST(astat_dup_shares_statuses)
{
	int fd = dev_open();
	int fd2 = dup(fd);
	struct req *r = mixed_reqs(6);

	ck_assert_msg(fd2 >= 0, "dup: %s", strerror(errno));
	start_all(fd, r, 3);
	start_all(fd2, r + 3, 3);
	reqs_wait(fd2, r, 6);	/* all six through the dup */
	expect_empty(fd, "the original fd after the dup collected all");
	free(r);
	dev_close(fd2);
	dev_close(fd);
}
END_TEST

const struct cgroup group_status = {
	"astat", 60, (const struct ctest[]){
		CTEST(astat_nothing_done_acount_zero, 0),
		CTEST(astat_never_blocks, NEED_DELAY),
		CTEST(astat_at_most_15_all_back_once, 0),
		CTEST(astat_full_batch_when_many_done, 0),
		CTEST(astat_ref_opaque, 0),
		CTEST(astat_bad_arg_efault, 0),
		CTEST(astat_bad_arg_loses_nothing, 0),
		CTEST(astat_per_open_file, 0),
		CTEST(astat_per_device, NEED_SLICE),
		CTEST(astat_dup_shares_statuses, 0),
		CTEST_END,
	},
};
