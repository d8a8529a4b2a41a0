/* SPDX-License-Identifier: MIT */
/*
 * trace.c -- aiotrace(8)'s sessions: a tracer per open file that asked
 * (AIOC_TRACE_OPEN), each with its own bounded ring of fixed-size records
 * of the aio(M) calls answered and the transfers completed.  A writer never
 * waits for a reader: a record that finds a ring full is dropped and
 * counted there; empty DKIOCASTATs in a row share a record.  Root's
 * tracers see every process; anyone else's only the processes of the
 * tracer's own uid (requests carry the uid the kernel reported).  While no
 * tracer is open the engine and glue test trace_on and record nothing.
 * Calls are answered on the event loop or on memory workers, so the
 * tracers and their rings are guarded by one mutex, taken only while
 * tracing; trace_on is written under it and read relaxed.
 */
#include "aiod.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <scoaio/ioctl.h>

/* Tracers open at once, all users together. */
#define TRACERS_MAX 16

struct tracer {
	const void *file;	/* the open file it belongs to */
	uid_t uid;		/* 0: sees everything; else only this uid */
	pid_t pid;		/* 0, or the one process it follows */
	uint64_t dropped;
	size_t head, len;	/* oldest record, records kept */
	struct aio_trace_rec ring[AIO_TRACE_RING];
};

_Atomic bool trace_on;
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tracer *tracers[TRACERS_MAX];
static size_t ntracers;

/* The one place tracing begins (the first tracer) and ends (the last).
 * Requests on libasync's direct path never reach aiod, so the direct
 * path's switch to the daemon path while a trace runs belongs here. */
/* The first tracer started or the last one stopped: libasync's direct
 * path sends new requests through aiod while anyone traces. */
static void tracing_changed(bool on)
{
	atomic_store_explicit(&trace_on, on, memory_order_relaxed);
	direct_set_tracing(on);
	log_info("tracing %s", on ? "started" : "stopped");
}

static void remove_tracer(size_t i)
{
	free(tracers[i]);
	tracers[i] = tracers[--ntracers];
	if (ntracers == 0)
		tracing_changed(false);
}

void trace_shutdown(void)
{
	pthread_mutex_lock(&trace_lock);
	while (ntracers)
		remove_tracer(ntracers - 1);
	pthread_mutex_unlock(&trace_lock);
}

uint32_t trace_tracers(void)
{
	uint32_t n;

	pthread_mutex_lock(&trace_lock);
	n = (uint32_t)ntracers;
	pthread_mutex_unlock(&trace_lock);
	return n;
}

static struct tracer *find(const void *file)
{
	for (size_t i = 0; i < ntracers; i++)
		if (tracers[i]->file == file)
			return tracers[i];
	return NULL;
}

int trace_open(const void *file, const struct requester *who, pid_t pid)
{
	struct tracer *t;
	int err = 0;

	pthread_mutex_lock(&trace_lock);
	if (find(file))
		err = EBUSY;
	else if (ntracers == TRACERS_MAX)
		err = EAGAIN;
	else if (!(t = malloc(sizeof(*t))))
		err = ENOMEM;
	if (!err) {
		t->file = file;
		t->uid = who->uid;
		t->pid = pid;
		t->dropped = 0;
		t->head = t->len = 0;
		tracers[ntracers++] = t;
		if (ntracers == 1)
			tracing_changed(true);
	}
	pthread_mutex_unlock(&trace_lock);
	if (!err && pid)
		log_info("pid %d (uid %u) traces pid %d", (int)who->tid,
			 (unsigned)who->uid, (int)pid);
	else if (!err)
		log_info("pid %d (uid %u) traces %s", (int)who->tid,
			 (unsigned)who->uid, who->uid ? "its user's processes"
						      : "every process");
	return err;
}

int trace_read(const void *file, struct aio_trace_batch *out)
{
	struct tracer *t;

	out->count = 0;
	out->pad = 0;
	pthread_mutex_lock(&trace_lock);
	t = find(file);
	if (t) {
		while (t->len && out->count < AIO_TRACE_BATCH) {
			out->rec[out->count++] = t->ring[t->head];
			t->head = (t->head + 1) % AIO_TRACE_RING;
			t->len--;
		}
		out->dropped = t->dropped;
	}
	pthread_mutex_unlock(&trace_lock);
	return t ? 0 : EINVAL;
}

void trace_file_closed(const void *file)
{
	pthread_mutex_lock(&trace_lock);
	for (size_t i = 0; i < ntracers; i++)
		if (tracers[i]->file == file) {
			remove_tracer(i);
			break;
		}
	pthread_mutex_unlock(&trace_lock);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool empty_poll(const struct aio_trace_rec *r)
{
	return r->kind == AIO_TRACE_ASTAT && r->count == 0 && r->error == 0;
}

/* An empty DKIOCASTAT right after another of the same thread on the same
 * device, not yet read, counts in that record. */
static bool coalesced(struct tracer *t, const struct aio_trace_rec *rec)
{
	struct aio_trace_rec *last;

	if (!t->len || !empty_poll(rec))
		return false;
	last = &t->ring[(t->head + t->len - 1) % AIO_TRACE_RING];
	if (!empty_poll(last) || last->pid != rec->pid ||
	    last->device != rec->device)
		return false;
	last->repeat++;
	last->time_ns = rec->time_ns;
	return true;
}

void trace_record(const struct device *dev, pid_t pid, uid_t uid,
		  struct aio_trace_rec *rec)
{
	rec->time_ns = realtime_ns();
	rec->pid = (uint32_t)pid;
	rec->uid = (uint32_t)uid;
	rec->device = (uint16_t)admin_device_index(dev);
	rec->repeat = 1;
	pthread_mutex_lock(&trace_lock);
	for (size_t i = 0; i < ntracers; i++) {
		struct tracer *t = tracers[i];

		if ((t->uid != 0 && t->uid != uid) || (t->pid && t->pid != pid))
			continue;
		if (coalesced(t, rec))
			continue;
		if (t->len == AIO_TRACE_RING) {
			t->dropped++;
			continue;
		}
		t->ring[(t->head + t->len++) % AIO_TRACE_RING] = *rec;
	}
	pthread_mutex_unlock(&trace_lock);
}
