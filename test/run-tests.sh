#!/bin/sh
# SPDX-License-Identifier: MIT
# run-tests.sh -- runs every scoaio test on this machine, as root:
# install-deps.sh's logic against stub dpkg and apt commands; the SPDX
# licence line of every tracked source file; the Check unit tests; the
# conformance suite through the real daemon on the FUSE front end over a
# loop device (an O_DIRECT image file where loop devices are
# missing), as root and, with the lock table loaded by aiolkinit, as an
# unprivileged user; libasync preloaded and linked, and the legacy database
# example; aioinfo's figures after a known workload, its latency
# histograms, backings, rates under load, lock holders and finding aiods by
# itself, its Prometheus output through promtool, and aiotrace following
# aiodemo (pids, completions, -p, JSON, drops, a user's view); a lock table of the
# largest size overflowing; a device error on an image-file partition;
# libasync's ioctls reaching no other driver, and its exports; every aiod
# thread's capabilities, no_new_privs and seccomp filter, and --no-seccomp;
# a detached aiod started with 0-2 closed, its working directory, a
# symlinked pid file; libasync's direct path on a loop device of its own
# (the suite 64-bit, 32-bit, linked statically, with the bounded poll
# wait and with SCOAIO_DIRECT=0,
# aioinfo counting direct requests, and aiocontain as an unprivileged
# user); libasync's open files (aiofiles: two aiods whose files have the
# same id, a write-only open, dup(), a descriptor reused behind its
# back, a fake aiod whose socket another user holds, another user's idle
# connections to the attach socket); the suite against an aiod built with AddressSanitizer
# and UBSan (SAN_B, default build-san, when it has one); random requests
# from a live fuzzer against it; a short pass of the fuzz targets; then
# the CUSE front end, 32-bit
# clients and real faults (dm-delay, dm-error, dm-flakey, killed clients
# and daemons, NBD from nbdkit) in a qemu VM.  aiod runs in the foreground
# (-f) in the background, its log in $work; a stage that fails shows that
# log, and a sanitizer report in it fails the stage that stops aiod.  A
# stage that cannot run here says `--- NAME: SKIPPED (why)` and is counted
# as skipped, never as passed.  Stages that name their tests with -t run
# aioconform with --no-skip, so that none of them can be skipped silently.
# Everything it sets up is torn down on any exit.  Expects `make all
# static build/aioconform32` to have run; B names the build directory.
# Each stage is a function stage_NAME, listed in all_stages below;
# STAGES="NAME..." runs only those, STAGES=list prints the names.
set -u
B=${B:-build}
san_b=${SAN_B:-build-san}
case $B in /*) ;; *) B=$PWD/$B ;; esac
case $san_b in /*) ;; *) san_b=$PWD/$san_b ;; esac
work=$(mktemp -d /var/tmp/scoaio-test.XXXXXX)
chmod 755 "$work"
mnt=$work/mnt
loop=""
whole_loop=""
slot_loops=""
passed=0
failed=0
skipped=0
user=nobody
aiod=$B/aiod		# the aiod that start_aiod runs
aiod_pid=""
aiod_shared=no
aiod_log=""
naiod=0
# Sanitizer-built programs (SAN=1) stop at their first UBSan report, as at
# ASan's; leaks are looked for in aiod, a daemon, not in short-lived clients.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=0
# A sanitizer-built libasync.so needs the ASan runtime loaded before it.
preload=$B/libasync.so
asan=$(ldd "$preload" 2>/dev/null |
	sed -n 's/.*=> \(\/[^ ]*libasan[^ ]*\) .*/\1/p')
[ -z "$asan" ] || preload="$asan $preload"

cleanup() {
	stop_aiod
	mountpoint -q "$mnt" 2>/dev/null && umount -l "$mnt"
	[ -n "$loop" ] && losetup -d "$loop"
	[ -n "$whole_loop" ] && losetup -d "$whole_loop"
	for l in $slot_loops; do losetup -d "$l"; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stage() { printf '\n=== %s\n' "$*"; }
show_log() {	# the last 100 lines of the current aiod's log
	[ -s "$aiod_log" ] || return 0
	echo "----- $aiod_log (last 100 lines)"
	tail -n 100 "$aiod_log" | sed 's/^/  | /'
	echo "-----"
}
result() {	# NAME STATUS
	if [ "$2" -eq 0 ]; then echo "--- $1: ok"; passed=$((passed + 1))
	else echo "--- $1: FAILED"; failed=$((failed + 1)); show_log; fi
}
skip() {	# NAME REASON
	echo "--- $1: SKIPPED ($2)"
	skipped=$((skipped + 1))
}
result_or_skip() {	# NAME STATUS REASON: status 77 (a check that cannot
	# run here, automake's convention) is a skip for REASON
	if [ "$2" -eq 77 ]; then skip "$1" "$3"; else result "$1" "$2"; fi
}
fd_count() {	# PID: how many descriptors it has open
	set -- /proc/"$1"/fd/*
	echo $#
}
alive() {	# PID: running and not a zombie
	[ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat"
}
start_aiod() {	# aiod arguments: devices and tunables
	no_aiod
	naiod=$((naiod + 1))
	aiod_shared=no
	aiod_log=$work/aiod.$naiod.log
	echo "+ $aiod -f --fuse $mnt $*"
	ASAN_OPTIONS=detect_leaks=1 "$aiod" -f --fuse "$mnt" \
		--pidfile "$work/aiod.pid" "$@" 2>"$aiod_log" &
	aiod_pid=$!
	# The pid file appears once every device is ready.
	i=0
	while [ ! -s "$work/aiod.pid" ]; do
		if ! alive "$aiod_pid"; then
			wait "$aiod_pid"
			echo "aiod exited (status $?) before its devices were ready"
			aiod_pid=""
			return 1
		fi
		if [ $i -ge 200 ]; then
			echo "aiod's devices were not ready within 20 s"
			return 1
		fi
		sleep 0.1; i=$((i + 1))
	done
	mountpoint -q "$mnt"
}
stop_aiod() {	# SIGTERM; aiod must exit 0, unmounted, with a clean log
	[ -n "$aiod_pid" ] || return 0
	kill -TERM "$aiod_pid"
	i=0
	while alive "$aiod_pid" && [ $i -lt 200 ]; do
		sleep 0.1; i=$((i + 1))
	done
	if alive "$aiod_pid"; then
		echo "aiod did not exit within 20 s of SIGTERM; killing it"
		kill -KILL "$aiod_pid"
	fi
	wait "$aiod_pid"
	rc=$?
	aiod_pid=""
	[ $rc -eq 0 ] || echo "aiod exited with status $rc"
	if [ -f "$work/aiod.pid" ]; then
		echo "aiod left its pid file"; rm -f "$work/aiod.pid"; rc=1
	fi
	if mountpoint -q "$mnt"; then
		echo "$mnt is still mounted"; umount -l "$mnt"; rc=1
	fi
	if grep -q -E 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' \
		"$aiod_log"; then
		echo "aiod's log has a sanitizer report"; rc=1
	fi
	return $rc
}
no_aiod() {	# stops the aiod a previous stage left running
	[ -n "$aiod_pid" ] || return 0
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}
# The stages from conform to mlock share one aiod over $devices, started
# by the first of them that runs.
shared_aiod() {
	[ -n "$aiod_pid" ] && [ "$aiod_shared" = yes ] && return 0
	# shellcheck disable=SC2086
	start_aiod $limits $devices
	result "aiod starts" $?
	aiod_shared=yes
}
threads_have() {	# PID LINE...: each line in every thread's status
	_pid=$1
	shift
	_rc=0
	for _t in /proc/"$_pid"/task/*; do
		for _want in "$@"; do
			grep -qx "$_want" "$_t/status" ||
				{ echo "thread ${_t##*/}: not '$_want'"; _rc=1; }
		done
	done
	return $_rc
}
as_user() { setpriv --reuid="$user" --regid=nogroup --clear-groups "$@"; }
start_holder() {	# NAME FD COMMAND...: COMMAND (aiolockhold) reads the
	# fifo $work/NAME.in, which this shell holds open on FD; returns once
	# it says "locked" (or has exited, or 20 s passed); $holder is its pid.
	_name=$1 _fd=$2
	shift 2
	rm -f "$work/$_name.in"
	mkfifo "$work/$_name.in"
	"$@" <"$work/$_name.in" >"$work/$_name.out" &
	holder=$!
	eval "exec $_fd>\"\$work/\$_name.in\""
	i=0
	until grep -q '^locked ' "$work/$_name.out" || ! alive "$holder"; do
		[ $i -ge 200 ] && break; sleep 0.1; i=$((i + 1))
	done
}
json_field() {	# FIELD: from aioinfo --json on standard input
	sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p"
}

if [ "$(id -u)" != 0 ]; then
	echo "run-tests: must run as root (loop devices, FUSE mounts)" >&2
	exit 1
fi

stage_install_deps() {
	stage "install-deps.sh against stub dpkg and apt"
	sh test/install-deps/test-install-deps.sh
	result "install-deps.sh" $?
}

stage_licence() {
	stage "licence: the MIT SPDX line in every tracked source file"
	sh test/licence/spdx-check.sh
	result "every tracked source file says SPDX-License-Identifier: MIT" $?
}

stage_unit() {
	stage "unit tests"
	"$B/unit-tests"
	result "unit tests" $?
	out=$(as_user "$B/unit-tests" 2>&1)
	rc=$?
	[ $rc -eq 0 ] || echo "$out"
	result "unit tests as $user (no root, no mount)" $rc
}

