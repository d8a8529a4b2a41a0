/* SPDX-License-Identifier: MIT */
/*
 * reload.c -- the set of devices aiod serves, and SIGHUP's reload of the
 * configuration and the lock table into it.  A reload first reads and
 * checks everything (settings.c), opens the backings of the devices it
 * adds and has the front end create them; only if all of that succeeded
 * does it load the new lock table, give kept devices their new owner,
 * group and mode, and retire the devices no longer configured: a retiring
 * device takes no new opens and is removed once no file is open on it
 * (reload_poll(), after each batch of the event loop).  Any error leaves
 * the running state as it was and is logged with the reason.  Changing a
 * kept device's path, slice, ro or cache=, or a tunable, needs a restart:
 * the first is refused, the second logged.  Each device owns copies of its
 * name and path, so it outlives the configuration it came from.
 */
#include "aiod.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct device **devs;	/* serving, and retiring ones */
static size_t ndevs;
static struct tunables running;	/* in effect since the start */
static const struct frontend *frontend;
static const struct settings_source *source;
static bool waiting;		/* a reload's new devices are not ready */

static struct device *open_device(const struct device_spec *spec,
				  char *err, size_t errlen)
{
	struct device *dev = calloc(1, sizeof(*dev));
	struct device_spec own = *spec;
	char why[400];

	own.name = strdup(spec->name);
	own.path = strdup(spec->path);
	if (!dev || !own.name || !own.path) {
		failmsg(err, errlen, "device %s: out of memory", spec->name);
	} else if (backend_open_device(dev, &own, why, sizeof(why))) {
		failmsg(err, errlen, "device %s: %s", spec->name, why);
	} else {
		log_debug("device %s: %s, %llu bytes at offset %llu",
			  dev->spec.name, dev->spec.path,
			  (unsigned long long)dev->size,
			  (unsigned long long)dev->offset);
		return dev;
	}
	free(own.name);
	free(own.path);
	free(dev);
	return NULL;
}

static void close_device(struct device *dev)
{
	direct_device_removed(dev);
	backend_close_device(dev);
	free(dev->spec.name);
	free(dev->spec.path);
	free(dev);
}

static int append(struct device *dev)
{
	struct device **grown = realloc(devs, (ndevs + 1) * sizeof(*grown));

	if (!grown)
		return -1;
	devs = grown;
	devs[ndevs++] = dev;
	return 0;
}

int reload_open(const struct config *cfg, char *err, size_t errlen)
{
	running = cfg->tun;
	for (size_t i = 0; i < cfg->ndevices; i++) {
		struct device *dev = open_device(&cfg->devices[i], err,
						 errlen);

		if (!dev)
			return -1;
		if (append(dev)) {
			close_device(dev);
			return failmsg(err, errlen, "out of memory");
		}
	}
	return 0;
}

struct device *const *reload_devices(size_t *n)
{
	*n = ndevs;
	return devs;
}

void reload_serve(const struct frontend *fe,
		  const struct settings_source *src)
{
	frontend = fe;
	source = src;
	admin_init(devs, ndevs);
}

static struct device *find_device(const char *name)
{
	for (size_t i = 0; i < ndevs; i++)
		if (!strcmp(devs[i]->spec.name, name))
			return devs[i];
	return NULL;
}

static const struct device_spec *find_spec(const struct config *cfg,
					   const char *name)
{
	for (size_t i = 0; i < cfg->ndevices; i++)
		if (!strcmp(cfg->devices[i].name, name))
			return &cfg->devices[i];
	return NULL;
}

static void log_reloaded(void)
{
	size_t retiring = 0;

	for (size_t i = 0; i < ndevs; i++)
		retiring += devs[i]->retiring;
	log_info("reloaded: serving %zu device%s, %zu retiring",
		 ndevs - retiring, ndevs - retiring == 1 ? "" : "s", retiring);
	notify_ready("serving %zu device%s, %zu retiring", ndevs - retiring,
		     ndevs - retiring == 1 ? "" : "s", retiring);
}

static void report_error(void *ctx, const char *msg)
{
	(void)ctx;
	log_err("reload: %s", msg);
}

/* What a reload cannot apply to a running device or table. */
static int check_changes(const struct config *next)
{
	int errors = 0;

	for (size_t i = 0; i < next->ndevices; i++) {
		const struct device_spec *s = &next->devices[i];
		const struct device *dev = find_device(s->name);

		if (!dev)
			continue;
		if (dev->retiring) {
			log_err("reload: device %s was removed and still has "
				"%u open file%s; add it again once they are "
				"closed", s->name, dev->nopen,
				dev->nopen == 1 ? "" : "s");
			errors++;
		} else if (strcmp(s->path, dev->spec.path) ||
			   s->offset != dev->spec.offset ||
			   s->size != dev->spec.size ||
			   s->readonly != dev->spec.readonly ||
			   s->writeback != dev->spec.writeback) {
			log_err("reload: device %s: a new path, offset, size, "
				"ro or cache= needs a restart (or remove the "
				"device, reload, and add it again)", s->name);
			errors++;
		}
	}
	if (next->nlocks > running.naiolocktbl) {
		log_err("reload: %s lists %zu users; the running NAIOLOCKTBL "
			"is %u", config_locktable(next), next->nlocks,
			running.naiolocktbl);
		errors++;
	}
	return errors;
}

