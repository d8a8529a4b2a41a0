/* SPDX-License-Identifier: MIT */
/*
 * dmlinear.c -- device-mapper "linear" devices of exactly one slice, for
 * libasync's direct path (dmlinear.h).  A client holding such a device can
 * reach nothing outside the slice: its size bounds reads, writes and
 * discards, and device-mapper passes block-device ioctls through to the
 * backing only when the target covers the whole backing
 * (linear_prepare_ioctl), which the caller never asks for.  Persistent
 * reservation ioctls are the exception (dm_call_pr forwards them to the
 * disk beneath whatever the extent), so the caller keeps slices of disks
 * that take them (backend.c) off this path.  The device is marked for
 * deferred removal as soon as aiod holds it open, so it disappears with
 * its last holder, even if aiod is killed after that; one killed between
 * creating a device and that mark leaves it, and the next aiod removes it
 * (dmlinear_remove_stale) before it opens its own devices.
 */
#include "dmlinear.h"

#include "common/failmsg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define DM_SECTOR	512u

_Static_assert(DMLINEAR_BUF_BYTES >= sizeof(struct dm_ioctl) +
				     sizeof(struct dm_target_spec) + 64,
	       "DMLINEAR_BUF_BYTES too small");

/* The dm_ioctl header alone (DM_DEV_CREATE, _SUSPEND, _REMOVE). */
static int dm_header(void *buf, size_t len, const char *name, uint32_t flags)
{
	struct dm_ioctl *io = buf;

	if (len < sizeof(*io) || strlen(name) >= sizeof(io->name))
		return EINVAL;
	memset(buf, 0, len);
	io->version[0] = DM_VERSION_MAJOR;
	io->data_size = (uint32_t)len;
	io->data_start = sizeof(*io);
	io->flags = flags;
	memcpy(io->name, name, strlen(name) + 1);
	return 0;
}

int dmlinear_table(void *buf, size_t len, const char *name, dev_t backing,
		   uint64_t offset, uint64_t size, bool readonly)
{
	struct dm_ioctl *io = buf;
	struct dm_target_spec *spec;
	size_t room;
	int n;

	if (offset % DM_SECTOR || size % DM_SECTOR || size == 0 ||
	    offset > UINT64_MAX - size ||
	    len < sizeof(*io) + sizeof(*spec) ||
	    dm_header(buf, len, name, readonly ? DM_READONLY_FLAG : 0))
		return EINVAL;
	spec = (struct dm_target_spec *)(io + 1);
	room = len - sizeof(*io) - sizeof(*spec);
	spec->sector_start = 0;
	spec->length = size / DM_SECTOR;
	memcpy(spec->target_type, "linear", sizeof("linear"));
	n = snprintf((char *)(spec + 1), room, "%u:%u %llu", major(backing),
		     minor(backing), (unsigned long long)(offset / DM_SECTOR));
	if (n < 0 || (size_t)n >= room)
		return EINVAL;
	/* The next target would start 8-aligned; there is none. */
	spec->next = (uint32_t)((sizeof(*spec) + (size_t)n + 1 + 7) & ~7u);
	io->target_count = 1;
	return 0;
}

static int dm_call(int ctl, unsigned long cmd, void *buf, const char *what,
		   const char *name, char *err, size_t errlen)
{
	if (ioctl(ctl, cmd, buf) == 0)
		return 0;
	int e = errno;

	failmsg(err, errlen, "device-mapper: %s %s: %s", what, name,
		strerror(e));
	errno = e;
	return -1;
}

/* Remove name at once (it is not open); errno is kept.  If that fails
 * too, err (the reason already given) says so, and that the device is
 * left. */
static void dm_remove_now(int ctl, void *buf, const char *name, char *err,
			  size_t errlen)
{
	int e = errno;
	size_t used = strlen(err);

	if (!dm_header(buf, DMLINEAR_BUF_BYTES, name, 0) &&
	    ioctl(ctl, DM_DEV_REMOVE, buf) != 0 && used < errlen)
		failmsg(err + used, errlen - used, "; removing %s failed too "
			"(%s): dmsetup remove %s", name, strerror(errno),
			name);
	errno = e;
}

/* Open the node of dev and prove it is dev, of size bytes. */
static int open_node(dev_t dev, uint64_t size, int open_flags, char *err,
		     size_t errlen)
{
	char node[32];
	struct stat st;
	uint64_t got;
	int fd, e;

	snprintf(node, sizeof(node), "/dev/dm-%u", minor(dev));
	fd = open(node, open_flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		e = errno;
		failmsg(err, errlen, "cannot open %s (devtmpfs on /dev?): %s",
			node, strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) || ioctl(fd, BLKGETSIZE64, &got)) {
		e = errno;
		failmsg(err, errlen, "cannot inspect %s: %s", node,
			strerror(e));
	} else if (!S_ISBLK(st.st_mode) || st.st_rdev != dev || got != size) {
		e = ENXIO;
		failmsg(err, errlen, "%s is not the device just created "
			"(device %u:%u, %llu bytes)", node, major(st.st_rdev),
			minor(st.st_rdev), (unsigned long long)got);
	} else {
		return fd;
	}
	close(fd);
	errno = e;
	return -1;
}

