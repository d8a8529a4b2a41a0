/* SPDX-License-Identifier: MIT */
/*
 * aiobench.c -- `make bench`: measures the ways a program can do random
 * raw-disk AIO on the same two partitions, in one run, round by round in
 * alternation (every contender once per round and pattern, the order
 * rotated each round): native libaio waiting in io_getevents, native
 * libaio polled with a zero timeout (as SCO programs poll DKIOCASTAT),
 * aio(M) ioctls on aiod's devices, the same client with libasync
 * preloaded, and glibc POSIX AIO polled with aio_error.  Each run is one
 * or more client processes (forked; re-executed with LD_PRELOAD for
 * libasync) that start together and keep a fixed number of transfers in
 * flight for a fixed time, recording each transfer's latency and their
 * own CPU time; around the run this process reads aiod's CPU time
 * (/proc/PID/stat) and the machine's (/proc/stat).  It writes a text
 * table, JSON and gnuplot data (aiobench(1) explains how to read them).
 * Partition A is durable (aiod's default cache=writethrough; native and
 * POSIX writes with RWF_DSYNC or O_DSYNC), partition B is
 * cache=writeback (native writes without a sync flag).
 */
#include <sys/async.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libaio.h>
#include <math.h>
#include <aio.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "common/cli.h"

#define PAGE		4096
#define MAX_PROCS	8
#define MAX_ROUNDS	64
/* Latency histogram: exact below 64 ns, then 32 buckets per power of two
 * (about 3 % wide) up to about 18 minutes. */
#define HIST_SUB	32
#define HIST_BUCKETS	(64 + 34 * HIST_SUB)

enum contender {
	NATIVE, NATIVE_POLL, AIOD_IOCTL, AIOD_LIBASYNC, AIOD_LIBASYNC_WAIT,
	POSIX_AIO, NCONTENDERS
};

static const char *const contender_names[NCONTENDERS] = {
	"native", "native-poll", "aiod-ioctl", "aiod-libasync",
	"aiod-libasync-wait", "posix-aio",
};

/* aiod-libasync-wait: libasync's opt-in bounded wait on empty polls. */
#define BENCH_POLL_WAIT_US "50"

static bool via_aiod(int who)
{
	return who == AIOD_IOCTL || who == AIOD_LIBASYNC ||
	       who == AIOD_LIBASYNC_WAIT;
}

static bool with_libasync(int who)
{
	return who == AIOD_LIBASYNC || who == AIOD_LIBASYNC_WAIT;
}

struct pattern {
	const char *name;
	unsigned size;		/* bytes per transfer */
	int depth;		/* transfers in flight per process */
	bool write;
	bool writeback;		/* partition B, no sync flag; else durable */
	int procs;		/* > 1: alternately on partitions A and B */
};

#define NPATTERNS 8
static const struct pattern patterns[NPATTERNS] = {
	{ "read-4k-qd1", 4096, 1, false, false, 1 },
	{ "read-4k-qd15", 4096, 15, false, false, 1 },
	{ "read-512-qd15", 512, 15, false, false, 1 },
	{ "write-4k-qd1-durable", 4096, 1, true, false, 1 },
	{ "write-4k-qd15-durable", 4096, 15, true, false, 1 },
	{ "write-4k-qd1-writeback", 4096, 1, true, true, 1 },
	{ "write-4k-qd15-writeback", 4096, 15, true, true, 1 },
	{ "read-4k-qd15-4proc-2part", 4096, 15, false, false, 4 },
};

/* What one client process does. */
struct job {
	enum contender who;
	const char *path;
	uint64_t region;	/* bytes of the partition used */
	unsigned size;
	int depth;
	bool write, dsync;
	double seconds;
	unsigned seed;
};

/* What it reports, through a pipe. */
struct job_result {
	int failed;			/* then msg says why */
	char msg[240];
	uint64_t ops;
	double elapsed;			/* seconds, first start to last end */
	double cpu_us;			/* its user + system time meanwhile */
	uint64_t hist[HIST_BUCKETS];	/* latencies, ns */
};

/* ---- the client side ------------------------------------------------ */

