#!/usr/bin/env bash
# End-to-end check of the sandbox itself: up (timed), status, the sandbox integration tests,
# down, then proof that no sandbox process is left and that status reports it down.
# Usage: bash test/sandbox/selftest.sh        (leaves the sandbox down)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

start=$(now_ms)
bash test/sandbox/sandbox.sh up
log "selftest: up took $((($(now_ms) - start) / 1000))s"
bash test/sandbox/sandbox.sh status

status=0
SLIPWAY_SANDBOX_REQUIRED=1 npx vitest run test/integration/sandbox || status=$?

bash test/sandbox/sandbox.sh down
left=$(ps -eo pid=,args= | grep -F -e "$SLIPWAY_SANDBOX_DIR/" -e "$BIN_CACHE/" -e "test/sandbox/metrics-app.mjs" |
  grep -v -e grep -e selftest.sh || true)
if [[ -n $left ]]; then
  log "selftest: FAIL: processes left after down:"; echo "$left" >&2; exit 1
fi
if bash test/sandbox/sandbox.sh status >/dev/null 2>&1; then
  log "selftest: FAIL: status reports up after down"; exit 1
fi
log "selftest: down left no process; status reports down"
exit $status
