//! Deep nesting through the real binary, `check` and the server alike: 300, 3,000 and
//! 30,000 levels of block mappings, block sequences, `- - -` chains and flow `[[[` and
//! `{a: {a:`. The YAML grammar's C scanner aborts the process from about 254 levels of
//! block nesting, and recursive walks overflow the stack on deep flow nesting, so what
//! is checked here is that the process lives, answers, and says why it did not analyse
//! a file it refused.
//!
//! Block nesting indents one level per line, so 30,000 levels of it would take half a
//! gigabyte: those shapes stop at 3,000 levels (the `- - -` chain nests on one line).

mod common;
#[path = "cli/support.rs"]
mod support;

use common::Client;
use serde_json::{Value, json};
use support::{TempDir, azpls};

/// Every shape at every depth, with whether the grammar's limits refuse it.
fn cases() -> Vec<(String, String, bool)> {
    let mut cases = Vec::new();
    for levels in [300, 3_000] {
        let mappings: String = (0..levels)
            .map(|i| format!("{}a{i}:\n", " ".repeat(i)))
            .collect();
        let sequences: String = (0..levels)
            .map(|i| format!("{}-\n", "  ".repeat(i)))
            .collect();
        cases.push((format!("{levels} block mappings"), mappings, true));
        cases.push((format!("{levels} block sequences"), sequences, true));
    }
    for levels in [300, 3_000, 30_000] {
        cases.push((
            format!("{levels} chained sequences"),
            format!("steps:\n- {}x\n", "- ".repeat(levels)),
            true,
        ));
        cases.push((
            format!("{levels} flow sequences"),
            format!(
                "steps:\n- task: AzureFileCopy@4\n  inputs: {}x{}\n",
                "[".repeat(levels),
                "]".repeat(levels)
            ),
            false,
        ));
        // `: ` counts as a level wherever it is (the check does not follow flow context),
        // so hundreds of them on one line are refused; `:{` is not an indicator.
        cases.push((
            format!("{levels} flow mappings"),
            format!(
                "steps:\n- {}task: AzureFileCopy@4{}\n",
                "{a: ".repeat(levels),
                "}".repeat(levels)
            ),
            true,
        ));
        cases.push((
            format!("{levels} tight flow mappings"),
            format!(
                "steps:\n- task: AzureFileCopy@4\n  inputs: {}x{}\n",
                "{a:".repeat(levels),
                "}".repeat(levels)
            ),
            false,
        ));
    }
    cases
}

#[test]
fn check_survives_deep_nesting_and_says_what_it_refused() {
    let dir = TempDir::new("deep-nesting");
    for (i, (name, text, refused)) in cases().into_iter().enumerate() {
        let file = format!("case-{i}.yml");
        dir.write(&file, &text);
        let o = azpls(&["check", "--all-yaml", "--format", "json", &file], &dir);
        let code = o.status.code();
        assert!(
            matches!(code, Some(0 | 1)),
            "{name}: exit {:?}, stderr {}",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        );
        let report: Value = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{name}: no JSON report ({e})"));
        let rules: Vec<&str> = report["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rules.contains(&"parse-limit"), refused, "{name}: {rules:?}");
    }
}

#[test]
fn the_server_survives_deep_nesting_and_keeps_answering() {
    let mut client = Client::start();
    client.initialize(
        json!({"textDocument": {"documentSymbol": {"hierarchicalDocumentSymbolSupport": true}}}),
        Value::Null,
    );
    for (i, (name, text, refused)) in cases().into_iter().enumerate() {
        let uri = format!("file:///deep/case-{i}.yml");
        client.open(&uri, &text, 1);
        let diagnostics = client.diagnostics(&uri, 1);
        let codes: Vec<&str> = diagnostics
            .iter()
            .filter_map(|d| d["code"].as_str())
            .collect();
        assert_eq!(codes.contains(&"parse-limit"), refused, "{name}: {codes:?}");
        // Every feature at the innermost point, which is also where a user types.
        let lines: Vec<&str> = text.lines().collect();
        let line = lines.len() / 2;
        let character = lines[line].len() / 2;
        let at = json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}});
        for method in [
            "textDocument/hover",
            "textDocument/completion",
            "textDocument/definition",
        ] {
            client.request(method, at.clone());
        }
        let doc = json!({"textDocument": {"uri": uri}});
        for method in [
            "textDocument/documentSymbol",
            "textDocument/foldingRange",
            "textDocument/documentLink",
        ] {
            client.request(method, doc.clone());
        }
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": 2},
                "contentChanges": [{
                    "range": {"start": {"line": line, "character": character},
                              "end": {"line": line, "character": character}},
                    "text": "x",
                }],
            }),
        );
        client.diagnostics(&uri, 2);
        client.notify("textDocument/didClose", doc);
    }
    assert_eq!(client.shutdown(), Some(0), "the server ended well");
}
