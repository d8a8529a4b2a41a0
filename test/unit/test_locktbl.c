/*
 * test_locktbl.c -- unit tests of locktbl.c: loading adds and revises
 * entries, --replace drops the rest, the table never exceeds NAIOLOCKTBL,
 * and locks are granted within a user's allowance summed over that user's
 * processes (root always, 0 never), with the allowance returned on release.
 */
#include "unit.h"
#include "aiod/aiod.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

static void setup(void) { ck_assert_int_eq(locktbl_init(3, 4), 0); }
static void teardown(void) { locktbl_shutdown(); }

static struct caller process(uid_t uid, uint64_t addr, uint64_t size)
{
	return (struct caller){ .uid = uid, .lock_addr = addr,
				.lock_size = size };
}

START_TEST(load_adds_and_revises)
{
	struct lock_entry a[] = { { 1000, 8192 }, { 1001, 0 } };
	struct lock_entry b[] = { { 1000, 4096 }, { 1002, 100 } };

	ck_assert_int_eq(locktbl_load(a, 2, false), 0);
	ck_assert_uint_eq(locktbl_entries(), 2);
	ck_assert_int_eq(locktbl_load(b, 2, false), 0);
	ck_assert_uint_eq(locktbl_entries(), 3);
}
END_TEST

START_TEST(load_over_capacity_changes_nothing)
{
	struct lock_entry a[] = { { 1, 1 }, { 2, 1 }, { 3, 1 } };
	struct lock_entry b[] = { { 4, 1 } };

	ck_assert_int_eq(locktbl_load(a, 3, false), 0);
	ck_assert_int_eq(locktbl_load(b, 1, false), ENOSPC);
	ck_assert_uint_eq(locktbl_entries(), 3);
	ck_assert_int_eq(locktbl_load(b, 1, true), 0);	/* replace fits */
	ck_assert_uint_eq(locktbl_entries(), 1);
}
END_TEST

START_TEST(duplicates_in_one_load_count_once)
{
	struct lock_entry a[] = { { 7, 1 }, { 7, 2 }, { 8, 1 }, { 9, 1 } };

	ck_assert_int_eq(locktbl_load(a, 4, false), 0);
	ck_assert_uint_eq(locktbl_entries(), 3);
}
END_TEST

START_TEST(root_always_locks)
{
	struct caller c = process(0, 0x10000, 8192);

	ck_assert_int_eq(lock_acquire(&c), 0);
	ck_assert(c.lock_held);
	ck_assert_uint_eq(locks_held(), 1);
	ck_assert_uint_eq(locks_bytes(), 8192);
	lock_release(&c);
	ck_assert(!c.lock_held);
	ck_assert_uint_eq(locks_held(), 0);
}
END_TEST

START_TEST(no_entry_or_zero_locks_nothing)
{
	struct lock_entry a[] = { { 1001, 0 } };
	struct caller none = process(1000, 0x10000, 4096);
	struct caller zero = process(1001, 0x10000, 4096);

	ck_assert_int_eq(locktbl_load(a, 1, false), 0);
	ck_assert_int_eq(lock_acquire(&none), 0);
	ck_assert(!none.lock_held);
	ck_assert_int_eq(lock_acquire(&zero), 0);
	ck_assert(!zero.lock_held);
	ck_assert_uint_eq(locks_held(), 0);
}
END_TEST

START_TEST(allowance_shared_by_a_users_processes)
{
	struct lock_entry a[] = { { 1000, 12288 } };
	struct caller p1 = process(1000, 0x10000, 8192);
	struct caller p2 = process(1000, 0x20000, 8192);
	struct caller p3 = process(1000, 0x30000, 4096);

	ck_assert_int_eq(locktbl_load(a, 1, false), 0);
	ck_assert_int_eq(lock_acquire(&p1), 0);
	ck_assert(p1.lock_held);
	ck_assert_int_eq(lock_acquire(&p2), 0);
	ck_assert(!p2.lock_held);		/* 16384 > 12288 */
	ck_assert_int_eq(lock_acquire(&p3), 0);
	ck_assert(p3.lock_held);		/* exactly used up */
	lock_release(&p1);			/* allowance returned */
	p2 = process(1000, 0x20000, 8192);
	ck_assert_int_eq(lock_acquire(&p2), 0);
	ck_assert(p2.lock_held);
	lock_release(&p2);
	lock_release(&p3);
}
END_TEST

