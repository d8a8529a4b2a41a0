/* SPDX-License-Identifier: MIT */
/*
 * aioattack.c -- the attacks of issue 15 as tests: one named test per way
 * an unprivileged user ("nobody" by default) could read or write another
 * user's data through aiod, write into pages the kernel would not let it
 * write, freeze or slow the daemon for everyone, take all of its request
 * slots or process slots, or flood its log.  Each test passes only if
 * aiod withstands the attack.  It runs as root, against a running aiod
 * serving three partitions under MOUNT_DIR: rroot (root's), rshared (mode
 * 0666, the attacker's) and rvictim (owned by the victim user, mode 0600),
 * and drops privileges in the processes that play attacker and victim.
 * Every test runs in a process group of its own under a deadline, and
 * every wait inside it is bounded, so a test that finds aiod frozen fails
 * and cleans up instead of hanging.  The three freeze tests end by
 * stopping aiod with SIGTERM (timing its exit), so they run last.  Where an attack
 * depends on the order in which aiod sees events, the test freezes aiod
 * with SIGSTOP to set up the order a busy aiod would see.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <link.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/async.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <scoaio/ioctl.h>

#include "attack.h"

#define PAGE		4096
#define BLOCK		512

/* Bounds the tests hold aiod to. */
#define ROUND_TRIP_MAX_US	1000000	/* a root request under a freeze */
#define SIGTERM_EXIT_MAX_MS	10000	/* aiod's exit after SIGTERM */
#define MLOCK_CALL_MAX_US	500000	/* one DKIOCMLOCK probe */
#define MLOCK_ROOT_MAX_US	1000000	/* root's requests meanwhile */
#define LOG_GROWTH_MAX		20000	/* bytes in LOG_FLOOD_SECONDS */
#define LOG_FLOOD_SECONDS	5
#define STALL_WATCH_MS		3000	/* how long root is watched */
#define MLOCK_ATTACKERS		6
#define MLOCK_FLOOD_MS		3000
#define MLOCK_PROBE_SIZE	0xFFFFF000u
#define HOGS			5	/* fair_share_requests */
#define PID_REUSE_ROUNDS	4
#define STATUS_WAIT_MS		2000

struct settings {
	const char *mnt;
	const char *victim_client;	/* -x */
	const char *backing;		/* -b PATH@OFFSET: rvictim's bytes */
	uint64_t backing_offset;
	const char *pidfile;		/* -p: aiod's */
	const char *logfile;		/* -L: aiod's standard error */
	const char *aioinfo;		/* -i */
	const char *stallfs;		/* -s */
	uid_t attacker_uid, victim_uid;
	gid_t attacker_gid, victim_gid;
	unsigned aiod_conn;		/* /sys/fs/fuse/connections/N */
	bool have_conn;
};

static struct settings cfg;

/* ---- reporting ------------------------------------------------------- */

/* One test's verdict and words, in memory shared by all its processes. */
struct report {
	bool failed;
	pid_t aiod_stopped;	/* cleanup: SIGCONT this aiod */
	bool abort_aiod_conn;	/* cleanup: abort aiod's FUSE connection */
	char stall_dir[256];	/* cleanup: the attacker's FUSE mount */
	size_t len;
	char text[4096];
};

static struct report *report;

static void vappend(const char *fmt, va_list ap)
{
	size_t room = sizeof(report->text) - report->len;
	int n;

	if (report->len && room > 2) {
		memcpy(report->text + report->len, "; ", 2);
		report->len += 2;
		room -= 2;
	}
	n = vsnprintf(report->text + report->len, room, fmt, ap);
	if (n > 0)
		report->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* Words for the PASS or FAIL line. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(fmt, ap);
	va_end(ap);
}

/* A reason the test fails. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	report->failed = true;
	va_start(ap, fmt);
	vappend(fmt, ap);
	va_end(ap);
}

/* ---- processes and time ---------------------------------------------- */

static int64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("aioattack: mmap");
		exit(2);
	}
	return p;
}

static void become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		_exit(125);
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* cleared by the uid change */
}

static void become_attacker(void)
{
	become(cfg.attacker_uid, cfg.attacker_gid);
}

/* Run fn(arg) in a child, which exits when it returns. */
static pid_t spawn(void (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	return pid;
}

/* Reap pid within timeout_ms: true, with its wait status in *status. */
static bool wait_for(pid_t pid, int64_t timeout_ms, int *status)
{
	int64_t end = now_us() + timeout_ms * 1000;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			return r == pid;
		if (now_us() >= end)
			return false;
		usleep(2000);
	}
}

static void kill_and_reap(pid_t pid)
{
	int status;

	if (pid > 0) {
		kill(pid, SIGKILL);
		wait_for(pid, 2000, &status);
	}
}

/* ---- aio(M) requests --------------------------------------------------- */

static char *part_path(const char *name)
{
	static char paths[4][512];
	static unsigned next;
	char *p = paths[next++ % 4];

	snprintf(p, sizeof(paths[0]), "%s/%s", cfg.mnt, name);
	return p;
}

static int open_part(const char *name)
{
	return open(part_path(name), O_RDWR | O_CLOEXEC);
}

/* DKIOCASTRT: 0 or the errno. */
static int astrt(int fd, long cmd, long block, void *maddr, long size)
{
	AREQBUF rq = { cmd, block, maddr, size, maddr };

	return ioctl(fd, DKIOCASTRT, &rq) ? errno : 0;
}

/* Poll DKIOCASTAT for one status: 0, ETIMEDOUT or DKIOCASTAT's errno. */
static int await_status(int fd, int64_t timeout_ms, IOSTAT *out)
{
	int64_t end = now_us() + timeout_ms * 1000;
	ASYNCSTATUS st;

	for (;;) {
		if (ioctl(fd, DKIOCASTAT, &st))
			return errno;
		if (st.acount > 0) {
			*out = st.astatus[0];
			return 0;
		}
		if (now_us() >= end)
			return ETIMEDOUT;
		usleep(100);
	}
}

/* A whole transfer: 0, or the errno at DKIOCASTRT or in iostatus. */
static int transfer(int fd, long cmd, long block, void *maddr, long size)
{
	IOSTAT st;
	int err = astrt(fd, cmd, block, maddr, size);

	if (!err)
		err = await_status(fd, STATUS_WAIT_MS, &st);
	return err ? err : st.iostatus;
}

