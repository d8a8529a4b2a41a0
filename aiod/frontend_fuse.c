/* SPDX-License-Identifier: MIT */
/*
 * frontend_fuse.c -- the FUSE front end, for kernels without CUSE: a
 * low-level FUSE mount (allow_other, default_permissions) with one file per
 * device at DIR/NAME, directories for the components of NAME, each file
 * carrying its device's owner, group and mode (no write bits when it is
 * read-only) so the kernel enforces access on open.  A stale mount of a
 * dead aiod at DIR is detached first; a live one refuses the start.  Files
 * are direct_io, so reads and writes reach aiod with their offsets; every
 * operation on an open file goes to glue.c.  A reload adds files (and
 * directories), hides a retiring device's file from lookups and listings,
 * and drops it once no file is open on it; inode numbers are never
 * reused.  The kernel caches names and attributes for ATTR_TIMEOUT only,
 * so that such changes (and new owners and modes) show within it without
 * invalidation notices, which could deadlock against a lookup that waits
 * for this single-threaded server.
 */
#include "glue.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define ATTR_TIMEOUT 1.0	/* seconds: how late a reload may show */

/* Inode n+1 is nodes[n]; inode 1 is the root directory. */
struct node {
	char *name;
	fuse_ino_t parent;
	struct device *dev;	/* NULL for a directory or a gone device */
	bool gone;		/* its device was removed */
};

static struct node *nodes;
static size_t nnodes;
static struct fuse_session *session;
static char *mountpoint;
static bool created_mountpoint, initialised;

static struct node *node_of(fuse_ino_t ino)
{
	return ino >= 1 && ino <= nnodes && !nodes[ino - 1].gone ?
	       &nodes[ino - 1] : NULL;
}

/* Can the node be found by name and listed? */
static bool visible(const struct node *nd)
{
	return !nd->gone && !(nd->dev && nd->dev->retiring);
}

static fuse_ino_t find_child(fuse_ino_t parent, const char *name,
			     size_t len)
{
	for (size_t i = 1; i < nnodes; i++)
		if (nodes[i].parent == parent && visible(&nodes[i]) &&
		    strlen(nodes[i].name) == len &&
		    !memcmp(nodes[i].name, name, len))
			return i + 1;
	return 0;
}

static fuse_ino_t add_node(fuse_ino_t parent, const char *name, size_t len,
			   struct device *dev)
{
	struct node *grown = realloc(nodes, (nnodes + 1) * sizeof(*grown));

	if (!grown)
		return 0;
	nodes = grown;
	nodes[nnodes] = (struct node){ strndup(name, len), parent, dev, false };
	if (!nodes[nnodes].name)
		return 0;
	return ++nnodes;
}

/* The file of dev, and the directories on its way; 0 or an errno. */
static int add_file(struct device *dev)
{
	const char *p = dev->spec.name;
	fuse_ino_t dir = 1;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		fuse_ino_t ino = find_child(dir, p, len);

		if (ino && (!slash || node_of(ino)->dev))
			return EEXIST;	/* a file in the way */
		if (!ino)
			ino = add_node(dir, p, len, slash ? NULL : dev);
		if (!ino)
			return ENOMEM;
		if (!slash)
			return 0;
		dir = ino;
		p = slash + 1;
	}
}

static int tree_error(int rc, char *err, size_t errlen)
{
	snprintf(err, errlen, "cannot build the device tree: %s",
		 rc == EEXIST ? "one device name is a directory of another"
			      : strerror(rc));
	return -1;
}

