/* SPDX-License-Identifier: MIT */
/*
 * engine_aio.c -- aio(M)'s three ioctls.  DKIOCMLOCK declares a process's
 * region and locks it if the lock table lets its user; DKIOCASTRT checks a
 * request against rules.c, accounts its slot per process and system-wide
 * (NAIOREQPP, NAIOREQ, the share of each user), binds it to the caller's
 * memory, and is answered before its transfer is submitted, so accepted
 * requests go to io_submit in batches; DKIOCASTAT hands back each open
 * file's completions in completion order, at most MAXSTATUS at a time.
 * Whatever touches the caller's memory (a write's data, a read's
 * destination and delivery, a region's mappings, the status array) is a
 * clientmem.c job, and the call is answered when it is done; a root
 * process's transfers inside its locked region, private anonymous memory
 * when declared, run theirs on the loop (no hand-over to a worker and
 * back), so that the requests drained in one wake-up reach io_submit
 * together.  A region lasts until its process exits or execs, or until
 * the last file it was declared on is closed.  Each request's latency,
 * from acceptance to completion, goes to stats.c, and to trace.c while
 * anyone traces.
 */
#include "engine_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/async.h>
#include <scoaio/ioctl.h>
#include <unistd.h>

/* One DKIOCASTRT, from start until DKIOCASTAT returns its status. */
struct aio_request {
	struct backend_io io;		/* first: done() gets &io */
	struct mem_job job;		/* binding, then delivery */
	struct aio_file *file;
	struct caller *caller;		/* held */
	struct engine_call *call;	/* the DKIOCASTRT, until bound */
	int memfd;			/* a read's destination image, or -1 */
	struct mem_lock *lock;		/* io.buf is in it; NULL: the pool */
	bool on_loop;			/* its copies run on the loop */
	struct status status;
	uint64_t accepted_ns;		/* stats_clock_ns() at DKIOCASTRT */
	STAILQ_ENTRY(aio_request) link;	/* accepted, then f's done list */
};

/* A DKIOCMLOCK or DKIOCASTAT waiting for its memory check. */
struct pending_call {
	struct mem_job job;		/* first: done() gets &job */
	struct aio_file *file;
	struct engine_call *call;
	struct requester who;
	struct mlock_args region;	/* DKIOCMLOCK */
	struct aio_request *taken[MAXSTATUS];	/* DKIOCASTAT's */
	struct status st[MAXSTATUS];
	size_t ntaken;
};

/* Answered, not yet handed to the backend, in order. */
static STAILQ_HEAD(, aio_request) accepted =
	STAILQ_HEAD_INITIALIZER(accepted);

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/* The region and its lock go (exit, exec, last declaring file closed). */
static void drop_region(struct caller *c)
{
	if (c->lock)
		locktbl_release(c->lock);
	c->lock = NULL;
	c->region = (struct aio_region){ 0 };
	c->region_on_loop = false;
	direct_region_changed(c);
}

void engine_caller_retired(struct caller *c)
{
	drop_region(c);
	direct_caller_retired(c);
}

/* A job found that c's process has executed a new program. */
static void note_image(const struct mem_job *j, struct caller *c)
{
	if (j->image_ended)
		caller_image_ended(c);
}

/* Give back a request's buffer (its lock's memory, or the pool's). */
static void put_buffer(struct aio_request *r)
{
	if (r->lock)
		locktbl_buffer_done(r->lock);
	else
		backend_buf_put(r->io.buf);
}

/* Give back the slot of a request whose status is collected or dropped,
 * or that was turned down after its slot was taken. */
static void free_request(struct aio_request *r)
{
	r->caller->nreq--;
	engine_counts.requests_active--;
	quota_put_request(r->caller->uid);
	caller_put(r->caller);
	if (r->memfd >= 0)
		close(r->memfd);
	free(r);
}

void engine_aio_file_closed(struct aio_file *f)
{
	while (!STAILQ_EMPTY(&f->done)) {
		struct aio_request *r = STAILQ_FIRST(&f->done);

		STAILQ_REMOVE_HEAD(&f->done, link);
		free_request(r);
	}
	for (size_t i = 0; i < f->ndeclarers; i++) {
		struct caller *c = f->declarers[i];

		if (--c->region_files == 0)
			drop_region(c);
		caller_put(c);
	}
	free(f->declarers);
}

