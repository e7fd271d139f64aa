#!/usr/bin/env python3
"""Generate data/catalog.json, the compact task catalog, from the shared tasks.json.

Reads `reference/tasks.json` under the shared reference folder (`../shared` next to the
repository, or $AZPLS_SHARED): every built-in task version of microsoft/azure-pipelines-tasks
with its inputs and input groups. Keeps the facts azpls uses and drops empty fields to keep the
embedded file small. An input in a group shows only when the group does, so the `visibleRule`
written for it is its own rule and its group's together (PackerBuild@1's Azure inputs sit in a
group shown only with `templateType = builtin`).

Also reads `reference/service-schema.json`, the YAML schema of microsoft/azure-pipelines-vscode,
for facts task.json files don't carry: which inputs every step of a task version must set (an
input marked required, with no visibility rule and no default, that the schema doesn't list among
them gets `"conditional": true`: a step need not set it), and inputs the service accepts that
the task repository lacks.

And reads `data/task-reference.json`, what Microsoft's task reference pages say
(`gen_reference.py` makes it; regenerate it first): an input its page calls Optional is not
required, whatever task.json says, and an input only the page lists is an input too
(NuGetAuthenticate@1's `feedUrl`). Inputs task.json lacks are added after its own, page first,
with `"source": "reference"` or `"source": "schema"`.

    python3 data/gen_catalog.py           write data/catalog.json
    python3 data/gen_catalog.py --check   exit 1 with a diff if data/catalog.json is stale;
                                          exit 0 with "SKIP:" on stderr if the shared folder is absent

Exit code 2: the source is missing (write mode) or not in the expected shape.
Python 3.11 standard library only.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from gen_common import no_shared, shared_dir, write_or_check

DATA = Path(__file__).resolve().parent
OUT = DATA / "catalog.json"
# Generated from Microsoft's task reference pages by gen_reference.py.
REFERENCE = DATA / "task-reference.json"
SOURCE = "reference/tasks.json"
# The YAML schema Azure Pipelines publishes: which inputs each task version demands.
SCHEMA = "reference/service-schema.json"
REPOSITORY = "microsoft/azure-pipelines-tasks"
# The date of the catalog commit (tasks.json records only the commit id).
SOURCE_DATE = "2026-08-21"
EXPECTED_TASKS = 224
# Where the schema's `required` lists come from (the file records no version itself).
SCHEMA_SOURCE = "microsoft/azure-pipelines-vscode service-schema.json, v1.261.1 (commit 9e40e814, 2025-09-25)"

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


def effective_rule(own: str | None, group: str | None) -> str | None:
    """An input's visibility: its own rule and its group's, both holding. A part with `||` is
    parenthesised (`&&` binds tighter), and a group rule the input repeats is written once."""
    parts: list[str] = []
    for rule in (own, group):
        if rule and rule.strip() and " ".join(rule.split()) not in (" ".join(p.split()) for p in parts):
            parts.append(rule)
    if len(parts) < 2:
        return parts[0] if parts else None
    return " && ".join(f"({p.strip()})" if "||" in p else p.strip() for p in parts)


def compact_input(i: dict, where: str, group_rule: str | None = None) -> dict:
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
    rule = effective_rule(i.get("visibleRule"), group_rule)
    if rule:
        out["visibleRule"] = rule
    if i.get("options"):
        out["options"] = [str(o) for o in i["options"]]
        # task.json's EditableOptions: values outside the list are accepted too.
        if i.get("editableOptions"):
            out["editable"] = True
    if i.get("label"):
        out["label"] = i["label"]
    return out


# Pick lists whose task.json sets the MultiSelect or MultiSelectFlatList property: a step writes
# several of the options, comma-separated. tasks.json leaves input properties out but for
# EditableOptions, so these come from the task.json files themselves
# (microsoft/azure-pipelines-tasks, Tasks/AzureTestPlanV0/task.json, commit 05a7a966).
MULTI_SELECT = {
    ("azuretestplan", 0, "testselector"),
    ("azuretestplan", 0, "testlanguageinput"),
}


def add_values(i: dict, values: list[str]) -> None:
    """Adds the reference page's allowed values an input's options lack (task.json is newer,
    but the page documents some the service accepts that task.json no longer lists)."""
    have = {o.lower() for o in i.get("options", [])}
    extra = [v for v in values if v and v.lower() not in have]
    if extra:
        i["options"] = i.get("options", []) + extra


def schema_tasks(schema: dict) -> list[tuple[str, int, dict]]:
    """Every versioned task entry of the schema: (name as spelled, major, entry)."""
    try:
        variants = schema["definitions"]["task"]["anyOf"]
    except (KeyError, TypeError):
        raise SourceError(f"{SCHEMA}: no definitions.task.anyOf")
    out = []
    for v in variants:
        m = re.fullmatch(r"\^(.+)@(\d+)\$", (v.get("properties", {}).get("task", {}) or {}).get("pattern", ""))
        if m:
            out.append((m.group(1), int(m.group(2)), v))
    if not out:
        raise SourceError(f"{SCHEMA}: no task entries")
    return out


def schema_versions(schema: dict) -> list[str]:
    """Every `Name@N` the schema accepts as a task value."""
    out = {(name, major) for name, major, _ in schema_tasks(schema)}
    return [f"{n}@{m}" for n, m in sorted(out, key=lambda x: (x[0].lower(), x[1]))]


def schema_required(schema: dict) -> dict[tuple[str, int], set[str]]:
    """(lowercased name, major) -> lowercased input keys the schema requires."""
    out: dict[tuple[str, int], set[str]] = {}
    for name, major, v in schema_tasks(schema):
        required = (v["properties"].get("inputs") or {}).get("required") or []
        key = (name.lower(), major)
        # A version listed twice: only what both entries demand is demanded.
        keys = {r.lower() for r in required}
        out[key] = out[key] & keys if key in out else keys
    return out


def schema_inputs(schema: dict) -> dict[tuple[str, int], dict[str, dict]]:
    """(lowercased name, major) -> the inputs the schema accepts, by key (every entry of a
    version listed twice)."""
    out: dict[tuple[str, int], dict[str, dict]] = {}
    for name, major, v in schema_tasks(schema):
        props = (v["properties"].get("inputs") or {}).get("properties") or {}
        out.setdefault((name.lower(), major), {}).update(props)
    return out


def find_input(inputs: list[dict], names: list[str]) -> dict | None:
    """The input that any of `names` spells, case-insensitively, as Azure Pipelines matches keys."""
    wanted = {n.lower() for n in names}
    return next((i for i in inputs if wanted & {s.lower() for s in [i["name"], *i.get("aliases", [])]}), None)


def named(key: str, aliases: list[str]) -> dict:
    """Name and aliases of an input known by the key pipelines write and its aliases. Both the
    schema and the reference write the key first and task.json's name as the first alias
    (`azureSubscription`, alias `connectedServiceNameARM`): the catalog keeps task.json's order."""
    if not aliases:
        return {"name": key}
    return {"name": aliases[0], "aliases": [key, *aliases[1:]]}


