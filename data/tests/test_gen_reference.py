"""Tests of data/gen_reference.py: broken and quirky task reference pages written inline, and the
real pages when the shared reference folder is present.

Run from the repository root:  python3 -m unittest discover -s data/tests -v
"""

from __future__ import annotations

import io
import json
import sys
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

DATA = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(DATA))
sys.dont_write_bytecode = True

import gen_reference  # noqa: E402
from gen_reference import SourceError, moniker_range, page_json, parse_page  # noqa: E402

ALIAS = "[Input alias](index.md#what-are-task-input-aliases): "
CLOUD_ONLY = '=azure-pipelines'
EVERY = '<=azure-pipelines'


def item(name: str, attrs: str, versions: str = EVERY, label: str = "Label") -> str:
    return (
        f'<!-- :::item name="{name}"::: -->\n:::moniker range="{versions}"\n\n'
        f"**`{name}`** - **{label}**<br>\n{attrs}<br>\n"
        "<!-- :::editable-content name=\"helpMarkDown\"::: -->\nHelp.\n<!-- :::editable-content-end::: -->\n<br>\n\n"
        ":::moniker-end\n<!-- :::item-end::: -->\n"
    )


def syntax(*blocks: tuple[str, list[str]]) -> str:
    out = "<!-- :::syntax::: -->\n## Syntax\n\n"
    for versions, lines in blocks:
        body = "".join(f"    {l}\n" for l in lines)
        out += f':::moniker range="{versions}"\n\n```yaml\n# Task v1\n- task: Task@1\n  inputs:\n{body}```\n\n:::moniker-end\n\n'
    return out + "<!-- :::syntax-end::: -->\n\n"


def page(items: str, syntax_text: str, title: str = "Task@1") -> str:
    return (
        f"---\ntitle: {title} - Task v1 task\nms.date: 06/30/2026\n---\n\n# {title} - Task v1 task\n\n"
        + syntax_text
        + "<!-- :::inputs::: -->\n## Inputs\n\n"
        + items
        + "\n### Task control options\n\n<!-- :::inputs-end::: -->\n"
    )


# A page whose two parts agree: the starting point of most cases.
GOOD_ITEMS = (
    item("azureSubscription", f"{ALIAS}`connectedServiceNameARM`. `string`. Required.")
    + item("scriptLocation", "`string`. Required. Allowed values: `inlineScript`, `scriptPath`. Default value: `scriptPath`.")
    + item("inlineScript", "`string`. Required when `scriptLocation = inlineScript`.")
    + item("arguments", f"{ALIAS}`scriptArguments | args`. `string`.")
    + item("failOnStandardError", "`boolean`. Optional. Use when `scriptLocation = inlineScript || scriptLocation = scriptPath`. Default value: `false`.")
)
GOOD_SYNTAX = syntax((EVERY, [
    "azureSubscription: # string. Alias: connectedServiceNameARM. Required. Azure Resource Manager connection. ",
    "scriptLocation: 'scriptPath' # 'inlineScript' | 'scriptPath'. Required. Script Location. Default: scriptPath.",
    "#inlineScript: # string. Required when scriptLocation = inlineScript. Inline Script. ",
    "#arguments: # string. Alias: scriptArguments | args. Script Arguments. ",
    "#failOnStandardError: false # boolean. Optional. Use when scriptLocation = inlineScript || scriptLocation = scriptPath. Fail. Default: false.",
]))


def facts(text: str) -> dict:
    p = parse_page(text, "task-v1.md")
    return {i["name"]: i for i in page_json(p)["inputs"]}


