#!/usr/bin/env python3
"""Which defects does each language server report? Side by side on hand-written pipelines.

    python3 benches/defects/compare.py \\
        --server ours='target/release/azpls server' \\
        --server msft='node peers/node_modules/azure-pipelines-language-server/bin/azure-pipelines-language-server --stdio' \\
        --json defects.json
    python3 benches/defects/compare.py --report defects.json      # the tables again, from a saved file

Every `cases/NN-name.bad.yml` holds one defect; its first line is a comment that names it and
the line it is on (`# DEFECT: what it is (line N)` or `(lines N-M)`). `NN-name.good.yml` is the
same pipeline with the defect fixed, and `valid-*.yml` are valid pipelines of the kinds
Microsoft's server is suspected to flag. Each server is started once over stdio, is given the
pipeline schema the way the Azure Pipelines VS Code extension gives it to Microsoft's server
(lspbench.py's client: `json/schemaAssociations`, `yaml.schemas`, answers to
`custom/schema/request` and `custom/schema/content`), gets every case opened, and its
diagnostics are taken once it has been quiet for --quiet seconds (Microsoft's server debounces
validation by 200 ms). Servers run one after the other, never together.

Printed: a markdown table with, for every defect, the diagnostics of each server whose range
touches the defect's line(s) (severity letter, message, and the code when there is one),
how many other diagnostics each gave in the file, and how many each gave on the fixed twin;
then the valid files; then a summary; with --full, every diagnostic of every file.
The first --server (or --ours NAME) is the server under test: the summary lists the defects a
peer reports on the line that it does not.

Python 3.11 standard library only. The LSP client is `lspbench.py` from --bench-dir (default:
`../shared/bench` next to the repository).
"""
from __future__ import annotations

import argparse
import atexit
import importlib.util
import json
import os
import platform
import re
import shlex
import signal
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES = HERE / "cases"
SEVERITY = {1: "E", 2: "W", 3: "I", 4: "H"}
LINES_RE = re.compile(r"\(lines? (\d+)(?:-(\d+))?\)\s*$")


