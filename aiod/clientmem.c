/* SPDX-License-Identifier: MIT */
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
 *
 * Touching a client's memory can block for as long as the client likes
 * (a page of a file on a FUSE file system whose server does not answer,
 * or an address space whose lock the client keeps taken), so the event
 * loop does not: every access is a job run by a pool of worker threads,
 * at most a few at a time for any one user, and the loop hears of each
 * finished job through an eventfd.  A stalled client then stalls only its
 * own user's jobs.  The one exception is the engine's to make
 * (clientmem_run_here): a transfer of a root process inside its locked
 * DKIOCMLOCK region, found to be private anonymous memory when it was
 * declared.  Faults there wait for no other process, and only root could
 * map something else there afterwards; no other user can make the loop
 * wait.  Workers touch nothing but their job (and, through its
 * answer(), the reply to the client waiting for it); the queues they
 * share with the loop are guarded by one mutex, which orders every hand
 * over (a job is written before it is queued and read after it is taken).
 */
#include "aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define PROBE_IOVS 64u		/* pages checked per system call */
#define WORKERS 8u		/* threads touching client memory */
#define WORKERS_PER_USER 2u	/* of them, at most for one user's jobs */

/* process_vm_* and /proc/PID/mem: EFAULT for an address the client
 * cannot use that way; ESRCH once the image is gone. */
static int vm_errno(int e)
{
	return e == ESRCH || e == ENOENT ? ESRCH : EFAULT;
}

static int mem_read(pid_t tid, uint64_t addr, void *buf, size_t len)
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

static int mem_writable(pid_t tid, uint64_t addr, uint64_t len)
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

/* A handle on tid's present image: 0, or the open's errno. */
static int open_image(pid_t tid, int *memfd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	*memfd = open(path, O_RDWR | O_CLOEXEC);
	return *memfd >= 0 ? 0 : errno;
}

static int bind_errno(int e)
{
	return e == EMFILE || e == ENFILE || e == ENOMEM ? EAGAIN : ESRCH;
}

int clientmem_bind(pid_t tid, int *memfd)
{
	int e = open_image(tid, memfd);

	if (e == EACCES || e == EPERM) {
		static struct log_budget denied;

		log_limited(&denied, LOG_ERR, "cannot open /proc/%d/mem: %s (a "
			    "Yama ptrace_scope of 3 forbids it)", (int)tid,
			    strerror(e));
	}
	return e ? bind_errno(e) : 0;
}

static int mem_deliver(int memfd, uint64_t addr, const void *buf,
		       size_t len)
{
	ssize_t n = pwrite(memfd, buf, len, (off_t)addr);

	if (n == (ssize_t)len)
		return 0;
	return n == 0 ? ESRCH : EFAULT;	/* 0: the image has ended */
}

/* One line of /proc/PID/maps: its range and whether it is private
 * anonymous memory (no device, no inode, 'p'), or false at a malformed
 * line. */
static bool maps_range(const char *line, uint64_t *start, uint64_t *end,
		       bool *anonymous)
{
	unsigned major, minor;
	unsigned long inode;
	char perms[8];

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %*x %x:%x %lu", start,
		   end, perms, &major, &minor, &inode) != 6)
		return false;
	*anonymous = major == 0 && minor == 0 && inode == 0 &&
		     perms[3] == 'p';
	return true;
}

static int mem_mapped(pid_t tid, uint64_t addr, uint64_t len,
		      bool *anonymous)
{
	char path[64], *line = NULL;
	uint64_t want = addr, end = addr + len, start, stop;
	size_t cap = 0;
	bool anon;
	FILE *maps;

	*anonymous = false;
	if (len == 0 || end < addr)
		return EFAULT;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	maps = fopen(path, "re");
	if (!maps)
		return ESRCH;
	/* Mappings come in address order: walk them once, requiring each
	 * byte of the region to fall in one. */
	*anonymous = true;
	while (want < end && getline(&line, &cap, maps) > 0) {
		if (!maps_range(line, &start, &stop, &anon) || start > want)
			break;
		if (stop > want) {
			want = stop;
			*anonymous &= anon;
		}
	}
	free(line);
	fclose(maps);
	return want >= end ? 0 : EFAULT;
}

