/* SPDX-License-Identifier: MIT */
/*
 * aiodfind.c -- finding running aiods for aioinfo(8) and aiotrace(8).
 * Nothing is registered anywhere that could go stale: the kernel's own
 * tables say where aiods serve.  A FUSE aiod is a mount of type fuse.aiod
 * with source "aiod" in /proc/self/mountinfo, its devices the files below
 * the mount point; a CUSE aiod's devices are entries of /sys/class/cuse,
 * whose uevent names the node below /dev (DEVNAME=rdsk/0s1).  Each
 * candidate is opened and asked AIOC_DAEMON, which also tells one daemon
 * from another (pid and start time), so a daemon with many devices is
 * reported once and other CUSE drivers' devices are passed over.
 */
#include "common/aiodfind.h"
#include "common/failmsg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

int aiod_device_index(const struct aiod_conn *c, const char *name)
{
	struct aio_info info;
	struct aio_devinfo d;

	if (ioctl(c->fd, AIOC_INFO, &info))
		return -1;
	for (uint32_t k = 0; k < info.ndevices; k++) {
		d.index = k;
		if (ioctl(c->fd, AIOC_DEVINFO, &d) == 0 &&
		    strcmp(d.name, name) == 0)
			return (int)k;
	}
	return -1;
}

/* The DIR of path = DIR/NAME for a NAME of c's daemon, or "". */
static void find_prefix(struct aiod_conn *c)
{
	struct aio_info info;
	struct aio_devinfo d;
	size_t len = strlen(c->path);

	c->prefix[0] = '\0';
	if (ioctl(c->fd, AIOC_INFO, &info))
		return;
	for (uint32_t k = 0; k < info.ndevices; k++) {
		size_t nlen;

		d.index = k;
		if (ioctl(c->fd, AIOC_DEVINFO, &d))
			return;
		nlen = strlen(d.name);
		if (nlen < len && c->path[len - nlen - 1] == '/' &&
		    strcmp(c->path + len - nlen, d.name) == 0) {
			snprintf(c->prefix, sizeof(c->prefix), "%.*s",
				 (int)(len - nlen - 1), c->path);
			return;
		}
	}
}

int aiod_connect(const char *device, struct aiod_conn *c, char *err,
		 size_t errlen)
{
	if (strlen(device) >= sizeof(c->path))
		return failmsg(err, errlen, "%s: %s", device,
			       strerror(ENAMETOOLONG));
	c->fd = open(device, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (c->fd < 0)
		return failmsg(err, errlen, "%s: %s", device, strerror(errno));
	if (ioctl(c->fd, AIOC_DAEMON, &c->daemon)) {
		int e = errno;

		close(c->fd);
		return failmsg(err, errlen, "%s: %s", device, e == ENOTTY ||
			       e == EINVAL ? "not an aiod device" :
			       strerror(e));
	}
	snprintf(c->path, sizeof(c->path), "%s", device);
	find_prefix(c);
	return 0;
}

struct found {
	const char *prog;
	struct aiod_conn *conns;
	size_t n, cap;
	int oom;
};

/* Keep a connection to device unless its daemon is known already; true
 * if device is an aiod's. */
static int consider(struct found *f, const char *device, const char *prefix)
{
	struct aiod_conn c;
	char err[PATH_MAX + 64];

	if (aiod_connect(device, &c, err, sizeof(err))) {
		if (!strstr(err, "not an aiod device"))
			fprintf(stderr, "%s: %s\n", f->prog, err);
		return 0;
	}
	for (size_t i = 0; i < f->n; i++)
		if (f->conns[i].daemon.pid == c.daemon.pid &&
		    f->conns[i].daemon.started_ns == c.daemon.started_ns) {
			close(c.fd);
			return 1;
		}
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 4;
		struct aiod_conn *grown = realloc(f->conns,
						  cap * sizeof(*grown));

		if (!grown) {
			close(c.fd);
			f->oom = 1;
			return 1;
		}
		f->conns = grown;
		f->cap = cap;
	}
	if (prefix)
		snprintf(c.prefix, sizeof(c.prefix), "%s", prefix);
	f->conns[f->n++] = c;
	return 1;
}

/* The first file below dir that opens as an aiod device (depth-first, a
 * FUSE aiod's tree is shallow). */
static int consider_tree(struct found *f, const char *dir, const char *mnt)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int done = 0;

	if (!d) {
		fprintf(stderr, "%s: %s: %s\n", f->prog, dir, strerror(errno));
		return 0;
	}
	while (!done && (e = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
			    (int)sizeof(path) ||
		    lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode))
			done = consider_tree(f, path, mnt);
		else if (S_ISREG(st.st_mode))
			done = consider(f, path, mnt);
	}
	closedir(d);
	return done;
}

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape(char *s)
{
	char *o = s;
	unsigned v;

	while (*s) {
		if (s[0] == '\\' && sscanf(s + 1, "%3o", &v) == 1) {
			*o++ = (char)v;
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
}

static void find_fuse(struct found *f)
{
	FILE *m = fopen("/proc/self/mountinfo", "re");
	char line[2 * PATH_MAX];

	if (!m) {
		fprintf(stderr, "%s: /proc/self/mountinfo: %s\n", f->prog,
			strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), m)) {
		char mnt[PATH_MAX], fstype[64], source[64];
		const char *dash = strstr(line, " - ");

		if (!dash ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(dash, " - %63s %63s", fstype, source) != 2 ||
		    strcmp(fstype, "fuse.aiod") || strcmp(source, "aiod"))
			continue;
		unescape(mnt);
		consider_tree(f, mnt, mnt);
	}
	fclose(m);
}

static void find_cuse(struct found *f)
{
	DIR *d = opendir("/sys/class/cuse");
	struct dirent *e;

	if (!d)		/* no CUSE device on this machine */
		return;
	while ((e = readdir(d))) {
		char path[PATH_MAX], line[PATH_MAX], node[PATH_MAX];
		FILE *u;

		if (e->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "/sys/class/cuse/%s/uevent",
			     e->d_name) >= (int)sizeof(path) ||
		    !(u = fopen(path, "re")))
			continue;
		while (fgets(line, sizeof(line), u))
			if (!strncmp(line, "DEVNAME=", 8)) {
				line[strcspn(line, "\n")] = '\0';
				if (snprintf(node, sizeof(node), "/dev/%s",
					     line + 8) < (int)sizeof(node))
					consider(f, node, "/dev");
			}
		fclose(u);
	}
	closedir(d);
}

int aiod_find_all(const char *prog, struct aiod_conn **conns, size_t *n,
		  char *err, size_t errlen)
{
	struct found f = { prog, NULL, 0, 0, 0 };

	find_fuse(&f);
	find_cuse(&f);
	if (f.oom) {
		aiod_conns_free(f.conns, f.n);
		return failmsg(err, errlen, "finding aiods: %s",
			       strerror(ENOMEM));
	}
	if (f.n == 0)
		return failmsg(err, errlen, "no running aiod found (no fuse.aiod "
			       "mount in /proc/self/mountinfo, no aiod device "
			       "in /sys/class/cuse); name a device");
	*conns = f.conns;
	*n = f.n;
	return 0;
}

void aiod_conns_free(struct aiod_conn *conns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(conns[i].fd);
	free(conns);
}
