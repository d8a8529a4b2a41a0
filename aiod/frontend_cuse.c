/* SPDX-License-Identifier: MIT */
/*
 * frontend_cuse.c -- the CUSE front end, aiod's production one: one CUSE
 * character device per partition at /dev/NAME, each its own session on its
 * own /dev/cuse fd, all served by the one event loop.  A device is ready
 * when the kernel has acknowledged it and its node exists; aiod then gives
 * the node its configured owner, group and mode (devtmpfs creates it root
 * 0600).  ioctls stay restricted, so the kernel copies the _IOC-sized
 * argument in one round trip.  CUSE has no flush and ignores file offsets:
 * close() waits in release, read() and write() use the engine's position.
 * A stale /dev/NAME that no CUSE device serves is removed first; a
 * read-only device's node loses its write bits.  A reload adds devices
 * (each its own new session, as at start), removes a retiring one once no
 * file is open on it (destroying its session removes the kernel's device
 * and the node), and gives a node a new owner, group or mode (which is
 * why aiod keeps CAP_CHOWN and CAP_FOWNER on CUSE, privs.c).  Every
 * operation on an open file goes to glue.c.
 */
#include "glue.h"

#include <cuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NODE_WAIT_SECONDS 10	/* for devtmpfs or udev to create a node */

struct cuse_device {
	struct device *dev;
	struct fuse_session *se;	/* its userdata is this */
	time_t started;
	bool acknowledged;	/* the kernel has created the device */
	bool node_ready;	/* /dev/NAME has owner, group and mode */
};

static struct cuse_device **cdevs;
static size_t ncdevs;

static struct cuse_device *cdev_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static void op_init_done(void *userdata)
{
	((struct cuse_device *)userdata)->acknowledged = true;
}

static void op_open(fuse_req_t req, struct fuse_file_info *fi)
{
	glue_open(req, cdev_of(req)->dev, fi);
}

static void op_read(fuse_req_t req, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)off;	/* always 0 from CUSE */
	glue_read(req, fi, size, ENGINE_FILE_POSITION);
}

static void op_write(fuse_req_t req, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)off;
	glue_write(req, fi, buf, size, ENGINE_FILE_POSITION);
}

static void op_release(fuse_req_t req, struct fuse_file_info *fi)
{
	glue_release(req, fi);
}

static void op_ioctl(fuse_req_t req, int cmd, void *arg,
		     struct fuse_file_info *fi, unsigned int flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	glue_ioctl(req, fi, (unsigned int)cmd, flags, in_buf, in_bufsz,
		   out_bufsz, (uintptr_t)arg);
}

static const struct cuse_lowlevel_ops ops = {
	.init_done = op_init_done,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.release = op_release,
	.ioctl = op_ioctl,
};

/* A /dev/NAME that no CUSE device stands behind (left by an aiod that
 * died before devtmpfs caught up, or made by hand) is removed; one that a
 * live CUSE device owns refuses the start. */
static int clear_stale_node(const char *name, char *err, size_t errlen)
{
	char node[300], sys[320];
	struct stat st;

	snprintf(node, sizeof(node), "/dev/%s", name);
	if (lstat(node, &st))
		return 0;
	snprintf(sys, sizeof(sys), "/sys/class/cuse/%s", name);
	for (char *p = sys + strlen("/sys/class/cuse/"); *p; p++)
		if (*p == '/')
			*p = '!';	/* sysfs's spelling of a '/' */
	if (access(sys, F_OK) == 0) {
		snprintf(err, errlen, "%s is served by another CUSE server "
			 "(another aiod?); stop it first", node);
		return -1;
	}
	if (unlink(node)) {
		snprintf(err, errlen, "cannot remove the stale %s: %s", node,
			 strerror(errno));
		return -1;
	}
	log_warn("removed the stale %s, which no CUSE device served", node);
	return 0;
}

