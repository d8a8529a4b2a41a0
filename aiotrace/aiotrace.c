/* SPDX-License-Identifier: MIT */
/*
 * aiotrace.c -- aiotrace(8): a live, decoded trace of the aio(M) calls
 * running aiods answer and of the transfers they complete, truss-style
 * (time, pid, device, DKIOCASTRT(AU_WRITE, blk 8, 0x..., 4096, 0x3) = 0,
 * each completion with its latency), as text or JSON lines.  It opens a
 * tracer on one device of each aiod (AIOC_TRACE_OPEN), optionally for one
 * pid, keeps only the devices named, and polls AIOC_TRACE_READ until
 * interrupted, reporting records the daemon dropped because aiotrace did
 * not keep up.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/aiodfind.h"
#include "common/cli.h"
#include "common/jsonstr.h"

/* How long to wait when no aiod had anything to show. */
#define IDLE_NS 20000000L

static const char usage_text[] =
"Usage: aiotrace [-p PID] [--json] [DEVICE...]\n"
"Show the aio(M) calls aiod answers and the transfers it completes, as\n"
"they happen, until interrupted.  Without DEVICE, every running aiod and\n"
"all its devices; root sees every process, other users their own.\n"
"\n"
"  -p, --pid PID   only the calls and transfers of process PID\n"
"  -j, --json      one JSON object per line instead of text\n"
"  -h, --help      show this help\n"
"  -V, --version   show the version\n";

