/* SPDX-License-Identifier: MIT */
/*
 * aiobench.c -- measures random 4 KiB transfers at a fixed queue depth two
 * ways on the same storage: Linux native AIO (libaio, O_DIRECT) straight on
 * the backing device, and aio(M) ioctls through an aiod device with the
 * buffers declared by DKIOCMLOCK, as SCO programs do.  Runs the two
 * alternately for several rounds so both see the same machine noise, and
 * prints each round's IOPS, status polls per transfer, and the ratio of
 * the medians.  -D makes the native writes durable (RWF_DSYNC per iocb),
 * to set beside an aiod device in its default cache=writethrough.
 */
#include <sys/async.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libaio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "common/cli.h"

#define PAGE 4096

struct opts {
	const char *native_path, *aio_path;
	long ops, blocks;	/* ops per round, 512-byte blocks in range */
	int depth, rounds;
	int write;
	int dsync;		/* -D: native writes with RWF_DSYNC */
};

static unsigned long long rng = 88172645463325252ull;

static long random_page(long pages)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (long)(rng % (unsigned long long)pages);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "aiobench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double run_native(const struct opts *o, char *bufs)
{
	struct iocb cbs[64], *cbp[1];
	struct io_event ev[64];
	io_context_t ctx = 0;
	long started = 0, done = 0;
	double t0;
	int fd = open(o->native_path, (o->write ? O_RDWR : O_RDONLY) | O_DIRECT);

	if (fd < 0)
		die(o->native_path);
	if (io_setup(o->depth, &ctx))
		die("io_setup");
	t0 = now();
	for (int i = 0; i < o->depth; i++, started++) {
		long off = random_page(o->blocks / 8) * PAGE;

		if (o->write)
			io_prep_pwrite(&cbs[i], fd, bufs + i * PAGE, PAGE, off);
		if (o->write && o->dsync)
			cbs[i].aio_rw_flags = RWF_DSYNC;
		if (!o->write)
			io_prep_pread(&cbs[i], fd, bufs + i * PAGE, PAGE, off);
		cbp[0] = &cbs[i];
		if (io_submit(ctx, 1, cbp) != 1)
			die("io_submit");
	}
	while (done < o->ops) {
		int n = io_getevents(ctx, 1, 64, ev, NULL);

		if (n < 0)
			die("io_getevents");
		for (int i = 0; i < n; i++) {
			struct iocb *cb = ev[i].obj;

			if (ev[i].res != PAGE) {
				fprintf(stderr, "aiobench: native I/O failed\n");
				exit(1);
			}
			done++;
			if (started >= o->ops)
				continue;
			cb->u.c.offset = random_page(o->blocks / 8) * PAGE;
			cbp[0] = cb;
			if (io_submit(ctx, 1, cbp) != 1)
				die("io_submit");
			started++;
		}
	}
	t0 = now() - t0;
	io_destroy(ctx);
	close(fd);
	return o->ops / t0;
}

static double polls_per_op;	/* DKIOCASTAT calls per transfer, last run */

