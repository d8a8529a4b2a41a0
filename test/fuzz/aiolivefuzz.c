/* SPDX-License-Identifier: MIT */
/*
 * aiolivefuzz.c -- a client that throws random requests at a running aiod
 * for SECONDS: random and aio(M) ioctl numbers (magic 0xA5 and others)
 * with random argument bytes, request addresses that are valid, unmapped,
 * unaligned, in the kernel's half or NULL, memory locks of random
 * regions, and storms of processes that fork, submit and exit or close
 * without waiting for their requests.  It checks nothing itself but that
 * aiod keeps answering (AIOC_IDENT at the end); run-tests.sh compares
 * aiod's memory and descriptors before and after, and a sanitizer-built
 * aiod reports what it finds in its log.  Builds 64-bit and with -m32.
 *
 * Usage: aiolivefuzz SECONDS DEVICE...   Exits 0 if aiod still answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <scoaio/ioctl.h>

static uint64_t state;

static uint64_t rnd(void)	/* xorshift64* */
{
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return state * UINT64_C(2685821657736338717);
}

static char *page;		/* a mapped page, and one left unmapped */
static char *hole;

static char *wild_address(void)
{
	switch (rnd() % 6) {
	case 0: return NULL;
	case 1: return hole + (rnd() % 8) * 512;
	case 2: return (char *)(uintptr_t)(UINTPTR_MAX - 4095);
	case 3: return page + rnd() % 4096;
	default: return page + (rnd() % 8) * 512;
	}
}

static void one_request(int fd)
{
	union { AREQBUF rq; ASYNCMLOCK m; ASYNCSTATUS st;
		unsigned char raw[16384]; } arg;	/* the most _IOC sizes */
	unsigned long cmd;

	for (size_t i = 0; i < sizeof(arg.raw); i++)
		arg.raw[i] = (unsigned char)rnd();
	switch (rnd() % 8) {
	case 0:
		arg.rq = (AREQBUF){ (long)(1 + rnd() % 2), (long)(rnd() % 4096),
				    wild_address(), (long)(512 << (rnd() % 4)),
				    NULL };
		cmd = DKIOCASTRT;
		break;
	case 1:
	case 2:
		cmd = DKIOCASTAT;
		break;
	case 3:
		arg.m = (ASYNCMLOCK){ wild_address(),
				      (unsigned)(rnd() % 3) * 4096 };
		cmd = DKIOCMLOCK;
		break;
	case 4:		/* any aiod number, any size */
		cmd = _IOC(rnd() % 4, AIO_IOC_MAGIC, rnd() % 0x40,
			   rnd() % 512);
		break;
	case 5:		/* another driver's number */
		cmd = (unsigned long)(uint32_t)rnd();
		break;
	case 6:		/* a known number, the argument not mapped */
		cmd = rnd() % 2 ? DKIOCASTRT : AIOC_PREAD;
		(void)ioctl(fd, cmd, hole);
		return;
	default:
		cmd = rnd() % 2 ? AIOC_SEEK : AIOC_INFO;
		break;
	}
	(void)ioctl(fd, cmd, &arg);
}

static int open_any(char **devs, int ndevs)
{
	return open(devs[rnd() % (uint64_t)ndevs], O_RDWR);
}

int main(int argc, char **argv)
{
	time_t end;
	int fd, children = 0;
	struct aio_ident id;
	unsigned long rounds = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: aiolivefuzz SECONDS DEVICE...\n");
		return 2;
	}
	end = time(NULL) + atoi(argv[1]);
	state = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ 1;
	page = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("aiolivefuzz: mmap");
		return 1;
	}
	hole = page + 4 * 4096;
	munmap(hole, 4 * 4096);
	while (time(NULL) < end) {
		pid_t pid;

		fd = open_any(argv + 2, argc - 2);
		if (fd < 0) {
			fprintf(stderr, "aiolivefuzz: open: %s\n",
				strerror(errno));
			return 1;
		}
		for (int i = 0; i < 64; i++)
			one_request(fd);
		rounds++;
		if (rnd() % 4 == 0 && children < 16) {
			pid = fork();
			if (pid == 0) {		/* submit, then go at once */
				for (int i = 0; i < 32; i++)
					one_request(fd);
				if (rnd() % 2)
					close(fd);
				_exit(0);
			}
			if (pid > 0)
				children++;
		}
		while (children && waitpid(-1, NULL, WNOHANG) > 0)
			children--;
		close(fd);		/* requests may still be in flight */
	}
	while (children && wait(NULL) > 0)
		children--;
	fd = open(argv[2], O_RDWR);
	if (fd < 0 || ioctl(fd, AIOC_IDENT, &id) || id.magic != AIO_IDENT_MAGIC) {
		fprintf(stderr, "aiolivefuzz: aiod no longer answers on %s: "
			"%s\n", argv[2], strerror(errno));
		return 1;
	}
	printf("aiolivefuzz: %lu rounds of 64 requests (%zu-bit), aiod "
	       "still answers\n", rounds, sizeof(void *) * 8);
	return 0;
}
