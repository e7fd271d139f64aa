#!/usr/bin/env python3
"""Generate data/task-reference.json from Microsoft's YAML task reference pages.

Reads `reference/task-reference/*.md` under the shared reference folder (`../shared` next to the
repository, or $AZPLS_SHARED): one page per task version, from MicrosoftDocs/azure-devops-yaml-schema.
Keeps, per task version, the inputs the page lists with their aliases and whether the page calls
each one Required, Required when <condition>, or Optional (with its "Use when" condition), plus its
default: the facts the input rules check steps against. data/gen_catalog.py merges them into
data/catalog.json; nothing reads the pages at run time.

A page documents several server versions (`:::moniker range` blocks): azure-pipelines (the cloud
service), azure-pipelines-server, azure-pipelines-2022.2, ... An input's facts are those of the
newest version that lists it; `"cloud": false` marks inputs the page lists only for older servers.

Each page says the same things twice: in the syntax block of each server version (a commented
YAML step) and in its Inputs section (one item per input). The Inputs section is read, because it
quotes conditions in backticks; the syntax blocks are compared with it, input by input and server
by server, and a page whose two parts disagree is reported rather than guessed at.

    python3 data/gen_reference.py            write data/task-reference.json
    python3 data/gen_reference.py --check    exit 1 with a diff if it is stale;
                                             exit 0 with "SKIP:" on stderr if the shared folder is absent
    python3 data/gen_reference.py --stdout   print what would be written (tests read the pages this way)

Exit code 2: the shared folder is missing (write mode) or a page is not understood; the message
names the file and line. Python 3.11 standard library only.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gen_common import no_shared, shared_dir, write_or_check

DATA = Path(__file__).resolve().parent
OUT = DATA / "task-reference.json"
PAGES = "reference/task-reference"
REPOSITORY = "MicrosoftDocs/azure-devops-yaml-schema"
# The commit and date of the copies in the shared folder (the pages record only ms.date).
COMMIT = "27424983"
DATE = "2026-06-30"
EXPECTED_PAGES = 270

# Server versions the pages distinguish, oldest first; the last is the cloud service.
MONIKERS = ["azure-pipelines-2022", "azure-pipelines-2022.1", "azure-pipelines-2022.2", "azure-pipelines-server", "azure-pipelines"]
CLOUD = MONIKERS[-1]

ALIAS_LINK = "[Input alias](index.md#what-are-task-input-aliases): "


class SourceError(Exception):
    pass


@dataclass
class Facts:
    """One input as one server version's block describes it."""

    name: str
    aliases: list[str]
    kind: str  # "string" or "boolean": the page's own type words
    status: str  # "required", "required-when" or "optional"
    when: str | None  # the Required when / Use when condition
    default: str | None
    label: str
    line: int
    # The "Allowed values" of a pick list: the keys a step writes, labels left out.
    values: list[str] = field(default_factory=list)


@dataclass
class Page:
    file: str
    name: str
    major: int
    date: str
    # input name -> server version -> facts, in page order
    inputs: dict[str, dict[str, Facts]] = field(default_factory=dict)


def fail(where: str, line: int, msg: str) -> SourceError:
    return SourceError(f"{where}:{line}: {msg}")


def moniker_range(expr: str, where: str, line: int) -> set[str]:
    """The server versions a `:::moniker range="…"` expression covers: `||`-separated
    alternatives of space-separated comparisons (`>=azure-pipelines-2022.1 <=azure-pipelines-server`);
    a comparison without an operator means `=`, and a space may follow the operator."""
    out: set[str] = set()
    for alternative in expr.split("||"):
        parts = re.findall(r"(<=|>=|<|>|=)?\s*([a-z0-9.\-]+)", alternative)
        if not parts or re.sub(r"(<=|>=|<|>|=)?\s*[a-z0-9.\-]+", "", alternative).strip():
            raise fail(where, line, f"moniker range {expr!r} not understood")
        covered = set(MONIKERS)
        for op, name in parts:
            if name not in MONIKERS:
                raise fail(where, line, f"unknown server version {name!r} in moniker range {expr!r}")
            i = MONIKERS.index(name)
            keep = {
                "": lambda j: j == i, "=": lambda j: j == i, "<": lambda j: j < i, "<=": lambda j: j <= i,
                ">": lambda j: j > i, ">=": lambda j: j >= i,
            }[op]
            covered &= {m for j, m in enumerate(MONIKERS) if keep(j)}
        out |= covered
    return out


