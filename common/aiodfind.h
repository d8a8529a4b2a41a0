/* SPDX-License-Identifier: MIT */
/*
 * aiodfind.h -- how the admin commands reach running aiods: through a
 * device named on the command line, or by finding every aiod on the
 * machine (its FUSE mounts in /proc/self/mountinfo, its CUSE devices in
 * /sys/class/cuse), one connection per daemon.
 */
#ifndef SCOAIO_AIODFIND_H
#define SCOAIO_AIODFIND_H

#include <limits.h>
#include <stddef.h>
#include <scoaio/ioctl.h>

/* An open device of one aiod, and where that aiod's devices live. */
struct aiod_conn {
	int fd;				/* O_RDONLY on path */
	char path[PATH_MAX];		/* the device opened */
	char prefix[PATH_MAX];		/* DIR of DIR/NAME, the devices'
					   names relative to it; "" if
					   unknown */
	struct aio_daemon daemon;
};

/* Open device, which must be an aiod's: 0, or -1 with a one-line reason
 * in err ("PATH: not an aiod device", "PATH: Permission denied"). */
int aiod_connect(const char *device, struct aiod_conn *c, char *err,
		 size_t errlen);
/* Every running aiod this process can reach, once each, into *conns
 * (malloc'd, *n of them, at least one).  Devices that exist but cannot
 * be opened are reported on stderr with prog's name, once each.  0, or -1
 * with err set (none found, out of memory). */
int aiod_find_all(const char *prog, struct aiod_conn **conns, size_t *n,
		  char *err, size_t errlen);
/* Close and free what aiod_find_all gave. */
void aiod_conns_free(struct aiod_conn *conns, size_t n);
/* The index of c's device called name, or -1. */
int aiod_device_index(const struct aiod_conn *c, const char *name);

#endif
