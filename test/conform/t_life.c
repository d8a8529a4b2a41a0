/* SPDX-License-Identifier: MIT */
/*
 * t_life.c -- the life of open files, clients and the device around the
 * ioctls.  Owns the rules that close() waits for the open file's in-flight
 * requests (their data is on disk when close returns; on a slow device,
 * -D, close takes about as long as the transfers) and drops its
 * statuses; that a client killed or exiting with requests in flight leaves
 * the device working, with correct data, and its request slots released;
 * that ioctl numbers aio(M) does not define (garbage, wrong direction or
 * size, the other ABI's numbers, TCGETS) fail with ENOTTY and harm nothing;
 * that 15 requests kept in flight for hundreds of requests all complete
 * correctly; and that thousands of requests with random fields, and ioctls
 * with random numbers and payloads, each get 0 or a documented errno and
 * leave the device working.
 */
#include "conform.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define LBLK	6000L		/* blocks used by these tests */

START_TEST(close_waits_for_inflight)
{
	int fd = dev_open();
	long n = batch_max(15);
	struct req *r = calloc((size_t)n, sizeof(*r));
	char *p = pages_alloc((size_t)n);
	char *b = abuf(PAGE);
	double start = now(), closing, took;

	ck_assert(r != NULL);
	for (long i = 0; i < n; i++) {
		r[i] = (struct req){ AU_WRITE, LBLK + 8 * i, p + i * PAGE,
				     PAGE, REQ_IDLE };
		pat_fill(r[i].maddr, r[i].daddr, PAGE, 22);
		req_start(fd, &r[i]);
	}
	closing = now();
	dev_close(fd);
	took = now() - closing;
	/* On a slow device (-D) the last write, started just before
	 * close(), cannot have finished much before the delay is over. */
	if (conf.delay_ms > 0) {
		ck_assert_msg(closing - start < conf.delay_ms / 4000.0,
			      "starting %ld writes took %.0f ms: too slow to "
			      "tell (-D %ld)", n, (closing - start) * 1000,
			      conf.delay_ms);
		ck_assert_msg(took >= 0.75 * conf.delay_ms / 1000.0,
			      "close() with %ld writes in flight returned "
			      "after %.0f ms, on a device that delays each "
			      "transfer by %ld ms", n, took * 1000,
			      conf.delay_ms);
	}
	/* The writes are finished: the buffers may be reused at once. */
	memset(p, 0xCC, (size_t)n * PAGE);
	if (conf.backing != NULL)
		for (long i = 0; i < n; i++) {
			backing_read(conf.backing, conf.backing_off +
				     (uint64_t)r[i].daddr * BLK, b, PAGE);
			EXPECT_PAT(b, r[i].daddr, PAGE, 22, "backing store "
				   "right after close(), block %ld",
				   r[i].daddr);
		}
	fd = dev_open();
	for (long i = 0; i < n; i++) {
		r[i].cmd = AU_READ;
		r[i].state = REQ_IDLE;
		req_start(fd, &r[i]);
	}
	reqs_wait(fd, r, (size_t)n);
	for (long i = 0; i < n; i++)
		EXPECT_PAT(r[i].maddr, r[i].daddr, PAGE, 22, "block %ld read "
			   "back after close() and reopen", r[i].daddr);
	free(r);
	free(b);
	dev_close(fd);
}
END_TEST

START_TEST(close_discards_statuses)
{
	int fd = dev_open();
	char *p = pages_alloc(1);
	ASYNCSTATUS st;

	for (long i = 0; i < 5; i++)
		EXPECT_OK(aio_start(fd, AU_READ, LBLK + i, p + i * BLK, BLK, p),
			  "DKIOCASTRT %ld", i);
	nap_ms(300);
	dev_close(fd);
	fd = dev_open();
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(status_poll(fd, &st) == 0, "a new open file got "
			      "%ld statuses of requests of a closed one",
			      st.acount);
		nap_ms(50);
	}
	dev_close(fd);
}
END_TEST

/* ---- clients that die ------------------------------------------------ */

struct flood {
	long max;		/* requests to start at most */
	bool kill_self;		/* SIGKILL, else _exit(0) */
};

/* Start up to max requests (until EAGAIN), report how many, and die
 * without collecting anything or closing the device. */
