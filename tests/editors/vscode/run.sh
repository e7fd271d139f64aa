#!/usr/bin/env bash
# End-to-end test in VS Code (code-server 4.100.3 = VS Code 1.100, in headless Chromium) with
# the extension in editors/vscode, packaged as a .vsix and installed as a user would. e2e.js
# does the steps in the browser (diagnostics, hover, quick fix, save, then a settings change,
# "azpls: Restart Server" and "azpls: Show Expanded Pipeline"); this script builds, sets up
# and compares the saved file.
# usage: run.sh AZPLS_BINARY     exit 0 pass, 77 code-server/Chromium not installed, else fail
#
# What is installed comes from install.sh, under $AZPLS_EDITORS_PREFIX/vscode (default
# ${XDG_CACHE_HOME:-$HOME/.cache}/azpls-editors/vscode), with its own Node 20 there when the
# machine had none. Chromium is $CHROMIUM or Debian's.
# The screenshots (diagnostics, hover, quick-fix menu) go to $AZPLS_VSCODE_SCREENSHOTS when
# set; to refresh the ones in editors/vscode/screenshots:
#   AZPLS_VSCODE_SCREENSHOTS=editors/vscode/screenshots bash tests/editors/vscode/run.sh target/debug/azpls
set -euo pipefail

# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
e2e_init "$0" "$@"
e2e_install_ok vscode
screenshots_out="${AZPLS_VSCODE_SCREENSHOTS:-}"
if [ -n "$screenshots_out" ]; then
  mkdir -p "$screenshots_out"
  screenshots_out="$(cd "$screenshots_out" && pwd)"
fi

prefix="$(editors_prefix)/vscode"
# The Node that install.sh built with: code-server's native modules are built for it.
use_node "$prefix"
code_server="$prefix/node_modules/.bin/code-server"
playwright="$prefix/node_modules/playwright-core"
chromium="${CHROMIUM:-$(command -v chromium || true)}"
if ! command -v node >/dev/null || [ "$(code_server_version "$prefix")" != 4.100.3 ] || [ ! -f "$playwright/package.json" ] ||
  [ -z "$chromium" ] || [ ! -x "$chromium" ]; then
  echo "code-server 4.100.3, playwright-core or Chromium is not installed (bash tests/editors/vscode/install.sh installs them)"
  exit 77
fi

work="$(mktemp -d)"
keep=1
pid_file="$work/process-groups"
cleanup() {
  # The PID file is left only if e2e.js was killed before it stopped code-server and
  # Chromium: stop those process groups here (the ones e2e.js started, by their recorded
  # ids, nothing else).
  if [ -s "$pid_file" ]; then
    local group
    for group in $(cat "$pid_file"); do kill -TERM -- "-$group" 2>/dev/null || true; done
    sleep 2
    for group in $(cat "$pid_file"); do kill -KILL -- "-$group" 2>/dev/null || true; done
  fi
  if [ "$keep" = 1 ]; then echo "artifacts kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

started=$(date +%s%N)

# Build and package the extension. node_modules is reused when it was installed from this
# very lock file; --prefer-offline lets a machine that installed once build without the registry.
ext="$repo/editors/vscode"
(
  cd "$ext"
  lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ "$(cat node_modules/.azpls-lock-sha256 2>/dev/null)" != "$lock_sum" ]; then
    npm ci --prefer-offline --no-audit --no-fund --loglevel=error
    echo "$lock_sum" >node_modules/.azpls-lock-sha256
  fi
  # vsce runs `npm run compile` (vscode:prepublish) before packaging.
  npm run --silent package -- --out "$work/azpls.vsix" >"$work/package.log" 2>&1 ||
    { cat "$work/package.log"; exit 1; }
) || { echo "FAIL: could not build the extension in editors/vscode"; exit 1; }
build_ms=$(( ($(date +%s%N) - started) / 1000000 ))
echo "ok: extension built and packaged in ${build_ms} ms"

mkdir -p "$work/ws" "$work/user/User" "$work/home" "$work/shots"
e2e_project "$work/ws"
# User settings: the server binary under test, and nothing that pops up over the editor or
# reaches for the network. The protocol trace lands in the azpls output channel's log file.
cat >"$work/user/User/settings.json" <<JSON
{
  "azpls.server.path": "$azpls",
  "azpls.trace.server": "verbose",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "chat.commandCenter.enabled": false,
  "editor.hover.delay": 150,
  "editor.minimap.enabled": false,
  "files.autoSave": "off",
  "git.enabled": false
}
JSON

rc=0
# Own HOME and XDG folders: no user config or state of this machine gets in.
HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share" \
  XDG_CACHE_HOME="$work/home/.cache" XDG_STATE_HOME="$work/home/.local/state" \
  CODE_SERVER="$code_server" PLAYWRIGHT_CORE="$playwright" CHROMIUM="$chromium" \
  VSIX="$work/azpls.vsix" WORK="$work" SHOTS="$work/shots" PID_FILE="$pid_file" \
  timeout -k 10 200 node "$here/e2e.js" || rc=$?
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))

if [ "$rc" -ne 0 ]; then
  [ "$rc" -eq 124 ] && echo "FAIL: the VS Code run did not finish within 200 s"
  echo "FAIL: VS Code end-to-end run exited with $rc"
  # What the extension and the server said: the azpls output channel and the extension host log.
  find "$work/user/logs" \( -name '*azpls*.log' -o -name 'exthost.log' \) -print0 2>/dev/null |
    while IFS= read -r -d '' log; do
      echo "--- ${log#"$work/"} (last 60 lines)"
      tail -n 60 "$log"
    done
  echo "--- code-server.log (last 30 lines)"
  tail -n 30 "$work/code-server.log" 2>/dev/null || true
  exit 1
fi
e2e_saved "$work/ws/azure-pipelines.yml"
if [ -n "$screenshots_out" ]; then
  cp "$work/shots/diagnostics.png" "$work/shots/hover.png" "$work/shots/quick-fix.png" "$screenshots_out/"
  echo "ok: screenshots copied to $screenshots_out"
fi
e2e_pass vscode
