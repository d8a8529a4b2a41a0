#!/bin/sh
# SPDX-License-Identifier: MIT
# check-cli.sh -- the command-line conventions of every program a user
# runs, as the user sees them: `--help` exits 0 with "Usage:" on standard
# output; `-V` and `--version` print exactly "NAME (scoaio) VERSION";
# an unknown option and a stray argument exit 2 with one line starting
# "NAME: " (the short name, never the path the program was run by) and
# then "Try 'NAME --help' for more information.", on standard error only.
# Usage: check-cli.sh PROGRAM-PATH...
set -u
fails=0
fail() { echo "check-cli: $*"; fails=$((fails + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

usage_error() {	# PATH NAME ARGS...: a two-line usage error
	path=$1 name=$2; shift 2
	"$path" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || fail "$name $*: exit status $rc, not 2"
	[ ! -s "$tmp/out" ] || fail "$name $*: wrote to standard output"
	[ "$(wc -l <"$tmp/err")" -eq 2 ] ||
		fail "$name $*: $(wc -l <"$tmp/err") lines, not 2: $(cat "$tmp/err")"
	head -n 1 "$tmp/err" | grep -q "^$name: " ||
		fail "$name $*: first line does not start '$name: ': $(head -n 1 "$tmp/err")"
	[ "$(sed -n 2p "$tmp/err")" = "Try '$name --help' for more information." ] ||
		fail "$name $*: second line is '$(sed -n 2p "$tmp/err")'"
}

for path in "$@"; do
	name=${path##*/}
	before=$fails
	"$path" --help >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 0 ] || fail "$name --help: exit status $rc"
	grep -q '^Usage: ' "$tmp/out" || fail "$name --help: no 'Usage: ' line"
	[ ! -s "$tmp/err" ] || fail "$name --help: wrote to standard error"
	for v in -V --version; do
		out=$("$path" $v 2>&1)
		rc=$?
		[ $rc -eq 0 ] || fail "$name $v: exit status $rc"
		echo "$out" | grep -qx "$name (scoaio) [0-9][0-9.]*" ||
			fail "$name $v: printed '$out'"
	done
	usage_error "$path" "$name" --no-such-option
	usage_error "$path" "$name" -Z
	[ $fails -ne $before ] ||
		echo "$name: --help, -V, --version and usage errors as expected"
done
[ $fails -eq 0 ]
