/* SPDX-License-Identifier: MIT */
/*
 * fuzz_attach.c -- libFuzzer target for the direct path's socket messages
 * (aiod/attach_msg.c), which aiod parses from any local process and
 * libasync from its socket: every input is parsed as a request and as a
 * reply.  Whatever parses must encode back to the same bytes (after the
 * fields the encoder sets), and must satisfy the invariants the callers
 * rely on.
 */
#include "aiod/attach_msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char again[AIO_MSG_REPLY_BYTES];
	struct aio_msg_request rq;
	struct aio_msg_reply rp;

	if (attach_parse_request(data, size, &rq) == 0) {
		if (size != AIO_MSG_REQUEST_BYTES ||
		    (rq.kind == AIO_MSG_GRANT) != (rq.want != 0) ||
		    attach_encode_request(&rq, again) != size ||
		    memcmp(again, data, size))
			abort();
	}
	if (attach_parse_reply(data, size, &rp) == 0) {
		if (size != AIO_MSG_REPLY_BYTES || rp.err < 0 ||
		    (rp.kind == AIO_MSG_GRANT && rp.granted > rp.naioreqpp) ||
		    attach_encode_reply(&rp, again) != size ||
		    memcmp(again, data, size))
			abort();
	}
	return 0;
}