static int start_one(struct cuse_device *cd, char *err, size_t errlen)
{
	char *argv[] = { "aiod", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	char devname[300], fdpath[32];
	const char *info[] = { devname };
	struct cuse_info ci = { .dev_info_argc = 1, .dev_info_argv = info };
	int fd;

	if (clear_stale_node(cd->dev->spec.name, err, errlen))
		return -1;
	snprintf(devname, sizeof(devname), "DEVNAME=%s", cd->dev->spec.name);
	fd = open("/dev/cuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open /dev/cuse: %s%s",
			 strerror(errno), errno == ENOENT ?
			 " (load it with 'modprobe cuse', or use --fuse DIR "
			 "on kernels without CUSE)" : "");
		return -1;
	}
	cd->se = cuse_lowlevel_new(&args, &ci, &ops, cd);
	fuse_opt_free_args(&args);
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
	if (!cd->se || fuse_session_mount(cd->se, fdpath)) {
		snprintf(err, errlen, "cannot create the CUSE session for %s",
			 cd->dev->spec.name);
		close(fd);
		return -1;
	}
	if (glue_add_session(cd->se)) {
		snprintf(err, errlen, "cannot watch the CUSE session: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int cusefe_add(struct device *dev, char *err, size_t errlen)
{
	struct cuse_device **grown = realloc(cdevs, (ncdevs + 1) *
					     sizeof(*grown));
	struct cuse_device *cd = calloc(1, sizeof(*cd));

	if (grown)
		cdevs = grown;
	if (!grown || !cd) {
		free(cd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*cd = (struct cuse_device){ .dev = dev, .started = time(NULL) };
	cdevs[ncdevs++] = cd;
	return start_one(cd, err, errlen);
}

static int cusefe_start(struct device *const *devs, size_t n,
			const char *where, char *err, size_t errlen)
{
	(void)where;
	for (size_t i = 0; i < n; i++)
		if (cusefe_add(devs[i], err, errlen))
			return -1;
	return 0;
}

/* Give an acknowledged device's node its owner, group and mode. */
static int prepare_node(struct cuse_device *cd, char *err, size_t errlen)
{
	const struct device_spec *s = &cd->dev->spec;
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "/dev/%s", s->name);
	if (stat(path, &st)) {
		if (errno == ENOENT &&
		    time(NULL) - cd->started < NODE_WAIT_SECONDS)
			return 0;
		snprintf(err, errlen, "%s did not appear: %s (is devtmpfs "
			 "mounted on /dev?)", path, strerror(errno));
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		snprintf(err, errlen, "%s exists but is not a character "
			 "device", path);
		return -1;
	}
	if (chown(path, s->owner, s->group) ||
	    chmod(path, s->mode & (cd->dev->readonly ? ~0222u : ~0u))) {
		snprintf(err, errlen, "cannot set owner and mode of %s: %s",
			 path, strerror(errno));
		return -1;
	}
	cd->node_ready = true;
	return 0;
}

static int cusefe_ready(char *err, size_t errlen)
{
	bool all = true;

	for (size_t i = 0; i < ncdevs; i++) {
		struct cuse_device *cd = cdevs[i];

		if (cd->acknowledged && !cd->node_ready &&
		    prepare_node(cd, err, errlen))
			return -1;
		all &= cd->node_ready;
	}
	return all;
}

static void destroy_one(struct cuse_device *cd)
{
	if (cd->se) {
		glue_remove_session(cd->se);
		fuse_session_destroy(cd->se);
	}
	free(cd);
}

static void cusefe_remove(struct device *dev)
{
	for (size_t i = 0; i < ncdevs; i++)
		if (cdevs[i]->dev == dev) {
			destroy_one(cdevs[i]);
			cdevs[i] = cdevs[--ncdevs];
			return;
		}
}

static void cusefe_update(struct device *dev)
{
	char err[400];

	for (size_t i = 0; i < ncdevs; i++)
		if (cdevs[i]->dev == dev && cdevs[i]->node_ready &&
		    prepare_node(cdevs[i], err, sizeof(err)))
			log_err("device %s: %s", dev->spec.name, err);
}

static void cusefe_stop(void)
{
	for (size_t i = 0; i < ncdevs; i++)
		destroy_one(cdevs[i]);
	free(cdevs);
	cdevs = NULL;
	ncdevs = 0;
}

const struct frontend cusefe_frontend = {
	.name = "CUSE",
	.start = cusefe_start,
	.ready = cusefe_ready,
	.add = cusefe_add,
	.remove = cusefe_remove,
	.update = cusefe_update,
	.stop = cusefe_stop,
};
