/*
 * aiod.h -- the daemon's shared types and the interfaces between its parts.
 *
 * aiod is split by concern: config.c (tunables, device specifications,
 * config file), abi.c (ioctl numbers and the 64/32-bit argument layouts),
 * callers.c (identifying client processes and moving data to and from their
 * memory), backend.c (O_DIRECT partitions, libaio and the bounce-buffer
 * pool), engine.c (the aio(M) semantics: validation, accounting, completion
 * lists, close waits), frontend_fuse.c and frontend_cuse.c (the kernel
 * front ends), loop.c (the event loop) and log.c.  This header declares what
 * crosses those boundaries and nothing else.
 */
#ifndef AIOD_H
#define AIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AIO_BLOCK	512u	/* au_daddr unit and alignment of transfers */
#define AIO_PAGE	4096u	/* a transfer must stay inside one such page */

/* ---- log.c ---------------------------------------------------------- */

void log_to_syslog(void);
void log_msg(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...)	log_msg(3, __VA_ARGS__)
#define log_warn(...)	log_msg(4, __VA_ARGS__)
#define log_info(...)	log_msg(6, __VA_ARGS__)

/* ---- loop.c --------------------------------------------------------- */

struct loop_source {
	int fd;
	void (*ready)(struct loop_source *src);
};

int loop_init(void);
int loop_add(struct loop_source *src);
void loop_remove(struct loop_source *src);
/* Wait once for events, dispatch them, then run after(); -1 with errno
 * on failure. */
int loop_run_once(int timeout_ms, void (*after)(void));
struct fuse_session;
/* Serve a FUSE or CUSE session's requests from the loop. */
int loop_add_session(struct fuse_session *se);
/* Stop taking new requests (SIGTERM drains what is in flight). */
void loop_pause_sessions(void);
/* True once the kernel ended any session (unmounted, device gone). */
bool loop_session_ended(void);
void loop_shutdown(void);

/* ---- config.c ------------------------------------------------------- */

/* SCO tunable names, modern defaults (aiod(8)). */
struct tunables {
	unsigned naioproc;	/* processes doing AIO at once */
	unsigned naioreq;	/* requests pending, system-wide */
	unsigned naioreqpp;	/* requests pending, per process */
	unsigned naiobuf;	/* page-sized bounce buffers */
	unsigned naiolocktbl;	/* entries in the lock-permission table */
};

struct device_spec {
	char *name;		/* node name below /dev or the FUSE mount */
	char *path;		/* block device or image file */
	uint64_t offset;	/* slice start within path, bytes */
	uint64_t size;		/* slice length, 0 = to the end */
	uid_t owner;
	gid_t group;
	mode_t mode;
};

struct config {
	struct tunables tun;
	struct device_spec *devices;
	size_t ndevices;
};

void config_init(struct config *cfg);
void config_free(struct config *cfg);
/* Each returns 0, or -1 after writing a one-line reason into err. */
int config_set_tunable(struct config *cfg, const char *assignment,
		       char *err, size_t errlen);
int config_add_device(struct config *cfg, const char *spec,
		      char *err, size_t errlen);
int config_load_file(struct config *cfg, const char *path,
		     char *err, size_t errlen);
int config_check_name(const char *name, char *err, size_t errlen);

/* ---- abi.c ---------------------------------------------------------- */

enum aio_op {
	AIO_OP_UNKNOWN,
	AIO_OP_MLOCK,
	AIO_OP_ASTRT,
	AIO_OP_ASTAT,
	AIO_OP_LKTBL_LOAD,	/* scoaio/ioctl.h */
	AIO_OP_INFO,
	AIO_OP_DEVINFO,
	AIO_OP_IDENT,		/* libasync's positional I/O */
	AIO_OP_SEEK,
	AIO_OP_PREAD,
	AIO_OP_PWRITE,
};

/* An ioctl command decoded: which operation and in which ABI. */
struct aio_cmd {
	enum aio_op op;
	bool compat;		/* i386 layout */
	size_t in_size;		/* bytes the kernel copies in */
	size_t out_size;	/* bytes the kernel copies out */
};