static void *page_alloc(size_t pages)
{
	void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static bool aiod_info(struct aio_info *info)
{
	int fd = open_part("rroot");
	bool ok = fd >= 0 && ioctl(fd, AIOC_INFO, info) == 0;

	if (!ok)
		fail("AIOC_INFO on rroot: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

/* ---- a root client, timed ---------------------------------------------- */

/* A root process reading 4 KiB from rroot again and again, timing each
 * DKIOCASTRT with its DKIOCASTAT polling; the one in progress counts too,
 * so a client aiod never answers shows as late. */
struct root_probe {
	volatile int64_t worst_us;
	volatile int64_t started_us;	/* the request in progress; 0: none */
	volatile long ops;
	volatile int err;
	volatile bool stop;
};

static void root_probe_run(void *arg)
{
	struct root_probe *p = arg;
	void *buf = page_alloc(1);
	int fd = open_part("rroot");

	if (fd < 0 || !buf) {
		p->err = errno;
		return;
	}
	while (!p->stop) {
		int64_t t0 = now_us(), lat;
		int err;

		p->started_us = t0;
		err = transfer(fd, AU_READ, p->ops % 64 * 8, buf, PAGE);
		lat = now_us() - t0;
		if (lat > p->worst_us)
			p->worst_us = lat;
		p->started_us = 0;
		if (err) {
			p->err = err;
			return;
		}
		p->ops++;
		usleep(5000);
	}
}

static int64_t probe_worst_us(const struct root_probe *p)
{
	int64_t started = p->started_us, worst = p->worst_us;

	if (started && now_us() - started > worst)
		worst = now_us() - started;
	return worst;
}

/* Start the probe and wait for its first answer (aiod still works). */
static pid_t root_probe_start(struct root_probe *p)
{
	pid_t pid = spawn(root_probe_run, p);
	int64_t end = now_us() + 3000000;

	while (pid > 0 && p->ops == 0 && !p->err && now_us() < end)
		usleep(1000);
	if (p->ops == 0) {
		fail("the root client got no answer before the attack (%s)",
		     p->err ? strerror(p->err) : "timed out");
		kill_and_reap(pid);
		return -1;
	}
	return pid;
}

/* ---- aiod itself --------------------------------------------------------- */

static pid_t aiod_pid(void)
{
	FILE *f = fopen(cfg.pidfile, "r");
	int pid = -1;

	if (!f || fscanf(f, "%d", &pid) != 1)
		pid = -1;
	if (f)
		fclose(f);
	return pid;
}

/* SIGTERM aiod and time its exit: milliseconds, or -1 past the bound. */
static int64_t stop_aiod_timed(void)
{
	pid_t pid = aiod_pid();
	int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	struct pollfd pfd = { pidfd, POLLIN, 0 };
	int64_t t0 = now_us();
	int n;

	if (pidfd < 0) {
		fail("no aiod process in %s", cfg.pidfile);
		return -1;
	}
	kill(pid, SIGTERM);
	n = poll(&pfd, 1, SIGTERM_EXIT_MAX_MS);
	close(pidfd);
	return n == 1 ? (now_us() - t0) / 1000 : -1;
}

static void abort_fuse_conn(unsigned conn)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort",
		 conn);
	fd = open(path, O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			fprintf(stderr, "aioattack: %s: %s\n", path,
				strerror(errno));
		close(fd);
	}
}

/* aioinfo --json on rroot, answering within 1 s? */
static bool aioinfo_answers(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(cfg.aioinfo, cfg.aioinfo, "--json", part_path("rroot"),
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return false;
	if (wait_for(pid, 1000, &status))
		return WIFEXITED(status) && WEXITSTATUS(status) == 0;
	kill_and_reap(pid);
	return false;
}

/* ---- the disk, read past aiod ------------------------------------------ */

/* Read 4 KiB of rvictim at block from the backing store with O_DIRECT. */
static bool read_victim_disk(long block, unsigned char *out)
{
	void *buf = page_alloc(1);
	int fd = open(cfg.backing, O_RDONLY | O_DIRECT | O_CLOEXEC);
	bool ok = fd >= 0 && buf &&
		  pread(fd, buf, PAGE, (off_t)(cfg.backing_offset +
					       (uint64_t)block * BLOCK)) == PAGE;

	if (ok)
		memcpy(out, buf, PAGE);
	else
		fail("cannot read %s: %s", cfg.backing, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (buf)
		munmap(buf, PAGE);
	return ok;
}

/* Check the disk holds the victim's pattern of seed at block. */
static void check_victim_disk(long block, unsigned seed)
{
	unsigned char disk[PAGE];

	if (!read_victim_disk(block, disk))
		return;
	for (unsigned i = 0; i < PAGE; i++)
		if (disk[i] != victim_pattern(seed, i)) {
			fail("disk byte %u is 0x%02x, not the victim's 0x%02x",
			     i, disk[i], victim_pattern(seed, i));
			return;
		}
}

/* ---- the attacker's copy of the victim's area ---------------------------- */

static unsigned char sentinel(unsigned page)
{
	return (unsigned char)(0xA0 + page);
}

/* Map the victim's addresses in the attacker, each page its own byte. */
static char *map_victim_area(void)
{
	char *a = mmap((void *)VICTIM_AREA_ADDR,
		       VICTIM_AREA_PAGES * VICTIM_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (a != (char *)VICTIM_AREA_ADDR)
		return NULL;
	for (unsigned p = 0; p < VICTIM_AREA_PAGES; p++)
		memset(a + p * VICTIM_PAGE, sentinel(p), VICTIM_PAGE);
	return a;
}

/* Offset of the first byte that is no longer the sentinel, or -1. */
static long sentinel_broken(const char *a)
{
	for (long i = 0; i < VICTIM_AREA_PAGES * VICTIM_PAGE; i++)
		if ((unsigned char)a[i] != sentinel((unsigned)(i / PAGE)))
			return i;
	return -1;
}

/* Run the victim's client on partition (a path or fd:N) with stdout
 * into out_fd (never returns). */
static void exec_victim(int out_fd, const char *partition, long block,
			unsigned seed)
{
	char b[32], s[32];

	snprintf(b, sizeof(b), "%ld", block);
	snprintf(s, sizeof(s), "%u", seed);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	execl(cfg.victim_client, cfg.victim_client, partition, b, s,
	      (char *)NULL);
	_exit(127);
}

/* The victim's first line, if it says one within 10 s. */
static void read_line(int fd, char *buf, size_t size)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n = poll(&pfd, 1, 10000) == 1 ? read(fd, buf, size - 1) : 0;

	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

/* What the victim's run and the attacker's memory came to. */
struct victim_run {
	int victim_status;	/* wait status of aiovictim */
	long sentinel_off;	/* first changed byte of the attacker's copy */
	unsigned char sentinel_now;
	int setup_err;		/* the attacker's preparations failed */
	const char *setup_what;
	char victim_says[256];
	int pipe_fds[2];	/* victim's stdout */
	long block;
	unsigned seed;
	/* clone_vm_pid_reuse */
	pid_t requester;	/* R */
	int ready_fd[2];	/* S, R -> root: R has a request; R is reaped */
	int exit_fd[2];		/* root -> R: exit now */
	int go_fd[2];		/* root -> S: check the sentinel */
};

static void judge_victim_run(const struct victim_run *v)
{
	if (v->setup_err) {
		fail("attacker setup: %s: %s", v->setup_what,
		     strerror(v->setup_err));
		return;
	}
	if (!WIFEXITED(v->victim_status) || WEXITSTATUS(v->victim_status))
		fail("the victim's client failed (%s %d): %s",
		     WIFEXITED(v->victim_status) ? "exit" : "signal",
		     WIFEXITED(v->victim_status) ? WEXITSTATUS(v->victim_status)
						 : WTERMSIG(v->victim_status),
		     v->victim_says);
	if (v->sentinel_off >= 0)
		fail("%s's memory changed: page %ld byte %ld is now 0x%02x",
		     "the attacker", v->sentinel_off / PAGE,
		     v->sentinel_off % PAGE, v->sentinel_now);
	check_victim_disk(v->block, v->seed);
}

static void record_sentinel(struct victim_run *v, const char *area)
{
	v->sentinel_off = sentinel_broken(area);
	if (v->sentinel_off >= 0)
		v->sentinel_now = (unsigned char)area[v->sentinel_off];
}

/* ---- setuid_exec_cross_user ----------------------------------------- */

static char clone_stack[64 * 1024] __attribute__((aligned(16)));

/* The CLONE_VM child: register with aiod, then exec the victim. */
static int xuser_child(void *arg)
{
	struct victim_run *v = arg;
	AREQBUF invalid = { 0, 0, NULL, BLOCK, NULL };	/* no au_cmd */
	int fd = open(part_path("rshared"), O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		v->setup_what = "opening rshared";
		v->setup_err = errno;
		_exit(126);
	}
	/* Refused (EINVAL), but aiod now knows this process. */
	ioctl(fd, DKIOCASTRT, &invalid);
	exec_victim(v->pipe_fds[1], part_path("rvictim"), v->block, v->seed);
	return 0;
}

static void xuser_attacker(void *arg)
{
	struct victim_run *v = arg;
	char *area;
	pid_t child;

	become_attacker();
	area = map_victim_area();
	if (!area || pipe2(v->pipe_fds, O_CLOEXEC)) {
		v->setup_what = "mapping the victim's addresses";
		v->setup_err = errno;
		return;
	}
	/* The exec'd client must keep its stdout: not close-on-exec. */
	fcntl(v->pipe_fds[1], F_SETFD, 0);
	child = clone(xuser_child, clone_stack + sizeof(clone_stack),
		      CLONE_VM | SIGCHLD, v);
	if (child < 0) {
		v->setup_what = "clone";
		v->setup_err = errno;
		return;
	}
	close(v->pipe_fds[1]);
	read_line(v->pipe_fds[0], v->victim_says, sizeof(v->victim_says));
	if (!wait_for(child, 10000, &v->victim_status)) {
		snprintf(v->victim_says, sizeof(v->victim_says),
			 "no exit within 10 s");
		kill_and_reap(child);
	}
	record_sentinel(v, area);
}

static void test_setuid_exec_cross_user(void)
{
	struct victim_run *v = shared_alloc(sizeof(*v));
	int status;
	pid_t p;

	v->block = 8;
	v->seed = 1;
	p = spawn(xuser_attacker, v);
	if (p < 0)
		return;
	if (!wait_for(p, 20000, &status)) {
		kill_and_reap(p);
		fail("the attacker did not finish within 20 s");
		return;
	}
	judge_victim_run(v);
}

/* ---- clone_vm_pid_reuse ------------------------------------------------ */

/* R: a read in flight, never collected; exit when root says. */
static int requester_child(void *arg)
{
	struct victim_run *v = arg;
	static char rbuf[PAGE] __attribute__((aligned(PAGE)));
	int fd = open(part_path("rshared"), O_RDWR | O_CLOEXEC);
	int err = fd < 0 ? errno : astrt(fd, AU_READ, 0, rbuf, PAGE);
	char now;

	if (err) {
		v->setup_what = "R's DKIOCASTRT on rshared";
		v->setup_err = err;
	}
	if (write(v->ready_fd[1], "r", 1) == 1)
		err = (int)read(v->exit_fd[0], &now, 1);
	_exit(0);
}

/* S: share the mm with R, outlive it, keep the area until told. */
static void sibling_run(void *arg)
{
	struct victim_run *v = arg;
	char *area, go;
	int status;

	become_attacker();
	close(v->ready_fd[0]);
	close(v->exit_fd[1]);
	close(v->go_fd[1]);
	close(v->pipe_fds[0]);	/* the victim's stdout is not S's */
	close(v->pipe_fds[1]);
	area = map_victim_area();
	if (!area) {
		v->setup_what = "mapping the victim's addresses";
		v->setup_err = errno;
		return;
	}
	/* CLONE_FILES as well: R's exit then closes no file, for a close
	 * (FLUSH) would wait for the frozen aiod. */
	v->requester = clone(requester_child, clone_stack + sizeof(clone_stack),
			     CLONE_VM | CLONE_FILES | SIGCHLD, v);
	if (v->requester < 0 || !wait_for(v->requester, 30000, &status)) {
		v->setup_what = "R";
		v->setup_err = v->requester < 0 ? errno : ETIMEDOUT;
		return;
	}
	if (write(v->ready_fd[1], "x", 1) != 1 ||
	    read(v->go_fd[0], &go, 1) < 0)
		return;
	record_sentinel(v, area);
}

static bool set_last_pid(pid_t pid)
{
	int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY);
	char s[32];
	int n = snprintf(s, sizeof(s), "%d", (int)pid);
	bool ok = fd >= 0 && write(fd, s, (size_t)n) == n;

	if (fd >= 0)
		close(fd);
	return ok;
}

#define PID_ATTEMPTS 20

/* Fork the victim's client onto pid want, with the partition open as
 * its descriptor 3: its pid, or -1.  The forks that miss the pid wait in
 * misses[] to be killed once aiod runs again (their exit closes the
 * partition: a FLUSH). */
static pid_t fork_victim_at(pid_t want, struct victim_run *v, int part_fd,
			    pid_t misses[PID_ATTEMPTS])
{
	for (int attempt = 0; attempt < PID_ATTEMPTS; attempt++) {
		pid_t pid;

		if (!set_last_pid(want - 1))
			return -1;
		pid = fork();
		if (pid == 0) {
			if (getpid() != want || dup2(part_fd, 3) != 3 ||
			    fcntl(3, F_SETFD, 0))	/* part_fd may be 3 */
				for (;;)
					pause();
			become(cfg.victim_uid, cfg.victim_gid);
			exec_victim(v->pipe_fds[1], "fd:3", v->block, v->seed);
		}
		if (pid == want || pid < 0)
			return pid;
		misses[attempt] = pid;
	}
	return -1;
}

/* Stop (SIGSTOP) or resume aiod; stopping waits until it is stopped. */
static bool freeze_aiod(bool stop)
{
	pid_t pid = aiod_pid();
	char path[64], stat[256], *state;
	int64_t end = now_us() + 2000000;

	if (pid <= 0 || kill(pid, stop ? SIGSTOP : SIGCONT))
		return false;
	report->aiod_stopped = stop ? pid : 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	while (stop && now_us() < end) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd < 0 ? -1 : read(fd, stat, sizeof(stat) - 1);

		if (fd >= 0)
			close(fd);
		stat[n > 0 ? n : 0] = '\0';
		state = strrchr(stat, ')');
		if (state && state[1] == ' ' && state[2] == 'T')
			return true;
		usleep(1000);
	}
	return !stop;
}

/* A root process whose open() of rroot waits in aiod's queue. */
static void plug_run(void *arg)
{
	(void)arg;
	close(open_part("rroot"));
}

static bool await_byte(int fd, char want, int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char c;

	return poll(&pfd, 1, timeout_ms) == 1 && read(fd, &c, 1) == 1 &&
	       c == want;
}

/* One round: R registers and has a read in flight; aiod is frozen; a
 * root request queues; R exits (its exit event now comes after that
 * request) and is reaped; the victim's client V starts at R's pid and
 * queues its first DKIOCASTRT; aiod resumes. */
static void pid_reuse_round(int round)
{
	struct victim_run *v = shared_alloc(sizeof(*v));
	pid_t s, plug = -1, victim = -1, misses[PID_ATTEMPTS] = { 0 };
	int status, part_fd;

	v->block = 16 + round * 8;
	v->seed = 10 + (unsigned)round;
	part_fd = open_part("rvictim");	/* before aiod is frozen */
	if (part_fd < 0 || pipe2(v->ready_fd, O_CLOEXEC) ||
	    pipe2(v->exit_fd, O_CLOEXEC) || pipe2(v->go_fd, O_CLOEXEC) ||
	    pipe2(v->pipe_fds, O_CLOEXEC)) {
		fail("setup: %s", strerror(errno));
		return;
	}
	s = spawn(sibling_run, v);
	close(v->ready_fd[1]);
	close(v->exit_fd[0]);
	close(v->go_fd[0]);
	if (s < 0 || !await_byte(v->ready_fd[0], 'r', 10000) ||
	    v->setup_err) {
		if (v->setup_err)
			judge_victim_run(v);
		else
			fail("R did not start");
		kill_and_reap(s);
		return;
	}
	if (!freeze_aiod(true)) {
		fail("cannot stop aiod with SIGSTOP");
		freeze_aiod(false);
		kill_and_reap(s);
		return;
	}
	plug = spawn(plug_run, NULL);
	usleep(100000);
	if (write(v->exit_fd[1], "x", 1) == 1 &&
	    await_byte(v->ready_fd[0], 'x', 10000)) {
		fcntl(v->pipe_fds[1], F_SETFD, 0);
		victim = fork_victim_at(v->requester, v, part_fd, misses);
		usleep(200000);	/* its DKIOCASTRT is queued */
	}
	freeze_aiod(false);
	close(v->pipe_fds[1]);
	close(part_fd);
	for (int i = 0; i < PID_ATTEMPTS; i++)
		kill_and_reap(misses[i]);
	if (victim < 0) {
		fail("could not start the victim at R's pid %d",
		     (int)v->requester);
		kill_and_reap(plug);
		kill_and_reap(s);
		return;
	}
	read_line(v->pipe_fds[0], v->victim_says, sizeof(v->victim_says));
	if (!wait_for(victim, 10000, &v->victim_status)) {
		kill_and_reap(victim);
		snprintf(v->victim_says, sizeof(v->victim_says),
			 "no exit within 10 s");
	}
	if (write(v->go_fd[1], "g", 1) != 1 || !wait_for(s, 5000, &status)) {
		fail("S did not report");
		kill_and_reap(s);
	} else {
		judge_victim_run(v);
	}
	kill_and_reap(plug);
}

static void test_clone_vm_pid_reuse(void)
{
	for (int round = 0; round < PID_REUSE_ROUNDS; round++) {
		bool failed_before = report->failed;

		report->failed = false;
		pid_reuse_round(round);
		if (report->failed)
			note("(round %d of %d)", round + 1, PID_REUSE_ROUNDS);
		report->failed |= failed_before;
	}
}

/* ---- fuse_stall_isolated, own_device_mapping_no_deadlock ------------- */

/* An attacker pointing au_maddr into a file mapping: cmd, and where. */
struct mapped_attack {
	char file[512];		/* mapped MAP_PRIVATE */
	long cmd;
	long page;		/* of the mapping */
	bool over_lock;		/* mapped over its locked anonymous region */
	volatile int err;	/* DKIOCASTRT's, once it returned */
	volatile bool returned;
};

/* 16 pages of anonymous memory, declared and locked on fd (the attacker
 * has an allowance), then the file mapped over them: or MAP_FAILED. */
static char *map_over_lock(int fd, int ffd)
{
	char *region = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASYNCMLOCK lk = { region, 16 * PAGE };

	if (region == MAP_FAILED || ioctl(fd, DKIOCMLOCK, &lk))
		return MAP_FAILED;
	return mmap(region, 16 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_FIXED, ffd, 0);
}

static void mapped_attacker(void *arg)
{
	struct mapped_attack *a = arg;
	int ffd, fd;
	char *map;

	become_attacker();
	ffd = open(a->file, O_RDONLY | O_CLOEXEC);
	fd = open_part("rshared");
	map = ffd < 0 || fd < 0 ? MAP_FAILED :
	      a->over_lock ? map_over_lock(fd, ffd) :
	      mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ffd, 0);
	if (fd < 0 || map == MAP_FAILED) {
		a->err = errno;
		a->returned = true;
		return;
	}
	a->err = astrt(fd, a->cmd, 0, map + a->page * PAGE, PAGE);
	a->returned = true;
	pause();
}

/* aiod's count of processes holding a memory lock, or -1. */
static int locks_held(void)
{
	struct aio_info info;
	int fd = open_part("rroot");
	int n = fd >= 0 && ioctl(fd, AIOC_INFO, &info) == 0 ? (int)info.locks
							 : -1;

	if (fd >= 0)
		close(fd);
	return n;
}

/* Give the attacker an allowance (root loads the lock table): 0 or an
 * errno. */
static int allow_attacker_locks(void)
{
	static struct aio_lktbl table;
	int fd = open_part("rroot"), err;

	table.count = 1;
	table.entry[0] = (struct aio_lkent){ .uid = cfg.attacker_uid,
					      .bytes = 1 << 20 };
	err = fd < 0 || ioctl(fd, AIOC_LKTBL_LOAD, &table) ? errno : 0;
	if (fd >= 0)
		close(fd);
	return err;
}

/* Run two attackers (AU_WRITE from, AU_READ into the file's mapping, or
 * with over_lock the file mapped over their locked regions), watch a root
 * client and aioinfo meanwhile, then time aiod's SIGTERM. */
static void freeze_attack(const char *file, bool over_lock)
{
	struct root_probe *p = shared_alloc(sizeof(*p));
	struct mapped_attack *a = shared_alloc(2 * sizeof(*a));
	pid_t probe, att[2];
	int64_t worst, stop_ms;
	long ops_before;
	bool info_ok;

	probe = root_probe_start(p);
	if (probe < 0)
		return;
	for (int i = 0; i < 2; i++) {
		snprintf(a[i].file, sizeof(a[i].file), "%s", file);
		a[i].cmd = i ? AU_READ : AU_WRITE;
		a[i].page = i;
		a[i].over_lock = over_lock;
		att[i] = spawn(mapped_attacker, &a[i]);
	}
	usleep(300000);
	if (over_lock && locks_held() != 2)
		fail("%d of the attackers' 2 locks granted", locks_held());
	ops_before = p->ops;
	usleep(STALL_WATCH_MS * 1000);
	info_ok = aioinfo_answers();
	worst = probe_worst_us(p);
	if (p->err)
		fail("the root client's request failed: %s",
		     strerror(p->err));
	if (p->ops == ops_before)
		fail("the root client got no answer in %d s", STALL_WATCH_MS /
		     1000);
	if (worst >= ROUND_TRIP_MAX_US)
		fail("root request round trip up to %.3f s", worst / 1e6);
	else
		note("root worst %.1f ms, %ld requests", worst / 1e3, p->ops);
	if (!info_ok)
		fail("aioinfo --json did not answer within 1 s");
	for (int i = 0; i < 2; i++)
		note("attacker %s: %s", i ? "AU_READ" : "AU_WRITE",
		     !a[i].returned ? "DKIOCASTRT never returned" :
		     a[i].err ? strerror(a[i].err) : "accepted");
	stop_ms = stop_aiod_timed();
	if (stop_ms < 0)
		fail("aiod still running %d s after SIGTERM",
		     SIGTERM_EXIT_MAX_MS / 1000);
	else
		note("aiod exited %lld ms after SIGTERM", (long long)stop_ms);
	p->stop = true;
	kill_and_reap(probe);
	for (int i = 0; i < 2; i++)
		kill_and_reap(att[i]);
}

static void stallfs_run(void *dir)
{
	become_attacker();
	execl(cfg.stallfs, cfg.stallfs, (char *)dir, (char *)NULL);
	_exit(127);
}

/* The attacker can see its bait (root may not look into its mount). */
static void bait_wait(void *path)
{
	struct stat st;
	int64_t end = now_us() + 5000000;

	become_attacker();
	while (stat(path, &st) && now_us() < end)
		usleep(10000);
	_exit(stat(path, &st) ? 1 : 0);
}

static void cleanup_stall_mount(const char *dir)
{
	if (umount2(dir, MNT_DETACH) && errno != EINVAL && errno != ENOENT)
		fprintf(stderr, "aioattack: umount %s: %s\n", dir,
			strerror(errno));
	rmdir(dir);
}

/* The attacker's stalling FUSE file system, its bait file mapped into
 * au_maddr's page (over_lock: over the region it locked). */
static void stall_attack(bool over_lock)
{
	char *dir = report->stall_dir, bait[300];
	pid_t server, waiter;
	int status;

	snprintf(dir, sizeof(report->stall_dir), "/tmp/aioattack-stall.XXXXXX");
	if (!mkdtemp(dir) || chown(dir, cfg.attacker_uid, cfg.attacker_gid)) {
		fail("%s: %s", dir, strerror(errno));
		return;
	}
	snprintf(bait, sizeof(bait), "%s/bait", dir);
	server = spawn(stallfs_run, dir);
	waiter = spawn(bait_wait, bait);
	if (server < 0 || waiter < 0 || !wait_for(waiter, 8000, &status) ||
	    !WIFEXITED(status) || WEXITSTATUS(status)) {
		fail("the attacker's FUSE file system did not come up");
		kill_and_reap(waiter);
	} else {
		freeze_attack(bait, over_lock);
	}
	kill_and_reap(server);
	cleanup_stall_mount(dir);
	dir[0] = '\0';
}

static void test_fuse_stall_isolated(void)
{
	stall_attack(false);
}

static void test_locked_region_remapped(void)
{
	int err = allow_attacker_locks();

	if (err)
		fail("loading the lock table as root: %s", strerror(err));
	else
		stall_attack(true);
}

static void test_own_device_mapping_no_deadlock(void)
{
	struct stat st;

	if (stat(part_path("rshared"), &st) || (st.st_mode & 0006) != 0006) {
		fail("rshared must be mode 0666 for this test");
		return;
	}
	report->abort_aiod_conn = true;
	freeze_attack(part_path("rshared"), false);
	/* Deadlocked for good: only an abort of its connection frees it. */
	if (cfg.have_conn && aiod_pid() > 0 && kill(aiod_pid(), 0) == 0)
		abort_fuse_conn(cfg.aiod_conn);
}

/* ---- mlock_probe_cheap --------------------------------------------------- */

struct mlock_flood {
	volatile int64_t worst_us;
	volatile int64_t started_us[MLOCK_ATTACKERS];
	volatile long calls;
	volatile bool stop;
	volatile int err;
};

struct mlock_attacker_arg {
	struct mlock_flood *m;
	int index;
};

static void mlock_attacker(void *arg)
{
	const struct mlock_attacker_arg *a = arg;
	struct mlock_flood *m = a->m;
	int me = a->index;
	char *region;

	become_attacker();
	region = mmap(NULL, MLOCK_PROBE_SIZE, PROT_READ,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (region == MAP_FAILED) {
		m->err = errno;
		return;
	}
	while (!m->stop) {
		ASYNCMLOCK lk = { region, MLOCK_PROBE_SIZE };
		int fd = open_part("rshared");	/* a new region each time */
		int64_t t0 = now_us(), lat;

		if (fd < 0) {
			m->err = errno;
			return;
		}
		m->started_us[me] = t0;
		ioctl(fd, DKIOCMLOCK, &lk);	/* any outcome, but quick */
		lat = now_us() - t0;
		m->started_us[me] = 0;
		if (lat > m->worst_us)
			m->worst_us = lat;
		__atomic_fetch_add(&m->calls, 1, __ATOMIC_RELAXED);
		close(fd);
	}
}

static void test_mlock_probe_cheap(void)
{
	struct root_probe *p = shared_alloc(sizeof(*p));
	struct mlock_flood *m = shared_alloc(sizeof(*m));
	struct mlock_attacker_arg args[MLOCK_ATTACKERS];
	pid_t probe, att[MLOCK_ATTACKERS];
	int64_t worst, root_worst;

	probe = root_probe_start(p);
	if (probe < 0)
		return;
	for (int i = 0; i < MLOCK_ATTACKERS; i++) {
		args[i] = (struct mlock_attacker_arg){ m, i };
		att[i] = spawn(mlock_attacker, &args[i]);
	}
	usleep(MLOCK_FLOOD_MS * 1000);
	m->stop = true;
	usleep(500000);
	worst = m->worst_us;
	for (int i = 0; i < MLOCK_ATTACKERS; i++)
		if (m->started_us[i] && now_us() - m->started_us[i] > worst)
			worst = now_us() - m->started_us[i];
	root_worst = probe_worst_us(p);
	for (int i = 0; i < MLOCK_ATTACKERS; i++)
		kill_and_reap(att[i]);
	p->stop = true;
	kill_and_reap(probe);
	if (m->err)
		fail("attacker setup: %s", strerror(m->err));
	if (worst >= MLOCK_CALL_MAX_US)
		fail("a DKIOCMLOCK of %#x bytes took %.3f s", MLOCK_PROBE_SIZE,
		     worst / 1e6);
	if (root_worst >= MLOCK_ROOT_MAX_US)
		fail("root's requests waited up to %.3f s", root_worst / 1e6);
	note("%ld DKIOCMLOCK calls in %d s, worst %.1f ms; root worst %.1f ms",
	     m->calls, MLOCK_FLOOD_MS / 1000, worst / 1e3, root_worst / 1e3);
}

/* ---- protections_respected ------------------------------------------- */

/* A page of the program's text that nothing runs. */
__asm__(".pushsection .text\n"
	".balign 4096\n"
	"attack_text_page:\n"
	".fill 4096, 1, 0xcc\n"
	".popsection\n");
extern const unsigned char attack_text_page[];

/* The first page the dynamic loader made read-only (PT_GNU_RELRO). */
static int find_relro(struct dl_phdr_info *info, size_t size, void *out)
{
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		uintptr_t first = start & ~(uintptr_t)(PAGE - 1);

		if (ph->p_type == PT_GNU_RELRO &&
		    ((start + ph->p_memsz) & ~(uintptr_t)(PAGE - 1)) > first) {
			*(uintptr_t *)out = first;
			return 1;
		}
	}
	return 1;	/* the program comes first; look no further */
}

enum ro_read { RO_AU_READ, RO_AIOC_PREAD, RO_PLAIN_READ };

/* A read into the read-only page must fail with EFAULT at the call
 * (DKIOCASTRT itself, not in iostatus; read() with the open file's
 * position unmoved) and leave the page alone; the disk at block holds
 * other bytes. */
static void read_into_readonly(int fd, const char *what, char *page,
			       long block, enum ro_read how)
{
	static const char *const name[] = { "AU_READ", "AIOC_PREAD",
					     "read()" };
	char before[BLOCK];
	IOSTAT st = { 0 };
	off_t pos = -1;
	int err;

	memcpy(before, page, BLOCK);
	if (how == RO_AIOC_PREAD) {
		struct aio_pio rq = { (uintptr_t)page, BLOCK,
				      (int64_t)block * BLOCK };

		err = ioctl(fd, AIOC_PREAD, &rq) < 0 ? errno : 0;
	} else if (how == RO_PLAIN_READ) {
		pos = lseek(fd, (off_t)block * BLOCK, SEEK_SET);
		err = read(fd, page, BLOCK) < 0 ? errno : 0;
		if (pos >= 0 && lseek(fd, 0, SEEK_CUR) != pos)
			fail("read() into %s moved the file position", what);
	} else if ((err = astrt(fd, AU_READ, block, page, BLOCK)) == 0) {
		err = await_status(fd, STATUS_WAIT_MS, &st);
		fail("AU_READ into %s: DKIOCASTRT accepted it, then %s %s; "
		     "not EFAULT at the call", what, err ? "DKIOCASTAT" :
		     "iostatus", strerror(err ? err : st.iostatus));
		err = EFAULT;
	} else if (err == EFAULT) {
		ASYNCSTATUS later;

		usleep(20000);
		if (ioctl(fd, DKIOCASTAT, &later) || later.acount != 0)
			fail("AU_READ into %s refused, yet DKIOCASTAT then "
			     "reports %ld statuses (%s)", what,
			     later.acount, strerror(errno));
	}
	if (err != EFAULT)
		fail("%s into %s: %s, not EFAULT", name[how], what,
		     err ? strerror(err) : "succeeded");
	if (memcmp(before, page, BLOCK))
		fail("%s changed", what);
}

static void protections_run(void *arg)
{
	char *rw = page_alloc(1), *ro = page_alloc(2), *none = page_alloc(1);
	uintptr_t relro = 0;
	int fd, err;

	(void)arg;
	become_attacker();
	fd = open_part("rshared");
	dl_iterate_phdr(find_relro, &relro);
	if (fd < 0 || !rw || !ro || !none || !relro) {
		fail("setup: %s", !relro ? "no RELRO page" : strerror(errno));
		return;
	}
	/* Blocks 0, 8, 16: bytes differing from the pages they are read
	 * into; block 24: the RELRO page's own bytes, so that a write into
	 * it, were aiod to make one, would change nothing that matters. */
	memset(rw, 0x3C, PAGE);
	memcpy(rw + BLOCK, (const void *)relro, BLOCK);
	if ((err = transfer(fd, AU_WRITE, 0, rw, BLOCK)) ||
	    (err = transfer(fd, AU_WRITE, 8, rw, BLOCK)) ||
	    (err = transfer(fd, AU_WRITE, 16, rw, BLOCK)) ||
	    (err = transfer(fd, AU_WRITE, 24, rw + BLOCK, BLOCK))) {
		fail("preparing rshared: %s", strerror(err));
		return;
	}
	memset(ro, 0x5A, 2 * PAGE);
	mprotect(ro, 2 * PAGE, PROT_READ);
	read_into_readonly(fd, "a PROT_READ page", ro, 0, RO_AU_READ);
	read_into_readonly(fd, "the program's text", (char *)attack_text_page,
			   8, RO_AU_READ);
	read_into_readonly(fd, "a RELRO page", (char *)relro, 24, RO_AU_READ);
	read_into_readonly(fd, "a PROT_READ page", ro + PAGE, 16,
			   RO_AIOC_PREAD);
	read_into_readonly(fd, "a PROT_READ page", ro + PAGE, 16,
			   RO_PLAIN_READ);
	read_into_readonly(fd, "the program's text", (char *)attack_text_page,
			   8, RO_PLAIN_READ);

	memset(none, 0x6B, PAGE);
	mprotect(none, PAGE, PROT_NONE);
	err = transfer(fd, AU_WRITE, 32, none, BLOCK);
	if (err != EFAULT)
		fail("AU_WRITE from a PROT_NONE page: %s, not EFAULT",
		     err ? strerror(err) : "succeeded");
	if ((err = transfer(fd, AU_READ, 32, rw, BLOCK)))
		fail("reading block 32 back: %s", strerror(err));
	else if ((unsigned char)rw[0] == 0x6B && (unsigned char)rw[1] == 0x6B)
		fail("the disk got the PROT_NONE page's bytes");
}

static void test_protections_respected(void)
{
	int status;
	pid_t pid = spawn(protections_run, NULL);

	if (pid > 0 && !wait_for(pid, 20000, &status)) {
		kill_and_reap(pid);
		fail("no result within 20 s");
	} else if (pid > 0 && (!WIFEXITED(status) || WEXITSTATUS(status))) {
		fail("the attacker died (status 0x%x)", (unsigned)status);
	}
}

/* ---- fair_share_requests, fair_share_processes ----------------------- */

struct hog {
	volatile int held;	/* requests or statuses obtained */
	volatile int err;	/* the refusal that stopped it */
	volatile bool done;
	int limit;
};

/* Hold as many uncollected requests as aiod allows, up to limit. */
static void request_hog(void *arg)
{
	struct hog *h = arg;
	void *buf = page_alloc(1);
	int fd;

	become_attacker();
	fd = open_part("rshared");
	if (fd < 0 || !buf) {
		h->err = errno;
		h->done = true;
		return;
	}
	while (h->held < h->limit && !(h->err = astrt(fd, AU_READ,
						       h->held % 64 * 8, buf,
						       PAGE)))
		h->held++;
	h->done = true;
	pause();
}

/* Register as an AIO process with one collected request, then idle. */
static void process_hog(void *arg)
{
	struct hog *h = arg;
	void *buf = page_alloc(1);
	int fd;

	become_attacker();
	fd = open_part("rshared");
	if (fd < 0 || !buf)
		h->err = errno;
	else
		h->err = transfer(fd, AU_READ, 0, buf, PAGE);
	h->held = !h->err;
	h->done = true;
	pause();
}

/* A fresh root process: one request on rroot, start to status. */
static void root_once(void *arg)
{
	int *err = arg;
	void *buf = page_alloc(1);
	int fd = open_part("rroot");

	*err = fd < 0 || !buf ? errno : transfer(fd, AU_READ, 0, buf, PAGE);
}

static void root_must_be_served(void)
{
	int *err = shared_alloc(sizeof(*err)), status;
	pid_t pid;

	*err = -1;
	pid = spawn(root_once, err);
	if (pid > 0 && !wait_for(pid, 5000, &status)) {
		kill_and_reap(pid);
		fail("root's request got no answer within 5 s");
	} else if (*err) {
		fail("root's request failed: %s", *err < 0 ? "no result" :
		     strerror(*err));
	}
}

/* Start n hogs, wait until each has done its part. */
static bool start_hogs(void (*fn)(void *), struct hog *h, pid_t *pids,
		       int n, int64_t timeout_ms)
{
	int64_t end = now_us() + timeout_ms * 1000;

	for (int i = 0; i < n; i++)
		pids[i] = spawn(fn, &h[i]);
	for (int i = 0; i < n; i++)
		while (!h[i].done)
			if (now_us() > end) {
				fail("the attackers did not settle within "
				     "%lld s", (long long)timeout_ms / 1000);
				return false;
			} else {
				usleep(1000);
			}
	return true;
}

static void test_fair_share_requests(void)
{
	struct hog *h = shared_alloc(HOGS * sizeof(*h));
	pid_t pids[HOGS];
	struct aio_info info;
	int total = 0, refused = 0;
	char per[128] = "";

	if (!aiod_info(&info))
		return;
	for (int i = 0; i < HOGS; i++)
		h[i].limit = (int)info.naioreq + 1;
	if (start_hogs(request_hog, h, pids, HOGS, 20000)) {
		for (int i = 0; i < HOGS; i++) {
			total += h[i].held;
			refused += h[i].err == EAGAIN;
			snprintf(per + strlen(per), sizeof(per) - strlen(per),
				 "%s%d", i ? "," : "", h[i].held);
		}
		note("nobody holds %d requests (%s) of NAIOREQ %u", total, per,
		     info.naioreq);
		root_must_be_served();
		if (refused == 0)
			fail("nobody was never refused with EAGAIN");
	}
	for (int i = 0; i < HOGS; i++)
		kill_and_reap(pids[i]);
}

static void test_fair_share_processes(void)
{
	struct aio_info info;
	struct hog *h;
	pid_t *pids;
	int n, registered = 0, refused = 0, other = 0;

	if (!aiod_info(&info))
		return;
	n = (int)info.naioproc + 8;
	h = shared_alloc((size_t)n * sizeof(*h));
	pids = shared_alloc((size_t)n * sizeof(*pids));
	if (start_hogs(process_hog, h, pids, n, 30000)) {
		for (int i = 0; i < n; i++) {
			registered += h[i].held;
			refused += h[i].err == EAGAIN;
			other += h[i].err && h[i].err != EAGAIN;
		}
		note("%d of %d nobody processes registered (NAIOPROC %u), %d "
		     "refused with EAGAIN", registered, n, info.naioproc,
		     refused);
		if (other)
			fail("%d nobody processes failed otherwise", other);
		root_must_be_served();
		if (refused == 0)
			fail("nobody was never refused with EAGAIN");
	}
	for (int i = 0; i < n; i++)
		kill_and_reap(pids[i]);
}

/* ---- unprivileged_flood_bounded ------------------------------------------ */

/* nobody floods aiod at once with open files (FLOOD_FDS opens of rshared
 * held, or as many as its RLIMIT_NOFILE allows, each asked for a status
 * and as many as the limits allow given a read), with requests (
 * FLOOD_REQUESTERS processes each keeping as many reads in flight as aiod
 * grants) and with processes (a fork storm: each child opens rshared,
 * starts a read and exits or closes with it in flight).  Meanwhile root
 * makes ROOT_READS reads of rroot one after another.  aiod's own costs
 * per client are bounded by its tunables (NAIOPROC callers of two
 * descriptors each, a pidfd and /proc/PID/mem; NAIOREQ request slots, a
 * read holding its own /proc/TID/mem while in flight; bounce buffers
 * from a fixed pool; a small record per open file), so its resident size
 * grows by less than FLOOD_RSS_GROWTH_MAX_KB (well under a MiB is
 * expected: the bound leaves room for the allocator; an AddressSanitizer
 * build keeps freed memory in its quarantine, up to ASAN_QUARANTINE_KB by
 * default, which is added to the bound), its descriptors never exceed
 * the baseline by more
 * than 2 x NAIOPROC + NAIOREQ + FLOOD_FDS_SLACK, and come back to within
 * FLOOD_FDS_SLACK of the baseline once the flood ends.  Every root read must complete, and
 * the 99th percentile of their round trips stay below ROOT_P99_MAX_US:
 * root keeps an eighth of the request slots, so a root read waits only
 * for the loop's turn and the device (under a millisecond here); one
 * second, on this shared two-CPU machine, catches starvation or a stall,
 * not slowness. */
#define FLOOD_FDS		2000
#define FLOOD_FD_READS		32	/* reads across those open files */
#define FLOOD_REQUESTERS	8
#define FLOOD_STORM_CHILDREN	8	/* alive at once */
#define ROOT_READS		200
#define ROOT_P99_MAX_US		1000000
#define FLOOD_RSS_GROWTH_MAX_KB	(64 * 1024)
#define FLOOD_FDS_SLACK		4
#define FLOOD_SETTLE_MS		10000
#define ASAN_QUARANTINE_KB	(256 * 1024)	/* quarantine_size_mb */

struct flood_state {
	volatile bool stop;
	volatile int fds_open;		/* by the descriptor flooder */
	volatile bool fds_ready;
	volatile int fd_reads;		/* reads it started across them */
	volatile long requests;		/* completed, by the requesters */
	volatile long forks;		/* children of the storm */
	volatile int unexpected;	/* an errno no limit explains */
	volatile const char *unexpected_what;
	int64_t root_us[ROOT_READS];
	volatile int root_done;
	volatile int root_err;
};

static void flood_unexpected(struct flood_state *s, const char *what,
			     int err)
{
	s->unexpected_what = what;
	s->unexpected = err;
}

static void fd_flooder(void *arg)
{
	struct flood_state *s = arg;
	struct rlimit rl;
	static int fds[FLOOD_FDS];
	void *buf = page_alloc(1);
	int n = 0, want = FLOOD_FDS;

	/* As root, before the uid change: the most descriptors allowed. */
	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		flood_unexpected(s, "getrlimit", errno);
		return;
	}
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) && getrlimit(RLIMIT_NOFILE, &rl)) {
		flood_unexpected(s, "getrlimit", errno);
		return;
	}
	if (rl.rlim_cur < (rlim_t)FLOOD_FDS + 16)
		want = (int)rl.rlim_cur - 16;
	become_attacker();
	while (n < want && !s->stop) {
		ASYNCSTATUS st;
		int fd = open_part("rshared");

		if (fd < 0) {
			if (errno != EMFILE && errno != ENFILE)
				flood_unexpected(s, "open", errno);
			break;
		}
		fds[n++] = fd;
		if (ioctl(fd, DKIOCASTAT, &st))
			flood_unexpected(s, "DKIOCASTAT", errno);
		s->fds_open = n;
	}
	/* A read on each open file while aiod grants them. */
	for (int i = 0; buf && i < n && i < FLOOD_FD_READS && !s->stop; i++) {
		int err = astrt(fds[i], AU_READ, i % 64 * 8, buf, PAGE);

		if (err == EAGAIN)
			break;
		if (err) {
			flood_unexpected(s, "DKIOCASTRT", err);
			break;
		}
		s->fd_reads++;
	}
	s->fds_ready = true;
	while (!s->stop)
		usleep(10000);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/* Keep as many reads in flight as aiod grants; collect; again. */
