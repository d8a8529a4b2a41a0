/* SPDX-License-Identifier: MIT */
/*
 * backend.c -- the storage side: partitions opened O_DIRECT (a block device
 * or an image file, optionally a slice of it), durable (O_DSYNC) unless
 * cache=writeback, and exclusively: a block device O_EXCL, an image file
 * under an OFD lock, one open shared by the slices of one backing, with a
 * refusal that names the holder; a backing found read-only is served
 * read-only.  One libaio context whose
 * completions signal an eventfd watched by the event loop, and the pool of
 * page-aligned, locked bounce buffers (SCO's NAIOBUF).  Transfers are
 * collected and handed to io_submit in batches; those beyond the context's
 * depth wait in a FIFO instead of failing; each failed transfer is logged
 * (rate-limited per device).  For libasync's direct path, a fresh open
 * of a device's own block device, or of a dm-linear device of exactly a
 * slice's extent created at start-up.  Nothing here knows about aio(M)
 * rules or client processes.
 */
#include "aiod.h"
#include "dmlinear.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

_Static_assert(sizeof(struct iocb) <= sizeof(((struct backend_io *)0)->iocb),
	       "backend_io.iocb too small for struct iocb");

static io_context_t ctx;
static int efd = -1;
static unsigned inflight, depth;
/* Prepared transfers for the next io_submit (at most depth). */
static struct iocb **batch;
static unsigned nbatch;
/* Transfers waiting for context depth, and ones whose io_submit failed
 * (their done() runs from backend_reap, never inside backend_submit). */
static STAILQ_HEAD(, backend_io) waiting = STAILQ_HEAD_INITIALIZER(waiting),
	failed = STAILQ_HEAD_INITIALIZER(failed);

static void *pool_base;
static void **pool_free;
static unsigned pool_size, pool_nfree;

/* One open backing (block device or image file), shared by its slices. */
struct backing {
	struct backing *next;
	dev_t st_dev, rdev;	/* identity: rdev for a block device, */
	ino_t ino;		/* st_dev and inode for an image file */
	bool blk;
	int fd;
	uint64_t total;		/* usable bytes, whole 512-byte blocks */
	bool readonly, writeback;
	bool ro_asked;		/* ro given, not found read-only */
	char *first;		/* the first device on it, for messages */
	unsigned refs;
	int dm_claim_fd;	/* a retired slice's dm-linear device, kept
				   open for device-mapper's exclusive claim
				   on the backing (aiod let go of O_EXCL)
				   while other devices still use it; -1 */
};

static struct backing *backings;
/* Why a slice opened after start-up (a reload) has no direct path. */
static enum aio_direct_reason late_slice = AIO_DIRECT_SLICE_RELOAD;

/* A process other than aiod with an open file that match() accepts:
 * writes "process PID (COMM)" into out and returns true. */
static bool find_process(bool (*match)(const char *fd_path,
				       const char *fdinfo_path,
				       const void *arg),
			 const void *arg, char *out, size_t outlen)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		char dir[64], fdp[160], infop[160], comm[64] = "?";
		struct dirent *fe;
		DIR *fds;
		FILE *c;

		if (!isdigit((unsigned char)e->d_name[0]) ||
		    atoi(e->d_name) == getpid())
			continue;
		snprintf(dir, sizeof(dir), "/proc/%.32s", e->d_name);
		snprintf(fdp, sizeof(fdp), "%s/fd", dir);
		fds = opendir(fdp);
		while (fds && !found && (fe = readdir(fds))) {
			snprintf(fdp, sizeof(fdp), "%s/fd/%.64s", dir,
				 fe->d_name);
			snprintf(infop, sizeof(infop), "%s/fdinfo/%.64s", dir,
				 fe->d_name);
			found = fe->d_name[0] != '.' && match(fdp, infop, arg);
		}
		if (fds)
			closedir(fds);
		if (!found)
			continue;
		snprintf(fdp, sizeof(fdp), "%s/comm", dir);
		c = fopen(fdp, "re");
		if (c && fgets(comm, sizeof(comm), c))
			comm[strcspn(comm, "\n")] = '\0';
		if (c)
			fclose(c);
		snprintf(out, outlen, "process %.32s (%s)", e->d_name, comm);
	}
	if (d)
		closedir(d);
	return found;
}

