#!/bin/sh
# SPDX-License-Identifier: MIT
# spdx-check.sh -- fails, naming each file, when a file git tracks lacks
# the line `SPDX-License-Identifier: MIT` where it belongs: the first line,
# or the second after a `#!` line or a roff preprocessor line ('\" t).
# Every tracked file is a source file except the Markdown documents,
# LICENSE itself, .gitignore, images (*.png), the fuzzers' seed inputs
# (test/fuzz/corpus) and the Debian files that cannot hold a comment
# (debian/changelog, debian/source/format) or are the licence
# (debian/copyright), so that a file of a new kind is checked rather than
# missed.  Run from
# the top of a git work tree (make spdx-check, make check); outside one it
# cannot list tracked files and says so, exit status 2.
set -u
cd "$(dirname "$0")/../.." || exit 2
if ! files=$(git ls-files 2>/dev/null); then
	echo "spdx-check: not a git work tree ($PWD): cannot list tracked files" >&2
	exit 2
fi
spdx_comment() {	# FILE: the SPDX line in that file's comment syntax
	case $1 in
	*.c|*.h|*.map) echo '/* SPDX-License-Identifier: MIT */' ;;
	man/*|*.[1-9]) echo '.\" SPDX-License-Identifier: MIT' ;;
	*) echo '# SPDX-License-Identifier: MIT' ;;
	esac
}
missing=0
for f in $files; do
	case $f in
	*.md|*.png|LICENSE|.gitignore|test/fuzz/corpus/*) continue ;;
	# formats without comments; debian/copyright states the licence
	debian/changelog|debian/source/format|debian/copyright) continue ;;
	esac
	[ -f "$f" ] || continue		# deleted in the work tree, not committed
	first=$(sed -n 1p "$f")
	case $first in
	'#!'*|"'\\\""*) line=$(sed -n 2p "$f"); where="second line, after \`$first\`" ;;
	*) line=$first; where="first line" ;;
	esac
	case $line in
	*SPDX-License-Identifier:\ MIT*) ;;
	*)	echo "spdx-check: $f: no SPDX line; add \`$(spdx_comment "$f")\` as its $where" >&2
		missing=$((missing + 1)) ;;
	esac
done
if [ "$missing" -ne 0 ]; then
	echo "spdx-check: $missing tracked file(s) without the MIT SPDX line" >&2
	exit 1
fi
echo "spdx-check: every tracked source file carries SPDX-License-Identifier: MIT"
