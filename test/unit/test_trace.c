/* SPDX-License-Identifier: MIT */
/*
 * test_trace.c -- unit tests of trace.c, aiotrace's rings in aiod: the
 * flag is up exactly while a tracer is open, a tracer other than root's
 * sees only its own uid's records, -p keeps one pid, records come out in
 * order with their device, a full ring drops and counts, empty polls in a
 * row share a record, one tracer per
 * open file, and a closed file's tracer is gone.
 */
#include "unit.h"
#include "aiod/aiod.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <scoaio/ioctl.h>

static struct device devs[2];
static struct device *const listed[2] = { &devs[0], &devs[1] };
static int file_a, file_b;		/* stand for two open files */
static struct aio_trace_batch batch;

static void setup(void) { admin_init(listed, 2); }
static void teardown(void) { trace_shutdown(); }

static bool tracing(void)
{
	return atomic_load_explicit(&trace_on, memory_order_relaxed);
}

static void record(int dev, pid_t pid, uid_t uid, uint64_t ref)
{
	struct aio_trace_rec r = { .kind = AIO_TRACE_ASTRT, .cmd = AU_READ,
				   .ref = ref };

	trace_record(&devs[dev], pid, uid, &r);
}

START_TEST(flag_follows_the_tracers)
{
	struct requester root = { 100, 0, 0 };

	ck_assert(!tracing());
	ck_assert_int_eq(trace_open(&file_a, &root, 0), 0);
	ck_assert(tracing());
	ck_assert_int_eq(trace_open(&file_b, &root, 0), 0);
	ck_assert_uint_eq(trace_tracers(), 2);
	trace_file_closed(&file_a);
	ck_assert(tracing());
	trace_file_closed(&file_b);
	ck_assert(!tracing());
	ck_assert_uint_eq(trace_tracers(), 0);
	ck_assert_int_eq(trace_read(&file_b, &batch), EINVAL);
}
END_TEST

START_TEST(one_tracer_per_file)
{
	struct requester root = { 100, 0, 0 };

	ck_assert_int_eq(trace_open(&file_a, &root, 0), 0);
	ck_assert_int_eq(trace_open(&file_a, &root, 0), EBUSY);
	ck_assert_uint_eq(trace_tracers(), 1);
}
END_TEST

START_TEST(user_sees_own_uid_root_sees_all)
{
	struct requester user = { 200, 1000, 1000 }, root = { 100, 0, 0 };

	ck_assert_int_eq(trace_open(&file_a, &user, 0), 0);
	ck_assert_int_eq(trace_open(&file_b, &root, 0), 0);
	record(0, 300, 0, 1);		/* root's process */
	record(1, 301, 1000, 2);	/* the user's */
	record(0, 302, 1001, 3);	/* another user's */
	ck_assert_int_eq(trace_read(&file_a, &batch), 0);
	ck_assert_uint_eq(batch.count, 1);
	ck_assert_uint_eq(batch.rec[0].pid, 301);
	ck_assert_uint_eq(batch.rec[0].uid, 1000);
	ck_assert_uint_eq(batch.rec[0].device, 1);
	ck_assert_uint_eq(batch.rec[0].ref, 2);
	ck_assert(batch.rec[0].time_ns > 0);
	ck_assert_int_eq(trace_read(&file_b, &batch), 0);
	ck_assert_uint_eq(batch.count, 3);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(batch.rec[i].ref, i + 1);	/* in order */
	ck_assert_int_eq(trace_read(&file_b, &batch), 0);
	ck_assert_uint_eq(batch.count, 0);			/* taken */
}
END_TEST

START_TEST(pid_filter_keeps_one_process)
{
	struct requester root = { 100, 0, 0 };

	ck_assert_int_eq(trace_open(&file_a, &root, 301), 0);
	record(0, 300, 0, 1);
	record(0, 301, 0, 2);
	ck_assert_int_eq(trace_read(&file_a, &batch), 0);
	ck_assert_uint_eq(batch.count, 1);
	ck_assert_uint_eq(batch.rec[0].pid, 301);
	ck_assert_uint_eq(batch.dropped, 0);
}
END_TEST