static void flood_requester(void *arg)
{
	struct flood_state *s = arg;
	void *buf = page_alloc(1);
	int fd;
	long next = getpid();

	become_attacker();
	fd = open_part("rshared");
	if (fd < 0 || !buf) {
		flood_unexpected(s, "requester setup", errno);
		return;
	}
	while (!s->stop) {
		ASYNCSTATUS st;
		int err;

		do
			err = astrt(fd, AU_READ, next++ % 4096 * 8, buf, PAGE);
		while (err == 0);
		if (err != EAGAIN) {
			flood_unexpected(s, "requester DKIOCASTRT", err);
			return;
		}
		if (ioctl(fd, DKIOCASTAT, &st)) {
			flood_unexpected(s, "requester DKIOCASTAT", errno);
			return;
		}
		__atomic_fetch_add(&s->requests, st.acount, __ATOMIC_RELAXED);
		if (st.acount == 0)
			usleep(500);
	}
}

/* One storm child: a read in flight, then exit or close and exit. */
static void storm_child(struct flood_state *s, long n)
{
	void *buf = page_alloc(1);
	int fd = open_part("rshared");
	int err = fd < 0 || !buf ? errno : astrt(fd, AU_READ, n % 64 * 8, buf,
						 PAGE);

	if (err && err != EAGAIN)	/* EAGAIN: NAIOPROC or slots taken */
		flood_unexpected(s, "storm child", err);
	if (n % 2 && fd >= 0)
		close(fd);		/* waits for the read */
	_exit(0);
}