stage_aioinfo() {
	stage "aioinfo figures after 40 requests, at most 15 in flight"
	# shellcheck disable=SC2086
	start_aiod -o NAIOLOCKTBL=1000 $devices
	result "aiod starts" $?
	"$B/aiodemo" "$mnt/rdsk/0s1" 20 &&
		info=$("$B/aioinfo" --json "$mnt/rroot") &&
		echo "$info" &&
		[ "$(echo "$info" | json_field requests_total)" = 40 ] &&
		[ "$(echo "$info" | json_field requests_max)" = 15 ] &&
		[ "$(echo "$info" | json_field requests_active)" = 0 ]
	result "aioinfo: cumulative 40, maximum 15, active 0" $?
	"$B/aioconform" --no-skip -t perm_lktbl_overflow_enospc "$mnt/rdsk/0s1"
	result "a lock table of NAIOLOCKTBL=1000 (the most) overflows" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_conform() {
	stage "conformance suite as root on the FUSE front end"
	shared_aiod
	# shellcheck disable=SC2086
	"$B/aioconform" $geometry -b "$backing@0" -B "$backing@$half" \
		"$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
	result "aioconform, 64-bit, root" $?
	# BUSYPOLL: aiod polls for work only shortly after work; idle, it
	# sleeps.  utime + stime of all its threads, in clock ticks.
	sleep 0.5
	t0=$(sed 's/.*) //' "/proc/$aiod_pid/stat" | awk '{ print $12 + $13 }')
	sleep 1
	t1=$(sed 's/.*) //' "/proc/$aiod_pid/stat" | awk '{ print $12 + $13 }')
	echo "aiod's CPU over 1 s idle: $((t1 - t0)) of $(getconf CLK_TCK) ticks"
	[ $((t1 - t0)) -le $(($(getconf CLK_TCK) / 20)) ]
	result "idle after the suite, aiod sleeps (under 5 % of a CPU)" $?
	if [ ! -x "$B/aioconform32" ]; then
		skip "aioconform, 32-bit, root" "$B/aioconform32 not built"
	elif ! "$B/aioconform32" -h >/dev/null 2>&1; then
		skip "aioconform, 32-bit, root" "this kernel does not run i386" \
		     "binaries; the VM stage runs them"
	else
		# shellcheck disable=SC2086
		"$B/aioconform32" $geometry -b "$backing@0" -B "$backing@$half" \
			"$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
		result "aioconform, 32-bit, root" $?
	fi
}

stage_libasync() {
	stage "libasync on the FUSE front end (the kernel keeps offsets there)"
	shared_aiod
	"$B/scodb" "$mnt/rdsk/0s1"
	result "scodb without libasync" $?
	SCOAIO_DEVMAP="/dev/rhd01=$mnt/rdsk/0s1" LD_PRELOAD="$preload" \
		"$B/scodb" /dev/rhd01
	result "scodb with libasync preloaded, by the SCO path /dev/rhd01" $?
	# shellcheck disable=SC2086
	LD_PRELOAD="$preload" "$B/aioconform" $geometry \
		-b "$backing@0" -B "$backing@$half" "$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
	result "aioconform with libasync preloaded" $?
	LD_PRELOAD="$preload" "$B/aiofortify" "$mnt/rdsk/0s1"
	result "pread as _FORTIFY_SOURCE builds call it, libasync preloaded" $?
	if [ -x "$B/static/aioconform-libasync" ]; then
		"$B/static/aioconform-libasync" --no-skip -t posio \
			-t data_write_read_back -t data_read_sizes_and_offsets \
			-t data_write_sizes_and_offsets \
			-t data_concurrent_distinct_blocks \
			-t data_backing_sees_aio_write -t data_aio_reads_backing_write \
			-b "$backing@0" "$mnt/rdsk/0s1"
		result "aioconform linked statically with libasync" $?
	else
		skip "aioconform linked statically with libasync" \
		     "$B/static/aioconform-libasync not built (make static)"
	fi
}

stage_libasync_only() {
	stage "libasync touches only aiod's devices"
	# Its ioctls (magic 0xA5) never reach another driver: positional calls
	# on /dev/zero, /dev/null, a pipe and a pty with libasync preloaded.
	if command -v strace >/dev/null; then
		LD_PRELOAD="$preload" strace -f -qq -e trace=ioctl \
			-o "$work/probe.strace" "$B/aioprobe" /dev/zero /dev/null \
			>/dev/null
		rc=$?
		if grep -i '0xa5' "$work/probe.strace"; then rc=1; fi
		result "no ioctl of magic 0xA5 reaches /dev/zero, /dev/null, a pipe or a pty" $rc
	else
		skip "no ioctl of magic 0xA5 reaches other drivers" "no strace"
	fi
	exports=$(nm -D --defined-only "$B/libasync.so" | awk '{ print $3 }' |
		LC_ALL=C sort | tr '\n' ' ')
	# (close, dup2, dup3 and ioctl for the direct path)
	want="__open64_2 __open_2 __openat64_2 __openat_2 __pread64_chk"
	want="$want __pread_chk close dup2 dup3 ioctl"
	want="$want lseek lseek64 open open64 openat openat64 pread pread64"
	want="$want preadv preadv64 pwrite pwrite64 pwritev pwritev64 "
	[ "$exports" = "$want" ] || echo "libasync.so exports: $exports"
	result "libasync.so exports only the interposed functions" \
		"$([ "$exports" = "$want" ]; echo $?)"
}

stage_privileges() {
	stage "aiod's privileges once serving"
	shared_aiod
	# aiod(8), PRIVILEGES: CAP_DAC_OVERRIDE, CAP_IPC_LOCK, CAP_SYS_PTRACE and,
	# on the FUSE front end, CAP_SYS_ADMIN; no_new_privs; a seccomp filter.
	caps=0000000000284002
	grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$aiod_pid/status"
	threads_have "$aiod_pid" "CapEff:	$caps" "CapPrm:	$caps" \
		"CapBnd:	$caps" "CapAmb:	0000000000000000" "NoNewPrivs:	1" \
		"Seccomp:	2"
	result "every thread: NoNewPrivs 1, Seccomp 2, CapEff = CapPrm = CapBnd = $caps" $?
}

stage_mlock() {
	stage "memory-lock permissions as $user"
	shared_aiod
	printf '# the later line overrides\n%s 4096\n%s 65536\n' "$user" "$user" \
		>"$work/allow.conf"
	"$B/aiolkinit" -f "$work/allow.conf" "$mnt/rroot"
	result "aiolkinit loads an allowance of 65536 for $user" $?
	# shellcheck disable=SC2086
	as_user "$B/aioconform" $user_geometry -L 65536 "$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
	result "aioconform as $user with an allowance" $?
	printf '%s 0\n' "$user" >"$work/zero.conf"
	# shellcheck disable=SC2086
	"$B/aiolkinit" -f "$work/zero.conf" "$mnt/rroot" &&
		as_user "$B/aioconform" --no-skip -L 0 $no_lock_tests \
			$mlock_no_lock_tests "$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
	result "aioconform as $user with allowance 0 (disabled)" $?
	# shellcheck disable=SC2086
	"$B/aiolkinit" --replace -f /dev/null "$mnt/rroot" &&
		as_user "$B/aioconform" --no-skip -L 0 $no_lock_tests "$mnt/rdsk/0s1"
	result "aioconform as $user with no entry (table replaced)" $?
	out=$(as_user "$B/aiolkinit" -f "$work/allow.conf" "$mnt/rroot" 2>&1)
	rc=$?
	echo "$out"
	[ $rc -ne 0 ] && echo "$out" | grep -q "permission denied"
	result "aiolkinit as $user is refused (EPERM)" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_device_error() {
	stage "a device error reaches iostatus"
	dd if=/dev/zero of="$work/short.img" bs=1M count=16 status=none
	start_aiod --device "rdsk/short=$work/short.img"
	result "aiod starts on an image file" $?
	truncate -s 8M "$work/short.img"	# blocks from 16384 on now fail
	"$B/aioconform" --no-skip -E 20000 -t data_device_error_in_iostatus \
		"$mnt/rdsk/short"
	result "a read past the shrunken image reports an error" $?
	grep -q "device rdsk/short: read of 4096 bytes at block 20000 failed" \
		"$aiod_log"
	result "the failed read is logged with device, block, size and error" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_data_safety() {
	stage "issue 10: data safety"
	fd_flags() {	# PID PATH: the octal open flags of PID's fd on PATH
		for f in /proc/"$1"/fd/*; do
			[ "$(readlink "$f")" = "$2" ] || continue
			sed -n 's/^flags:[[:space:]]*//p' "/proc/$1/fdinfo/${f##*/}"
			return
		done
	}
	fds_on() {	# PID PATH: how many of PID's fds are open on PATH
		n=0
		for f in /proc/"$1"/fd/*; do
			[ "$(readlink "$f")" != "$2" ] || n=$((n + 1))
		done
		echo $n
	}
	has_dsync() { [ $(( 0$1 & 010000 )) -ne 0 ]; }	# O_DSYNC
	second() {	# NAME ARGS: another aiod must refuse with one line
		"$B/aiod" -f "$@" >"$work/second.out" 2>&1
		rc=$?
		sed 's/^/  second aiod: /' "$work/second.out"
		[ $rc -ne 0 ] && [ "$(wc -l <"$work/second.out")" -eq 1 ]
	}
	dd if=/dev/zero of="$work/safe.img" bs=1M count=16 status=none
	start_aiod --device "rdsk/safe=$work/safe.img,mode=0666" \
		--device "rdsk/safe2=$work/safe.img,offset=8M,mode=0666"
	result "aiod starts with two slices of one image (one open)" $?
	flags=$(fd_flags "$aiod_pid" "$work/safe.img")
	echo "backing fd flags: $flags"
	[ -n "$flags" ] && has_dsync "$flags" &&
		[ "$(fds_on "$aiod_pid" "$work/safe.img")" -eq 1 ]
	result "durable by default: the backing is open O_DSYNC, once" $?
	second --fuse "$work/mnt2" --device "x=$work/safe.img"
	result "a second aiod on the same image is refused" $?
	dd if=/dev/zero of="$work/other.img" bs=1M count=4 status=none
	second --fuse "$work/mnt2" --pidfile "$work/aiod.pid" \
		--device "x=$work/other.img" &&
		[ "$(cat "$work/aiod.pid")" = "$aiod_pid" ]
	result "a second aiod with the same pid file is refused; the file stays" $?
	second --fuse "$mnt" --device "x=$work/other.img" && mountpoint -q "$mnt" &&
		[ -e "$mnt/rdsk/safe" ]
	result "a second aiod on the same mount point is refused" $?
	kill -KILL "$aiod_pid"
	wait "$aiod_pid" 2>/dev/null
	aiod_pid=""
	rm -f "$work/aiod.pid"
	start_aiod --device "rdsk/safe=$work/safe.img,cache=writeback,mode=0666" &&
		grep -q "detached the stale FUSE mount" "$aiod_log" &&
		[ -e "$mnt/rdsk/safe" ]
	result "after kill -9 a new aiod detaches the stale mount and serves" $?
	flags=$(fd_flags "$aiod_pid" "$work/safe.img")
	echo "backing fd flags: $flags"
	[ -n "$flags" ] && ! has_dsync "$flags"
	result "cache=writeback: the backing is open without O_DSYNC" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
	start_aiod --device "rdsk/ro=$work/safe.img,ro,mode=0666" &&
		ls -l "$mnt/rdsk/ro" && [ "$(stat -c %a "$mnt/rdsk/ro")" = 444 ]
	result "ro: the device file has no write bits" $?
	"$B/aioconform" --no-skip -r -t safety_ro_writes_erofs "$mnt/rdsk/ro"
	result "ro: opens for writing, AU_WRITE and AIOC_PWRITE get EROFS" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
	if [ -n "$loop" ] && rol=$(losetup -r -f --show "$work/other.img"); then
		start_aiod --device "rdsk/rol=$rol,mode=0666" &&
			grep -q "is read-only; serving it read-only" "$aiod_log" &&
			"$B/aioconform" --no-skip -r -t safety_ro_writes_erofs \
				"$mnt/rdsk/rol"
		result "a read-only loop device (losetup -r) is served read-only" $?
		stop_aiod
		result "aiod stops on SIGTERM and unmounts" $?
		losetup -d "$rol"
		extl=$(losetup -f --show "$work/other.img") &&
			mkfs.ext4 -q -F "$extl" && mkdir -p "$work/ext" &&
			mount "$extl" "$work/ext" &&
			second --fuse "$work/mnt2" --device "x=$extl" &&
			grep -q "mounted at $work/ext" "$work/second.out"
		result "a block device mounted as ext4 is refused, naming the mount" $?
		umount "$work/ext" 2>/dev/null
		[ -n "$extl" ] && losetup -d "$extl"
	else
		skip "read-only loop device and mounted ext4" "no loop devices here"
	fi
}

stage_no_seccomp() {
	stage "aiod --no-seccomp"
	# shellcheck disable=SC2086
	start_aiod --no-seccomp $devices
	result "aiod --no-seccomp starts" $?
	threads_have "$aiod_pid" "Seccomp:	0" "NoNewPrivs:	1" \
		"CapEff:	0000000000284002" "CapBnd:	0000000000284002"
	result "every thread: no seccomp filter, the same capabilities and no_new_privs" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_hygiene() {
	stage "start-up hygiene of a detached aiod"
	no_aiod
	# Started with 0-2 closed: a device must not become one of them and be
	# replaced by /dev/null on detaching; its data must reach the backing.
	# shellcheck disable=SC2086
	"$aiod" --fuse "$mnt" --pidfile "$work/aiod.pid" $devices <&- >&- 2>&-
	result "aiod with 0-2 closed detaches, exit 0" $?
	dpid=$(cat "$work/aiod.pid" 2>/dev/null)
	head -c 4096 /dev/urandom >"$work/pattern"
	dd if="$work/pattern" of="$mnt/rroot" bs=4096 count=1 conv=notrunc \
		status=none &&
		dd if="$backing" bs=4096 count=1 iflag=direct status=none |
		cmp -s - "$work/pattern"
	result "a write through its device reaches the backing" $?
	[ "$(readlink "/proc/$dpid/cwd")" = / ] &&
		[ "$(readlink "/proc/$dpid/fd/0")" = /dev/null ] &&
		[ "$(readlink "/proc/$dpid/fd/1")" = /dev/null ] &&
		[ "$(readlink "/proc/$dpid/fd/2")" = /dev/null ]
	result "its working directory is /, its 0-2 are /dev/null" $?
	kill -TERM "$dpid"
	i=0
	while [ -d "/proc/$dpid" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	! [ -d "/proc/$dpid" ] && ! mountpoint -q "$mnt" && [ ! -e "$work/aiod.pid" ]
	result "it stops on SIGTERM, unmounted, pid file removed" $?
	# A pid file path that is a symlink is refused, the target untouched; the
	# first process exits with the child's status and its message.
	ln -sf "$work/pid-target" "$work/link.pid"
	# shellcheck disable=SC2086
	"$aiod" --fuse "$mnt" --pidfile "$work/link.pid" $devices \
		2>"$work/detach.err"
	rc=$?
	cat "$work/detach.err"
	[ $rc -eq 1 ] && [ ! -e "$work/pid-target" ] &&
		grep -q "cannot open pid file $work/link.pid" "$work/detach.err" &&
		! mountpoint -q "$mnt"
	result "a symlinked pid file is refused: exit 1, target not created" $?
	rm -f "$work/link.pid"

}

stage_san_conform() {
	# With B=$san_b (make check SAN=1) every other stage ran that aiod.
	[ "$B" != "$san_b" ] || return 0
	stage "conformance suite against aiod built with ASan and UBSan"
	if [ -x "$san_b/aiod" ]; then
		aiod=$san_b/aiod
		# shellcheck disable=SC2086
		# BUSYPOLL=0: here the loop sleeps whenever it has nothing
		# to do, the other stages' aiod polls after work.
		start_aiod $limits -o BUSYPOLL=0 $devices
		result "aiod (ASan, UBSan; BUSYPOLL=0) starts" $?
		# shellcheck disable=SC2086
		"$B/aioconform" $geometry -b "$backing@0" -B "$backing@$half" \
			"$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
		result "aioconform against aiod (ASan, UBSan; BUSYPOLL=0)" $?
		stop_aiod
		result "aiod (ASan, UBSan) stops, no sanitizer report in its log" $?
		aiod=$B/aiod
	else
		skip "aioconform against a sanitizer-built aiod" \
		     "no $san_b/aiod (make B=$san_b SAN=1 $san_b/aiod)"
	fi
}

stage_livefuzz() {
	stage "live fuzzing: random requests, wild pointers, fork and close storms"
	# aiolivefuzz, 64-bit as root and 32-bit as $user, against the
	# sanitizer-built aiod when there is one (its log must stay clean), with
	# a lock allowance for both; aiod must keep answering and end with the
	# descriptors it started with.
	fuzz_aiod=$aiod
	[ -x "$san_b/aiod" ] && fuzz_aiod=$san_b/aiod
	aiod=$fuzz_aiod
	# shellcheck disable=SC2086
	start_aiod $limits $devices
	result "aiod ($aiod) starts" $?
	printf 'root 65536\n%s 65536\n' "$user" >"$work/fuzz.conf"
	"$B/aiolkinit" -f "$work/fuzz.conf" "$mnt/rroot" >/dev/null
	fds_before=$(fd_count "$aiod_pid")
	rss_before=$(sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$aiod_pid/status")
	"$B/aiolivefuzz" "${LIVEFUZZ_SECONDS:-10}" "$mnt/rroot" "$mnt/rdsk/0s1" \
		"$mnt/rdsk/0s2"
	result "aiolivefuzz, 64-bit, root: aiod still answers" $?
	if [ -x "$B/aiolivefuzz32" ]; then
		as_user "$B/aiolivefuzz32" "${LIVEFUZZ_SECONDS:-10}" "$mnt/rroot" \
			"$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
		result "aiolivefuzz, 32-bit, $user: aiod still answers" $?
	else
		skip "aiolivefuzz, 32-bit" "no $B/aiolivefuzz32"
	fi
	sleep 1
	fds_after=$(fd_count "$aiod_pid")
	rss_after=$(sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$aiod_pid/status")
	echo "aiod: $fds_before descriptors and $rss_before resident before," \
		"$fds_after and $rss_after after"
	[ "$fds_after" -eq "$fds_before" ]
	result "aiod holds as many descriptors as before" $?
	stop_aiod
	result "aiod stops on SIGTERM, no sanitizer report in its log" $?
	aiod=$B/aiod
}

stage_attack() {
	stage "issue 15: attacks by $user on root and on another user"
	no_aiod
	# Each test of test/attack/aioattack.c against an aiod of its own (some
	# freeze or stop it) in the foreground, logging to a file, over three
	# partitions: root's, one $user may use and one only the victim user may
	# open; the victim's client is set-user-ID to that user.  An aiod that
	# outlives SIGTERM is killed and its FUSE connection aborted.
	# The victim user stays (a system account without home or shell): another
	# run may be using it.
	victim=scoaio-victim
	id "$victim" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin "$victim"
	mkdir -p "$work/attack"
	for client in aiovictim aiovictim32; do
		[ -x "$B/$client" ] &&
			install -o "$victim" -m 4755 "$B/$client" "$work/attack/$client"
	done
	# The attacker runs its FUSE server from where it may, whatever the
	# permissions of the build directory's parents.
	install -m 755 "$B/aiostallfs" "$work/attack/aiostallfs"
	mountpoint -q /sys/fs/fuse/connections ||
		mount -t fusectl fusectl /sys/fs/fuse/connections
	alog=$work/attack/aiod.log
	attack_aiod_start() {
		: >"$alog"
		"$B/aiod" -f --fuse "$mnt" --pidfile "$work/aiod.pid" \
			-o NAIOPROC=32 -o NAIOREQ=96 \
			--device "rroot=$backing,size=$quarter,mode=0600" \
			--device "rshared=$backing,offset=$quarter,size=$quarter,mode=0666" \
			--device "rvictim=$backing,offset=$half,size=$quarter,owner=$victim,mode=0600" \
			2>>"$alog" &
		apid=$!
		i=0
		while [ ! -s "$work/aiod.pid" ] && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		[ -s "$work/aiod.pid" ] || return 1
		# aiod's FUSE connection: the minor of the mount's device number
		dev=$(stat -c %d "$mnt")
		conn=$(( (dev & 0xff) | ((dev >> 12) & 0xfff00) ))
	}
	attack_aiod_stop() {
		kill -TERM "$apid" 2>/dev/null
		i=0
		while kill -0 "$apid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		if kill -0 "$apid" 2>/dev/null; then
			echo "aiod $apid outlived SIGTERM: killing it"
			kill -KILL "$apid"
			echo 1 >"/sys/fs/fuse/connections/$conn/abort" 2>/dev/null
		fi
		wait "$apid" 2>/dev/null
		rm -f "$work/aiod.pid"
		if mountpoint -q "$mnt" 2>/dev/null; then umount -l "$mnt"; fi
	}
	attack() {	# LABEL aioattack-arguments...
		label=$1
		shift
		if attack_aiod_start; then
			"$B/aioattack" -v "$victim" -b "$backing@$half" \
				-p "$work/aiod.pid" -L "$alog" -i "$B/aioinfo" \
				-s "$work/attack/aiostallfs" "$@" "$mnt"
			rc=$?
		else
			echo "aiod did not start:"; cat "$alog"; rc=1
		fi
		attack_aiod_stop
		result "$label" $rc
	}
	for t in $("$B/aioattack" -l | cut -d' ' -f1); do
		if [ "$t" = setuid_exec_cross_user ] && [ "$B" = "$san_b" ]; then
			why="LeakSanitizer cannot run in a set-user-ID client"
			skip "attack $t" "$why (SAN=1)"
			continue
		fi
		attack "attack $t" -x "$work/attack/aiovictim" -t "$t"
	done
	if [ -x "$work/attack/aiovictim32" ]; then
		"$work/attack/aiovictim32" >/dev/null 2>&1	# usage: 2, if i386 runs
		if [ $? -eq 2 ]; then
			attack "attack setuid_exec_cross_user, i386 client" \
				-x "$work/attack/aiovictim32" -t setuid_exec_cross_user
		fi
	fi
}

stage_direct() {
	stage "libasync's direct path on a whole loop device"
	# rdsk/w0 is a loop device of its own (the direct path); rdsk/0s2, a
	# slice of the shared one, stays on the ioctl path, so the suite's
	# cross-device tests mix both paths in one process.
	if [ -z "$whole_loop" ]; then
		skip "direct path" "no loop devices here"
		return
	fi
	# shellcheck disable=SC2086
	start_aiod $limits $devices --device "rdsk/w0=$whole_loop,mode=0666"
	result "aiod starts" $?
	"$B/aioinfo" "$mnt/rroot" | sed -n '/^device/,$p'
	info=$("$B/aioinfo" --json "$mnt/rroot")
	echo "$info" | grep -q '"name": "rdsk/w0", [^}]*"direct": "available"' &&
		echo "$info" | grep -q \
			'"name": "rdsk/0s2", [^}]*"direct": "slice; no device-mapper"' &&
		echo "$info" | grep -q \
			'"name": "rdsk/0s1", [^}]*"direct": "backing shared with other devices"'
	result "aioinfo: direct path available on w0 only, and why not elsewhere" $?
	direct_total() {
		"$B/aioinfo" --json "$mnt/rroot" | json_field direct_requests_total
	}
	# rdsk/w0's transfers and bytes, as "TRANSFERS BYTES".
	w0_moved() {
		dev_field rdsk/w0 \
			'"\(.reads + .writes) \(.bytes_read + .bytes_written)"'
	}
	# aiod's DKIOCASTRTs accepted, both paths, and the transfers,
	# errors and transfers in flight of the suite's two devices, as
	# "REQUESTS ENDED": each request ends as a transfer or an error, if
	# it is not still in flight (plain I/O adds more).
	requests_ended() {
		"$B/aioinfo" --json "$mnt/rroot" | jq -r '"\(.requests_total) \(
			[.devices[] | select(.name == "rdsk/w0" or
					     .name == "rdsk/0s2") |
			 .reads + .writes + .errors + .inflight] | add)"'
	}
	# Since "REQUESTS ENDED" $1: as many ended as were accepted, or more.
	all_ended_since() {
		set -- "$1" "$(requests_ended)"
		echo "requests accepted; ended or in flight: $1 before, $2 after"
		[ $((${2#* } - ${1#* })) -ge $((${2% *} - ${1% *})) ]
	}
	wgeometry="-s $size -S $quarter -p 64 -q 96"
	before=$(direct_total)
	moved_before=$(w0_moved)
	ended_before=$(requests_ended)
	# shellcheck disable=SC2086
	LD_PRELOAD="$preload" "$B/aioconform" $wgeometry \
		-b "$whole_loop@0" -B "$backing@$half" "$mnt/rdsk/w0" "$mnt/rdsk/0s2"
	result "aioconform, 64-bit, libasync preloaded" $?
	after=$(direct_total)
	moved_after=$(w0_moved)
	echo "direct requests: $before before, $after after"
	[ "$after" -gt "$before" ]
	result "... through the direct path (aioinfo's direct_requests_total grew)" $?
	echo "rdsk/w0 transfers, bytes: $moved_before before, $moved_after after"
	[ $((${moved_after% *} - ${moved_before% *})) -ge $((after - before)) ] &&
		[ $((${moved_after#* } - ${moved_before#* })) -ge \
		  $(((after - before) * 512)) ]
	result "... counted in w0's transfers and bytes (at least 512 a request)" $?
	all_ended_since "$ended_before"
	result "... each request in a transfer or an error of its device" $?
	# A client that has made 5 direct reads and holds its connection:
	# w0's figures show them now, and still once it has exited.
	reads_before=$(dev_field rdsk/w0 .reads)
	bytes_before=$(dev_field rdsk/w0 .bytes_read)
	lat_before=$(dev_field rdsk/w0 .read_latency.count)
	before=$(direct_total)
	start_holder direct-hold 4 env LD_PRELOAD="$preload" \
		"$B/aiolockhold" "$mnt/rdsk/w0" 4096 5
	w0_exact() {	# READS BYTES LATENCIES: w0's figures, 0 in flight
		[ "$(dev_field rdsk/w0 .reads)" = "$1" ] &&
			[ "$(dev_field rdsk/w0 .bytes_read)" = "$2" ] &&
			[ "$(dev_field rdsk/w0 .read_latency.count)" = "$3" ] &&
			[ "$(dev_field rdsk/w0 '.read_latency.buckets_us | add')" = "$3" ] &&
			[ "$(dev_field rdsk/w0 .inflight)" = 0 ]
	}
	grep -q '^locked ' "$work/direct-hold.out" &&
		[ "$(direct_total)" = "$((before + 5))" ] &&
		w0_exact $((reads_before + 5)) $((bytes_before + 5 * 4096)) \
			 $((lat_before + 5))
	rc=$?
	[ $rc -eq 0 ] || dev_field rdsk/w0 .
	result "a live client's 5 direct reads: in w0's reads, bytes and read latencies" $rc
	exec 4>&-
	wait "$holder" &&
		w0_exact $((reads_before + 5)) $((bytes_before + 5 * 4096)) \
			 $((lat_before + 5))
	rc=$?
	[ $rc -eq 0 ] || dev_field rdsk/w0 .
	result "... and still there, none lost, once it has exited" $rc
	if [ ! -x "$B/aioconform32" ]; then
		skip "aioconform, 32-bit, libasync preloaded" \
		     "$B/aioconform32 not built"
	elif ! "$B/aioconform32" -h >/dev/null 2>&1; then
		skip "aioconform, 32-bit, libasync preloaded" \
		     "this kernel does not run i386 binaries"
	else
		before=$after
		# shellcheck disable=SC2086
		LD_PRELOAD="$B/lib32/libasync.so" "$B/aioconform32" $wgeometry \
			-b "$whole_loop@0" -B "$backing@$half" \
			"$mnt/rdsk/w0" "$mnt/rdsk/0s2"
		result "aioconform, 32-bit, libasync preloaded" $?
		after=$(direct_total)
		echo "direct requests: $before before, $after after"
		[ "$after" -gt "$before" ]
		result "... through the direct path" $?
	fi
	# The other way round: the ioctl path's requests first, then the
	# direct path's, in one process, within one NAIOREQPP.
	LD_PRELOAD="$preload" "$B/aioconform" -p 64 -q 96 \
		-t limit_per_process_across_devices -t limit_per_process_eagain \
		"$mnt/rdsk/0s2" "$mnt/rdsk/w0"
	result "aioconform, libasync preloaded, ioctl-path device first" $?
	before=$after
	# shellcheck disable=SC2086
	SCOAIO_POLL_WAIT_US=50 LD_PRELOAD="$preload" "$B/aioconform" \
		$wgeometry -b "$whole_loop@0" -B "$backing@$half" \
		"$mnt/rdsk/w0" "$mnt/rdsk/0s2"
	result "aioconform, libasync preloaded, SCOAIO_POLL_WAIT_US=50" $?
	after=$(direct_total)
	[ "$after" -gt "$before" ]
	result "... through the direct path" $?
	before=$after
	direct_moved=$((${moved_after% *} - ${moved_before% *}))
	moved_before=$(w0_moved)
	ended_before=$(requests_ended)
	# shellcheck disable=SC2086
	SCOAIO_DIRECT=0 LD_PRELOAD="$preload" "$B/aioconform" $wgeometry \
		-b "$whole_loop@0" -B "$backing@$half" "$mnt/rdsk/w0" "$mnt/rdsk/0s2"
	result "aioconform, libasync preloaded with SCOAIO_DIRECT=0" $?
	after=$(direct_total)
	[ "$after" = "$before" ]
	result "... through the ioctl path only (direct_requests_total unchanged)" $?
	moved_after=$(w0_moved)
	echo "rdsk/w0 transfers: $direct_moved with the direct path," \
	     "$((${moved_after% *} - ${moved_before% *})) without"
	[ $((${moved_after% *} - ${moved_before% *})) -gt 0 ] &&
		all_ended_since "$ended_before"
	result "... counted in the devices' transfers and errors as before" $?
	if [ -x "$B/static/aioconform-libasync" ]; then
		before=$after
		# shellcheck disable=SC2086
		"$B/static/aioconform-libasync" $wgeometry -b "$whole_loop@0" \
			-B "$backing@$half" "$mnt/rdsk/w0" "$mnt/rdsk/0s2"
		result "aioconform linked statically with libasync" $?
		after=$(direct_total)
		[ "$after" -gt "$before" ]
		result "... through the direct path" $?
	else
		skip "aioconform linked statically with libasync" \
		     "$B/static/aioconform-libasync not built (make static)"
	fi
	# Containment, as $user: nothing outside rdsk/w0 through what
	# libasync holds; the shared backing (every other device) unchanged.
	dd if=/dev/urandom of="$work/pattern.img" bs=1M count=4 status=none
	dd if="$work/pattern.img" of="$backing" bs=1M seek=40 conv=notrunc \
		oflag=direct status=none
	sum_before=$(md5sum <"$backing")
	size_before=$(stat -c %s "$work/whole.img")
	install -o "$user" -m 600 /dev/null "$work/other.img"
	truncate -s 1M "$work/other.img"
	# $user runs it, and loads libasync, from where it may, whatever the
	# permissions of the build directory's parents.
	mkdir -p "$work/contain"
	install -m 755 "$B/aiocontain" "$work/contain/aiocontain"
	install -m 644 "$B/libasync.so" "$work/contain/libasync.so"
	as_user env LD_PRELOAD="${preload%"$B/libasync.so"}$work/contain/libasync.so" \
		"$work/contain/aiocontain" "$mnt/rdsk/w0" "$work/other.img"
	result "aiocontain as $user: libasync's descriptors reach nothing outside w0" $?
	[ "$(md5sum <"$backing")" = "$sum_before" ] &&
		[ "$(stat -c %s "$work/whole.img")" = "$size_before" ] &&
		losetup -l -n -O AUTOCLEAR,OFFSET,SIZELIMIT "$whole_loop" |
		grep -qx ' *0 *0 *0'
	result "... the other partitions' data, w0's image and loop device unchanged" $?
	# While aiotrace runs, libasync's requests go through aiod, where
	# they are traced; once it stops, through the direct path again.
	before=$(direct_total)
	start_tracer "$work/direct.trace" /dev/null "$B/aiotrace" \
		"$mnt/rdsk/w0" &&
		held env LD_PRELOAD="$preload" "$B/aiodemo" "$mnt/rdsk/w0" 3 &&
		p=$held_pid && kill -CONT "$p" && wait "$p" &&
		kill -INT "$tracer" && wait "$tracer" &&
		[ "$(grep -c "^[0-9:.]* *$p rdsk/w0 *DKIOCASTRT(.*) = 0$" \
			"$work/direct.trace")" = 6 ] &&
		[ "$(grep -c "^[0-9:.]* *$p rdsk/w0 *<AU_.* done> .* = 4096$" \
			"$work/direct.trace")" = 6 ] &&
		[ "$(direct_total)" = "$before" ]
	rc=$?
	[ $rc -eq 0 ] || grep -v 'DKIOCASTAT = 0' "$work/direct.trace"
	result "while aiotrace runs, libasync's requests are traced, none direct" $rc
	wait_tracers 0 && LD_PRELOAD="$preload" "$B/aiodemo" "$mnt/rdsk/w0" 3 \
		>/dev/null && [ "$(direct_total)" = "$((before + 6))" ]
	result "... and once it stops, they take the direct path again" $?
	grep -qx 'Seccomp:	2' "/proc/$aiod_pid/status"
	result "aiod served it all under its seccomp filter" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_direct_files() {
	stage "libasync's open files: two aiods, write-only, dup(), a reused number, a fake aiod"
	# rdsk/w0 on this stage's aiod and rdsk/x0 on a second aiod, each a
	# whole loop device and so on the direct path (aiofiles.c).
	if [ -z "$whole_loop" ]; then
		skip "libasync's open files" "no loop devices here"
		return
	fi
	truncate -s 16M "$work/second.img"
	if ! second_loop=$(losetup --direct-io=on -f --show "$work/second.img")
	then
		skip "libasync's open files" "no second loop device"
		return
	fi
	# shellcheck disable=SC2086
	start_aiod $limits --device "rdsk/w0=$whole_loop,mode=0666"
	result "aiod starts" $?
	mkdir -p "$work/mnt2"
	"$aiod" -f --fuse "$work/mnt2" --pidfile "$work/aiod2.pid" \
		--device "rdsk/x0=$second_loop,mode=0666" 2>"$work/aiod2.log" &
	second_pid=$!
	i=0
	while [ ! -s "$work/aiod2.pid" ] && alive "$second_pid" &&
		[ $i -lt 200 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ -s "$work/aiod2.pid" ]
	result "a second aiod starts on another loop device" $?
	files() { LD_PRELOAD="$preload" "$B/aiofiles" "$@"; }
	files two "$mnt/rdsk/w0" "$work/mnt2/rdsk/x0" "$whole_loop" \
		"$second_loop"
	result "files of two aiods with the same id: each write on its own partition" $?
	files wronly "$mnt/rdsk/w0"
	result "a write-only open: libasync's partition descriptor is write-only" $?
	files dup "$mnt/rdsk/w0"
	result "a status outlives its descriptor after dup(), dup2(), fcntl(F_DUPFD)" $?
	files reuse "$mnt/rdsk/w0" 64
	result "descriptors closed behind libasync with requests in flight: credits come back" $?
	# A FUSE file whose server answers AIOC_ATTACH as aiod would, naming
	# a socket that nobody holds: libasync must not talk to it.
	mkdir -p "$work/fake"
	"$B/aiofakeattach" "$work/fake" "$work/fake.log" &
	fake_pid=$!
	i=0
	while [ $i -lt 100 ] && alive "$fake_pid" &&
		! { mountpoint -q "$work/fake" &&
		    grep -q '^listening' "$work/fake.log" 2>/dev/null; }; do
		sleep 0.1; i=$((i + 1))
	done
	files untrusted "$work/fake/bait" "$mnt/rdsk/w0" "$whole_loop"
	rc=$?
	cat "$work/fake.log"
	[ $rc -eq 0 ] && grep -q '^listening as uid 65534$' "$work/fake.log" &&
		! grep -q '^received' "$work/fake.log"
	result "a socket another user holds hears nothing from libasync" $?
	kill -TERM "$fake_pid"
	wait "$fake_pid"
	! mountpoint -q "$work/fake" || umount -l "$work/fake"
	# A user's connections to the attach socket that never attach, as
	# many as aiod keeps pending, must not keep another client out.
	direct_now() {
		"$B/aioinfo" --json "$mnt/rdsk/w0" |
			json_field direct_requests_total
	}
	rm -f "$work/idle.fifo" && mkfifo "$work/idle.fifo"
	as_user "$B/aiofiles" idle "$mnt/rdsk/w0" 64 <"$work/idle.fifo" \
		>"$work/idle.out" &
	idle_pid=$!
	exec 5>"$work/idle.fifo"
	i=0
	while ! grep -q '^connected' "$work/idle.out" && alive "$idle_pid" &&
		[ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	before=$(direct_now)
	LD_PRELOAD="$preload" "$B/aiodemo" "$mnt/rdsk/w0" 3 >/dev/null
	rc=$?
	after=$(direct_now)
	cat "$work/idle.out"
	echo "direct requests: $before before, $after after"
	[ $rc -eq 0 ] && grep -q '^connected 64$' "$work/idle.out" &&
		[ "$after" = $((before + 6)) ]
	result "64 idle connections of $user to the attach socket keep no one out" $?
	exec 5>&-
	wait "$idle_pid"
	kill -TERM "$second_pid"
	wait "$second_pid"
	rc=$?
	! grep -q -E 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' \
		"$work/aiod2.log" && ! mountpoint -q "$work/mnt2" && [ $rc -eq 0 ]
	result "the second aiod stops on SIGTERM, unmounted, clean log" $?
	losetup -d "$second_loop"
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_direct_slots() {
	stage "libasync on 33 whole loop devices: 32 direct, the 33rd through aiod"
	# The page libasync shares with aiod has a slot for each of 32
	# devices (AIO_DIRECT_SLOTS): a process's 33rd device stays on the
	# ioctl path, with one line in aiod's log and none from libasync,
	# and each device counts its read once.
	devs="" parts="" i=0
	while [ $i -lt 33 ] && truncate -s 1M "$work/slot$i.img" &&
		l=$(losetup -f --show "$work/slot$i.img" 2>/dev/null); do
		slot_loops="$slot_loops $l"
		devs="$devs --device rdsk/d$i=$l"
		parts="$parts${parts:+,}$mnt/rdsk/d$i"
		i=$((i + 1))
	done
	if [ $i -lt 33 ]; then
		skip "33 devices on the direct path" "only $i loop devices here"
	else
		direct_slots_check
	fi
	for l in $slot_loops; do losetup -d "$l"; done
	slot_loops=""
}
direct_slots_check() {
	# shellcheck disable=SC2086
	if ! start_aiod $devs; then
		result "aiod starts on 33 loop devices" 1
		return
	fi
	before=$("$B/aioinfo" --json "$mnt/rdsk/d0" | json_field direct_requests_total)
	start_holder slots-hold 4 env LD_PRELOAD="$preload" "$B/aiolockhold" \
		"$parts" 4096 1
	grep -qx 'locked 0x[0-9a-f]* 4096' "$work/slots-hold.out" &&
		[ "$(wc -l <"$work/slots-hold.out")" = 1 ]
	result "one process reads a page from each, libasync silent" $?
	after=$("$B/aioinfo" --json "$mnt/rdsk/d0" | json_field direct_requests_total)
	echo "direct requests: $before before, $after after"
	reads=$("$B/aioinfo" --json "$mnt/rdsk/d0" |
		jq '[.devices[] | select(.reads == 1)] | length')
	echo "devices that count one read: $reads"
	grep "devices per process" "$aiod_log"
	[ $((after - before)) = 32 ] && [ "$reads" = 33 ] &&
		[ "$(grep -c "on device rdsk/d32: .*(at most 32 devices per process); it stays on the ioctl path" "$aiod_log")" = 1 ] &&
		[ "$(grep -c "devices per process" "$aiod_log")" = 1 ]
	result "32 through the direct path, rdsk/d32 through aiod, each read counted once" $?
	exec 4>&-
	wait "$holder"
	result "... the process exits 0" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_fuzz() {
	stage "fuzzing: ioctl decoding, config, aiomemlock.conf, device map, attach messages"
	# A short pass of each libFuzzer target (make fuzz runs longer ones).
	if [ -x "$B/fuzz/fuzz_abi" ]; then
		B=$B sh test/fuzz/run-fuzz.sh "${FUZZ_CHECK_SECONDS:-10}"
		result "fuzz targets: no crash, no leak" $?
	else
		skip "fuzz targets" "not built in $B/fuzz (make fuzz-build)"
	fi
}

stage_vm() {
	stage "CUSE front end, 32-bit clients and real faults in a qemu VM"
	if [ -d "$B/static" ]; then
		test/vm/run-vm.sh "$B/static" test/vm/guest-check.sh 900
		result_or_skip "VM stage" $? "qemu cannot run here"
	else
		skip "VM stage" "no static binaries in $B/static (make static)"
	fi
}

# aioinfo --json's figure FIELD of device NAME (jq), for the aiod of $mnt.
dev_field() {	# NAME FIELD-PATH
	"$B/aioinfo" --json "$mnt/rroot" |
		jq -r --arg n "$1" ".devices[] | select(.name == \$n) | $2"
}
tracers() { "$B/aioinfo" --json "$mnt/rroot" | jq -r .tracers; }
# COMMAND (an aiotrace) in the background, its pid in $tracer, once the
# tracers before it are gone (FUSE releases a file after its process has
# exited), and until it traces.
start_tracer() {	# OUT ERR COMMAND...
	out=$1 err=$2
	shift 2
	wait_tracers 0 || return 1
	"$@" >"$out" 2>"$err" &
	tracer=$!
	wait_tracers 1
}
wait_tracers() {	# N: until aiod has N tracers open (at most 20 s)
	i=0
	while [ "$(tracers)" != "$1" ]; do
		[ $i -ge 200 ] && { echo "aiod has not $1 tracers"; return 1; }
		sleep 0.1; i=$((i + 1))
	done
}
# COMMAND... in a process that stops itself first; its pid is $held_pid,
# and kill -CONT starts the command.
held() {
	sh -c 'kill -STOP $$; exec "$@"' sh "$@" &
	held_pid=$!
	wait_stopped "$held_pid"
}
wait_stopped() {	# PID: until it is stopped (at most 20 s)
	i=0
	until grep -q '^State:.*[tT]' "/proc/$1/status" 2>/dev/null; do
		[ $i -ge 400 ] && { echo "process $1 did not stop"; return 1; }
		sleep 0.05; i=$((i + 1))
	done
}

stage_observe() {
	stage "aioinfo: exact counters, latency histograms, backings, rates, locks held, finding aiods"
	# shellcheck disable=SC2086
	start_aiod $devices
	result "aiod starts" $?
	"$B/aiodemo" "$mnt/rdsk/0s1" 20 >/dev/null &&
		[ "$(dev_field rdsk/0s1 .reads)" = 20 ] &&
		[ "$(dev_field rdsk/0s1 .writes)" = 20 ] &&
		[ "$(dev_field rdsk/0s1 .read_latency.count)" = 20 ] &&
		[ "$(dev_field rdsk/0s1 .write_latency.count)" = 20 ] &&
		[ "$(dev_field rdsk/0s1 '.write_latency.buckets_us | add')" = 20 ] &&
		[ "$(dev_field rdsk/0s1 '.read_latency.sum_ns > 0')" = true ] &&
		[ "$(dev_field rdsk/0s1 .inflight)" = 0 ] &&
		[ "$(dev_field rroot .reads)" = 0 ] &&
		[ "$(dev_field rroot .read_latency.count)" = 0 ]
	result "aioinfo: 20 reads and 20 writes, each in its latency histogram" $?
	[ "$(dev_field rdsk/0s2 .backing)" = "$backing" ] &&
		[ "$(dev_field rdsk/0s2 .offset)" = "$half" ] &&
		[ "$(dev_field rdsk/0s2 .size)" = "$quarter" ] &&
		"$B/aioinfo" "$mnt/rroot" | grep -q "^rdsk/0s2 *$backing offset $half size $quarter; slice; no device-mapper$" &&
		"$B/aioinfo" "$mnt/rroot" | grep -q "^aiod pid $aiod_pid, up "
	result "aioinfo: each device's backing, offset and size; pid and uptime" $?
	"$B/aioinfo" --json | jq -e --arg p "$aiod_pid" --arg m "$mnt/" \
		'select(.pid == ($p | tonumber)) | .via | startswith($m)' \
		>/dev/null
	result "aioinfo without a device finds this aiod by its mount" $?
	out=$("$B/aioinfo" --json | jq -s --arg p "$aiod_pid" \
		'[.[] | select(.pid == ($p | tonumber))] | length')
	[ "$out" = 1 ]
	result "aioinfo without a device names this aiod once" $?
	out=$("$B/aioinfo" -i 0.2 -c 3 "$mnt/rroot")
	echo "$out" | head -5
	[ "$(echo "$out" | grep -c '^total ')" = 3 ] &&
		[ "$(echo "$out" | grep -c 'reads/s *writes/s *MB/s *avg_us *p99_us *inflight *errors')" = 3 ]
	result "aioinfo -i 0.2 -c 3: three reports with totals" $?
	"$B/aiodemo" "$mnt/rdsk/0s1" 4000 >/dev/null &
	load=$!
	out=$("$B/aioinfo" -i 1 -c 3 --json "$mnt/rroot")
	wait $load
	rc=$?
	echo "$out" | head -1
	[ $rc -eq 0 ] && [ "$(echo "$out" | jq -s length)" = 3 ] &&
		echo "$out" | jq -e -s 'map(.devices[] | select(.name ==
			"rdsk/0s1") | .reads_per_s + .writes_per_s) | add > 0' \
			>/dev/null &&
		echo "$out" | jq -e -s 'map(.total.p99_latency_us) | max > 0' \
			>/dev/null
	result "aioinfo -i 1 -c 3 --json under load: rates and p99 latency" $?
	printf '%s 65536\n' "$user" >"$work/allow.conf"
	"$B/aiolkinit" -f "$work/allow.conf" "$mnt/rroot" &&
		"$B/aioinfo" -l "$mnt/rroot" | grep -q "^ *$(id -u "$user") *65536 *0$" &&
		[ "$("$B/aioinfo" -l --json "$mnt/rroot" | jq '.locks_held | length')" = 0 ]
	result "aioinfo -l: $user's allowance of 65536, no lock held" $?
	# A process of $user holds a lock of 61440 bytes until its input
	# (a fifo held open on fd 3) ends.
	start_holder hold 3 setpriv --reuid="$user" --regid=nogroup \
		--clear-groups "$B/aiolockhold" "$mnt/rdsk/0s1" 61440
	uid=$(id -u "$user")
	locks=$("$B/aioinfo" -l --json "$mnt/rroot")
	echo "$locks"
	echo "$locks" | jq -e --arg p "$holder" --arg u "$uid" '
		(.locks_held | map(select(.pid == ($p | tonumber) and
			.uid == ($u | tonumber) and .size == 61440)) |
			length == 1) and
		(.lock_table | map(select(.uid == ($u | tonumber) and
			.allowance == 65536 and .in_use == 61440)) |
			length == 1)' >/dev/null &&
		"$B/aioinfo" -l "$mnt/rroot" |
			grep -q "^ *$holder *$uid *0x[0-9a-f]* *61440$" &&
		"$B/aioinfo" -l "$mnt/rroot" | grep -q "^ *$uid *65536 *61440$"
	result "aioinfo -l: $user's process holds 61440 of its 65536 (pid, uid, region)" $?
	exec 3>&-
	wait "$holder"
	result "the lock holder exits 0 once its input ends" $?
	# aiod lets the lock go once it sees the exit (a pidfd) or the close
	i=0
	until [ "$("$B/aioinfo" -l --json "$mnt/rroot" |
		jq '.locks_held | length')" = 0 ]; do
		[ $i -ge 200 ] && break; sleep 0.1; i=$((i + 1))
	done
	[ $i -lt 200 ] &&
		"$B/aioinfo" -l "$mnt/rroot" | grep -q "^ *$uid *65536 *0$"
	result "aioinfo -l: the lock is gone with its process" $?
	"$B/aioinfo" --version | grep -q '^aioinfo (scoaio) ' &&
		"$B/aioinfo" --help | grep -q -- '--prometheus'
	result "aioinfo --version and --help" $?
	"$B/aioinfo" -c 3 "$mnt/rroot" 2>/dev/null
	[ $? -eq 2 ]
	result "aioinfo -c without -i: usage error (2)" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_prometheus() {
	stage "aioinfo --prometheus passes promtool check metrics"
	if ! command -v promtool >/dev/null; then
		skip "promtool check metrics" "no promtool (make deps)"
		return
	fi
	# shellcheck disable=SC2086
	start_aiod $devices
	result "aiod starts" $?
	"$B/aiodemo" "$mnt/rdsk/0s1" 20 >/dev/null &&
		"$B/aioinfo" --prometheus "$mnt/rroot" >"$work/aiod.prom" &&
		promtool check metrics <"$work/aiod.prom"
	result "promtool check metrics: aioinfo --prometheus of this aiod" $?
	# The daemon is labelled with its first device's node.
	lbl="daemon=\"$mnt/rroot\",device=\"rdsk/0s1\""
	grep -qx "scoaio_device_reads_total{$lbl} 20" "$work/aiod.prom" &&
		grep -qx "scoaio_requests_total{daemon=\"$mnt/rroot\"} 40" "$work/aiod.prom" &&
		grep -qx "scoaio_device_request_latency_seconds_count{$lbl,direction=\"write\"} 20" \
			"$work/aiod.prom" &&
		grep -qx "scoaio_device_request_latency_seconds_bucket{$lbl,direction=\"write\",le=\"+Inf\"} 20" \
			"$work/aiod.prom" &&
		grep -qx '# TYPE scoaio_device_request_latency_seconds histogram' \
			"$work/aiod.prom"
	result "the exposition: reads 20, requests 40, a write histogram of 20" $?
	"$B/aioinfo" --prometheus >"$work/all.prom" &&
		promtool check metrics <"$work/all.prom" &&
		grep -q "^scoaio_uptime_seconds{daemon=\"$mnt/rroot\"} " "$work/all.prom"
	result "promtool check metrics: every aiod found, this one among them" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_aiotrace() {
	stage "aiotrace follows aiodemo on the FUSE front end"
	# shellcheck disable=SC2086
	start_aiod $devices
	result "aiod starts" $?
	start_tracer "$work/trace.txt" "$work/trace.err" \
		"$B/aiotrace" "$mnt/rdsk/0s1" &&
		held "$B/aiodemo" "$mnt/rdsk/0s1" 3 && kill -CONT "$held_pid" &&
		wait "$held_pid" &&
		"$B/aioconform" --no-skip -t astrt_size_not_multiple_einval \
			"$mnt/rdsk/0s1" >/dev/null &&
		kill -INT "$tracer" && wait "$tracer"
	rc=$?
	head -12 "$work/trace.txt"
	p=$held_pid
	pl() { grep -c "^[0-9:.]* *$p rdsk/0s1 *$1" "$work/trace.txt"; }
	[ $rc -eq 0 ] &&
		[ "$(pl 'DKIOCMLOCK(0x[0-9a-f]*, 61440) = 0$')" = 1 ] &&
		[ "$(pl 'DKIOCASTRT(AU_WRITE, blk [0-9]*, 0x[0-9a-f]*, 4096, 0x[0-2]) = 0$')" = 3 ] &&
		[ "$(pl 'DKIOCASTRT(AU_READ, blk [0-9]*, 0x[0-9a-f]*, 4096, 0x[0-2]) = 0$')" = 3 ] &&
		[ "$(pl ' <AU_WRITE blk [0-9]*, 0x[0-9a-f]*, 4096, 0x[0-2] done> [0-9.]* ms = 4096$')" = 3 ] &&
		[ "$(pl ' <AU_READ blk [0-9]*, 0x[0-9a-f]*, 4096, 0x[0-2] done> [0-9.]* ms = 4096$')" = 3 ] &&
		[ "$(grep "^[0-9:.]* *$p rdsk/0s1 *DKIOCASTAT = " "$work/trace.txt" |
			awk '{ n += $NF } END { print n }')" = 6 ] &&
		grep -q "DKIOCASTRT(.*) = -1 EINVAL " "$work/trace.txt" &&
		grep -qx "aiotrace: 0 records dropped" "$work/trace.err"
	result "aiotrace: aiodemo's DKIOCMLOCK, 6 DKIOCASTRT, 6 completions, 6 statuses; EINVAL by name" $?
	wait_tracers 0 && grep -q "tracing stopped" "$aiod_log"
	result "the trace ends with aiotrace: no tracer left" $?

	held "$B/aiodemo" "$mnt/rdsk/0s1" 2
	p=$held_pid
	start_tracer "$work/trace.json" /dev/null \
		"$B/aiotrace" --json -p "$p" "$mnt/rdsk/0s1" &&
		"$B/aiodemo" "$mnt/rdsk/0s1" 2 >/dev/null &&
		kill -CONT "$p" && wait "$p" &&
		kill -INT "$tracer" && wait "$tracer" &&
		[ "$(jq -c . <"$work/trace.json" | wc -l)" = \
		  "$(wc -l <"$work/trace.json")" ] &&
		[ "$(jq -s --arg p "$p" 'map(select(.pid != ($p | tonumber))) |
			length' "$work/trace.json")" = 0 ] &&
		[ "$(jq -s 'map(select(.call == "DKIOCASTRT" and .error == null))
			| length' "$work/trace.json")" = 4 ] &&
		[ "$(jq -s 'map(select(.call == "done" and .bytes == 4096 and
			.latency_us > 0 and .error == null)) | length' \
			"$work/trace.json")" = 4 ]
	rc=$?
	head -3 "$work/trace.json"
	result "aiotrace -p --json: valid JSON lines of that process alone" $rc

	start_tracer /dev/null "$work/slow.err" "$B/aiotrace" "$mnt/rdsk/0s1" &&
		kill -STOP "$tracer" &&
		"$B/aiodemo" "$mnt/rdsk/0s1" 3000 >/dev/null &&
		kill -CONT "$tracer" && kill -INT "$tracer" && wait "$tracer" &&
		grep -q "^aiotrace: [1-9][0-9]* records dropped$" "$work/slow.err"
	result "a stopped aiotrace does not stop aiodemo; its drops are counted" $?

	# (not as_user, a function: $! must be aiotrace's pid)
	start_tracer "$work/user.trace" "$work/user.err" \
		setpriv --reuid="$user" --regid=nogroup --clear-groups \
		"$B/aiotrace" "$mnt/rdsk/0s1" &&
		held "$B/aiodemo" "$mnt/rdsk/0s1" 2 && root_pid=$held_pid &&
		kill -CONT "$root_pid" && wait "$root_pid" &&
		held setpriv --reuid="$user" --regid=nogroup \
			--clear-groups -- "$B/aiodemo" "$mnt/rdsk/0s1" 2 &&
		user_pid=$held_pid && kill -CONT "$user_pid" &&
		wait "$user_pid" && kill -INT "$tracer" && wait "$tracer" &&
		[ "$(grep -c "^[0-9:.]* *$user_pid rdsk/0s1 *DKIOCASTRT" "$work/user.trace")" = 4 ] &&
		! grep -q "^[0-9:.]* *$root_pid " "$work/user.trace"
	rc=$?
	[ $rc -eq 0 ] || grep -v 'DKIOCASTAT = 0$' "$work/user.trace" "$work/user.err"
	result "aiotrace as $user sees its own processes, not root's" $rc
	if [ -x "$B/aiotrace32" ] && [ -x "$B/static/aiodemo32" ]; then
		start_tracer "$work/trace32.json" /dev/null \
			"$B/aiotrace32" --json "$mnt/rdsk/0s1" &&
			held "$B/static/aiodemo32" "$mnt/rdsk/0s1" 2 &&
			kill -CONT "$held_pid" && wait "$held_pid" &&
			kill -INT "$tracer" && wait "$tracer" &&
			[ "$(jq -s --arg p "$held_pid" 'map(select(.pid ==
				($p | tonumber) and ((.call == "DKIOCASTRT" and
				.error == null) or (.call == "done" and
				.bytes == 4096)))) | length' \
				"$work/trace32.json")" = 8 ] &&
			[ "$(jq -s --arg p "$held_pid" 'map(select(.pid ==
				($p | tonumber) and .call == "DKIOCMLOCK" and
				.addr < 4294967296)) | length' \
				"$work/trace32.json")" = 1 ]
		result "aiotrace (i386) follows an i386 aiodemo: both ABIs" $?
		"$B/aioinfo32" --json "$mnt/rroot" | jq -e '.devices[] |
			select(.name == "rdsk/0s1") | .writes > 0 and
			.write_latency.count == .writes' >/dev/null
		result "aioinfo (i386) reads the same figures" $?
	else
		skip "aiotrace and aiodemo for i386" \
			"no $B/aiotrace32 or $B/static/aiodemo32 (make check builds them)"
	fi
	"$B/aiotrace" --version | grep -q '^aiotrace (scoaio) ' &&
		"$B/aiotrace" --help | grep -q -- '--json'
	result "aiotrace --version and --help" $?
	stop_aiod
	result "aiod stops on SIGTERM and unmounts" $?
}

stage_cli() {
	stage "command lines: --help, --version, usage errors"
	sh test/service/check-cli.sh "$B/aiod" "$B/aiolkinit" "$B/aioinfo" \
		"$B/aiotrace" "$B/aioconform" "$B/aiodemo" "$B/scodb" "$B/aiobench"
	result "every program's --help, -V, --version and usage errors" $?
}

stage_config() {
	stage "configuration: aiod -t, --dump-config, the lock table at start"
	sh test/service/check-config.sh "$B"
	result "aiod -t on good and bad files, --dump-config, lock table loaded" $?
}

stage_logging() {
	stage "logging: --log targets, -v and -q, no syslog, no journald"
	sh test/service/check-log.sh "$B"
	result "timestamps, levels, --log=FILE, the fallback to standard error" $?
}

stage_reload() {
	stage "SIGHUP reloads while a client does I/O (FUSE front end)"
	sh test/service/check-reload.sh "$B"
	result "add, refuse a bad configuration, retire an open device, new mode" $?
}

stage_systemd() {
	stage "systemd: systemd-analyze verify aiod.service, sd_notify"
	sh test/service/check-systemd.sh "$B"
	result_or_skip "aiod.service verifies; READY, RELOADING, STOPPING in order" \
		$? "no systemd-analyze"
}

stage_install() {
	stage "make install and make uninstall into a DESTDIR"
	sh test/service/check-install.sh "$B"
	result "install, list, uninstall: nothing left but an edited aiod.conf" $?
}

stage_package() {
	stage "Debian package: dpkg-buildpackage, lintian, dpkg -i, aiod and aioconform, purge"
	if ! sh scripts/install-deps.sh package; then
		result "the packaging tools (install-deps.sh package)" 1
		return
	fi
	sh test/service/check-package.sh
	result_or_skip "built, lintian clean, installed, served, conformant, purged" \
		$? "scoaio is installed on this machine"
}

stage_bench() {
	stage "make bench's harness: one quick round, every contender and pattern"
	# bench/run-bench.sh with its own aiod and loop devices; bench.json
	# must hold one measurement of each contender on each pattern
	# aiobench lists.  No figure is judged: the machine may be busy.
	out=$work/bench
	BENCH_QUICK=1 BENCH_CHART=no BENCH_OUT=$out B=$B \
		sh bench/run-bench.sh >"$work/bench.log" 2>&1
	rc=$?
	[ $rc -eq 0 ] || tail -n 20 "$work/bench.log"
	result "run-bench.sh, quick" $rc
	[ $rc -eq 0 ] || return
	bad=0 n=0
	contenders="native native-poll aiod-ioctl aiod-libasync aiod-libasync-wait
		    posix-aio"
	for c in $contenders; do
		for p in $("$B/aiobench" -l); do
			n=$((n + 1))
			jq -e --arg c "$c" --arg p "$p" '[.results[] |
				select(.contender == $c and .pattern == $p and
				       .iops > 0 and .ratio_to_native > 0 and
				       .p50_us > 0 and .p99_us >= .p50_us and
				       .cpu_us_per_io.client > 0 and
				       .cpu_us_per_io.machine >= 0 and
				       ((.cpu_us_per_io.daemon != null) ==
					($c | startswith("aiod-"))) and
				       (.rounds | length) == 1)] | length == 1' \
				"$out/bench.json" >/dev/null && continue
			echo "bench.json: no single full measurement of $c on $p"
			bad=1
		done
	done
	[ "$(jq '.results | length' "$out/bench.json")" = "$n" ] || {
		echo "bench.json: not $n results"; bad=1; }
	result "bench.json: each of 6 contenders on each of $((n / 6)) patterns" $bad
	# BENCH_AIOD_OPTS reaches aiod: a bad value stops the run with
	# aiod's own message, and the run leaves no loop device behind.
	BENCH_QUICK=1 BENCH_CHART=no BENCH_OUT=$work/bench-bad B=$B \
		BENCH_AIOD_OPTS="-o BUSYPOLL=bogus" \
		sh bench/run-bench.sh >"$work/bench-bad.log" 2>&1
	rc=$?
	cat "$work/bench-bad.log"
	[ $rc -ne 0 ] && grep -q "BUSYPOLL: 'bogus' is not a number" \
		"$work/bench-bad.log" &&
		! losetup -l -n -O BACK-FILE | grep -q scoaio-bench
	result "BENCH_AIOD_OPTS goes to aiod (a bad tunable stops the run)" $?
}

# The stages, in the order they run.  STAGES="NAME..." runs only those
# (after the backing store is set up); STAGES=list names them all.  echo
# makes each list one line of single spaces, as the lookup below needs.
# shellcheck disable=SC2116
all_stages=$(echo install_deps licence unit aioinfo observe prometheus \
	aiotrace conform libasync libasync_only privileges mlock device_error \
	data_safety no_seccomp hygiene direct direct_files direct_slots san_conform livefuzz attack bench \
	fuzz cli config logging reload systemd install package vm)
if [ "${STAGES:-}" = list ]; then
	echo "$all_stages"
	exit 0
fi
# shellcheck disable=SC2086,SC2116
selected=$(echo ${STAGES:-$all_stages})
for stage_name in $selected; do
	case " $all_stages " in
	*" $stage_name "*) ;;
	*)	echo "run-tests: no stage '$stage_name' (STAGES=list names them)" >&2
		exit 2 ;;
	esac
done

stage "backing store"
size=$((64 * 1024 * 1024))
half=$((size / 2))
quarter=$((size / 4))
dd if=/dev/zero of="$work/disk.img" bs=1M count=64 status=none conv=fsync
if loop=$(losetup --direct-io=on -f --show "$work/disk.img" 2>/dev/null); then
	backing=$loop
	echo "loop device $loop (direct I/O) over $work/disk.img"
else
	loop=""
	backing=$work/disk.img
	echo "no loop device here; the image file $backing (O_DIRECT)"
fi
# A second loop device, a partition of its own: libasync's direct path.
dd if=/dev/zero of="$work/whole.img" bs=1M count=64 status=none conv=fsync
if [ -n "$loop" ]; then
	whole_loop=$(losetup --direct-io=on -f --show "$work/whole.img")
	echo "loop device $whole_loop (direct I/O) over $work/whole.img"
fi
devices="--device rroot=$backing,size=$quarter,mode=0666
	 --device rdsk/0s1=$backing,mode=0666
	 --device rdsk/0s2=$backing,offset=$half,size=$quarter,mode=0666"
limits="-o NAIOREQPP=64 -o NAIOREQ=96 -o NAIOLOCKTBL=8"
geometry="-s $size -S $quarter -p 64 -q 96"
# A user other than root may hold NAIOREQ less the eighth kept for root.
user_geometry="-s $size -S $quarter -p 64 -q 84"
# The tests of the perm and mlock groups that hold without a lock allowance.
no_lock_tests="-t perm_no_allowance_locks_nothing
	-t perm_lktbl_load_nonroot_eperm -t info_request_counts_exact"
mlock_no_lock_tests="-t mlock_zero_size_noop -t mlock_zero_size_unmapped_ok
	-t mlock_same_values_again_ok -t mlock_same_values_other_fd_ok
	-t mlock_same_values_other_device_ok -t mlock_different_addr_einval
	-t mlock_different_size_einval -t mlock_different_values_other_fd_einval
	-t mlock_different_values_other_device_einval
	-t mlock_unmapped_region_efault -t mlock_partly_unmapped_efault
	-t mlock_failed_call_records_nothing -t mlock_bad_arg_efault"

for stage_name in $all_stages; do
	case " $selected " in *" $stage_name "*) "stage_$stage_name" ;; esac
done
no_aiod

stage "summary"
echo "stages: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
