#!/usr/bin/env bash
# `npm run demo`: the local pipeline a newcomer runs first. It builds the example service with
# `slipway build` (buildah, no daemon) into an OCI layout; when the sandbox is up (`npm run sandbox:up`)
# it goes on to `slipway scan` with the sandbox's Trivy and offline DB, `slipway push` to the sandbox's
# ACR (signing in to its Entra ID double), `slipway aks-context` for its Entra ID cluster, and `slipway
# deploy` of the pushed image by digest: once healthy, once crash-looping, which Slipway rolls back on its
# own; then two canaries with a metric gate: one promoted, one whose error rate makes Slipway remove it.
# Every step is the same engine the action and task run.
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

# The canary's metric gate reads the sandbox's metrics app through Prometheus: its error ratio for the
# version this demo controls (the app's traffic is synthetic and steady, so the ratio is exact).
metrics_version=demo-canary
control() { curl -fsS -XPOST "$METRICS_APP_URL/control" -d "{\"version\":\"$metrics_version\",\"errorRate\":$1}" >/dev/null; }
trap 'control 0 || true' EXIT
# Started now, so that Prometheus has its series by the time the canary asks.
control 0

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

metrics="- name: error-rate
  query: sum(rate(http_requests_total{version=\"$metrics_version\",code=~\"5..\"}[5s])) / sum(rate(http_requests_total{version=\"$metrics_version\"}[5s]))
  threshold: \"<= 1%\"
  interval: 2s"
canary() { deploy --strategy canary --steps 10,25,50 --bake 3s --metrics "$metrics" --prometheus-url "$PROMETHEUS_URL" "$@"; }
echo "== deploy canary (10% -> 25% -> 50%, health and error-rate gates at each step, then promoted)"
canary --set "version=demo-3"
echo "== deploy canary with the new version failing 20% of requests (the metric gate removes it, exit 1 expected)"
control 0.2
if canary --set "version=demo-4"; then echo "the failing canary was not rolled back" >&2; exit 1; fi
control 0
echo "stable still runs the promoted revision:"
"$HELM4" history hello --namespace "$namespace" --kubeconfig "$KUBECONFIG" --max 2
rm -rf "$(dirname "$KUBECONFIG")"
echo "reports and layouts: $out"