static void child_flood(struct child *self, void *arg)
{
	struct flood *f = arg;
	int fd = open(conf.dev, O_RDWR);
	char *p = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long n;

	if (fd < 0 || p == MAP_FAILED) {
		child_say(self, "FAIL open/mmap: %s", strerror(errno));
		return;
	}
	for (long i = 0; i < 16; i++)
		pat_fill(p + i * PAGE, LBLK + 8 * i, PAGE, 23);
	for (n = 0; n < f->max; n++) {
		long i = n % 16;
		int rc = aio_start(fd, n % 2 ? AU_READ : AU_WRITE,
				   LBLK + 8 * i, p + i * PAGE, PAGE, NULL);

		if (rc == -1 && errno == EAGAIN)
			break;
		if (rc != 0) {
			child_say(self, "FAIL request %ld: errno %s", n + 1,
				  errname(errno));
			return;
		}
	}
	child_say(self, "OK %ld", n);
	if (f->kill_self)
		raise(SIGKILL);
	_exit(0);
}

static long run_flood(bool kill_self, long max)
{
	struct flood f = { max, kill_self };
	struct child c;
	char said[64];

	child_spawn(&c, child_flood, &f);
	child_expect_ok(&c, said, sizeof(said));
	int status = child_reap(&c);

	if (kill_self)
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
			      "child status %#x, expected killed by SIGKILL",
			      status);
	else
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "child status %#x, expected exit 0", status);
	return strtol(said, NULL, 10);
}

START_TEST(kill_client_device_survives)
{
	long n = run_flood(true, batch_max(60));
	int fd = dev_open();
	ASYNCSTATUS st;

	ck_assert_msg(n > 0, "the child started no request");
	ck_assert_msg(status_poll(fd, &st) == 0, "a new open file got %ld "
		      "statuses of the killed client's requests", st.acount);
	pages_round_trip(fd, LBLK, 20, 24);	/* over the child's blocks too */
	dev_close(fd);
}
END_TEST

START_TEST(exit_client_device_survives)
{
	long n = run_flood(false, batch_max(60));
	int fd = dev_open();
	ASYNCSTATUS st;

	ck_assert_msg(n > 0, "the child started no request");
	ck_assert_msg(status_poll(fd, &st) == 0, "a new open file got %ld "
		      "statuses of the exited client's requests", st.acount);
	pages_round_trip(fd, LBLK, 20, 25);
	dev_close(fd);
}
END_TEST

START_TEST(kill_client_slots_released)
{
	int fd = dev_open();
	long cap = slots_capacity(fd);
	long n = run_flood(true, SLOTS_CAP);

	ck_assert_msg(n > 0, "the child started no request");
	slots_acquire(fd, cap, "after the client holding all it could was "
		      "killed");
	bool eagain;

	ck_assert_msg(slots_fill(fd, 1, &eagain) == 0 && eagain,
		      "a request beyond the limit of %ld was accepted", cap);
	slots_drain(fd, cap);
	dev_close(fd);
}
END_TEST

/* ---- ioctl numbers aio(M) does not define ------------------------------ */

static void expect_enotty(int fd, unsigned long cmd, void *arg,
			  const char *name)
{
	EXPECT_ERR(ENOTTY, ioctl(fd, cmd, arg), "ioctl %s (%#lx)", name, cmd);
}

START_TEST(ioctl_garbage_enotty)
{
	int fd = dev_open();
	char *buf = pages_alloc(1);	/* zeroed, big enough for any */

	expect_enotty(fd, _IOW(0xA5, 99, int), buf, "_IOW(0xA5, 99, int)");
	expect_enotty(fd, _IOWR(0xA5, 2, char[7]), buf,
		      "_IOWR(0xA5, 2, char[7])");
	expect_enotty(fd, 0x1234, NULL, "0x1234");
	expect_enotty(fd, _IO(0xA5, 0), NULL, "_IO(0xA5, 0)");
	expect_enotty(fd, _IO(0xA5, 2), NULL, "_IO(0xA5, 2)");
	expect_enotty(fd, _IOR(0xA5, 3, int), buf, "_IOR(0xA5, 3, int)");
	expect_enotty(fd, _IOW(0xA5, 1, char[4]), buf,
		      "_IOW(0xA5, 1, char[4])");
	expect_enotty(fd, _IOW(0x42, 2, AREQBUF), buf,
		      "_IOW(0x42, 2, AREQBUF)");
	expect_enotty(fd, _IOR(0xA6, 3, ASYNCSTATUS), buf,
		      "_IOR(0xA6, 3, ASYNCSTATUS)");
	pages_round_trip(fd, LBLK + 200, 4, 26);
	dev_close(fd);
}
END_TEST