/* Arguments and results widened to one layout for both ABIs. */
struct mlock_args {
	uint64_t avaddr;
	uint64_t asize;
};

struct request_args {
	int64_t cmd;
	int64_t daddr;
	uint64_t maddr;
	int64_t size;
	uint64_t ref;
};

struct status {
	int16_t iostatus;
	int16_t iobsize;
	uint64_t iomaddr;
	uint64_t ioref;
};

struct aio_cmd abi_decode(unsigned int cmd, bool compat_caller);
void abi_get_mlock(const void *in, bool compat, struct mlock_args *out);
void abi_get_request(const void *in, bool compat, struct request_args *out);
/* Encodes n (<= MAXSTATUS) statuses; returns the bytes to copy out. */
size_t abi_put_statuses(void *out, bool compat, const struct status *st,
			size_t n);

/* ---- callers.c ------------------------------------------------------ */

/* A client process doing AIO: its memory handle and per-process state. */
struct caller {
	pid_t tgid;
	uid_t uid;
	int memfd;		/* /proc/PID/mem, opened at first contact */
	int pidfd;		/* becomes readable when the process exits */
	bool exited;
	unsigned nreq;		/* request slots held */
	uint64_t lock_addr;	/* DKIOCMLOCK region, lock_size 0 = none */
	uint64_t lock_size;
	bool lock_held;		/* locked: the region restricts transfers */
	struct lock_memory *lock_mem;	/* bounce memory of a held lock */
	unsigned lock_files;	/* open files the region was declared on */
	unsigned pio_busy;	/* positional transfers in flight for it */
	struct loop_source exit_watch;	/* on pidfd */
	struct caller *next;		/* in the caller list */
};

int callers_init(unsigned max_callers);
void callers_shutdown(void);
/* The process of thread tid, created on first contact; NULL and errno
 * (EAGAIN: table full, ESRCH: gone) on failure. */
struct caller *caller_get(pid_t tid, uid_t uid);
/* Drop a caller whose process exited once nothing refers to it. */
void caller_release_if_idle(struct caller *c);
unsigned callers_active(void);
/* Copy between the caller's address space and ours; 0 or an errno. */
int caller_read(struct caller *c, uint64_t addr, void *buf, size_t len);
int caller_write(struct caller *c, uint64_t addr, const void *buf,
		 size_t len);
/* 0 if every page of [addr, addr+len) is mapped in the caller. */
int caller_probe(struct caller *c, uint64_t addr, uint64_t len);

/* ---- locktbl.c ------------------------------------------------------ */

struct lock_entry {
	uid_t uid;
	uint64_t bytes;
};

/* entries: NAIOLOCKTBL; users: the most users that can hold locks. */
int locktbl_init(unsigned entries, unsigned users);
void locktbl_shutdown(void);
/* Add or revise entries (a later one for the same uid wins); replace
 * drops the others.  0, or ENOSPC (more than NAIOLOCKTBL; no change). */
int locktbl_load(const struct lock_entry *e, size_t n, bool replace);
unsigned locktbl_entries(void);
unsigned locks_held(void);
uint64_t locks_bytes(void);
/* Lock c's declared region if the table lets c's user: 0 (locked, or
 * not permitted and so not locked) or ENOMEM. */
int lock_acquire(struct caller *c);
/* Bounce memory for a transfer at maddr inside c's locked region; the
 * transfer holds *mem until it gives it back with lock_buffer_done(), so
 * the memory outlives a lock released meanwhile. */
void *lock_buffer(struct caller *c, uint64_t maddr,
		  struct lock_memory **mem);
void lock_buffer_done(struct lock_memory *mem);
/* Drop c's lock and region (exit, or last declaring file closed). */
void lock_release(struct caller *c);

/* ---- backend.c ------------------------------------------------------ */

struct device_stats {
	uint64_t reads, writes;
	uint64_t bytes_read, bytes_written;
	uint64_t errors;
};

struct device {
	struct device_spec spec;	/* owner, group, mode, name */
	int fd;				/* O_DIRECT */
	uint64_t offset, size;		/* slice within fd */
	struct device_stats stats;
	void *frontend;			/* front end's per-device state */
};