struct client {
	const struct job *job;
	int fd;
	char *bufs;			/* a page per slot */
	uint64_t rng;
	double started[MAXSTATUS];	/* per slot, seconds */
	io_context_t ctx;		/* native */
	struct iocb iocbs[MAXSTATUS];
	struct aiocb aiocbs[MAXSTATUS];	/* POSIX */
	bool posix_busy[MAXSTATUS];
	struct job_result *res;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void client_fail(struct client *c, const char *what, int err)
{
	snprintf(c->res->msg, sizeof(c->res->msg), "%s %s on %s: %s",
		 contender_names[c->job->who], what, c->job->path,
		 strerror(err));
	c->res->failed = 1;
}

static uint64_t next_offset(struct client *c)
{
	uint64_t n = c->job->region / c->job->size;

	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return (c->rng % n) * c->job->size;
}

static unsigned hist_index(uint64_t ns)
{
	unsigned e, idx;

	if (ns < 64)
		return (unsigned)ns;
	e = 63u - (unsigned)__builtin_clzll(ns);	/* >= 6 */
	idx = 64 + (e - 6) * HIST_SUB +
	      (unsigned)((ns >> (e - 5)) & (HIST_SUB - 1));
	return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* The middle of a bucket, in ns. */
static double hist_value(unsigned idx)
{
	unsigned e, sub;

	if (idx < 64)
		return idx;
	e = (idx - 64) / HIST_SUB + 6;
	sub = (idx - 64) % HIST_SUB;
	return ldexp(HIST_SUB + sub + 0.5, (int)e - 5);
}

static int open_flags(const struct job *j)
{
	return (j->write ? O_RDWR : O_RDONLY) | O_CLOEXEC |
	       (via_aiod(j->who) ? 0 : O_DIRECT) |
	       (j->who == POSIX_AIO && j->dsync ? O_DSYNC : 0);
}

/* Set up what the contender needs; 0 or an errno (what names the step). */
static int client_setup(struct client *c, const char **what)
{
	const struct job *j = c->job;

	*what = "open";
	c->fd = open(j->path, open_flags(j));
	if (c->fd < 0)
		return errno;
	if (j->who == NATIVE || j->who == NATIVE_POLL) {
		int rc = io_setup(j->depth, &c->ctx);

		*what = "io_setup";
		return rc < 0 ? -rc : 0;
	}
	if (via_aiod(j->who)) {
		/* As SCO programs do: one declared (for root, locked) region. */
		ASYNCMLOCK ml = { c->bufs, (unsigned)(j->depth * PAGE) };

		*what = "DKIOCMLOCK";
		return ioctl(c->fd, DKIOCMLOCK, &ml) ? errno : 0;
	}
	return 0;
}

static void client_teardown(struct client *c)
{
	if ((c->job->who == NATIVE || c->job->who == NATIVE_POLL) && c->ctx)
		io_destroy(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
}

/* Start slot's next transfer: 0 or an errno. */
static int client_start(struct client *c, int slot)
{
	const struct job *j = c->job;
	char *buf = c->bufs + (size_t)slot * PAGE;
	uint64_t off = next_offset(c);

	c->started[slot] = now();
	switch (j->who) {
	case NATIVE:
	case NATIVE_POLL: {
		struct iocb *cb = &c->iocbs[slot], *cbs[1] = { cb };
		int rc;

		if (j->write)
			io_prep_pwrite(cb, c->fd, buf, j->size, (long long)off);
		else
			io_prep_pread(cb, c->fd, buf, j->size, (long long)off);
		cb->aio_rw_flags = j->write && j->dsync ? RWF_DSYNC : 0;
		cb->data = (void *)(intptr_t)slot;
		rc = io_submit(c->ctx, 1, cbs);
		return rc == 1 ? 0 : rc < 0 ? -rc : EAGAIN;
	}
	case AIOD_IOCTL:
	case AIOD_LIBASYNC:
	case AIOD_LIBASYNC_WAIT: {
		AREQBUF rq = { j->write ? AU_WRITE : AU_READ, (long)(off / 512),
			       buf, (long)j->size, (char *)(intptr_t)slot };

		return ioctl(c->fd, DKIOCASTRT, &rq) ? errno : 0;
	}
	case POSIX_AIO: {
		struct aiocb *cb = &c->aiocbs[slot];

		*cb = (struct aiocb){ .aio_fildes = c->fd, .aio_buf = buf,
				      .aio_nbytes = j->size,
				      .aio_offset = (off_t)off };
		c->posix_busy[slot] = true;
		return (j->write ? aio_write(cb) : aio_read(cb)) ? errno : 0;
	}
	case NCONTENDERS:
		break;
	}
	return EINVAL;
}

/* Collect finished transfers into slots[] (up to MAXSTATUS): their
 * number, or -1 with the failure recorded. */
static int client_reap(struct client *c, int *slots)
{
	const struct job *j = c->job;
	int n = 0;

	switch (j->who) {
	case NATIVE:
	case NATIVE_POLL: {
		static const struct timespec zero;
		struct io_event ev[MAXSTATUS];
		int got = io_getevents(c->ctx, j->who == NATIVE, MAXSTATUS, ev,
				       j->who == NATIVE ? NULL
							: (struct timespec *)&zero);

		if (got < 0) {
			client_fail(c, "io_getevents", -got);
			return -1;
		}
		for (int i = 0; i < got; i++) {
			if (ev[i].res != j->size) {
				client_fail(c, "transfer", (long)ev[i].res < 0
					    ? -(int)ev[i].res : EIO);
				return -1;
			}
			slots[n++] = (int)(intptr_t)ev[i].data;
		}
		return n;
	}
	case AIOD_IOCTL:
	case AIOD_LIBASYNC:
	case AIOD_LIBASYNC_WAIT: {
		ASYNCSTATUS st;

		if (ioctl(c->fd, DKIOCASTAT, &st)) {
			client_fail(c, "DKIOCASTAT", errno);
			return -1;
		}
		for (long i = 0; i < st.acount; i++) {
			if (st.astatus[i].iostatus ||
			    (unsigned)st.astatus[i].iobsize != j->size) {
				client_fail(c, "transfer", st.astatus[i].iostatus
					    ? st.astatus[i].iostatus : EIO);
				return -1;
			}
			slots[n++] = (int)(intptr_t)st.astatus[i].ioref;
		}
		return n;
	}
	case POSIX_AIO:
		for (int s = 0; s < j->depth; s++) {
			int e;

			if (!c->posix_busy[s] ||
			    (e = aio_error(&c->aiocbs[s])) == EINPROGRESS)
				continue;
			if (e || aio_return(&c->aiocbs[s]) != (ssize_t)j->size) {
				client_fail(c, "transfer", e ? e : EIO);
				return -1;
			}
			c->posix_busy[s] = false;
			slots[n++] = s;
		}
		return n;
	case NCONTENDERS:
		break;
	}
	return -1;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Keep depth transfers in flight until the time is up, then let the last
 * ones finish. */
static void client_loop(struct client *c)
{
	const struct job *j = c->job;
	double t0 = now(), cpu0 = cpu_seconds(), deadline = t0 + j->seconds;
	double last = t0;
	int inflight = 0, slots[MAXSTATUS];

	for (int s = 0; s < j->depth; s++, inflight++) {
		int err = client_start(c, s);

		if (err) {
			client_fail(c, "start", err);
			return;
		}
	}
	while (inflight > 0) {
		int n = client_reap(c, slots);

		if (n < 0)
			return;
		if (n)
			last = now();
		for (int i = 0; i < n; i++) {
			int err;

			c->res->hist[hist_index((uint64_t)((last -
				c->started[slots[i]]) * 1e9))]++;
			c->res->ops++;
			if (last >= deadline) {
				inflight--;
				continue;
			}
			err = client_start(c, slots[i]);
			if (err) {
				client_fail(c, "start", err);
				return;
			}
		}
	}
	c->res->elapsed = last - t0;
	c->res->cpu_us = (cpu_seconds() - cpu0) * 1e6;
}

static bool write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return true;
}

/* One client process: set up, say so on out_fd, wait for go_fd to close,
 * run, and send the result on out_fd.  Exits. */
static void __attribute__((noreturn)) client_main(const struct job *j,
						  int out_fd, int go_fd)
{
	static struct job_result res;
	struct client c = { .job = j, .fd = -1, .res = &res,
			    .rng = 88172645463325252ull ^ j->seed };
	const char *what;
	char go;
	int err;

	if (posix_memalign((void **)&c.bufs, PAGE, (size_t)j->depth * PAGE)) {
		client_fail(&c, "posix_memalign", ENOMEM);
	} else {
		memset(c.bufs, 0x5a, (size_t)j->depth * PAGE);
		err = client_setup(&c, &what);
		if (err)
			client_fail(&c, what, err);
	}
	if (!write_all(out_fd, "r", 1))
		_exit(1);
	if (!res.failed && read(go_fd, &go, 1) != 0)
		client_fail(&c, "waiting for the start", EPROTO);
	if (!res.failed)
		client_loop(&c);
	client_teardown(&c);
	_exit(write_all(out_fd, &res, sizeof(res)) && !res.failed ? 0 : 1);
}

/* ---- the harness ------------------------------------------------------ */

struct run_result {
	bool done;
	double iops;
	double client_us, daemon_us, machine_us;	/* CPU per transfer */
	uint64_t ops;
	uint64_t hist[HIST_BUCKETS];
};

struct settings {
	int rounds;
	double seconds;
	const char *outdir;
	const char *libasync;
	const char *aiod_pidfile;
	const char *loop[2], *dev[2];	/* partitions A, B */
	uint64_t region;
	bool use[NCONTENDERS];
	bool pattern_on[NPATTERNS];
};

static struct settings set;
static struct run_result results[NCONTENDERS][NPATTERNS][MAX_ROUNDS];

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fputs("aiobench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static pid_t aiod_pid(void)
{
	FILE *f = fopen(set.aiod_pidfile, "re");
	long pid = 0;

	if (!f)
		die("%s: %s", set.aiod_pidfile, strerror(errno));
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0)
		die("%s: no pid in it", set.aiod_pidfile);
	fclose(f);
	return (pid_t)pid;
}

/* aiod's user + system time, in clock ticks. */
static double daemon_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long utime, stime;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s (has aiod exited?)", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	/* after the name: state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%llu %llu", &utime, &stime) != 2)
		die("%s: cannot read its CPU times", path);
	return (double)(utime + stime);
}

