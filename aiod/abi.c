/* SPDX-License-Identifier: MIT */
/*
 * abi.c -- the ioctl binary interface: which command numbers aiod answers
 * and how the argument structures of <sys/async.h> are laid out for 64-bit
 * (LP64) and i386 callers.  The command number encodes the structure size,
 * so it names the caller's ABI; the kernel's 32-bit flag must agree.  All
 * conversion between the callers' layouts and the engine's widened structs
 * happens here and nowhere else.
 */
#include "aiod.h"

#include <string.h>
#include <sys/async.h>
#include <scoaio/ioctl.h>
#include <scoaio/direct.h>

/* i386 layouts of the <sys/async.h> structures. */
struct asyncmlock32 {
	uint32_t avaddr;
	uint32_t asize;
};

struct areqbuf32 {
	int32_t au_cmd;
	int32_t au_daddr;
	uint32_t au_maddr;
	int32_t au_size;
	uint32_t au_ref;
};

struct aiostat32 {
	int16_t iostatus;
	int16_t iobsize;
	uint32_t iomaddr;
	uint32_t ioref;
};

struct asyncstatus32 {
	int32_t acount;
	struct aiostat32 astatus[MAXSTATUS];
};

_Static_assert(sizeof(struct asyncmlock32) == 8, "i386 ASYNCMLOCK");
_Static_assert(sizeof(struct areqbuf32) == 20, "i386 AREQBUF");
_Static_assert(sizeof(struct asyncstatus32) == 184, "i386 ASYNCSTATUS");
_Static_assert(sizeof(long) == 8 && sizeof(void *) == 8,
	       "aiod is built for LP64; the i386 ABI is served by abi.c");

#define DKIOCMLOCK32	_IOW(AIO_IOC_MAGIC, 1, struct asyncmlock32)
#define DKIOCASTRT32	_IOW(AIO_IOC_MAGIC, 2, struct areqbuf32)
#define DKIOCASTAT32	_IOR(AIO_IOC_MAGIC, 3, struct asyncstatus32)

/* The admin structures have one layout for both ABIs. */
_Static_assert(sizeof(struct aio_info) == 80 && sizeof(struct aio_devinfo) ==
	       1008 && sizeof(struct aio_daemon) == 24 &&
	       sizeof(struct aio_locks) == 12816 &&
	       sizeof(struct aio_trace_open) == 8 &&
	       sizeof(struct aio_trace_batch) == 16016 && sizeof(struct aio_lktbl) == 16008 &&
	       sizeof(struct aio_seek) == 16 && sizeof(struct aio_pio) == 24,
	       "scoaio/ioctl.h layout");

