/* SPDX-License-Identifier: MIT */
/*
 * fuzz_devmap.c -- libFuzzer target for libasync's device map parser
 * (libasync/devmap.c): the input up to its first NUL is the environment
 * form (SCOAIO_DEVMAP, "SCO=LINUX:..."), the rest the devmap file's text;
 * then every path the input names, and a few fixed ones, are looked up.
 * A lookup must answer the path itself or a non-empty mapped path.
 */
#include "libasync/libasync.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fixed[] = { "/dev/rroot", "/dev/rdsk/0s1",
					     "/dev/rhd01", "/", "relative" };
	char *env = malloc(size + 1), *file, *names = malloc(size + 1);
	size_t envlen;

	if (!env || !names) {
		free(env);
		free(names);
		return 0;
	}
	memcpy(env, data, size);
	env[size] = '\0';
	memcpy(names, env, size + 1);
	envlen = strlen(env);
	file = envlen < size ? env + envlen + 1 : NULL;
	(void)devmap_lookup("/");	/* loads the real map once, first */
	devmap_parse(env, file);
	for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++) {
		const char *to = devmap_lookup(fixed[i]);

		if (!to || (to != fixed[i] && !*to))
			abort();
	}
	for (char *tok = strtok(names, "=: \t\n"); tok;
	     tok = strtok(NULL, "=: \t\n")) {
		const char *to = devmap_lookup(tok);

		if (!to || (to != tok && !*to))
			abort();
	}
	devmap_parse(NULL, NULL);	/* nothing left pointing into env */
	free(names);
	free(env);
	return 0;
}
