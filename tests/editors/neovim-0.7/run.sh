#!/usr/bin/env bash
# End-to-end test in Neovim 0.7 (the oldest the config supports) with the shipped editors/neovim config.
# usage: run.sh AZPLS_BINARY     exit 0 pass, 77 Neovim 0.7 not installed, else fail
#
# Neovim is Debian 12's package (install.sh), or $AZPLS_NVIM_0_7 when set. The driver is
# shared with the Neovim 0.11 test: ../neovim-0.11/e2e.lua.
set -euo pipefail

# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
e2e_init "$0" "$@"
e2e_install_ok neovim-0.7

# Debian's path, not PATH: a newer nvim may come first on PATH.
nvim="${AZPLS_NVIM_0_7:-/usr/bin/nvim}"
if ! [ -x "$nvim" ] || ! "$nvim" --version 2>/dev/null | head -n 1 | grep -q '^NVIM v0\.7\.'; then
  echo "Neovim 0.7 is not installed (bash tests/editors/neovim-0.7/install.sh installs it)"
  exit 77
fi

# .git marks the project root, as in a real checkout (root_markers).
e2e_workspace

# Own HOME and XDG folders: no user config, plugins, shada or swap files get in.
e2e_run Neovim nvim.log env AZPLS_NVIM_CONFIG="$repo/editors/neovim" \
  "$nvim" --headless -i NONE -u "$here/init.lua" azure-pipelines.yml \
  -c "luafile $here/../neovim-0.11/e2e.lua"
e2e_saved "$work/project/azure-pipelines.yml"
e2e_pass neovim-0.7