/* Remember that c declared its region on f (once per file). */
static int declare_on(struct aio_file *f, struct caller *c)
{
	struct caller **grown;

	for (size_t i = 0; i < f->ndeclarers; i++)
		if (f->declarers[i] == c)
			return 0;
	grown = realloc(f->declarers, (f->ndeclarers + 1) * sizeof(*grown));
	if (!grown)
		return ENOMEM;
	f->declarers = grown;
	f->declarers[f->ndeclarers++] = c;
	caller_hold(c);
	c->region_files++;
	return 0;
}

/* DKIOCMLOCK's decision, once any new region is known to be mapped (or,
 * with mapped_err, not) and whether it is all private anonymous memory.
 * Another thread of the process may have declared a region meanwhile, so
 * the rules are asked again. */
static int mlock_decide(struct aio_file *f, const struct requester *who,
			const struct mlock_args *m, int mapped_err,
			bool anonymous)
{
	static const struct aio_region no_region;
	enum rules_mlock_action action;
	struct caller *c = NULL;
	int unknown = engine_requester(who, &c);
	int err = rules_check_mlock(m, c ? &c->region : &no_region, &action);

	if (err || action == RULES_MLOCK_NOTHING)
		return err;
	if (unknown)
		return unknown;
	if (action == RULES_MLOCK_NEW) {
		if (mapped_err)
			return mapped_err == ESRCH ? EINVAL : mapped_err;
		err = locktbl_acquire(c->uid, c->tgid, m->avaddr, m->asize,
				      &c->lock);
		if (err)
			return err;
		c->region = (struct aio_region){ m->avaddr, m->asize,
						 c->lock != NULL };
		/* Only root may make the loop wait for its memory. */
		c->region_on_loop = c->lock && c->uid == 0 && anonymous;
		direct_region_changed(c);
	}
	err = declare_on(f, c);
	if (err && c->region_files == 0)
		drop_region(c);
	return err;
}

static void mlock_mapped(struct mem_job *j)
{
	struct pending_call *p = (struct pending_call *)j;

	p->call->done(p->call, mlock_decide(p->file, &p->who, &p->region,
					    j->err, j->anonymous), NULL, 0);
	free(p);
}

void engine_mlock(struct aio_file *f, struct engine_call *call,
		  const struct requester *who, const struct mlock_args *m)
{
	static const struct aio_region no_region;
	enum rules_mlock_action action;
	struct caller *c = NULL;
	struct pending_call *p;
	int err;

	engine_requester(who, &c);
	err = rules_check_mlock(m, c ? &c->region : &no_region, &action);
	if (err || action != RULES_MLOCK_NEW) {
		call->done(call, err ? err : mlock_decide(f, who, m, 0,
							  false), NULL, 0);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		call->done(call, ENOMEM, NULL, 0);
		return;
	}
	*p = (struct pending_call){
		.job = { .op = MEM_MAPPED, .uid = who->uid, .tid = who->tid,
			 .memfd = -1, .addr = m->avaddr, .len = m->asize,
			 .image_fd = -1, .done = mlock_mapped },
		.file = f, .call = call, .who = *who, .region = *m,
	};
	err = clientmem_submit(&p->job);
	if (err) {
		free(p);
		call->done(call, err, NULL, 0);
	}
}

static void request_delivered(struct mem_job *j)
{
	struct aio_request *r = container_of(j, struct aio_request, job);
	struct aio_file *f = r->file;

	note_image(j, r->caller);
	if (j->err) {
		r->status.iostatus = (int16_t)j->err;
		r->status.iobsize = 0;
	}
	if (r->memfd >= 0)
		close(r->memfd);
	r->memfd = -1;
	put_buffer(r);
	STAILQ_INSERT_TAIL(&f->done, r, link);
	f->ndone++;
	engine_transfer_ended(f);
}

