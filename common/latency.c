/* SPDX-License-Identifier: MIT */
/*
 * latency.c -- the arithmetic of latency.h's log2 histogram: which bucket
 * a latency falls in, the difference of two snapshots (aioinfo -i's
 * intervals) and the sum of two histograms, percentiles and the mean.
 * No state, no I/O.
 */
#include "common/latency.h"

unsigned latency_bucket(uint64_t ns)
{
	uint64_t us = ns / 1000;
	unsigned k = 0;

	while (us) {		/* k = bit length of us */
		us >>= 1;
		k++;
	}
	return k < LATENCY_BUCKETS ? k : LATENCY_BUCKETS - 1;
}

uint64_t latency_bucket_limit_us(unsigned k)
{
	return k < LATENCY_BUCKETS - 1 ? UINT64_C(1) << k : UINT64_MAX;
}

void latency_record(struct latency_hist *h, uint64_t ns)
{
	h->count++;
	h->sum_ns += ns;
	h->bucket[latency_bucket(ns)]++;
}

void latency_diff(const struct latency_hist *later,
		  const struct latency_hist *earlier, struct latency_hist *out)
{
	out->count = later->count - earlier->count;
	out->sum_ns = later->sum_ns - earlier->sum_ns;
	for (unsigned k = 0; k < LATENCY_BUCKETS; k++)
		out->bucket[k] = later->bucket[k] - earlier->bucket[k];
}

void latency_add(struct latency_hist *into, const struct latency_hist *h)
{
	into->count += h->count;
	into->sum_ns += h->sum_ns;
	for (unsigned k = 0; k < LATENCY_BUCKETS; k++)
		into->bucket[k] += h->bucket[k];
}

uint64_t latency_percentile_us(const struct latency_hist *h,
			       unsigned permille)
{
	uint64_t seen = 0, need;

	if (h->count == 0)
		return 0;
	/* ceil(count * permille / 1000), at least one latency */
	need = (h->count * permille + 999) / 1000;
	if (need == 0)
		need = 1;
	for (unsigned k = 0; k < LATENCY_BUCKETS; k++) {
		seen += h->bucket[k];
		if (seen >= need)
			return latency_bucket_limit_us(k);
	}
	return UINT64_MAX;	/* buckets short of count: not a snapshot */
}

double latency_mean_us(const struct latency_hist *h)
{
	return h->count ? (double)h->sum_ns / (double)h->count / 1000.0 : 0.0;
}
