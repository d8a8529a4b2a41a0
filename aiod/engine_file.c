/* SPDX-License-Identifier: MIT */
/*
 * engine_file.c -- the engine's open files: opening and freeing them
 * (counted per device, so that a device a reload removed goes once none
 * is open; such a device refuses new opens), counting every transfer in
 * flight on each, and holding a flush or
 * release until the file's last transfer has ended (close() waits for the
 * file's requests, as SVR4's did).  Also the engine's tunables and
 * counters, and the one place requests find their process.
 */
#include "engine_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

struct tunables engine_tun;
struct engine_stats engine_counts;
static unsigned inflight_total;

void engine_init(const struct tunables *t)
{
	engine_tun = *t;
}

const struct engine_stats *engine_stats(void)
{
	return &engine_counts;
}

const struct tunables *engine_tunables(void)
{
	return &engine_tun;
}

unsigned engine_inflight(void)
{
	return inflight_total;
}

int engine_requester(const struct requester *who, struct caller **c)
{
	int err = caller_get(who, c);

	return err == 0 || err == EAGAIN || err == ENOMEM ? err : EINVAL;
}

struct aio_file *engine_open(struct device *dev, int open_flags)
{
	struct aio_file *f;

	if (dev->retiring) {	/* removed from the configuration */
		errno = ENXIO;
		return NULL;
	}
	if (dev->readonly && (open_flags & O_ACCMODE) != O_RDONLY) {
		errno = EROFS;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		errno = ENOMEM;
		return NULL;
	}
	static uint64_t last_id;

	f->dev = dev;
	f->id = ++last_id;
	dev->nopen++;
	f->readable = (open_flags & O_ACCMODE) != O_WRONLY;
	f->writable = (open_flags & O_ACCMODE) != O_RDONLY;
	STAILQ_INIT(&f->done);
	STAILQ_INIT(&f->waiters);
	return f;
}

uint64_t engine_file_size(const struct aio_file *f)
{
	return f->dev->size;
}

struct device *engine_file_device(const struct aio_file *f)
{
	return f->dev;
}

uint64_t engine_file_id(const struct aio_file *f, bool *readable,
			bool *writable)
{
	*readable = f->readable;
	*writable = f->writable;
	return f->id;
}

static void free_file(struct aio_file *f)
{
	engine_aio_file_closed(f);
	f->dev->nopen--;
	free(f);
}

void engine_discard(struct aio_file *f)
{
	free_file(f);
}

void engine_transfer_started(struct aio_file *f)
{
	inflight_total++;
	f->inflight++;
	f->dev->stats.inflight++;
}

void engine_transfer_ended(struct aio_file *f)
{
	inflight_total--;
	f->dev->stats.inflight--;
	if (--f->inflight)
		return;
	while (!STAILQ_EMPTY(&f->waiters)) {
		struct engine_call *call = STAILQ_FIRST(&f->waiters);

		STAILQ_REMOVE_HEAD(&f->waiters, waiting);
		call->done(call, 0, NULL, 0);
	}
	if (f->releasing)
		free_file(f);
}

static void wait_for_transfers(struct aio_file *f, struct engine_call *call,
			       bool release)
{
	if (f->inflight) {
		f->releasing |= release;
		STAILQ_INSERT_TAIL(&f->waiters, call, waiting);
		return;
	}
	call->done(call, 0, NULL, 0);
	if (release)
		free_file(f);
}

void engine_flush(struct aio_file *f, struct engine_call *call)
{
	wait_for_transfers(f, call, false);
}

void engine_release(struct aio_file *f, struct engine_call *call)
{
	wait_for_transfers(f, call, true);
}

void engine_count_transfer(struct device *dev, bool write, long result,
			   size_t len)
{
	if (result < 0 || (size_t)result != len)
		dev->stats.errors++;
	if (result <= 0)
		return;
	if (write) {
		dev->stats.writes++;
		dev->stats.bytes_written += (uint64_t)result;
	} else {
		dev->stats.reads++;
		dev->stats.bytes_read += (uint64_t)result;
	}
}
