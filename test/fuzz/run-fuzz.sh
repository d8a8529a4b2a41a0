#!/bin/sh
# SPDX-License-Identifier: MIT
# run-fuzz.sh -- runs each libFuzzer target of test/fuzz for SECONDS
# (default FUZZ_SECONDS, else 60) from a copy of its seed corpus in
# test/fuzz/corpus/TARGET, and prints one line per target: executions,
# crashes and leaks (a crash or leak leaves its input in $B/fuzz and fails
# the run).  B names the build directory ($B/fuzz/fuzz_TARGET, built by
# `make fuzz-build`).  Exit 0 only if every target ran clean.
set -u
B=${B:-build}
seconds=${1:-${FUZZ_SECONDS:-60}}
status=0
for t in abi config memlock devmap; do
	bin=$B/fuzz/fuzz_$t
	corpus=$B/fuzz/corpus-$t
	log=$B/fuzz/$t.log
	mkdir -p "$corpus"
	cp test/fuzz/corpus/$t/* "$corpus"/
	(cd "$B/fuzz" && ./fuzz_$t -max_total_time="$seconds" \
		-print_final_stats=1 -artifact_prefix="$t-" \
		"corpus-$t") >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	crashes=$(grep -c -E '^==[0-9]+==ERROR: AddressSanitizer|runtime error:|deadly signal|ERROR: libFuzzer' "$log")
	leaks=$(grep -c 'ERROR: LeakSanitizer' "$log")
	echo "fuzz $t: ${execs:-0} executions in ${seconds} s, $crashes crashes, $leaks leaks (exit $rc)"
	if [ $rc -ne 0 ] || [ "$crashes" -ne 0 ] || [ "$leaks" -ne 0 ] ||
	   [ -z "$execs" ]; then
		tail -n 40 "$log" | sed 's/^/  | /'
		status=1
	fi
done
exit $status
