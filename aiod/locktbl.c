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

/* A lock's mapped bounce memory, shared by its transfers in flight. */
struct lock_memory {
	void *base;
	size_t len;
	unsigned users;		/* transfers using it */
	bool released;		/* its lock has ended */
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

unsigned locks_held(void)
{
	return nlocks;
}

uint64_t locks_bytes(void)
{
	return locked_bytes;
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

int lock_acquire(struct caller *c)
{
	uint64_t base = c->lock_addr & ~(uint64_t)(AIO_PAGE - 1);
	size_t len = (size_t)((c->lock_addr + c->lock_size - base +
			       AIO_PAGE - 1) & ~(uint64_t)(AIO_PAGE - 1));
	struct lock_memory *m;
	int e;

	if (!reserve(c->uid, c->lock_size)) {
		log_info("pid %d (uid %u): DKIOCMLOCK of %llu bytes accepted "
			 "without a lock: no permission or allowance used up",
			 (int)c->tgid, (unsigned)c->uid,
			 (unsigned long long)c->lock_size);
		return 0;
	}
	m = calloc(1, sizeof(*m));
	if (m) {
		m->len = len;
		m->base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
			       -1, 0);
		if (m->base != MAP_FAILED && mlock(m->base, len) == 0) {
			c->lock_mem = m;
			c->lock_held = true;
			nlocks++;
			locked_bytes += c->lock_size;
			return 0;
		}
	}
	e = errno;
	if (m && m->base != MAP_FAILED)
		munmap(m->base, len);
	free(m);
	unreserve(c->uid, c->lock_size);
	log_warn("pid %d: cannot lock %zu bytes for AIO: %s", (int)c->tgid,
		 len, strerror(e));
	return ENOMEM;
}

void *lock_buffer(struct caller *c, uint64_t maddr, struct lock_memory **mem)
{
	struct lock_memory *m = c->lock_mem;

	m->users++;
	*mem = m;
	return (char *)m->base +
	       (maddr - (c->lock_addr & ~(uint64_t)(AIO_PAGE - 1)));
}

static void free_if_unused(struct lock_memory *m)
{
	if (m->released && m->users == 0) {
		munmap(m->base, m->len);
		free(m);
	}
}

void lock_buffer_done(struct lock_memory *m)
{
	m->users--;
	free_if_unused(m);
}

void lock_release(struct caller *c)
{
	if (c->lock_held) {
		unreserve(c->uid, c->lock_size);
		nlocks--;
		locked_bytes -= c->lock_size;
		c->lock_held = false;
		c->lock_mem->released = true;
		free_if_unused(c->lock_mem);
		c->lock_mem = NULL;
	}
	c->lock_addr = c->lock_size = 0;
}