/* The whole machine's busy time (all but idle and iowait), in ticks. */
static double machine_ticks(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "re");

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			 &v[7]) != 8)
		die("/proc/stat: cannot read the CPU times");
	fclose(f);
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
}

static bool read_all(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		p = (char *)p + r;
		n -= (size_t)r;
	}
	return true;
}

static char self_exe[4096];

/* Re-executed with libasync preloaded: --client WHO PATH REGION SIZE DEPTH
 * WRITE DSYNC SECONDS SEED OUT_FD GO_FD. */
static void __attribute__((noreturn)) exec_client(const struct job *j,
						  int out_fd, int go_fd)
{
	char a[11][64];
	char *argv[14];

	snprintf(a[0], 64, "%d", (int)j->who);
	snprintf(a[2], 64, "%llu", (unsigned long long)j->region);
	snprintf(a[3], 64, "%u", j->size);
	snprintf(a[4], 64, "%d", j->depth);
	snprintf(a[5], 64, "%d", j->write);
	snprintf(a[6], 64, "%d", j->dsync);
	snprintf(a[7], 64, "%.17g", j->seconds);
	snprintf(a[8], 64, "%u", j->seed);
	snprintf(a[9], 64, "%d", out_fd);
	snprintf(a[10], 64, "%d", go_fd);
	argv[0] = self_exe;
	argv[1] = "--client";
	argv[2] = a[0];
	argv[3] = (char *)j->path;
	for (int i = 2; i < 11; i++)
		argv[i + 2] = a[i];
	argv[13] = NULL;
	if (j->who == AIOD_LIBASYNC_WAIT &&
	    setenv("SCOAIO_POLL_WAIT_US", BENCH_POLL_WAIT_US, 1))
		die("setenv SCOAIO_POLL_WAIT_US: %s", strerror(errno));
	if (setenv("LD_PRELOAD", set.libasync, 1) == 0)
		execv(self_exe, argv);
	fprintf(stderr, "aiobench: exec %s with LD_PRELOAD=%s: %s\n", self_exe,
		set.libasync, strerror(errno));
	_exit(127);
}

