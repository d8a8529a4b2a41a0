/* SPDX-License-Identifier: MIT */
/*
 * privs.c -- aiod's privileges once it is serving, in one place.  Start-up
 * (opening the partitions, mounting or registering with CUSE, setting the
 * owner and mode of the devices) needs root's full set; serving needs
 * little of it.  privs_drop(), called once every device is ready, sets
 * no_new_privs, empties the bounding set and the ambient set and keeps in
 * the permitted and effective sets only the capabilities aiod(8) lists
 * under PRIVILEGES, in every thread (the memory workers already run:
 * each is told by a signal to drop its own, since capabilities belong to
 * a thread), then confines all threads to an allow-list of system calls
 * (seccomp, libseccomp).  A call outside the list is not executed: the
 * kernel sends SIGSYS, whose handler writes a message naming the call,
 * prepared beforehand, to standard error and, once detached, to syslog,
 * then ends the process.
 */
#include "aiod.h"

#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <syslog.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#define CAPBIT(c) (UINT64_C(1) << (c))
#if defined(__SANITIZE_ADDRESS__)		/* gcc */
#define AIOD_ASAN 1
#elif defined(__has_feature)			/* clang */
#if __has_feature(address_sanitizer)
#define AIOD_ASAN 1
#endif
#endif

/* What the event loop, libfuse, libaio, the memory workers, logging, a
 * reload and shutdown call while aiod serves (collected with strace -f over the host
 * suite, plus the detached path's).  No clone: the workers exist before,
 * and aiod starts no thread or process while it serves; no execve, mount
 * or open_by_handle_at. */
static const char *const allowed[] = {
	/* event loop, requests, libaio */
	"epoll_wait", "epoll_pwait", "epoll_ctl", "read", "readv", "write",
	"writev", "pread64", "pwrite64", "io_submit", "io_getevents",
	"io_pgetevents", "io_cancel", "io_destroy", "eventfd2", "poll",
	"ppoll", "splice", "lseek", "fstat", "newfstatat", "statx",
	"fcntl", "ioctl", "close", "dup", "dup2", "dup3",
	/* a reload (SIGHUP): owner and mode of CUSE nodes (glibc's chown()
	 * and chmod() may use either call) */
	"chown", "fchownat", "chmod", "fchmodat",
	/* client memory and callers */
	"process_vm_readv", "process_vm_writev", "open", "openat", "kcmp",
	"pidfd_open", "getdents64",
	/* memory, threads, time */
	"mmap", "munmap", "mprotect", "mremap", "madvise", "brk", "mlock",
	"munlock", "futex", "set_robust_list", "rseq", "exit", "exit_group",
	"gettid", "getpid", "tgkill",
	"rt_sigprocmask", "rt_sigreturn", "sched_yield", "nanosleep",
	"clock_nanosleep", "clock_gettime", "gettimeofday", "time",
	"getrandom", "prlimit64", "getrlimit",
	/* syslog, the journal and sd_notify (sendmsg, get/setsockopt:
	 * libsystemd), stopping (unmount, pid file) */
	"socket", "connect", "sendto", "sendmsg", "getsockopt",
	"setsockopt", "umount2", "rmdir",
	"unlink",
	"getuid", "geteuid", "getgid", "getegid",
#ifdef AIOD_ASAN
	/* the sanitizer runtime's report and its leak check at exit */
	"sigaltstack", "rt_sigaction", "prctl", "ptrace", "wait4",
	"waitid", "sched_getaffinity", "readlink", "getppid", "mincore",
	"kill", "clone", "clone3", "getdents",
#endif
};

static uint64_t keep;		/* the capabilities kept */
static atomic_uint dropped, failed;
static int log_sock = -1;	/* /dev/log, once detached */
static char *names[512];	/* system call names, resolved beforehand */
static char msg[256];

/* The caller thread's capabilities down to keep; async-signal-safe. */
static int drop_own(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };
	struct __user_cap_data_struct data[2] = { { 0 } };
	int rc = 0;

	for (int c = 0; c < 64; c++)
		if (!(keep & CAPBIT(c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) &&
		    errno != EINVAL)
			rc = -1;
	for (int i = 0; i < 2; i++)
		data[i].effective = data[i].permitted =
			(uint32_t)(keep >> (32 * i));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) ||
	    syscall(SYS_capset, &hdr, data) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		rc = -1;
	return rc;
}

static void on_drop_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (drop_own())
		atomic_fetch_add(&failed, 1);
	atomic_fetch_add(&dropped, 1);
	errno = saved;
}

