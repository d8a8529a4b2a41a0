/*
 * log.c -- where aiod's messages go: standard error while it runs in the
 * foreground or is still starting (so a failed start is explained on the
 * terminal), syslog (facility daemon) once it has detached.
 */
#include "aiod.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static bool use_syslog;

void log_to_syslog(void)
{
	openlog("aiod", LOG_PID, LOG_DAEMON);
	use_syslog = true;
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (use_syslog) {
		vsyslog(priority, fmt, ap);
	} else {
		fputs("aiod: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
