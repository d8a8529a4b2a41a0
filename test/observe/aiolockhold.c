/* SPDX-License-Identifier: MIT */
/*
 * aiolockhold.c -- a client for run-tests.sh's aioinfo -l test: it opens
 * an aio partition, declares a page-aligned region of BYTES with
 * DKIOCMLOCK, prints "locked ADDRESS BYTES" once the call has returned,
 * and holds the region until its standard input ends, so the test can
 * look at the lock table meanwhile with no race.  Exit status 0, or 1
 * with a one-line reason if a call failed.
 *
 * Usage: aiolockhold PARTITION BYTES
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	ASYNCMLOCK m;
	char buf[64], *end;
	void *region;
	long bytes;
	int fd, err;

	if (argc != 3) {
		fprintf(stderr, "usage: aiolockhold PARTITION BYTES\n");
		return 2;
	}
	errno = 0;
	bytes = strtol(argv[2], &end, 10);
	if (errno || *end || bytes <= 0 || bytes > 1L << 30) {
		fprintf(stderr, "aiolockhold: %s: not a size in bytes\n", argv[2]);
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "aiolockhold: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = posix_memalign(&region, 4096, (size_t)bytes);
	if (err) {
		fprintf(stderr, "aiolockhold: %ld bytes: %s\n", bytes,
			strerror(err));
		return 1;
	}
	memset(region, 0, (size_t)bytes);
	m.avaddr = region;
	m.asize = (unsigned int)bytes;
	if (ioctl(fd, DKIOCMLOCK, &m)) {
		fprintf(stderr, "aiolockhold: %s: DKIOCMLOCK: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	printf("locked %p %ld\n", region, bytes);
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	close(fd);
	free(region);
	return 0;
}
