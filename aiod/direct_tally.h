/* SPDX-License-Identifier: MIT */
/*
 * direct_tally.h -- one process's direct-path figures for one device, as
 * aiod reads them from the slot the client writes (scoaio/direct.h): a
 * consistent copy taken under the slot's sequence count, the check that a
 * new copy is plausible against the last one accepted, and the sum into a
 * device's figures.  No state and no system calls, so that the unit tests
 * can feed it any numbers a client might write.
 */
#ifndef AIOD_DIRECT_TALLY_H
#define AIOD_DIRECT_TALLY_H

#include <stdbool.h>
#include <stdint.h>
#include <scoaio/direct.h>

struct device_stats;

struct direct_tally {
	uint64_t started[2], started_bytes[2], ended_bytes[2];
	uint64_t reads, writes, bytes_read, bytes_written, errors;
	struct latency_hist latency[2];
};

/* A consistent copy of *slot into *out, or false if the client was
 * writing it at each of a few tries (the caller keeps what it had). */
bool direct_tally_read(const struct aio_direct_slot *slot,
		       struct direct_tally *out);

/* Could an honest client holding at most granted credits have gone
 * from *seen to *now?  Every count at least what it was; each histogram
 * as many latencies as its buckets hold; per direction no more
 * completions (latencies) than starts nor fewer than transfers counted,
 * no more in flight than granted, no request larger than AIO_PAGE, no
 * more bytes moved than the completed requests asked for; no more errors
 * than completions; below 2^48 requests, so that no sum wraps. */
bool direct_tally_plausible(const struct direct_tally *seen,
			    const struct direct_tally *now, uint64_t granted);

/* *into += *t.  A live process's requests not yet completed count as in
 * flight; once it has gone (ended), they count as transfers of their
 * full size: the kernel finished them before the process's connection
 * closed (exit and exec wait for a process's AIO), but nobody saw how. */
void direct_tally_add(struct device_stats *into, const struct direct_tally *t,
		      bool ended);

#endif
