#!/usr/bin/env bash
# `npm run demo`: the local pipeline a newcomer runs first. It builds the example service with
# `slipway build` (buildah, no daemon) into an OCI layout; when the sandbox is up (`npm run sandbox:up`)
# it goes on to `slipway scan` with the sandbox's Trivy and offline DB, `slipway push` to the sandbox's
# ACR (signing in to its Entra ID double), `slipway aks-context` for its Entra ID cluster, and `slipway
# deploy` of the pushed image by digest: once healthy, once crash-looping, which Slipway rolls back on its
# own. Every step is the same engine the action and task run.
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
  --authority-host "$(jq -r '.authorityHost' "$doubles")" --json > "$out/push.json"
image=$(jq -r '.outputs.image' "$out/push.json")
echo "pushed $image"

echo "== aks-context (the sandbox's Entra ID cluster, no kubelogin)"
namespace=slipway-demo
# The deploying principal may not create namespaces (as in a real AKS team setup): the admin makes it once.
kubectl --kubeconfig "$KUBECONFIG" get namespace "$namespace" >/dev/null 2>&1 || kubectl --kubeconfig "$KUBECONFIG" create namespace "$namespace" >/dev/null
client_id=$(jq -r '.apps[] | select(.name == "ci") | .clientId' "$doubles")
export SLIPWAY_CLIENT_SECRET
SLIPWAY_CLIENT_SECRET=$(jq -r '.apps[] | select(.name == "ci") | .secrets[0]' "$doubles")
slipway aks-context --subscription-id "$SANDBOX_AKS_SUBSCRIPTION" --resource-group "$SANDBOX_AKS_RESOURCE_GROUP" \
  --cluster-name "$SANDBOX_AKS_ENTRA_CLUSTER" --namespace "$namespace" --auth client-secret \
  --tenant-id "$SANDBOX_TENANT_ID" --client-id "$client_id" --authority-host "$AZURE_DOUBLES_URL" \
  --arm-endpoint "$AZURE_DOUBLES_URL" --keep-kubeconfig > "$out/aks-context.md"
cat "$out/aks-context.md"
eval "$(grep '^export ' "$out/aks-context.md")"

deploy() { PATH="$(dirname "$HELM4"):$(dirname "$TRIVY"):$PATH" slipway deploy --release hello --chart test/fixtures/charts/slipway-demo \
  --image "$image" --timeout 60s "$@"; }
echo "== deploy (healthy: watched until rolled out)"
deploy --set "version=demo-1"
echo "== deploy (crash-looping: Slipway rolls it back by itself, exit 1 expected)"
if deploy --set "version=demo-2
failureMode=crashloop"; then echo "the crash-looping deploy was not rolled back" >&2; exit 1; fi
echo "the release is back on its last good revision:"
"$HELM4" history hello --namespace "$namespace" --kubeconfig "$KUBECONFIG" --max 3
rm -rf "$(dirname "$KUBECONFIG")"
echo "reports and layouts: $out"
