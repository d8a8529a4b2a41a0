/* SPDX-License-Identifier: MIT */
/*
 * test_attach_msg.c -- unit tests of attach_msg.c, the direct path's
 * socket messages: each encoded message parses back to itself; every
 * wrong length, magic, version, kind, padding and contradictory reply is
 * refused with the errno attach_msg.h names.
 */
#include "unit.h"
#include "aiod/attach_msg.h"

#include <errno.h>
#include <string.h>

static struct aio_msg_request attach_request(void)
{
	struct aio_msg_request rq = { .kind = AIO_MSG_ATTACH };

	for (unsigned i = 0; i < AIO_TOKEN_BYTES; i++)
		rq.token[i] = (uint8_t)(i * 17 + 3);
	return rq;
}

START_TEST(request_round_trip)
{
	unsigned char buf[AIO_MSG_REQUEST_BYTES];
	struct aio_msg_request rq = attach_request(), out;
	struct aio_msg_request grant = { .kind = AIO_MSG_GRANT, .want = 15 };

	ck_assert_uint_eq(attach_encode_request(&rq, buf), sizeof(buf));
	ck_assert_int_eq(attach_parse_request(buf, sizeof(buf), &out), 0);
	ck_assert_uint_eq(out.kind, AIO_MSG_ATTACH);
	ck_assert_mem_eq(out.token, rq.token, AIO_TOKEN_BYTES);
	attach_encode_request(&grant, buf);
	ck_assert_int_eq(attach_parse_request(buf, sizeof(buf), &out), 0);
	ck_assert_uint_eq(out.kind, AIO_MSG_GRANT);
	ck_assert_uint_eq(out.want, 15);
}
END_TEST

/* Each field spoilt in turn: the request is refused with EINVAL. */
START_TEST(request_refusals)
{
	unsigned char buf[AIO_MSG_REQUEST_BYTES + 1];
	struct aio_msg_request rq = attach_request(), out, bad;

	attach_encode_request(&rq, buf);
	ck_assert_int_eq(attach_parse_request(buf, sizeof(buf) - 2, &out),
			 EINVAL);
	ck_assert_int_eq(attach_parse_request(buf, sizeof(buf), &out), EINVAL);
	ck_assert_int_eq(attach_parse_request(buf, 0, &out), EINVAL);
	for (int field = 0; field < 6; field++) {
		memcpy(&bad, buf, sizeof(bad));
		switch (field) {
		case 0: bad.magic ^= 1; break;
		case 1: bad.version = AIO_ATTACH_VERSION + 1; break;
		case 2: bad.kind = 3; break;
		case 3: bad.pad = 1; break;
		case 4: bad.want = 1; break;	/* ATTACH wants nothing */
		case 5: bad.kind = AIO_MSG_GRANT; bad.want = 0; break;
		}
		ck_assert_msg(attach_parse_request(&bad, sizeof(bad), &out) ==
			      EINVAL, "spoilt field %d accepted", field);
	}
}
END_TEST

START_TEST(reply_round_trip_and_refusals)
{
	unsigned char buf[AIO_MSG_REPLY_BYTES];
	struct aio_msg_reply rp = { .kind = AIO_MSG_ATTACH,
				    .flags = AIO_REPLY_PAGE | AIO_REPLY_RDONLY,
				    .naioreqpp = 64, .size = 1 << 20,
				    .file_id = 7, .slot = AIO_DIRECT_SLOTS - 1 },
			     out, bad;

	attach_encode_reply(&rp, buf);
	ck_assert_int_eq(attach_parse_reply(buf, sizeof(buf), &out), 0);
	ck_assert_uint_eq(out.file_id, 7);
	ck_assert_uint_eq(out.flags, AIO_REPLY_PAGE | AIO_REPLY_RDONLY);
	ck_assert_uint_eq(out.slot, AIO_DIRECT_SLOTS - 1);
	ck_assert_int_eq(attach_parse_reply(buf, sizeof(buf) - 1, &out),
			 EINVAL);
	for (int field = 0; field < 9; field++) {
		memcpy(&bad, buf, sizeof(bad));
		switch (field) {
		case 0: bad.flags |= 64; break;		/* unknown flag */
		case 1: bad.err = -1; break;
		case 2: bad.granted = 1; break;		/* ATTACH grants none */
		case 3: bad.err = EACCES; break;	/* error with flags */
		case 4: bad.kind = AIO_MSG_GRANT; bad.flags = 0;
			bad.granted = 65; break;	/* over NAIOREQPP */
		case 5: bad.naioreqpp = 0; break;
		case 6: bad.slot = AIO_DIRECT_SLOTS; break;	/* no such slot */
		case 7: bad.reserved = 1; break;
		case 8: bad.kind = AIO_MSG_GRANT; bad.flags = 0;
			break;			/* a slot on a GRANT */
		}
		ck_assert_msg(attach_parse_reply(&bad, sizeof(bad), &out) ==
			      EPROTO, "contradiction %d accepted", field);
	}
	memcpy(&bad, buf, sizeof(bad));
	bad.magic = 0;
	ck_assert_int_eq(attach_parse_reply(&bad, sizeof(bad), &out), EINVAL);
}
END_TEST

Suite *attach_msg_suite(void)
{
	Suite *s = suite_create("attach_msg");
	TCase *tc = tcase_create("messages");

	tcase_add_test(tc, request_round_trip);
	tcase_add_test(tc, request_refusals);
	tcase_add_test(tc, reply_round_trip_and_refusals);
	suite_add_tcase(s, tc);
	return s;
}
