/*
 * admin.c -- the administrative ioctls of scoaio/ioctl.h, served on every
 * aiod device: loading the lock permission table (root only, judged by the
 * uid the kernel reports for the caller) and aioinfo's figures, global and
 * per device, read from the live counters so they are exact.
 */
#define FUSE_USE_VERSION 312
#include "aiod.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <scoaio/ioctl.h>

static struct device *devices;
static size_t ndevices;

void admin_init(struct device *devs, size_t ndevs)
{
	devices = devs;
	ndevices = ndevs;
}

void admin_lktbl_load(fuse_req_t req, const void *in)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	const struct aio_lktbl *t = in;
	struct lock_entry e[AIO_LKTBL_MAX];
	int err;

	if (ctx->uid != 0) {
		log_warn("uid %u may not load the lock table",
			 (unsigned)ctx->uid);
		fuse_reply_err(req, EPERM);
		return;
	}
	if (t->count > AIO_LKTBL_MAX || (t->flags & ~AIO_LKTBL_REPLACE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	for (uint32_t i = 0; i < t->count; i++)
		e[i] = (struct lock_entry){ t->entry[i].uid, t->entry[i].bytes };
	err = locktbl_load(e, t->count, t->flags & AIO_LKTBL_REPLACE);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	log_info("lock table loaded by pid %d: %u entr%s given, %u in the "
		 "table", (int)ctx->pid, t->count, t->count == 1 ? "y" : "ies",
		 locktbl_entries());
	fuse_reply_ioctl(req, 0, NULL, 0);
}

void admin_info(fuse_req_t req)
{
	const struct tunables *t = engine_tunables();
	const struct engine_stats *s = engine_stats();
	struct aio_info info = {
		.naioproc = t->naioproc,
		.naioreq = t->naioreq,
		.naioreqpp = t->naioreqpp,
		.naiobuf = t->naiobuf,
		.naiolocktbl = t->naiolocktbl,
		.procs_active = callers_active(),
		.locks = locks_held(),
		.reqs_active = s->requests_active,
		.reqs_max = s->requests_max,
		.bufs_free = bufpool_free_count(),
		.lktbl_entries = locktbl_entries(),
		.ndevices = (uint32_t)ndevices,
		.locked_bytes = locks_bytes(),
		.reqs_total = s->requests_total,
	};

	fuse_reply_ioctl(req, 0, &info, sizeof(info));
}

void admin_devinfo(fuse_req_t req, const void *in)
{
	struct aio_devinfo d;

	memcpy(&d, in, sizeof(d));
	if (d.index >= ndevices) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	const struct device *dev = &devices[d.index];

	memset(d.name, 0, sizeof(d.name));
	snprintf(d.name, sizeof(d.name), "%s", dev->spec.name);
	d.size = dev->size;
	d.reads = dev->stats.reads;
	d.writes = dev->stats.writes;
	d.bytes_read = dev->stats.bytes_read;
	d.bytes_written = dev->stats.bytes_written;
	d.errors = dev->stats.errors;
	fuse_reply_ioctl(req, 0, &d, sizeof(d));
}
