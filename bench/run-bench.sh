#!/bin/sh
# SPDX-License-Identifier: MIT
# run-bench.sh -- `make bench`: sets up a loop device (direct I/O) over a
# fully written 256 MiB image, starts aiod on it with the FUSE front end, and
# runs aiobench for random reads and writes, native libaio and aiod side by
# side in one run: reads; durable writes (aiod's default cache=writethrough
# beside native libaio with RWF_DSYNC); then, aiod restarted with
# cache=writeback, writes beside native libaio without a sync flag.  Tears
# everything down on exit.  Run as root.
set -eu
B=${B:-build}
work=$(mktemp -d /var/tmp/scoaio-bench.XXXXXX)
loop=""
cleanup() {
	[ -f "$work/aiod.pid" ] && kill -TERM "$(cat "$work/aiod.pid")" && sleep 1
	[ -n "$loop" ] && losetup -d "$loop"
	rm -rf "$work"
}
trap cleanup EXIT
size=$((256 * 1024 * 1024))
dd if=/dev/zero of="$work/disk.img" bs=1M count=256 status=none conv=fsync
loop=$(losetup --direct-io=on -f --show "$work/disk.img")
${AIOD_WRAPPER:-} "$B/aiod" --fuse "$work/mnt" --pidfile "$work/aiod.pid" --device "rdsk/0s1=$loop"
echo "backing device $loop; aiod device $work/mnt/rdsk/0s1; $(nproc) CPUs"
${BENCH_WRAPPER:-} "$B/aiobench" -s $size "$@" "$loop" "$work/mnt/rdsk/0s1"
echo "durable writes: aiod cache=writethrough (O_DSYNC), native RWF_DSYNC"
${BENCH_WRAPPER:-} "$B/aiobench" -w -D -s $size "$@" "$loop" "$work/mnt/rdsk/0s1"
kill -TERM "$(cat "$work/aiod.pid")"
while [ -e "$work/aiod.pid" ]; do sleep 0.1; done
${AIOD_WRAPPER:-} "$B/aiod" --fuse "$work/mnt" --pidfile "$work/aiod.pid" --device "rdsk/0s1=$loop,cache=writeback"
echo "cache=writeback writes: aiod cache=writeback, native without a sync flag"
${BENCH_WRAPPER:-} "$B/aiobench" -w -s $size "$@" "$loop" "$work/mnt/rdsk/0s1"
