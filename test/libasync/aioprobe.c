/* SPDX-License-Identifier: MIT */
/*
 * aioprobe.c -- the positional calls libasync interposes (lseek, pread,
 * pwrite, preadv, pwritev) on descriptors that are not aiod's: each PATH
 * given, a pipe, and a pseudo-terminal's master and slave.  Run with
 * libasync preloaded under `strace -e trace=ioctl`, it shows whether
 * libasync sends its ioctls (magic 0xA5) to other drivers; run-tests.sh
 * asserts it never does.  The calls' own results do not matter (a pipe
 * or a tty cannot seek); it exits 0 once every call is made, 1 if a
 * descriptor cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void probe(const char *what, int fd)
{
	char buf[512] = { 0 };
	struct iovec iov = { buf, sizeof(buf) };

	(void)!lseek(fd, 512, SEEK_SET);
	(void)!pread(fd, buf, sizeof(buf), 512);
	(void)!preadv(fd, &iov, 1, 1024);
	if (strcmp(what, "/dev/zero") == 0 || strcmp(what, "/dev/null") == 0) {
		(void)!pwrite(fd, buf, sizeof(buf), 512);
		(void)!pwritev(fd, &iov, 1, 1024);
	}
	printf("aioprobe: %s (fd %d) probed\n", what, fd);
}

int main(int argc, char **argv)
{
	int pipefd[2], master, slave;

	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDWR | O_NONBLOCK);

		if (fd < 0) {
			fprintf(stderr, "aioprobe: %s: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
		probe(argv[i], fd);
		close(fd);
	}
	if (pipe2(pipefd, O_NONBLOCK)) {
		fprintf(stderr, "aioprobe: pipe: %s\n", strerror(errno));
		return 1;
	}
	probe("a pipe", pipefd[0]);
	master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    (slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_NONBLOCK)) < 0) {
		fprintf(stderr, "aioprobe: a pseudo-terminal: %s\n",
			strerror(errno));
		return 1;
	}
	probe("a pty master", master);
	probe("a pty slave", slave);
	return 0;
}
