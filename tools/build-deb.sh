#!/bin/sh
# tools/build-deb.sh VERSION OUT: build the Debian package (make deb).
# The source tree (without build output and .git) is copied to
# OUT/jifen-VERSION, dpkg-buildpackage -us -uc -b runs there so its
# results land in OUT/, not next to the work tree, and lintian checks
# the result: any error or warning fails the build.
set -e
version=$1
out=$2
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
dv=$(dpkg-parsechangelog -S Version)
if [ "$dv" != "$version" ]; then
	echo "build-deb: debian/changelog is at $dv, the Makefile at $version:" \
		"add a changelog entry (dch -v $version)" >&2
	exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
src="$out/jifen-$version"
rm -rf "$src" "$out"/jifen_"$version"_*
mkdir -p "$src"
tar -C "$top" --exclude=./build --exclude=./build-armhf --exclude=./.git \
	--exclude='*.o' --exclude=__pycache__ -cf - . | tar -C "$src" -xf -
(cd "$src" && dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) || {
	tail -n 30 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed, log in $out/build.log" >&2
	exit 1
}
rm -rf "$src"
changes=$(ls "$out"/jifen_"$version"_*.changes)
deb=$(ls "$out"/jifen_"$version"_*.deb)
lintian --fail-on error,warning --no-tag-display-limit "$changes" \
	>"$out/lintian.log" 2>&1 || {
	cat "$out/lintian.log" >&2
	echo "build-deb: lintian found errors or warnings" >&2
	exit 1
}
echo "$deb ($(wc -c <"$deb") bytes), lintian clean (errors, warnings):"
dpkg-deb -c "$deb" | awk '{ print "  " $1 " " $2 " " $6 }'
