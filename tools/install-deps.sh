#!/bin/sh
# Install the Debian packages named on the command line that are missing.
# Idempotent and quiet when everything is already there.
set -e
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
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -q update >/dev/null || true
$SUDO apt-get -y -q install --no-install-recommends $missing >/dev/null
