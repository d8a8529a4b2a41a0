/* SPDX-License-Identifier: MIT */
/*
 * t_perm.c -- who may lock memory and what aioinfo reports.  Owns the
 * rules that without an allowance (no aiomemlock.conf entry, or 0)
 * DKIOCMLOCK succeeds but locks nothing; that within an allowance the lock
 * holds, and the allowance is shared by all processes of one user and
 * returned when the process closes the last file it declared the region
 * on; that only root may load the lock table, which never grows past
 * NAIOLOCKTBL; and that aiod's request figures (AIOC_INFO) are exact.
 * The harness loads the table and tells the suite this user's allowance
 * with -L.
 */
#include "conform.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <scoaio/ioctl.h>

#define PBLK	2000L		/* blocks used by these tests */

static struct aio_info info(int fd)
{
	struct aio_info i;

	memset(&i, 0xa5, sizeof(i));
	ck_assert_msg(ioctl(fd, AIOC_INFO, &i) == 0, "AIOC_INFO: %s",
		      errname(errno));
	return i;
}

/* Wait (the release of a closed file is asynchronous) until aiod counts
 * want locks. */
static void wait_locks(int fd, uint32_t want, const char *what)
{
	double end = now() + io_timeout;
	uint32_t n;

	while ((n = info(fd).locks) != want && now() < end)
		nap_ms(10);
	ck_assert_msg(n == want, "%s: aiod counts %u memory locks, expected %u",
		      what, n, want);
}

/* A transfer outside the declared region: 0 if accepted (and completed),
 * else DKIOCASTRT's errno. */
static int outside_transfer(int fd, char *outside)
{
	ASYNCSTATUS st;
	double end = now() + io_timeout;

	if (aio_start(fd, AU_READ, PBLK, outside, BLK, NULL) == -1)
		return errno;
	while (status_poll(fd, &st) == 0 && now() < end)
		nap_ms(1);
	ck_assert_msg(st.acount == 1 && st.astatus[0].iostatus == 0,
		      "the accepted transfer did not complete");
	return 0;
}

START_TEST(perm_no_allowance_locks_nothing)
{
	int fd = dev_open();
	char *p = pages_alloc(4);
	uint32_t before = info(fd).locks;

	EXPECT_OK(aio_mlock(fd, p, 2 * PAGE), "DKIOCMLOCK without allowance");
	ck_assert_uint_eq(info(fd).locks, before);
	ck_assert_msg(outside_transfer(fd, p + 3 * PAGE) == 0,
		      "a transfer outside the region was refused, yet "
		      "nothing may be locked");
	/* The region is still recorded: other values are refused. */
	EXPECT_ERR(EINVAL, aio_mlock(fd, p + PAGE, PAGE),
		   "DKIOCMLOCK with other values after an unlocked one");
	dev_close(fd);
}
END_TEST

START_TEST(perm_allowance_lock_holds)
{
	int fd = dev_open();
	char *p = pages_alloc(4);
	struct aio_info before = info(fd), after;

	EXPECT_OK(aio_mlock(fd, p, 2 * PAGE), "DKIOCMLOCK within allowance");
	after = info(fd);
	ck_assert_uint_eq(after.locks, before.locks + 1);
	ck_assert_uint_eq(after.locked_bytes, before.locked_bytes + 2 * PAGE);
	EXPECT_ERR(EINVAL, aio_start(fd, AU_READ, PBLK, p + 3 * PAGE, BLK,
				     NULL), "transfer outside a held lock");
	pat_fill(p + PAGE, PBLK, PAGE, 7);
	io_sync(fd, AU_WRITE, PBLK, p + PAGE, PAGE);
	memset(p, 0, PAGE);
	io_sync(fd, AU_READ, PBLK, p, PAGE);
	EXPECT_PAT(p, PBLK, PAGE, 7, "data through locked memory");
	dev_close(fd);
}
END_TEST