static bool opens_blk(const char *fd_path, const char *fdinfo_path,
		      const void *arg)
{
	struct stat st;

	(void)fdinfo_path;
	return !stat(fd_path, &st) && S_ISBLK(st.st_mode) &&
	       st.st_rdev == *(const dev_t *)arg;
}

/* Does the open file hold a lock (fdinfo's "lock:" lines) on the file? */
static bool locks_file(const char *fd_path, const char *fdinfo_path,
		       const void *arg)
{
	const struct stat *want = arg;
	FILE *f = fopen(fdinfo_path, "re");
	char line[512];
	bool found = false;

	(void)fd_path;
	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long ino;

		found = sscanf(line, "lock: %*s %*s %*s %*s %*s %x:%x:%llu",
			       &maj, &min, &ino) == 3 &&
			ino == want->st_ino && maj == major(want->st_dev) &&
			min == minor(want->st_dev);
	}
	if (f)
		fclose(f);
	return found;
}

/* What holds a block device that O_EXCL found busy: a mount, a holder in
 * sysfs (device-mapper, md) or a process with it open. */
static void describe_blk_holder(dev_t rdev, char *out, size_t outlen)
{
	char path[128], line[4096], want[32], who[128];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	struct dirent *e;
	DIR *d;

	snprintf(want, sizeof(want), "%u:%u", major(rdev), minor(rdev));
	while (f && fgets(line, sizeof(line), f)) {
		char id[32], mnt[2048];

		if (sscanf(line, "%*s %*s %31s %*s %2047s", id, mnt) == 2 &&
		    !strcmp(id, want)) {
			snprintf(out, outlen, "it is mounted at %.400s; unmount "
				 "it first", mnt);
			fclose(f);
			return;
		}
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/sys/dev/block/%s/holders", want);
	d = opendir(path);
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(out, outlen, "%.64s holds it (device-mapper, md "
				 "or the like); remove that first", e->d_name);
			closedir(d);
			return;
		}
	if (d)
		closedir(d);
	if (find_process(opens_blk, &rdev, who, sizeof(who)))
		snprintf(out, outlen, "%s has it open exclusively; stop it "
			 "first", who);
	else
		snprintf(out, outlen, "something holds it exclusively (a "
			 "mount, device-mapper, md or another aiod); release "
			 "it first");
}

/* Who holds the OFD lock on an image file. */
static void describe_file_holder(const struct stat *st, char *out,
				 size_t outlen)
{
	char who[128];

	if (find_process(locks_file, st, who, sizeof(who)))
		snprintf(out, outlen, "%s holds a lock on it; stop it first",
			 who);
	else
		snprintf(out, outlen, "another program holds a lock on it "
			 "(another aiod?); stop it first");
}

