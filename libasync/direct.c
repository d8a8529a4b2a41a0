/* SPDX-License-Identifier: MIT */
/*
 * direct.c -- libasync(3)'s direct path: DKIOCASTRT and DKIOCASTAT on an
 * aiod device served in the calling process with the kernel's AIO, on an
 * O_DIRECT descriptor of exactly that partition which aiod hands over.
 * Opening an aiod device asks aiod for a token (AIOC_ATTACH; a fork child,
 * at its first aio(M) call); the process presents it on aiod's attach
 * socket and gets the descriptor, and with its first attach a page shared
 * with the daemon (scoaio/direct.h): request credits, the counters aioinfo
 * shows (per device too, in the slot aiod names at each attach), the
 * DKIOCMLOCK region, and the tracing switch.  Requests are
 * checked by the daemon's own rules.c, so the errnos are the same;
 * DKIOCMLOCK still goes to the daemon.  Statuses are kept per open file
 * description (aiod's file id, so dup()ed descriptors share them) in the
 * process that started the requests; a forked child starts afresh and
 * attaches on its own.  Whatever cannot attach (an older aiod, a slice or
 * image file, a secure-execution program, SCOAIO_DIRECT=0) goes through
 * the ioctl path unchanged.  One lock guards all of it; the shared page is
 * touched only with the atomic operations stated at each access.
 */
#include "libasync.h"
#include "statq.h"
#include "aiod/attach_msg.h"
#include "aiod/rules.h"
#include "common/latency.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/aio_abi.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <scoaio/direct.h>

#ifndef RWF_DSYNC
#define RWF_DSYNC 0x00000002
#endif

#define POLL_WAIT_MAX_US	50	/* SCOAIO_POLL_WAIT_US's ceiling */
#define POLL_EMPTY_STREAK	8	/* empty polls before waiting */
#define REPLY_TIMEOUT_S		5	/* an attach reply, at most */
#define CLOSE_WAIT_NS		100000000L	/* one wait of close() */

/* One open file description of an aiod device, in this process.  aiod
 * numbers its open files from 1, each daemon on its own, so a file is
 * known by its node and its daemon's attach socket as well as its id. */
struct ofd {
	uint64_t file_id;
	dev_t node_dev, node_rdev;	/* fstat of a descriptor of it */
	ino_t node_ino;
	char daemon[AIO_SOCKNAME_MAX];	/* aiod's socket; empty: no attach */
	int dfd;			/* the partition, O_DIRECT; -1: ioctl */
	bool readable, writable;	/* as the file was opened */
	bool device_ro, writeback;
	uint64_t size;
	struct aio_direct_slot *slot;	/* its device's, in the shared page */
	unsigned nfds;			/* descriptors naming it here */
	unsigned inflight;		/* direct requests submitted */
	unsigned via_ioctl;		/* sent through the ioctl path, not
					   yet collected */
	struct statq done;
	struct ofd *next;
};

/* What libasync knows of a descriptor number. */
struct fdent {
	bool known;
	struct ofd *ofd;		/* NULL: not an aiod device */
};

struct request {
	struct iocb cb;
	struct ofd *ofd;
	struct status st;
	uint64_t started_ns;		/* CLOCK_MONOTONIC at DKIOCASTRT */
	bool ended_in_submit;		/* its event came during io_submit */
	long submit_res;		/* and said this */
};

/* aio_ring's header, as the kernel maps it at the context's address. */
struct aio_ring_head {
	unsigned id, nr, head, tail, magic, compat, incompat, header_length;
};
#define AIO_RING_MAGIC 0xa10a10a1u

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool enabled;		/* SCOAIO_DIRECT, AT_SECURE */
static long poll_wait_us;	/* SCOAIO_POLL_WAIT_US */

struct process_state {
	bool tried, attached;	/* the process's connection */
	int sock;
	struct aio_direct_page *page;
	aio_context_t ctx;
	unsigned naioreqpp;
	unsigned held;		/* direct requests not yet collected */
	unsigned held_max;
	pid_t pid;		/* getpid(), for process_vm_*v */
	unsigned empty_polls;
	unsigned replies_owed;	/* to messages whose wait timed out */
	struct request *submitting;	/* in io_submit: see complete() */
};
static struct process_state proc = { .sock = -1 };

static struct fdent *fds;
static size_t nfds_table;
static struct ofd *ofds;

/* ---- set-up ------------------------------------------------------------ */

static void reset_in_child(void);
static struct ofd *ofd_of(int fd);
static void ofd_unused(struct ofd *o, int closing);

