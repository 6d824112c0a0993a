#!/usr/bin/env bash
# hax with real Motr: builds the native shim with the motr backend against
# MOTR_ROOT (scripts/motr/build.sh made it) and runs the eight real-Motr
# scenarios of test/motr/e2e.test.ts (real m0mkfs and m0d, a real Consul
# agent, `hax run --backend motr`), printing their table (docs/motr.md).
#
#   MOTR_ROOT=.cache/motr/src bash scripts/motr/e2e.sh
#
# The shim stays built with the motr backend afterwards (the socket backend
# works in it too); `npm run build:native:socket` goes back to the default.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${MOTR_ROOT:?set MOTR_ROOT to a cortx-motr tree built by scripts/motr/build.sh}"
MOTR_ROOT=$(cd "$MOTR_ROOT" && pwd)
export MOTR_ROOT
[ -e "$MOTR_ROOT/motr/.libs/libmotr.so" ] || { echo "e2e: $MOTR_ROOT/motr/.libs/libmotr.so missing: run scripts/motr/build.sh $MOTR_ROOT" >&2; exit 2; }

echo "e2e: building the native shim with the motr backend"
npm run --silent build:native:motr >/tmp/hax-motr-shim-build.log 2>&1 || { tail -30 /tmp/hax-motr-shim-build.log >&2; exit 1; }

log=$(mktemp /tmp/hax-motr-e2e.XXXXXX.log)
set +e
node --import tsx test/motr/e2e.test.ts >"$log" 2>&1
rc=$?
set -e
# The table the test prints, then uvu's totals; the whole output stays in $log.
sed -n '/^real-Motr scenarios/,$p' "$log" | grep -v '^\s*$'
[ $rc -eq 0 ] || { echo "e2e: FAILED (exit $rc); full output: $log" >&2; grep -A8 'FAIL' "$log" | head -60 >&2; }
exit $rc
