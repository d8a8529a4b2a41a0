/* SPDX-License-Identifier: MIT */
/*
 * aioinfo.c -- aioinfo(8): prints aiod's AIO configuration and usage, the
 * figures of SCO's aioinfo(ADM) (process slots, memory locks, request
 * structures, cumulative and peak requests, buffers), the daemon's pid and
 * uptime and each device's backing, transfer counts and latency; with -i,
 * rates over intervals like iostat; with -l, the lock table and the locks
 * held; as text, as JSON for scripts (--json) or in Prometheus's text
 * format for node_exporter's textfile collector (--prometheus).  It asks
 * the aiod of a device named, or finds every running aiod (aiodfind.c).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "common/aiodfind.h"
#include "common/cli.h"
#include "common/jsonstr.h"
#include "common/latency.h"
#include <scoaio/direct.h>

static const char usage_text[] =
"Usage: aioinfo [-i SECS [-c COUNT]] [-l] [--json|--prometheus] [DEVICE]\n"
"Print aiod's AIO configuration, usage and per-device figures, asking\n"
"through DEVICE, any aiod device; without DEVICE, every running aiod.\n"
"\n"
"  -i, --interval SECS  report rates every SECS seconds (iostat-like)\n"
"  -c, --count COUNT    stop after COUNT reports (with -i)\n"
"  -l, --locks          list the lock table's entries and the locks held\n"
"  -j, --json           print JSON (one object per line) instead of text\n"
"  -p, --prometheus     print Prometheus text exposition format\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n";

/* Whether a device has libasync's direct path, or why not. */
static const char *direct_text(uint32_t reason)
{
	switch (reason) {
	case AIO_DIRECT_OK: return "available";
	case AIO_DIRECT_IMAGE: return "image file";
	case AIO_DIRECT_SLICE: return "slice; dm-linear device failed";
	case AIO_DIRECT_OFF: return "no attach socket";
	case AIO_DIRECT_SHARED: return "backing shared with other devices";
	case AIO_DIRECT_SLICE_NODM: return "slice; no device-mapper";
	case AIO_DIRECT_SLICE_RELOAD: return "slice added by a reload";
	case AIO_DIRECT_SLICE_PR: return "slice of a disk with reservations";
	default: return "unknown";
	}
}

/* What one aiod says at one instant. */
struct snapshot {
	struct aio_info info;
	struct aio_daemon daemon;
	struct aio_devinfo *dev;	/* info.ndevices of them */
};

static void snapshot_free(struct snapshot *s)
{
	free(s->dev);
	s->dev = NULL;
}

static int take_snapshot(const struct aiod_conn *c, struct snapshot *s)
{
	if (ioctl(c->fd, AIOC_DAEMON, &s->daemon) ||
	    ioctl(c->fd, AIOC_INFO, &s->info)) {
		fprintf(stderr, "aioinfo: %s: %s\n", c->path, strerror(errno));
		return -1;
	}
	s->dev = calloc(s->info.ndevices ? s->info.ndevices : 1,
			sizeof(*s->dev));
	if (!s->dev) {
		fprintf(stderr, "aioinfo: %s: %s\n", c->path, strerror(ENOMEM));
		return -1;
	}
	for (uint32_t k = 0; k < s->info.ndevices; k++) {
		s->dev[k].index = k;
		if (ioctl(c->fd, AIOC_DEVINFO, &s->dev[k])) {
			fprintf(stderr, "aioinfo: %s: device %u: %s\n",
				c->path, k, strerror(errno));
			snapshot_free(s);
			return -1;
		}
	}
	return 0;
}

