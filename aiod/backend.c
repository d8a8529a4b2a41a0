/*
 * backend.c -- the storage side: partitions opened O_DIRECT (a block device
 * or an image file, optionally a slice of it), one libaio context whose
 * completions signal an eventfd watched by the event loop, and the pool of
 * page-aligned, locked bounce buffers (SCO's NAIOBUF).  Transfers are
 * collected and handed to io_submit in batches; those beyond the context's
 * depth wait in a FIFO instead of failing.  Nothing here knows
 * about aio(M) rules or client processes.
 */
#include "aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

_Static_assert(sizeof(struct iocb) <= sizeof(((struct backend_io *)0)->iocb),
	       "backend_io.iocb too small for struct iocb");

static io_context_t ctx;
static int efd = -1;
static unsigned inflight, depth;
/* Prepared transfers for the next io_submit (at most depth). */
static struct iocb **batch;
static unsigned nbatch;
/* Transfers waiting for context depth, and ones whose io_submit failed
 * (their done() runs from backend_reap, never inside backend_submit). */
static STAILQ_HEAD(, backend_io) waiting = STAILQ_HEAD_INITIALIZER(waiting),
	failed = STAILQ_HEAD_INITIALIZER(failed);

static void *pool_base;
static void **pool_free;
static unsigned pool_size, pool_nfree;

int backend_open_device(struct device *dev, const struct device_spec *spec,
			char *err, size_t errlen)
{
	uint64_t total;
	struct stat st;
	void *probe;
	int fd;

	memset(dev, 0, sizeof(*dev));
	dev->spec = *spec;
	dev->fd = -1;
	fd = open(spec->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0 && errno == EINVAL) {
		snprintf(err, errlen, "%s: the file system does not support "
			 "O_DIRECT; use a block device or an image on a disk "
			 "file system", spec->path);
		return -1;
	}
	if (fd < 0)
		return failmsg(err, errlen, "cannot open %s: %s", spec->path,
			       strerror(errno));
	if (fstat(fd, &st))
		goto sys_fail;
	if (S_ISBLK(st.st_mode)) {
		int sector;

		if (ioctl(fd, BLKGETSIZE64, &total) ||
		    ioctl(fd, BLKSSZGET, &sector))
			goto sys_fail;
		if (sector != (int)AIO_BLOCK) {
			snprintf(err, errlen, "%s: logical block size %d; "
				 "aio(M) transfers need %u-byte blocks",
				 spec->path, sector, AIO_BLOCK);
			close(fd);
			return -1;
		}
	} else if (S_ISREG(st.st_mode)) {
		total = (uint64_t)st.st_size;
	} else {
		snprintf(err, errlen, "%s: not a block device or regular file",
			 spec->path);
		close(fd);
		return -1;
	}
	total -= total % AIO_BLOCK;
	if (total == 0) {
		snprintf(err, errlen, "%s is empty", spec->path);
		close(fd);
		return -1;
	}
	if (spec->offset >= total ||
	    (spec->size && spec->size > total - spec->offset)) {
		snprintf(err, errlen, "%s: slice offset %llu size %llu lies "
			 "past the end (%llu bytes)", spec->path,
			 (unsigned long long)spec->offset,
			 (unsigned long long)spec->size,
			 (unsigned long long)total);
		close(fd);
		return -1;
	}
	dev->fd = fd;
	dev->offset = spec->offset;
	dev->size = spec->size ? spec->size : total - spec->offset;

	/* One 512-byte direct read proves the path takes our transfers. */
	if (posix_memalign(&probe, AIO_PAGE, AIO_PAGE)) {
		errno = ENOMEM;
		goto sys_fail;
	}
	if (pread(fd, probe, AIO_BLOCK, (off_t)dev->offset) !=
	    (ssize_t)AIO_BLOCK) {
		int e = errno;

		free(probe);
		close(fd);
		dev->fd = -1;
		if (e == EINVAL) {
			snprintf(err, errlen, "%s: 512-byte O_DIRECT reads "
				 "are refused (logical block size larger than "
				 "512?)", spec->path);
			return -1;
		}
		return failmsg(err, errlen, "cannot read %s: %s", spec->path,
			       strerror(e));
	}
	free(probe);
	return 0;
sys_fail:
	failmsg(err, errlen, "cannot inspect %s: %s", spec->path,
		strerror(errno));
	close(fd);
	dev->fd = -1;
	return -1;
}

