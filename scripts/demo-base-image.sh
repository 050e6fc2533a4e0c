#!/usr/bin/env bash
# Makes localhost/slipway-demo-base:1 from Debian's busybox-static so that builds work with no registry
# to pull from. Idempotent: does nothing when the image exists.
set -euo pipefail
image=localhost/slipway-demo-base:1
if buildah inspect --type image "$image" >/dev/null 2>&1; then exit 0; fi
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs/bin" "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in sh echo cat mkdir ls cp wc test true printf rm; do ln -s busybox "$rootfs/bin/$applet"; done
ctr=$(buildah from scratch)
buildah copy "$ctr" "$rootfs/" / >/dev/null
buildah config --env PATH=/bin --cmd /bin/sh "$ctr"
buildah commit --rm "$ctr" "$image" >/dev/null
echo "made $image"