static void fork_storm(void *arg)
{
	struct flood_state *s = arg;
	int alive = 0, status;

	become_attacker();
	while (!s->stop) {
		pid_t pid;

		while (alive >= FLOOD_STORM_CHILDREN)
			if (waitpid(-1, &status, 0) > 0)
				alive--;
			else if (errno != EINTR)
				alive = 0;	/* none left to wait for */
		pid = fork();
		if (pid == 0)
			storm_child(s, s->forks);
		if (pid < 0) {
			if (errno != EAGAIN)
				flood_unexpected(s, "fork", errno);
			usleep(1000);
			continue;
		}
		alive++;
		s->forks++;
	}
	while (alive > 0 && waitpid(-1, &status, 0) > 0)
		alive--;
}

static void root_reader(void *arg)
{
	struct flood_state *s = arg;
	void *buf = page_alloc(1);
	int fd = open_part("rroot");

	if (fd < 0 || !buf) {
		s->root_err = errno;
		return;
	}
	for (int i = 0; i < ROOT_READS; i++) {
		int64_t t0 = now_us();
		int err = transfer(fd, AU_READ, i % 64 * 8, buf, PAGE);

		s->root_us[i] = now_us() - t0;
		if (err) {
			s->root_err = err;
			return;
		}
		s->root_done = i + 1;
		usleep(5000);
	}
}

