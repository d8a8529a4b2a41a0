/*
 * callers.c -- the client processes doing AIO and the only way aiod touches
 * their memory.  The kernel names the thread behind each request (its tid,
 * from fuse_req_ctx); that is resolved once to its process, for which aiod
 * opens /proc/TID/mem and a pidfd at first contact.  The mem fd pins that
 * address space, so data is never written into another process even if the
 * pid is reused after the client exits; the pidfd tells the event loop when
 * the process is gone.  A cached tid is re-checked on every request with
 * kcmp(KCMP_VM), so a recycled tid is never mistaken for the old process,
 * and a process that has called execve starts afresh.  A caller lives
 * while its process does (one reference) and while anything the engine
 * keeps holds it (caller_hold, caller_put); that single count decides
 * when it is freed.
 */
#include "aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TID_BUCKETS 1024u

struct tid_entry {
	pid_t tid;
	struct caller *caller;
	struct tid_entry *next;		/* in its hash bucket */
};

static struct tid_entry *tid_table[TID_BUCKETS];
static LIST_HEAD(, caller) caller_list = LIST_HEAD_INITIALIZER(caller_list);
static unsigned ncallers, max_callers;
static void (*on_retired)(struct caller *c);

static bool same_process(pid_t tid, pid_t tgid)
{
	return syscall(SYS_kcmp, tid, tgid, KCMP_VM, 0, 0) == 0;
}

static struct tid_entry **tid_slot(pid_t tid)
{
	struct tid_entry **p = &tid_table[(unsigned)tid % TID_BUCKETS];

	while (*p && (*p)->tid != tid)
		p = &(*p)->next;
	return p;
}

static void forget_tids_of(struct caller *c)
{
	for (unsigned b = 0; b < TID_BUCKETS; b++) {
		struct tid_entry **p = &tid_table[b];

		while (*p) {
			if ((*p)->caller == c) {
				struct tid_entry *dead = *p;

				*p = dead->next;
				free(dead);
			} else {
				p = &(*p)->next;
			}
		}
	}
}

void caller_hold(struct caller *c)
{
	c->refs++;
}

void caller_put(struct caller *c)
{
	if (--c->refs)
		return;
	LIST_REMOVE(c, link);
	ncallers--;
	free(c);
}

/* The process exited or replaced its image: its memory handle goes (so
 * late completions deliver nothing), the engine drops its aio(M) state,
 * and the caller is freed once nothing holds it. */
static void retire(struct caller *c)
{
	loop_remove(&c->exit_watch);
	close(c->pidfd);
	close(c->memfd);
	c->pidfd = c->memfd = -1;
	c->exited = true;
	forget_tids_of(c);
	on_retired(c);
	caller_put(c);
}

static void caller_exited(struct loop_source *src)
{
	retire((struct caller *)((char *)src -
				 offsetof(struct caller, exit_watch)));
}

/* After execve the pid stays but the address space memfd pins is gone:
 * reading it yields 0 bytes even at address 0, where a live address
 * space answers EIO (SVR4 dropped the lock on exec; so does aiod). */
static bool image_replaced(const struct caller *c)
{
	char byte;

	return pread(c->memfd, &byte, 1, 0) == 0;
}

