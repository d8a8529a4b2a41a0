/* SPDX-License-Identifier: MIT */
/*
 * util.c -- the helpers every conformance test uses (declared in
 * conform.h): opening the devices under test, the raw aio(M) ioctls and
 * checked wrappers around them, request tracking and status matching with
 * a completion timeout, deterministic data patterns, O_DIRECT access to the
 * backing store, page mappings and holes for EFAULT cases, and helper
 * child processes that report back over a pipe.  It owns no test.
 */
#include "conform.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double io_timeout = 10.0;

const char *errname(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{ 0, "0" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" },
		{ ESRCH, "ESRCH" }, { EINTR, "EINTR" }, { EIO, "EIO" },
		{ ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },
		{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
		{ ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENFILE, "ENFILE" },
		{ EMFILE, "EMFILE" }, { ENOTTY, "ENOTTY" }, { EFBIG, "EFBIG" },
		{ ENOSPC, "ENOSPC" }, { ESPIPE, "ESPIPE" }, { EROFS, "EROFS" },
		{ ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" },
		{ EOVERFLOW, "EOVERFLOW" }, { ENOTCONN, "ENOTCONN" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ECONNABORTED, "ECONNABORTED" },
	};
	static char other[32];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	snprintf(other, sizeof(other), "errno %d", e);
	return other;
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void nap_ms(double ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- devices and memory -------------------------------------------- */

int path_open(const char *path)
{
	int fd = open(path, O_RDWR);

	ck_assert_msg(fd >= 0, "open(%s, O_RDWR): %s", path, strerror(errno));
	return fd;
}

int dev_open(void)
{
	return path_open(conf.dev);
}

int slice_open(void)
{
	ck_assert_msg(conf.slice != NULL, "test needs SLICE_DEVICE");
	return path_open(conf.slice);
}

void dev_close(int fd)
{
	int rc = close(fd);

	ck_assert_msg(rc == 0, "close(%d): %s", fd, strerror(errno));
}

char *pages_alloc(size_t n)
{
	void *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_msg(p != MAP_FAILED, "mmap %zu pages: %s", n,
		      strerror(errno));
	return p;
}

char *pages_hole(size_t n)
{
	/* Map a guard page on each side, then unmap all but the guards,
	 * so the hole is not merged into a neighbouring mapping. */
	char *p = pages_alloc(n + 2);

	ck_assert_msg(munmap(p + PAGE, n * PAGE) == 0, "munmap: %s",
		      strerror(errno));
	return p + PAGE;
}

void *abuf(size_t len)
{
	void *p = NULL;
	int rc = posix_memalign(&p, PAGE, len);

	ck_assert_msg(rc == 0, "posix_memalign(%zu): %s", len, strerror(rc));
	memset(p, 0, len);
	return p;
}

/* ---- the ioctls ------------------------------------------------------ */

int aio_mlock(int fd, void *avaddr, unsigned int asize)
{
	ASYNCMLOCK m;

	memset(&m, 0, sizeof(m));
	m.avaddr = avaddr;
	m.asize = asize;
	return ioctl(fd, DKIOCMLOCK, &m);
}

int aio_start(int fd, long cmd, long daddr, void *maddr, long size,
	      void *ref)
{
	AREQBUF rq;

	memset(&rq, 0, sizeof(rq));
	rq.au_cmd = cmd;
	rq.au_daddr = daddr;
	rq.au_maddr = maddr;
	rq.au_size = size;
	rq.au_ref = ref;
	return ioctl(fd, DKIOCASTRT, &rq);
}

int aio_stat(int fd, ASYNCSTATUS *st)
{
	return ioctl(fd, DKIOCASTAT, st);
}

long status_poll(int fd, ASYNCSTATUS *st)
{
	memset(st, 0xEE, sizeof(*st));
	errno = 0;
	int rc = aio_stat(fd, st);
	int e = errno;

	ck_assert_msg(rc == 0, "DKIOCASTAT: expected 0, got %d errno %s", rc,
		      errname(e));
	ck_assert_msg(st->acount >= 0 && st->acount <= MAXSTATUS,
		      "DKIOCASTAT: acount %ld outside 0..%d", st->acount,
		      MAXSTATUS);
	return st->acount;
}

long batch_max(long want)
{
	if (conf.naioreqpp > 0 && conf.naioreqpp < want)
		want = conf.naioreqpp;
	if (conf.naioreq > 0 && conf.naioreq < want)
		want = conf.naioreq;
	return want;
}

/* ---- requests ---------------------------------------------------------- */

void req_start(int fd, struct req *r)
{
	errno = 0;
	int rc = aio_start(fd, r->cmd, r->daddr, r->maddr, r->size, r);
	int e = errno;

	ck_assert_msg(rc == 0,
		      "DKIOCASTRT {cmd %ld, daddr %ld, maddr %p, size %ld}: "
		      "expected 0, got %d errno %s", r->cmd, r->daddr,
		      (void *)r->maddr, r->size, rc,
		      rc == -1 ? errname(e) : "-");
	r->state = REQ_STARTED;
}

void req_status(const IOSTAT *s, struct req *reqs, size_t n)
{
	uintptr_t base = (uintptr_t)reqs, ref = (uintptr_t)s->ioref;

	ck_assert_msg(ref >= base && ref < base + n * sizeof(*reqs) &&
		      (ref - base) % sizeof(*reqs) == 0,
		      "status with unknown ioref %p (iomaddr %p, iostatus %d,"
		      " iobsize %d)", (void *)s->ioref, (void *)s->iomaddr,
		      s->iostatus, s->iobsize);

	size_t i = (ref - base) / sizeof(*reqs);
	struct req *r = &reqs[i];

	ck_assert_msg(r->state != REQ_DONE,
		      "request %zu (ioref %p) returned a second status", i,
		      (void *)s->ioref);
	ck_assert_msg(r->state == REQ_STARTED,
		      "status for request %zu that was never started", i);
	ck_assert_msg(s->iostatus == 0,
		      "request %zu (cmd %ld daddr %ld size %ld): iostatus %d"
		      " (%s)", i, r->cmd, r->daddr, r->size, s->iostatus,
		      errname(s->iostatus));
	ck_assert_msg(s->iobsize == r->size,
		      "request %zu: iobsize %d, au_size was %ld", i,
		      s->iobsize, r->size);
	ck_assert_msg(s->iomaddr == r->maddr,
		      "request %zu: iomaddr %p, au_maddr was %p", i,
		      (void *)s->iomaddr, (void *)r->maddr);
	r->state = REQ_DONE;
}

void reqs_wait(int fd, struct req *reqs, size_t n)
{
	size_t want = 0, got = 0;
	double end = now() + io_timeout;

	for (size_t i = 0; i < n; i++)
		want += reqs[i].state == REQ_STARTED;
	while (got < want) {
		ASYNCSTATUS st;
		long k = status_poll(fd, &st);

		for (long i = 0; i < k; i++)
			req_status(&st.astatus[i], reqs, n);
		got += (size_t)k;
		if (k == 0) {
			ck_assert_msg(now() < end,
				      "timeout: %zu of %zu statuses after "
				      "%.0f s", got, want, io_timeout);
			nap_ms(0.5);
		}
	}
}

void io_sync(int fd, long cmd, long daddr, void *buf, long size)
{
	struct req r = { cmd, daddr, buf, size, REQ_IDLE };

	req_start(fd, &r);
	reqs_wait(fd, &r, 1);
}

const char *try_io(int fd, long cmd, long daddr, void *buf, long size)
{
	static char why[200];
	char ref;
	double end = now() + io_timeout;

	if (aio_start(fd, cmd, daddr, buf, size, &ref) != 0) {
		snprintf(why, sizeof(why),
			 "DKIOCASTRT {cmd %ld, daddr %ld, maddr %p, size %ld}"
			 ": errno %s", cmd, daddr, buf, size, errname(errno));
		return why;
	}
	for (;;) {
		ASYNCSTATUS st;

		memset(&st, 0xEE, sizeof(st));
		if (aio_stat(fd, &st) != 0) {
			snprintf(why, sizeof(why), "DKIOCASTAT: errno %s",
				 errname(errno));
			return why;
		}
		if (st.acount < 0 || st.acount > 1) {
			snprintf(why, sizeof(why),
				 "DKIOCASTAT: acount %ld for one request",
				 st.acount);
			return why;
		}
		if (st.acount == 1) {
			const IOSTAT *s = &st.astatus[0];

			if (s->ioref != &ref || s->iomaddr != buf ||
			    s->iostatus != 0 || s->iobsize != size) {
				snprintf(why, sizeof(why),
					 "status {iostatus %d, iobsize %d, "
					 "iomaddr %p, ioref %p} for request "
					 "{maddr %p, size %ld, ref %p}",
					 s->iostatus, s->iobsize,
					 (void *)s->iomaddr, (void *)s->ioref,
					 buf, size, (void *)&ref);
				return why;
			}
			return NULL;
		}
		if (now() > end) {
			snprintf(why, sizeof(why), "no status after %.0f s",
				 io_timeout);
			return why;
		}
		nap_ms(0.5);
	}
}

/* ---- request slots ------------------------------------------------------ */

static char slot_ref;		/* au_ref of every slots_fill request */

static char *slot_page(void)
{
	static char *page;

	if (page == NULL)
		page = pages_alloc(1);
	return page;
}

long slots_fill(int fd, long max, bool *eagain)
{
	char *p = slot_page();
	long n;

	*eagain = false;
	for (n = 0; n < max; n++) {
		errno = 0;
		int rc = aio_start(fd, AU_READ, n % 8, p + (n % 8) * BLK, BLK,
				   &slot_ref);
		int e = errno;

		if (rc == -1 && e == EAGAIN) {
			*eagain = true;
			break;
		}
		ck_assert_msg(rc == 0, "request %ld (a valid 512-byte AU_READ):"
			      " expected 0 or -1 errno EAGAIN, got %d errno %s",
			      n + 1, rc, rc == -1 ? errname(e) : "-");
	}
	return n;
}

long slots_drain(int fd, long n)
{
	char *p = slot_page();
	long got = 0;
	double end = now() + io_timeout;

	while (got < n) {
		ASYNCSTATUS st;
		long k = status_poll(fd, &st);

		for (long i = 0; i < k; i++) {
			const IOSTAT *s = &st.astatus[i];

			ck_assert_msg(s->ioref == &slot_ref && s->iomaddr >= p &&
				      s->iomaddr < p + PAGE,
				      "status of an unknown request (iomaddr "
				      "%p, ioref %p)", (void *)s->iomaddr,
				      (void *)s->ioref);
			ck_assert_msg(s->iostatus == 0 && s->iobsize == BLK,
				      "status iostatus %d iobsize %d, expected "
				      "0 and 512", s->iostatus, s->iobsize);
		}
		got += k;
		if (k == 0) {
			ck_assert_msg(now() < end, "timeout: %ld of %ld "
				      "statuses after %.0f s", got, n,
				      io_timeout);
			nap_ms(0.5);
		}
	}
	return got;
}

long slots_capacity(int fd)
{
	long expected = 0, prev = -1;
	double end = now() + io_timeout;

	if (conf.naioreqpp > 0)
		expected = conf.naioreq > 0 && conf.naioreq < conf.naioreqpp ?
			   conf.naioreq : conf.naioreqpp;
	for (;;) {
		bool eagain;
		long n = slots_fill(fd, expected ? expected + 1 : SLOTS_CAP,
				    &eagain);

		if (expected) {
			ck_assert_msg(eagain, "%ld requests accepted, the limit "
				      "(-p/-q) is %ld", n, expected);
		} else {
			ck_assert_msg(eagain, "no EAGAIN after %ld requests "
				      "outstanding", n);
		}
		slots_drain(fd, n);
		if (expected ? n == expected : n == prev)
			return n;
		ck_assert_msg(now() < end, "only %ld requests accepted before "
			      "EAGAIN, expected %ld (NAIOREQPP/NAIOREQ), for "
			      "%.0f s", n, expected, io_timeout);
		prev = n;
		nap_ms(20);
	}
}

void slots_acquire(int fd, long want, const char *what)
{
	long got = 0;
	double end = now() + io_timeout;

	for (;;) {
		bool eagain;

		got += slots_fill(fd, want - got, &eagain);
		if (got == want)
			return;
		ck_assert_msg(now() < end, "%s: only %ld of %ld requests "
			      "accepted within %.0f s (EAGAIN)", what, got,
			      want, io_timeout);
		nap_ms(10);
	}
}

/* ---- data patterns ----------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

uint64_t pat_salt(void)
{
	static uint64_t salt;

	if (salt == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		salt = mix((uint64_t)getpid() << 32 ^ (uint64_t)ts.tv_sec ^
			   (uint64_t)ts.tv_nsec) | 1;
	}
	return salt;
}

static uint64_t pat_word(long daddr, size_t word, unsigned tag)
{
	uint64_t blk = (uint64_t)(int64_t)daddr + word / (BLK / 8);

	return mix(mix(pat_salt() ^ tag) + blk * (BLK / 8) + word % (BLK / 8));
}

void pat_fill(void *buf, long daddr, size_t size, unsigned tag)
{
	unsigned char *p = buf;

	for (size_t w = 0; w < size / 8; w++) {
		uint64_t v = pat_word(daddr, w, tag);

		memcpy(p + w * 8, &v, 8);
	}
}

long pat_check(const void *buf, long daddr, size_t size, unsigned tag)
{
	const unsigned char *p = buf;

	for (size_t w = 0; w < size / 8; w++) {
		uint64_t v = pat_word(daddr, w, tag);

		if (memcmp(p + w * 8, &v, 8) != 0) {
			size_t b = 0;

			while (p[w * 8 + b] == ((unsigned char *)&v)[b])
				b++;
			return (long)(w * 8 + b);
		}
	}
	return -1;
}

void expect_fill(const void *p, size_t len, int c, const char *what)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++)
		ck_assert_msg(b[i] == (unsigned char)c,
			      "%s: byte %zu is 0x%02x, expected 0x%02x "
			      "(untouched)", what, i, b[i], (unsigned char)c);
}

/* ---- backing store ------------------------------------------------------ */

void backing_read(const char *path, uint64_t off, void *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_DIRECT);

	ck_assert_msg(fd >= 0, "open(%s, O_DIRECT): %s", path,
		      strerror(errno));
	ssize_t n = pread(fd, buf, len, (off_t)off);

	ck_assert_msg(n == (ssize_t)len, "pread(%s, %zu at %llu): %zd %s",
		      path, len, (unsigned long long)off, n,
		      n < 0 ? strerror(errno) : "(short)");
	close(fd);
}

void backing_write(const char *path, uint64_t off, const void *buf,
		   size_t len)
{
	int fd = open(path, O_WRONLY | O_DIRECT);

	ck_assert_msg(fd >= 0, "open(%s, O_DIRECT): %s", path,
		      strerror(errno));
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	ck_assert_msg(n == (ssize_t)len, "pwrite(%s, %zu at %llu): %zd %s",
		      path, len, (unsigned long long)off, n,
		      n < 0 ? strerror(errno) : "(short)");
	close(fd);
}

/* ---- child processes ---------------------------------------------------- */

void child_spawn(struct child *c, child_fn *fn, void *arg)
{
	int up[2], down[2];

	(void)pat_salt();	/* parent and child share the salt */
	ck_assert_msg(pipe(up) == 0 && pipe(down) == 0, "pipe: %s",
		      strerror(errno));
	fflush(stdout);
	fflush(stderr);

	pid_t pid = fork();

	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		struct child self = { getpid(), down[0], up[1] };

		signal(SIGPIPE, SIG_IGN);
		close(up[0]);
		close(down[1]);
		fn(&self, arg);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	c->pid = pid;
	c->rd = up[0];
	c->wr = down[1];
}

void child_say(struct child *self, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);

	line[len++] = '\n';
	if (write(self->wr, line, len) != (ssize_t)len)
		_exit(3);
}

void child_wait(struct child *self)
{
	char b;

	while (read(self->rd, &b, 1) == -1 && errno == EINTR)
		;
}

void child_expect_ok(struct child *c, char *out, size_t outlen)
{
	char line[512];
	size_t len = 0;
	double end = now() + 3 * io_timeout;

	for (;;) {
		struct pollfd pfd = { c->rd, POLLIN, 0 };
		int left = (int)((end - now()) * 1000);

		if (left < 0 || poll(&pfd, 1, left) == 0) {
			kill(c->pid, SIGKILL);
			ck_abort_msg("child %d said nothing for %.0f s",
				     (int)c->pid, 3 * io_timeout);
		}
		ssize_t n = read(c->rd, line + len, 1);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			line[len] = '\0';
			ck_abort_msg("child %d ended without reporting%s%s",
				     (int)c->pid, len ? ": " : "", line);
		}
		if (line[len] == '\n' || len == sizeof(line) - 2)
			break;
		len++;
	}
	line[len] = '\0';
	if (strncmp(line, "OK", 2) != 0) {
		kill(c->pid, SIGKILL);
		ck_abort_msg("child %d: %s", (int)c->pid, line);
	}
	if (out != NULL)
		snprintf(out, outlen, "%s", line + 2 + (line[2] == ' '));
}

void child_release(struct child *c)
{
	if (c->wr >= 0)
		close(c->wr);
	c->wr = -1;
}

int child_reap(struct child *c)
{
	int status = 0;
	double end = now() + 3 * io_timeout;

	child_release(c);
	for (;;) {
		pid_t r = waitpid(c->pid, &status, WNOHANG);

		if (r == c->pid)
			break;
		ck_assert_msg(r == 0, "waitpid(%d): %s", (int)c->pid,
			      strerror(errno));
		if (now() > end) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			ck_abort_msg("child %d did not end within %.0f s",
				     (int)c->pid, 3 * io_timeout);
		}
		nap_ms(2);
	}
	close(c->rd);
	c->rd = -1;
	return status;
}

void pages_round_trip(int fd, long first, long n, unsigned tag)
{
	struct req *r = calloc((size_t)n, sizeof(*r));
	char *p = pages_alloc((size_t)n);

	ck_assert(r != NULL);
	for (long i = 0; i < n; i++) {
		r[i] = (struct req){ AU_WRITE, first + 8 * i, p + i * PAGE,
				     PAGE, REQ_IDLE };
		pat_fill(r[i].maddr, r[i].daddr, PAGE, tag);
		req_start(fd, &r[i]);
	}
	reqs_wait(fd, r, (size_t)n);
	memset(p, 0, (size_t)n * PAGE);
	for (long i = 0; i < n; i++) {
		r[i].cmd = AU_READ;
		req_start(fd, &r[i]);
	}
	reqs_wait(fd, r, (size_t)n);
	for (long i = 0; i < n; i++)
		EXPECT_PAT(r[i].maddr, r[i].daddr, PAGE, tag,
			   "block %ld read back", r[i].daddr);
	free(r);
}
