/* SPDX-License-Identifier: MIT */
/*
 * aioinfo.c -- aioinfo(8): prints aiod's AIO configuration and usage, the
 * figures of SCO's aioinfo(ADM) (process slots, memory locks, request
 * structures, cumulative and peak requests, buffers) and each device's
 * transfer counts, as text or with --json for scripts.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <scoaio/ioctl.h>
#include "common/cli.h"
#include <scoaio/direct.h>

#define DEFAULT_DEVICE "/dev/rroot"

static const char usage_text[] =
"Usage: aioinfo [--json] [DEVICE]\n"
"Print aiod's AIO configuration and usage, asking through DEVICE, any\n"
"aiod device (default " DEFAULT_DEVICE ").\n"
"\n"
"  -j, --json      print one JSON object instead of text\n"
"  -h, --help      show this help\n"
"  -V, --version   show the version\n";

/* Whether a device has libasync's direct path, or why not. */
static const char *direct_text(uint32_t reason)
{
	switch (reason) {
	case AIO_DIRECT_OK: return "available";
	case AIO_DIRECT_IMAGE: return "image file";
	case AIO_DIRECT_SLICE: return "slice of a shared backing";
	case AIO_DIRECT_OFF: return "no attach socket";
	case AIO_DIRECT_SHARED: return "backing shared with other devices";
	default: return "unknown";
	}
}

static void print_text(const struct aio_info *i, const struct aio_devinfo *d)
{
	printf("AIO configuration and usage\n");
	printf("  aio_info slots (NAIOPROC)        %10u total %10u active\n",
	       i->naioproc, i->procs_active);
	printf("  memory locks                     %10u\n", i->locks);
	printf("  locked memory                    %10" PRIu64 " bytes\n",
	       i->locked_bytes);
	printf("  request structures (NAIOREQ)     %10u total %10u active "
	       "%10u free\n", i->naioreq, i->reqs_active,
	       i->naioreq - i->reqs_active);
	printf("  requests per process (NAIOREQPP) %10u\n", i->naioreqpp);
	printf("  cumulative requests              %10" PRIu64 "\n",
	       i->reqs_total);
	printf("  maximum simultaneous requests    %10u\n", i->reqs_max);
	printf("  direct path (libasync)           %10u processes %10u active "
	       "%10" PRIu64 " cumulative\n", i->direct_procs,
	       i->direct_reqs_active, i->direct_reqs_total);
	printf("  AIO buffers (NAIOBUF)            %10u total %10u free\n",
	       i->naiobuf, i->bufs_free);
	printf("  lock table (NAIOLOCKTBL)         %10u total %10u used\n",
	       i->naiolocktbl, i->lktbl_entries);
	printf("\n%-20s %12s %10s %10s %14s %14s %7s  %s\n", "device", "size",
	       "reads", "writes", "bytes read", "bytes written", "errors",
	       "direct path");
	for (uint32_t k = 0; k < i->ndevices; k++)
		printf("%-20s %12" PRIu64 " %10" PRIu64 " %10" PRIu64
		       " %14" PRIu64 " %14" PRIu64 " %7" PRIu64 "  %s\n",
		       d[k].name, d[k].size, d[k].reads, d[k].writes,
		       d[k].bytes_read, d[k].bytes_written, d[k].errors,
		       direct_text(d[k].direct));
}

static void print_json(const struct aio_info *i, const struct aio_devinfo *d)
{
	printf("{\"naioproc\": %u, \"procs_active\": %u, \"locks\": %u, "
	       "\"locked_bytes\": %" PRIu64 ", \"naioreq\": %u, "
	       "\"requests_active\": %u, \"requests_free\": %u, "
	       "\"naioreqpp\": %u, \"requests_total\": %" PRIu64 ", "
	       "\"requests_max\": %u, \"naiobuf\": %u, \"buffers_free\": %u, "
	       "\"naiolocktbl\": %u, \"lock_table_entries\": %u, "
	       "\"direct_procs\": %u, \"direct_requests_active\": %u, "
	       "\"direct_requests_total\": %" PRIu64 ", "
	       "\"devices\": [", i->naioproc, i->procs_active, i->locks,
	       i->locked_bytes, i->naioreq, i->reqs_active,
	       i->naioreq - i->reqs_active, i->naioreqpp, i->reqs_total,
	       i->reqs_max, i->naiobuf, i->bufs_free, i->naiolocktbl,
	       i->lktbl_entries, i->direct_procs, i->direct_reqs_active,
	       i->direct_reqs_total);
	for (uint32_t k = 0; k < i->ndevices; k++)
		printf("%s{\"name\": \"%s\", \"size\": %" PRIu64 ", "
		       "\"reads\": %" PRIu64 ", \"writes\": %" PRIu64 ", "
		       "\"bytes_read\": %" PRIu64 ", \"bytes_written\": %"
		       PRIu64 ", \"errors\": %" PRIu64 ", \"direct\": \"%s\"}",
		       k ? ", " : "", d[k].name, d[k].size, d[k].reads,
		       d[k].writes, d[k].bytes_read, d[k].bytes_written,
		       d[k].errors, direct_text(d[k].direct));
	printf("]}\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *device = DEFAULT_DEVICE;
	struct aio_devinfo devs[256];
	struct aio_info info;
	int c, fd, json = 0;

	cli_init(argv, "aioinfo");
	while ((c = getopt_long(argc, argv, "jhV", longopts, NULL)) != -1)
		switch (c) {
		case 'j': json = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': cli_version();
		default: cli_usage_error(NULL);
		}
	if (argc - optind > 1)
		cli_usage_error("unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc)
		device = argv[optind];
	fd = open(device, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "aioinfo: %s: %s\n", device, strerror(errno));
		return 1;
	}
	if (ioctl(fd, AIOC_INFO, &info)) {
		fprintf(stderr, "aioinfo: %s: %s\n", device, errno == ENOTTY ?
			"not an aiod device" : strerror(errno));
		return 1;
	}
	if (info.ndevices > sizeof(devs) / sizeof(devs[0]))
		info.ndevices = sizeof(devs) / sizeof(devs[0]);
	for (uint32_t k = 0; k < info.ndevices; k++) {
		devs[k].index = k;
		if (ioctl(fd, AIOC_DEVINFO, &devs[k])) {
			fprintf(stderr, "aioinfo: %s: device %u: %s\n", device,
				k, strerror(errno));
			return 1;
		}
	}
	close(fd);
	if (json)
		print_json(&info, devs);
	else
		print_text(&info, devs);
	return 0;
}