static void configure(void)
{
	const char *v = getenv("SCOAIO_DIRECT");
	const char *w = getenv("SCOAIO_POLL_WAIT_US");

	/* Never in a set-user-ID or otherwise secure-execution program:
	 * it keeps the ioctl path, which the kernel checks as before. */
	enabled = !getauxval(AT_SECURE) && !(v && !strcmp(v, "0"));
	if (w && !getauxval(AT_SECURE)) {
		long us = strtol(w, NULL, 10);

		poll_wait_us = us < 0 ? 0 : us > POLL_WAIT_MAX_US
					     ? POLL_WAIT_MAX_US : us;
	}
	proc.pid = getpid();
	pthread_atfork(NULL, NULL, reset_in_child);
}

/* ---- the shared page (scoaio/direct.h states each field's owner) ----- */

#define PAGE_U32(field) ((_Atomic uint32_t *)&proc.page->field)
#define PAGE_U64(field) ((_Atomic uint64_t *)&proc.page->field)

static bool page_tracing(void)
{
	/* Acquire: pairs with the daemon's store-release. */
	return atomic_load_explicit(PAGE_U32(tracing), memory_order_acquire);
}

static void page_region(struct aio_region *r)
{
	uint32_t s1, s2;

	do {	/* acquire on the count; the fields between two equal even
		 * counts are a consistent copy */
		s1 = atomic_load_explicit(PAGE_U32(region_seq),
					  memory_order_acquire);
		r->addr = atomic_load_explicit(PAGE_U64(region_addr),
					       memory_order_relaxed);
		r->size = atomic_load_explicit(PAGE_U64(region_size),
					       memory_order_relaxed);
		r->held = atomic_load_explicit(PAGE_U32(region_held),
					       memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(PAGE_U32(region_seq),
					  memory_order_relaxed);
	} while (s1 != s2 || (s1 & 1));
}

static void page_publish_held(void)
{
	/* Release: the daemon's acquire load sees a count no older than
	 * the requests it stands for. */
	atomic_store_explicit(PAGE_U32(held), proc.held, memory_order_release);
}

/* Take a credit from the pool: CAS (acq_rel) against the daemon's
 * reclaiming exchange, so a credit is used or reclaimed, never both. */
static bool page_take_credit(void)
{
	uint32_t avail = atomic_load_explicit(PAGE_U32(avail),
					      memory_order_acquire);

	while (avail)
		if (atomic_compare_exchange_weak_explicit(
			    PAGE_U32(avail), &avail, avail - 1,
			    memory_order_acq_rel, memory_order_acquire))
			return true;
	return false;
}

static void page_return_credit(void)
{
	/* Release: the request's end before the credit is seen free. */
	atomic_fetch_add_explicit(PAGE_U32(avail), 1, memory_order_release);
}

/* A device slot changes between slot_open and slot_close, under its
 * sequence count; this process alone writes it, under the lock. */
static void slot_open(struct aio_direct_slot *sl)
{
	_Atomic uint32_t *seq = (_Atomic uint32_t *)&sl->seq;
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

	atomic_store_explicit(seq, s + 1, memory_order_relaxed);
	/* Release fence: the odd count before any field's new value. */
	atomic_thread_fence(memory_order_release);
}

static void slot_add(uint64_t *field, uint64_t n)
{
	_Atomic uint64_t *f = (_Atomic uint64_t *)field;

	/* Relaxed: ordered by the sequence count around it. */
	atomic_store_explicit(f, atomic_load_explicit(f, memory_order_relaxed) +
				 n, memory_order_relaxed);
}

static void slot_close(struct aio_direct_slot *sl)
{
	_Atomic uint32_t *seq = (_Atomic uint32_t *)&sl->seq;
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

	/* Release: the fields before the even count. */
	atomic_store_explicit(seq, s + 1, memory_order_release);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	/* Cannot fail for this clock with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the attach socket ------------------------------------------------ */

/* The descriptors of a reply: the first max kept, any others closed. */
struct fd_sink {
	int *fds;
	int n, max;
};

static void keep_fd(int fd, void *ctx)
{
	struct fd_sink *sink = ctx;

	if (sink->n < sink->max)
		sink->fds[sink->n++] = fd;
	else
		syscall(SYS_close, fd);
}

/* The next reply on the connection, its descriptors to sink.  A signal
 * does not end the wait (SO_RCVTIMEO makes recvmsg fail with EINTR even
 * under SA_RESTART); the timeout does. */
static ssize_t receive_reply(unsigned char *in, size_t size,
			     struct fd_sink *sink, int *msg_flags)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { in, size };
	struct msghdr mh;
	ssize_t len;

	do {
		mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = ctl.buf,
				      .msg_controllen = sizeof(ctl.buf) };
		len = syscall(SYS_recvmsg, proc.sock, &mh, MSG_CMSG_CLOEXEC);
	} while (len < 0 && errno == EINTR);
	if (len >= 0) {
		attach_each_fd(&mh, keep_fd, sink);
		*msg_flags = mh.msg_flags;
	}
	return len;
}