static void __attribute__((noreturn)) client_from_args(int argc, char **argv)
{
	struct job j;

	if (argc != 13)
		die("--client takes 11 arguments");
	j = (struct job){
		.who = (enum contender)atoi(argv[2]), .path = argv[3],
		.region = strtoull(argv[4], NULL, 10),
		.size = (unsigned)atoi(argv[5]), .depth = atoi(argv[6]),
		.write = atoi(argv[7]), .dsync = atoi(argv[8]),
		.seconds = atof(argv[9]), .seed = (unsigned)atoi(argv[10]),
	};
	if (j.who < 0 || j.who >= NCONTENDERS || j.depth < 1 ||
	    j.depth > MAXSTATUS || j.size < 512 || j.size > PAGE)
		die("--client: bad arguments");
	client_main(&j, atoi(argv[11]), atoi(argv[12]));
}

/* One run of contender who on pattern p: its processes start together. */
static void run_once(enum contender who, int pi, int round,
		     struct run_result *out)
{
	const struct pattern *p = &patterns[pi];
	pid_t pids[MAX_PROCS], daemon = aiod_pid();
	int out_fds[MAX_PROCS], go[2];
	static struct job_result res;
	double d0, m0, d1, m1, cpu = 0;
	struct job jobs[MAX_PROCS];
	char ready;

