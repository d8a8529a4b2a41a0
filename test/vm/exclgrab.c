/* SPDX-License-Identifier: MIT */
/*
 * exclgrab.c -- the VM test's program that takes a block device the moment
 * its holder lets go: it watches the device node with inotify, and after
 * the first open of it by anyone else (the holder starting) and the first
 * close that follows (the holder letting go: the kernel reports the close
 * as it releases the file, and with it an O_EXCL claim), tries
 * open(O_EXCL) without pause until one succeeds, so that it wins the
 * window in which the device is held by nobody.  It then prints
 * "held PATH" and keeps the device until its standard input ends.  Exit
 * status 0 once the device was held; 1, with a one-line reason, if it
 * could not watch it or SECONDS passed first.
 *
 * Usage: exclgrab PATH SECONDS
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

/* Wait for one of the events in mask on the watch; 0, or -1 told. */
static int wait_event(int in, uint32_t mask)
{
	union {
		struct inotify_event ev;
		char bytes[4096];
	} buf;

	for (;;) {
		ssize_t n = read(in, &buf, sizeof(buf));

		if (n <= 0) {
			fprintf(stderr, "exclgrab: inotify: %s\n",
				n ? strerror(errno) : "end of file");
			return -1;
		}
		for (char *p = buf.bytes; p < buf.bytes + n;) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->mask & mask)
				return 0;
			p += sizeof(*ev) + ev->len;
		}
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double deadline;
	int in, fd = -1;
	char c;

	if (argc != 3) {
		fputs("usage: exclgrab PATH SECONDS\n", stderr);
		return 2;
	}
	deadline = now() + atof(argv[2]);
	in = inotify_init1(IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, argv[1], IN_OPEN | IN_CLOSE) < 0) {
		fprintf(stderr, "exclgrab: watching %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	printf("watching %s\n", argv[1]);
	fflush(stdout);
	if (wait_event(in, IN_OPEN) || wait_event(in, IN_CLOSE))
		return 1;
	while (fd < 0 && now() < deadline) {
		fd = open(argv[1], O_RDONLY | O_EXCL | O_CLOEXEC);
		if (fd < 0 && errno != EBUSY) {
			fprintf(stderr, "exclgrab: %s: %s\n", argv[1],
				strerror(errno));
			return 1;
		}
	}
	if (fd < 0) {
		fprintf(stderr, "exclgrab: %s stayed held for %s s\n", argv[1],
			argv[2]);
		return 1;
	}
	printf("held %s\n", argv[1]);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
