#!/bin/sh
# SPDX-License-Identifier: MIT
# guest-check.sh -- the scoaio test script run inside the qemu VM by
# run-vm.sh (busybox sh, as root, cwd /tmp, the static binaries of
# `make static` in /bin).  It owns the tests this build machine's kernel
# cannot run: the CUSE front end, i386 clients and a slow device.  It puts
# a 64 MiB image in tmpfs behind a loop device (busybox losetup cannot
# enable direct I/O and tmpfs has no O_DIRECT, but the loop block device
# accepts O_DIRECT), and a dm-delay device (made with dmcreate) over a
# second loop device; starts `aiod -f` with CUSE devices and runs, 64-bit
# and 32-bit: the conformance suite without positional I/O (-P: CUSE
# ignores offsets) and linked with libasync with it; checks every aiod
# thread's capabilities, no_new_privs and seccomp filter; checks the nodes'
# owners and modes; loads a lock table with aiolkinit and reads aioinfo,
# which finds the CUSE aiod itself; follows aiodemo with aiotrace; runs
# the suite as the unprivileged user aiotest with an allowance; runs the tests that need a slow device (-D: DKIOCASTAT
# never blocks, close() waits) on the dm-delay device; runs the legacy
# database example scodb without libasync (aio right, offsets wrong) and
# with it by an SCO path through the device map, and the sample program;
# adds a device with SIGHUP (its node's owner and mode), refuses a bad
# configuration and removes the device, while aiodemo runs on another;
# stops aiod with SIGTERM and checks it exits 0 and removes its nodes;
# runs both suites linked with libasync through its direct path on a
# CUSE device over a loop device of its own, and on two slices of one
# loop device through the dm-linear devices aiod makes of them (what a
# client of one slice can reach; no device-mapper device outlives aiod,
# stopped or killed), and on two slices of a SCSI disk (scsi_debug),
# which stay on the ioctl path (persistent reservations); then restarts aiod on the
# FUSE front end at /mnt/aio and runs the 32-bit suite,
# the slow-device tests and scodb there; last, serves a device-mapper
# table of linear and error segments and checks that exactly the requests
# on the bad blocks get EIO, that each is logged and that aiod carries on;
# the same for a dm-flakey segment that fails writes and serves reads,
# checked on the loop device beneath; on the dm-delay device, a client
# SIGKILLed with 15 writes in flight (as root, and as aiotest with a lock
# allowance), then aiod SIGTERMed and SIGKILLed with writes in flight,
# and a new aiod on the node the killed one left; last, the conformance
# suite on two slices of /dev/nbd0, served by nbdkit's memory plugin over
# a unix socket, then every transfer failing by nbdkit's error filter while
# aiod serves another partition.
# Every stage prints a `=== VM
# stage` header and a `--- NAME: ok` or `--- NAME: FAILED` line; the
# script exits 1 if any stage failed.  Set VM_DEBUG=1 (VM_APPEND=
# "VM_DEBUG=1" for run-vm.sh) to always print aiod's log.
set -u

size=67108864                  # the image and rdsk/0s1
slice_off=33554432             # rdsk/0s2 = [32 MiB, 48 MiB)
slice_size=16777216
reqpp=64                       # NAIOREQPP
req=96                         # NAIOREQ
user_req=84                    # what a user other than root may hold of it
delay_ms=1000                  # dm-delay's delay of each transfer
mnt=/mnt/aio
img=/tmp/disk.img
stage_timeout=${VM_STAGE_TIMEOUT:-300}
failed=0
aiod_pid=""
aiod_log=""
slow_dev=""                    # the dm-delay device, once it is set up

stage() {
	read -r up _ </proc/uptime
	printf '\n=== VM stage: %s  [guest uptime %ss]\n' "$*" "$up"
}
result() { # NAME STATUS
	if [ "$2" -eq 0 ]; then
		echo "--- $1: ok"
	else
		echo "--- $1: FAILED (status $2)"
		failed=$((failed + 1))
	fi
}
built() { # PROGRAM: is it in BINDIR (now /bin)?
	if [ -x "/bin/$1" ] && [ ! -L "/bin/$1" ]; then return 0; fi
	echo "$1 not built (not in the BINDIR given to run-vm.sh; see 'make static')"
	return 1
}
alive() { # PID: running and not a zombie
	[ -r "/proc/$1/stat" ] || return 1
	read -r _ _ st _ <"/proc/$1/stat" || return 1
	[ "$st" != Z ]
}
show_log() {
	[ -n "$aiod_log" ] && [ -s "$aiod_log" ] || return 0
	echo "----- $aiod_log"
	sed 's/^/  | /' "$aiod_log"
	echo "-----"
}
wait_for() { # PATH SECONDS: wait until PATH exists while aiod runs
	n=$(($2 * 10))
	while [ ! -e "$1" ]; do
		if ! alive "$aiod_pid"; then
			echo "aiod exited before $1 appeared"
			return 1
		fi
		n=$((n - 1))
		if [ $n -le 0 ]; then
			echo "timed out after $2 s waiting for $1"
			return 1
		fi
		sleep 0.1
	done
}
start_aiod() { # LOGNAME AIOD-ARGS...: start aiod -f in the background
	aiod_log=/tmp/$1.log
	shift
	echo "+ aiod -f $*"
	aiod -f "$@" 2>"$aiod_log" &
	aiod_pid=$!
}
stop_aiod() { # SIGTERM, wait up to 20 s; returns aiod's exit status
	[ -n "$aiod_pid" ] || return 1
	kill -TERM "$aiod_pid" 2>/dev/null
	n=200
	while alive "$aiod_pid" && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	if alive "$aiod_pid"; then
		echo "aiod did not exit within 20 s of SIGTERM; killing it"
		kill -KILL "$aiod_pid" 2>/dev/null
		wait "$aiod_pid" 2>/dev/null
		aiod_pid=""
		return 1
	fi
	wait "$aiod_pid"
	rc=$?
	aiod_pid=""
	[ $rc -eq 0 ] || echo "aiod exited with status $rc after SIGTERM"
	return $rc
}
slow_tests() { # FRONT-END DEVICE: the tests that need a slow device (-D)
	if [ -z "$slow_dev" ]; then
		echo "(no dm-delay device)"
		result "slow device tests ($1)" 1
		return
	fi
	run "slow device tests ($1)" aioconform --no-skip -D $delay_ms \
		-t astat_never_blocks -t close_waits_for_inflight "$2"
}
run() { # NAME COMMAND...: one test stage with a time limit
	name=$1
	shift
	echo "+ $*"
	timeout "$stage_timeout" "$@"
	rc=$?
	[ $rc -ne 143 ] || echo "$name: killed after ${stage_timeout}s"
	result "$name" $rc
	[ $rc -eq 0 ] || show_log
}

