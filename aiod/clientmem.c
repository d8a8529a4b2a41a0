/*
 * clientmem.c -- the only way aiod touches a client's memory, and the
 * rules it keeps doing so.  Every access is bound to the image the
 * requesting thread has while it waits in its ioctl (the kernel holds a
 * FUSE or CUSE request's sender until aiod answers, so that image can
 * neither exit nor exec meanwhile): data a request takes from the client
 * is copied then, with process_vm_readv on the requesting thread; data a
 * request will deliver later goes through a /proc/TID/mem handle opened
 * then, which names that image and no other, whatever happens to the
 * thread or its pid afterwards.  Copies respect the client's page
 * protections as the client itself would meet them: process_vm_readv and
 * process_vm_writev do not force access, and a handle's later writes
 * (which /proc/PID/mem would force) go only where a writability check
 * made while the request was bound allowed them.  A DKIOCMLOCK region is
 * checked against the image's mappings in one pass.
 */
#include "aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#define PROBE_IOVS 64u		/* pages checked per system call */

/* process_vm_* and /proc/PID/mem: EFAULT for an address the client
 * cannot use that way; ESRCH once the image is gone. */
static int vm_errno(int e)
{
	return e == ESRCH || e == ENOENT ? ESRCH : EFAULT;
}

int clientmem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);

	if (n == (ssize_t)len)
		return 0;
	return n < 0 ? vm_errno(errno) : EFAULT;
}

/* The first byte of each page of [addr, addr+len), one page per iovec;
 * returns how many pages were described. */
static unsigned page_iovs(uint64_t addr, uint64_t end, struct iovec *iov,
			  unsigned max)
{
	unsigned n = 0;

	for (uint64_t at = addr; at < end && n < max;
	     at = (at | (AIO_PAGE - 1)) + 1)
		iov[n++] = (struct iovec){ (void *)(uintptr_t)at, 1 };
	return n;
}

int clientmem_writable(pid_t tid, uint64_t addr, uint64_t len)
{
	struct iovec remote[PROBE_IOVS];
	unsigned char bytes[PROBE_IOVS];
	struct iovec local = { bytes, 0 };
	uint64_t end = addr + len;

	if (len == 0 || end < addr)
		return EFAULT;
	while (addr < end) {
		unsigned n = page_iovs(addr, end, remote, PROBE_IOVS);
		ssize_t got;

		/* Read each page's first byte and write it back: the buffer
		 * belongs to the transfer, so nothing else may change it. */
		local.iov_len = n;
		got = process_vm_readv(tid, &local, 1, remote, n, 0);
		if (got != (ssize_t)n)
			return got < 0 ? vm_errno(errno) : EFAULT;
		got = process_vm_writev(tid, &local, 1, remote, n, 0);
		if (got != (ssize_t)n)
			return got < 0 ? vm_errno(errno) : EFAULT;
		addr = ((uint64_t)(uintptr_t)remote[n - 1].iov_base |
			(AIO_PAGE - 1)) + 1;
	}
	return 0;
}

int clientmem_bind(pid_t tid, int *memfd)
{
	char path[64];
	int e;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	*memfd = open(path, O_RDWR | O_CLOEXEC);
	if (*memfd >= 0)
		return 0;
	e = errno;
	if (e == EACCES || e == EPERM) {
		static struct log_budget denied;

		log_limited(&denied, LOG_ERR, "cannot open %s: %s (a Yama "
			    "ptrace_scope of 3 forbids it)", path, strerror(e));
	}
	return e == EMFILE || e == ENFILE || e == ENOMEM ? EAGAIN : ESRCH;
}

int clientmem_deliver(int memfd, uint64_t addr, const void *buf, size_t len)
{
	ssize_t n = pwrite(memfd, buf, len, (off_t)addr);

	if (n == (ssize_t)len)
		return 0;
	return n == 0 ? ESRCH : EFAULT;	/* 0: the image has ended */
}

/* One line of /proc/PID/maps: its range, or false at a malformed line. */
static bool maps_range(const char *line, uint64_t *start, uint64_t *end)
{
	return sscanf(line, "%" SCNx64 "-%" SCNx64, start, end) == 2;
}

int clientmem_mapped(pid_t tid, uint64_t addr, uint64_t len)
{
	char path[64], *line = NULL;
	uint64_t want = addr, end = addr + len, start, stop;
	size_t cap = 0;
	FILE *maps;

	if (len == 0 || end < addr)
		return EFAULT;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	maps = fopen(path, "re");
	if (!maps)
		return ESRCH;
	/* Mappings come in address order: walk them once, requiring each
	 * byte of the region to fall in one. */
	while (want < end && getline(&line, &cap, maps) > 0) {
		if (!maps_range(line, &start, &stop) || start > want)
			break;
		if (stop > want)
			want = stop;
	}
	free(line);
	fclose(maps);
	return want >= end ? 0 : EFAULT;
}
