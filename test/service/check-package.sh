#!/bin/sh
# SPDX-License-Identifier: MIT
# check-package.sh -- the Debian package as an administrator gets it:
# builds it with `dpkg-buildpackage -us -uc -b` in a copy of the tree (the
# files git tracks) outside the source; lintian finds no error (its
# warnings and notes are printed); dpkg installs scoaio, libasync1 and
# libasync-dev; systemd-analyze verifies the installed unit; the
# installed aiod (FUSE front end, a loop device with direct I/O over a
# fully written image, a configuration file) serves, and the installed
# aioconform passes against it; dpkg --purge then leaves no file of the
# packages (programs, /etc/scoaio, /etc/aiomemlock.conf).  Exit 77 when
# scoaio is installed here already (it is not this test's to purge).
# Usage: check-package.sh (from the top of the tree, as root; needs
# `sh scripts/install-deps.sh package`)
set -u
. "$(dirname "$0")/lib.sh"
fails=0
fail() { echo "check-package: $*"; fails=$((fails + 1)); }
top=$PWD
work=$(mktemp -d /var/tmp/scoaio-package.XXXXXX)
chmod 755 "$work"
mnt=$work/mnt
pid="" loop="" installed=""
dpkg_retry() {	# dpkg ARGS...: waiting up to 2 min for another dpkg
	i=0
	while ! out=$(dpkg "$@" 2>&1); do
		if ! echo "$out" | grep -q "lock" || [ $i -ge 60 ]; then
			echo "$out"; return 1
		fi
		sleep 2; i=$((i + 1))
	done
	echo "$out"
}
purge() { dpkg_retry --purge scoaio libasync-dev libasync1; }
cleanup() {
	[ -z "$pid" ] || { kill -TERM "$pid"; wait "$pid"; }
	umount -l "$mnt" 2>/dev/null
	[ -z "$loop" ] || losetup -d "$loop"
	[ -z "$installed" ] || purge >/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

if dpkg-query -W -f='${Status}' scoaio 2>/dev/null | grep -q installed; then
	echo "check-package: scoaio is installed on this machine; not touched"
	exit 77
fi

src=$work/scoaio-0.1
mkdir "$src"
git ls-files | tar -T - -cf - | tar -xf - -C "$src" ||
	{ echo "check-package: cannot copy the tree"; exit 1; }
echo "+ dpkg-buildpackage -us -uc -b (in $src)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log"
	echo "check-package: dpkg-buildpackage failed"; exit 1
fi
ls "$work"/*.deb | sed "s|^$work/|  |"
echo "+ lintian scoaio_0.1_amd64.changes"
lintian --info "$work"/scoaio_*.changes >"$work/lintian.log" 2>&1
grep -v "^running with root privileges" "$work/lintian.log" ||
	echo "(no tags)"
grep -q "^E: " "$work/lintian.log" && fail "lintian reports errors"

echo "+ dpkg -i scoaio libasync1 libasync-dev"
installed=yes
dpkg_retry -i "$work"/scoaio_*.deb "$work"/libasync1_*.deb \
	"$work"/libasync-dev_*.deb | tail -n 3 || fail "dpkg -i failed"
for f in /usr/sbin/aiod /usr/sbin/aioconform /usr/sbin/aiolkinit \
	 /usr/sbin/aioinfo /usr/sbin/aiotrace /etc/scoaio/aiod.conf \
	 /lib/systemd/system/aiod.service /usr/share/man/man8/aioconform.8.gz \
	 /usr/share/man/man8/aiotrace.8.gz; do
	[ -e "$f" ] || fail "not installed: $f"
done
if command -v systemd-analyze >/dev/null; then
	man=no
	command -v man >/dev/null && man=yes
	echo "+ systemd-analyze verify --man=$man /lib/systemd/system/aiod.service"
	out=$(systemd-analyze verify --man=$man /lib/systemd/system/aiod.service 2>&1)
	rc=$?
	echo "${out:-(no output)}"
	[ $rc -eq 0 ] && [ -z "$out" ] || fail "the installed unit does not verify"
fi

dd if=/dev/zero of="$work/disk.img" bs=1M count=64 status=none conv=fsync
loop=$(losetup --direct-io=on -f --show "$work/disk.img") ||
	{ fail "no loop device"; exit 1; }
echo "loop device $loop (direct I/O) over $work/disk.img"
cat >"$work/aiod.conf" <<CONF
NAIOREQPP = 64
NAIOREQ = 96
NAIOLOCKTBL = 8
device rroot=$loop,size=16M,mode=0666
device rdsk/0s1=$loop,mode=0666
device rdsk/0s2=$loop,offset=32M,size=16M,mode=0666
CONF
echo "+ /usr/sbin/aiod -t -c aiod.conf"
/usr/sbin/aiod -t -c "$work/aiod.conf" || fail "aiod -t"
echo "+ /usr/sbin/aiod -f -c aiod.conf --fuse mnt"
/usr/sbin/aiod -f -c "$work/aiod.conf" --fuse "$mnt" \
	--pidfile "$work/aiod.pid" 2>"$work/aiod.log" &
pid=$!
if wait_serving "$pid" "$work/aiod.pid"; then
	echo "+ /usr/sbin/aioconform -s 64M -S 16M -p 64 -q 96 -b $loop@0 -B $loop@32M"
	/usr/sbin/aioconform -s $((64 << 20)) -S $((16 << 20)) -p 64 -q 96 \
		-b "$loop@0" -B "$loop@$((32 << 20))" \
		"$mnt/rdsk/0s1" "$mnt/rdsk/0s2" >"$work/conform.log" 2>&1 ||
		fail "the installed aioconform failed against the installed aiod"
	tail -n 3 "$work/conform.log"
else
	fail "the installed aiod did not start"
fi
kill -TERM "$pid"
wait "$pid" || fail "aiod exited with status $?"
pid=""
[ $fails -eq 0 ] || sed 's/^/  | /' "$work/aiod.log"

echo "+ dpkg --purge scoaio libasync-dev libasync1"
purge | tail -n 3 || fail "dpkg --purge failed"
installed=""
for f in /usr/sbin/aiod /usr/sbin/aioconform /etc/scoaio \
	 /etc/aiomemlock.conf /lib/systemd/system/aiod.service \
	 /usr/share/doc/scoaio /usr/include/sys/async.h; do
	[ ! -e "$f" ] || fail "left after purge: $f"
done
[ $fails -eq 0 ]
