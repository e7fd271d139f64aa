//! End-to-end over stdio against the real binary: diagnostics kept light (no fix in
//! `data`, related information and links only for clients that read them), and quick
//! fixes found again from the client's diagnostics by range and code.

mod common;

use common::{Client, apply_lsp_edits};
use serde_json::{Value, json};

const URI: &str = "file:///project/azure-pipelines.yml";

const PIPELINE: &str = "steps:\n- task: AzureFileCopy@4\n  displayName: Copy\n  inputs:\n    SourcePath: out\n    azureSubscription: sc\n    Destination: AzureBlob\n    storage: acct\n    ContainerName: web\n";

#[test]
fn diagnostics_carry_related_information_and_links_only_for_clients_that_read_them() {
    // Two findings of one rule: the documentation link goes with the first only.
    let text = format!("{PIPELINE}{}", &PIPELINE["steps:\n".len()..]);
    for (capabilities, related, link) in [
        (json!({}), false, false),
        (
            json!({"textDocument": {"publishDiagnostics": {"relatedInformation": true}}}),
            true,
            false,
        ),
        (
            json!({"textDocument": {"publishDiagnostics": {"codeDescriptionSupport": true}}}),
            false,
            true,
        ),
    ] {
        let mut client = Client::start();
        client.initialize(capabilities.clone(), Value::Null);
        client.open(URI, &text, 1);
        let diagnostics = client.diagnostics(URI, 1);
        assert_eq!(diagnostics.len(), 2);
        for (i, diagnostic) in diagnostics.iter().enumerate() {
            assert!(diagnostic.get("data").is_none(), "{diagnostic}");
            assert_eq!(
                diagnostic.get("relatedInformation").is_some(),
                related,
                "{capabilities}: {diagnostic}"
            );
            assert_eq!(
                diagnostic.get("codeDescription").is_some(),
                link && i == 0,
                "{capabilities}: {diagnostic}"
            );
        }
        assert_eq!(client.shutdown(), Some(0));
    }
}

/// Neovim asks with the cursor's position and the diagnostics of its line; the cursor
/// need not be on the diagnostic. The fix is found from the diagnostic itself, which
/// carries no `data`.
#[test]
fn a_code_action_fixes_the_diagnostic_it_is_given_without_data() {
    let mut client = Client::start();
    client.initialize(json!({}), Value::Null);
    client.open(URI, PIPELINE, 1);
    let diagnostic = client.diagnostics(URI, 1)[0].clone();
    assert!(diagnostic.get("data").is_none());
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI},
               "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
               "context": {"diagnostics": [diagnostic]}}),
    );
    let actions = actions.as_array().unwrap();
    let quick_fix = &actions[0];
    assert_eq!(quick_fix["kind"], "quickfix", "{actions:?}");
    assert_eq!(quick_fix["isPreferred"], true);
    // The action names the client's own diagnostic, so the editor links the two.
    assert_eq!(quick_fix["diagnostics"], json!([diagnostic]));
    let edits = quick_fix["edit"]["changes"][URI].as_array().unwrap();
    assert_eq!(
        apply_lsp_edits(PIPELINE, edits, false),
        PIPELINE.replace("AzureFileCopy@4", "AzureFileCopy@6")
    );
    assert_eq!(actions.last().unwrap()["kind"], "source.fixAll.azpls");

    // A diagnostic the document no longer has (another code at that range) gets no fix.
    let mut stale = diagnostic.clone();
    stale["code"] = json!("wif-unsupported-task");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI},
               "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 0}},
               "context": {"diagnostics": [stale], "only": ["quickfix"]}}),
    );
    assert!(actions.is_null(), "{actions}");
    assert_eq!(client.shutdown(), Some(0));
}

/// `steps` copies of a step with one finding each (a deprecated version with a fix and
/// a related step), eight lines apiece.
fn many_findings(steps: usize) -> String {
    let mut text = String::from("steps:\n");
    for i in 0..steps {
        text.push_str(&format!(
            "- task: AzureFileCopy@4\n  displayName: Copy {i}\n  inputs:\n    SourcePath: out\n    azureSubscription: sc\n    Destination: AzureBlob\n    storage: acct{i}\n    ContainerName: web\n"
        ));
    }
    text
}

/// The bytes of the JSON of each diagnostic, on average.
fn bytes_per_diagnostic(diagnostics: &[Value]) -> usize {
    serde_json::to_string(diagnostics).unwrap().len() / diagnostics.len()
}

/// A publication's size is what makes a file with a thousand findings slow: each
/// diagnostic once took 650 bytes (its fix, related information and links).
#[test]
fn a_thousand_findings_cost_a_few_hundred_bytes_each() {
    let text = many_findings(1000);
    for (capabilities, most) in [
        (json!({}), 280),
        (
            json!({"textDocument": {"publishDiagnostics": {"relatedInformation": true}}}),
            480,
        ),
    ] {
        let mut client = Client::start();
        client.initialize(capabilities.clone(), Value::Null);
        client.open(URI, &text, 1);
        let diagnostics = client.diagnostics(URI, 1);
        assert_eq!(diagnostics.len(), 1000);
        let bytes = bytes_per_diagnostic(&diagnostics);
        assert!(bytes <= most, "{capabilities}: {bytes} bytes a diagnostic");
        assert_eq!(client.shutdown(), Some(0));
    }
}
