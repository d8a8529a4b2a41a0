/* SPDX-License-Identifier: MIT */
/*
 * libasync.h -- what the parts of libasync share (not installed: the
 * library's interface is the C library's own functions).
 */
#ifndef LIBASYNC_H
#define LIBASYNC_H

#define DEVMAP_FILE "/etc/scoaio/devmap"

/* Where aiod serves the SCO device path, or path itself if unmapped. */
const char *devmap_lookup(const char *path)
	__attribute__((visibility("hidden")));

/* Replace the map by the entries of env ("SCO=LINUX:...", may be NULL) and
 * then file (the devmap file's text, may be NULL); both are modified and
 * must outlive the map.  load() calls it once; test/fuzz/ too. */
void devmap_parse(char *env, char *file)
	__attribute__((visibility("hidden")));

#endif
