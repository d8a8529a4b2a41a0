/* SPDX-License-Identifier: MIT */
/*
 * t_mlock.c -- DKIOCMLOCK: the one memory region a process declares for
 * AIO.  Owns the rules that asize 0 is a successful no-op that records
 * nothing; that the first non-zero call records the region, a repeat with
 * the same values succeeds on any fd or device and different values fail
 * with EINVAL; that an unmapped region or bad argument pointer gives EFAULT;
 * that where a lock is granted (root, or a user within an allowance) it
 * holds (every DKIOCASTRT transfer must lie inside
 * the region, else EINVAL, on every fd of the process); and that the region
 * belongs to the process: a forked child neither inherits nor disturbs it.
 */
#include "conform.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MLBLK	1000L		/* blocks used by these tests */

/* The region the lock-holding tests use: pages 1..3 of a 6-page mapping
 * less 1024 bytes at either end, so page 2 is wholly inside, pages 1 and 3
 * partly, pages 0, 4 and 5 not at all. */
#define R_OFF	(PAGE + 1024)
#define R_END	(4 * PAGE - 1024)
#define R_SIZE	(R_END - R_OFF)
#define R_PAGES	6

static void expect_io_ok(int fd, char *maddr, long size, long daddr,
			 const char *what)
{
	pat_fill(maddr, daddr, (size_t)size, 1);
	io_sync(fd, AU_WRITE, daddr, maddr, size);
	memset(maddr, 0, (size_t)size);
	io_sync(fd, AU_READ, daddr, maddr, size);
	EXPECT_PAT(maddr, daddr, (size_t)size, 1, "%s", what);
}

static void expect_outside(int fd, char *maddr, long size, const char *what)
{
	EXPECT_ERR(EINVAL, aio_start(fd, AU_READ, MLBLK, maddr, size, NULL),
		   "AU_READ %s (maddr %p, size %ld)", what, (void *)maddr,
		   size);
	EXPECT_ERR(EINVAL, aio_start(fd, AU_WRITE, MLBLK, maddr, size, NULL),
		   "AU_WRITE %s (maddr %p, size %ld)", what, (void *)maddr,
		   size);
}

/* Nothing may have been started by the rejected requests. */
static void expect_no_status(int fd)
{
	ASYNCSTATUS st;

	nap_ms(50);
	ck_assert_msg(status_poll(fd, &st) == 0,
		      "rejected requests produced %ld statuses", st.acount);
}

START_TEST(mlock_zero_size_noop)
{
	int fd = dev_open();
	char *p = pages_alloc(4);

	EXPECT_OK(aio_mlock(fd, p, 0), "DKIOCMLOCK {%p, 0}", (void *)p);
	EXPECT_OK(aio_mlock(fd, p + PAGE, 0),
		  "DKIOCMLOCK {%p, 0} after {%p, 0}", (void *)(p + PAGE),
		  (void *)p);
	/* Nothing locked: transfers anywhere are fine. */
	expect_io_ok(fd, p + 3 * PAGE, PAGE, MLBLK,
		     "transfer after asize-0 calls");
	/* Nothing recorded: any region may still be declared. */
	EXPECT_OK(aio_mlock(fd, p + 2 * PAGE, PAGE),
		  "DKIOCMLOCK {%p, 4096} after asize-0 calls",
		  (void *)(p + 2 * PAGE));
	dev_close(fd);
}
END_TEST

START_TEST(mlock_zero_size_unmapped_ok)
{
	int fd = dev_open();

	EXPECT_OK(aio_mlock(fd, NULL, 0), "DKIOCMLOCK {NULL, 0}");
	char *hole = pages_hole(1);

	EXPECT_OK(aio_mlock(fd, hole, 0), "DKIOCMLOCK {unmapped %p, 0}",
		  (void *)hole);
	dev_close(fd);
}
END_TEST

START_TEST(mlock_same_values_again_ok)
{
	int fd = dev_open();
	char *p = pages_alloc(4);

	EXPECT_OK(aio_mlock(fd, p, 3 * PAGE), "first DKIOCMLOCK");
	EXPECT_OK(aio_mlock(fd, p, 3 * PAGE), "DKIOCMLOCK again, same values");
	EXPECT_OK(aio_mlock(fd, p, 3 * PAGE), "DKIOCMLOCK a third time");
	dev_close(fd);
}
END_TEST

