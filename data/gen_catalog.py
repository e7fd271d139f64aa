#!/usr/bin/env python3
"""Generate data/catalog.json, the compact task catalog, from the shared tasks.json.

Reads `reference/tasks.json` under the shared reference folder (`../shared` next to the
repository, or $AZPLS_SHARED): every built-in task version of microsoft/azure-pipelines-tasks
with its inputs. Keeps the facts azpls uses and drops empty fields to keep the embedded file small.

    python3 data/gen_catalog.py           write data/catalog.json
    python3 data/gen_catalog.py --check   exit 1 with a diff if data/catalog.json is stale;
                                          exit 0 with "SKIP:" on stderr if the shared folder is absent

Exit code 2: the source is missing (write mode) or not in the expected shape.
Python 3.11 standard library only.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent
REPO = DATA.parent
OUT = DATA / "catalog.json"
SOURCE = "reference/tasks.json"
REPOSITORY = "microsoft/azure-pipelines-tasks"
# The date of the catalog commit (tasks.json records only the commit id).
SOURCE_DATE = "2026-08-21"
EXPECTED_TASKS = 224

HELP_LINK = re.compile(r"\[Learn more[^\]]*\]\((https?://[^)\s]+)\)", re.I)


class SourceError(Exception):
    pass


def scalar(v) -> str | None:
    """Defaults as the strings Azure Pipelines sees; empty and null mean "no default"."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return v if v != "" else None
    raise SourceError(f"unexpected default {v!r}")


def compact_input(i: dict, where: str) -> dict:
    for k in ("name", "type"):
        if not isinstance(i.get(k), str) or not i[k]:
            raise SourceError(f"{where}: input without {k}: {i!r}")
    out: dict = {"name": i["name"]}
    if i.get("aliases"):
        out["aliases"] = list(i["aliases"])
    out["type"] = i["type"]
    if i.get("required"):
        out["required"] = True
    d = scalar(i.get("default"))
    if d is not None:
        out["default"] = d
    if i.get("visibleRule"):
        out["visibleRule"] = i["visibleRule"]
    if i.get("options"):
        out["options"] = [str(o) for o in i["options"]]
    if i.get("label"):
        out["label"] = i["label"]
    return out


def compact_task(t: dict) -> dict:
    where = f"{SOURCE}: {t.get('name')}@{t.get('major')}"
    out: dict = {
        "name": t["name"],
        "major": int(t["major"]),
        "minor": int(t["minor"]),
        "patch": int(t["patch"]),
        "friendlyName": t.get("friendlyName") or "",
        "description": t.get("description") or "",
    }
    if t.get("deprecated"):
        out["deprecated"] = True
    if t.get("deprecationMessage"):
        out["deprecationMessage"] = t["deprecationMessage"]
    m = HELP_LINK.search(t.get("helpMarkDown") or "")
    if m:
        out["helpUrl"] = m.group(1)
    out["inputs"] = [compact_input(i, where) for i in t.get("inputs") or []]
    return out


def build(shared: Path) -> str:
    path = shared / SOURCE
    data = json.loads(path.read_text(encoding="utf-8"))
    tasks = data["tasks"]
    if len(tasks) != EXPECTED_TASKS or data["meta"].get("tasks") != EXPECTED_TASKS:
        raise SourceError(f"{SOURCE}: expected {EXPECTED_TASKS} tasks, found {len(tasks)}")
    keys = [(t["name"].lower(), t["major"]) for t in tasks]
    if len(set(keys)) != len(keys):
        raise SourceError(f"{SOURCE}: duplicate name@major")
    compact = sorted((compact_task(t) for t in tasks), key=lambda t: (t["name"].lower(), t["major"]))
    source = {
        "repository": REPOSITORY,
        "path": "Tasks/*/task.json",
        "commit": data["meta"]["commit"],
        "date": SOURCE_DATE,
        "generator": "data/gen_catalog.py (do not edit; regenerate)",
    }
    lines = ['{"source":' + json.dumps(source, ensure_ascii=False, separators=(",", ":")) + ",", '"tasks":[']
    body = [json.dumps(t, ensure_ascii=False, separators=(",", ":")) for t in compact]
    lines.append(",\n".join(body))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def shared_dir() -> Path:
    env = os.environ.get("AZPLS_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def main(argv: list[str]) -> int:
    check = "--check" in argv[1:]
    unknown = [a for a in argv[1:] if a != "--check"]
    if unknown:
        print(f"usage: gen_catalog.py [--check] (unknown argument {unknown[0]!r})", file=sys.stderr)
        return 2
    shared = shared_dir()
    if not shared.is_dir():
        if check:
            print("SKIP: gen_catalog.py --check: shared reference folder not found (set AZPLS_SHARED or provide ../shared); catalog.json NOT verified", file=sys.stderr)
            return 0
        print("error: shared reference folder not found (set AZPLS_SHARED or provide ../shared)", file=sys.stderr)
        return 2
    try:
        text = build(shared)
    except (SourceError, OSError, KeyError, ValueError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not check:
        OUT.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote data/catalog.json ({len(text)} bytes)", file=sys.stderr)
        return 0
    current = OUT.read_text(encoding="utf-8") if OUT.is_file() else ""
    if current != text:
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True), "data/catalog.json (committed)", "data/catalog.json (regenerated)"))
        print("data/catalog.json is out of date: run python3 data/gen_catalog.py", file=sys.stderr)
        return 1
    print("data/catalog.json matches the catalog", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
