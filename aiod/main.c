/* SPDX-License-Identifier: MIT */
/*
 * main.c -- aiod's command line and life cycle: parse options and the
 * config file, open the partitions, detach (the first process exits 0 only
 * once every device can be opened, non-zero with the reason otherwise),
 * make the slices' device-mapper devices for the direct path, give up
 * the privileges serving does not need (privs.c), run the event loop,
 * reload on SIGHUP (reload.c), and on SIGTERM or SIGINT stop taking
 * requests, drain the transfers in flight and remove the devices it
 * created.
 */
#include "aiod.h"
#include "common/cli.h"

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
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_SECONDS 20
/* SIGTERM waits this long for transfers in flight on the devices, and
 * this long for clients' memory, then stops anyway. */
#define DRAIN_SECONDS 10
#define DRAIN_MEMORY_SECONDS 2

static const char usage_text[] =
"Usage: aiod [-f] [-t] [-c FILE] [--dump-config] [--fuse DIR]\n"
"            [--pidfile FILE] [--no-seccomp] [-o TUNABLE=VALUE]...\n"
"            [--device SPEC]...\n"
"Serve SCO aio(M) raw-disk asynchronous I/O on Linux partitions.\n"
"\n"
"  -f, --foreground     stay in the foreground and log to standard error\n"
"  -c, --config FILE    read tunables, devices and the lock table file\n"
"                       from FILE (default " CONFIG_DEFAULT_FILE ",\n"
"                       if it exists)\n"
"  -t, --test-config    check the configuration and the lock table, then\n"
"                       exit: 0 if valid, 1 with every error otherwise\n"
"      --dump-config    print the effective configuration in the config\n"
"                       file's syntax and exit\n"
"      --fuse DIR       serve devices as files under DIR (FUSE) instead\n"
"                       of CUSE character devices under /dev\n"
"      --pidfile FILE   lock FILE (one aiod per pid file) and write the\n"
"                       daemon's pid to it\n"
"      --log=TARGET     where messages go: syslog (the default once\n"
"                       detached), stderr (the default with -f), journal\n"
"                       (systemd's) or an absolute FILE name\n"
"  -v, --verbose        log debug messages too\n"
"  -q, --quiet          log only warnings and errors\n"
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
	bool foreground, no_seccomp, test_config, dump_config;
	const char *fuse_dir, *pidfile;
	struct settings_source src;
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
	enum { OPT_FUSE = 256, OPT_PIDFILE, OPT_DEVICE, OPT_NO_SECCOMP,
	       OPT_DUMP_CONFIG, OPT_LOG };
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "test-config", no_argument, NULL, 't' },
		{ "dump-config", no_argument, NULL, OPT_DUMP_CONFIG },
		{ "log", required_argument, NULL, OPT_LOG },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "fuse", required_argument, NULL, OPT_FUSE },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "no-seccomp", no_argument, NULL, OPT_NO_SECCOMP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char err[512];
	int c;

	cli_init(argv, "aiod");
	while ((c = getopt_long(argc, argv, "ftc:o:vqhV", longopts,
				NULL)) != -1)
		switch (c) {
		case OPT_LOG:
			if (log_set_target(optarg, err, sizeof(err)))
				cli_usage_error("%s", err);
			break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'q': log_set_level(LOG_WARNING); break;
		case 'f': o->foreground = true; break;
		case 't': o->test_config = true; break;
		case OPT_DUMP_CONFIG: o->dump_config = true; break;
		case 'c': o->src.file = optarg; break;
		case 'o':
			push(&o->src.tunables, &o->src.ntunables, optarg);
			break;
		case OPT_FUSE: o->fuse_dir = optarg; break;
		case OPT_PIDFILE: o->pidfile = optarg; break;
		case OPT_DEVICE:
			push(&o->src.devices, &o->src.ndevices, optarg);
			break;
		case OPT_NO_SECCOMP: o->no_seccomp = true; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		case 'V': cli_version();
		default: cli_usage_error(NULL);
		}
	if (optind < argc)
		cli_usage_error("unexpected argument '%s'", argv[optind]);
	log_start(o->foreground, !o->test_config && !o->dump_config);
}

static void report_error(void *ctx, const char *msg)
{
	(void)ctx;
	log_err("%s", msg);
}

