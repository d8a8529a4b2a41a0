#!/bin/sh
# run-tests.sh -- runs every scoaio test on this machine, as root: the Check
# unit tests, then the conformance suite through the real daemon on the FUSE
# front end over a loop device (an O_DIRECT image file where loop devices are
# missing), 64-bit and, where this kernel runs i386 binaries, 32-bit, then the
# CUSE stage in a qemu VM.  Everything it sets up is torn down on any exit.
# Expects `make all static` to have run; B names the build directory.
set -u
B=${B:-build}
work=$(mktemp -d /var/tmp/scoaio-test.XXXXXX)
mnt=$work/mnt
loop=""
failed=0

cleanup() {
	if [ -f "$work/aiod.pid" ]; then
		kill -TERM "$(cat "$work/aiod.pid")" 2>/dev/null
		i=0
		while [ -f "$work/aiod.pid" ] && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
	fi
	mountpoint -q "$mnt" 2>/dev/null && umount -l "$mnt"
	[ -n "$loop" ] && losetup -d "$loop"
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stage() { printf '\n=== %s\n' "$*"; }
result() {	# name status
	if [ "$2" -eq 0 ]; then echo "--- $1: ok"; else
		echo "--- $1: FAILED"; failed=$((failed + 1)); fi
}

if [ "$(id -u)" != 0 ]; then
	echo "run-tests: must run as root (loop devices, FUSE mounts)" >&2
	exit 1
fi

stage "unit tests"
"$B/unit-tests"
result "unit tests" $?

stage "conformance suite on the FUSE front end"
size=$((64 * 1024 * 1024))
dd if=/dev/zero of="$work/disk.img" bs=1M count=64 status=none conv=fsync
if loop=$(losetup --direct-io=on -f --show "$work/disk.img" 2>/dev/null); then
	backing=$loop
	echo "backing store: loop device $loop (direct I/O) over $work/disk.img"
else
	loop=""
	backing=$work/disk.img
	echo "backing store: no loop device here; image file $backing (O_DIRECT)"
fi
half=$((size / 2))
quarter=$((size / 4))
"$B/aiod" --fuse "$mnt" --pidfile "$work/aiod.pid" \
	-o NAIOREQPP=64 -o NAIOREQ=96 \
	--device "rroot=$backing,size=$quarter" \
	--device "rdsk/0s1=$backing" \
	--device "rdsk/0s2=$backing,offset=$half,size=$quarter"
rc=$?
result "aiod starts" $rc
if [ $rc -eq 0 ]; then
	"$B/aioconform" -s $size -b "$backing@0" -p 64 -q 96 \
		"$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
	result "aioconform (64-bit, FUSE)" $?
	if "$B/aioconform32" -h >/dev/null 2>&1; then
		"$B/aioconform32" -s $size -b "$backing@0" -p 64 -q 96 \
			"$mnt/rdsk/0s1" "$mnt/rdsk/0s2"
		result "aioconform (32-bit, FUSE)" $?
	else
		echo "NOTE: this kernel does not run i386 binaries; the 32-bit" \
		     "suite runs in the VM stage below"
	fi
	kill -TERM "$(cat "$work/aiod.pid")"
	i=0
	while [ -f "$work/aiod.pid" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ ! -f "$work/aiod.pid" ] && ! mountpoint -q "$mnt"
	result "aiod stops on SIGTERM and unmounts" $?
fi

if [ -x test/vm/run-vm.sh ]; then
	stage "CUSE front end and 32-bit clients in a qemu VM"
	test/vm/run-vm.sh "$B/static" test/vm/guest-check.sh 600
	rc=$?
	if [ $rc -eq 77 ]; then echo "--- VM stage: SKIPPED (qemu cannot run here)"
	else result "VM stage" $rc; fi
fi

stage "summary"
if [ $failed -eq 0 ]; then echo "all test stages passed"; else
	echo "$failed test stage(s) failed"; fi
[ $failed -eq 0 ]
