/* SPDX-License-Identifier: MIT */
/*
 * dmcreate.c -- the VM test's stand-in for `dmsetup create`, which the
 * initramfs lacks (Debian's dmsetup is dynamically linked): creates one
 * device-mapper device with a table of one or more targets (separated by
 * "--", e.g. linear and error segments mixed) and activates it, with the
 * three ioctls of <linux/dm-ioctl.h> on /dev/mapper/control (DM_DEV_CREATE,
 * DM_TABLE_LOAD, DM_DEV_SUSPEND without the suspend flag, i.e. resume), and
 * prints the device's node, /dev/dm-MINOR.  Usage:
 *   dmcreate NAME START LENGTH TARGET ARGS [-- START LENGTH TARGET ARGS]...
 * e.g. dmcreate slow 0 32768 delay /dev/loop1 0 500
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The dm_ioctl header, then one dm_target_spec and its parameters. */
static union {
	struct dm_ioctl io;
	char bytes[16384];
} buf;

static void dm(int ctl, unsigned long cmd, const char *name, const char *what)
{
	buf.io.version[0] = DM_VERSION_MAJOR;
	buf.io.version[1] = 0;
	buf.io.version[2] = 0;
	buf.io.data_size = sizeof(buf);
	buf.io.data_start = sizeof(struct dm_ioctl);
	snprintf(buf.io.name, sizeof(buf.io.name), "%s", name);
	if (ioctl(ctl, cmd, &buf) != 0) {
		fprintf(stderr, "dmcreate: %s %s: %s\n", what, name,
			strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	char *at = buf.bytes + sizeof(struct dm_ioctl);
	unsigned targets = 0;
	int ctl, i = 2;

	if (argc < 6) {
		fprintf(stderr, "usage: dmcreate NAME START LENGTH TARGET "
			"ARGS... [-- START LENGTH TARGET ARGS...]...\n");
		return 2;
	}
	ctl = open("/dev/mapper/control", O_RDWR);
	if (ctl < 0) {
		fprintf(stderr, "dmcreate: /dev/mapper/control: %s\n",
			strerror(errno));
		return 1;
	}
	memset(&buf, 0, sizeof(buf));
	dm(ctl, DM_DEV_CREATE, argv[1], "creating");
	dev_t dev = (dev_t)buf.io.dev;
	memset(&buf, 0, sizeof(buf));
	while (i < argc) {
		struct dm_target_spec *spec = (void *)at;
		char *params = (char *)(spec + 1);
		size_t room = sizeof(buf) - (size_t)(params - buf.bytes);
		size_t used = 0, len;

		if (argc - i < 3 || (size_t)(params - buf.bytes) >= sizeof(buf)) {
			fprintf(stderr, "dmcreate: a target needs START "
				"LENGTH TARGET\n");
			return 2;
		}
		spec->sector_start = strtoull(argv[i], NULL, 0);
		spec->length = strtoull(argv[i + 1], NULL, 0);
		snprintf(spec->target_type, sizeof(spec->target_type), "%s",
			 argv[i + 2]);
		for (i += 3; i < argc && strcmp(argv[i], "--"); i++) {
			int n = snprintf(params + used, room - used, "%s%s",
					 used ? " " : "", argv[i]);

			if (n < 0 || (size_t)n >= room - used) {
				fprintf(stderr, "dmcreate: the table is too "
					"long\n");
				return 2;
			}
			used += (size_t)n;
		}
		i += i < argc;		/* the "--" */
		len = (sizeof(*spec) + used + 1 + 7) & ~(size_t)7;
		spec->next = (uint32_t)len;
		at += len;
		targets++;
	}
	buf.io.target_count = targets;
	dm(ctl, DM_TABLE_LOAD, argv[1], "loading the table of");
	memset(&buf, 0, sizeof(buf));
	dm(ctl, DM_DEV_SUSPEND, argv[1], "activating");
	close(ctl);
	printf("/dev/dm-%u\n", minor(dev));
	return 0;
}
