/*
 * engine.c -- the aio(M) semantics, shared by both front ends.  It checks
 * every DKIOCMLOCK and DKIOCASTRT against the rules of the manual page,
 * accounts request slots per process and system-wide (NAIOREQPP, NAIOREQ),
 * answers each accepted DKIOCASTRT before starting it (so the caller's
 * next request overlaps the copy and io_submit), moves data between
 * callers and bounce buffers, keeps each open file's
 * completions in completion order until DKIOCASTAT collects them, serves
 * plain read()/write() on a partition, and holds flush and release replies
 * until the open file has no transfer in flight.
 */
#define FUSE_USE_VERSION 312
#include "aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <unistd.h>
#include <scoaio/ioctl.h>

/* One DKIOCASTRT, from start until DKIOCASTAT returns its status. */
struct aio_request {
	struct backend_io io;		/* first: done() gets &io */
	struct aio_file *file;
	struct caller *caller;
	uint64_t maddr;
	struct lock_memory *lock_mem;	/* io.buf is in it, else the pool */
	struct status status;
	struct aio_request *next_done;
};

/* Who a plain transfer answers: the kernel's read/write reply, or an
 * ioctl result with the data in or from the memory of 'caller'. */
struct plain_target {
	struct caller *caller;		/* NULL: read()/write() */
	uint64_t addr;
};

/* One plain or positional transfer in flight. */
struct plain_io {
	struct backend_io io;		/* first: done() gets &io */
	struct aio_file *file;
	fuse_req_t req;
	size_t skip;			/* unaligned read: bytes to drop */
	size_t want;			/* bytes the caller asked for */
	struct plain_target target;
};

/* A flush or release reply waiting for the file's transfers to end. */
struct waiter {
	fuse_req_t req;
	bool release;
	struct waiter *next;
};

struct aio_file {
	struct device *dev;
	bool readable, writable;
	uint64_t position;		/* for front ends without offsets */
	unsigned inflight;
	struct aio_request *done_head, *done_tail;
	struct waiter *waiters;
	struct caller **declarers;	/* DKIOCMLOCK'd on this file */
	size_t ndeclarers;
};

static struct tunables tun;
static struct engine_stats stats;
static unsigned inflight_total;
/* Requests answered but not yet handed to the backend, in order. */
static struct aio_request *accepted_head, *accepted_tail;

void engine_init(const struct tunables *t)
{
	tun = *t;
}

const struct engine_stats *engine_stats(void)
{
	return &stats;
}

const struct tunables *engine_tunables(void)
{
	return &tun;
}

unsigned engine_inflight(void)
{
	return inflight_total;
}

int engine_check_request(const struct request_args *rq,
			 const struct caller *c, uint64_t partition_size)
{
	uint64_t blocks = partition_size / AIO_BLOCK;

	if (rq->cmd != AU_READ && rq->cmd != AU_WRITE)
		return EINVAL;
	if (rq->size <= 0 || rq->size % AIO_BLOCK)
		return EINVAL;
	if (rq->maddr % AIO_BLOCK)
		return EINVAL;
	if (rq->maddr % AIO_PAGE + (uint64_t)rq->size > AIO_PAGE)
		return EINVAL;
	if (c && c->lock_held &&
	    (rq->maddr < c->lock_addr ||
	     rq->maddr - c->lock_addr + (uint64_t)rq->size > c->lock_size))
		return EINVAL;
	if (rq->daddr < 0 || (uint64_t)rq->daddr > blocks ||
	    blocks - (uint64_t)rq->daddr < (uint64_t)rq->size / AIO_BLOCK)
		return ENXIO;
	return 0;
}

struct aio_file *engine_open(struct device *dev, int open_flags)
{
	struct aio_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->dev = dev;
	f->readable = (open_flags & O_ACCMODE) != O_WRONLY;
	f->writable = (open_flags & O_ACCMODE) != O_RDONLY;
	return f;
}

/* Give back the slot of a request whose status is collected or dropped. */
static void free_request(struct aio_request *r)
{
	struct caller *c = r->caller;

	c->nreq--;
	stats.requests_active--;
	caller_release_if_idle(c);
	free(r);
}

