#!/usr/bin/env bash
# Installs and builds everything, then runs the demo (`hax demo`, arguments
# passed on): a three-node cluster of Consul agents, one hax per node, and
# simulated Motr processes; --nodes 1 for the one-node demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec node bin/hax.js demo "$@"