START_TEST(ioctl_wrong_direction_enotty)
{
	int fd = dev_open();
	char *buf = pages_alloc(1);

	expect_enotty(fd, _IOWR(0xA5, 1, ASYNCMLOCK), buf,
		      "_IOWR(0xA5, 1, ASYNCMLOCK)");
	expect_enotty(fd, _IOR(0xA5, 1, ASYNCMLOCK), buf,
		      "_IOR(0xA5, 1, ASYNCMLOCK)");
	expect_enotty(fd, _IOWR(0xA5, 2, AREQBUF), buf,
		      "_IOWR(0xA5, 2, AREQBUF)");
	expect_enotty(fd, _IOR(0xA5, 2, AREQBUF), buf,
		      "_IOR(0xA5, 2, AREQBUF)");
	expect_enotty(fd, _IOW(0xA5, 3, ASYNCSTATUS), buf,
		      "_IOW(0xA5, 3, ASYNCSTATUS)");
	expect_enotty(fd, _IOWR(0xA5, 3, ASYNCSTATUS), buf,
		      "_IOWR(0xA5, 3, ASYNCSTATUS)");
	pages_round_trip(fd, LBLK + 240, 4, 27);
	dev_close(fd);
}
END_TEST

START_TEST(ioctl_other_abi_enotty)
{
	/* The numbers are encoded with the structure sizes, which differ
	 * between LP64 and i386: a caller using the other ABI's numbers is
	 * not understood (the kernel's 32-bit flag names the ABI). */
#if LONG_MAX > 0x7fffffffL
	const unsigned sz_mlock = 8, sz_req = 20, sz_stat = 184;
#else
	const unsigned sz_mlock = 16, sz_req = 40, sz_stat = 248;
#endif
	int fd = dev_open();
	char *buf = pages_alloc(1);

	expect_enotty(fd, _IOC(_IOC_WRITE, 0xA5, 1, sz_mlock), buf,
		      "the other ABI's DKIOCMLOCK");
	expect_enotty(fd, _IOC(_IOC_WRITE, 0xA5, 2, sz_req), buf,
		      "the other ABI's DKIOCASTRT");
	expect_enotty(fd, _IOC(_IOC_READ, 0xA5, 3, sz_stat), buf,
		      "the other ABI's DKIOCASTAT");
	pages_round_trip(fd, LBLK + 280, 4, 28);
	dev_close(fd);
}
END_TEST

START_TEST(ioctl_isatty_false)
{
	int fd = dev_open();
	struct termios t;

	EXPECT_ERR(ENOTTY, tcgetattr(fd, &t), "tcgetattr (TCGETS)");
	errno = 0;
	ck_assert_msg(isatty(fd) == 0 && errno == ENOTTY,
		      "isatty: expected 0 errno ENOTTY, got errno %s",
		      errname(errno));
	pages_round_trip(fd, LBLK + 320, 2, 29);
	dev_close(fd);
}
END_TEST

/* ---- sustained load ----------------------------------------------------- */

/* Keep w requests in flight until total have completed; writes first, then
 * reads that check the data. */
static void sustain(int fd, long w, long total, unsigned tag)
{
	static const long sizes[] = { 4096, 512, 1024, 2048, 3584, 1536 };
	struct req *slot = calloc((size_t)w, sizeof(*slot));
	long *which = calloc((size_t)w, sizeof(long));
	char *p = pages_alloc((size_t)w);

	ck_assert(slot != NULL && which != NULL);
	for (long cmd = AU_WRITE; cmd >= AU_READ; cmd--) {
		long next = 0, done = 0;
		double end = now() + io_timeout;

		while (done < total) {
			for (long s = 0; s < w && next < total; s++) {
				if (slot[s].state == REQ_STARTED)
					continue;
				long size = sizes[next % 6];

				slot[s] = (struct req){
					cmd, LBLK + 1000 + 8 * next,
					p + s * PAGE + (next % 2 ? PAGE - size : 0),
					size, REQ_IDLE };
				if (cmd == AU_WRITE)
					pat_fill(slot[s].maddr, slot[s].daddr,
						 (size_t)size, tag);
				else
					memset(slot[s].maddr, 0, (size_t)size);
				which[s] = next++;
				req_start(fd, &slot[s]);
			}
			ASYNCSTATUS st;
			long k = status_poll(fd, &st);

			for (long j = 0; j < k; j++) {
				req_status(&st.astatus[j], slot, (size_t)w);
				long s = (struct req *)(void *)
					 st.astatus[j].ioref - slot;

				if (cmd == AU_READ)
					EXPECT_PAT(slot[s].maddr, slot[s].daddr,
						   (size_t)slot[s].size, tag,
						   "read %ld of %ld", which[s],
						   total);
				done++;
				end = now() + io_timeout;
			}
			if (k == 0) {
				ck_assert_msg(now() < end, "no completion for "
					      "%.0f s with %ld of %ld done",
					      io_timeout, done, total);
				nap_ms(0.2);
			}
		}
	}
	free(slot);
	free(which);
}