START_TEST(mlock_same_values_other_fd_ok)
{
	int a = dev_open(), b = dev_open();
	char *p = pages_alloc(4);

	EXPECT_OK(aio_mlock(a, p + 512, 5000), "DKIOCMLOCK on fd A");
	EXPECT_OK(aio_mlock(b, p + 512, 5000),
		  "DKIOCMLOCK with the same values on fd B (same device)");
	dev_close(a);
	dev_close(b);
}
END_TEST

START_TEST(mlock_same_values_other_device_ok)
{
	int a = dev_open(), b = slice_open();
	char *p = pages_alloc(4);

	EXPECT_OK(aio_mlock(a, p, 2 * PAGE), "DKIOCMLOCK on DEVICE");
	EXPECT_OK(aio_mlock(b, p, 2 * PAGE),
		  "DKIOCMLOCK with the same values on SLICE_DEVICE");
	dev_close(a);
	dev_close(b);
}
END_TEST

START_TEST(mlock_different_addr_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(4);

	EXPECT_OK(aio_mlock(fd, p + PAGE, 2 * PAGE), "first DKIOCMLOCK");
	EXPECT_ERR(EINVAL, aio_mlock(fd, p, 2 * PAGE),
		   "DKIOCMLOCK with an earlier avaddr");
	EXPECT_ERR(EINVAL, aio_mlock(fd, p + PAGE + 512, 2 * PAGE),
		   "DKIOCMLOCK with avaddr 512 bytes later");
	EXPECT_OK(aio_mlock(fd, p + PAGE, 2 * PAGE),
		  "the first values again (the region must be unchanged)");
	dev_close(fd);
}
END_TEST

START_TEST(mlock_different_size_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(4);

	EXPECT_OK(aio_mlock(fd, p, 2 * PAGE), "first DKIOCMLOCK");
	EXPECT_ERR(EINVAL, aio_mlock(fd, p, 3 * PAGE),
		   "DKIOCMLOCK with a larger asize");
	EXPECT_ERR(EINVAL, aio_mlock(fd, p, PAGE),
		   "DKIOCMLOCK with a smaller asize");
	EXPECT_ERR(EINVAL, aio_mlock(fd, p, 2 * PAGE + 1),
		   "DKIOCMLOCK with asize one byte larger");
	EXPECT_OK(aio_mlock(fd, p, 2 * PAGE),
		  "the first values again (the region must be unchanged)");
	dev_close(fd);
}
END_TEST

START_TEST(mlock_different_values_other_fd_einval)
{
	int a = dev_open(), b = dev_open();
	char *p = pages_alloc(4);

	EXPECT_OK(aio_mlock(a, p, 2 * PAGE), "DKIOCMLOCK on fd A");
	EXPECT_ERR(EINVAL, aio_mlock(b, p + PAGE, 2 * PAGE),
		   "DKIOCMLOCK with another avaddr on fd B (same device)");
	EXPECT_ERR(EINVAL, aio_mlock(b, p, 3 * PAGE),
		   "DKIOCMLOCK with another asize on fd B (same device)");
	EXPECT_OK(aio_mlock(b, p, 2 * PAGE),
		  "DKIOCMLOCK with the values of fd A on fd B");
	dev_close(a);
	dev_close(b);
}
END_TEST

START_TEST(mlock_different_values_other_device_einval)
{
	int a = dev_open(), b = slice_open();
	char *p = pages_alloc(4);

	EXPECT_OK(aio_mlock(a, p, 2 * PAGE), "DKIOCMLOCK on DEVICE");
	EXPECT_ERR(EINVAL, aio_mlock(b, p + PAGE, 2 * PAGE),
		   "DKIOCMLOCK with another avaddr on SLICE_DEVICE");
	EXPECT_ERR(EINVAL, aio_mlock(b, p, PAGE),
		   "DKIOCMLOCK with another asize on SLICE_DEVICE");
	dev_close(a);
	dev_close(b);
}
END_TEST

