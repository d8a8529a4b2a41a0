/* SPDX-License-Identifier: MIT */
/*
 * t_request.c -- DKIOCASTRT argument validation: which requests start
 * (return 0 and later complete) and which are refused at once with which
 * errno.  Owns au_cmd (only AU_READ and AU_WRITE, else EINVAL), au_size
 * (positive multiple of 512, else EINVAL), au_maddr alignment (512, else
 * EINVAL), the one-4K-page rule (EINVAL), the partition bounds of DEVICE
 * and SLICE_DEVICE (ENXIO, exact with -s/-S), bad argument pointers and
 * unmapped transfer addresses (EFAULT), transfer memory whose protection
 * forbids the transfer (EFAULT: a read into a read-only page, either into
 * or from an inaccessible one), and that a refused request leaves
 * no status behind.  Each refused request has exactly one thing wrong, so
 * no errno ordering is assumed.
 */
#include "conform.h"

#include <limits.h>
#include <sys/mman.h>
#include <sys/ioctl.h>

#define RQBLK	2000L		/* blocks used by these tests */

static void expect_both(int err, int fd, long daddr, char *maddr, long size,
			const char *what)
{
	EXPECT_ERR(err, aio_start(fd, AU_READ, daddr, maddr, size, NULL),
		   "AU_READ, %s (daddr %ld, maddr %p, size %ld)", what, daddr,
		   (void *)maddr, size);
	EXPECT_ERR(err, aio_start(fd, AU_WRITE, daddr, maddr, size, NULL),
		   "AU_WRITE, %s (daddr %ld, maddr %p, size %ld)", what, daddr,
		   (void *)maddr, size);
}

/* Write a pattern from maddr, read it back into maddr, compare. */
static void expect_round_trip(int fd, long daddr, char *maddr, long size,
			      const char *what)
{
	pat_fill(maddr, daddr, (size_t)size, 2);
	io_sync(fd, AU_WRITE, daddr, maddr, size);
	memset(maddr, 0, (size_t)size);
	io_sync(fd, AU_READ, daddr, maddr, size);
	EXPECT_PAT(maddr, daddr, (size_t)size, 2, "%s (daddr %ld, size %ld)",
		   what, daddr, size);
}

static void expect_no_status(int fd)
{
	ASYNCSTATUS st;

	nap_ms(50);
	ck_assert_msg(status_poll(fd, &st) == 0,
		      "refused requests produced %ld statuses", st.acount);
}

START_TEST(astrt_valid_returns_zero)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	struct req w = { AU_WRITE, RQBLK, p, PAGE, REQ_IDLE };
	struct req r = { AU_READ, RQBLK, p, PAGE, REQ_IDLE };

	pat_fill(p, RQBLK, PAGE, 3);
	req_start(fd, &w);
	reqs_wait(fd, &w, 1);
	memset(p, 0, PAGE);
	req_start(fd, &r);
	reqs_wait(fd, &r, 1);
	EXPECT_PAT(p, RQBLK, PAGE, 3, "data read back");
	dev_close(fd);
}
END_TEST

