/* SPDX-License-Identifier: MIT */
/*
 * fuzz_memlock.c -- libFuzzer target for aiolkinit's aiomemlock.conf(5)
 * parser (aiolkinit/memlock_conf.c), reading the input as the file
 * through fmemopen.  It must return 0 with entries or -1 with a
 * NUL-terminated message, and leak nothing (LeakSanitizer).
 */
#include "aiolkinit/memlock_conf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void warn(const char *msg)
{
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memlock_entry *entries = NULL;
	size_t n = 0;
	char err[512], *copy = malloc(size + 1);
	FILE *f;
	int rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	f = fmemopen(copy, size + 1, "r");	/* size 0 cannot be opened */
	if (!f) {
		free(copy);
		return 0;
	}
	memset(err, 'x', sizeof(err));
	rc = memlock_conf_parse(f, "fuzz", &entries, &n, warn, err,
				sizeof(err));
	if (rc != 0 && (rc != -1 || !memchr(err, '\0', sizeof(err))))
		abort();
	if (rc == 0 && n && !entries)
		abort();
	free(entries);
	fclose(f);
	free(copy);
	return 0;
}