static int exchange(const struct aio_msg_request *rq,
		    struct aio_msg_reply *rp, int *got_fds, int max_fds)
{
	struct fd_sink sink = { got_fds, 0, max_fds }, discard = { NULL, 0, 0 };
	unsigned char out[AIO_MSG_REQUEST_BYTES], in[AIO_MSG_REPLY_BYTES + 1];
	struct iovec iov = { out, attach_encode_request(rq, out) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int n, err, flags;
	ssize_t len;

	/* Replies are in order: a late one to an earlier message would be
	 * taken for this one's (another device's descriptor, say). */
	while (proc.replies_owed) {
		if (receive_reply(in, sizeof(in), &discard, &flags) < 0)
			return errno;
		proc.replies_owed--;
	}
	if (syscall(SYS_sendmsg, proc.sock, &mh, MSG_NOSIGNAL) !=
	    (long)iov.iov_len)
		return errno;
	len = receive_reply(in, sizeof(in), &sink, &flags);
	if (len < 0) {
		proc.replies_owed++;
		return errno;
	}
	n = sink.n;
	err = (flags & (MSG_TRUNC | MSG_CTRUNC)) ? EPROTO
	      : attach_parse_reply(in, (size_t)len, rp);
	if (!err && rp->kind != rq->kind)
		err = EPROTO;
	if (err) {
		while (n > 0)
			syscall(SYS_close, got_fds[--n]);
		return err;
	}
	return -n - 1;		/* success: -(descriptors + 1) */
}

/* Whatever answered AIOC_ATTACH named the socket (a FUSE file's server
 * answers its ioctls): only a daemon run by root or by this process's
 * own user may hand it descriptors. */
static bool trusted_daemon(int s)
{
	struct ucred peer;
	socklen_t len = sizeof(peer);

	return syscall(SYS_getsockopt, s, SOL_SOCKET, SO_PEERCRED, &peer,
		       &len) == 0 && len == sizeof(peer) &&
	       (peer.uid == 0 || peer.uid == getuid());
}

static bool connect_daemon(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { REPLY_TIMEOUT_S, 0 };
	size_t len = strnlen(name, AIO_SOCKNAME_MAX);
	int s;

	if (len == 0 || len >= sizeof(sa.sun_path) - 1)
		return false;
	memcpy(sa.sun_path + 1, name, len);	/* abstract */
	s = (int)syscall(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
			 0);
	if (s < 0)
		return false;
	if (syscall(SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv)) ||
	    syscall(SYS_connect, s, &sa,
		    offsetof(struct sockaddr_un, sun_path) + 1 + len) ||
	    !trusted_daemon(s)) {
		syscall(SYS_close, s);
		return false;
	}
	proc.sock = s;
	return true;
}

static void drop_connection(void)
{
	if (proc.page)
		munmap(proc.page, AIO_DIRECT_MAP_BYTES);
	if (proc.sock >= 0)
		syscall(SYS_close, proc.sock);
	if (proc.ctx)
		syscall(SYS_io_destroy, proc.ctx);
	proc.page = NULL;
	proc.sock = -1;
	proc.ctx = 0;
	proc.attached = false;
	proc.replies_owed = 0;
}

/* Attach o with the token of att; false: o stays on the ioctl path. */
static bool attach(struct ofd *o, const struct aio_attach *att)
{
	struct aio_msg_request rq = { .kind = AIO_MSG_ATTACH };
	struct aio_msg_reply rp;
	int got[2], r, n;

	if (!proc.attached) {
		if (proc.tried)
			return false;	/* the process could not attach */
		proc.tried = true;
		if (!connect_daemon(att->sockname))
			return false;
	}
	memcpy(rq.token, att->token, sizeof(rq.token));
	r = exchange(&rq, &rp, got, 2);
	if (r >= 0 || rp.err || rp.file_id != o->file_id) {
		if (r < -1)
			for (n = 0; n < -r - 1; n++)
				syscall(SYS_close, got[n]);
		if (!proc.attached)
			drop_connection();
		return false;
	}
	n = -r - 1;
	if (!proc.attached) {
		void *page = MAP_FAILED;
		struct stat st;

		/* Only as much as the memfd holds (aiod sealed its size). */
		if (n == 2 && (rp.flags & AIO_REPLY_PAGE) &&
		    fstat(got[1], &st) == 0 &&
		    st.st_size >= (off_t)AIO_DIRECT_MAP_BYTES)
			page = mmap(NULL, AIO_DIRECT_MAP_BYTES,
				    PROT_READ | PROT_WRITE, MAP_SHARED,
				    got[1], 0);
		if (n == 2)
			syscall(SYS_close, got[1]);
		if (page == MAP_FAILED ||
		    ((struct aio_direct_page *)page)->magic != AIO_MSG_MAGIC ||
		    syscall(SYS_io_setup, rp.naioreqpp, &proc.ctx)) {
			if (page != MAP_FAILED)
				munmap(page, AIO_DIRECT_MAP_BYTES);
			if (n >= 1)
				syscall(SYS_close, got[0]);
			proc.ctx = 0;
			drop_connection();
			return false;
		}
		proc.page = page;
		proc.naioreqpp = rp.naioreqpp;
		proc.attached = true;
	} else if (n != 1) {
		while (n > 0)
			syscall(SYS_close, got[--n]);
		return false;
	}
	o->dfd = got[0];
	/* attach_parse_reply checked slot < AIO_DIRECT_SLOTS. */
	o->slot = (struct aio_direct_slot *)
		  ((char *)proc.page + AIO_DIRECT_SLOT_OFFSET) + rp.slot;
	o->size = rp.size;
	o->device_ro = rp.flags & AIO_REPLY_DEVICE_RO;
	o->writeback = rp.flags & AIO_REPLY_WRITEBACK;
	return true;
}