static int open_backing(struct backing *b, const char *path,
			const struct device_spec *spec, const struct stat *st,
			char *err, size_t errlen)
{
	int flags = O_DIRECT | O_CLOEXEC | (spec->writeback ? 0 : O_DSYNC) |
		    (b->blk ? O_EXCL : 0);
	char why[512];
	struct flock lk = { .l_whence = SEEK_SET };
	int ro = 0;

	b->fd = open(path, (spec->readonly ? O_RDONLY : O_RDWR) | flags);
	if (b->fd < 0 && !spec->readonly &&
	    (errno == EROFS || errno == EACCES)) {
		b->fd = open(path, O_RDONLY | flags);
		ro = b->fd >= 0;
	}
	if (b->fd < 0 && errno == EINVAL)
		return failmsg(err, errlen, "%s: the file system does not "
			       "support O_DIRECT; use a block device or an "
			       "image on a disk file system", path);
	if (b->fd < 0 && errno == EBUSY && b->blk) {
		describe_blk_holder(b->rdev, why, sizeof(why));
		return failmsg(err, errlen, "%s is in use: %s", path, why);
	}
	if (b->fd < 0)
		return failmsg(err, errlen, "cannot open %s: %s", path,
			       strerror(errno));
	if (b->blk && !ro && !spec->readonly && ioctl(b->fd, BLKROGET, &ro))
		return failmsg(err, errlen, "cannot inspect %s: %s", path,
			       strerror(errno));
	if (!b->blk) {
		lk.l_type = spec->readonly || ro ? F_RDLCK : F_WRLCK;
		if (fcntl(b->fd, F_OFD_SETLK, &lk)) {
			if (errno != EAGAIN && errno != EACCES)
				return failmsg(err, errlen, "cannot lock %s: "
					       "%s", path, strerror(errno));
			describe_file_holder(st, why, sizeof(why));
			return failmsg(err, errlen, "%s is in use: %s", path,
				       why);
		}
	}
	if (ro)
		log_warn("device %s: %s is read-only; serving it read-only "
			 "(say ro to silence this)", spec->name, path);
	b->readonly = spec->readonly || ro;
	b->ro_asked = spec->readonly;
	b->writeback = spec->writeback;
	return 0;
}

/* Size of b and proof that one 512-byte direct read works. */
static int probe_backing(struct backing *b, const char *path,
			 const struct stat *st, char *err, size_t errlen)
{
	void *probe;
	ssize_t got;
	int e;

	if (b->blk) {
		int sector;

		if (ioctl(b->fd, BLKGETSIZE64, &b->total) ||
		    ioctl(b->fd, BLKSSZGET, &sector))
			return failmsg(err, errlen, "cannot inspect %s: %s",
				       path, strerror(errno));
		if (sector != (int)AIO_BLOCK)
			return failmsg(err, errlen, "%s: logical block size "
				       "%d; aio(M) transfers need %u-byte "
				       "blocks", path, sector, AIO_BLOCK);
	} else {
		b->total = (uint64_t)st->st_size;
	}
	b->total -= b->total % AIO_BLOCK;
	if (b->total == 0)
		return failmsg(err, errlen, "%s is empty", path);
	if (posix_memalign(&probe, AIO_PAGE, AIO_PAGE))
		return failmsg(err, errlen, "out of memory");
	got = pread(b->fd, probe, AIO_BLOCK, 0);
	e = errno;
	free(probe);
	if (got == (ssize_t)AIO_BLOCK)
		return 0;
	if (got >= 0)
		e = EIO;
	if (e == EINVAL)
		return failmsg(err, errlen, "%s: 512-byte O_DIRECT reads are "
			       "refused (logical block size larger than "
			       "512?)", path);
	return failmsg(err, errlen, "cannot read %s: %s", path, strerror(e));
}

static void put_backing(struct backing *b)
{
	if (--b->refs)
		return;
	for (struct backing **p = &backings; *p; p = &(*p)->next)
		if (*p == b) {
			*p = b->next;
			break;
		}
	if (b->dm_claim_fd >= 0)
		close(b->dm_claim_fd);
	if (b->fd >= 0)
		close(b->fd);
	free(b->first);
	free(b);
}