static void trace_completion(const struct aio_request *r, long result,
			     uint64_t latency)
{
	struct aio_trace_rec rec = {
		.kind = AIO_TRACE_DONE,
		.cmd = r->io.write ? AU_WRITE : AU_READ,
		.error = result < 0 ? (int32_t)-result
				    : (size_t)result != r->io.len ? EIO : 0,
		.count = result < 0 ? 0 : (int32_t)result,
		.addr = r->status.iomaddr, .size = r->io.len,
		.block = r->io.offset / AIO_BLOCK, .ref = r->status.ioref,
		.latency_ns = latency,
	};

	trace_record(r->io.dev, r->job.tid, r->caller->uid, &rec);
}

static void request_done(struct backend_io *io, long result)
{
	struct aio_request *r = (struct aio_request *)io;
	uint64_t latency = stats_request_done(io->dev, io->write,
					      r->accepted_ns);

	engine_count_transfer(io->dev, io->write, result, io->len);
	if (atomic_load_explicit(&trace_on, memory_order_relaxed))
		trace_completion(r, result, latency);
	if (result < 0) {
		r->status.iostatus = (int16_t)-result;
	} else if ((size_t)result != io->len) {
		r->status.iostatus = EIO;	/* short: the device failed */
		r->status.iobsize = (int16_t)result;
	} else {
		r->status.iobsize = (int16_t)result;
	}
	r->job.err = 0;
	r->job.image_ended = false;
	if (io->write || r->status.iostatus) {
		request_delivered(&r->job);
		return;
	}
	r->job.op = MEM_DELIVER;
	r->job.memfd = r->memfd;
	r->job.answer = NULL;
	r->job.done = request_delivered;
	if (r->on_loop) {
		clientmem_run_here(&r->job);
	} else if (clientmem_submit(&r->job)) {
		r->job.err = ENOMEM;
		request_delivered(&r->job);
	}
}

/* On the worker: a bound request is answered at once (its slot is taken
 * already); one turned down waits for the loop to give back its slot. */
static void request_answer(struct mem_job *j)
{
	struct aio_request *r = container_of(j, struct aio_request, job);

	if (j->err == 0)
		r->call->done(r->call, 0, NULL, 0);
}

/* The write's data is copied, or the read's destination checked: accept
 * the request, or turn it down and give back what it took. */
static void request_bound(struct mem_job *j)
{
	struct aio_request *r = container_of(j, struct aio_request, job);
	struct engine_call *call = r->call;
	struct aio_file *f = r->file;
	int err = j->err;

	note_image(j, r->caller);
	r->call = NULL;
	r->memfd = j->memfd;	/* a read's handle from MEM_BIND, or -1 */
	j->memfd = -1;
	if (err) {
		engine_counts.requests_total--;
		put_buffer(r);
		free_request(r);
		engine_transfer_ended(f);
		call->done(call, err == ESRCH ? EINVAL : err, NULL, 0);
		return;
	}
	STAILQ_INSERT_TAIL(&accepted, r, link);
	if (!j->answer)		/* bound on the loop: not answered yet */
		call->done(call, 0, NULL, 0);
}

