"""Tests of data/gen_wif.py and data/gen_catalog.py.

Run from the repository root:  python3 -m unittest discover -s data/tests -v
Tests on the real documents skip themselves when the shared reference folder is absent.
"""

from __future__ import annotations

import io
import json
import sys
import tomllib
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

DATA = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(DATA))
# Importing the generators must not leave __pycache__ folders in data/.
sys.dont_write_bytecode = True

import gen_catalog  # noqa: E402
import gen_wif  # noqa: E402
from gen_wif import SourceError, parse_error_table, parse_status, parse_task_table  # noqa: E402

HEADER = "| Task | Workload identity federation support |\n|---|---|\n"
CATALOG = {
    ("docker", 0): {"name": "Docker", "major": 0, "inputs": [
        {"name": "dockerRegistryEndpoint", "aliases": ["dockerRegistryConnection"], "type": "connectedService:dockerregistry"},
        {"name": "azureSubscriptionEndpoint", "aliases": ["azureSubscription"], "type": "connectedService:AzureRM"},
        {"name": "dockerHostEndpoint", "aliases": [], "type": "connectedService:dockerhost"},
    ]},
    ("docker", 1): {"name": "Docker", "major": 1, "inputs": [
        {"name": "dockerRegistryEndpoint", "aliases": [], "type": "connectedService:dockerregistry"},
        {"name": "azureSubscriptionEndpoint", "aliases": [], "type": "connectedService:AzureRM"},
        {"name": "action", "aliases": [], "type": "pickList"},
    ]},
}


def table(*rows: str) -> str:
    return "Intro.\n\n" + HEADER + "".join(r + "\n" for r in rows) + "\nAfter.\n"


def rows_of(*rows: str) -> list:
    out = parse_task_table(table(*rows), "doc.md")
    for r in out:
        gen_wif.resolve(r, CATALOG, "doc.md")
    return out


class BrokenTables(unittest.TestCase):
    def assertFails(self, text: str, *fragments: str) -> None:
        with self.assertRaises(SourceError) as cm:
            for r in parse_task_table(text, "doc.md"):
                gen_wif.resolve(r, CATALOG, "doc.md")
        for f in ("doc.md:", *fragments):
            self.assertIn(f, str(cm.exception))

    def test_missing_column_names_the_line(self):
        # Rows start on line 5: intro, blank, header, separator.
        self.assertFails(table("| Docker@0 | Y |", "| Docker@1 |"), "doc.md:6:", "expected 2 cells, found 1")

    def test_unknown_status_cell_is_named(self):
        self.assertFails(table("| Docker@0 | Partially |"), "doc.md:5:", "'Partially'")

    def test_unknown_status_part_after_an_input(self):
        self.assertFails(table("| Docker@0 | azureSubscription: Y, maybe |"), "unknown status 'maybe'")

    def test_duplicate_row(self):
        self.assertFails(table("| Docker@0 | Y |", "| docker@0 | N |"), "doc.md:6:", "duplicate row (first on line 5)")

    def test_bad_task_name(self):
        for bad in ("Docker", "Docker@", "Docker@x", "Docker @1", "@1", "Docker@1.2"):
            with self.subTest(bad=bad):
                self.assertFails(table(f"| {bad} | Y |"), "not Name@major")

    def test_empty_status(self):
        self.assertFails(table("| Docker@0 |  |"), "doc.md:5:")

    def test_only_a_link(self):
        self.assertFails(table("| Docker@0 | [see](https://example.com) |"), "no status, only links")

    def test_broken_link(self):
        self.assertFails(table("| Docker@0 | Y, [see](https://example.com |"), "doc.md:5:")

    def test_unknown_connection_type(self):
        self.assertFails(table("| Docker@0 | GitHub service connection: Y |"), "unknown connection type")

    def test_input_the_task_does_not_have_and_no_type_guess(self):
        self.assertFails(table("| Docker@0 | someInput: Y |"), "not an input of Docker@0")

    def test_input_named_twice(self):
        self.assertFails(table("| Docker@0 | azureSubscription: Y, AzureSubscription: N |"), "named twice")

    def test_no_table(self):
        with self.assertRaises(SourceError):
            parse_task_table("no table here\n", "doc.md")

    def test_wrong_second_column(self):
        with self.assertRaises(SourceError) as cm:
            parse_task_table("| Task | Support |\n|---|---|\n| Docker@0 | Y |\n", "doc.md")
        self.assertIn("expected columns", str(cm.exception))

    def test_non_input_named_in_a_row(self):
        self.assertFails(table("| Docker@1 | action: Y |"), "not a service connection")


