/* SPDX-License-Identifier: MIT */
/*
 * scoaio/direct.h -- the direct path's wire format between aiod and
 * libasync(3): the AIOC_ATTACH ioctl that hands a process a one-time token
 * and the name of aiod's attach socket, the messages on that socket
 * (attach_msg.c encodes and parses them), and the pages of counters a
 * client shares with the daemon: the connection's, then one slot of
 * per-device figures for each device it attached.  Fixed-width fields,
 * one layout for 32-bit and 64-bit programs.
 */
#ifndef SCOAIO_DIRECT_H
#define SCOAIO_DIRECT_H

#include <stdint.h>
#include <sys/async.h>
#include "common/latency.h"

#define AIO_TOKEN_BYTES		16	/* 128 random bits */
#define AIO_SOCKNAME_MAX	64

/* Why a device has no direct path (AIOC_ATTACH's and AIOC_DEVINFO's
 * direct field); AIO_DIRECT_OK: it has one. */
enum aio_direct_reason {
	AIO_DIRECT_OK = 0,
	AIO_DIRECT_IMAGE = 1,		/* backed by an image file */
	AIO_DIRECT_SLICE = 2,		/* a slice whose dm-linear device
					   could not be created (aiod's
					   log says why) */
	AIO_DIRECT_OFF = 3,		/* aiod serves no attach socket */
	AIO_DIRECT_SHARED = 4,		/* its block device backs other
					   devices too */
	AIO_DIRECT_SLICE_NODM = 5,	/* a slice, and the kernel has no
					   device-mapper */
	AIO_DIRECT_SLICE_RELOAD = 6,	/* a slice added by a reload, after
					   aiod gave up the privileges
					   device-mapper needs */
	AIO_DIRECT_SLICE_PR = 7,	/* a slice of a disk that takes
					   persistent reservations (SCSI,
					   NVMe), which device-mapper would
					   let a client set for the disk */
};

/* Out: a token for one attach by this process (tgid and uid as the
 * kernel reports them) within AIO_TOKEN_SECONDS, the open file's id
 * (equal for descriptors that share an open file description) and the
 * abstract socket name (without its leading NUL).  direct != OK: no
 * token, the device stays on the ioctl path. */
struct aio_attach {
	uint8_t token[AIO_TOKEN_BYTES];
	uint64_t file_id;
	uint32_t version;		/* AIO_ATTACH_VERSION */
	uint32_t direct;		/* enum aio_direct_reason */
	char sockname[AIO_SOCKNAME_MAX];
};

#define AIO_ATTACH_VERSION	2	/* 2: device slots in the page */
#define AIO_TOKEN_SECONDS	10
#define AIOC_ATTACH	_IOR(AIO_IOC_MAGIC, 0x40, struct aio_attach)

/* ---- messages on the attach socket (SOCK_SEQPACKET) ---------------- *
 * Client: ATTACH with a token; the reply carries SCM_RIGHTS: the
 * partition's descriptor, and the shared page's (memfd) on the first
 * attach of the connection.  GRANT asks for up to `want` more request
 * credits.  One reply per message, in order. */

#define AIO_MSG_MAGIC		0x54414353u	/* "SCAT" */
#define AIO_MSG_ATTACH		1
#define AIO_MSG_GRANT		2

struct aio_msg_request {
	uint32_t magic;
	uint16_t version;		/* AIO_ATTACH_VERSION */
	uint16_t kind;			/* AIO_MSG_ATTACH or AIO_MSG_GRANT */
	uint8_t token[AIO_TOKEN_BYTES];	/* ATTACH */
	uint32_t want;			/* GRANT: 1 .. NAIOREQPP */
	uint32_t pad;			/* 0 */
};

#define AIO_REPLY_RDONLY	1u	/* the descriptor is read-only */
#define AIO_REPLY_WRITEBACK	2u	/* cache=writeback: no RWF_DSYNC */
#define AIO_REPLY_PAGE		4u	/* a second descriptor: the page */
#define AIO_REPLY_DEVICE_RO	8u	/* the device is read-only: writes
					   fail with EROFS */

