#!/bin/bash
# SPDX-License-Identifier: MIT
# run-vm.sh BINDIR SCRIPT [TIMEOUT_SECONDS]
#
# Host side of the qemu VM test stage: boots Debian's own kernel (which has CUSE,
# unlike the build machine's) under qemu TCG with a throwaway initramfs and runs one
# guest test script in it.  It owns the build cache in build/vm/ (BUILD_VM_DIR):
# vmlinux-KVER, the uncompressed kernel extracted from /boot/vmlinuz-KVER (booted
# via PVH, far faster than the bzImage), and initramfs-HASH.cpio (uncompressed newc)
# holding static busybox with applet links, the modules fuse, cuse, loop, dm-mod,
# dm-delay, dm-flakey, nbd, sd_mod and scsi_debug (a 24 MiB SCSI disk) (+ deps,
# decompressed), every regular file of BINDIR in /bin, nbdkit (memory plugin, error filter) and nbd-client from the host
# at their own paths with their shared libraries and loader (VM_HOST_PROGRAMS,
# default "nbdkit nbd-client"), SCRIPT as /etc/vm-test.sh and
# test/vm/guest-init.sh as /init; both are rebuilt only when an input changes.  It
# runs qemu with a timeout, tees the serial console to build/vm/console.log and
# stdout, and exits with the status the guest printed on its `VM-RESULT: N` line.
# Exit codes: the guest script's status; 77 = SKIPPED (qemu missing or unable to
# run at all); 124 = guest did not finish in time; 125 = no VM-RESULT line (panic,
# crash); 2 = usage or host setup error (kernel, modules, busybox missing).
# Environment knobs: VM_KVER (kernel version), VM_MACHINE (default q35;
# pc is as fast, microvm,rtc=off is ~1 s slower; microvm needs its PIT here),
# VM_SMP (2), VM_MEM (1G), VM_CPU (max), VM_APPEND (extra kernel command line;
# KEY=VALUE words become environment variables of the guest script), VM_VERBOSE=1
# (kernel messages on the console), VM_EXTRA_MODULES, VM_HOST_PROGRAMS, VM_LOG,
# BUILD_VM_DIR, QEMU.
set -euo pipefail

