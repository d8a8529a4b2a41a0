#!/bin/sh
# SPDX-License-Identifier: MIT
# demo.sh -- the main job: starts aiod on a default partition (a 64 MiB
# image file under /var/tmp/scoaio-demo) and runs the sample SCO program
# examples/aiodemo.c against it, then stops aiod.  The partition is a CUSE
# device /dev/rdsk/0s1 where the kernel has CUSE, otherwise a file on a FUSE
# mount.  Run as root after `make`; B names the build directory.
set -eu
B=${B:-build}
dir=/var/tmp/scoaio-demo
img=$dir/disk.img

mkdir -p "$dir"
if [ ! -f "$img" ]; then
	echo "demo: creating the default partition $img (64 MiB)"
	dd if=/dev/zero of="$img" bs=1M count=64 status=none conv=fsync
fi

[ -e /dev/cuse ] || modprobe cuse 2>/dev/null || true
if [ -e /dev/cuse ]; then
	device=/dev/rdsk/0s1
	set -- --device "rdsk/0s1=$img"
	echo "demo: starting aiod with the CUSE device $device"
else
	device=$dir/mnt/rdsk/0s1
	set -- --fuse "$dir/mnt" --device "rdsk/0s1=$img"
	echo "demo: this kernel has no CUSE; starting aiod on a FUSE mount," \
	     "device $device"
fi
"$B/aiod" --pidfile "$dir/aiod.pid" "$@"
stop() {
	kill -TERM "$(cat "$dir/aiod.pid")"
	i=0
	while [ -f "$dir/aiod.pid" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	echo "demo: aiod stopped"
}
trap stop EXIT

"$B/aiodemo" "$device" 1024
