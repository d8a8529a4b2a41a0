/* SPDX-License-Identifier: MIT */
/*
 * notify.c -- aiod's word to systemd (Type=notify, sd_notify(3) from
 * libsystemd): READY=1 once every device can be opened, RELOADING=1 when
 * a reload (SIGHUP) begins and READY=1 again when it has ended, applied
 * or refused, STOPPING=1 when it begins to drain, each with a STATUS=
 * line.  Without NOTIFY_SOCKET (not started by systemd) each call does
 * nothing.  libsystemd is referenced weakly, as in log.c: the statically
 * linked aiod has no sd_notify, and says so once if NOTIFY_SOCKET is set.
 */
#include "aiod.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#pragma weak sd_notify

static void tell(const char *state, const char *fmt, va_list ap)
{
	static bool warned;
	char msg[400];
	int n, rc;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	if (!sd_notify) {
		if (!warned)
			log_warn("NOTIFY_SOCKET is set, but this aiod is linked "
				 "without libsystemd (statically): systemd is "
				 "not told when it is ready");
		warned = true;
		return;
	}
	n = snprintf(msg, sizeof(msg), "%s\nSTATUS=", state);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	rc = sd_notify(0, msg);
	if (rc < 0)
		log_warn("cannot tell systemd '%s': %s", state, strerror(-rc));
}

void notify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tell("READY=1", fmt, ap);
	va_end(ap);
}

void notify_reloading(const char *fmt, ...)
{
	struct timespec now;
	char state[64];
	va_list ap;

	/* MONOTONIC_USEC lets systemd (Type=notify-reload) match it. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)now.tv_sec * 1000000ULL +
		 (unsigned long long)now.tv_nsec / 1000);
	va_start(ap, fmt);
	tell(state, fmt, ap);
	va_end(ap);
}

void notify_stopping(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tell("STOPPING=1", fmt, ap);
	va_end(ap);
}
