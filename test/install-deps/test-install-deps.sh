#!/bin/sh
# SPDX-License-Identifier: MIT
# test-install-deps.sh -- tests scripts/install-deps.sh without a broken
# machine and without root: ./stub, first on PATH as dpkg, dpkg-query,
# apt-get, apt-cache and id, plays a machine in a given state (packages
# missing or half-configured, dpkg interrupted before or during the install,
# no i386 architecture, apt failing) and logs every call; each case checks
# the script's exit status, its output and that log.  Prints "ok - CASE" or
# "FAILED - CASE" and what was wrong; exits non-zero if any case failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
script=$here/../../scripts/install-deps.sh
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
failed=0

# A machine with every package installed, i386 added and dpkg clean.
machine() {
	rm -rf "$t/m" && mkdir -p "$t/m/bin"
	for c in dpkg dpkg-query apt-get apt-cache id; do
		ln -s "$here/stub" "$t/m/bin/$c"
	done
	echo i386 >"$t/m/archs"
	echo 0 >"$t/m/uid"
	: >"$t/m/status"
	: >"$t/m/log"
}
run() {		# CASE [ARG...]: run the script on the machine
	name=$1 bad=""
	shift
	PATH=$t/m/bin:$PATH STUB_DIR=$t/m sh "$script" "$@" >"$t/out" 2>"$t/err"
	rc=$?
}
expect() {	# WHAT COMMAND...: WHAT is wrong with the case unless COMMAND
	what=$1; shift
	"$@" || bad="$bad
    expected $what"
}
said() { grep -q -- "$2" "$t/$1"; }		# out|err|m/log PATTERN
unsaid() { ! said "$@"; }
lines() { [ "$(wc -l <"$t/$1")" -eq "$2" ]; }	# out|err|m/log N
first() { grep -n -- "$1" "$t/m/log" | sed -n '1s/:.*//p'; }	# PATTERN
last() { grep -n -- "$1" "$t/m/log" | sed -n '$s/:.*//p'; }	# PATTERN
calls() { [ "$(grep -c -- "$1" "$t/m/log")" -eq "$2" ]; }	# PATTERN N
before() { [ "$(first "$1")" -lt "$(first "$2")" ] 2>/dev/null; }
between() { before "$1" "$2" && [ "$(last "$3")" -gt "$(first "$2")" ]; }
done_() {
	if [ -z "$bad" ]; then echo "ok - $name"; return; fi
	echo "FAILED - $name:$bad"
	for f in out err m/log; do	# the log without the dpkg-query calls
		sed "/^dpkg-query /d; s|^|    $f: |" "$t/$f"
	done
	failed=$((failed + 1))
}

machine
run "nothing missing: silent, exit 0, nothing but dpkg-query run"
expect "exit 0" [ $rc -eq 0 ]
expect "no output" lines out 0
expect "no errors" lines err 0
expect "no dpkg or apt call" unsaid m/log "^dpkg \|^apt"
done_

machine
echo "fio install ok half-configured" >"$t/m/status"
printf '%s\n' "The following packages are only half configured, probably" \
	" initramfs-tools      generic modular initramfs generator" "" \
	"The following packages have been triggered, but the trigger" \
	" libc-bin             GNU C Library: Binaries" >"$t/m/audit"
run "dpkg interrupted: one line, dpkg --configure -a, then install"
expect "exit 0" [ $rc -eq 0 ]
expect "the repair said in one line" said out \
	"^install-deps: dpkg was interrupted (unfinished: initramfs-tools libc-bin); running dpkg --configure -a$"
expect "the half-configured fio installed" said out \
	"^install-deps: installing fio$"
expect "two lines of output" lines out 2
expect "no errors" lines err 0
expect "dpkg --configure -a before apt-get install" \
	before "^dpkg --configure -a$" "^apt-get install .* fio$"
done_

machine
echo "fio -" >"$t/m/status"
echo interrupt >"$t/m/fail"
run "apt-get install interrupted: repaired, retried once, exit 0"
expect "exit 0" [ $rc -eq 0 ]
expect "the repair said" said out "^install-deps: dpkg was interrupted (unfinished: fio); running"
expect "two apt-get installs" calls "^apt-get install" 2
expect "dpkg --configure -a between them" between "^apt-get install" \
	"^dpkg --configure -a$" "^apt-get install"
done_

machine
echo "fio -" >"$t/m/status"
echo install >"$t/m/fail"
run "install fails: exit 1, one line naming the package and the command"
expect "exit 1" [ $rc -eq 1 ]
expect "the package and command named" said err \
	"^install-deps: could not install: fio .*; run: apt-get install fio$"
