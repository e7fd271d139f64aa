#!/usr/bin/env bash
# End-to-end test in Helix with the shipped editors/helix/languages.toml, used verbatim.
# usage: run.sh AZPLS_BINARY     exit 0 pass, 77 Helix or tmux not installed, else fail
#
# Helix runs in a detached tmux session on a private socket; keys go in with send-keys and
# the screen comes back with capture-pane. The shipped config starts `azpls` from PATH, so
# PATH gets a folder whose `azpls` is the binary under test. Helix comes from install.sh
# (under the cache prefix), or from $AZPLS_HX when set.
set -euo pipefail

# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
e2e_init "$0" "$@"
e2e_install_ok helix

prefix="$(editors_prefix)/helix"
hx="${AZPLS_HX:-$prefix/bin/hx}"
if ! command -v tmux >/dev/null || ! "$hx" --version >/dev/null 2>&1; then
  echo "Helix or tmux is not installed (bash tests/editors/helix/install.sh installs them)"
  exit 77
fi

work="$(mktemp -d)"
sock="$work/tmux.sock"
keep=1
cleanup() {
  tmux -S "$sock" kill-server 2>/dev/null || true
  if [ "$keep" = 1 ]; then echo "artifacts kept in $work (screens, helix.log)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
# .git marks the project root, as in a real checkout.
mkdir -p "$work/project/.git" "$work/home" "$work/config/helix" "$work/data" "$work/state" \
  "$work/cache" "$work/bin"
e2e_project "$work/project"
cp "$repo/editors/helix/languages.toml" "$work/config/helix/languages.toml"
ln -s "$azpls" "$work/bin/azpls"

fail() {
  echo "FAIL: $*"
  echo "--- screen"
  screen || true
  echo "--- end of helix.log"
  tail -n 30 "$work/helix.log" 2>/dev/null || true
  exit 1
}
screen() { tmux -S "$sock" capture-pane -p -t e2e; }
keys() { tmux -S "$sock" send-keys -t e2e "$@"; }
# Escape on its own, then a pause: Escape followed at once by a key reaches Helix as Alt+key.
esc() {
  keys Escape
  sleep 0.2
}
# wait_for SECONDS WHAT COMMAND...: polls COMMAND every 0.1 s, saves the last screen.
wait_for() {
  local secs=$1 what=$2
  shift 2
  local tries=$((secs * 10))
  while [ "$tries" -gt 0 ]; do
    "$@" && return 0
    sleep 0.1
    tries=$((tries - 1))
  done
  fail "timed out after ${secs} s waiting for $what"
}
on_screen() { screen >"$work/screen.txt" && grep -qF -- "$1" "$work/screen.txt"; }
save_screen() { screen >"$work/$1.txt"; }

started=$(date +%s%N)
# A private tmux server started with this environment: own HOME and XDG folders (no user
# config), and PATH leading to the binary under test.
env -i PATH="$work/bin:$PATH" HOME="$work/home" TERM=xterm-256color LANG=C.UTF-8 \
  XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" XDG_STATE_HOME="$work/state" \
  XDG_CACHE_HOME="$work/cache" \
  tmux -S "$sock" -f /dev/null new-session -d -s e2e -x 160 -y 48 -c "$work/project" \
  "timeout 60 '$hx' -v --log '$work/helix.log' azure-pipelines.yml"

wait_for 10 "Helix to open azure-pipelines.yml" on_screen "azure-pipelines.yml"
echo "ok: $("$hx" --version) opened azure-pipelines.yml with the shipped languages.toml"

# Diagnostics, with their codes, in the document diagnostics picker (space d).
diagnostics_listed() {
  keys Space d
  sleep 0.3
  screen >"$work/screen.txt"
  esc
  grep -qF "wif-deprecated-version" "$work/screen.txt" && grep -qF "wif-unsupported-task" "$work/screen.txt"
}
wait_for 15 "diagnostics wif-deprecated-version and wif-unsupported-task in the picker (space d)" diagnostics_listed
cp "$work/screen.txt" "$work/1-diagnostics.txt"
echo "ok: diagnostics picker lists wif-deprecated-version and wif-unsupported-task"

# Hover (space k) on the task reference: search puts the cursor on it.
keys / "AzureFileCopy@4" Enter
sleep 0.2
# The diagnostic shown for the cursor already says AzureFileCopy@6: the hover must add more.
count_fix() { screen | grep -oF "AzureFileCopy@6" | wc -l; }
before_hover=$(count_fix)
more_fix_mentions() { [ "$(count_fix)" -gt "$before_hover" ]; }
keys Space k
wait_for 10 "the hover on AzureFileCopy@4 to mention AzureFileCopy@6" more_fix_mentions
save_screen 2-hover
echo "ok: hover on AzureFileCopy@4 mentions AzureFileCopy@6"
esc

# Code action menu (space a): the preferred quick fix comes first; Enter applies it.
keys Space a
wait_for 10 "the code action menu to offer Use AzureFileCopy@6" on_screen "Use AzureFileCopy@6"
save_screen 3-code-actions
first=$(grep -E "Use AzureFileCopy@6|Fix all deprecated" "$work/3-code-actions.txt" | head -n 1)
case "$first" in
  *"Use AzureFileCopy@6"*) ;;
  *) fail "the quick fix is not the first entry of the code action menu" ;;
esac
echo "ok: code action menu offers: $(grep -oE "Use AzureFileCopy@6|Fix all deprecated task versions in this file \(safe fixes\)" "$work/3-code-actions.txt" | paste -sd '|' | sed 's/|/ | /g')"
keys Enter
wait_for 10 "the quick fix to change the buffer" on_screen "task: AzureFileCopy@6"
echo "ok: line 11 after the quick fix: $(grep -F "task: AzureFileCopy@6" "$work/screen.txt" | sed 's/^ *[0-9]* *//')"

# The edit reached the server (didChange): the fixed finding goes, the other stays.
fixed_diagnostics() {
  keys Space d
  sleep 0.3
  screen >"$work/screen.txt"
  esc
  ! grep -qF "wif-deprecated-version" "$work/screen.txt" && grep -qF "wif-unsupported-task" "$work/screen.txt"
}
wait_for 10 "wif-deprecated-version to leave the picker while wif-unsupported-task stays" fixed_diagnostics
cp "$work/screen.txt" "$work/4-diagnostics-after.txt"
echo "ok: after the edit the server dropped wif-deprecated-version and kept wif-unsupported-task"

esc
keys ":write" Enter
# Helix writes asynchronously: wait for the file on disk to be the fixed fixture.
saved() { cmp -s "$work/project/azure-pipelines.yml" "$repo/tests/fixtures/editors/azure-pipelines.fixed.yml"; }
for _ in $(seq 50); do
  saved && break
  sleep 0.1
done
if ! saved; then
  echo "FAIL: the saved file differs from tests/fixtures/editors/azure-pipelines.fixed.yml:"
  diff "$repo/tests/fixtures/editors/azure-pipelines.fixed.yml" "$work/project/azure-pipelines.yml" || true
  fail "saved file is not the fixed fixture"
fi
echo "ok: saved file is byte-identical to tests/fixtures/editors/azure-pipelines.fixed.yml"
keys ":quit!" Enter
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
echo "PASS: helix in ${elapsed_ms} ms"
keep=0
