/* SPDX-License-Identifier: MIT */
/*
 * direct.c -- the control side of libasync's direct path (aiod(8), DIRECT
 * PATH).  AIOC_ATTACH on an open device gives the calling process a
 * one-time token bound to its tgid and uid and to that open file; the
 * process presents it on aiod's abstract unix socket, where the kernel's
 * SO_PEERCRED must name the same process and user; aiod then sends by
 * SCM_RIGHTS a new O_DIRECT descriptor of exactly that partition (its
 * own whole block device, or a slice's dm-linear device; backend.c
 * decides) and, once per
 * connection, a shared page (memfd) of counters, with a slot for each
 * device the process attached, whose figures AIOC_DEVINFO adds to the
 * device's own and which are folded into them when the connection ends
 * (direct_tally.c checks them).  Request credits for
 * NAIOREQPP and NAIOREQ are granted on the connection and reserved in
 * quota.c; credits an attached process holds unused are reclaimed when
 * another process runs short, and all come back when the connection ends
 * (exit, exec, or libasync's fork handler closes it).  Everything runs on
 * the event loop and never blocks: non-blocking accept and receive, one
 * fixed-size message per read, and a connection that sends anything
 * unexpected, or more than it reads, is closed.
 */
#include "aiod.h"
#include "attach_msg.h"
#include "direct_tally.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define TOKENS_MAX	256	/* outstanding tokens; the oldest goes */
#define PENDING_MAX	64	/* connections not yet attached */
#define PAGE_BYTES	AIO_DIRECT_MAP_BYTES

struct token {
	uint8_t bytes[AIO_TOKEN_BYTES];
	struct caller *caller;		/* held while the token is live */
	struct device *dev;
	uint64_t file_id;
	bool readable, writable;
	bool used;
	time_t expires;		/* CLOCK_MONOTONIC seconds */
};

/* A device slot of a session: its device (NULL: free, unless retired)
 * and the figures last accepted from it, which count as the device's
 * own. */
struct direct_slot {
	struct device *dev;
	bool retired;			/* its device was removed: never
					   reused, the client's counts in it
					   were that device's */
	struct direct_tally seen;
};

struct direct_session {
	struct loop_source src;		/* first: ready() gets &src */
	pid_t pid;			/* SO_PEERCRED at connect */
	uid_t uid;
	struct caller *caller;		/* held once attached */
	struct aio_direct_page *page;	/* shared with the client */
	int pagefd;
	bool page_sent;
	struct direct_slot *slots;	/* AIO_DIRECT_SLOTS, with the page */
	unsigned granted;		/* credits reserved in quota.c */
	LIST_ENTRY(direct_session) link;
};

static struct token tokens[TOKENS_MAX];
static unsigned next_token;
static struct loop_source listener = { -1, NULL };
static char sockname[AIO_SOCKNAME_MAX];
static LIST_HEAD(, direct_session) sessions =
	LIST_HEAD_INITIALIZER(sessions);
static unsigned npending;
static bool tracing;
static uint64_t total_of_ended;	/* direct requests of ended sessions */
static uint32_t max_of_ended;	/* the most one ended session held */

static time_t now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* ---- the shared page ------------------------------------------------ */

static struct aio_direct_page *page_new(int *fd)
{
	struct aio_direct_page *p;