static double run_aio(const struct opts *o, char *bufs)
{
	long started = 0, done = 0, polls = 0;
	ASYNCSTATUS st;
	AREQBUF rq;
	double t0;
	int fd = open(o->aio_path, O_RDWR);
	ASYNCMLOCK ml = { bufs, (unsigned int)(o->depth * PAGE) };

	if (fd < 0)
		die(o->aio_path);
	/* As SCO programs do: one declared (and, for root, locked) region. */
	if (ioctl(fd, DKIOCMLOCK, &ml))
		die("DKIOCMLOCK");
	t0 = now();
	rq.au_cmd = o->write ? AU_WRITE : AU_READ;
	rq.au_size = PAGE;
	for (int i = 0; i < o->depth; i++, started++) {
		rq.au_daddr = random_page(o->blocks / 8) * 8;
		rq.au_maddr = bufs + i * PAGE;
		rq.au_ref = (char *)(long)i;
		if (ioctl(fd, DKIOCASTRT, &rq))
			die("DKIOCASTRT");
	}
	while (done < o->ops) {
		if (ioctl(fd, DKIOCASTAT, &st))
			die("DKIOCASTAT");
		polls++;
		for (long i = 0; i < st.acount; i++) {
			if (st.astatus[i].iostatus || st.astatus[i].iobsize != PAGE) {
				fprintf(stderr, "aiobench: aio request failed: %s\n",
					strerror(st.astatus[i].iostatus));
				exit(1);
			}
			done++;
			if (started >= o->ops)
				continue;
			rq.au_daddr = random_page(o->blocks / 8) * 8;
			rq.au_maddr = st.astatus[i].iomaddr;
			rq.au_ref = st.astatus[i].ioref;
			if (ioctl(fd, DKIOCASTRT, &rq))
				die("DKIOCASTRT");
			started++;
		}
	}
	t0 = now() - t0;
	close(fd);
	polls_per_op = (double)polls / o->ops;
	return o->ops / t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static const char usage_text[] =
"Usage: aiobench [-w [-D]] [-n OPS] [-d DEPTH] [-r ROUNDS] -s BYTES\n"
"                NATIVE-DEVICE AIOD-DEVICE\n"
"Compare random 4 KiB transfers on NATIVE-DEVICE (native libaio) with\n"
"the same on AIOD-DEVICE (aio(M) through aiod).\n"
"\n"
"  -s BYTES        the bytes of each device to use\n"
"  -n OPS          transfers per round (default 50000)\n"
"  -d DEPTH        transfers in flight, 1-15 (default 15)\n"
"  -r ROUNDS       rounds, alternating the two (default 5)\n"
"  -w              write instead of read\n"
"  -D              with -w: native writes durable (RWF_DSYNC)\n"
"  -h, --help      show this help\n"
"  -V, --version   show the version\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .ops = 50000, .depth = 15, .rounds = 5 };
	double native[64], aio[64];
	char *bufs;
	int c;

	cli_init(argv, "aiobench");
	while ((c = getopt_long(argc, argv, "n:d:r:s:wDhV", longopts,
				NULL)) != -1)
		switch (c) {
		case 'n': o.ops = atol(optarg); break;
		case 'd': o.depth = atoi(optarg); break;
		case 'r': o.rounds = atoi(optarg); break;
		case 's': o.blocks = atol(optarg) / 512; break;
		case 'w': o.write = 1; break;
		case 'D': o.dsync = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': cli_version();
		default: cli_usage_error(NULL);
		}
	if (argc - optind != 2 || o.blocks < 8 || o.depth < 1 ||
	    o.depth > MAXSTATUS || o.rounds < 1 || o.rounds > 64)
		cli_usage_error("need -s BYTES, two devices, depth 1-%d, "
				"rounds 1-64", MAXSTATUS);
	o.native_path = argv[optind];
	o.aio_path = argv[optind + 1];
	if (posix_memalign((void **)&bufs, PAGE, (size_t)o.depth * PAGE))
		die("posix_memalign");
	memset(bufs, 0x5a, (size_t)o.depth * PAGE);
	printf("random 4 KiB %s%s, queue depth %d, %ld ops per round\n",
	       o.write ? "writes" : "reads",
	       o.write ? (o.dsync ? " (native: RWF_DSYNC)" : " (native: no "
			  "sync flag)") : "", o.depth, o.ops);
	printf("round  native-libaio-IOPS  aiod-IOPS  ratio  polls/op\n");
	for (int r = 0; r < o.rounds; r++) {
		native[r] = run_native(&o, bufs);
		aio[r] = run_aio(&o, bufs);
		printf("%5d  %18.0f  %9.0f  %5.2f  %8.2f\n", r + 1, native[r],
		       aio[r], aio[r] / native[r], polls_per_op);
	}
	qsort(native, (size_t)o.rounds, sizeof(double), cmp);
	qsort(aio, (size_t)o.rounds, sizeof(double), cmp);
	printf("median native %.0f IOPS, aiod %.0f IOPS: aiod/native = %.2f\n",
	       native[o.rounds / 2], aio[o.rounds / 2],
	       aio[o.rounds / 2] / native[o.rounds / 2]);
	return 0;
}
