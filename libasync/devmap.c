/* SPDX-License-Identifier: MIT */
/*
 * devmap.c -- libasync's device map: where aiod serves each SCO raw-device
 * path, for programs that open /dev/rdsk/0s1, /dev/rroot or /dev/rhd01 when
 * aiod's devices are named differently or live on a FUSE mount.  Entries
 * come from the environment variable SCOAIO_DEVMAP ("SCO=LINUX" pairs
 * separated by ':') and from /etc/scoaio/devmap ("SCO LINUX" per line, '#'
 * comments); the environment wins, and is ignored in set-user-ID and
 * set-group-ID programs.  Read once, on the first open, with raw
 * system calls: it runs inside the interposed open().
 */
#include "libasync.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAP_MAX		256
#define FILE_MAX	65536

static struct { char *sco, *linux_path; } map[MAP_MAX];
static unsigned nmap;
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static void add(char *sco, char *linux_path)
{
	for (unsigned i = 0; i < nmap; i++)
		if (!strcmp(map[i].sco, sco))
			return;		/* the first source wins */
	if (nmap < MAP_MAX && *sco && *linux_path) {
		map[nmap].sco = sco;
		map[nmap].linux_path = linux_path;
		nmap++;
	}
}

/* "SCO=LINUX" pairs separated by ':' (the environment's form). */
static void parse_env(char *text)
{
	char *entry, *save;

	for (entry = strtok_r(text, ":", &save); entry;
	     entry = strtok_r(NULL, ":", &save)) {
		char *eq = strchr(entry, '=');

		if (eq) {
			*eq = '\0';
			add(entry, eq + 1);
		}
	}
}

/* "SCO LINUX" per line, '#' comments (the file's form). */
static void parse_file(char *text)
{
	char *line, *save;

	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sco, *linux_path, *fields;

		sco = strtok_r(line, " \t", &fields);
		if (!sco || *sco == '#')
			continue;
		linux_path = strtok_r(NULL, " \t", &fields);
		if (linux_path)
			add(sco, linux_path);
	}
}

void devmap_parse(char *env, char *file)
{
	nmap = 0;
	if (env)
		parse_env(env);
	if (file)
		parse_file(file);
}

static void load(void)
{
	static char text[FILE_MAX + 1];
	const char *env = secure_getenv("SCOAIO_DEVMAP");
	char *copy = env ? strdup(env) : NULL;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, DEVMAP_FILE,
			      O_RDONLY | O_CLOEXEC, 0);
	ssize_t len = 0;

	if (fd >= 0) {
		len = (ssize_t)syscall(SYS_read, fd, text, FILE_MAX);
		syscall(SYS_close, fd);
	}
	text[len > 0 ? len : 0] = '\0';
	devmap_parse(copy, text);
}

const char *devmap_lookup(const char *path)
{
	if (!path || path[0] != '/')
		return path;
	pthread_once(&loaded, load);
	for (unsigned i = 0; i < nmap; i++)
		if (!strcmp(map[i].sco, path))
			return map[i].linux_path;
	return path;
}