START_TEST(astrt_bad_cmd_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	long cmds[] = {
		0, 3, 4, -1, 8, 0x101, 0x102, LONG_MIN, LONG_MAX,
#if LONG_MAX > 0x7fffffffL
		(long)0x100000001L, (long)0x100000002L,
#endif
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		EXPECT_ERR(EINVAL, aio_start(fd, cmds[i], RQBLK, p, BLK, NULL),
			   "au_cmd %ld (%#lx)", cmds[i],
			   (unsigned long)cmds[i]);
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_size_zero_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(1);

	expect_both(EINVAL, fd, RQBLK, p, 0, "au_size 0");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_size_negative_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(1);

	expect_both(EINVAL, fd, RQBLK, p, -512, "au_size -512");
	expect_both(EINVAL, fd, RQBLK, p, -1, "au_size -1");
	expect_both(EINVAL, fd, RQBLK, p, -4096, "au_size -4096");
	expect_both(EINVAL, fd, RQBLK, p, LONG_MIN, "au_size LONG_MIN");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_size_not_multiple_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	long sizes[] = { 1, 100, 511, 513, 1000, 1023, 2047, 4095 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		expect_both(EINVAL, fd, RQBLK, p, sizes[i],
			    "au_size not a multiple of 512");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_size_huge_refused)
{
	/* Sizes a narrowing conversion would turn into valid ones.  They
	 * also run past the partition, so ENXIO is as right as EINVAL. */
	int fd = dev_open();
	char *p = pages_alloc(1);
	long sizes[] = {
		LONG_MAX - 511,
#if LONG_MAX > 0x7fffffffL
		(long)0x100000200L, (long)0x100001000L, (long)0x7fffffff00000200L,
#endif
		0x7ffffe00L,
	};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (long cmd = AU_READ; cmd <= AU_WRITE; cmd++) {
			errno = 0;
			int rc = aio_start(fd, cmd, RQBLK, p, sizes[i], NULL);
			int e = errno;

			ck_assert_msg(rc == -1 && (e == EINVAL || e == ENXIO),
				      "au_cmd %ld au_size %ld (%#lx): expected "
				      "-1 errno EINVAL (or ENXIO), got %d "
				      "errno %s", cmd, sizes[i],
				      (unsigned long)sizes[i], rc,
				      rc == -1 ? errname(e) : "-");
		}
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_maddr_unaligned_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	long offs[] = { 1, 8, 256, 511, 513, 1000, 3080 };

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		expect_both(EINVAL, fd, RQBLK, p + offs[i], BLK,
			    "au_maddr not 512-aligned");
	expect_both(EINVAL, fd, RQBLK, p + 4, 1024,
		    "au_maddr not 512-aligned, 1024 bytes");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_page_crossing_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(3);
	const struct {
		long off, size;
	} cases[] = {
		{ 3584, 1024 }, { 3072, 2048 }, { 2048, 4096 }, { 512, 4096 },
		{ 3584, 4096 }, { 0, 8192 }, { 3584, 1536 }, { 4096 + 3584, 1024 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_both(EINVAL, fd, RQBLK, p + cases[i].off, cases[i].size,
			    "transfer crossing a 4K page boundary");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_full_page_ok)
{
	int fd = dev_open();
	char *p = pages_alloc(3);

	expect_round_trip(fd, RQBLK, p + PAGE, PAGE, "a full page");
	expect_round_trip(fd, RQBLK + 8, p, PAGE, "another full page");
	dev_close(fd);
}
END_TEST

START_TEST(astrt_page_tail_ok)
{
	int fd = dev_open();
	char *p = pages_alloc(1);

	expect_round_trip(fd, RQBLK, p + 3584, 512, "the last 512 of a page");
	expect_round_trip(fd, RQBLK + 8, p + 3072, 1024,
			  "the last 1024 of a page");
	expect_round_trip(fd, RQBLK + 16, p + 2048, 2048,
			  "the last 2048 of a page");
	expect_round_trip(fd, RQBLK + 24, p + 512, 3584,
			  "the last 3584 of a page");
	expect_round_trip(fd, RQBLK + 32, p + 1536, 1024,
			  "1024 in the middle of a page");
	dev_close(fd);
}
END_TEST

START_TEST(astrt_daddr_negative_enxio)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	long d[] = { -1, -2, -8, -(1L << 20), LONG_MIN, LONG_MIN / 512 };

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		expect_both(ENXIO, fd, d[i], p, BLK, "negative au_daddr");
	expect_both(ENXIO, fd, -1, p, PAGE, "au_daddr -1, 4096 bytes");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_daddr_far_beyond_end_enxio)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	long d[] = {
		LONG_MAX, LONG_MAX - 7, LONG_MAX / 512 + 1, LONG_MAX / 256,
#if LONG_MAX > 0x7fffffffL
		1L << 54, (1L << 54) - 1, 1L << 41, 1L << 32,
#endif
	};
	int tried = 0;

	for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		/* Without -s, only blocks past 512 GiB. */
		uint64_t limit = conf.dev_size ? conf.dev_size / BLK :
				 (uint64_t)1 << 30;

		if ((uint64_t)d[i] < limit)
			continue;
		expect_both(ENXIO, fd, d[i], p, BLK,
			    "au_daddr beyond the partition");
		tried++;
	}
	ck_assert(tried > 0);
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

/* ---- exact partition bounds ------------------------------------------- */

static void bound_last_ok(int fd, uint64_t size)
{
	long nb = (long)(size / BLK);
	char *p = pages_alloc(1);

	expect_round_trip(fd, nb - 1, p, BLK, "the last block");
	expect_round_trip(fd, nb - 8, p, PAGE, "the last 4096 bytes");
	expect_round_trip(fd, nb - 2, p + 1024, 1024, "the last 1024 bytes");
}

static void bound_past_end(int fd, uint64_t size)
{
	long nb = (long)(size / BLK);
	char *p = pages_alloc(1);

	expect_both(ENXIO, fd, nb, p, BLK, "the block just past the end");
	expect_both(ENXIO, fd, nb + 1, p, BLK, "two blocks past the end");
	expect_both(ENXIO, fd, nb, p, PAGE, "4096 bytes from the end");
	expect_both(ENXIO, fd, nb + 1000, p, 1024, "far past the end");
	expect_no_status(fd);
}

static void bound_straddling(int fd, uint64_t size)
{
	long nb = (long)(size / BLK);
	char *p = pages_alloc(1);

	expect_both(ENXIO, fd, nb - 1, p, 1024,
		    "1024 bytes from the last block");
	expect_both(ENXIO, fd, nb - 7, p, PAGE,
		    "4096 bytes from 7 blocks before the end");
	expect_both(ENXIO, fd, nb - 1, p, PAGE,
		    "4096 bytes from the last block");
	expect_no_status(fd);
}

START_TEST(astrt_last_block_ok)
{
	int fd = dev_open();

	bound_last_ok(fd, conf.dev_size);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_past_end_enxio)
{
	int fd = dev_open();

	bound_past_end(fd, conf.dev_size);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_straddling_end_enxio)
{
	int fd = dev_open();

	bound_straddling(fd, conf.dev_size);
	dev_close(fd);
}
END_TEST

START_TEST(slice_last_block_ok)
{
	int fd = slice_open();

	bound_last_ok(fd, conf.slice_size);
	dev_close(fd);
}
END_TEST

START_TEST(slice_past_end_enxio)
{
	int fd = slice_open();

	bound_past_end(fd, conf.slice_size);
	dev_close(fd);
}
END_TEST

START_TEST(slice_straddling_end_enxio)
{
	int fd = slice_open();

	bound_straddling(fd, conf.slice_size);
	dev_close(fd);
}
END_TEST

/* ---- bad addresses ---------------------------------------------------- */

START_TEST(astrt_bad_arg_efault)
{
	int fd = dev_open();

	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTRT, NULL),
		   "DKIOCASTRT with arg NULL");
	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTRT, (void *)1),
		   "DKIOCASTRT with arg (void *)1");
	char *hole = pages_hole(1);

	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTRT, hole),
		   "DKIOCASTRT with arg pointing to an unmapped page");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_maddr_unmapped_write_efault)
{
	int fd = dev_open();
	char *hole = pages_hole(1);

	EXPECT_ERR(EFAULT, aio_start(fd, AU_WRITE, RQBLK, hole, BLK, NULL),
		   "AU_WRITE from unmapped au_maddr %p", (void *)hole);
	EXPECT_ERR(EFAULT, aio_start(fd, AU_WRITE, RQBLK, hole, PAGE, NULL),
		   "AU_WRITE of a page from unmapped au_maddr");
	EXPECT_ERR(EFAULT, aio_start(fd, AU_WRITE, RQBLK, hole + 3584, BLK,
				     NULL),
		   "AU_WRITE from the end of an unmapped page");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_maddr_unmapped_read_efault)
{
	int fd = dev_open();
	char *hole = pages_hole(1);

	EXPECT_ERR(EFAULT, aio_start(fd, AU_READ, RQBLK, hole, BLK, NULL),
		   "AU_READ into unmapped au_maddr %p", (void *)hole);
	EXPECT_ERR(EFAULT, aio_start(fd, AU_READ, RQBLK, hole, PAGE, NULL),
		   "AU_READ of a page into unmapped au_maddr");
	EXPECT_ERR(EFAULT, aio_start(fd, AU_READ, RQBLK, hole + 3584, BLK,
				     NULL),
		   "AU_READ into the end of an unmapped page");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_maddr_protected_efault)
{
	int fd = dev_open();
	char *ro = pages_alloc(1), *none = pages_alloc(1);

	pat_fill(ro, RQBLK, PAGE, 4);
	ck_assert_msg(mprotect(ro, PAGE, PROT_READ) == 0 &&
		      mprotect(none, PAGE, PROT_NONE) == 0, "mprotect: %s",
		      strerror(errno));
	EXPECT_ERR(EFAULT, aio_start(fd, AU_READ, RQBLK, ro, PAGE, NULL),
		   "AU_READ into a read-only page");
	EXPECT_ERR(EFAULT, aio_start(fd, AU_READ, RQBLK, ro + 3584, BLK, NULL),
		   "AU_READ into the end of a read-only page");
	expect_both(EFAULT, fd, RQBLK, none, BLK, "a PROT_NONE page");
	expect_no_status(fd);
	EXPECT_PAT(ro, RQBLK, PAGE, 4, "the read-only page, after the reads");
	{	/* a write only reads its memory: read-only is enough */
		char *back = pages_alloc(1);

		io_sync(fd, AU_WRITE, RQBLK, ro, PAGE);
		io_sync(fd, AU_READ, RQBLK, back, PAGE);
		EXPECT_PAT(back, RQBLK, PAGE, 4, "written from a read-only page");
	}
	dev_close(fd);
}
END_TEST