/* aiod's VmRSS in KiB and its descriptor count, or false. */
static bool aiod_costs(pid_t pid, long *rss_kb, int *nfds)
{
	char path[64], line[256];
	FILE *f;
	DIR *d;
	struct dirent *e;

	*rss_kb = -1;
	*nfds = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", rss_kb) == 1)
			break;
	fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (!(d = opendir(path)))
		return false;
	while ((e = readdir(d)))
		*nfds += e->d_name[0] != '.';
	closedir(d);
	return *rss_kb >= 0;
}

/* Is pid's program built with AddressSanitizer (libasan mapped)? */
static bool runs_asan(pid_t pid)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, "/libasan.") != NULL;
	fclose(f);
	return found;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void test_unprivileged_flood_bounded(void)
{
	struct flood_state *s = shared_alloc(sizeof(*s));
	pid_t aiod = aiod_pid(), fdf, storm, root, req[FLOOD_REQUESTERS];
	long rss0, rss, rss_peak = 0;
	int fds0, nfds, fds_peak = 0, status;
	struct aio_info info;
	int64_t end, p99;
	long rss_max_kb = FLOOD_RSS_GROWTH_MAX_KB;

	if (aiod <= 0 || !aiod_info(&info) || !aiod_costs(aiod, &rss0, &fds0)) {
		fail("aiod's pid, figures or /proc entries: %s",
		     strerror(errno));
		return;
	}
	end = now_us() + 30000000;
	fdf = spawn(fd_flooder, s);
	while (!s->fds_ready && now_us() < end)
		usleep(10000);
	for (int i = 0; i < FLOOD_REQUESTERS; i++)
		req[i] = spawn(flood_requester, s);
	storm = spawn(fork_storm, s);
	while ((s->requests == 0 || s->forks < FLOOD_STORM_CHILDREN) &&
	       !s->unexpected && now_us() < end)
		usleep(10000);
	root = spawn(root_reader, s);
	/* Sample aiod's costs until root is done. */
	while (root > 0 && waitpid(root, &status, WNOHANG) == 0) {
		if (aiod_costs(aiod, &rss, &nfds)) {
			rss_peak = rss > rss_peak ? rss : rss_peak;
			fds_peak = nfds > fds_peak ? nfds : fds_peak;
		}
		if (now_us() > end) {
			kill_and_reap(root);
			break;
		}
		usleep(20000);
	}
	s->stop = true;
	if (!wait_for(fdf, 10000, &status))
		kill_and_reap(fdf);
	for (int i = 0; i < FLOOD_REQUESTERS; i++)
		if (!wait_for(req[i], 10000, &status))
			kill_and_reap(req[i]);
	if (!wait_for(storm, 10000, &status))
		kill_and_reap(storm);
	/* The flood is over: the descriptors come back. */
	end = now_us() + FLOOD_SETTLE_MS * 1000;
	while (aiod_costs(aiod, &rss, &nfds) &&
	       nfds > fds0 + FLOOD_FDS_SLACK && now_us() < end)
		usleep(50000);
	note("nobody held %d open files with %d reads, completed %ld "
	     "requests from %d processes, forked %ld; aiod %ld KiB and %d "
	     "descriptors before, at most %ld KiB and %d during, %ld KiB and "
	     "%d after", s->fds_open, s->fd_reads, s->requests,
	     FLOOD_REQUESTERS, s->forks, rss0, fds0, rss_peak, fds_peak, rss,
	     nfds);
	if (s->unexpected)
		fail("nobody's %s: %s", s->unexpected_what,
		     strerror(s->unexpected));
	if (s->root_err || s->root_done < ROOT_READS)
		fail("root's read %d of %d failed: %s", s->root_done + 1,
		     ROOT_READS, s->root_err ? strerror(s->root_err)
					     : "no answer within 30 s");
	else {
		qsort(s->root_us, ROOT_READS, sizeof(s->root_us[0]), cmp_i64);
		p99 = s->root_us[ROOT_READS * 99 / 100 - 1];
		note("root's %d reads: median %.1f ms, p99 %.1f ms, worst "
		     "%.1f ms", ROOT_READS, s->root_us[ROOT_READS / 2] / 1e3,
		     p99 / 1e3, s->root_us[ROOT_READS - 1] / 1e3);
		if (p99 >= ROOT_P99_MAX_US)
			fail("root's p99 round trip %.3f s, not under %.3f s",
			     p99 / 1e6, ROOT_P99_MAX_US / 1e6);
	}
	if (s->fds_open < FLOOD_FDS / 2 || s->requests == 0 || s->forks == 0)
		fail("the flood did not happen as planned");
	if (runs_asan(aiod)) {
		rss_max_kb += ASAN_QUARANTINE_KB;
		note("aiod runs AddressSanitizer: growth bound %ld KiB",
		     rss_max_kb);
	}
	if (rss_peak - rss0 >= rss_max_kb)
		fail("aiod's resident size grew by %ld KiB, not under %ld KiB",
		     rss_peak - rss0, rss_max_kb);
	if (fds_peak > fds0 + 2 * (int)info.naioproc + (int)info.naioreq +
		       FLOOD_FDS_SLACK)
		fail("aiod held %d descriptors, more than %d + 2 x NAIOPROC %u "
		     "+ NAIOREQ %u + %d", fds_peak, fds0, info.naioproc,
		     info.naioreq, FLOOD_FDS_SLACK);
	if (nfds > fds0 + FLOOD_FDS_SLACK || nfds < fds0 - FLOOD_FDS_SLACK)
		fail("aiod holds %d descriptors after the flood, not %d +- %d",
		     nfds, fds0, FLOOD_FDS_SLACK);
}