/* ---- the workers ------------------------------------------------------
 *
 * Jobs wait per user while the user has WORKERS_PER_USER running (the
 * loop's own bookkeeping, unlocked), then in 'ready' for a worker, then
 * in 'finished' for the loop; 'ready', 'finished' and 'stopping' are
 * shared and guarded by 'lock'.
 */

struct user_jobs {
	uid_t uid;
	unsigned running;
	STAILQ_HEAD(, mem_job) waiting;
	LIST_ENTRY(user_jobs) link;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static STAILQ_HEAD(, mem_job) ready = STAILQ_HEAD_INITIALIZER(ready),
	finished = STAILQ_HEAD_INITIALIZER(finished);
static bool stopping;
static pthread_t workers[WORKERS];
static struct mem_job *running[WORKERS];	/* each worker's, or NULL */
static unsigned nworkers, unfinished;
static LIST_HEAD(, user_jobs) users = LIST_HEAD_INITIALIZER(users);
static struct loop_source finished_src;

static void run(struct mem_job *j)
{
	char byte;

	switch (j->op) {
	case MEM_READ:
		j->err = mem_read(j->tid, j->addr, j->buf, j->len);
		break;
	case MEM_WRITABLE:
		j->err = mem_writable(j->tid, j->addr, j->len);
		break;
	case MEM_BIND:
		/* No log here (the loop's clientmem_bind at first contact
		 * says why /proc/PID/mem cannot be opened). */
		j->err = open_image(j->tid, &j->memfd);
		j->err = j->err ? bind_errno(j->err)
				: mem_writable(j->tid, j->addr, j->len);
		break;
	case MEM_DELIVER:
		j->err = mem_deliver(j->memfd, j->addr, j->buf, j->len);
		break;
	case MEM_MAPPED:
		j->err = mem_mapped(j->tid, j->addr, j->len, &j->anonymous);
		break;
	}
	/* After execve the first image's address space is gone: reading it
	 * yields 0 bytes even at address 0, where a live one answers EIO. */
	j->image_ended = j->image_fd >= 0 && pread(j->image_fd, &byte, 1, 0)
					     == 0;
	if (j->answer)
		j->answer(j);
}

static void *worker(void *slot)
{
	struct mem_job **mine = slot;

	pthread_mutex_lock(&lock);
	for (;;) {
		struct mem_job *j;

		while (STAILQ_EMPTY(&ready) && !stopping)
			pthread_cond_wait(&work, &lock);
		if (stopping)
			break;
		j = STAILQ_FIRST(&ready);
		STAILQ_REMOVE_HEAD(&ready, link);
		*mine = j;
		pthread_mutex_unlock(&lock);
		run(j);
		pthread_mutex_lock(&lock);
		*mine = NULL;
		STAILQ_INSERT_TAIL(&finished, j, link);
		eventfd_write(finished_src.fd, 1);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void make_ready(struct user_jobs *u, struct mem_job *j)
{
	u->running++;
	pthread_mutex_lock(&lock);
	STAILQ_INSERT_TAIL(&ready, j, link);
	pthread_cond_signal(&work);
	pthread_mutex_unlock(&lock);
}

static struct user_jobs *user_jobs_of(uid_t uid)
{
	struct user_jobs *u;

	LIST_FOREACH(u, &users, link)
		if (u->uid == uid)
			return u;
	return NULL;
}

void clientmem_run_here(struct mem_job *j)
{
	run(j);
	j->done(j);
}

int clientmem_submit(struct mem_job *j)
{
	struct user_jobs *u = user_jobs_of(j->uid);

	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return ENOMEM;
		u->uid = j->uid;
		STAILQ_INIT(&u->waiting);
		LIST_INSERT_HEAD(&users, u, link);
	}
	unfinished++;
	if (u->running < WORKERS_PER_USER)
		make_ready(u, j);
	else
		STAILQ_INSERT_TAIL(&u->waiting, j, link);
	return 0;
}

/* The loop's side: finished jobs make room for their users' next ones,
 * then their done() runs. */
static void collect_finished(struct loop_source *src)
{
	STAILQ_HEAD(, mem_job) done = STAILQ_HEAD_INITIALIZER(done);
	eventfd_t ignored;

	eventfd_read(src->fd, &ignored);
	pthread_mutex_lock(&lock);
	STAILQ_CONCAT(&done, &finished);
	pthread_mutex_unlock(&lock);
	while (!STAILQ_EMPTY(&done)) {
		struct mem_job *j = STAILQ_FIRST(&done);
		struct user_jobs *u = user_jobs_of(j->uid);

		STAILQ_REMOVE_HEAD(&done, link);
		unfinished--;
		u->running--;
		if (!STAILQ_EMPTY(&u->waiting)) {
			struct mem_job *next = STAILQ_FIRST(&u->waiting);

			STAILQ_REMOVE_HEAD(&u->waiting, link);
			make_ready(u, next);
		} else if (u->running == 0) {
			LIST_REMOVE(u, link);
			free(u);
		}
		j->done(j);
	}
}

unsigned clientmem_unfinished(void)
{
	return unfinished;
}

int clientmem_init(void)
{
	int rc;

	finished_src = (struct loop_source){
		eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), collect_finished };
	if (finished_src.fd < 0 || loop_add(&finished_src)) {
		log_err("cannot set up the memory workers: %s",
			strerror(errno));
		return -1;
	}
	for (nworkers = 0; nworkers < WORKERS; nworkers++) {
		rc = pthread_create(&workers[nworkers], NULL, worker,
				    &running[nworkers]);
		if (rc) {
			log_err("cannot start a memory worker: %s",
				strerror(rc));
			return -1;
		}
	}
	return 0;
}

/* The FUSE connection behind tid's mapping at addr, from the device
 * number /proc/TID/maps gives it: 0 and *conn, or -1 (none, or not
 * FUSE-like: major 0 is where FUSE's connections are numbered). */
static int fuse_conn_of(pid_t tid, uint64_t addr, unsigned *conn)
{
	char path[64], *line = NULL;
	uint64_t start, stop;
	unsigned major, minor;
	size_t cap = 0;
	int rc = -1;
	FILE *maps;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)tid);
	maps = fopen(path, "re");
	if (!maps)
		return -1;
	while (rc && getline(&line, &cap, maps) > 0)
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*s %x:%x",
			   &start, &stop, &major, &minor) == 4 &&
		    addr >= start && addr < stop) {
			*conn = minor;
			rc = major == 0 ? 0 : -1;
			break;
		}
	free(line);
	fclose(maps);
	return rc;
}