class MonikerRanges(unittest.TestCase):
    def test_operators_and_alternatives(self):
        self.assertEqual(moniker_range("<=azure-pipelines", "p.md", 1), set(gen_reference.MONIKERS))
        self.assertEqual(moniker_range(">=azure-pipelines-server", "p.md", 1), {"azure-pipelines-server", "azure-pipelines"})
        self.assertEqual(moniker_range("<azure-pipelines-2022.1", "p.md", 1), {"azure-pipelines-2022"})
        self.assertEqual(moniker_range(">=azure-pipelines-2022.1 <=azure-pipelines-2022.2", "p.md", 1), {"azure-pipelines-2022.1", "azure-pipelines-2022.2"})

    def test_quirks_seen_on_real_pages(self):
        # No operator means "="; a space may follow the operator; alternatives may be padded.
        self.assertEqual(moniker_range("azure-pipelines", "p.md", 1), {"azure-pipelines"})
        self.assertEqual(moniker_range("> azure-pipelines-2022.1", "p.md", 1), {"azure-pipelines-2022.2", "azure-pipelines-server", "azure-pipelines"})
        self.assertEqual(moniker_range("<=azure-pipelines-2022.2  || =azure-pipelines", "p.md", 1), {"azure-pipelines-2022", "azure-pipelines-2022.1", "azure-pipelines-2022.2", "azure-pipelines"})

    def test_unknown_server_version_names_the_line(self):
        with self.assertRaises(SourceError) as cm:
            moniker_range(">=azure-pipelines-2020", "p.md", 7)
        self.assertIn("p.md:7:", str(cm.exception))
        self.assertIn("azure-pipelines-2020", str(cm.exception))

    def test_garbage_is_rejected(self):
        for bad in ("", "<=", "azure-pipelines && x", "=azure-pipelines, =azure-pipelines-server"):
            with self.subTest(bad=bad), self.assertRaises(SourceError):
                moniker_range(bad, "p.md", 1)


