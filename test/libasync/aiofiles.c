/* SPDX-License-Identifier: MIT */
/*
 * aiofiles.c -- how libasync(3) keeps track of open files and the
 * descriptors that name them, run with libasync preloaded (as root) on
 * aiod devices served through the direct path.  One case per run:
 *
 *   two A B BACKING-A BACKING-B
 *	A and B are devices of two aiods; each daemon numbers its open
 *	files on its own, and A and B are opened until their files have the
 *	same number in each.  A write to each must land on its own backing.
 *   wronly DEVICE
 *	DEVICE opened write-only: the partition's descriptor that libasync
 *	holds must be write-only too.
 *   dup DEVICE
 *	A status must outlive the descriptor its request was started on
 *	when dup(), dup2() or fcntl(F_DUPFD) made another one.
 *   untrusted FAKE DEVICE BACKING
 *	FAKE is aiofakeattach's bait, a FUSE file whose server answers
 *	AIOC_ATTACH naming a socket of its own; it is opened first, then
 *	DEVICE, and a write to DEVICE must land on BACKING (the caller
 *	checks that the fake socket heard nothing).
 *   idle DEVICE N
 *	Without libasync: connects N times to the attach socket that
 *	AIOC_ATTACH on DEVICE names and sends nothing, prints "connected N"
 *	and holds the connections until its input ends (the caller checks
 *	that another client still attaches).
 *   reuse DEVICE NAIOREQPP
 *	40 times, a descriptor with 4 writes in flight is closed behind
 *	libasync's back (the close system call) and its number reused at
 *	once by open(); then NAIOREQPP requests must still all start, their
 *	credits having come back with the forgotten file's.
 *
 * Prints what it checks; exit 0 when everything held, 1 otherwise.
 */
#include <sys/async.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <scoaio/direct.h>

#define PAGE 4096
#define STATUS_WAIT_MS 5000

static int failures;
static char buf[64][PAGE] __attribute__((aligned(PAGE)));

#define FAIL(...) do { printf("FAIL: " __VA_ARGS__); putchar('\n'); \
		       failures++; } while (0)

