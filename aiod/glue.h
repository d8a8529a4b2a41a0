/* SPDX-License-Identifier: MIT */
/*
 * glue.h -- what the two libfuse front ends share: the operations on an
 * open device file, which glue.c turns into engine calls and replies, and
 * the sessions it pumps from the event loop.  Only glue.c and the front
 * ends include libfuse.
 */
#ifndef AIOD_GLUE_H
#define AIOD_GLUE_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

#include "aiod.h"

/* Serve a FUSE or CUSE session's requests from the event loop. */
int glue_add_session(struct fuse_session *se);
/* Stop serving se (before the front end destroys it). */
void glue_remove_session(struct fuse_session *se);

void glue_open(fuse_req_t req, struct device *dev, struct fuse_file_info *fi);
/* offset: the kernel's, or ENGINE_FILE_POSITION (CUSE) */
void glue_read(fuse_req_t req, struct fuse_file_info *fi, size_t size,
	       int64_t offset);
void glue_write(fuse_req_t req, struct fuse_file_info *fi, const char *buf,
		size_t size, int64_t offset);
void glue_flush(fuse_req_t req, struct fuse_file_info *fi);
void glue_release(fuse_req_t req, struct fuse_file_info *fi);
void glue_ioctl(fuse_req_t req, struct fuse_file_info *fi, unsigned int cmd,
		unsigned int flags, const void *in, size_t in_size,
		size_t out_size, uint64_t arg);

#endif /* AIOD_GLUE_H */