/* Open and create the devices next adds, appended to devs from index
 * first; on an error, remove them again.  0 or the number of errors. */
static int add_devices(const struct config *next, size_t first)
{
	char err[600];

	for (size_t i = 0; i < next->ndevices; i++) {
		const struct device_spec *s = &next->devices[i];
		struct device *dev;

		if (find_device(s->name))
			continue;
		dev = open_device(s, err, sizeof(err));
		if (!dev) {
			log_err("reload: %s", err);
			goto undo;
		}
		if (append(dev)) {
			log_err("reload: out of memory");
			close_device(dev);
			goto undo;
		}
		if (frontend->add(dev, err, sizeof(err))) {
			log_err("reload: device %s: %s", s->name, err);
			goto undo;
		}
	}
	return 0;
undo:
	while (ndevs > first) {
		struct device *dev = devs[--ndevs];

		frontend->remove(dev);
		close_device(dev);
	}
	return 1;
}

static void apply_ownership(const struct config *next)
{
	for (size_t i = 0; i < ndevs; i++) {
		struct device *dev = devs[i];
		const struct device_spec *s = find_spec(next, dev->spec.name);

		if (!s) {
			if (!dev->retiring)
				log_info("device %s: no longer configured; "
					 "removed once no file is open on it "
					 "(%u open)", dev->spec.name,
					 dev->nopen);
			dev->retiring = true;
			continue;
		}
		if (s->owner == dev->spec.owner &&
		    s->group == dev->spec.group && s->mode == dev->spec.mode)
			continue;
		log_info("device %s: owner %u, group %u, mode %04o (were %u, "
			 "%u, %04o)", s->name, (unsigned)s->owner,
			 (unsigned)s->group, (unsigned)s->mode,
			 (unsigned)dev->spec.owner, (unsigned)dev->spec.group,
			 (unsigned)dev->spec.mode);
		dev->spec.owner = s->owner;
		dev->spec.group = s->group;
		dev->spec.mode = s->mode;
		frontend->update(dev);
	}
}

void reload_apply(void)
{
	size_t before = ndevs;
	struct config next;
	int errors;

	log_info("reloading the configuration (%s)", settings_file(source));
	notify_reloading("reloading %s", settings_file(source));
	errors = settings_read(source, &next, report_error, NULL);
	if (!errors)
		errors = check_changes(&next);
	if (!errors)
		errors = add_devices(&next, before);
	if (errors) {
		log_err("reload: refused; aiod keeps serving its %zu device%s "
			"as before", before, before == 1 ? "" : "s");
		notify_ready("reload refused (see the log); serving %zu "
			     "device%s as before", before,
			     before == 1 ? "" : "s");
		config_free(&next);
		return;
	}
	/* Nothing below can fail: the table fits (check_changes). */
	locktbl_load(next.locks, next.nlocks, true);
	log_info("lock table %s: %zu entr%s", config_locktable(&next),
		 next.nlocks, next.nlocks == 1 ? "y" : "ies");
	if (memcmp(&next.tun, &running, sizeof(next.tun)))
		log_warn("reload: changed tunables take effect only when aiod "
			 "is restarted");
	apply_ownership(&next);
	config_free(&next);
	admin_init(devs, ndevs);
	waiting = ndevs > before;
	if (!waiting)
		log_reloaded();
}

bool reload_poll(void)
{
	char err[400];
	int rc;

	for (size_t i = 0; i < ndevs; i++) {
		struct device *dev = devs[i];

		if (!dev->retiring || dev->nopen)
			continue;
		log_info("device %s: removed", dev->spec.name);
		frontend->remove(dev);
		close_device(dev);
		devs[i--] = devs[--ndevs];
		admin_init(devs, ndevs);
	}
	if (!waiting)
		return false;
	rc = frontend->ready(err, sizeof(err));
	if (rc == 0)
		return true;
	if (rc < 0) {
		log_err("reload: %s", err);
		notify_ready("reload: %s", err);
	} else {
		log_reloaded();
	}
	waiting = false;
	return false;
}

void reload_shutdown(void)
{
	for (size_t i = 0; i < ndevs; i++)
		close_device(devs[i]);
	free(devs);
	devs = NULL;
	ndevs = 0;
}
