#!/usr/bin/env bash
# Installs and builds everything, then runs the demo: a Consul dev agent, a
# demo cluster seeded into it, hax, and simulated Motr processes.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec node bin/hax.js demo "$@"