	*fd = memfd_create("scoaio-direct", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (*fd < 0)
		return NULL;
	/* Sealed at its size: a client cannot shrink it under aiod's
	 * mapping (which would end aiod with SIGBUS). */
	if (ftruncate(*fd, PAGE_BYTES) ||
	    fcntl(*fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) ||
	    (p = mmap(NULL, PAGE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
		      *fd, 0)) == MAP_FAILED) {
		close(*fd);
		*fd = -1;
		return NULL;
	}
	p->magic = AIO_MSG_MAGIC;	/* before the page is sent */
	/* Daemon-only field: store-release, the client load-acquires. */
	atomic_store_explicit((_Atomic uint32_t *)&p->tracing, tracing,
			      memory_order_release);
	return p;
}

/* The region fields under a sequence count: odd while they change. */
static void page_put_region(struct aio_direct_page *p,
			    const struct aio_region *r)
{
	_Atomic uint32_t *seq = (_Atomic uint32_t *)&p->region_seq;
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

	atomic_store_explicit(seq, s | 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit((_Atomic uint64_t *)&p->region_addr, r->addr,
			      memory_order_relaxed);
	atomic_store_explicit((_Atomic uint64_t *)&p->region_size, r->size,
			      memory_order_relaxed);
	atomic_store_explicit((_Atomic uint32_t *)&p->region_held, r->held,
			      memory_order_relaxed);
	/* Release: the fields above before the even count. */
	atomic_store_explicit(seq, (s | 1) + 1, memory_order_release);
}

static unsigned session_held(const struct direct_session *s)
{
	/* Acquire: pairs with the client's store-release of held. */
	uint32_t held = atomic_load_explicit((_Atomic uint32_t *)&s->page->held,
					     memory_order_acquire);

	return held < s->granted ? held : s->granted;
}

static uint64_t session_total(const struct direct_session *s)
{
	/* Acquire: pairs with the client's store-release. */
	return atomic_load_explicit(
		(_Atomic uint64_t *)&s->page->requests_total,
		memory_order_acquire);
}

static uint32_t session_max(const struct direct_session *s)
{
	/* Acquire: pairs with the client's store-release; a number no
	 * larger than NAIOREQPP, whatever the client wrote. */
	uint32_t m = atomic_load_explicit((_Atomic uint32_t *)&s->page->held_max,
					  memory_order_acquire);
	uint32_t pp = engine_tunables()->naioreqpp;

	return m < pp ? m : pp;
}

static const struct aio_direct_slot *page_slot(const struct direct_session *s,
					       unsigned i)
{
	return (const struct aio_direct_slot *)
	       ((const char *)s->page + AIO_DIRECT_SLOT_OFFSET) + i;
}

/* The client's figures in slot i, if a consistent and plausible copy is
 * there; else those last accepted stay. */
static void slot_refresh(struct direct_session *s, unsigned i)
{
	struct direct_tally now;

	if (direct_tally_read(page_slot(s, i), &now) &&
	    direct_tally_plausible(&s->slots[i].seen, &now, s->granted))
		s->slots[i].seen = now;
}

/* The slot of dev in s (a new one if it has none), or -1 with errno. */
static int session_slot(struct direct_session *s, struct device *dev)
{
	int free_slot = -1;

	if (!s->slots &&
	    !(s->slots = calloc(AIO_DIRECT_SLOTS, sizeof(*s->slots))))
		return -1;
	for (int i = 0; i < AIO_DIRECT_SLOTS; i++) {
		if (s->slots[i].dev == dev)
			return i;
		if (!s->slots[i].dev && !s->slots[i].retired && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0) {
		errno = ENOSPC;
		return -1;
	}
	s->slots[free_slot].dev = dev;
	return free_slot;
}

/* ---- sessions ------------------------------------------------------- */

static void give_back(struct direct_session *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		quota_put_request(s->uid);
	s->granted -= n;
}

static void session_end(struct direct_session *s)
{
	loop_remove(&s->src);
	close(s->src.fd);
	if (s->page) {
		/* The last figures join the device's own, before the
		 * credits they are checked against go back. */
		for (unsigned i = 0; s->slots && i < AIO_DIRECT_SLOTS; i++)
			if (s->slots[i].dev) {
				slot_refresh(s, i);
				direct_tally_add(&s->slots[i].dev->stats,
						 &s->slots[i].seen, true);
			}
		total_of_ended += session_total(s);
		if (session_max(s) > max_of_ended)
			max_of_ended = session_max(s);
		give_back(s, s->granted);
		munmap(s->page, PAGE_BYTES);
		close(s->pagefd);
	}
	if (s->caller) {
		if (s->caller->direct == s)
			s->caller->direct = NULL;
		caller_put(s->caller);
	} else {
		npending--;
	}
	LIST_REMOVE(s, link);
	free(s->slots);
	free(s);
}

/* Room for a new connection when PENDING_MAX have not attached yet: a
 * client attaches at once, so connections that linger are someone's
 * hoard.  The oldest of the user who holds the most goes, so that one
 * user's idle connections cannot keep everyone else's attaches out. */
static void end_idlest_pending(void)
{
	struct direct_session *s, *oldest = NULL;
	unsigned most = 0;

	LIST_FOREACH(s, &sessions, link) {	/* newest first */
		struct direct_session *t;
		unsigned n = 0;

		if (s->caller)
			continue;
		LIST_FOREACH(t, &sessions, link)
			n += !t->caller && t->uid == s->uid;
		if (n >= most) {
			most = n;
			oldest = s;
		}
	}
	if (oldest)
		session_end(oldest);
}

static int send_reply(struct direct_session *s, struct aio_msg_reply *rp,
		      const int *fds, int nfds)
{
	unsigned char buf[AIO_MSG_REPLY_BYTES];
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(2 * sizeof(int))];
	} ctl;
	struct iovec iov = { buf, attach_encode_reply(rp, buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.space;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		ctl.h.cmsg_level = SOL_SOCKET;
		ctl.h.cmsg_type = SCM_RIGHTS;
		ctl.h.cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(&ctl.h), fds, (size_t)nfds * sizeof(int));
	}
	/* A client that does not read its replies loses its connection
	 * rather than holding the loop. */
	return sendmsg(s->src.fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) ==
	       (ssize_t)iov.iov_len ? 0 : -1;
}

static void token_drop(struct token *t)
{
	if (t->caller)
		caller_put(t->caller);
	memset(t, 0, sizeof(*t));
}

/* The live token with these bytes, taken (a token serves once). */
static bool token_take(const uint8_t *bytes, struct token *out)
{
	for (unsigned i = 0; i < TOKENS_MAX; i++) {
		struct token *t = &tokens[i];
		bool live;

		if (!t->caller || memcmp(t->bytes, bytes, AIO_TOKEN_BYTES))
			continue;
		live = t->expires >= now_seconds() && !t->caller->exited;
		*out = *t;
		t->caller = NULL;	/* the hold passes to out */
		token_drop(t);
		if (!live) {
			caller_put(out->caller);
			return false;
		}
		return true;
	}
	return false;
}

static int attach_fail(struct direct_session *s, int kind, int err)
{
	struct aio_msg_reply rp = { .kind = (uint16_t)kind, .err = err };

	return send_reply(s, &rp, NULL, 0);
}

/* ATTACH: the token's process must be the peer; answer with the
 * partition's descriptor (and the page on the connection's first). */
static int do_attach(struct direct_session *s,
		     const struct aio_msg_request *rq)
{
	struct aio_msg_reply rp = { .kind = AIO_MSG_ATTACH,
				    .naioreqpp = engine_tunables()->naioreqpp };
	struct token t;
	int fds[2], nfds = 0, fd, rc, slot;

	if (!token_take(rq->token, &t))
		return attach_fail(s, AIO_MSG_ATTACH, EACCES);
	if (t.caller->tgid != s->pid || t.caller->uid != s->uid ||
	    (s->caller && s->caller != t.caller) ||
	    (!s->caller && t.caller->direct)) {
		caller_put(t.caller);
		return attach_fail(s, AIO_MSG_ATTACH, EACCES);
	}
	fd = backend_open_for_client(t.dev, t.readable, t.writable);
	if (fd < 0) {
		caller_put(t.caller);
		log_warn("direct path for pid %d on device %s: %s",
			 (int)s->pid, t.dev->spec.name, strerror(-fd));
		return attach_fail(s, AIO_MSG_ATTACH, -fd);
	}
	if (!s->page && !(s->page = page_new(&s->pagefd))) {
		int e = errno;

		close(fd);
		caller_put(t.caller);
		log_warn("direct path for pid %d: shared page: %s",
			 (int)s->pid, strerror(e));
		return attach_fail(s, AIO_MSG_ATTACH, e);
	}
	if ((slot = session_slot(s, t.dev)) < 0) {
		int e = errno;

		close(fd);
		caller_put(t.caller);
		log_warn("direct path for pid %d on device %s: %s (at most %d "
			 "devices per process); it stays on the ioctl path",
			 (int)s->pid, t.dev->spec.name, strerror(e),
			 AIO_DIRECT_SLOTS);
		return attach_fail(s, AIO_MSG_ATTACH, e);
	}
	if (!s->caller) {	/* the hold passes to the session */
		s->caller = t.caller;
		s->caller->direct = s;
		npending--;
		page_put_region(s->page, &s->caller->region);
	} else {
		caller_put(t.caller);
	}
	fds[nfds++] = fd;
	if (!s->page_sent)
		fds[nfds++] = s->pagefd;
	rp.flags = (t.writable && !t.dev->readonly ? 0 : AIO_REPLY_RDONLY) |
		   (backend_writeback(t.dev) ? AIO_REPLY_WRITEBACK : 0) |
		   (t.dev->readonly ? AIO_REPLY_DEVICE_RO : 0) |
		   (s->page_sent ? 0 : AIO_REPLY_PAGE);
	rp.size = t.dev->size;
	rp.file_id = t.file_id;
	rp.slot = (uint32_t)slot;
	rc = send_reply(s, &rp, fds, nfds);
	close(fd);		/* the client has its own now */
	s->page_sent |= rc == 0;
	return rc;
}

/* One more credit for s, reclaiming other processes' unused ones if the
 * limits are reached. */
static bool grant_one(struct direct_session *s)
{
	if (quota_take_request(s->uid) == 0)
		return true;
	return direct_reclaim() && quota_take_request(s->uid) == 0;
}

/* GRANT: up to want credits, within NAIOREQPP for the process (counting
 * its requests on the ioctl path) and what quota.c allows. */
static int do_grant(struct direct_session *s,
		    const struct aio_msg_request *rq)
{
	struct aio_msg_reply rp = { .kind = AIO_MSG_GRANT,
				    .naioreqpp = engine_tunables()->naioreqpp };
	unsigned room, n = 0;

	if (!s->caller || !s->page)
		return attach_fail(s, AIO_MSG_GRANT, EACCES);
	room = rp.naioreqpp > s->granted + s->caller->nreq
	       ? rp.naioreqpp - s->granted - s->caller->nreq : 0;
	while (n < rq->want && n < room && grant_one(s)) {
		s->granted++;
		n++;
	}
	/* Release: the reservation before the client sees the credits. */
	atomic_fetch_add_explicit((_Atomic uint32_t *)&s->page->avail, n,
				  memory_order_release);
	rp.granted = n;
	return send_reply(s, &rp, NULL, 0);
}

static void close_unwanted(int fd, void *ctx)
{
	(void)ctx;
	close(fd);
}

static void session_ready(struct loop_source *src)
{
	struct direct_session *s = (struct direct_session *)src;
	unsigned char buf[AIO_MSG_REQUEST_BYTES + 1];
	char ctl[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct aio_msg_request rq;
	ssize_t n = recvmsg(src->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int rc;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* Descriptors sent to aiod are never wanted: close them, and the
	 * connection, as for any other garbage. */
	if (n >= 0 && attach_each_fd(&mh, close_unwanted, NULL))
		n = -1;
	if (n <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    attach_parse_request(buf, (size_t)n, &rq)) {
		session_end(s);
		return;
	}
	rc = rq.kind == AIO_MSG_ATTACH ? do_attach(s, &rq) : do_grant(s, &rq);
	if (rc)
		session_end(s);
}

static void listener_ready(struct loop_source *src)
{
	for (;;) {
		int fd = accept4(src->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct direct_session *s;
		struct ucred cred;
		socklen_t len = sizeof(cred);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("attach socket: accept: %s",
					 strerror(errno));
			return;
		}
		if (npending >= PENDING_MAX)
			end_idlest_pending();
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    !(s = calloc(1, sizeof(*s)))) {
			close(fd);
			continue;
		}
		*s = (struct direct_session){ .src = { fd, session_ready },
					      .pid = cred.pid, .uid = cred.uid,
					      .pagefd = -1 };
		if (loop_add(&s->src)) {
			close(fd);
			free(s);
			continue;
		}
		npending++;
		LIST_INSERT_HEAD(&sessions, s, link);
	}
}

/* ---- the interface -------------------------------------------------- */

int direct_init(char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t id[8];
	socklen_t len;
	int fd;

	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id))
		return failmsg(err, errlen, "getrandom: %s", strerror(errno));
	snprintf(sockname, sizeof(sockname),
		 "scoaio-aiod-%d-%02x%02x%02x%02x%02x%02x%02x%02x",
		 (int)getpid(), id[0], id[1], id[2], id[3], id[4], id[5],
		 id[6], id[7]);
	/* Abstract: sun_path[0] is NUL, the name follows. */
	memcpy(sa.sun_path + 1, sockname, strlen(sockname));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			  strlen(sockname));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) ||
	    listen(fd, PENDING_MAX)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return failmsg(err, errlen, "attach socket @%s: %s", sockname,
			       strerror(e));
	}
	listener = (struct loop_source){ fd, listener_ready };
	if (loop_add(&listener)) {
		close(fd);
		listener.fd = -1;
		return failmsg(err, errlen, "attach socket: epoll: %s",
			       strerror(errno));
	}
	return 0;
}

