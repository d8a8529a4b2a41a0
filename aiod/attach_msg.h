/* SPDX-License-Identifier: MIT */
/*
 * attach_msg.h -- the direct path's socket messages (scoaio/direct.h) as
 * pure functions: encode into a buffer, parse and validate from one.  No
 * state, no system calls: aiod and libasync(3) compile the same
 * attach_msg.c, and test/fuzz/fuzz_attach.c feeds it arbitrary bytes.
 */
#ifndef AIOD_ATTACH_MSG_H
#define AIOD_ATTACH_MSG_H

#include <stddef.h>
#include <sys/socket.h>
#include <scoaio/direct.h>

#define AIO_MSG_REQUEST_BYTES	sizeof(struct aio_msg_request)
#define AIO_MSG_REPLY_BYTES	sizeof(struct aio_msg_reply)

/* Encode a request or a reply into out (at least the _BYTES above);
 * returns the bytes to send. */
size_t attach_encode_request(const struct aio_msg_request *rq, void *out);
size_t attach_encode_reply(const struct aio_msg_reply *rp, void *out);

/* Parse len bytes: 0 and *out filled, or EINVAL (wrong length, magic,
 * version or kind, a GRANT of 0, non-zero padding) or EPROTO (a reply
 * whose fields contradict each other). */
int attach_parse_request(const void *buf, size_t len,
			 struct aio_msg_request *out);
int attach_parse_reply(const void *buf, size_t len,
		       struct aio_msg_reply *out);

/* Hand each descriptor a received message (mh, filled by recvmsg) carries
 * by SCM_RIGHTS to take(fd, ctx), in order; returns how many there were.
 * The receiver owns them all: take keeps or closes each. */
size_t attach_each_fd(struct msghdr *mh, void (*take)(int fd, void *ctx),
		      void *ctx);

#endif /* AIOD_ATTACH_MSG_H */
