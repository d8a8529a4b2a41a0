/* SPDX-License-Identifier: MIT */
/*
 * aiocontain.c -- what a client of partition A can do through everything
 * libasync(3) holds for its direct path.  Run with libasync preloaded (or
 * linked) as an unprivileged user on DEVICE, an aiod device of A served
 * through the direct path: it opens DEVICE, makes one request so that the
 * direct path is in use, then finds in /proc/self/fd every descriptor it
 * did not open itself (libasync's: the partition's block device, the
 * attach socket) and tries on each to reach or change anything outside
 * A: reads and writes past A's end, block-device ioctls (BLKDISCARD past
 * the end, BLKRRPART, BLKFLSBUF, BLKPG, BLKSETRO), loop ioctls
 * (LOOP_SET_FD, LOOP_CHANGE_FD, LOOP_CONFIGURE to another file, and
 * LOOP_SET_STATUS64 moving the window past A's image), ftruncate and
 * fallocate past the end.  Each attempt must fail or move nothing; a
 * change that stays inside A (LOOP_CLR_FD marks A's own loop device for
 * detaching, LOOP_SET_STATUS64 may change its flags) is undone and
 * reported.  The caller compares partition B's data before and after.
 * Fails if no block-device descriptor is found, so it cannot pass
 * without the direct path.  Exit 0 when contained, 1 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define FAIL(...) do { printf("FAIL: " __VA_ARGS__); putchar('\n'); \
		       failures++; } while (0)

/* An attempt that must not succeed. */
static void refused(const char *what, long rc)
{
	if (rc >= 0)
		FAIL("%s succeeded (%ld)", what, rc);
	else
		printf("ok: %s: %s\n", what, strerror(errno));
}

static void on_block_device(int fd, const char *path, const char *other)
{
	static char buf[4096] __attribute__((aligned(4096)));
	struct loop_info64 before, after;
	uint64_t size, range[2];
	int ofd;

	if (ioctl(fd, BLKGETSIZE64, &size)) {
		FAIL("%s: BLKGETSIZE64: %s", path, strerror(errno));
		return;
	}
	printf("libasync holds %s (fd %d, %llu bytes, flags %#o)\n", path, fd,
	       (unsigned long long)size, fcntl(fd, F_GETFL));
	ssize_t got = pread(fd, buf, sizeof(buf), (off_t)size);

	if (got > 0)
		FAIL("read past the end returned %zd bytes", got);
	else
		printf("ok: read at the end: %zd (%s)\n", got,
		       got < 0 ? strerror(errno) : "end of device");
	refused("write at the end", pwrite(fd, buf, sizeof(buf), (off_t)size));
	refused("write far past the end",
		pwrite(fd, buf, sizeof(buf), (off_t)(size * 4)));
	range[0] = size;
	range[1] = 1 << 20;
	refused("BLKDISCARD past the end", ioctl(fd, BLKDISCARD, range));
	range[0] = size - 4096;
	range[1] = 1 << 20;
	refused("BLKDISCARD across the end", ioctl(fd, BLKDISCARD, range));
	refused("BLKZEROOUT past the end", ioctl(fd, BLKZEROOUT, range));
	refused("BLKRRPART", ioctl(fd, BLKRRPART, 0));
	refused("BLKFLSBUF", ioctl(fd, BLKFLSBUF, 0));
	int ro = 1;

	refused("BLKROSET", ioctl(fd, BLKROSET, &ro));
	refused("ftruncate", ftruncate(fd, 0));
	refused("ftruncate past the end", ftruncate(fd, (off_t)size * 2));
	refused("fallocate past the end",
		fallocate(fd, 0, (off_t)size, 1 << 20));
	refused("fallocate punching past the end",
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)size, 1 << 20));

	if (ioctl(fd, LOOP_GET_STATUS64, &before)) {
		printf("ok: not a loop device (%s)\n", strerror(errno));
		return;
	}
	/* Loop ioctls: none may bind A to another file or reach past A's
	 * image; A's own flags are restored afterwards. */
	ofd = open(other, O_RDWR);
	if (ofd < 0) {
		FAIL("%s: %s", other, strerror(errno));
		return;
	}
	refused("LOOP_SET_FD to another file", ioctl(fd, LOOP_SET_FD, ofd));
	refused("LOOP_CHANGE_FD to another file",
		ioctl(fd, LOOP_CHANGE_FD, ofd));
	struct loop_config cfg = { .fd = (uint32_t)ofd };

	refused("LOOP_CONFIGURE to another file",
		ioctl(fd, LOOP_CONFIGURE, &cfg));
	close(ofd);
	after = before;
	after.lo_offset = size;		/* past A's image */
	after.lo_sizelimit = 0;
	if (ioctl(fd, LOOP_SET_STATUS64, &after) == 0) {
		uint64_t now = 0;

		ioctl(fd, BLKGETSIZE64, &now);
		got = pread(fd, buf, 512, 0);
		if (now != 0 || got > 0)
			FAIL("LOOP_SET_STATUS64 moved A past its image: "
			     "%llu bytes readable", (unsigned long long)now);
		else
			printf("inside A: LOOP_SET_STATUS64 moved A's window "
			       "past its own image: nothing readable\n");
	} else {
		printf("ok: LOOP_SET_STATUS64: %s\n", strerror(errno));
	}
	if (ioctl(fd, LOOP_CLR_FD, 0) == 0)
		printf("inside A: LOOP_CLR_FD marked A's own loop device "
		       "for detaching when aiod closes it (undone)\n");
	else
		printf("ok: LOOP_CLR_FD: %s\n", strerror(errno));
	if (ioctl(fd, LOOP_SET_STATUS64, &before) ||
	    ioctl(fd, LOOP_GET_STATUS64, &after) ||
	    after.lo_offset != before.lo_offset ||
	    after.lo_flags != before.lo_flags)
		FAIL("A's loop status could not be restored: %s",
		     strerror(errno));
}

