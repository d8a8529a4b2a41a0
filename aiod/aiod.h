/* SPDX-License-Identifier: MIT */
/*
 * aiod.h -- the daemon's shared types and the interfaces between its parts.
 *
 * aiod is split by concern: config.c (tunables, device specifications,
 * config file), abi.c (ioctl numbers and the 64/32-bit argument layouts),
 * rules.c (the aio(M) argument rules, shared with libasync), callers.c
 * (client processes, their lifetime and their memory), locktbl.c (lock
 * permissions and locked memory), backend.c (O_DIRECT partitions, libaio
 * and the bounce-buffer pool), the engine (engine_file.c: open files and
 * close waits; engine_aio.c: DKIOCMLOCK, DKIOCASTRT, DKIOCASTAT;
 * engine_pio.c: plain and positional transfers), admin.c (the admin
 * ioctls), glue.c (libfuse requests to engine calls, shared by the front
 * ends frontend_fuse.c and frontend_cuse.c), loop.c (the event loop),
 * pidfile.c (the locked pid file), privs.c (capabilities and the
 * system-call filter once serving), direct.c (libasync's direct path:
 * attach socket, tokens, shared pages, credits; attach_msg.c its
 * messages, shared with libasync) and log.c.  Only glue.c and the front
 * ends know libfuse.  This header
 * declares what crosses those boundaries and nothing else.
 *
 * Errors: functions serving a request return 0 or a positive errno; set-up
 * functions return 0 or -1 with a one-line reason in err (failmsg()).
 */
#ifndef AIOD_H
#define AIOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>
#include <sys/types.h>
#include <time.h>

#include "rules.h"
#include <scoaio/direct.h>
#include "common/failmsg.h"
#include "common/latency.h"

/* ---- log.c ---------------------------------------------------------- */

enum log_target {
	LOG_TARGET_DEFAULT,	/* stderr with -f, else syslog */
	LOG_TARGET_STDERR,
	LOG_TARGET_SYSLOG,
	LOG_TARGET_JOURNAL,
	LOG_TARGET_FILE,
};

/* --log=syslog|stderr|journal|FILE (FILE is opened here, absolute); 0 or
 * -1 with err set. */
int log_set_target(const char *arg, char *err, size_t errlen);
/* Messages above level (syslog priority) are dropped; LOG_INFO unless
 * -v (LOG_DEBUG) or -q (LOG_WARNING). */
void log_set_level(int level);
/* Once the options are read: the default target, whether a detached
 * start also echoes messages to standard error, and whether lines on
 * standard error and in files carry timestamps (not for aiod -t). */
void log_start(bool foreground, bool timestamps);
/* Does the target need standard error kept open once detached? */
bool log_needs_stderr(void);
/* Called by the detached daemon before standard error becomes /dev/null:
 * keeps a copy of it for the fallback, ends the echo.  0 or -1. */
