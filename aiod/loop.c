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
}

int loop_run_once(int timeout_ms, void (*after)(void))
{
	struct epoll_event ev[32];
	int n = epoll_wait(epfd, ev, 32, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	for (int i = 0; i < n; i++) {
		struct loop_source *src = ev[i].data.ptr;

		src->ready(src);
	}
	after();
	return 0;
}

void loop_shutdown(void)
{
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}