class QuirkyPages(unittest.TestCase):
    def test_statuses_aliases_and_defaults(self):
        f = facts(page(GOOD_ITEMS, GOOD_SYNTAX))
        self.assertEqual(f["azureSubscription"], {"name": "azureSubscription", "aliases": ["connectedServiceNameARM"], "type": "string", "status": "required", "label": "Label"})
        self.assertEqual((f["scriptLocation"]["status"], f["scriptLocation"]["default"]), ("required", "scriptPath"))
        self.assertEqual((f["inlineScript"]["status"], f["inlineScript"]["when"]), ("required-when", "scriptLocation = inlineScript"))
        self.assertEqual(f["arguments"]["aliases"], ["scriptArguments", "args"])
        # Nothing said: the reference's way of writing an input that is optional and always shown.
        self.assertEqual(f["arguments"]["status"], "optional")
        self.assertNotIn("when", f["arguments"])
        self.assertEqual((f["failOnStandardError"]["status"], f["failOnStandardError"]["type"]), ("optional", "boolean"))
        self.assertEqual(f["failOnStandardError"]["when"], "scriptLocation = inlineScript || scriptLocation = scriptPath")

    def test_allowed_values_keep_keys_and_drop_labels(self):
        items = (
            item("jdk", "`string`. Allowed values: `default`, `1.10` (JDK 10 (out of support)), `1.8` (JDK 8). Default value: `default`.")
            + item("kind", "`string`. Required. Allowed values: `filePath` (File Path), `inline`.")
        )
        f = facts(page(items, syntax((EVERY, ["#jdk: 'default' # string. Jdk. Default: default.", "kind: # string. Required. Kind. "]))))
        self.assertEqual(f["jdk"]["values"], ["default", "1.10", "1.8"])
        self.assertEqual((f["kind"]["values"], f["kind"]["status"]), (["filePath", "inline"], "required"))

    def test_allowed_values_not_understood_names_the_line(self):
        items = item("kind", "`string`. Allowed values: filePath, `inline`.")
        with self.assertRaises(SourceError) as cm:
            facts(page(items, syntax((EVERY, ["#kind: # string. Kind. "]))))
        self.assertIn("allowed values not understood", str(cm.exception))

    def test_crlf_page(self):
        self.assertEqual(facts(page(GOOD_ITEMS, GOOD_SYNTAX).replace("\n", "\r\n")), facts(page(GOOD_ITEMS, GOOD_SYNTAX)))

    def test_default_in_double_backticks_and_empty_default(self):
        items = item("pattern", "`string`. Default value: `` `*.md` ``.") + item("empty", "`string`. Default value: ``.")
        f = facts(page(items, syntax((EVERY, ["#pattern: '`*.md`' # string. Pattern. ", "#empty: # string. Empty. "]))))
        self.assertEqual(f["pattern"]["default"], " `*.md` ")
        self.assertNotIn("default", f["empty"])

    def test_newest_server_version_decides_and_older_only_inputs_are_marked(self):
        items = (
            item("versionSpec", "`string`. Required.", "=azure-pipelines-2022")
            .replace(":::moniker-end\n<!-- :::item-end::: -->", ":::moniker-end\n"
                     ':::moniker range=">azure-pipelines-2022"\n\n**`versionSpec`** - **Spec**<br>\n'
                     "`string`. Optional. Use when `versionSource = spec`.<br>\n\n:::moniker-end\n<!-- :::item-end::: -->")
            + item("legacy", f"{ALIAS}`old`. `string`.", "<=azure-pipelines-2022.1")
        )
        text = page(items, syntax(
            ("=azure-pipelines-2022", ["versionSpec: # string. Required. Spec. ", "#legacy: # string. Alias: old. Legacy. "]),
            ("=azure-pipelines-2022.1", ["#versionSpec: # string. Optional. Use when versionSource = spec. Spec. ", "#legacy: # string. Alias: old. Legacy. "]),
            (">=azure-pipelines-2022.2", ["#versionSpec: # string. Optional. Use when versionSource = spec. Spec. "]),
        ))
        f = facts(text)
        self.assertEqual((f["versionSpec"]["status"], f["versionSpec"]["when"]), ("optional", "versionSource = spec"))
        self.assertNotIn("cloud", f["versionSpec"])
        self.assertEqual((f["legacy"]["cloud"], f["legacy"]["aliases"]), (False, ["old"]))

    def test_classic_only_task_has_inputs_but_no_yaml_step(self):
        classic = (
            '<!-- :::syntax::: -->\n:::moniker range="<=azure-pipelines"\n\n```yaml\n'
            "# This task is supported on classic release pipelines only.\n```\n\n:::moniker-end\n<!-- :::syntax-end::: -->\n"
        )
        f = facts(page(item("instructions", "`string`."), classic))
        self.assertEqual(list(f), ["instructions"])

    def test_task_without_inputs(self):
        none = '<!-- :::item name="emptyCollectionValue"::: -->\n:::moniker range="<=azure-pipelines"\n\nNone.\n\n:::moniker-end\n<!-- :::item-end::: -->\n'
        empty_syntax = '<!-- :::syntax::: -->\n:::moniker range="<=azure-pipelines"\n\n```yaml\n- task: Task@1\n  inputs: # none\n```\n\n:::moniker-end\n<!-- :::syntax-end::: -->\n'
        self.assertEqual(facts(page(none, empty_syntax)), {})

    def test_group_comments_in_syntax_blocks_are_not_inputs(self):
        text = page(item("a", "`string`."), syntax((EVERY, ["#a: # string. A. "])).replace("  inputs:\n", "  inputs:\n  # Advanced\n"))
        self.assertEqual(list(facts(text)), ["a"])


