#!/usr/bin/env bash
# Installs Neovim 0.7 (Debian 12's `neovim` package, 0.7.2) for tests/editors/neovim-0.7/run.sh,
# the oldest Neovim the shipped config supports. Idempotent: returns at once when it is there.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

if [ -z "$(debs_missing neovim)" ]; then
  echo "neovim-0.7: already installed: $(/usr/bin/nvim --version | head -n 1)"
  exit 0
fi
# Without recommends: python3-pynvim and xclip are not needed headless.
apt_install neovim
echo "neovim-0.7: installed $(/usr/bin/nvim --version | head -n 1)"
