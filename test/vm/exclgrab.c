/* SPDX-License-Identifier: MIT */
/*
 * exclgrab.c -- the VM test's program that takes a block device the moment
 * its holder lets go: it watches the device node with inotify, and from
 * the first open of it by anyone else (the holder starting) tries
 * open(O_EXCL) without pause until one succeeds, so that it wins any
 * window in which the device is held by nobody.  It then prints
 * "held PATH" and keeps the device until its standard input ends.  Exit
 * status 0 once the device was held; 1, with a one-line reason, if it
 * could not watch it or SECONDS passed first.
 *
 * Usage: exclgrab PATH SECONDS
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct inotify_event ev[16];
	double deadline;
	int in, fd = -1;
	char c;

	if (argc != 3) {
		fputs("usage: exclgrab PATH SECONDS\n", stderr);
		return 2;
	}
	deadline = now() + atof(argv[2]);
	in = inotify_init1(IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, argv[1], IN_OPEN) < 0) {
		fprintf(stderr, "exclgrab: watching %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	printf("watching %s\n", argv[1]);
	fflush(stdout);
	if (read(in, ev, sizeof(ev)) <= 0) {	/* the holder opens it */
		fprintf(stderr, "exclgrab: inotify: %s\n", strerror(errno));
		return 1;
	}
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
