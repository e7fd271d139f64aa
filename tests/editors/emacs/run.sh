#!/usr/bin/env bash
# End-to-end test in Emacs + eglot with the shipped editors/emacs/azpls.el.
# usage: run.sh AZPLS_BINARY     exit 0 pass, 77 Emacs/eglot not installed, else fail
#
# Emacs, eglot and yaml-mode are Debian 12's packages (install.sh).
set -euo pipefail

# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
e2e_init "$0" "$@"

if ! command -v emacs >/dev/null ||
  ! emacs --batch --eval "(progn (package-initialize) (require 'eglot) (require 'yaml-mode))" >/dev/null 2>&1; then
  echo "Emacs with eglot and yaml-mode is not installed (bash tests/editors/emacs/install.sh installs it)"
  exit 77
fi

# .git marks the project root, as in a real checkout (eglot uses project.el).
e2e_workspace

started=$(date +%s%N)
rc=0
# Own HOME and XDG folders: no user config, plugins, shada or swap files get in.
(cd "$work/project" &&
  HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
    XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" \
    AZPLS_BINARY="$azpls" AZPLS_EMACS_CONFIG="$repo/editors/emacs" E2E_REPORT="$report" \
    timeout 60 emacs --batch -l "$here/e2e.el" azure-pipelines.yml >"$work/emacs.log" 2>&1) || rc=$?
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))

cat "$report"
if [ "$rc" -ne 0 ]; then
  [ "$rc" -eq 124 ] && echo "FAIL: Emacs did not finish within 60 s"
  echo "FAIL: Emacs exited with $rc; its output:"
  cat "$work/emacs.log"
  exit 1
fi
if ! cmp "$work/project/azure-pipelines.yml" "$repo/tests/fixtures/editors/azure-pipelines.fixed.yml"; then
  echo "FAIL: the saved file differs from tests/fixtures/editors/azure-pipelines.fixed.yml:"
  diff "$repo/tests/fixtures/editors/azure-pipelines.fixed.yml" "$work/project/azure-pipelines.yml" || true
  exit 1
fi
echo "ok: saved file is byte-identical to tests/fixtures/editors/azure-pipelines.fixed.yml"
echo "PASS: emacs in ${elapsed_ms} ms"
keep=0
