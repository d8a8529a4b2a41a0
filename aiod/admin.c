/* SPDX-License-Identifier: MIT */
/*
 * admin.c -- the administrative ioctls of scoaio/ioctl.h, served on every
 * aiod device: loading the lock permission table (root only, judged by the
 * uid the kernel reports for the caller) and aioinfo's figures: global,
 * per device (counters, backing, latency histograms, with the direct
 * path's requests that attached processes report), the daemon's pid and
 * uptime, the lock table's entries and the locks held, read from the live
 * state so they are exact.
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
	struct device_stats st;

	if (d->index >= ndevices)
		return ENOENT;
	dev = devices[d->index];
	direct_device_stats(dev, &st);	/* both paths' transfers */
	memset(d->name, 0, sizeof(d->name));
	snprintf(d->name, sizeof(d->name), "%s", dev->spec.name);
	d->size = dev->size;
	d->direct = backend_direct(dev);
	d->reads = st.reads;
	d->writes = st.writes;
	d->bytes_read = st.bytes_read;
	d->bytes_written = st.bytes_written;
	d->errors = st.errors;
	d->flags = (dev->readonly ? AIO_DEV_RO : 0) |
		   (dev->spec.writeback ? AIO_DEV_WRITEBACK : 0);
	memset(d->path, 0, sizeof(d->path));
	snprintf(d->path, sizeof(d->path), "%s", dev->spec.path);
	d->offset = dev->offset;
	d->inflight = st.inflight;
	memcpy(d->latency, st.latency, sizeof(d->latency));
	return 0;
}

unsigned admin_device_index(const struct device *dev)
{
	for (size_t i = 0; i < ndevices; i++)
		if (devices[i] == dev)
			return (unsigned)i;
	return 0xffff;
}

/* Collects the locks held, from l->start on, into l. */
static void add_holder(struct caller *c, void *arg)
{
	struct aio_locks *l = arg;
	uint32_t at = l->total++;

	if (!c->lock || c->exited) {
		l->total--;
		return;
	}
	if (at < l->start || l->count == AIO_LOCKS_MAX)
		return;
	l->ent[l->count++] = (struct aio_lockent){
		.id = (uint32_t)c->tgid, .uid = (uint32_t)c->uid,
		.addr = c->region.addr, .bytes = c->region.size,
		.in_use = c->region.size };
}

int admin_locks(struct aio_locks *l)
{
	l->count = l->total = 0;
	if (l->kind == AIO_LOCKS_HELD) {
		callers_foreach(add_holder, l);
		return 0;
	}
	if (l->kind != AIO_LOCKS_TABLE)
		return EINVAL;
	l->total = locktbl_users();
	for (uint32_t i = l->start; i < l->total && l->count < AIO_LOCKS_MAX;
	     i++) {
		struct aio_lockent *e = &l->ent[l->count++];
		uid_t uid;

		*e = (struct aio_lockent){ 0 };
		locktbl_user(i, &uid, &e->bytes, &e->in_use);
		e->id = e->uid = (uint32_t)uid;
	}
	return 0;
}
