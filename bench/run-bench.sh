#!/bin/sh
# SPDX-License-Identifier: MIT
# run-bench.sh -- `make bench`: sets up two partitions, each a loop device
# (direct I/O) over a fully written image of its own, starts aiod on them
# with the FUSE front end (A in the default cache=writethrough, B with
# cache=writeback), runs aiobench over both, and draws its chart with
# gnuplot.  Results go to $BENCH_OUT, by default $B/bench/ (bench.txt,
# bench.json, bench.png).  BENCH_QUICK=1 makes a short run; BENCH_CHART=no
# skips the chart (and gnuplot); BENCH_AIOD_OPTS gives aiod further options
# (tunables such as -o BUSYPOLL=0).  Other arguments go to aiobench
# (aiobench(1)).  Tears everything down on exit.  Run as root.
set -eu
B=${B:-build}
out=${BENCH_OUT:-$B/bench}
here=$(dirname "$0")
work=$(mktemp -d /var/tmp/scoaio-bench.XXXXXX)
loops=""
aiod_pid=""
cleanup() {
	if [ -n "$aiod_pid" ] && kill -TERM "$aiod_pid" 2>/dev/null; then
		i=0
		while kill -0 "$aiod_pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
	fi
	for l in $loops; do losetup -d "$l"; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
if [ "${BENCH_QUICK:-0}" = 1 ]; then mib=64; set -- -q "$@"; else mib=256; fi
if [ "${BENCH_CHART:-yes}" != no ] && ! command -v gnuplot >/dev/null; then
	echo "run-bench.sh: gnuplot is missing; run: sh scripts/install-deps.sh" \
	     "bench (or BENCH_CHART=no for no chart)" >&2
	exit 1
fi
mkdir -p "$out"
for part in a b; do
	dd if=/dev/zero of="$work/$part.img" bs=1M count=$mib status=none \
	   conv=fsync
	l=$(losetup --direct-io=on -f --show "$work/$part.img")
	loops="$loops $l"
	eval "loop_$part=$l"
done
aiod_opts=${BENCH_AIOD_OPTS:-}
# shellcheck disable=SC2154,SC2086 # aiod_opts are several words
"$B/aiod" $aiod_opts --fuse "$work/mnt" --pidfile "$work/aiod.pid" \
	--device "rdsk/0s1=$loop_a" --device "rdsk/0s2=$loop_b,cache=writeback"
aiod_pid=$(cat "$work/aiod.pid")
# How idle CPUs wait changes every wake-up's cost (aiobench(1)).
idle=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null) ||
	idle="no cpuidle driver"
halt_poll=/sys/module/haltpoll/parameters/guest_halt_poll_ns
[ ! -r $halt_poll ] || idle="$idle, guest_halt_poll_ns $(cat $halt_poll)"
echo "partitions: A $loop_a (aiod $work/mnt/rdsk/0s1, durable)," \
     "B $loop_b (aiod $work/mnt/rdsk/0s2, cache=writeback), $mib MiB each;" \
     "aiod options: ${aiod_opts:-none};" \
     "$(nproc) CPUs, cpuidle: $idle; $(uptime)"
# A sanitizer-built libasync.so (SAN=1) needs the ASan runtime before it.
preload=$B/libasync.so
asan=$(ldd "$preload" | sed -n 's/.*=> \(\/[^ ]*libasan[^ ]*\) .*/\1/p')
[ -z "$asan" ] || preload="$asan $preload"
"$B/aiobench" -o "$out" -p "$work/aiod.pid" -L "$preload" "$@" \
	"$loop_a" "$loop_b" "$work/mnt/rdsk/0s1" "$work/mnt/rdsk/0s2"
[ -z "$aiod_opts" ] || echo "aiod options: $aiod_opts" >>"$out/bench.txt"
if [ "${BENCH_CHART:-yes}" != no ]; then
	run="$(head -n 1 "$out/bench.txt"); cpuidle: $idle"
	[ -z "$aiod_opts" ] || run="$run; aiod $aiod_opts"
	run=$(printf '%s' "$run" | tr -d "'")
	gnuplot -e "datafile='$out/bench.dat'; outfile='$out/bench.png';" \
		-e "subtitle='$run'" "$here/bench.gp"
	echo "chart: $out/bench.png"
fi
echo "table: $out/bench.txt; JSON: $out/bench.json"
