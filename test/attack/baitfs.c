/* SPDX-License-Identifier: MIT */
/*
 * baitfs.c -- the one file, "bait", of the tests' FUSE servers
 * (baitfs.h): its lookup, attributes and open.
 */
#include "baitfs.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define BAIT_INO	2
#define BAIT_SIZE	(1 << 20)
#define ATTR_TIMEOUT	3600.0

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = BAIT_SIZE;
	}
}

void baitfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .ino = BAIT_INO,
				      .attr_timeout = ATTR_TIMEOUT,
				      .entry_timeout = ATTR_TIMEOUT };

	if (parent != FUSE_ROOT_ID || strcmp(name, "bait")) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(BAIT_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

void baitfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != BAIT_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

void baitfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != BAIT_INO)
		fuse_reply_err(req, EISDIR);
	else
		fuse_reply_open(req, fi);
}
