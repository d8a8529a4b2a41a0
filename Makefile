# scoaio -- SCO aio(M) raw-disk asynchronous I/O for Linux.
# Builds the daemon, the tests and the static binaries for the VM test;
# `make check` (as root) installs what is missing and runs every test,
# `make demo` runs the sample SCO program against a default partition.

VERSION    = 0.1
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
CFLAGS    ?= -O2 -g
B         ?= build

WARN       = -std=c11 -Wall -Wextra -Werror
CPPFLAGS  += -D_GNU_SOURCE -I. -Iinclude -DSCOAIO_VERSION='"$(VERSION)"'
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell pkg-config --libs fuse3 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
# The i386 Check library (check:i386) for the 32-bit conformance suite.
CHECK32_LIBS = -L/usr/lib/i386-linux-gnu -lcheck -lsubunit -lm -lrt -pthread

AIOD_LIB_SRCS = aiod/config.c aiod/abi.c aiod/callers.c aiod/backend.c \
                aiod/engine.c aiod/locktbl.c aiod/admin.c aiod/loop.c aiod/log.c \
                aiod/frontend_fuse.c aiod/frontend_cuse.c
AIOD_SRCS  = aiod/main.c $(AIOD_LIB_SRCS)
UNIT_SRCS  = $(wildcard test/unit/*.c)
CONFORM_SRCS = $(wildcard test/conform/*.c)
EXAMPLE_SRCS = $(wildcard examples/*.c)

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PROGRAMS = $(B)/aiod $(B)/aiolkinit $(B)/aioinfo $(B)/aioconform \
           $(B)/unit-tests \
           $(patsubst examples/%.c,$(B)/%,$(EXAMPLE_SRCS))

.PHONY: all deps check static demo bench install clean
all: $(PROGRAMS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(FUSE_CFLAGS) $(CHECK_CFLAGS) \
	      -MMD -MP -c $< -o $@

$(B)/aiod: $(call obj,$(AIOD_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ -laio $(FUSE_LIBS)

$(B)/aiolkinit: $(call obj,aiolkinit/aiolkinit.c aiolkinit/memlock_conf.c)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@

$(B)/aioinfo: $(call obj,aioinfo/aioinfo.c)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@

$(B)/unit-tests: $(call obj,$(UNIT_SRCS) $(AIOD_LIB_SRCS) aiolkinit/memlock_conf.c)
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ -laio $(FUSE_LIBS) $(CHECK_LIBS)

$(B)/aioconform: $(call obj,$(CONFORM_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ $(CHECK_LIBS)

$(B)/%: $(B)/obj/examples/%.o
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@

# 32-bit client programs (the i386 ABI of <sys/async.h>).
$(B)/aioconform32: $(CONFORM_SRCS)
	@mkdir -p $(B)
	$(CC) -m32 $(CPPFLAGS) $(WARN) $(CFLAGS) $^ -o $@ $(CHECK32_LIBS)

# Static binaries for the initramfs of the CUSE VM test.
STATIC = $(B)/static
static: $(STATIC)/aiod $(STATIC)/aioconform $(STATIC)/aioconform32
$(STATIC)/aiod: $(call obj,$(AIOD_SRCS))
	@mkdir -p $(STATIC)
	$(CC) -static $(CFLAGS) $^ -o $@ -laio \
	      $(shell pkg-config --static --libs fuse3 2>/dev/null)
$(STATIC)/aioconform: $(call obj,$(CONFORM_SRCS))
	@mkdir -p $(STATIC)
	$(CC) -static $(CFLAGS) $^ -o $@ $(CHECK_LIBS)
$(STATIC)/aioconform32: $(CONFORM_SRCS)
	@mkdir -p $(STATIC)
	$(CC) -m32 -static $(CPPFLAGS) $(WARN) $(CFLAGS) $^ -o $@ $(CHECK32_LIBS)

$(B)/aiobench: $(B)/obj/bench/aiobench.o
	$(CC) $(CFLAGS) $(LDFLAGS) $^ -o $@ -laio

bench: deps
	$(MAKE) $(B)/aiod $(B)/aiobench
	sh bench/run-bench.sh

install: $(B)/aiod $(B)/aiolkinit $(B)/aioinfo
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/include/sys \
	        $(DESTDIR)$(PREFIX)/share/man/man4 \
	        $(DESTDIR)$(PREFIX)/share/man/man5 \
	        $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)/etc
	install -m 755 $(B)/aiod $(B)/aiolkinit $(B)/aioinfo \
	        $(DESTDIR)$(PREFIX)/sbin
	install -m 644 sys/async.h $(DESTDIR)$(PREFIX)/include/sys
	install -m 644 $(wildcard man/*.4) $(DESTDIR)$(PREFIX)/share/man/man4
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 644 $(wildcard man/*.8) $(DESTDIR)$(PREFIX)/share/man/man8
	test -e $(DESTDIR)/etc/aiomemlock.conf || \
	        install -m 644 aiomemlock.conf $(DESTDIR)/etc

deps:
	@sh scripts/install-deps.sh

check: deps
	$(MAKE) all static
	sh test/run-tests.sh

demo: deps
	$(MAKE) $(B)/aiod $(B)/aiodemo
	sh scripts/demo.sh

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