int main(int argc, char **argv)
{
	static char page[8192] __attribute__((aligned(4096)));
	AREQBUF rq = { AU_READ, 0, page, 4096, NULL };
	ASYNCSTATUS st = { 0 };
	char link[512], path[64];
	int fd, found = 0;
	struct dirent *e;
	DIR *d;

	if (argc != 3) {
		fprintf(stderr, "usage: aiocontain DEVICE OTHER_FILE\n"
			"Tries to reach outside DEVICE's partition through "
			"libasync's descriptors.\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || ioctl(fd, DKIOCASTRT, &rq)) {
		perror(argv[1]);
		return 1;
	}
	while (st.acount == 0)
		if (ioctl(fd, DKIOCASTAT, &st)) {
			perror("DKIOCASTAT");
			return 1;
		}
	d = opendir("/proc/self/fd");
	while (d && (e = readdir(d))) {
		int n = atoi(e->d_name);
		struct stat sb;
		ssize_t len;

		if (e->d_name[0] == '.' || n <= 2 || n == fd || n == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", n);
		len = readlink(path, link, sizeof(link) - 1);
		link[len > 0 ? len : 0] = '\0';
		if (fstat(n, &sb))
			continue;
		if (S_ISBLK(sb.st_mode)) {
			found++;
			on_block_device(n, link, argv[2]);
		} else {
			printf("libasync holds %s (fd %d)\n", link, n);
			refused("ftruncate", ftruncate(n, 0));
			refused("fallocate", fallocate(n, 0, 0, 1 << 20));
		}
	}
	if (d)
		closedir(d);
	if (!found)
		FAIL("no block-device descriptor held: the direct path was "
		     "not taken");
	close(fd);
	printf("%d block-device descriptor%s tried, %d failure%s\n", found,
	       found == 1 ? "" : "s", failures, failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
