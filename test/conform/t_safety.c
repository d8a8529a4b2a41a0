/* SPDX-License-Identifier: MIT */
/*
 * t_safety.c -- data safety (issue 10): a partition served read-only (-r)
 * refuses every way of writing with EROFS and still serves reads; on a
 * device with a known range of bad blocks (-R FIRST:COUNT, e.g. a
 * device-mapper table mixing linear and error segments) exactly the
 * requests that touch the range fail with EIO in iostatus, while every
 * other block keeps the data written to it; on one whose every transfer
 * fails (-F, e.g. nbdkit's error filter behind /dev/nbd0) each request
 * gets EIO in iostatus; on one whose writes fail in a
 * range (-W, dm-flakey error_writes) exactly those writes fail and the
 * backing, read around the daemon, holds the new data outside the range
 * and the old inside.  On a slow device (-D, dm-delay) with its backing
 * (-b): a client SIGKILLed with 15 writes in flight leaves its
 * acknowledged writes on disk, its request slots and memory lock come
 * back, and another client's I/O during the kill completes; and (-A, the
 * daemon's pid) a daemon SIGTERMed or SIGKILLed with writes in flight
 * gives its client the completions or an error, never a hang, with every
 * acknowledged write on disk and, after SIGTERM, every accepted one.
 */
#include "conform.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
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

/* Write a page every 4 blocks across [first - 32, last + 32) with tag:
 * some pages end in the range [first, last), some start in it; exactly
 * those touching it must get EIO.  Returns the first block. */
static long write_across(int fd, long first, long last, unsigned tag,
			 const char *inside)
{
	long lo = first - 32 > 0 ? first - 32 : 0, moved;
	char *p = pages_alloc(1);

	for (long d = lo; d < last + 32; d += 4) {
		bool bad = d < last && d + PAGE / BLK > first;
		int st;

		pat_fill(p, d, PAGE, tag);
		st = one_request(fd, AU_WRITE, d, p, &moved);
		ck_assert_msg(bad ? st == EIO : st == 0, "AU_WRITE at block "
			      "%ld (%s): iostatus %d", d, bad ? inside : "good",
			      st);
	}
	return lo;
}

START_TEST(safety_bad_blocks_exact)
{
	long first = conf.bad_first, last = conf.bad_first + conf.bad_count;
	long hi = last + 32, moved;
	int fd = dev_open();
	char *p = pages_alloc(1);
	long lo = write_across(fd, first, last, 41, "bad");

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

START_TEST(safety_every_transfer_eio)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	long moved;

	for (long d = 0; d < 64; d += PAGE / BLK) {
		pat_fill(p, d, PAGE, 63);
		ck_assert_int_eq(one_request(fd, AU_WRITE, d, p, &moved), EIO);
		ck_assert_int_eq(one_request(fd, AU_READ, d, p, &moved), EIO);
	}
	dev_close(fd);
}
END_TEST

START_TEST(safety_write_faults_exact)
{
	long first = conf.wfault_first, last = first + conf.wfault_count;
	long lo = first - 32 > 0 ? first - 32 : 0, hi = last + 32, moved;
	size_t span = (size_t)(hi - lo) * BLK;
	char *disk = pages_alloc(span / PAGE), *p = pages_alloc(1);
	uint64_t at = conf.backing_off + (uint64_t)lo * BLK;
	int fd = dev_open();

	/* The old data, written around the daemon. */
	pat_fill(disk, lo, span, 60);
	backing_write(conf.backing, at, disk, span);
	write_across(fd, first, last, 61, "faulty");
	/* Pages side by side (-W is page-aligned): the good ones anew; then
	 * every page reads without error, the faulty ones the old data. */
	for (long d = lo; d < hi; d += PAGE / BLK) {
		if (d >= first && d < last)
			continue;
		pat_fill(p, d, PAGE, 62);
		ck_assert_int_eq(one_request(fd, AU_WRITE, d, p, &moved), 0);
	}
	for (long d = lo; d < hi; d += PAGE / BLK) {
		unsigned tag = d >= first && d < last ? 60 : 62;

		memset(p, 0, PAGE);
		ck_assert_msg(one_request(fd, AU_READ, d, p, &moved) == 0,
			      "AU_READ at block %ld failed", d);
		EXPECT_PAT(p, d, PAGE, tag, "block %ld read through the "
			   "daemon", d);
	}
	dev_close(fd);
	memset(disk, 0, span);
	backing_read(conf.backing, at, disk, span);
	for (long d = lo; d < hi; d += PAGE / BLK)
		EXPECT_PAT(disk + (d - lo) * BLK, d, PAGE,
			   d >= first && d < last ? 60 : 62,
			   "block %ld read from the backing", d);
}
END_TEST