/* One aiod being traced. */
struct traced {
	struct aiod_conn conn;
	char (*names)[128];		/* its devices' names */
	uint32_t ndevices;
	unsigned char *shown;		/* per device: named, or all */
	uint64_t dropped;		/* as last reported */
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static const char *cmd_name(int32_t cmd)
{
	return cmd == AU_WRITE ? "AU_WRITE" : cmd == AU_READ ? "AU_READ"
							     : "AU_?";
}

static void print_time(uint64_t ns)
{
	time_t s = (time_t)(ns / 1000000000u);
	struct tm tm;
	char buf[16];

	localtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	printf("%s.%06u", buf, (unsigned)(ns % 1000000000u / 1000));
}

static void print_outcome(int32_t error, int64_t value)
{
	if (error)
		printf(" = -1 %s (%s)\n", errno_name(error), strerror(error));
	else
		printf(" = %" PRId64 "\n", value);
}

static void print_text(const struct traced *t, const struct aio_trace_rec *r)
{
	print_time(r->time_ns);
	printf(" %7u %-12s ", r->pid, r->device < t->ndevices ?
	       t->names[r->device] : "?");
	switch (r->kind) {
	case AIO_TRACE_MLOCK:
		printf("DKIOCMLOCK(0x%" PRIx64 ", %" PRIu64 ")", r->addr,
		       r->size);
		print_outcome(r->error, 0);
		break;
	case AIO_TRACE_ASTRT:
		printf("DKIOCASTRT(%s, blk %" PRIu64 ", 0x%" PRIx64 ", %"
		       PRIu64 ", 0x%" PRIx64 ")", cmd_name(r->cmd), r->block,
		       r->addr, r->size, r->ref);
		print_outcome(r->error, 0);
		break;
	case AIO_TRACE_ASTAT:
		printf("DKIOCASTAT");
		if (r->repeat > 1) {
			printf(" = 0 (%u times in a row, the last at this "
			       "time)\n", r->repeat);
			break;
		}
		print_outcome(r->error, r->count);
		break;
	case AIO_TRACE_DONE:
		printf("  <%s blk %" PRIu64 ", 0x%" PRIx64 ", %" PRIu64
		       ", 0x%" PRIx64 " done> %.3f ms", cmd_name(r->cmd),
		       r->block, r->addr, r->size, r->ref,
		       (double)r->latency_ns / 1e6);
		print_outcome(r->error, r->count);
		break;
	default:
		printf("record of unknown kind %u\n", r->kind);
	}
}

static void print_json(const struct traced *t, const struct aio_trace_rec *r)
{
	static const char *const calls[] = {
		[AIO_TRACE_MLOCK] = "DKIOCMLOCK", [AIO_TRACE_ASTRT] = "DKIOCASTRT",
		[AIO_TRACE_ASTAT] = "DKIOCASTAT", [AIO_TRACE_DONE] = "done",
	};
	const char *call = r->kind >= AIO_TRACE_MLOCK &&
			   r->kind <= AIO_TRACE_DONE ? calls[r->kind] : "?";

	printf("{\"time_ns\": %" PRIu64 ", \"pid\": %u, \"uid\": %u, "
	       "\"device\": ", r->time_ns, r->pid, r->uid);
	json_put_string(stdout, r->device < t->ndevices ? t->names[r->device]
							: "?");
	printf(", \"call\": \"%s\"", call);
	if (r->kind == AIO_TRACE_MLOCK)
		printf(", \"addr\": %" PRIu64 ", \"size\": %" PRIu64, r->addr,
		       r->size);
	if (r->kind == AIO_TRACE_ASTRT || r->kind == AIO_TRACE_DONE)
		printf(", \"cmd\": \"%s\", \"block\": %" PRIu64 ", \"addr\": %"
		       PRIu64 ", \"size\": %" PRIu64 ", \"ref\": %" PRIu64,
		       cmd_name(r->cmd), r->block, r->addr, r->size, r->ref);
	if (r->kind == AIO_TRACE_ASTAT)
		printf(", \"count\": %d, \"repeat\": %u", r->count,
		       r->repeat);
	if (r->kind == AIO_TRACE_DONE)
		printf(", \"bytes\": %d, \"latency_us\": %.3f", r->count,
		       (double)r->latency_ns / 1e3);
	if (r->error)
		printf(", \"error\": \"%s\"}\n", errno_name(r->error));
	else
		printf(", \"error\": null}\n");
}

/* Learn t's device names; keep only the devices named (all if none). */
static int setup(struct traced *t, char **named, int nnamed)
{
	struct aio_info info;

	if (ioctl(t->conn.fd, AIOC_INFO, &info)) {
		fprintf(stderr, "aiotrace: %s: %s\n", t->conn.path,
			strerror(errno));
		return -1;
	}
	t->ndevices = info.ndevices;
	t->names = calloc(info.ndevices + 1, sizeof(*t->names));
	t->shown = calloc(info.ndevices + 1, 1);
	if (!t->names || !t->shown) {
		fprintf(stderr, "aiotrace: %s\n", strerror(ENOMEM));
		return -1;
	}
	for (uint32_t k = 0; k < info.ndevices; k++) {
		struct aio_devinfo d = { .index = k };

		if (ioctl(t->conn.fd, AIOC_DEVINFO, &d)) {
			fprintf(stderr, "aiotrace: %s: device %u: %s\n",
				t->conn.path, k, strerror(errno));
			return -1;
		}
		memcpy(t->names[k], d.name, sizeof(t->names[k]));
		t->shown[k] = nnamed == 0;
	}
	for (int i = 0; i < nnamed; i++) {
		struct aiod_conn c;
		char err[PATH_MAX + 64];
		int k;

		if (aiod_connect(named[i], &c, err, sizeof(err)))
			continue;	/* reported by main */
		if (c.daemon.pid == t->conn.daemon.pid &&
		    c.daemon.started_ns == t->conn.daemon.started_ns &&
		    c.prefix[0] &&
		    (k = aiod_device_index(&c, named[i] + strlen(c.prefix) + 1))
			    >= 0)
			t->shown[k] = 1;
		close(c.fd);
	}
	return 0;
}

/* Print what t has; the number of records read, or -1. */
static int drain(struct traced *t, struct aio_trace_batch *b, int json)
{
	if (ioctl(t->conn.fd, AIOC_TRACE_READ, b)) {
		fprintf(stderr, "aiotrace: %s: %s\n", t->conn.path,
			errno == ENOTCONN || errno == ENODEV ?
			"aiod has gone" : strerror(errno));
		return -1;
	}
	for (uint32_t i = 0; i < b->count; i++)
		if (b->rec[i].device < t->ndevices &&
		    t->shown[b->rec[i].device]) {
			if (json)
				print_json(t, &b->rec[i]);
			else
				print_text(t, &b->rec[i]);
		}
	if (b->dropped != t->dropped) {
		fflush(stdout);
		fprintf(stderr, "aiotrace: %s: %" PRIu64 " records dropped "
			"(aiotrace did not keep up)\n", t->conn.path,
			b->dropped - t->dropped);
		t->dropped = b->dropped;
	}
	return (int)b->count;
}

static int trace(struct traced *t, size_t n, int json)
{
	struct aio_trace_batch *b = malloc(sizeof(*b));
	uint64_t dropped = 0;
	int rc = 0;

	if (!b) {
		fprintf(stderr, "aiotrace: %s\n", strerror(ENOMEM));
		return 1;
	}
	while (!stop && !rc) {
		int got = 0;

		for (size_t i = 0; i < n && !rc; i++) {
			int r = drain(&t[i], b, json);

			if (r < 0)
				rc = 1;
			else
				got += r;
		}
		fflush(stdout);
		if (!got && !rc) {
			struct timespec nap = { 0, IDLE_NS };

			nanosleep(&nap, NULL);	/* EINTR: a signal, see stop */
		}
	}
	for (size_t i = 0; i < n && !rc; i++)	/* what came before stop */
		if (drain(&t[i], b, json) < 0)
			rc = 1;
	for (size_t i = 0; i < n; i++)
		dropped += t[i].dropped;
	fflush(stdout);
	fprintf(stderr, "aiotrace: %" PRIu64 " records dropped\n", dropped);
	free(b);
	return rc;
}

/* Connections to the aiods of the devices named, each aiod once. */
static int connect_named(char **named, int nnamed, struct aiod_conn **out,
			 size_t *n)
{
	struct aiod_conn *c = calloc((size_t)nnamed, sizeof(*c));
	char err[PATH_MAX + 64];

	if (!c) {
		fprintf(stderr, "aiotrace: %s\n", strerror(ENOMEM));
		return -1;
	}
	*n = 0;
	for (int i = 0; i < nnamed; i++) {
		int dup = 0;

		if (aiod_connect(named[i], &c[*n], err, sizeof(err))) {
			fprintf(stderr, "aiotrace: %s\n", err);
			aiod_conns_free(c, *n);
			return -1;
		}
		if (!c[*n].prefix[0]) {
			fprintf(stderr, "aiotrace: %s: not among its aiod's "
				"device names\n", named[i]);
			close(c[*n].fd);
			aiod_conns_free(c, *n);
			return -1;
		}
		for (size_t j = 0; j < *n; j++)
			dup |= c[j].daemon.pid == c[*n].daemon.pid &&
			       c[j].daemon.started_ns == c[*n].daemon.started_ns;
		if (dup)
			close(c[*n].fd);
		else
			(*n)++;
	}
	*out = c;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_stop };
	struct aio_trace_open open_args = { 0 };
	struct aiod_conn *conns;
	struct traced *t;
	char err[PATH_MAX + 64], *end;
	int c, json = 0, rc;
	size_t n;
	long pid;

