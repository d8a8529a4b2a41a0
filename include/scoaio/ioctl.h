/* SPDX-License-Identifier: MIT */
/*
 * scoaio/ioctl.h -- aiod's private ioctls, beside the aio(M) ones: those of
 * the admin commands aiolkinit(8) and aioinfo(8), issued on any aiod
 * device, and those by which libasync(3) gives CUSE devices the file
 * positions the kernel's CUSE ignores.  Every structure uses fixed-width
 * fields with explicit padding, so 32-bit and 64-bit programs share one
 * layout and one set of numbers.
 */
#ifndef SCOAIO_IOCTL_H
#define SCOAIO_IOCTL_H

#include <stdint.h>
#include <sys/async.h>

/* Most entries one AIOC_LKTBL_LOAD carries, and NAIOLOCKTBL's ceiling. */
#define AIO_LKTBL_MAX 1000

struct aio_lkent {
	uint32_t uid;
	uint32_t pad;
	uint64_t bytes;		/* allowance for all processes of uid; 0: none */
};

#define AIO_LKTBL_REPLACE 1u	/* drop entries not in this load */

/* Load (add to or revise, or with AIO_LKTBL_REPLACE replace) the lock
 * permission table in one step.  Root only (EPERM); more entries than
 * NAIOLOCKTBL in the resulting table: ENOSPC, and nothing changes. */
struct aio_lktbl {
	uint32_t flags;
	uint32_t count;
	struct aio_lkent entry[AIO_LKTBL_MAX];
};

/* aioinfo's figures, exact at the time of the call. */
struct aio_info {
	uint32_t naioproc, naioreq, naioreqpp, naiobuf, naiolocktbl;
	uint32_t procs_active;		/* processes with AIO state */
	uint32_t locks;			/* processes holding a memory lock */
	uint32_t reqs_active;		/* request slots held */
	uint32_t reqs_max;		/* most slots held at once */
	uint32_t bufs_free;		/* pool buffers not in use */
	uint32_t lktbl_entries;		/* lock permission entries loaded */
	uint32_t ndevices;
	uint64_t locked_bytes;		/* memory locked for AIO, all locks */
	uint64_t reqs_total;		/* DKIOCASTRT accepted since start,
					   on both paths */
	uint64_t direct_reqs_total;	/* of those, served by libasync's
					   direct path */
	uint32_t direct_procs;		/* processes attached to it */
	uint32_t direct_reqs_active;	/* of reqs_active, direct ones */
};

/* One device's figures; in: index (0 .. ndevices-1), ENOENT past it. */
struct aio_devinfo {
	uint32_t index;
	uint32_t direct;	/* out: enum aio_direct_reason (direct.h) */
	char name[128];
	uint64_t size;
	uint64_t reads, writes, bytes_read, bytes_written, errors;
};

#define AIOC_LKTBL_LOAD	_IOW(AIO_IOC_MAGIC, 0x10, struct aio_lktbl)
#define AIOC_INFO	_IOR(AIO_IOC_MAGIC, 0x20, struct aio_info)
#define AIOC_DEVINFO	_IOWR(AIO_IOC_MAGIC, 0x21, struct aio_devinfo)

/* Positional I/O for libasync.  AIOC_IDENT tells an aiod device from any
 * other character device and gives its size. */
#define AIO_IDENT_MAGIC 0x53434f41u	/* "SCOA" */

struct aio_ident {
	uint32_t magic;		/* AIO_IDENT_MAGIC */
	uint32_t version;	/* 1 */
	uint64_t size;		/* partition size, bytes */
};

/* Move the open file's position (shared by dup and fork, used by read()
 * and write()); whence is SEEK_SET, SEEK_CUR or SEEK_END; the result,
 * which must lie in [0, size], comes back in offset. */
struct aio_seek {
	int64_t offset;
	int32_t whence;
	int32_t pad;
};

/* Transfer len bytes between the caller's buf and the partition at offset,
 * leaving the file position alone; the ioctl returns the bytes moved.
 * Writes need 512-byte aligned offset and length (EINVAL), as raw disks
 * do; at most AIO_PIO_MAX bytes move per call. */
struct aio_pio {
	uint64_t buf;
	uint64_t len;
	int64_t offset;
};

#define AIO_PIO_MAX	(1u << 20)

#define AIOC_IDENT	_IOR(AIO_IOC_MAGIC, 0x30, struct aio_ident)
#define AIOC_SEEK	_IOWR(AIO_IOC_MAGIC, 0x31, struct aio_seek)
#define AIOC_PREAD	_IOW(AIO_IOC_MAGIC, 0x32, struct aio_pio)
#define AIOC_PWRITE	_IOW(AIO_IOC_MAGIC, 0x33, struct aio_pio)

#endif /* SCOAIO_IOCTL_H */
