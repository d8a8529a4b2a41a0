/* SPDX-License-Identifier: MIT */
/*
 * engine_int.h -- what the engine's three files share and nothing outside
 * the engine sees: the open file, transfer accounting for close waits and
 * SIGTERM's drain, and the hooks by which engine_file.c hands a closing
 * file's aio(M) state to engine_aio.c.
 */
#ifndef AIOD_ENGINE_INT_H
#define AIOD_ENGINE_INT_H

#include "aiod.h"

struct aio_request;

struct aio_file {
	struct device *dev;
	bool readable, writable;
	uint64_t position;		/* for front ends without offsets */
	unsigned inflight;		/* transfers started, not ended */
	STAILQ_HEAD(, aio_request) done;	/* statuses, completion order */
	size_t ndone;
	STAILQ_HEAD(, engine_call) waiters;	/* flush and release */
	bool releasing;			/* free once the last transfer ends */
	struct caller **declarers;	/* DKIOCMLOCK'd on this file, held */
	size_t ndeclarers;
};

extern struct tunables engine_tun;
extern struct engine_stats engine_counts;

/* Every transfer of f, aio(M) or plain, is bracketed by these; the last
 * one to end answers f's waiters (and frees f if it is being released). */
void engine_transfer_started(struct aio_file *f);
void engine_transfer_ended(struct aio_file *f);
/* A device's counters for a transfer that ended with result. */
void engine_count_transfer(struct device *dev, bool write, long result,
			   size_t len);
/* The process behind a request: 0, EAGAIN, ENOMEM, or EINVAL for a
 * requester aiod cannot serve (gone, or its leader thread has exited). */
int engine_requester(const struct requester *who, struct caller **c);
/* engine_aio.c: drop a closing file's statuses and declared regions. */
void engine_aio_file_closed(struct aio_file *f);

#endif /* AIOD_ENGINE_INT_H */