void engine_start(struct aio_file *f, struct engine_call *call,
		  const struct requester *who, const struct request_args *rq)
{
	struct aio_target target = { f->dev->size, f->readable, f->writable };
	struct aio_request *r;
	struct caller *c;
	void *buf;
	int err;

	err = rq->cmd == AU_WRITE && f->dev->readonly ? EROFS
						      : engine_requester(who, &c);
	if (!err)
		err = rules_check_request(rq, &c->region, &target);
	/* NAIOREQPP counts the process's direct requests too. */
	if (!err && c->nreq + direct_held(c) >= engine_tun.naioreqpp)
		err = EAGAIN;
	if (!err && !(r = calloc(1, sizeof(*r))))
		err = EAGAIN;
	if (err) {
		call->done(call, err, NULL, 0);
		return;
	}
	buf = c->lock ? locktbl_buffer(c->lock, rq->maddr) : backend_buf_get();
	err = buf ? quota_take_request(c->uid) : EAGAIN;
	if (err == EAGAIN && buf && direct_reclaim())
		err = quota_take_request(c->uid);
	if (err) {
		if (buf && c->lock)
			locktbl_buffer_done(c->lock);
		else if (buf)
			backend_buf_put(buf);
		free(r);
		call->done(call, err, NULL, 0);
		return;
	}
	*r = (struct aio_request){
		.io = { .dev = f->dev, .write = rq->cmd == AU_WRITE,
			.offset = (uint64_t)rq->daddr * AIO_BLOCK,
			.len = (size_t)rq->size, .buf = buf,
			.done = request_done },
		.job = { .op = rq->cmd == AU_WRITE ? MEM_READ : MEM_BIND,
			 .uid = c->uid, .tid = who->tid, .memfd = -1,
			 .addr = rq->maddr, .buf = buf,
			 .len = (uint64_t)rq->size, .image_fd = c->memfd,
			 .answer = request_answer, .done = request_bound },
		.file = f, .caller = c, .call = call, .memfd = -1,
		.lock = c->lock, .on_loop = c->region_on_loop,
		.status = { .iomaddr = rq->maddr, .ioref = rq->ref },
		.accepted_ns = stats_clock_ns(),
	};
	/* The slot is the request's from here; free_request gives it back. */
	caller_hold(c);
	c->nreq++;
	engine_counts.requests_total++;	/* taken back if turned down */
	if (++engine_counts.requests_active > engine_counts.requests_max)
		engine_counts.requests_max = engine_counts.requests_active;
	engine_transfer_started(f);
	/* The rules kept a locked region's transfers inside it. */
	if (r->on_loop) {
		clientmem_run_here(&r->job);
		return;
	}
	err = clientmem_submit(&r->job);
	if (err) {
		r->job.err = err;
		r->job.answer = NULL;
		request_bound(&r->job);
	}
}

void engine_start_accepted(void)
{
	while (!STAILQ_EMPTY(&accepted)) {
		struct aio_request *r = STAILQ_FIRST(&accepted);

		STAILQ_REMOVE_HEAD(&accepted, link);
		backend_submit(&r->io);
	}
	backend_flush();
}

/* The statuses taken go to the client, their slots given back first so
 * that the client sees them free when the call returns; or, if it could
 * not write the array, they go back to the head of the list. */
static void statuses_checked(struct mem_job *j)
{
	struct pending_call *p = (struct pending_call *)j;
	struct aio_file *f = p->file;

	if (j->err) {
		for (size_t i = p->ntaken; i-- > 0;) {
			STAILQ_INSERT_HEAD(&f->done, p->taken[i], link);
			f->ndone++;
		}
		p->call->done(p->call, j->err == ESRCH ? EINVAL : j->err, NULL,
			      0);
	} else {
		for (size_t i = 0; i < p->ntaken; i++)
			free_request(p->taken[i]);
		p->call->done(p->call, 0, p->st, p->ntaken);
	}
	free(p);
}

void engine_collect(struct aio_file *f, struct engine_call *call,
		    const struct requester *who, uint64_t out_addr,
		    size_t out_size)
{
	struct pending_call *p;

	/* A polling client keeps the session busy: collect finished
	 * transfers now rather than when the loop next looks (cheap: libaio
	 * reads its completion ring in user space). */
	if (!f->ndone && f->inflight)
		backend_reap();
	if (!f->ndone) {
		call->done(call, 0, NULL, 0);
		return;
	}
	/* The kernel copies statuses out only after aiod has answered, and
	 * statuses it could not deliver would be lost: check that the
	 * caller could write the array before taking any off the list. */
	p = calloc(1, sizeof(*p));
	if (!p) {
		call->done(call, ENOMEM, NULL, 0);
		return;
	}
	*p = (struct pending_call){
		.job = { .op = MEM_WRITABLE, .uid = who->uid, .tid = who->tid,
			 .memfd = -1, .addr = out_addr, .len = out_size,
			 .image_fd = -1, .done = statuses_checked },
		.file = f, .call = call, .who = *who,
		.ntaken = rules_status_count(f->ndone),
	};
	for (size_t i = 0; i < p->ntaken; i++) {
		struct aio_request *r = STAILQ_FIRST(&f->done);

		STAILQ_REMOVE_HEAD(&f->done, link);
		f->ndone--;
		p->taken[i] = r;
		p->st[i] = r->status;
	}
	if (clientmem_submit(&p->job)) {
		p->job.err = ENOMEM;
		statuses_checked(&p->job);
	}
}
