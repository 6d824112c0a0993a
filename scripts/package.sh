#!/usr/bin/env bash
# Builds the Debian package of hax from a built tree (npm run build):
#   hax_<version>-<revision>_amd64.deb        the socket backend (never needs libmotr)
#   hax-motr_<version>-<revision>_amd64.deb   --variant motr: the shim built with
#                                             libmotr (MOTR_ROOT must name a built tree)
# with Debian's own tools (dpkg-deb, dpkg-shlibdeps), no debhelper, no
# network. What goes in: the TypeScript compiled to JavaScript
# (tsconfig.build.json), the WASM core, the native shim, openapi.yaml, the
# monitor's files, the npm modules hax imports at run time (and nothing
# else: scripts/runtime-modules.mjs), the systemd unit, /etc/hax/hax.yaml,
# /usr/bin/hax, a man page and the docs. Layout: docs/install.md.
#
# Usage: scripts/package.sh [--variant socket|motr] [--out DIR] [--stage-only]
#   --out DIR      where the .deb goes (default build/deb)
#   --stage-only   build the package's file tree (build/deb/<variant>/root)
#                  but not the .deb (the start-up bench runs that tree)
# Environment: HAX_DEB_REVISION (default 1), DEBFULLNAME / DEBEMAIL (the
# Maintainer field; default "hax maintainers <hax@example.org>").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$PWD
say() { echo "package: $*"; }
die() { echo "package: $*" >&2; exit 1; }

variant=socket out=build/deb stage_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --variant) variant=${2:?--variant needs socket or motr}; shift 2 ;;
    --variant=*) variant=${1#*=}; shift ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    --stage-only) stage_only=1; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1'; see scripts/package.sh --help" ;;
  esac
done
case "$variant" in
  socket) package=hax ;;
  motr) package=hax-motr ;;
  *) die "--variant must be socket or motr, not '$variant'" ;;
esac
for tool in dpkg-deb dpkg-shlibdeps strip readelf gzip; do
  command -v "$tool" >/dev/null || die "$tool is missing; install dpkg-dev and binutils from Debian (bash scripts/install.sh does)"
done

upstream=$(node -p 'require("./package.json").version')
version="$upstream-${HAX_DEB_REVISION:-1}"
arch=$(dpkg --print-architecture)
maintainer="${DEBFULLNAME:-hax maintainers} <${DEBEMAIL:-hax@example.org}>"
stage=build/deb/$variant
root=$stage/root
lib=$root/usr/lib/hax

# --- the native shim of this variant ---------------------------------------
if [ "$variant" = socket ]; then
  shim_dir=build/native/Release
  [ -f "$shim_dir/shim.node" ] || die "$shim_dir/shim.node is missing; run npm run build (or npm run build:native:socket)"
  if readelf -d "$shim_dir/shim.node" | grep -q 'NEEDED.*libmotr'; then
    die "$shim_dir/shim.node is linked with libmotr; the socket package must never need it: run npm run build:native:socket first"
  fi
else
  [ -n "${MOTR_ROOT:-}" ] || die "--variant motr needs MOTR_ROOT, a built Motr tree (scripts/motr/build.sh; docs/motr.md)"
  shim_dir=build/native-motr/Release
  say "building the shim with libmotr from $MOTR_ROOT into build/native-motr"
  mkdir -p "$(dirname "$stage")"
  # no RUNPATH into the build tree: on a node the dynamic linker finds libmotr (ldconfig)
  npx cmake-js rebuild -d native -O build/native-motr --CDHAX_WITH_MOTR=ON --CDCMAKE_SKIP_RPATH=ON >"$stage.cmake.log" 2>&1 \
    || die "the motr shim did not build; see $stage.cmake.log"
  readelf -d "$shim_dir/shim.node" | grep -q 'NEEDED.*libmotr' || die "$shim_dir/shim.node is not linked with libmotr"
  if readelf -d "$shim_dir/shim.node" | grep -q 'R.*PATH'; then die "$shim_dir/shim.node has an RPATH/RUNPATH into the build tree"; fi
fi
for f in build/as/release.wasm "$shim_dir/sigguard.node"; do
  [ -f "$f" ] || die "$f is missing; run npm run build"
done

# --- compile ------------------------------------------------------------------
say "compiling TypeScript to JavaScript (tsconfig.build.json → dist/)"
rm -rf dist
npx tsc -p tsconfig.build.json

# --- the file tree ------------------------------------------------------------
say "staging $root"
rm -rf "$stage"
mkdir -p "$lib/bin" "$lib/build/as" "$lib/build/native/Release" "$lib/openapi" "$lib/web" "$lib/docs" \
  "$root/usr/bin" "$root/etc/hax" "$root/lib/systemd/system" "$root/usr/lib/tmpfiles.d" \
  "$root/usr/share/doc/$package" "$root/usr/share/man/man1" "$root/DEBIAN"
