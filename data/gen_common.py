"""What the data generators share: where the shared reference folder is, and how a generated
file is written or checked. Python 3.11 standard library only."""

from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent


def shared_dir() -> Path:
    """`$AZPLS_SHARED`, else `shared` beside the repository."""
    env = os.environ.get("AZPLS_SHARED")
    return Path(env) if env else DATA.parent.parent / "shared"


def no_shared(script: str, out: Path, check: bool) -> int:
    """Without the shared folder a check is skipped, loudly, and writing fails."""
    if check:
        print(f"SKIP: {script} --check: shared reference folder not found (set AZPLS_SHARED or provide ../shared); {out.name} NOT verified", file=sys.stderr)
        return 0
    print("error: shared reference folder not found (set AZPLS_SHARED or provide ../shared)", file=sys.stderr)
    return 2


def write_or_check(script: str, out: Path, text: str, check: bool) -> int:
    """Writes `out`, or with `check` compares it with `text`: 1 and a unified diff on stdout
    when the committed file differs."""
    name = f"data/{out.name}"
    if not check:
        out.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote {name} ({len(text)} bytes)", file=sys.stderr)
        return 0
    current = out.read_text(encoding="utf-8") if out.is_file() else ""
    if current != text:
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True), f"{name} (committed)", f"{name} (regenerated)"))
        print(f"{name} is out of date: run python3 data/{script}", file=sys.stderr)
        return 1
    print(f"{name} is up to date", file=sys.stderr)
    return 0
