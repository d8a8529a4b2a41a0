/*
 * engine_aio.c -- aio(M)'s three ioctls.  DKIOCMLOCK declares a process's
 * region and locks it if the lock table lets its user; DKIOCASTRT checks a
 * request against rules.c, accounts its slot per process and system-wide
 * (NAIOREQPP, NAIOREQ, the share of each user) and binds it to the
 * caller's memory, and is answered before its transfer is submitted, so
 * accepted requests go to io_submit in batches; DKIOCASTAT hands
 * back each open file's completions in completion order, at most MAXSTATUS
 * at a time.  A region lasts until its process exits or execs, or until
 * the last file it was declared on is closed.
 */
#include "engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/async.h>
#include <unistd.h>

/* One DKIOCASTRT, from start until DKIOCASTAT returns its status. */
struct aio_request {
	struct backend_io io;		/* first: done() gets &io */
	struct aio_file *file;
	struct caller *caller;		/* held */
	uint64_t maddr;
	int memfd;			/* a read's destination image, or -1 */
	struct mem_lock *lock;		/* io.buf is in it; NULL: the pool */
	struct status status;
	STAILQ_ENTRY(aio_request) link;	/* accepted, then f's done list */
};

/* Answered, not yet handed to the backend, in order. */
static STAILQ_HEAD(, aio_request) accepted =
	STAILQ_HEAD_INITIALIZER(accepted);

/* The region and its lock go (exit, exec, last declaring file closed). */
static void drop_region(struct caller *c)
{
	if (c->lock)
		locktbl_release(c->lock);
	c->lock = NULL;
	c->region = (struct aio_region){ 0 };
}

void engine_caller_retired(struct caller *c)
{
	drop_region(c);
}

/* Give back the slot of a request whose status is collected or dropped. */
static void free_request(struct aio_request *r)
{
	r->caller->nreq--;
	engine_counts.requests_active--;
	quota_put_request(r->caller->uid);
	caller_put(r->caller);
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

int engine_mlock(struct aio_file *f, const struct requester *who,
		 const struct mlock_args *m)
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
		err = clientmem_mapped(who->tid, m->avaddr, m->asize);
		if (err)
			return err == ESRCH ? EINVAL : err;
		err = locktbl_acquire(c->uid, c->tgid, m->avaddr, m->asize,
				   &c->lock);
		if (err)
			return err;
		c->region = (struct aio_region){ m->avaddr, m->asize,
						 c->lock != NULL };
	}
	err = declare_on(f, c);
	if (err && c->region_files == 0)
		drop_region(c);
	return err;
}

/* Give back a request's buffer (its lock's memory, or the pool's). */
static void put_buffer(struct aio_request *r)
{
	if (r->lock)
		locktbl_buffer_done(r->lock);
	else
		backend_buf_put(r->io.buf);
}

static void request_done(struct backend_io *io, long result)
{
	struct aio_request *r = (struct aio_request *)io;
	struct aio_file *f = r->file;

	engine_count_transfer(io->dev, io->write, result, io->len);
	if (result < 0) {
		r->status.iostatus = (int16_t)-result;
	} else if ((size_t)result != io->len) {
		r->status.iostatus = EIO;	/* short: the device failed */
		r->status.iobsize = (int16_t)result;
	} else {
		r->status.iobsize = (int16_t)result;
		if (!io->write) {
			int rc = clientmem_deliver(r->memfd, r->maddr, io->buf,
						   io->len);
			if (rc) {
				r->status.iostatus = (int16_t)rc;
				r->status.iobsize = 0;
			}
		}
	}
	if (r->memfd >= 0)
		close(r->memfd);
	r->memfd = -1;
	put_buffer(r);
	STAILQ_INSERT_TAIL(&f->done, r, link);
	f->ndone++;
	engine_transfer_ended(f);
}

/* Bind r to the requester's image: a write's data is copied now, a read
 * gets a handle to deliver into once it is checked writable. */
static int bind_memory(struct aio_request *r, pid_t tid)
{
	int err;

	if (r->io.write)
		return clientmem_read(tid, r->maddr, r->io.buf, r->io.len);
	err = clientmem_writable(tid, r->maddr, r->io.len);
	return err ? err : clientmem_bind(tid, &r->memfd);
}

int engine_start(struct aio_file *f, const struct requester *who,
		 const struct request_args *rq)
{
	struct aio_target target = { f->dev->size, f->readable, f->writable };
	struct aio_request *r;
	struct caller *c;
	int err;

	err = engine_requester(who, &c);
	if (err)
		return err;
	err = rules_check_request(rq, &c->region, &target);
	if (err)
		return err;
	if (c->nreq >= engine_tun.naioreqpp)
		return EAGAIN;
	r = calloc(1, sizeof(*r));
	if (!r)
		return EAGAIN;
	r->file = f;
	r->caller = c;
	r->maddr = rq->maddr;
	r->memfd = -1;
	r->lock = c->lock;
	r->status.iomaddr = rq->maddr;
	r->status.ioref = rq->ref;
	r->io = (struct backend_io){
		.dev = f->dev,
		.write = rq->cmd == AU_WRITE,
		.offset = (uint64_t)rq->daddr * AIO_BLOCK,
		.len = (size_t)rq->size,
		.buf = c->lock ? locktbl_buffer(c->lock, rq->maddr)
			       : backend_buf_get(),
		.done = request_done,
	};
	err = r->io.buf ? quota_take_request(c->uid) : EAGAIN;
	if (!err) {
		err = bind_memory(r, who->tid);
		if (err)
			quota_put_request(c->uid);
	}
	if (err) {
		if (r->io.buf)
			put_buffer(r);
		free(r);
		return err == ESRCH ? EINVAL : err;
	}
	caller_hold(c);
	c->nreq++;
	engine_counts.requests_total++;
	if (++engine_counts.requests_active > engine_counts.requests_max)
		engine_counts.requests_max = engine_counts.requests_active;
	engine_transfer_started(f);
	STAILQ_INSERT_TAIL(&accepted, r, link);
	return 0;
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

int engine_collect(struct aio_file *f, const struct requester *who,
		   uint64_t out_addr, size_t out_size, struct status st[],
		   size_t *n)
{
	/* A polling client keeps the session busy: collect finished
	 * transfers now rather than when the loop next looks (cheap: libaio
	 * reads its completion ring in user space). */
	if (!f->ndone && f->inflight)
		backend_reap();
	/* The kernel copies statuses out only after aiod has answered, and
	 * statuses it could not deliver would be lost: reject an argument
	 * the caller could not write before taking any off the list. */
	*n = rules_status_count(f->ndone);
	if (*n && clientmem_writable(who->tid, out_addr, out_size)) {
		*n = 0;
		return EFAULT;
	}
	for (size_t i = 0; i < *n; i++) {
		struct aio_request *r = STAILQ_FIRST(&f->done);

		STAILQ_REMOVE_HEAD(&f->done, link);
		f->ndone--;
		st[i] = r->status;
		free_request(r);
	}
	return 0;
}
