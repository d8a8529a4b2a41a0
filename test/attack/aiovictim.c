/* SPDX-License-Identifier: MIT */
/*
 * aiovictim.c -- the victim's client for the attack tests: installed
 * set-user-ID to the victim user (or run as that user), it opens a
 * partition only the victim may open, writes a page of its own pattern
 * with DKIOCASTRT AU_WRITE from its own buffer, reads it back with AU_READ
 * into another buffer of its own, and says on standard output whether both
 * held its data.  Exit status 0: they did; 1: the data was wrong; 2: a
 * call failed.
 *
 * Usage: aiovictim PARTITION BLOCK SEED
 * PARTITION is a path, or fd:N for a descriptor of the partition it was
 * started with.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "attack.h"

#define STATUS_WAIT_NS (5LL * 1000000000)

static int transfer(int fd, long cmd, long block, char *buf,
		    ASYNCSTATUS *status)
{
	AREQBUF rq = { cmd, block, buf, VICTIM_PAGE, buf };
	struct timespec t0, t;

	if (ioctl(fd, DKIOCASTRT, &rq)) {
		printf("aiovictim: DKIOCASTRT %s: %s\n",
		       cmd == AU_WRITE ? "AU_WRITE" : "AU_READ",
		       strerror(errno));
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (ioctl(fd, DKIOCASTAT, status)) {
			printf("aiovictim: DKIOCASTAT: %s\n", strerror(errno));
			return -1;
		}
		if (status->acount > 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000LL +
		    (t.tv_nsec - t0.tv_nsec) > STATUS_WAIT_NS) {
			printf("aiovictim: no status within 5 s\n");
			return -1;
		}
		usleep(100);
	}
	if (status->astatus[0].iostatus) {
		printf("aiovictim: %s: iostatus %s\n",
		       cmd == AU_WRITE ? "AU_WRITE" : "AU_READ",
		       strerror(status->astatus[0].iostatus));
		return -1;
	}
	return 0;
}

/* Does buf differ from the pattern of seed?  Says where, if so. */
static int wrong_data(const char *which, const char *buf, unsigned seed)
{
	for (unsigned i = 0; i < VICTIM_PAGE; i++)
		if ((unsigned char)buf[i] != victim_pattern(seed, i)) {
			printf("aiovictim: %s buffer byte %u is 0x%02x, not "
			       "0x%02x\n", which, i, (unsigned char)buf[i],
			       victim_pattern(seed, i));
			return 1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	char *area, *out, *in;
	ASYNCSTATUS *status;
	unsigned seed;
	long block;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: aiovictim PARTITION BLOCK SEED\n");
		return 2;
	}
	block = atol(argv[2]);
	seed = (unsigned)atoi(argv[3]);
	area = mmap((void *)VICTIM_AREA_ADDR, VICTIM_AREA_PAGES * VICTIM_PAGE,
		    PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (area != (char *)VICTIM_AREA_ADDR) {
		printf("aiovictim: cannot map its area: %s\n", strerror(errno));
		return 2;
	}
	out = area;
	in = area + VICTIM_PAGE;
	status = (ASYNCSTATUS *)(void *)(area + 2 * VICTIM_PAGE);
	for (unsigned i = 0; i < VICTIM_PAGE; i++)
		out[i] = (char)victim_pattern(seed, i);
	fd = strncmp(argv[1], "fd:", 3) ? open(argv[1], O_RDWR) :
					  atoi(argv[1] + 3);
	if (fd < 0) {
		printf("aiovictim: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (transfer(fd, AU_WRITE, block, out, status) ||
	    transfer(fd, AU_READ, block, in, status))
		return 2;
	if (wrong_data("write", out, seed) | wrong_data("read-back", in, seed))
		return 1;
	printf("aiovictim: ok\n");
	return 0;
}
