/* SPDX-License-Identifier: MIT */
/*
 * libasync.c -- libasync(3): lets unmodified SCO programs use aiod's CUSE
 * devices as they used raw disks.  The kernel's CUSE ignores file offsets,
 * so on an aiod CUSE device this library turns lseek, pread, pwrite,
 * preadv and pwritev (and their 64-bit and _FORTIFY_SOURCE forms) into
 * aiod's private ioctls, which keep the position in the daemon per open
 * file, shared by dup()ed and fork()ed descriptors as the kernel's own
 * would be, and used by plain read() and write().  Every other descriptor
 * goes straight to the kernel.  It also maps SCO device paths
 * (/dev/rdsk/0s1, /dev/rroot, ...) to where aiod serves them (devmap.c).
 * The functions carry the C library's names and reach the kernel by raw
 * system calls, never through the C library's wrappers, so the same code
 * works LD_PRELOADed, linked dynamically and linked statically (the C
 * library's own names are weak there).
 */
#include "libasync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <scoaio/ioctl.h>

/* ---- the kernel, directly --------------------------------------------- */

/* A 64-bit offset as the low and high words 32-bit system calls take. */
#define LO(off) ((unsigned long)(uint64_t)(off))
#define HI(off) ((unsigned long)((uint64_t)(off) >> 32))

static int64_t sys_lseek(int fd, int64_t off, int whence)
{
#ifdef __i386__
	int64_t result;

	if (syscall(SYS__llseek, fd, HI(off), LO(off), &result, whence))
		return -1;
	return result;
#else
	return syscall(SYS_lseek, fd, off, whence);
#endif
}

static ssize_t sys_pread(int fd, void *buf, size_t n, int64_t off)
{
#ifdef __i386__
	return syscall(SYS_pread64, fd, buf, n, LO(off), HI(off));
#else
	return syscall(SYS_pread64, fd, buf, n, off);
#endif
}

static ssize_t sys_pwrite(int fd, const void *buf, size_t n, int64_t off)
{
#ifdef __i386__
	return syscall(SYS_pwrite64, fd, buf, n, LO(off), HI(off));
#else
	return syscall(SYS_pwrite64, fd, buf, n, off);
#endif
}

/* preadv and pwritev take the offset split on every architecture. */
static ssize_t sys_preadv(int fd, const struct iovec *iov, int n,
			  int64_t off)
{
	return syscall(SYS_preadv, fd, iov, n, LO(off), HI(off));
}

static ssize_t sys_pwritev(int fd, const struct iovec *iov, int n,
			   int64_t off)
{
	return syscall(SYS_pwritev, fd, iov, n, LO(off), HI(off));
}

/* ---- which descriptors are aiod devices -------------------------------- */

/* Device numbers already asked, with the answer; CUSE numbers are few. */
#define KNOWN_MAX 64

static struct { dev_t rdev; bool aiod; } known[KNOWN_MAX];
static unsigned nknown;
static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;

static int lookup(dev_t rdev)	/* 1 aiod, 0 not, -1 not asked yet */
{
	int answer = -1;

	pthread_mutex_lock(&known_lock);
	for (unsigned i = 0; i < nknown; i++)
		if (known[i].rdev == rdev)
			answer = known[i].aiod;
	pthread_mutex_unlock(&known_lock);
	return answer;
}

static void remember(dev_t rdev, bool aiod)
{
	pthread_mutex_lock(&known_lock);
	for (unsigned i = 0; i < nknown; i++)
		if (known[i].rdev == rdev) {
			known[i].aiod = aiod;
			goto out;
		}
	if (nknown < KNOWN_MAX) {
		known[nknown].rdev = rdev;
		known[nknown].aiod = aiod;
		nknown++;
	}
out:
	pthread_mutex_unlock(&known_lock);
}

/* Is the character device rdev a CUSE device?  Its sysfs node's subsystem
 * is then the class cuse (/sys/dev/char/M:m/subsystem -> .../class/cuse);
 * no other driver (/dev/null, /dev/zero, a tty, a disk) may ever see
 * aiod's ioctl numbers, which mean something else to it. */
bool cuse_device(dev_t rdev)
{
	static const char class[] = "/class/cuse";
	char path[64], link[256];
	long n;

	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/subsystem",
		 major(rdev), minor(rdev));
	n = syscall(SYS_readlinkat, AT_FDCWD, path, link, sizeof(link));
	return n >= (long)sizeof(class) - 1 && n < (long)sizeof(link) &&
	       memcmp(link + n - (sizeof(class) - 1), class,
		      sizeof(class) - 1) == 0;
}

/* Is fd an aiod CUSE device?  Only a CUSE device is asked, by AIOC_IDENT.
 * (aiod's FUSE files are regular files, whose offsets the kernel keeps:
 * they go to the kernel untouched.)  Keeps errno. */
static bool is_aiod(int fd)
{
	int saved = errno, answer;
	struct aio_ident id;
	struct stat st;

	if (fstat(fd, &st) || !S_ISCHR(st.st_mode)) {
		errno = saved;
		return false;
	}
	answer = lookup(st.st_rdev);
	if (answer < 0) {
		answer = cuse_device(st.st_rdev) &&
			 ioctl(fd, AIOC_IDENT, &id) == 0 &&
			 id.magic == AIO_IDENT_MAGIC;
		remember(st.st_rdev, answer);
	}
	errno = saved;
	return answer;
}

/* aiod no longer answers for fd's device number (it was restarted and
 * the number reused): forget it, so the kernel gets the call. */
static bool gone(int fd)
{
	struct stat st;

	if (errno != ENOTTY || fstat(fd, &st))
		return false;
	remember(st.st_rdev, false);
	return true;
}

/* ---- positional I/O through aiod --------------------------------------- */