def page_input(p: dict) -> dict:
    """An input only the reference page lists, in catalog form."""
    out = named(p["name"], p.get("aliases", []))
    out["type"] = p["type"]
    if p["status"] != "optional":
        out["required"] = True
    for field, key in (("default", "default"), ("when", "visibleRule"), ("label", "label")):
        if p.get(field):
            out[key] = p[field]
    if p.get("values"):
        # The page doesn't say whether other values are accepted: assume they are.
        out["options"] = list(p["values"])
        out["editable"] = True
    out["source"] = "reference"
    return out


def schema_input(key: str, d: dict) -> dict:
    """An input only the YAML schema lists, in catalog form: the schema's description is the
    task's label."""
    out = named(key, list(d.get("aliases") or []))
    out["type"] = "boolean" if d.get("type") == "boolean" else "pickList" if d.get("enum") else "string"
    if d.get("enum"):
        out["options"] = [str(o) for o in d["enum"]]
        # The schema lists the options of editable pick lists as an enum too.
        out["editable"] = True
    if d.get("description"):
        out["label"] = d["description"]
    out["source"] = "schema"
    return out


def merge_documented(task: dict, page: dict | None, accepted: dict[str, dict]) -> None:
    """What the reference page and the schema add to a task version's inputs."""
    for p in page["inputs"] if page else []:
        i = find_input(task["inputs"], [p["name"], *p.get("aliases", [])])
        if i is None:
            task["inputs"].append(page_input(p))
            continue
        if p["status"] == "optional" and p.get("cloud", True):
            # The documentation says a step may leave it out: the rules believe it.
            i.pop("required", None)
        if p.get("values") and i.get("options"):
            add_values(i, p["values"])
    for key, d in accepted.items():
        if find_input(task["inputs"], [key, *(d.get("aliases") or [])]) is None:
            task["inputs"].append(schema_input(key, d))


