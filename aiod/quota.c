/* SPDX-License-Identifier: MIT */
/*
 * quota.c -- how aiod's shared limits are shared: NAIOPROC processes
 * doing AIO and NAIOREQ request slots system-wide.  Root is bound by those
 * alone.  Any other user holds at most NAIOPROCPU processes and NAIOREQPU
 * slots, and all users other than root together leave an eighth of each
 * limit to root, so that no user, and no set of users, can shut root or
 * each other out.  Per-process limits (NAIOREQPP) are the engine's.
 */
#include "aiod.h"

#include <errno.h>
#include <stdlib.h>

struct usage {
	uid_t uid;
	unsigned procs, reqs;
};

/* How much of one limit is held: by everyone, and by users but root. */
struct held {
	unsigned all, users;
};

static struct usage *users;	/* users other than root holding anything */
static size_t nusers;
static struct held procs, reqs;
static struct tunables lim;

int quota_init(const struct tunables *t)
{
	lim = *t;
	/* Every slot belongs to a process: at most NAIOPROC users. */
	users = calloc(t->naioproc, sizeof(*users));
	return users ? 0 : -1;
}

void quota_shutdown(void)
{
	free(users);
	users = NULL;
	nusers = 0;
	procs = reqs = (struct held){ 0 };
}

static struct usage *usage_of(uid_t uid)
{
	for (size_t i = 0; i < nusers; i++)
		if (users[i].uid == uid)
			return &users[i];
	return NULL;
}

/* May a user (root: !u) take one more of a limit held as h, of which it
 * holds mine?  Users but root leave an eighth, rounded down, to root. */
static bool fits(bool root, const struct held *h, unsigned limit,
		 unsigned mine, unsigned per_user)
{
	if (h->all >= limit)
		return false;
	return root || (h->users < limit - limit / 8 && mine < per_user);
}

static int take(uid_t uid, bool request)
{
	struct usage *u = uid == 0 ? NULL : usage_of(uid);
	struct held *h = request ? &reqs : &procs;
	unsigned mine = !u ? 0 : request ? u->reqs : u->procs;

	if (!fits(uid == 0, h, request ? lim.naioreq : lim.naioproc, mine,
		  request ? lim.naioreqpu : lim.naioprocpu))
		return EAGAIN;
	h->all++;
	if (uid == 0)
		return 0;
	if (!u) {
		u = &users[nusers++];
		*u = (struct usage){ .uid = uid };
	}
	h->users++;
	if (request)
		u->reqs++;
	else
		u->procs++;
	return 0;
}

static void put(uid_t uid, bool request)
{
	struct usage *u = uid == 0 ? NULL : usage_of(uid);
	struct held *h = request ? &reqs : &procs;

	h->all--;
	if (!u)
		return;
	h->users--;
	if (request)
		u->reqs--;
	else
		u->procs--;
	if (u->procs == 0 && u->reqs == 0)
		*u = users[--nusers];
}

int quota_take_process(uid_t uid)
{
	return take(uid, false);
}

void quota_put_process(uid_t uid)
{
	put(uid, false);
}

int quota_take_request(uid_t uid)
{
	return take(uid, true);
}

void quota_put_request(uid_t uid)
{
	put(uid, true);
}
