#!/usr/bin/env bash
# Debian packages the product's tests and demo need. Idempotent; only installs what is missing.
set -euo pipefail
# chromium: the headless browser of the HTML report test (test/integration/report), driven by playwright-core.
packages=(buildah skopeo busybox-static jq git chromium)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"
fi
