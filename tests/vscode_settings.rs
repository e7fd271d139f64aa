//! The VS Code extension's settings schema (`editors/vscode/package.json`) against what
//! the server accepts: `azpls.rules` offers every rule of the registry, with its summary and
//! default severity, and every level the schema offers is one the server takes;
//! `azpls.wif.table` offers every dated table, the newest by default. A new rule changes the
//! schema through `AZPLS_BLESS=1 cargo test --test vscode_settings`, which rewrites the
//! `azpls.rules` entry in place and leaves the rest of the file as it is.

use azpls::analysis::{self, Config};
use azpls::config::Settings;
use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Value, json};
use std::path::PathBuf;

fn package_json() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("editors/vscode/package.json")
}

/// The levels a rule can be set to, as the server spells them in its own messages.
const LEVELS: [&str; 5] = ["off", "error", "warning", "info", "hint"];

/// JSON whose objects keep their keys in the order given (the registry's, then VS Code's
/// usual `type`, `enum`, description), where `serde_json::Map` would sort them.
enum Json {
    Plain(Value),
    Object(Vec<(&'static str, Json)>),
}

impl Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Plain(value) => value.serialize(serializer),
            Json::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// The `azpls.rules` setting as the registry defines it.
fn rules_setting() -> Json {
    let properties = analysis::RULES
        .iter()
        .map(|(rule, _)| {
            let description = format!(
                "{} (default: `{}`). `azpls rules {}` explains it.",
                capitalised(rule.summary),
                rule.default_severity.as_str(),
                rule.id
            );
            let property = Json::Object(vec![
                ("type", Json::Plain(json!("string"))),
                ("enum", Json::Plain(json!(LEVELS))),
                ("markdownDescription", Json::Plain(json!(description))),
            ]);
            (rule.id, property)
        })
        .collect();
    Json::Object(vec![
        ("type", Json::Plain(json!("object"))),
        ("default", Json::Plain(json!({}))),
        (
            "markdownDescription",
            Json::Plain(json!(
                "Severity per rule id: `\"off\"`, `\"error\"`, `\"warning\"`, `\"info\"` or `\"hint\"`, for example `{ \"wif-planned-support\": \"off\" }`. `azpls rules` lists the rules."
            )),
        ),
        ("properties", Json::Object(properties)),
        ("additionalProperties", Json::Plain(json!(false))),
    ])
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `"azpls.rules": {…}` as it stands in package.json: two spaces a level, at the depth of
/// the configuration's properties.
fn rules_entry_text() -> String {
    let pretty = serde_json::to_string_pretty(&rules_setting()).unwrap();
    format!(
        "        \"azpls.rules\": {}",
        pretty.replace('\n', "\n        ")
    )
}

/// Replaces the `azpls.rules` entry of package.json's text with `entry`, keeping the comma
/// after it; the entry runs from its key to the first `}` line at its indentation.
fn with_rules_entry(text: &str, entry: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("        \"azpls.rules\": {"))
        .expect("package.json has an azpls.rules setting");
    let end = start
        + lines[start..]
            .iter()
            .position(|l| l.trim_end() == "        }" || l.trim_end() == "        },")
            .expect("the azpls.rules setting ends");
    let comma = if lines[end].trim_end().ends_with(',') {
        ","
    } else {
        ""
    };
    format!(
        "{}{entry}{comma}\n{}",
        lines[..start].concat(),
        lines[end + 1..].concat()
    )
}

#[test]
fn rules_setting_lists_every_rule_of_the_registry() {
    let path = package_json();
    let text = std::fs::read_to_string(&path).unwrap();
    let package: Value = serde_json::from_str(&text).unwrap();
    let actual = &package["contributes"]["configuration"]["properties"]["azpls.rules"];
    let expected = serde_json::to_value(rules_setting()).unwrap();
    if actual == &expected {
        return;
    }
    if std::env::var_os("AZPLS_BLESS").is_some() {
        let blessed = with_rules_entry(&text, &rules_entry_text());
        let reread: Value = serde_json::from_str(&blessed).expect("the rewrite is valid JSON");
        assert_eq!(
            reread["contributes"]["configuration"]["properties"]["azpls.rules"],
            expected
        );
        std::fs::write(&path, blessed).unwrap();
        return;
    }
    let ids = |v: &Value| -> Vec<String> {
        v["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    panic!(
        "editors/vscode/package.json's azpls.rules differs from the rule registry \
         (AZPLS_BLESS=1 cargo test --test vscode_settings rewrites it)\n\
         rules in package.json: {:?}\nrules in the registry: {:?}\nexpected:\n{}",
        ids(actual),
        ids(&expected),
        rules_entry_text()
    );
}

#[test]
fn every_level_the_schema_offers_is_accepted_by_the_server() {
    for (rule, _) in analysis::RULES {
        for level in LEVELS {
            let settings = Settings::from_json(&json!({"azpls": {"rules": {rule.id: level}}}))
                .unwrap_or_else(|e| panic!("{} = {level}: {e}", rule.id));
            settings
                .to_config()
                .unwrap_or_else(|e| panic!("{} = {level}: {e}", rule.id));
        }
    }
}

#[test]
fn rewriting_the_rules_entry_keeps_the_rest_of_the_file() {
    let text = "{\n  \"a\": {\n        \"azpls.rules\": {\n          \"type\": \"object\"\n        },\n        \"azpls.trace\": 1\n  }\n}\n";
    assert_eq!(
        with_rules_entry(text, "        \"azpls.rules\": {}"),
        "{\n  \"a\": {\n        \"azpls.rules\": {},\n        \"azpls.trace\": 1\n  }\n}\n"
    );
}

#[test]
fn table_setting_offers_every_dated_table_and_defaults_to_the_newest() {
    let package: Value =
        serde_json::from_str(&std::fs::read_to_string(package_json()).unwrap()).unwrap();
    let setting = &package["contributes"]["configuration"]["properties"]["azpls.wif.table"];
    let kb = azpls::knowledge::knowledge();
    let dates: Vec<&str> = kb.tables().iter().map(|t| t.date.as_str()).collect();
    assert_eq!(
        setting["enum"],
        json!(dates),
        "a table was added or removed"
    );
    assert_eq!(
        setting["enumDescriptions"].as_array().map(Vec::len),
        Some(dates.len()),
        "one description per table"
    );
    assert_eq!(
        setting["default"],
        json!(kb.table(Config::default().table).date)
    );
}
