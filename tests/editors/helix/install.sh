#!/usr/bin/env bash
# Installs Helix and tmux for tests/editors/helix/run.sh. Idempotent: returns at once when
# both are there.
#
# Helix is not packaged for Debian 12, but Debian 13 (trixie) ships `hx`. Its binary needs a
# newer glibc than Debian 12 has, so the package and trixie's own libc are only unpacked
# under a private prefix (never dpkg-installed: the system stays untouched), and a wrapper
# runs hx through trixie's dynamic loader. apt reads trixie's package list into a private
# folder too, from the mirror the machine already uses.
#
# Prefix: $AZPLS_EDITORS_PREFIX/helix, by default ${XDG_CACHE_HOME:-$HOME/.cache}/azpls-editors/helix
# (run.sh looks in the same place).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

prefix="$(editors_prefix)/helix"

if ! command -v tmux >/dev/null; then
  apt_install tmux
fi

if "$prefix/bin/hx" --version >/dev/null 2>&1; then
  echo "helix: already installed: $("$prefix/bin/hx" --version) in $prefix"
  exit 0
fi

[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
  echo "helix: this installer needs an amd64 Debian (apt-get, dpkg-deb)" >&2
  exit 1
}

# The machine's own Debian mirror (deb822 sources first, then the one-line format).
mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit } $1 == "deb" { print $3; exit }' /etc/apt/sources.list)"
fi
[ -n "$mirror" ] || {
  echo "helix: found no Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" >&2
  exit 1
}

# Build in a staging folder and move it into place at the end, so an interrupted install
# never looks installed.
mkdir -p "$(dirname "$prefix")"
stage="$(mktemp -d "$prefix.partial.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
apt_dir="$stage/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/debs" "$stage/bin"
echo "deb $mirror trixie main" >"$apt_dir/sources.list"
apt_opts=(
  -o Dir::Etc::SourceList="$apt_dir/sources.list"
  -o Dir::Etc::SourceParts=-
  -o Dir::State::Lists="$apt_dir/lists"
  -o Dir::Cache::Archives="$apt_dir/archives"
  -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
  -o APT::Get::List-Cleanup=0
  -o APT::Sandbox::User=root
)
echo "helix: reading Debian trixie's package list from $mirror"
apt-get "${apt_opts[@]}" -qq update
# hx links only against libc and libgcc_s; take trixie's, which the wrapper loads.
(cd "$apt_dir/debs" && apt-get "${apt_opts[@]}" -qq download hx libc6 libgcc-s1)
for deb in "$apt_dir"/debs/*.deb; do
  echo "helix: unpacking $(basename "$deb")"
  dpkg-deb -x "$deb" "$stage/sysroot"
done
rm -rf "$apt_dir"

# The wrapper finds the sysroot next to itself, so the prefix can be moved.
cat >"$stage/bin/hx" <<'EOF'
#!/bin/sh
# Runs Debian trixie's hx with trixie's own loader and libc (Debian 12's glibc is too old for it).
root="$(cd "$(dirname "$0")/.." && pwd)/sysroot"
lib="$root/usr/lib/x86_64-linux-gnu"
export HELIX_RUNTIME="${HELIX_RUNTIME:-$root/usr/lib/hx/runtime}"
exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$root/usr/bin/hx" "$@"
EOF
chmod +x "$stage/bin/hx"
"$stage/bin/hx" --version

rm -rf "$prefix"
mv "$stage" "$prefix"
trap - EXIT
echo "helix: installed in $prefix"
