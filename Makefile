# SPDX-License-Identifier: MIT
# scoaio -- SCO aio(M) raw-disk asynchronous I/O for Linux.
# Builds the daemon, the admin commands, the tests, the sample program and
# the static binaries for the VM test; `make check` (as root) installs what
# is missing and runs every test, `make demo` runs the sample SCO program
# against a default partition, `make bench` compares aiod with native AIO.
# SAN=1 builds with AddressSanitizer and UBSan, in build-san by default;
# only the host programs (a static link cannot take ASan).

VERSION    = 0.1
PREFIX    ?= /usr/local
DESTDIR   ?=
MULTIARCH := $(shell gcc -print-multiarch)
MULTIARCH32 := $(shell gcc -m32 -print-multiarch 2>/dev/null || \
                 echo i386-linux-gnu)
SBINDIR   ?= $(PREFIX)/sbin
LIBDIR    ?= $(PREFIX)/lib/$(MULTIARCH)
LIB32DIR  ?= $(PREFIX)/lib/$(MULTIARCH32)
INCLUDEDIR ?= $(PREFIX)/include
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/scoaio
UNITDIR   ?= $(PREFIX)/lib/systemd/system
# aiod reads /etc/scoaio/aiod.conf whatever the PREFIX.
SYSCONFDIR ?= /etc
CC        ?= cc
CFLAGS    ?= -O2 -g
ifeq ($(SAN),1)
B         ?= build-san
override CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
override LDFLAGS += -fsanitize=address,undefined
endif
B         ?= build

