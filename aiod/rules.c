/* SPDX-License-Identifier: MIT */
/*
 * rules.c -- the argument rules of aio(M)'s three ioctls (rules.h), with
 * no state and no dependency beyond <sys/async.h>: which DKIOCMLOCK
 * regions a process may declare, which DKIOCASTRT requests are valid and
 * with which errno each invalid one fails, and how many statuses one
 * DKIOCASTAT returns.
 */
#include "rules.h"

#include <errno.h>
#include <sys/async.h>

int rules_check_mlock(const struct mlock_args *m, const struct aio_region *r,
		      enum rules_mlock_action *action)
{
	if (m->asize == 0) {
		*action = RULES_MLOCK_NOTHING;
		return 0;
	}
	if (r->size) {
		if (r->addr != m->avaddr || r->size != m->asize)
			return EINVAL;	/* one region per process */
		*action = RULES_MLOCK_DECLARE;
		return 0;
	}
	if (m->avaddr + m->asize < m->avaddr)
		return EFAULT;
	*action = RULES_MLOCK_NEW;
	return 0;
}

int rules_check_request(const struct request_args *rq,
			const struct aio_region *r,
			const struct aio_target *t)
{
	uint64_t blocks = t->size / AIO_BLOCK;

	if (rq->cmd != AU_READ && rq->cmd != AU_WRITE)
		return EINVAL;
	if (rq->size <= 0 || rq->size % AIO_BLOCK)
		return EINVAL;
	if (rq->maddr % AIO_BLOCK)
		return EINVAL;
	if (rq->maddr % AIO_PAGE + (uint64_t)rq->size > AIO_PAGE)
		return EINVAL;
	if (r->held && (rq->maddr < r->addr ||
			rq->maddr - r->addr + (uint64_t)rq->size > r->size))
		return EINVAL;
	if (rq->daddr < 0 || (uint64_t)rq->daddr > blocks ||
	    blocks - (uint64_t)rq->daddr < (uint64_t)rq->size / AIO_BLOCK)
		return ENXIO;
	if (rq->cmd == AU_WRITE ? !t->writable : !t->readable)
		return EBADF;
	return 0;
}

size_t rules_status_count(size_t n)
{
	return n < MAXSTATUS ? n : MAXSTATUS;
}