/* The configuration to start with; -t and --dump-config end here. */
static void build_config(const struct options *o, struct config *cfg)
{
	int errors = settings_read(&o->src, cfg, report_error, NULL);

	if (errors && (o->test_config || o->dump_config)) {
		config_free(cfg);
		exit(1);
	}
	if (errors)
		die("%d error%s in the configuration; not started", errors,
		    errors == 1 ? "" : "s");
	if (o->dump_config) {
		config_dump(cfg, stdout);
		config_free(cfg);
		exit(fflush(stdout) ? 1 : 0);
	}
	if (o->test_config) {
		bool no_file = !o->src.file &&
			       access(settings_file(&o->src), F_OK);

		log_info("configuration ok: %s%s, %zu device%s, lock table %s "
			 "(%zu entr%s)", no_file ? "the command line; no " : "",
			 settings_file(&o->src),
			 cfg->ndevices, cfg->ndevices == 1 ? "" : "s",
			 config_locktable(cfg), cfg->nlocks,
			 cfg->nlocks == 1 ? "y" : "ies");
		config_free(cfg);
		exit(0);
	}
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
	char err[256];

	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
		die("/dev/null: %s", strerror(errno));
	if (log_detached(err, sizeof(err)))
		die("%s", err);
	if (write(ready_fd, "", 1) != 1)
		log_err("cannot tell the parent that aiod is ready: %s",
			strerror(errno));
	if (!log_needs_stderr())
		dup2(null, 2);
	close(null);
	close(ready_fd);
}

static bool stop_requested, reload_requested;

static void on_signal(struct loop_source *src)
{
	struct signalfd_siginfo si;

	while (read(src->fd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGHUP)
			reload_requested = true;
		else
			stop_requested = true;
}

/* After each batch of events while serving. */
static void after_batch(void)
{
	engine_start_accepted();
	reload_poll();
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
	struct device *const *devs;
	size_t ndevs;
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
	backend_remove_stale_direct();
	if (reload_open(&cfg, err, sizeof(err)))
		die("%s", err);
	devs = reload_devices(&ndevs);

	if (!o.foreground)
		ready_fd = detach();
	/* In the daemon itself (its pid names the devices), privileged. */
	if (backend_prepare_direct(devs, ndevs, err, sizeof(err)))
		die("%s", err);

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
	reload_serve(fe, &o.src);
	if (loop_init(cfg.tun.busypoll) ||
	    quota_init(&cfg.tun) || callers_init(engine_caller_retired) ||
	    clientmem_init() ||
	    locktbl_init(cfg.tun.naiolocktbl, cfg.tun.naioproc) ||
	    locktbl_load(cfg.locks, cfg.nlocks, true) ||
	    backend_init(cfg.tun.naioreq + 256, cfg.tun.naiobuf))
		die("cannot start");
	if (direct_init(err, sizeof(err)))
		die("%s", err);
	aiosrc = (struct loop_source){ backend_eventfd(), on_completions };
	if (loop_add(&sigsrc) || loop_add(&aiosrc))
		die("epoll: %s", strerror(errno));
	if (fe->start(devs, ndevs, o.fuse_dir, err, sizeof(err))) {
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
	log_info("serving %zu device%s through %s%s%s; lock table %s: %zu "
		 "entr%s", cfg.ndevices, cfg.ndevices == 1 ? "" : "s",
		 fe->name, o.fuse_dir ? " at " : "",
		 o.fuse_dir ? o.fuse_dir : "", config_locktable(&cfg),
		 cfg.nlocks, cfg.nlocks == 1 ? "y" : "ies");
	if (ready_fd >= 0)
		finish_detach(ready_fd);
	notify_ready("serving %zu device%s", ndevs, ndevs == 1 ? "" : "s");

	while (!stop_requested && !glue_session_ended()) {
		if (reload_requested) {
			reload_requested = false;
			reload_apply();
		}
		/* New devices of a reload are polled until ready. */
		if (loop_run_once(reload_poll() ? 100 : -1, after_batch))
			log_err("epoll_wait: %s", strerror(errno));
	}

	/* Drain: no new requests, finish the transfers in flight. */
	log_info("stopping: draining %u transfer%s in flight",
		 engine_inflight(), engine_inflight() == 1 ? "" : "s");
	notify_stopping("draining %u transfer%s in flight", engine_inflight(),
			engine_inflight() == 1 ? "" : "s");
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
	direct_shutdown();
	clientmem_shutdown();
	callers_shutdown();
	locktbl_shutdown();
	quota_shutdown();
	backend_shutdown();
	glue_shutdown();
	trace_shutdown();
	loop_shutdown();
	reload_shutdown();
	config_free(&cfg);
	free(o.src.tunables);
	free(o.src.devices);
	pidfile_remove();
	log_info("stopped");
	return 0;
}
