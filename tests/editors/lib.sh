# Shared by tests/editors/*/run.sh (sourced, not run). Every editor test takes the azpls
# binary as its only argument and works in a temporary folder of its own.

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

# e2e_workspace: a temporary project (with .git, which marks the root for the editors)
# holding the test pipeline, private HOME and XDG folders, and an empty report file.
# Sets work and report; the folder is kept for a look when the test fails (keep=1) and
# removed when the script sets keep=0.
e2e_workspace() {
  work="$(mktemp -d)"
  keep=1
  trap '[ "$keep" = 1 ] && echo "artifacts kept in $work" || rm -rf "$work"' EXIT
  mkdir -p "$work/project/.git" "$work/home" "$work/config" "$work/data" "$work/state" "$work/cache"
  cp "$repo/tests/fixtures/editors/azure-pipelines.yml" "$work/project/azure-pipelines.yml"
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
