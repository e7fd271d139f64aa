#!/usr/bin/env bash
# End-to-end test in Emacs + eglot with the shipped editors/emacs/azpls.el.
# usage: run.sh AZPLS_BINARY     exit 0 pass, 77 Emacs/eglot not installed, else fail
#
# Emacs, eglot and yaml-mode are Debian 12's packages (install.sh).
set -euo pipefail

# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
e2e_init "$0" "$@"
e2e_install_ok emacs

if ! command -v emacs >/dev/null ||
  ! emacs --batch --eval "(progn (package-initialize) (require 'eglot) (require 'yaml-mode))" >/dev/null 2>&1; then
  echo "Emacs with eglot and yaml-mode is not installed (bash tests/editors/emacs/install.sh installs it)"
  exit 77
fi

# .git marks the project root, as in a real checkout (eglot uses project.el).
e2e_workspace

# Own HOME and XDG folders: no user config or packages get in.
e2e_run Emacs emacs.log env AZPLS_EMACS_CONFIG="$repo/editors/emacs" \
  emacs --batch -l "$here/e2e.el" azure-pipelines.yml
e2e_saved "$work/project/azure-pipelines.yml"
e2e_pass emacs
