/* SPDX-License-Identifier: MIT */
/*
 * latency.h -- the latency histogram aiod keeps per device and direction
 * and aioinfo(8) reads: log2 buckets of microseconds (bucket 0 holds
 * latencies under 1 us, bucket k in [2^(k-1), 2^k) us, the last one also
 * everything longer), the exact count and the sum in nanoseconds; and the
 * pure arithmetic on it (bucket of a latency, the difference of two
 * snapshots and the sum of two histograms, percentiles, the mean).  Its
 * layout is part of scoaio/ioctl.h's ABI.
 */
#ifndef SCOAIO_LATENCY_H
#define SCOAIO_LATENCY_H

#include <stdint.h>

#define LATENCY_BUCKETS 32

struct latency_hist {
	uint64_t count;			/* latencies recorded */
	uint64_t sum_ns;		/* their sum */
	uint64_t bucket[LATENCY_BUCKETS];
};

/* The bucket a latency of ns nanoseconds falls in. */
unsigned latency_bucket(uint64_t ns);
/* The upper edge of bucket k in microseconds (2^k); the last bucket has
 * none (UINT64_MAX). */
uint64_t latency_bucket_limit_us(unsigned k);
void latency_record(struct latency_hist *h, uint64_t ns);
/* *out = later - earlier, bucket by bucket (two snapshots of one
 * histogram, so later >= earlier in every field). */
void latency_diff(const struct latency_hist *later,
		  const struct latency_hist *earlier, struct latency_hist *out);
/* *into += h, bucket by bucket (reads and writes together). */
void latency_add(struct latency_hist *into, const struct latency_hist *h);
/* The smallest bucket edge, in microseconds, at or below which at least
 * permille/1000 of the latencies lie: an upper bound of that percentile,
 * exact to a factor of two.  0 for an empty histogram; UINT64_MAX when it
 * falls in the last, unbounded bucket. */
uint64_t latency_percentile_us(const struct latency_hist *h,
			       unsigned permille);
/* The mean in microseconds, 0 for an empty histogram. */
double latency_mean_us(const struct latency_hist *h);

#endif
