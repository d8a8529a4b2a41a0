/* SPDX-License-Identifier: MIT */
/*
 * glue.c -- between libfuse and the engine, for both front ends: pumps
 * each FUSE or CUSE session from the event loop (non-blocking: a bounded
 * batch per wake-up while requests queue up, else one), names the
 * requester by the pid and uid the kernel reports, decodes ioctls through
 * abi.c, calls the engine or admin.c, and turns their results into
 * replies; while anyone traces, each aio(M) call answered goes to trace.c
 * with its arguments and outcome.  A request the engine holds (a read, a write, a positional
 * transfer, a flush or release waiting for transfers) carries a
 * glue_call, which the engine answers through.
 */
#include "glue.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <scoaio/ioctl.h>

/* Requests served per wake-up before the loop looks at its other sources
 * (level-triggered, so the rest are served on the next round). */
#define SESSION_BATCH 32
/* Wake-ups served one request each before the next drain looks whether
 * requests queue up again. */
#define SESSION_PROBE_EVERY 16

/* Draining a session ends with a read that finds it empty, one system
 * call more per wake-up, and a client polling DKIOCASTAT wakes the loop
 * once per request: while wake-ups find one request each, a session
 * serves one (the loop comes back at once if more wait) and drains only
 * every SESSION_PROBE_EVERY-th wake-up to see whether requests queue up
 * again, as several clients' do (drained, their transfers reach
 * io_submit together). */
struct session_source {
	struct loop_source src;		/* first: ready() gets &src */
	struct fuse_session *se;
	struct fuse_buf buf;
	bool draining;			/* the last drain found 2 or more */
	unsigned singles;		/* wake-ups served one request since */
	LIST_ENTRY(session_source) link;
};

static LIST_HEAD(, session_source) sessions =
	LIST_HEAD_INITIALIZER(sessions);
static bool session_ended;

static void serve_session(struct loop_source *src)
{
	struct session_source *s = (struct session_source *)src;
	bool drain = s->draining || ++s->singles >= SESSION_PROBE_EVERY;

	if (drain)
		s->singles = 0;
	for (int i = 0; i < (drain ? SESSION_BATCH : 1); i++) {
		int n = fuse_session_receive_buf(s->se, &s->buf);

		if (n == -EAGAIN || n == -EINTR) {
			s->draining = i > 1;
			return;
		}
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
	s->draining |= drain;	/* a full batch, and more may wait */
}

int glue_add_session(struct fuse_session *se)
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
	LIST_INSERT_HEAD(&sessions, s, link);
	return 0;
}

void glue_remove_session(struct fuse_session *se)
{
	struct session_source *s;

	LIST_FOREACH(s, &sessions, link)
		if (s->se == se) {
			loop_remove(&s->src);
			LIST_REMOVE(s, link);
			free(s->buf.mem);
			free(s);
			return;
		}
}

void glue_pause_sessions(void)
{
	struct session_source *s;

	LIST_FOREACH(s, &sessions, link)
		loop_remove(&s->src);
}

bool glue_session_ended(void)
{
	return session_ended;
}

void glue_shutdown(void)
{
	struct session_source *s;

	while ((s = LIST_FIRST(&sessions))) {
		LIST_REMOVE(s, link);
		free(s->buf.mem);
		free(s);
	}
}

/* ---- requests ------------------------------------------------------- */

/* A request the engine answers later, and how its reply looks. */
enum reply_kind {
	REPLY_DATA,		/* read(): the bytes */
	REPLY_WRITTEN,		/* write(): the count */
	REPLY_COUNT,		/* positional ioctl: the count as its result */
	REPLY_OUTCOME,		/* flush, release: only the errno */
	REPLY_IOCTL,		/* DKIOCMLOCK, DKIOCASTRT: result 0 */
	REPLY_STATUSES,		/* DKIOCASTAT: the statuses, in the ABI */
};

struct glue_call {
	struct engine_call call;	/* first: done() gets &call */
	fuse_req_t req;
	enum reply_kind kind;
	bool compat;		/* REPLY_STATUSES: for an i386 caller */
	bool traced;		/* trace.c gets the outcome and these: */
	const struct device *dev;
	struct requester who;
	struct aio_trace_rec rec;
};

static struct aio_file *file_of(const struct fuse_file_info *fi)
{
	return (struct aio_file *)(uintptr_t)fi->fh;
}

static struct requester requester_of(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);

	return (struct requester){ ctx->pid, ctx->uid, ctx->gid };
}