struct aio_cmd abi_decode(unsigned int cmd, bool compat_caller)
{
	enum abi { NATIVE, I386, BOTH };
	static const struct {
		unsigned int cmd;
		enum abi abi;
		enum aio_op op;
		size_t in_size, out_size;
	} table[] = {
		{ DKIOCMLOCK, NATIVE, AIO_OP_MLOCK, sizeof(ASYNCMLOCK), 0 },
		{ DKIOCASTRT, NATIVE, AIO_OP_ASTRT, sizeof(AREQBUF), 0 },
		{ DKIOCASTAT, NATIVE, AIO_OP_ASTAT, 0, sizeof(ASYNCSTATUS) },
		{ DKIOCMLOCK32, I386, AIO_OP_MLOCK,
		  sizeof(struct asyncmlock32), 0 },
		{ DKIOCASTRT32, I386, AIO_OP_ASTRT,
		  sizeof(struct areqbuf32), 0 },
		{ DKIOCASTAT32, I386, AIO_OP_ASTAT, 0,
		  sizeof(struct asyncstatus32) },
		{ AIOC_LKTBL_LOAD, BOTH, AIO_OP_LKTBL_LOAD,
		  sizeof(struct aio_lktbl), 0 },
		{ AIOC_INFO, BOTH, AIO_OP_INFO, 0, sizeof(struct aio_info) },
		{ AIOC_DEVINFO, BOTH, AIO_OP_DEVINFO,
		  sizeof(struct aio_devinfo), sizeof(struct aio_devinfo) },
		{ AIOC_DAEMON, BOTH, AIO_OP_DAEMON, 0,
		  sizeof(struct aio_daemon) },
		{ AIOC_LOCKS, BOTH, AIO_OP_LOCKS, sizeof(struct aio_locks),
		  sizeof(struct aio_locks) },
		{ AIOC_TRACE_OPEN, BOTH, AIO_OP_TRACE_OPEN,
		  sizeof(struct aio_trace_open), 0 },
		{ AIOC_TRACE_READ, BOTH, AIO_OP_TRACE_READ, 0,
		  sizeof(struct aio_trace_batch) },
		{ AIOC_IDENT, BOTH, AIO_OP_IDENT, 0, sizeof(struct aio_ident) },
		{ AIOC_SEEK, BOTH, AIO_OP_SEEK, sizeof(struct aio_seek),
		  sizeof(struct aio_seek) },
		{ AIOC_PREAD, BOTH, AIO_OP_PREAD, sizeof(struct aio_pio), 0 },
		{ AIOC_PWRITE, BOTH, AIO_OP_PWRITE, sizeof(struct aio_pio), 0 },
		{ AIOC_ATTACH, BOTH, AIO_OP_ATTACH, 0,
		  sizeof(struct aio_attach) },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].cmd == cmd &&
		    (table[i].abi == BOTH ||
		     (table[i].abi == I386) == compat_caller))
			return (struct aio_cmd){
				table[i].op, table[i].abi == I386,
				table[i].in_size, table[i].out_size };
	return (struct aio_cmd){ .op = AIO_OP_UNKNOWN };
}

void abi_get_mlock(const void *in, bool compat, struct mlock_args *out)
{
	if (compat) {
		struct asyncmlock32 m;

		memcpy(&m, in, sizeof(m));
		out->avaddr = m.avaddr;
		out->asize = m.asize;
	} else {
		ASYNCMLOCK m;

		memcpy(&m, in, sizeof(m));
		out->avaddr = (uintptr_t)m.avaddr;
		out->asize = m.asize;
	}
}

void abi_get_request(const void *in, bool compat, struct request_args *out)
{
	if (compat) {
		struct areqbuf32 r;

		memcpy(&r, in, sizeof(r));
		*out = (struct request_args){ r.au_cmd, r.au_daddr, r.au_maddr,
					      r.au_size, r.au_ref };
	} else {
		AREQBUF r;

		memcpy(&r, in, sizeof(r));
		*out = (struct request_args){ r.au_cmd, r.au_daddr,
					      (uintptr_t)r.au_maddr, r.au_size,
					      (uintptr_t)r.au_ref };
	}
}

size_t abi_put_statuses(void *out, bool compat, const struct status *st,
			size_t n)
{
	if (compat) {
		struct asyncstatus32 *s = out;

		s->acount = (int32_t)n;
		for (size_t i = 0; i < n; i++)
			s->astatus[i] = (struct aiostat32){
				st[i].iostatus, st[i].iobsize,
				(uint32_t)st[i].iomaddr, (uint32_t)st[i].ioref };
		return offsetof(struct asyncstatus32, astatus) +
		       n * sizeof(s->astatus[0]);
	} else {
		ASYNCSTATUS *s = out;

		s->acount = (long)n;
		for (size_t i = 0; i < n; i++)
			s->astatus[i] = (IOSTAT){
				st[i].iostatus, st[i].iobsize,
				(char *)(uintptr_t)st[i].iomaddr,
				(char *)(uintptr_t)st[i].ioref };
		return offsetof(ASYNCSTATUS, astatus) + n * sizeof(s->astatus[0]);
	}
}