/* ---- log_flood_limited ------------------------------------------------- */

struct flood {
	volatile long calls;
	volatile int unexpected;	/* an errno other than the refusal */
	int64_t end_us;
};

static void lktbl_flooder(void *arg)
{
	struct flood *f = arg;
	static struct aio_lktbl table;	/* one entry: nobody's, refused */
	int fd;

	become_attacker();
	table.count = 1;
	table.entry[0].uid = cfg.attacker_uid;
	table.entry[0].bytes = 1 << 20;
	fd = open_part("rshared");
	while (fd >= 0 && now_us() < f->end_us) {
		if (ioctl(fd, AIOC_LKTBL_LOAD, &table) == 0 || errno != EPERM)
			f->unexpected = errno ? errno : EINVAL;
		f->calls++;
	}
}

/* DKIOCMLOCKs of a region nobody has no allowance for, each on a new
 * open so each is a new region. */
static void mlock_flooder(void *arg)
{
	struct flood *f = arg;
	char *region;

	become_attacker();
	region = page_alloc(256);
	while (region && now_us() < f->end_us) {
		ASYNCMLOCK lk = { region, 256 * PAGE };
		int fd = open_part("rshared");

		if (fd < 0)
			break;
		ioctl(fd, DKIOCMLOCK, &lk);
		close(fd);
		f->calls++;
	}
}