static int get_backing(const struct device_spec *spec, struct backing **out,
		       char *err, size_t errlen)
{
	struct backing *b;
	struct stat st;

	if (stat(spec->path, &st))
		return failmsg(err, errlen, "cannot open %s: %s", spec->path,
			       strerror(errno));
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return failmsg(err, errlen, "%s: not a block device or "
			       "regular file", spec->path);
	for (b = backings; b; b = b->next) {
		if (S_ISBLK(st.st_mode) ? !b->blk || b->rdev != st.st_rdev
					: b->blk || b->st_dev != st.st_dev ||
					  b->ino != st.st_ino)
			continue;
		if (b->ro_asked != spec->readonly)
			return failmsg(err, errlen, "%s: slices of one backing "
				       "must agree on ro (see device %s)",
				       spec->path, b->first);
		if (b->writeback != spec->writeback)
			return failmsg(err, errlen, "%s: slices of one backing "
				       "must agree on cache= (see device %s)",
				       spec->path, b->first);
		b->refs++;
		*out = b;
		return 0;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return failmsg(err, errlen, "out of memory");
	*b = (struct backing){ .st_dev = st.st_dev, .rdev = st.st_rdev,
			       .ino = st.st_ino, .blk = S_ISBLK(st.st_mode),
			       .fd = -1, .first = strdup(spec->name),
			       .refs = 1, .dm_claim_fd = -1 };
	if (!b->first) {
		free(b);
		return failmsg(err, errlen, "out of memory");
	}
	if (open_backing(b, spec->path, spec, &st, err, errlen) ||
	    probe_backing(b, spec->path, &st, err, errlen)) {
		put_backing(b);
		return -1;
	}
	b->next = backings;
	backings = b;
	*out = b;
	return 0;
}

int backend_open_device(struct device *dev, const struct device_spec *spec,
			char *err, size_t errlen)
{
	struct backing *b;

	memset(dev, 0, sizeof(*dev));
	dev->spec = *spec;
	dev->fd = -1;
	dev->direct_fd = -1;
	/* Until backend_prepare_direct, which only start-up calls. */
	dev->slice_direct = late_slice;
	if (get_backing(spec, &b, err, errlen))
		return -1;
	if (spec->offset >= b->total ||
	    (spec->size && spec->size > b->total - spec->offset)) {
		snprintf(err, errlen, "%s: slice offset %llu size %llu lies "
			 "past the end (%llu bytes)", spec->path,
			 (unsigned long long)spec->offset,
			 (unsigned long long)spec->size,
			 (unsigned long long)b->total);
		put_backing(b);
		return -1;
	}
	dev->backing = b;
	dev->fd = b->fd;
	dev->readonly = b->readonly;
	dev->offset = spec->offset;
	dev->size = spec->size ? spec->size : b->total - spec->offset;
	return 0;
}

/* A slice strictly inside its block device: a dm-linear device of the
 * same size as the backing would pass block-device ioctls (LOOP_CLR_FD)
 * through to it, so only those get one. */
static bool strict_slice(const struct device *dev)
{
	return dev->backing->blk &&
	       (dev->offset || dev->size != dev->backing->total);
}

/* Does the disk under block device rdev take persistent reservations
 * (SCSI, NVMe, or a device-mapper device passing them on)?  Device-mapper
 * forwards IOC_PR_* to the disk beneath without the whole-device check it
 * makes for other ioctls, and since Linux 6.5 a writer needs no privilege
 * for them except on a partition: through a slice's dm-linear device a
 * client could reserve or clear the whole disk.  In doubt (sysfs not
 * readable), yes. */
static bool disk_has_reservations(dev_t rdev)
{
	char link[64], target[512], *disk;
	struct stat st;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(rdev),
		 minor(rdev));
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return true;
	target[n] = '\0';
	/* .../block/DISK, or .../block/DISK/PARTITION for a partition */
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u/partition",
		 major(rdev), minor(rdev));
	if (stat(link, &st) == 0 && (disk = strrchr(target, '/')))
		*disk = '\0';
	disk = strrchr(target, '/');
	disk = disk ? disk + 1 : target;
	return !strncmp(disk, "sd", 2) || !strncmp(disk, "nvme", 4) ||
	       !strncmp(disk, "dm-", 3);
}

/* Reopen b's descriptor in place (same number, so devices keep it) with
 * or without O_EXCL. */