def load_lspbench(bench_dir: Path):
    path = bench_dir / "lspbench.py"
    if not path.is_file():
        sys.exit(f"compare.py: no lspbench.py in {bench_dir} (give --bench-dir)")
    sys.path.insert(0, str(bench_dir))          # lspbench imports genpipeline from its folder
    spec = importlib.util.spec_from_file_location("lspbench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def read_cases(folder: Path):
    """[(file name, kind, defect, (first, last) 1-based lines or None)] in a stable order."""
    out = []
    for p in sorted(folder.glob("*.yml")):
        if p.name.endswith(".bad.yml"):
            first = p.read_text().split("\n", 1)[0]
            m = LINES_RE.search(first)
            if not first.startswith("# DEFECT:") or not m:
                sys.exit(f"compare.py: {p.name}: line 1 must be `# DEFECT: what (line N)`")
            lo = int(m.group(1))
            hi = int(m.group(2) or lo)
            out.append((p.name, "bad", first[len("# DEFECT:"):m.start()].strip(), (lo, hi)))
        elif p.name.endswith(".good.yml"):
            out.append((p.name, "good", None, None))
        elif p.name.startswith("valid-"):
            first = p.read_text().split("\n", 1)[0]
            out.append((p.name, "valid", first.lstrip("# ").removeprefix("valid:").strip(), None))
    return out


def run_server(lb, name, argv, cases, folder: Path, cfg):
    """Start one server, open every case, wait for quiet; {file name: final diagnostics}."""
    srv = lb.Server(argv, str(REPO), cfg.settings, cfg.schema_uri, cfg.schema_path)
    result = {"diagnostics": {}, "errors": [], "server_info": None}
    try:
        _, msg = srv.request("initialize", {
            "processId": os.getpid(), "clientInfo": {"name": "defects-compare"},
            "rootUri": folder.as_uri(), "rootPath": str(folder), "capabilities": lb.CLIENT_CAPS,
            "initializationOptions": {},
            "workspaceFolders": [{"uri": folder.as_uri(), "name": folder.name}]}, timeout=cfg.timeout)
        if "error" in msg:
            raise lb.Timeout(f"initialize failed: {msg['error'].get('message')}")
        result["server_info"] = (msg.get("result") or {}).get("serverInfo")
        srv.notify("initialized", {})
        srv.notify("workspace/didChangeConfiguration", {"settings": cfg.settings})
        if cfg.schema_uri:
            srv.notify("json/schemaAssociations", {g: [cfg.schema_uri] for g in cfg.globs})
        time.sleep(cfg.pause)
        groups = [cases] if not cfg.one_by_one else [[c] for c in cases]
        for group in groups:
            t0 = time.monotonic()
            uris = {}
            for fname, *_ in group:
                path = folder / fname
                uris[path.as_uri()] = fname
                srv.notify("textDocument/didOpen", {"textDocument": {
                    "uri": path.as_uri(), "languageId": cfg.language_id, "version": 1, "text": path.read_text()}})
            for uri, fname in uris.items():      # every document gets its first publication
                try:
                    srv.wait_diag(uri, t0, cfg.timeout)
                except lb.Timeout as e:
                    result["errors"].append(f"{fname}: {e}")
            while True:                            # then quiet for cfg.quiet seconds, all documents
                with srv.cv:
                    times = [t for t, u, _, _ in srv.diag_log if u in uris and t > t0]
                last = max(times, default=t0)
                if time.monotonic() - last >= cfg.quiet or time.monotonic() - t0 > cfg.timeout:
                    break
                time.sleep(0.05)
            with srv.cv:
                for _, u, _, d in srv.diag_log:
                    if u in uris:
                        result["diagnostics"][uris[u]] = d
            if cfg.one_by_one:
                for uri in uris:
                    srv.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    except lb.Timeout as e:
        result["errors"].append(str(e))
    finally:
        result["stderr_tail"] = srv.stderr_tail[-3:]
        srv.close()
    print(f"  {name}: {len(result['diagnostics'])}/{len(cases)} documents answered"
          + (f"; errors: {result['errors']}" if result["errors"] else ""), file=sys.stderr, flush=True)
    return result


# -- reading the results

def touches(d, lo, hi):
    """Whether a diagnostic's range meets 1-based lines lo..hi."""
    r = d.get("range") or {}
    s = (r.get("start") or {}).get("line", -1) + 1
    e = (r.get("end") or {}).get("line", -1) + 1
    if e > s and (r.get("end") or {}).get("character", 1) == 0:
        e -= 1    # a range that ends at column 0 does not cover that line
    return s <= hi and e >= lo


def cell_text(s):
    return s.replace("|", "\\|").replace("\r", "").replace("\n", " ⏎ ")


def short(d, width):
    msg = d.get("message") or ""
    text = cell_text(msg)
    if width and len(text) > width:
        text = text[:width].rstrip() + f"… ({len(msg)} chars)"
    code = d.get("code")
    sev = SEVERITY.get(d.get("severity"), "?")
    return f"{sev} {text}" + (f" `{code}`" if code not in (None, "") else "")


def at(d):
    r = (d.get("range") or {}).get("start") or {}
    return f"{r.get('line', -1) + 1}:{r.get('character', -1) + 1}"


def report(out, width, full, full_width=400):
    names = list(out["meta"]["servers"])
    ours = out["meta"]["ours"]
    res = out["results"]
    cases = out["cases"]
    bad = [c for c in cases if c["kind"] == "bad"]
    by_file = {c["file"]: c for c in cases}

    def diags(name, f):
        got = res.get(name, {}).get("diagnostics", {})
        return got.get(f) if f in got else None

    def count(name, f):
        d = diags(name, f)
        return "–" if d is None else str(len(d))

    print("\n## Defects\n")
    print("| case | line | " + " | ".join(f"{n} on the line" for n in names)
          + " | other lines (" + " / ".join(names) + ") | fixed twin (" + " / ".join(names) + ") |")
    print("|---|---|" + "---|" * len(names) + "---|---|")
    for c in bad:
        lo, hi = c["lines"]
        f = c["file"]
        twin = f.replace(".bad.yml", ".good.yml")
        cells, other = [], []
        for n in names:
            d = diags(n, f)
            if d is None:
                cells.append("(no answer)")
                other.append("–")
                continue
            on = [x for x in d if touches(x, lo, hi)]
            off = [x for x in d if not touches(x, lo, hi)]
            cells.append("<br>".join(short(x, width) for x in on) or "—")
            other.append(str(len(off)) + (f" ({at(off[0])} {short(off[0], 50)})" if off else ""))
        line = str(lo) if lo == hi else f"{lo}–{hi}"
        print(f"| {f.removesuffix('.bad.yml')}: {cell_text(c['defect'])} | {line} | " + " | ".join(cells)
              + f" | {' / '.join(other)} | {' / '.join(count(n, twin) if twin in by_file else '–' for n in names)} |")

    valid = [c for c in cases if c["kind"] == "valid"]
    if valid:
        print("\n## Valid pipelines (every diagnostic is a false alarm)\n")
        print("| file | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for c in valid:
            cells = []
            for n in names:
                d = diags(n, c["file"])
                if d is None:
                    cells.append("(no answer)")
                else:
                    cells.append(f"**{len(d)}**" + "".join(f"<br>{at(x)} {short(x, width)}" for x in d[:6])
                                 + (f"<br>… {len(d) - 6} more" if len(d) > 6 else ""))
            print(f"| {c['file']}: {cell_text(c['defect'] or '')} | " + " | ".join(cells) + " |")

    print("\n## Summary\n")
    goods = [c["file"] for c in cases if c["kind"] == "good"]
    for n in names:
        caught = [c["file"] for c in bad if (d := diags(n, c["file"])) and any(touches(x, *c["lines"]) for x in d)]
        noisy_goods = [f for f in goods if diags(n, f)]
        noisy_valid = [c["file"] for c in valid if diags(n, c["file"])]
        print(f"- **{n}**: reports {len(caught)} of {len(bad)} defects on their line; "
              f"diagnostics on {len(noisy_goods)} of {len(goods)} fixed twins"
              + (f" ({', '.join(noisy_goods)})" if noisy_goods else "")
              + f"; on {len(noisy_valid)} of {len(valid)} valid pipelines"
              + (f" ({', '.join(noisy_valid)})" if noisy_valid else "") + ".")
    for n in names:
        anywhere = [c["file"] for c in bad if diags(n, c["file"])]
        print(f"- **{n}** gives diagnostics somewhere in {len(anywhere)} of the {len(bad)} broken files.")
    for n in names:
        if n == ours:
            continue
        on_line = [c["file"].removesuffix(".bad.yml") for c in bad
                   if (d := diags(n, c["file"])) and any(touches(x, *c["lines"]) for x in d)
                   and not ((o := diags(ours, c["file"])) and any(touches(x, *c["lines"]) for x in o))]
        print(f"- reported on the line by {n} but not by {ours}: " + (", ".join(on_line) or "none") + ".")
        elsewhere = [c["file"].removesuffix(".bad.yml") for c in bad
                     if diags(n, c["file"]) and not diags(ours, c["file"])
                     and c["file"].removesuffix(".bad.yml") not in on_line]
        if elsewhere:
            print(f"- reported by {n} on other lines only, while {ours} says nothing in the file: "
                  + ", ".join(elsewhere) + ".")

    if full:
        print("\n## Every diagnostic, in full\n")
        for c in cases:
            print(f"### {c['file']}\n")
            for n in names:
                d = diags(n, c["file"])
                if d is None:
                    print(f"- {n}: (no answer)")
                    continue
                print(f"- {n}: {len(d)}")
                for x in d:
                    code = f" [{x.get('code')}]" if x.get("code") not in (None, "") else ""
                    msg = x.get("message") or ""
                    text = json.dumps(msg if len(msg) <= full_width else msg[:full_width], ensure_ascii=False)
                    if len(msg) > full_width:
                        text += f" … ({len(msg)} chars in all)"
                    print(f"  - {at(x)} {SEVERITY.get(x.get('severity'), '?')}{code} {text}")
            print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", action="append", default=[], metavar="NAME=CMD",
                    help="a stdio server command line (shell-quoted), run from the repository; repeat per server")
    ap.add_argument("--ours", help="the server under test (default: the first)")
    ap.add_argument("--bench-dir", default=str(REPO.parent / "shared" / "bench"),
                    help="folder of lspbench.py (default: ../shared/bench next to the repository)")
    ap.add_argument("--cases", default=str(CASES), help="folder of the cases (default: cases/ next to this script)")
    ap.add_argument("--only", help="regular expression: only the case files whose name matches")
    ap.add_argument("--schema", help="pipeline JSON schema for schema-driven servers ('' for none; default: "
                    "lspbench.py's, ../reference/service-schema.json next to it)")
    ap.add_argument("--globs", default="azure-pipelines.yml,*.yml,**/*.yml")
    ap.add_argument("--language-id", default="yaml")
    ap.add_argument("--quiet", type=float, default=1.5, help="seconds without diagnostics that make them final")
    ap.add_argument("--timeout", type=float, default=60, help="seconds for each wait")
    ap.add_argument("--pause", type=float, default=0.3, help="seconds between initialized and the first didOpen")
    ap.add_argument("--one-by-one", action="store_true",
                    help="open, settle and close one document at a time (default: open all, then settle)")
    ap.add_argument("--width", type=int, default=100, help="truncate messages in the tables to this many characters (0: never)")
    ap.add_argument("--full", action="store_true",
                    help="also print every diagnostic of every file (messages cut at --full-width characters)")
    ap.add_argument("--full-width", type=int, default=400)
    ap.add_argument("--json", help="write the raw results here")
    ap.add_argument("--report", metavar="JSON", help="print the tables of a saved results file and exit")
    a = ap.parse_args()
    if a.report:
        report(json.loads(Path(a.report).read_text()), a.width, a.full, a.full_width)
        return

    servers = []
    for spec in a.server:
        name, sep, cmd = spec.partition("=")
        if not sep or not cmd.strip():
            ap.error(f"expected NAME=CMD, got {spec!r}")
        if any(name == n for n, _, _ in servers):
            ap.error(f"server name {name!r} given twice")
        servers.append((name, shlex.split(cmd), cmd))
    if not servers:
        ap.error("give at least one --server NAME=CMD")
    ours = a.ours or servers[0][0]
    if ours not in [n for n, _, _ in servers]:
        ap.error(f"--ours {ours!r} is not a --server")

    lb = load_lspbench(Path(a.bench_dir).resolve())
    atexit.register(lb._kill_all)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lb._on_signal)

    folder = Path(a.cases).resolve()
    cases = read_cases(folder)
    if a.only:
        cases = [c for c in cases if re.search(a.only, c[0])]
    if not cases:
        sys.exit(f"compare.py: no cases in {folder}")

    class Cfg:
        pass
    cfg = Cfg()
    schema = a.schema if a.schema is not None else (str(lb.DEFAULT_SCHEMA) if lb.DEFAULT_SCHEMA.exists() else "")
    cfg.schema_path = str(Path(schema).resolve()) if schema else None
    cfg.schema_uri = Path(cfg.schema_path).as_uri() if cfg.schema_path else None
    cfg.globs = [g for g in a.globs.split(",") if g]
    cfg.settings = lb.make_settings(cfg.schema_uri, cfg.globs)
    cfg.quiet, cfg.timeout, cfg.pause, cfg.language_id, cfg.one_by_one = a.quiet, a.timeout, a.pause, a.language_id, a.one_by_one

    out = {"meta": {"date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "python": platform.python_version(),
                    "platform": platform.platform(), "servers": {n: c for n, _, c in servers}, "ours": ours,
                    "schema": Path(schema).name if schema else None, "quiet_s": a.quiet,
                    "one_by_one": a.one_by_one},
           "cases": [{"file": f, "kind": k, "defect": d, "lines": list(ln) if ln else None} for f, k, d, ln in cases],
           "results": {}}
    for name, argv, _ in servers:
        print(f"running {name} on {len(cases)} documents …", file=sys.stderr, flush=True)
        out["results"][name] = run_server(lb, name, argv, cases, folder, cfg)

    report(out, a.width, a.full, a.full_width)
    if a.json:
        # no local paths in the saved file: the cases' folder and the schema's become placeholders
        pairs = [(folder.as_uri(), "file://CASES"), (str(folder), "CASES"), (str(REPO), "REPO")]
        if cfg.schema_path:
            sdir = Path(cfg.schema_path).parent
            pairs += [(sdir.as_uri(), "file://SCHEMA_DIR"), (str(sdir), "SCHEMA_DIR")]
        pairs.sort(key=lambda p: -len(p[0]))
        Path(a.json).write_text(json.dumps(lb.redact(out, pairs), indent=1, ensure_ascii=False) + "\n")
        print(f"\nwrote {a.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
