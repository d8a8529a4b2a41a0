#!/bin/sh
# SPDX-License-Identifier: MIT
# check-log.sh -- where aiod's messages go, as an administrator sees
# them: with -f on standard error, each line "TIMESTAMP aiod: ..."; -q
# keeps only warnings and errors, -v adds debug lines; --log=FILE writes
# the same lines to FILE and nothing to standard error; a detached aiod
# that finds no syslog (no /dev/log: in a mount namespace of its own,
# /dev/null is bound over /dev/log when there is one) and one told
# --log=journal with no journald both send their messages, also the ones
# after detaching, to the standard error they were started with.
# Usage: check-log.sh BUILD-DIR (as root)
set -u
. "$(dirname "$0")/lib.sh"
B=$1
fails=0
fail() { echo "check-log: $*"; fails=$((fails + 1)); }
work=$(mktemp -d /var/tmp/scoaio-log.XXXXXX)
pid=""
cleanup() {
	[ -z "$pid" ] || { kill -TERM "$pid"; wait "$pid"; }
	mountpoint -q "$work/mnt" 2>/dev/null && umount -l "$work/mnt"
	rm -rf "$work"
}
trap cleanup EXIT
dd if=/dev/zero of="$work/disk.img" bs=1M count=8 status=none
stamp='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{3\}Z aiod: '

run_fg() {	# NAME AIOD-ARGS...: aiod -f until ready, then SIGTERM
	name=$1; shift
	rm -f "$work/aiod.pid"
	"$B/aiod" -f --fuse "$work/mnt" --pidfile "$work/aiod.pid" \
		--device "rdsk/0s1=$work/disk.img" "$@" \
		>"$work/$name.out" 2>"$work/$name.err" &
	pid=$!
	wait_serving "$pid" "$work/aiod.pid"
	kill -TERM "$pid"
	wait "$pid" || fail "$name: aiod exited with status $?"
	pid=""
	echo "+ aiod -f $* (standard error:)"
	sed 's/^/  | /' "$work/$name.err"
}

run_fg plain
grep -q "^${stamp}serving 1 device through FUSE" "$work/plain.err" ||
	fail "-f: no timestamped 'serving' line on standard error"
[ "$(grep -vc "^$stamp" "$work/plain.err")" -eq 0 ] ||
	fail "-f: a line without a timestamp"
grep -q "aiod: device rdsk/0s1: " "$work/plain.err" &&
	fail "-f: a debug line without -v"

run_fg verbose -v
grep -q "^${stamp}device rdsk/0s1: $work/disk.img, 8388608 bytes" \
	"$work/verbose.err" || fail "-v: no debug line"

run_fg quiet -q
[ ! -s "$work/quiet.err" ] || fail "-q: info lines on standard error"

run_fg file "--log=$work/aiod.log"
[ ! -s "$work/file.err" ] || fail "--log=FILE: lines on standard error"
echo "  $work/aiod.log:"
sed 's/^/  | /' "$work/aiod.log"
grep -q "^${stamp}stopped$" "$work/aiod.log" ||
	fail "--log=FILE: no timestamped 'stopped' line in the file"

detached() {	# NAME AIOD-ARGS...: detached aiod without /dev/log
	name=$1; shift
	rm -f "$work/aiod.pid"
	echo "+ unshare -m: /dev/null over /dev/log; aiod $* (detached)"
	unshare -m --propagation private sh -c '
		[ ! -e /dev/log ] || mount --bind /dev/null /dev/log || exit 1
		[ ! -S /dev/log ] || exit 1
		exec "$@"' sh \
		"$B/aiod" --fuse "$work/mnt" --pidfile "$work/aiod.pid" \
		--device "rdsk/0s1=$work/disk.img" "$@" 2>"$work/$name.err"
	rc=$?
	[ $rc -eq 0 ] || fail "$name: the detached start exited $rc"
	daemon=$(cat "$work/aiod.pid")
	kill -TERM "$daemon"
	i=0
	while kill -0 "$daemon" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.1; i=$((i + 1))
	done
	kill -0 "$daemon" 2>/dev/null && fail "$name: aiod did not stop"
	sed 's/^/  | /' "$work/$name.err"
	grep -q "^${stamp}stopping: draining 0 transfers in flight$" \
		"$work/$name.err" ||
		fail "$name: the message after detaching did not arrive"
}

detached nosyslog
grep -q "^${stamp}syslog (/dev/log) is not available (" \
	"$work/nosyslog.err" || fail "no syslog: the fallback is not explained"

if [ -S /run/systemd/journal/socket ]; then
	echo "(journald runs here: the journal fallback is not tried)"
else
	detached nojournal --log=journal
	grep -q "^${stamp}the journal is not available (" \
		"$work/nojournal.err" ||
		fail "no journald: the fallback is not explained"
fi
[ $fails -eq 0 ]
