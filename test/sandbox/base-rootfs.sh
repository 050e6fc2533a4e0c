#!/usr/bin/env bash
# Make the root filesystem of the sandbox's tiny base image in DIR: Debian's busybox-static with
# its applet links, plus just enough Debian 12 metadata (/etc/os-release, /etc/debian_version,
# a dpkg status file listing base-files and zlib1g) for Trivy to see a Debian image with
# packages it can match against test/fixtures/trivy-db.
# Usage: base-rootfs.sh DIR
set -euo pipefail
root=${1:?usage: base-rootfs.sh DIR}
busybox=/bin/busybox
[[ -x $busybox ]] || { echo "base-rootfs.sh: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }
file -b "$busybox" 2>/dev/null | grep -q 'dynamically' && { echo "base-rootfs.sh: $busybox is not static" >&2; exit 1; }
mkdir -p "$root"/{bin,etc,tmp,root,var/lib/dpkg,usr/share/doc,app}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [[ $applet == busybox ]] || ln -sf busybox "$root/bin/$applet"
done
cat > "$root/etc/os-release" <<'OS'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
OS
echo "12.11" > "$root/etc/debian_version"
cat > "$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat > "$root/etc/group" <<'GR'
root:x:0:
nogroup:x:65534:
GR
cat > "$root/var/lib/dpkg/status" <<'DPKG'
Package: base-files
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 341
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Version: 12.4+deb12u11
Description: Debian base system miscellaneous files

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Provides: libz1
Depends: libc6 (>= 2.14)
Description: compression library - runtime

DPKG
