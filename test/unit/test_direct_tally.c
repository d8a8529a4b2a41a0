/* SPDX-License-Identifier: MIT */
/*
 * test_direct_tally.c -- unit tests of aiod/direct_tally.c, how aiod
 * reads a client's per-device slot of direct-path figures: a copy is
 * taken only between two equal even sequence counts; the figures an
 * honest client writes are accepted step by step, and each way a client
 * could lie (counts going back, histograms that do not add up, more
 * completions than starts, more in flight than granted, more errors than
 * completions, more bytes than transfers can move, numbers that would
 * wrap) is refused, each by the one rule it breaks; and the sum into a device's figures, of a live
 * process (its requests in flight) and of one that has gone (what it
 * left in flight, done).
 */
#include "unit.h"
#include "aiod/aiod.h"
#include "aiod/direct_tally.h"
#include "aiod/rules.h"

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

/*
 * The story every lie is told from, the same in both directions (d 0:
 * reads, d 1: writes) of 2048-byte requests.  seen: five started, one
 * done short (100 bytes: a transfer and an error); now, strictly
 * advanced: six started, two done short (another 1024 bytes).  Four in
 * flight each way: NOW_GRANTED, all the credits the client holds.  The
 * figures leave each lie room to break one rule alone: requests under
 * AIO_PAGE, short transfers, more in flight than were done since.
 */
#define NOW_GRANTED	8

static void story(struct direct_tally *seen, struct direct_tally *now)
{
	memset(seen, 0, sizeof(*seen));
	for (unsigned d = 0; d < 2; d++) {
		for (unsigned i = 0; i < 5; i++)
			start(seen, d, 2048);
		record(seen, d, 100, 2048, 20000);
	}
	*now = *seen;
	for (unsigned d = 0; d < 2; d++) {
		start(now, d, 2048);
		record(now, d, 1024, 2048, 900000);
	}
}

/* Direction d's transfers and their bytes (reads or writes). */
static uint64_t *transfers(struct direct_tally *t, unsigned d)
{
	return d ? &t->writes : &t->reads;
}

static uint64_t *transferred(struct direct_tally *t, unsigned d)
{
	return d ? &t->bytes_written : &t->bytes_read;
}

/*
 * One lie per rule of direct_tally_plausible(): each changes one figure
 * of the honest now (a histogram's count with its buckets; for starts
 * reaching 2^48, the starts with the latencies of those done), so that
 * this rule alone refuses it: deleting any one rule from direct_tally.c
 * lets its lie through.  Rules implied by the others have no lie of
 * their own: a histogram's count going back (its buckets add up to it,
 * as seen's did, and none goes back), a count of 2^48 latencies (no more
 * than the starts, which stay below 2^48), more started bytes than
 * AIO_PAGE a start (ended bytes within AIO_PAGE a completion, those in
 * flight within AIO_PAGE a request in flight) and more bytes ended than
 * started (then those in flight would wrap past any bound).
 */
enum lie {
	STARTS_GO_BACK,
	STARTED_BYTES_GO_BACK,
	ENDED_BYTES_GO_BACK,
	STARTS_REACH_2_48,
	MORE_ENDED_THAN_STARTED,
	ENDED_BYTES_ABOVE_A_PAGE_EACH,
	BYTES_IN_FLIGHT_ABOVE_A_PAGE_EACH,
	LATENCY_SUM_GOES_BACK,
	A_BUCKET_GOES_BACK,
	A_BUCKET_ABOVE_THE_COUNT,
	BUCKETS_DO_NOT_ADD_UP,
	TRANSFERS_GO_BACK,
	BYTES_TRANSFERRED_GO_BACK,
	ERRORS_GO_BACK,
	MORE_TRANSFERS_THAN_COMPLETIONS,
	MORE_BYTES_TRANSFERRED_THAN_ENDED,
	MORE_ERRORS_THAN_COMPLETIONS,
	MORE_IN_FLIGHT_THAN_GRANTED,
	LIES
};

static const char *const lie_name[LIES] = {
	[STARTS_GO_BACK] = "starts go back",
	[STARTED_BYTES_GO_BACK] = "started bytes go back",
	[ENDED_BYTES_GO_BACK] = "ended bytes go back",
	[STARTS_REACH_2_48] = "starts reach 2^48",
	[MORE_ENDED_THAN_STARTED] = "more completions than starts",
	[ENDED_BYTES_ABOVE_A_PAGE_EACH] =
		"ended bytes above AIO_PAGE a completion",
	[BYTES_IN_FLIGHT_ABOVE_A_PAGE_EACH] =
		"bytes in flight above AIO_PAGE a request in flight",
	[LATENCY_SUM_GOES_BACK] = "latency sum goes back",
	[A_BUCKET_GOES_BACK] = "a bucket goes back",
	[A_BUCKET_ABOVE_THE_COUNT] = "a bucket above the count",
	[BUCKETS_DO_NOT_ADD_UP] = "buckets do not add up to the count",
	[TRANSFERS_GO_BACK] = "transfers go back",
	[BYTES_TRANSFERRED_GO_BACK] = "bytes transferred go back",
	[ERRORS_GO_BACK] = "errors go back",
	[MORE_TRANSFERS_THAN_COMPLETIONS] = "more transfers than completions",
	[MORE_BYTES_TRANSFERRED_THAN_ENDED] =
		"more bytes transferred than completions ended",
	[MORE_ERRORS_THAN_COMPLETIONS] = "more errors than completions",
	[MORE_IN_FLIGHT_THAN_GRANTED] = "more in flight than granted",
};

