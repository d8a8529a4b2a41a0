/* SPDX-License-Identifier: MIT */
/*
 * main.c -- aiod's command line and life cycle: parse options and the
 * config file, open the partitions, detach (the first process exits 0 only
 * once every device can be opened, non-zero with the reason otherwise),
 * give up the privileges serving does not need (privs.c), run the event
 * loop, and on SIGTERM, SIGINT or SIGHUP stop taking requests, drain the
 * transfers in flight and remove the devices it created.
 */
#include "aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_SECONDS 20
/* SIGTERM waits this long for transfers in flight on the devices, and
 * this long for clients' memory, then stops anyway. */
#define DRAIN_SECONDS 10
#define DRAIN_MEMORY_SECONDS 2

static const char usage_text[] =
"Usage: aiod [-f] [-c FILE] [--fuse DIR] [--pidfile FILE] [--no-seccomp]\n"
"            [-o TUNABLE=VALUE]... [--device SPEC]...\n"
"Serve SCO aio(M) raw-disk asynchronous I/O on Linux partitions.\n"
"\n"
"  -f, --foreground     stay in the foreground and log to standard error\n"
"  -c, --config FILE    read tunables and devices from FILE\n"
"      --fuse DIR       serve devices as files under DIR (FUSE) instead\n"
"                       of CUSE character devices under /dev\n"
"      --pidfile FILE   lock FILE (one aiod per pid file) and write the\n"
"                       daemon's pid to it\n"
"      --no-seccomp     do not confine aiod to its system-call allow-list\n"
"                       (for debugging; see PRIVILEGES in aiod(8))\n"
"  -o TUNABLE=VALUE     set NAIOPROC, NAIOREQ, NAIOREQPP, NAIOBUF or\n"
"                       NAIOLOCKTBL (overrides the config file)\n"
"      --device SPEC    NAME=PATH[,offset=BYTES][,size=BYTES][,owner=USER]\n"
"                       [,group=GROUP][,mode=OCTAL][,ro]\n"
"                       [,cache=writethrough|writeback]: serve PATH (a\n"
"                       block device or image file, or a slice of it) as\n"
"                       NAME\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"See aiod(8) and aio(4).\n";

struct options {
	bool foreground, no_seccomp;
	const char *config_file, *fuse_dir, *pidfile;
	const char **tunables, **devices;
	size_t ntunables, ndevices;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						    noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("aiod: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	pidfile_remove();
	exit(1);
}

static void push(const char ***list, size_t *n, const char *item)
{
	const char **grown = realloc(*list, (*n + 1) * sizeof(**list));

	if (!grown)
		die("out of memory");
	grown[(*n)++] = item;
	*list = grown;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_FUSE = 256, OPT_PIDFILE, OPT_DEVICE, OPT_NO_SECCOMP };
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "fuse", required_argument, NULL, OPT_FUSE },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "fc:o:hV", longopts, NULL)) != -1)
		switch (c) {
		case 'f': o->foreground = true; break;
		case 'c': o->config_file = optarg; break;
		case 'o': push(&o->tunables, &o->ntunables, optarg); break;
		case OPT_FUSE: o->fuse_dir = optarg; break;
		case OPT_PIDFILE: o->pidfile = optarg; break;
		case OPT_DEVICE: push(&o->devices, &o->ndevices, optarg); break;
		case OPT_NO_SECCOMP: o->no_seccomp = true; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case 'V': puts("aiod (scoaio) " SCOAIO_VERSION); exit(0);
		default: fputs(usage_text, stderr); exit(2);
		}
	if (optind < argc) {
		fprintf(stderr, "aiod: unexpected argument '%s'\n%s",
			argv[optind], usage_text);
		exit(2);
	}
}

