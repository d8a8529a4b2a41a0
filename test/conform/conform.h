/* SPDX-License-Identifier: MIT */
/*
 * conform.h -- what the parts of aioconform share: the run configuration
 * taken from the command line, the table types by which each t_*.c file
 * registers its tests, and the helpers (util.c) that open devices, issue
 * the three aio(M) ioctls, track requests and their statuses, make and
 * check data patterns, reach the backing store with O_DIRECT and run
 * helper child processes.  Helpers whose names do not start with try_ or
 * child_ (in the child) fail the running Check test on error.
 */
#ifndef CONFORM_H
#define CONFORM_H

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/async.h>
#include <sys/types.h>

#define BLK	512		/* au_daddr unit */
#define PAGE	4096		/* a transfer stays inside one such page */

/* Tests use blocks below this; DEVICE and SLICE_DEVICE must be larger. */
#define AREA_BLOCKS	16384L	/* 8 MiB */

/* ---- configuration (main.c) --------------------------------------- */

struct conf {
	const char *dev;		/* DEVICE */
	const char *slice;		/* SLICE_DEVICE or NULL */
	uint64_t dev_size;		/* -s, 0 = unknown */
	const char *backing;		/* -b PATH or NULL */
	uint64_t backing_off;		/* -b @OFFSET */
	const char *slice_backing;	/* -B PATH or NULL */
	uint64_t slice_backing_off;	/* -B @OFFSET */
	uint64_t slice_size;		/* -S, 0 = unknown */
	long naioreqpp;			/* -p, 0 = unknown */
	long naioreq;			/* -q, 0 = unknown */
	bool no_posio;			/* -P */
	int64_t allowance;		/* -L: this user's lock allowance
					   in aiod's table, -1 = unknown */
	long error_block;		/* -E: reads fail here, -1 = none */
	long delay_ms;			/* -D: each transfer takes at least
					   this long, 0 = unknown */
	bool readonly;			/* -r: DEVICE is served read-only */
	long bad_first, bad_count;	/* -R: these blocks fail, count 0 =
					   none */
	long wfault_first, wfault_count;	/* -W: writes to these blocks
						   fail, reads work; count 0 =
						   none */
	bool all_fail;			/* -F: every transfer fails */
	pid_t aiod_pid;			/* -A: the daemon, which tests may
					   stop; 0 = unknown */
};

extern struct conf conf;
extern double io_timeout;	/* seconds to wait for completions */

/* ---- test registration -------------------------------------------- */

enum need {
	NEED_SLICE = 1u << 0,		/* SLICE_DEVICE */
	NEED_SIZE = 1u << 1,		/* -s */
	NEED_BACKING = 1u << 2,		/* -b */
	NEED_SLICE_BACKING = 1u << 3,	/* -B (implies SLICE_DEVICE) */
	NEED_SLICE_SIZE = 1u << 4,	/* -S (implies SLICE_DEVICE) */
	NEED_ROOT = 1u << 5,		/* euid 0 */
	NEED_POSIO = 1u << 6,		/* no -P */
	NEED_LIMITS = 1u << 7,		/* -p and -q */
	NEED_SAME_BACKING = 1u << 8,	/* -b and -B on one PATH, the
					   slice's test area inside DEVICE
					   (as far as -s tells) */
	NEED_LOCKS = 1u << 9,		/* locks hold: root, or -L >= 64K */
	NEED_NONROOT = 1u << 10,	/* euid not 0 */
	NEED_NO_ALLOWANCE = 1u << 11,	/* not root, -L 0 */
	NEED_ALLOWANCE = 1u << 12,	/* not root, 4 pages <= -L <= 1M */
	NEED_ERROR_BLOCK = 1u << 13,	/* -E */
	NEED_DELAY = 1u << 14,		/* -D */
	NEED_READONLY = 1u << 15,	/* -r */
	NEED_BAD_RANGE = 1u << 16,	/* -R */
	NEED_WRITE_FAULTS = 1u << 17,	/* -W */
	NEED_AIOD_PID = 1u << 18,	/* -A: the test stops the daemon */
	NEED_ALL_FAIL = 1u << 19,	/* -F */
};

struct ctest {
	const char *name;
	const TTest *const *test;	/* from START_TEST */
	unsigned needs;			/* enum need bits */
};

struct cgroup {
	const char *name;		/* the Check tcase name */
	double timeout;			/* seconds per test */
	const struct ctest *tests;	/* ends with a NULL name */
};

#define CTEST(fn, needs)	{ #fn, &fn, (needs) }
#define CTEST_END		{ NULL, NULL, 0 }

extern const struct cgroup group_mlock, group_request, group_status,
	group_data, group_posio, group_life, group_limits, group_perm,
	group_safety;

/* ---- helpers (util.c) ---------------------------------------------- */

const char *errname(int e);
double now(void);
void nap_ms(double ms);

int dev_open(void);			/* DEVICE, O_RDWR */
int slice_open(void);			/* SLICE_DEVICE, O_RDWR */
int path_open(const char *path);
void dev_close(int fd);			/* close() must return 0 */

/* n fresh read-write pages, page-aligned and zeroed; never freed. */
char *pages_alloc(size_t n);
/* The address of n pages that are not mapped: make it right before use,
 * as a later mmap may reuse the hole. */
char *pages_hole(size_t n);
/* posix_memalign(4096) buffer, for O_DIRECT. */
void *abuf(size_t len);

/* The raw ioctls: return what ioctl() returns, errno preserved. */
int aio_mlock(int fd, void *avaddr, unsigned int asize);
int aio_start(int fd, long cmd, long daddr, void *maddr, long size,
	      void *ref);