stage "backing store: 64 MiB image in tmpfs behind a loop device"
loop=""
if dd if=/dev/zero of="$img" bs=1M count=$((size / 1048576)) 2>/dev/null &&
	loop=$(losetup -f) && losetup "$loop" "$img"; then
	echo "backing store: $loop over $img (tmpfs, buffered; $loop itself takes O_DIRECT)"
	result "backing store" 0
else
	result "backing store" 1
	echo "cannot set up the backing store; giving up"
	exit 1
fi

stage "slow device: dm-delay of $delay_ms ms over a 16 MiB image behind a second loop device"
slow_ok=1
if built dmcreate && dd if=/dev/zero of=/tmp/slow.img bs=1M count=16 2>/dev/null &&
	slow_loop=$(losetup -f) && losetup "$slow_loop" /tmp/slow.img &&
	slow_dev=$(dmcreate slow 0 32768 delay "$slow_loop" 0 $delay_ms); then
	n=50
	while [ ! -b "$slow_dev" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	if [ -b "$slow_dev" ]; then
		echo "slow device: $slow_dev, table: delay $slow_loop 0 $delay_ms"
		slow_ok=0
	else
		echo "$slow_dev did not appear"
	fi
fi
[ $slow_ok -eq 0 ] || slow_dev=""
result "slow device" $slow_ok

# rroot keeps the default owner and mode (root, disk, 0660); the others
# are opened by the unprivileged user aiotest too.
devices="--device rroot=$loop,size=$slice_size --device rdsk/0s1=$loop,mode=0666"
devices="$devices --device rdsk/0s2=$loop,offset=$slice_off,size=$slice_size,owner=aiotest,mode=0600"
[ -z "$slow_dev" ] || devices="$devices --device rdsk/slow=$slow_dev,mode=0666"
conform_args="-s $size -b $loop@0 -S $slice_size -B $loop@$slice_off -p $reqpp -q $req"

stage "CUSE front end: start aiod"
cuse_up=1
if built aiod; then
	# The reload stage below adds and removes devices through this file.
	echo "# devices added by the reload stage" >/tmp/aiod-cuse.conf
	# shellcheck disable=SC2086 # word splitting of the device list is intended
	start_aiod aiod-cuse -c /tmp/aiod-cuse.conf -o NAIOREQPP=$reqpp \
		-o NAIOREQ=$req $devices
	if wait_for /dev/rdsk/0s1 20 && wait_for /dev/rdsk/0s2 5 && wait_for /dev/rroot 5; then
		ls -l /dev/rroot /dev/rdsk
		cuse_up=0
	fi
fi
result "aiod starts (CUSE)" $cuse_up
[ $cuse_up -eq 0 ] || show_log

for prog in aioconform aioconform32; do
	stage "CUSE front end: $prog"
	if ! built "$prog"; then
		result "$prog (CUSE)" 1
	elif [ $cuse_up -ne 0 ]; then
		echo "(aiod is not running)"
		result "$prog (CUSE)" 1
	else
		# shellcheck disable=SC2086
		run "$prog (CUSE)" "$prog" -P $conform_args /dev/rdsk/0s1 /dev/rdsk/0s2
	fi
done

stage "CUSE front end: aiod's privileges once serving"
# aiod(8), PRIVILEGES: on CUSE CAP_DAC_OVERRIDE, CAP_IPC_LOCK,
# CAP_SYS_PTRACE and, for reloads, CAP_CHOWN and CAP_FOWNER (no
# CAP_SYS_ADMIN); no_new_privs; a seccomp filter.
if [ $cuse_up -eq 0 ] && alive "$aiod_pid"; then
	grep -E '^(CapEff|NoNewPrivs|Seccomp):' "/proc/$aiod_pid/status"
	rc=0
	for t in /proc/"$aiod_pid"/task/*; do
		for want in "CapEff:	000000000008400b" "CapBnd:	000000000008400b" \
			    "NoNewPrivs:	1" "Seccomp:	2"; do
			grep -qx "$want" "$t/status" ||
				{ echo "thread ${t##*/}: not '$want'"; rc=1; }
		done
	done
	result "every thread: NoNewPrivs 1, Seccomp 2, CapEff = CapBnd = 0x8400b" $rc
else
	echo "(aiod is not running)"
	result "aiod's privileges (CUSE)" 1
fi

node_mode() { # PATH: "mode owner group" of a device node
	stat -c '%A %U %G' "$1"
}
expect_node() { # PATH MODE OWNER GROUP
	got=$(node_mode "$1")
	echo "$1: $got"
	[ "$got" = "$2 $3 $4" ]
}
as_aiotest() { # COMMAND...: run as the unprivileged user aiotest
	su -s /bin/sh aiotest -c "$*"
}

