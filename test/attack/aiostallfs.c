/* SPDX-License-Identifier: MIT */
/*
 * aiostallfs.c -- the attacker's own FUSE file system for the freeze test:
 * a low-level libfuse server, run as the unprivileged attacker (mounting
 * through fusermount3), serving one regular file, "bait", whose READ
 * requests it never answers.  Whoever faults in a page of a mapping of the
 * file waits until the server dies.
 *
 * Usage: aiostallfs MOUNTPOINT   (stays in the foreground)
 */
#include "baitfs.h"

#include <stdio.h>

/* The stall: the request is dropped on the floor, never answered. */
static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)req;
	(void)ino;
	(void)size;
	(void)off;
	(void)fi;
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = baitfs_lookup,
	.getattr = baitfs_getattr,
	.open = baitfs_open,
	.read = op_read,
};

int main(int argc, char **argv)
{
	char *fuse_argv[] = { argv[0], "-o", "fsname=aiostallfs", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
	struct fuse_session *se;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: aiostallfs MOUNTPOINT\n");
		return 2;
	}
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se || fuse_session_mount(se, argv[1])) {
		fprintf(stderr, "aiostallfs: cannot mount at %s\n", argv[1]);
		return 1;
	}
	rc = fuse_session_loop(se);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	return rc ? 1 : 0;
}
