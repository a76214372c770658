#!/bin/sh
# Run each libFuzzer target for a bounded time on a copy of its committed
# seed corpus (tests/fuzz/corpus/NAME); stop on the first crash.
set -e
secs=$1
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/jifen-fuzz.XXXXXX")
for t in "$@"; do
	mkdir -p "$work/$t"
	if [ -d "$top/tests/fuzz/corpus/$t" ]; then
		cp -r "$top/tests/fuzz/corpus/$t/." "$work/$t/"
	fi
	echo "fuzz-$t: ${secs}s"
	"$top/build/fuzz/fuzz-$t" -max_total_time="$secs" -rss_limit_mb=1024 \
		-max_len=4096 -print_final_stats=0 \
		-artifact_prefix="$work/crash-$t-" "$work/$t" 2>"$work/$t.log" || {
		tail -n 40 "$work/$t.log"
		echo "fuzz-$t FAILED; crash input kept in $work"
		exit 1
	}
	grep -E '^#[0-9]+.*DONE' "$work/$t.log" | tail -n 1 || true
done
rm -rf "$work"