static double seconds(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void format_uptime(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000u;

	snprintf(buf, len, "%" PRIu64 "d %02u:%02u:%02u", s / 86400,
		 (unsigned)(s / 3600 % 24), (unsigned)(s / 60 % 60),
		 (unsigned)(s % 60));
}

/* Both directions of device d together. */
static struct latency_hist both(const struct aio_devinfo *d)
{
	struct latency_hist h = d->latency[0];

	latency_add(&h, &d->latency[1]);
	return h;
}

static void print_p99(const struct latency_hist *h)
{
	uint64_t p = latency_percentile_us(h, 990);

	if (p == UINT64_MAX)
		printf(" %8s", "long");
	else
		printf(" %8" PRIu64, p);
}

/* ---- one snapshot: text, JSON ---------------------------------------- */

static void print_text(const struct aiod_conn *c, const struct snapshot *s)
{
	const struct aio_info *i = &s->info;
	char up[32];

	format_uptime(s->daemon.uptime_ns, up, sizeof(up));
	printf("aiod pid %u, up %s, via %s\n", s->daemon.pid, up, c->path);
	printf("AIO configuration and usage\n");
	printf("  aio_info slots (NAIOPROC)        %10u total %10u active\n",
	       i->naioproc, i->procs_active);
	printf("  memory locks                     %10u\n", i->locks);
	printf("  locked memory                    %10" PRIu64 " bytes\n",
	       i->locked_bytes);
	printf("  request structures (NAIOREQ)     %10u total %10u active "
	       "%10u free\n", i->naioreq, i->reqs_active,
	       i->naioreq - i->reqs_active);
	printf("  requests per process (NAIOREQPP) %10u\n", i->naioreqpp);
	printf("  cumulative requests              %10" PRIu64 "\n",
	       i->reqs_total);
	printf("  maximum simultaneous requests    %10u\n", i->reqs_max);
	printf("  direct path (libasync)           %10u processes %10u active "
	       "%10" PRIu64 " cumulative\n", i->direct_procs,
	       i->direct_reqs_active, i->direct_reqs_total);
	printf("  AIO buffers (NAIOBUF)            %10u total %10u free\n",
	       i->naiobuf, i->bufs_free);
	printf("  lock table (NAIOLOCKTBL)         %10u total %10u used\n",
	       i->naiolocktbl, i->lktbl_entries);
	printf("\n%-20s %12s %10s %10s %14s %14s %7s %8s %8s %8s\n", "device",
	       "size", "reads", "writes", "bytes read", "bytes written",
	       "errors", "inflight", "avg_us", "p99_us");
	for (uint32_t k = 0; k < i->ndevices; k++) {
		const struct aio_devinfo *d = &s->dev[k];
		struct latency_hist h = both(d);

		printf("%-20s %12" PRIu64 " %10" PRIu64 " %10" PRIu64
		       " %14" PRIu64 " %14" PRIu64 " %7" PRIu64 " %8" PRIu64
		       " %8.1f", d->name, d->size, d->reads, d->writes,
		       d->bytes_read, d->bytes_written, d->errors, d->inflight,
		       latency_mean_us(&h));
		print_p99(&h);
		printf("\n");
	}
	printf("\n%-20s %s\n", "device", "backing; direct path");
	for (uint32_t k = 0; k < i->ndevices; k++) {
		const struct aio_devinfo *d = &s->dev[k];

		printf("%-20s %s offset %" PRIu64 " size %" PRIu64 "%s%s; %s\n",
		       d->name, d->path, d->offset, d->size,
		       d->flags & AIO_DEV_RO ? ", ro" : "",
		       d->flags & AIO_DEV_WRITEBACK ? ", cache=writeback" : "",
		       direct_text(d->direct));
	}
}

static void json_hist(const char *key, const struct latency_hist *h)
{
	printf(", \"%s\": {\"count\": %" PRIu64 ", \"sum_ns\": %" PRIu64
	       ", \"buckets_us\": [", key, h->count, h->sum_ns);
	for (unsigned k = 0; k < LATENCY_BUCKETS; k++)
		printf("%s%" PRIu64, k ? ", " : "", h->bucket[k]);
	printf("]}");
}

static void print_json(const struct aiod_conn *c, const struct snapshot *s)
{
	const struct aio_info *i = &s->info;

	printf("{\"naioproc\": %u, \"procs_active\": %u, \"locks\": %u, "
	       "\"locked_bytes\": %" PRIu64 ", \"naioreq\": %u, "
	       "\"requests_active\": %u, \"requests_free\": %u, "
	       "\"naioreqpp\": %u, \"requests_total\": %" PRIu64 ", "
	       "\"requests_max\": %u, \"naiobuf\": %u, \"buffers_free\": %u, "
	       "\"naiolocktbl\": %u, \"lock_table_entries\": %u, "
	       "\"direct_procs\": %u, \"direct_requests_active\": %u, "
	       "\"direct_requests_total\": %" PRIu64 ", ",
	       i->naioproc, i->procs_active, i->locks, i->locked_bytes,
	       i->naioreq, i->reqs_active, i->naioreq - i->reqs_active,
	       i->naioreqpp, i->reqs_total, i->reqs_max, i->naiobuf,
	       i->bufs_free, i->naiolocktbl, i->lktbl_entries,
	       i->direct_procs, i->direct_reqs_active, i->direct_reqs_total);
	printf("\"pid\": %u, \"uptime_seconds\": %.3f, \"tracers\": %u, "
	       "\"via\": ", s->daemon.pid, seconds(s->daemon.uptime_ns),
	       s->daemon.tracers);
	json_put_string(stdout, c->path);
	printf(", \"devices\": [");
	for (uint32_t k = 0; k < i->ndevices; k++) {
		const struct aio_devinfo *d = &s->dev[k];

		printf("%s{\"name\": ", k ? ", " : "");
		json_put_string(stdout, d->name);
		printf(", \"size\": %" PRIu64 ", \"reads\": %" PRIu64
		       ", \"writes\": %" PRIu64 ", \"bytes_read\": %" PRIu64
		       ", \"bytes_written\": %" PRIu64 ", \"errors\": %" PRIu64
		       ", \"inflight\": %" PRIu64 ", \"backing\": ", d->size,
		       d->reads, d->writes, d->bytes_read, d->bytes_written,
		       d->errors, d->inflight);
		json_put_string(stdout, d->path);
		printf(", \"offset\": %" PRIu64 ", \"readonly\": %s, "
		       "\"writeback\": %s, \"direct\": \"%s\"", d->offset,
		       d->flags & AIO_DEV_RO ? "true" : "false",
		       d->flags & AIO_DEV_WRITEBACK ? "true" : "false",
		       direct_text(d->direct));
		json_hist("read_latency", &d->latency[0]);
		json_hist("write_latency", &d->latency[1]);
		printf("}");
	}
	printf("]}\n");
}

/* ---- Prometheus -------------------------------------------------------- */

/* A label value (backslash, double quote and newline escaped). */
static void prom_label(const char *s)
{
	for (; *s; s++)
		if (*s == '\\' || *s == '"')
			printf("\\%c", *s);
		else if (*s == '\n')
			printf("\\n");
		else
			putchar(*s);
}

/* The daemon label's value: the node of its first device, which is
 * unique on the machine and the same from run to run (CUSE aiods share
 * /dev); the device asked if the names are not known. */
static void prom_daemon(const struct aiod_conn *c, const struct snapshot *s)
{
	if (c->prefix[0] && s->info.ndevices) {
		prom_label(c->prefix);
		putchar('/');
		prom_label(s->dev[0].name);
	} else {
		prom_label(c->path);
	}
}

static void prom_head(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

enum prom_scope { PROM_DAEMON, PROM_DEVICE };

struct prom_metric {
	const char *name, *type, *help;
	enum prom_scope scope;
	size_t offset;			/* of a uint32_t or uint64_t field */
	int wide;			/* uint64_t */
};

#define INFO32(f) offsetof(struct snapshot, info.f), 0
#define INFO64(f) offsetof(struct snapshot, info.f), 1
#define DEV64(f) offsetof(struct aio_devinfo, f), 1

static const struct prom_metric prom_metrics[] = {
	{ "scoaio_requests_total", "counter",
	  "DKIOCASTRT requests accepted since aiod started.", PROM_DAEMON,
	  INFO64(reqs_total) },
	{ "scoaio_requests_active", "gauge",
	  "Request structures held now.", PROM_DAEMON, INFO32(reqs_active) },
	{ "scoaio_requests_max", "gauge",
	  "Most request structures held at once since aiod started.",
	  PROM_DAEMON, INFO32(reqs_max) },
	{ "scoaio_requests_limit", "gauge",
	  "Request structures there are (NAIOREQ).", PROM_DAEMON,
	  INFO32(naioreq) },
	{ "scoaio_processes_active", "gauge",
	  "Processes with AIO state in aiod.", PROM_DAEMON,
	  INFO32(procs_active) },
	{ "scoaio_processes_limit", "gauge",
	  "Processes that may do AIO at once (NAIOPROC).", PROM_DAEMON,
	  INFO32(naioproc) },
	{ "scoaio_memory_locks", "gauge",
	  "Processes holding a DKIOCMLOCK memory lock.", PROM_DAEMON,
	  INFO32(locks) },
	{ "scoaio_locked_memory_bytes", "gauge",
	  "Bytes of the regions locked for AIO.", PROM_DAEMON,
	  INFO64(locked_bytes) },
	{ "scoaio_buffers_free", "gauge",
	  "Bounce buffers of the pool not in use.", PROM_DAEMON,
	  INFO32(bufs_free) },
	{ "scoaio_buffers_limit", "gauge",
	  "Bounce buffers of the pool (NAIOBUF).", PROM_DAEMON,
	  INFO32(naiobuf) },
	{ "scoaio_direct_requests_total", "counter",
	  "Of those, requests served by libasync's direct path.",
	  PROM_DAEMON, INFO64(direct_reqs_total) },
	{ "scoaio_direct_processes", "gauge",
	  "Processes attached to libasync's direct path.", PROM_DAEMON,
	  INFO32(direct_procs) },
	{ "scoaio_lock_table_entries", "gauge",
	  "Users in the lock permission table.", PROM_DAEMON,
	  INFO32(lktbl_entries) },
	{ "scoaio_device_size_bytes", "gauge",
	  "Size of the partition served.", PROM_DEVICE, DEV64(size) },
	{ "scoaio_device_reads_total", "counter",
	  "Transfers that read from the partition.", PROM_DEVICE,
	  DEV64(reads) },
	{ "scoaio_device_writes_total", "counter",
	  "Transfers that wrote to the partition.", PROM_DEVICE,
	  DEV64(writes) },
	{ "scoaio_device_read_bytes_total", "counter",
	  "Bytes read from the partition.", PROM_DEVICE, DEV64(bytes_read) },
	{ "scoaio_device_written_bytes_total", "counter",
	  "Bytes written to the partition.", PROM_DEVICE,
	  DEV64(bytes_written) },
	{ "scoaio_device_errors_total", "counter",
	  "Transfers that failed or were short.", PROM_DEVICE,
	  DEV64(errors) },
	{ "scoaio_device_inflight", "gauge",
	  "Transfers in flight on the partition.", PROM_DEVICE,
	  DEV64(inflight) },
};

static uint64_t field(const void *base, const struct prom_metric *m)
{
	const char *p = (const char *)base + m->offset;
	uint64_t v64;
	uint32_t v32;

	if (m->wide) {
		memcpy(&v64, p, sizeof(v64));
		return v64;
	}
	memcpy(&v32, p, sizeof(v32));
	return v32;
}

static void prom_device_labels(const struct aiod_conn *c,
			       const struct snapshot *s,
			       const struct aio_devinfo *d)
{
	printf("daemon=\"");
	prom_daemon(c, s);
	printf("\",device=\"");
	prom_label(d->name);
	printf("\"");
}

static void prom_histograms(const struct aiod_conn *c, size_t n,
			    const struct snapshot *s)
{
	static const char *const dir[2] = { "read", "write" };
	const char *name = "scoaio_device_request_latency_seconds";

	prom_head(name, "histogram", "DKIOCASTRT latency, from acceptance "
		  "to completion on the partition.");
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < s[i].info.ndevices; k++)
			for (int w = 0; w < 2; w++) {
				const struct aio_devinfo *d = &s[i].dev[k];
				const struct latency_hist *h = &d->latency[w];
				uint64_t cum = 0;

				for (unsigned b = 0; b < LATENCY_BUCKETS; b++) {
					uint64_t lim = latency_bucket_limit_us(b);

					cum += h->bucket[b];
					printf("%s_bucket{", name);
					prom_device_labels(&c[i], &s[i], d);
					if (lim == UINT64_MAX)
						printf(",direction=\"%s\",le=\"+Inf\"} %"
						       PRIu64 "\n", dir[w], cum);
					else
						printf(",direction=\"%s\",le=\"%.6f\"} %"
						       PRIu64 "\n", dir[w],
						       (double)lim / 1e6, cum);
				}
				printf("%s_sum{", name);
				prom_device_labels(&c[i], &s[i], d);
				printf(",direction=\"%s\"} %.9f\n", dir[w],
				       seconds(h->sum_ns));
				printf("%s_count{", name);
				prom_device_labels(&c[i], &s[i], d);
				printf(",direction=\"%s\"} %" PRIu64 "\n", dir[w],
				       h->count);
			}
}

/* All daemons in one exposition: each metric family once. */
static void print_prometheus(const struct aiod_conn *c, size_t n,
			     const struct snapshot *s)
{
	prom_head("scoaio_uptime_seconds", "gauge",
		  "Seconds since aiod started.");
	for (size_t i = 0; i < n; i++) {
		printf("scoaio_uptime_seconds{daemon=\"");
		prom_daemon(&c[i], &s[i]);
		printf("\"} %.3f\n", seconds(s[i].daemon.uptime_ns));
	}
	prom_head("scoaio_device_info", "gauge", "A device of aiod and its "
		  "backing (value 1).");
	for (size_t i = 0; i < n; i++)
		for (uint32_t k = 0; k < s[i].info.ndevices; k++) {
			const struct aio_devinfo *d = &s[i].dev[k];

			printf("scoaio_device_info{");
			prom_device_labels(&c[i], &s[i], d);
			printf(",backing=\"");
			prom_label(d->path);
			printf("\",offset=\"%" PRIu64 "\",readonly=\"%d\"} 1\n",
			       d->offset, !!(d->flags & AIO_DEV_RO));
		}
	for (size_t m = 0; m < sizeof(prom_metrics) / sizeof(prom_metrics[0]);
	     m++) {
		const struct prom_metric *pm = &prom_metrics[m];

		prom_head(pm->name, pm->type, pm->help);
		for (size_t i = 0; i < n; i++) {
			if (pm->scope == PROM_DAEMON) {
				printf("%s{daemon=\"", pm->name);
				prom_daemon(&c[i], &s[i]);
				printf("\"} %" PRIu64 "\n", field(&s[i], pm));
				continue;
			}
			for (uint32_t k = 0; k < s[i].info.ndevices; k++) {
				printf("%s{", pm->name);
				prom_device_labels(&c[i], &s[i],
						   &s[i].dev[k]);
				printf("} %" PRIu64 "\n",
				       field(&s[i].dev[k], pm));
			}
		}
	}
	prom_histograms(c, n, s);
}

/* ---- -i: rates over an interval --------------------------------------- */

struct rates {
	double reads, writes, mbytes, avg_us;
	struct latency_hist lat;
	uint64_t errors, inflight;
};

static void rates_add(struct rates *into, const struct rates *r)
{
	into->reads += r->reads;
	into->writes += r->writes;
	into->mbytes += r->mbytes;
	latency_add(&into->lat, &r->lat);
	into->errors += r->errors;
	into->inflight += r->inflight;
}

static struct rates device_rates(const struct aio_devinfo *now,
				 const struct aio_devinfo *then, double dt)
{
	struct rates r = { 0 };
	struct latency_hist a = both(now), b = both(then);

	r.reads = (double)(now->reads - then->reads) / dt;
	r.writes = (double)(now->writes - then->writes) / dt;
	r.mbytes = (double)(now->bytes_read - then->bytes_read +
			    now->bytes_written - then->bytes_written) /
		   1e6 / dt;
	latency_diff(&a, &b, &r.lat);
	r.errors = now->errors - then->errors;
	r.inflight = now->inflight;
	return r;
}

static void print_rates_text(const char *name, const struct rates *r)
{
	printf("%-20s %10.1f %10.1f %9.2f %8.1f", name, r->reads, r->writes,
	       r->mbytes, latency_mean_us(&r->lat));
	print_p99(&r->lat);
	printf(" %8" PRIu64 " %7" PRIu64 "\n", r->inflight, r->errors);
}

static void print_rates_json(const char *name, const struct rates *r,
			     int first)
{
	uint64_t p99 = latency_percentile_us(&r->lat, 990);

	printf("%s{\"name\": ", first ? "" : ", ");
	json_put_string(stdout, name);
	printf(", \"reads_per_s\": %.1f, \"writes_per_s\": %.1f, "
	       "\"mb_per_s\": %.3f, \"avg_latency_us\": %.1f, "
	       "\"p99_latency_us\": ", r->reads, r->writes, r->mbytes,
	       latency_mean_us(&r->lat));
	if (p99 == UINT64_MAX)
		printf("null");
	else
		printf("%" PRIu64, p99);
	printf(", \"inflight\": %" PRIu64 ", \"errors\": %" PRIu64 "}",
	       r->inflight, r->errors);
}

static void print_interval(const struct aiod_conn *c,
			   const struct snapshot *now,
			   const struct snapshot *then, int json)
{
	double dt = seconds(now->daemon.uptime_ns - then->daemon.uptime_ns);
	struct rates total = { 0 };
	uint32_t n = now->info.ndevices < then->info.ndevices ?
		     now->info.ndevices : then->info.ndevices;
	char up[32], when[32];
	time_t t = time(NULL);

	if (dt <= 0)
		dt = 1e-9;
	format_uptime(now->daemon.uptime_ns, up, sizeof(up));
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", localtime(&t));
	if (json) {
		printf("{\"time\": \"%s\", \"pid\": %u, \"uptime_seconds\": "
		       "%.3f, \"interval_seconds\": %.3f, \"via\": ", when,
		       now->daemon.pid, seconds(now->daemon.uptime_ns), dt);
		json_put_string(stdout, c->path);
		printf(", \"devices\": [");
	} else {
		printf("%s  aiod pid %u, up %s, via %s\n", when,
		       now->daemon.pid, up, c->path);
		printf("%-20s %10s %10s %9s %8s %8s %8s %7s\n", "device",
		       "reads/s", "writes/s", "MB/s", "avg_us", "p99_us",
		       "inflight", "errors");
	}
	for (uint32_t k = 0; k < n; k++) {
		struct rates r = device_rates(&now->dev[k], &then->dev[k], dt);

		rates_add(&total, &r);
		if (json)
			print_rates_json(now->dev[k].name, &r, k == 0);
		else
			print_rates_text(now->dev[k].name, &r);
	}
	if (json) {
		printf("], \"total\": ");
		print_rates_json("total", &total, 1);
		printf("}\n");
	} else {
		print_rates_text("total", &total);
		printf("\n");
	}
	fflush(stdout);
}

/* ---- -l: the lock table and the locks held ---------------------------- */

/* All entries of one kind, into *out (malloc'd). */
static int read_locks(const struct aiod_conn *c, uint32_t kind,
		      struct aio_lockent **out, uint32_t *n)
{
	struct aio_locks *l = malloc(sizeof(*l));
	struct aio_lockent *all = NULL;
	uint32_t have = 0;

	if (!l)
		goto oom;
	do {
		struct aio_lockent *grown;

		l->kind = kind;
		l->start = have;
		if (ioctl(c->fd, AIOC_LOCKS, l)) {
			fprintf(stderr, "aioinfo: %s: %s\n", c->path,
				strerror(errno));
			free(l);
			free(all);
			return -1;
		}
		grown = realloc(all, (have + l->count + 1) * sizeof(*all));
		if (!grown)
			goto oom;
		all = grown;
		memcpy(all + have, l->ent, l->count * sizeof(*all));
		have += l->count;
	} while (l->count && have < l->total);
	free(l);
	*out = all;
	*n = have;
	return 0;
oom:
	fprintf(stderr, "aioinfo: %s: %s\n", c->path, strerror(ENOMEM));
	free(l);
	free(all);
	return -1;
}

static int print_locks(const struct aiod_conn *c, int json)
{
	struct aio_lockent *tbl, *held;
	uint32_t ntbl, nheld;

	if (read_locks(c, AIO_LOCKS_TABLE, &tbl, &ntbl))
		return -1;
	if (read_locks(c, AIO_LOCKS_HELD, &held, &nheld)) {
		free(tbl);
		return -1;
	}
	if (json) {
		printf("{\"pid\": %u, \"via\": ", c->daemon.pid);
		json_put_string(stdout, c->path);
		printf(", \"lock_table\": [");
		for (uint32_t i = 0; i < ntbl; i++)
			printf("%s{\"uid\": %u, \"allowance\": %" PRIu64
			       ", \"in_use\": %" PRIu64 "}", i ? ", " : "",
			       tbl[i].uid, tbl[i].bytes, tbl[i].in_use);
		printf("], \"locks_held\": [");
		for (uint32_t i = 0; i < nheld; i++)
			printf("%s{\"pid\": %u, \"uid\": %u, \"addr\": %"
			       PRIu64 ", \"size\": %" PRIu64 "}", i ? ", " : "",
			       held[i].id, held[i].uid, held[i].addr,
			       held[i].bytes);
		printf("]}\n");
	} else {
		printf("aiod pid %u, via %s\n", c->daemon.pid, c->path);
		printf("lock table: %u user%s\n", ntbl, ntbl == 1 ? "" : "s");
		printf("  %10s %14s %14s\n", "uid", "allowance", "in use");
		for (uint32_t i = 0; i < ntbl; i++)
			printf("  %10u %14" PRIu64 " %14" PRIu64 "%s\n",
			       tbl[i].uid, tbl[i].bytes, tbl[i].in_use,
			       tbl[i].bytes ? "" : "  (no entry)");
		printf("locks held: %u\n", nheld);
		printf("  %10s %10s %18s %14s\n", "pid", "uid", "region",
		       "bytes");
		for (uint32_t i = 0; i < nheld; i++)
			printf("  %10u %10u 0x%016" PRIx64 " %14" PRIu64 "\n",
			       held[i].id, held[i].uid, held[i].addr,
			       held[i].bytes);
	}
	free(tbl);
	free(held);
	return 0;
}

/* ---- main -------------------------------------------------------------- */

struct options {
	double interval;	/* 0: one report */
	long count;		/* reports with -i; 0: until interrupted */
	int json, prometheus, locks;
};

static int parse_number(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno || end == s || *end || !(*out > 0) || *out > 86400;
}

/* Rates every interval; 0 or 1. */
static int watch(const struct aiod_conn *c, size_t n, const struct options *o)
{
	struct snapshot *then = calloc(n, sizeof(*then));
	time_t whole = (time_t)o->interval;
	long frac_ns = (long)((o->interval - (double)whole) * 1e9);
	int rc = 0;

	if (!then) {
		fprintf(stderr, "aioinfo: %s\n", strerror(ENOMEM));
		return 1;
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = take_snapshot(&c[i], &then[i]) ? 1 : 0;
	for (long r = 0; !rc && (o->count == 0 || r < o->count); r++) {
		struct timespec nap = { whole, frac_ns };

		while (nanosleep(&nap, &nap) && errno == EINTR)
			;
		for (size_t i = 0; i < n && !rc; i++) {
			struct snapshot now;

			if (take_snapshot(&c[i], &now)) {
				rc = 1;
				break;
			}
			print_interval(&c[i], &now, &then[i], o->json);
			snapshot_free(&then[i]);
			then[i] = now;
		}
	}
	for (size_t i = 0; i < n; i++)
		snapshot_free(&then[i]);
	free(then);
	return rc;
}

static int report(const struct aiod_conn *c, size_t n, const struct options *o)
{
	struct snapshot *s;
	int rc = 0;

	if (o->locks) {
		for (size_t i = 0; i < n; i++)
			if (print_locks(&c[i], o->json))
				rc = 1;
		return rc;
	}
	if (o->interval > 0)
		return watch(c, n, o);
	s = calloc(n, sizeof(*s));
	if (!s) {
		fprintf(stderr, "aioinfo: %s\n", strerror(ENOMEM));
		return 1;
	}
	for (size_t i = 0; i < n && !rc; i++)
		rc = take_snapshot(&c[i], &s[i]) ? 1 : 0;
	if (!rc && o->prometheus)
		print_prometheus(c, n, s);
	for (size_t i = 0; i < n && !rc; i++) {
		if (o->json)
			print_json(&c[i], &s[i]);
		else if (!o->prometheus)
			print_text(&c[i], &s[i]);
		if (!o->json && !o->prometheus && i + 1 < n)
			printf("\n");
	}
	for (size_t i = 0; i < n; i++)
		snapshot_free(&s[i]);
	free(s);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "locks", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { 0 };
	struct aiod_conn *conns = NULL;
	char err[PATH_MAX + 128];
	double count = 0;
	size_t n = 0;
	int c, rc;

	cli_init(argv, "aioinfo");
	while ((c = getopt_long(argc, argv, "i:c:ljphV", longopts, NULL)) != -1)
		switch (c) {
		case 'i':
			if (parse_number(optarg, &o.interval))
				cli_usage_error("-i: seconds, more than 0 "
						   "and at most 86400");
			break;
		case 'c':
			if (parse_number(optarg, &count) ||
			    count != (double)(long)count)
				cli_usage_error("-c: a whole number of "
						   "reports, at least 1");
			o.count = (long)count;
			break;
		case 'l': o.locks = 1; break;
		case 'j': o.json = 1; break;
		case 'p': o.prometheus = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': cli_version();
		default: cli_usage_error(NULL);
		}
	if (argc - optind > 1)
		cli_usage_error("at most one device");
	if (o.json && o.prometheus)
		cli_usage_error("--json and --prometheus exclude each other");
	if (o.prometheus && (o.interval > 0 || o.locks))
		cli_usage_error("--prometheus takes neither -i nor -l");
	if (o.count && o.interval <= 0)
		cli_usage_error("-c needs -i");
	if (o.locks && o.interval > 0)
		cli_usage_error("-l takes no -i");
	if (optind < argc) {
		conns = malloc(sizeof(*conns));
		if (!conns) {
			fprintf(stderr, "aioinfo: %s\n", strerror(ENOMEM));
			return 1;
		}
		if (aiod_connect(argv[optind], conns, err, sizeof(err))) {
			fprintf(stderr, "aioinfo: %s\n", err);
			free(conns);
			return 1;
		}
		n = 1;
	} else {
		if (aiod_find_all("aioinfo", &conns, &n, err, sizeof(err))) {
			fprintf(stderr, "aioinfo: %s\n", err);
			return 1;
		}
	}
	rc = report(conns, n, &o);
	aiod_conns_free(conns, n);
	return rc;
}
