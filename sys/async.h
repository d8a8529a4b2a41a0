/* SPDX-License-Identifier: MIT */
/*
 * <sys/async.h> -- SCO UNIX asynchronous raw-disk I/O interface, aio(M).
 *
 * This header gives SCO UNIX / OpenServer programs the structures, command
 * bits and ioctl commands of aio(M) under the names they were written
 * against, so that their source compiles unchanged on Linux, where the
 * ioctls are served by aiod(8) on its raw-partition devices (see aio(4)).
 * The ioctl numbers are scoaio's own (SCO's were never published); they are
 * _IOC-encoded with the size of the argument structure, so 32-bit and 64-bit
 * programs use different numbers and the kernel copies the argument for the
 * daemon.  The header is valid C89, C99, C11 and C++.
 */
#ifndef _SYS_ASYNC_H
#define _SYS_ASYNC_H

#include <sys/ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* DKIOCMLOCK argument: the one memory region a process uses for AIO. */
typedef struct asyncmlock {
	char *avaddr;		/* starting user virtual address */
	unsigned int asize;	/* size of the area to be locked, bytes */
} ASYNCMLOCK;

/* DKIOCASTRT argument: one asynchronous transfer. */
typedef struct areqbuf {
	long au_cmd;		/* AU_READ or AU_WRITE */
	long au_daddr;		/* 512-byte block number within the partition */
	char *au_maddr;		/* user address, 512-byte aligned */
	long au_size;		/* bytes, a multiple of 512, within one 4K page */
	char *au_ref;		/* caller's context, returned in the status */
} AREQBUF;

/* Command bits for au_cmd. */
#define AU_READ		01
#define AU_WRITE	02

/* Completion status of one request. */
typedef struct aiostat {
	short iostatus;		/* 0, or an errno value */
	short iobsize;		/* bytes transferred */
	char *iomaddr;		/* au_maddr of the request */
	char *ioref;		/* au_ref of the request */
} IOSTAT;

#define MAXSTATUS	15

/* DKIOCASTAT result: up to MAXSTATUS completions. */
typedef struct asyncstatus {
	long acount;		/* number of valid entries in astatus */
	IOSTAT astatus[MAXSTATUS];
} ASYNCSTATUS;

#define AIO_IOC_MAGIC	0xA5

#define DKIOCMLOCK	_IOW(AIO_IOC_MAGIC, 1, ASYNCMLOCK)
#define DKIOCASTRT	_IOW(AIO_IOC_MAGIC, 2, AREQBUF)
#define DKIOCASTAT	_IOR(AIO_IOC_MAGIC, 3, ASYNCSTATUS)

#ifdef __cplusplus
}
#endif

#endif /* _SYS_ASYNC_H */
