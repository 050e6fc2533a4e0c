#!/usr/bin/env bash
# `npm run demo`: the local pipeline a newcomer runs first. It builds the example service with
# `slipway build` (buildah, no daemon) into an OCI layout; when the sandbox is up (`npm run sandbox:up`)
# it goes on to `slipway scan` with the sandbox's Trivy and offline DB, and `slipway push` to the
# sandbox's ACR, signing in to its Entra ID double. Every step is the same engine the action and task run.
set -euo pipefail
cd "$(dirname "$0")/.."
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}" BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"
command -v buildah >/dev/null || { echo "buildah is missing: run 'bash scripts/install-system-deps.sh' (as root)" >&2; exit 3; }
[ -f packages/cli/dist/slipway.mjs ] || npm run build:cli
slipway() { node packages/cli/dist/slipway.mjs "$@"; }
out=$(mktemp -d "${TMPDIR:-/tmp}/slipway-demo.XXXXXX")

bash scripts/demo-base-image.sh
echo "== build"
slipway build \
  --image demo/hello \
  --context examples/hello \
  --target runtime \
  --build-args GREETING=ahoy \
  --labels org.opencontainers.image.description="Slipway demo service" \
  --tags demo \
  --output-dir "$out/oci" \
  --json > "$out/build.json"
jq -r '.outputs | "digest \(.digest)\nlayout \(.layout)\ntags\n\(.tags)"' "$out/build.json"

run_dir=${SLIPWAY_SANDBOX_DIR:-${SLIPWAY_CACHE:-$HOME/.cache/slipway}/run}
if ! bash test/sandbox/sandbox.sh status >/dev/null 2>&1; then
  echo "(the sandbox is not up: 'npm run sandbox:up' adds scan and push to this demo)"
  exit 0
fi
# shellcheck disable=SC1091
. "$run_dir/sandbox.env"
layout=$(jq -r '.outputs.layout' "$out/build.json")

echo "== scan (Trivy $TRIVY_VERSION, offline DB)"
mkdir -p "$out/trivy-cache" && cp -r "$TRIVY_CACHE_DIR/db" "$out/trivy-cache/"
PATH="$(dirname "$TRIVY"):$PATH" slipway scan --layout "$layout" --cache-dir "$out/trivy-cache" --offline \
  --sarif-file "$out/trivy.sarif"

echo "== push (to the sandbox ACR, signed in through its Entra ID double)"
doubles="$run_dir/azure-doubles.json"
login=$(jq -r '.registry.loginServer' "$doubles")
SLIPWAY_CLIENT_SECRET=$(jq -r '.apps[] | select(.name == "ci") | .secrets[0]' "$doubles") \
  slipway push --layout "$layout" --image "$login/demo/hello" --tags "$(jq -r '.result.images[0].tags | join(",")' "$out/build.json")" \
  --auth client-secret --tenant-id "$(jq -r '.tenantId' "$doubles")" \
  --client-id "$(jq -r '.apps[] | select(.name == "ci") | .clientId' "$doubles")" \
  --authority-host "$(jq -r '.authorityHost' "$doubles")"
echo "reports and layouts: $out"
