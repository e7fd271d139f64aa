#!/usr/bin/env python3
"""Generate data/wif.toml from dated versions of Microsoft's WIF troubleshooting document.

Reads the markdown documents and the task catalog from the shared reference folder
(`../shared` next to the repository, or $AZPLS_SHARED), and writes data/wif.toml
deterministically. With --check, regenerates in memory, compares with the committed file and
verifies that data/errors.toml lists exactly the error messages of each document.

Exit codes: 0 written / up to date (or SKIP: shared folder absent, --check only),
1 --check found a difference, 2 a source is broken or missing (message names file, line, cell).

Python 3.11 standard library only.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent
REPO = DATA.parent
OUT = DATA / "wif.toml"
ERRORS = DATA / "errors.toml"

DOC_URL = "https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity"
LEARN_BASE = "https://learn.microsoft.com"
DOC_DIR_URL = LEARN_BASE + "/azure/devops/pipelines/release/"

# The documents, oldest first: path under the shared folder, expected ms.date, commit in
# MicrosoftDocs/azure-devops-docs. The date is checked against the front matter so a swapped
# file cannot silently produce a mislabelled table.
SOURCES = [
    ("seed/troubleshoot-workload-identity.md", "2024-02-08", "c6956962"),
    ("reference/troubleshoot-workload-identity.2025-03-12.md", "2025-03-12", "0110bc30"),
]
CATALOG = "reference/tasks.json"
# The sibling manual-setup document of the preview: the only one that gives the issuer and
# subject Azure DevOps used then, which credentials made in that time may still carry.
CONFIGURE = ("reference/configure-workload-identity.2023-09-06.014d49eb.md", "2023-09-06", "014d49eb")

# What a document says about built-in tasks missing from its table, and about Marketplace
# tasks: recognised by a distinctive phrase, restated in our own words.
UNLISTED = [
    ("not all pipelines tasks support workload identity", "not-all",
     "Built-in tasks the table does not list may or may not work with workload identity federation."),
    ("almost all pipelines tasks", "almost-all",
     "Nearly every built-in task works with workload identity federation, including ones the table does not list."),
]
MARKETPLACE = [
    ("during the preview, no azure marketplace tasks support", "unsupported-during-preview",
     "Marketplace extension tasks were not supported while the feature was in preview."),
    ("contact the extension publisher", "ask-publisher",
     "Support in a Marketplace extension task depends on its publisher, who should be asked."),
]
CONTAINER_HEADING = "i use a container resource that specifies an instance of azure container registry"

# Connection types a row may name instead of an input ("Azure service connection: Y"),
# mapped to the catalog's `connectedService:<suffix>`.
CONNECTION_LABELS = {
    "azure service connection": "AzureRM",
    "docker registry service connection": "dockerregistry",
    "kubernetes service connection": "kubernetes",
}


class SourceError(Exception):
    """A source document or the catalog is not what the parser understands."""


def fail_at(path: str, line: int, msg: str, cell: str | None = None) -> SourceError:
    where = f"{path}:{line}: {msg}"
    if cell is not None:
        where += f" (cell: {cell!r})"
    return SourceError(where)


@dataclass
class Link:
    text: str
    url: str


@dataclass
class InputSupport:
    table_name: str | None
    connection_label: str | None
    connection_type: str
    supported: bool
    spellings: list[str]
    resolved_by: str  # name | alias | connection-type | unresolved


@dataclass
class Row:
    line: int
    name: str
    major: int
    raw: str
    status: str  # supported | unsupported | deprecated | per-input | planned
    links: list[Link] = field(default_factory=list)
    replacement: str | None = None
    replacement_major: int | None = None
    condition: str | None = None
    when: str | None = None
    parts: list[tuple[str, bool]] = field(default_factory=list)  # per-input: (key, supported)
    inputs: list[InputSupport] = field(default_factory=list)
    note: str | None = None


# ---------------------------------------------------------------- markdown tables

LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
SEP_RE = re.compile(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?")
TASK_RE = re.compile(r"^([A-Za-z][A-Za-z0-9]*)@(\d+)$")


def split_row(line: str) -> list[str]:
    s = line.strip()
    if not (s.startswith("|") and s.endswith("|")):
        return []
    return [c.strip() for c in s[1:-1].split("|")]


def find_table(lines: list[str], path: str, first_header: str) -> tuple[int, list[tuple[int, list[str]]]]:
    """The table whose first header cell is `first_header`: (header line, [(line no, cells)])."""
    for i, line in enumerate(lines):
        cells = split_row(line)
        if cells and cells[0].lower() == first_header.lower():
            if i + 1 >= len(lines) or not SEP_RE.fullmatch(lines[i + 1].strip()):
                raise fail_at(path, i + 2, f"table '{first_header}' has no separator row")
            width = len(cells)
            rows = []
            for j in range(i + 2, len(lines)):
                if not lines[j].strip().startswith("|"):
                    break
                row = split_row(lines[j])
                if len(row) != width:
                    raise fail_at(path, j + 1, f"expected {width} cells, found {len(row)}", lines[j].strip())
                rows.append((j + 1, row))
            if not rows:
                raise fail_at(path, i + 1, f"table '{first_header}' has no rows")
            return i + 1, rows
    raise fail_at(path, 1, f"no table with a '{first_header}' column")


def parse_status(path: str, line: int, cell: str) -> Row:
    """Parse one status cell into a Row (name/major filled in by the caller)."""
    raw = cell.strip()
    links = [Link(m.group(1).strip(), m.group(2)) for m in LINK_RE.finditer(raw)]
    text = LINK_RE.sub("\x00", raw)
    if "[" in text or "](" in text:
        raise fail_at(path, line, "malformed markdown link", raw)
    text = re.sub(r"<br\s*/?>", ",", text, flags=re.I)
    parts = []
    for p in text.split(","):
        p = p.strip()
        if p == "\x00":
            continue  # a link on its own: kept in `links`
        if not p or "\x00" in p:
            raise fail_at(path, line, "empty part or link inside text", raw)
        parts.append(p)
    if not parts:
        raise fail_at(path, line, "no status, only links", raw)
    row = Row(line=line, name="", major=0, raw=raw, status="", links=links)
    if len(parts) == 1:
        p = parts[0]
        if re.fullmatch(r"[Yy]", p):
            row.status = "supported"
            return row
        if re.fullmatch(r"[Nn]", p):
            row.status = "unsupported"
            return row
        m = re.fullmatch(r"Use ([A-Za-z][A-Za-z0-9]*)@(\d+)(?: +(with [A-Za-z][A-Za-z ]*[A-Za-z]))?", p)
        if m:
            row.status = "deprecated"
            row.replacement, row.replacement_major, row.condition = m.group(1), int(m.group(2)), m.group(3)
            return row
        m = re.fullmatch(r"(20\d\d) Q([1-4])", p)
        if m:
            row.status = "planned"
            row.when = f"{m.group(1)} Q{m.group(2)}"
            return row
    for p in parts:
        m = re.fullmatch(r"([A-Za-z][A-Za-z ]*[A-Za-z])\s*:\s*([YyNn])", p)
        if not m:
            raise fail_at(path, line, f"unknown status {p!r}", raw)
        key = m.group(1)
        if " " in key and key.lower() not in CONNECTION_LABELS:
            raise fail_at(path, line, f"unknown connection type {key!r}", raw)
        row.parts.append((key, m.group(2) in "Yy"))
    keys = [k.lower() for k, _ in row.parts]
    if len(set(keys)) != len(keys):
        raise fail_at(path, line, "an input is named twice", raw)
    row.status = "per-input"
    return row


def parse_task_table(text: str, path: str) -> list[Row]:
    lines = text.splitlines()
    header_line, rows = find_table(lines, path, "Task")
    header = split_row(lines[header_line - 1])
    if len(header) != 2 or header[1].lower() != "workload identity federation support":
        raise fail_at(path, header_line, "expected columns 'Task | Workload identity federation support'", lines[header_line - 1].strip())
    out: list[Row] = []
    seen: dict[tuple[str, int], int] = {}
    for line, (task, status) in rows:
        m = TASK_RE.fullmatch(task)
        if not m:
            raise fail_at(path, line, "task is not Name@major", task)
        key = (m.group(1).lower(), int(m.group(2)))
        if key in seen:
            raise fail_at(path, line, f"duplicate row (first on line {seen[key]})", task)
        seen[key] = line
        row = parse_status(path, line, status)
        row.name, row.major = m.group(1), int(m.group(2))
        out.append(row)
    return out


def parse_error_table(text: str, path: str) -> list[tuple[int, str, str | None, list[Link]]]:
    """[(line, message, code, links)] of the 'Message | Possible issue' table."""
    lines = text.splitlines()
    _, rows = find_table(lines, path, "Message")
    out = []
    for line, cells in rows:
        m = re.fullmatch(r"\*\*(.+)\*\*", cells[0])
        if not m:
            raise fail_at(path, line, "message is not in bold", cells[0])
        message = normalize_message(m.group(1))
        codes = sorted(set(re.findall(r"AADSTS\d+", message)))
        if len(codes) > 1:
            raise fail_at(path, line, "several AADSTS codes in one message", cells[0])
        links = [Link(t.strip(), absolute_url(u)) for t, u in LINK_RE.findall(cells[1])]
        out.append((line, message, codes[0] if codes else None, links))
    return out


def normalize_message(s: str) -> str:
    return re.sub(r"\s+", " ", s.replace("`", "")).strip()


def absolute_url(url: str) -> str:
    """Learn-relative links as absolute URLs, so an editor can open them."""
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("/"):
        return LEARN_BASE + url
    path, _, frag = url.partition("#")
    if path.endswith(".md"):
        path = path[:-3]
    return DOC_DIR_URL + path + ("#" + frag if frag else "")


# ---------------------------------------------------------------- document facts

def front_matter_date(text: str, path: str) -> str:
    m = re.search(r"^ms\.date:\s*(\d\d)/(\d\d)/(\d{4})\s*$", text, re.M)
    if not m:
        raise fail_at(path, 1, "no ms.date in the front matter")
    return f"{m.group(3)}-{m.group(1)}-{m.group(2)}"


def section(text: str, heading: str, path: str) -> str:
    m = re.search(r"^#+\s+" + re.escape(heading) + r"\s*$", text, re.M | re.I)
    if not m:
        raise fail_at(path, 1, f"no section '{heading}'")
    rest = text[m.end():]
    end = re.search(r"^#+\s", rest, re.M)
    return rest[: end.start()] if end else rest


def classify(text: str, table: list[tuple[str, str, str]], path: str, what: str) -> tuple[str, str]:
    low = re.sub(r"\s+", " ", text.lower())
    hits = [(kind, words) for phrase, kind, words in table if phrase in low]
    if len(hits) != 1:
        raise fail_at(path, 1, f"cannot tell what the document says about {what} ({len(hits)} known phrases found)")
    return hits[0]


def identity_formats(text: str, path: str) -> list[dict]:
    sec = section(text, "Check the issuer URL for accuracy", path)
    lines = sec.splitlines()
    if any(split_row(l)[:1] == ["Issuer"] for l in lines):
        head = next(split_row(l) for l in lines if "issuer" in l.lower() and l.strip().startswith("|"))
        issuer = next(split_row(l) for l in lines if split_row(l)[:1] == ["Issuer"])
        subject = next((split_row(l) for l in lines if split_row(l)[:1] == ["Subject"]), None)
        if subject is None or len(head) != len(issuer) or len(issuer) != len(subject):
            raise fail_at(path, 1, "issuer/subject table is malformed")
        out = []
        for col in range(1, len(head)):
            label = re.sub(r"\s*\(.*\)$", "", head[col])
            m = re.fullmatch(r"(Azure DevOps|Microsoft Entra) issuer", label)
            if not m:
                raise fail_at(path, 1, "unknown issuer column", head[col])
            out.append({"kind": m.group(1), "issuer": issuer[col].strip("`"), "subject": subject[col].strip("`")})
        return out
    # Older versions: only the issuer prefix in prose; the subject appears in the AADSTS70021 row.
    m = re.search(r"correct issuer URL starts with `([^`]+)`", sec)
    if not m:
        raise fail_at(path, 1, "no issuer format found")
    subj = re.search(r"Assertion Subject:\s*`([^`]+?)\.?`", text)
    if not subj:
        raise fail_at(path, 1, "no subject format found")
    return [{"kind": "Azure DevOps", "issuer": m.group(1), "subject": subj.group(1)}]


def audience(docs: list["Doc"]) -> str:
    """The audience Azure DevOps asks Microsoft Entra for, as the error tables show it in the
    message of a task that cannot request a token (`?audience=api://...`): one value, the same
    in every version that shows it."""
    found = {}
    for d in docs:
        for line, message, _, _ in d.errors:
            for value in re.findall(r"[?&]audience=([A-Za-z][A-Za-z0-9+.-]*://[^\s:`\"]+)", message):
                found.setdefault(value, f"{d.rel}:{line}")
    if len(found) != 1:
        where = docs[0].rel if docs else "documents"
        raise fail_at(where, 1, f"expected one audience in the error tables, found {sorted(found) or 'none'}")
    return next(iter(found))


def preview_format(text: str, path: str) -> dict:
    """Issuer and subject from the 'Field | Description' tables of the manual-setup document
    (one per identity kind; they must agree): the first code span of each row."""
    values: dict[str, set[str]] = {"Issuer": set(), "Subject identifier": set()}
    for i, line in enumerate(text.splitlines(), 1):
        cells = split_row(line)
        if len(cells) < 2 or cells[0] not in values:
            continue
        m = re.search(r"`([^`]+)`", cells[1])
        if not m:
            raise fail_at(path, i, f"no code span in the {cells[0]} row", line.strip())
        values[cells[0]].add(m.group(1).strip())
    for field, found in values.items():
        if len(found) != 1:
            raise fail_at(path, 1, f"expected one {field} value, found {sorted(found) or 'none'}")
    issuer, subject = values["Issuer"].pop(), values["Subject identifier"].pop()
    if not issuer.startswith("https://") or not subject.startswith("sc://"):
        raise fail_at(path, 1, f"unexpected issuer or subject format ({issuer!r}, {subject!r})")
    return {"issuer": issuer, "subject": subject}


def azure_cli_min(text: str, path: str) -> str:
    found = set(re.findall(r"Azure CLI (\d+\.\d+) or later", text))
    if len(found) != 1:
        raise fail_at(path, 1, f"expected one Azure CLI minimum version, found {sorted(found)}")
    return found.pop()


# ---------------------------------------------------------------- catalog resolution

def load_catalog(path: Path) -> tuple[str, dict[tuple[str, int], dict]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    tasks = {(t["name"].lower(), t["major"]): t for t in data["tasks"]}
    return data["meta"]["commit"], tasks


def conn_type(input_type: str) -> str | None:
    return input_type.split(":", 1)[1] if input_type.startswith("connectedService:") else None


def guess_type(key: str) -> str | None:
    low = key.lower()
    for word, t in (("azure", "AzureRM"), ("docker", "dockerregistry"), ("kubernetes", "kubernetes")):
        if word in low:
            return t
    return None


def inputs_of_type(task: dict, t: str) -> list[dict]:
    return [i for i in task["inputs"] if (conn_type(i["type"]) or "").lower() == t.lower()]


def spellings(inputs: list[dict]) -> list[str]:
    out: list[str] = []
    for i in inputs:
        for s in [i["name"], *i["aliases"]]:
            if s not in out:
                out.append(s)
    return out


def resolve(row: Row, catalog: dict[tuple[str, int], dict], path: str) -> None:
    task = catalog.get((row.name.lower(), row.major))
    if row.status == "deprecated" and (row.replacement.lower(), row.replacement_major) not in catalog:
        row.note = f"replacement {row.replacement}@{row.replacement_major} is not in the task catalog"
    if task is None:
        row.note = "not in the task catalog"
    if row.status != "per-input":
        return
    for key, ok in row.parts:
        label = key if key.lower() in CONNECTION_LABELS else None
        if label:
            t = CONNECTION_LABELS[label.lower()]
            found = inputs_of_type(task, t) if task else []
            row.inputs.append(InputSupport(None, label, t, ok, spellings(found) or [], "connection-type" if found else "unresolved"))
            if not found and task is not None:
                raise fail_at(path, row.line, f"{row.name}@{row.major} has no {t} input in the catalog", row.raw)
            continue
        if task is None:
            row.inputs.append(InputSupport(key, None, guess_type(key) or "", ok, [key], "unresolved"))
            continue
        by_name = [i for i in task["inputs"] if i["name"].lower() == key.lower()]
        by_alias = [i for i in task["inputs"] if key.lower() in (a.lower() for a in i["aliases"])]
        hit = by_name or by_alias
        if hit:
            t = conn_type(hit[0]["type"])
            if t is None:
                raise fail_at(path, row.line, f"input {key!r} of {row.name}@{row.major} is not a service connection", row.raw)
            row.inputs.append(InputSupport(key, None, t, ok, spellings(hit), "name" if by_name else "alias"))
            continue
        t = guess_type(key)
        found = inputs_of_type(task, t) if t else []
        if not found:
            raise fail_at(path, row.line, f"input {key!r} is not an input of {row.name}@{row.major} and its connection type is unknown", row.raw)
        row.inputs.append(InputSupport(key, None, t, ok, spellings(found), "connection-type"))


# ---------------------------------------------------------------- output

def q(s: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes (non-ASCII kept as is).
    return json.dumps(s, ensure_ascii=False)


def qlist(xs: list[str]) -> str:
    return "[" + ", ".join(q(x) for x in xs) + "]"


def links_toml(links: list[Link]) -> str:
    return "[" + ", ".join(f"{{ text = {q(l.text)}, url = {q(l.url)} }}" for l in links) + "]"


@dataclass
class Doc:
    rel: str
    date: str
    commit: str
    rows: list[Row]
    unlisted: tuple[str, str]
    marketplace: tuple[str, str]
    container: bool
    formats: list[dict]
    cli: str
    errors: list[tuple[int, str, str | None, list[Link]]]


def read_doc(shared: Path, rel: str, date: str, commit: str, catalog: dict) -> Doc:
    path = shared / rel
    text = path.read_text(encoding="utf-8")
    if front_matter_date(text, rel) != date:
        raise fail_at(rel, 1, f"ms.date is {front_matter_date(text, rel)}, expected {date}")
    rows = parse_task_table(text, rel)
    for r in rows:
        resolve(r, catalog, rel)
    intro = section(text, "Review pipeline tasks", rel).split("\n|", 1)[0]
    return Doc(
        rel=rel, date=date, commit=commit, rows=rows,
        unlisted=classify(intro, UNLISTED, rel, "unlisted built-in tasks"),
        marketplace=classify(intro, MARKETPLACE, rel, "Marketplace tasks"),
        container=CONTAINER_HEADING in text.lower(),
        formats=identity_formats(text, rel),
        cli=azure_cli_min(text, rel),
        errors=parse_error_table(text, rel),
    )


def render(docs: list[Doc], catalog_commit: str, preview: dict) -> str:
    o = []
    srcs = ", ".join(f"{d.date} (commit {d.commit})" for d in docs)
    o.append(f"# generated by data/gen_wif.py from MicrosoftDocs/azure-devops-docs")
    o.append(f"# docs/pipelines/release/troubleshoot-workload-identity.md versions {srcs},")
    o.append(f"# docs/pipelines/release/configure-workload-identity.md version {CONFIGURE[1]} (commit {CONFIGURE[2]}) for the preview's issuer")
    o.append(f"# and the task catalog microsoft/azure-pipelines-tasks commit {catalog_commit[:8]}; do not edit.")
    o.append("# Regenerate: python3 data/gen_wif.py   Check: python3 data/gen_wif.py --check")
    o.append("")
    o.append("schema = 1")
    o.append(f"catalog_commit = {q(catalog_commit)}")
    o.append("")
    o.append("[federation]")
    o.append(f"audience = {q(audience(docs))}")
    rel, date, commit = CONFIGURE
    o.append(f"preview_issuer = {q(preview['issuer'])}")
    o.append(f"preview_subject = {q(preview['subject'])}")
    o.append(f"preview_source = {q(rel)}")
    o.append(f"preview_date = {q(date)}")
    o.append(f"preview_commit = {q(commit)}")
    for d in docs:
        o.append("")
        o.append("[[table]]")
        o.append(f"date = {q(d.date)}")
        o.append(f"commit = {q(d.commit)}")
        o.append(f"source = {q(d.rel)}")
        o.append(f"url = {q(DOC_URL)}")
        o.append(f"tasks_url = {q(DOC_URL + '#review-pipeline-tasks')}")
        o.append(f"unlisted_builtin_kind = {q(d.unlisted[0])}")
        o.append(f"unlisted_builtin = {q(d.unlisted[1])}")
        o.append(f"marketplace_kind = {q(d.marketplace[0])}")
        o.append(f"marketplace = {q(d.marketplace[1])}")
        o.append(f"container_resource_acr_unsupported = {'true' if d.container else 'false'}")
        o.append(f"azure_cli_min = {q(d.cli)}")
        o.append("identity_formats = [")
        for f in d.formats:
            o.append(f"  {{ kind = {q(f['kind'])}, issuer = {q(f['issuer'])}, subject = {q(f['subject'])} }},")
        o.append("]")
        for r in d.rows:
            o.append("")
            o.append("[[table.task]]")
            o.append(f"name = {q(r.name)}")
            o.append(f"major = {r.major}")
            o.append(f"line = {r.line}")
            o.append(f"raw = {q(r.raw)}")
            o.append(f"status = {q(r.status)}")
            if r.status == "deprecated":
                o.append(f"replacement = {q(r.replacement)}")
                o.append(f"replacement_major = {r.replacement_major}")
                if r.condition:
                    o.append(f"condition = {q(r.condition)}")
            if r.status == "planned":
                o.append(f"when = {q(r.when)}")
            if r.links:
                o.append(f"links = {links_toml(r.links)}")
            if r.note:
                o.append(f"note = {q(r.note)}")
            if r.inputs:
                o.append("inputs = [")
                for i in r.inputs:
                    fields = []
                    if i.table_name is not None:
                        fields.append(f"table_name = {q(i.table_name)}")
                    if i.connection_label is not None:
                        fields.append(f"connection_label = {q(i.connection_label)}")
                    fields += [
                        f"connection_type = {q(i.connection_type)}",
                        f"supported = {'true' if i.supported else 'false'}",
                        f"spellings = {qlist(i.spellings)}",
                        f"resolved_by = {q(i.resolved_by)}",
                    ]
                    o.append("  { " + ", ".join(fields) + " },")
                o.append("]")
    return "\n".join(o) + "\n"


def shared_dir() -> Path:
    env = os.environ.get("AZPLS_SHARED")
    return Path(env) if env else REPO.parent / "shared"


def build(shared: Path) -> tuple[str, list[Doc]]:
    catalog_path = shared / CATALOG
    if not catalog_path.is_file():
        raise SourceError(f"{CATALOG}: missing")
    commit, catalog = load_catalog(catalog_path)
    docs = [read_doc(shared, rel, date, c, catalog) for rel, date, c in SOURCES]
    return render(docs, commit, read_preview(shared)), docs


def read_preview(shared: Path) -> dict:
    rel, date, _ = CONFIGURE
    text = (shared / rel).read_text(encoding="utf-8")
    if front_matter_date(text, rel) != date:
        raise fail_at(rel, 1, f"ms.date is {front_matter_date(text, rel)}, expected {date}")
    return preview_format(text, rel)


def check_errors(docs: list[Doc], errors_text: str) -> list[str]:
    """Per version, the document's error messages and codes must equal errors.toml's."""
    data = tomllib.loads(errors_text)
    problems = []
    dates = {d.date for d in docs}
    for e in data.get("error", []):
        for t in e.get("tables", []):
            if t not in dates:
                problems.append(f"errors.toml: {e.get('message')!r} names unknown table {t!r}")
        code = e.get("code")
        if code is not None and code not in e["message"]:
            problems.append(f"errors.toml: code {code} is not in its message {e['message']!r}")
        if e["match"].lower() not in e["message"].lower():
            problems.append(f"errors.toml: match {e['match']!r} is not part of its message")
    for d in docs:
        mine = [e for e in data.get("error", []) if d.date in e.get("tables", [])]
        ours = {normalize_message(e["message"]) for e in mine}
        theirs = {m for _, m, _, _ in d.errors}
        for m in sorted(theirs - ours):
            line = next(l for l, mm, _, _ in d.errors if mm == m)
            problems.append(f"{d.rel}:{line}: message missing from errors.toml for {d.date}: {m!r}")
        for m in sorted(ours - theirs):
            problems.append(f"errors.toml: {m!r} is listed for {d.date} but that document has no such message")
        our_codes = sorted(e["code"] for e in mine if e.get("code"))
        their_codes = sorted(c for _, _, c, _ in d.errors if c)
        if our_codes != their_codes:
            problems.append(f"errors.toml: codes for {d.date} are {our_codes}, the document has {their_codes}")
    return problems


def main(argv: list[str]) -> int:
    check = "--check" in argv[1:]
    unknown = [a for a in argv[1:] if a != "--check"]
    if unknown:
        print(f"usage: gen_wif.py [--check] (unknown argument {unknown[0]!r})", file=sys.stderr)
        return 2
    shared = shared_dir()
    if not shared.is_dir():
        if check:
            print(f"SKIP: gen_wif.py --check: shared reference folder not found (set AZPLS_SHARED or provide ../shared); wif.toml NOT verified", file=sys.stderr)
            return 0
        print("error: shared reference folder not found (set AZPLS_SHARED or provide ../shared)", file=sys.stderr)
        return 2
    try:
        text, docs = build(shared)
    except (SourceError, OSError, KeyError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not check:
        OUT.write_text(text, encoding="utf-8", newline="\n")
        print(f"wrote data/wif.toml: " + ", ".join(f"{d.date} {len(d.rows)} rows" for d in docs), file=sys.stderr)
        return 0
    rc = 0
    current = OUT.read_text(encoding="utf-8") if OUT.is_file() else ""
    if current != text:
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True), "data/wif.toml (committed)", "data/wif.toml (regenerated)"))
        print("data/wif.toml is out of date: run python3 data/gen_wif.py", file=sys.stderr)
        rc = 1
    try:
        problems = check_errors(docs, ERRORS.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, KeyError) as e:
        problems = [f"errors.toml: {e}"]
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        rc = 1
    if rc == 0:
        print("data/wif.toml and data/errors.toml match the documents", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
