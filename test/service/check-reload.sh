#!/bin/sh
# SPDX-License-Identifier: MIT
# check-reload.sh -- SIGHUP on a serving aiod (FUSE front end, a loop
# device with direct I/O over a fully written image, seccomp on), while a
# client (aiodemo, in a loop) keeps writing and verifying rdsk/0s1:
#  1. a configuration that adds rdsk/0s2 (owner nobody, mode 0640) and a
#     lock table of two users: 0s2 appears with that owner and mode and
#     serves aiodemo; the table has 2 entries;
#  2. a configuration with an error: refused with the reason, both
#     devices keep serving, the table is unchanged;
#  3. a configuration without 0s2, 0s1 with mode 0600, while a process
#     holds 0s2 open: 0s2 takes no new opens and disappears from the
#     directory, and goes (logged) only once that process has closed it;
#     0s1 shows mode 0600;
# and the client saw no error in any of its runs, some of which ran
# during each reload.  Usage: check-reload.sh BUILD-DIR (as root)
set -u
. "$(dirname "$0")/lib.sh"
B=$1
fails=0
fail() { echo "check-reload: $*"; fails=$((fails + 1)); }
work=$(mktemp -d /var/tmp/scoaio-reload.XXXXXX)
chmod 755 "$work"
mnt=$work/mnt
pid="" client="" holder="" loop=""
cleanup() {
	touch "$work/stop"
	[ -z "$client" ] || wait "$client"
	[ -z "$holder" ] || kill "$holder" 2>/dev/null
	[ -z "$pid" ] || { kill -TERM "$pid"; wait "$pid"; }
	mountpoint -q "$mnt" 2>/dev/null && umount -l "$mnt"
	[ -z "$loop" ] || losetup -d "$loop"
	rm -rf "$work"
}
trap cleanup EXIT
dd if=/dev/zero of="$work/disk.img" bs=1M count=32 status=none conv=fsync
loop=$(losetup --direct-io=on -f --show "$work/disk.img") ||
	{ echo "check-reload: no loop device"; exit 1; }
echo "loop device $loop (direct I/O) over $work/disk.img"
printf 'root 1048576\n' >"$work/locks.conf"
conf() {	# the configuration file, from its device lines
	{ echo "locktable $work/locks.conf"; printf '%s\n' "$@"; } \
		>"$work/aiod.conf"
}
s1="device rdsk/0s1=$loop,size=16M,mode=0666"
s2="device rdsk/0s2=$loop,offset=16M,size=16M,owner=nobody,mode=0640"
log_has() {	# PATTERN: wait up to 10 s for it in aiod's log
	i=0
	while ! grep -q "$1" "$work/aiod.log"; do
		[ $i -lt 100 ] || return 1
		sleep 0.1; i=$((i + 1))
	done
}
runs() { cat "$work/runs" 2>/dev/null || echo 0; }
wait_runs() {	# N: until the client has finished N more runs
	want=$(($(runs) + $1)) i=0
	while [ "$(runs)" -lt $want ] && [ $i -lt 600 ] &&
	      [ ! -e "$work/failed" ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(runs)" -ge $want ]
}

conf "$s1"
"$B/aiod" -f -c "$work/aiod.conf" --fuse "$mnt" --pidfile "$work/aiod.pid" \
	2>"$work/aiod.log" &
pid=$!
wait_serving "$pid" "$work/aiod.pid" || { cat "$work/aiod.log"; exit 1; }

# The client: aiodemo writes 32 pages with aio(M) and verifies them.
(
	n=0
	while [ ! -e "$work/stop" ]; do
		if ! "$B/aiodemo" "$mnt/rdsk/0s1" 32 >"$work/client.out" 2>&1
		then
			cp "$work/client.out" "$work/failed"
			break
		fi
		n=$((n + 1)); echo $n >"$work/runs.new"
		mv "$work/runs.new" "$work/runs"
	done
) &
client=$!
wait_runs 2 || fail "the client does not run"

echo "+ 1. SIGHUP: add rdsk/0s2 (nobody, 0640), a lock table of 2 users"
conf "$s1" "$s2"
printf 'root 1048576\nnobody 65536\n' >"$work/locks.conf"
kill -HUP "$pid"
log_has "reloaded: serving 2 devices, 0 retiring" || fail "1: no reload"
st=$(stat -c '%U %a' "$mnt/rdsk/0s2")
[ "$st" = "nobody 640" ] || fail "1: rdsk/0s2 is '$st', not 'nobody 640'"
"$B/aiodemo" "$mnt/rdsk/0s2" 16 >/dev/null || fail "1: aiodemo on rdsk/0s2"
"$B/aioinfo" --json "$mnt/rdsk/0s2" | grep -q '"lock_table_entries": 2,' ||
	fail "1: the lock table does not have 2 entries"
wait_runs 2 || fail "1: the client stopped"

echo "+ 2. SIGHUP: a configuration with an error"
conf "$s1" "$s2" "NAIOREQ = many"
printf 'root 1048576\n' >"$work/locks.conf"
kill -HUP "$pid"
log_has "reload: refused; aiod keeps serving its 2 devices as before" ||
	fail "2: the bad configuration is not refused"
grep -q "reload: $work/aiod.conf:4: NAIOREQ: 'many' is not a number" \
	"$work/aiod.log" || fail "2: the reason is not logged"
"$B/aiodemo" "$mnt/rdsk/0s2" 16 >/dev/null ||
	fail "2: rdsk/0s2 stopped serving"
"$B/aioinfo" --json "$mnt/rdsk/0s1" | grep -q '"lock_table_entries": 2,' ||
	fail "2: the lock table changed"
wait_runs 2 || fail "2: the client stopped"

echo "+ 3. SIGHUP: rdsk/0s2 removed while open, rdsk/0s1 mode 0600"
sleep 3600 <"$mnt/rdsk/0s2" &
holder=$!
sleep 0.2
conf "${s1%,mode=0666},mode=0600"
kill -HUP "$pid"
log_has "device rdsk/0s2: no longer configured; removed once no file is open on it (1 open)" ||
	fail "3: rdsk/0s2 is not retired"
log_has "reloaded: serving 1 device, 1 retiring" || fail "3: no reload"
( exec 3<"$mnt/rdsk/0s2" ) 2>/dev/null && fail "3: a new open of rdsk/0s2 worked"
sleep 1.5	# the kernel's cache of names and attributes (1 s)
ls "$mnt/rdsk" | grep -q 0s2 && fail "3: rdsk/0s2 is still listed"
[ "$(stat -c %a "$mnt/rdsk/0s1")" = 600 ] || fail "3: rdsk/0s1 is not 0600"
grep -q "device rdsk/0s2: removed" "$work/aiod.log" &&
	fail "3: rdsk/0s2 went while open"
kill "$holder"; wait "$holder" 2>/dev/null; holder=""
log_has "device rdsk/0s2: removed" || fail "3: rdsk/0s2 did not go once closed"
wait_runs 2 || fail "3: the client stopped"

touch "$work/stop"
wait "$client"; client=""
echo "the client ran aiodemo $(runs) times"
if [ -e "$work/failed" ]; then
	fail "the client failed:"; cat "$work/failed"
fi
kill -TERM "$pid"
wait "$pid" || fail "aiod exited with status $?"
pid=""
sed 's/^/  | /' "$work/aiod.log"
[ $fails -eq 0 ]