void backend_close_device(struct device *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

int backend_init(unsigned max_inflight, unsigned nbufs)
{
	int rc;

	depth = max_inflight;
	rc = io_setup((int)depth, &ctx);
	if (rc) {
		log_err("io_setup(%u): %s (see /proc/sys/fs/aio-max-nr)",
			depth, strerror(-rc));
		return -1;
	}
	batch = calloc(depth, sizeof(*batch));
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!batch || efd < 0) {
		log_err("eventfd: %s", strerror(errno));
		return -1;
	}
	pool_size = nbufs;
	pool_base = mmap(NULL, (size_t)nbufs * AIO_PAGE,
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	pool_free = calloc(nbufs, sizeof(*pool_free));
	if (pool_base == MAP_FAILED || !pool_free) {
		log_err("cannot allocate %u AIO buffers: %s", nbufs,
			strerror(errno));
		pool_base = NULL;
		return -1;
	}
	if (mlock(pool_base, (size_t)nbufs * AIO_PAGE))
		log_warn("cannot lock the %u AIO buffers in memory (%s); "
			 "they may be paged out", nbufs, strerror(errno));
	for (pool_nfree = 0; pool_nfree < nbufs; pool_nfree++)
		pool_free[pool_nfree] = (char *)pool_base +
					(size_t)(nbufs - 1 - pool_nfree) *
					AIO_PAGE;
	return 0;
}

void backend_shutdown(void)
{
	if (ctx)
		io_destroy(ctx);
	ctx = 0;
	if (efd >= 0)
		close(efd);
	efd = -1;
	if (pool_base)
		munmap(pool_base, (size_t)pool_size * AIO_PAGE);
	pool_base = NULL;
	free(pool_free);
	pool_free = NULL;
	free(batch);
	batch = NULL;
}

int backend_eventfd(void)
{
	return efd;
}

bool backend_busy(void)
{
	return inflight || nbatch || !STAILQ_EMPTY(&waiting) ||
	       !STAILQ_EMPTY(&failed);
}

static void fail_submission(struct backend_io *io, int err)
{
	io->submit_error = err;
	STAILQ_INSERT_TAIL(&failed, io, queued);
	eventfd_write(efd, 1);
}

/* Prepare io for the next backend_flush(); the caller made room. */
static void start(struct backend_io *io)
{
	struct iocb *cb = (struct iocb *)io->iocb;
	off_t at = (off_t)(io->dev->offset + io->offset);

	if (io->write)
		io_prep_pwrite(cb, io->dev->fd, io->buf, io->len, at);
	else
		io_prep_pread(cb, io->dev->fd, io->buf, io->len, at);
	io_set_eventfd(cb, efd);
	cb->data = io;
	batch[nbatch++] = cb;
	inflight++;
}

void backend_submit(struct backend_io *io)
{
	if (inflight < depth && STAILQ_EMPTY(&waiting))
		start(io);
	else
		STAILQ_INSERT_TAIL(&waiting, io, queued);
}

void backend_flush(void)
{
	unsigned done = 0;

	while (done < nbatch) {
		int rc = io_submit(ctx, (long)(nbatch - done), batch + done);

		if (rc > 0) {
			done += (unsigned)rc;
			continue;
		}
		/* The first one is refused: report it, try the rest. */
		inflight--;
		fail_submission(batch[done++]->data, rc < 0 ? -rc : EIO);
	}
	nbatch = 0;
}

void backend_reap(void)
{
	struct io_event events[64];
	struct timespec zero = { 0, 0 };
	eventfd_t ignored;
	int n;

	eventfd_read(efd, &ignored);	/* may be 0 already: fine */
	do {
		n = io_getevents(ctx, 0, 64, events, &zero);
		if (n < 0) {
			log_err("io_getevents: %s", strerror(-n));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct backend_io *io = events[i].data;

			inflight--;
			io->done(io, (long)events[i].res);
		}
		while (!STAILQ_EMPTY(&waiting) && inflight < depth) {
			struct backend_io *io = STAILQ_FIRST(&waiting);

			STAILQ_REMOVE_HEAD(&waiting, queued);
			start(io);
		}
	} while (n == 64);
	backend_flush();
	while (!STAILQ_EMPTY(&failed)) {
		struct backend_io *io = STAILQ_FIRST(&failed);

		STAILQ_REMOVE_HEAD(&failed, queued);
		io->done(io, -(long)io->submit_error);
	}
}

void *backend_buf_get(void)
{
	return pool_nfree ? pool_free[--pool_nfree] : NULL;
}

void backend_buf_put(void *buf)
{
	pool_free[pool_nfree++] = buf;
}

unsigned backend_bufs_free(void)
{
	return pool_nfree;
}