if [ $cuse_up -eq 0 ]; then
	stage "CUSE front end: device nodes carry the configured owner and mode"
	expect_node /dev/rroot crw-rw---- root disk &&
		expect_node /dev/rdsk/0s1 crw-rw-rw- root disk &&
		expect_node /dev/rdsk/0s2 crw------- aiotest disk
	result "CUSE node owner, group and mode" $?

	stage "CUSE front end: aiolkinit and aioinfo through /dev/rroot"
	printf 'aiotest 4096\naiotest 65536\n' >/tmp/aiomemlock.conf
	aiolkinit -f /tmp/aiomemlock.conf && aioinfo | tee /tmp/aioinfo.out &&
		grep -q "lock table (NAIOLOCKTBL) .* 1 used" /tmp/aioinfo.out &&
		grep -q "^aiod pid [0-9]*, up .*, via /dev/" /tmp/aioinfo.out
	result "aiolkinit; aioinfo finds the CUSE aiod itself (/sys/class/cuse)" $?
	out=$(as_aiotest aioinfo /dev/rroot 2>&1)
	rc=$?
	echo "$out"
	[ $rc -ne 0 ] && echo "$out" | grep -q "Permission denied"
	result "aiotest may not open /dev/rroot (root disk 0660)" $?
	out=$(as_aiotest aiolkinit -f /tmp/aiomemlock.conf /dev/rdsk/0s1 2>&1)
	rc=$?
	echo "$out"
	[ $rc -ne 0 ] && echo "$out" | grep -q "permission denied: only root"
	result "aiolkinit as aiotest is refused by aiod (EPERM)" $?

	stage "CUSE front end: aioconform as aiotest with an allowance"
	# shellcheck disable=SC2086
	run "aioconform as aiotest (CUSE)" su -s /bin/sh aiotest -c \
		"aioconform -P -L 65536 -s $size -S $slice_size -p $reqpp -q $user_req /dev/rdsk/0s1 /dev/rdsk/0s2"

	for prog in aioconform-libasync aioconform-libasync32; do
		stage "CUSE front end: $prog (positional I/O through libasync)"
		if built "$prog"; then
			# shellcheck disable=SC2086
			run "$prog (CUSE)" "$prog" $conform_args /dev/rdsk/0s1 /dev/rdsk/0s2
		else
			result "$prog (CUSE)" 1
		fi
	done

	stage "CUSE front end: scodb without libasync (lseek is a no-op on CUSE)"
	if built scodb; then
		scodb /dev/rdsk/0s1 >/tmp/scodb.out
		rc=$?
		cat /tmp/scodb.out
		[ $rc -ne 0 ] &&
			grep -q "read back with aio and verified *ok" /tmp/scodb.out &&
			grep -q "header found at byte 8192.*FAILED" /tmp/scodb.out
		result "scodb without libasync: aio right, offsets wrong" $?
	else
		result "scodb without libasync" 1
	fi
	for prog in scodb-libasync scodb-libasync32; do
		stage "CUSE front end: $prog, by the SCO path /dev/rhd01"
		if built "$prog"; then
			run "$prog (CUSE)" env SCOAIO_DEVMAP=/dev/rhd01=/dev/rdsk/0s1 \
				"$prog" /dev/rhd01
		else
			result "$prog (CUSE)" 1
		fi
	done

	# A fortified pread is __pread_chk, which the C library sends to the
	# kernel as it is: libasync must catch it too, or CUSE drops the offset.
	for prog in aiofortify-libasync aiofortify-libasync32; do
		stage "CUSE front end: $prog (pread as _FORTIFY_SOURCE builds call it)"
		if built "$prog"; then
			run "$prog (CUSE)" "$prog" /dev/rdsk/0s1
		else
			result "$prog (CUSE)" 1
		fi
	done

	stage "CUSE front end: DKIOCASTAT and close() on the dm-delay device"
	slow_tests CUSE /dev/rdsk/slow

	stage "CUSE front end: aiotrace follows aiodemo"
	if built aiotrace; then
		aiotrace /dev/rdsk/0s1 >/tmp/aiotrace.out 2>&1 &
		tracer=$!
		i=0
		until aioinfo --json /dev/rroot | grep -q '"tracers": 1,'; do
			[ $i -ge 100 ] && break; sleep 0.2; i=$((i + 1))
		done
		aiodemo /dev/rdsk/0s1 2 && aiodemo32 /dev/rdsk/0s1 2
		rc=$?
		kill -INT "$tracer"
		wait "$tracer"
		head -8 /tmp/aiotrace.out
		[ $rc -eq 0 ] &&
			[ "$(grep -c 'rdsk/0s1 *DKIOCASTRT(AU_WRITE, blk [0-9]*, 0x[0-9a-f]*, 4096, 0x[01]) = 0$' /tmp/aiotrace.out)" = 4 ] &&
			[ "$(grep -c 'rdsk/0s1 *<AU_READ blk .* done> [0-9.]* ms = 4096$' /tmp/aiotrace.out)" = 4 ] &&
			grep -q "^aiotrace: 0 records dropped$" /tmp/aiotrace.out
		result "aiotrace on CUSE: 64-bit and i386 aiodemo's requests and completions" $?
	else
		result "aiotrace on CUSE" 1
	fi

	for prog in aiodemo aiodemo32; do
		stage "CUSE front end: the sample SCO program $prog"
		if built "$prog"; then
			run "$prog (CUSE)" "$prog" /dev/rdsk/0s1 512
		else
			result "$prog (CUSE)" 1
		fi
	done
fi

