/* SPDX-License-Identifier: MIT */
/*
 * baitfs.h -- the part the tests' one-file FUSE servers share: a root
 * directory holding one regular file, "bait" (1 MiB, mode 0644), and the
 * low-level libfuse operations that look it up, describe it and open it.
 * Each server adds what makes it one (a read that never answers, an
 * ioctl that pretends to be aiod's).
 */
#ifndef SCOAIO_TEST_BAITFS_H
#define SCOAIO_TEST_BAITFS_H

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

void baitfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void baitfs_getattr(fuse_req_t req, fuse_ino_t ino,
		    struct fuse_file_info *fi);
void baitfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

#endif /* SCOAIO_TEST_BAITFS_H */
