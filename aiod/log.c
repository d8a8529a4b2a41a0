/* SPDX-License-Identifier: MIT */
/*
 * log.c -- where aiod's messages go: standard error while it runs in the
 * foreground or is still starting (so a failed start is explained on the
 * terminal), syslog (facility daemon) once it has detached.  Messages a
 * client can provoke at will (refused requests) draw on a budget per
 * user: a few per minute, then a count of what was suppressed.
 */
#include "aiod.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#define BUDGET_MESSAGES	5	/* per window, per budget */
#define BUDGET_WINDOW	60	/* seconds */
#define USER_BUDGETS	64

static bool use_syslog;

void log_to_syslog(void)
{
	openlog("aiod", LOG_PID, LOG_DAEMON);
	use_syslog = true;
}

static void log_va(int priority, const char *fmt, va_list ap)
{
	if (use_syslog) {
		vsyslog(priority, fmt, ap);
	} else {
		fputs("aiod: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
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
