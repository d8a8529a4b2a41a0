/* SPDX-License-Identifier: MIT */
/*
 * cli.h -- the command-line conventions every scoaio program shares: its
 * messages start with its short name (never the path it was run by, also
 * in getopt's own messages), -V/--version prints one line, and a usage
 * error is one line followed by a pointer to --help, exit status 2.
 */
#ifndef SCOAIO_CLI_H
#define SCOAIO_CLI_H

/* Name the program prog for the messages below and getopt's (which use
 * argv[0], so argv[0] is pointed at prog; the process's command line in
 * /proc is not changed). */
void cli_init(char **argv, const char *prog);
const char *cli_name(void);
/* "PROG (scoaio) VERSION" on standard output; exit 0. */
void cli_version(void) __attribute__((noreturn));
/* "PROG: MESSAGE" when fmt is not NULL (getopt has already said what is
 * wrong otherwise), then "Try 'PROG --help' for more information.", on
 * standard error; exit 2. */
void cli_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#endif