static void build_config(const struct options *o, struct config *cfg)
{
	char err[512];

	config_init(cfg);
	if (o->config_file && config_load_file(cfg, o->config_file, err,
					       sizeof(err)))
		die("%s", err);
	for (size_t i = 0; i < o->ntunables; i++)
		if (config_set_tunable(cfg, o->tunables[i], err, sizeof(err)))
			die("-o %s", err);
	for (size_t i = 0; i < o->ndevices; i++)
		if (config_add_device(cfg, o->devices[i], err, sizeof(err)))
			die("--device: %s", err);
	if (cfg->ndevices == 0)
		die("no devices to serve: give --device NAME=PATH or a "
		    "config file with 'device' lines (see aiod(8))");
}

/* Without -f: fork; the parent waits for the child's word that every
 * device is ready and exits 0, or, if the child ends first (its reason
 * already on standard error), with the child's exit status. */
static int detach(void)
{
	int pipefd[2], status;
	char ok;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &ok, 1) == 1)
			exit(0);
		if (waitpid(pid, &status, 0) < 0)
			die("waitpid: %s", strerror(errno));
		if (WIFEXITED(status))
			exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
		die("the daemon was killed by signal %d (%s) before its "
		    "devices were ready", WTERMSIG(status),
		    strsignal(WTERMSIG(status)));
	}
	close(pipefd[0]);
	if (setsid() < 0)
		die("setsid: %s", strerror(errno));
	if (chdir("/"))
		die("chdir /: %s", strerror(errno));
	return pipefd[1];
}

static void finish_detach(int ready_fd)
{
	int null = open("/dev/null", O_RDWR);

	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
		die("/dev/null: %s", strerror(errno));
	log_to_syslog();
	if (write(ready_fd, "", 1) != 1)
		log_err("cannot tell the parent that aiod is ready: %s",
			strerror(errno));
	dup2(null, 2);
	close(null);
	close(ready_fd);
}

static bool stop_requested;

static void on_signal(struct loop_source *src)
{
	struct signalfd_siginfo si;

	while (read(src->fd, &si, sizeof(si)) == sizeof(si))
		stop_requested = true;
}

static void on_completions(struct loop_source *src)
{
	(void)src;
	backend_reap();
}

/* Each read in flight holds a handle on its client's memory: make room
 * for NAIOREQ of them besides the processes' and the devices' own. */