START_TEST(astrt_maddr_null_efault)
{
	int fd = dev_open();

	expect_both(EFAULT, fd, RQBLK, NULL, BLK, "au_maddr NULL");
	expect_both(EFAULT, fd, RQBLK, NULL, PAGE, "au_maddr NULL, a page");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(astrt_refused_leave_no_status)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	char *hole = pages_hole(1);
	struct req ok = { AU_READ, RQBLK, p, BLK, REQ_IDLE };

	EXPECT_ERR(EINVAL, aio_start(fd, 0, RQBLK, p, BLK, p), "au_cmd 0");
	EXPECT_ERR(EINVAL, aio_start(fd, AU_READ, RQBLK, p, 100, p),
		   "au_size 100");
	EXPECT_ERR(EINVAL, aio_start(fd, AU_READ, RQBLK, p + 8, BLK, p),
		   "unaligned au_maddr");
	EXPECT_ERR(EINVAL, aio_start(fd, AU_WRITE, RQBLK, p + 3584, 1024, p),
		   "page crossing");
	EXPECT_ERR(ENXIO, aio_start(fd, AU_READ, -1, p, BLK, p),
		   "au_daddr -1");
	EXPECT_ERR(EFAULT, aio_start(fd, AU_WRITE, RQBLK, hole, BLK, p),
		   "unmapped au_maddr");
	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTRT, NULL), "arg NULL");
	expect_no_status(fd);
	/* And the device still works: exactly the good request comes back. */
	req_start(fd, &ok);
	reqs_wait(fd, &ok, 1);
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

