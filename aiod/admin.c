/* SPDX-License-Identifier: MIT */
/*
 * admin.c -- the administrative ioctls of scoaio/ioctl.h, served on every
 * aiod device: loading the lock permission table (root only, judged by the
 * uid the kernel reports for the caller) and aioinfo's figures, global and
 * per device, read from the live counters so they are exact.
 */
#include "aiod.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <scoaio/ioctl.h>

static struct device *const *devices;
static size_t ndevices;

void admin_init(struct device *const *devs, size_t ndevs)
{
	devices = devs;
	ndevices = ndevs;
}

int admin_lktbl_load(const struct requester *who, const struct aio_lktbl *t)
{
	struct lock_entry e[AIO_LKTBL_MAX];
	int err;

	if (who->uid != 0) {
		log_limited(log_user_budget(who->uid), LOG_WARNING,
			    "uid %u may not load the lock table",
			    (unsigned)who->uid);
		return EPERM;
	}
	if (t->count > AIO_LKTBL_MAX || (t->flags & ~AIO_LKTBL_REPLACE))
		return EINVAL;
	for (uint32_t i = 0; i < t->count; i++)
		e[i] = (struct lock_entry){ t->entry[i].uid, t->entry[i].bytes };
	err = locktbl_load(e, t->count, t->flags & AIO_LKTBL_REPLACE);
	if (err)
		return err;
	log_info("lock table loaded by pid %d: %u entr%s given, %u in the "
		 "table", (int)who->tid, t->count, t->count == 1 ? "y" : "ies",
		 locktbl_entries());
	return 0;
}

void admin_info(struct aio_info *info)
{
	const struct tunables *t = engine_tunables();
	const struct engine_stats *s = engine_stats();
	uint32_t dprocs, dactive, dmax;
	uint64_t dtotal;

	direct_counts(&dprocs, &dactive, &dmax, &dtotal);
	*info = (struct aio_info){
		.naioproc = t->naioproc,
		.naioreq = t->naioreq,
		.naioreqpp = t->naioreqpp,
		.naiobuf = t->naiobuf,
		.naiolocktbl = t->naiolocktbl,
		.procs_active = callers_active(),
		.locks = locktbl_locks(),
		.reqs_active = s->requests_active + dactive,
		.reqs_max = s->requests_max,
		.bufs_free = backend_bufs_free(),
		.lktbl_entries = locktbl_entries(),
		.ndevices = (uint32_t)ndevices,
		.locked_bytes = locktbl_locked_bytes(),
		.reqs_total = s->requests_total + dtotal,
		.direct_reqs_total = dtotal,
		.direct_procs = dprocs,
		.direct_reqs_active = dactive,
	};
	/* The most held at once: on the ioctl path exact, on the direct
	 * path per process (each reports its own maximum), and what this
	 * call sees. */
	if (dmax > info->reqs_max)
		info->reqs_max = dmax;
	if (info->reqs_active > info->reqs_max)
		info->reqs_max = info->reqs_active;
}

int admin_devinfo(struct aio_devinfo *d)
{
	const struct device *dev;

	if (d->index >= ndevices)
		return ENOENT;
	dev = devices[d->index];
	memset(d->name, 0, sizeof(d->name));
	snprintf(d->name, sizeof(d->name), "%s", dev->spec.name);
	d->size = dev->size;
	d->direct = backend_direct(dev);
	d->reads = dev->stats.reads;
	d->writes = dev->stats.writes;
	d->bytes_read = dev->stats.bytes_read;
	d->bytes_written = dev->stats.bytes_written;
	d->errors = dev->stats.errors;
	return 0;
}
