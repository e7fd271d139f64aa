#!/usr/bin/env bash
# Installs what tests/editors/vscode/run.sh drives: code-server 4.100.3 (VS Code 1.100 served
# to a browser), Debian's Chromium, and playwright-core to steer Chromium. Idempotent: returns
# at once when everything is there. Runs as root on Debian 12 with Node 20; the caller has run
# apt-get update.
#
# Why code-server 4.100.3: it is the last release whose engines.node accepts Node 20.
# Why npm and not code-server's release tarball: only the package registries are reachable,
# and the npm package's postinstall downloads things too, so this does its steps by hand:
#   - node-pty's build runs `npx node-gyp`, which would stop at a prompt without npm_config_yes;
#   - the kerberos module compiles against libkrb5-dev;
#   - @vscode/ripgrep's postinstall downloads rg from GitHub, so its scripts are skipped and
#     Debian's rg is put where it would have gone.
#
# Prefix: $AZPLS_EDITORS_PREFIX/vscode, by default
# ${XDG_CACHE_HOME:-$HOME/.cache}/azpls-editors/vscode (run.sh looks in the same place).
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
# Pinned so that a new release can't change how the test drives the browser under it.
PLAYWRIGHT_CORE_VERSION=1.65.1

prefix="${AZPLS_EDITORS_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/azpls-editors}/vscode"
stamp="$prefix/.installed-code-server-$CODE_SERVER_VERSION-playwright-core-$PLAYWRIGHT_CORE_VERSION"

installed() {
  local version
  # Read whole, not piped into head: with pipefail, code-server's SIGPIPE would fail the check.
  version="$("$prefix/node_modules/.bin/code-server" --version 2>/dev/null)" || return 1
  [ -f "$stamp" ] &&
    command -v chromium >/dev/null &&
    [[ "$version" == "$CODE_SERVER_VERSION "* ]] &&
    [ -f "$prefix/node_modules/playwright-core/package.json" ]
}

if installed; then
  echo "vscode: already installed: code-server $CODE_SERVER_VERSION, $(chromium --version 2>/dev/null) in $prefix"
  exit 0
fi

command -v node >/dev/null && command -v npm >/dev/null || {
  echo "vscode: needs Node 20 and npm on PATH" >&2
  exit 1
}

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends chromium libkrb5-dev ripgrep g++ make python3 >/dev/null

export npm_config_yes=true npm_config_audit=false \
  npm_config_fund=false npm_config_update_notifier=false npm_config_loglevel=warn

# A half-finished earlier attempt leaves a tree that looks installed; start over.
rm -rf "$prefix"
mkdir -p "$prefix"
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
  echo "vscode: install finished but the check fails (code-server, chromium or playwright-core missing)" >&2
  exit 1
}
echo "vscode: installed code-server $CODE_SERVER_VERSION, playwright-core $PLAYWRIGHT_CORE_VERSION, $(chromium --version 2>/dev/null) in $prefix"
