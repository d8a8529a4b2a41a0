/* SPDX-License-Identifier: MIT */
/*
 * t_limits.c -- request slots and EAGAIN.  Owns the rules that a started
 * request holds a slot until DKIOCASTAT has returned its status or its open
 * file is closed (completion alone frees nothing); that a process may hold
 * NAIOREQPP slots over all its fds and devices and the system NAIOREQ over
 * all processes, a request beyond either failing with EAGAIN; that refused
 * requests take no slot; and that the slots of a process that exits are
 * released.  Exact counts need -p and -q; without them the limit is
 * measured (EAGAIN must come within SLOTS_CAP requests) and the rules are
 * checked against that.
 */
#include "conform.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void expect_full(int fd, const char *what)
{
	bool eagain;
	long n = slots_fill(fd, 1, &eagain);

	ck_assert_msg(n == 0 && eagain, "%s: a request was accepted, "
		      "expected -1 errno EAGAIN", what);
}

/* Exactly n more requests are accepted, then EAGAIN. */
static void expect_exactly(int fd, long n, const char *what)
{
	bool eagain;
	long k = slots_fill(fd, n + 1, &eagain);

	ck_assert_msg(k == n && eagain, "%s: %ld requests accepted before "
		      "%s, expected %ld then EAGAIN", what, k,
		      eagain ? "EAGAIN" : "giving up", n);
}

START_TEST(limit_per_process_eagain)
{
	int fd = dev_open();
	long cap = slots_capacity(fd);

	expect_exactly(fd, cap, "a fresh process");
	expect_full(fd, "once more at the limit");
	slots_drain(fd, cap);
	dev_close(fd);
}
END_TEST

START_TEST(limit_completed_uncollected_still_held)
{
	int fd = dev_open();
	long cap = slots_capacity(fd);

	expect_exactly(fd, cap, "filling the slots");
	nap_ms(500);	/* all complete, none collected */
	expect_full(fd, "completed but uncollected requests");
	slots_drain(fd, cap);
	dev_close(fd);
}
END_TEST

START_TEST(limit_collect_frees_slots)
{
	int fd = dev_open();
	long cap = slots_capacity(fd);

	expect_exactly(fd, cap, "filling the slots");
	long m = slots_drain(fd, 1);

	expect_exactly(fd, m, "after DKIOCASTAT returned some statuses");
	slots_drain(fd, cap);
	expect_exactly(fd, cap, "after every status was collected");
	slots_drain(fd, cap);
	dev_close(fd);
}
END_TEST

START_TEST(limit_refused_take_no_slot)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	long cap = slots_capacity(fd);

	for (int i = 0; i < 3; i++) {
		char *hole = pages_hole(1);

		EXPECT_ERR(EINVAL, aio_start(fd, 0, 0, p, BLK, NULL),
			   "au_cmd 0");
		EXPECT_ERR(EINVAL, aio_start(fd, AU_READ, 0, p, 100, NULL),
			   "au_size 100");
		EXPECT_ERR(EINVAL, aio_start(fd, AU_READ, 0, p + 8, BLK, NULL),
			   "unaligned au_maddr");
		EXPECT_ERR(EINVAL, aio_start(fd, AU_READ, 0, p + 3584, 1024,
					     NULL), "page crossing");
		EXPECT_ERR(ENXIO, aio_start(fd, AU_READ, -1, p, BLK, NULL),
			   "au_daddr -1");
		EXPECT_ERR(EFAULT, aio_start(fd, AU_READ, 0, hole, BLK, NULL),
			   "unmapped au_maddr");
		EXPECT_ERR(EFAULT, ioctl(fd, DKIOCASTRT, NULL), "arg NULL");
	}
	expect_exactly(fd, cap, "after 21 refused requests");
	slots_drain(fd, cap);
	dev_close(fd);
}
END_TEST

START_TEST(limit_close_frees_slots)
{
	int a = dev_open();
	long cap = slots_capacity(a);

	expect_exactly(a, cap, "filling the slots on fd A");
	dev_close(a);
	int b = dev_open();

	slots_acquire(b, cap, "on fd B after closing fd A with every slot "
		      "held");
	expect_full(b, "fd B at the limit");
	slots_drain(b, cap);
	dev_close(b);
}
END_TEST

static void shared_between(int a, int b, const char *what)
{
	long cap = slots_capacity(a);
	char msg[100];

	bool eagain;
	long k = slots_fill(a, cap / 2, &eagain);

	ck_assert_msg(k == cap / 2, "half the slots (%ld) on the first fd: "
		      "EAGAIN after %ld", cap / 2, k);
	snprintf(msg, sizeof(msg), "the rest on %s", what);
	expect_exactly(b, cap - cap / 2, msg);
	expect_full(a, "the first fd when the process is at its limit");
	slots_drain(a, cap / 2);
	slots_drain(b, cap - cap / 2);
}

START_TEST(limit_per_process_across_fds)
{
	int a = dev_open(), b = dev_open();

	shared_between(a, b, "a second open of DEVICE");
	dev_close(a);
	dev_close(b);
}
END_TEST

