/* SPDX-License-Identifier: MIT */
/*
 * pidfile.c -- the pid file and the claim it stands for: aiod opens it
 * (O_NOFOLLOW, close-on-exec) and takes an OFD write lock on it before
 * anything else, holds the lock for the daemon's life (the open file
 * description passes to the detached child), writes the pid once every
 * device is ready, and on exit (or a failed start) removes the file only
 * if it created or wrote it.  A
 * second aiod with the same pid file finds the lock held and refuses to
 * start, leaving the first one's file alone.
 */
#include "aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int pid_fd = -1;
static const char *pid_path;
static bool created, written;

int pidfile_claim(const char *path, char *err, size_t errlen)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char pid[32] = "";
	ssize_t n;

	pid_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		      O_CLOEXEC, 0644);
	created = pid_fd >= 0;
	if (pid_fd < 0 && errno == EEXIST)
		pid_fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (pid_fd < 0)
		return failmsg(err, errlen, "cannot open pid file %s: %s",
			       path, strerror(errno));
	if (fcntl(pid_fd, F_OFD_SETLK, &lk) == 0) {
		pid_path = path;
		return 0;
	}
	if (errno != EAGAIN && errno != EACCES)
		failmsg(err, errlen, "cannot lock pid file %s: %s", path,
			strerror(errno));
	else if ((n = pread(pid_fd, pid, sizeof(pid) - 1, 0)) > 0 &&
		 (pid[strcspn(pid, "\n")] = '\0', pid[0]))
		failmsg(err, errlen, "another aiod (pid %s) holds pid file "
			"%s; stop it first or give another --pidfile", pid,
			path);
	else
		failmsg(err, errlen, "another aiod, still starting, holds "
			"pid file %s; stop it first or give another --pidfile",
			path);
	close(pid_fd);
	pid_fd = -1;
	return -1;
}

int pidfile_write(char *err, size_t errlen)
{
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

	if (ftruncate(pid_fd, 0) || pwrite(pid_fd, pid, (size_t)n, 0) != n)
		return failmsg(err, errlen, "cannot write pid file %s: %s",
			       pid_path, strerror(errno));
	written = true;
	return 0;
}

void pidfile_remove(void)
{
	if ((created || written) && unlink(pid_path))
		log_warn("cannot remove pid file %s: %s", pid_path,
			 strerror(errno));
	created = written = false;
}