const struct cgroup group_request = {
	"astrt", 60, (const struct ctest[]){
		CTEST(astrt_valid_returns_zero, 0),
		CTEST(astrt_bad_cmd_einval, 0),
		CTEST(astrt_size_zero_einval, 0),
		CTEST(astrt_size_negative_einval, 0),
		CTEST(astrt_size_not_multiple_einval, 0),
		CTEST(astrt_size_huge_refused, 0),
		CTEST(astrt_maddr_unaligned_einval, 0),
		CTEST(astrt_page_crossing_einval, 0),
		CTEST(astrt_full_page_ok, 0),
		CTEST(astrt_page_tail_ok, 0),
		CTEST(astrt_daddr_negative_enxio, 0),
		CTEST(astrt_daddr_far_beyond_end_enxio, 0),
		CTEST(astrt_last_block_ok, NEED_SIZE),
		CTEST(astrt_past_end_enxio, NEED_SIZE),
		CTEST(astrt_straddling_end_enxio, NEED_SIZE),
		CTEST(slice_last_block_ok, NEED_SLICE_SIZE),
		CTEST(slice_past_end_enxio, NEED_SLICE_SIZE),
		CTEST(slice_straddling_end_enxio, NEED_SLICE_SIZE),
		CTEST(astrt_bad_arg_efault, 0),
		CTEST(astrt_maddr_unmapped_write_efault, 0),
		CTEST(astrt_maddr_unmapped_read_efault, 0),
		CTEST(astrt_maddr_protected_efault, 0),
		CTEST(astrt_maddr_null_efault, 0),
		CTEST(astrt_refused_leave_no_status, 0),
		CTEST_END,
	},
};
