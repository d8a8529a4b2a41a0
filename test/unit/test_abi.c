/* SPDX-License-Identifier: MIT */
/*
 * test_abi.c -- unit tests of abi.c: the command numbers of both ABIs are
 * recognised only in their own mode, i386 arguments are widened with the
 * right signs, and status batches are encoded in the caller's layout with
 * only the filled entries copied out.
 */
#include "unit.h"
#include "aiod/aiod.h"

#include <string.h>
#include <sys/async.h>

/* The i386 numbers, as a -m32 build of <sys/async.h> defines them. */
#define MLOCK32 _IOW(AIO_IOC_MAGIC, 1, char[8])
#define ASTRT32 _IOW(AIO_IOC_MAGIC, 2, char[20])
#define ASTAT32 _IOR(AIO_IOC_MAGIC, 3, char[184])

START_TEST(native_numbers)
{
	struct aio_cmd d = abi_decode(DKIOCASTRT, false);

	ck_assert_int_eq(d.op, AIO_OP_ASTRT);
	ck_assert(!d.compat);
	ck_assert_uint_eq(d.in_size, sizeof(AREQBUF));
	ck_assert_int_eq(abi_decode(DKIOCMLOCK, false).op, AIO_OP_MLOCK);
	d = abi_decode(DKIOCASTAT, false);
	ck_assert_int_eq(d.op, AIO_OP_ASTAT);
	ck_assert_uint_eq(d.out_size, sizeof(ASYNCSTATUS));
}
END_TEST

START_TEST(compat_numbers)
{
	ck_assert_int_eq(abi_decode(MLOCK32, true).op, AIO_OP_MLOCK);
	ck_assert_int_eq(abi_decode(ASTRT32, true).op, AIO_OP_ASTRT);
	ck_assert_int_eq(abi_decode(ASTAT32, true).op, AIO_OP_ASTAT);
	ck_assert(abi_decode(ASTRT32, true).compat);
}
END_TEST

START_TEST(numbers_only_in_their_abi)
{
	ck_assert_int_eq(abi_decode(DKIOCASTRT, true).op, AIO_OP_UNKNOWN);
	ck_assert_int_eq(abi_decode(ASTRT32, false).op, AIO_OP_UNKNOWN);
	ck_assert_int_eq(abi_decode(0x1234, false).op, AIO_OP_UNKNOWN);
	ck_assert_int_eq(abi_decode(_IOW(AIO_IOC_MAGIC, 2, char[7]), false).op,
			 AIO_OP_UNKNOWN);
}
END_TEST

START_TEST(request_native)
{
	AREQBUF r = { AU_READ, 77, (char *)0x7f0000001000, 4096,
		      (char *)0xdeadbeef };
	struct request_args a;

	abi_get_request(&r, false, &a);
	ck_assert_int_eq(a.cmd, AU_READ);
	ck_assert_int_eq(a.daddr, 77);
	ck_assert_uint_eq(a.maddr, 0x7f0000001000);
	ck_assert_int_eq(a.size, 4096);
	ck_assert_uint_eq(a.ref, 0xdeadbeef);
}
END_TEST

START_TEST(request_compat_sign_extends)
{
	int32_t r[5] = { AU_WRITE, -1, (int32_t)0xfff00200u, -512,
			 (int32_t)0x80000000u };
	struct request_args a;

	abi_get_request(r, true, &a);
	ck_assert_int_eq(a.cmd, AU_WRITE);
	ck_assert_int_eq(a.daddr, -1);		/* long: signed */
	ck_assert_uint_eq(a.maddr, 0xfff00200u);	/* pointer: not */
	ck_assert_int_eq(a.size, -512);
	ck_assert_uint_eq(a.ref, 0x80000000u);
}
END_TEST

START_TEST(mlock_both)
{
	ASYNCMLOCK m = { (char *)0x1000, 65536 };
	uint32_t m32[2] = { 0xf0000000u, 8192 };
	struct mlock_args a;

	abi_get_mlock(&m, false, &a);
	ck_assert_uint_eq(a.avaddr, 0x1000);
	ck_assert_uint_eq(a.asize, 65536);
	abi_get_mlock(m32, true, &a);
	ck_assert_uint_eq(a.avaddr, 0xf0000000u);
	ck_assert_uint_eq(a.asize, 8192);
}
END_TEST

START_TEST(status_batch_native)
{
	struct status st[2] = { { 0, 4096, 0x1000, 7 }, { 5, 0, 0x2000, 8 } };
	ASYNCSTATUS out;
	size_t n;

	memset(&out, 0xff, sizeof(out));
	n = abi_put_statuses(&out, false, st, 2);
	ck_assert_uint_eq(n, offsetof(ASYNCSTATUS, astatus) +
			     2 * sizeof(IOSTAT));
	ck_assert_int_eq(out.acount, 2);
	ck_assert_int_eq(out.astatus[0].iobsize, 4096);
	ck_assert_ptr_eq(out.astatus[0].iomaddr, (char *)0x1000);
	ck_assert_ptr_eq(out.astatus[1].ioref, (char *)8);
	ck_assert_int_eq(out.astatus[1].iostatus, 5);
}
END_TEST

START_TEST(status_batch_empty_and_full)
{
	struct status st[MAXSTATUS] = { { 0, 512, 0, 0 } };
	unsigned char out[sizeof(ASYNCSTATUS)];

	ck_assert_uint_eq(abi_put_statuses(out, false, st, 0),
			  offsetof(ASYNCSTATUS, astatus));
	ck_assert_uint_eq(abi_put_statuses(out, false, st, MAXSTATUS),
			  sizeof(ASYNCSTATUS));
	ck_assert_uint_eq(abi_put_statuses(out, true, st, MAXSTATUS), 184);
	ck_assert_uint_eq(abi_put_statuses(out, true, st, 0), 4);
}
END_TEST

START_TEST(status_batch_compat)
{
	struct status st[1] = { { 0, 1024, 0xbfff0000u, 0x12345678u } };
	unsigned char out[184];
	int32_t acount;
	int16_t bsize;
	uint32_t maddr, ref;

	ck_assert_uint_eq(abi_put_statuses(out, true, st, 1), 4 + 12);
	memcpy(&acount, out, 4);
	memcpy(&bsize, out + 6, 2);
	memcpy(&maddr, out + 8, 4);
	memcpy(&ref, out + 12, 4);
	ck_assert_int_eq(acount, 1);
	ck_assert_int_eq(bsize, 1024);
	ck_assert_uint_eq(maddr, 0xbfff0000u);
	ck_assert_uint_eq(ref, 0x12345678u);
}
END_TEST

Suite *abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *tc = tcase_create("abi");

	tcase_add_test(tc, native_numbers);
	tcase_add_test(tc, compat_numbers);
	tcase_add_test(tc, numbers_only_in_their_abi);
	tcase_add_test(tc, request_native);
	tcase_add_test(tc, request_compat_sign_extends);
	tcase_add_test(tc, mlock_both);
	tcase_add_test(tc, status_batch_native);
	tcase_add_test(tc, status_batch_empty_and_full);
	tcase_add_test(tc, status_batch_compat);
	suite_add_tcase(s, tc);
	return s;
}
