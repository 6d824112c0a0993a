#!/usr/bin/env bash
# Installs everything hax needs on a fresh Debian 12 machine, then builds it:
# the build tools, the packaging tools (dpkg-dev, lintian) and
# Chromium for the browser test (from Debian; set
# HAX_SKIP_CHROMIUM=1 on servers), a Consul agent (scripts/ensure-consul.sh),
# the npm packages (npm ci, from the lockfile) and the build (wasm core,
# native addon, API types, protocol constants from protocol/constants.yaml).
# Nothing is downloaded at build or run time.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "install: $*"; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "install: hax needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
command -v ninja >/dev/null || command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3)            # tests: a datagram socket for sd_notify
# The Debian package (scripts/package.sh) and its test: Debian's own tools.
command -v dpkg-shlibdeps >/dev/null || missing+=(dpkg-dev)
command -v lintian >/dev/null || missing+=(lintian)
# The monitor's browser test drives Debian's Chromium (never a downloaded browser).
[ -x /usr/bin/chromium ] || [ "${HAX_SKIP_CHROMIUM:-}" = 1 ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing build tools from Debian: ${missing[*]}"
  sudo_ apt-get update -qq
  sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

say "Consul: $(bash scripts/ensure-consul.sh)"
say "npm ci"
npm ci --no-audit --no-fund
say "npm run build"
npm run build
say "done"