/* Credits from the daemon when the pool is empty: 0 or EAGAIN. */
static int get_credit(void)
{
	struct aio_msg_request rq = { .kind = AIO_MSG_GRANT };
	struct aio_msg_reply rp;
	int r;

	if (page_take_credit())
		return 0;
	rq.want = proc.naioreqpp > proc.held ? proc.naioreqpp - proc.held : 1;
	r = exchange(&rq, &rp, NULL, 0);
	if (r >= 0 || rp.err || rp.granted == 0)
		return EAGAIN;
	return page_take_credit() ? 0 : EAGAIN;
}

/* ---- descriptors and open files --------------------------------------- */

static struct fdent *fdent_of(int fd, bool grow)
{
	if (fd < 0)
		return NULL;
	if ((size_t)fd >= nfds_table) {
		size_t n = nfds_table ? nfds_table : 64;
		struct fdent *t;

		if (!grow)
			return NULL;
		while (n <= (size_t)fd)
			n *= 2;
		t = realloc(fds, n * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + nfds_table, 0, (n - nfds_table) * sizeof(*t));
		fds = t;
		__atomic_store_n(&nfds_table, n, __ATOMIC_RELAXED);
	}
	return &fds[fd];
}

static void free_ofd(struct ofd *o)
{
	struct statq_entry e[MAXSTATUS];
	size_t n;

	/* Uncollected statuses go with the file, as in the daemon. */
	while ((n = statq_peek(&o->done, e, MAXSTATUS))) {
		for (size_t i = 0; i < n; i++)
			if (e[i].direct) {
				proc.held--;
				page_return_credit();
			}
		statq_drop(&o->done, n);
	}
	if (proc.attached)
		page_publish_held();
	statq_free(&o->done);
	if (o->dfd >= 0)
		syscall(SYS_close, o->dfd);
	for (struct ofd **p = &ofds; *p; p = &(*p)->next)
		if (*p == o) {
			*p = o->next;
			break;
		}
	free(o);
}

/* Count a completed request in its device's slot, as aiod counts its own
 * transfers: an error if it failed or was short, a read or write of the
 * bytes moved if any moved, and its latency since DKIOCASTRT. */
static void count_completion(const struct request *r, long res)
{
	struct aio_direct_slot *sl = r->ofd->slot;
	bool write = r->cb.aio_lio_opcode == IOCB_CMD_PWRITE;
	struct latency_hist *h = &sl->latency[write];
	uint64_t latency = now_ns() - r->started_ns;

	slot_open(sl);
	slot_add(&sl->ended_bytes[write], r->cb.aio_nbytes);
	if (res < 0 || (uint64_t)res != r->cb.aio_nbytes)
		slot_add(&sl->errors, 1);
	if (res > 0) {
		slot_add(write ? &sl->writes : &sl->reads, 1);
		slot_add(write ? &sl->bytes_written : &sl->bytes_read,
			 (uint64_t)res);
	}
	slot_add(&h->bucket[latency_bucket(latency)], 1);
	slot_add(&h->sum_ns, latency);
	slot_add(&h->count, 1);
	slot_close(sl);
}

/* A completed request onto its file's queue (room was reserved when it
 * was submitted). */
