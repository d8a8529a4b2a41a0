/* SPDX-License-Identifier: MIT */
/*
 * loop.c -- aiod's single-threaded event loop: one epoll set over whatever
 * the daemon waits on (the front ends' session fds, the libaio completion
 * eventfd, the signalfd, the client pidfds), each a loop_source whose
 * ready() runs when its fd is readable.  One thread keeps client and
 * daemon on warm caches, which measured fastest for FUSE round trips, and
 * needs no locking anywhere in the daemon.
 */
#include "aiod.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

/* The events of the batch being dispatched: a source removed meanwhile
 * (a caller retired by a request served earlier in the batch, say) is
 * struck from the rest, so its ready() never runs on freed memory. */
#define BATCH 32
static struct epoll_event batch[BATCH];
static int batch_len, batch_next;

static int epfd = -1;

int loop_init(void)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		log_err("epoll_create1: %s", strerror(errno));
	return epfd < 0 ? -1 : 0;
}

int loop_add(struct loop_source *src)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, src->fd, &ev);
}

void loop_remove(struct loop_source *src)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, src->fd, NULL);
	for (int i = batch_next; i < batch_len; i++)
		if (batch[i].data.ptr == src)
			batch[i].data.ptr = NULL;
}

int loop_run_once(int timeout_ms, void (*after)(void))
{
	int n = epoll_wait(epfd, batch, BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (batch_len = n, batch_next = 0; batch_next < batch_len;) {
		struct loop_source *src = batch[batch_next++].data.ptr;

		if (src)
			src->ready(src);
	}
	batch_len = batch_next = 0;
	after();
	return 0;
}

void loop_shutdown(void)
{
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}
