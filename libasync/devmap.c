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

static void load_env(void)
{
	const char *env = secure_getenv("SCOAIO_DEVMAP");
	char *copy, *entry, *save;

	if (!env || !(copy = strdup(env)))
		return;
	for (entry = strtok_r(copy, ":", &save); entry;
	     entry = strtok_r(NULL, ":", &save)) {
		char *eq = strchr(entry, '=');

		if (eq) {
			*eq = '\0';
			add(entry, eq + 1);
		}
	}
}

static void load_file(void)
{
	static char text[FILE_MAX + 1];
	int fd = (int)syscall(SYS_openat, AT_FDCWD, DEVMAP_FILE,
			      O_RDONLY | O_CLOEXEC, 0);
	ssize_t len;
	char *line, *save;

	if (fd < 0)
		return;
	len = (ssize_t)syscall(SYS_read, fd, text, FILE_MAX);
	syscall(SYS_close, fd);
	if (len <= 0)
		return;
	text[len] = '\0';
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

static void load(void)
{
	load_env();
	load_file();
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