class QuirkyCells(unittest.TestCase):
    def test_lowercase_y_and_missing_space_after_comma(self):
        (r,) = rows_of("| Docker@0 | azureSubscription: y,dockerRegistryConnection: N |")
        self.assertEqual(r.status, "per-input")
        self.assertEqual([(i.table_name, i.supported) for i in r.inputs], [("azureSubscription", True), ("dockerRegistryConnection", False)])

    def test_no_space_after_colon_and_trailing_spaces(self):
        (r,) = rows_of("| Docker@0   |   azureSubscription:Y, dockerRegistryConnection: N    |")
        self.assertEqual(r.raw, "azureSubscription:Y, dockerRegistryConnection: N")
        self.assertTrue(r.inputs[0].supported)

    def test_br_separates_connection_types(self):
        (r,) = rows_of("| Docker@1 | Azure service connection: Y<br/> Docker Registry service connection: N |")
        self.assertEqual([(i.connection_label, i.connection_type, i.supported, i.spellings, i.resolved_by) for i in r.inputs], [
            ("Azure service connection", "AzureRM", True, ["azureSubscriptionEndpoint"], "connection-type"),
            ("Docker Registry service connection", "dockerregistry", False, ["dockerRegistryEndpoint"], "connection-type"),
        ])

    def test_links_are_kept_with_text_and_url(self):
        (r,) = rows_of("| Docker@0 | Y, [use Azure](https://example.com/a) |")
        self.assertEqual(r.status, "supported")
        self.assertEqual([(l.text, l.url) for l in r.links], [("use Azure", "https://example.com/a")])

    def test_use_replacement_with_condition(self):
        r, plain = rows_of("| Docker@0 | Use Docker@2 with Azure service connection |", "| Docker@1 | Use Docker@2  |")
        self.assertEqual((r.status, r.replacement, r.replacement_major, r.condition), ("deprecated", "Docker", 2, "with Azure service connection"))
        self.assertEqual((plain.status, plain.raw, plain.condition), ("deprecated", "Use Docker@2", None))

    def test_planned_quarter(self):
        (r,) = rows_of("| Docker@0 | 2024 Q2 |")
        self.assertEqual((r.status, r.when), ("planned", "2024 Q2"))

    def test_alias_and_name_resolution(self):
        (r,) = rows_of("| Docker@0 | azureSubscription: Y, dockerRegistryEndpoint: N |")
        self.assertEqual([(i.resolved_by, i.spellings) for i in r.inputs], [
            ("alias", ["azureSubscriptionEndpoint", "azureSubscription"]),
            ("name", ["dockerRegistryEndpoint", "dockerRegistryConnection"]),
        ])

    def test_names_the_task_lacks_resolve_by_connection_type(self):
        (r,) = rows_of("| Docker@1 | azureSubscription: y, dockerRegistryConnection: N |")
        self.assertEqual([(i.table_name, i.resolved_by, i.spellings) for i in r.inputs], [
            ("azureSubscription", "connection-type", ["azureSubscriptionEndpoint"]),
            ("dockerRegistryConnection", "connection-type", ["dockerRegistryEndpoint"]),
        ])

    def test_task_missing_from_catalog_is_kept_with_a_note(self):
        (r,) = rows_of("| Nowhere@3 | azureSubscription: Y |")
        self.assertEqual(r.note, "not in the task catalog")
        self.assertEqual((r.inputs[0].spellings, r.inputs[0].resolved_by), (["azureSubscription"], "unresolved"))

    def test_error_table_messages_are_normalised(self):
        text = "| Message | Possible issue |\n|---|---|\n| **AADSTS7000215:  Invalid `x`.** | See [it](/entra/a#b). |\n| **Identity not found** | no |\n"
        rows = parse_error_table(text, "doc.md")
        self.assertEqual([(m, c) for _, m, c, _ in rows], [("AADSTS7000215: Invalid x.", "AADSTS7000215"), ("Identity not found", None)])
        self.assertEqual(rows[0][3][0].url, "https://learn.microsoft.com/entra/a#b")

    def test_error_message_not_bold_fails(self):
        with self.assertRaises(SourceError):
            parse_error_table("| Message | Possible issue |\n|---|---|\n| plain | x |\n", "doc.md")

    def test_relative_links_become_absolute(self):
        self.assertEqual(gen_wif.absolute_url("configure-workload-identity.md#x"),
                         "https://learn.microsoft.com/azure/devops/pipelines/release/configure-workload-identity#x")


