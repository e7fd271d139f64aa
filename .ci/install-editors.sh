#!/usr/bin/env bash
# Installs the editors the end-to-end tests drive (tests/editors/*/install.sh), from the
# package registries only. Idempotent: each install.sh returns at once when its editor is there.
set -euo pipefail
shopt -s nullglob
# No prompts: CI has no terminal.
export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq
fi
for script in tests/editors/*/install.sh; do
  echo "== $script"
  bash "$script"
done