struct backend_io;
typedef void backend_done_fn(struct backend_io *io, long result);

/* One transfer handed to libaio; embedded in the engine's requests. */
struct backend_io {
	struct device *dev;
	bool write;
	uint64_t offset;	/* within the slice, bytes */
	size_t len;
	void *buf;		/* O_DIRECT aligned */
	backend_done_fn *done;
	int submit_error;	/* io_submit's errno, reported via done() */
	struct backend_io *next_waiting;
	unsigned char iocb[64];	/* struct iocb, opaque here */
};

int backend_open_device(struct device *dev, const struct device_spec *spec,
			char *err, size_t errlen);
void backend_close_device(struct device *dev);
int backend_init(unsigned max_inflight, unsigned nbufs);
void backend_shutdown(void);
int backend_eventfd(void);
/* Queue io for the next backend_flush(); its done() runs from
 * backend_reap(), never from these. */
void backend_submit(struct backend_io *io);
void backend_flush(void);
void backend_reap(void);
void *bufpool_get(void);		/* one AIO_PAGE buffer or NULL */
void bufpool_put(void *buf);
unsigned bufpool_free_count(void);

/* ---- engine.c ------------------------------------------------------- */

/* Global request accounting, exact (aioinfo). */
struct engine_stats {
	uint64_t requests_total;	/* DKIOCASTRT accepted since start */
	unsigned requests_active;	/* slots held now */
	unsigned requests_max;		/* most slots held at once */
};

struct aio_file;	/* one open file of a device */

void engine_init(const struct tunables *tun);
const struct engine_stats *engine_stats(void);
const struct tunables *engine_tunables(void);
/* Validation of a DKIOCASTRT against the rules of aio(M): 0 or errno. */
int engine_check_request(const struct request_args *rq,
			 const struct caller *c, uint64_t partition_size);

struct aio_file *engine_open(struct device *dev, int open_flags);
/* Free a file whose open was never answered. */
void engine_discard(struct aio_file *f);
/* The front ends hand every request on an open file to these. */
struct fuse_req;
void engine_ioctl(struct fuse_req *req, struct aio_file *f, unsigned int cmd,
		  uint64_t arg, unsigned int flags, const void *in,
		  size_t in_size, size_t out_size);
void engine_read(struct fuse_req *req, struct aio_file *f, size_t size,
		 int64_t offset);
void engine_write(struct fuse_req *req, struct aio_file *f, const char *buf,
		  size_t size, int64_t offset);
void engine_flush(struct fuse_req *req, struct aio_file *f);
void engine_release(struct fuse_req *req, struct aio_file *f);
/* CUSE ignores file offsets: its front end passes this for "use the
 * position kept for the open file". */
#define ENGINE_FILE_POSITION	(-1)
/* Requests in flight on all files (SIGTERM drains them). */
unsigned engine_inflight(void);
/* Start the transfers accepted since the last call (after each batch of
 * requests, so their replies go out first). */
void engine_start_accepted(void);

/* ---- admin.c -------------------------------------------------------- */

struct fuse_req;
void admin_init(struct device *devs, size_t ndevs);
/* The admin ioctls of scoaio/ioctl.h; each replies to req. */
void admin_lktbl_load(struct fuse_req *req, const void *in);
void admin_info(struct fuse_req *req);
void admin_devinfo(struct fuse_req *req, const void *in);

/* ---- frontend_fuse.c, frontend_cuse.c -------------------------------- */

/* A kernel front end: makes devices openable and feeds the engine. */
struct frontend {
	const char *name;
	/* Create the devices (at 'where' for FUSE); 0 or -1 with err set. */
	int (*start)(struct device *devs, size_t n, const char *where,
		     char *err, size_t errlen);
	/* 1 when every device can be opened, 0 not yet, -1 with err set. */
	int (*ready)(char *err, size_t errlen);
	/* Remove what start created. */
	void (*stop)(void);
};

extern const struct frontend fuse_frontend, cuse_frontend;

#endif /* AIOD_H */
