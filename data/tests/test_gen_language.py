"""Tests of data/gen_language.py on small schemas written inline: how anyOf alternatives,
enums beside a $ref, patterns, overrides and identifying keys become shapes, where the meanings
of values land, and that a construct the generator doesn't understand (or a meaning of a value
the key does not take, or that its page does not name) is refused rather than guessed at."""

from __future__ import annotations

import sys
import tempfile
import unittest
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(DATA))

from gen_language import Builder, Unknown, check_cited, merge_scalars  # noqa: E402

PAGES = {"pipeline", "jobs-job", "jobs-deployment", "steps-script", "steps-task", "boolean", "workspace"}


def build(definitions: dict, name: str) -> dict:
    builder = Builder({"definitions": definitions}, PAGES)
    builder.define(name)
    return builder.types


STRING = {"type": "string"}


class Shapes(unittest.TestCase):
    def test_single_value_alternatives_merge_into_one_list(self):
        types = build({"lock": {"anyOf": [
            {"type": "string", "pattern": "^sequential$"},
            {"type": "string", "pattern": "^runLatest$"},
        ]}}, "lock")
        self.assertEqual(types["lock"]["shapes"], [{"scalar": "string", "values": ["sequential", "runLatest"]}])

    def test_a_plain_string_alternative_absorbs_listed_values(self):
        shapes = merge_scalars([{"scalar": "string", "values": ["none"]}, {"scalar": "string"}])
        self.assertEqual(shapes, [{"scalar": "string"}])

    def test_an_enum_beside_a_ref_is_the_stricter_fact(self):
        types = build({"string": STRING, "jobWorkspace": {"type": "object", "properties": {
            "clean": {"enum": ["outputs", "all"], "$ref": "#/definitions/string"}},
            "additionalProperties": False}}, "jobWorkspace")
        clean = types["jobWorkspace"]["shapes"][0]["mapping"]["clean"]["type"]
        self.assertEqual(types[clean]["shapes"], [{"scalar": "string", "values": ["outputs", "all"]}])

    def test_known_patterns_become_formats_and_others_are_refused(self):
        types = build({"name": {"type": "string", "pattern": "^[_A-Za-z0-9]*$"}}, "name")
        self.assertEqual(types["name"]["shapes"], [{"scalar": "string", "format": "identifier"}])
        with self.assertRaises(Unknown):
            build({"odd": {"type": "string", "pattern": "^a+b?$"}}, "odd")

    def test_open_and_closed_mappings_and_identifying_keys(self):
        types = build({"string": STRING, "job": {"anyOf": [
            {"type": "object", "properties": {"job": {"$ref": "#/definitions/string"}},
             "additionalProperties": False, "firstProperty": ["job"], "required": ["job"]},
            {"type": "object", "properties": {"deployment": {"$ref": "#/definitions/string"}},
             "firstProperty": ["deployment"]},
        ]}}, "job")
        closed, open_ = types["job"]["shapes"]
        self.assertEqual((closed["first"], closed["required"], closed["page"]), (["job"], ["job"], "jobs-job"))
        self.assertNotIn("open", closed)
        self.assertEqual((open_["open"], open_["page"]), ("any", "jobs-deployment"))

    def test_an_override_types_a_key_the_schema_calls_a_string(self):
        types = build({"string": STRING, "job": {"anyOf": [
            {"type": "object", "properties": {"job": {"$ref": "#/definitions/string"},
                                              "timeoutInMinutes": {"$ref": "#/definitions/string"}},
             "firstProperty": ["job"]},
        ]}}, "job")
        self.assertEqual(types["job"]["shapes"][0]["mapping"]["timeoutInMinutes"]["type"], "integer")
        self.assertEqual(types["integer"]["shapes"], [{"scalar": "integer"}])

    def test_a_page_that_does_not_exist_is_refused(self):
        with self.assertRaises(Unknown):
            Builder({"definitions": {"pool": STRING}}, set()).define("pool")



LOCK = {"lockBehavior": {"anyOf": [
    {"type": "string", "pattern": "^sequential$"},
    {"type": "string", "pattern": "^runLatest$"},
]}, "boolean": {"type": "boolean"}, "pipeline": {"type": "object", "properties": {
    "lockBehavior": {"$ref": "#/definitions/lockBehavior"},
    "appendCommitMessageToRunName": {"$ref": "#/definitions/boolean"},
}}}


def meaning_builder(type_meanings: dict, key_meanings: dict) -> Builder:
    builder = Builder({"definitions": LOCK}, PAGES)
    builder.type_meanings = type_meanings
    builder.key_meanings = key_meanings
    builder.define("pipeline")
    return builder


class Meanings(unittest.TestCase):
    def test_type_meanings_land_on_the_type_and_key_meanings_on_the_key(self):
        builder = meaning_builder(
            {"lockBehavior": ("stages-stage", {"sequential": "one after the other"})},
            {("pipeline", "appendCommitMessageToRunName"): ("pipeline", {"false": "build number alone"})},
        )
        builder.check_meanings()
        self.assertEqual(builder.types["lockBehavior"]["meanings"], {"sequential": "one after the other"})
        key = builder.types["pipeline"]["shapes"][0]["mapping"]["appendCommitMessageToRunName"]
        self.assertEqual(key["meanings"], {"false": "build number alone"})

    def test_a_value_the_key_does_not_take_is_refused(self):
        builder = meaning_builder({"lockBehavior": ("stages-stage", {"newest": "?"})}, {})
        with self.assertRaises(Unknown):
            builder.check_meanings()
        builder = meaning_builder({}, {("pipeline", "appendCommitMessageToRunName"): ("pipeline", {"maybe": "?"})})
        with self.assertRaises(Unknown):
            builder.check_meanings()

    def test_a_meaning_for_a_key_the_schema_lacks_is_refused(self):
        builder = meaning_builder({}, {("pipeline", "lockBehaviour"): ("pipeline", {"true": "?"})})
        with self.assertRaises(Unknown):
            builder.check_meanings()

    def test_the_cited_page_must_name_each_value_or_the_boolean_key(self):
        with tempfile.TemporaryDirectory() as folder:
            pages = Path(folder)
            (pages / "stages-stage.md").write_text("lockBehavior: sequential | runLatest\n", encoding="utf-8")
            (pages / "pr.md").write_text("autoCancel: Default: true.\n", encoding="utf-8")
            check_cited(pages, {"lockBehavior": ("stages-stage", {"sequential": "x", "runLatest": "y"})},
                        {("pr", "autoCancel"): ("pr", {"true": "x", "false": "y"})})
            with self.assertRaises(Unknown):
                check_cited(pages, {"lockBehavior": ("stages-stage", {"newest": "x"})}, {})
            with self.assertRaises(Unknown):
                check_cited(pages, {}, {("pr", "drafts"): ("pr", {"true": "x"})})
            with self.assertRaises(Unknown):
                check_cited(pages, {"trigger": ("trigger", {"none": "x"})}, {})


if __name__ == "__main__":
    unittest.main()
