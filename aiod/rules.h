/* SPDX-License-Identifier: MIT */
/*
 * rules.h -- the rules of aio(M) for DKIOCMLOCK, DKIOCASTRT and DKIOCASTAT,
 * as pure functions of a request's arguments, the caller's declared region
 * and the open file.  No dependency on the daemon, its transports or its
 * memory: aiod and libasync's direct path compile the same rules.c, so a
 * program sees the same errno whichever path serves it.  Arguments come
 * widened to one layout for both ABIs (abi.c converts).
 */
#ifndef AIOD_RULES_H
#define AIOD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AIO_BLOCK	512u	/* au_daddr unit and alignment of transfers */
#define AIO_PAGE	4096u	/* a transfer must stay inside one such page */

struct mlock_args {
	uint64_t avaddr;
	uint64_t asize;
};

struct request_args {
	int64_t cmd;
	int64_t daddr;
	uint64_t maddr;
	int64_t size;
	uint64_t ref;
};

struct status {
	int16_t iostatus;
	int16_t iobsize;
	uint64_t iomaddr;
	uint64_t ioref;
};

/* A process's DKIOCMLOCK region (size 0: none declared).  held: a lock
 * was granted, so every transfer must lie inside the region. */
struct aio_region {
	uint64_t addr;
	uint64_t size;
	bool held;
};

/* The open file a request names. */
struct aio_target {
	uint64_t size;		/* partition, bytes */
	bool readable, writable;
};

enum rules_mlock_action {
	RULES_MLOCK_NOTHING,	/* asize 0: succeed, change nothing */
	RULES_MLOCK_DECLARE,	/* the region the process has: declare it on
				   this file too */
	RULES_MLOCK_NEW,	/* no region yet: check the memory, lock */
};

/* DKIOCMLOCK: 0 and what to do, EINVAL (another region than the one the
 * process declared) or EFAULT (the region wraps the address space). */
int rules_check_mlock(const struct mlock_args *m, const struct aio_region *r,
		      enum rules_mlock_action *action);

/* DKIOCASTRT, in the order a caller sees them: EINVAL (command, size,
 * alignment, page crossing, outside a held region), ENXIO (outside the
 * partition), EBADF (direction the file was not opened for); else 0.
 * Request slots (EAGAIN) and memory (EFAULT) are the server's to check,
 * after these. */
int rules_check_request(const struct request_args *rq,
			const struct aio_region *r,
			const struct aio_target *t);

/* DKIOCASTAT: how many of n completed requests one call returns. */
size_t rules_status_count(size_t n);

#endif /* AIOD_RULES_H */
