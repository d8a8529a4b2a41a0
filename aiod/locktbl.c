/* SPDX-License-Identifier: MIT */
/*
 * locktbl.c -- who may lock memory for AIO, how much, and the locks
 * themselves.  The table (SCO's aiomemlock, loaded by aiolkinit) gives each
 * user an allowance shared by all of that user's processes; root needs no
 * entry.  A lock granted to a process is real: aiod maps and mlock()s
 * bounce memory the size of the process's region and moves every transfer
 * inside the region through it, so locked processes never wait for the
 * shared buffer pool.  The memory is unmapped once the lock is released and
 * no transfer still uses it.
 */
#include "aiod.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>

/* A granted lock: the allowance it reserved and its mapped bounce memory,
 * shared by the transfers in flight inside the region. */
struct mem_lock {
	uid_t uid;
	uint64_t size;		/* region bytes, reserved from the allowance */
	uint64_t base;		/* region start rounded down to a page */
	void *mem;
	size_t len;
	unsigned users;		/* transfers using the memory */
	bool released;		/* the lock has ended */
};

struct allowance {
	uid_t uid;
	uint64_t bytes;		/* from the table */
	bool listed;		/* has a table entry (else usage only) */
	uint64_t in_use;	/* locked now by processes of uid */
};

static struct allowance *table;
static size_t nused, slots, capacity, nlisted;
static unsigned nlocks;
static uint64_t locked_bytes;

int locktbl_init(unsigned entries, unsigned users)
{
	capacity = entries;
	/* Besides the listed users, those whose entry was dropped while
	 * they hold locks: at most one per process doing AIO. */
	slots = (size_t)entries + users;
	table = calloc(slots, sizeof(*table));
	return table ? 0 : -1;
}

void locktbl_shutdown(void)
{
	free(table);
	table = NULL;
	nused = nlisted = 0;
}

static struct allowance *find(uid_t uid)
{
	for (size_t i = 0; i < nused; i++)
		if (table[i].uid == uid)
			return &table[i];
	return NULL;
}

static void drop_if_unused(struct allowance *a)
{
	if (!a->listed && a->in_use == 0)
		*a = table[--nused];
}

int locktbl_load(const struct lock_entry *e, size_t n, bool replace)
{
	size_t listed_after = replace ? 0 : nlisted;

	/* Count first: the table changes completely or not at all. */
	for (size_t i = 0; i < n; i++) {
		struct allowance *a = find(e[i].uid);
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen |= e[j].uid == e[i].uid;
		if (seen)
			continue;
		if (!a || !a->listed || replace)
			listed_after++;
	}
	if (listed_after > capacity)
		return ENOSPC;
	if (replace)
		for (size_t i = nused; i-- > 0;) {
			table[i].listed = false;
			drop_if_unused(&table[i]);
		}
	for (size_t i = 0; i < n; i++) {
		struct allowance *a = find(e[i].uid);

		if (!a) {
			a = &table[nused++];
			*a = (struct allowance){ .uid = e[i].uid };
		}
		a->bytes = e[i].bytes;	/* a later entry overrides */
		a->listed = true;
	}
	nlisted = 0;
	for (size_t i = 0; i < nused; i++)
		nlisted += table[i].listed;
	return 0;
}

unsigned locktbl_entries(void)
{
	return (unsigned)nlisted;
}

unsigned locktbl_locks(void)
{
	return nlocks;
}

uint64_t locktbl_locked_bytes(void)
{
	return locked_bytes;
}

unsigned locktbl_users(void)
{
	return (unsigned)nused;
}

void locktbl_user(unsigned i, uid_t *uid, uint64_t *bytes, uint64_t *in_use)
{
	*uid = table[i].uid;
	*bytes = table[i].listed ? table[i].bytes : 0;
	*in_use = table[i].in_use;
}

/* May uid lock size more bytes?  Reserves them if so. */
static bool reserve(uid_t uid, uint64_t size)
{
	struct allowance *a;

	if (uid == 0)
		return true;
	a = find(uid);
	if (!a || !a->listed || a->bytes < size ||
	    a->bytes - size < a->in_use)
		return false;
	a->in_use += size;
	return true;
}

static void unreserve(uid_t uid, uint64_t size)
{
	struct allowance *a = find(uid);

	if (uid == 0 || !a)
		return;
	a->in_use -= size;
	drop_if_unused(a);
}

int locktbl_acquire(uid_t uid, pid_t pid, uint64_t addr, uint64_t size,
		 struct mem_lock **lock)
{
	uint64_t base = addr & ~(uint64_t)(AIO_PAGE - 1);
	size_t len = (size_t)((addr + size - base + AIO_PAGE - 1) &
			      ~(uint64_t)(AIO_PAGE - 1));
	struct mem_lock *l;
	int e;

	*lock = NULL;
	if (!reserve(uid, size)) {
		log_limited(log_user_budget(uid), LOG_INFO, "pid %d (uid %u): "
			    "DKIOCMLOCK of %llu bytes accepted without a lock: "
			    "no permission or allowance used up", (int)pid,
			    (unsigned)uid, (unsigned long long)size);
		return 0;
	}
	l = calloc(1, sizeof(*l));
	if (l) {
		*l = (struct mem_lock){ .uid = uid, .size = size, .base = base,
					.len = len };
		l->mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
			      -1, 0);
		if (l->mem != MAP_FAILED && mlock(l->mem, len) == 0) {
			nlocks++;
			locked_bytes += size;
			*lock = l;
			return 0;
		}
	}
	e = errno;
	if (l && l->mem != MAP_FAILED)
		munmap(l->mem, len);
	free(l);
	unreserve(uid, size);
	log_limited(log_user_budget(uid), LOG_WARNING, "pid %d: cannot lock "
		    "%zu bytes for AIO: %s", (int)pid, len, strerror(e));
	return ENOMEM;
}

void *locktbl_buffer(struct mem_lock *l, uint64_t maddr)
{
	l->users++;
	return (char *)l->mem + (maddr - l->base);
}

static void free_if_unused(struct mem_lock *l)
{
	if (l->released && l->users == 0) {
		munmap(l->mem, l->len);
		free(l);
	}
}

void locktbl_buffer_done(struct mem_lock *l)
{
	l->users--;
	free_if_unused(l);
}

void locktbl_release(struct mem_lock *l)
{
	unreserve(l->uid, l->size);
	nlocks--;
	locked_bytes -= l->size;
	l->released = true;
	free_if_unused(l);
}
