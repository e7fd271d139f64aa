#!/usr/bin/env bash
# Installs Emacs with eglot and yaml-mode (Debian 12's emacs-nox 28, elpa-eglot 1.9,
# elpa-yaml-mode) for tests/editors/emacs/run.sh. Idempotent: returns at once when they are there.
set -euo pipefail

packages=(emacs-nox elpa-eglot elpa-yaml-mode)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "emacs: already installed: $(emacs --version | head -n 1), eglot, yaml-mode"
  exit 0
fi
# --no-install-recommends keeps out the mail and X11 extras emacs-nox recommends.
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "emacs: installed $(emacs --version | head -n 1), eglot, yaml-mode"
