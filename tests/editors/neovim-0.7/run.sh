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

# Debian's path, not PATH: a newer nvim may come first on PATH.
nvim="${AZPLS_NVIM_0_7:-/usr/bin/nvim}"
if ! [ -x "$nvim" ] || ! "$nvim" --version 2>/dev/null | head -n 1 | grep -q '^NVIM v0\.7\.'; then
  echo "Neovim 0.7 is not installed (bash tests/editors/neovim-0.7/install.sh installs it)"
  exit 77
fi

# .git marks the project root, as in a real checkout (root_markers).
e2e_workspace

started=$(date +%s%N)
rc=0
# Own HOME and XDG folders: no user config, plugins, shada or swap files get in.
(cd "$work/project" &&
  HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
    XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" \
    AZPLS_BINARY="$azpls" AZPLS_NVIM_CONFIG="$repo/editors/neovim" E2E_REPORT="$report" \
    timeout 60 "$nvim" --headless -i NONE -u "$here/init.lua" azure-pipelines.yml \
    -c "luafile $here/../neovim-0.11/e2e.lua" >"$work/nvim.log" 2>&1) || rc=$?
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))

cat "$report"
if [ "$rc" -ne 0 ]; then
  [ "$rc" -eq 124 ] && echo "FAIL: Neovim did not finish within 60 s"
  echo "FAIL: Neovim exited with $rc; its output:"
  cat "$work/nvim.log"
  exit 1
fi
if ! cmp "$work/project/azure-pipelines.yml" "$repo/tests/fixtures/editors/azure-pipelines.fixed.yml"; then
  echo "FAIL: the saved file differs from tests/fixtures/editors/azure-pipelines.fixed.yml:"
  diff "$repo/tests/fixtures/editors/azure-pipelines.fixed.yml" "$work/project/azure-pipelines.yml" || true
  exit 1
fi
echo "ok: saved file is byte-identical to tests/fixtures/editors/azure-pipelines.fixed.yml"
echo "PASS: neovim-0.7 in ${elapsed_ms} ms"
keep=0
