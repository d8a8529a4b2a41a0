/* SPDX-License-Identifier: MIT */
/*
 * engine_pio.c -- plain and positional transfers: read() and write() on a
 * partition, at the kernel's offset or (CUSE, which ignores offsets) at a
 * position kept per open file, and libasync's AIOC_SEEK, AIOC_PREAD and
 * AIOC_PWRITE, which move data straight between the partition and the
 * caller's memory.  Both kinds take any size a raw disk takes: reads of
 * any length at any offset (through an aligned buffer of their own),
 * writes in whole 512-byte blocks; only where the data goes differs.  A
 * positional transfer is bound to the requester's memory as DKIOCASTRT
 * is (clientmem.c): a write's data is copied while the ioctl waits, a
 * read is delivered through a handle on the image that asked.
 */
#include "engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <scoaio/ioctl.h>

/* The client memory a positional transfer moves data from or to; tid 0
 * for read() and write(), whose data travels in the request. */
struct pio_client {
	pid_t tid;
	uid_t uid;
	uint64_t addr;
};

static const struct pio_client in_request;

/* One plain or positional transfer in flight. */
struct plain_io {
	struct backend_io io;		/* first: done() gets &io */
	struct mem_job job;		/* binding, then delivery */
	struct aio_file *file;
	struct engine_call *call;
	int memfd;			/* a positional read's destination
					   image, else -1 */
	size_t skip;			/* unaligned read: bytes to drop */
	size_t want;			/* bytes asked for */
};

#define plain_of_job(j) \
	((struct plain_io *)(void *)((char *)(j) - \
				     offsetof(struct plain_io, job)))

static void plain_free(struct plain_io *p)
{
	if (p->memfd >= 0)
		close(p->memfd);
	free(p->io.buf);
	free(p);
}

/* The transfer and any delivery are over: answer with err or n bytes. */
static void plain_finish(struct plain_io *p, int err, size_t n)
{
	const void *data = (const char *)p->io.buf + p->skip;

	if (err)
		p->call->done(p->call, err == ESRCH ? EINVAL : err, NULL, 0);
	else
		p->call->done(p->call, 0, p->io.write || p->memfd >= 0 ? NULL
								       : data,
			      n);
	engine_transfer_ended(p->file);
	plain_free(p);
}

static void plain_delivered(struct mem_job *j)
{
	plain_finish(plain_of_job(j), j->err, j->len);
}

static void plain_done(struct backend_io *io, long result)
{
	struct plain_io *p = (struct plain_io *)io;
	size_t got = 0;

	engine_count_transfer(io->dev, io->write, result, io->len);
	if (result < 0) {
		plain_finish(p, (int)-result, 0);
		return;
	}
	if (io->write)
		got = (size_t)result;
	else if ((size_t)result > p->skip)
		got = (size_t)result - p->skip;
	if (got > p->want)
		got = p->want;
	if (p->memfd < 0 || got == 0) {
		plain_finish(p, 0, got);
		return;
	}
	p->job.op = MEM_DELIVER;
	p->job.memfd = p->memfd;
	p->job.buf = (char *)io->buf + p->skip;
	p->job.len = got;
	p->job.done = plain_delivered;
	if (clientmem_submit(&p->job))
		plain_finish(p, ENOMEM, 0);
}

/* The client's data is copied, or its destination checked. */
static void plain_bound(struct mem_job *j)
{
	struct plain_io *p = plain_of_job(j);

	p->memfd = j->memfd;	/* a read's handle from MEM_BIND, or -1 */
	j->memfd = -1;
	if (j->err) {
		plain_finish(p, j->err, 0);
		return;
	}
	backend_submit(&p->io);
	backend_flush();
}

/* Transfer [start, start+len) (aligned); a read delivers want bytes from
 * skip on.  A write takes its data from 'data', or from the client, whose
 * memory is bound first. */