static void die(const char *what)
{
	printf("FAIL: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		die(path);
	return fd;
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

static int start(int fd, long cmd, long block, char *at, uintptr_t ref)
{
	AREQBUF rq = { .au_cmd = cmd, .au_daddr = block, .au_maddr = at,
		       .au_size = PAGE, .au_ref = (char *)ref };

	return ioctl(fd, DKIOCASTRT, &rq);
}

/* The next status of fd within STATUS_WAIT_MS: its ref, or 0 for none. */
static uintptr_t collect_one(int fd)
{
	ASYNCSTATUS st;

	for (int ms = 0; ms < STATUS_WAIT_MS; ms++) {
		if (ioctl(fd, DKIOCASTAT, &st))
			die("DKIOCASTAT");
		if (st.acount > 0) {
			if (st.astatus[0].iostatus)
				FAIL("request %p: status %d",
				     (void *)st.astatus[0].ioref,
				     st.astatus[0].iostatus);
			return (uintptr_t)st.astatus[0].ioref;
		}
		nap_ms(1);
	}
	return 0;
}

/* n statuses of fd within STATUS_WAIT_MS, however many each call
 * returns; how many came. */
static long collect_all(int fd, long n)
{
	ASYNCSTATUS st;
	long got = 0;

	for (int ms = 0; got < n && ms < STATUS_WAIT_MS; ms++) {
		if (ioctl(fd, DKIOCASTAT, &st))
			die("DKIOCASTAT");
		for (long i = 0; i < st.acount; i++)
			if (st.astatus[i].iostatus)
				FAIL("request %p: status %d",
				     (void *)st.astatus[i].ioref,
				     st.astatus[i].iostatus);
		got += st.acount;
		if (st.acount == 0)
			nap_ms(1);
	}
	return got;
}

/* One DKIOCASTAT that finds nothing: it reaps what has completed. */
static void poll_once(int fd)
{
	ASYNCSTATUS st;

	if (ioctl(fd, DKIOCASTAT, &st))
		die("DKIOCASTAT");
	if (st.acount)
		FAIL("a status on a descriptor without requests");
}

/* The id aiod gave fd's open file (AIOC_ATTACH, past libasync). */
static uint64_t file_id(int fd)
{
	struct aio_attach att;

	if (syscall(SYS_ioctl, fd, AIOC_ATTACH, &att))
		die("AIOC_ATTACH");
	return att.file_id;
}

/* Reopen path until its file's id is at least id; the descriptor. */
static int open_up_to(const char *path, int fd, uint64_t id, uint64_t *got)
{
	for (int i = 0; (*got = file_id(fd)) < id; i++) {
		if (i == 10000) {
			printf("FAIL: %s: no file id %llu\n", path,
			       (unsigned long long)id);
			exit(1);
		}
		close(fd);
		fd = open_or_die(path, O_RDWR);
	}
	return fd;
}

static void write_and_check(int fd, const char *name, const char *backing,
			    char fill)
{
	int bfd = open_or_die(backing, O_RDONLY | O_DIRECT);

	memset(buf[0], fill, PAGE);
	if (start(fd, AU_WRITE, 0, buf[0], 1) || collect_one(fd) != 1)
		FAIL("write of '%c's to %s: no status", fill, name);
	if (pread(bfd, buf[1], PAGE, 0) != PAGE)
		die(backing);
	close(bfd);
	if (memcmp(buf[0], buf[1], PAGE))
		FAIL("block 0 of %s is not '%c's after the write to %s "
		     "(it holds '%c's)", backing, fill, name, buf[1][0]);
	else
		printf("ok: the write to %s is on %s\n", name, backing);
}

static void two_daemons(char **argv)
{
	int a = open_or_die(argv[0], O_RDWR), b = open_or_die(argv[1], O_RDWR);
	uint64_t ida = file_id(a), idb = file_id(b);

	while (ida != idb) {
		if (ida < idb)
			a = open_up_to(argv[0], a, idb, &ida);
		else
			b = open_up_to(argv[1], b, ida, &idb);
	}
	printf("file ids: %llu on %s, %llu on %s\n", (unsigned long long)ida,
	       argv[0], (unsigned long long)idb, argv[1]);
	write_and_check(a, argv[0], argv[2], 'A');
	write_and_check(b, argv[1], argv[3], 'B');
	write_and_check(a, argv[0], argv[2], 'a');
}

static void untrusted(char **argv)
{
	int fake = open_or_die(argv[0], O_RDWR);
	int fd = open_or_die(argv[1], O_RDWR);

	write_and_check(fd, argv[1], argv[2], 'U');
	close(fd);
	close(fake);
}

static void idle(const char *dev, long n)
{
	int fd = open_or_die(dev, O_RDWR);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct aio_attach att;
	size_t len;
	char c;

	if (syscall(SYS_ioctl, fd, AIOC_ATTACH, &att))
		die("AIOC_ATTACH");
	len = strnlen(att.sockname, sizeof(att.sockname));
	if (att.direct != AIO_DIRECT_OK || len == 0 ||
	    len >= sizeof(sa.sun_path) - 1) {
		printf("FAIL: %s names no attach socket\n", dev);
		exit(1);
	}
	memcpy(sa.sun_path + 1, att.sockname, len);
	for (long i = 0; i < n; i++) {
		int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);

		if (s < 0 || connect(s, (struct sockaddr *)&sa,
				     (socklen_t)(offsetof(struct sockaddr_un,
							  sun_path) + 1 + len)))
			die("connect to the attach socket");
	}
	printf("connected %ld\n", n);
	while (read(0, &c, 1) > 0)
		;
}

static void write_only(const char *dev)
{
	int fd = open_or_die(dev, O_WRONLY), found = 0;
	struct dirent *de;
	DIR *d;

	memset(buf[0], 'w', PAGE);
	if (start(fd, AU_WRITE, 0, buf[0], 1) || collect_one(fd) != 1)
		FAIL("write through %s opened write-only", dev);
	if (!(d = opendir("/proc/self/fd")))
		die("/proc/self/fd");
	while ((de = readdir(d))) {
		int n = atoi(de->d_name), mode;
		struct stat st;

		if (n <= 2 || n == fd || n == dirfd(d) || fstat(n, &st) ||
		    !S_ISBLK(st.st_mode))
			continue;
		found++;
		mode = fcntl(n, F_GETFL) & O_ACCMODE;
		if (mode != O_WRONLY)
			FAIL("libasync holds fd %d of the partition open %s",
			     n, mode == O_RDWR ? "read-write" : "read-only");
		else if (pread(n, buf[1], PAGE, 0) >= 0 || errno != EBADF)
			FAIL("a read through libasync's fd %d: %s", n,
			     strerror(errno));
		else
			printf("ok: libasync's fd %d of the partition is "
			       "write-only; a read: %s\n", n, strerror(errno));
	}
	closedir(d);
	if (!found)
		FAIL("libasync holds no block device: not the direct path");
	close(fd);
}

static void dup_keeps(const char *dev)
{
	static const char *const how[] = { "dup()", "dup2()",
					   "fcntl(F_DUPFD)" };

	for (int i = 0; i < 3; i++) {
		int fd = open_or_die(dev, O_RDWR), other;

		if (start(fd, AU_WRITE, 1, buf[0], 100 + (uintptr_t)i))
			die("DKIOCASTRT");
		other = i == 0 ? dup(fd) : i == 1 ? dup2(fd, 50)
						  : fcntl(fd, F_DUPFD, 60);
		if (other < 0)
			die(how[i]);
		close(fd);
		if (collect_one(other) != 100 + (uintptr_t)i)
			FAIL("the status went with the descriptor closed "
			     "after %s", how[i]);
		else
			printf("ok: the status reached the descriptor made "
			       "by %s\n", how[i]);
		close(other);
	}
}

static void reuse(const char *dev, long naioreqpp)
{
	int keep = open_or_die(dev, O_RDWR);
	long started = 0;

	if (naioreqpp < 1 || naioreqpp > 64) {
		printf("FAIL: NAIOREQPP %ld: 1 to 64 here\n", naioreqpp);
		exit(1);
	}
	for (int round = 0; round < 40; round++) {
		int fd = open_or_die(dev, O_RDWR), again;

		for (int i = 0; i < 4; i++)
			if (start(fd, AU_WRITE, 8 + i, buf[i], 1))
				die("DKIOCASTRT");
		if (syscall(SYS_close, fd))
			die("close system call");
		again = open_or_die("/dev/null", O_RDONLY);
		if (again != fd)
			FAIL("/dev/null got fd %d, not %d", again, fd);
		close(again);
		nap_ms(2);
		poll_once(keep);
	}
	for (; started < naioreqpp; started++)
		if (start(keep, AU_READ, started, buf[started], 1)) {
			FAIL("request %ld of NAIOREQPP %ld: %s", started + 1,
			     naioreqpp, strerror(errno));
			break;
		}
	printf("%ld of NAIOREQPP %ld requests started after 40 forgotten "
	       "descriptors\n", started, naioreqpp);
	if (collect_all(keep, started) != started)
		FAIL("not every status of the %ld requests came back", started);
	close(keep);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "two"))
		two_daemons(argv + 2);
	else if (argc == 3 && !strcmp(argv[1], "wronly"))
		write_only(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "dup"))
		dup_keeps(argv[2]);
	else if (argc == 4 && !strcmp(argv[1], "idle"))
		idle(argv[2], atol(argv[3]));
	else if (argc == 5 && !strcmp(argv[1], "untrusted"))
		untrusted(argv + 2);
	else if (argc == 4 && !strcmp(argv[1], "reuse"))
		reuse(argv[2], atol(argv[3]));
	else {
		fprintf(stderr, "usage: aiofiles two A B BACKING-A BACKING-B | "
			"wronly DEVICE | dup DEVICE |\n"
			"       untrusted FAKE DEVICE BACKING | idle DEVICE N | "
			"reuse DEVICE NAIOREQPP\n");
		return 2;
	}
	return failures ? 1 : 0;
}