static void finish(struct request *r, long res)
{
	count_completion(r, res);
	if (res < 0) {
		r->st.iostatus = (int16_t)-res;
	} else {
		r->st.iobsize = (int16_t)res;
		if ((uint64_t)res != r->cb.aio_nbytes)
			r->st.iostatus = EIO;	/* short: the device failed */
	}
	r->ofd->inflight--;
	statq_push(&r->ofd->done, &r->st, true);
	ofd_unused(r->ofd, -1);	/* if its descriptors went meanwhile */
	free(r);
}

static void complete(const struct io_event *ev)
{
	struct request *r = (void *)(uintptr_t)ev->data;

	if (r == proc.submitting) {	/* start_direct() decides */
		r->ended_in_submit = true;
		r->submit_res = (long)ev->res;
		return;
	}
	finish(r, (long)ev->res);
}

/* Completions from the ring the kernel maps at the context's address,
 * without a system call (as fio's userspace_reap does); -1 if the ring
 * is not one this code knows. */
static long reap_ring(void)
{
	struct aio_ring_head *ring = (void *)(uintptr_t)proc.ctx;
	const struct io_event *events =
		(const void *)((const char *)ring + sizeof(*ring));
	unsigned head, tail;
	long n = 0;

	if (ring->magic != AIO_RING_MAGIC || ring->incompat != 0 ||
	    ring->header_length != sizeof(*ring))
		return -1;
	head = __atomic_load_n(&ring->head, __ATOMIC_RELAXED);
	/* Acquire: the events the kernel wrote before advancing tail. */
	tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
	while (head != tail) {
		struct io_event ev = events[head];

		head = (head + 1) % ring->nr;
		/* Release: the event is read before its slot is given back
		 * to the kernel. */
		__atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
		complete(&ev);
		n++;
	}
	return n;
}

/* Completed direct requests onto their files' queues.  wait_ns 0: only
 * what has completed; else wait up to wait_ns for one. */
static void reap(long wait_ns)
{
	struct io_event ev[64];
	struct timespec ts = { 0, wait_ns };
	long n;

	if (!proc.ctx)
		return;
	if (wait_ns == 0 && (n = reap_ring()) >= 0) {
		if (n)
			page_publish_held();
		return;
	}
	do {
		n = syscall(SYS_io_getevents, proc.ctx, wait_ns ? 1 : 0, 64,
			    ev, &ts);
		for (long i = 0; i < n; i++)
			complete(&ev[i]);
		ts.tv_nsec = 0;
		wait_ns = 0;
	} while (n == 64);
	page_publish_held();
}

/* Another descriptor of o's open file that libasync has not looked at
 * (made by dup(), fcntl(F_DUPFD), or received) takes o on, statuses and
 * all, rather than let them go with the descriptor being closed, skip. */
static void find_other_descriptor(struct ofd *o, int skip)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;		/* then the statuses go, as with the file */
	while (o->nfds == 0 && (de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		struct fdent *e;

		if (*end || end == de->d_name || fd == skip || fd == dirfd(d) ||
		    fd > INT_MAX)
			continue;
		e = fdent_of((int)fd, false);
		if (!e || !e->known)
			ofd_of((int)fd);	/* o's own file: o->nfds++ */
	}
	closedir(d);
}

/* No descriptor here names o any longer.  Its statuses stay with the
 * open file if another descriptor, not yet looked at, names it; else o
 * goes, once its direct requests have ended (they still write into it). */
static void ofd_unused(struct ofd *o, int closing)
{
	if (o->nfds || o->inflight)
		return;
	if (o->done.len)
		find_other_descriptor(o, closing);
	if (o->nfds == 0)
		free_ofd(o);
}

/* Forget what fd named (it is being closed, or was replaced); with wait,
 * first wait for its open file's direct requests, as close() does. */
static void forget_fd(int fd, bool wait)
{
	struct fdent *e = fdent_of(fd, false);
	struct ofd *o;

	if (!e || !e->known)
		return;
	o = e->ofd;
	*e = (struct fdent){ 0 };
	if (!o)
		return;
	while (wait && o->inflight)
		reap(CLOSE_WAIT_NS);
	o->nfds--;
	ofd_unused(o, fd);
}

static bool is_aiod_device(int fd, const struct stat *st)
{
	struct statfs sf;

	if (S_ISCHR(st->st_mode))
		return cuse_device(st->st_rdev);
	return S_ISREG(st->st_mode) && fstatfs(fd, &sf) == 0 &&
	       sf.f_type == FUSE_SUPER_MAGIC;
}

/* The open file fd names, or NULL (not an aiod device).  What a number
 * names is looked up once and trusted until the interposed open, close,
 * dup2 or dup3 change it: a poll loop pays no fstat. */
static struct ofd *ofd_of(int fd)
{
	struct fdent *e = fdent_of(fd, true);
	struct aio_attach att;
	struct stat st;
	struct ofd *o;
	int flags;

