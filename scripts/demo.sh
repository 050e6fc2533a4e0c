#!/usr/bin/env bash
# `npm run demo`: the local pipeline a newcomer runs first. Today: build the example service with
# `slipway build` (buildah, no daemon) into an OCI layout, and show the result.
set -euo pipefail
cd "$(dirname "$0")/.."
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}" BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"
command -v buildah >/dev/null || { echo "buildah is missing: run 'bash scripts/install-system-deps.sh' (as root)" >&2; exit 3; }
[ -f packages/cli/dist/slipway.mjs ] || npm run build:cli
bash scripts/demo-base-image.sh
node packages/cli/dist/slipway.mjs build \
  --image localhost:5000/demo/hello \
  --context examples/hello \
  --target runtime \
  --build-args GREETING=ahoy \
  --labels org.opencontainers.image.description="Slipway demo service" \
  --tags demo \
  "$@"