static void free_file(struct aio_file *f)
{
	while (f->done_head) {
		struct aio_request *r = f->done_head;

		f->done_head = r->next_done;
		free_request(r);
	}
	/* A process's lock lasts until it closes its last AIO device. */
	for (size_t i = 0; i < f->ndeclarers; i++) {
		struct caller *c = f->declarers[i];

		if (--c->lock_files == 0)
			lock_release(c);
		caller_release_if_idle(c);
	}
	free(f->declarers);
	free(f);
}

void engine_discard(struct aio_file *f)
{
	free_file(f);
}

/* A transfer of f ended: answer flush and release once none is left. */
static void transfer_ended(struct aio_file *f)
{
	bool release = false;

	inflight_total--;
	if (--f->inflight)
		return;
	while (f->waiters) {
		struct waiter *w = f->waiters;

		f->waiters = w->next;
		release |= w->release;
		fuse_reply_err(w->req, 0);
		free(w);
	}
	if (release)
		free_file(f);
}

static void transfer_started(struct aio_file *f)
{
	inflight_total++;
	f->inflight++;
}

static void wait_for_transfers(fuse_req_t req, struct aio_file *f,
			       bool release)
{
	struct waiter *w;

	if (f->inflight == 0) {
		fuse_reply_err(req, 0);
		if (release)
			free_file(f);
		return;
	}
	w = malloc(sizeof(*w));
	if (!w) {	/* cannot wait: the transfers finish on their own */
		log_err("out of memory waiting for close; not waiting");
		fuse_reply_err(req, release ? 0 : ENOMEM);
		return;
	}
	*w = (struct waiter){ req, release, f->waiters };
	f->waiters = w;
}

void engine_flush(fuse_req_t req, struct aio_file *f)
{
	wait_for_transfers(req, f, false);
}

void engine_release(fuse_req_t req, struct aio_file *f)
{
	wait_for_transfers(req, f, true);
}

static void count_transfer(struct device *dev, bool write, long result,
			   size_t len)
{
	if (result < 0 || (size_t)result != len)
		dev->stats.errors++;
	if (result <= 0)
		return;
	if (write) {
		dev->stats.writes++;
		dev->stats.bytes_written += (uint64_t)result;
	} else {
		dev->stats.reads++;
		dev->stats.bytes_read += (uint64_t)result;
	}
}

static void request_done(struct backend_io *io, long result)
{
	struct aio_request *r = (struct aio_request *)io;
	struct aio_file *f = r->file;

	count_transfer(io->dev, io->write, result, io->len);
	if (result < 0) {
		r->status.iostatus = (int16_t)-result;
	} else if ((size_t)result != io->len) {
		r->status.iostatus = EIO;	/* short: the device failed */
		r->status.iobsize = (int16_t)result;
	} else {
		r->status.iobsize = (int16_t)result;
		if (!io->write) {
			int rc = caller_write(r->caller, r->maddr, io->buf,
					      io->len);
			if (rc) {
				r->status.iostatus = (int16_t)rc;
				r->status.iobsize = 0;
			}
		}
	}
	if (r->lock_mem)
		lock_buffer_done(r->lock_mem);
	else
		bufpool_put(io->buf);
	r->next_done = NULL;
	if (f->done_tail)
		f->done_tail->next_done = r;
	else
		f->done_head = r;
	f->done_tail = r;
	transfer_ended(f);
}

static struct caller *requesting_caller(fuse_req_t req, int *err)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct caller *c = caller_get(ctx->pid, ctx->uid);

	if (!c)
		*err = errno == EAGAIN ? EAGAIN : errno == ENOMEM ? ENOMEM
								   : EINVAL;
	return c;
}

/* Remember that c declared its region on f (once per file). */
static int add_declarer(struct aio_file *f, struct caller *c)
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
	c->lock_files++;
	return 0;
}