WARN       = -std=c11 -Wall -Wextra -Werror
CPPFLAGS  += -D_GNU_SOURCE -I. -Iinclude -DSCOAIO_VERSION='"$(VERSION)"'
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null)
FUSE_LIBS   := $(shell pkg-config --libs fuse3 2>/dev/null)
FUSE_STATIC_LIBS := $(shell pkg-config --static --libs fuse3 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
# The i386 Check library (check:i386), linked in statically.
CHECK32_STATIC_LIBS = -L/usr/lib/i386-linux-gnu -lcheck -lsubunit -lm -lrt \
                      -pthread
CHECK32_LIBS = -L/usr/lib/i386-linux-gnu -Wl,-Bstatic -lcheck -lsubunit \
               -Wl,-Bdynamic -lm -lrt -pthread

AIOD_LIB_SRCS = aiod/config.c aiod/abi.c aiod/callers.c aiod/backend.c \
                aiod/rules.c aiod/engine_file.c aiod/engine_aio.c \
                aiod/engine_pio.c aiod/locktbl.c aiod/admin.c aiod/loop.c \
                aiod/log.c aiod/glue.c aiod/frontend_fuse.c aiod/quota.c \
                aiod/clientmem.c aiod/direct.c aiod/direct_tally.c \
                aiod/attach_msg.c aiod/stats.c aiod/trace.c aiod/dmlinear.c \
                aiod/frontend_cuse.c common/failmsg.c common/latency.c
CONFORM_SRCS  = $(wildcard test/conform/*.c)

# Each program's sources and libraries.
aiod_SRCS       = aiod/main.c aiod/pidfile.c aiod/privs.c common/cli.c \
                  aiod/settings.c aiod/reload.c aiod/notify.c \
                  aiolkinit/memlock_conf.c \
                  $(AIOD_LIB_SRCS)
# libsystemd (the journal, sd_notify) is referenced weakly so that the
# static aiod links without it: --no-as-needed keeps it in the dynamic one.
SYSTEMD_LIBS    = -Wl,--no-as-needed -lsystemd -Wl,--as-needed
aiod_LIBS       = -laio -lseccomp $(SYSTEMD_LIBS) $(FUSE_LIBS) -pthread
aiod_STATIC_LIBS = -laio -lseccomp $(FUSE_STATIC_LIBS)
aiolkinit_SRCS  = aiolkinit/aiolkinit.c aiolkinit/memlock_conf.c \
                  common/failmsg.c common/cli.c
aioinfo_SRCS    = aioinfo/aioinfo.c common/aiodfind.c common/latency.c \
                  common/failmsg.c common/jsonstr.c common/cli.c
aiotrace_SRCS   = aiotrace/aiotrace.c common/aiodfind.c common/failmsg.c \
                  common/jsonstr.c common/cli.c
aioconform_SRCS = $(CONFORM_SRCS) common/cli.c
aioconform_LIBS = $(CHECK_LIBS)
unit-tests_SRCS = $(wildcard test/unit/*.c) $(AIOD_LIB_SRCS) \
                  aiolkinit/memlock_conf.c libasync/statq.c
unit-tests_LIBS = -laio $(SYSTEMD_LIBS) $(FUSE_LIBS) $(CHECK_LIBS) -pthread
aiodemo_SRCS    = examples/aiodemo.c common/cli.c
scodb_SRCS      = examples/scodb.c common/cli.c
libasync_SRCS   = libasync/libasync.c libasync/devmap.c libasync/direct.c \
                  libasync/statq.c aiod/rules.c aiod/attach_msg.c \
                  common/latency.c
aiobench_SRCS   = bench/aiobench.c common/cli.c
aiobench_LIBS   = -laio -lm
dmcreate_SRCS   = test/vm/dmcreate.c
exclgrab_SRCS   = test/vm/exclgrab.c
# The attack tests of issue 15: the tests, the victim's client (also i386,
# built by `make check`) and the attacker's stalling FUSE server.
aioattack_SRCS  = test/attack/aioattack.c
aiovictim_SRCS  = test/attack/aiovictim.c
aiostallfs_SRCS = test/attack/aiostallfs.c test/attack/baitfs.c
aiostallfs_LIBS = $(FUSE_LIBS)
# Positional calls on other drivers, for libasync under strace.
aioprobe_SRCS   = test/libasync/aioprobe.c
# What a client can reach through libasync's direct-path descriptors.
aiocontain_SRCS = test/libasync/aiocontain.c
# libasync's open files and descriptors: two daemons, write-only, dup, reuse.
aiofiles_SRCS   = test/libasync/aiofiles.c
# A FUSE file whose server pretends to be aiod, its socket held by nobody.
aiofakeattach_SRCS = test/libasync/aiofakeattach.c test/attack/baitfs.c
aiofakeattach_LIBS = $(FUSE_LIBS)
# pread as _FORTIFY_SOURCE builds call it (__pread_chk), on CUSE too.
aiofortify_SRCS = test/libasync/aiofortify.c
# Holds a DKIOCMLOCK region, after some reads if asked, until its input
# ends (aioinfo -l's test, the direct path's per-device figures).
aiolockhold_SRCS = test/observe/aiolockhold.c
# What systemd would hear from aiod (sd_notify), for the tests.
notifylisten_SRCS = test/service/notifylisten.c
# Random requests against a running aiod (also i386, built by make check).
aiolivefuzz_SRCS = test/fuzz/aiolivefuzz.c

obj = $(patsubst %.c,$(B)/obj/%.o,$(1))

PROGRAMS = aiod aiolkinit aioinfo aiotrace aioconform unit-tests aiodemo scodb \
           aiobench dmcreate exclgrab aioattack aiovictim aiostallfs aioprobe \
           aiolivefuzz aiocontain aiofiles aiofakeattach aiofortify aiolockhold \
           notifylisten
# What the initramfs of the VM test needs, statically linked; the *32
# ones are i386 clients; dmcreate sets up its dm-delay device, exclgrab
# takes a backing in device-mapper's window.
STATIC_PROGRAMS = aiod aiolkinit aioinfo aiotrace aioconform aiodemo scodb dmcreate \
                  exclgrab
STATIC32_PROGRAMS = aioconform aiodemo scodb
# Clients also linked with libasync.a (as a recompiled program would be).
LIBASYNC_PROGRAMS = aioconform scodb aiocontain aiofortify
LIBASYNC = $(B)/libasync.so $(B)/libasync.a $(B)/lib32/libasync.so \
           $(B)/lib32/libasync.a

# libFuzzer targets (clang), each with the sources it exercises.
FUZZ_CC      = clang
FUZZ_CFLAGS  = -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=undefined
FUZZ_TARGETS = abi config memlock devmap attach
fuzz_abi_SRCS     = aiod/abi.c aiod/rules.c
fuzz_config_SRCS  = aiod/config.c common/failmsg.c
fuzz_memlock_SRCS = aiolkinit/memlock_conf.c common/failmsg.c
fuzz_devmap_SRCS  = libasync/devmap.c
fuzz_attach_SRCS  = aiod/attach_msg.c
FUZZ_SECONDS ?= 60

.PHONY: all deps check static demo bench install uninstall clean fuzz \
        fuzz-build \
        spdx-check
all: $(addprefix $(B)/,$(PROGRAMS)) $(LIBASYNC)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(FUSE_CFLAGS) $(CHECK_CFLAGS) \
	      -MMD -MP -c $< -o $@

# libasync: position-independent objects for the shared library and the
# archive alike, 64-bit and i386.
$(B)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@
$(B)/pic32/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) -m32 $(CPPFLAGS) $(WARN) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@
# Exports only the interposed functions (libasync/libasync.map).
LIBASYNC_LDFLAGS = -shared -Wl,-soname,libasync.so.1 \
                   -Wl,--version-script=libasync/libasync.map
$(B)/libasync.so: $(patsubst %.c,$(B)/pic/%.o,$(libasync_SRCS)) \
                  libasync/libasync.map
	$(CC) $(LIBASYNC_LDFLAGS) $(LDFLAGS) $(filter %.o,$^) -o $@
$(B)/libasync.a: $(patsubst %.c,$(B)/pic/%.o,$(libasync_SRCS))
	rm -f $@ && ar rcs $@ $^
$(B)/lib32/libasync.so: $(patsubst %.c,$(B)/pic32/%.o,$(libasync_SRCS)) \
                        libasync/libasync.map
	@mkdir -p $(dir $@)
	$(CC) -m32 $(LIBASYNC_LDFLAGS) $(filter %.o,$^) -o $@
$(B)/lib32/libasync.a: $(patsubst %.c,$(B)/pic32/%.o,$(libasync_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define program
$(B)/$(1): $(call obj,$($(1)_SRCS))
	$(CC) $(CFLAGS) $(LDFLAGS) $$^ -o $$@ $($(1)_LIBS)
$(B)/static/$(1): $(call obj,$($(1)_SRCS))
	@mkdir -p $(B)/static
	$(CC) -static $(CFLAGS) $$^ -o $$@ \
	      $(or $($(1)_STATIC_LIBS),$($(1)_LIBS))
endef
$(foreach p,$(PROGRAMS),$(eval $(call program,$(p))))

.SECONDEXPANSION:
# The i386 programs are compiled straight from source, without dependency
# files: each depends on every header, so none outlives a change of an
# ioctl's layout.
HEADERS := $(wildcard sys/*.h include/scoaio/*.h */*.h test/*/*.h)
SOURCES = $(filter %.c %.a,$^)
# i386 clients, compiled from source with -m32.
$(B)/%32: $$($$*_SRCS) $(HEADERS)
	@mkdir -p $(B)
	$(CC) -m32 $(CPPFLAGS) $(WARN) $(CFLAGS) $(SOURCES) -o $@ $(CHECK32_LIBS)
$(B)/aiovictim32: $(aiovictim_SRCS) $(HEADERS)
	$(CC) -m32 $(CPPFLAGS) $(WARN) $(CFLAGS) $(SOURCES) -o $@
$(B)/aiolivefuzz32: $(aiolivefuzz_SRCS) $(HEADERS)
	$(CC) -m32 $(CPPFLAGS) $(WARN) $(CFLAGS) $(SOURCES) -o $@
$(B)/static/%32: $$($$*_SRCS) $(HEADERS)
	@mkdir -p $(B)/static
	$(CC) -m32 -static $(CPPFLAGS) $(WARN) $(CFLAGS) $(SOURCES) -o $@ \
	      $(CHECK32_STATIC_LIBS)

$(B)/static/%-libasync: $$(call obj,$$($$*_SRCS)) $(B)/libasync.a
	$(CC) -static $(CFLAGS) $^ -o $@ $($*_LIBS)
$(B)/static/%-libasync32: $$($$*_SRCS) $(B)/lib32/libasync.a $(HEADERS)
	$(CC) -m32 -static $(CPPFLAGS) $(WARN) $(CFLAGS) $(SOURCES) -o $@ \
	      $(CHECK32_STATIC_LIBS)

static: $(addprefix $(B)/static/,$(STATIC_PROGRAMS)) \
        $(patsubst %,$(B)/static/%32,$(STATIC32_PROGRAMS)) \
        $(patsubst %,$(B)/static/%-libasync,$(LIBASYNC_PROGRAMS)) \
        $(patsubst %,$(B)/static/%-libasync32,$(LIBASYNC_PROGRAMS))

$(B)/fuzz/fuzz_%: test/fuzz/fuzz_%.c $$(fuzz_$$*_SRCS)
	@mkdir -p $(B)/fuzz
	$(FUZZ_CC) $(CPPFLAGS) $(WARN) $(FUZZ_CFLAGS) $^ -o $@
fuzz-build: $(patsubst %,$(B)/fuzz/fuzz_%,$(FUZZ_TARGETS))
# Each target for FUZZ_SECONDS; `make check` runs a 10 s pass of each.
fuzz: deps fuzz-build
	B=$(B) sh test/fuzz/run-fuzz.sh $(FUZZ_SECONDS)

deps:
	@sh scripts/install-deps.sh

# Every tracked source file names its licence (test/licence/spdx-check.sh;
# make check runs it as the stage licence).
spdx-check:
	sh test/licence/spdx-check.sh

# The suite runs once more against an aiod built with SAN=1.
check: deps
ifeq ($(SAN),1)
	$(MAKE) all fuzz-build
else
	$(MAKE) all static fuzz-build $(B)/aioconform32 $(B)/aiovictim32 \
	        $(B)/aiolivefuzz32 $(B)/aioinfo32 $(B)/aiotrace32
	$(MAKE) B=build-san SAN=1 build-san/aiod
endif
	B=$(B) sh test/run-tests.sh

demo: deps
	$(MAKE) $(B)/aiod $(B)/aiodemo
	sh scripts/demo.sh

# The chart needs gnuplot, which `make check` does not.
bench:
	@sh scripts/install-deps.sh bench
	$(MAKE) $(B)/aiod $(B)/aiobench $(B)/libasync.so
	B=$(B) sh bench/run-bench.sh

# make install / uninstall: programs, libasync (and its i386 build into
# the i386 multiarch directory when it has been built), the header, man
# pages, README and LICENSE, the systemd unit, and the sample
# configuration files, which never replace edited ones (and which
# uninstall removes only if they are still as installed).  libasync.pc
# and aiod.service are made at install time, for this install's paths.
INSTALL_PROGRAMS = aiod aiolkinit aioinfo aiotrace aioconform
# aiobench(1) documents a build-tree tool that is not installed.
INSTALL_MAN = $(filter-out man/aiobench.1,$(wildcard man/*.[1-9]))
INSTALL_DOCS = README.md $(wildcard LICENSE)
ETC_FILES = scoaio/aiod.conf:aiod.conf aiomemlock.conf:aiomemlock.conf
LIB32 = $(wildcard $(B)/lib32/libasync.so)

install: $(addprefix $(B)/,$(INSTALL_PROGRAMS)) $(B)/libasync.so \
         $(B)/libasync.a
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(INCLUDEDIR)/sys \
	        $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(DOCDIR) \
	        $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/scoaio \
	        $(addprefix $(DESTDIR)$(MANDIR)/man,$(sort $(subst ., ,\
	          $(suffix $(INSTALL_MAN)))))
	install -m 755 $(addprefix $(B)/,$(INSTALL_PROGRAMS)) \
	        $(DESTDIR)$(SBINDIR)
	install -m 644 sys/async.h $(DESTDIR)$(INCLUDEDIR)/sys
	install -m 644 $(B)/libasync.so $(DESTDIR)$(LIBDIR)/libasync.so.1
	ln -sf libasync.so.1 $(DESTDIR)$(LIBDIR)/libasync.so
	install -m 644 $(B)/libasync.a $(DESTDIR)$(LIBDIR)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    libasync/libasync.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/libasync.pc
	chmod 644 $(DESTDIR)$(LIBDIR)/pkgconfig/libasync.pc
ifneq ($(LIB32),)
	install -d $(DESTDIR)$(LIB32DIR)
	install -m 644 $(B)/lib32/libasync.so $(DESTDIR)$(LIB32DIR)/libasync.so.1
	ln -sf libasync.so.1 $(DESTDIR)$(LIB32DIR)/libasync.so
	install -m 644 $(B)/lib32/libasync.a $(DESTDIR)$(LIB32DIR)
endif
	for m in $(INSTALL_MAN); do \
	        install -m 644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.} || exit 1; \
	done
	install -m 644 $(INSTALL_DOCS) aiod.conf aiomemlock.conf \
	        $(DESTDIR)$(DOCDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' systemd/aiod.service.in \
	    >$(DESTDIR)$(UNITDIR)/aiod.service
	chmod 644 $(DESTDIR)$(UNITDIR)/aiod.service
	for f in $(ETC_FILES); do \
	        dst=$(DESTDIR)$(SYSCONFDIR)/$${f%%:*}; \
	        if [ -e $$dst ]; then \
	                cmp -s $${f#*:} $$dst || echo "make install: $$dst" \
	                    "exists and differs from $${f#*:}; left as it is"; \
	        else install -m 644 $${f#*:} $$dst || exit 1; fi; \
	done

uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,$(INSTALL_PROGRAMS)) \
	      $(DESTDIR)$(INCLUDEDIR)/sys/async.h \
	      $(addprefix $(DESTDIR)$(LIBDIR)/,libasync.so.1 libasync.so \
	        libasync.a pkgconfig/libasync.pc) \
	      $(addprefix $(DESTDIR)$(LIB32DIR)/,libasync.so.1 libasync.so \
	        libasync.a) \
	      $(DESTDIR)$(UNITDIR)/aiod.service
	for m in $(INSTALL_MAN); do \
	        rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; \
	done
	rm -rf $(DESTDIR)$(DOCDIR)
	for f in $(ETC_FILES); do \
	        dst=$(DESTDIR)$(SYSCONFDIR)/$${f%%:*}; \
	        if cmp -s $${f#*:} $$dst; then rm -f $$dst; \
	        elif [ -e $$dst ]; then echo "make uninstall: $$dst was" \
	                "edited; left as it is"; fi; \
	done
	-rmdir $(DESTDIR)$(SYSCONFDIR)/scoaio 2>/dev/null

clean:
	rm -rf $(B)

-include $(shell find $(B)/obj $(B)/pic $(B)/pic32 -name '*.d' 2>/dev/null)
