#!/bin/sh
# SPDX-License-Identifier: MIT
# check-config.sh -- aiod's configuration as an administrator meets it:
# `aiod -t` on a good file (exit 0, one line), on a bad one (exit 1, every
# error as "aiod: FILE:LINE: ...", the good lines not reported), on a
# missing -c FILE (exit 1); --dump-config's output checks good and dumps
# the same again; and a started aiod (FUSE front end at its own mount)
# has the lock table file's entries loaded, before any aiolkinit.
# Usage: check-config.sh BUILD-DIR (as root)
set -u
. "$(dirname "$0")/lib.sh"
B=$1
fails=0
fail() { echo "check-config: $*"; fails=$((fails + 1)); }
work=$(mktemp -d /var/tmp/scoaio-config.XXXXXX)
pid=""
cleanup() {
	[ -z "$pid" ] || { kill -TERM "$pid"; wait "$pid"; }
	mountpoint -q "$work/mnt" 2>/dev/null && umount -l "$work/mnt"
	rm -rf "$work"
}
trap cleanup EXIT
dd if=/dev/zero of="$work/disk.img" bs=1M count=16 status=none
printf '# users who may lock memory for AIO\nroot 1048576\nnobody 65536\n' \
	>"$work/locks.conf"
cat >"$work/good.conf" <<CONF
# a good configuration
NAIOREQ = 200
NAIOLOCKTBL=16
locktable $work/locks.conf
device rdsk/0s1=$work/disk.img,size=8M,mode=0640,owner=nobody
device rdsk/0s2=$work/disk.img,offset=8M,group=0
CONF
cat >"$work/bad.conf" <<CONF
NAIOREQ = lots
device rdsk/0s1=$work/disk.img
what is this
device rdsk/0s2=$work/disk.img,mode=999
device rdsk/0s3=$work/no-such-image
locktable $work/no-such-table
CONF

echo "+ aiod -t -c good.conf"
out=$("$B/aiod" -t -c "$work/good.conf" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "-t on a good file: exit status $rc"
[ "$(echo "$out" | wc -l)" -eq 1 ] || fail "-t on a good file: not one line"
echo "$out" | grep -q "^aiod: configuration ok: $work/good.conf, 2 devices, lock table $work/locks.conf (2 entries)$" ||
	fail "-t on a good file: unexpected line"

echo "+ aiod -t -c bad.conf"
out=$("$B/aiod" -t -c "$work/bad.conf" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 1 ] || fail "-t on a bad file: exit status $rc, not 1"
for l in 1 3 4 5; do
	echo "$out" | grep -q "^aiod: $work/bad.conf:$l: " ||
		fail "-t on a bad file: no error for line $l"
done
echo "$out" | grep -q "^aiod: lock table $work/no-such-table: No such file" ||
	fail "-t on a bad file: the missing lock table is not reported"
echo "$out" | grep -q ":2: \|:6: " && fail "-t: a good line reported as an error"
echo "$out" | grep -q "ok" && fail "-t on a bad file says ok"
[ "$(echo "$out" | wc -l)" -eq 5 ] || fail "-t on a bad file: not 5 lines"

echo "+ aiod -t -c missing.conf"
out=$("$B/aiod" -t -c "$work/missing.conf" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 1 ] || fail "-t on a missing -c FILE: exit status $rc, not 1"
[ "$out" = "aiod: $work/missing.conf: No such file or directory" ] ||
	fail "-t on a missing -c FILE: unexpected message"

echo "+ aiod --dump-config -c good.conf -o NAIOBUF=64, read back"
"$B/aiod" --dump-config -c "$work/good.conf" -o NAIOBUF=64 \
	>"$work/dump.conf" || fail "--dump-config failed"
cat "$work/dump.conf"
grep -qx "NAIOBUF = 64" "$work/dump.conf" || fail "--dump-config: no -o"
"$B/aiod" -t -c "$work/dump.conf" || fail "the dump does not check good"
"$B/aiod" --dump-config -c "$work/dump.conf" >"$work/dump2.conf" &&
	cmp "$work/dump.conf" "$work/dump2.conf" ||
	fail "the dump, read back and dumped, differs"

echo "+ aiod -f -c good.conf --fuse mnt: the lock table is loaded at start"
"$B/aiod" -f -c "$work/good.conf" --fuse "$work/mnt" \
	--pidfile "$work/aiod.pid" 2>"$work/aiod.log" &
pid=$!
wait_serving "$pid" "$work/aiod.pid" || fail "aiod did not start"
info=$("$B/aioinfo" --json "$work/mnt/rdsk/0s2")
echo "$info"
echo "$info" | grep -q '"lock_table_entries": 2,' ||
	fail "the started aiod does not have the 2 entries of the lock table"
kill -TERM "$pid"
wait "$pid" || fail "aiod exited with status $?"
pid=""
cat "$work/aiod.log"
[ $fails -eq 0 ]
