/* SPDX-License-Identifier: MIT */
/*
 * t_safety.c -- data safety (issue 10): a partition served read-only (-r)
 * refuses every way of writing with EROFS and still serves reads, and on a
 * device with a known range of bad blocks (-R FIRST:COUNT, e.g. a
 * device-mapper table mixing linear and error segments) exactly the
 * requests that touch the range fail with EIO in iostatus, while every
 * other block keeps the data written to it.
 */
#include "conform.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <scoaio/ioctl.h>

/* One request to its status: iostatus, with iobsize in *moved. */
static int one_request(int fd, long cmd, long daddr, char *p, long *moved)
{
	ASYNCSTATUS st;
	double end = now() + io_timeout;

	EXPECT_OK(aio_start(fd, cmd, daddr, p, PAGE, p),
		  "%s of block %ld", cmd == AU_WRITE ? "AU_WRITE" : "AU_READ",
		  daddr);
	while (status_poll(fd, &st) == 0 && now() < end)
		nap_ms(1);
	ck_assert_msg(st.acount == 1, "no status for block %ld", daddr);
	ck_assert_ptr_eq(st.astatus[0].ioref, p);
	*moved = st.astatus[0].iobsize;
	return st.astatus[0].iostatus;
}

START_TEST(safety_ro_writes_erofs)
{
	struct aio_pio pio;
	char *p = pages_alloc(1);
	long moved;
	int fd;

	errno = 0;
	ck_assert_msg(open(conf.dev, O_RDWR) < 0 && errno == EROFS,
		      "open(O_RDWR) of the read-only device: %s",
		      errno ? strerror(errno) : "succeeded");
	errno = 0;
	ck_assert_msg(open(conf.dev, O_WRONLY) < 0 && errno == EROFS,
		      "open(O_WRONLY) of the read-only device: %s",
		      errno ? strerror(errno) : "succeeded");
	fd = open(conf.dev, O_RDONLY);
	ck_assert_msg(fd >= 0, "open(O_RDONLY): %s", strerror(errno));
	errno = 0;
	ck_assert_msg(aio_start(fd, AU_WRITE, 0, p, PAGE, p) == -1 &&
		      errno == EROFS, "DKIOCASTRT AU_WRITE: %s",
		      errno ? strerror(errno) : "accepted");
	memset(&pio, 0, sizeof(pio));
	pio.buf = (uintptr_t)p;
	pio.len = PAGE;
	errno = 0;
	ck_assert_msg(ioctl(fd, AIOC_PWRITE, &pio) == -1 && errno == EROFS,
		      "AIOC_PWRITE: %s", errno ? strerror(errno) : "accepted");
	ck_assert_int_eq(one_request(fd, AU_READ, 0, p, &moved), 0);
	ck_assert_int_eq(moved, PAGE);
	close(fd);
}
END_TEST

START_TEST(safety_bad_blocks_exact)
{
	long first = conf.bad_first, last = conf.bad_first + conf.bad_count;
	long lo = first - 32 > 0 ? first - 32 : 0, hi = last + 32, moved;
	int fd = dev_open();
	char *p = pages_alloc(1);

	/* Pages every 4 blocks: some end in the range, some start in it. */
	for (long d = lo; d < hi; d += 4) {
		bool bad = d < last && d + PAGE / BLK > first;
		int st;

		pat_fill(p, d, PAGE, 41);
		st = one_request(fd, AU_WRITE, d, p, &moved);
		ck_assert_msg(bad ? st == EIO : st == 0, "AU_WRITE at block "
			      "%ld (%s): iostatus %d", d, bad ? "bad" : "good",
			      st);
	}
	/* The pages above overlap; rewrite the good ones side by side, then
	 * read every page back. */
	for (long d = lo; d < hi; d += PAGE / BLK) {
		bool bad = d < last && d + PAGE / BLK > first;

		if (bad)
			continue;
		pat_fill(p, d, PAGE, 42);
		ck_assert_int_eq(one_request(fd, AU_WRITE, d, p, &moved), 0);
	}
	for (long d = lo; d < hi; d += PAGE / BLK) {
		bool bad = d < last && d + PAGE / BLK > first;
		int st;

		memset(p, 0, PAGE);
		st = one_request(fd, AU_READ, d, p, &moved);
		ck_assert_msg(bad ? st == EIO : st == 0, "AU_READ at block "
			      "%ld (%s): iostatus %d", d, bad ? "bad" : "good",
			      st);
		if (!bad)
			EXPECT_PAT(p, d, PAGE, 42, "the good block %ld", d);
	}
	dev_close(fd);
}
END_TEST

const struct cgroup group_safety = {
	"safety", 60, (const struct ctest[]){
		CTEST(safety_ro_writes_erofs, NEED_READONLY),
		CTEST(safety_bad_blocks_exact, NEED_BAD_RANGE),
		CTEST_END,
	},
};
