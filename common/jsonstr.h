/* SPDX-License-Identifier: MIT */
/*
 * jsonstr.h -- writing a C string as a JSON string literal, for the admin
 * commands' --json output (device names and paths may hold anything).
 */
#ifndef SCOAIO_JSONSTR_H
#define SCOAIO_JSONSTR_H

#include <stdio.h>

/* s between double quotes, with '"', '\\' and control bytes escaped. */
void json_put_string(FILE *out, const char *s);

#endif
