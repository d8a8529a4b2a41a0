/* SPDX-License-Identifier: MIT */
/*
 * test_direct_tally.c -- unit tests of aiod/direct_tally.c, how aiod
 * reads a client's per-device slot of direct-path figures: a copy is
 * taken only between two equal even sequence counts; the figures an
 * honest client writes are accepted step by step, and each way a client
 * could lie (counts going back, histograms that do not add up, more
 * completions than starts, more in flight than granted, more errors than
 * completions, more bytes than transfers can move, numbers that would
 * wrap) is refused; and the sum into a device's figures, of a live
 * process (its requests in flight) and of one that has gone (what it
 * left in flight, done).
 */
#include "unit.h"
#include "aiod/aiod.h"
#include "aiod/direct_tally.h"

#include <string.h>

/* As libasync counts one request's start. */
static void start(struct direct_tally *t, bool write, uint64_t nbytes)
{
	t->started[write]++;
	t->started_bytes[write] += nbytes;
}

/* As libasync counts one completion. */
static void record(struct direct_tally *t, bool write, long res,
		   uint64_t nbytes, uint64_t latency_ns)
{
	t->ended_bytes[write] += nbytes;
	if (res < 0 || (uint64_t)res != nbytes)
		t->errors++;
	if (res > 0) {
		if (write) {
			t->writes++;
			t->bytes_written += (uint64_t)res;
		} else {
			t->reads++;
			t->bytes_read += (uint64_t)res;
		}
	}
	latency_record(&t->latency[write], latency_ns);
}

/* Two started, one 4 KiB read done, one 512-byte write in flight. */
static void honest(struct direct_tally *t)
{
	memset(t, 0, sizeof(*t));
	start(t, false, 4096);
	start(t, true, 512);
	record(t, false, 4096, 4096, 20000);
}

START_TEST(honest_figures_are_accepted_step_by_step)
{
	struct direct_tally zero = { 0 }, a, b;

	honest(&a);
	ck_assert(direct_tally_plausible(&zero, &a, 2));
	b = a;
	record(&b, true, 512, 512, 900000);		/* the write */
	start(&b, false, 4096);
	record(&b, false, -5, 4096, 3000);	/* EIO: no read counted */
	start(&b, true, 512);
	record(&b, true, 100, 512, 5000);		/* short: an error */
	ck_assert(direct_tally_plausible(&a, &b, 2));
	ck_assert(direct_tally_plausible(&b, &b, 0));	/* none in flight */
	ck_assert_uint_eq(b.errors, 2);
	ck_assert_uint_eq(b.reads, 1);
	ck_assert_uint_eq(b.writes, 2);
}
END_TEST

START_TEST(every_lie_is_refused)
{
	struct direct_tally seen, lie;

	honest(&seen);
	for (int field = 0; field < 17; field++) {
		lie = seen;
		switch (field) {
		case 0: lie.reads = 0;			/* counts go back */
			lie.latency[0] = (struct latency_hist){ 0 };
			break;
		case 1: lie.latency[0].bucket[3]++; break;	/* sum, count */
		case 2: lie.latency[0].count++; break;
		case 3: lie.reads++; lie.bytes_read += 4096;
			break;			/* more reads than latencies */
		case 4: record(&lie, true, 512, 512, 1);
			record(&lie, true, 512, 512, 1);
			break;		/* more completions than starts */
		case 5: start(&lie, false, 512); start(&lie, true, 512);
			break;			/* 3 in flight, 2 granted */
		case 6: lie.errors = 2; break;	/* errors, not completions */
		case 7: lie.bytes_read = 4097; break;	/* > AIO_PAGE a read */
		case 8: lie.bytes_written = 1; break;	/* bytes, no write */
		case 9: lie.started[0] = UINT64_C(1) << 48;	/* would wrap */
			break;
		case 10: lie.latency[1].count = UINT64_C(1) << 48;
			lie.latency[1].bucket[0] = lie.latency[1].count;
			lie.started[1] += lie.latency[1].count;
			break;
		case 11: lie.latency[0].sum_ns = 0; break;	/* sum back */
		case 12: lie.latency[0].bucket[latency_bucket(20000)]--;
			lie.latency[0].bucket[0]++;
			break;			/* a bucket goes back */
		case 13: lie.started_bytes[1] = 4097; break;	/* > AIO_PAGE */
		case 14: lie.ended_bytes[0] = 4097; break;
		case 15: lie.bytes_read = 4096; lie.ended_bytes[0] = 2048;
			break;			/* more moved than asked for */
		case 16: lie.started[1]--; lie.started_bytes[1] = 0;
			break;			/* starts go back */
		}
		ck_assert_msg(!direct_tally_plausible(&seen, &lie, 2),
			      "lie %d accepted", field);
	}
}
END_TEST

START_TEST(copies_only_between_equal_even_counts)
{
	struct aio_direct_slot slot = { 0 };
	struct direct_tally t, out;

	honest(&t);
	slot.seq = 4;
	for (unsigned d = 0; d < 2; d++) {
		slot.started[d] = t.started[d];
		slot.started_bytes[d] = t.started_bytes[d];
		slot.ended_bytes[d] = t.ended_bytes[d];
		slot.latency[d] = t.latency[d];
	}
	slot.reads = t.reads;
	slot.bytes_read = t.bytes_read;
	ck_assert(direct_tally_read(&slot, &out));
	ck_assert_int_eq(memcmp(&out, &t, sizeof(t)), 0);
	slot.seq = 5;				/* the client is writing */
	ck_assert(!direct_tally_read(&slot, &out));
}
END_TEST

START_TEST(sums_into_the_device_figures)
{
	struct device_stats dev = { .reads = 10, .inflight = 1 };
	struct direct_tally t;

	honest(&t);
	direct_tally_add(&dev, &t, false);		/* live */
	ck_assert_uint_eq(dev.reads, 11);
	ck_assert_uint_eq(dev.bytes_read, 4096);
	ck_assert_uint_eq(dev.writes, 0);
	ck_assert_uint_eq(dev.inflight, 2);		/* its write */
	ck_assert_uint_eq(dev.latency[0].count, 1);
	direct_tally_add(&dev, &t, true);	/* gone: its write was done */
	ck_assert_uint_eq(dev.reads, 12);
	ck_assert_uint_eq(dev.writes, 1);
	ck_assert_uint_eq(dev.bytes_written, 512);
	ck_assert_uint_eq(dev.inflight, 2);
	ck_assert_uint_eq(dev.latency[0].count, 2);
	ck_assert_uint_eq(dev.latency[1].count, 0);	/* never seen */
	ck_assert_uint_eq(latency_percentile_us(&dev.latency[0], 500), 32);
}
END_TEST

Suite *direct_tally_suite(void)
{
	Suite *s = suite_create("direct_tally");
	TCase *tc = tcase_create("slots");

	tcase_add_test(tc, honest_figures_are_accepted_step_by_step);
	tcase_add_test(tc, every_lie_is_refused);
	tcase_add_test(tc, copies_only_between_equal_even_counts);
	tcase_add_test(tc, sums_into_the_device_figures);
	suite_add_tcase(s, tc);
	return s;
}