static int do_mlock(fuse_req_t req, struct aio_file *f,
		    const struct mlock_args *m)
{
	struct caller *c;
	int err;

	if (m->asize == 0)
		return 0;
	c = requesting_caller(req, &err);
	if (!c)
		return err;
	if (c->lock_size && (c->lock_addr != m->avaddr ||
			     c->lock_size != m->asize))
		return EINVAL;
	if (!c->lock_size) {
		if (caller_probe(c, m->avaddr, m->asize))
			return EFAULT;
		c->lock_addr = m->avaddr;
		c->lock_size = m->asize;
		err = lock_acquire(c);
		if (err) {
			c->lock_addr = c->lock_size = 0;
			return err;
		}
	}
	err = add_declarer(f, c);
	if (err && c->lock_files == 0)
		lock_release(c);
	return err;
}

static int do_start(fuse_req_t req, struct aio_file *f,
		    const struct request_args *rq)
{
	struct aio_request *r;
	struct caller *c;
	void *buf;
	int err;

	c = requesting_caller(req, &err);
	if (!c)
		return err;
	err = engine_check_request(rq, c, f->dev->size);
	if (err)
		return err;
	if (rq->cmd == AU_WRITE ? !f->writable : !f->readable)
		return EBADF;
	if (c->nreq >= tun.naioreqpp || stats.requests_active >= tun.naioreq)
		return EAGAIN;
	/* Inside a held lock the region was probed at DKIOCMLOCK. */
	if (!c->lock_held && caller_probe(c, rq->maddr, (uint64_t)rq->size))
		return EFAULT;
	r = calloc(1, sizeof(*r));
	if (!r)
		return EAGAIN;
	buf = c->lock_held ? lock_buffer(c, rq->maddr, &r->lock_mem)
			   : bufpool_get();
	if (!buf) {
		free(r);
		return EAGAIN;
	}
	r->file = f;
	r->caller = c;
	r->maddr = rq->maddr;
	r->status.iomaddr = rq->maddr;
	r->status.ioref = rq->ref;
	r->io = (struct backend_io){
		.dev = f->dev,
		.write = rq->cmd == AU_WRITE,
		.offset = (uint64_t)rq->daddr * AIO_BLOCK,
		.len = (size_t)rq->size,
		.buf = buf,
		.done = request_done,
	};
	c->nreq++;
	stats.requests_total++;
	if (++stats.requests_active > stats.requests_max)
		stats.requests_max = stats.requests_active;
	transfer_started(f);
	if (accepted_tail)
		accepted_tail->next_done = r;
	else
		accepted_head = r;
	accepted_tail = r;
	return 0;
}

void engine_start_accepted(void)
{
	while (accepted_head) {
		struct aio_request *r = accepted_head;

		accepted_head = r->next_done;
		r->next_done = NULL;
		if (r->io.write && caller_read(r->caller, r->maddr, r->io.buf,
					       r->io.len))
			request_done(&r->io, -EFAULT);	/* unmapped since */
		else
			backend_submit(&r->io);
	}
	accepted_tail = NULL;
	backend_flush();
}

/* The kernel copies statuses out only after aiod has answered, and
 * statuses it could not deliver would be lost: refuse an argument that is
 * not mapped in the caller before taking any off the list. */
static bool status_buffer_mapped(fuse_req_t req, uint64_t arg, size_t size)
{
	int err;
	struct caller *c = requesting_caller(req, &err);

	return !c || caller_probe(c, arg, size) == 0;
}

static void do_status(fuse_req_t req, struct aio_file *f, bool compat,
		      uint64_t arg, size_t size)
{
	struct status st[MAXSTATUS];
	unsigned char out[sizeof(ASYNCSTATUS)];
	size_t n = 0;

	/* A polling client keeps the session busy: collect finished
	 * transfers now rather than when the loop next looks (cheap: libaio
	 * reads its completion ring in user space). */
	if (!f->done_head && f->inflight)
		backend_reap();
	if (f->done_head && !status_buffer_mapped(req, arg, size)) {
		fuse_reply_err(req, EFAULT);
		return;
	}
	while (n < MAXSTATUS && f->done_head) {
		struct aio_request *r = f->done_head;

		f->done_head = r->next_done;
		if (!f->done_head)
			f->done_tail = NULL;
		st[n++] = r->status;
		free_request(r);
	}
	fuse_reply_ioctl(req, 0, out, abi_put_statuses(out, compat, st, n));
}

