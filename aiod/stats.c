/* SPDX-License-Identifier: MIT */
/*
 * stats.c -- the daemon's clock and the figures measured with it: when
 * aiod started, its uptime, and each device's latency histograms (one per
 * direction, latency.h's log2 buckets), fed once per completed DKIOCASTRT
 * with the time from its acceptance to its completion.  Everything runs on
 * the event loop; the clock is CLOCK_MONOTONIC, read through the vDSO.
 */
#include "aiod.h"

#include <unistd.h>
#include <scoaio/ioctl.h>

static uint64_t started_mono_ns, started_real_ns;

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	/* Cannot fail for these clocks with a valid pointer. */
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void stats_init(void)
{
	started_mono_ns = clock_ns(CLOCK_MONOTONIC);
	started_real_ns = clock_ns(CLOCK_REALTIME);
}

uint64_t stats_clock_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t stats_request_done(struct device *dev, bool write,
			    uint64_t accepted_ns)
{
	uint64_t latency = stats_clock_ns() - accepted_ns;

	latency_record(&dev->stats.latency[write], latency);
	return latency;
}

void stats_daemon(struct aio_daemon *d)
{
	d->pid = (uint32_t)getpid();
	d->started_ns = started_real_ns;
	d->uptime_ns = stats_clock_ns() - started_mono_ns;
}