/* Does the log from offset on mention suppressed messages? */
static bool log_mentions_suppression(off_t from)
{
	static const char word[] = "suppress";
	char buf[65536 + sizeof(word)];
	size_t keep = 0;
	ssize_t n;
	bool found = false;
	int fd = open(cfg.logfile, O_RDONLY | O_CLOEXEC);

	while (fd >= 0 && !found &&
	       (n = pread(fd, buf + keep, sizeof(buf) - 1 - keep, from)) > 0) {
		from += n;
		buf[keep + (size_t)n] = '\0';
		for (size_t i = 0; i < keep + (size_t)n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		found = strcasestr(buf, word) != NULL;
		keep = sizeof(word) - 1;
		memmove(buf, buf + (size_t)n, keep);
	}
	if (fd >= 0)
		close(fd);
	return found;
}

static void test_log_flood_limited(void)
{
	struct flood *f = shared_alloc(2 * sizeof(*f));
	struct stat before, after;
	pid_t pids[2];
	int status;

	if (stat(cfg.logfile, &before)) {
		fail("%s: %s", cfg.logfile, strerror(errno));
		return;
	}
	f[0].end_us = f[1].end_us = now_us() + LOG_FLOOD_SECONDS * 1000000;
	pids[0] = spawn(lktbl_flooder, &f[0]);
	pids[1] = spawn(mlock_flooder, &f[1]);
	for (int i = 0; i < 2; i++)
		if (!wait_for(pids[i], (LOG_FLOOD_SECONDS + 10) * 1000, &status))
			kill_and_reap(pids[i]);
	usleep(300000);
	if (stat(cfg.logfile, &after)) {
		fail("%s: %s", cfg.logfile, strerror(errno));
		return;
	}
	note("%ld refused AIOC_LKTBL_LOAD, %ld DKIOCMLOCK without allowance "
	     "in %d s; the log grew %lld bytes", f[0].calls, f[1].calls,
	     LOG_FLOOD_SECONDS, (long long)(after.st_size - before.st_size));
	if (f[0].unexpected)
		fail("AIOC_LKTBL_LOAD as nobody: %s, not EPERM",
		     strerror(f[0].unexpected));
	if (after.st_size - before.st_size >= LOG_GROWTH_MAX)
		fail("the log grew by %d bytes or more", LOG_GROWTH_MAX);
	if (!log_mentions_suppression(before.st_size))
		fail("no line says messages were suppressed");
}

/* ---- access_rules_hold: what already holds ------------------------------ */

static void access_rules_run(void *arg)
{
	static struct aio_lktbl table;
	struct aio_ident id;
	void *buf = page_alloc(1);
	int fd, err;

	(void)arg;
	become_attacker();
	if (open_part("rvictim") >= 0 || errno != EACCES)
		fail("nobody opening rvictim: %s, not EACCES",
		     errno ? strerror(errno) : "opened");
	if (open_part("rroot") >= 0 || errno != EACCES)
		fail("nobody opening rroot: %s, not EACCES",
		     errno ? strerror(errno) : "opened");
	fd = open_part("rshared");
	if (fd < 0 || !buf || ioctl(fd, AIOC_IDENT, &id)) {
		fail("rshared: %s", strerror(errno));
		return;
	}
	if (ioctl(fd, AIOC_LKTBL_LOAD, &table) == 0 || errno != EPERM)
		fail("AIOC_LKTBL_LOAD as nobody: %s, not EPERM",
		     errno ? strerror(errno) : "accepted");
	err = astrt(fd, AU_READ, (long)(id.size / BLOCK), buf, BLOCK);
	if (err != ENXIO)
		fail("AU_READ past the partition's end: %s, not ENXIO",
		     err ? strerror(err) : "accepted");
	err = astrt(fd, AU_READ, (long)(id.size / BLOCK) - 1, buf, 2 * BLOCK);
	if (err != ENXIO)
		fail("AU_READ across the partition's end: %s, not ENXIO",
		     err ? strerror(err) : "accepted");
}

static void test_access_rules_hold(void)
{
	int status;
	pid_t pid = spawn(access_rules_run, NULL);

	if (pid > 0 && !wait_for(pid, 10000, &status)) {
		kill_and_reap(pid);
		fail("no result within 10 s");
	}
}

/* ---- scm_rights_other_user -------------------------------------------- */

/* The victim (A) opens rvictim, which only it may open, and passes the
 * descriptor over a unix socket to nobody (B).  The open file is the
 * capability: the kernel checked A's permission at the open, and B may
 * use the descriptor as A could.  aiod names each requester by the
 * kernel's context of the call, so B's requests move data between the
 * partition and B's memory only, and A's read lands in A's memory only,
 * even when both use the same addresses.  Statuses belong to the open
 * file, shared as after fork(): B may collect the status of A's read
 * (A's own iomaddr and ioref, no data), and A then finds none. */
#define SCM_BLOCK_A	64	/* A writes it; B reads it */
#define SCM_BLOCK_B	72	/* B writes it; A reads it */
#define SCM_SEED_A	21
#define SCM_SEED_B	22

struct scm_run {
	int sock[2];		/* [0] A's end, [1] B's end */
	int setup_err;
	const char *setup_what;
};

static void scm_setup_failed(struct scm_run *r, const char *what)
{
	r->setup_what = what;
	r->setup_err = errno ? errno : EIO;
}

/* One byte, with fd as SCM_RIGHTS when fd >= 0. */
static bool scm_send(int sock, char byte, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1;
}

/* Wait up to 10 s for byte want; the descriptor it carries into *fd. */
static bool scm_recv(int sock, char want, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct pollfd pfd = { sock, POLLIN, 0 };
	char byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = ctl.buf,
			      .msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;

	if (poll(&pfd, 1, 10000) != 1 ||
	    recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1 || byte != want)
		return false;
	c = CMSG_FIRSTHDR(&msg);
	if (fd && c && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	return !fd || *fd >= 0;
}

static bool page_is_pattern(const unsigned char *p, unsigned seed)
{
	for (unsigned i = 0; i < PAGE; i++)
		if (p[i] != victim_pattern(seed, i))
			return false;
	return true;
}

/* A: the victim, the descriptor's owner. */
static void scm_owner_run(void *arg)
{
	struct scm_run *r = arg;
	int sock = r->sock[0], fd;
	char *area;
	ASYNCSTATUS st;
	int64_t end;
	int err;

	close(r->sock[1]);
	become(cfg.victim_uid, cfg.victim_gid);
	area = map_victim_area();
	fd = open_part("rvictim");
	if (!area || fd < 0) {
		scm_setup_failed(r, area ? "the victim opening rvictim"
					 : "mapping the victim's area");
		return;
	}
	for (unsigned i = 0; i < PAGE; i++)
		area[i] = (char)victim_pattern(SCM_SEED_A, i);
	if ((err = transfer(fd, AU_WRITE, SCM_BLOCK_A, area, PAGE))) {
		fail("the victim's own AU_WRITE: %s", strerror(err));
		return;
	}
	if (!scm_send(sock, 'f', fd) || !scm_recv(sock, 'r', NULL)) {
		fail("nobody did not use the passed descriptor");
		return;
	}
	/* A read of B's block into A's page 1, left for anyone to collect. */
	if ((err = astrt(fd, AU_READ, SCM_BLOCK_B, area + PAGE, PAGE))) {
		fail("the victim's AU_READ: %s", strerror(err));
		return;
	}
	if (!scm_send(sock, 's', -1) || !scm_recv(sock, 'c', NULL)) {
		fail("nobody did not collect the victim's status");
		return;
	}
	end = now_us() + STATUS_WAIT_MS * 1000;
	while (!page_is_pattern((unsigned char *)area + PAGE, SCM_SEED_B) &&
	       now_us() < end)
		usleep(1000);
	if (!page_is_pattern((unsigned char *)area + PAGE, SCM_SEED_B))
		fail("the victim's read did not land in the victim's memory");
	for (unsigned i = 0; i < PAGE; i++)
		if ((unsigned char)area[2 * PAGE + i] != sentinel(2)) {
			fail("nobody's read changed the victim's page 2 (byte "
			     "%u is 0x%02x)", i, (unsigned char)area[2 * PAGE + i]);
			break;
		}
	if (ioctl(fd, DKIOCASTAT, &st))
		fail("the victim's DKIOCASTAT: %s", strerror(errno));
	else if (st.acount != 0)
		fail("the victim collected %ld statuses nobody had collected",
		     st.acount);
	if (!scm_send(sock, 'd', -1))
		fail("telling nobody the victim is done: %s", strerror(errno));
}

/* B: nobody, with only the passed descriptor. */
static void scm_receiver_run(void *arg)
{
	struct scm_run *r = arg;
	int sock = r->sock[1], fd = -1, err;
	char *area;
	IOSTAT st;
	long off;

	close(r->sock[0]);
	become_attacker();
	area = map_victim_area();	/* the victim's addresses, sentinels */
	if (!area) {
		scm_setup_failed(r, "nobody mapping the victim's addresses");
		return;
	}
	if (open_part("rvictim") >= 0 || errno != EACCES)
		fail("nobody opening rvictim itself: %s, not EACCES",
		     errno ? strerror(errno) : "opened");
	if (!scm_recv(sock, 'f', &fd)) {
		fail("no descriptor from the victim");
		return;
	}
	/* B's read, into B's page 2: the victim's page 2 has the same
	 * address and must stay as it is. */
	if ((err = transfer(fd, AU_READ, SCM_BLOCK_A, area + 2 * PAGE, PAGE)))
		fail("nobody's AU_READ through the passed descriptor: %s",
		     strerror(err));
	else if (!page_is_pattern((unsigned char *)area + 2 * PAGE,
				  SCM_SEED_A))
		fail("nobody's read did not land in nobody's memory");
	memset(area + 2 * PAGE, sentinel(2), PAGE);
	for (unsigned i = 0; i < PAGE; i++)
		area[i] = (char)victim_pattern(SCM_SEED_B, i);
	if ((err = transfer(fd, AU_WRITE, SCM_BLOCK_B, area, PAGE)))
		fail("nobody's AU_WRITE through the passed descriptor: %s",
		     strerror(err));
	memset(area, sentinel(0), PAGE);
	if (!scm_send(sock, 'r', -1) || !scm_recv(sock, 's', NULL)) {
		fail("the victim did not start its read");
		return;
	}
	/* The victim's read, collected by nobody. */
	if ((err = await_status(fd, STATUS_WAIT_MS, &st)))
		fail("nobody collecting the victim's status: %s",
		     strerror(err));
	else if (st.iomaddr != (char *)VICTIM_AREA_ADDR + PAGE ||
		 st.ioref != st.iomaddr || st.iostatus || st.iobsize != PAGE)
		fail("the status nobody collected: iomaddr %p ioref %p "
		     "iostatus %d iobsize %d, not the victim's read",
		     (void *)st.iomaddr, (void *)st.ioref, st.iostatus,
		     st.iobsize);
	if (!scm_send(sock, 'c', -1) || !scm_recv(sock, 'd', NULL))
		fail("the victim did not finish");
	if ((off = sentinel_broken(area)) >= 0)
		fail("nobody's memory changed: page %ld byte %ld is 0x%02x",
		     off / PAGE, off % PAGE, (unsigned char)area[off]);
}

static void test_scm_rights_other_user(void)
{
	struct scm_run *r = shared_alloc(sizeof(*r));
	pid_t owner, receiver;
	int status;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, r->sock)) {
		fail("socketpair: %s", strerror(errno));
		return;
	}
	owner = spawn(scm_owner_run, r);
	receiver = spawn(scm_receiver_run, r);
	close(r->sock[0]);
	close(r->sock[1]);
	if (owner > 0 && !wait_for(owner, 20000, &status))
		fail("the victim did not finish within 20 s");
	if (receiver > 0 && !wait_for(receiver, 5000, &status))
		fail("nobody did not finish");
	kill_and_reap(owner);
	kill_and_reap(receiver);
	if (r->setup_err) {
		fail("setup: %s: %s", r->setup_what, strerror(r->setup_err));
		return;
	}
	check_victim_disk(SCM_BLOCK_B, SCM_SEED_B);
	check_victim_disk(SCM_BLOCK_A, SCM_SEED_A);
}

