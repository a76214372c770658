#!/bin/sh
# tests/package/run.sh DEBDIR: install the built package (make deb) into
# a throwaway Debian 12 root made with mmdebstrap from Debian's archive,
# the way apt installs it on a board (dependencies resolved, maintainer
# scripts run), and check it there.  TAP output; make check-deb runs it
# (not make check: it needs the archive and takes a minute or two).
set -u
debdir=$1
deb=$(ls "$debdir"/jifen_*.deb 2>/dev/null | head -n 1)
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0
fails=0
tap() {	# tap OK|FAIL NAME [DETAIL]
	n=$((n + 1))
	if [ "$1" = OK ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}
check() {	# check NAME CMD...: ok when CMD exits 0
	name=$1
	shift
	if out=$("$@" 2>&1); then
		tap OK "$name"
	else
		tap FAIL "$name" "$out"
	fi
}
in_root() {
	chroot "$root" "$@"
}

if [ -z "$deb" ]; then
	echo "not ok 1 - no package in $debdir: run make deb"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/jifen-pkg.XXXXXX")
root="$tmp/root"
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT INT TERM
cp "$deb" "$tmp/"
if ! mmdebstrap --verbose --variant=apt --mode=root \
	--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
	--include="$tmp/$(basename "$deb")" bookworm "$root" \
	>"$tmp/mmdebstrap.log" 2>&1; then
	tap FAIL "mmdebstrap with the package" "$(tail -n 20 "$tmp/mmdebstrap.log")"
	echo "1..$n"
	exit 1
fi
tap OK "installed into a fresh bookworm root with its dependencies (apt)"

check "dpkg says installed" \
	sh -c "chroot '$root' dpkg-query -W -f='\${Status}' jifen | grep -qx 'install ok installed'"
check "jifend -n accepts the packaged configuration" \
	sh -c "chroot '$root' /usr/sbin/jifend -n -c /etc/jifen/jifen.conf | grep -qx 'configuration OK'"
check "jifend -n names a bad key with file and line" \
	sh -c "printf 'village = { id = \"x\"; nmae = \"y\"; };\n' >'$root/tmp/bad.conf';
	       ! chroot '$root' /usr/sbin/jifend -n -c /tmp/bad.conf 2>'$root/tmp/err' &&
	       grep -q '^/tmp/bad.conf:1: village.nmae' '$root/tmp/err'"
check "jifend and jifenctl answer --version" \
	sh -c "chroot '$root' /usr/sbin/jifend --version | grep -q '^jifend ' &&
	       chroot '$root' /usr/bin/jifenctl --version | grep -q '^jifenctl '"
check "the configuration is a conffile" \
	sh -c "chroot '$root' dpkg-query -W -f='\${Conffiles}' jifen | grep -q '/etc/jifen/jifen.conf'"
check "the configuration is root:jifen 0640 (may hold the SIM PIN)" \
	sh -c "[ \"\$(chroot '$root' stat -c '%U:%G %a' /etc/jifen/jifen.conf)\" = 'root:jifen 640' ]"
check "system user jifen exists, in group dialout, no login shell" \
	sh -c "chroot '$root' id -nG jifen | grep -qw dialout &&
	       chroot '$root' getent passwd jifen | grep -q ':/usr/sbin/nologin\$'"
check "man pages installed" \
	sh -c "for p in man8/jifend.8.gz man8/jifenctl.8.gz man5/jifen.conf.5.gz; do
		   [ -s '$root/usr/share/man/'\$p ] || exit 1; done"
check "systemd unit and udev rule installed" \
	test -s "$root/lib/systemd/system/jifend.service" -a \
	     -s "$root/lib/udev/rules.d/70-jifen-modem.rules"
if command -v systemd-analyze >/dev/null; then
	# the unit's commands must exist in the root and its settings
	# parse; its man: references are checked above, and the root has
	# neither man-db nor systemd's own units (sysinit.target ...)
	check "systemd-analyze verify jifend.service" \
		sh -c "systemd-analyze verify --root='$root' /lib/systemd/system/jifend.service 2>&1 |
		       grep -v \"Command 'man \\|Unit [a-z.-]*target not found\" |
		       { ! grep .; }"
fi
check "jifenctl works as the jifen user on a new database" \
	sh -c "mkdir -p '$root/var/lib/jifen' && chroot '$root' chown jifen:jifen /var/lib/jifen &&
	       printf 'household,name,phone,role,pin\nH01,a,13800000001,villager,\n' >'$root/tmp/v.csv' &&
	       chroot '$root' setpriv --reuid=jifen --regid=jifen --init-groups \
		   /usr/bin/jifenctl -c /etc/jifen/jifen.conf import /tmp/v.csv"
check "purge removes the package, keeps the village's data" \
	sh -c "chroot '$root' dpkg --purge jifen >/dev/null &&
	       [ ! -e '$root/etc/jifen/jifen.conf' ] && [ -d '$root/var/lib/jifen' ]"
echo "1..$n"
[ "$fails" -eq 0 ]
