#!/usr/bin/env bash
# Idempotent installer for the sandbox's tools. Everything is cached outside the repo under
# ${SLIPWAY_CACHE:-$HOME/.cache/slipway}/bin/<tool>-<version>/, and a component is skipped
# when its cached binary already reports the expected version.
#
# Usage: install.sh [component ...]   (default: all)
# Components: apt helm3 helm4 kwok k8s etcd trivy trivydb pki gatewayapi
# Go builds use the default GOMODCACHE/GOCACHE (outside the repo) and never download a
# prebuilt binary: Debian packages come from apt, Go programs from the Go module proxy.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
TIMES_FILE=$SLIPWAY_CACHE/install-times.tsv
mkdir -p "$BIN_CACHE"

# version_ok BINARY PATTERN ARGS...: binary exists and its output of ARGS matches PATTERN.
version_ok() {
  local bin=$1 pattern=$2; shift 2
  [[ -x $bin ]] || return 1
  local out
  out=$("$bin" "$@" 2>&1) || return 1
  [[ $out == *"$pattern"* ]]
}

# version_is BINARY EXACT ARGS...: the binary prints exactly EXACT (one line) for ARGS.
version_is() {
  local bin=$1 want=$2; shift 2
  [[ -x $bin ]] || return 1
  [[ $("$bin" "$@" 2>/dev/null) == "$want" ]]
}