	cli_init(argv, "aiotrace");
	while ((c = getopt_long(argc, argv, "p:jhV", longopts, NULL)) != -1)
		switch (c) {
		case 'p':
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || pid <= 0 ||
			    pid > INT32_MAX)
				cli_usage_error("-p: a process id");
			open_args.pid = (uint32_t)pid;
			break;
		case 'j': json = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': cli_version();
		default: cli_usage_error(NULL);
		}
	if (optind < argc) {
		if (connect_named(argv + optind, argc - optind, &conns, &n))
			return 1;
	} else {
		if (aiod_find_all("aiotrace", &conns, &n, err, sizeof(err))) {
			fprintf(stderr, "aiotrace: %s\n", err);
			return 1;
		}
	}
	t = calloc(n, sizeof(*t));
	if (!t) {
		fprintf(stderr, "aiotrace: %s\n", strerror(ENOMEM));
		return 1;
	}
	rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		t[i].conn = conns[i];
		rc = setup(&t[i], argv + optind, argc - optind);
		if (!rc && ioctl(t[i].conn.fd, AIOC_TRACE_OPEN, &open_args)) {
			fprintf(stderr, "aiotrace: %s: cannot trace: %s\n",
				t[i].conn.path, strerror(errno));
			rc = 1;
		}
	}
	free(conns);
	if (!rc) {
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGINT, &sa, NULL) ||
		    sigaction(SIGTERM, &sa, NULL) ||
		    sigaction(SIGHUP, &sa, NULL) ||
		    sigaction(SIGPIPE, &sa, NULL)) {
			fprintf(stderr, "aiotrace: sigaction: %s\n",
				strerror(errno));
			rc = 1;
		} else {
			fprintf(stderr, "aiotrace: tracing %zu aiod%s\n", n,
				n == 1 ? "" : "s");
			rc = trace(t, n, json);
		}
	}
	for (size_t i = 0; i < n; i++) {
		close(t[i].conn.fd);
		free(t[i].names);
		free(t[i].shown);
	}
	free(t);
	return rc;
}