SHARED = gen_wif.shared_dir()


@unittest.skipUnless(SHARED.is_dir(), f"shared reference folder not found (set AZPLS_SHARED or provide ../shared)")
class FederationFacts(unittest.TestCase):
    FIELDS = "|Field  |Description  |\n|---------|---------|\n"

    def setup_doc(self, issuer: str, subject: str) -> str:
        return (self.FIELDS + f"|Issuer     |  Enter ` {issuer}`.      |\n"
                f"|Subject identifier     |   Specify `{subject} `. More words.      |\n")

    def test_preview_format_takes_the_code_spans_of_both_tables(self):
        one = self.setup_doc("https://app.example/<id>", "sc://<org>/<project>/<name>")
        got = gen_wif.preview_format("Managed identity:\n" + one + "\nApp registration:\n" + one, "cfg.md")
        self.assertEqual(got, {"issuer": "https://app.example/<id>", "subject": "sc://<org>/<project>/<name>"})

    def test_preview_tables_that_disagree_fail(self):
        text = self.setup_doc("https://a/<id>", "sc://<o>/<p>/<n>") + "\n" + self.setup_doc("https://b/<id>", "sc://<o>/<p>/<n>")
        with self.assertRaises(SourceError) as cm:
            gen_wif.preview_format(text, "cfg.md")
        self.assertIn("expected one Issuer value", str(cm.exception))

    def test_preview_rows_without_code_or_missing_fail(self):
        with self.assertRaises(SourceError) as cm:
            gen_wif.preview_format(self.FIELDS + "|Issuer | Enter the issuer. |\n", "cfg.md")
        self.assertIn("cfg.md:3: no code span in the Issuer row", str(cm.exception))
        with self.assertRaises(SourceError) as cm:
            gen_wif.preview_format(self.FIELDS + "|Issuer | ` https://a/<id>` |\n", "cfg.md")
        self.assertIn("expected one Subject identifier value, found none", str(cm.exception))

    def doc_with_messages(self, *messages: str):
        return gen_wif.Doc(rel="doc.md", date="d", commit="c", rows=[], unlisted=("", ""), marketplace=("", ""),
                           container=False, formats=[], cli="2.30",
                           errors=[(i + 5, m, None, []) for i, m in enumerate(messages)])

    def test_audience_is_read_from_the_token_request_message(self):
        docs = [self.doc_with_messages("Identity not found", "cannot request token: Get ?audience=api://Example: unsupported protocol scheme")] * 2
        self.assertEqual(gen_wif.audience(docs), "api://Example")

    def test_no_audience_or_two_audiences_fail(self):
        with self.assertRaises(SourceError):
            gen_wif.audience([self.doc_with_messages("Identity not found")])
        with self.assertRaises(SourceError) as cm:
            gen_wif.audience([self.doc_with_messages("Get ?audience=api://A: x"), self.doc_with_messages("Get ?audience=api://B: x")])
        self.assertIn("['api://A', 'api://B']", str(cm.exception))


