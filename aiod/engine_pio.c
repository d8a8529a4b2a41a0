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
	uint64_t addr;
};

static const struct pio_client in_request;

/* One plain or positional transfer in flight. */
struct plain_io {
	struct backend_io io;		/* first: done() gets &io */
	struct aio_file *file;
	struct engine_call *call;
	int memfd;			/* a positional read's destination
					   image, else -1 */
	uint64_t addr;			/* there */
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
	if (!err && p->memfd >= 0 && got)
		err = clientmem_deliver(p->memfd, p->addr, data, got);
	if (err)
		p->call->done(p->call, err, NULL, 0);
	else
		p->call->done(p->call, 0, io->write || p->memfd >= 0 ? NULL
								    : data,
			      got);
	if (p->memfd >= 0)
		close(p->memfd);
	engine_transfer_ended(p->file);
	free(io->buf);
	free(p);
}

/* Bind a positional transfer to the client: a write's len bytes are
 * copied into buf now, a read's want bytes must be writable and get a
 * handle to be delivered through. */
static int bind_client(const struct pio_client *cl, bool write, void *buf,
		       size_t len, size_t want, int *memfd)
{
	int err;

	if (write)
		return clientmem_read(cl->tid, cl->addr, buf, len);
	err = clientmem_writable(cl->tid, cl->addr, want);
	return err ? err : clientmem_bind(cl->tid, memfd);
}

/* Transfer [start, start+len) (aligned); a read delivers want bytes from
 * skip on.  A write takes its data from 'data', or from the client. */
static void plain_submit(struct aio_file *f, struct engine_call *call,
			 const struct pio_client *cl, bool write,
			 uint64_t start, size_t len, size_t skip, size_t want,
			 const void *data)
{
	struct plain_io *p = calloc(1, sizeof(*p));
	void *buf = NULL;
	int memfd = -1, err = 0;

	if (!p || posix_memalign(&buf, AIO_PAGE, len))
		err = ENOMEM;
	else if (cl->tid)
		err = bind_client(cl, write, buf, len, want, &memfd);
	else if (write)
		memcpy(buf, data, len);
	if (err) {
		free(buf);
		free(p);
		call->done(call, err == ESRCH ? EINVAL : err, NULL, 0);
		return;
	}
	*p = (struct plain_io){
		.io = { .dev = f->dev, .write = write, .offset = start,
			.len = len, .buf = buf, .done = plain_done },
		.file = f, .call = call, .memfd = memfd, .addr = cl->addr,
		.skip = skip, .want = want,
	};
	engine_transfer_started(f);
	backend_submit(&p->io);
	backend_flush();
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
	struct pio_client cl = { who->tid, addr };

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