/* Child: declare one page; say whether the lock holds. */
static void declare_page(struct child *self, void *arg)
{
	int fd = open(conf.dev, O_RDWR);
	char *p = pages_alloc(2);

	(void)arg;
	if (fd < 0 || aio_mlock(fd, p, PAGE) != 0) {
		child_say(self, "FAIL open or DKIOCMLOCK: %s", errname(errno));
		return;
	}
	if (aio_start(fd, AU_READ, PBLK, p + PAGE, BLK, NULL) == 0)
		child_say(self, "OK unlocked");
	else if (errno == EINVAL)
		child_say(self, "OK locked");
	else
		child_say(self, "FAIL DKIOCASTRT: %s", errname(errno));
	close(fd);
}

static void expect_child(const char *want, const char *what)
{
	struct child c;
	char said[64];

	child_spawn(&c, declare_page, NULL);
	child_expect_ok(&c, said, sizeof(said));
	child_reap(&c);
	ck_assert_msg(strcmp(said, want) == 0, "%s: the child said \"%s\", "
		      "expected \"%s\"", what, said, want);
}

START_TEST(perm_allowance_shared_by_processes)
{
	long pages = (long)(conf.allowance / PAGE);
	int fd = dev_open();
	char *p = pages_alloc((size_t)pages);
	uint32_t before = info(fd).locks;

	EXPECT_OK(aio_mlock(fd, p, (unsigned)(pages * PAGE)),
		  "DKIOCMLOCK of the whole allowance (%ld pages)", pages);
	ck_assert_uint_eq(info(fd).locks, before + 1);
	expect_child("unlocked", "a second process of the user while the "
		     "first holds the whole allowance");
	dev_close(fd);		/* the last file it declared on */
	wait_locks(fd = dev_open(), before, "after the holder closed");
	expect_child("locked", "a process of the user once the allowance "
		     "was returned");
	dev_close(fd);
}
END_TEST

START_TEST(perm_lock_released_on_last_close)
{
	int a = dev_open(), b = dev_open(), probe = dev_open();
	char *p = pages_alloc(4);
	uint32_t before = info(probe).locks;

	EXPECT_OK(aio_mlock(a, p, PAGE), "DKIOCMLOCK on fd A");
	EXPECT_OK(aio_mlock(b, p, PAGE), "DKIOCMLOCK on fd B");
	ck_assert_uint_eq(info(probe).locks, before + 1);
	dev_close(a);
	nap_ms(100);
	ck_assert_uint_eq(info(probe).locks, before + 1);	/* B holds it */
	EXPECT_ERR(EINVAL, aio_mlock(b, p + PAGE, PAGE),
		   "other values while fd B still declares the region");
	dev_close(b);
	wait_locks(probe, before, "after the last declaring fd closed");
	/* A fresh declaration, with other values, is accepted. */
	EXPECT_OK(aio_mlock(probe, p + 2 * PAGE, PAGE),
		  "DKIOCMLOCK with new values after the lock ended");
	dev_close(probe);
}
END_TEST

START_TEST(perm_lktbl_load_nonroot_eperm)
{
	int fd = dev_open();
	struct aio_lktbl *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	EXPECT_ERR(EPERM, ioctl(fd, AIOC_LKTBL_LOAD, t),
		   "AIOC_LKTBL_LOAD as uid %d", (int)getuid());
	free(t);
	dev_close(fd);
}
END_TEST

/* Load count users that no table lists (uids from 3000000000 + first). */
static int load_new_users(int fd, uint32_t first, uint32_t count,
			  uint32_t flags)
{
	struct aio_lktbl *t = calloc(1, sizeof(*t));
	int rc;

	ck_assert_ptr_nonnull(t);
	t->flags = flags;
	t->count = count;
	for (uint32_t i = 0; i < count; i++)
		t->entry[i] = (struct aio_lkent){
			.uid = 3000000000u + first + i, .bytes = 4096 };
	rc = ioctl(fd, AIOC_LKTBL_LOAD, t);
	free(t);
	return rc;
}