int dmlinear_create(const char *name, dev_t backing, uint64_t offset,
		    uint64_t size, bool readonly, int open_flags, char *err,
		    size_t errlen)
{
	static union {
		struct dm_ioctl io;
		char bytes[DMLINEAR_BUF_BYTES];
	} buf;
	int ctl, fd = -1, e;
	dev_t dev;

	ctl = open(DMLINEAR_CONTROL, O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		e = errno;
		failmsg(err, errlen, "cannot open %s: %s", DMLINEAR_CONTROL,
			strerror(e));
		errno = e;
		return -1;
	}
	if (dm_header(&buf, sizeof(buf), name, 0) ||
	    dmlinear_table(&buf, sizeof(buf), name, backing, offset, size,
			   readonly)) {
		failmsg(err, errlen, "device-mapper: cannot describe %s "
			"(offset %llu, size %llu)", name,
			(unsigned long long)offset, (unsigned long long)size);
		close(ctl);
		errno = EINVAL;
		return -1;
	}
	/* Cannot fail any more: name and extent were checked above. */
	(void)dm_header(&buf, sizeof(buf), name, 0);
	if (dm_call(ctl, DM_DEV_CREATE, &buf, "creating", name, err, errlen)) {
		e = errno;
		close(ctl);
		errno = e;
		return -1;
	}
	dev = (dev_t)buf.io.dev;
	(void)dmlinear_table(&buf, sizeof(buf), name, backing, offset, size,
			     readonly);
	if (dm_call(ctl, DM_TABLE_LOAD, &buf, "loading the table of", name,
		    err, errlen))
		goto fail;
	(void)dm_header(&buf, sizeof(buf), name, 0);
	/* DM_DEV_SUSPEND without DM_SUSPEND_FLAG: resume, i.e. activate. */
	if (dm_call(ctl, DM_DEV_SUSPEND, &buf, "activating", name, err,
		    errlen))
		goto fail;
	fd = open_node(dev, size, open_flags, err, errlen);
	if (fd < 0)
		goto fail;
	/* Held open by aiod, so the kernel defers the removal until the
	 * last holder (aiod or a client) closes it. */
	(void)dm_header(&buf, sizeof(buf), name, DM_DEFERRED_REMOVE);
	if (dm_call(ctl, DM_DEV_REMOVE, &buf, "marking for removal", name,
		    err, errlen))
		goto fail;
	close(ctl);
	return fd;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	dm_remove_now(ctl, &buf, name, err, errlen);
	close(ctl);
	errno = e;
	return -1;
}

/* Is name "scoaio-PID-INDEX" of a process that no longer exists? */
static bool stale_name(const char *name)
{
	int pid, used = 0;
	unsigned index;

	if (sscanf(name, "scoaio-%d-%u%n", &pid, &index, &used) != 2 ||
	    name[used] != '\0' || pid <= 0)
		return false;
	return kill(pid, 0) != 0 && errno == ESRCH;
}

void dmlinear_remove_stale(void (*report)(const char *name, int err))
{
	static union {
		struct dm_ioctl io;
		char bytes[DMLINEAR_BUF_BYTES];
	} buf;
	char path[300], name[DM_NAME_LEN];
	struct dirent *e;
	DIR *d = opendir("/sys/block");
	int ctl;

	if (!d)
		return;
	ctl = open(DMLINEAR_CONTROL, O_RDWR | O_CLOEXEC);
	while (ctl >= 0 && (e = readdir(d))) {
		FILE *f;

		if (strncmp(e->d_name, "dm-", 3))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/name",
			 e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(name, sizeof(name), f))
			name[0] = '\0';
		fclose(f);
		name[strcspn(name, "\n")] = '\0';
		if (!stale_name(name) ||
		    dm_header(&buf, sizeof(buf), name, 0) ||
		    ioctl(ctl, DM_DEV_STATUS, &buf) != 0 ||
		    buf.io.open_count != 0)
			continue;	/* not ours, gone meanwhile, or in use */
		(void)dm_header(&buf, sizeof(buf), name, 0);
		report(name, ioctl(ctl, DM_DEV_REMOVE, &buf) ? errno : 0);
	}
	if (ctl >= 0)
		close(ctl);
	closedir(d);
}
