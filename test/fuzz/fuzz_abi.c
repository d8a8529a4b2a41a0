/* SPDX-License-Identifier: MIT */
/*
 * fuzz_abi.c -- libFuzzer target for the ioctl path aiod takes before any
 * client memory is touched: abi.c decodes the command number in either
 * ABI (LP64 or i386) and widens the argument the kernel copied in, and
 * rules.c validates it against a region and a partition the input also
 * chooses.  Each buffer is allocated at exactly the size abi_decode()
 * says the kernel copies, so a read or write past it is an ASan report;
 * a status encoding larger than the command's out size aborts.
 * Input: cmd (4 bytes), flags (1), region and target (3 x 8), then the
 * argument bytes.
 */
#include "aiod/aiod.h"

#include <stdlib.h>
#include <string.h>
#include <sys/async.h>

static uint64_t take64(const uint8_t **p)
{
	uint64_t v;

	memcpy(&v, *p, sizeof(v));
	*p += sizeof(v);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	unsigned int cmd;
	uint8_t flags;
	struct aio_region region;
	struct aio_target target;
	struct aio_cmd c;
	void *in;
	size_t left;

	if (size < 4 + 1 + 3 * 8)
		return 0;
	memcpy(&cmd, p, 4);
	p += 4;
	flags = *p++;
	region.addr = take64(&p);
	region.size = take64(&p);
	region.held = flags & 2;
	target.size = take64(&p);
	target.readable = flags & 4;
	target.writable = flags & 8;
	left = size - (size_t)(p - data);

	c = abi_decode(cmd, flags & 1);
	if (c.op == AIO_OP_UNKNOWN || c.in_size > left)
		return 0;
	in = malloc(c.in_size ? c.in_size : 1);
	if (!in)
		return 0;
	memcpy(in, p, c.in_size);
	switch (c.op) {
	case AIO_OP_MLOCK: {
		struct mlock_args m;
		enum rules_mlock_action action;

		abi_get_mlock(in, c.compat, &m);
		(void)rules_check_mlock(&m, &region, &action);
		break;
	}
	case AIO_OP_ASTRT: {
		struct request_args rq;

		abi_get_request(in, c.compat, &rq);
		(void)rules_check_request(&rq, &region, &target);
		break;
	}
	case AIO_OP_ASTAT: {
		struct status st[MAXSTATUS];
		size_t n = rules_status_count(left / sizeof(struct status));
		void *out = malloc(c.out_size ? c.out_size : 1);

		if (!out)
			break;
		if (n > MAXSTATUS)
			abort();
		memset(st, 0, sizeof(st));
		memcpy(st, p, n * sizeof(*st));
		if (abi_put_statuses(out, c.compat, st, n) > c.out_size)
			abort();
		free(out);
		break;
	}
	default:
		break;
	}
	free(in);
	return 0;
}