# Input fields in the order catalog.json writes them.
FIELDS = ["name", "aliases", "type", "required", "default", "visibleRule", "options", "editable", "multiSelect", "label", "conditional", "source"]


# Service-connection inputs of retired versions that no version in task.json shares, with the
# connection type their reference page states ("Selects the Azure Resource Manager subscription").
RETIRED_CONNECTIONS = {
    ("azuremonitoralerts", 0, "azuresubscription"): "connectedService:AzureRM",
}


def closed_lists(inputs: list[dict], versions: list[dict]) -> None:
    """Neither the schema nor the reference says whether a pick list accepts other values. A
    retired version's pick list is closed when the same input (by any spelling) is a closed
    pick list in the task's nearest version task.json has; otherwise it stays editable."""
    for i in inputs:
        if not i.get("options"):
            continue
        for t in versions:
            same = find_input(t["inputs"], [i["name"], *i.get("aliases", [])])
            if same and same.get("options"):
                if not same.get("editable"):
                    i.pop("editable", None)
                break


def mark_multi_select(task: dict) -> None:
    for i in task["inputs"]:
        if any((task["name"].lower(), task["major"], s.lower()) in MULTI_SELECT for s in [i["name"], *i.get("aliases", [])]):
            i["multiSelect"] = True


def order_fields(task: dict) -> None:
    task["inputs"] = [{k: i[k] for k in FIELDS if k in i} for i in task["inputs"]]


def connection_types(inputs: list[dict], name: str, major: int, versions: list[dict]) -> None:
    """Neither the schema nor the reference gives an input's service-connection type, which
    says whether workload identity federation concerns a step. An input keeps its meaning
    across a task's versions, so a retired version's input takes the type of the same input
    (by any spelling) in the task's nearest version task.json has (AzureCLI@0's
    `connectedServiceNameARM`, as in AzureCLI@1); RETIRED_CONNECTIONS names the others."""
    nearest = sorted(versions, key=lambda t: (abs(t["major"] - major), -t["major"]))
    for i in inputs:
        spellings = [i["name"], *i.get("aliases", [])]
        for s in spellings:
            listed = RETIRED_CONNECTIONS.get((name.lower(), major, s.lower()))
            if listed:
                i["type"] = listed
        for t in nearest:
            same = find_input(t["inputs"], spellings)
            if same and same["type"].startswith("connectedService:") and not i["type"].startswith("connectedService:"):
                i["type"] = same["type"]


def retired_version(name: str, major: int, entry: dict, accepted: dict[str, dict], page: dict | None, required: set[str]) -> dict:
    """A version the schema accepts that task.json no longer has (PowerShell@1): the schema's
    inputs, with what its reference page says of each (Required, Required when, Optional,
    default, condition) and the inputs only the page lists; without a page, the schema's
    `required` list says which inputs are required."""
    friendly, _, description = (entry["properties"]["task"].get("description") or "").partition("\n\n")
    out: dict = {"name": name, "major": major, "friendlyName": friendly.strip(), "description": description.strip()}
    if page is None:
        # Its reference link would lead nowhere.
        out["undocumented"] = True
    inputs = [schema_input(key, d) for key, d in accepted.items()]
    for i in inputs:
        if page is None and {s.lower() for s in [i["name"], *i.get("aliases", [])]} & required:
            i["required"] = True
    for p in page["inputs"] if page else []:
        i = find_input(inputs, [p["name"], *p.get("aliases", [])])
        if i is None:
            inputs.append(page_input(p))
            continue
        if p["status"] != "optional" and p.get("cloud", True):
            i["required"] = True
        for field, key in (("default", "default"), ("when", "visibleRule")):
            if p.get(field):
                i[key] = p[field]
        if p.get("values"):
            add_values(i, p["values"])
            i.setdefault("editable", True)
    out["inputs"] = [{k: i[k] for k in FIELDS if k in i} for i in inputs]
    return out


def read_reference(text: str) -> tuple[dict, dict[tuple[str, int], dict]]:
    """data/task-reference.json: its source, and its pages by (lowercased name, major)."""
    try:
        data = json.loads(text)
        return data["source"], {(t["name"].lower(), int(t["major"])): t for t in data["tasks"]}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
        raise SourceError(f"data/task-reference.json: {err} (regenerate it with gen_reference.py)")


