/* SPDX-License-Identifier: MIT */
/*
 * log.c -- where aiod's messages go (--log=): standard error (the default
 * with -f), syslog (facility daemon, the default once detached), the
 * systemd journal (sd_journal) or a file, with a level (-v adds debug
 * messages, -q keeps only warnings and errors).  Lines on standard error
 * and in a file carry a timestamp (UTC, milliseconds).  While a detached
 * aiod is still starting, every message also goes to standard error, so
 * a failed start is explained on the terminal.  Nothing is lost silently:
 * when syslog or the journal does not take a message (no /dev/log, no
 * journald), it goes to the standard error aiod was started with, and the
 * first such fallback says why.  Messages a client can provoke at will
 * (refused requests) draw on a budget per user: a few per minute, then a
 * count of what was suppressed.
 */
#include "aiod.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
/* sd_journal_send itself, not a macro adding the source location. */
#define SD_JOURNAL_SUPPRESS_LOCATION 1
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

/* Weak, so that the statically linked aiod (no static libsystemd on
 * Debian) links without it and says so if asked for the journal. */
#pragma weak sd_journal_send

#define BUDGET_MESSAGES	5	/* per window, per budget */
#define BUDGET_WINDOW	60	/* seconds */
#define USER_BUDGETS	64
#define SYSLOG_PATH	"/dev/log"
#define JOURNAL_SOCKET	"/run/systemd/journal/socket"

static enum log_target target = LOG_TARGET_DEFAULT;
static int max_level = LOG_INFO;
static int file_fd = -1;	/* --log=FILE */
static int stderr_fd = 2;	/* standard error as aiod was started */
static int syslog_fd = -1;	/* connected to SYSLOG_PATH */
static bool starting;		/* detached aiod not yet ready: echo to
				   standard error too */
static bool falling_back;	/* the last syslog or journal write failed */
static bool stamped = true;	/* timestamps on standard error, files */

int log_set_target(const char *arg, char *err, size_t errlen)
{
	if (!strcmp(arg, "stderr")) {
		target = LOG_TARGET_STDERR;
	} else if (!strcmp(arg, "syslog")) {
		target = LOG_TARGET_SYSLOG;
	} else if (!strcmp(arg, "journal")) {
		if (!sd_journal_send)
			return failmsg(err, errlen, "--log=journal: this aiod "
				       "is linked without libsystemd "
				       "(statically)");
		target = LOG_TARGET_JOURNAL;
	} else if (arg[0] == '/') {
		int fd = open(arg, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
			      O_NOFOLLOW, 0640);

		if (fd < 0)
			return failmsg(err, errlen, "--log=%s: %s", arg,
				       strerror(errno));
		if (file_fd >= 0)
			close(file_fd);
		file_fd = fd;
		target = LOG_TARGET_FILE;
	} else {
		return failmsg(err, errlen, "--log=%s: expected syslog, stderr, "
			       "journal or an absolute file name", arg);
	}
	return 0;
}

void log_set_level(int level)
{
	max_level = level;
}

void log_start(bool foreground, bool timestamps)
{
	stamped = timestamps;
	if (target == LOG_TARGET_DEFAULT)
		target = foreground ? LOG_TARGET_STDERR : LOG_TARGET_SYSLOG;
	starting = !foreground && target != LOG_TARGET_STDERR;
}

bool log_needs_stderr(void)
{
	return target == LOG_TARGET_STDERR;
}

int log_detached(char *err, size_t errlen)
{
	if (target != LOG_TARGET_STDERR) {
		stderr_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
		if (stderr_fd < 0)
			return failmsg(err, errlen, "cannot keep standard "
				       "error for the log: %s",
				       strerror(errno));
	}
	starting = false;
	return 0;
}

/* "2026-12-02T00:31:44.123Z aiod: " */
static int stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	if (!stamped)
		return snprintf(buf, len, "aiod: ");
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	return snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ aiod: ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec,
			ts.tv_nsec / 1000000);
}

static void write_line(int fd, const char *text)
{
	char line[1200];
	int n = stamp(line, sizeof(line));

	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s\n", text);
	if (n > (int)sizeof(line) - 1) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	(void)!write(fd, line, (size_t)n);
}