int aio_stat(int fd, ASYNCSTATUS *st);

/* One DKIOCASTAT that must succeed with 0 <= acount <= MAXSTATUS; st is
 * filled with junk first so that stale contents cannot pass. */
long status_poll(int fd, ASYNCSTATUS *st);

/* Expect the call to fail with errno err (or succeed); the rest of the
 * arguments are a printf description of what was tried. */
#define EXPECT_ERR(err, call, ...) do {					\
	char what_[300];						\
	snprintf(what_, sizeof(what_), __VA_ARGS__);			\
	errno = 0;							\
	int rc_ = (call);						\
	int e_ = errno;							\
	ck_assert_msg(rc_ == -1 && e_ == (err),				\
		      "%s: expected -1 errno %s, got %d errno %s",	\
		      what_, errname(err), rc_,				\
		      rc_ == -1 ? errname(e_) : "-");			\
} while (0)

#define EXPECT_OK(call, ...) do {					\
	char what_[300];						\
	snprintf(what_, sizeof(what_), __VA_ARGS__);			\
	errno = 0;							\
	int rc_ = (call);						\
	int e_ = errno;							\
	ck_assert_msg(rc_ == 0, "%s: expected 0, got %d errno %s",	\
		      what_, rc_, rc_ == -1 ? errname(e_) : "-");	\
} while (0)

/* want, or fewer if -p/-q say the daemon allows fewer in flight. */
long batch_max(long want);

/* A request tracked until its status comes back; au_ref is its address. */
struct req {
	long cmd;
	long daddr;
	char *maddr;
	long size;
	int state;		/* 0 not started, 1 started, 2 status seen */
};

enum { REQ_IDLE, REQ_STARTED, REQ_DONE };

/* Start r (au_ref = r); DKIOCASTRT must return 0. */
void req_start(int fd, struct req *r);
/* Match one status to reqs[0..n): known ioref, first time, iostatus 0,
 * iobsize == au_size, iomaddr == au_maddr. */
void req_status(const IOSTAT *s, struct req *reqs, size_t n);
/* Poll fd until every started request of reqs[0..n) has its status. */
void reqs_wait(int fd, struct req *reqs, size_t n);
/* Write n pages at blocks first + 8i, all in flight, read them back the
 * same way and check them. */
void pages_round_trip(int fd, long first, long n, unsigned tag);
/* Submit one request and wait for its status. */
void io_sync(int fd, long cmd, long daddr, void *buf, long size);
/* The same without Check, for child processes: NULL or a reason. */
const char *try_io(int fd, long cmd, long daddr, void *buf, long size);

/* Request slots.  slots_fill submits 512-byte AU_READs (into one private
 * page) until EAGAIN or max are accepted; any other error fails the test.
 * slots_drain collects at least n of their statuses (a DKIOCASTAT may
 * return more) and returns how many.  slots_capacity is how many
 * this process may have outstanding: with -p exactly min(NAIOREQPP,
 * NAIOREQ) (retrying briefly while slots of earlier tests' processes are
 * still being released), without it measured twice alike; EAGAIN must come
 * within SLOTS_CAP submissions.  It leaves nothing outstanding. */
#define SLOTS_CAP	100000L
long slots_fill(int fd, long max, bool *eagain);
long slots_drain(int fd, long n);
long slots_capacity(int fd);
/* Accumulate want more slots, retrying on EAGAIN until the completion
 * timeout; fails the test if they cannot be had. */
void slots_acquire(int fd, long want, const char *what);

/* Data patterns: a function of the run's salt, a tag and the absolute
 * block and byte position, so misplaced or stale data is detected. */
uint64_t pat_salt(void);
void pat_fill(void *buf, long daddr, size_t size, unsigned tag);
/* -1 if buf holds the pattern, else the offset of the first wrong byte. */
long pat_check(const void *buf, long daddr, size_t size, unsigned tag);
#define EXPECT_PAT(buf, daddr, size, tag, ...) do {			\
	char what_[300];						\
	snprintf(what_, sizeof(what_), __VA_ARGS__);			\
	long off_ = pat_check((buf), (daddr), (size), (tag));		\
	ck_assert_msg(off_ < 0, "%s: data differs at byte %ld of %ld",	\
		      what_, off_, (long)(size));			\
} while (0)
/* Check that len bytes at p all equal c. */
void expect_fill(const void *p, size_t len, int c, const char *what);

/* Backing store through O_DIRECT; off and len multiples of 512. */
void backing_read(const char *path, uint64_t off, void *buf, size_t len);
void backing_write(const char *path, uint64_t off, const void *buf,
		   size_t len);

/* Helper processes.  The child runs fn and _exit(0)s; it must not use
 * Check: it reports with child_say() one line "OK ..." or "FAIL ...". */
struct child {
	pid_t pid;
	int rd;			/* parent: from child; child: from parent */
	int wr;			/* parent: to child; child: to parent */
};
typedef void child_fn(struct child *self, void *arg);
void child_spawn(struct child *c, child_fn *fn, void *arg);
void child_say(struct child *self, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Child: block until the parent calls child_release(). */
void child_wait(struct child *self);
/* Parent: read the child's line; fail the test on FAIL or silence.
 * The text after "OK" is copied to out when out is not NULL. */
void child_expect_ok(struct child *c, char *out, size_t outlen);
void child_release(struct child *c);
/* Parent: wait for the child to end (killing it after a timeout);
 * returns its wait status. */
int child_reap(struct child *c);

#endif /* CONFORM_H */