START_TEST(limit_per_process_across_devices)
{
	int a = dev_open(), b = slice_open();

	shared_between(a, b, "SLICE_DEVICE");
	dev_close(a);
	dev_close(b);
}
END_TEST

/* ---- system-wide ------------------------------------------------------- */

/* A child that holds `count` slots (retrying EAGAIN a while, as slots of
 * earlier processes may still be being released) until released. */
static void child_hold(struct child *self, void *arg)
{
	long count = *(long *)arg, n = 0;
	int fd = open(conf.dev, O_RDWR);
	char *p = malloc(2 * PAGE);
	char *buf = p + (PAGE - (uintptr_t)p % PAGE);
	double end = now() + io_timeout;

	if (fd < 0 || p == NULL) {
		child_say(self, "FAIL open: %s", strerror(errno));
		return;
	}
	while (n < count) {
		if (aio_start(fd, AU_READ, n % 8, buf + (n % 8) * BLK, BLK,
			      NULL) == 0) {
			n++;
			continue;
		}
		if (errno != EAGAIN) {
			child_say(self, "FAIL request %ld: errno %s", n + 1,
				  errname(errno));
			return;
		}
		if (now() > end) {
			child_say(self, "FAIL only %ld of %ld requests "
				  "accepted", n, count);
			return;
		}
		nap_ms(10);
	}
	child_say(self, "OK %ld", n);
	child_wait(self);
	_exit(0);	/* without collecting or closing */
}

#define MAXCHILD 64

struct holders {
	int n;
	long count[MAXCHILD];
	struct child c[MAXCHILD];
	long parent;		/* what is left for the parent */
};

/* Children hold all but `parent` of NAIOREQ, each at most NAIOREQPP. */
static void hold_system(struct holders *h)
{
	long pp = conf.naioreqpp, q = conf.naioreq;
	long r = q > pp ? pp * 9 / 16 : q / 2;

	if (r < 1)
		r = 1;
	long rest = q - r;

	h->parent = r;
	h->n = 0;
	while (rest > 0) {
		ck_assert_msg(h->n < MAXCHILD, "NAIOREQ %ld needs more than %d "
			      "processes of NAIOREQPP %ld", q, MAXCHILD, pp);
		h->count[h->n] = rest < pp ? rest : pp;
		rest -= h->count[h->n];
		child_spawn(&h->c[h->n], child_hold, &h->count[h->n]);
		child_expect_ok(&h->c[h->n], NULL, 0);
		h->n++;
	}
}

static void release_all(struct holders *h)
{
	for (int i = 0; i < h->n; i++)
		child_reap(&h->c[i]);
}

/* The parent gets exactly h->parent slots (retrying while slots of
 * earlier processes are still being released), then EAGAIN. */
static void expect_parent_share(int fd, struct holders *h)
{
	double end = now() + io_timeout;

	for (;;) {
		bool eagain;
		long k = slots_fill(fd, h->parent + 1, &eagain);

		ck_assert_msg(eagain, "%ld requests accepted with %ld of "
			      "NAIOREQ %ld held by other processes", k,
			      conf.naioreq - h->parent, conf.naioreq);
		if (k == h->parent)
			return;
		slots_drain(fd, k);
		ck_assert_msg(now() < end, "only %ld requests accepted, "
			      "expected %ld (NAIOREQ %ld less %ld held by "
			      "other processes)", k, h->parent, conf.naioreq,
			      conf.naioreq - h->parent);
		nap_ms(20);
	}
}

START_TEST(limit_system_wide_eagain)
{
	struct holders h;
	int fd = dev_open();

	hold_system(&h);
	expect_parent_share(fd, &h);
	expect_full(fd, "again at the system-wide limit");
	slots_drain(fd, h.parent);
	release_all(&h);
	dev_close(fd);
}
END_TEST

START_TEST(limit_system_wide_freed_by_exit)
{
	struct holders h;
	int fd = dev_open();
	long pp = conf.naioreqpp, q = conf.naioreq;
	long mine = pp < q ? pp : q;

	hold_system(&h);
	expect_parent_share(fd, &h);
	release_all(&h);	/* they exit without collecting */
	slots_acquire(fd, mine - h.parent, "after the processes holding "
		      "the rest of NAIOREQ exited");
	expect_full(fd, "at the per-process limit");
	slots_drain(fd, mine);
	dev_close(fd);
}
END_TEST

const struct cgroup group_limits = {
	"limits", 120, (const struct ctest[]){
		CTEST(limit_per_process_eagain, 0),
		CTEST(limit_completed_uncollected_still_held, 0),
		CTEST(limit_collect_frees_slots, 0),
		CTEST(limit_refused_take_no_slot, 0),
		CTEST(limit_close_frees_slots, 0),
		CTEST(limit_per_process_across_fds, 0),
		CTEST(limit_per_process_across_devices, NEED_SLICE),
		CTEST(limit_system_wide_eagain, NEED_LIMITS),
		CTEST(limit_system_wide_freed_by_exit, NEED_LIMITS),
		CTEST_END,
	},
};
