/*
 * engine_pio.c -- plain and positional transfers: read() and write() on a
 * partition, at the kernel's offset or (CUSE, which ignores offsets) at a
 * position kept per open file, and libasync's AIOC_SEEK, AIOC_PREAD and
 * AIOC_PWRITE, which move data straight between the partition and the
 * caller's memory.  Both kinds take any size a raw disk takes: reads of
 * any length at any offset (through an aligned buffer of their own),
 * writes in whole 512-byte blocks; only where the data goes differs.
 */
#include "engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <scoaio/ioctl.h>

/* One plain or positional transfer in flight. */
struct plain_io {
	struct backend_io io;		/* first: done() gets &io */
	struct aio_file *file;
	struct engine_call *call;
	struct caller *caller;		/* held; NULL: data in the call */
	uint64_t addr;			/* in the caller's memory */
	size_t skip;			/* unaligned read: bytes to drop */
	size_t want;			/* bytes asked for */
};

static void plain_done(struct backend_io *io, long result)
{
	struct plain_io *p = (struct plain_io *)io;
	const char *data = (const char *)io->buf + p->skip;
	size_t got = 0;
	int err = 0;

	engine_count_transfer(io->dev, io->write, result, io->len);
	if (result < 0)
		err = (int)-result;
	else if (io->write)
		got = (size_t)result;
	else if ((size_t)result > p->skip)
		got = (size_t)result - p->skip;
	if (got > p->want)
		got = p->want;
	if (!err && p->caller && !io->write && got &&
	    caller_write(p->caller, p->addr, data, got))
		err = EFAULT;
	if (err)
		p->call->done(p->call, err, NULL, 0);
	else
		p->call->done(p->call, 0, io->write || p->caller ? NULL : data,
			      got);
	if (p->caller)
		caller_put(p->caller);
	engine_transfer_ended(p->file);
	free(io->buf);
	free(p);
}

/* Transfer [start, start+len) (aligned); a read delivers want bytes from
 * skip on.  A write takes its data from 'data', or from c's memory. */
static void plain_submit(struct aio_file *f, struct engine_call *call,
			 struct caller *c, uint64_t addr, bool write,
			 uint64_t start, size_t len, size_t skip, size_t want,
			 const void *data)
{
	struct plain_io *p = calloc(1, sizeof(*p));
	void *buf = NULL;

	if (!p || posix_memalign(&buf, AIO_PAGE, len)) {
		free(p);
		call->done(call, ENOMEM, NULL, 0);
		return;
	}
	if (write && !c)
		memcpy(buf, data, len);
	else if (write && caller_read(c, addr, buf, len)) {
		free(buf);
		free(p);
		call->done(call, EFAULT, NULL, 0);
		return;
	}
	*p = (struct plain_io){
		.io = { .dev = f->dev, .write = write, .offset = start,
			.len = len, .buf = buf, .done = plain_done },
		.file = f, .call = call, .caller = c, .addr = addr,
		.skip = skip, .want = want,
	};
	if (c)
		caller_hold(c);
	engine_transfer_started(f);
	backend_submit(&p->io);
	backend_flush();
}

static void plain_read(struct aio_file *f, struct engine_call *call,
		       struct caller *c, uint64_t addr, uint64_t at,
		       size_t size)
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
	plain_submit(f, call, c, addr, false, start, (size_t)(end - start),
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
			struct caller *c, uint64_t addr, uint64_t at,
			size_t size, const void *data)
{
	int err = plain_write_size(f, at, &size);

	if (err || size == 0)
		call->done(call, err, NULL, 0);
	else
		plain_submit(f, call, c, addr, true, at, size, 0, size, data);
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

	plain_read(f, call, NULL, 0, at, size);
}

void engine_write(struct aio_file *f, struct engine_call *call,
		  const void *data, size_t size, int64_t offset)
{
	uint64_t at = take_position(f, offset, size, true);

	plain_write(f, call, NULL, 0, at, size, data);
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
	struct caller *c;
	int err = 0;

	if (write ? !f->writable : !f->readable)
		err = EBADF;
	else if (offset < 0)
		err = EINVAL;
	else
		err = engine_requester(who, &c);
	if (err) {
		call->done(call, err, NULL, 0);
		return;
	}
	if (len > AIO_PIO_MAX)
		len = AIO_PIO_MAX;
	if (write)
		plain_write(f, call, c, addr, (uint64_t)offset, (size_t)len,
			    NULL);
	else
		plain_read(f, call, c, addr, (uint64_t)offset, (size_t)len);
}
