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
#include "common/latency.h"

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

#define AIO_DEV_RO		1u	/* ro, or a read-only backing */
#define AIO_DEV_WRITEBACK	2u	/* cache=writeback */

/* One device's figures; in: index (0 .. ndevices-1), ENOENT past it.
 * The counters count every transfer (aio(M), read/write, positional,
 * and the direct path's as its processes report them, scoaio/direct.h);
 * the latency histograms only DKIOCASTRT requests, from their
 * acceptance to their completion on the backing (on the direct path, to
 * when libasync saw it complete) ([0] reads, [1] writes). */
struct aio_devinfo {
	uint32_t index;
	uint32_t flags;			/* AIO_DEV_* */
	char name[128];
	uint64_t size;
	uint64_t reads, writes, bytes_read, bytes_written, errors;
	char path[256];			/* backing block device or image */
	uint64_t offset;		/* slice start within it, bytes */
	uint64_t inflight;		/* transfers started, not ended */
	struct latency_hist latency[2];
	uint32_t direct;		/* enum aio_direct_reason (direct.h) */
	uint32_t reserved;		/* 0 */
};

/* The daemon itself. */
struct aio_daemon {
	uint32_t pid;
	uint32_t tracers;		/* aiotrace sessions open */
	uint64_t started_ns;		/* CLOCK_REALTIME at start */
	uint64_t uptime_ns;		/* CLOCK_MONOTONIC since start */
};

/* The lock table's entries (AIO_LOCKS_TABLE: id uid, bytes the allowance,
 * in_use what uid's processes lock now) or the locks held (AIO_LOCKS_HELD:
 * id pid, uid its user, addr and bytes the region), AIO_LOCKS_MAX at a
 * time from start; total says how many there are. */
#define AIO_LOCKS_TABLE	0u
#define AIO_LOCKS_HELD	1u
#define AIO_LOCKS_MAX	400

struct aio_lockent {
	uint32_t id, uid;
	uint64_t addr, bytes, in_use;
};

struct aio_locks {
	uint32_t kind;			/* in: AIO_LOCKS_* */
	uint32_t start;			/* in: first entry wanted */
	uint32_t count;			/* out: entries given */
	uint32_t total;			/* out: entries there are */
	struct aio_lockent ent[AIO_LOCKS_MAX];
};

#define AIOC_LKTBL_LOAD	_IOW(AIO_IOC_MAGIC, 0x10, struct aio_lktbl)
#define AIOC_INFO	_IOR(AIO_IOC_MAGIC, 0x20, struct aio_info)
#define AIOC_DEVINFO	_IOWR(AIO_IOC_MAGIC, 0x21, struct aio_devinfo)
#define AIOC_DAEMON	_IOR(AIO_IOC_MAGIC, 0x22, struct aio_daemon)
#define AIOC_LOCKS	_IOWR(AIO_IOC_MAGIC, 0x23, struct aio_locks)

/* Tracing (aiotrace(8)).  AIOC_TRACE_OPEN makes the open file it is issued
 * on a tracer: from then on aiod keeps, in a ring of AIO_TRACE_RING
 * records for that file alone, one record per aio(M) call it answers and
 * per transfer it completes, of every process (root) or of the caller's
 * own uid (anyone else), optionally only of one pid.  AIOC_TRACE_READ
 * takes up to AIO_TRACE_BATCH records, never waiting; records that found
 * the ring full were dropped and are counted.  Empty DKIOCASTATs of one
 * thread on one device in a row share one record (repeat counts them),
 * so that a polling client does not fill the ring.  Closing the file ends the
 * trace.  While nobody traces, aiod records nothing. */
#define AIO_TRACE_RING	4096
#define AIO_TRACE_BATCH	200

enum aio_trace_kind {
	AIO_TRACE_MLOCK = 1,		/* DKIOCMLOCK(addr, size) = result */
	AIO_TRACE_ASTRT,		/* DKIOCASTRT(cmd, blk, addr, size, ref) */
	AIO_TRACE_ASTAT,		/* DKIOCASTAT = count */
	AIO_TRACE_DONE,			/* a DKIOCASTRT's transfer completed */
};

struct aio_trace_rec {
	uint64_t time_ns;		/* CLOCK_REALTIME */
	uint32_t pid, uid;
	uint16_t kind;			/* enum aio_trace_kind */
	uint16_t device;		/* index, as AIOC_DEVINFO's */
	int32_t cmd;			/* ASTRT, DONE: AU_READ or AU_WRITE */
	int32_t error;			/* 0 or the errno the caller got */
	int32_t count;			/* ASTAT: statuses; DONE: bytes moved */
	uint64_t addr, size;		/* MLOCK: region; ASTRT, DONE: transfer */
	uint64_t block;			/* ASTRT, DONE: au_daddr */
	uint64_t ref;			/* ASTRT, DONE: au_ref */
	uint64_t latency_ns;		/* DONE: acceptance to completion */
	uint32_t repeat;		/* ASTAT = 0: the empty polls this one
					   record stands for, in a row (1..) */
	uint32_t pad;
};

struct aio_trace_open {
	uint32_t pid;			/* only this process; 0: all */
	uint32_t pad;
};

struct aio_trace_batch {
	uint32_t count;			/* out: records given */
	uint32_t pad;
	uint64_t dropped;		/* out: records dropped, all told */
	struct aio_trace_rec rec[AIO_TRACE_BATCH];
};

#define AIOC_TRACE_OPEN	_IOW(AIO_IOC_MAGIC, 0x24, struct aio_trace_open)
#define AIOC_TRACE_READ	_IOR(AIO_IOC_MAGIC, 0x25, struct aio_trace_batch)

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
