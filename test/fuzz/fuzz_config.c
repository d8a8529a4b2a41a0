/* SPDX-License-Identifier: MIT */
/*
 * fuzz_config.c -- libFuzzer target for aiod's configuration parser
 * (aiod/config.c): the first byte chooses config_add_device (a --device
 * SPEC), config_set_tunable (-o TUNABLE=VALUE) or config_load_file (a
 * whole config file, written to a memfd and read back by its
 * /proc/self/fd path, the way aiod -c reads one); the rest is the text.
 * Every call must return 0 or -1 with a NUL-terminated message, and
 * config_free must release everything (LeakSanitizer).
 */
#include "aiod/aiod.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int memfd = -1;
static char memfd_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512], *text;
	int rc = 0;

	if (size < 1)
		return 0;
	if (memfd < 0) {
		memfd = memfd_create("fuzz_config", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d",
			 memfd);
	}
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	memset(err, 'x', sizeof(err));
	config_init(&cfg);
	switch (data[0] % 3) {
	case 0:
		rc = config_add_device(&cfg, text, err, sizeof(err));
		break;
	case 1:
		rc = config_set_tunable(&cfg, text, err, sizeof(err));
		break;
	case 2:
		if (ftruncate(memfd, 0) ||
		    pwrite(memfd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
			abort();
		rc = config_load_file(&cfg, memfd_path, err, sizeof(err));
		break;
	}
	if (rc != 0 && (rc != -1 || !memchr(err, '\0', sizeof(err))))
		abort();
	config_free(&cfg);
	free(text);
	return 0;
}
