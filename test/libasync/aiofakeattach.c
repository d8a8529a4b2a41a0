/* SPDX-License-Identifier: MIT */
/*
 * aiofakeattach.c -- a FUSE file system that pretends to be aiod, for the
 * test that libasync(3) trusts no other daemon: a low-level libfuse
 * server with one regular file, "bait", that answers AIOC_ATTACH as aiod
 * would (the direct path available, a token, an attach socket's name).
 * The socket is held by a child running as nobody (uid 65534), which
 * writes a line to LOG for each message a client sends it.  A libasync
 * that opens bait must not send it any: the socket's owner is neither
 * root nor the client's user.
 *
 * Usage: aiofakeattach MOUNTPOINT LOG   (as root; stays in the foreground)
 */
#include "test/attack/baitfs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <scoaio/direct.h>

#define NOBODY		65534

static char sockname[AIO_SOCKNAME_MAX];

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
		     void *arg, struct fuse_file_info *fi, unsigned flags,
		     const void *in, size_t in_size, size_t out_size)
{
	struct aio_attach att = { .file_id = 1,
				  .version = AIO_ATTACH_VERSION,
				  .direct = AIO_DIRECT_OK };

	(void)ino;
	(void)arg;
	(void)fi;
	(void)flags;
	(void)in;
	(void)in_size;
	if (cmd != AIOC_ATTACH || out_size < sizeof(att)) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	memset(att.token, 0x5a, sizeof(att.token));
	memcpy(att.sockname, sockname, sizeof(att.sockname));
	fuse_reply_ioctl(req, 0, &att, sizeof(att));
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = baitfs_lookup,
	.getattr = baitfs_getattr,
	.open = baitfs_open,
	.ioctl = op_ioctl,
};

/* The child, as nobody: each message any client sends goes to log. */
static void listen_as_nobody(int log)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char msg[512];
	int s, c;

	if (setgid(NOBODY) || setuid(NOBODY) ||
	    prctl(PR_SET_PDEATHSIG, SIGTERM) ||
	    (s = socket(AF_UNIX, SOCK_SEQPACKET, 0)) < 0) {
		perror("aiofakeattach: listener");
		_exit(1);
	}
	memcpy(sa.sun_path + 1, sockname, strlen(sockname));
	if (bind(s, (struct sockaddr *)&sa, (socklen_t)(offsetof(
		 struct sockaddr_un, sun_path) + 1 + strlen(sockname))) ||
	    listen(s, 8)) {
		perror("aiofakeattach: bind");
		_exit(1);
	}
	dprintf(log, "listening as uid %d\n", (int)getuid());
	while ((c = accept(s, NULL, NULL)) >= 0) {
		ssize_t n;

		while ((n = recv(c, msg, sizeof(msg), 0)) > 0)
			dprintf(log, "received a message of %zd bytes\n", n);
		close(c);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	char *fuse_argv[] = { argv[0], "-o", "fsname=aiofakeattach", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fuse_argv);
	struct fuse_session *se;
	int rc, log;

	if (argc != 3) {
		fprintf(stderr, "usage: aiofakeattach MOUNTPOINT LOG\n");
		return 2;
	}
	if ((log = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
			0644)) < 0) {
		perror(argv[2]);
		return 1;
	}
	snprintf(sockname, sizeof(sockname), "scoaio-fake-%d", (int)getpid());
	switch (fork()) {
	case -1:
		perror("aiofakeattach: fork");
		return 1;
	case 0:
		listen_as_nobody(log);
	}
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se || fuse_set_signal_handlers(se) ||
	    fuse_session_mount(se, argv[1])) {
		fprintf(stderr, "aiofakeattach: cannot mount at %s\n", argv[1]);
		return 1;
	}
	rc = fuse_session_loop(se);
	fuse_remove_signal_handlers(se);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	return rc ? 1 : 0;
}
