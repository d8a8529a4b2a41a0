#!/bin/sh
# SPDX-License-Identifier: MIT
# check-systemd.sh -- aiod under systemd's protocols, without systemd as
# PID 1: `systemd-analyze verify` passes on aiod.service (made from
# systemd/aiod.service.in for BUILD-DIR's aiod; exit 77 if there is no
# systemd-analyze), and what systemd would hear on NOTIFY_SOCKET from an
# `aiod -f` (the unit's ExecStart; FUSE front end here) is, in order:
# READY=1 once its devices are ready; RELOADING=1 then READY=1 around a
# SIGHUP that adds a device; RELOADING=1 then READY=1 ("reload refused")
# around a SIGHUP with a bad configuration; STOPPING=1 on SIGTERM.
# Usage: check-systemd.sh BUILD-DIR (as root)
set -u
B=$1
fails=0
fail() { echo "check-systemd: $*"; fails=$((fails + 1)); }
work=$(mktemp -d /var/tmp/scoaio-systemd.XXXXXX)
pid="" listener=""
cleanup() {
	[ -z "$pid" ] || { kill -TERM "$pid"; wait "$pid"; }
	[ -z "$listener" ] || kill "$listener" 2>/dev/null
	# a stale mount (aiod killed) is not a mountpoint(1) one
	umount -l "$work/mnt" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

if command -v systemd-analyze >/dev/null; then
	mkdir "$work/unit"
	sed "s|@SBINDIR@|$B|g" systemd/aiod.service.in \
		>"$work/unit/aiod.service"
	echo "+ systemd-analyze verify --man=no aiod.service"
	out=$(cd "$work/unit" && systemd-analyze verify --man=no aiod.service 2>&1)
	rc=$?
	echo "${out:-(no output)}"
	[ $rc -eq 0 ] && [ -z "$out" ] || fail "systemd-analyze verify: status $rc"
	grep -q '^Type=notify$' "$work/unit/aiod.service" &&
		grep -q "^ExecStart=$B/aiod -f " "$work/unit/aiod.service" &&
		grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' \
			"$work/unit/aiod.service" || fail "the unit's Exec lines"
else
	analyze_missing=1
	echo "(no systemd-analyze: the unit is not verified)"
fi

dd if=/dev/zero of="$work/disk.img" bs=1M count=8 status=none
d1="device rdsk/0s1=$work/disk.img,size=4M"
d2="device rdsk/0s2=$work/disk.img,offset=4M"
echo "$d1" >"$work/aiod.conf"
"$B/notifylisten" "$work/notify" 7 >"$work/heard" &
listener=$!
i=0
while [ ! -S "$work/notify" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
NOTIFY_SOCKET=$work/notify "$B/aiod" -f -c "$work/aiod.conf" \
	--fuse "$work/mnt" 2>"$work/aiod.log" &
pid=$!
heard() {	# N: wait until N lines have been heard
	i=0
	while [ "$(wc -l <"$work/heard")" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
}
heard 1
printf '%s\n%s\n' "$d1" "$d2" >"$work/aiod.conf"
kill -HUP "$pid"
heard 3
printf '%s\nbogus\n' "$d1" >"$work/aiod.conf"
kill -HUP "$pid"
heard 5
kill -TERM "$pid"
wait "$pid" || fail "aiod exited with status $?"
pid=""
heard 6
echo "+ NOTIFY_SOCKET=... aiod -f: what systemd hears"
cat "$work/heard"
expect() {	# LINE PATTERN
	sed -n "$1p" "$work/heard" | grep -q "$2" ||
		fail "message $1 is not '$2'"
}
expect 1 '^READY=1 | STATUS=serving 1 device$'
expect 2 '^RELOADING=1 | MONOTONIC_USEC=[0-9]* | STATUS=reloading '
expect 3 '^READY=1 | STATUS=serving 2 devices, 0 retiring$'
expect 4 '^RELOADING=1 | '
expect 5 '^READY=1 | STATUS=reload refused '
expect 6 '^STOPPING=1 | STATUS=draining 0 transfers in flight$'
[ "$(wc -l <"$work/heard")" -eq 6 ] || fail "not 6 messages"
if [ $fails -ne 0 ]; then sed 's/^/  | /' "$work/aiod.log"; exit 1; fi
[ -z "${analyze_missing:-}" ] || exit 77
exit 0