	if (pipe2(go, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	for (int i = 0; i < p->procs; i++) {
		int part = p->procs > 1 ? i % 2 : p->writeback;
		int fds[2];

		jobs[i] = (struct job){
			.who = who, .path = via_aiod(who) ? set.dev[part]
						     : set.loop[part],
			.region = set.region, .size = p->size,
			.depth = p->depth, .write = p->write,
			.dsync = p->write && !p->writeback,
			.seconds = set.seconds,
			.seed = (unsigned)(round * 7919 + i * 104729 + 1),
		};
		if (pipe(fds))
			die("pipe: %s", strerror(errno));
		fflush(NULL);
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (pids[i] == 0) {
			close(fds[0]);
			close(go[1]);
			if (with_libasync(who)) {
				/* the exec'd client keeps both */
				fcntl(go[0], F_SETFD, 0);
				exec_client(&jobs[i], fds[1], go[0]);
			}
			client_main(&jobs[i], fds[1], go[0]);
		}
		close(fds[1]);
		out_fds[i] = fds[0];
	}
	close(go[0]);
	for (int i = 0; i < p->procs; i++)
		if (!read_all(out_fds[i], &ready, 1))
			die("%s on %s: a client died setting up",
			    contender_names[who], p->name);
	d0 = daemon_ticks(daemon);
	m0 = machine_ticks();
	close(go[1]);		/* go */
	*out = (struct run_result){ .done = true };
	for (int i = 0; i < p->procs; i++) {
		int status;

		if (!read_all(out_fds[i], &res, sizeof(res)))
			die("%s on %s: a client died without a result",
			    contender_names[who], p->name);
		close(out_fds[i]);
		if (waitpid(pids[i], &status, 0) < 0)
			die("waitpid: %s", strerror(errno));
		if (res.failed)
			die("%s (%s)", res.msg, p->name);
		if (!res.ops || res.elapsed <= 0)
			die("%s on %s: no transfers", contender_names[who],
			    p->name);
		out->iops += res.ops / res.elapsed;
		out->ops += res.ops;
		cpu += res.cpu_us;
		for (int b = 0; b < HIST_BUCKETS; b++)
			out->hist[b] += res.hist[b];
	}
	d1 = daemon_ticks(daemon);
	m1 = machine_ticks();
	{
		double tick_us = 1e6 / (double)sysconf(_SC_CLK_TCK);

		out->client_us = cpu / (double)out->ops;
		out->daemon_us = (d1 - d0) * tick_us / (double)out->ops;
		out->machine_us = (m1 - m0) * tick_us / (double)out->ops;
	}
}

/* ---- statistics and output ---------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The q-quantile (0..1) of a histogram, in µs. */
static double quantile_us(const uint64_t *hist, double q)
{
	uint64_t total = 0, seen = 0;

	for (int b = 0; b < HIST_BUCKETS; b++)
		total += hist[b];
	for (int b = 0; b < HIST_BUCKETS; b++) {
		seen += hist[b];
		if (total && (double)seen >= q * (double)total)
			return hist_value((unsigned)b) / 1e3;
	}
	return 0;
}

struct summary {
	double iops, ratio;		/* medians over the rounds */
	double p50, p99;		/* µs, over every transfer of all rounds */
	double client_us, daemon_us, machine_us;	/* all rounds' CPU
							   over all rounds'
							   transfers */
};

static struct summary summarise(int who, int pi)
{
	static uint64_t hist[HIST_BUCKETS];
	double iops[MAX_ROUNDS], ratio[MAX_ROUNDS];
	double client = 0, daemon = 0, machine = 0, ops = 0;
	struct summary s;

	memset(hist, 0, sizeof(hist));
	for (int r = 0; r < set.rounds; r++) {
		const struct run_result *x = &results[who][pi][r];

		iops[r] = x->iops;
		ratio[r] = x->iops / results[NATIVE][pi][r].iops;
		client += x->client_us * (double)x->ops;
		daemon += x->daemon_us * (double)x->ops;
		machine += x->machine_us * (double)x->ops;
		ops += (double)x->ops;
		for (int b = 0; b < HIST_BUCKETS; b++)
			hist[b] += x->hist[b];
	}
	s.iops = median(iops, set.rounds);
	s.ratio = median(ratio, set.rounds);
	s.p50 = quantile_us(hist, 0.50);
	s.p99 = quantile_us(hist, 0.99);
	s.client_us = client / ops;
	s.daemon_us = daemon / ops;
	s.machine_us = machine / ops;
	return s;
}

static FILE *open_out(const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", set.outdir, name);
	f = fopen(path, "we");
	if (!f)
		die("%s: %s", path, strerror(errno));
	return f;
}

static void close_out(FILE *f, const char *name)
{
	if (ferror(f) | fclose(f))
		die("%s/%s: write failed", set.outdir, name);
}

static void write_table(FILE *f, const char *when, const char *load)
{
	fprintf(f, "aiobench: %d round%s of %.2f s per run, %ld CPUs, %s; "
		"load average at start %s\n", set.rounds,
		set.rounds == 1 ? "" : "s", set.seconds,
		sysconf(_SC_NPROCESSORS_ONLN), when, load);
	fprintf(f, "IOPS and x native: medians over the rounds; latency over "
		"every transfer; CPU: microseconds per transfer\n\n");
	fprintf(f, "%-25s %-18s %8s %7s %8s %8s %7s %7s %8s\n", "pattern",
		"contender", "IOPS", "xnative", "p50-us", "p99-us", "client",
		"aiod", "machine");
	for (int pi = 0; pi < NPATTERNS; pi++) {
		if (!set.pattern_on[pi])
			continue;
		for (int who = 0; who < NCONTENDERS; who++) {
			struct summary s;
			char daemon[16];

			if (!set.use[who])
				continue;
			s = summarise(who, pi);
			snprintf(daemon, sizeof(daemon), "%.1f", s.daemon_us);
			fprintf(f, "%-25s %-18s %8.0f %7.2f %8.1f %8.1f %7.1f "
				"%7s %8.1f\n", patterns[pi].name,
				contender_names[who], s.iops, s.ratio, s.p50,
				s.p99, s.client_us, via_aiod(who) ? daemon : "-",
				s.machine_us);
		}
		fputc('\n', f);
	}
}

static void write_json(FILE *f, const char *when, const char *load)
{
	bool first = true;

	fprintf(f, "{\n  \"program\": \"aiobench\",\n  \"version\": \"%s\",\n"
		"  \"date\": \"%s\",\n  \"cpus\": %ld,\n"
		"  \"loadavg_start\": \"%s\",\n  \"rounds\": %d,\n"
		"  \"seconds_per_run\": %.3f,\n  \"results\": [",
		SCOAIO_VERSION, when, sysconf(_SC_NPROCESSORS_ONLN), load,
		set.rounds, set.seconds);
	for (int pi = 0; pi < NPATTERNS; pi++) {
		const struct pattern *p = &patterns[pi];

		if (!set.pattern_on[pi])
			continue;
		for (int who = 0; who < NCONTENDERS; who++) {
			struct summary s;

			if (!set.use[who])
				continue;
			s = summarise(who, pi);
			fprintf(f, "%s\n    {\"contender\": \"%s\", "
				"\"pattern\": \"%s\", \"size\": %u, "
				"\"depth\": %d, \"write\": %s, \"cache\": \"%s\", "
				"\"processes\": %d,\n     \"iops\": %.0f, "
				"\"ratio_to_native\": %.4f, \"p50_us\": %.2f, "
				"\"p99_us\": %.2f,\n     \"cpu_us_per_io\": "
				"{\"client\": %.2f, \"daemon\": ", first ? "" : ",",
				contender_names[who], p->name, p->size,
				p->depth, p->write ? "true" : "false",
				p->writeback ? "writeback" : "durable",
				p->procs, s.iops, s.ratio, s.p50, s.p99,
				s.client_us);
			if (via_aiod(who))
				fprintf(f, "%.2f", s.daemon_us);
			else
				fputs("null", f);
			fprintf(f, ", \"machine\": %.2f},\n     \"rounds\": [",
				s.machine_us);
			for (int r = 0; r < set.rounds; r++) {
				const struct run_result *x = &results[who][pi][r];

				fprintf(f, "%s{\"iops\": %.0f, \"ratio\": %.4f}",
					r ? ", " : "", x->iops,
					x->iops / results[NATIVE][pi][r].iops);
			}
			fputs("]}", f);
			first = false;
		}
	}
	fputs("\n  ]\n}\n", f);
}

/* gnuplot's data: a row per pattern, a column per contender. */
static void write_plot_data(FILE *f)
{
	fputs("pattern", f);
	for (int who = 0; who < NCONTENDERS; who++)
		if (set.use[who])
			fprintf(f, " %s", contender_names[who]);
	fputc('\n', f);
	for (int pi = 0; pi < NPATTERNS; pi++) {
		if (!set.pattern_on[pi])
			continue;
		fputs(patterns[pi].name, f);
		for (int who = 0; who < NCONTENDERS; who++)
			if (set.use[who])
				fprintf(f, " %.4f", summarise(who, pi).ratio);
		fputc('\n', f);
	}
}

/* ---- options ---------------------------------------------------------- */

static const char usage_text[] =
"Usage: aiobench [-r ROUNDS] [-t SECONDS] [-q] [-o DIR] [-c LIST] [-P LIST]\n"
"                -p AIOD-PIDFILE -L LIBASYNC.so\n"
"                BLOCKDEV-A BLOCKDEV-B AIOD-DEVICE-A AIOD-DEVICE-B\n"
"Runs every contender on every pattern, round by round in alternation, and\n"
"writes bench.txt, bench.json and bench.dat (gnuplot data) into DIR.\n"
"A is durable (aiod cache=writethrough), B cache=writeback; both the same size.\n"
"  -r ROUNDS     rounds (default 5)\n"
"  -t SECONDS    seconds per run (default 1)\n"
"  -q            quick: one round of 0.15 s runs (any -r, -t given win)\n"
"  -o DIR        where the results go (default .)\n"
"  -c LIST       contenders, comma-separated (default all; native always runs):\n"
"                native native-poll aiod-ioctl aiod-libasync\n"
"                aiod-libasync-wait (SCOAIO_POLL_WAIT_US=" BENCH_POLL_WAIT_US ") posix-aio\n"
"  -P LIST       patterns, comma-separated (default all; -l lists them)\n"
"  -p FILE       aiod's pid file (its CPU time is read from /proc)\n"
"  -L FILES      libasync.so (after the ASan runtime for SAN=1 builds),\n"
"                preloaded for aiod-libasync(-wait): LD_PRELOAD's value\n"
"  -l            list the patterns and exit\n"
"  -h, --help    show this help\n"
"  -V, --version show the version\n";

static const char *contender_name(int i)
{
	return contender_names[i];
}

static const char *pattern_name(int i)
{
	return patterns[i].name;
}

/* -c and -P: turn on[] on for each name of the comma-separated list. */
static void select_list(char *list, bool *on, int n,
			const char *(*name_of)(int), const char *kind)
{
	memset(on, 0, (size_t)n * sizeof(*on));
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		int i = 0;

		while (i < n && strcmp(name_of(i), t))
			i++;
		if (i == n)
			die("unknown %s '%s' (see --help)", kind, t);
		on[i] = true;
	}
}

static uint64_t device_bytes(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);