cp -r dist/src "$lib/src"
# ESM, and the version hax reports: the only fields hax reads from it.
node -e 'const p=require("./package.json"); process.stdout.write(JSON.stringify({name:p.name,version:p.version,description:p.description,type:p.type,license:p.license,private:true},null,2)+"\n")' >"$lib/package.json"
install -m 0755 packaging/debian/hax.js "$lib/bin/hax.js"
install -m 0644 bin/require-node.js "$lib/bin/require-node.js"
ln -s ../lib/hax/bin/hax.js "$root/usr/bin/hax"
install -m 0644 build/as/release.wasm "$lib/build/as/release.wasm"
for f in shim.node sigguard.node; do
  # stripped: the symbols are for debugging a build tree, not a node
  strip --strip-unneeded --remove-section=.comment --remove-section=.note -o "$lib/build/native/Release/$f" "$shim_dir/$f"
  chmod 0644 "$lib/build/native/Release/$f"
done
install -m 0644 openapi/openapi.yaml "$lib/openapi/"
install -m 0644 web/* "$lib/web/"
cp -r docs/examples "$lib/docs/examples"        # hax demo's cluster description
node scripts/runtime-modules.mjs "$lib/src" "$lib/node_modules" "$stage/licenses.json"

install -m 0644 packaging/debian/hax.yaml "$root/etc/hax/hax.yaml"
install -m 0644 packaging/debian/tmpfiles.conf "$root/usr/lib/tmpfiles.d/hax.conf"
# The unit of the source tree, pointed at the package's paths and config file.
sed -e 's|^ExecStart=/usr/bin/node /opt/hax/bin/hax.js run \$HAX_ARGS$|ExecStart=/usr/bin/hax run --config /etc/hax/hax.yaml $HAX_ARGS|' \
    -e 's|^Documentation=file:///opt/hax/docs/operations.md$|Documentation=man:hax(1) file:///usr/share/doc/'"$package"'/install.md|' \
    -e 's|^# Install: see docs/operations.md.|# Installed by the Debian package: see /usr/share/doc/'"$package"'/install.md.|' \
    systemd/hax.service >"$root/lib/systemd/system/hax.service"
grep -q '^ExecStart=/usr/bin/hax run --config /etc/hax/hax.yaml \$HAX_ARGS$' "$root/lib/systemd/system/hax.service" \
  || die "systemd/hax.service's ExecStart is not the one this script rewrites; update scripts/package.sh"
grep -q '^Documentation=man:hax(1)' "$root/lib/systemd/system/hax.service" || die "systemd/hax.service's Documentation= changed; update scripts/package.sh"
chmod 0644 "$root/lib/systemd/system/hax.service"

doc=$root/usr/share/doc/$package
install -m 0644 README.md docs/*.md "$doc/"
gzip -9n "$doc"/*.md
gunzip "$doc/install.md.gz"                      # the unit's Documentation= points at it
sed -e "s/@VERSION@/$version/" -e "s/@MAINTAINER@/$maintainer/" -e "s/@DATE@/$(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")/" \
  packaging/debian/changelog | gzip -9n >"$doc/changelog.Debian.gz"
node packaging/debian/copyright.mjs "$stage/licenses.json" >"$doc/copyright"
sed "s/@VERSION@/$upstream/" packaging/debian/hax.1 | gzip -9n >"$root/usr/share/man/man1/hax.1.gz"

# --- control ------------------------------------------------------------------
for s in postinst prerm postrm; do install -m 0755 "packaging/debian/$s" "$root/DEBIAN/$s"; done
echo /etc/hax/hax.yaml >"$root/DEBIAN/conffiles"
# What the shim's ELF needs, as Debian packages (libc6, libstdc++6, …).
shlibs_dir=$stage/shlibs
mkdir -p "$shlibs_dir/debian"
printf 'Source: hax\n\nPackage: %s\nArchitecture: any\n' "$package" >"$shlibs_dir/debian/control"
extra=()
[ "$variant" = motr ] && extra=(--ignore-missing-info "-l$MOTR_ROOT/motr/.libs")
shlibs=$(cd "$shlibs_dir" && dpkg-shlibdeps -O "${extra[@]}" "$ROOT_DIR/$lib/build/native/Release/shim.node" "$ROOT_DIR/$lib/build/native/Release/sigguard.node" 2>"$ROOT_DIR/$stage/shlibdeps.log" | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no dependencies; see $stage/shlibdeps.log"
if [ "$variant" = socket ] && grep -q motr <<<"$shlibs"; then die "the socket package would depend on motr: $shlibs"; fi
rm -rf "$shlibs_dir"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
{
  echo "Package: $package"
  echo "Version: $version"
  echo "Architecture: $arch"
  echo "Maintainer: $maintainer"
  echo "Installed-Size: $installed_size"
  echo "Depends: adduser, nodejs (>= 20), $shlibs"
  [ "$variant" = motr ] && echo "Conflicts: hax" && echo "Replaces: hax" && echo "Provides: hax"
  echo "Section: net"
  echo "Priority: optional"
  echo "Description: HA link eXtender: bridges Motr storage processes and Consul"
  sed 's/^/ /; s/^ $/ ./' packaging/debian/description
  if [ "$variant" = motr ]; then
    printf ' .\n This variant speaks HA link through libmotr (the motr backend), which must\n be installed on the node.\n'
  else
    printf ' .\n This package runs the socket backend (hax'"'"'s own HA-link transport) and\n does not need libmotr.\n'
  fi
} >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +

[ "$stage_only" = 1 ] && { say "staged $root"; exit 0; }
mkdir -p "$out"
deb=$out/${package}_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
say "built $deb ($(du -k "$deb" | cut -f1) KiB)"
