/* SPDX-License-Identifier: MIT */
/*
 * failmsg.c -- the one helper behind every "0, or -1 with a reason in err"
 * function of scoaio (failmsg.h).
 */
#include "failmsg.h"

#include <stdarg.h>
#include <stdio.h>

int failmsg(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