/* Every other thread of aiod drops its own; -1 if one could not. */
static int drop_others(char *err, size_t errlen)
{
	struct sigaction sa = { .sa_handler = on_drop_signal,
				.sa_flags = SA_RESTART };
	struct timespec tick = { 0, 1000000 };
	unsigned signalled = 0;
	DIR *tasks;
	struct dirent *e;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN, &sa, NULL))
		return failmsg(err, errlen, "sigaction: %s", strerror(errno));
	tasks = opendir("/proc/self/task");
	if (!tasks)
		return failmsg(err, errlen, "/proc/self/task: %s",
			       strerror(errno));
	while ((e = readdir(tasks))) {
		pid_t tid = (pid_t)atoi(e->d_name);

		if (tid <= 0 || tid == gettid())
			continue;
		if (syscall(SYS_tgkill, getpid(), tid, SIGRTMIN) == 0)
			signalled++;
		else if (errno != ESRCH)
			atomic_fetch_add(&failed, 1);
	}
	closedir(tasks);
	for (int i = 0; i < 2000 && atomic_load(&dropped) < signalled; i++)
		nanosleep(&tick, NULL);
	signal(SIGRTMIN, SIG_DFL);
	if (atomic_load(&dropped) < signalled || atomic_load(&failed))
		return failmsg(err, errlen, "%u of %u threads could not drop "
			       "their capabilities", signalled -
			       atomic_load(&dropped) + atomic_load(&failed),
			       signalled);
	return 0;
}

static void append(size_t *n, const char *s)
{
	while (*s && *n < sizeof(msg) - 1)
		msg[(*n)++] = *s++;
}

static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char num[12], *p = num + sizeof(num);
	unsigned nr = (unsigned)si->si_syscall;
	size_t n = strlen(msg);		/* the prefix, "<27>aiod[PID]: " */
	size_t head = n;

	(void)sig;
	(void)uctx;
	*--p = '\0';
	do
		*--p = (char)('0' + nr % 10);
	while (nr /= 10);
	append(&n, "seccomp: system call ");
	append(&n, (unsigned)si->si_syscall < 512 && names[si->si_syscall] ?
		   names[si->si_syscall] : "?");
	append(&n, " (");
	append(&n, p);
	append(&n, ") is not in aiod's allow-list; exiting (--no-seccomp "
		   "to debug)\n");
	if (log_sock >= 0)
		(void)!send(log_sock, msg, n - 1, 0);
	(void)!write(2, "aiod: ", 6);
	(void)!write(2, msg + head, n - head);
	_exit(128 + SIGSYS);
}

static int confine(char *err, size_t errlen)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys,
				.sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	unsigned added = 0;
	int rc = 0;

	for (int nr = 0; nr < 512; nr++)
		names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
							      nr);
	sigemptyset(&sa.sa_mask);
	if (!ctx || sigaction(SIGSYS, &sa, NULL))
		return failmsg(err, errlen, "seccomp: cannot set up: %s",
			       strerror(errno));
	for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed) && !rc;
	     i++) {
		int nr = seccomp_syscall_resolve_name(allowed[i]);

		if (nr != __NR_SCMP_ERROR) {
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
			added++;
		}
	}
	/* A call in another ABI (int 0x80, x32) ends the whole process. */
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				      SCMP_ACT_KILL_PROCESS);
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc)
		return failmsg(err, errlen, "seccomp: cannot load the filter: "
			       "%s", strerror(-rc));
	log_info("seccomp: %u system calls allowed; any other ends aiod",
		 added);
	return 0;
}

int privs_drop(bool fuse, bool seccomp, bool detached, char *err,
	       size_t errlen)
{
	struct sockaddr_un log_addr = { AF_UNIX, "/dev/log" };

	/* FUSE: CAP_SYS_ADMIN to unmount.  CUSE: CAP_CHOWN and CAP_FOWNER
	 * to give the nodes of devices a reload adds or changes their owner,
	 * group and mode. */
	keep = CAPBIT(CAP_SYS_PTRACE) | CAPBIT(CAP_DAC_OVERRIDE) |
	       CAPBIT(CAP_IPC_LOCK) |
	       (fuse ? CAPBIT(CAP_SYS_ADMIN)
		     : CAPBIT(CAP_CHOWN) | CAPBIT(CAP_FOWNER));
	if (drop_own())
		return failmsg(err, errlen, "cannot drop capabilities: %s",
			       strerror(errno));
	if (drop_others(err, errlen))
		return -1;
	if (!seccomp) {
		log_warn("seccomp: off (--no-seccomp)");
		return 0;
	}
	snprintf(msg, sizeof(msg), "<%d>aiod[%d]: ", LOG_DAEMON | LOG_ERR,
		 (int)getpid());
	if (detached) {
		log_sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (log_sock >= 0 && connect(log_sock,
					     (struct sockaddr *)&log_addr,
					     sizeof(log_addr))) {
			close(log_sock);
			log_sock = -1;
		}
	}
	return confine(err, errlen);
}
