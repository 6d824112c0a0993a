#!/usr/bin/env bash
# Prints the path of a Consul agent binary (version 1.8 or newer) on stdout.
#
# Order: $CONSUL_BIN, then `consul` on PATH, then the project cache; when none
# fits, installs Consul 1.8.7 from Debian's bullseye archive into the cache.
# Debian 12 has no consul package and no npm package ships the agent, but
# bullseye does, and its binary needs only libc. apt runs with a PRIVATE
# configuration under the cache folder, so the system's apt state is never
# touched, and the archive URI is read from this machine's own apt sources:
# no host name is written anywhere in the project.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache="${HAX_CACHE_DIR:-$root/.cache}/consul"
log() { echo "ensure-consul: $*" >&2; }

version_ok() {  # $1 = binary; true when it reports v1.8 or newer
  local v
  v=$("$1" version 2>/dev/null | sed -n 's/^Consul v\([0-9]*\)\.\([0-9]*\).*/\1 \2/p' | head -n1) || return 1
  [ -n "$v" ] || return 1
  set -- $v
  [ "$1" -gt 1 ] || { [ "$1" -eq 1 ] && [ "$2" -ge 8 ]; }
}

for candidate in "${CONSUL_BIN:-}" "$(command -v consul || true)" "$cache/consul"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && version_ok "$candidate"; then
    echo "$candidate"; exit 0
  fi
done

archive_uri() {
  local uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || { log "cannot find a Debian archive URI in /etc/apt (needed to fetch consul from bullseye)"; exit 1; }
  echo "$uri"
}

log "installing Consul 1.8.7 from Debian bullseye into $cache"
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$cache/deb"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(archive_uri) bullseye main" > "$apt_dir/sources.list"
opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
      -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
      -o Dir::State::status=/var/lib/dpkg/status -o Debug::NoLocking=1 -qq)
apt-get "${opts[@]}" update >&2
(cd "$cache/deb" && rm -f consul_*.deb && apt-get "${opts[@]}" download consul >&2)
deb=$(ls "$cache/deb"/consul_*.deb | head -n1)
rm -rf "$cache/deb/x" && dpkg-deb -x "$deb" "$cache/deb/x"
install -m 0755 "$cache/deb/x/usr/bin/consul" "$cache/consul"
rm -rf "$cache/deb/x"
version_ok "$cache/consul" || { log "installed binary does not report Consul >= 1.8"; exit 1; }
log "$("$cache/consul" version | head -n1)"
echo "$cache/consul"