struct aio_msg_reply {
	uint32_t magic;
	uint16_t version;
	uint16_t kind;			/* of the message answered */
	int32_t err;			/* 0 or an errno */
	uint32_t flags;			/* AIO_REPLY_* (ATTACH) */
	uint32_t granted;		/* GRANT: credits added to avail */
	uint32_t naioreqpp;
	uint64_t size;			/* partition bytes (ATTACH) */
	uint64_t file_id;		/* the token's open file (ATTACH) */
	uint32_t slot;			/* the device's slot (ATTACH), below
					   AIO_DIRECT_SLOTS; 0 for GRANT */
	uint32_t reserved;		/* 0 */
};

/* ---- the shared page ------------------------------------------------ *
 * One per connection (per process), MAP_SHARED by both.  Each field is
 * written by one side only, except avail; every access is atomic, with
 * the ordering stated beside the field.  The daemon never trusts what
 * the client writes beyond clamping numbers to what it granted. */
struct aio_direct_page {
	uint32_t magic;			/* AIO_MSG_MAGIC; daemon, before send */
	uint32_t tracing;		/* daemon: store-release; client:
					   load-acquire before each request */
	uint32_t avail;			/* credits in the client's pool: client
					   takes by CAS (acq_rel) and returns
					   by fetch_add (release); daemon
					   grants by fetch_add (release) and
					   reclaims by exchange (acq_rel) */
	uint32_t held;			/* client: direct requests started and
					   not yet collected, store-release;
					   daemon: load-acquire */
	_Alignas(8) uint64_t requests_total;	/* (8-aligned on i386 too)
					   client: direct DKIOCASTRTs accepted,
					   store-release; daemon:
					   load-acquire */
	_Alignas(8) uint64_t region_addr;	/* daemon: the DKIOCMLOCK region */
	_Alignas(8) uint64_t region_size;
	uint32_t region_seq;		/* daemon: store-release after the
					   region fields (odd while writing);
					   client: load-acquire, re-read */
	uint32_t region_held;		/* a lock was granted for it */
	uint32_t held_max;		/* client: the most held at once,
					   store-release; daemon:
					   load-acquire (aioinfo's maximum) */
	uint32_t pad;
};

/* ---- the device slots ----------------------------------------------- *
 * After the connection's page, AIO_DIRECT_SLOTS slots, one per device the
 * process attached (ATTACH's reply names it; every open file of that
 * device in the process shares it; a process attaching more devices than
 * that keeps the others on the ioctl path).  A slot counts the process's
 * direct requests on its device, per direction ([0] reads, [1] writes):
 * at DKIOCASTRT the request and its size; at its completion, as libasync
 * sees it, its size again, and as aiod's own per-device figures count a
 * transfer (aio_devinfo, scoaio/ioctl.h) a read or write with the bytes
 * moved when some moved, an error when it failed or was short, and its
 * latency since DKIOCASTRT in its direction's histogram.  The client
 * alone writes a slot, every field monotonic, under seq: odd while it
 * writes (relaxed store, then a release fence), the fields by relaxed
 * atomic stores, then the even count by store-release.  The daemon reads
 * seq by load-acquire, the fields relaxed, an acquire fence and seq
 * again; two equal even counts give a consistent copy, which it takes
 * only if it is plausible (aiod's direct_tally.c), within a few tries. */
#define AIO_DIRECT_SLOTS	32
#define AIO_DIRECT_SLOT_OFFSET	4096u	/* the first slot, in the memfd */
#define AIO_DIRECT_SLOT_BYTES	768u

struct aio_direct_slot {
	uint32_t seq;
	uint32_t reserved0;		/* 0 */
	uint64_t started[2];		/* DKIOCASTRTs submitted */
	uint64_t started_bytes[2];	/* their sizes */
	uint64_t ended_bytes[2];	/* the sizes of those completed */
	uint64_t reads, writes, bytes_read, bytes_written, errors;
	struct latency_hist latency[2];	/* one per completion */
	uint64_t reserved[16];		/* 0 */
};

/* The memfd's size, sealed: the page and the slots. */
#define AIO_DIRECT_MAP_BYTES \
	(AIO_DIRECT_SLOT_OFFSET + AIO_DIRECT_SLOTS * AIO_DIRECT_SLOT_BYTES)

#endif /* SCOAIO_DIRECT_H */