static int syslog_send(int priority, const char *text)
{
	struct sockaddr_un addr = { AF_UNIX, SYSLOG_PATH };
	char dgram[1200];
	int n = snprintf(dgram, sizeof(dgram), "<%d>aiod[%d]: %s",
			 LOG_DAEMON | priority, (int)getpid(), text);

	if (n > (int)sizeof(dgram) - 1)
		n = (int)sizeof(dgram) - 1;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (syslog_fd < 0) {
			syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
					   0);
			if (syslog_fd < 0)
				return -1;
			if (connect(syslog_fd, (struct sockaddr *)&addr,
				    sizeof(addr))) {
				int e = errno;

				close(syslog_fd);
				syslog_fd = -1;
				errno = e;
				return -1;
			}
		}
		if (send(syslog_fd, dgram, (size_t)n, MSG_NOSIGNAL) == n)
			return 0;
		close(syslog_fd);	/* syslogd restarted: reconnect */
		syslog_fd = -1;
	}
	return -1;
}

static int journal_send(int priority, const char *text)
{
	struct stat st;
	int rc;

	if (!sd_journal_send) {
		errno = ENOSYS;
		return -1;
	}
	/* sd_journal_send drops a message silently when journald's socket
	 * is absent; that is a failure here. */
	if (stat(JOURNAL_SOCKET, &st))
		return -1;
	rc = sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", priority,
				 "SYSLOG_IDENTIFIER=aiod", "SYSLOG_FACILITY=3",
				 NULL);

	if (rc < 0)
		errno = -rc;
	return rc < 0 ? -1 : 0;
}

/* Syslog or the journal did not take text: standard error instead. */
static void fall_back(const char *text)
{
	char why[300];

	if (!falling_back) {
		snprintf(why, sizeof(why), "%s is not available (%s); "
			 "messages go to standard error until it is",
			 target == LOG_TARGET_SYSLOG ? "syslog (" SYSLOG_PATH ")"
						     : "the journal",
			 strerror(errno));
		write_line(stderr_fd, why);
		falling_back = true;
	}
	write_line(stderr_fd, text);
}

static void log_va(int priority, const char *fmt, va_list ap)
{
	char text[1024];
	int rc = 0;

	if (priority > max_level)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (starting || target == LOG_TARGET_STDERR)
		write_line(2, text);
	if (target == LOG_TARGET_FILE)
		write_line(file_fd, text);
	else if (target == LOG_TARGET_SYSLOG)
		rc = syslog_send(priority, text);
	else if (target == LOG_TARGET_JOURNAL)
		rc = journal_send(priority, text);
	if (rc && !starting)
		fall_back(text);
	else if (!rc && falling_back && target != LOG_TARGET_FILE &&
		 target != LOG_TARGET_STDERR)
		falling_back = false;
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(priority, fmt, ap);
	va_end(ap);
}

void log_limited(struct log_budget *b, int priority, const char *fmt, ...)
{
	time_t now = time(NULL);
	va_list ap;

	if (now - b->window >= BUDGET_WINDOW) {
		if (b->suppressed)
			log_msg(priority, "%u more such message%s suppressed "
				"in %d s", b->suppressed,
				b->suppressed == 1 ? "" : "s", BUDGET_WINDOW);
		*b = (struct log_budget){ .window = now };
	}
	if (b->used >= BUDGET_MESSAGES) {
		if (b->suppressed++ == 0)
			log_msg(priority, "more such messages suppressed for "
				"up to %d s", BUDGET_WINDOW);
		return;
	}
	b->used++;
	va_start(ap, fmt);
	log_va(priority, fmt, ap);
	va_end(ap);
}

struct log_budget *log_user_budget(uid_t uid)
{
	static struct {
		uid_t uid;
		bool used;
		struct log_budget budget;
	} users[USER_BUDGETS];
	unsigned i = (unsigned)uid % USER_BUDGETS;

	if (!users[i].used || users[i].uid != uid) {
		users[i].uid = uid;
		users[i].used = true;
		users[i].budget = (struct log_budget){ 0 };
	}
	return &users[i].budget;
}