/* ---- processes killed with writes in flight (-D, -b) ---------------- */

#define KBLK		4096L	/* first block of these tests */
#define ACKED		3	/* writes acknowledged before the kill */
#define INFLIGHT	15	/* writes in flight at the kill */

static struct aio_info daemon_info(int fd)
{
	struct aio_info i;

	ck_assert_msg(ioctl(fd, AIOC_INFO, &i) == 0, "AIOC_INFO: %s",
		      errname(errno));
	return i;
}

/* Write n pages of p to blocks first + 8i with tag, without waiting. */
static const char *start_writes(int fd, char *p, int n, long first,
				unsigned tag)
{
	static char why[128];

	for (int i = 0; i < n; i++) {
		char *page = p + (long)i * PAGE;

		pat_fill(page, first + 8L * i, PAGE, tag);
		if (aio_start(fd, AU_WRITE, first + 8L * i, page, PAGE,
			      page) != 0) {
			snprintf(why, sizeof(why), "DKIOCASTRT of write %d: "
				 "%s", i, errname(errno));
			return why;
		}
	}
	return NULL;
}

/* The acknowledged pages go to KBLK.., the ones in flight to FBLK.. */
#define FBLK	(KBLK + 8L * ACKED)

/* Expect n pages at blocks first + 8i of the backing to hold tag. */
static void expect_on_disk(long first, int n, unsigned tag, const char *what)
{
	char *q = pages_alloc(1);

	for (long i = 0; i < n; i++) {
		backing_read(conf.backing, conf.backing_off +
			     (uint64_t)(first + 8 * i) * BLK, q, PAGE);
		EXPECT_PAT(q, first + 8 * i, PAGE, tag, "%s, block %ld", what,
			   first + 8 * i);
	}
}

/* Collect statuses of n requests; NULL when all came back 0. */
static const char *collect(int fd, int n)
{
	static char why[128];
	double end = now() + io_timeout;
	ASYNCSTATUS st;

	while (n > 0) {
		if (aio_stat(fd, &st) != 0) {
			snprintf(why, sizeof(why), "DKIOCASTAT: %s",
				 errname(errno));
			return why;
		}
		for (int i = 0; i < st.acount; i++)
			if (st.astatus[i].iostatus != 0) {
				snprintf(why, sizeof(why), "iostatus %d",
					 st.astatus[i].iostatus);
				return why;
			}
		n -= st.acount;
		if (n > 0 && now() > end)
			return "statuses missing after the completion timeout";
		if (n > 0)
			nap_ms(1);
	}
	return NULL;
}

/* Whether this process may lock the pages the kill tests write. */
static bool locks_hold(void)
{
	return geteuid() == 0 || conf.allowance >= INFLIGHT * PAGE;
}

/* Child: lock its pages, write ACKED pages and see them complete, start
 * INFLIGHT more, say so, and wait to be killed. */