	if (e && e->known)
		return e->ofd;
	if (!e || fstat(fd, &st))
		return NULL;
	*e = (struct fdent){ true, NULL };
	if (!is_aiod_device(fd, &st) ||
	    syscall(SYS_ioctl, fd, AIOC_ATTACH, &att) ||
	    att.version != AIO_ATTACH_VERSION)
		return NULL;	/* not aiod's, or an aiod without it */
	for (o = ofds; o; o = o->next)
		if (o->file_id == att.file_id && o->node_dev == st.st_dev &&
		    o->node_rdev == st.st_rdev && o->node_ino == st.st_ino &&
		    !memcmp(o->daemon, att.sockname, sizeof(o->daemon)))
			break;
	if (!o) {
		flags = (int)syscall(SYS_fcntl, fd, F_GETFL);
		o = calloc(1, sizeof(*o));
		if (!o || flags < 0) {
			free(o);
			return NULL;
		}
		*o = (struct ofd){ .file_id = att.file_id,
				   .node_dev = st.st_dev,
				   .node_rdev = st.st_rdev,
				   .node_ino = st.st_ino, .dfd = -1,
				   .readable = (flags & O_ACCMODE) != O_WRONLY,
				   .writable = (flags & O_ACCMODE) != O_RDONLY,
				   .done = STATQ_INIT, .next = ofds };
		memcpy(o->daemon, att.sockname, sizeof(o->daemon));
		ofds = o;
		if (att.direct == AIO_DIRECT_OK)
			attach(o, &att);
	}
	o->nfds++;
	e->ofd = o;
	return o;
}

static void reset_in_child(void)
{
	/* The child has copies of the parent's files and statuses, and its
	 * connection and page: none of them are its own. */
	pthread_mutex_init(&lock, NULL);
	while (ofds) {
		struct ofd *o = ofds;

		ofds = o->next;
		statq_free(&o->done);
		if (o->dfd >= 0)
			syscall(SYS_close, o->dfd);
		free(o);
	}
	free(fds);
	fds = NULL;
	nfds_table = 0;
	if (proc.page)
		munmap(proc.page, AIO_DIRECT_MAP_BYTES);
	if (proc.sock >= 0)
		syscall(SYS_close, proc.sock);
	/* aio contexts do not fork */
	proc = (struct process_state){ .sock = -1, .pid = getpid() };
}

/* ---- the aio(M) ioctls ------------------------------------------------ */

/* Copy between the caller's memory and ours, EFAULT where it is not
 * mapped so, as the daemon's checks do. */
static int copy_in(void *to, const void *from, size_t n)
{
	struct iovec l = { to, n }, r = { (void *)(uintptr_t)from, n };

	return syscall(SYS_process_vm_readv, proc.pid, &l, 1, &r, 1, 0) ==
	       (long)n ? 0 : EFAULT;
}

static int copy_out(void *to, const void *from, size_t n)
{
	struct iovec l = { (void *)(uintptr_t)from, n }, r = { to, n };

	return syscall(SYS_process_vm_writev, proc.pid, &l, 1, &r, 1, 0) ==
	       (long)n ? 0 : EFAULT;
}

/* Could the kernel do the transfer's memory side?  One byte of its page
 * (a transfer lies in one page): read it, and for a read write it back. */
static int probe(uint64_t addr, bool written)
{
	unsigned char b;

	if (copy_in(&b, (void *)(uintptr_t)addr, 1))
		return EFAULT;
	return written ? copy_out((void *)(uintptr_t)addr, &b, 1) : 0;
}