static void raise_fd_limit(const struct config *cfg)
{
	rlim_t need = (rlim_t)cfg->tun.naioreq + 2 * cfg->tun.naioproc +
		      cfg->ndevices + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		log_warn("cannot raise the open file limit to %llu (%s): "
			 "requests past it get EAGAIN", (unsigned long long)need,
			 strerror(errno));
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct config cfg;
	struct device *devs;
	const struct frontend *fe;
	struct loop_source sigsrc, aiosrc;
	char err[512];
	sigset_t sigs;
	int ready_fd = -1, rc;
	time_t deadline, started;

	/* 0-2 open before anything else is, so that no device, /dev/cuse
	 * or socket becomes one and is replaced by /dev/null on detaching. */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 &&
		    open("/dev/null", fd ? O_WRONLY : O_RDONLY) != fd)
			return 1;	/* no stderr to say so on */
	parse_options(argc, argv, &o);
	build_config(&o, &cfg);
	fe = o.fuse_dir ? &fusefe_frontend : &cusefe_frontend;
	if (!o.fuse_dir && access("/dev/cuse", F_OK))
		die("/dev/cuse does not exist: this kernel has no CUSE (try "
		    "'modprobe cuse'), or serve the devices as files with "
		    "--fuse DIR");

	if (o.pidfile && pidfile_claim(o.pidfile, err, sizeof(err)))
		die("%s", err);
	devs = calloc(cfg.ndevices, sizeof(*devs));
	if (!devs)
		die("out of memory");
	for (size_t i = 0; i < cfg.ndevices; i++)
		if (backend_open_device(&devs[i], &cfg.devices[i], err,
					sizeof(err)))
			die("device %s: %s", cfg.devices[i].name, err);

	if (!o.foreground)
		ready_fd = detach();

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL))
		die("sigprocmask: %s", strerror(errno));
	sigsrc = (struct loop_source){
		signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC), on_signal };
	if (sigsrc.fd < 0)
		die("signalfd: %s", strerror(errno));

	raise_fd_limit(&cfg);
	stats_init();
	engine_init(&cfg.tun);
	admin_init(devs, cfg.ndevices);
	trace_init(devs);
	if (loop_init() ||
	    quota_init(&cfg.tun) || callers_init(engine_caller_retired) ||
	    clientmem_init() ||
	    locktbl_init(cfg.tun.naiolocktbl, cfg.tun.naioproc) ||
	    backend_init(cfg.tun.naioreq + 256, cfg.tun.naiobuf))
		die("cannot start");
	aiosrc = (struct loop_source){ backend_eventfd(), on_completions };
	if (loop_add(&sigsrc) || loop_add(&aiosrc))
		die("epoll: %s", strerror(errno));
	if (fe->start(devs, cfg.ndevices, o.fuse_dir, err, sizeof(err))) {
		fe->stop();
		die("%s", err);
	}

	deadline = time(NULL) + READY_TIMEOUT_SECONDS;
	while ((rc = fe->ready(err, sizeof(err))) == 0 && !stop_requested &&
	       !glue_session_ended()) {
		if (time(NULL) > deadline) {
			snprintf(err, sizeof(err), "the kernel did not set up "
				 "the %s devices within %d s", fe->name,
				 READY_TIMEOUT_SECONDS);
			rc = -1;
			break;
		}
		loop_run_once(100, engine_start_accepted);
	}
	if (rc == 1 && o.pidfile && pidfile_write(err, sizeof(err)))
		rc = -1;
	if (rc == 1 && privs_drop(o.fuse_dir != NULL, !o.no_seccomp,
				  ready_fd >= 0, err, sizeof(err)))
		rc = -1;
	if (rc != 1) {
		fe->stop();
		die("%s", rc < 0 ? err : "stopped before the devices were ready");
	}
	log_info("serving %zu device%s through %s%s%s", cfg.ndevices,
		 cfg.ndevices == 1 ? "" : "s", fe->name,
		 o.fuse_dir ? " at " : "", o.fuse_dir ? o.fuse_dir : "");
	if (ready_fd >= 0)
		finish_detach(ready_fd);

	while (!stop_requested && !glue_session_ended())
		if (loop_run_once(-1, engine_start_accepted))
			log_err("epoll_wait: %s", strerror(errno));

	/* Drain: no new requests, finish the transfers in flight. */
	log_info("stopping: draining %u transfer%s in flight",
		 engine_inflight(), engine_inflight() == 1 ? "" : "s");
	glue_pause_sessions();
	started = time(NULL);
	while (engine_inflight() || clientmem_unfinished()) {
		time_t waited = time(NULL) - started;

		if (waited >= DRAIN_SECONDS ||
		    (!backend_busy() && waited >= DRAIN_MEMORY_SECONDS))
			break;
		if (loop_run_once(200, engine_start_accepted))
			break;
	}
	if (engine_inflight() || clientmem_unfinished())
		log_warn("stopping with %u request%s unfinished: %s",
			 engine_inflight(), engine_inflight() == 1 ? "" : "s",
			 backend_busy() ? "the device does not answer"
					: "a client's memory does not answer");
	fe->stop();
	clientmem_shutdown();
	callers_shutdown();
	locktbl_shutdown();
	quota_shutdown();
	backend_shutdown();
	glue_shutdown();
	trace_shutdown();
	loop_shutdown();
	for (size_t i = 0; i < cfg.ndevices; i++)
		backend_close_device(&devs[i]);
	free(devs);
	config_free(&cfg);
	free(o.tunables);
	free(o.devices);
	pidfile_remove();
	log_info("stopped");
	return 0;
}
