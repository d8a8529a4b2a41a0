/* SPDX-License-Identifier: MIT */
/*
 * aiolkinit.c -- aiolkinit(8): reads the AIO memory-lock permissions file
 * (aiomemlock.conf(5)) and loads it into aiod through an admin ioctl on one
 * of its devices.  Entries are added or revised; with --replace the table
 * becomes exactly the file.  aiod itself refuses callers other than root.
 */
#include "memlock_conf.h"
#include "common/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <scoaio/ioctl.h>

#define DEFAULT_FILE	"/etc/aiomemlock.conf"
#define DEFAULT_DEVICE	"/dev/rroot"

static const char usage_text[] =
"Usage: aiolkinit [-f FILE] [--replace] [DEVICE]\n"
"Load the AIO memory-lock permissions in FILE (default " DEFAULT_FILE ")\n"
"into aiod through DEVICE, any aiod device (default " DEFAULT_DEVICE ").\n"
"\n"
"  -f, --file FILE   the permissions file, aiomemlock.conf(5) format\n"
"  -r, --replace     drop entries that FILE no longer lists (by default\n"
"                    entries are only added or revised)\n"
"  -h, --help        show this help\n"
"  -V, --version     show the version\n";

static void warn_line(const char *msg)
{
	fprintf(stderr, "aiolkinit: warning: %s\n", msg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "replace", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_FILE, *device = DEFAULT_DEVICE;
	struct memlock_entry *entries;
	struct aio_lktbl *table;
	struct aio_info info;
	char err[512];
	size_t n;
	FILE *f;
	int c, fd, replace = 0;

	cli_init(argv, "aiolkinit");
	while ((c = getopt_long(argc, argv, "f:rhV", longopts, NULL)) != -1)
		switch (c) {
		case 'f': path = optarg; break;
		case 'r': replace = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': cli_version();
		default: cli_usage_error(NULL);
		}
	if (argc - optind > 1)
		cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc)
		device = argv[optind];

	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "aiolkinit: %s: %s\n", path, strerror(errno));
		return 1;
	}
	c = memlock_conf_parse(f, path, &entries, &n, warn_line, err,
			       sizeof(err));
	fclose(f);
	if (c) {
		fprintf(stderr, "aiolkinit: %s; nothing loaded\n", err);
		return 1;
	}
	if (n > AIO_LKTBL_MAX) {
		fprintf(stderr, "aiolkinit: %s has %zu users; at most %d can "
			"be loaded\n", path, n, AIO_LKTBL_MAX);
		return 1;
	}
	table = calloc(1, sizeof(*table));
	if (!table) {
		perror("aiolkinit");
		return 1;
	}
	table->flags = replace ? AIO_LKTBL_REPLACE : 0;
	table->count = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		table->entry[i] = (struct aio_lkent){
			.uid = entries[i].uid, .bytes = entries[i].bytes };

	fd = open(device, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "aiolkinit: %s: %s\n", device, strerror(errno));
		return 1;
	}
	if (ioctl(fd, AIOC_LKTBL_LOAD, table)) {
		int e = errno;

		if (e == EPERM)
			fprintf(stderr, "aiolkinit: %s: permission denied: only "
				"root may load the lock table\n", device);
		else if (e == ENOSPC && ioctl(fd, AIOC_INFO, &info) == 0)
			fprintf(stderr, "aiolkinit: %s: the table would hold "
				"more than NAIOLOCKTBL (%u) users; nothing "
				"loaded\n", device, info.naiolocktbl);
		else if (e == ENOTTY)
			fprintf(stderr, "aiolkinit: %s is not an aiod device\n",
				device);
		else
			fprintf(stderr, "aiolkinit: %s: %s\n", device,
				strerror(e));
		return 1;
	}
	printf("aiolkinit: loaded %zu entr%s from %s into %s%s\n", n,
	       n == 1 ? "y" : "ies", path, device,
	       replace ? " (table replaced)" : "");
	close(fd);
	free(table);
	free(entries);
	return 0;
}
