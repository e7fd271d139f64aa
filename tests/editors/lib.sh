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