static void plain_submit(struct aio_file *f, struct engine_call *call,
			 const struct pio_client *cl, bool write,
			 uint64_t start, size_t len, size_t skip, size_t want,
			 const void *data)
{
	struct plain_io *p = calloc(1, sizeof(*p));
	void *buf = NULL;
	int err;

	if (!p || posix_memalign(&buf, AIO_PAGE, len)) {
		free(p);
		call->done(call, ENOMEM, NULL, 0);
		return;
	}
	*p = (struct plain_io){
		.io = { .dev = f->dev, .write = write, .offset = start,
			.len = len, .buf = buf, .done = plain_done },
		.job = { .op = write ? MEM_READ : MEM_BIND, .uid = cl->uid,
			 .tid = cl->tid, .memfd = -1, .addr = cl->addr,
			 .buf = buf, .len = write ? len : want,
			 .image_fd = -1, .done = plain_bound },
		.file = f, .call = call, .memfd = -1, .skip = skip,
		.want = want,
	};
	engine_transfer_started(f);
	if (!cl->tid) {
		if (write)
			memcpy(buf, data, len);
		plain_bound(&p->job);
		return;
	}
	err = clientmem_submit(&p->job);
	if (err)
		plain_finish(p, err, 0);
}

static void plain_read(struct aio_file *f, struct engine_call *call,
		       const struct pio_client *cl, uint64_t at, size_t size)
{
	uint64_t start, end;

	if (at >= f->dev->size || size == 0) {
		call->done(call, 0, NULL, 0);
		return;
	}
	if (size > f->dev->size - at)
		size = (size_t)(f->dev->size - at);
	start = at - at % AIO_BLOCK;
	end = (at + size + AIO_BLOCK - 1) / AIO_BLOCK * AIO_BLOCK;
	plain_submit(f, call, cl, false, start, (size_t)(end - start),
		     (size_t)(at - start), size, NULL);
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

static void plain_write(struct aio_file *f, struct engine_call *call,
			const struct pio_client *cl, uint64_t at, size_t size,
			const void *data)
{
	int err = plain_write_size(f, at, &size);

	if (err || size == 0)
		call->done(call, err, NULL, 0);
	else
		plain_submit(f, call, cl, true, at, size, 0, size, data);
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

void engine_read(struct aio_file *f, struct engine_call *call, size_t size,
		 int64_t offset)
{
	uint64_t at = take_position(f, offset, size, false);

	plain_read(f, call, &in_request, at, size);
}

void engine_write(struct aio_file *f, struct engine_call *call,
		  const void *data, size_t size, int64_t offset)
{
	uint64_t at = take_position(f, offset, size, true);

	plain_write(f, call, &in_request, at, size, data);
}

int engine_seek(struct aio_file *f, int64_t offset, int whence,
		int64_t *result)
{
	int64_t base;

	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = (int64_t)f->position; break;
	case SEEK_END: base = (int64_t)f->dev->size; break;
	default: return EINVAL;
	}
	if (offset < -base || offset > (int64_t)f->dev->size - base)
		return EINVAL;	/* as block devices do */
	f->position = (uint64_t)(base + offset);
	*result = (int64_t)f->position;
	return 0;
}

void engine_pio(struct aio_file *f, struct engine_call *call,
		const struct requester *who, bool write, uint64_t addr,
		uint64_t len, int64_t offset)
{
	struct pio_client cl = { who->tid, who->uid, addr };

	if (write && f->dev->readonly) {
		call->done(call, EROFS, NULL, 0);
		return;
	}
	if (write ? !f->writable : !f->readable) {
		call->done(call, EBADF, NULL, 0);
		return;
	}
	if (offset < 0) {
		call->done(call, EINVAL, NULL, 0);
		return;
	}
	if (len > AIO_PIO_MAX)
		len = AIO_PIO_MAX;
	if (write)
		plain_write(f, call, &cl, (uint64_t)offset, (size_t)len, NULL);
	else
		plain_read(f, call, &cl, (uint64_t)offset, (size_t)len);
}