static void child_writes_then_waits(struct child *self, void *arg)
{
	int fd = open(conf.dev, O_RDWR);
	char *p = mmap(NULL, INFLIGHT * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char *why;

	(void)arg;
	if (fd < 0 || p == MAP_FAILED) {
		child_say(self, "FAIL open/mmap: %s", errname(errno));
		return;
	}
	if (locks_hold() && aio_mlock(fd, p, INFLIGHT * PAGE) != 0) {
		child_say(self, "FAIL DKIOCMLOCK: %s", errname(errno));
		return;
	}
	why = start_writes(fd, p, ACKED, KBLK, 80);
	if (!why)
		why = collect(fd, ACKED);
	if (!why)
		why = start_writes(fd, p, INFLIGHT, FBLK, 81);
	if (why) {
		child_say(self, "FAIL %s", why);
		return;
	}
	child_say(self, "OK %d acknowledged, %d in flight", ACKED, INFLIGHT);
	for (;;)
		pause();
}

/* Until the daemon counts no request slot in use and want locks. */
static struct aio_info wait_idle(int fd, uint32_t locks)
{
	double end = now() + io_timeout;
	struct aio_info i;

	while (((i = daemon_info(fd)).reqs_active != 0 || i.locks != locks) &&
	       now() < end)
		nap_ms(10);
	ck_assert_msg(i.reqs_active == 0 && i.locks == locks, "the daemon "
		      "still counts %u request slots and %u locks (expected 0 "
		      "and %u) %.0f s after the kill", i.reqs_active, i.locks,
		      locks, io_timeout);
	return i;
}

START_TEST(safety_kill_client_inflight)
{
	int fd = dev_open();
	struct aio_info before = daemon_info(fd);
	struct req other[2] = {
		{ AU_WRITE, FBLK + 256, pages_alloc(1), PAGE, 0 },
		{ AU_READ, FBLK + 264, pages_alloc(1), PAGE, 0 },
	};
	char said[80], *p = pages_alloc(1);
	struct child c;
	int status;

	ck_assert_msg(batch_max(INFLIGHT + 2) == INFLIGHT + 2, "the daemon "
		      "allows fewer than %d requests in flight (-p/-q)",
		      INFLIGHT + 2);
	ck_assert_msg(before.reqs_active == 0, "%u requests active before "
		      "the test", before.reqs_active);
	child_spawn(&c, child_writes_then_waits, NULL);
	child_expect_ok(&c, said, sizeof(said));
	/* Another client's write and read in flight across the kill. */
	pat_fill(other[0].maddr, other[0].daddr, PAGE, 82);
	req_start(fd, &other[0]);
	req_start(fd, &other[1]);
	ck_assert_int_eq(kill(c.pid, SIGKILL), 0);
	status = child_reap(&c);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		      "child status %#x, expected killed by SIGKILL", status);
	reqs_wait(fd, other, 2);
	io_sync(fd, AU_READ, other[0].daddr, p, PAGE);
	EXPECT_PAT(p, other[0].daddr, PAGE, 82, "the other client's write");
	/* The killed client's acknowledged writes, read around the daemon
	 * (those in flight at the kill may or may not have landed). */
	expect_on_disk(KBLK, ACKED, 80, "acknowledged write of the killed "
		       "client");
	/* Its slots and its lock come back: all of NAIOREQPP for one
	 * process, and a lock of the whole allowance holds. */
	struct aio_info after = wait_idle(fd, before.locks);

	ck_assert_uint_eq(after.locked_bytes, before.locked_bytes);
	slots_capacity(fd);
	dev_close(fd);
	if (locks_hold() && geteuid() != 0) {
		char *region = pages_alloc((size_t)(conf.allowance / PAGE));

		fd = dev_open();
		EXPECT_OK(aio_mlock(fd, region, (unsigned)conf.allowance),
			  "DKIOCMLOCK of the whole allowance after the kill");
		ck_assert_msg(daemon_info(fd).locks == before.locks + 1,
			      "the lock of the whole allowance (%lld bytes) "
			      "does not hold after the kill",
			      (long long)conf.allowance);
		dev_close(fd);
	}
}
END_TEST

/* True once pid is gone or a zombie (it is not our child). */
static bool exited(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state == 'Z' || state == 'X';
}

/* Stop the daemon with sig while INFLIGHT writes are in flight.  Every
 * DKIOCASTAT gives statuses or fails with an errno saying the device is
 * gone; the client never hangs.  Acknowledged writes are on disk; after
 * SIGTERM (the drain) so is every accepted one. */