class BrokenPages(unittest.TestCase):
    def assertFails(self, text: str, *fragments: str) -> None:
        with self.assertRaises(SourceError) as cm:
            parse_page(text, "task-v1.md")
        for f in ("task-v1.md:", *fragments):
            self.assertIn(f, str(cm.exception))

    def test_no_heading(self):
        self.assertFails(page(GOOD_ITEMS, GOOD_SYNTAX).replace("# Task@1 - Task v1 task\n", ""), "task-v1.md:1:", "heading")

    def test_no_inputs_section(self):
        text = page(GOOD_ITEMS, GOOD_SYNTAX).replace("<!-- :::inputs-end::: -->", "")
        self.assertFails(text, "no inputs section")

    def test_item_heading_names_another_input(self):
        self.assertFails(page(item("a", "`string`.").replace("**`a`**", "**`b`**"), syntax((EVERY, ["#a: # string. A. "]))), "heading names 'b'")

    def test_attributes_not_understood_names_the_line(self):
        text = page(item("a", "string. Required."), syntax((EVERY, ["a: # string. Required. A. "])))
        line = text.split("\n").index("string. Required.<br>") + 1
        self.assertFails(text, f"task-v1.md:{line}:", "attributes not understood")

    def test_required_out_of_place(self):
        self.assertFails(page(item("a", "`string`. Allowed values: `x`. Required."), syntax((EVERY, ["a: # string. Required. A. "]))), "out of place")
        self.assertFails(page(item("a", "`string`. Required. Optional."), syntax((EVERY, ["a: # string. Required. A. "]))), "out of place")

    def test_default_not_understood(self):
        self.assertFails(page(item("a", "`string`. Default value: x."), syntax((EVERY, ["#a: # string. A. "]))), "default not understood")

    def test_input_listed_twice_in_any_case(self):
        text = page(item("a", "`string`.") + item("A", "`string`."), syntax((EVERY, ["#a: # string. A. "])))
        self.assertFails(text, "input 'A' listed twice")

    def test_moniker_block_without_end(self):
        text = page(item("a", "`string`.").replace(":::moniker-end\n", ""), syntax((EVERY, ["#a: # string. A. "])))
        self.assertFails(text, "without :::moniker-end")

    def test_input_described_twice_for_one_server_version(self):
        twice = item("a", "`string`.").replace("<!-- :::item-end::: -->", ':::moniker range="=azure-pipelines"\n\n**`a`** - **A**<br>\n`string`.<br>\n\n:::moniker-end\n<!-- :::item-end::: -->')
        self.assertFails(page(twice, syntax((EVERY, ["#a: # string. A. "]))), "described twice for azure-pipelines")

    def test_syntax_block_lists_an_input_the_inputs_section_lacks(self):
        text = page(item("a", "`string`."), syntax((EVERY, ["#a: # string. A. ", "#b: # string. B. "])))
        line = text.split("\n").index("    #b: # string. B. ") + 1
        self.assertFails(text, f"task-v1.md:{line}:", "'b' is in the syntax block")

    def test_inputs_section_lists_an_input_a_syntax_block_lacks(self):
        self.assertFails(page(item("a", "`string`.") + item("b", "`string`."), syntax((EVERY, ["#a: # string. A. "]))), "'b' is in the Inputs section for")

    def test_the_two_parts_disagree_on_required(self):
        self.assertFails(page(item("a", "`string`. Optional. Use when `x = 1`."), syntax((EVERY, ["a: # string. Required. A. "]))), "syntax block says required, Inputs section says optional")
        self.assertFails(page(item("a", "`string`. Required."), syntax((EVERY, ["a: # string. Required when x = 1. A. "]))), "says required-when")

    def test_two_syntax_blocks_for_one_server_version(self):
        self.assertFails(page(item("a", "`string`."), syntax((EVERY, ["#a: # string. A. "]), (CLOUD_ONLY, ["#a: # string. A. "]))), "two syntax blocks for azure-pipelines")

    def test_none_next_to_inputs(self):
        none = '<!-- :::item name="emptyCollectionValue"::: -->\n:::moniker range="<=azure-pipelines"\n\nNone.\n\n:::moniker-end\n<!-- :::item-end::: -->\n'
        self.assertFails(page(none + item("a", "`string`."), syntax((EVERY, ["#a: # string. A. "]))), "'None.' next to inputs")

    def test_syntax_block_without_a_step(self):
        broken = '<!-- :::syntax::: -->\n:::moniker range="<=azure-pipelines"\n\n```yaml\n# Nothing here.\n```\n\n:::moniker-end\n<!-- :::syntax-end::: -->\n'
        self.assertFails(page(item("a", "`string`."), broken), "without a '- task:' line")


SHARED = gen_reference.shared_dir()


