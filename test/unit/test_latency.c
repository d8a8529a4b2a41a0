/* SPDX-License-Identifier: MIT */
/*
 * test_latency.c -- unit tests of common/latency.c, the log2 histogram of
 * aiod's latencies: bucket edges (under 1 us, powers of two, the last
 * bucket open-ended), exact count and sum, snapshot differences as
 * aioinfo -i takes them, sums of two, and percentiles as upper bucket
 * edges.
 */
#include "unit.h"
#include "common/latency.h"

#include <stdint.h>

START_TEST(bucket_edges_are_powers_of_two_us)
{
	ck_assert_uint_eq(latency_bucket(0), 0);
	ck_assert_uint_eq(latency_bucket(999), 0);		/* < 1 us */
	ck_assert_uint_eq(latency_bucket(1000), 1);		/* [1, 2) */
	ck_assert_uint_eq(latency_bucket(1999), 1);
	ck_assert_uint_eq(latency_bucket(2000), 2);		/* [2, 4) */
	ck_assert_uint_eq(latency_bucket(3999), 2);
	ck_assert_uint_eq(latency_bucket(4000), 3);
	ck_assert_uint_eq(latency_bucket(1023999), 10);	/* 1023 us */
	ck_assert_uint_eq(latency_bucket(1024000), 11);	/* 1024 us */
	ck_assert_uint_eq(latency_bucket(UINT64_MAX), LATENCY_BUCKETS - 1);
	for (unsigned k = 1; k < LATENCY_BUCKETS - 1; k++) {
		uint64_t edge_ns = latency_bucket_limit_us(k) * 1000;

		ck_assert_uint_eq(latency_bucket(edge_ns - 1000), k);
		ck_assert_uint_eq(latency_bucket(edge_ns), k + 1);
	}
}
END_TEST

START_TEST(last_bucket_has_no_limit)
{
	ck_assert_uint_eq(latency_bucket_limit_us(0), 1);
	ck_assert_uint_eq(latency_bucket_limit_us(10), 1024);
	ck_assert_uint_eq(latency_bucket_limit_us(LATENCY_BUCKETS - 1),
			  UINT64_MAX);
}
END_TEST

START_TEST(record_counts_and_sums_exactly)
{
	struct latency_hist h = { 0 };

	latency_record(&h, 500);
	latency_record(&h, 1500);
	latency_record(&h, 1500);
	latency_record(&h, 100000);	/* 100 us: [64, 128) */
	ck_assert_uint_eq(h.count, 4);
	ck_assert_uint_eq(h.sum_ns, 103500);
	ck_assert_uint_eq(h.bucket[0], 1);
	ck_assert_uint_eq(h.bucket[1], 2);
	ck_assert_uint_eq(h.bucket[7], 1);
	ck_assert(latency_mean_us(&h) > 25.874 && latency_mean_us(&h) < 25.876);
}
END_TEST

START_TEST(percentile_is_upper_edge_of_its_bucket)
{
	struct latency_hist h = { 0 };

	ck_assert_uint_eq(latency_percentile_us(&h, 990), 0);	/* empty */
	ck_assert(latency_mean_us(&h) == 0.0);
	for (int i = 0; i < 99; i++)
		latency_record(&h, 3000);		/* [2, 4) us */
	latency_record(&h, 5000000);			/* 5 ms */
	ck_assert_uint_eq(latency_percentile_us(&h, 500), 4);
	ck_assert_uint_eq(latency_percentile_us(&h, 990), 4);	/* 99th of 100 */
	ck_assert_uint_eq(latency_percentile_us(&h, 1000), 8192);
	latency_record(&h, 5000000);			/* now 2 of 101 */
	ck_assert_uint_eq(latency_percentile_us(&h, 990), 8192);
	ck_assert_uint_eq(latency_percentile_us(&h, 0), 4);	/* at least 1 */
}
END_TEST

START_TEST(percentile_in_open_bucket_is_unbounded)
{
	struct latency_hist h = { 0 };

	latency_record(&h, UINT64_MAX / 2);
	ck_assert_uint_eq(latency_percentile_us(&h, 990), UINT64_MAX);
}
END_TEST

START_TEST(diff_gives_the_interval)
{
	struct latency_hist a = { 0 }, b, d;

	latency_record(&a, 1500);
	latency_record(&a, 70000);
	b = a;
	latency_record(&b, 1500);
	latency_record(&b, 3000);
	latency_diff(&b, &a, &d);
	ck_assert_uint_eq(d.count, 2);
	ck_assert_uint_eq(d.sum_ns, 4500);
	ck_assert_uint_eq(d.bucket[1], 1);
	ck_assert_uint_eq(d.bucket[2], 1);
	ck_assert_uint_eq(d.bucket[7], 0);
	ck_assert_uint_eq(latency_percentile_us(&d, 990), 4);
}
END_TEST

START_TEST(add_merges_directions)
{
	struct latency_hist r = { 0 }, w = { 0 };

	latency_record(&r, 1500);
	latency_record(&w, 1500);
	latency_record(&w, 9000);
	latency_add(&r, &w);
	ck_assert_uint_eq(r.count, 3);
	ck_assert_uint_eq(r.sum_ns, 12000);
	ck_assert_uint_eq(r.bucket[1], 2);
	ck_assert_uint_eq(r.bucket[4], 1);		/* 9 us: [8, 16) */
	ck_assert_uint_eq(w.count, 2);			/* w unchanged */
}
END_TEST

Suite *latency_suite(void)
{
	Suite *s = suite_create("latency");
	TCase *tc = tcase_create("histogram");

	tcase_add_test(tc, bucket_edges_are_powers_of_two_us);
	tcase_add_test(tc, last_bucket_has_no_limit);
	tcase_add_test(tc, record_counts_and_sums_exactly);
	tcase_add_test(tc, percentile_is_upper_edge_of_its_bucket);
	tcase_add_test(tc, percentile_in_open_bucket_is_unbounded);
	tcase_add_test(tc, diff_gives_the_interval);
	tcase_add_test(tc, add_merges_directions);
	suite_add_tcase(s, tc);
	return s;
}
