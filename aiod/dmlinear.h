/* SPDX-License-Identifier: MIT */
/*
 * dmlinear.h -- a device-mapper "linear" device of exactly one slice of a
 * block device, for libasync's direct path: the pure part (the
 * DM_TABLE_LOAD buffer, unit-tested) and its creation with the three
 * ioctls of <linux/dm-ioctl.h> on /dev/mapper/control, followed at once by
 * a deferred remove so that the kernel removes the device when its last
 * holder closes it.
 */
#ifndef AIOD_DMLINEAR_H
#define AIOD_DMLINEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DMLINEAR_CONTROL	"/dev/mapper/control"
/* Room for the header, one target spec and its parameters. */
#define DMLINEAR_BUF_BYTES	512

/* Fill buf (len bytes, 8-aligned) with the DM_TABLE_LOAD argument for
 * the device called name: one "linear" target of size bytes mapping to
 * offset bytes into the block device backing ("MAJ:MIN START_SECTOR"),
 * read-only if readonly.  0, or EINVAL: offset or size not a multiple of
 * 512, size 0, offset + size overflowing, a name that does not fit the
 * header, or len too small. */
int dmlinear_table(void *buf, size_t len, const char *name, dev_t backing,
		   uint64_t offset, uint64_t size, bool readonly);

/* Create, load and resume the device called name over [offset,
 * offset + size) of backing, open its node /dev/dm-MINOR with
 * open_flags (O_RDONLY or O_RDWR plus O_DIRECT and the like), check that
 * it is that device and of that size, and mark it for deferred removal.
 * The descriptor, or -1 with errno set and a one-line reason in err; on
 * failure the device is removed again. */
int dmlinear_create(const char *name, dev_t backing, uint64_t offset,
		    uint64_t size, bool readonly, int open_flags, char *err,
		    size_t errlen);

/* Remove what an aiod killed between creating a device and marking it
 * for deferred removal left: devices named scoaio-PID-INDEX whose PID is
 * no process (in this pid namespace) and which nobody holds open.
 * report(name, 0) for each one removed, report(name, errno) for each that
 * could not be.  Without device-mapper, nothing. */
void dmlinear_remove_stale(void (*report)(const char *name, int err));

#endif