START_TEST(perm_lktbl_overflow_enospc)
{
	int fd = dev_open();
	struct aio_info before = info(fd);
	uint32_t room = before.naiolocktbl - before.lktbl_entries;

	ck_assert_uint_le(before.naiolocktbl, AIO_LKTBL_MAX);
	ck_assert_uint_le(before.lktbl_entries, before.naiolocktbl);
	if (room < AIO_LKTBL_MAX) {
		/* One load of room + 1 new users overflows the table. */
		EXPECT_ERR(ENOSPC, load_new_users(fd, 0, room + 1, 0),
			   "loading %u new users into a table of %u with %u",
			   room + 1, before.naiolocktbl, before.lktbl_entries);
		ck_assert_uint_eq(info(fd).lktbl_entries, before.lktbl_entries);
	} else {
		/* An empty table of AIO_LKTBL_MAX: no load can carry one
		 * more than that, so fill it, overflow it by one, then
		 * empty it again (it was empty). */
		EXPECT_OK(load_new_users(fd, 0, room, 0),
			  "filling the empty table of %u", room);
		ck_assert_uint_eq(info(fd).lktbl_entries, room);
		EXPECT_ERR(ENOSPC, load_new_users(fd, room, 1, 0),
			   "loading one new user into the full table of %u",
			   room);
		ck_assert_uint_eq(info(fd).lktbl_entries, room);
		EXPECT_OK(load_new_users(fd, 0, 0, AIO_LKTBL_REPLACE),
			  "emptying the table again");
		ck_assert_uint_eq(info(fd).lktbl_entries, 0);
	}
	dev_close(fd);
}
END_TEST

START_TEST(info_request_counts_exact)
{
	int fd = dev_open();
	struct aio_info before = info(fd), after;
	struct req reqs[40];
	char *p = pages_alloc(15);
	long next = 0;

	/* 40 transfers, never more than 15 in flight. */
	for (long i = 0; i < 40; i++)
		reqs[i] = (struct req){ i < 20 ? AU_WRITE : AU_READ,
					PBLK + (i % 20) * 8, NULL, PAGE, 0 };
	while (next < 40) {
		long inflight = 0;

		for (long i = 0; i < next; i++)
			inflight += reqs[i].state == REQ_STARTED;
		if (inflight < 15) {
			reqs[next].maddr = p + (next % 15) * PAGE;
			req_start(fd, &reqs[next++]);
			continue;
		}
		ASYNCSTATUS st;

		for (long k = 0, n = status_poll(fd, &st); k < n; k++)
			req_status(&st.astatus[k], reqs, 40);
	}
	reqs_wait(fd, reqs, 40);
	after = info(fd);
	ck_assert_msg(after.reqs_total - before.reqs_total == 40,
		      "cumulative requests grew by %llu, expected 40",
		      (unsigned long long)(after.reqs_total -
					   before.reqs_total));
	ck_assert_uint_eq(after.reqs_active, before.reqs_active);
	ck_assert_uint_ge(after.reqs_max, 15);
	ck_assert_uint_eq(after.bufs_free, before.bufs_free);
	dev_close(fd);
}
END_TEST

const struct cgroup group_perm = {
	"perm", 30.0, (const struct ctest[]){
		CTEST(perm_no_allowance_locks_nothing, NEED_NO_ALLOWANCE),
		CTEST(perm_allowance_lock_holds, NEED_ALLOWANCE),
		CTEST(perm_allowance_shared_by_processes, NEED_ALLOWANCE),
		CTEST(perm_lock_released_on_last_close, NEED_LOCKS),
		CTEST(perm_lktbl_load_nonroot_eperm, NEED_NONROOT),
		CTEST(perm_lktbl_overflow_enospc, NEED_ROOT),
		CTEST(info_request_counts_exact, 0),
		CTEST_END,
	},
};