void direct_shutdown(void)
{
	while (!LIST_EMPTY(&sessions))
		session_end(LIST_FIRST(&sessions));
	for (unsigned i = 0; i < TOKENS_MAX; i++)
		token_drop(&tokens[i]);
	if (listener.fd >= 0) {
		loop_remove(&listener);
		close(listener.fd);
	}
	listener.fd = -1;
}

int direct_issue(struct aio_file *f, const struct requester *who,
		 struct aio_attach *out)
{
	struct token *t = &tokens[next_token];
	bool readable, writable;
	uint64_t id = engine_file_id(f, &readable, &writable);
	struct device *dev = engine_file_device(f);
	struct caller *c;
	int err;

	memset(out, 0, sizeof(*out));
	out->version = AIO_ATTACH_VERSION;
	out->file_id = id;
	out->direct = listener.fd < 0 ? AIO_DIRECT_OFF : backend_direct(dev);
	if (out->direct != AIO_DIRECT_OK)
		return 0;
	err = caller_get(who, &c);
	if (err)
		return err == EAGAIN || err == ENOMEM ? err : EINVAL;
	token_drop(t);		/* the oldest makes room */
	if (getrandom(t->bytes, sizeof(t->bytes), 0) != (ssize_t)sizeof(t->bytes))
		return errno == EAGAIN || errno == EINTR ? EAGAIN : EIO;
	caller_hold(c);
	t->caller = c;
	t->dev = dev;
	t->file_id = id;
	t->readable = readable;
	t->writable = writable;
	t->expires = now_seconds() + AIO_TOKEN_SECONDS;
	next_token = (next_token + 1) % TOKENS_MAX;
	memcpy(out->token, t->bytes, sizeof(out->token));
	memcpy(out->sockname, sockname, strlen(sockname));
	return 0;
}

