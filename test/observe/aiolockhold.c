/* SPDX-License-Identifier: MIT */
/*
 * aiolockhold.c -- a client for run-tests.sh's tests of what aioinfo
 * shows of a live process: it opens one or more aio partitions (a
 * comma-separated list), declares one page-aligned region of BYTES with
 * DKIOCMLOCK on each, then (with READS) reads each partition's first page
 * into the region READS times with DKIOCASTRT, collecting each status with
 * DKIOCASTAT, prints "locked ADDRESS BYTES" once all that has returned,
 * and holds the region (and its open files, and with libasync(3) its
 * direct-path connection) until its standard input ends, so the test can
 * look at the lock table and the devices' figures meanwhile with no race.
 * Exit status 0, or 1 with a one-line reason if a call failed.
 *
 * Usage: aiolockhold PARTITION[,PARTITION...] BYTES [READS]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* One DKIOCASTRT of the partition's first page into buf, and its status
 * (DKIOCASTAT until it comes): 0, or 1 with the reason told. */
static int read_first_page(int fd, const char *name, void *buf)
{
	AREQBUF rq = { .au_cmd = AU_READ, .au_daddr = 0, .au_maddr = buf,
		       .au_size = 4096, .au_ref = buf };
	ASYNCSTATUS st;

	if (ioctl(fd, DKIOCASTRT, &rq)) {
		fprintf(stderr, "aiolockhold: %s: DKIOCASTRT: %s\n", name,
			strerror(errno));
		return 1;
	}
	do {
		if (ioctl(fd, DKIOCASTAT, &st)) {
			fprintf(stderr, "aiolockhold: %s: DKIOCASTAT: %s\n",
				name, strerror(errno));
			return 1;
		}
	} while (st.acount == 0);
	if (st.acount != 1 || st.astatus[0].iostatus ||
	    st.astatus[0].iobsize != 4096) {
		fprintf(stderr, "aiolockhold: %s: read: %ld statuses, %s, "
			"%d bytes\n", name, st.acount,
			strerror(st.astatus[0].iostatus),
			st.astatus[0].iobsize);
		return 1;
	}
	return 0;
}

/* Open the partition, declare the region on it and make the reads: its
 * descriptor, or -1 with the reason told. */
static int hold_partition(const char *name, ASYNCMLOCK *m, long reads)
{
	int fd = open(name, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "aiolockhold: %s: %s\n", name, strerror(errno));
		return -1;
	}
	if (ioctl(fd, DKIOCMLOCK, m)) {
		fprintf(stderr, "aiolockhold: %s: DKIOCMLOCK: %s\n", name,
			strerror(errno));
		return -1;
	}
	for (long i = 0; i < reads; i++)
		if (read_first_page(fd, name, m->avaddr))
			return -1;
	return fd;
}

int main(int argc, char **argv)
{
	ASYNCMLOCK m;
	char buf[64], *end, *name, *rest;
	void *region;
	long bytes, reads = 0;
	int err;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: aiolockhold PARTITION[,PARTITION...] "
			"BYTES [READS]\n");
		return 2;
	}
	if (argc == 4) {
		errno = 0;
		reads = strtol(argv[3], &end, 10);
		if (errno || *end || reads < 0) {
			fprintf(stderr, "aiolockhold: %s: not a count\n",
				argv[3]);
			return 2;
		}
	}
	errno = 0;
	bytes = strtol(argv[2], &end, 10);
	if (errno || *end || bytes <= 0 || bytes > 1L << 30 ||
	    (reads && bytes < 4096)) {
		fprintf(stderr, "aiolockhold: %s: not a size in bytes\n", argv[2]);
		return 2;
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
	/* The descriptors stay open until exit. */
	for (name = strtok_r(argv[1], ",", &rest); name;
	     name = strtok_r(NULL, ",", &rest))
		if (hold_partition(name, &m, reads) < 0)
			return 1;
	printf("locked %p %ld\n", region, bytes);
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	free(region);
	return 0;
}