me=${0##*/}
die() { echo "$me: error: $*" >&2; exit 2; }
skip() {
	echo "" >&2
	echo "************************************************************" >&2
	echo "SKIPPED: $* -- the CUSE/32-bit VM tests did NOT run" >&2
	echo "************************************************************" >&2
	exit 77
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $me BINDIR SCRIPT [TIMEOUT_SECONDS]" >&2
	exit 2
fi
bindir=$1
script=$2
timeout_s=${3:-300}
[ -d "$bindir" ] || die "BINDIR '$bindir' is not a directory"
[ -f "$script" ] || die "SCRIPT '$script' not found"
case $timeout_s in '' | *[!0-9]*) die "TIMEOUT_SECONDS must be a number" ;; esac

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${BUILD_VM_DIR:-$top/build/vm}
log=${VM_LOG:-$out/console.log}
qemu=${QEMU:-qemu-system-x86_64}
machine=${VM_MACHINE:-q35}
smp=${VM_SMP:-2}
mem=${VM_MEM:-1G}
cpu=${VM_CPU:-max}

# --- qemu present and runnable?  Only this is a skip; anything else is an error. ---
command -v "$qemu" >/dev/null 2>&1 || skip "$qemu not found (apt-get install qemu-system-x86)"
"$qemu" --version >/dev/null 2>&1 || skip "$qemu does not run: $("$qemu" --version 2>&1 | head -n 1)"

mkdir -p "$out"

# --- kernel: newest /boot/vmlinuz-KVER that has cuse in /lib/modules/KVER ---
pick_kver() {
	local f v
	for f in /boot/vmlinuz-*; do
		[ -e "$f" ] || continue
		v=${f#/boot/vmlinuz-}
		[ -f "/lib/modules/$v/modules.dep" ] || continue
		grep -Eq '(^|/)cuse\.ko[^:]*:' "/lib/modules/$v/modules.dep" ||
			grep -Eq '(^|/)cuse\.ko' "/lib/modules/$v/modules.builtin" 2>/dev/null || continue
		echo "$v"
	done | sort -V | tail -n 1
}
kver=${VM_KVER:-$(pick_kver)}
[ -n "$kver" ] || die "no /boot/vmlinuz-* with CUSE modules in /lib/modules (apt-get install linux-image-amd64)"
vmlinuz=/boot/vmlinuz-$kver
moddir=/lib/modules/$kver
[ -r "$vmlinuz" ] || die "$vmlinuz not readable"
[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep missing"

# Extract the uncompressed ELF vmlinux from the bzImage (like the kernel's
# scripts/extract-vmlinux): find the payload's magic, decompress, check ELF.
is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }
extract_vmlinux() {
	local src=$1 dst=$2 magic cmd pos
	rm -f "$dst"
	for pair in '\xfd7zXZ\x00:xz -dcq --single-stream' '\x1f\x8b\x08:gzip -dcq' \
		'\x28\xb5\x2f\xfd:zstd -dcq' '\x5d\x00\x00\x00:xz -dcq --format=lzma' \
		'\x02\x21\x4c\x18:lz4 -dcq' 'BZh:bzip2 -dcq' '\x89LZ:lzop -dcq'; do
		magic=${pair%%:*}
		cmd=${pair#*:}
		command -v "${cmd%% *}" >/dev/null 2>&1 || continue
		# byte offset of every occurrence of the magic (a PCRE)
		LC_ALL=C grep -obUaP "$magic" "$src" | cut -d: -f1 | while read -r pos; do
			# shellcheck disable=SC2086 # cmd is a command with options
			tail -c +$((pos + 1)) "$src" | $cmd >"$dst.tmp" 2>/dev/null || true
			if is_elf "$dst.tmp"; then
				mv "$dst.tmp" "$dst"
				break
			fi
		done || true
		[ ! -f "$dst" ] || return 0
	done
	rm -f "$dst.tmp"
	return 1
}
kernel=$out/vmlinux-$kver
if [ ! -s "$kernel" ] || [ "$vmlinuz" -nt "$kernel" ]; then
	echo "$me: extracting $kernel from $vmlinuz" >&2
	if ! extract_vmlinux "$vmlinuz" "$kernel"; then
		echo "$me: warning: could not extract vmlinux; booting the bzImage (slower)" >&2
		kernel=$vmlinuz
	fi
fi

# --- modules: fuse, cuse, loop, dm-mod, dm-delay, dm-flakey, nbd, sd_mod, scsi_debug and their dependencies, in load order ---
busybox=${BUSYBOX:-$(command -v busybox || true)}
if [ -z "$busybox" ] || [ ! -x "$busybox" ]; then
	die "busybox not found (apt-get install busybox-static)"
fi
is_dynamic() { command -v readelf >/dev/null 2>&1 && readelf -l "$1" 2>/dev/null | grep -q 'program interpreter'; }
is_dynamic "$busybox" && die "$busybox is dynamically linked (apt-get install busybox-static)"

declare -a modlist=()
add_module() { # add_module NAME-or-PATH: deps first, dedup
	local want=$1 line path dep deps i
	if [[ $want == */* ]]; then
		path=$want
	else
		path=$(grep -E "(^|/)${want//[-_]/[-_]}\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n 1 | cut -d: -f1) || true
		if [ -z "$path" ]; then
			grep -Eq "(^|/)${want//[-_]/[-_]}\.ko" "$moddir/modules.builtin" 2>/dev/null && return 0
			die "module $want not found in $moddir"
		fi
	fi
	for i in "${modlist[@]}"; do [ "$i" = "$path" ] && return 0; done
	line=$(grep -E "^${path//./\\.}:" "$moddir/modules.dep") || die "module $path not in modules.dep"
	read -r -a deps <<<"${line#*:}"
	for ((i = ${#deps[@]} - 1; i >= 0; i--)); do
		dep=${deps[i]}
		add_module "$dep"
	done
	modlist+=("$path")
}
for m in fuse cuse loop dm-mod dm-delay dm-flakey nbd sd_mod scsi_debug ${VM_EXTRA_MODULES:-}; do add_module "$m"; done

# --- host programs the guest runs as they are, dynamically linked: nbdkit
# (its memory plugin and error filter) and nbd-client for the NBD tests, at
# their own paths with the shared libraries ldd names and the loader ---
declare -a hostfiles=()
host_programs=${VM_HOST_PROGRAMS-nbdkit nbd-client}
nbdkit=$(command -v nbdkit || true)
if [[ " $host_programs " == *" nbdkit "* ]] && [ -n "$nbdkit" ]; then
	nbdkit_dirs=$("$nbdkit" --dump-config) || die "nbdkit --dump-config failed"
	for want in plugindir/nbdkit-memory-plugin.so filterdir/nbdkit-error-filter.so; do
		d=$(sed -n "s/^${want%%/*}=//p" <<<"$nbdkit_dirs")
		[ -f "$d/${want#*/}" ] || die "$d/${want#*/} missing (apt-get install nbdkit)"
		hostfiles+=("$d/${want#*/}")
	done
fi
for prog in $host_programs; do
	path=$(command -v "$prog" || true)
	if [ -z "$path" ]; then
		echo "$me: warning: $prog not found (scripts/install-deps.sh installs it); the guest tests that need it will fail" >&2
		continue
	fi
	hostfiles+=("$(readlink -f "$path")")
done
declare -a hostlibs=()
for f in "${hostfiles[@]}"; do
	while read -r lib; do
		[ -n "$lib" ] && [[ " ${hostlibs[*]} " != *" $lib "* ]] && hostlibs+=("$lib")
	done < <(ldd "$f" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')
done
hostfiles+=("${hostlibs[@]}")

# --- initramfs, rebuilt when any input changes ---
mapfile -t binfiles < <(find -L "$bindir" -mindepth 1 -maxdepth 1 -type f | LC_ALL=C sort)
inputs=("$here/run-vm.sh" "$here/guest-init.sh" "$script" "$busybox" "${binfiles[@]}" "${hostfiles[@]}")
for m in "${modlist[@]}"; do inputs+=("$moddir/$m"); done
hash=$( {
	echo "$kver ${modlist[*]}"
	sha256sum "${inputs[@]}" | sed 's/ .*\// /'
	for f in "${binfiles[@]}"; do basename "$f"; done
} | sha256sum | cut -c1-16)
initrd=$out/initramfs-$hash.cpio

if [ ! -s "$initrd" ]; then
	echo "$me: building $initrd" >&2
	stage=$out/root.$$
	rm -rf "$stage"
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,mnt,run,root,etc,lib/modules,usr,var/tmp}
	ln -s bin "$stage/sbin"
	ln -s ../bin "$stage/usr/bin"
	ln -s ../bin "$stage/usr/sbin"
	cp "$busybox" "$stage/bin/busybox"
	for a in $("$busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$stage/bin/$a"
	done
	for f in "${binfiles[@]}"; do
		b=$(basename "$f")
		rm -f "$stage/bin/$b"
		cp -L "$f" "$stage/bin/$b"
		chmod a+rx "$stage/bin/$b"
		is_dynamic "$f" && echo "$me: warning: $f is dynamically linked; it will not run in the guest" >&2
	done
	for f in "${hostfiles[@]}"; do
		mkdir -p "$stage$(dirname "$f")"
		rm -f "$stage$f"	# busybox has an nbd-client applet link
		cp -L "$f" "$stage$f"
	done
	: >"$stage/etc/vm-modules"
	for m in "${modlist[@]}"; do
		b=$(basename "$m")
		case $b in
		*.ko) cp "$moddir/$m" "$stage/lib/modules/$b" ;;
		*.ko.xz) xz -dc "$moddir/$m" >"$stage/lib/modules/${b%.xz}" ;;
		*.ko.zst) zstd -dcq "$moddir/$m" >"$stage/lib/modules/${b%.zst}" ;;
		*.ko.gz) gzip -dc "$moddir/$m" >"$stage/lib/modules/${b%.gz}" ;;
		*) die "unknown module format: $m" ;;
		esac
		b=${b%.ko*}.ko
		case $b in
		scsi_debug.ko) echo "$b dev_size_mb=24" ;;	# room for the suite
		*) echo "$b" ;;
		esac >>"$stage/etc/vm-modules"
	done
	cp "$here/guest-init.sh" "$stage/init"
	cp "$script" "$stage/etc/vm-test.sh"
	chmod 755 "$stage/init" "$stage/etc/vm-test.sh"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'daemon:x:1:1::/:/bin/false' \
		'nobody:x:65534:65534:nobody:/:/bin/false' 'aiotest:x:1000:1000::/tmp:/bin/sh' >"$stage/etc/passwd"
	printf '%s\n' 'root:x:0:' 'daemon:x:1:' 'disk:x:6:' 'nogroup:x:65534:' 'aiotest:x:1000:' >"$stage/etc/group"
	printf '%s\n' 'passwd: files' 'group: files' >"$stage/etc/nsswitch.conf"
	(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) >"$initrd.tmp"
	mv "$initrd.tmp" "$initrd"
	rm -rf "$stage"
	trap - EXIT
	# keep the four newest images (other BINDIRs / scripts), drop older ones
	find "$out" -maxdepth 1 -name 'initramfs-*.cpio' -printf '%T@ %p\n' | sort -rn |
		tail -n +5 | cut -d' ' -f2- | while read -r old; do rm -f "$old"; done