/* Build root, directories and device files; 0 or an errno. */
static int build_tree(struct device *const *devs, size_t n)
{
	int rc = 0;

	if (!add_node(0, "", 0, NULL))
		return ENOMEM;
	for (size_t d = 0; d < n && !rc; d++)
		rc = add_file(devs[d]);
	return rc;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	struct node *nd = node_of(ino);

	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (nd->dev) {
		st->st_mode = S_IFREG | (nd->dev->spec.mode &
					 (nd->dev->readonly ? ~0222u : ~0u));
		st->st_nlink = 1;
		st->st_uid = nd->dev->spec.owner;
		st->st_gid = nd->dev->spec.group;
		st->st_size = (off_t)nd->dev->size;
		st->st_blocks = (blkcnt_t)(nd->dev->size / 512);
	} else {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	}
	st->st_blksize = AIO_PAGE;
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	(void)conn;
	initialised = true;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_ino_t ino = find_child(parent, name, strlen(name));
	struct fuse_entry_param e = {
		.ino = ino,
		.attr_timeout = ATTR_TIMEOUT,
		.entry_timeout = ATTR_TIMEOUT,
	};

	if (!ino) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (!node_of(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

/* Owner, mode and size of a device come from aiod's configuration. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
		       int to_set, struct fuse_file_info *fi)
{
	(void)ino;
	(void)attr;
	(void)to_set;
	(void)fi;
	fuse_reply_err(req, EPERM);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, struct fuse_file_info *fi)
{
	char *buf = malloc(size);
	size_t used = 0;
	off_t entry = 0;

	(void)fi;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = 0; i < nnodes + 2; i++) {
		struct stat st = { 0 };
		const char *name;
		size_t len;

		if (i == 0) {
			name = ".";
			st.st_ino = ino;
		} else if (i == 1) {
			name = "..";
			st.st_ino = ino == 1 ? 1 : node_of(ino)->parent;
		} else if (nodes[i - 2].parent == ino &&
			   visible(&nodes[i - 2])) {
			name = nodes[i - 2].name;
			st.st_ino = i - 1;
		} else {
			continue;
		}
		if (++entry <= off)
			continue;
		st.st_mode = node_of(st.st_ino)->dev ? S_IFREG : S_IFDIR;
		len = fuse_add_direntry(req, buf + used, size - used, name,
					&st, entry);
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *nd = node_of(ino);

	if (!nd || !nd->dev)
		fuse_reply_err(req, nd ? EISDIR : ENOENT);
	else
		glue_open(req, nd->dev, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	glue_read(req, fi, size, off);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
		     size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	glue_write(req, fi, buf, size, off);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino,
		     struct fuse_file_info *fi)
{
	(void)ino;
	glue_flush(req, fi);
}

static void op_release(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	(void)ino;
	glue_release(req, fi);
}

static void op_ioctl(fuse_req_t req, fuse_ino_t ino, unsigned int cmd,
		     void *arg, struct fuse_file_info *fi, unsigned flags,
		     const void *in_buf, size_t in_bufsz, size_t out_bufsz)
{
	if (!node_of(ino) || !node_of(ino)->dev) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	glue_ioctl(req, fi, cmd, flags, in_buf, in_bufsz, out_bufsz,
		   (uintptr_t)arg);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.release = op_release,
	.ioctl = op_ioctl,
};

/* Is a FUSE file system of aiod's mounted at path (a canonical path)? */
static bool aiod_mounted_at(const char *path)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		char mnt[2048], fstype[64], source[64], *dash, *o = mnt;

		dash = strstr(line, " - ");
		if (!dash || sscanf(line, "%*s %*s %*s %*s %2047s", mnt) != 1 ||
		    sscanf(dash, " - %63s %63s", fstype, source) != 2)
			continue;
		for (const char *i = mnt; *i; o++) {	/* \040 and the like */
			unsigned c;

			if (i[0] == '\\' && sscanf(i + 1, "%3o", &c) == 1) {
				*o = (char)c;
				i += 4;
			} else {
				*o = *i++;
			}
		}
		*o = '\0';
		found = !strcmp(mnt, path) && !strcmp(fstype, "fuse.aiod") &&
			!strcmp(source, "aiod");
	}
	if (f)
		fclose(f);
	return found;
}

/* A mount of a dead aiod (its connection gone: ENOTCONN) is detached; one
 * a live aiod serves refuses the start. */
static int clear_stale_mount(const char *where, char *err, size_t errlen)
{
	/* Opening the directory asks its server; stat may answer from the
	 * attribute cache even when the server is gone. */
	int fd = open(where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *real;
	bool live;

	if (fd >= 0) {
		close(fd);
		real = realpath(where, NULL);
		live = real && aiod_mounted_at(real);
		free(real);
		if (live) {
			snprintf(err, errlen, "%s is served by another aiod; "
				 "stop it first or give another --fuse DIR",
				 where);
			return -1;
		}
		return 0;
	}
	if (errno != ENOTCONN)
		return 0;	/* mkdir below says what is wrong */
	if (umount2(where, MNT_DETACH)) {
		snprintf(err, errlen, "cannot detach the stale FUSE mount at "
			 "%s: %s", where, strerror(errno));
		return -1;
	}
	log_warn("detached the stale FUSE mount at %s left by an aiod that "
		 "died", where);
	return 0;
}

static int fusefe_start(struct device *const *devs, size_t n,
			const char *where, char *err, size_t errlen)
{
	char *argv[] = { "aiod", "-o",
			 "allow_other,default_permissions,fsname=aiod,"
			 "subtype=aiod", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	int rc = build_tree(devs, n);

	if (rc)
		return tree_error(rc, err, errlen);
	if (clear_stale_mount(where, err, errlen))
		return -1;
	if (mkdir(where, 0755) == 0)
		created_mountpoint = true;
	else if (errno != EEXIST) {
		snprintf(err, errlen, "cannot create mount point %s: %s",
			 where, strerror(errno));
		return -1;
	}
	mountpoint = strdup(where);
	session = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	fuse_opt_free_args(&args);
	if (!mountpoint || !session) {
		snprintf(err, errlen, "cannot create the FUSE session");
		return -1;
	}
	if (fuse_session_mount(session, where)) {
		snprintf(err, errlen, "cannot mount FUSE at %s (is /dev/fuse "
			 "there and are you root?)", where);
		fuse_session_destroy(session);
		session = NULL;
		return -1;
	}
	if (glue_add_session(session)) {
		snprintf(err, errlen, "cannot watch the FUSE session: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int fusefe_ready(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return initialised;
}

static int fusefe_add(struct device *dev, char *err, size_t errlen)
{
	int rc = add_file(dev);

	return rc ? tree_error(rc, err, errlen) : 0;
}

static void fusefe_remove(struct device *dev)
{
	for (size_t i = 0; i < nnodes; i++)
		if (nodes[i].dev == dev) {
			nodes[i].dev = NULL;
			nodes[i].gone = true;
		}
}

/* Attributes come from dev->spec on each request; the kernel asks again
 * within ATTR_TIMEOUT. */
static void fusefe_update(struct device *dev)
{
	(void)dev;
}

static void fusefe_stop(void)
{
	if (session) {
		fuse_session_unmount(session);
		fuse_session_destroy(session);
		session = NULL;
	}
	if (created_mountpoint && rmdir(mountpoint))
		log_warn("cannot remove mount point %s: %s", mountpoint,
			 strerror(errno));
	free(mountpoint);
	mountpoint = NULL;
	for (size_t i = 0; i < nnodes; i++)
		free(nodes[i].name);
	free(nodes);
	nodes = NULL;
	nnodes = 0;
}

const struct frontend fusefe_frontend = {
	.name = "FUSE",
	.start = fusefe_start,
	.ready = fusefe_ready,
	.add = fusefe_add,
	.remove = fusefe_remove,
	.update = fusefe_update,
	.stop = fusefe_stop,
};
