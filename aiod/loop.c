/*
 * loop.c -- aiod's single-threaded event loop: one epoll set over the FUSE
 * and CUSE session fds, the libaio completion eventfd, the signalfd and the
 * client pidfds.  Session fds are non-blocking and drained in full on each
 * wake-up, so a burst of ioctls costs one epoll_wait.  One thread keeps
 * client and daemon on warm caches, which measured fastest for FUSE round
 * trips, and needs no locking anywhere in the daemon.
 */
#define FUSE_USE_VERSION 312
#include "aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

struct session_source {
	struct loop_source src;		/* first: ready() gets &src */
	struct fuse_session *se;
	struct fuse_buf buf;
	struct session_source *next;
};

static int epfd = -1;
static struct session_source *sessions;
static bool session_ended;

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

/* Requests served per wake-up before the loop looks at its other sources
 * (level-triggered, so the rest are served on the next round). */
#define SESSION_BATCH 32

static void serve_session(struct loop_source *src)
{
	struct session_source *s = (struct session_source *)src;

	for (int i = 0; i < SESSION_BATCH; i++) {
		int n = fuse_session_receive_buf(s->se, &s->buf);

		if (n == -EAGAIN || n == -EINTR)
			return;
		if (n <= 0 || fuse_session_exited(s->se)) {
			if (n < 0)
				log_err("reading FUSE requests: %s",
					strerror(-n));
			session_ended = true;
			loop_remove(src);
			return;
		}
		fuse_session_process_buf(s->se, &s->buf);
	}
}

int loop_add_session(struct fuse_session *se)
{
	struct session_source *s = calloc(1, sizeof(*s));
	int fd = fuse_session_fd(se);

	if (!s)
		return -1;
	s->src = (struct loop_source){ fd, serve_session };
	s->se = se;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ||
	    loop_add(&s->src)) {
		free(s);
		return -1;
	}
	s->next = sessions;
	sessions = s;
	return 0;
}

void loop_pause_sessions(void)
{
	for (struct session_source *s = sessions; s; s = s->next)
		loop_remove(&s->src);
}

bool loop_session_ended(void)
{
	return session_ended;
}

void loop_shutdown(void)
{
	while (sessions) {
		struct session_source *s = sessions;

		sessions = s->next;
		free(s->buf.mem);
		free(s);
	}
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}