def section(text: str, tag: str, where: str) -> tuple[str, int]:
    """The text between `<!-- :::tag::: -->` and `<!-- :::tag-end::: -->`, with the line it starts on."""
    start = text.find(f"<!-- :::{tag}::: -->")
    end = text.find(f"<!-- :::{tag}-end::: -->")
    if start < 0 or end < start:
        raise fail(where, 1, f"no {tag} section")
    body_start = start + len(f"<!-- :::{tag}::: -->")
    return text[body_start:end], text.count("\n", 0, body_start) + 1


def moniker_blocks(body: str, first_line: int, where: str) -> list[tuple[set[str], str, int]]:
    """`:::moniker range="…"` … `:::moniker-end` blocks: (versions, text, line of the opener)."""
    out = []
    pos = 0
    opener = re.compile(r'^:::moniker range="([^"]*)"[ \t]*$', re.M)
    while True:
        m = opener.search(body, pos)
        if not m:
            break
        line = first_line + body.count("\n", 0, m.start())
        end = body.find(":::moniker-end", m.end())
        nested = opener.search(body, m.end())
        if end < 0 or (nested and nested.start() < end):
            raise fail(where, line, "moniker block without :::moniker-end")
        # The text starts on the opener's line: its line i is line + i.
        out.append((moniker_range(m.group(1), where, line), body[m.end():end], line))
        pos = end + len(":::moniker-end")
    return out


ATTRS = re.compile(
    r"^(?:" + re.escape(ALIAS_LINK) + r"`(?P<aliases>[^`]+)`\. )?`(?P<kind>[a-z]+)`\.(?P<rest>.*?)<br>[ \t]*$"
)
STATUS = re.compile(r"^ (?:(?P<required>Required\.)|Required when `(?P<req_when>[^`]+)`\.|Optional\.(?: Use when `(?P<use_when>[^`]+)`\.)?)")
DEFAULT = re.compile(r"(?:^| )Default value: (?P<tick>`+)(?P<value>.*?)(?P=tick)\.$")
ALLOWED = re.compile(r"(?:^| )Allowed values: (?P<list>.*?)\.(?: Default value: |$)")
# A value's label in parentheses after its key, with one level of nesting:
# `1.10` (JDK 10 (out of support)).
VALUE_LABEL = re.compile(r"\((?:[^()]|\([^()]*\))*\)")


def allowed_values(rest: str, where: str, line: int, name: str) -> list[str]:
    """The keys of "Allowed values: `a` (Label A), `b`." (labels dropped); [] without the phrase."""
    m = ALLOWED.search(rest)
    if not m:
        if "Allowed values:" in rest:
            raise fail(where, line, f"input {name!r}: allowed values not understood in {rest!r}")
        return []
    keys = VALUE_LABEL.sub("", m.group("list"))
    values = re.findall(r"`([^`]*)`", keys)
    if not values or re.sub(r"`[^`]*`", "", keys).strip(" ,"):
        raise fail(where, line, f"input {name!r}: allowed values not understood in {m.group('list')!r}")
    return values