static void stop_daemon_inflight(int sig)
{
	int fd = dev_open(), err = 0, seen = 0;
	char *p = pages_alloc(INFLIGHT);
	bool acked[INFLIGHT] = { false };
	double end;
	ASYNCSTATUS st;
	const char *why;

	why = start_writes(fd, p, ACKED, KBLK, 90);
	if (!why)
		why = collect(fd, ACKED);
	if (!why)
		why = start_writes(fd, p, INFLIGHT, FBLK, 91);
	ck_assert_msg(!why, "before the signal: %s", why);
	ck_assert_int_eq(kill(conf.aiod_pid, sig), 0);
	end = now() + 3 * io_timeout;
	while (seen < INFLIGHT && now() < end) {
		if (aio_stat(fd, &st) != 0) {
			err = errno;
			break;
		}
		for (int i = 0; i < st.acount; i++) {
			long n = ((char *)st.astatus[i].ioref - p) / PAGE;

			ck_assert_msg(n >= 0 && n < INFLIGHT && !acked[n],
				      "a status with an unknown ioref");
			ck_assert_msg(st.astatus[i].iostatus == 0 ||
				      st.astatus[i].iostatus == EIO,
				      "write %ld: iostatus %d", n,
				      st.astatus[i].iostatus);
			acked[n] = st.astatus[i].iostatus == 0;
			seen++;
		}
		if (seen < INFLIGHT)
			nap_ms(1);
	}
	printf("%s: %d of %d writes acknowledged, then %s\n",
	       sig == SIGTERM ? "SIGTERM" : "SIGKILL", seen, INFLIGHT,
	       err ? errname(err) : "no error");
	ck_assert_msg(seen == INFLIGHT || err != 0, "%d of %d statuses and "
		      "no error %.0f s after the signal: the client hangs",
		      seen, INFLIGHT, 3 * io_timeout);
	ck_assert_msg(err == 0 || err == ENOTCONN || err == ENODEV ||
		      err == EIO || err == ECONNABORTED || err == ENXIO,
		      "DKIOCASTAT after the daemon was stopped: %s",
		      errname(err));
	close(fd);		/* may fail: the daemon is gone */
	end = now() + 3 * io_timeout;
	while (!exited(conf.aiod_pid) && now() < end)
		nap_ms(10);
	ck_assert_msg(exited(conf.aiod_pid), "the daemon (pid %d) still runs "
		      "%.0f s after the signal", (int)conf.aiod_pid,
		      3 * io_timeout);
	expect_on_disk(KBLK, ACKED, 90, "write acknowledged before the "
		       "signal");
	for (int i = 0; i < INFLIGHT; i++)
		if (acked[i] || sig == SIGTERM)
			expect_on_disk(FBLK + 8L * i, 1, 91, acked[i] ?
				       "acknowledged write" : "accepted write "
				       "(SIGTERM drains)");
}

START_TEST(safety_aiod_term_inflight)
{
	stop_daemon_inflight(SIGTERM);
}
END_TEST

START_TEST(safety_aiod_kill_inflight)
{
	stop_daemon_inflight(SIGKILL);
}
END_TEST

const struct cgroup group_safety = {
	"safety", 60, (const struct ctest[]){
		CTEST(safety_ro_writes_erofs, NEED_READONLY),
		CTEST(safety_bad_blocks_exact, NEED_BAD_RANGE),
		CTEST(safety_every_transfer_eio, NEED_ALL_FAIL),
		CTEST(safety_write_faults_exact,
		      NEED_WRITE_FAULTS | NEED_BACKING),
		CTEST(safety_kill_client_inflight, NEED_DELAY | NEED_BACKING),
		CTEST(safety_aiod_term_inflight,
		      NEED_DELAY | NEED_BACKING | NEED_AIOD_PID),
		CTEST(safety_aiod_kill_inflight,
		      NEED_DELAY | NEED_BACKING | NEED_AIOD_PID),
		CTEST_END,
	},
};
