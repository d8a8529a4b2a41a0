#!/bin/sh
# SPDX-License-Identifier: MIT
# install-deps.sh -- installs, on Debian 12, every package scoaio needs to
# build, test and benchmark: the build tools and libraries, the i386 Check
# library for the 32-bit conformance suite, and qemu with Debian's kernel,
# busybox, nbdkit and nbd-client for the CUSE and NBD VM tests, jq for the
# benchmark harness's and aiotrace's checks, promtool (prometheus) for
# aioinfo --prometheus's; with the argument `package`, also the Debian
# packaging tools (debhelper, dpkg-dev, lintian, fakeroot) that only the
# package stage needs, and with `bench` gnuplot for `make bench`'s chart,
# which nothing else needs.  Installs only what is missing (a package dpkg
# left half-configured or unpacked counts as missing) and prints nothing
# when nothing is; run as root.  On the way it finishes the work of an
# interrupted dpkg (dpkg --configure -a), also once more if apt-get install
# is itself interrupted, adds the i386 architecture and fetches the apt
# lists.  Each failure is one line on stderr naming the package or the step,
# and the command to run.  test/install-deps/test-install-deps.sh tests it.
set -eu

packages="make gcc clang pkg-config libaio-dev libfuse3-dev fuse3 check
          libseccomp-dev libsystemd-dev libclang-rt-14-dev strace
          gcc-multilib libc6-dev-i386 util-linux
          qemu-system-x86 linux-image-amd64 busybox-static cpio
          nbdkit nbd-client
          check:i386 libsubunit-dev:i386 fio prometheus jq"

say() { echo "install-deps: $*"; }
die() { echo "install-deps: $*" >&2; exit 1; }

# Packages only one stage needs, by the group named as an argument.
for group in "$@"; do
	case $group in
	package) packages="$packages debhelper dpkg-dev lintian fakeroot" ;;
	bench) packages="$packages gnuplot-nox" ;;
	*) die "unknown group '$group' (known: package, bench)" ;;
	esac
done
missing() {	# the packages of $packages not "ok installed", each after a space
	for p in $packages; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "ok installed" || printf ' %s' "$p"
	done
}
interrupted() {	# true if dpkg --audit lists packages; they go in $unfinished
	unfinished=$(dpkg --audit | sed -n 's/^ \([^ ][^ ]*\).*/\1/p' |
		tr '\n' ' ')
	[ -n "$unfinished" ]
}
repair() {	# dpkg --configure -a, in one line unless it fails
	say "dpkg was interrupted (unfinished: ${unfinished% });" \
	    "running dpkg --configure -a"
	out=$(dpkg --configure -a 2>&1) || {
		printf '%s\n' "$out" >&2
		die "dpkg --configure -a failed (see above); fix the package" \
		    "it names, then run: dpkg --configure -a"
	}
}
apt_install() {
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
}

missing=$(missing)
[ -n "$missing" ] || exit 0
[ "$(id -u)" = 0 ] ||
	die "missing packages:$missing; run as root: sh scripts/install-deps.sh${*:+ $*}"
export DEBIAN_FRONTEND=noninteractive

if interrupted; then repair; fi
if ! dpkg --print-foreign-architectures | grep -qx i386; then
	say "adding the i386 architecture (for check:i386)"
	dpkg --add-architecture i386 ||
		die "dpkg --add-architecture i386 failed (see above); run it again"
fi
apt-get update -qq || die "apt-get update failed (see above); check the" \
	"network and /etc/apt/sources.list, then run: apt-get update"
none=""
for p in $missing; do
	LC_ALL=C apt-cache policy "$p" | grep -q 'Candidate: [^(]' ||
		none="$none $p"
done
[ -z "$none" ] || die "no installable package:$none; check" \
	"/etc/apt/sources.list, then run: apt-get update && apt-get install$none"

say "installing$missing"
if ! apt_install && ! { interrupted && repair && apt_install; }; then
	left=$(missing)
	left=${left:-$missing}
	die "could not install:$left (see apt-get's errors above); run:" \
	    "apt-get install$left"
fi