def parse_item(name: str, text: str, line: int, where: str) -> Facts:
    """One server version's description of an input: a bold heading, then one line of attributes."""
    lines = text.split("\n")
    head = next((i for i, l in enumerate(lines) if l.strip()), None)
    if head is None:
        raise fail(where, line, f"input {name!r}: empty block")
    m = re.fullmatch(r"\*\*`([^`]+)`\*\* - \*\*(.*)\*\*<br>[ \t]*", lines[head])
    if not m:
        raise fail(where, line + head, f"input {name!r}: expected **`{name}`** - **Label**<br>, found {lines[head]!r}")
    if m.group(1) != name:
        raise fail(where, line + head, f"input {name!r}: heading names {m.group(1)!r}")
    label = m.group(2)
    attr_at = head + 1
    attrs = ATTRS.fullmatch(lines[attr_at]) if attr_at < len(lines) else None
    if not attrs:
        found = lines[attr_at] if attr_at < len(lines) else ""
        raise fail(where, line + attr_at, f"input {name!r}: attributes not understood: {found!r}")
    aliases = [a.strip() for a in (attrs.group("aliases") or "").split("|") if a.strip()]
    rest = attrs.group("rest")
    s = STATUS.match(rest)
    if s and s.group("required"):
        status, when = "required", None
    elif s and s.group("req_when"):
        status, when = "required-when", s.group("req_when").strip()
    else:
        # "Optional", "Optional. Use when …", or nothing said: the reference writes nothing for
        # inputs that are optional and always shown.
        status, when = "optional", (s.group("use_when").strip() if s and s.group("use_when") else None)
    if re.search(r"\b(Required|Optional)\b", re.sub(r"`+[^`]*`+", "", rest[s.end() if s else 0:])):
        raise fail(where, line + attr_at, f"input {name!r}: 'Required' or 'Optional' out of place in {rest!r}")
    d = DEFAULT.search(rest)
    default = d.group("value") if d else None
    if default is None and "Default value:" in rest:
        raise fail(where, line + attr_at, f"input {name!r}: default not understood in {rest!r}")
    values = allowed_values(rest, where, line + attr_at, name)
    return Facts(name, aliases, attrs.group("kind"), status, when, default if default != "" else None, label, line + attr_at, values)


def syntax_keys(text: str, where: str) -> dict[str, dict[str, tuple[str, int]]]:
    """Server version -> input key -> (status word, line), from the syntax blocks.

    A syntax line is `    key: default # type. [Alias: a. ]Required. | Required when … . | Optional. …`,
    commented out (`#key:`) when the step need not set it."""
    body, first = section(text, "syntax", where)
    out: dict[str, dict[str, tuple[str, int]]] = {}
    for versions, block, line in moniker_blocks(body, first, where):
        fence = re.search(r"```yaml\n(.*?)```", block, re.S)
        if not fence:
            raise fail(where, line, "syntax block without a yaml fence")
        fence_line = line + block.count("\n", 0, fence.start(1))
        if not re.search(r"^- task: ", fence.group(1), re.M):
            # Tasks for classic release pipelines only show a note instead of a step.
            if "classic" not in fence.group(1):
                raise fail(where, fence_line, "syntax block without a '- task:' line")
            continue
        keys: dict[str, tuple[str, int]] = {}
        for n, l in enumerate(fence.group(1).split("\n")):
            m = re.match(r"^    #?([A-Za-z0-9_.\-]+): (.*)$", l)
            if not m:
                continue
            comment = m.group(2).split(" # ", 1)[-1] if " # " in m.group(2) else m.group(2).removeprefix("# ")
            word = re.search(r"\. (?:Alias: [^.]+\. )?(Required when |Required\. |Optional\. |Required\.$|Optional\.$)", comment)
            status = {"Required when ": "required-when", "Required. ": "required", "Required.": "required"}.get(word.group(1) if word else "", "optional")
            keys[m.group(1)] = (status, fence_line + n)
        for v in versions:
            if v in out:
                raise fail(where, line, f"two syntax blocks for {v}")
            out[v] = keys
    return out


def parse_page(text: str, where: str) -> Page:
    text = text.replace("\r\n", "\n")
    title = re.search(r"^# (\S+)@(\d+) - ", text, re.M)
    if not title:
        raise fail(where, 1, "no '# Name@N - …' heading")
    date = re.search(r"^ms\.date: (\d\d)/(\d\d)/(\d{4})[ \t]*$", text, re.M)
    if not date:
        raise fail(where, 1, "no ms.date in the front matter")
    page = Page(where.rsplit("/", 1)[-1], title.group(1), int(title.group(2)), f"{date.group(3)}-{date.group(1)}-{date.group(2)}")
    body, first = section(text, "inputs", where)
    items = list(re.finditer(r'<!-- :::item name="([^"]*)"::: -->(.*?)<!-- :::item-end::: -->', body, re.S))
    for item in items:
        name = item.group(1)
        line = first + body.count("\n", 0, item.start(2))
        if name == "emptyCollectionValue":
            # "None.": a task without inputs.
            if len(items) != 1:
                raise fail(where, line, "'None.' next to inputs")
            continue
        if name in page.inputs or any(name.lower() == k.lower() for k in page.inputs):
            raise fail(where, line, f"input {name!r} listed twice")
        blocks = moniker_blocks(item.group(2), line, where)
        if not blocks:
            raise fail(where, line, f"input {name!r}: no moniker block")
        per: dict[str, Facts] = {}
        for versions, block, bline in blocks:
            facts = parse_item(name, block, bline, where)
            for v in versions:
                if v in per:
                    raise fail(where, bline, f"input {name!r} described twice for {v}")
                per[v] = facts
        page.inputs[name] = per
    if not items:
        raise fail(where, first, "no input items")
    compare_with_syntax(page, syntax_keys(text, where), where)
    return page