int log_detached(char *err, size_t errlen);
void log_msg(int priority, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define log_err(...)	log_msg(3, __VA_ARGS__)
#define log_warn(...)	log_msg(4, __VA_ARGS__)
#define log_info(...)	log_msg(6, __VA_ARGS__)
#define log_debug(...)	log_msg(7, __VA_ARGS__)

/* A rate limit for messages of one kind or one source. */
struct log_budget {
	time_t window;		/* start of the current window */
	unsigned used, suppressed;
};

void log_limited(struct log_budget *b, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The budget of messages about requests of uid's processes. */
struct log_budget *log_user_budget(uid_t uid);

/* ---- pidfile.c ------------------------------------------------------ */

/* Open and lock the pid file (0, or -1 with err: another aiod holds it). */
int pidfile_claim(const char *path, char *err, size_t errlen);
/* Write this process's pid into it (the daemon, once ready). */
int pidfile_write(char *err, size_t errlen);
/* Remove it if this aiod created or wrote it (at exit and in die()). */
void pidfile_remove(void);

/* ---- loop.c --------------------------------------------------------- */

struct loop_source {
	int fd;
	void (*ready)(struct loop_source *src);
};

/* busy_poll_us: the BUSYPOLL tunable (loop.c's header). */
int loop_init(unsigned busy_poll_us);
int loop_add(struct loop_source *src);
void loop_remove(struct loop_source *src);
/* Wait once for events, dispatch them, then run after(); -1 with errno
 * on failure. */
int loop_run_once(int timeout_ms, void (*after)(void));
void loop_shutdown(void);

/* ---- config.c ------------------------------------------------------- */

/* SCO tunable names, modern defaults (aiod(8)). */
struct tunables {
	unsigned naioproc;	/* processes doing AIO at once */
	unsigned naioreq;	/* requests pending, system-wide */
	unsigned naioreqpp;	/* requests pending, per process */
	unsigned naiobuf;	/* page-sized bounce buffers */
	unsigned naiolocktbl;	/* entries in the lock-permission table */
	unsigned naioprocpu;	/* processes doing AIO, per user but root */
	unsigned naioreqpu;	/* requests pending, per user but root */
	unsigned busypoll;	/* microseconds the loop polls after work */
};

struct device_spec {
	char *name;		/* node name below /dev or the FUSE mount */
	char *path;		/* block device or image file */
	uint64_t offset;	/* slice start within path, bytes */
	uint64_t size;		/* slice length, 0 = to the end */
	uid_t owner;
	gid_t group;
	mode_t mode;
	bool readonly;		/* ro: every write refused with EROFS */
	bool writeback;		/* cache=writeback: completion before the
				   data is on stable storage */
	unsigned line;		/* of the config file; 0: command line */
};

struct lock_entry;

#define CONFIG_DEFAULT_FILE	"/etc/scoaio/aiod.conf"
#define CONFIG_DEFAULT_LOCKTABLE	"/etc/aiomemlock.conf"

struct config {
	struct tunables tun;
	struct device_spec *devices;
	size_t ndevices;
	char *locktable;	/* "locktable FILE"; NULL: the default */
	struct lock_entry *locks;	/* its entries, once settings.c read
					   it */
	size_t nlocks;
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
int config_set_locktable(struct config *cfg, const char *path,
			 char *err, size_t errlen);
/* The lock table file: the configured one or the default. */
const char *config_locktable(const struct config *cfg);
/* Read every line of path; each error ("path:line: reason") is passed
 * to report().  Returns the number of errors (0: all applied). */
int config_read_file(struct config *cfg, const char *path,
		     void (*report)(void *ctx, const char *msg), void *ctx);
/* The configuration in the file's syntax, to be read back. */
void config_dump(const struct config *cfg, FILE *out);
int config_check_name(const char *name, char *err, size_t errlen);

/* ---- settings.c ---------------------------------------------------- */

/* Where the configuration comes from: the config file (NULL: the default,
 * if it exists) and the command line's -o and --device, which win. */
struct settings_source {
	const char *file;
	const char **tunables, **devices;
	size_t ntunables, ndevices;
};

/* The file settings_read() reads (or would, if it existed). */
const char *settings_file(const struct settings_source *src);
/* The effective configuration into cfg (config_init()ed here; the caller
 * config_free()s it either way), its lock table read into cfg->locks.
 * Each error is passed to report(); returns how many there were. */
int settings_read(const struct settings_source *src, struct config *cfg,
		  void (*report)(void *ctx, const char *msg), void *ctx);

/* ---- notify.c ------------------------------------------------------ */

/* sd_notify(3) when systemd started aiod (NOTIFY_SOCKET), each with a
 * STATUS= line from fmt; nothing otherwise. */
void notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_reloading(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
void notify_stopping(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* ---- reload.c ------------------------------------------------------ */

struct frontend;

/* Open cfg's devices (copies: cfg may be freed) and remember its
 * tunables; 0, or -1 with err naming the device. */
int reload_open(const struct config *cfg, char *err, size_t errlen);
struct device *const *reload_devices(size_t *n);
/* From now on src is re-read on reload_apply(), fe serves the devices. */
void reload_serve(const struct frontend *fe,
		  const struct settings_source *src);
/* SIGHUP: read the configuration and the lock table again and apply
 * them, or, if anything in them is wrong, log why and change nothing. */
void reload_apply(void);
/* After each batch of the event loop: remove retiring devices no file
 * has open, finish a reload whose new devices have become ready.
 * Returns true while a reload waits for its devices. */
bool reload_poll(void);
void reload_shutdown(void);

/* ---- abi.c ---------------------------------------------------------- */

enum aio_op {
	AIO_OP_UNKNOWN,
	AIO_OP_MLOCK,
	AIO_OP_ASTRT,
	AIO_OP_ASTAT,
	AIO_OP_LKTBL_LOAD,	/* scoaio/ioctl.h */
	AIO_OP_INFO,
	AIO_OP_DEVINFO,
	AIO_OP_DAEMON,
	AIO_OP_LOCKS,
	AIO_OP_TRACE_OPEN,	/* aiotrace */
	AIO_OP_TRACE_READ,
	AIO_OP_IDENT,		/* libasync's positional I/O */
	AIO_OP_SEEK,
	AIO_OP_PREAD,
	AIO_OP_PWRITE,
	AIO_OP_ATTACH,		/* scoaio/direct.h */
};

/* An ioctl command decoded: which operation and in which ABI. */
struct aio_cmd {
	enum aio_op op;
	bool compat;		/* i386 layout */
	size_t in_size;		/* bytes the kernel copies in */
	size_t out_size;	/* bytes the kernel copies out */
};

/* Arguments and results come widened to rules.h's layouts. */
struct aio_cmd abi_decode(unsigned int cmd, bool compat_caller);
void abi_get_mlock(const void *in, bool compat, struct mlock_args *out);
void abi_get_request(const void *in, bool compat, struct request_args *out);
/* Encodes n (<= MAXSTATUS) statuses; returns the bytes to copy out. */
size_t abi_put_statuses(void *out, bool compat, const struct status *st,
			size_t n);

/* ---- callers.c ------------------------------------------------------ */

/* Who sent a request, as the kernel reports it (never the client). */
struct requester {
	pid_t tid;
	uid_t uid;
	gid_t gid;
};

struct mem_lock;
struct direct_session;

/* A client process doing AIO.  callers.c owns its identity, memory handle
 * and lifetime; the engine owns the aio(M) state below.  It lives while
 * its process does and as long as anything holds a reference to it. */
struct caller {
	pid_t tgid;
	uid_t uid;
	gid_t gid;
	int memfd;		/* /proc/PID/mem of the first contact's image,
				   to notice when that image ends; open until
				   the caller is freed */
	int pidfd;		/* becomes readable when the process exits */
	bool exited;		/* exited or exec'd: memory unreachable */
	unsigned refs;		/* caller_hold()s, plus one while alive */
	struct loop_source exit_watch;	/* on pidfd */
	LIST_ENTRY(caller) link;	/* every caller, for shutdown */

	/* The engine's: */
	unsigned nreq;			/* request slots held (NAIOREQPP) */
	struct aio_region region;	/* DKIOCMLOCK */
	struct mem_lock *lock;		/* granted lock of the region */
	unsigned region_files;		/* open files it was declared on */
	bool region_on_loop;		/* root's locked region, all private
					   anonymous memory when declared:
					   its copies run on the loop */
	struct direct_session *direct;	/* its attach connection, or NULL */
};

/* retired(c) runs once when c's process exits or replaces its image. */
int callers_init(void (*retired)(struct caller *c));
void callers_shutdown(void);
/* The process behind a request, created on first contact; borrowed, so
 * valid until the event loop next waits unless held.  0, or EAGAIN
 * (no process left in its user's share), ESRCH (gone) or ENOMEM. */
int caller_get(const struct requester *who, struct caller **out);
void caller_hold(struct caller *c);
void caller_put(struct caller *c);
/* c's first image has gone (the process executed a new program): its
 * next request starts afresh. */
void caller_image_ended(struct caller *c);
unsigned callers_active(void);
/* fn(c, arg) for every live caller. */
void callers_foreach(void (*fn)(struct caller *c, void *arg), void *arg);

/* ---- quota.c -------------------------------------------------------- */

int quota_init(const struct tunables *tun);
void quota_shutdown(void);
/* One more process or request slot for a process of uid: 0 or EAGAIN. */
int quota_take_process(uid_t uid);
void quota_put_process(uid_t uid);
int quota_take_request(uid_t uid);
void quota_put_request(uid_t uid);

/* ---- clientmem.c ---------------------------------------------------- *
 * A requester's memory, touched by worker threads (or, for root's locked
 * anonymous region only, by the loop), and only as bound to the image the
 * requester has while it waits in its ioctl.
 * Outcomes are 0 or EFAULT (an address the client itself could not use
 * so), ESRCH (gone) or EAGAIN. */

enum mem_op {
	MEM_READ,	/* copy [addr, addr+len) of tid's image into buf */
	MEM_WRITABLE,	/* could tid write every page of it? */
	MEM_BIND,	/* open a handle on tid's image into memfd (as
			   clientmem_bind does), then as MEM_WRITABLE */
	MEM_DELIVER,	/* write buf at addr of the image bound to memfd */
	MEM_MAPPED,	/* is every byte of it mapped in tid's image?  and
			   (anonymous) all in private anonymous memory? */
};

/* A job for the workers, embedded in what waits for it.  Everything but
 * err, image_ended and a BIND's memfd is the submitter's, and stays as it
 * was given. */
struct mem_job {
	enum mem_op op;
	uid_t uid;		/* whose share of the workers it takes */
	pid_t tid;		/* READ, WRITABLE, MAPPED: the requester, which
				   waits in its ioctl until done() */
	int memfd;		/* DELIVER: from clientmem_bind() or MEM_BIND;
				   BIND: -1, set by the worker */
	uint64_t addr;
	void *buf;
	uint64_t len;
	int image_fd;		/* a caller's first image, or -1 */
	/* On the worker, right after the access, may answer the client that
	 * waits, so that it need not wait for the loop; it touches only
	 * what the job owns.  Then done(), on the event loop. */
	void (*answer)(struct mem_job *job);
	void (*done)(struct mem_job *job);
	int err;
	bool image_ended;	/* image_fd's address space has gone */
	bool anonymous;		/* MAPPED: no byte of it is in a file or
				   shared mapping */
	STAILQ_ENTRY(mem_job) link;
};

int clientmem_init(void);
void clientmem_shutdown(void);
/* Run j on a worker and j->done(j) on the loop once it has; 0, or ENOMEM
 * (j is not run). */
int clientmem_submit(struct mem_job *j);
/* Run j here and now, then j->done(j): for the event loop, only for
 * memory that cannot stall it (the engine's fast path, engine_aio.c). */
void clientmem_run_here(struct mem_job *j);
/* Jobs submitted and not yet done (SIGTERM's drain waits for them). */
unsigned clientmem_unfinished(void);
/* A handle on tid's present image, for MEM_DELIVER later; needs no access
 * to the client's memory, so the loop may call it. */
int clientmem_bind(pid_t tid, int *memfd);

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
/* Users with an entry or locked memory (0 .. locktbl_users()-1): uid, its
 * allowance (0 without an entry) and the bytes its processes lock now. */
unsigned locktbl_users(void);
void locktbl_user(unsigned i, uid_t *uid, uint64_t *bytes, uint64_t *in_use);
unsigned locktbl_locks(void);
uint64_t locktbl_locked_bytes(void);
/* Lock [addr, addr+size) for process pid of uid if the table lets uid:
 * 0 with *lock (NULL: not permitted, nothing locked), or ENOMEM. */
int locktbl_acquire(uid_t uid, pid_t pid, uint64_t addr, uint64_t size,
		 struct mem_lock **lock);
/* Bounce memory for a transfer at maddr inside the locked region; the
 * transfer holds the lock's memory until locktbl_buffer_done(), so it
 * outlives a lock released meanwhile. */
void *locktbl_buffer(struct mem_lock *lock, uint64_t maddr);
void locktbl_buffer_done(struct mem_lock *lock);
void locktbl_release(struct mem_lock *lock);

/* ---- backend.c ------------------------------------------------------ */

struct device_stats {
	uint64_t reads, writes;
	uint64_t bytes_read, bytes_written;
	uint64_t errors;
	uint64_t inflight;		/* transfers started, not ended */
	struct latency_hist latency[2];	/* DKIOCASTRT reads [0], writes [1] */
};

struct backing;

struct device {
	struct device_spec spec;	/* owner, group, mode, name */
	struct backing *backing;	/* the open shared by its slices */
	int fd;				/* the backing's: O_DIRECT, O_DSYNC
					   unless cache=writeback */
	uint64_t offset, size;		/* slice within fd */
	int direct_fd;			/* a slice's dm-linear device of
					   exactly its extent, or -1 */
	enum aio_direct_reason slice_direct;	/* a slice's direct path:
					   OK with direct_fd, or why not */
	bool readonly;			/* ro, or the backing is read-only */
	struct device_stats stats;
	struct log_budget errlog;	/* failed transfers' messages */
	unsigned nopen;			/* open files (engine_file.c) */
	bool retiring;			/* removed by a reload: no new opens;
					   goes once nopen is 0 (reload.c) */
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
	STAILQ_ENTRY(backend_io) queued;	/* waiting, or failed */
	unsigned char iocb[64];	/* struct iocb, opaque here */
};

/* Open spec's partition: slices of one backing share one open (one fd, one
 * exclusive claim: O_EXCL for a block device, an OFD lock for an image
 * file), so they must agree on ro and cache=.  A backing that is read-only
 * without ro is served read-only with a warning. */
int backend_open_device(struct device *dev, const struct device_spec *spec,
			char *err, size_t errlen);
void backend_close_device(struct device *dev);
/* Before the first device is opened: remove the dm-linear devices a
 * killed aiod left (dmlinear_remove_stale), which would hold backings. */
void backend_remove_stale_direct(void);
/* At start-up, while aiod has its privileges: give each of the n devices
 * that is a slice strictly inside a block device a dm-linear device of
 * its extent (dmlinear.h) for the direct path; the slice's backing is
 * then held exclusively by device-mapper instead of by aiod.  Without
 * device-mapper, or if creating one fails (logged), the slice stays on
 * the ioctl path; slices opened later (a reload) never get one.  -1 (err
 * says why) if a backing left with no table cannot be held exclusively
 * again: aiod must not serve it. */
int backend_prepare_direct(struct device *const *devs, size_t n, char *err,
			   size_t errlen);
/* May a client of dev get a descriptor of it (AIO_DIRECT_OK), or why
 * not. */
enum aio_direct_reason backend_direct(const struct device *dev);
/* A descriptor of dev's partition for a direct-path client, open for
 * what the client's own open file allows and no more (never for writing
 * a read-only dev): fd, or -errno (-EPERM: see backend_direct). */
int backend_open_for_client(const struct device *dev, bool readable,
			    bool writable);
bool backend_writeback(const struct device *dev);
int backend_init(unsigned max_inflight, unsigned nbufs);
void backend_shutdown(void);
int backend_eventfd(void);
/* Transfers handed to the backend and not yet done()? */
bool backend_busy(void);
/* Queue io for the next backend_flush(); its done() runs from
 * backend_reap(), never from these. */
void backend_submit(struct backend_io *io);
void backend_flush(void);
void backend_reap(void);
void *backend_buf_get(void);		/* one AIO_PAGE buffer or NULL */
void backend_buf_put(void *buf);
unsigned backend_bufs_free(void);

/* ---- engine_file.c, engine_aio.c, engine_pio.c ----------------------
 *
 * The aio(M) semantics, knowing nothing of the transport.  Calls that
 * finish at once return 0 or an errno.  Calls that finish later (plain
 * and positional transfers, a close waiting for transfers) take an
 * engine_call the transport embeds in its pending request; the engine
 * calls its done() exactly once, from the event loop.
 */

/* Global request accounting, exact (aioinfo). */
struct engine_stats {
	uint64_t requests_total;	/* DKIOCASTRT accepted since start */
	unsigned requests_active;	/* slots held now */
	unsigned requests_max;		/* most slots held at once */
};

struct engine_call;
/* err 0 or an errno; n bytes moved; data: what a read() returns (NULL
 * when the bytes went to a caller's memory or were written).  Called on
 * the event loop, or (engine_start accepting a request) on a memory
 * worker. */
typedef void engine_done_fn(struct engine_call *call, int err,
			    const void *data, size_t n);
struct engine_call {
	engine_done_fn *done;
	STAILQ_ENTRY(engine_call) waiting;	/* the engine's, while held */
};

struct aio_file;	/* one open file of a device */

void engine_init(const struct tunables *tun);
const struct engine_stats *engine_stats(void);
const struct tunables *engine_tunables(void);
/* callers.c's retired(): a gone process loses its lock and region. */
void engine_caller_retired(struct caller *c);

/* NULL with errno ENOMEM, EROFS for a write open of a read-only
 * device, or ENXIO for a retiring one. */
struct aio_file *engine_open(struct device *dev, int open_flags);
/* Free a file whose open was never answered. */
void engine_discard(struct aio_file *f);
uint64_t engine_file_size(const struct aio_file *f);
struct device *engine_file_device(const struct aio_file *f);
/* The open file's id (unique while aiod runs) and the directions it was
 * opened for. */
uint64_t engine_file_id(const struct aio_file *f, bool *readable,
			bool *writable);
/* Answered once the file's transfers have ended; release frees f. */
void engine_flush(struct aio_file *f, struct engine_call *call);
void engine_release(struct aio_file *f, struct engine_call *call);
/* Requests in flight on all files (SIGTERM drains them). */
unsigned engine_inflight(void);

/* DKIOCMLOCK, DKIOCASTRT and DKIOCASTAT, answered once what they need of
 * the caller's memory has been done.  engine_collect answers with up to
 * MAXSTATUS statuses (data: struct status[n]) once the caller could write
 * [out_addr, out_addr+out_size), where the kernel will copy them. */
void engine_mlock(struct aio_file *f, struct engine_call *call,
		  const struct requester *who, const struct mlock_args *m);
void engine_start(struct aio_file *f, struct engine_call *call,
		  const struct requester *who, const struct request_args *rq);
void engine_collect(struct aio_file *f, struct engine_call *call,
		    const struct requester *who, uint64_t out_addr,
		    size_t out_size);
/* Start the transfers accepted since the last call (after each batch of
 * requests, so their replies go out first). */
void engine_start_accepted(void);

/* read() and write() at offset, or for front ends without offsets
 * (CUSE) at ENGINE_FILE_POSITION, the position kept for the open file. */
#define ENGINE_FILE_POSITION	(-1)
void engine_read(struct aio_file *f, struct engine_call *call, size_t size,
		 int64_t offset);
void engine_write(struct aio_file *f, struct engine_call *call,
		  const void *data, size_t size, int64_t offset);
/* libasync's positional I/O (scoaio/ioctl.h): the file position, and
 * transfers between the partition and the caller's memory. */
int engine_seek(struct aio_file *f, int64_t offset, int whence,
		int64_t *result);
void engine_pio(struct aio_file *f, struct engine_call *call,
		const struct requester *who, bool write, uint64_t addr,
		uint64_t len, int64_t offset);

/* ---- stats.c -------------------------------------------------------- */

struct aio_daemon;
void stats_init(void);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t stats_clock_ns(void);
/* A DKIOCASTRT on dev accepted at accepted_ns has completed: its latency,
 * recorded in dev's histogram of its direction. */
uint64_t stats_request_done(struct device *dev, bool write,
			    uint64_t accepted_ns);
void stats_daemon(struct aio_daemon *d);

/* ---- trace.c -------------------------------------------------------- *
 * aiotrace's sessions (scoaio/ioctl.h).  trace_on is true while any
 * tracer is open; every hook is called only behind a test of it.  The
 * call hooks may run on memory workers, the rest on the event loop. */

extern _Atomic bool trace_on;

struct aio_trace_rec;
struct aio_trace_batch;
void trace_shutdown(void);
/* Make the open file 'file' (an engine file, only compared) a tracer of
 * who's view, of one pid or all: 0, EBUSY (already one), EAGAIN (too many
 * tracers) or ENOMEM. */
int trace_open(const void *file, const struct requester *who, pid_t pid);
/* Take up to AIO_TRACE_BATCH records of file's tracer: 0 or EINVAL. */
int trace_read(const void *file, struct aio_trace_batch *out);
/* Tracers open now. */
uint32_t trace_tracers(void);
/* file is closing: its tracer, if any, ends. */
void trace_file_closed(const void *file);
/* An aio(M) call answered (AIO_TRACE_MLOCK, _ASTRT, _ASTAT) or a
 * transfer completed (AIO_TRACE_DONE) for thread pid of uid on dev: rec
 * holds the kind and the arguments; this adds the time, pid, uid and
 * device and hands it to every tracer that may see it. */
void trace_record(const struct device *dev, pid_t pid, uid_t uid,
		  struct aio_trace_rec *rec);

/* ---- admin.c -------------------------------------------------------- */

struct aio_lktbl;
struct aio_info;
struct aio_devinfo;
struct aio_locks;
/* The devices aioinfo lists (reload.c's set, again after each change). */
void admin_init(struct device *const *devs, size_t ndevs);
/* The admin ioctls of scoaio/ioctl.h: 0 or an errno. */
int admin_lktbl_load(const struct requester *who, const struct aio_lktbl *t);
void admin_info(struct aio_info *info);
int admin_devinfo(struct aio_devinfo *d);
/* dev's index among the devices listed, as AIOC_DEVINFO numbers them, or
 * 0xffff if it is not listed (retired by a reload). */
unsigned admin_device_index(const struct device *dev);
int admin_locks(struct aio_locks *l);

/* ---- direct.c ------------------------------------------------------ *
 * The direct path's control side: AIOC_ATTACH tokens, the attach socket
 * served from the event loop, each attached process's shared page and
 * its request credits (reserved in quota.c, returned when its connection
 * ends: exit, exec, or libasync's fork handler). */

/* Bind the abstract socket and watch it (before privs_drop). */
int direct_init(char *err, size_t errlen);
void direct_shutdown(void);
/* AIOC_ATTACH on f for who: 0 with *out filled (out->direct says whether
 * a token was given), or an errno. */
int direct_issue(struct aio_file *f, const struct requester *who,
		 struct aio_attach *out);
/* c's process has exited or executed a program: its tokens go. */
void direct_caller_retired(struct caller *c);
/* Direct requests c holds now (clamped to its credits). */
unsigned direct_held(const struct caller *c);
/* Take back credits attached processes hold unused; true if any. */
bool direct_reclaim(void);
/* c's DKIOCMLOCK region changed: tell its shared page. */
void direct_region_changed(const struct caller *c);
/* aiotrace: while on, libasync sends new requests through the ioctl
 * path, where they are traced. */
void direct_set_tracing(bool on);
/* aioinfo's figures of the direct path (max: the most requests one
 * attached process held at once). */
void direct_counts(uint32_t *procs, uint32_t *active, uint32_t *max,
		   uint64_t *total);
/* dev's figures for AIOC_DEVINFO: its own, and those of the attached
 * processes' slots for it (their requests in flight included). */
void direct_device_stats(const struct device *dev, struct device_stats *out);
/* dev is going (reload): its tokens go, and no slot names it again. */
void direct_device_removed(const struct device *dev);

/* ---- glue.c, frontend_fuse.c, frontend_cuse.c ------------------------ */

/* A kernel front end: makes devices openable and feeds the engine.  A
 * retiring device refuses new opens in the engine (ENXIO); the FUSE front
 * end also stops listing and finding it. */
struct frontend {
	const char *name;
	/* Create the devices (at 'where' for FUSE); 0 or -1 with err set. */
	int (*start)(struct device *const *devs, size_t n, const char *where,
		     char *err, size_t errlen);
	/* 1 when every device can be opened, 0 not yet, -1 with err set. */
	int (*ready)(char *err, size_t errlen);
	/* While serving (a reload): add a device (ready() then tells when it
	 * can be opened), 0 or -1 with err set; remove one that no file has
	 * open; apply a device's new owner, group and mode. */
	int (*add)(struct device *dev, char *err, size_t errlen);
	void (*remove)(struct device *dev);
	void (*update)(struct device *dev);
	/* Remove what start and add created. */
	void (*stop)(void);
};

extern const struct frontend fusefe_frontend, cusefe_frontend;

/* Stop taking new requests (SIGTERM drains what is in flight). */
void glue_pause_sessions(void);
/* True once the kernel ended any session (unmounted, device gone). */
bool glue_session_ended(void);
void glue_shutdown(void);

/* ---- privs.c ------------------------------------------------------- */

/* In every thread: no_new_privs, only the capabilities aiod(8) lists
 * (CAP_SYS_ADMIN only for the FUSE front end's unmount), then, unless
 * seccomp is false, the system-call allow-list; a SIGSYS report goes to
 * syslog too if detached.  0, or -1 with err set. */
int privs_drop(bool fuse, bool seccomp, bool detached, char *err,
	       size_t errlen);

#endif /* AIOD_H */
