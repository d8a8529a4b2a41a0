/* SPDX-License-Identifier: MIT */
/*
 * failmsg.h -- how scoaio's parsers and set-up code report a failure: a
 * one-line reason written into the caller's buffer, and -1 returned.
 */
#ifndef SCOAIO_FAILMSG_H
#define SCOAIO_FAILMSG_H

#include <stddef.h>

int failmsg(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
