#!/bin/sh
# SPDX-License-Identifier: MIT
# check-install.sh -- `make install` and `make uninstall` into a DESTDIR,
# as a packager runs them: with PREFIX=/usr, every program is in
# usr/sbin, libasync (and the i386 one when built) in its multiarch
# directory, the man pages (aioconform(8) among them), README, LICENSE (if
# the tree has one) and the samples in usr/share/doc/scoaio, the unit
# names usr/sbin/aiod, etc/scoaio/aiod.conf is the sample; every installed
# program answers --help, --version and usage errors by the rules
# (check-cli.sh); a second install keeps an edited aiod.conf; uninstall
# leaves no file but that edited aiod.conf, and nothing once it is gone.
# Usage: check-install.sh BUILD-DIR (from the top of the tree, as root)
set -u
B=$1
fails=0
fail() { echo "check-install: $*"; fails=$((fails + 1)); }
dest=$(mktemp -d /var/tmp/scoaio-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
multiarch=$(gcc -print-multiarch)
mk() { make -s B="$B" PREFIX=/usr DESTDIR="$dest" "$@"; }

echo "+ make install PREFIX=/usr DESTDIR=$dest"
mk install || fail "make install failed"
(cd "$dest" && find . ! -type d | LC_ALL=C sort) >"$dest.list"
sed 's/^/  /' "$dest.list"
want="./etc/aiomemlock.conf ./etc/scoaio/aiod.conf
./usr/include/sys/async.h
./usr/lib/$multiarch/libasync.a ./usr/lib/$multiarch/libasync.so
./usr/lib/$multiarch/libasync.so.1 ./usr/lib/$multiarch/pkgconfig/libasync.pc
./usr/lib/systemd/system/aiod.service
./usr/sbin/aioconform ./usr/sbin/aiod ./usr/sbin/aioinfo ./usr/sbin/aiolkinit
./usr/share/doc/scoaio/README.md ./usr/share/doc/scoaio/aiod.conf
./usr/share/doc/scoaio/aiomemlock.conf
./usr/share/man/man8/aioconform.8 ./usr/share/man/man8/aiod.8"
[ -e LICENSE ] && want="$want ./usr/share/doc/scoaio/LICENSE"
[ -e "$B/lib32/libasync.so" ] && want="$want
./usr/lib/i386-linux-gnu/libasync.a ./usr/lib/i386-linux-gnu/libasync.so
./usr/lib/i386-linux-gnu/libasync.so.1"
for m in man/*.[1-9]; do want="$want ./usr/share/man/man${m##*.}/${m#man/}"; done
for f in $want; do
	grep -qx "$f" "$dest.list" || fail "not installed: $f"
done
grep -q "^libdir=/usr/lib/$multiarch$" \
	"$dest/usr/lib/$multiarch/pkgconfig/libasync.pc" ||
	fail "libasync.pc: libdir is not /usr/lib/$multiarch"
grep -q "^ExecStart=/usr/sbin/aiod -f " "$dest/usr/lib/systemd/system/aiod.service" ||
	fail "aiod.service does not run /usr/sbin/aiod"
cmp -s aiod.conf "$dest/etc/scoaio/aiod.conf" || fail "aiod.conf is not the sample"
[ "$(readlink "$dest/usr/lib/$multiarch/libasync.so")" = libasync.so.1 ] ||
	fail "libasync.so is not a link to libasync.so.1"
if [ -e "$dest/usr/lib/i386-linux-gnu/libasync.so.1" ]; then
	file -L "$dest/usr/lib/i386-linux-gnu/libasync.so.1" | grep -q "32-bit.*80386" ||
		fail "the i386 libasync is not an i386 library"
fi
sh test/service/check-cli.sh "$dest"/usr/sbin/* || fail "installed programs' CLI"

echo "+ an edited aiod.conf survives make install and make uninstall"
echo "device rdsk/0s1=/dev/sdz1" >>"$dest/etc/scoaio/aiod.conf"
cp "$dest/etc/scoaio/aiod.conf" "$dest.edited"
mk install || fail "the second make install failed"
cmp -s "$dest.edited" "$dest/etc/scoaio/aiod.conf" ||
	fail "make install replaced the edited aiod.conf"
echo "+ make uninstall PREFIX=/usr DESTDIR=$dest"
mk uninstall || fail "make uninstall failed"
left=$(cd "$dest" && find . ! -type d)
[ "$left" = "./etc/scoaio/aiod.conf" ] ||
	fail "left after uninstall: $left (want only the edited aiod.conf)"
rm "$dest/etc/scoaio/aiod.conf"
mk uninstall || fail "make uninstall (again) failed"
left=$(cd "$dest" && find . ! -type d)
[ -z "$left" ] || fail "left after the second uninstall: $left"
[ ! -e "$dest/usr/share/doc/scoaio" ] || fail "share/doc/scoaio is left"
rm -f "$dest.list" "$dest.edited"
[ $fails -eq 0 ] && echo "check-install: install, list, uninstall: nothing left"
[ $fails -eq 0 ]