	if (fd < 0 || end <= 0)
		die("%s: cannot tell its size: %s", path,
		    fd < 0 ? strerror(errno) : "empty");
	close(fd);
	return (uint64_t)end;
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool quick = false;
	int rounds = 0, c;
	double seconds = 0;

	cli_init(argv, "aiobench");
	set.outdir = ".";
	for (int i = 0; i < NCONTENDERS; i++)
		set.use[i] = true;
	for (int i = 0; i < NPATTERNS; i++)
		set.pattern_on[i] = true;
	while ((c = getopt_long(argc, argv, "r:t:qo:c:P:p:L:lhV", longopts,
				NULL)) != -1)
		switch (c) {
		case 'r': rounds = atoi(optarg); break;
		case 't': seconds = atof(optarg); break;
		case 'q': quick = true; break;
		case 'o': set.outdir = optarg; break;
		case 'c':
			select_list(optarg, set.use, NCONTENDERS,
				    contender_name, "contender");
			break;
		case 'P':
			select_list(optarg, set.pattern_on, NPATTERNS,
				    pattern_name, "pattern");
			break;
		case 'p': set.aiod_pidfile = optarg; break;
		case 'L': set.libasync = optarg; break;
		case 'l':
			for (int i = 0; i < NPATTERNS; i++)
				printf("%s\n", patterns[i].name);
			exit(0);
		case 'h': fputs(usage_text, stdout); exit(0);
		case 'V': cli_version();
		default: cli_usage_error(NULL);
		}
	set.rounds = rounds ? rounds : quick ? 1 : 5;
	set.seconds = seconds > 0 ? seconds : quick ? 0.15 : 1.0;
	set.use[NATIVE] = true;		/* the yardstick */
	if (argc - optind != 4 || !set.aiod_pidfile ||
	    ((set.use[AIOD_LIBASYNC] || set.use[AIOD_LIBASYNC_WAIT]) &&
	     !set.libasync)) {
		cli_usage_error("need -p, -L (unless -c leaves out "
				"aiod-libasync and aiod-libasync-wait) and "
				"four devices");
	}
	if (set.rounds < 1 || set.rounds > MAX_ROUNDS || set.seconds > 600)
		die("rounds must be 1-%d and seconds at most 600", MAX_ROUNDS);
	for (int i = 0; i < 2; i++) {
		set.loop[i] = argv[optind + i];
		set.dev[i] = argv[optind + 2 + i];
	}
	set.region = device_bytes(set.loop[0]);
	for (int i = 0; i < 2; i++)
		if (device_bytes(set.loop[i]) != set.region ||
		    device_bytes(set.dev[i]) != set.region)
			die("the four devices must be the same size (%s has "
			    "%llu bytes)", set.loop[0],
			    (unsigned long long)set.region);
}