void direct_caller_retired(struct caller *c)
{
	for (unsigned i = 0; i < TOKENS_MAX; i++)
		if (tokens[i].caller == c)
			token_drop(&tokens[i]);
}

unsigned direct_held(const struct caller *c)
{
	return c->direct && c->direct->page ? session_held(c->direct) : 0;
}

bool direct_reclaim(void)
{
	struct direct_session *s;
	bool any = false;

	LIST_FOREACH(s, &sessions, link) {
		uint32_t unused;

		if (!s->page)
			continue;
		/* acq_rel exchange: pairs with the client's CAS taking a
		 * credit, so each credit is either used or reclaimed. */
		unused = atomic_exchange_explicit(
			(_Atomic uint32_t *)&s->page->avail, 0,
			memory_order_acq_rel);
		if (unused > s->granted)	/* the client lied */
			unused = s->granted;
		give_back(s, unused);
		any |= unused > 0;
	}
	return any;
}

void direct_region_changed(const struct caller *c)
{
	if (c->direct && c->direct->page)
		page_put_region(c->direct->page, &c->region);
}

void direct_set_tracing(bool on)
{
	struct direct_session *s;

	tracing = on;
	LIST_FOREACH(s, &sessions, link)
		if (s->page)	/* store-release; the client load-acquires */
			atomic_store_explicit(
				(_Atomic uint32_t *)&s->page->tracing, on,
				memory_order_release);
}