fi

# --- boot ---
# lpj= skips the delay-loop calibration; it only scales udelay(), so derive it
# from the host clock (TCG passes the host TSC through) at CONFIG_HZ=250.
mhz=$(awk -F: '/^cpu MHz/ { printf "%d", $2; exit }' /proc/cpuinfo 2>/dev/null || true)
lpj=$((${mhz:-2000} * 1000000 / 250))
append="console=ttyS0 panic=-1 lpj=$lpj tsc=reliable no_timer_check rdinit=/init"
append+=" 8250.nr_uarts=1 i8042.noaux i8042.nokbd i8042.nopnp"
[ "${VM_VERBOSE:-0}" = 1 ] || append+=" quiet loglevel=3"
[ -z "${VM_APPEND:-}" ] || append+=" $VM_APPEND"
qemu_cmd=("$qemu" -accel tcg -machine "$machine" -cpu "$cpu" -smp "$smp" -m "$mem"
	-nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot
	-kernel "$kernel" -initrd "$initrd" -append "$append")

errf=$out/qemu.stderr
echo "$me: booting $kver ($machine, smp $smp, $mem), script $(basename "$script"), timeout ${timeout_s}s; log $log" >&2
start=$(date +%s.%N)
set +e
timeout --foreground -k 10 "$timeout_s" "${qemu_cmd[@]}" </dev/null 2>"$errf" |
	sed -u 's/\r$//' | tee "$log"
qrc=${PIPESTATUS[0]}
set -e
end=$(date +%s.%N)
elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
[ -s "$errf" ] && sed "s/^/$me: qemu: /" "$errf" >&2

status=$(sed -n 's/^VM-RESULT: \([0-9][0-9]*\)$/\1/p' "$log" | tail -n 1)
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	echo "$me: FAILED: guest did not finish within ${timeout_s}s (qemu killed); see $log" >&2
	exit 124
fi
if [ -z "$status" ]; then
	if [ "$qrc" -ne 0 ] && [ ! -s "$log" ]; then
		skip "$qemu failed to start (exit $qrc): $(head -n 3 "$errf" | tr '\n' ' ')"
	fi
	echo "$me: FAILED: no 'VM-RESULT:' line from the guest (qemu exit $qrc; kernel panic or init crash?); see $log" >&2
	exit 125
fi
echo "$me: guest script exited $status after ${elapsed}s (boot + test)" >&2
exit "$status"
