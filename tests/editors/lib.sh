# Shared by tests/editors/*/install.sh, tests/editors/*/run.sh and .ci/install-editors.sh
# (sourced, not run). Every editor test takes the azpls binary as its only argument and
# works in a temporary folder of its own.

# editors_prefix: where install.sh puts an editor and run.sh looks for it:
# $AZPLS_EDITORS_PREFIX, by default ${XDG_CACHE_HOME:-$HOME/.cache}/azpls-editors.
editors_prefix() {
  echo "${AZPLS_EDITORS_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/azpls-editors}"
}

# as_root COMMAND...: runs a command that changes the system: as it is for root, through
# sudo for others when sudo needs no password (CI has no terminal to type one).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

# can_be_root: whether as_root can run anything.
can_be_root() {
  [ "$(id -u)" = 0 ] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }
}

# debs_missing PACKAGE...: prints those of Debian's packages that are not installed.
debs_missing() {
  local p
  for p in "$@"; do
    dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"
  done
}

# apt_install PACKAGE...: installs those of Debian's packages that are not installed yet,
# without their recommends (X11 and mail extras, not needed headless). A failed install is
# tried once more after apt-get update: a new machine's package lists may be missing or
# older than the mirror.
apt_install() {
  local missing
  mapfile -t missing < <(debs_missing "$@")
  [ "${#missing[@]}" -gt 0 ] || return 0
  command -v apt-get >/dev/null || {
    echo "needs Debian's apt-get to install ${missing[*]}" >&2
    return 1
  }
  can_be_root || {
    echo "needs root, or sudo without a password, to install Debian's ${missing[*]}" >&2
    return 1
  }
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}")
  as_root "${install[@]}" || { as_root apt-get update -qq && as_root "${install[@]}"; }
}

# python_venv DIR: a new virtualenv in DIR (Debian's system Python refuses `pip install`
# outside one), after installing python3 and its venv module when they are missing.
python_venv() {
  if ! command -v python3 >/dev/null; then
    apt_install python3 python3-venv
  elif ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    apt_install python3-venv
  fi
  rm -rf "$1"
  python3 -m venv "$1"
}

# use_node VSCODE_PREFIX: puts the Node that vscode/install.sh chose first on PATH (its own
# Node 20 under VSCODE_PREFIX/node when the machine had none), and points node-gyp at that
# Node's headers, which it would otherwise download from outside the package registries.
use_node() {
  if [ -d "$1/node/bin" ]; then PATH="$1/node/bin:$PATH"; fi
  local node node_root
  node="$(command -v node)" || return 0
  node_root="$(dirname "$(dirname "$(readlink -f "$node")")")"
  if [ -f "$node_root/include/node/node_api.h" ]; then export npm_config_nodedir="$node_root"; fi
}

# code_server_version PREFIX: the version code-server under PREFIX reports ("4.100.3").
# Its first start for a config folder writes a default config.yaml and says so on stdout
# before the version line, so only that line is taken. It starts with a config folder of
# its own under PREFIX: a check writes nothing into the user's.
code_server_version() {
  XDG_CONFIG_HOME="$1/.config" "$1/node_modules/.bin/code-server" --version 2>/dev/null |
    awk '$1 ~ /^[0-9]+\.[0-9]+\.[0-9]+$/ { print $1 }'
}

# e2e_install_ok NAME: when .ci/install-editors.sh noted that NAME's last install failed,
# prints the note and exits 77 (not installed), even if an older copy is still there: the
# test must try what the installer gives a new machine, or fail.
e2e_install_ok() {
  local note
  note="$(editors_prefix)/$1.install-failed"
  [ -f "$note" ] || return 0
  echo "the last install of $1 failed ($note):"
  cat "$note"
  exit 77
}

# e2e_init "$0" "$@": sets here (the script's folder), repo (the repository) and azpls
# (the binary under test, absolute), or exits 2 with a usage message.
e2e_init() {
  local script="$1"
  shift
  here="$(cd "$(dirname "$script")" && pwd)"
  repo="$(cd "$here/../../.." && pwd)"
  [ $# -eq 1 ] || { echo "usage: $script AZPLS_BINARY" >&2; exit 2; }
  [ -x "$1" ] || { echo "FAIL: azpls binary $1 is not an executable file" >&2; exit 2; }
  azpls="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
}

# e2e_project DIR: copies the test pipeline into DIR, with the template it calls
# (steps/smoke-test.yml, which the expanded pipeline shows inlined).
e2e_project() {
  mkdir -p "$1/steps"
  cp "$repo/tests/fixtures/editors/azure-pipelines.yml" "$1/azure-pipelines.yml"
  cp "$repo/tests/fixtures/editors/steps/smoke-test.yml" "$1/steps/smoke-test.yml"
}

# e2e_workspace: a temporary project (with .git, which marks the root for the editors)
# holding the test pipeline and its template, private HOME and XDG folders, and an empty
# report file.
# Sets work and report; the folder is kept for a look when the test fails (keep=1) and
# removed when the script sets keep=0.
e2e_workspace() {
  work="$(mktemp -d)"
  keep=1
  trap '[ "$keep" = 1 ] && echo "artifacts kept in $work" || rm -rf "$work"' EXIT
  mkdir -p "$work/project/.git" "$work/home" "$work/config" "$work/data" "$work/state" "$work/cache"
  e2e_project "$work/project"
  report="$work/report.txt"
  : >"$report"
}

# e2e_run NAME LOG COMMAND...: runs an editor headless in the project folder, with private
# HOME and XDG folders, AZPLS_BINARY and E2E_REPORT set, at most 60 s, its output in
# $work/LOG; prints the driver's report. On failure prints the output and exits 1. Sets
# elapsed_ms. Editor-specific variables go in front of the command (`env X=... editor ...`).
e2e_run() {
  local name="$1" log="$2"
  shift 2
  local started rc=0
  started=$(date +%s%N)
  (cd "$work/project" &&
    HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
      XDG_STATE_HOME="$work/state" XDG_CACHE_HOME="$work/cache" \
      AZPLS_BINARY="$azpls" E2E_REPORT="$report" \
      timeout 60 "$@" >"$work/$log" 2>&1) || rc=$?
  elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
  cat "$report"
  if [ "$rc" -ne 0 ]; then
    [ "$rc" -eq 124 ] && echo "FAIL: $name did not finish within 60 s"
    echo "FAIL: $name exited with $rc; its output:"
    cat "$work/$log"
    exit 1
  fi
}

# e2e_saved FILE: the file the editor saved must be byte-identical to the fixed fixture;
# prints the difference and exits 1 otherwise.
e2e_saved() {
  local fixed="$repo/tests/fixtures/editors/azure-pipelines.fixed.yml"
  if ! cmp "$1" "$fixed"; then
    echo "FAIL: the saved file differs from tests/fixtures/editors/azure-pipelines.fixed.yml:"
    diff "$fixed" "$1" || true
    exit 1
  fi
  echo "ok: saved file is byte-identical to tests/fixtures/editors/azure-pipelines.fixed.yml"
}

# e2e_pass ID: the last line of a passing test; the workspace is removed on exit.
e2e_pass() {
  echo "PASS: $1 in ${elapsed_ms} ms"
  keep=0
}