/* A worker still in a client's memory when aiod stops waits for a file
 * system that does not answer, and would keep aiod from exiting: abort
 * that FUSE connection (aiod's own are gone by now), as an
 * administrator would through /sys/fs/fuse/connections. */
static void unstick(pid_t tid, uint64_t addr)
{
	char path[96];
	unsigned conn;
	FILE *abort_file;

	if (fuse_conn_of(tid, addr, &conn))
		return;
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort",
		 conn);
	abort_file = fopen(path, "we");
	if (!abort_file)
		return;
	log_warn("pid %d's memory at %#llx does not answer: aborting FUSE "
		 "connection %u to stop", (int)tid, (unsigned long long)addr,
		 conn);
	fputs("1\n", abort_file);
	fclose(abort_file);
}

static bool join_by(pthread_t t, int seconds)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	return pthread_timedjoin_np(t, NULL, &until) == 0;
}

/* Workers stuck in a client's memory are unstuck if their file system
 * is FUSE; any other is left to end with that memory, and the process
 * with it. */
void clientmem_shutdown(void)
{
	struct user_jobs *u;

	pthread_mutex_lock(&lock);
	stopping = true;
	pthread_cond_broadcast(&work);
	pthread_mutex_unlock(&lock);
	for (unsigned i = 0; i < nworkers; i++) {
		pid_t tid = 0;
		uint64_t addr = 0;

		if (join_by(workers[i], 1))
			continue;
		pthread_mutex_lock(&lock);
		if (running[i]) {
			tid = running[i]->tid;
			addr = running[i]->addr;
		}
		pthread_mutex_unlock(&lock);
		if (tid)
			unstick(tid, addr);
		if (!join_by(workers[i], 1)) {
			log_warn("a memory worker is stuck in pid %d's memory; "
				 "aiod exits when it returns", (int)tid);
			pthread_detach(workers[i]);
		}
	}
	nworkers = 0;
	while ((u = LIST_FIRST(&users))) {
		LIST_REMOVE(u, link);
		free(u);
	}
	if (finished_src.fd >= 0) {
		loop_remove(&finished_src);
		close(finished_src.fd);
	}
	finished_src.fd = -1;
}
