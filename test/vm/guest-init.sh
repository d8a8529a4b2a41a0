#!/bin/sh
# SPDX-License-Identifier: MIT
# guest-init.sh -- /init of the VM test initramfs built by run-vm.sh (busybox sh).
# It owns the guest's boot: mounts proc, sysfs, devtmpfs on /dev (which creates
# /dev/cuse, /dev/fuse, /dev/loopN and CUSE nodes such as /dev/rdsk/0s1), devpts,
# tmpfs on /tmp and /dev/shm; inserts the modules listed in /etc/vm-modules, each
# with the parameters on its line (fuse, cuse, loop, dm-mod, dm-delay, dm-flakey,
# nbd, sd_mod, scsi_debug, dependencies first); runs the test script
# /etc/vm-test.sh with /tmp as its working directory; prints the marker line `VM-RESULT: <status>` that run-vm.sh
# looks for (125 if the guest could not even be set up); and powers the VM off.
# Words KEY=VALUE on the kernel command line arrive here as environment variables
# and are passed on to the test script.

PATH=/bin
export PATH
umask 022

mount -t devtmpfs devtmpfs /dev 2>/dev/null
# our cpio has no /dev/console node; take the console from devtmpfs
exec </dev/console >/dev/console 2>&1

status=0
fail() {
	echo "VM-INIT: $*"
	status=125
}

mount -t proc proc /proc || fail "mount /proc failed"
mount -t sysfs sysfs /sys || fail "mount /sys failed"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts || fail "mount /dev/pts failed"
mount -t tmpfs -o mode=1777 tmpfs /dev/shm || fail "mount /dev/shm failed"
mount -t tmpfs -o mode=1777 tmpfs /tmp || fail "mount /tmp failed"
hostname vm

while read -r mod params; do
	[ -n "$mod" ] || continue
	# shellcheck disable=SC2086 # the parameters are several words
	insmod "/lib/modules/$mod" $params || fail "insmod $mod $params failed"
done </etc/vm-modules
# fusectl is optional (aiod does not need it)
mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null

read -r _ _ kver _ </proc/version
read -r uptime _ </proc/uptime
echo "VM-INIT: kernel $kver, $(grep -c ^processor /proc/cpuinfo) CPUs, up ${uptime}s; modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

if [ "$status" -eq 0 ]; then
	cd /tmp || status=125
fi
if [ "$status" -eq 0 ]; then
	/bin/sh /etc/vm-test.sh
	status=$?
fi

read -r uptime _ </proc/uptime
echo "VM-INIT: test script finished at ${uptime}s"
# own line, so the host can find it even after partial output without newline
echo ""
echo "VM-RESULT: $status"
sync
poweroff -f
sleep 5
reboot -f