static void reply_later(struct engine_call *call, int err,
			const void *data, size_t n)
{
	struct glue_call *gc = (struct glue_call *)call;
	unsigned char out[sizeof(ASYNCSTATUS)];
	fuse_req_t req = gc->req;
	enum reply_kind kind = gc->kind;
	bool compat = gc->compat;

	if (gc->traced) {
		gc->rec.error = err;
		if (kind == REPLY_STATUSES)
			gc->rec.count = err ? 0 : (int32_t)n;
		trace_record(gc->dev, gc->who.tid, gc->who.uid, &gc->rec);
	}
	free(gc);
	if (err || kind == REPLY_OUTCOME)
		fuse_reply_err(req, err);
	else if (kind == REPLY_DATA)
		fuse_reply_buf(req, data, n);
	else if (kind == REPLY_WRITTEN)
		fuse_reply_write(req, n);
	else if (kind == REPLY_STATUSES)
		fuse_reply_ioctl(req, 0, out,
				 abi_put_statuses(out, compat, data, n));
	else if (kind == REPLY_IOCTL)
		fuse_reply_ioctl(req, 0, NULL, 0);
	else
		fuse_reply_ioctl(req, (int)n, NULL, 0);
}

/* A pending call for req, or NULL after replying ENOMEM. */
static struct engine_call *new_call(fuse_req_t req, enum reply_kind kind)
{
	struct glue_call *gc = malloc(sizeof(*gc));

	if (!gc) {
		fuse_reply_err(req, ENOMEM);
		return NULL;
	}
	gc->call.done = reply_later;
	gc->req = req;
	gc->kind = kind;
	gc->compat = false;
	gc->traced = false;
	return &gc->call;
}

/* An aio(M) call of who on f, to be traced with its outcome if anyone is
 * tracing: a pending call, or NULL after replying ENOMEM. */
static struct engine_call *new_aio_call(fuse_req_t req, enum reply_kind kind,
					struct aio_file *f,
					const struct requester *who,
					const struct aio_trace_rec *rec)
{
	struct engine_call *call = new_call(req, kind);
	struct glue_call *gc = (struct glue_call *)call;

	if (call && atomic_load_explicit(&trace_on, memory_order_relaxed)) {
		gc->traced = true;
		gc->dev = engine_file_device(f);
		gc->who = *who;
		gc->rec = *rec;
	}
	return call;
}

void glue_open(fuse_req_t req, struct device *dev, struct fuse_file_info *fi)
{
	struct aio_file *f = engine_open(dev, fi->flags);

	if (!f) {
		fuse_reply_err(req, errno);
		return;
	}
	fi->fh = (uintptr_t)f;
	fi->direct_io = 1;
	if (fuse_reply_open(req, fi))	/* the opener was interrupted */
		engine_discard(f);
}

void glue_read(fuse_req_t req, struct fuse_file_info *fi, size_t size,
	       int64_t offset)
{
	struct engine_call *call = new_call(req, REPLY_DATA);

	if (call)
		engine_read(file_of(fi), call, size, offset);
}

void glue_write(fuse_req_t req, struct fuse_file_info *fi, const char *buf,
		size_t size, int64_t offset)
{
	struct engine_call *call = new_call(req, REPLY_WRITTEN);

	if (call)
		engine_write(file_of(fi), call, buf, size, offset);
}

void glue_flush(fuse_req_t req, struct fuse_file_info *fi)
{
	struct engine_call *call = new_call(req, REPLY_OUTCOME);

	if (call)
		engine_flush(file_of(fi), call);
}

void glue_release(fuse_req_t req, struct fuse_file_info *fi)
{
	struct engine_call *call = new_call(req, REPLY_OUTCOME);

	/* A tracer is opened on the loop, as this runs: trace_on is set. */
	if (atomic_load_explicit(&trace_on, memory_order_relaxed))
		trace_file_closed(file_of(fi));
	if (call)
		engine_release(file_of(fi), call);
	/* else the file stays: the kernel has forgotten it, aiod cannot
	 * wait for its transfers without memory */
}

static void reply_result(fuse_req_t req, int err, const void *out,
			 size_t size)
{
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_ioctl(req, 0, out, size);
}

static void do_seek(fuse_req_t req, struct aio_file *f, const void *in)
{
	struct aio_seek sk;
	int64_t at;
	int err;

	memcpy(&sk, in, sizeof(sk));
	err = engine_seek(f, sk.offset, sk.whence, &at);
	sk.offset = at;
	reply_result(req, err, &sk, sizeof(sk));
}

static void do_status(fuse_req_t req, struct aio_file *f,
		      const struct requester *who, bool compat, uint64_t arg,
		      size_t size)
{
	struct aio_trace_rec rec = { .kind = AIO_TRACE_ASTAT };
	struct engine_call *call = new_aio_call(req, REPLY_STATUSES, f, who,
						&rec);

	if (call) {
		((struct glue_call *)call)->compat = compat;
		engine_collect(f, call, who, arg, size);
	}
}

