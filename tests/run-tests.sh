#!/bin/sh
# Run every test suite (cmocka unit tests, then end-to-end tests) and end
# with one line "N passed, M failed" counting every test case.
# Each suite prints TAP ("ok N - name" / "not ok N - name"); a suite that
# exits non-zero without reporting a failure (crash, sanitizer) counts as
# one failed case.
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
log=$(mktemp -d "${TMPDIR:-/tmp}/jifen-tests.XXXXXX")
passed=0
failed=0

run_suite() {
	name=$1
	shift
	out="$log/$(echo "$name" | tr / _).out"
	"$@" >"$out" 2>&1
	rc=$?
	[ -f "$out" ] || { echo "not ok - $name: no output" >"$out"; rc=1; }
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc" >>"$out"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		printf '%-28s %4d passed, %d FAILED\n' "$name" "$p" "$f"
		grep -v '^ok ' "$out" | tail -n 60 | sed 's/^/    /'
	else
		printf '%-28s %4d passed\n' "$name" "$p"
	fi
}

export CMOCKA_MESSAGE_OUTPUT=TAP
for t in "$build"/tests/test-*; do
	[ -x "$t" ] || continue
	run_suite "unit/$(basename "$t")" "$t"
done

export JIFEN_BUILD="$top/$build"
for t in "$top"/tests/e2e/test_*.py; do
	[ -f "$t" ] || continue
	run_suite "e2e/$(basename "$t" .py)" python3 "$t"
done

rm -rf "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
