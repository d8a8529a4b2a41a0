/* SPDX-License-Identifier: MIT */
/*
 * loop.c -- aiod's single-threaded event loop: one epoll set over whatever
 * the daemon waits on (the front ends' session fds, the libaio completion
 * eventfd, the signalfd, the client pidfds), each a loop_source whose
 * ready() runs when its fd is readable.  One thread keeps client and
 * daemon on warm caches, which measured fastest for FUSE round trips, and
 * needs no locking anywhere in the daemon.  After a wait that found work
 * the loop looks again without sleeping for up to the BUSYPOLL tunable's
 * microseconds: a program polling DKIOCASTAT sends its next request a few
 * microseconds after each answer, and finding it awake saves the
 * daemon's wake-up, which costs more than serving the request.
 */
#include "aiod.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* The events of the batch being dispatched: a source removed meanwhile
 * (a caller retired by a request served earlier in the batch, say) is
 * struck from the rest, so its ready() never runs on freed memory. */
#define BATCH 32
static struct epoll_event batch[BATCH];
static int batch_len, batch_next;

static int epfd = -1;
static int64_t busy_poll_ns;	/* 0: always sleep in epoll_wait */
static bool found_work;		/* by the last wait */

static int64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int loop_init(unsigned busy_poll_us)
{
	busy_poll_ns = (int64_t)busy_poll_us * 1000;
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
	int n = 0;

	if (found_work && busy_poll_ns && timeout_ms != 0) {
		int64_t until = monotonic_ns() + busy_poll_ns;

		/* Each look yields first: a client woken on this CPU (by
		 * the answer just sent) runs at once instead of after the
		 * poll, so polling never delays what it waits for. */
		do {
			sched_yield();
			n = epoll_wait(epfd, batch, BATCH, 0);
		} while (n == 0 && monotonic_ns() < until);
	}
	if (n == 0)
		n = epoll_wait(epfd, batch, BATCH, timeout_ms);
	found_work = n > 0;
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
