/* SPDX-License-Identifier: MIT */
/*
 * attach_msg.c -- encoding and parsing of the attach socket's messages
 * (attach_msg.h): fixed-size records, copied byte for byte so that an
 * unaligned or short buffer is never read as a structure, and checked
 * field by field before anything acts on them.
 */
#include "attach_msg.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

_Static_assert(sizeof(struct aio_msg_request) == 32, "request layout");
_Static_assert(sizeof(struct aio_msg_reply) == 48, "reply layout");
_Static_assert(sizeof(struct aio_attach) == 96, "AIOC_ATTACH layout");
_Static_assert(sizeof(struct aio_direct_page) == 56, "page layout");
_Static_assert(sizeof(struct aio_direct_page) <= AIO_DIRECT_SLOT_OFFSET,
	       "the slots follow the page");
_Static_assert(sizeof(struct aio_direct_slot) == AIO_DIRECT_SLOT_BYTES &&
	       offsetof(struct aio_direct_slot, started) == 8 &&
	       offsetof(struct aio_direct_slot, reads) == 56 &&
	       offsetof(struct aio_direct_slot, latency) == 96 &&
	       offsetof(struct aio_direct_slot, reserved) == 640,
	       "slot layout");

size_t attach_encode_request(const struct aio_msg_request *rq, void *out)
{
	struct aio_msg_request m = *rq;

	m.magic = AIO_MSG_MAGIC;
	m.version = AIO_ATTACH_VERSION;
	m.pad = 0;
	memcpy(out, &m, sizeof(m));
	return sizeof(m);
}

size_t attach_encode_reply(const struct aio_msg_reply *rp, void *out)
{
	struct aio_msg_reply m = *rp;

	m.magic = AIO_MSG_MAGIC;
	m.version = AIO_ATTACH_VERSION;
	memcpy(out, &m, sizeof(m));
	return sizeof(m);
}

int attach_parse_request(const void *buf, size_t len,
			 struct aio_msg_request *out)
{
	struct aio_msg_request m;

	if (len != sizeof(m))
		return EINVAL;
	memcpy(&m, buf, sizeof(m));
	if (m.magic != AIO_MSG_MAGIC || m.version != AIO_ATTACH_VERSION ||
	    m.pad != 0)
		return EINVAL;
	if (m.kind == AIO_MSG_ATTACH ? m.want != 0
	    : m.kind != AIO_MSG_GRANT || m.want == 0)
		return EINVAL;
	*out = m;
	return 0;
}

int attach_parse_reply(const void *buf, size_t len,
		       struct aio_msg_reply *out)
{
	struct aio_msg_reply m;

	if (len != sizeof(m))
		return EINVAL;
	memcpy(&m, buf, sizeof(m));
	if (m.magic != AIO_MSG_MAGIC || m.version != AIO_ATTACH_VERSION ||
	    (m.kind != AIO_MSG_ATTACH && m.kind != AIO_MSG_GRANT))
		return EINVAL;
	if (m.err < 0 || m.flags & ~(AIO_REPLY_RDONLY | AIO_REPLY_WRITEBACK |
				     AIO_REPLY_PAGE | AIO_REPLY_DEVICE_RO))
		return EPROTO;
	if (m.kind == AIO_MSG_GRANT ? m.flags != 0 || m.granted > m.naioreqpp
	    : m.granted != 0 || (m.err == 0 && m.naioreqpp == 0))
		return EPROTO;
	if (m.err && (m.flags || m.granted))
		return EPROTO;
	if (m.reserved || m.slot >= AIO_DIRECT_SLOTS ||
	    (m.slot && (m.kind != AIO_MSG_ATTACH || m.err)))
		return EPROTO;
	*out = m;
	return 0;
}

size_t attach_each_fd(struct msghdr *mh, void (*take)(int fd, void *ctx),
		      void *ctx)
{
	size_t n = 0;

	for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h; h = CMSG_NXTHDR(mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t k = 0; k < (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		     k++, n++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + k * sizeof(int), sizeof(fd));
			take(fd, ctx);
		}
	}
	return n;
}
