#!/bin/sh
# install-deps.sh -- installs, on Debian 12, every package scoaio needs to
# build, test and benchmark: the build tools and libraries, the i386 Check
# library for the 32-bit conformance suite, and qemu with Debian's kernel and
# busybox for the CUSE VM test.  Installs only what is missing; run as root.
set -eu

packages="make gcc clang pkg-config libaio-dev libfuse3-dev fuse3 check
          gcc-multilib libc6-dev-i386 util-linux
          qemu-system-x86 linux-image-amd64 busybox-static cpio
          check:i386 libsubunit-dev:i386 fio"

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -n "$missing" ] || exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing; run as root to install" >&2
	exit 1
fi
echo "install-deps: installing$missing"
dpkg --print-foreign-architectures | grep -qx i386 || dpkg --add-architecture i386
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