static int64_t aiod_seek(int fd, int64_t off, int whence)
{
	struct aio_seek sk = { .offset = off, .whence = whence };

	if (ioctl(fd, AIOC_SEEK, &sk))
		return gone(fd) ? sys_lseek(fd, off, whence) : -1;
	return sk.offset;
}

static ssize_t aiod_pio(int fd, unsigned long cmd, uintptr_t buf, size_t n,
			int64_t off)
{
	size_t done = 0;

	if (off < 0) {
		errno = EINVAL;
		return -1;
	}
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	while (done < n) {
		size_t chunk = n - done < AIO_PIO_MAX ? n - done : AIO_PIO_MAX;
		struct aio_pio p = { buf + done, chunk, off + (int64_t)done };
		int moved = ioctl(fd, cmd, &p);

		if (moved < 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)moved;
		if ((size_t)moved < chunk)
			break;
	}
	return (ssize_t)done;
}

static ssize_t aiod_pread(int fd, void *buf, size_t n, int64_t off)
{
	ssize_t r = aiod_pio(fd, AIOC_PREAD, (uintptr_t)buf, n, off);

	return r < 0 && gone(fd) ? sys_pread(fd, buf, n, off) : r;
}

static ssize_t aiod_pwrite(int fd, const void *buf, size_t n, int64_t off)
{
	ssize_t r = aiod_pio(fd, AIOC_PWRITE, (uintptr_t)buf, n, off);

	return r < 0 && gone(fd) ? sys_pwrite(fd, buf, n, off) : r;
}

/* One vector element after another, stopping at a short transfer. */
static ssize_t aiod_pvec(int fd, const struct iovec *iov, int n, int64_t off,
			 bool write)
{
	ssize_t total = 0;

	if (n < 0 || n > IOV_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < n; i++) {
		ssize_t r = write ? aiod_pwrite(fd, iov[i].iov_base,
						iov[i].iov_len, off + total)
				  : aiod_pread(fd, iov[i].iov_base,
					       iov[i].iov_len, off + total);

		if (r < 0)
			return total ? total : -1;
		total += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return total;
}

/* ---- the interposed functions ------------------------------------------- */

off64_t lseek64(int fd, off64_t off, int whence)
{
	return is_aiod(fd) ? aiod_seek(fd, off, whence)
			   : sys_lseek(fd, off, whence);
}

off_t lseek(int fd, off_t off, int whence)
{
	int64_t r = lseek64(fd, off, whence);

	if (r > (int64_t)((1ull << (8 * sizeof(off_t) - 1)) - 1)) {
		errno = EOVERFLOW;	/* a 32-bit off_t cannot hold it */
		return -1;
	}
	return (off_t)r;
}

ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	return is_aiod(fd) ? aiod_pread(fd, buf, n, off)
			   : sys_pread(fd, buf, n, off);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	return pread64(fd, buf, n, off);
}

/* What _FORTIFY_SOURCE makes of pread when it knows the buffer's size:
 * the C library's own go to the kernel, which on a CUSE device would
 * ignore the offset. */
extern void __chk_fail(void) __attribute__((noreturn));

ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off,
		      size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return pread64(fd, buf, n, off);
}

ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen)
{
	return __pread64_chk(fd, buf, n, off, buflen);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	return is_aiod(fd) ? aiod_pwrite(fd, buf, n, off)
			   : sys_pwrite(fd, buf, n, off);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return pwrite64(fd, buf, n, off);
}

ssize_t preadv64(int fd, const struct iovec *iov, int n, off64_t off)
{
	return is_aiod(fd) ? aiod_pvec(fd, iov, n, off, false)
			   : sys_preadv(fd, iov, n, off);
}

ssize_t preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	return preadv64(fd, iov, n, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off64_t off)
{
	return is_aiod(fd) ? aiod_pvec(fd, iov, n, off, true)
			   : sys_pwritev(fd, iov, n, off);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off)
{
	return pwritev64(fd, iov, n, off);
}

/* ---- open: SCO device paths ----------------------------------------------
 * Every open goes through the device map, then straight to the kernel;
 * the 64-bit forms ask for large-file access as the C library's do. */

static int open_mapped(int dirfd, const char *path, int flags, mode_t mode)
{
	int fd = (int)syscall(SYS_openat, dirfd, devmap_lookup(path), flags,
			      mode);

	direct_fd_opened(fd);
	return fd;
}

/* The mode argument is there only with O_CREAT or O_TMPFILE. */
#define MODE_ARG(flags, mode) do {					\
	va_list ap_;							\
	mode = 0;							\
	if ((flags) & (O_CREAT | __O_TMPFILE)) {			\
		va_start(ap_, flags);					\
		mode = (mode_t)va_arg(ap_, int);			\
		va_end(ap_);						\
	}								\
} while (0)

int openat64(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, mode);
	return open_mapped(dirfd, path, flags | O_LARGEFILE, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, mode);
	return open_mapped(dirfd, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, mode);
	return open_mapped(AT_FDCWD, path, flags | O_LARGEFILE, mode);
}

int open(const char *path, int flags, ...)
{
	mode_t mode;

	MODE_ARG(flags, mode);
	return open_mapped(AT_FDCWD, path, flags, mode);
}

/* What _FORTIFY_SOURCE builds call instead (no mode: not O_CREAT). */
int __open_2(const char *path, int flags)
{
	return open_mapped(AT_FDCWD, path, flags, 0);
}

int __open64_2(const char *path, int flags)
{
	return open_mapped(AT_FDCWD, path, flags | O_LARGEFILE, 0);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	return open_mapped(dirfd, path, flags, 0);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	return open_mapped(dirfd, path, flags | O_LARGEFILE, 0);
}