START_TEST(sustained_15_in_flight)
{
	int fd = dev_open();

	sustain(fd, batch_max(15), 300, 30);
	dev_close(fd);
}
END_TEST

static uint64_t fuzz_state = 0x9e3779b97f4a7c15ull;

static uint64_t fuzz_next(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return fuzz_state;
}

/* A value that is often near a boundary, sometimes anything. */
static long fuzz_long(long lo, long hi)
{
	switch (fuzz_next() % 4) {
	case 0: return lo + (long)(fuzz_next() % 3);
	case 1: return hi - (long)(fuzz_next() % 3);
	case 2: return (long)fuzz_next();
	default: return lo + (long)(fuzz_next() % (uint64_t)(hi - lo + 1));
	}
}

START_TEST(fuzz_random_requests)
{
	int fd = dev_open();
	char *p = pages_alloc(4), *hole = pages_hole(1);
	long started = 0, collected = 0;
	ASYNCSTATUS st;

	for (int i = 0; i < 4000; i++) {
		char *base = fuzz_next() % 8 ? p : hole;
		long cmd = fuzz_long(-1, 4);
		long daddr = fuzz_long(-2, 6000);
		long size = fuzz_long(-512, 2 * PAGE);
		/* Any address: integer arithmetic, defined when it wraps. */
		char *maddr = (char *)((uintptr_t)base +
				       (uintptr_t)fuzz_long(0, 3 * PAGE));

		/* Keep writes away from the blocks other tests check. */
		if (cmd == AU_WRITE && daddr >= 0 && daddr < 6000)
			daddr += 6100;
		errno = 0;
		if (aio_start(fd, cmd, daddr, maddr, size, NULL) == 0) {
			started++;
		} else {
			int e = errno;

			ck_assert_msg(e == EINVAL || e == ENXIO || e == EFAULT ||
				      e == EAGAIN, "DKIOCASTRT {%ld, %ld, %p, "
				      "%ld}: errno %s", cmd, daddr,
				      (void *)maddr, size, errname(e));
		}
		if (i % 16 == 0)
			collected += status_poll(fd, &st);
	}
	for (double end = now() + io_timeout;
	     collected < started && now() < end; nap_ms(1))
		collected += status_poll(fd, &st);
	ck_assert_msg(collected == started, "%ld requests accepted, %ld "
		      "statuses returned", started, collected);
	pages_round_trip(fd, LBLK + 1000, 4, 30);
	dev_close(fd);
}
END_TEST

START_TEST(fuzz_random_ioctls)
{
	int fd = dev_open();
	unsigned char *arg = (unsigned char *)pages_alloc(4);

	for (int i = 0; i < 4000; i++) {
		unsigned dir = (unsigned)(fuzz_next() % 4);
		unsigned size = (unsigned)(fuzz_next() % 512);
		unsigned nr = (unsigned)(fuzz_next() % 256);
		unsigned type = fuzz_next() % 4 ? AIO_IOC_MAGIC
						: (unsigned)(fuzz_next() % 256);
		unsigned long cmd = _IOC(dir, type, nr, size);

		/* Commands that act as asked are tested elsewhere; here
		 * only numbers and payloads aiod must refuse. */
		if (type == AIO_IOC_MAGIC && nr >= 1 && nr <= 0x3f)
			continue;
		for (unsigned k = 0; k < 512; k++)
			arg[k] = (unsigned char)fuzz_next();
		errno = 0;
		ck_assert_msg(ioctl(fd, cmd, arg) == -1,
			      "ioctl %#lx succeeded", cmd);
		ck_assert_msg(errno == ENOTTY || errno == EINVAL ||
			      errno == EFAULT, "ioctl %#lx: errno %s", cmd,
			      errname(errno));
	}
	pages_round_trip(fd, LBLK + 1000, 4, 31);
	dev_close(fd);
}
END_TEST

const struct cgroup group_life = {
	"life", 120, (const struct ctest[]){
		CTEST(close_waits_for_inflight, 0),
		CTEST(close_discards_statuses, 0),
		CTEST(kill_client_device_survives, 0),
		CTEST(exit_client_device_survives, 0),
		CTEST(kill_client_slots_released, 0),
		CTEST(ioctl_garbage_enotty, 0),
		CTEST(ioctl_wrong_direction_enotty, 0),
		CTEST(ioctl_other_abi_enotty, 0),
		CTEST(ioctl_isatty_false, 0),
		CTEST(sustained_15_in_flight, 0),
		CTEST(fuzz_random_requests, 0),
		CTEST(fuzz_random_ioctls, 0),
		CTEST_END,
	},
};