def compare_with_syntax(page: Page, syntax: dict[str, dict[str, tuple[str, int]]], where: str) -> None:
    """The syntax block of each server version lists the inputs the Inputs section gives that
    version, and calls them Required, Required when or Optional alike."""
    for version, keys in syntax.items():
        listed = {name: per[version] for name, per in page.inputs.items() if version in per}
        for key, (status, line) in keys.items():
            facts = listed.get(key)
            if facts is None:
                raise fail(where, line, f"{key!r} is in the syntax block for {version} but not in the Inputs section")
            if facts.status != status:
                raise fail(where, line, f"{key!r} for {version}: syntax block says {status}, Inputs section says {facts.status}")
        for name, facts in listed.items():
            if name not in keys:
                raise fail(where, facts.line, f"{name!r} is in the Inputs section for {version} but not in its syntax block")


def newest(per: dict[str, Facts]) -> tuple[str, Facts]:
    version = max(per, key=MONIKERS.index)
    return version, per[version]


def page_json(page: Page) -> dict:
    inputs = []
    for name, per in page.inputs.items():
        version, f = newest(per)
        out: dict = {"name": name}
        if f.aliases:
            out["aliases"] = f.aliases
        # Aliases some older server version lists and the newest doesn't: still accepted there.
        older = [a for v in per.values() for a in v.aliases if a not in f.aliases]
        if older:
            out["aliases"] = f.aliases + list(dict.fromkeys(older))
        out["type"] = f.kind
        out["status"] = f.status
        if f.when:
            out["when"] = f.when
        if f.default is not None:
            out["default"] = f.default
        if f.label:
            out["label"] = f.label
        if f.values:
            out["values"] = f.values
        if version != CLOUD:
            out["cloud"] = False
        inputs.append(out)
    return {"name": page.name, "major": page.major, "page": page.file, "inputs": inputs}


def build(shared: Path) -> str:
    folder = shared / PAGES
    files = sorted(folder.glob("*.md"))
    if len(files) != EXPECTED_PAGES:
        raise SourceError(f"{PAGES}: expected {EXPECTED_PAGES} pages, found {len(files)}")
    pages = [parse_page(f.read_text(encoding="utf-8"), f"{PAGES}/{f.name}") for f in files]
    seen: dict[tuple[str, int], str] = {}
    for p in pages:
        key = (p.name.lower(), p.major)
        if key in seen:
            raise SourceError(f"{PAGES}/{p.file}: {p.name}@{p.major} also on {seen[key]}")
        seen[key] = p.file
        if p.date != DATE:
            raise SourceError(f"{PAGES}/{p.file}: ms.date {p.date}, expected {DATE} (update DATE and COMMIT)")
    pages.sort(key=lambda p: (p.name.lower(), p.major))
    source = {
        "repository": REPOSITORY,
        "path": "task-reference/*.md",
        "commit": COMMIT,
        "date": DATE,
        "generator": "data/gen_reference.py (do not edit; regenerate)",
    }
    lines = ['{"source":' + json.dumps(source, separators=(",", ":")) + ",", '"tasks":[']
    lines.append(",\n".join(json.dumps(page_json(p), ensure_ascii=False, separators=(",", ":")) for p in pages))
    lines.append("]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    args = argv[1:]
    if len(args) > 1 or any(a not in ("--check", "--stdout") for a in args):
        print(f"usage: gen_reference.py [--check | --stdout] (not understood: {' '.join(args)!r})", file=sys.stderr)
        return 2
    mode = args[0] if args else None
    shared = shared_dir()
    if not (shared / PAGES).is_dir():
        return no_shared("gen_reference.py", OUT, mode == "--check")
    try:
        text = build(shared)
    except (SourceError, OSError, UnicodeDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if mode == "--stdout":
        sys.stdout.write(text)
        return 0
    return write_or_check("gen_reference.py", OUT, text, mode == "--check")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
