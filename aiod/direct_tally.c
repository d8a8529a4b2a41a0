/* SPDX-License-Identifier: MIT */
/*
 * direct_tally.c -- reading and checking one client's device slot
 * (direct_tally.h).  The slot lies in memory the client shares with aiod
 * and may change under every load, so each field is loaded by itself with
 * an atomic load, between two loads of the sequence count; what the client
 * wrote is believed only as far as direct_tally_plausible() allows.
 */
#include "aiod.h"
#include "direct_tally.h"
#include "rules.h"

#include <stdatomic.h>

#define READ_TRIES	4
#define REQUESTS_MAX	(UINT64_C(1) << 48)

static uint64_t load_u64(const uint64_t *p)
{
	/* Relaxed: ordered by the sequence count's acquire and fence. */
	return atomic_load_explicit((const _Atomic uint64_t *)p,
				    memory_order_relaxed);
}

static void load_hist(const struct latency_hist *from, struct latency_hist *to)
{
	to->count = load_u64(&from->count);
	to->sum_ns = load_u64(&from->sum_ns);
	for (unsigned k = 0; k < LATENCY_BUCKETS; k++)
		to->bucket[k] = load_u64(&from->bucket[k]);
}

bool direct_tally_read(const struct aio_direct_slot *slot,
		       struct direct_tally *out)
{
	const _Atomic uint32_t *seq = (const _Atomic uint32_t *)&slot->seq;

	for (unsigned i = 0; i < READ_TRIES; i++) {
		/* Acquire: pairs with the client's store-release of the
		 * even count after its fields. */
		uint32_t s1 = atomic_load_explicit(seq, memory_order_acquire);
		uint32_t s2;

		for (unsigned d = 0; d < 2; d++) {
			out->started[d] = load_u64(&slot->started[d]);
			out->started_bytes[d] =
				load_u64(&slot->started_bytes[d]);
			out->ended_bytes[d] = load_u64(&slot->ended_bytes[d]);
			load_hist(&slot->latency[d], &out->latency[d]);
		}
		out->reads = load_u64(&slot->reads);
		out->writes = load_u64(&slot->writes);
		out->bytes_read = load_u64(&slot->bytes_read);
		out->bytes_written = load_u64(&slot->bytes_written);
		out->errors = load_u64(&slot->errors);
		/* Acquire fence: the field loads before the second count,
		 * which pairs with the client's release fence after its odd
		 * count. */
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(seq, memory_order_relaxed);
		if (s1 == s2 && !(s1 & 1))
			return true;
	}
	return false;
}

static bool hist_plausible(const struct latency_hist *seen,
			   const struct latency_hist *now)
{
	uint64_t sum = 0;

	if (now->count < seen->count || now->sum_ns < seen->sum_ns ||
	    now->count >= REQUESTS_MAX)
		return false;
	for (unsigned k = 0; k < LATENCY_BUCKETS; k++) {
		if (now->bucket[k] < seen->bucket[k] ||
		    now->bucket[k] > now->count)
			return false;
		sum += now->bucket[k];	/* at most 32 * 2^48: no wrap */
	}
	return sum == now->count;
}

/* Direction d's requests: monotonic, and sizes that fit their counts. */
static bool direction_plausible(const struct direct_tally *seen,
				const struct direct_tally *now, unsigned d)
{
	uint64_t started = now->started[d], ended = now->latency[d].count;

	return started >= seen->started[d] &&
	       now->started_bytes[d] >= seen->started_bytes[d] &&
	       now->ended_bytes[d] >= seen->ended_bytes[d] &&
	       hist_plausible(&seen->latency[d], &now->latency[d]) &&
	       started < REQUESTS_MAX && ended <= started &&
	       now->started_bytes[d] <= started * AIO_PAGE &&
	       now->ended_bytes[d] <= ended * AIO_PAGE &&
	       now->ended_bytes[d] <= now->started_bytes[d] &&
	       now->started_bytes[d] - now->ended_bytes[d] <=
	       (started - ended) * AIO_PAGE;
}

bool direct_tally_plausible(const struct direct_tally *seen,
			    const struct direct_tally *now, uint64_t granted)
{
	if (!direction_plausible(seen, now, 0) ||
	    !direction_plausible(seen, now, 1) ||
	    now->reads < seen->reads || now->writes < seen->writes ||
	    now->bytes_read < seen->bytes_read ||
	    now->bytes_written < seen->bytes_written ||
	    now->errors < seen->errors)
		return false;
	return now->reads <= now->latency[0].count &&
	       now->writes <= now->latency[1].count &&
	       now->bytes_read <= now->ended_bytes[0] &&
	       now->bytes_written <= now->ended_bytes[1] &&
	       now->errors <= now->latency[0].count + now->latency[1].count &&
	       now->started[0] - now->latency[0].count +
	       now->started[1] - now->latency[1].count <= granted;
}

void direct_tally_add(struct device_stats *into, const struct direct_tally *t,
		      bool ended)
{
	uint64_t left[2], left_bytes[2];

	for (unsigned d = 0; d < 2; d++) {
		left[d] = t->started[d] - t->latency[d].count;
		left_bytes[d] = t->started_bytes[d] - t->ended_bytes[d];
		latency_add(&into->latency[d], &t->latency[d]);
	}
	into->reads += t->reads;
	into->writes += t->writes;
	into->bytes_read += t->bytes_read;
	into->bytes_written += t->bytes_written;
	into->errors += t->errors;
	if (ended) {
		into->reads += left[0];
		into->bytes_read += left_bytes[0];
		into->writes += left[1];
		into->bytes_written += left_bytes[1];
	} else {
		into->inflight += left[0] + left[1];
	}
}