# go_install_to DEST_DIR LDFLAGS PKG@VERSION...: `go install` into a temp GOBIN, then move.
go_install_to() {
  local dest=$1 ldflags=$2; shift 2
  local tmp; tmp=$(mktemp -d "$BIN_CACHE/.tmp.XXXXXX")
  GOBIN=$tmp go install -trimpath -ldflags "$ldflags" "$@" || { rm -rf "$tmp"; return 1; }
  mkdir -p "$dest"
  mv "$tmp"/* "$dest"/
  rmdir "$tmp"
}

# ---------------------------------------------------------------------------------------------
install_apt() {
  local pkgs=(buildah skopeo docker-registry prometheus jq openssl busybox-static uidmap curl apache2-utils)
  local missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then log "apt: all present"; return 0; fi
  log "apt: installing ${missing[*]}"
  local sudo=(); [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

install_helm3() {
  local v=$HELM3_VERSION dir=$BIN_CACHE/helm-$HELM3_VERSION
  if version_is "$dir/helm" "$v" version --template '{{.Version}}'; then log "helm3 $v: cached"; return 0; fi
  local minor; minor=$(kube_minor)
  # Same -X flags as Helm's Makefile, so `helm version` and default capabilities are right.
  local m=helm.sh/helm/v3
  local ldf="-s -w -X $m/internal/version.version=$v "
  ldf+=" -X $m/internal/version.gitTreeState=clean"
  ldf+=" -X $m/pkg/chartutil.k8sVersionMajor=1 -X $m/pkg/chartutil.k8sVersionMinor=$minor"
  ldf+=" -X $m/pkg/lint/rules.k8sVersionMajor=1 -X $m/pkg/lint/rules.k8sVersionMinor=$minor"
  log "helm3 $v: building"
  go_install_to "$dir" "$ldf" "helm.sh/helm/v3/cmd/helm@$v"
  version_is "$dir/helm" "$v" version --template '{{.Version}}' || die "helm3 does not report $v"
}

install_helm4() {
  local v=$HELM4_VERSION dir=$BIN_CACHE/helm-$HELM4_VERSION
  if version_is "$dir/helm" "$v" version --template '{{.Version}}'; then log "helm4 $v: cached"; return 0; fi
  local m=helm.sh/helm/v4
  # Helm 4 derives client-go/capability versions from debug.ReadBuildInfo; only the version is stamped.
  local ldf="-s -w -X $m/internal/version.version=$v "
  ldf+=" -X $m/internal/version.gitTreeState=clean"
  log "helm4 $v: building"
  go_install_to "$dir" "$ldf" "helm.sh/helm/v4/cmd/helm@$v"
  version_is "$dir/helm" "$v" version --template '{{.Version}}' || die "helm4 does not report $v"
}

install_kwok() {
  local v=$KWOK_VERSION dir=$BIN_CACHE/kwok-$KWOK_VERSION
  if version_ok "$dir/kwokctl" "${v#v}" --version && version_ok "$dir/kwok" "${v#v}" --version; then
    log "kwok $v: cached"; return 0
  fi
  log "kwok $v: building"
  go_install_to "$dir" "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$v" "sigs.k8s.io/kwok/cmd/kwokctl@$v"
  version_ok "$dir/kwokctl" "${v#v}" --version || die "kwokctl does not report $v"
}

kube_minor() { local x=${KUBE_VERSION#v1.}; echo "${x%%.*}"; }

install_k8s() {
  local v=$KUBE_VERSION dir=$BIN_CACHE/kubernetes-$KUBE_VERSION b ok=1
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    version_ok "$dir/$b" "Kubernetes $v" --version || ok=0
  done
  if ((ok)); then log "kubernetes $v: cached"; return 0; fi
  local mod=$SANDBOX_SRC/tools/k8sbins
  grep -q "k8s.io/kubernetes $v" "$mod/go.mod" ||
    die "tools/k8sbins/go.mod is not for $v; run: bash test/sandbox/tools/k8sbins/gen-gomod.sh $v"
  local minor; minor=$(kube_minor)
  local ldf="-s -w" k
  for k in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf+=" -X $k.gitVersion=$v -X $k.gitMajor=1 -X $k.gitMinor=$minor -X $k.gitTreeState=clean"
    ldf+=" -X $k.gitCommit=module-proxy-$v -X $k.buildDate=1970-01-01T00:00:00Z"
  done
  log "kubernetes $v: building kube-apiserver, kube-controller-manager, kube-scheduler (slow when cold)"
  local tmp; tmp=$(mktemp -d "$BIN_CACHE/.tmp.XXXXXX")
  (cd "$mod" && /usr/bin/env time -f '%M' -o "$tmp/.maxrss" go build -trimpath -ldflags "$ldf" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler) || { rm -rf "$tmp"; return 1; }
  log "kubernetes $v: peak RSS of the build (largest process) $(($(cat "$tmp/.maxrss") / 1024)) MiB"
  mkdir -p "$dir"; mv "$tmp"/kube-* "$dir"/; rm -rf "$tmp"
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    version_ok "$dir/$b" "Kubernetes $v" --version || die "$b does not report $v"
  done
}

install_etcd() {
  local v=$ETCD_VERSION dir=$BIN_CACHE/etcd-$ETCD_VERSION
  if version_ok "$dir/etcd" "etcd Version: ${v#v}" --version; then log "etcd $v: cached"; return 0; fi
  local mod=$SANDBOX_SRC/tools/etcd
  log "etcd $v: building"
  local tmp; tmp=$(mktemp -d "$BIN_CACHE/.tmp.XXXXXX")
  (cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" .) || { rm -rf "$tmp"; return 1; }
  mkdir -p "$dir"; mv "$tmp/etcd" "$dir/etcd"; rm -rf "$tmp"
  version_ok "$dir/etcd" "etcd Version: ${v#v}" --version || die "etcd does not report $v"
}

install_trivy() {
  local v=$TRIVY_VERSION dir=$BIN_CACHE/trivy-$TRIVY_VERSION
  if version_ok "$dir/trivy" "Version: ${v#v}" --version; then log "trivy $v: cached"; return 0; fi
  log "trivy $v: building (slow when cold)"
  # Trivy uses encoding/json/v2; its goreleaser/magefile build sets GOEXPERIMENT=jsonv2.
  GOEXPERIMENT=jsonv2 go_install_to "$dir" "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${v#v}" \
    "github.com/aquasecurity/trivy/cmd/trivy@$v"
  version_ok "$dir/trivy" "Version: ${v#v}" --version || die "trivy does not report $v"
}

# The offline Trivy DB, keyed by a hash of the fixtures and the generator's sources.
trivydb_key() {
  cat "$REPO_ROOT"/test/fixtures/trivy-db/*.yaml "$SANDBOX_SRC"/tools/trivydb/go.mod \
    "$SANDBOX_SRC"/tools/trivydb/*.go | sha256sum | cut -c1-16
}
trivy_db_dir() { echo "$SLIPWAY_CACHE/trivy-db/$(trivydb_key)"; }

install_trivydb() {
  local out; out=$(trivy_db_dir)
  if [[ -s $out/db/trivy.db && -s $out/db/metadata.json ]]; then log "trivy db: cached ($out)"; return 0; fi
  log "trivy db: generating from test/fixtures/trivy-db"
  local tmp; tmp=$(mktemp -d "$SLIPWAY_CACHE/.trivydb.XXXXXX")
  (cd "$SANDBOX_SRC/tools/trivydb" && go build -trimpath -o "$tmp/trivydb" .)
  "$tmp/trivydb" -fixtures "$REPO_ROOT/test/fixtures/trivy-db" -cache-dir "$tmp/cache"
  mkdir -p "$(dirname "$out")"; rm -rf "$out"; mv "$tmp/cache" "$out"; rm -rf "$tmp"
}

# A local CA and a server certificate for 127.0.0.1/localhost (registry, Azure doubles).
install_pki() {
  local dir=$SLIPWAY_CACHE/pki
  if [[ -s $dir/ca.crt && -s $dir/server.crt && -s $dir/server.key ]] &&
    openssl x509 -in "$dir/server.crt" -noout -checkend 86400 >/dev/null 2>&1; then
    log "pki: cached ($dir)"; return 0
  fi
  log "pki: generating CA and server certificate"
  mkdir -p "$dir"; chmod 700 "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -subj "/CN=Slipway sandbox CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  cat > "$dir/server.ext" <<EXT
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
  openssl x509 -req -sha256 -days 825 -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
  rm -f "$dir/server.csr" "$dir/server.ext"
  chmod 600 "$dir"/*.key
}

# Gateway API CRDs (standard channel) generated from the sigs.k8s.io/gateway-api module, the way its own
# hack/update-codegen.sh does: `go run ./pkg/generator`. That generator is controller-tools used as a
# library (crd.Parser at the version gateway-api's go.mod pins) plus what the controller-gen binary
# cannot do: it drops fields marked <gateway:experimental> from the standard channel, applies the
# channel's <gateway:standard:validation:...> rules and stamps the bundle-version/channel annotations.
# Plain `controller-gen crd` over apis/ would give CRDs with the experimental fields and without those
# rules, i.e. not what a cluster with the standard channel installed serves.
# Output: $SLIPWAY_CACHE/gateway-api/<version>/standard-install.yaml (laid out like the release asset,
# hack/build-install-yaml.sh) and standard/*.yaml.
gateway_api_dir() { echo "$SLIPWAY_CACHE/gateway-api/$GATEWAY_API_VERSION"; }

install_gatewayapi() {
  local v=$GATEWAY_API_VERSION out; out=$(gateway_api_dir)
  if [[ -s $out/standard-install.yaml ]] &&
    grep -q "gateway.networking.k8s.io/bundle-version: $v\$" "$out/standard-install.yaml"; then
    log "gateway-api $v CRDs: cached ($out)"; return 0
  fi
  log "gateway-api $v CRDs: generating (pkg/generator, controller-tools $GATEWAY_API_CONTROLLER_TOOLS)"
  local tmp; tmp=$(mktemp -d "$SLIPWAY_CACHE/.gatewayapi.XXXXXX")
  # `go mod download` outside any module: the repo's tools/* modules must not resolve it.
  local mod
  mod=$(cd "$tmp" && go mod download -json "sigs.k8s.io/gateway-api@$v" | jq -r '.Dir // empty') ||
    { rm -rf "$tmp"; die "go mod download sigs.k8s.io/gateway-api@$v failed"; }
  [[ -n $mod && -d $mod/pkg/generator ]] || { rm -rf "$tmp"; die "sigs.k8s.io/gateway-api@$v has no pkg/generator"; }
  # The pin is checked, not assumed: the generator links whatever controller-tools this go.mod requires.
  grep -q "sigs.k8s.io/controller-tools $GATEWAY_API_CONTROLLER_TOOLS\$" "$mod/go.mod" ||
    { rm -rf "$tmp"; die "gateway-api $v does not pin controller-tools $GATEWAY_API_CONTROLLER_TOOLS (versions.env); its go.mod: $(grep controller-tools "$mod/go.mod")"; }
  # The module cache is read-only and the generator writes config/crd/<channel>/ relative to its cwd.
  cp -r "$mod" "$tmp/src"; chmod -R u+w "$tmp/src"
  mv "$tmp/src/config/crd" "$tmp/published"
  mkdir -p "$tmp/src/config/crd/standard" "$tmp/src/config/crd/experimental"
  (cd "$tmp/src" && GOFLAGS=-mod=readonly go run ./pkg/generator) >"$tmp/generator.log" 2>&1 ||
    { tail -20 "$tmp/generator.log" >&2; rm -rf "$tmp"; die "gateway-api generator failed"; }
  local gen=$tmp/src/config/crd/standard f
  [[ -s $gen/gateway.networking.k8s.io_httproutes.yaml ]] || { rm -rf "$tmp"; die "gateway-api generator wrote no HTTPRoute CRD"; }
  # Provenance check: the same bytes as the CRDs gateway-api commits for this release.
  if diff -r "$gen" "$tmp/published/standard" >/dev/null; then
    log "gateway-api $v CRDs: identical to the module's config/crd/standard"
  else
    log "WARNING: generated gateway-api $v CRDs differ from the module's config/crd/standard"
  fi
  mkdir -p "$tmp/out/standard"
  cp "$gen"/*.yaml "$tmp/out/standard/"
  {
    echo "# Generated by test/sandbox/install.sh from sigs.k8s.io/gateway-api@$v (go run ./pkg/generator)."
    echo "# Gateway API Standard channel install"
    for f in "$gen"/gateway*.yaml; do
      printf -- '---\n#\n# config/crd/standard/%s\n#\n' "$(basename "$f")"
      cat "$f"
    done
  } >"$tmp/out/standard-install.yaml"
  mkdir -p "$(dirname "$out")"; rm -rf "$out"; mv "$tmp/out" "$out"; rm -rf "$tmp"
  log "gateway-api $v CRDs: $(grep -c '^kind: CustomResourceDefinition' "$out/standard-install.yaml") CRDs in $out/standard-install.yaml"
}

# ---------------------------------------------------------------------------------------------
if [[ ${1:-} == --print-trivy-db-dir ]]; then trivy_db_dir; exit 0; fi
if [[ ${1:-} == --print-gateway-api-dir ]]; then gateway_api_dir; exit 0; fi
all=(apt pki helm3 helm4 kwok etcd k8s trivy trivydb gatewayapi)
components=("$@"); ((${#components[@]})) || components=("${all[@]}")
total_start=$(now_ms)
for c in "${components[@]}"; do
  declare -F "install_$c" >/dev/null || die "unknown component: $c (known: ${all[*]})"
  start=$(now_ms)
  "install_$c"
  ms=$(($(now_ms) - start))
  printf '%s\t%s\t%d\n' "$(date -u +%FT%TZ)" "$c" "$ms" >> "$TIMES_FILE"
  log "$c done in $((ms / 1000)).$((ms % 1000 / 100))s"
done
ms=$(($(now_ms) - total_start))
log "install finished in $((ms / 1000)).$((ms % 1000 / 100))s"