expect "one line on stderr" lines err 1
expect "one apt-get install, no retry" calls "^apt-get install" 1
done_

machine
: >"$t/m/archs"
printf '%s -\n' check:i386 libsubunit-dev:i386 >"$t/m/status"
run "no i386 architecture: added before apt-get update"
expect "exit 0" [ $rc -eq 0 ]
expect "the addition said" said out "^install-deps: adding the i386 architecture"
expect "dpkg --add-architecture i386 before apt-get update" \
	before "^dpkg --add-architecture i386$" "^apt-get update"
expect "both i386 packages installed" said m/log \
	"^apt-get install .* check:i386 libsubunit-dev:i386$"
done_

machine
printf '%s -\n' nbdkit nbd-client >"$t/m/status"
run "the NBD test's nbdkit and nbd-client missing: both installed"
expect "exit 0" [ $rc -eq 0 ]
expect "both said" said out "^install-deps: installing nbdkit nbd-client$"
expect "both installed" said m/log "^apt-get install .* nbdkit nbd-client$"
done_

machine
printf '%s -\n' fio cpio >"$t/m/status"
echo fio >"$t/m/nocandidate"
run "no candidate: exit 1, names the package and the command, installs nothing"
expect "exit 1" [ $rc -eq 1 ]
expect "fio named, not cpio" said err \
	"^install-deps: no installable package: fio; .* apt-get install fio$"
expect "no apt-get install" unsaid m/log "^apt-get install"
done_

machine
echo "fio -" >"$t/m/status"
echo update >"$t/m/fail"
run "apt-get update fails: exit 1, names it"
expect "exit 1" [ $rc -eq 1 ]
expect "apt-get update named" said err \
	"^install-deps: apt-get update failed.*run: apt-get update$"
expect "no apt-get install" unsaid m/log "^apt-get install"
done_

machine
echo "fio install ok half-configured" >"$t/m/status"
echo " fio                  flexible I/O tester" >"$t/m/audit"
echo configure >"$t/m/fail"
run "dpkg --configure -a fails: exit 1, dpkg's error shown, command named"
expect "exit 1" [ $rc -eq 1 ]
expect "dpkg's error" said err "^dpkg: error processing package fio"
expect "the command named" said err "^install-deps: .*run: dpkg --configure -a$"
expect "no apt-get install" unsaid m/log "^apt-get install"
done_

machine
echo "gnuplot-nox -" >"$t/m/status"
run "group bench: gnuplot installed only when asked for"
expect "exit 0" [ $rc -eq 0 ]
expect "no output" lines out 0
expect "no apt-get install" unsaid m/log "^apt-get install"
run "group bench: gnuplot installed only when asked for" bench
expect "exit 0" [ $rc -eq 0 ]
expect "gnuplot-nox installed" said out "^install-deps: installing gnuplot-nox$"
expect "one apt-get install of it" calls "^apt-get install .* gnuplot-nox$" 1
done_

machine
echo "fio -" >"$t/m/status"
echo 1000 >"$t/m/uid"
run "not root: exit 1, names what is missing, changes nothing"
expect "exit 1" [ $rc -eq 1 ]
expect "fio named" said err "^install-deps: missing packages: fio; run as root"
expect "no dpkg or apt call" unsaid m/log "^dpkg \|^apt"
done_

machine
printf '%s\n' "prometheus -" "jq -" >"$t/m/status"
run "promtool and jq missing: prometheus and jq installed"
expect "exit 0" [ $rc -eq 0 ]
expect "both named" said out "^install-deps: installing prometheus jq$"
expect "one apt-get install of both" calls "^apt-get install .* prometheus jq$" 1
done_

machine
printf '%s -\n' lintian fakeroot >"$t/m/status"
run "no group: the packaging tools are not asked for"
expect "exit 0, nothing to do" [ $rc -eq 0 ]
expect "no apt-get install" unsaid m/log "^apt-get install"
done_

machine
printf '%s -\n' lintian fakeroot >"$t/m/status"
run "group package: the missing packaging tools installed" package
expect "exit 0" [ $rc -eq 0 ]
expect "lintian and fakeroot installed" said m/log \
	"^apt-get install .* lintian fakeroot$"
done_

machine
run "an unknown group: exit 1, named, nothing installed" packaging
expect "exit 1" [ $rc -eq 1 ]
expect "the group named" said err "^install-deps: unknown group 'packaging'"
expect "no dpkg or apt call" unsaid m/log "^dpkg \|^apt"
done_

[ $failed -eq 0 ]
