/* SPDX-License-Identifier: MIT */
/*
 * aiodemo.c -- a sample program written the way SCO UNIX databases used
 * aio(M): it opens a raw partition, declares and locks one memory region
 * with DKIOCMLOCK, keeps up to MAXSTATUS page-sized transfers in flight
 * with DKIOCASTRT, reaps them with DKIOCASTAT, writes a pattern over a run
 * of blocks, reads it back into different buffers and verifies every byte.
 * It uses only <sys/async.h> and plain C, so it builds unchanged on SCO
 * and on Linux with scoaio.
 */
#include <sys/types.h>
#include <sys/async.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/cli.h"

#define PAGE	4096
#define NSLOT	MAXSTATUS		/* transfers kept in flight */
#define BLOCKS_PER_PAGE (PAGE / 512)

static int fd;
static char *slot_buf[NSLOT];
static long slot_page[NSLOT];		/* page number, -1 when free */
static int inflight, max_inflight;
static long errors;

static void fill(char *buf, long page, unsigned seed)
{
	int i;

	for (i = 0; i < PAGE; i++)
		buf[i] = (char)((page * 131 + i * 7 + seed) & 0xff);
}

static int check(const char *buf, long page, unsigned seed)
{
	int i;

	for (i = 0; i < PAGE; i++)
		if (buf[i] != (char)((page * 131 + i * 7 + seed) & 0xff))
			return -1;
	return 0;
}

/* Collect finished transfers; for reads, verify their data. */
static void reap(int cmd, unsigned seed)
{
	ASYNCSTATUS st;
	long i;

	if (ioctl(fd, DKIOCASTAT, &st) < 0) {
		perror("aiodemo: DKIOCASTAT");
		exit(1);
	}
	for (i = 0; i < st.acount; i++) {
		IOSTAT *s = &st.astatus[i];
		int slot = (int)(long)s->ioref;

		if (s->iostatus != 0 || s->iobsize != PAGE) {
			fprintf(stderr, "aiodemo: page %ld: %s (%d bytes)\n",
				slot_page[slot], strerror(s->iostatus),
				s->iobsize);
			errors++;
		} else if (cmd == AU_READ &&
			   check(slot_buf[slot], slot_page[slot], seed)) {
			fprintf(stderr, "aiodemo: page %ld: data differs\n",
				slot_page[slot]);
			errors++;
		}
		slot_page[slot] = -1;
		inflight--;
	}
}

/* Move npages pages starting at page first, NSLOT at a time. */
static void transfer(int cmd, long first, long npages, unsigned seed)
{
	long next = 0;
	int slot;

	while (next < npages || inflight > 0) {
		for (slot = 0; slot < NSLOT && next < npages; slot++) {
			AREQBUF rq;

			if (slot_page[slot] != -1)
				continue;
			slot_page[slot] = first + next;
			if (cmd == AU_WRITE)
				fill(slot_buf[slot], first + next, seed);
			else
				memset(slot_buf[slot], 0, PAGE);
			rq.au_cmd = cmd;
			rq.au_daddr = (first + next) * BLOCKS_PER_PAGE;
			rq.au_maddr = slot_buf[slot];
			rq.au_size = PAGE;
			rq.au_ref = (char *)(long)slot;
			while (ioctl(fd, DKIOCASTRT, &rq) < 0) {
				if (errno != EAGAIN) {
					perror("aiodemo: DKIOCASTRT");
					exit(1);
				}
				reap(cmd, seed);	/* out of slots: wait */
			}
			next++;
			if (++inflight > max_inflight)
				max_inflight = inflight;
		}
		reap(cmd, seed);
	}
}

int main(int argc, char **argv)
{
	long npages = 256, first = 16;
	unsigned seed = (unsigned)getpid();
	ASYNCMLOCK ml;
	char *region;
	int i;

	cli_init(argv, "aiodemo");
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("Usage: aiodemo RAW-DEVICE [PAGES]\n"
		       "Writes PAGES 4 KiB pages (default 256) with aio(M) "
		       "from page 16 on,\nreads them back and verifies them.\n"
		       "  -h, --help      show this help\n"
		       "  -V, --version   show the version\n");
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "-V") ||
			 !strcmp(argv[1], "--version")))
		cli_version();
	if (argc > 1 && argv[1][0] == '-')
		cli_usage_error("unknown option '%s'", argv[1]);
	if (argc < 2 || argc > 3)
		cli_usage_error("expected RAW-DEVICE [PAGES]");
	if (argc == 3)
		npages = atol(argv[2]);
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "aiodemo: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* One region for all AIO buffers, as aio(M) asks. */
	region = malloc((NSLOT + 1) * PAGE);
	if (!region) {
		perror("aiodemo: malloc");
		return 1;
	}
	ml.avaddr = (char *)(((unsigned long)region + PAGE - 1) &
			     ~(unsigned long)(PAGE - 1));
	ml.asize = NSLOT * PAGE;
	if (ioctl(fd, DKIOCMLOCK, &ml) < 0) {
		perror("aiodemo: DKIOCMLOCK");
		return 1;
	}
	for (i = 0; i < NSLOT; i++) {
		slot_buf[i] = ml.avaddr + i * PAGE;
		slot_page[i] = -1;
	}
	transfer(AU_WRITE, first, npages, seed);
	transfer(AU_READ, first, npages, seed);
	close(fd);
	if (errors) {
		printf("aiodemo: %s: %ld of %ld pages FAILED\n", argv[1],
		       errors, npages);
		return 1;
	}
	printf("aiodemo: %s: wrote and read back %ld pages (%ld KiB) with up "
	       "to %d requests in flight: all data verified\n", argv[1],
	       npages, npages * PAGE / 1024, max_inflight);
	return 0;
}
