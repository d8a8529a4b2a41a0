/* SPDX-License-Identifier: MIT */
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

/* A process of uid asks to lock [addr, addr+size): the lock, or NULL if
 * the table does not let it. */
static struct mem_lock *lock(uid_t uid, uint64_t addr, uint64_t size)
{
	struct mem_lock *l = (struct mem_lock *)1;

	ck_assert_int_eq(locktbl_acquire(uid, 1234, addr, size, &l), 0);
	return l;
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
	struct mem_lock *l = lock(0, 0x10000, 8192);

	ck_assert_ptr_nonnull(l);
	ck_assert_uint_eq(locktbl_locks(), 1);
	ck_assert_uint_eq(locktbl_locked_bytes(), 8192);
	locktbl_release(l);
	ck_assert_uint_eq(locktbl_locks(), 0);
	ck_assert_uint_eq(locktbl_locked_bytes(), 0);
}
END_TEST

START_TEST(no_entry_or_zero_locks_nothing)
{
	struct lock_entry a[] = { { 1001, 0 } };

	ck_assert_int_eq(locktbl_load(a, 1, false), 0);
	ck_assert_ptr_null(lock(1000, 0x10000, 4096));	/* no entry */
	ck_assert_ptr_null(lock(1001, 0x10000, 4096));	/* 0 */
	ck_assert_uint_eq(locktbl_locks(), 0);
}
END_TEST

START_TEST(allowance_shared_by_a_users_processes)
{
	struct lock_entry a[] = { { 1000, 12288 } };
	struct mem_lock *p1, *p2, *p3;

	ck_assert_int_eq(locktbl_load(a, 1, false), 0);
	ck_assert_ptr_nonnull(p1 = lock(1000, 0x10000, 8192));
	ck_assert_ptr_null(lock(1000, 0x20000, 8192));	/* 16384 > 12288 */
	ck_assert_ptr_nonnull(p3 = lock(1000, 0x30000, 4096)); /* used up */
	locktbl_release(p1);			/* allowance returned */
	ck_assert_ptr_nonnull(p2 = lock(1000, 0x20000, 8192));
	locktbl_release(p2);
	locktbl_release(p3);
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
	struct mem_lock *l = lock(0, 0x10200, 8192);
	char *b;

	ck_assert_ptr_nonnull(l);
	b = locktbl_buffer(l, 0x11000);
	ck_assert_uint_eq((uintptr_t)b % 4096, 0);
	b[4095] = 1;
	locktbl_buffer_done(l);
	b = locktbl_buffer(l, 0x10200);
	ck_assert_uint_eq((uintptr_t)b % 4096, 0x200);
	locktbl_release(l);
	ck_assert(mapped(b));		/* a transfer still uses it */
	locktbl_buffer_done(l);
	ck_assert(!mapped(b));		/* unmapped after */
}
END_TEST

START_TEST(new_lock_while_old_memory_in_use)
{
	struct mem_lock *old = lock(0, 0x10000, 4096), *cur;
	char *a, *b;

	ck_assert_ptr_nonnull(old);
	a = locktbl_buffer(old, 0x10000);
	locktbl_release(old);		/* its file closed; a transfer runs */
	ck_assert_ptr_nonnull(cur = lock(0, 0x40000, 4096));
	b = locktbl_buffer(cur, 0x40000);
	ck_assert(mapped(a) && mapped(b));
	locktbl_buffer_done(old);
	ck_assert(!mapped(a));		/* the old memory goes */
	ck_assert(mapped(b));
	locktbl_buffer_done(cur);
	locktbl_release(cur);
	ck_assert(!mapped(b));
}
END_TEST

START_TEST(replace_keeps_room_for_users_holding_locks)
{
	struct lock_entry a[] = { { 1, 8192 }, { 2, 8192 }, { 3, 8192 } };
	struct lock_entry b[] = { { 4, 1 }, { 5, 1 }, { 6, 1 } };
	struct lock_entry c[] = { { 7, 1 }, { 8, 1 }, { 9, 1 } };
	struct mem_lock *p[3];

	ck_assert_int_eq(locktbl_load(a, 3, false), 0);
	for (int i = 0; i < 3; i++)
		ck_assert_ptr_nonnull(p[i] = lock((uid_t)i + 1, 0x10000,
						  4096));
	/* Users 1-3 keep their locks but leave the table. */
	ck_assert_int_eq(locktbl_load(b, 3, true), 0);
	ck_assert_uint_eq(locktbl_entries(), 3);
	ck_assert_int_eq(locktbl_load(c, 3, true), 0);
	ck_assert_uint_eq(locktbl_entries(), 3);
	for (int i = 0; i < 3; i++)
		locktbl_release(p[i]);
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