class RealDocuments(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text, cls.docs = gen_wif.build(SHARED)
        cls.by = {d.date: {(r.name, r.major): r for r in d.rows} for d in cls.docs}

    def test_row_counts(self):
        self.assertEqual([len(d.rows) for d in self.docs], [62, 67])

    def test_azure_file_copy_4_deprecated_to_6(self):
        for date in ("2024-02-08", "2025-03-12"):
            r = self.by[date][("AzureFileCopy", 4)]
            self.assertEqual((r.status, r.replacement, r.replacement_major, r.condition), ("deprecated", "AzureFileCopy", 6, None))

    def test_docker_2_planned_then_supported(self):
        self.assertEqual((self.by["2024-02-08"][("Docker", 2)].status, self.by["2024-02-08"][("Docker", 2)].when), ("planned", "2024 Q2"))
        self.assertEqual(self.by["2025-03-12"][("Docker", 2)].status, "supported")

    def test_docker_1_per_input_in_both(self):
        old, new = self.by["2024-02-08"][("Docker", 1)], self.by["2025-03-12"][("Docker", 1)]
        self.assertEqual((old.status, new.status), ("per-input", "per-input"))
        self.assertEqual([i.resolved_by for i in old.inputs], ["connection-type", "name", "connection-type"])
        self.assertEqual([i.connection_label for i in new.inputs], ["Azure service connection", "Docker Registry service connection"])
        self.assertEqual(new.inputs[1].spellings, ["dockerRegistryEndpoint"])

    def test_publish_to_service_bus_1_unsupported_then_deprecated_with_condition(self):
        self.assertEqual(self.by["2024-02-08"][("PublishToAzureServiceBus", 1)].status, "unsupported")
        r = self.by["2025-03-12"][("PublishToAzureServiceBus", 1)]
        self.assertEqual((r.status, r.replacement_major, r.condition), ("deprecated", 2, "with Azure service connection"))

    def test_changes_between_versions_match_the_notes(self):
        old, new = self.by["2024-02-08"], self.by["2025-03-12"]
        added = sorted(f"{n}@{m}" for n, m in new.keys() - old.keys())
        self.assertEqual(added, ["DockerCompose@1", "DotNetCoreCLI@2", "HelmDeploy@1", "Maven@4", "VSTest@3"])
        self.assertEqual(old.keys() - new.keys(), set())
        changed = [k for k in old if old[k].raw != new[k].raw]
        # The notes count 17 changed rows (3 + 1 + 1 + 3 + 7 + Docker@1 + HelmDeploy@0).
        self.assertEqual(len(changed), 17)

    def test_document_facts(self):
        old, new = self.docs
        self.assertEqual((old.unlisted[0], new.unlisted[0]), ("not-all", "almost-all"))
        self.assertEqual((old.marketplace[0], new.marketplace[0]), ("unsupported-during-preview", "ask-publisher"))
        self.assertEqual((old.container, new.container), (True, False))
        self.assertEqual((old.cli, new.cli), ("2.30", "2.30"))
        self.assertEqual(old.formats, [{"kind": "Azure DevOps", "issuer": "https://vstoken.dev.azure.com", "subject": "sc://<org>/<project>/<service-connection>"}])
        self.assertEqual([f["kind"] for f in new.formats], ["Azure DevOps", "Microsoft Entra"])
        federation = tomllib.loads(self.text)["federation"]
        self.assertEqual(federation["audience"], "api://AzureADTokenExchange")
        self.assertEqual(federation["preview_issuer"], "https://app.vstoken.visualstudio.com/<unique-identifier>")
        self.assertTrue(federation["preview_subject"].startswith("sc://"))

    def test_generated_file_is_deterministic_and_valid_toml(self):
        again, _ = gen_wif.build(SHARED)
        self.assertEqual(self.text, again)
        data = tomllib.loads(self.text)
        self.assertEqual([len(t["task"]) for t in data["table"]], [62, 67])
        self.assertTrue(self.text.startswith("# generated by data/gen_wif.py from"))
        self.assertNotIn(str(SHARED.resolve()), self.text)

    def test_errors_toml_matches_the_error_tables(self):
        self.assertEqual(gen_wif.check_errors(self.docs, (DATA / "errors.toml").read_text(encoding="utf-8")), [])

    def test_errors_check_notices_a_missing_message(self):
        text = (DATA / "errors.toml").read_text(encoding="utf-8").replace('message = "Identity not found"', 'message = "Identity was not found"')
        problems = gen_wif.check_errors(self.docs, text)
        self.assertTrue(any("Identity not found" in p for p in problems), problems)

    def test_catalog_marks_inputs_the_schema_does_not_demand(self):
        tasks = {(t["name"], t["major"]): t for t in json.loads(gen_catalog.build(SHARED))["tasks"]}
        inputs = {i["name"]: i for i in tasks[("DotNetCoreCLI", 2)]["inputs"]}
        # The task writes required as the string "false": not required, so nothing to mark.
        self.assertNotIn("required", inputs["packagesDirectory"])
        self.assertNotIn("conditional", inputs["packagesDirectory"])
        azcli = {i["name"]: i for i in tasks[("AzureCLI", 2)]["inputs"]}
        self.assertNotIn("conditional", azcli["connectedServiceNameARM"])
        # Once marked by hand; its group, shown only for the save command, says so now.
        helm = {i["name"]: i for i in tasks[("HelmDeploy", 0)]["inputs"]}
        self.assertNotIn("conditional", helm["azureContainerRegistry"])
        self.assertEqual(helm["azureContainerRegistry"]["visibleRule"], "command == save")
        packer = {i["name"]: i for i in tasks[("PackerBuild", 1)]["inputs"]}
        self.assertEqual(packer["ConnectedServiceName"]["visibleRule"], "templateType = builtin")
        self.assertEqual(packer["managedImageName"]["visibleRule"], "isManagedImage = true && templateType = builtin")

    def test_catalog_takes_inputs_the_reference_and_the_schema_list(self):
        tasks = {(t["name"], t["major"]): t for t in json.loads(gen_catalog.build(SHARED))["tasks"]}
        nuget = {i["name"]: i for i in tasks[("NuGetAuthenticate", 1)]["inputs"]}
        self.assertEqual(nuget["workloadIdentityServiceConnection"]["aliases"], ["azureDevOpsServiceConnection"])
        self.assertEqual((nuget["feedUrl"]["source"], nuget["feedUrl"].get("required")), ("reference", None))
        universal = {i["name"]: i for i in tasks[("UniversalPackages", 1)]["inputs"]}
        self.assertEqual(universal["organization"]["source"], "reference")
        conda = {i["name"]: i for i in tasks[("CondaAuthenticate", 0)]["inputs"]}
        self.assertEqual(conda["workloadIdentityServiceConnection"]["source"], "schema")
        # task.json calls it required; its page, Optional.
        packer = {i["name"]: i for i in tasks[("PackerBuild", 1)]["inputs"]}
        self.assertNotIn("required", packer["isManagedImage"])

    def test_retired_versions_have_inputs(self):
        data = json.loads(gen_catalog.build(SHARED))
        retired = {(t["name"], t["major"]): t for t in data["schemaOnly"]}
        self.assertEqual(len(retired), 41)
        self.assertFalse(retired.keys() & {(t["name"], t["major"]) for t in data["tasks"]})
        cli = {i["name"]: i for i in retired[("AzureCLI", 0)]["inputs"]}
        self.assertEqual(cli["inlineScript"]["visibleRule"], "scriptLocation = inlineScript")
        self.assertEqual(cli["connectedServiceNameARM"]["type"], "connectedService:AzureRM")
        alerts = {i["name"]: i for i in retired[("AzureMonitorAlerts", 0)]["inputs"]}
        self.assertEqual(alerts["ConnectedServiceName"]["type"], "connectedService:AzureRM")
        self.assertEqual(sorted(k for k, t in retired.items() if t.get("undocumented")), [
            ("SonarQubePostTest", 1), ("SonarQubePreBuild", 1), ("XamarinComponentRestore", 0), ("XamarinLicense", 1), ("XamariniOS", 1)])

    def test_every_value_a_reference_page_allows_is_an_option(self):
        data = json.loads(gen_catalog.build(SHARED))
        _, pages = gen_catalog.read_reference((DATA / "task-reference.json").read_text(encoding="utf-8"))
        versions = {(t["name"].lower(), t["major"]): t for t in data["tasks"] + data["schemaOnly"]}
        checked = 0
        for key, page in pages.items():
            for p in page["inputs"]:
                if not p.get("values") or key not in versions:
                    continue
                i = gen_catalog.find_input(versions[key]["inputs"], [p["name"], *p.get("aliases", [])])
                options = {o.lower() for o in i.get("options", [])}
                self.assertLessEqual({v.lower() for v in p["values"] if v}, options, f"{key} {p['name']}")
                checked += 1
        self.assertGreater(checked, 450)
        bash = {i["name"]: i for i in versions[("bash", 3)]["inputs"]}
        self.assertEqual((bash["targetType"]["options"], bash["targetType"].get("editable")), (["filePath", "inline"], None))
        # task.json lists Playwright, which the page (older) doesn't: the union is kept.
        plan = {i["name"]: i for i in versions[("azuretestplan", 0)]["inputs"]}
        self.assertIn("Playwright", plan["testLanguageInput"]["options"])
        self.assertTrue(plan["testSelector"]["multiSelect"])

    def test_catalog_is_deterministic(self):
        self.assertEqual(gen_catalog.build(SHARED), gen_catalog.build(SHARED))


class SchemaRequired(unittest.TestCase):
    def schema(self, *variants):
        return {"definitions": {"task": {"anyOf": list(variants)}}}

    def variant(self, pattern, required):
        return {"properties": {"task": {"pattern": pattern}, "inputs": {"required": required}}}

    def test_reads_required_lists_by_name_and_major(self):
        got = gen_catalog.schema_required(self.schema(self.variant("^AzureCLI@2$", ["azureSubscription", "scriptType"])))
        self.assertEqual(got, {("azurecli", 2): {"azuresubscription", "scripttype"}})

    def test_lists_every_versioned_task_value_once(self):
        schema = self.schema(self.variant("^B@1$", []), self.variant("^a@2$", []), self.variant("^B@1$", []))
        self.assertEqual(gen_catalog.schema_versions(schema), ["a@2", "B@1"])

    def test_a_version_listed_twice_demands_only_what_both_demand(self):
        got = gen_catalog.schema_required(self.schema(self.variant("^X@1$", ["a", "b"]), self.variant("^X@1$", ["b"])))
        self.assertEqual(got[("x", 1)], {"b"})

    def test_a_schema_without_tasks_is_an_error(self):
        with self.assertRaises(gen_catalog.SourceError):
            gen_catalog.schema_required({"definitions": {}})
        with self.assertRaises(gen_catalog.SourceError):
            gen_catalog.schema_required(self.schema({"properties": {"task": {"enum": ["X@1"]}}}))

    def test_marks_by_any_spelling_and_leaves_conditional_inputs(self):
        task = {"inputs": [
            {"name": "a", "aliases": ["alias"], "required": True},
            {"name": "b", "required": True},
            {"name": "c", "required": True, "visibleRule": "a = x"},
            {"name": "d", "required": True, "default": "1"},
        ]}
        gen_catalog.mark_conditional(task, {"alias"})
        self.assertEqual([i["name"] for i in task["inputs"] if i.get("conditional")], ["b"])
        untouched = {"inputs": [{"name": "b", "required": True}]}
        gen_catalog.mark_conditional(untouched, None)
        self.assertNotIn("conditional", untouched["inputs"][0])

    def test_rules_of_an_input_and_its_group_both_hold(self):
        self.assertEqual(gen_catalog.effective_rule("a = 1", "b = 2"), "a = 1 && b = 2")
        # `&&` binds tighter than `||`: a part with `||` keeps its meaning in parentheses.
        self.assertEqual(gen_catalog.effective_rule("a = 1", "b = 2 || b = 3"), "a = 1 && (b = 2 || b = 3)")
        self.assertEqual(gen_catalog.effective_rule("a = 1 || a = 2", "b = 2"), "(a = 1 || a = 2) && b = 2")
        self.assertEqual(gen_catalog.effective_rule(None, "b = 2"), "b = 2")
        self.assertEqual(gen_catalog.effective_rule("", "  "), None)
        # BicepDeploy@0 repeats its group's rule on the input: written once.
        self.assertEqual(gen_catalog.effective_rule("type = deploymentStack", "type  =  deploymentStack"), "type = deploymentStack")

    def test_group_rules_reach_their_inputs_and_unknown_groups_are_ignored(self):
        task = {"name": "X", "id": "ID", "major": 1, "minor": 0, "patch": 0,
                "groups": [{"name": "azure", "visibleRule": "mode = builtin"}, {"name": "plain"}],
                "inputs": [
                    {"name": "mode", "type": "pickList", "required": True, "default": "builtin"},
                    {"name": "sub", "type": "string", "required": True, "groupName": "azure"},
                    {"name": "image", "type": "string", "visibleRule": "managed = true", "groupName": "azure"},
                    {"name": "free", "type": "string", "groupName": "plain"},
                    {"name": "stray", "type": "string", "groupName": "advanced"},
                ]}
        rules = {i["name"]: i.get("visibleRule") for i in gen_catalog.compact_task(task)["inputs"]}
        self.assertEqual(rules, {"mode": None, "sub": "mode = builtin", "image": "managed = true && mode = builtin", "free": None, "stray": None})


class DocumentedInputs(unittest.TestCase):
    def task(self):
        return {"name": "X", "major": 1, "inputs": [
            {"name": "connectedServiceNameARM", "aliases": ["azureSubscription"], "type": "connectedService:AzureRM", "required": True},
            {"name": "clean", "type": "boolean", "required": True, "default": "false"},
            {"name": "legacy", "type": "string", "required": True},
        ]}

    def page(self, *inputs):
        return {"name": "X", "major": 1, "inputs": list(inputs)}

    def test_an_input_the_page_calls_optional_is_not_required(self):
        t = self.task()
        gen_catalog.merge_documented(t, self.page({"name": "CLEAN", "type": "boolean", "status": "optional"}), {})
        self.assertNotIn("required", t["inputs"][1])
        self.assertTrue(t["inputs"][0]["required"])

    def test_optional_only_on_older_servers_changes_nothing(self):
        t = self.task()
        gen_catalog.merge_documented(t, self.page({"name": "legacy", "type": "string", "status": "optional", "cloud": False}), {})
        self.assertTrue(t["inputs"][2]["required"])

    def test_inputs_found_by_any_spelling_are_not_added(self):
        t = self.task()
        gen_catalog.merge_documented(t, self.page({"name": "AzureSubscription", "aliases": ["connectedServiceNameARM"], "type": "string", "status": "required"}), {"azuresubscription": {"type": "string"}})
        self.assertEqual(len(t["inputs"]), 3)

    def test_page_and_schema_inputs_are_added_after_the_tasks_own_with_their_source(self):
        t = self.task()
        page = self.page(
            {"name": "azureDevOpsServiceConnection", "aliases": ["workloadIdentityServiceConnection"], "type": "string", "status": "optional", "when": "nuGetServiceConnections == ''", "label": "Connection"},
            {"name": "feedUrl", "type": "string", "status": "required-when", "when": "a = b", "default": "x"},
        )
        schema = {
            "feedUrl": {"type": "string"},
            "workloadIdentityServiceConnection": {"type": "string"},
            "mode": {"description": "Mode", "enum": ["a", "b"], "aliases": ["runMode", "how"]},
            "approve": {"type": "boolean"},
        }
        gen_catalog.merge_documented(t, page, schema)
        self.assertEqual(t["inputs"][3:], [
            # Both sources write the key first and task.json's name as the first alias.
            {"name": "workloadIdentityServiceConnection", "aliases": ["azureDevOpsServiceConnection"], "type": "string", "visibleRule": "nuGetServiceConnections == ''", "label": "Connection", "source": "reference"},
            {"name": "feedUrl", "type": "string", "required": True, "default": "x", "visibleRule": "a = b", "source": "reference"},
            # The schema lists editable pick lists as enums too: nothing says other values fail.
            {"name": "runMode", "aliases": ["mode", "how"], "type": "pickList", "options": ["a", "b"], "editable": True, "label": "Mode", "source": "schema"},
            {"name": "approve", "type": "boolean", "source": "schema"},
        ])

    def test_schema_inputs_of_a_version_listed_twice_are_merged(self):
        schema = {"definitions": {"task": {"anyOf": [
            {"properties": {"task": {"pattern": "^X@1$"}, "inputs": {"properties": {"a": {}}}}},
            {"properties": {"task": {"pattern": "^X@1$"}, "inputs": {"properties": {"b": {}}}}},
        ]}}}
        self.assertEqual(sorted(gen_catalog.schema_inputs(schema)[("x", 1)]), ["a", "b"])

    def entry(self, **inputs):
        return {"properties": {"task": {"pattern": "^Old@1$", "description": "Old task\n\nDoes old things"}, "inputs": {"properties": inputs}}}

    def test_a_retired_version_takes_the_schemas_inputs_and_its_pages_facts(self):
        accepted = {"mode": {"enum": ["a", "b"], "description": "Mode"}, "path": {"type": "string", "description": "Path"}, "flag": {"type": "boolean"}}
        page = self.page(
            {"name": "mode", "type": "string", "status": "required", "default": "a"},
            {"name": "path", "type": "string", "status": "required-when", "when": "mode = a", "label": "Page label"},
            {"name": "flag", "type": "boolean", "status": "optional", "default": "false"},
            {"name": "extra", "type": "string", "status": "optional"},
        )
        t = gen_catalog.retired_version("Old", 1, self.entry(), accepted, page, {"flag"})
        self.assertEqual((t["name"], t["major"], t["friendlyName"], t["description"]), ("Old", 1, "Old task", "Does old things"))
        self.assertNotIn("undocumented", t)
        self.assertEqual(t["inputs"], [
            {"name": "mode", "type": "pickList", "required": True, "default": "a", "options": ["a", "b"], "editable": True, "label": "Mode", "source": "schema"},
            {"name": "path", "type": "string", "required": True, "visibleRule": "mode = a", "label": "Path", "source": "schema"},
            # The page calls it Optional: the schema's required list does not count where a page speaks.
            {"name": "flag", "type": "boolean", "default": "false", "source": "schema"},
            {"name": "extra", "type": "string", "source": "reference"},
        ])

    def test_a_retired_version_without_a_page_is_required_as_the_schema_says(self):
        t = gen_catalog.retired_version("Old", 1, self.entry(), {"email": {"type": "string"}, "product": {"enum": ["x"]}}, None, {"email"})
        self.assertTrue(t["undocumented"])
        self.assertEqual([(i["name"], i.get("required", False)) for i in t["inputs"]], [("email", True), ("product", False)])

    def test_a_retired_input_takes_the_connection_type_of_the_nearest_version(self):
        inputs = [{"name": "bus", "aliases": ["azureSubscription"], "type": "string"}, {"name": "path", "type": "string"}]
        versions = [
            {"major": 2, "inputs": [{"name": "azureSubscription", "type": "connectedService:AzureRM"}, {"name": "path", "type": "filePath"}]},
            {"major": 1, "inputs": [{"name": "BUS", "type": "connectedService:AzureServiceBus"}]},
        ]
        gen_catalog.connection_types(inputs, "Old", 0, versions)
        # Major 1 is nearer than 2; only connection types carry over.
        self.assertEqual([i["type"] for i in inputs], ["connectedService:AzureServiceBus", "string"])
        listed = [{"name": "ConnectedServiceName", "aliases": ["azureSubscription"], "type": "string"}]
        gen_catalog.connection_types(listed, "AzureMonitorAlerts", 0, [])
        self.assertEqual(listed[0]["type"], "connectedService:AzureRM")

    def test_the_page_completes_a_pick_list_and_lists_values_of_inputs_only_it_has(self):
        t = {"name": "X", "major": 1, "inputs": [
            {"name": "scriptType", "type": "pickList", "options": ["bash", "pscore"]},
            {"name": "free", "type": "string"},
        ]}
        page = self.page(
            {"name": "scriptType", "type": "string", "status": "optional", "values": ["bash", "PSCORE", "batch", ""]},
            {"name": "free", "type": "string", "status": "optional", "values": ["x"]},
            {"name": "only", "type": "string", "status": "optional", "values": ["a", "b"]},
        )
        gen_catalog.merge_documented(t, page, {})
        # Values the list has in another case are not added twice; empty values never.
        self.assertEqual(t["inputs"][0]["options"], ["bash", "pscore", "batch"])
        # A string input without options stays free text.
        self.assertNotIn("options", t["inputs"][1])
        # The page doesn't say whether an input only it lists takes other values.
        self.assertEqual((t["inputs"][2]["options"], t["inputs"][2]["editable"]), (["a", "b"], True))

    def test_editable_options_of_task_json_are_kept(self):
        closed = gen_catalog.compact_input({"name": "a", "type": "pickList", "options": ["x"], "editableOptions": False}, "t")
        open_ = gen_catalog.compact_input({"name": "b", "type": "pickList", "options": ["x"], "editableOptions": True}, "t")
        self.assertNotIn("editable", closed)
        self.assertTrue(open_["editable"])

    def test_a_retired_pick_list_is_closed_only_when_the_nearest_version_closes_it(self):
        inputs = [
            {"name": "mode", "type": "pickList", "options": ["a"], "editable": True},
            {"name": "kind", "type": "pickList", "options": ["a"], "editable": True},
            {"name": "new", "type": "pickList", "options": ["a"], "editable": True},
        ]
        versions = [
            {"major": 2, "inputs": [{"name": "MODE", "options": ["a", "b"]}, {"name": "kind", "options": ["a"], "editable": True}]},
            {"major": 3, "inputs": [{"name": "kind", "options": ["a"]}]},
        ]
        gen_catalog.closed_lists(inputs, versions)
        self.assertEqual([i.get("editable", False) for i in inputs], [False, True, True])

    def test_multi_select_inputs_are_marked_by_any_spelling(self):
        t = {"name": "AzureTestPlan", "major": 0, "inputs": [{"name": "TestSelector", "type": "pickList"}, {"name": "testPlan", "type": "pickList"}]}
        gen_catalog.mark_multi_select(t)
        self.assertEqual([i.get("multiSelect", False) for i in t["inputs"]], [True, False])

    def test_a_broken_reference_file_says_to_regenerate_it(self):
        with self.assertRaises(gen_catalog.SourceError) as cm:
            gen_catalog.read_reference('{"tasks": []}')
        self.assertIn("gen_reference.py", str(cm.exception))


class CheckModes(unittest.TestCase):
    def run_main(self, module, argv, env):
        err, out = io.StringIO(), io.StringIO()
        with mock.patch.dict("os.environ", env), redirect_stderr(err), redirect_stdout(out):
            rc = module.main(argv)
        return rc, err.getvalue()

    def test_check_without_shared_folder_skips_loudly(self):
        for module, name in ((gen_wif, "gen_wif.py"), (gen_catalog, "gen_catalog.py")):
            with self.subTest(name):
                rc, err = self.run_main(module, [name, "--check"], {"AZPLS_SHARED": "does-not-exist/shared"})
                self.assertEqual(rc, 0)
                self.assertIn("SKIP:", err)

    def test_write_without_shared_folder_fails(self):
        rc, err = self.run_main(gen_wif, ["gen_wif.py"], {"AZPLS_SHARED": "does-not-exist/shared"})
        self.assertEqual(rc, 2)
        self.assertIn("not found", err)


if __name__ == "__main__":
    unittest.main()
