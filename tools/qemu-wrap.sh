#!/bin/sh
# tools/qemu-wrap.sh BUILD OUT: make OUT a build directory whose programs
# run BUILD's foreign-architecture binaries under qemu-user, for the tests
# (make check-armhf).  Each executable of BUILD (the programs, tests/test-*,
# fault/jifend) gets a two-line wrapper of the same name in OUT that
# execs qemu-arm-static on it: no binfmt_misc registration is needed, and
# the process id the tests see is the emulated program's.
# (the programs, tests/test-*, tests/replay-*, fault/jifend)
# The armhf shared libraries come from Debian's multiarch packages
# (libsqlite3-0:armhf ...), so the emulator finds them under /.
set -e
build=$(cd "$1" && pwd)
out=$2
qemu=${QEMU:-qemu-arm-static}
command -v "$qemu" >/dev/null || {
	# LD_PRELOAD shims of the tests (armhf too): the tests pass them to the
# emulated program with QEMU_SET_ENV
for f in "$build"/tests/*.so; do
	[ -f "$f" ] && ln -s "$f" "$out/tests/"
done
echo "qemu-wrap: $qemu missing: apt-get install qemu-user-static" >&2
	exit 1
}
rm -rf "$out"
mkdir -p "$out/tests" "$out/fault"
n=0
for f in "$build"/* "$build"/tests/test-* "$build"/tests/replay-* \
	"$build"/fault/jifend; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	case "$f" in *.stripped) continue ;; esac
	rel=${f#"$build"/}
	printf '#!/bin/sh\nexec %s %s "$@"\n' "$qemu" "$f" >"$out/$rel"
	chmod 755 "$out/$rel"
	n=$((n + 1))
done
# LD_PRELOAD shims of the tests (armhf too): the tests pass them to the
# emulated program with QEMU_SET_ENV
for f in "$build"/tests/*.so; do
	[ -f "$f" ] && ln -s "$f" "$out/tests/"
done
echo "qemu-wrap: $n programs of $build run under $qemu from $out"