START_TEST(mlock_unmapped_region_efault)
{
	int fd = dev_open();
	char *hole = pages_hole(2);

	EXPECT_ERR(EFAULT, aio_mlock(fd, hole, 2 * PAGE),
		   "DKIOCMLOCK on munmap()ed memory %p", (void *)hole);
	EXPECT_ERR(EFAULT, aio_mlock(fd, hole + 512, 1024),
		   "DKIOCMLOCK on 1024 bytes of munmap()ed memory");
	dev_close(fd);
}
END_TEST

START_TEST(mlock_partly_unmapped_efault)
{
	int fd = dev_open();
	char *p = pages_alloc(3);

	ck_assert(munmap(p + PAGE, PAGE) == 0);
	EXPECT_ERR(EFAULT, aio_mlock(fd, p, 3 * PAGE),
		   "DKIOCMLOCK over pages mapped, unmapped, mapped");
	EXPECT_ERR(EFAULT, aio_mlock(fd, p + PAGE - 512, 1024),
		   "DKIOCMLOCK running 512 bytes into an unmapped page");
	EXPECT_ERR(EFAULT, aio_mlock(fd, p + 2 * PAGE - 512, 1024),
		   "DKIOCMLOCK starting 512 bytes before a mapped page");
	dev_close(fd);
}
END_TEST

START_TEST(mlock_failed_call_records_nothing)
{
	int fd = dev_open();
	char *p = pages_alloc(4);
	char *hole = pages_hole(2);

	EXPECT_ERR(EFAULT, aio_mlock(fd, hole, 2 * PAGE),
		   "DKIOCMLOCK on unmapped memory");
	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCMLOCK, NULL),
		   "DKIOCMLOCK with a NULL argument pointer");
	EXPECT_OK(aio_mlock(fd, p, 2 * PAGE),
		  "DKIOCMLOCK on mapped memory after failed calls");
	EXPECT_OK(aio_mlock(fd, p, 2 * PAGE), "and the same values again");
	EXPECT_ERR(EINVAL, aio_mlock(fd, p, PAGE),
		   "other values (the region recorded is the good one)");
	dev_close(fd);
}
END_TEST

START_TEST(mlock_bad_arg_efault)
{
	int fd = dev_open();
	char *p = pages_alloc(2);

	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCMLOCK, NULL),
		   "DKIOCMLOCK with arg NULL");
	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCMLOCK, (void *)1),
		   "DKIOCMLOCK with arg (void *)1");
	char *hole = pages_hole(1);

	EXPECT_ERR(EFAULT, ioctl(fd, DKIOCMLOCK, hole),
		   "DKIOCMLOCK with arg pointing to an unmapped page");
	EXPECT_OK(aio_mlock(fd, p, PAGE), "a good DKIOCMLOCK afterwards");
	dev_close(fd);
}
END_TEST

START_TEST(mlock_held_inside_ok)
{
	int fd = dev_open();
	char *p = pages_alloc(R_PAGES);
	char *r = p + R_OFF;

	EXPECT_OK(aio_mlock(fd, r, R_SIZE), "DKIOCMLOCK {%p, %d}", (void *)r,
		  R_SIZE);
	expect_io_ok(fd, r, 512, MLBLK, "512 bytes at the region's start");
	expect_io_ok(fd, r, 3072, MLBLK + 8,
		     "3072 bytes from the region's start to its page's end");
	expect_io_ok(fd, p + 2 * PAGE, PAGE, MLBLK + 16,
		     "the full page inside the region");
	expect_io_ok(fd, p + 3 * PAGE, 3072, MLBLK + 24,
		     "3072 bytes from a page's start to the region's end");
	expect_io_ok(fd, p + R_END - 512, 512, MLBLK + 32,
		     "512 bytes ending at the region's end");
	dev_close(fd);
}
END_TEST