void direct_counts(uint32_t *procs, uint32_t *active, uint32_t *max,
		   uint64_t *total)
{
	struct direct_session *s;

	*procs = 0;
	*active = 0;
	*max = max_of_ended;
	*total = total_of_ended;
	LIST_FOREACH(s, &sessions, link)
		if (s->page && s->caller) {
			uint32_t m = session_max(s);

			(*procs)++;
			*active += session_held(s);
			*total += session_total(s);
			if (m > *max)
				*max = m;
		}
}

void direct_device_stats(const struct device *dev, struct device_stats *out)
{
	struct direct_session *s;

	*out = dev->stats;
	LIST_FOREACH(s, &sessions, link)
		for (unsigned i = 0; s->slots && i < AIO_DIRECT_SLOTS; i++)
			if (s->slots[i].dev == dev) {
				slot_refresh(s, i);
				direct_tally_add(out, &s->slots[i].seen, false);
			}
}

void direct_device_removed(const struct device *dev)
{
	struct direct_session *s;

	for (unsigned i = 0; i < TOKENS_MAX; i++)
		if (tokens[i].caller && tokens[i].dev == dev)
			token_drop(&tokens[i]);
	LIST_FOREACH(s, &sessions, link)
		for (unsigned i = 0; s->slots && i < AIO_DIRECT_SLOTS; i++)
			if (s->slots[i].dev == dev)
				s->slots[i] = (struct direct_slot){
					.retired = true };
}
