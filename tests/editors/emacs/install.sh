#!/usr/bin/env bash
# Installs Emacs with eglot and yaml-mode (Debian 12's emacs-nox 28, elpa-eglot 1.9,
# elpa-yaml-mode) for tests/editors/emacs/run.sh. Idempotent: returns at once when they are there.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

packages=(emacs-nox elpa-eglot elpa-yaml-mode)
if [ -z "$(debs_missing "${packages[@]}")" ]; then
  echo "emacs: already installed: $(emacs --version | head -n 1), eglot, yaml-mode"
  exit 0
fi
apt_install "${packages[@]}"
echo "emacs: installed $(emacs --version | head -n 1), eglot, yaml-mode"