@unittest.skipUnless((SHARED / gen_reference.PAGES).is_dir(), "shared reference folder not found (set AZPLS_SHARED or provide ../shared)")
class RealPages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = gen_reference.build(SHARED)
        cls.tasks = {(t["name"], t["major"]): t for t in json.loads(cls.text)["tasks"]}

    def inputs(self, name, major):
        return {i["name"]: i for i in self.tasks[(name, major)]["inputs"]}

    def test_every_page_once(self):
        self.assertEqual(len(self.tasks), 270)
        self.assertEqual(sum(len(t["inputs"]) for t in self.tasks.values()), 3284)

    def test_artifacts_authenticate_inputs_the_repository_lacks(self):
        nuget = self.inputs("NuGetAuthenticate", 1)
        self.assertEqual(nuget["azureDevOpsServiceConnection"]["aliases"], ["workloadIdentityServiceConnection"])
        self.assertEqual((nuget["feedUrl"]["status"], nuget["feedUrl"]["when"]), ("optional", "workloadIdentityServiceConnection != ''"))
        universal = self.inputs("UniversalPackages", 1)
        self.assertIn("organization", universal)
        self.assertEqual(universal["workloadIdentityServiceConnection"]["aliases"], ["adoServiceConnection", "azureDevOpsServiceConnection"])

    def test_statuses_of_azure_cli_2(self):
        cli = self.inputs("AzureCLI", 2)
        self.assertEqual(cli["azureSubscription"]["status"], "required")
        self.assertEqual(cli["scriptPath"]["when"], "scriptLocation = scriptPath")
        self.assertEqual(cli["workingDirectory"], {"name": "workingDirectory", "aliases": ["cwd"], "type": "string", "status": "optional", "label": "Working Directory"})

    def test_conditions_include_the_input_group(self):
        packer = self.inputs("PackerBuild", 1)
        self.assertEqual((packer["ConnectedServiceName"]["status"], packer["ConnectedServiceName"]["when"]), ("required-when", "templateType = builtin"))
        self.assertEqual(self.inputs("UseDotNet", 2)["workingDirectory"]["status"], "optional")

    def test_node_tool_0_version_spec_is_optional_on_newer_servers(self):
        self.assertEqual(self.inputs("NodeTool", 0)["versionSpec"]["status"], "optional")

    def test_generated_file_is_deterministic_and_names_its_source(self):
        self.assertEqual(self.text, gen_reference.build(SHARED))
        source = json.loads(self.text)["source"]
        self.assertEqual((source["repository"], source["commit"], source["date"]), ("MicrosoftDocs/azure-devops-yaml-schema", "27424983", "2026-06-30"))
        self.assertNotIn(str(SHARED.resolve()), self.text)


class Modes(unittest.TestCase):
    def run_main(self, argv, env):
        err, out = io.StringIO(), io.StringIO()
        with mock.patch.dict("os.environ", env), redirect_stderr(err), redirect_stdout(out):
            rc = gen_reference.main(argv)
        return rc, out.getvalue(), err.getvalue()

    def test_check_without_shared_folder_skips_loudly(self):
        rc, _, err = self.run_main(["gen_reference.py", "--check"], {"AZPLS_SHARED": "does-not-exist/shared"})
        self.assertEqual(rc, 0)
        self.assertIn("SKIP:", err)

    def test_write_and_stdout_without_shared_folder_fail(self):
        for argv in (["gen_reference.py"], ["gen_reference.py", "--stdout"]):
            with self.subTest(argv=argv):
                rc, out, _ = self.run_main(argv, {"AZPLS_SHARED": "does-not-exist/shared"})
                self.assertEqual((rc, out), (2, ""))

    def test_unknown_arguments(self):
        for argv in (["gen_reference.py", "--fix"], ["gen_reference.py", "--check", "--stdout"]):
            with self.subTest(argv=argv):
                self.assertEqual(self.run_main(argv, {})[0], 2)


if __name__ == "__main__":
    unittest.main()