/* *t, the honest now, told as lie l about direction d. */
static void tell(struct direct_tally *t, const struct direct_tally *seen,
		 enum lie l, unsigned d)
{
	struct latency_hist *h = &t->latency[d];
	struct direct_tally was = *seen;
	uint64_t n;

	switch (l) {
	case STARTS_GO_BACK:
		t->started[d] = seen->started[d] - 1;
		break;
	case STARTED_BYTES_GO_BACK:
		t->started_bytes[d] = seen->started_bytes[d] - 1;
		break;
	case ENDED_BYTES_GO_BACK:
		t->ended_bytes[d] = seen->ended_bytes[d] - 1;
		break;
	case STARTS_REACH_2_48:		/* n more started and done */
		n = (UINT64_C(1) << 48) - t->started[d];
		t->started[d] += n;
		h->count += n;
		h->bucket[0] += n;
		break;
	case MORE_ENDED_THAN_STARTED:	/* one more than in flight */
		for (n = t->started[d] - h->count + 1; n; n--)
			latency_record(h, 1000);
		break;
	case ENDED_BYTES_ABOVE_A_PAGE_EACH:
		t->ended_bytes[d] = h->count * AIO_PAGE + 1;
		break;
	case BYTES_IN_FLIGHT_ABOVE_A_PAGE_EACH:
		t->started_bytes[d] = t->ended_bytes[d] +
				      (t->started[d] - h->count) * AIO_PAGE + 1;
		break;
	case LATENCY_SUM_GOES_BACK:
		h->sum_ns = seen->latency[d].sum_ns - 1;
		break;
	case A_BUCKET_GOES_BACK:	/* seen's latency moves down */
		h->bucket[latency_bucket(20000)]--;
		h->bucket[0]++;
		break;
	case A_BUCKET_ABOVE_THE_COUNT:	/* their sum wraps to the count */
		h->bucket[1] += UINT64_C(1) << 63;
		h->bucket[2] += UINT64_C(1) << 63;
		break;
	case BUCKETS_DO_NOT_ADD_UP:
		h->bucket[0]++;
		break;
	case TRANSFERS_GO_BACK:
		*transfers(t, d) = *transfers(&was, d) - 1;
		break;
	case BYTES_TRANSFERRED_GO_BACK:
		*transferred(t, d) = *transferred(&was, d) - 1;
		break;
	case ERRORS_GO_BACK:
		t->errors = seen->errors - 1;
		break;
	case MORE_TRANSFERS_THAN_COMPLETIONS:
		*transfers(t, d) = h->count + 1;
		break;
	case MORE_BYTES_TRANSFERRED_THAN_ENDED:
		*transferred(t, d) = t->ended_bytes[d] + 1;
		break;
	case MORE_ERRORS_THAN_COMPLETIONS:
		t->errors = t->latency[0].count + t->latency[1].count + 1;
		break;
	case MORE_IN_FLIGHT_THAN_GRANTED:
		t->started[d]++;
		break;
	case LIES:
		break;
	}
}

START_TEST(each_lie_is_refused_by_its_rule)
{
	struct direct_tally seen, now, lie;
	struct direct_tally zero = { 0 };

	story(&seen, &now);
	ck_assert(direct_tally_plausible(&zero, &seen, NOW_GRANTED));
	ck_assert(direct_tally_plausible(&seen, &now, NOW_GRANTED));
	for (unsigned d = 0; d < 2; d++) {
		lie = now;
		tell(&lie, &seen, (enum lie)_i, d);
		ck_assert_msg(memcmp(&lie, &now, sizeof(lie)) != 0,
			      "%s, direction %u: no lie", lie_name[_i], d);
		ck_assert_msg(!direct_tally_plausible(&seen, &lie, NOW_GRANTED),
			      "%s, direction %u: accepted", lie_name[_i], d);
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
	tcase_add_loop_test(tc, each_lie_is_refused_by_its_rule, 0, LIES);
	tcase_add_test(tc, copies_only_between_equal_even_counts);
	tcase_add_test(tc, sums_into_the_device_figures);
	suite_add_tcase(s, tc);
	return s;
}