static int start_direct(struct ofd *o, const AREQBUF *a)
{
	struct request_args rq = { a->au_cmd, a->au_daddr,
				   (uintptr_t)a->au_maddr, a->au_size,
				   (uintptr_t)a->au_ref };
	struct aio_target t = { o->size, o->readable, o->writable };
	struct aio_region region;
	struct request *r;
	struct iocb *cbs[1];
	unsigned via_ioctl = 0;
	long rc;
	int err;

	if (rq.cmd == AU_WRITE && o->device_ro)
		return EROFS;
	page_region(&region);
	err = rules_check_request(&rq, &region, &t);
	if (err)
		return err;
	for (struct ofd *p = ofds; p; p = p->next)
		via_ioctl += p->via_ioctl;
	if (proc.held + via_ioctl >= proc.naioreqpp)
		return EAGAIN;		/* NAIOREQPP */
	/* Room for its status now, so that no completion is ever lost. */
	if (statq_reserve(&o->done, o->done.len + o->inflight + 1) ||
	    !(r = calloc(1, sizeof(*r))))
		return EAGAIN;
	err = get_credit();		/* NAIOREQ and the user's share */
	if (err) {
		free(r);
		return err;
	}
	*r = (struct request){
		.cb = { .aio_data = (uintptr_t)r,
			.aio_lio_opcode = rq.cmd == AU_WRITE ? IOCB_CMD_PWRITE
							     : IOCB_CMD_PREAD,
			.aio_fildes = (uint32_t)o->dfd,
			.aio_buf = rq.maddr,
			.aio_nbytes = (uint64_t)rq.size,
			.aio_offset = rq.daddr * (int64_t)AIO_BLOCK,
			/* durable unless cache=writeback (the descriptor is
			 * O_DSYNC too, and cannot be made otherwise) */
			.aio_rw_flags = rq.cmd == AU_WRITE && !o->writeback
					? RWF_DSYNC : 0 },
		.ofd = o,
		.st = { .iomaddr = rq.maddr, .ioref = rq.ref },
		.started_ns = now_ns(),
	};
	cbs[0] = &r->cb;
	rc = syscall(SYS_io_submit, proc.ctx, 1, cbs);
	if (rc != 1) {
		err = rc < 0 ? errno : EAGAIN;
		free(r);
		page_return_credit();
		return err == EAGAIN || err == ENOMEM ? EAGAIN : err;
	}
	/* The kernel pins a transfer's page while io_submit runs, and fails
	 * the request there (its -EFAULT in the ring before io_submit
	 * returns) if the caller's memory does not allow the transfer: that
	 * is DKIOCASTRT's own EFAULT, as the daemon's memory check gives it,
	 * and the good path pays no probe of the caller's memory. */
	proc.submitting = r;
	reap(0);
	proc.submitting = NULL;
	if (r->ended_in_submit && r->submit_res == -EFAULT) {
		free(r);
		page_return_credit();
		return EFAULT;
	}
	o->inflight++;
	slot_open(o->slot);
	slot_add(&o->slot->started[rq.cmd == AU_WRITE], 1);
	slot_add(&o->slot->started_bytes[rq.cmd == AU_WRITE],
		 (uint64_t)rq.size);
	slot_close(o->slot);
	proc.held++;
	page_publish_held();
	if (proc.held > proc.held_max) {
		proc.held_max = proc.held;
		/* Release, as held. */
		atomic_store_explicit(PAGE_U32(held_max), proc.held_max,
				      memory_order_release);
	}
	/* Release: aioinfo's count no older than the request. */
	atomic_fetch_add_explicit(PAGE_U64(requests_total), 1,
				  memory_order_release);
	proc.empty_polls = 0;
	if (r->ended_in_submit)
		finish(r, r->submit_res);
	return 0;
}

/* Statuses from the ioctl path (requests sent there while tracing). */
static void fetch_ioctl_statuses(int fd, struct ofd *o)
{
	ASYNCSTATUS s;

	if (!o->via_ioctl || o->done.len >= MAXSTATUS ||
	    statq_reserve(&o->done, o->done.len + o->inflight + MAXSTATUS) ||
	    syscall(SYS_ioctl, fd, DKIOCASTAT, &s) || s.acount <= 0)
		return;
	for (long i = 0; i < s.acount && i < MAXSTATUS; i++) {
		struct status st = { s.astatus[i].iostatus,
				     s.astatus[i].iobsize,
				     (uintptr_t)s.astatus[i].iomaddr,
				     (uintptr_t)s.astatus[i].ioref };

		/* Another process's too: the daemon's list is the file's. */
		if (o->via_ioctl)
			o->via_ioctl--;
		statq_push(&o->done, &st, false);
	}
}

static int collect(int fd, struct ofd *o, ASYNCSTATUS *user)
{
	struct statq_entry e[MAXSTATUS];
	ASYNCSTATUS out;
	size_t n;

	reap(0);
	fetch_ioctl_statuses(fd, o);
	if (o->done.len == 0 && o->inflight) {
		if (poll_wait_us && ++proc.empty_polls >= POLL_EMPTY_STREAK) {
			reap(poll_wait_us * 1000);	/* bounded: <= 50 us */
			proc.empty_polls = 0;
		} else {
			/* Never a wait, but a polling loop must not keep the
			 * CPU from the kernel threads that complete its I/O
			 * (the loop device's, on a machine with few CPUs). */
			sched_yield();
			reap(0);
		}
	}
	/* The whole structure must be writable before any status is taken
	 * off the queue, as the daemon checks it: inside one page, writing
	 * its first bytes shows it; across two, the last byte is probed. */
	if ((uintptr_t)user % 4096 + sizeof(out) > 4096 &&
	    probe((uintptr_t)user + sizeof(out) - 1, true))
		return EFAULT;
	n = statq_peek(&o->done, e, rules_status_count(o->done.len));
	out.acount = (long)n;
	for (size_t i = 0; i < n; i++)
		out.astatus[i] = (IOSTAT){ e[i].st.iostatus, e[i].st.iobsize,
					   (char *)(uintptr_t)e[i].st.iomaddr,
					   (char *)(uintptr_t)e[i].st.ioref };
	if (copy_out(user, &out, offsetof(ASYNCSTATUS, astatus) +
				 n * sizeof(out.astatus[0])))
		return EFAULT;
	statq_drop(&o->done, n);
	for (size_t i = 0; i < n; i++)
		if (e[i].direct) {
			proc.held--;
			page_return_credit();
		}
	if (n) {
		page_publish_held();
		proc.empty_polls = 0;
	}
	return 0;
}