def mark_conditional(task: dict, required: set[str] | None) -> None:
    """Flags required inputs (no rule, no default) that the schema doesn't demand."""
    for i in task["inputs"]:
        if not i.get("required") or i.get("visibleRule") or "default" in i:
            continue
        spellings = [i["name"].lower()] + [a.lower() for a in i.get("aliases", [])]
        unrequired = required is not None and not any(s in required for s in spellings)
        if unrequired:
            i["conditional"] = True


def compact_task(t: dict) -> dict:
    where = f"{SOURCE}: {t.get('name')}@{t.get('major')}"
    out: dict = {
        "name": t["name"],
        # Steps may name a task by its id (`task: 2ff763a7-...@2`).
        "id": str(t["id"]).lower(),
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
    # An input in a group shows only when the group does. Some task.json files name a group
    # they don't define (UseNode@1's "advanced"): such an input has no group rule.
    groups = {g["name"]: g.get("visibleRule") for g in t.get("groups") or [] if g.get("name")}
    out["inputs"] = [compact_input(i, where, groups.get(i.get("groupName"))) for i in t.get("inputs") or []]
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
    schema = json.loads((shared / SCHEMA).read_text(encoding="utf-8"))
    demanded = schema_required(schema)
    reference_source, pages = read_reference(REFERENCE.read_text(encoding="utf-8"))
    accepted = schema_inputs(schema)
    for t in compact:
        key = (t["name"].lower(), t["major"])
        merge_documented(t, pages.get(key), accepted.get(key, {}))
        mark_conditional(t, demanded.get(key))
        mark_multi_select(t)
        order_fields(t)
    # Versions the service still accepts that the repository no longer carries (PowerShell@1).
    have = {(t["name"].lower(), t["major"]) for t in compact}
    entries: dict[tuple[str, int], tuple[str, dict]] = {}
    for name, major, entry in schema_tasks(schema):
        entries.setdefault((name.lower(), major), (name, entry))
    for task, major, _ in RETIRED_CONNECTIONS:
        if (task, major) in have or (task, major) not in entries:
            raise SourceError(f"RETIRED_CONNECTIONS: {task}@{major} is no retired version")
    schema_only = []
    for key in sorted(entries.keys() - have):
        name, entry = entries[key]
        t = retired_version(name, key[1], entry, accepted.get(key, {}), pages.get(key), demanded.get(key, set()))
        versions = [c for c in compact if c["name"].lower() == key[0]]
        connection_types(t["inputs"], name, key[1], versions)
        closed_lists(t["inputs"], sorted(versions, key=lambda v: (abs(v["major"] - key[1]), -v["major"])))
        mark_conditional(t, demanded.get(key))
        schema_only.append(t)
    source = {
        "repository": REPOSITORY,
        "path": "Tasks/*/task.json",
        "commit": data["meta"]["commit"],
        "date": SOURCE_DATE,
        "schema": SCHEMA_SOURCE,
        "reference": f"{reference_source['repository']} {reference_source['path']}, commit {reference_source['commit']} ({reference_source['date']}), through data/task-reference.json",
        "generator": "data/gen_catalog.py (do not edit; regenerate)",
    }
    def rows(tasks: list[dict]) -> str:
        return ",\n".join(json.dumps(t, ensure_ascii=False, separators=(",", ":")) for t in tasks)

    return "\n".join([
        '{"source":' + json.dumps(source, ensure_ascii=False, separators=(",", ":")) + ",",
        '"schemaOnly":[',
        rows(schema_only),
        '],',
        '"tasks":[',
        rows(compact),
        "]}",
    ]) + "\n"


def main(argv: list[str]) -> int:
    check = "--check" in argv[1:]
    unknown = [a for a in argv[1:] if a != "--check"]
    if unknown:
        print(f"usage: gen_catalog.py [--check] (unknown argument {unknown[0]!r})", file=sys.stderr)
        return 2
    shared = shared_dir()
    if not shared.is_dir():
        return no_shared("gen_catalog.py", OUT, check)
    try:
        text = build(shared)
    except (SourceError, OSError, KeyError, ValueError, TypeError, AttributeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return write_or_check("gen_catalog.py", OUT, text, check)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