int main(int argc, char **argv)
{
	char when[64], load[64] = "?";
	time_t t = time(NULL);
	int order[NCONTENDERS], n = 0;
	FILE *f;
	ssize_t len;

	if (argc > 1 && !strcmp(argv[1], "--client"))
		client_from_args(argc, argv);
	parse_options(argc, argv);
	len = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (len <= 0)
		die("/proc/self/exe: %s", strerror(errno));
	self_exe[len] = '\0';
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	if ((f = fopen("/proc/loadavg", "re"))) {
		if (!fgets(load, sizeof(load), f))
			strcpy(load, "?");
		load[strcspn(load, " \n")] = '\0';	/* the 1-minute figure */
		fclose(f);
	}
	for (int who = 0; who < NCONTENDERS; who++)
		if (set.use[who])
			order[n++] = who;
	for (int r = 0; r < set.rounds; r++) {
		fprintf(stderr, "aiobench: round %d of %d\n", r + 1, set.rounds);
		for (int pi = 0; pi < NPATTERNS; pi++) {
			if (!set.pattern_on[pi])
				continue;
			for (int k = 0; k < n; k++) {
				int who = order[(k + r) % n];

				run_once((enum contender)who, pi, r,
					 &results[who][pi][r]);
			}
		}
	}
	write_table(stdout, when, load);
	f = open_out("bench.txt");
	write_table(f, when, load);
	close_out(f, "bench.txt");
	f = open_out("bench.json");
	write_json(f, when, load);
	close_out(f, "bench.json");
	f = open_out("bench.dat");
	write_plot_data(f);
	close_out(f, "bench.dat");
	return 0;
}
