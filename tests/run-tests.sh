#!/bin/sh
# Run every test suite (cmocka unit tests, then end-to-end tests) and end
# with one line "N passed, M failed" counting every test case.
# Each suite prints TAP ("ok N - name" / "not ok N - name"); a suite that
# exits non-zero without reporting a failure (crash, sanitizer) counts as
# one failed case.  End-to-end suites mostly wait on the daemon, so they
# run JIFEN_JOBS (default 3) at a time.
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp -d "${TMPDIR:-/tmp}/jifen-tests.XXXXXX")
jobs=${JIFEN_JOBS:-3}
passed=0
failed=0
skipped=0

outfile() {
	echo "$log/$(echo "$1" | tr / _).out"
}

# run_suite NAME CMD...: run it, leave TAP in the output file, rc in .rc
run_suite() {
	name=$1
	shift
	out=$(outfile "$name")
	"$@" >"$out" 2>&1
	echo $? >"$out.rc"
}

# report NAME: count the suite's cases and print its line
report() {
	out=$(outfile "$1")
	rc=$(cat "$out.rc" 2>/dev/null || echo 1)
	[ -f "$out" ] || echo "not ok - $1: no output" >"$out"
	s=$(grep -c '^ok .*# SKIP' "$out")
	p=$(($(grep -c '^ok ' "$out") - s))
	f=$(grep -c '^not ok ' "$out")
	skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $1 exited with status $rc" >>"$out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		printf '%-28s %4d passed, %d FAILED\n' "$1" "$p" "$f"
		grep -v '^ok ' "$out" | tail -n 60 | sed 's/^/    /'
	else
		if [ "$s" -ne 0 ]; then
			printf '%-28s %4d passed, %d skipped\n' "$1" "$p" "$s"
			grep '# SKIP' "$out" | sed 's/^/    /'
		else
			printf '%-28s %4d passed\n' "$1" "$p"
		fi
	fi
}

# make valgrind: unit tests under memcheck too (leaks are errors)
vg=""
if [ "${JIFEN_VALGRIND:-}" = 1 ]; then
	vg="valgrind -q --error-exitcode=99 --leak-check=full"
	vg="$vg --errors-for-leak-kinds=definite --vgdb=no"
fi

export CMOCKA_MESSAGE_OUTPUT=TAP
for t in "$build"/tests/test-*; do
	[ -x "$t" ] || continue
	name="unit/$(basename "$t")"
	run_suite "$name" $vg "$t"
	report "$name"
done

# every fuzz target's committed corpus, replayed without libFuzzer
for t in "$build"/tests/replay-*; do
	[ -x "$t" ] || continue
	target=${t##*/replay-}
	name="fuzz/$target"
	run_suite "$name" $vg "$t" "$top/tests/fuzz/corpus/$target"
	report "$name"
done

# Debian's interpreter, where python3-selenium and friends are installed
# (a python3 earlier on PATH, e.g. pyenv's, does not see them)
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

export JIFEN_BUILD="$top/$build"
names=""
running=0
for t in "$top"/tests/e2e/test_*.py; do
	[ -f "$t" ] || continue
	name="e2e/$(basename "$t" .py)"
	names="$names $name"
	run_suite "$name" $py "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
for name in $names; do
	report "$name"
done

rm -rf "$log"
if [ "$skipped" -ne 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
