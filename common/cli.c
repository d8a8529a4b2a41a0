/* SPDX-License-Identifier: MIT */
/*
 * cli.c -- the shared command-line conventions of cli.h: the program's
 * short name in every message, --version and the two-line usage error.
 */
#include "common/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef SCOAIO_VERSION
#error "SCOAIO_VERSION must be defined by the build"
#endif

static const char *program = "scoaio";

void cli_init(char **argv, const char *prog)
{
	program = prog;
	argv[0] = (char *)prog;
}

const char *cli_name(void)
{
	return program;
}

void cli_version(void)
{
	printf("%s (scoaio) %s\n", program, SCOAIO_VERSION);
	exit(0);
}

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		fprintf(stderr, "%s: ", program);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "Try '%s --help' for more information.\n", program);
	exit(2);
}