int callers_init(unsigned max, void (*retired)(struct caller *c))
{
	max_callers = max;
	on_retired = retired;
	if (syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0) != 0) {
		log_err("kcmp(KCMP_VM) is not available (%s); aiod needs it "
			"to tell client processes apart safely",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* At exit, with the engine's files gone with their sessions: free every
 * caller whatever still holds it. */
void callers_shutdown(void)
{
	struct caller *c;

	while ((c = LIST_FIRST(&caller_list))) {
		if (!c->exited) {
			caller_hold(c);		/* freed here, not in retire */
			retire(c);
		}
		LIST_REMOVE(c, link);
		ncallers--;
		free(c);
	}
}

unsigned callers_active(void)
{
	return ncallers;
}

static pid_t read_tgid(pid_t tid)
{
	char path[64], line[256];
	pid_t tgid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

static struct caller *find_by_tgid(pid_t tid, pid_t tgid)
{
	struct caller *c;

	LIST_FOREACH(c, &caller_list, link) {
		if (c->exited || c->tgid != tgid || !same_process(tid, tgid))
			continue;
		if (!image_replaced(c))
			return c;
		retire(c);	/* exec'd since its other threads did AIO */
		return NULL;
	}
	return NULL;
}

static struct caller *new_caller(pid_t tid, pid_t tgid, uid_t uid)
{
	char path[64];
	struct caller *c;

	if (ncallers >= max_callers) {
		errno = EAGAIN;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->tgid = tgid;
	c->uid = uid;
	c->refs = 1;		/* while the process lives */
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	c->memfd = open(path, O_RDWR | O_CLOEXEC);
	if (c->memfd < 0 && (errno == EACCES || errno == EPERM))
		log_err("cannot open %s: %s (a Yama ptrace_scope of 3 forbids "
			"it)", path, strerror(errno));
	c->pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	/* Both handles taken: make sure they name the process of tid. */
	if (c->memfd < 0 || c->pidfd < 0 || !same_process(tid, tgid)) {
		if (c->memfd >= 0)
			close(c->memfd);
		if (c->pidfd >= 0)
			close(c->pidfd);
		free(c);
		errno = ESRCH;
		return NULL;
	}
	c->exit_watch = (struct loop_source){ c->pidfd, caller_exited };
	if (loop_add(&c->exit_watch)) {
		int e = errno;

		close(c->memfd);
		close(c->pidfd);
		free(c);
		errno = e;
		return NULL;
	}
	LIST_INSERT_HEAD(&caller_list, c, link);
	ncallers++;
	return c;
}

int caller_get(const struct requester *who, struct caller **out)
{
	pid_t tid = who->tid;
	struct tid_entry **slot = tid_slot(tid), *e = *slot;
	struct caller *c;
	pid_t tgid;

	if (e && same_process(tid, e->caller->tgid)) {
		if (!image_replaced(e->caller)) {
			*out = e->caller;
			return 0;
		}
		retire(e->caller);	/* drops e; a new caller follows */
		slot = tid_slot(tid);
	} else if (e) {	/* a recycled tid, or the leader thread is gone */
		*slot = e->next;
		free(e);
	}
	tgid = read_tgid(tid);
	if (tgid <= 0)
		return ESRCH;
	c = find_by_tgid(tid, tgid);
	if (!c && !(c = new_caller(tid, tgid, who->uid)))
		return errno == EAGAIN || errno == ENOMEM ? errno : ESRCH;
	e = malloc(sizeof(*e));
	if (e) {	/* without the cache entry we resolve again next time */
		*e = (struct tid_entry){ tid, c, *slot };
		*slot = e;
	}
	*out = c;
	return 0;
}

/* /proc/PID/mem: a short count means an unmapped address, 0 bytes from a
 * live fd means the address space is gone. */
static int mem_result(ssize_t n, size_t len)
{
	if (n == (ssize_t)len)
		return 0;
	if (n == 0)
		return ESRCH;
	return EFAULT;
}

int caller_read(struct caller *c, uint64_t addr, void *buf, size_t len)
{
	if (c->memfd < 0)
		return ESRCH;
	return mem_result(pread(c->memfd, buf, len, (off_t)addr), len);
}

int caller_write(struct caller *c, uint64_t addr, const void *buf,
		 size_t len)
{
	if (c->memfd < 0)
		return ESRCH;
	return mem_result(pwrite(c->memfd, buf, len, (off_t)addr), len);
}

int caller_probe(struct caller *c, uint64_t addr, uint64_t len)
{
	uint64_t page = addr & ~(uint64_t)(AIO_PAGE - 1);
	char byte;
	int rc;

	if (len == 0 || addr + len < addr)
		return EFAULT;
	for (; page < addr + len; page += AIO_PAGE) {
		rc = caller_read(c, page < addr ? addr : page, &byte, 1);
		if (rc)
			return rc;
	}
	return 0;
}