/* ---- the harness ------------------------------------------------------- */

enum need {
	NEED_VICTIM = 1,	/* -x and -b */
	NEED_PIDFILE = 2,	/* -p */
	NEED_LOG = 4,		/* -L */
	NEED_AIOINFO = 8,	/* -i */
	NEED_STALLFS = 16,	/* -s */
};

static const struct test {
	const char *name;
	void (*run)(void);
	unsigned needs;
	int timeout_s;
	const char *what;
} tests[] = {
	{ "access_rules_hold", test_access_rules_hold, 0, 15,
	  "nobody cannot open others' partitions, load the lock table or "
	  "pass a partition's end" },
	{ "setuid_exec_cross_user", test_setuid_exec_cross_user, NEED_VICTIM,
	  30, "a CLONE_VM child of nobody registers, then execs the victim's "
	  "set-user-ID client: its data stays its own" },
	{ "clone_vm_pid_reuse", test_clone_vm_pid_reuse,
	  NEED_VICTIM | NEED_PIDFILE, 90,
	  "nobody's requester exits, its pid goes to a victim process while "
	  "its mm lives on in a sibling: the victim's data stays its own" },
	{ "scm_rights_other_user", test_scm_rights_other_user, NEED_VICTIM,
	  30, "the victim passes its rvictim descriptor to nobody with "
	  "SCM_RIGHTS: each one's data lands only in its own memory; statuses "
	  "go to whoever collects them" },
	{ "protections_respected", test_protections_respected, 0, 30,
	  "AU_READ/AIOC_PREAD/read() into read-only pages and AU_WRITE from "
	  "a PROT_NONE page fail with EFAULT at the call" },
	{ "fair_share_requests", test_fair_share_requests, 0, 40,
	  "five nobody processes take all the request slots they can: root "
	  "is still served" },
	{ "fair_share_processes", test_fair_share_processes, 0, 60,
	  "NAIOPROC+8 idle nobody processes register: root is still served" },
	{ "unprivileged_flood_bounded", test_unprivileged_flood_bounded,
	  NEED_PIDFILE, 90, "nobody floods aiod with 2000 open files, requests "
	  "at its limits and a fork storm: aiod's memory and descriptors stay "
	  "bounded, root's 200 reads all complete, p99 under 1 s" },
	{ "mlock_probe_cheap", test_mlock_probe_cheap, 0, 60,
	  "DKIOCMLOCKs of 4 GiB by nobody are quick and do not delay root" },
	{ "log_flood_limited", test_log_flood_limited, NEED_LOG, 30,
	  "refused ioctls as fast as nobody can: the log stays small and "
	  "says what it suppressed" },
	{ "fuse_stall_isolated", test_fuse_stall_isolated,
	  NEED_PIDFILE | NEED_AIOINFO | NEED_STALLFS, 40,
	  "au_maddr in a mapping of nobody's stalling FUSE file: root is "
	  "served, aioinfo answers, SIGTERM stops aiod (stops aiod)" },
	{ "locked_region_remapped", test_locked_region_remapped,
	  NEED_PIDFILE | NEED_AIOINFO | NEED_STALLFS, 40,
	  "nobody, with a lock allowance, maps its stalling FUSE file over "
	  "its locked anonymous region: root is served, aioinfo answers, "
	  "SIGTERM stops aiod (stops aiod)" },
	{ "own_device_mapping_no_deadlock",
	  test_own_device_mapping_no_deadlock, NEED_PIDFILE | NEED_AIOINFO, 40,
	  "au_maddr in a mapping of aiod's own device file: no deadlock "
	  "(stops aiod)" },
};

#define NTESTS (sizeof(tests) / sizeof(tests[0]))

static const char *missing_option(unsigned needs)
{
	if ((needs & NEED_VICTIM) && (!cfg.victim_client || !cfg.backing))
		return "-x CLIENT and -b PATH@OFFSET";
	if ((needs & NEED_PIDFILE) && !cfg.pidfile)
		return "-p PIDFILE";
	if ((needs & NEED_LOG) && !cfg.logfile)
		return "-L LOGFILE";
	if ((needs & NEED_AIOINFO) && !cfg.aioinfo)
		return "-i AIOINFO";
	if ((needs & NEED_STALLFS) && !cfg.stallfs)
		return "-s STALLFS";
	return NULL;
}

/* What a test killed at its deadline left behind. */
static void emergency_cleanup(void)
{
	if (report->aiod_stopped)
		kill(report->aiod_stopped, SIGCONT);
	if (report->stall_dir[0])
		cleanup_stall_mount(report->stall_dir);
	if (report->abort_aiod_conn && cfg.have_conn)
		abort_fuse_conn(cfg.aiod_conn);
}

static bool run_test(const struct test *t)
{
	const char *missing = missing_option(t->needs);
	pid_t pid;
	int status;
	bool timed_out = false;

	memset(report, 0, sizeof(*report));
	fflush(stdout);
	if (missing) {
		fail("needs %s", missing);
	} else if ((pid = fork()) == 0) {
		setpgid(0, 0);
		t->run();
		_exit(0);
	} else if (pid < 0) {
		fail("fork: %s", strerror(errno));
	} else {
		setpgid(pid, pid);
		timed_out = !wait_for(pid, t->timeout_s * 1000LL, &status);
		kill(-pid, SIGKILL);
		if (timed_out) {
			wait_for(pid, 2000, &status);
			fail("timed out after %d s", t->timeout_s);
			emergency_cleanup();
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fail("the test process died (status 0x%x)",
			     (unsigned)status);
		}
		/* stragglers of the group die with it, their zombies
		 * go to init */
	}
	if (report->failed)
		printf("FAIL %s: %s\n", t->name, report->text);
	else if (report->len)
		printf("PASS %s (%s)\n", t->name, report->text);
	else
		printf("PASS %s\n", t->name);
	fflush(stdout);
	return !report->failed;
}

static void usage(FILE *to, int status)
{
	fputs("Usage: aioattack [-l] [-t NAME]... [-u USER] [-v USER] "
	      "[-x CLIENT]\n"
	      "                 [-b PATH@OFFSET] [-p PIDFILE] [-L LOGFILE] "
	      "[-i AIOINFO]\n"
	      "                 [-s STALLFS] MOUNT_DIR\n"
	      "Run the attacks of issue 15 against the aiod serving rroot, "
	      "rshared (0666)\nand rvictim (the victim's only) under "
	      "MOUNT_DIR, as root.\n\n"
	      "  -l             list the tests\n"
	      "  -t NAME        run this test (repeatable; default: all)\n"
	      "  -u USER        the attacker (default nobody)\n"
	      "  -v USER        the victim (default scoaio-victim)\n"
	      "  -x CLIENT      the victim's client aiovictim, set-user-ID "
	      "to the victim\n"
	      "  -b PATH@OFF    where rvictim's bytes lie (read with "
	      "O_DIRECT)\n"
	      "  -p PIDFILE     aiod's pid file (the freeze tests stop "
	      "aiod)\n"
	      "  -L LOGFILE     aiod's standard error (aiod -f)\n"
	      "  -i AIOINFO     the aioinfo program\n"
	      "  -s STALLFS     the attacker's FUSE server aiostallfs\n",
	      to);
	exit(status);
}

static void lookup_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd *pw = getpwnam(name);

	if (!pw) {
		fprintf(stderr, "aioattack: no user '%s'\n", name);
		exit(2);
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

static const struct test *find_test(const char *name)
{
	for (size_t i = 0; i < NTESTS; i++)
		if (!strcmp(tests[i].name, name))
			return &tests[i];
	fprintf(stderr, "aioattack: no test '%s' (see -l)\n", name);
	exit(2);
}

int main(int argc, char **argv)
{
	const struct test **chosen = calloc(NTESTS + (size_t)argc,
					    sizeof(*chosen));
	const char *attacker = "nobody", *victim = "scoaio-victim";
	size_t nchosen = 0;
	unsigned passed = 0, failed = 0;
	struct stat st;
	char *at;
	int c;

	while ((c = getopt(argc, argv, "lt:u:v:x:b:p:L:i:s:h")) != -1)
		switch (c) {
		case 'l':
			for (size_t i = 0; i < NTESTS; i++)
				printf("%-32s %s\n", tests[i].name,
				       tests[i].what);
			return 0;
		case 't': chosen[nchosen++] = find_test(optarg); break;
		case 'u': attacker = optarg; break;
		case 'v': victim = optarg; break;
		case 'x': cfg.victim_client = optarg; break;
		case 'b':
			at = strrchr(optarg, '@');
			if (!at)
				usage(stderr, 2);
			*at = '\0';
			cfg.backing = optarg;
			cfg.backing_offset = strtoull(at + 1, NULL, 0);
			break;
		case 'p': cfg.pidfile = optarg; break;
		case 'L': cfg.logfile = optarg; break;
		case 'i': cfg.aioinfo = optarg; break;
		case 's': cfg.stallfs = optarg; break;
		case 'h': usage(stdout, 0); break;
		default: usage(stderr, 2);
		}
	if (optind != argc - 1)
		usage(stderr, 2);
	cfg.mnt = argv[optind];
	if (geteuid() != 0) {
		fprintf(stderr, "aioattack: must run as root\n");
		return 2;
	}
	lookup_user(attacker, &cfg.attacker_uid, &cfg.attacker_gid);
	if (cfg.victim_client)
		lookup_user(victim, &cfg.victim_uid, &cfg.victim_gid);
	/* Now, while aiod answers: which FUSE connection is it? */
	if (stat(cfg.mnt, &st) == 0 && major(st.st_dev) == 0) {
		cfg.aiod_conn = minor(st.st_dev);
		cfg.have_conn = true;
	}
	if (nchosen == 0)
		for (size_t i = 0; i < NTESTS; i++)
			chosen[nchosen++] = &tests[i];
	report = shared_alloc(sizeof(*report));
	signal(SIGPIPE, SIG_IGN);
	for (size_t i = 0; i < nchosen; i++) {
		if (run_test(chosen[i]))
			passed++;
		else
			failed++;
	}
	printf("%u passed, %u failed\n", passed, failed);
	free(chosen);
	return failed ? 1 : 0;
}