START_TEST(mlock_held_outside_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(R_PAGES);
	char *elsewhere = pages_alloc(1);

	EXPECT_OK(aio_mlock(fd, p + R_OFF, R_SIZE), "DKIOCMLOCK");
	expect_outside(fd, p, PAGE, "the page before the region");
	expect_outside(fd, p + PAGE, 1024, "the 1024 bytes before the region");
	expect_outside(fd, p + R_END, 512,
		       "the 512 bytes right after the region");
	expect_outside(fd, p + 4 * PAGE, PAGE, "the page after the region");
	expect_outside(fd, elsewhere, 512, "an unrelated buffer");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

START_TEST(mlock_held_straddling_einval)
{
	int fd = dev_open();
	char *p = pages_alloc(R_PAGES);

	EXPECT_OK(aio_mlock(fd, p + R_OFF, R_SIZE), "DKIOCMLOCK");
	expect_outside(fd, p + R_OFF - 512, 1024,
		       "a transfer starting 512 bytes before the region");
	expect_outside(fd, p + PAGE, PAGE,
		       "the whole first page of the region");
	expect_outside(fd, p + R_END - 512, 1024,
		       "a transfer ending 512 bytes after the region");
	expect_outside(fd, p + 3 * PAGE, PAGE,
		       "the whole last page of the region");
	expect_no_status(fd);
	dev_close(fd);
}
END_TEST

/* The process's region, locked through fd a, holds on fd b too, which
 * never called DKIOCMLOCK. */
static void expect_held_on(int a, int b, const char *on)
{
	char *p = pages_alloc(R_PAGES);
	char what[100];

	EXPECT_OK(aio_mlock(a, p + R_OFF, R_SIZE), "DKIOCMLOCK");
	snprintf(what, sizeof(what), "on %s, before the region", on);
	expect_outside(b, p, 512, what);
	snprintf(what, sizeof(what), "on %s, after the region", on);
	expect_outside(b, p + 4 * PAGE + 512, 512, what);
	snprintf(what, sizeof(what), "on %s, a page inside the region", on);
	expect_io_ok(b, p + 2 * PAGE, PAGE, MLBLK, what);
	dev_close(a);
	dev_close(b);
}

START_TEST(mlock_held_other_fd)
{
	expect_held_on(dev_open(), dev_open(), "fd B of the same device");
}
END_TEST

START_TEST(mlock_held_other_device)
{
	expect_held_on(dev_open(), slice_open(), "SLICE_DEVICE");
}
END_TEST

/* ---- children --------------------------------------------------------- */

struct mlock_child {
	char *outside;		/* outside the parent's region */
	char *region2;		/* the child's own region */
	unsigned size2;
	char *inside_parent;	/* inside the parent's, outside the child's */
};

/* The child transfers outside the parent's region. */
static void child_outside(struct child *self, void *arg)
{
	struct mlock_child *a = arg;
	int fd = open(conf.dev, O_RDWR);
	const char *why;

	if (fd < 0) {
		child_say(self, "FAIL open %s: %s", conf.dev, strerror(errno));
		return;
	}
	why = try_io(fd, AU_READ, MLBLK, a->outside, 512);
	if (why == NULL)
		why = try_io(fd, AU_WRITE, MLBLK, a->outside, PAGE);
	if (why != NULL)
		child_say(self, "FAIL transfer outside the parent's region: %s",
			  why);
	else
		child_say(self, "OK");
	close(fd);
}

/* The child declares its own region and is held to it. */
static void child_own_region(struct child *self, void *arg)
{
	struct mlock_child *a = arg;
	int fd = open(conf.dev, O_RDWR);
	const char *why;

	if (fd < 0) {
		child_say(self, "FAIL open %s: %s", conf.dev, strerror(errno));
		return;
	}
	if (aio_mlock(fd, a->region2, a->size2) != 0) {
		child_say(self, "FAIL DKIOCMLOCK of the child's own region "
			  "{%p, %u}: errno %s", (void *)a->region2, a->size2,
			  errname(errno));
		return;
	}
	why = try_io(fd, AU_READ, MLBLK, a->region2, 512);
	if (why != NULL) {
		child_say(self, "FAIL transfer inside the child's region: %s",
			  why);
		return;
	}
	errno = 0;
	int rc = aio_start(fd, AU_READ, MLBLK, a->inside_parent, 512, NULL);

	if (rc != -1 || errno != EINVAL) {
		child_say(self, "FAIL transfer inside the parent's region but "
			  "outside the child's: expected -1 errno EINVAL, got "
			  "%d errno %s", rc, rc == -1 ? errname(errno) : "-");
		return;
	}
	child_say(self, "OK");
	close(fd);
}

START_TEST(mlock_child_not_inherited)
{
	int fd = dev_open();
	char *p = pages_alloc(R_PAGES);
	struct mlock_child a = { .outside = p + 4 * PAGE };
	struct child c;

	EXPECT_OK(aio_mlock(fd, p + R_OFF, R_SIZE), "DKIOCMLOCK in the parent");
	expect_outside(fd, a.outside, 512, "in the parent");
	child_spawn(&c, child_outside, &a);
	child_expect_ok(&c, NULL, 0);
	child_reap(&c);
	dev_close(fd);
}
END_TEST

/* The parent locks the test region, a child declares its own region at
 * a->region2 and must succeed. */
static void parent_and_child_regions(int fd, char *p, struct mlock_child *a)
{
	struct child c;

	*a = (struct mlock_child){
		.region2 = p + 4 * PAGE, .size2 = PAGE,
		.inside_parent = p + 2 * PAGE,
	};
	EXPECT_OK(aio_mlock(fd, p + R_OFF, R_SIZE), "DKIOCMLOCK in the parent");
	child_spawn(&c, child_own_region, a);
	child_expect_ok(&c, NULL, 0);
	child_reap(&c);
}

START_TEST(mlock_child_own_region)
{
	int fd = dev_open();
	struct mlock_child a;

	parent_and_child_regions(fd, pages_alloc(R_PAGES), &a);
	dev_close(fd);
}
END_TEST

START_TEST(mlock_parent_region_survives_child)
{
	int fd = dev_open();
	char *p = pages_alloc(R_PAGES);
	struct mlock_child a;

	parent_and_child_regions(fd, p, &a);
	EXPECT_OK(aio_mlock(fd, p + R_OFF, R_SIZE),
		  "the parent's values again after the child's DKIOCMLOCK");
	EXPECT_ERR(EINVAL, aio_mlock(fd, a.region2, a.size2),
		   "the child's values in the parent");
	expect_outside(fd, a.region2, 512,
		       "in the parent, inside the child's region");
	expect_io_ok(fd, p + 2 * PAGE, PAGE, MLBLK,
		     "in the parent, inside its own region");
	dev_close(fd);
}
END_TEST

const struct cgroup group_mlock = {
	"mlock", 60, (const struct ctest[]){
		CTEST(mlock_zero_size_noop, 0),
		CTEST(mlock_zero_size_unmapped_ok, 0),
		CTEST(mlock_same_values_again_ok, 0),
		CTEST(mlock_same_values_other_fd_ok, 0),
		CTEST(mlock_same_values_other_device_ok, NEED_SLICE),
		CTEST(mlock_different_addr_einval, 0),
		CTEST(mlock_different_size_einval, 0),
		CTEST(mlock_different_values_other_fd_einval, 0),
		CTEST(mlock_different_values_other_device_einval, NEED_SLICE),
		CTEST(mlock_unmapped_region_efault, 0),
		CTEST(mlock_partly_unmapped_efault, 0),
		CTEST(mlock_failed_call_records_nothing, 0),
		CTEST(mlock_bad_arg_efault, 0),
		CTEST(mlock_held_inside_ok, NEED_LOCKS),
		CTEST(mlock_held_outside_einval, NEED_LOCKS),
		CTEST(mlock_held_straddling_einval, NEED_LOCKS),
		CTEST(mlock_held_other_fd, NEED_LOCKS),
		CTEST(mlock_held_other_device, NEED_LOCKS | NEED_SLICE),
		CTEST(mlock_child_not_inherited, NEED_LOCKS),
		CTEST(mlock_child_own_region, NEED_LOCKS),
		CTEST(mlock_parent_region_survives_child, NEED_LOCKS),
		CTEST_END,
	},
};
