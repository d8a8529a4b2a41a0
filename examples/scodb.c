/* SPDX-License-Identifier: MIT */
/*
 * scodb.c -- the disk layer of a legacy database engine, written against
 * SCO UNIX the way such engines were: it opens its raw partition by SCO
 * path, keeps its volume header at a fixed byte offset and reaches it with
 * lseek and read/write, locks a malloc()ed buffer region with DKIOCMLOCK,
 * keeps up to MAXSTATUS page transfers in flight with DKIOCASTRT and polls
 * DKIOCASTAT, and forks a worker that shares the descriptor, and with it
 * the file position, to check pages with lseek+read and pread.  Each check
 * prints its result; the exit status is 0 only if all pass.  It needs no
 * source change to build on SCO, or on Linux 64-bit or i386 with scoaio.
 */
#include <sys/types.h>
#include <sys/async.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "common/cli.h"

#define PAGE		4096
#define HDR_OFFSET	8192L		/* the volume header: block 16 */
#define DATA_BLOCK	64L		/* first data page: byte 32768 */
#define MAGIC		"SCODB v1"

struct header {
	char magic[8];
	long npages;
	long seed;
	long data_block;
	char pad[512 - 8 - 3 * sizeof(long)];
};

static int fd;
static int failures;

static void report(int ok, const char *what)
{
	printf("scodb: %-58s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static void fill(char *buf, long page, long seed)
{
	int i;

	for (i = 0; i < PAGE; i++)
		buf[i] = (char)((page * 7919 + i * 31 + seed) & 0xff);
}

static int same(const char *buf, long page, long seed)
{
	char want[PAGE];

	fill(want, page, seed);
	return memcmp(buf, want, PAGE) == 0;
}

static long data_offset(const struct header *h, long page)
{
	return (h->data_block + page * (PAGE / 512)) * 512;
}

/* Wait for one started request's status; returns its iostatus. */
static int aio_wait(void)
{
	ASYNCSTATUS st;
	int tries;

	for (tries = 0; tries < 10000; tries++) {
		if (ioctl(fd, DKIOCASTAT, &st) < 0) {
			perror("scodb: DKIOCASTAT");
			exit(2);
		}
		if (st.acount > 0)
			return st.astatus[0].iostatus;
		usleep(1000);
	}
	fprintf(stderr, "scodb: no completion after 10 s\n");
	exit(2);
}

/* Block 16 read with aio, which names blocks itself: the truth to hold
 * the lseek+read result against. */
static int header_by_aio(char *page, struct header *h)
{
	AREQBUF rq;

	rq.au_cmd = AU_READ;
	rq.au_daddr = HDR_OFFSET / 512;
	rq.au_maddr = page;
	rq.au_size = 512;
	rq.au_ref = 0;
	if (ioctl(fd, DKIOCASTRT, &rq) < 0 || aio_wait() != 0)
		return -1;
	memcpy(h, page, sizeof(*h));
	return 0;
}

static void write_header(const char *device, const struct header *h)
{
	int wfd = open(device, O_RDWR);

	if (wfd < 0) {
		fprintf(stderr, "scodb: %s: %s\n", device, strerror(errno));
		exit(2);
	}
	report(lseek(wfd, HDR_OFFSET, SEEK_SET) == HDR_OFFSET &&
	       write(wfd, h, sizeof(*h)) == (ssize_t)sizeof(*h) &&
	       close(wfd) == 0,
	       "header written with lseek+write");
}

/* Keep up to MAXSTATUS pages in flight until npages have moved. */
static void transfer(int cmd, char **slot, long nslot, const struct header *h)
{
	long next = 0, done = 0, i, page_of[MAXSTATUS];
	int ok = 1, inflight = 0;

	for (i = 0; i < nslot; i++)
		page_of[i] = -1;
	while (done < h->npages) {
		for (i = 0; i < nslot && next < h->npages; i++) {
			AREQBUF rq;

			if (page_of[i] != -1)
				continue;
			page_of[i] = next;
			if (cmd == AU_WRITE)
				fill(slot[i], next, h->seed);
			rq.au_cmd = cmd;
			rq.au_daddr = data_offset(h, next) / 512;
			rq.au_maddr = slot[i];
			rq.au_size = PAGE;
			rq.au_ref = (char *)(long)i;
			if (ioctl(fd, DKIOCASTRT, &rq) < 0) {
				if (errno == EAGAIN)
					break;
				perror("scodb: DKIOCASTRT");
				exit(2);
			}
			inflight++;
			next++;
		}
		{
			ASYNCSTATUS st;

			if (ioctl(fd, DKIOCASTAT, &st) < 0) {
				perror("scodb: DKIOCASTAT");
				exit(2);
			}
			for (i = 0; i < st.acount; i++) {
				long s = (long)st.astatus[i].ioref;

				if (st.astatus[i].iostatus != 0 ||
				    (cmd == AU_READ &&
				     !same(slot[s], page_of[s], h->seed)))
					ok = 0;
				page_of[s] = -1;
				inflight--;
				done++;
			}
		}
	}
	report(ok, cmd == AU_WRITE ? "data pages written with aio"
				   : "data pages read back with aio and verified");
}

/* The worker: check pages through the shared descriptor into buf (a
 * page), leave the shared position at page 5 for the parent to see. */
static int worker(const struct header *h, char *buf)
{
	int ok = 1;

	if (lseek(fd, data_offset(h, 3), SEEK_SET) != data_offset(h, 3) ||
	    read(fd, buf, PAGE) != PAGE || !same(buf, 3, h->seed))
		ok = 0;
	if (pread(fd, buf, PAGE, data_offset(h, 7)) != PAGE ||
	    !same(buf, 7, h->seed))
		ok = 0;
	if (lseek(fd, data_offset(h, 5), SEEK_SET) != data_offset(h, 5))
		ok = 0;
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct header h, seen, truth;
	char *region, *slot[MAXSTATUS], *page;
	ASYNCMLOCK ml;
	long i;
	int status;
	pid_t pid;

	cli_init(argv, "scodb");
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: scodb RAW-DEVICE [PAGES]\n"
		       "Lays out a small database on RAW-DEVICE (header at "
		       "byte %ld, PAGES data pages,\ndefault 128) and checks "
		       "every access path a SCO engine used.\n"
		       "  -h, --help      show this help\n"
		       "  -V, --version   show the version\n", HDR_OFFSET);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "-V") ||
			 !strcmp(argv[1], "--version")))
		cli_version();
	if (argc > 1 && argv[1][0] == '-')
		cli_usage_error("unknown option '%s'", argv[1]);
	if (argc != 2 && argc != 3)
		cli_usage_error("expected RAW-DEVICE [PAGES]");
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, MAGIC, 8);
	h.npages = argc == 3 ? atol(argv[2]) : 128;
	h.seed = (long)time(NULL) ^ (long)getpid();
	h.data_block = DATA_BLOCK;
	if (h.npages < 8) {
		fprintf(stderr, "scodb: at least 8 pages\n");
		return 2;
	}
	write_header(argv[1], &h);

	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "scodb: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	/* One region for every buffer, locked as aio(M) allows. */
	region = malloc((MAXSTATUS + 2) * PAGE);
	if (!region) {
		perror("scodb: malloc");
		return 2;
	}
	ml.avaddr = (char *)(((unsigned long)region + PAGE - 1) &
			     ~(unsigned long)(PAGE - 1));
	ml.asize = (MAXSTATUS + 1) * PAGE;
	if (ioctl(fd, DKIOCMLOCK, &ml) < 0) {
		perror("scodb: DKIOCMLOCK");
		free(region);
		return 2;
	}
	for (i = 0; i < MAXSTATUS; i++)
		slot[i] = ml.avaddr + i * PAGE;
	page = ml.avaddr + MAXSTATUS * PAGE;

	report(lseek(fd, HDR_OFFSET, SEEK_SET) == HDR_OFFSET &&
	       read(fd, page, 512) == 512, "header read with lseek+read");
	memcpy(&seen, page, sizeof(seen));
	report(header_by_aio(page, &truth) == 0 &&
	       !memcmp(&seen, &truth, sizeof(seen)) &&
	       !memcmp(seen.magic, MAGIC, 8) && seen.seed == h.seed,
	       "header found at byte 8192 (checked with aio)");
	report(lseek(fd, 0, SEEK_CUR) == HDR_OFFSET + 512,
	       "file position after the header");

	transfer(AU_WRITE, slot, MAXSTATUS, &h);
	transfer(AU_READ, slot, MAXSTATUS, &h);

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(worker(&h, page));
	report(pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "forked worker: lseek+read and pread of data pages");
	report(lseek(fd, 0, SEEK_CUR) == data_offset(&h, 5),
	       "file position moved by the worker, seen by the parent");
	close(fd);	/* ends the lock: the region may go */
	free(region);
	if (failures) {
		printf("scodb: %s: %d check%s FAILED\n", argv[1], failures,
		       failures == 1 ? "" : "s");
		return 1;
	}
	printf("scodb: %s: all checks passed (%ld pages)\n", argv[1],
	       h.npages);
	return 0;
}
