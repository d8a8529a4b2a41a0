/* SPDX-License-Identifier: MIT */
/*
 * jsonstr.c -- a C string as a JSON string literal: double quote and
 * backslash escaped, control bytes as \u00XX, every other byte as it is
 * (aiod's names are UTF-8 or ASCII).
 */
#include "common/jsonstr.h"

void json_put_string(FILE *out, const char *s)
{
	putc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			putc(ch, out);
	}
	putc('"', out);
}