/* 1 if the direct path answered (result in *err), 0 if the ioctl path
 * must. */
static int direct_ioctl(int fd, unsigned long cmd, void *arg, int *err)
{
	struct ofd *o = ofd_of(fd);
	AREQBUF a;

	if (!o || o->dfd < 0)
		return 0;
	if (cmd == DKIOCASTAT) {
		*err = collect(fd, o, arg);
		return 1;
	}
	/* While aiotrace runs, new requests go where they are traced;
	 * the statuses of both paths are merged in collect(). */
	if (page_tracing())
		return 0;
	*err = copy_in(&a, arg, sizeof(a));
	if (!*err)
		*err = start_direct(o, &a);
	return 1;
}

/* A file on the ioctl path got statuses from aiod: as many of its
 * requests no longer hold a slot (NAIOREQPP, checked in start_direct). */
static void forget_ioctl_statuses(struct ofd *o, const void *arg)
{
	ASYNCSTATUS s;

	if (copy_in(&s, arg, sizeof(s)) || s.acount <= 0)
		return;
	o->via_ioctl -= (unsigned)s.acount < o->via_ioctl ? (unsigned)s.acount
							 : o->via_ioctl;
}

/* ---- the interposed functions ----------------------------------------- */

int ioctl(int fd, unsigned long cmd, ...)
{
	va_list ap;
	void *arg;
	int err = 0, handled = 0;
	long rc;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (cmd != DKIOCASTRT && cmd != DKIOCASTAT)
		return (int)syscall(SYS_ioctl, fd, cmd, arg);
	pthread_once(&once, configure);
	if (!enabled)
		return (int)syscall(SYS_ioctl, fd, cmd, arg);
	pthread_mutex_lock(&lock);
	handled = direct_ioctl(fd, cmd, arg, &err);
	if (!handled) {
		struct fdent *e = fdent_of(fd, false);

		rc = syscall(SYS_ioctl, fd, cmd, arg);
		err = rc ? errno : 0;
		if (!rc && cmd == DKIOCASTRT && e && e->ofd)
			e->ofd->via_ioctl++;
		else if (!rc && cmd == DKIOCASTAT && e && e->ofd &&
			 e->ofd->dfd < 0)
			forget_ioctl_statuses(e->ofd, arg);
	}
	pthread_mutex_unlock(&lock);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Has any descriptor been looked at?  (Read without the lock: a program
 * that never made an aio(M) call pays nothing more in close().) */
static bool any_known(void)
{
	return __atomic_load_n(&nfds_table, __ATOMIC_RELAXED) != 0;
}

int close(int fd)
{
	if (any_known()) {
		pthread_mutex_lock(&lock);
		forget_fd(fd, true);
		pthread_mutex_unlock(&lock);
	}
	return (int)syscall(SYS_close, fd);
}

int dup2(int old, int new)
{
	if (any_known() && old != new) {
		pthread_mutex_lock(&lock);
		forget_fd(new, true);
		pthread_mutex_unlock(&lock);
	}
#ifdef SYS_dup2
	return (int)syscall(SYS_dup2, old, new);
#else
	if (old == new)
		return syscall(SYS_fcntl, old, F_GETFD) < 0 ? -1 : new;
	return (int)syscall(SYS_dup3, old, new, 0);
#endif
}

int dup3(int old, int new, int flags)
{
	if (any_known() && old != new) {
		pthread_mutex_lock(&lock);
		forget_fd(new, true);
		pthread_mutex_unlock(&lock);
	}
	return (int)syscall(SYS_dup3, old, new, flags);
}

void direct_fd_opened(int fd)
{
	int saved = errno;

	if (fd < 0)
		return;
	pthread_once(&once, configure);
	if (!enabled)
		return;
	/* Attach now rather than inside the first request: what attaching
	 * maps (the page, the AIO ring) must not land where the program
	 * just unmapped something and expects EFAULT. */
	pthread_mutex_lock(&lock);
	forget_fd(fd, false);
	ofd_of(fd);
	pthread_mutex_unlock(&lock);
	errno = saved;
}