if [ $cuse_up -eq 0 ] && built aiodemo; then
	stage "CUSE front end: SIGHUP adds and removes a device while aiodemo runs"
	# aiodemo writes and verifies rdsk/0s1 in a loop meanwhile.
	rm -f /tmp/client.stop /tmp/client.failed
	( while [ ! -e /tmp/client.stop ]; do
		aiodemo /dev/rdsk/0s1 32 >/tmp/client.out 2>&1 ||
			{ cp /tmp/client.out /tmp/client.failed; break; }
	  done ) &
	client=$!
	rc=0
	echo "device rdsk/0s3=$loop,offset=50331648,size=8388608,owner=aiotest,mode=0640" \
		>>/tmp/aiod-cuse.conf
	kill -HUP "$aiod_pid"
	if wait_for /dev/rdsk/0s3 20; then
		sleep 1 # the owner and mode follow the node's appearance
		expect_node /dev/rdsk/0s3 crw-r----- aiotest disk || rc=1
		aioinfo --json /dev/rdsk/0s1 | grep -q \
			'"name": "rdsk/0s3", [^}]*"direct": "slice added by a reload"' ||
			{ echo "0s3: not 'slice added by a reload'"; rc=1; }
		aiodemo /dev/rdsk/0s3 16 >/dev/null || { echo "aiodemo on 0s3"; rc=1; }
	else
		rc=1
	fi
	printf 'NAIOREQ = lots\n' >>/tmp/aiod-cuse.conf
	kill -HUP "$aiod_pid"
	sleep 2
	grep -q "reload: refused" "$aiod_log" || { echo "not refused"; rc=1; }
	[ -e /dev/rdsk/0s3 ] || { echo "0s3 gone after a refused reload"; rc=1; }
	echo "# rdsk/0s3 removed" >/tmp/aiod-cuse.conf
	kill -HUP "$aiod_pid"
	n=50
	while [ -e /dev/rdsk/0s3 ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	[ ! -e /dev/rdsk/0s3 ] || { echo "/dev/rdsk/0s3 was not removed"; rc=1; }
	grep -q "device rdsk/0s3: removed" "$aiod_log" || rc=1
	touch /tmp/client.stop
	wait "$client"
	if [ -e /tmp/client.failed ]; then
		echo "aiodemo on rdsk/0s1 failed:"; cat /tmp/client.failed; rc=1
	fi
	result "CUSE reload: added (aiotest, 0640), refused, removed; no client error" $rc
	[ $rc -eq 0 ] || show_log
fi

if [ $cuse_up -eq 0 ]; then
	stage "CUSE front end: aiod stops on SIGTERM"
	stop_aiod
	rc=$?
	if [ $rc -eq 0 ] && [ -e /dev/rdsk/0s1 ]; then
		sleep 1 # devtmpfs removes the node asynchronously
		if [ -e /dev/rdsk/0s1 ]; then
			echo "/dev/rdsk/0s1 still exists after aiod exited"
			rc=1
		fi
	fi
	result "aiod stops (CUSE)" $rc
	[ $rc -eq 0 ] || show_log
fi
[ "${VM_DEBUG:-0}" != 1 ] || show_log

# libasync's direct path on CUSE: rdsk/w0 is a loop device of its own (so
# it qualifies), rdsk/0s2 a slice of the shared one (ioctl path); the
# statically linked suites, 64-bit and i386, must pass with aioinfo's
# direct_requests_total growing under each.
stage "CUSE front end: libasync's direct path on a whole loop device"
wsize=16777216
direct_requests() {	# DEVICE: aiod's direct_requests_total (aioinfo)
	aioinfo --json "$1" |
		sed -n 's/.*"direct_requests_total": \([0-9]*\).*/\1/p'
}
dev_transfers() {	# NAME: reads + writes + errors + in flight of rdsk/NAME
	aioinfo --json "/dev/rdsk/$1" | sed -n "s/.*\"name\": \"rdsk\/$1\", [^{]*\"reads\": \([0-9]*\), \"writes\": \([0-9]*\), [^{]*\"errors\": \([0-9]*\), \"inflight\": \([0-9]*\).*/\1 \2 \3 \4/p" |
		{ read -r r w e i && echo $((r + w + e + i)); }
}
# Both statically linked suites with libasync, on rdsk/A and rdsk/B: each
# passes, through the direct path (direct_requests_total grows), and the
# two devices' own figures (aioinfo) count each direct request.
direct_suites() {	# WHAT A B SUITE-ARGS...
	_what=$1 _a=$2 _b=$3
	shift 3
	for prog in aioconform-libasync aioconform-libasync32; do
		before=$(direct_requests "/dev/rdsk/$_a")
		moved_before=$(($(dev_transfers "$_a") + $(dev_transfers "$_b")))
		if built "$prog"; then
			run "$prog on $_what" "$prog" "$@" \
				"/dev/rdsk/$_a" "/dev/rdsk/$_b"
		else
			result "$prog on $_what" 1
		fi
		after=$(direct_requests "/dev/rdsk/$_a")
		moved_after=$(($(dev_transfers "$_a") + $(dev_transfers "$_b")))
		echo "direct requests: $before before, $after after;" \
		     "$_a's and $_b's transfers: $moved_before before," \
		     "$moved_after after"
		[ -n "$after" ] && [ "$after" -gt "${before:-0}" ]
		result "... through the direct path (direct_requests_total grew)" $?
		[ -n "$after" ] && [ -n "$moved_after" ] &&
			[ $((moved_after - ${moved_before:-0})) -ge \
			  $((after - ${before:-0})) ]
		result "... each direct request in its device's figures (aioinfo)" $?
	done
}
if dd if=/dev/zero of=/tmp/whole.img bs=1M count=16 2>/dev/null &&
	wloop=$(losetup -f) && losetup "$wloop" /tmp/whole.img &&
	start_aiod aiod-direct -o NAIOREQPP=$reqpp -o NAIOREQ=$req \
		--device "rdsk/w0=$wloop,mode=0666" \
		--device "rdsk/0s2=$loop,offset=$slice_off,size=$slice_size,mode=0666" &&
	wait_for /dev/rdsk/w0 20 && wait_for /dev/rdsk/0s2 5; then
	aioinfo /dev/rdsk/w0 | sed -n '/^device .*backing/,$p'
	aioinfo --json /dev/rdsk/w0 |
		grep -q '"name": "rdsk/w0", [^}]*"direct": "available"'
	result "aioinfo (CUSE): the direct path is available on w0" $?
	direct_suites "w0 (CUSE, direct path)" w0 0s2 -s $wsize \
		-b "$wloop@0" -S $slice_size -B "$loop@$slice_off" \
		-p $reqpp -q $req
	stop_aiod
	result "aiod stops (CUSE, direct path)" $?
else
	result "aiod starts on a whole loop device (CUSE)" 1
	show_log
fi
[ -n "${wloop:-}" ] && losetup -d "$wloop" 2>/dev/null

# Two slices of one loop device, each served through a dm-linear device of
# exactly its extent that aiod creates at start-up: 24 MiB image, A =
# [4 MiB, 12 MiB), B = [12 MiB, 20 MiB); [0, 4) and [20, 24) belong to no
# slice.  The statically linked suites pass on A and B through the direct
# path; a client of A reaches nothing outside A through what libasync
# holds; no scoaio-* device-mapper device outlives aiod, stopped or killed.
stage "CUSE front end: libasync's direct path on two slices of a loop device (dm-linear)"
mib=1048576
slice_dm_names() { # the scoaio-* device-mapper devices that exist
	cat /sys/block/dm-*/dm/name 2>/dev/null | grep '^scoaio-'
}
no_slice_dm_left() { # none within 10 s (the kernel removes them deferred)
	n=100
	while slice_dm_names >/dev/null && [ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	if slice_dm_names; then
		echo "(device-mapper devices left behind)"
		return 1
	fi
}
sum_of() { # FIRST-MIB COUNT-MIB: checksum of that range of the loop device
	# O_DIRECT: the loop device's page cache does not see writes made
	# through device-mapper.
	dd if="$sloop" bs=$mib skip="$1" count="$2" iflag=direct 2>/dev/null |
		md5sum
}
start_slices() { # LOGNAME
	start_aiod "$1" -o NAIOREQPP=$reqpp -o NAIOREQ=$req \
		--device "rdsk/sA=$sloop,offset=$((4 * mib)),size=$((8 * mib)),mode=0666" \
		--device "rdsk/sB=$sloop,offset=$((12 * mib)),size=$((8 * mib)),mode=0666" &&
		wait_for /dev/rdsk/sA 20 && wait_for /dev/rdsk/sB 5
}
sloop=""
if dd if=/dev/urandom of=/tmp/slices.img bs=$mib count=24 2>/dev/null &&
	sloop=$(losetup -f) && losetup "$sloop" /tmp/slices.img &&
	start_slices aiod-slices; then
	aioinfo /dev/rdsk/sA | sed -n '/^device .*backing/,$p'
	info=$(aioinfo --json /dev/rdsk/sA)
	echo "$info" | grep -q '"name": "rdsk/sA", [^}]*"direct": "available"' &&
		echo "$info" | grep -q '"name": "rdsk/sB", [^}]*"direct": "available"'
	result "aioinfo (CUSE): the direct path is available on both slices" $?
	slice_dm_names
	[ "$(slice_dm_names | wc -l)" -eq 2 ]
	result "... through two scoaio-* device-mapper devices" $?
	# The bytes of no slice, before anything writes to the slices.
	outside_before="$(sum_of 0 4) $(sum_of 20 4)"
	direct_suites "sA and sB (CUSE, dm-linear direct path)" sA sB \
		-s $((8 * mib)) -b "$sloop@$((4 * mib))" -S $((8 * mib)) \
		-B "$sloop@$((12 * mib))" -p $reqpp -q $req
	# Containment, as aiotest: nothing outside A through libasync's
	# descriptors, which are of A's size; B and the bytes of no slice
	# unchanged.
	b_before=$(sum_of 12 8)
	dd if=/dev/zero of=/tmp/other.img bs=$mib count=1 2>/dev/null &&
		chown aiotest /tmp/other.img
	for prog in aiocontain-libasync aiocontain-libasync32; do
		if built "$prog"; then
			run "$prog as aiotest: libasync's descriptors reach nothing outside sA" \
				su -s /bin/sh aiotest -c \
				"$prog /dev/rdsk/sA /tmp/other.img >/tmp/contain.out"
			cat /tmp/contain.out
			grep -q "^libasync holds .*, $((8 * mib)) bytes," /tmp/contain.out
			result "... the descriptor it holds is of sA's size" $?
		else
			result "$prog on sA" 1
		fi
	done
	[ "$(sum_of 0 4) $(sum_of 20 4)" = "$outside_before" ]
	result "... the bytes outside both slices unchanged" $?
	[ "$(sum_of 12 8)" = "$b_before" ]
	result "... sB unchanged" $?
	stop_aiod
	result "aiod stops (CUSE, dm-linear direct path)" $?
	no_slice_dm_left
	result "no scoaio-* device-mapper device left after SIGTERM" $?
	if start_slices aiod-slices-kill; then
		[ "$(slice_dm_names | wc -l)" -eq 2 ]
		result "a new aiod creates both slices' devices again" $?
		kill -KILL "$aiod_pid"
		wait "$aiod_pid" 2>/dev/null
		aiod_pid=""
		no_slice_dm_left
		result "no scoaio-* device-mapper device left after SIGKILL" $?
	else
		result "aiod starts again on the slices (CUSE)" 1
		show_log
	fi
	# What an aiod killed between creating a device and marking it for
	# deferred removal would leave (made here with dmcreate): the next
	# aiod removes it, says so, and serves the slices.
	if built dmcreate &&
		dmcreate scoaio-4194303-0 0 8192 linear "$sloop" 0 &&
		start_slices aiod-slices-stale; then
		grep "scoaio-4194303-0" "$aiod_log"
		grep -q "removed device-mapper device scoaio-4194303-0, left by a killed aiod" \
			"$aiod_log" && [ "$(slice_dm_names | wc -l)" -eq 2 ]
		result "a stale scoaio-* device is removed by the next aiod, which serves" $?
		stop_aiod
		no_slice_dm_left
		result "... and none is left after that aiod" $?
	else
		result "aiod starts on the slices despite a stale scoaio-* device" 1
		show_log
	fi
	# A program that takes the backing the moment aiod lets go of its
	# O_EXCL for device-mapper, before device-mapper's claim: then no
	# table can claim it, and aiod must serve none of its slices rather
	# than share the disk.  exclgrab wins that window whenever it opens.
	if built exclgrab; then
		rm -f /tmp/grab.fifo && mkfifo /tmp/grab.fifo
		exec 8<>/tmp/grab.fifo
		exclgrab "$sloop" 30 </tmp/grab.fifo >/tmp/grab.out 2>&1 &
		grab_pid=$!
		n=50
		while ! grep -q watching /tmp/grab.out && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		start_slices aiod-slices-grabbed
		up=$?
		cat /tmp/grab.out
		if grep -q "^held" /tmp/grab.out; then
			sed -n '/taken by another program/p' "$aiod_log"
			[ $up -ne 0 ] && ! alive "$aiod_pid" &&
				grep -q "device rdsk/sA: $sloop was taken by another program while aiod handed it to device-mapper: " \
					"$aiod_log" &&
				[ "$(slice_dm_names | wc -l)" -eq 0 ]
			result "a backing taken in device-mapper's window: aiod refuses to serve it" $?
		else
			echo "(exclgrab never held $sloop: device-mapper claimed it first)"
			[ $up -eq 0 ] && [ "$(slice_dm_names | wc -l)" -eq 2 ]
			result "aiod serves the slices; the backing stayed claimed" $?
		fi
		exec 8>&-
		kill "$grab_pid" 2>/dev/null
		wait "$grab_pid" 2>/dev/null
		if alive "$aiod_pid"; then stop_aiod; fi
		aiod_pid=""
		no_slice_dm_left
		result "... and no scoaio-* device is left" $?
	fi
	# A reload that retires both dm-backed slices while a new slice of
	# the same loop device stays: the backing is still held exclusively
	# (device-mapper's claim, which replaced aiod's O_EXCL), so a second
	# aiod on it is refused.
	printf 'device rdsk/sA=%s,offset=%s,size=%s,mode=0666\ndevice rdsk/sB=%s,offset=%s,size=%s,mode=0666\n' \
		"$sloop" $((4 * mib)) $((8 * mib)) "$sloop" $((12 * mib)) \
		$((8 * mib)) >/tmp/slices.conf
	if start_aiod aiod-slices-reload -c /tmp/slices.conf &&
		wait_for /dev/rdsk/sA 20 && wait_for /dev/rdsk/sB 5; then
		printf 'device rdsk/sC=%s,offset=%s,size=%s,mode=0666\n' \
			"$sloop" $((20 * mib)) $((4 * mib)) >/tmp/slices.conf
		kill -HUP "$aiod_pid"
		wait_for /dev/rdsk/sC 20
		n=50
		while [ -e /dev/rdsk/sA ] && [ $n -gt 0 ]; do
			sleep 0.1; n=$((n - 1))
		done
		timeout 10 aiod -f --device "rdsk/x=$sloop" 2>/tmp/second.err
		rc=$?
		cat /tmp/second.err
		[ ! -e /dev/rdsk/sA ] && [ -e /dev/rdsk/sC ] && [ $rc -eq 1 ] &&
			grep -q "$sloop" /tmp/second.err
		result "after a reload retired both dm slices, a second aiod on the backing is refused" $?
		stop_aiod
		result "aiod stops (reloaded slices)" $?
		no_slice_dm_left
		result "no scoaio-* device-mapper device left after that aiod" $?
	else
		result "aiod starts on two slices from a config file (CUSE)" 1
		show_log
	fi
else
	result "aiod starts on two slices of a loop device (CUSE)" 1
	show_log
fi
[ -z "${sloop:-}" ] || losetup -d "$sloop" 2>/dev/null

# A SCSI disk (scsi_debug, 24 MiB in memory) takes persistent
# reservations, which device-mapper passes on to the whole disk: slices
# of it get no dm-linear device and stay on the ioctl path (aiod says why
# at start, aioinfo says it per device), the suites pass on them that
# way and touch nothing outside them; the whole disk, served alone, is a
# block device of its own and gets the direct path.
stage "CUSE front end: slices of a SCSI disk (persistent reservations) stay on the ioctl path"
sd=""
for d in /sys/block/sd*; do
	[ -e "$d/device/model" ] && grep -q scsi_debug "$d/device/model" &&
		sd=/dev/${d##*/} && break
done
sd_sum() { # FIRST-MIB COUNT-MIB: checksum of that range of the SCSI disk
	dd if="$sd" bs=$mib skip="$1" count="$2" iflag=direct 2>/dev/null |
		md5sum
}
if [ -n "$sd" ] && wait_for "$sd" 5 &&
	dd if=/dev/urandom of="$sd" bs=$mib count=24 oflag=direct 2>/dev/null &&
	start_aiod aiod-pr -o NAIOREQPP=$reqpp -o NAIOREQ=$req \
		--device "rdsk/pA=$sd,offset=$((4 * mib)),size=$((8 * mib)),mode=0666" \
		--device "rdsk/pB=$sd,offset=$((12 * mib)),size=$((8 * mib)),mode=0666" &&
	wait_for /dev/rdsk/pA 20 && wait_for /dev/rdsk/pB 5; then
	echo "$sd: $(cat "/sys/block/${sd#/dev/}/device/model")"
	grep "persistent reservations" "$aiod_log"
	grep -q "device rdsk/pA: the slices of $sd stay on the ioctl path: its disk takes persistent reservations, which device-mapper would pass on" \
		"$aiod_log"
	result "aiod says at start why the slices of $sd stay on the ioctl path" $?
	aioinfo /dev/rdsk/pA | sed -n '/^device .*backing/,$p'
	info=$(aioinfo --json /dev/rdsk/pA)
	echo "$info" | grep -q '"name": "rdsk/pA", [^}]*"direct": "slice of a disk with reservations"' &&
		echo "$info" | grep -q '"name": "rdsk/pB", [^}]*"direct": "slice of a disk with reservations"'
	result "aioinfo (CUSE): both slices 'slice of a disk with reservations'" $?
	! slice_dm_names
	result "... and aiod made no device-mapper device of them" $?
	outside_before="$(sd_sum 0 4) $(sd_sum 20 4)"
	for prog in aioconform-libasync aioconform-libasync32; do
		moved_before=$(($(dev_transfers pA) + $(dev_transfers pB)))
		run "$prog on pA and pB (slices of $sd)" "$prog" \
			-s $((8 * mib)) -b "$sd@$((4 * mib))" -S $((8 * mib)) \
			-B "$sd@$((12 * mib))" -p $reqpp -q $req \
			/dev/rdsk/pA /dev/rdsk/pB
		moved_after=$(($(dev_transfers pA) + $(dev_transfers pB)))
		direct=$(direct_requests /dev/rdsk/pA)
		echo "pA's and pB's transfers: $moved_before before," \
		     "$moved_after after; direct requests: $direct"
		[ "$moved_after" -gt "$moved_before" ] && [ "$direct" = 0 ]
		result "... through the ioctl path (transfers counted, no direct request)" $?
	done
	[ "$(sd_sum 0 4) $(sd_sum 20 4)" = "$outside_before" ]
	result "... the bytes of $sd outside both slices unchanged" $?
	stop_aiod
	result "aiod stops (slices of $sd)" $?
	if start_aiod aiod-pr-whole -o NAIOREQPP=$reqpp -o NAIOREQ=$req \
		--device "rdsk/pW=$sd,mode=0666" &&
		wait_for /dev/rdsk/pW 20; then
		aioinfo --json /dev/rdsk/pW |
			grep -q '"name": "rdsk/pW", [^}]*"direct": "available"'
		result "aioinfo (CUSE): the whole SCSI disk, served alone, has the direct path" $?
		stop_aiod
		result "aiod stops (whole $sd)" $?
	else
		result "aiod starts on the whole SCSI disk (CUSE)" 1
		show_log
	fi
else
	echo "no scsi_debug disk (sd: '${sd}'): $(ls /sys/block)"
	result "aiod starts on two slices of a scsi_debug disk (CUSE)" 1
	show_log
fi

stage "FUSE front end: start aiod --fuse $mnt"
fuse_up=1
if [ -n "$aiod_pid" ]; then
	echo "the CUSE aiod is still running; not starting another"
elif built aiod; then
	mkdir -p "$mnt"
	# shellcheck disable=SC2086
	start_aiod aiod-fuse --fuse "$mnt" -o NAIOREQPP=$reqpp -o NAIOREQ=$req $devices
	if wait_for "$mnt/rdsk/0s1" 20; then
		ls -l "$mnt" "$mnt/rdsk"
		fuse_up=0
	fi
fi
result "aiod starts (FUSE)" $fuse_up
[ $fuse_up -eq 0 ] || show_log

stage "FUSE front end: aioconform32 (i386 client; the build host cannot run it)"
if ! built aioconform32; then
	result "aioconform32 (FUSE)" 1
elif [ $fuse_up -ne 0 ]; then
	echo "(aiod is not running)"
	result "aioconform32 (FUSE)" 1
else
	# shellcheck disable=SC2086
	run "aioconform32 (FUSE)" aioconform32 $conform_args "$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
fi
if [ $fuse_up -eq 0 ]; then
	stage "FUSE front end: DKIOCASTAT and close() on the dm-delay device"
	slow_tests FUSE "$mnt/rdsk/slow"
fi
if [ $fuse_up -eq 0 ] && built scodb32; then
	stage "FUSE front end: scodb32 without libasync (the kernel keeps offsets)"
	run "scodb32 (FUSE)" scodb32 "$mnt/rdsk/0s1"
fi

if [ $fuse_up -eq 0 ]; then
	stage "FUSE front end: aiod stops on SIGTERM and unmounts"
	stop_aiod
	rc=$?
	if grep -q " $mnt " /proc/mounts; then
		echo "$mnt is still mounted after aiod exited"
		rc=1
	fi
	result "aiod stops (FUSE)" $rc
	[ $rc -eq 0 ] || show_log
fi
stage "device errors: a dm table of linear and error segments (blocks 20480-20495 fail)"
bad_up=1
if built dmcreate && dd if=/dev/zero of=/tmp/bad.img bs=1M count=16 2>/dev/null &&
	bad_loop=$(losetup -f) && losetup "$bad_loop" /tmp/bad.img &&
	bad_dev=$(dmcreate bad 0 20480 linear "$bad_loop" 0 -- \
		20480 16 error -- 20496 12272 linear "$bad_loop" 20496); then
	n=50
	while [ ! -b "$bad_dev" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
	mkdir -p /tmp/badmnt
	start_aiod aiod-bad --fuse /tmp/badmnt --device "rdsk/bad=$bad_dev,mode=0666"
	wait_for /tmp/badmnt/rdsk/bad 20 && bad_up=0
fi
result "aiod starts on the device with bad blocks" $bad_up
if [ $bad_up -eq 0 ]; then
	run "bad blocks: exactly the requests on them get EIO, other data intact" \
		aioconform --no-skip -R 20480:16 -t safety_bad_blocks_exact \
		-t data_write_read_back /tmp/badmnt/rdsk/bad
	grep "device rdsk/bad: .* at block 204[0-9]* failed: Input/output error" \
		"$aiod_log" | head -n 3 | grep -q .
	result "each failed transfer is logged with device, block, size and errno" $?
	alive "$aiod_pid"
	result "aiod stays up after the device errors" $?
	stop_aiod
	result "aiod stops (bad blocks)" $?
fi

stage "write faults: dm-flakey fails writes to blocks 20480-20495 (error_writes), reads work"
flaky_up=1
if built dmcreate && dd if=/dev/zero of=/tmp/flaky.img bs=1M count=16 2>/dev/null &&
	flaky_loop=$(losetup -f) && losetup "$flaky_loop" /tmp/flaky.img &&
	flaky_dev=$(dmcreate flaky 0 20480 linear "$flaky_loop" 0 -- \
		20480 16 flakey "$flaky_loop" 20480 0 1 1 error_writes -- \
		20496 12272 linear "$flaky_loop" 20496); then
	echo "table: linear, flakey $flaky_loop 20480 0 1 1 error_writes (always down), linear"
	start_aiod aiod-flaky --device "rdsk/flaky=$flaky_dev,mode=0666"
	wait_for /dev/rdsk/flaky 20 && flaky_up=0
fi
result "aiod starts on the dm-flakey device (CUSE)" $flaky_up
if [ $flaky_up -eq 0 ]; then
	run "dm-flakey: exactly the writes on the faulty blocks get EIO; the backing holds the rest" \
		aioconform --no-skip -W 20480:16 -b "$flaky_loop@0" \
		-t safety_write_faults_exact /dev/rdsk/flaky
	grep "device rdsk/flaky: write .* at block 204[0-9]* failed: Input/output error" \
		"$aiod_log" | head -n 2 | grep -q .
	result "dm-flakey: each failed write is logged" $?
	alive "$aiod_pid"
	result "aiod stays up after the write faults" $?
	stop_aiod
	result "aiod stops (dm-flakey)" $?
fi

# On the dm-delay device (each transfer takes $delay_ms ms, so requests
# really are in flight), with its loop device as the clean path around aiod.
slow_args="--no-skip -D $delay_ms -b ${slow_loop:-}@0"
start_slow() { # LOGNAME [ARGS]: a CUSE aiod serving rdsk/slow; waits until it serves
	log=$1
	shift
	start_aiod "$log" -o NAIOREQPP=$reqpp -o NAIOREQ=$req "$@" \
		--device "rdsk/slow=$slow_dev,mode=0666"
	n=200
	until grep -q -E "(^| )aiod: serving " "$aiod_log"; do
		if ! alive "$aiod_pid" || [ $n -le 0 ]; then
			show_log
			return 1
		fi
		n=$((n - 1))
		sleep 0.1
	done
}
if [ -n "$slow_dev" ]; then
	stage "killed client: SIGKILL with 15 writes in flight on the dm-delay device"
	chmod o+r "$slow_loop"	# aiotest reads it to check what is on disk
	start_slow aiod-kill
	result "aiod starts on the dm-delay device (CUSE)" $?
	# shellcheck disable=SC2086
	run "killed client (root): acknowledged writes on disk, slots back, other client unaffected" \
		aioconform $slow_args -p $reqpp -q $req \
		-t safety_kill_client_inflight /dev/rdsk/slow
	echo "aiotest 65536" >/tmp/aiomemlock-kill.conf
	aiolkinit -f /tmp/aiomemlock-kill.conf /dev/rdsk/slow
	result "aiolkinit loads the lock table (aiotest 64 KiB)" $?
	run "killed client (aiotest): also its lock allowance comes back" \
		su -s /bin/sh aiotest -c "aioconform $slow_args -L 65536 \
		-p $reqpp -q $user_req -t safety_kill_client_inflight /dev/rdsk/slow"
	aioinfo /dev/rdsk/slow >/tmp/aioinfo-kill.out
	grep -E "request structures|memory locks" /tmp/aioinfo-kill.out
	grep -Eq "request structures .* 0 active" /tmp/aioinfo-kill.out &&
		grep -Eq "memory locks +0$" /tmp/aioinfo-kill.out
	result "aioinfo after the kills: 0 requests active, 0 locks" $?

	stop_aiod
	result "aiod stops (dm-delay)" $?
	stop_inflight() { # LOGNAME TEST NAME: aiod stopped by TEST; sets rc
		start_slow "$1"
		result "aiod starts on /dev/rdsk/slow" $?
		# shellcheck disable=SC2086 # slow_args are several words
		run "$3" aioconform $slow_args -A "$aiod_pid" -t "$2" /dev/rdsk/slow
		n=200
		while alive "$aiod_pid" && [ $n -gt 0 ]; do
			sleep 0.1
			n=$((n - 1))
		done
		alive "$aiod_pid" && echo "aiod still runs; killing it" &&
			kill -KILL "$aiod_pid"
		wait "$aiod_pid"
		rc=$?
		aiod_pid=""
		echo "aiod exited with status $rc"
	}
	stage "aiod SIGTERMed with 15 writes in flight"
	stop_inflight aiod-term safety_aiod_term_inflight \
		"SIGTERM: completions or an error, never a hang; every accepted write on disk"
	# The writes are in the kernel either way; what the drain adds is
	# that aiod waits for them, so it reports them and none unfinished.
	grep -E "draining|unfinished" "$aiod_log"
	[ $rc -eq 0 ] &&
		grep -Eq "draining [1-9][0-9]* transfers? in flight" "$aiod_log" &&
		! grep -q "unfinished" "$aiod_log"
	result "SIGTERM: aiod drains the writes in flight and exits 0" $?

	stage "aiod SIGKILLed with 15 writes in flight; a new aiod on the same node"
	stop_inflight aiod-kill9 safety_aiod_kill_inflight \
		"SIGKILL: an error, never a hang; acknowledged writes on disk"
	sleep 1 # devtmpfs removes a node asynchronously
	if [ -e /dev/rdsk/slow ]; then
		echo "after SIGKILL: /dev/rdsk/slow is still there"
	else
		# what a kill leaves when devtmpfs has not caught up, or udev
		# is slow: a node no CUSE device serves
		echo "after SIGKILL: the kernel removed /dev/rdsk/slow; leaving a stale one"
		mkdir -p /dev/rdsk && mknod /dev/rdsk/slow c 1 3
	fi
	ls -l /dev/rdsk/slow
	start_slow aiod-restart &&
		grep "stale /dev/rdsk/slow" "$aiod_log" &&
		[ -c /dev/rdsk/slow ] && ls -l /dev/rdsk/slow
	result "a new aiod removes the stale node (one log line) and serves" $?
	run "the new aiod serves /dev/rdsk/slow" \
		aioconform --no-skip -t data_write_read_back /dev/rdsk/slow
	stop_aiod
	result "aiod stops (dm-delay)" $?
fi

stage "network block storage: /dev/nbd0 from nbdkit (memory, error filter) over a unix socket"
nbd_size=33554432              # rdsk/nbd1, all of it; rdsk/nbd2, its second half
nbd_half=16777216
nbd_up=1
if nbdkit -U /tmp/nbd.sock -P /tmp/nbdkit.pid --filter=error memory $nbd_size \
		error=EIO error-rate=100% error-file=/tmp/nbd-fail &&
	nbd-client -unix /tmp/nbd.sock /dev/nbd0 -N aio -b 512; then
	n=100
	while [ "$(cat /sys/block/nbd0/size 2>/dev/null)" != $((nbd_size / 512)) ] &&
		[ $n -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	echo "/dev/nbd0: $(cat /sys/block/nbd0/size) sectors from nbdkit pid $(cat /tmp/nbdkit.pid)"
	start_aiod aiod-nbd -o NAIOREQPP=$reqpp -o NAIOREQ=$req \
		--device "rdsk/nbd1=/dev/nbd0,mode=0666" \
		--device "rdsk/nbd2=/dev/nbd0,offset=$nbd_half,mode=0666" \
		--device "rdsk/0s1=$loop,mode=0666"
	wait_for /dev/rdsk/nbd1 20 && wait_for /dev/rdsk/nbd2 5 &&
		wait_for /dev/rdsk/0s1 5 && nbd_up=0
fi
result "nbdkit, nbd-client and aiod on /dev/nbd0 (CUSE)" $nbd_up
if [ $nbd_up -eq 0 ]; then
	run "aioconform on /dev/nbd0 (CUSE)" aioconform -P -s $nbd_size \
		-b /dev/nbd0@0 -S $nbd_half -B /dev/nbd0@$nbd_half \
		-p $reqpp -q $req /dev/rdsk/nbd1 /dev/rdsk/nbd2
	: >/tmp/nbd-fail	# nbdkit's error filter fails every request now
	run "nbdkit error filter: every transfer on /dev/nbd0 gets EIO in iostatus" \
		aioconform --no-skip -F -t safety_every_transfer_eio /dev/rdsk/nbd1
	run "meanwhile aiod serves the other partition" \
		aioconform --no-skip -t data_write_read_back /dev/rdsk/0s1
	grep "device rdsk/nbd1: .* failed: Input/output error" "$aiod_log" |
		head -n 2 | grep -q .
	result "the NBD errors are logged" $?
	rm -f /tmp/nbd-fail
	run "once the errors stop, /dev/nbd0 serves again" \
		aioconform --no-skip -t data_write_read_back /dev/rdsk/nbd2
	alive "$aiod_pid"
	result "aiod stays up through the NBD errors" $?
	stop_aiod
	result "aiod stops (NBD)" $?
fi
nbd-client -d /dev/nbd0 >/dev/null 2>&1
[ ! -s /tmp/nbdkit.pid ] || kill "$(cat /tmp/nbdkit.pid)" 2>/dev/null

[ "${VM_DEBUG:-0}" != 1 ] || show_log

stage "summary"
[ -z "$aiod_pid" ] || stop_aiod >/dev/null
losetup -d "$loop" 2>/dev/null
if [ $failed -eq 0 ]; then
	echo "all VM stages passed"
	exit 0
fi
echo "$failed VM stage(s) failed"
exit 1
