#!/bin/sh
# Install the Debian packages named on the command line that are missing.
# Idempotent and quiet when everything is already there.
#   tools/install-deps.sh [--arch ARCH] PACKAGE...
# --arch adds ARCH as a foreign architecture first (for PACKAGE:ARCH).
set -e
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
arch=
if [ "$1" = "--arch" ]; then
	arch=$2
	shift 2
fi
missing=""
for p in "$@"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
if [ -n "$arch" ] && [ "$arch" != "$(dpkg --print-architecture)" ] &&
   ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	$SUDO dpkg --add-architecture "$arch"
fi
$SUDO apt-get -q update >/dev/null || true
$SUDO apt-get -y -q install --no-install-recommends \
	-o DPkg::Lock::Timeout=600 $missing >/dev/null