/* ---- plain and positional transfers ----------------------------------
 *
 * read() and write() on a device, and libasync's AIOC_PREAD and
 * AIOC_PWRITE, which move data straight between the partition and the
 * caller's memory at an offset of their own.  Both go through the same
 * backend with a buffer of their own; only the reply differs.
 */

static void reply_count(fuse_req_t req, const struct plain_target *t,
			bool write, const void *data, size_t n)
{
	if (t->caller)
		fuse_reply_ioctl(req, (int)n, NULL, 0);
	else if (write)
		fuse_reply_write(req, n);
	else
		fuse_reply_buf(req, data, n);
}

static void plain_done(struct backend_io *io, long result)
{
	struct plain_io *p = (struct plain_io *)io;
	struct caller *c = p->target.caller;

	count_transfer(io->dev, io->write, result, io->len);
	if (result < 0) {
		fuse_reply_err(p->req, (int)-result);
	} else {
		size_t got = io->write ? (size_t)result :
			     (size_t)result > p->skip ? (size_t)result - p->skip
						      : 0;
		const char *data = (const char *)io->buf + p->skip;
		int err = 0;

		if (got > p->want)
			got = p->want;
		if (c && !io->write && got)
			err = caller_write(c, p->target.addr, data, got);
		if (err)
			fuse_reply_err(p->req, EFAULT);
		else
			reply_count(p->req, &p->target, io->write, data, got);
	}
	if (c) {
		c->pio_busy--;
		caller_release_if_idle(c);
	}
	transfer_ended(p->file);
	free(io->buf);
	free(p);
}

/* Transfer [start, start+len) (aligned); a read delivers want bytes from
 * skip on.  Writes take their data from 'data' or from the target. */
