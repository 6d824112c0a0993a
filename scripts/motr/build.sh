#!/usr/bin/env bash
# Builds user-mode libmotr, m0d and m0mkfs from a cortx-motr checkout, for
# developing and testing hax's motr backend (docs/motr.md). Never run by
# install.sh or CI: it takes about 12 minutes on 2 cores.
#
#   bash scripts/motr/build.sh SRC_DIR     # SRC_DIR: a cortx-motr checkout (27e7f86)
#
# Then: export MOTR_ROOT=SRC_DIR, rebuild the addon with the backend
# (`npx cmake-js rebuild -d native -O build/native --CDHAX_WITH_MOTR=ON`), and run
# scripts/motr/e2e.sh.
set -euo pipefail
src=${1:?usage: build.sh SRC_DIR (a cortx-motr checkout)}
[ -f "$src/autogen.sh" ] || { echo "build.sh: $src is not a cortx-motr checkout (no autogen.sh)" >&2; exit 2; }
src=$(cd "$src" && pwd)
say() { echo "motr-build: $*"; }

# Debian 12 packages Motr's build needs (configure stops with "a2x is not found"
# without asciidoc-base).
pkgs=(automake autoconf binutils-dev libtool make gcc g++ castxml libc6-dev libyaml-dev
  libaio-dev libssl-dev libedit-dev libisal-dev libfabric-dev libsystemd-dev uuid-dev perl
  libxml-libxml-perl liblist-moreutils-perl libfile-find-rule-perl libio-all-perl
  libfile-slurp-perl libyaml-libyaml-perl python3-dev python3-ply pkg-config asciidoc-base)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
fi

# Motr's scripts call `python` and pick tools from PATH: Debian's first.
export PATH=/usr/bin:/bin:$PATH PYTHON=/usr/bin/python3
# gcc 12 finds things in Motr's 2024 sources that its -Werror turns into
# failures; none of them are in the HA path hax uses.
nowerr=""
for w in address array-bounds stringop-overflow stringop-overread dangling-pointer \
         use-after-free stringop-truncation format-truncation maybe-uninitialized; do
  nowerr+=" -Wno-error=$w"
done
export CFLAGS="-g -O2$nowerr"
jobs=$(nproc)

cd "$src"
if [ ! -f configure ]; then say "autogen"; ./autogen.sh >/dev/null; fi
if [ ! -f config.status ]; then
  say "configure"
  ./configure --with-user-mode-only --enable-release --with-trace-ubuf-size=16 \
    --disable-altogether-mode --disable-unit-tests --disable-ivt-tests >/dev/null
fi
say "make -j$jobs (pre-all, libmotr, m0d, m0mkfs)"
make -j"$jobs" pre-all >/dev/null
make -j"$jobs" motr/libmotr.la >/dev/null
make -j"$jobs" motr/m0d utils/mkfs/m0mkfs >/dev/null
for f in motr/.libs/libmotr.so motr/.libs/lt-m0d motr/m0d utils/mkfs/m0mkfs; do
  [ -e "$f" ] && say "built $src/$f"
done
say "done: export MOTR_ROOT=$src"
