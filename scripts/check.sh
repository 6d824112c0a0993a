#!/usr/bin/env bash
# The test command: installs and builds everything (scripts/install.sh),
# type-checks, then runs every test; the last line is `N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
npm run typecheck
npm test