START_TEST(full_ring_drops_and_counts)
{
	struct requester root = { 100, 0, 0 };
	uint64_t seen = 0, next = 0;

	ck_assert_int_eq(trace_open(&file_a, &root, 0), 0);
	for (uint64_t i = 0; i < AIO_TRACE_RING + 10; i++)
		record(0, 300, 0, i);
	do {
		ck_assert_int_eq(trace_read(&file_a, &batch), 0);
		ck_assert_uint_le(batch.count, AIO_TRACE_BATCH);
		for (uint32_t i = 0; i < batch.count; i++)
			ck_assert_uint_eq(batch.rec[i].ref, next++);
		seen += batch.count;
	} while (batch.count);
	ck_assert_uint_eq(seen, AIO_TRACE_RING);	/* the oldest kept */
	ck_assert_uint_eq(batch.dropped, 10);
	record(0, 300, 0, 7);				/* room again */
	ck_assert_int_eq(trace_read(&file_a, &batch), 0);
	ck_assert_uint_eq(batch.count, 1);
	ck_assert_uint_eq(batch.dropped, 10);		/* all told */
}
END_TEST

START_TEST(empty_polls_in_a_row_share_a_record)
{
	struct requester root = { 100, 0, 0 };
	struct aio_trace_rec poll = { .kind = AIO_TRACE_ASTAT };
	struct aio_trace_rec got = { .kind = AIO_TRACE_ASTAT, .count = 2 };

	ck_assert_int_eq(trace_open(&file_a, &root, 0), 0);
	for (int i = 0; i < 5; i++) {
		struct aio_trace_rec r = poll;

		trace_record(&devs[0], 300, 0, &r);
	}
	trace_record(&devs[1], 300, 0, &poll);	/* another device */
	trace_record(&devs[0], 301, 0, &poll);	/* another thread */
	trace_record(&devs[0], 300, 0, &got);	/* not empty */
	trace_record(&devs[0], 300, 0, &poll);
	ck_assert_int_eq(trace_read(&file_a, &batch), 0);
	ck_assert_uint_eq(batch.count, 5);
	ck_assert_uint_eq(batch.rec[0].repeat, 5);
	ck_assert_uint_eq(batch.rec[1].repeat, 1);
	ck_assert_uint_eq(batch.rec[1].device, 1);
	ck_assert_uint_eq(batch.rec[2].pid, 301);
	ck_assert_int_eq(batch.rec[3].count, 2);
	ck_assert_uint_eq(batch.rec[4].repeat, 1);
	trace_record(&devs[0], 300, 0, &poll);	/* the last one was read */
	ck_assert_int_eq(trace_read(&file_a, &batch), 0);
	ck_assert_uint_eq(batch.count, 1);
}
END_TEST

START_TEST(at_most_sixteen_tracers)
{
	struct requester root = { 100, 0, 0 };
	char files[17];

	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(trace_open(&files[i], &root, 0), 0);
	ck_assert_int_eq(trace_open(&files[16], &root, 0), EAGAIN);
	trace_file_closed(&files[3]);
	ck_assert_int_eq(trace_open(&files[16], &root, 0), 0);
}
END_TEST

Suite *trace_suite(void)
{
	Suite *s = suite_create("trace");
	TCase *tc = tcase_create("rings");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, flag_follows_the_tracers);
	tcase_add_test(tc, one_tracer_per_file);
	tcase_add_test(tc, user_sees_own_uid_root_sees_all);
	tcase_add_test(tc, pid_filter_keeps_one_process);
	tcase_add_test(tc, full_ring_drops_and_counts);
	tcase_add_test(tc, empty_polls_in_a_row_share_a_record);
	tcase_add_test(tc, at_most_sixteen_tracers);
	suite_add_tcase(s, tc);
	return s;
}
