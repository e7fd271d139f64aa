#!/usr/bin/env bash
# Installs the editors the end-to-end tests drive (tests/editors/*/install.sh), from the
# package registries only, into $AZPLS_EDITORS_PREFIX (see editors_prefix in
# tests/editors/lib.sh). As root, or as a user with sudo for Debian's packages.
#
# Each installer runs twice. The first run installs (or finds its editor there); the second
# must find everything installed and say "already installed". An installer whose own check
# fails right after installing (code-server's first start printed a notice before its
# version, once) is caught by the first run; one that installs again every time, by the second.
#
# A failed install stops neither the other installs nor the caller. It is reported here,
# and noted as NAME.install-failed in the prefix, with the end of its log: that editor's
# test then fails with the note (tests/editors/*/run.sh, e2e_install_ok), instead of
# passing untried. Exits 1 when any install failed, 0 otherwise.
set -uo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.." || exit 2
# shellcheck source=../tests/editors/lib.sh
source tests/editors/lib.sh

prefix="$(editors_prefix)"
mkdir -p "$prefix"
echo "editors go to $prefix"
failed=()
summary=()
for script in tests/editors/*/install.sh; do
  name="$(basename "$(dirname "$script")")"
  log="$prefix/$name.install.log"
  note="$prefix/$name.install-failed"
  rm -f "$note"
  echo "== $name: bash $script"
  started=$SECONDS
  bash "$script" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  first=$((SECONDS - started))
  problem=""
  if [ "$rc" -ne 0 ]; then
    problem="the first run of $script exited with $rc"
  else
    echo "== $name: again, to check that it finds everything installed"
    again="$(bash "$script" 2>&1)"
    rc=$?
    echo "$again" | tee -a "$log"
    if [ "$rc" -ne 0 ] || ! grep -q "already installed" <<<"$again"; then
      problem="the second run of $script (exit $rc) did not find what the first installed"
    fi
  fi
  if [ -n "$problem" ]; then
    { echo "$problem; the end of its log ($log):"; tail -n 40 "$log"; } >"$note"
    failed+=("$name")
    summary+=("$name: FAILED after ${first} s: $problem")
    echo
    echo "*** EDITOR INSTALL FAILED: $name: $problem ***"
    echo "*** Its end-to-end test will fail with this note; the log is $log ***"
    echo
  else
    summary+=("$name: ok, first run ${first} s")
  fi
done

echo "== editors:"
printf '   %s\n' "${summary[@]}"
[ "${#failed[@]}" -eq 0 ] || {
  echo "*** EDITOR INSTALLS FAILED: ${failed[*]} ***"
  exit 1
}