static void plain_submit(fuse_req_t req, struct aio_file *f, bool write,
			 uint64_t start, size_t len, size_t skip, size_t want,
			 const char *data, const struct plain_target *t)
{
	struct plain_io *p = calloc(1, sizeof(*p));
	void *buf = NULL;

	if (!p || posix_memalign(&buf, AIO_PAGE, len)) {
		free(p);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (write && t->caller) {
		if (caller_read(t->caller, t->addr, buf, len)) {
			free(buf);
			free(p);
			fuse_reply_err(req, EFAULT);
			return;
		}
	} else if (write) {
		memcpy(buf, data, len);
	}
	*p = (struct plain_io){
		.io = { .dev = f->dev, .write = write, .offset = start,
			.len = len, .buf = buf, .done = plain_done },
		.file = f, .req = req, .skip = skip, .want = want,
		.target = *t,
	};
	if (t->caller)
		t->caller->pio_busy++;
	transfer_started(f);
	backend_submit(&p->io);
	backend_flush();
}

static void plain_read(fuse_req_t req, struct aio_file *f, uint64_t at,
		       size_t size, const struct plain_target *t)
{
	uint64_t start, end;

	if (at >= f->dev->size || size == 0) {
		reply_count(req, t, false, NULL, 0);
		return;
	}
	if (size > f->dev->size - at)
		size = (size_t)(f->dev->size - at);
	start = at - at % AIO_BLOCK;
	end = (at + size + AIO_BLOCK - 1) / AIO_BLOCK * AIO_BLOCK;
	plain_submit(req, f, false, start, (size_t)(end - start),
		     (size_t)(at - start), size, NULL, t);
}

/* A raw disk's write rules: 0 and the size to write (clipped at the end
 * of the partition, 0 for an empty write), or an errno. */
static int plain_write_size(const struct aio_file *f, uint64_t at,
			    size_t *size)
{
	if (at % AIO_BLOCK || *size % AIO_BLOCK)
		return EINVAL;
	if (*size && at >= f->dev->size)
		return ENOSPC;
	if (*size > f->dev->size - at)
		*size = (size_t)(f->dev->size - at);
	return 0;
}

static void plain_write(fuse_req_t req, struct aio_file *f, uint64_t at,
			size_t size, const char *data,
			const struct plain_target *t)
{
	int err = plain_write_size(f, at, &size);

	if (err)
		fuse_reply_err(req, err);
	else if (size == 0)
		reply_count(req, t, true, NULL, 0);
	else
		plain_submit(req, f, true, at, size, 0, size, data, t);
}

/* Where read() or write() starts: the kernel's offset, or (CUSE) the
 * position kept for the open file, which moves past what is accepted. */
static uint64_t take_position(struct aio_file *f, int64_t offset,
			      size_t size, bool write)
{
	uint64_t at;

	if (offset != ENGINE_FILE_POSITION)
		return (uint64_t)offset;
	at = f->position;
	if (write ? plain_write_size(f, at, &size) == 0
		  : at < f->dev->size) {
		if (!write && size > f->dev->size - at)
			size = (size_t)(f->dev->size - at);
		f->position += size;
	}
	return at;
}

void engine_read(fuse_req_t req, struct aio_file *f, size_t size,
		 int64_t offset)
{
	static const struct plain_target to_reply;
	uint64_t at = take_position(f, offset, size, false);

	plain_read(req, f, at, size, &to_reply);
}

void engine_write(fuse_req_t req, struct aio_file *f, const char *buf,
		  size_t size, int64_t offset)
{
	static const struct plain_target from_request;
	uint64_t at = take_position(f, offset, size, true);

	plain_write(req, f, at, size, buf, &from_request);
}

static void do_ident(fuse_req_t req, struct aio_file *f)
{
	struct aio_ident id = { AIO_IDENT_MAGIC, 1, f->dev->size };

	fuse_reply_ioctl(req, 0, &id, sizeof(id));
}

static void do_seek(fuse_req_t req, struct aio_file *f, const void *in)
{
	struct aio_seek sk;
	int64_t base;

	memcpy(&sk, in, sizeof(sk));
	switch (sk.whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->position; break;
	case SEEK_END: base = (int64_t)f->dev->size; break;
	default: fuse_reply_err(req, EINVAL); return;
	}
	if (sk.offset < -base || sk.offset > (int64_t)f->dev->size - base) {
		fuse_reply_err(req, EINVAL);	/* as block devices do */
		return;
	}
	f->position = (uint64_t)(base + sk.offset);
	sk.offset = (int64_t)f->position;
	fuse_reply_ioctl(req, 0, &sk, sizeof(sk));
}

static void do_pio(fuse_req_t req, struct aio_file *f, bool write,
		   const void *in)
{
	struct plain_target t;
	struct aio_pio pio;
	int err;

	memcpy(&pio, in, sizeof(pio));
	if (write ? !f->writable : !f->readable) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if (pio.offset < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	t.caller = requesting_caller(req, &err);
	t.addr = pio.buf;
	if (!t.caller) {
		fuse_reply_err(req, err);
		return;
	}
	if (pio.len > AIO_PIO_MAX)
		pio.len = AIO_PIO_MAX;
	if (write)
		plain_write(req, f, (uint64_t)pio.offset, (size_t)pio.len,
			    NULL, &t);
	else
		plain_read(req, f, (uint64_t)pio.offset, (size_t)pio.len, &t);
}

void engine_ioctl(fuse_req_t req, struct aio_file *f, unsigned int cmd,
		  uint64_t arg, unsigned int flags, const void *in,
		  size_t in_size, size_t out_size)
{
	struct aio_cmd d = abi_decode(cmd, flags & FUSE_IOCTL_COMPAT);
	struct request_args rq;
	struct mlock_args m;
	int err;

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
		err = do_mlock(req, f, &m);
		break;
	case AIO_OP_ASTRT:
		abi_get_request(in, d.compat, &rq);
		err = do_start(req, f, &rq);
		break;
	case AIO_OP_ASTAT:
		do_status(req, f, d.compat, arg, d.out_size);
		return;
	case AIO_OP_LKTBL_LOAD:
		admin_lktbl_load(req, in);
		return;
	case AIO_OP_INFO:
		admin_info(req);
		return;
	case AIO_OP_DEVINFO:
		admin_devinfo(req, in);
		return;
	case AIO_OP_IDENT:
		do_ident(req, f);
		return;
	case AIO_OP_SEEK:
		do_seek(req, f, in);
		return;
	case AIO_OP_PREAD:
	case AIO_OP_PWRITE:
		do_pio(req, f, d.op == AIO_OP_PWRITE, in);
		return;
	default:
		err = ENOTTY;
		break;
	}
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_ioctl(req, 0, NULL, 0);
}