static int reopen_backing(struct backing *b, bool excl)
{
	char path[64];
	int fd, e;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", b->fd);
	fd = open(path, (b->readonly ? O_RDONLY : O_RDWR) | O_DIRECT |
			O_CLOEXEC | (b->writeback ? 0 : O_DSYNC) |
			(excl ? O_EXCL : 0));
	if (fd < 0)
		return -1;
	if (dup3(fd, b->fd, O_CLOEXEC) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return 0;
}

static int prepare_backing(struct backing *b, struct device *const *devs,
			   size_t n, char *err, size_t errlen)
{
	const char *path = NULL;
	unsigned made = 0;
	char name[64], why[512];

	for (size_t i = 0; i < n && !path; i++)
		if (devs[i]->backing == b && strict_slice(devs[i]))
			path = devs[i]->spec.path;
	if (!path)
		return 0;
	if (disk_has_reservations(b->rdev)) {
		log_info("device %s: the slices of %s stay on the ioctl path: "
			 "its disk takes persistent reservations, which "
			 "device-mapper would pass on", b->first, path);
		for (size_t i = 0; i < n; i++)
			if (devs[i]->backing == b && strict_slice(devs[i]))
				devs[i]->slice_direct = AIO_DIRECT_SLICE_PR;
		return 0;
	}
	/* device-mapper claims the backing exclusively for its tables, which
	 * aiod's own O_EXCL would refuse: aiod lets go of its claim, and
	 * device-mapper's holds the backing from the first table on. */
	if (reopen_backing(b, false)) {
		log_err("device %s: cannot reopen %s for device-mapper: %s; "
			"its slices stay on the ioctl path", b->first, path,
			strerror(errno));
		for (size_t i = 0; i < n; i++)
			if (devs[i]->backing == b && strict_slice(devs[i]))
				devs[i]->slice_direct = AIO_DIRECT_SLICE;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct device *dev = devs[i];

		if (dev->backing != b || !strict_slice(dev))
			continue;
		snprintf(name, sizeof(name), "scoaio-%d-%zu", (int)getpid(),
			 i);
		dev->direct_fd = dmlinear_create(
			name, b->rdev, dev->offset, dev->size, b->readonly,
			(b->readonly ? O_RDONLY : O_RDWR) | O_DIRECT |
				(b->writeback ? 0 : O_DSYNC),
			why, sizeof(why));
		if (dev->direct_fd < 0) {
			log_err("device %s: no direct path for this slice: %s",
				dev->spec.name, why);
			dev->slice_direct = AIO_DIRECT_SLICE;
			continue;
		}
		log_debug("device %s: direct path through %s", dev->spec.name,
			  name);
		dev->slice_direct = AIO_DIRECT_OK;
		made++;
	}
	/* With no table, nothing holds the backing any more: aiod takes it
	 * back, or, if another program took it meanwhile, serves none of
	 * its devices rather than share the disk with a mount. */
	if (made || !reopen_backing(b, true))
		return 0;
	if (errno == EBUSY) {
		describe_blk_holder(b->rdev, why, sizeof(why));
		return failmsg(err, errlen, "device %s: %s was taken by "
			       "another program while aiod handed it to "
			       "device-mapper: %s", b->first, path, why);
	}
	return failmsg(err, errlen, "device %s: cannot hold %s exclusively "
		       "again: %s", b->first, path, strerror(errno));
}

static void report_stale(const char *name, int err)
{
	if (err)
		log_err("device-mapper device %s, left by a killed aiod: "
			"cannot remove it: %s", name, strerror(err));
	else
		log_info("removed device-mapper device %s, left by a killed "
			 "aiod", name);
}

void backend_remove_stale_direct(void)
{
	dmlinear_remove_stale(report_stale);
}

int backend_prepare_direct(struct device *const *devs, size_t n, char *err,
			   size_t errlen)
{
	/* No control node: this kernel has no device-mapper (not an
	 * error; aioinfo says so). */
	int absent = access(DMLINEAR_CONTROL, F_OK) ? errno : 0;

	if (absent == ENOENT)
		late_slice = AIO_DIRECT_SLICE_NODM;
	else if (absent)
		log_err("%s: %s; slices stay on the ioctl path",
			DMLINEAR_CONTROL, strerror(absent));
	if (!absent) {
		for (struct backing *b = backings; b; b = b->next)
			if (prepare_backing(b, devs, n, err, errlen))
				return -1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (strict_slice(devs[i]))
			devs[i]->slice_direct = absent == ENOENT ?
				AIO_DIRECT_SLICE_NODM : AIO_DIRECT_SLICE;
	return 0;
}

enum aio_direct_reason backend_direct(const struct device *dev)
{
	const struct backing *b = dev->backing;

	/* Only a descriptor that reaches nothing but the partition may be
	 * handed to a client: a whole block device of its own, which no
	 * other device shares (a holder of a loop device can reconfigure
	 * or detach it, which the others would see), or a slice's dm-linear
	 * device. */
	return !b->blk ? AIO_DIRECT_IMAGE
	       : strict_slice(dev) ? dev->slice_direct
	       : b->refs > 1 ? AIO_DIRECT_SHARED
	       : AIO_DIRECT_OK;
}

int backend_open_for_client(const struct device *dev, bool readable,
			    bool writable)
{
	char path[64];
	int mode;

	if (backend_direct(dev) != AIO_DIRECT_OK)
		return -EPERM;
	writable &= !dev->readonly;
	if (!readable && !writable)
		return -EBADF;
	mode = !writable ? O_RDONLY : readable ? O_RDWR : O_WRONLY;
	/* A new open file description of the backing itself, or of the
	 * slice's dm-linear device (never a path looked up again):
	 * O_DIRECT, durable unless cache=writeback; the client cannot clear
	 * O_DSYNC (F_SETFL ignores it). */
	snprintf(path, sizeof(path), "/proc/self/fd/%d",
		 dev->direct_fd >= 0 ? dev->direct_fd : dev->fd);
	int fd = open(path, mode | O_DIRECT | O_CLOEXEC | O_NOCTTY |
			    (dev->backing->writeback ? 0 : O_DSYNC));

	return fd < 0 ? -errno : fd;
}

bool backend_writeback(const struct device *dev)
{
	return dev->backing->writeback;
}

void backend_close_device(struct device *dev)
{
	struct backing *b = dev->backing;

	/* The backing's other devices are served without O_EXCL: the first
	 * slice retired (by a reload) leaves its dm-linear device to the
	 * backing, whose claim keeps the backing from being mounted or
	 * served by another aiod until the last of them closes. */
	if (dev->direct_fd >= 0 && b && b->refs > 1 && b->dm_claim_fd < 0)
		b->dm_claim_fd = dev->direct_fd;
	else if (dev->direct_fd >= 0)
		close(dev->direct_fd);
	dev->direct_fd = -1;
	if (dev->backing)
		put_backing(dev->backing);
	dev->backing = NULL;
	dev->fd = -1;
}

int backend_init(unsigned max_inflight, unsigned nbufs)
{
	int rc;

	depth = max_inflight;
	rc = io_setup((int)depth, &ctx);
	if (rc) {
		log_err("io_setup(%u): %s (see /proc/sys/fs/aio-max-nr)",
			depth, strerror(-rc));
		return -1;
	}
	batch = calloc(depth, sizeof(*batch));
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (!batch || efd < 0) {
		log_err("eventfd: %s", strerror(errno));
		return -1;
	}
	pool_size = nbufs;
	pool_base = mmap(NULL, (size_t)nbufs * AIO_PAGE,
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	pool_free = calloc(nbufs, sizeof(*pool_free));
	if (pool_base == MAP_FAILED || !pool_free) {
		log_err("cannot allocate %u AIO buffers: %s", nbufs,
			strerror(errno));
		pool_base = NULL;
		return -1;
	}
	if (mlock(pool_base, (size_t)nbufs * AIO_PAGE))
		log_warn("cannot lock the %u AIO buffers in memory (%s); "
			 "they may be paged out", nbufs, strerror(errno));
	for (pool_nfree = 0; pool_nfree < nbufs; pool_nfree++)
		pool_free[pool_nfree] = (char *)pool_base +
					(size_t)(nbufs - 1 - pool_nfree) *
					AIO_PAGE;
	return 0;
}

void backend_shutdown(void)
{
	if (ctx)
		io_destroy(ctx);
	ctx = 0;
	if (efd >= 0)
		close(efd);
	efd = -1;
	if (pool_base)
		munmap(pool_base, (size_t)pool_size * AIO_PAGE);
	pool_base = NULL;
	free(pool_free);
	pool_free = NULL;
	free(batch);
	batch = NULL;
}

int backend_eventfd(void)
{
	return efd;
}

bool backend_busy(void)
{
	return inflight || nbatch || !STAILQ_EMPTY(&waiting) ||
	       !STAILQ_EMPTY(&failed);
}

static void fail_submission(struct backend_io *io, int err)
{
	io->submit_error = err;
	STAILQ_INSERT_TAIL(&failed, io, queued);
	eventfd_write(efd, 1);
}

/* Prepare io for the next backend_flush(); the caller made room. */
static void start(struct backend_io *io)
{
	struct iocb *cb = (struct iocb *)io->iocb;
	off_t at = (off_t)(io->dev->offset + io->offset);

	if (io->write)
		io_prep_pwrite(cb, io->dev->fd, io->buf, io->len, at);
	else
		io_prep_pread(cb, io->dev->fd, io->buf, io->len, at);
	io_set_eventfd(cb, efd);
	cb->data = io;
	batch[nbatch++] = cb;
	inflight++;
}

void backend_submit(struct backend_io *io)
{
	if (inflight < depth && STAILQ_EMPTY(&waiting))
		start(io);
	else
		STAILQ_INSERT_TAIL(&waiting, io, queued);
}

void backend_flush(void)
{
	unsigned done = 0;

	while (done < nbatch) {
		int rc = io_submit(ctx, (long)(nbatch - done), batch + done);

		if (rc > 0) {
			done += (unsigned)rc;
			continue;
		}
		/* The first one is refused: report it, try the rest. */
		inflight--;
		fail_submission(batch[done++]->data, rc < 0 ? -rc : EIO);
	}
	nbatch = 0;
}

/* A failed or short transfer, in the device's log budget. */
static void log_failure(const struct backend_io *io, long result)
{
	char what[64];

	if (result >= 0 && (size_t)result == io->len)
		return;
	if (result < 0)
		snprintf(what, sizeof(what), "%s", strerror((int)-result));
	else
		snprintf(what, sizeof(what), "short transfer, %ld bytes",
			 result);
	log_limited(&io->dev->errlog, 3, "device %s: %s of %zu bytes at "
		    "block %llu failed: %s", io->dev->spec.name,
		    io->write ? "write" : "read", io->len,
		    (unsigned long long)(io->offset / AIO_BLOCK), what);
}

void backend_reap(void)
{
	struct io_event events[64];
	struct timespec zero = { 0, 0 };
	eventfd_t ignored;
	int n;

	eventfd_read(efd, &ignored);	/* may be 0 already: fine */
	do {
		n = io_getevents(ctx, 0, 64, events, &zero);
		if (n < 0) {
			log_err("io_getevents: %s", strerror(-n));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct backend_io *io = events[i].data;

			inflight--;
			log_failure(io, (long)events[i].res);
			io->done(io, (long)events[i].res);
		}
		while (!STAILQ_EMPTY(&waiting) && inflight < depth) {
			struct backend_io *io = STAILQ_FIRST(&waiting);

			STAILQ_REMOVE_HEAD(&waiting, queued);
			start(io);
		}
	} while (n == 64);
	backend_flush();
	while (!STAILQ_EMPTY(&failed)) {
		struct backend_io *io = STAILQ_FIRST(&failed);

		STAILQ_REMOVE_HEAD(&failed, queued);
		log_failure(io, -(long)io->submit_error);
		io->done(io, -(long)io->submit_error);
	}
}

void *backend_buf_get(void)
{
	return pool_nfree ? pool_free[--pool_nfree] : NULL;
}

void backend_buf_put(void *buf)
{
	pool_free[pool_nfree++] = buf;
}

unsigned backend_bufs_free(void)
{
	return pool_nfree;
}
