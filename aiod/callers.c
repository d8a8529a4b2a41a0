/* SPDX-License-Identifier: MIT */
/*
 * callers.c -- the client processes doing AIO: who they are, what the
 * engine keeps for each, and how long.  The kernel names the thread behind
 * each request (its tid, from the request's context); that is resolved
 * once to its process, for which aiod opens a pidfd (readable when the
 * process exits) and /proc/TID/mem (reads 0 bytes once that image has
 * ended, which the memory workers look at) at first contact.  A cached
 * tid is re-checked on every request against the credentials the kernel
 * reports and, unless it is the process's leader (where the check would
 * compare the task with itself), with kcmp(KCMP_VM) against the process,
 * so that a recycled tid or a set-user-ID or set-group-ID exec starts
 * afresh; a plain exec is noticed by the workers (caller_image_ended).
 * Nothing here touches a client's memory, and data never relies on this
 * identity: each request binds its own memory access (clientmem.c).  A
 * caller lives while its process does (one reference) and while anything
 * the engine keeps holds it (caller_hold, caller_put); that single count
 * decides when it is freed.
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
static unsigned ncallers;
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

static void free_caller(struct caller *c)
{
	close(c->memfd);
	LIST_REMOVE(c, link);
	ncallers--;
	quota_put_process(c->uid);
	free(c);
}

void caller_hold(struct caller *c)
{
	c->refs++;
}

void caller_put(struct caller *c)
{
	if (--c->refs == 0)
		free_caller(c);
}

/* The process exited or replaced its image: its memory handle goes (so
 * late completions deliver nothing), the engine drops its aio(M) state,
 * and the caller is freed once nothing holds it. */
static void retire(struct caller *c)
{
	loop_remove(&c->exit_watch);
	close(c->pidfd);
	c->pidfd = -1;
	c->exited = true;
	forget_tids_of(c);
	on_retired(c);
	caller_put(c);
}

static void caller_exited(struct loop_source *src)
{
	caller_image_ended((struct caller *)((char *)src -
					     offsetof(struct caller,
						      exit_watch)));
}

/* Reading memfd's address space would block while the client holds its
 * lock, so the workers check it (clientmem.c); SVR4 dropped the lock on
 * exec, and so does aiod. */
void caller_image_ended(struct caller *c)
{
	if (!c->exited)
		retire(c);
}

int callers_init(void (*retired)(struct caller *c))
{
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
		free_caller(c);
	}
}

unsigned callers_active(void)
{
	return ncallers;
}

void callers_foreach(void (*fn)(struct caller *c, void *arg), void *arg)
{
	struct caller *c;

	LIST_FOREACH(c, &caller_list, link)
		fn(c, arg);
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

static struct caller *find_by_tgid(pid_t tid, pid_t tgid,
				   const struct requester *who)
{
	struct caller *c;

	LIST_FOREACH(c, &caller_list, link) {
		if (c->exited || c->tgid != tgid || !same_process(tid, tgid))
			continue;
		if (c->uid == who->uid && c->gid == who->gid)
			return c;
		retire(c);	/* new credentials: a new program */
		return NULL;
	}
	return NULL;
}

static struct caller *new_caller(pid_t tid, pid_t tgid,
				 const struct requester *who)
{
	struct caller *c;
	int err = quota_take_process(who->uid);

	if (err) {
		errno = err;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		quota_put_process(who->uid);
		errno = ENOMEM;
		return NULL;
	}
	*c = (struct caller){ .tgid = tgid, .uid = who->uid, .gid = who->gid,
			      .refs = 1,	/* while the process lives */
			      .memfd = -1 };
	err = clientmem_bind(tid, &c->memfd);
	c->pidfd = (int)syscall(SYS_pidfd_open, tgid, 0);
	/* Both handles taken: make sure they name the process of tid. */
	if (!err && (c->pidfd < 0 || !same_process(tid, tgid)))
		err = ESRCH;
	c->exit_watch = (struct loop_source){ c->pidfd, caller_exited };
	if (!err && loop_add(&c->exit_watch))
		err = errno;
	if (err) {
		if (c->memfd >= 0)
			close(c->memfd);
		if (c->pidfd >= 0)
			close(c->pidfd);
		quota_put_process(who->uid);
		free(c);
		errno = err;
		return NULL;
	}
	LIST_INSERT_HEAD(&caller_list, c, link);
	ncallers++;
	return c;
}

/* Is the cached e still tid's process?  For the leader thread kcmp would
 * compare the task with itself and prove nothing: a recycled leader pid is
 * met by the exit watch and the credentials, as it always was.  Another
 * thread's tid may have been recycled into another process meanwhile. */
static bool still_of(const struct tid_entry *e, pid_t tid)
{
	return tid == e->caller->tgid || same_process(tid, e->caller->tgid);
}

int caller_get(const struct requester *who, struct caller **out)
{
	pid_t tid = who->tid;
	struct tid_entry **slot = tid_slot(tid), *e = *slot;
	struct caller *c;
	pid_t tgid;

	if (e && still_of(e, tid)) {
		c = e->caller;
		if (c->uid == who->uid && c->gid == who->gid) {
			*out = c;
			return 0;
		}
		retire(c);	/* new credentials: drops e */
		slot = tid_slot(tid);
	} else if (e) {	/* a recycled tid, or the leader thread is gone */
		*slot = e->next;
		free(e);
	}
	tgid = read_tgid(tid);
	if (tgid <= 0)
		return ESRCH;
	c = find_by_tgid(tid, tgid, who);
	if (!c && !(c = new_caller(tid, tgid, who)))
		return errno == EAGAIN || errno == ENOMEM ? errno : ESRCH;
	e = malloc(sizeof(*e));
	if (e) {	/* without the cache entry we resolve again next time */
		*e = (struct tid_entry){ tid, c, *slot };
		*slot = e;
	}
	*out = c;
	return 0;
}