static bool mapped(const void *p)
{
	unsigned char vec;

	return mincore((void *)((uintptr_t)p & ~(uintptr_t)4095), 4096,
		       &vec) == 0;
}

START_TEST(lock_buffer_keeps_alignment)
{
	struct caller c = process(0, 0x10200, 8192);
	struct lock_memory *m;
	char *b;

	ck_assert_int_eq(lock_acquire(&c), 0);
	b = lock_buffer(&c, 0x11000, &m);
	ck_assert_uint_eq((uintptr_t)b % 4096, 0);
	b[4095] = 1;
	lock_buffer_done(m);
	b = lock_buffer(&c, 0x10200, &m);
	ck_assert_uint_eq((uintptr_t)b % 4096, 0x200);
	lock_release(&c);
	ck_assert(mapped(b));		/* a transfer still uses it */
	lock_buffer_done(m);
	ck_assert(!mapped(b));		/* unmapped after */
}
END_TEST

START_TEST(new_lock_while_old_memory_in_use)
{
	struct caller c = process(0, 0x10000, 4096);
	struct lock_memory *old, *cur;
	char *a, *b;

	ck_assert_int_eq(lock_acquire(&c), 0);
	a = lock_buffer(&c, 0x10000, &old);
	lock_release(&c);		/* its file closed; a transfer runs */
	c = process(0, 0x40000, 4096);
	ck_assert_int_eq(lock_acquire(&c), 0);
	b = lock_buffer(&c, 0x40000, &cur);
	ck_assert(mapped(a) && mapped(b));
	lock_buffer_done(old);
	ck_assert(!mapped(a));		/* the old memory goes */
	ck_assert(mapped(b));
	lock_buffer_done(cur);
	lock_release(&c);
	ck_assert(!mapped(b));
}
END_TEST

START_TEST(replace_keeps_room_for_users_holding_locks)
{
	struct lock_entry a[] = { { 1, 8192 }, { 2, 8192 }, { 3, 8192 } };
	struct lock_entry b[] = { { 4, 1 }, { 5, 1 }, { 6, 1 } };
	struct lock_entry c[] = { { 7, 1 }, { 8, 1 }, { 9, 1 } };
	struct caller p[3] = { process(1, 0x10000, 4096),
			       process(2, 0x10000, 4096),
			       process(3, 0x10000, 4096) };

	ck_assert_int_eq(locktbl_load(a, 3, false), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(lock_acquire(&p[i]), 0);
		ck_assert(p[i].lock_held);
	}
	/* Users 1-3 keep their locks but leave the table. */
	ck_assert_int_eq(locktbl_load(b, 3, true), 0);
	ck_assert_uint_eq(locktbl_entries(), 3);
	ck_assert_int_eq(locktbl_load(c, 3, true), 0);
	ck_assert_uint_eq(locktbl_entries(), 3);
	for (int i = 0; i < 3; i++)
		lock_release(&p[i]);
}
END_TEST

Suite *locktbl_suite(void)
{
	Suite *s = suite_create("locktbl");
	TCase *tc = tcase_create("locktbl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, load_adds_and_revises);
	tcase_add_test(tc, load_over_capacity_changes_nothing);
	tcase_add_test(tc, duplicates_in_one_load_count_once);
	tcase_add_test(tc, root_always_locks);
	tcase_add_test(tc, no_entry_or_zero_locks_nothing);
	tcase_add_test(tc, allowance_shared_by_a_users_processes);
	tcase_add_test(tc, lock_buffer_keeps_alignment);
	tcase_add_test(tc, new_lock_while_old_memory_in_use);
	tcase_add_test(tc, replace_keeps_room_for_users_holding_locks);
	suite_add_tcase(s, tc);
	return s;
}
