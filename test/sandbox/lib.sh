# Shared helpers for the sandbox scripts (sourced, not executed).
# shellcheck shell=bash
SANDBOX_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SANDBOX_SRC/../.." && pwd)
# shellcheck source=versions.env
. "$SANDBOX_SRC/versions.env"
SLIPWAY_CACHE=${SLIPWAY_CACHE:-$HOME/.cache/slipway}
SLIPWAY_SANDBOX_DIR=${SLIPWAY_SANDBOX_DIR:-$SLIPWAY_CACHE/run}
BIN_CACHE=$SLIPWAY_CACHE/bin

log() { printf '[sandbox %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# now_ms: wall clock in milliseconds (for timings).
now_ms() { date +%s%3N; }