static void do_pio(fuse_req_t req, struct aio_file *f,
		   const struct requester *who, bool write, const void *in)
{
	struct engine_call *call = new_call(req, REPLY_COUNT);
	struct aio_pio pio;

	memcpy(&pio, in, sizeof(pio));
	if (call)
		engine_pio(f, call, who, write, pio.buf, pio.len, pio.offset);
}

static void do_locks(fuse_req_t req, const void *in)
{
	/* zeroed: the entries past count go out too */
	struct aio_locks *l = calloc(1, sizeof(*l));

	if (!l) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(l, in, offsetof(struct aio_locks, ent));
	reply_result(req, admin_locks(l), l, sizeof(*l));
	free(l);
}

static void do_trace_open(fuse_req_t req, struct aio_file *f,
			  const struct requester *who, const void *in)
{
	struct aio_trace_open o;

	memcpy(&o, in, sizeof(o));
	reply_result(req, trace_open(f, who, (pid_t)o.pid), NULL, 0);
}

static void do_trace_read(fuse_req_t req, struct aio_file *f)
{
	struct aio_trace_batch *b = malloc(sizeof(*b));
	int err;

	if (!b) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	err = trace_read(f, b);
	reply_result(req, err, b, offsetof(struct aio_trace_batch, rec) +
		     b->count * sizeof(b->rec[0]));
	free(b);
}

void glue_ioctl(fuse_req_t req, struct fuse_file_info *fi, unsigned int cmd,
		unsigned int flags, const void *in, size_t in_size,
		size_t out_size, uint64_t arg)
{
	struct aio_cmd d = abi_decode(cmd, flags & FUSE_IOCTL_COMPAT);
	struct requester who = requester_of(req);
	struct aio_file *f = file_of(fi);
	struct engine_call *call;
	struct request_args rq;
	struct mlock_args m;
	struct aio_info info;
	struct aio_devinfo dev;
	struct aio_ident id;
	struct aio_attach att;
	struct aio_daemon daemon;
	struct aio_trace_rec rec;

	if (d.op == AIO_OP_UNKNOWN) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	if (in_size != d.in_size || out_size < d.out_size) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	switch (d.op) {
	case AIO_OP_MLOCK:
		abi_get_mlock(in, d.compat, &m);
		rec = (struct aio_trace_rec){ .kind = AIO_TRACE_MLOCK,
					      .addr = m.avaddr,
					      .size = m.asize };
		if ((call = new_aio_call(req, REPLY_IOCTL, f, &who, &rec)))
			engine_mlock(f, call, &who, &m);
		break;
	case AIO_OP_ASTRT:
		abi_get_request(in, d.compat, &rq);
		rec = (struct aio_trace_rec){
			.kind = AIO_TRACE_ASTRT, .cmd = rq.cmd,
			.addr = rq.maddr, .size = (uint64_t)rq.size,
			.block = (uint64_t)rq.daddr, .ref = rq.ref };
		if ((call = new_aio_call(req, REPLY_IOCTL, f, &who, &rec)))
			engine_start(f, call, &who, &rq);
		break;
	case AIO_OP_ASTAT:
		do_status(req, f, &who, d.compat, arg, d.out_size);
		break;
	case AIO_OP_LKTBL_LOAD:
		reply_result(req, admin_lktbl_load(&who, in), NULL, 0);
		break;
	case AIO_OP_INFO:
		admin_info(&info);
		reply_result(req, 0, &info, sizeof(info));
		break;
	case AIO_OP_DEVINFO:
		memcpy(&dev, in, sizeof(dev));
		reply_result(req, admin_devinfo(&dev), &dev, sizeof(dev));
		break;
	case AIO_OP_DAEMON:
		stats_daemon(&daemon);
		daemon.tracers = trace_tracers();
		reply_result(req, 0, &daemon, sizeof(daemon));
		break;
	case AIO_OP_LOCKS:
		do_locks(req, in);
		break;
	case AIO_OP_TRACE_OPEN:
		do_trace_open(req, f, &who, in);
		break;
	case AIO_OP_TRACE_READ:
		do_trace_read(req, f);
		break;
	case AIO_OP_IDENT:
		id = (struct aio_ident){ AIO_IDENT_MAGIC, 1,
					 engine_file_size(f) };
		reply_result(req, 0, &id, sizeof(id));
		break;
	case AIO_OP_SEEK:
		do_seek(req, f, in);
		break;
	case AIO_OP_PREAD:
	case AIO_OP_PWRITE:
		do_pio(req, f, &who, d.op == AIO_OP_PWRITE, in);
		break;
	case AIO_OP_ATTACH:
		reply_result(req, direct_issue(f, &who, &att), &att,
			     sizeof(att));
		break;
	case AIO_OP_UNKNOWN:
		break;
	}
}
