//! End-to-end over stdio against the real binary: diagnostics pulled by clients that can
//! (with `unchanged` when nothing changed) and pushed to the others, kept light (no fix
//! in `data`, related information and links only for clients that read them), and quick
//! fixes found again from the client's diagnostics by range and code.

mod common;

use common::{Client, apply_lsp_edits};
use serde_json::{Value, json};

const URI: &str = "file:///project/azure-pipelines.yml";

const PIPELINE: &str = "steps:\n- task: AzureFileCopy@4\n  displayName: Copy\n  inputs:\n    SourcePath: out\n    azureSubscription: sc\n    Destination: AzureBlob\n    storage: acct\n    ContainerName: web\n";

/// What a client that pulls diagnostics says (as VS Code and Neovim 0.10+ do).
fn pulling() -> Value {
    json!({
        "textDocument": {"diagnostic": {"dynamicRegistration": false}},
        "workspace": {"diagnostics": {"refreshSupport": true}},
    })
}

fn pull(client: &mut Client, previous: Option<&str>) -> Value {
    client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": URI}, "previousResultId": previous}),
    )
}

fn codes(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect()
}

fn is_publication(m: &Value) -> bool {
    m["method"] == "textDocument/publishDiagnostics"
}

#[test]
fn pulled_diagnostics_are_unchanged_until_an_edit_or_a_setting_changes_them() {
    let mut client = Client::start();
    let init = client.initialize(pulling(), Value::Null);
    assert_eq!(
        init["capabilities"]["diagnosticProvider"],
        json!({"identifier": "azpls", "interFileDependencies": false, "workspaceDiagnostics": false})
    );
    client.open(URI, PIPELINE, 1);

    let first = pull(&mut client, None);
    assert_eq!(first["kind"], "full");
    assert_eq!(codes(&first["items"]), ["wif-deprecated-version"]);
    let id = first["resultId"].as_str().unwrap().to_string();
    assert_eq!(
        pull(&mut client, Some(&id)),
        json!({"kind": "unchanged", "resultId": id})
    );

    // An edit that changes no diagnostic (a display name, after the finding): unchanged,
    // so the client neither receives nor redraws them.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 2},
               "contentChanges": [{"range": {"start": {"line": 2, "character": 19},
                                             "end": {"line": 2, "character": 19}}, "text": " it"}]}),
    );
    assert_eq!(
        pull(&mut client, Some(&id)),
        json!({"kind": "unchanged", "resultId": id})
    );

    // New settings that change the finding: the client is asked to pull again, and gets
    // it with its new severity; then settings that change nothing: unchanged.
    let settings = |rules: Value| json!({"settings": {"azpls": {"rules": rules}}});
    client.notify(
        "workspace/didChangeConfiguration",
        settings(json!({"wif-deprecated-version": "error"})),
    );
    client.wait_for(|m| m["method"] == "workspace/diagnostic/refresh");
    let stricter = pull(&mut client, Some(&id));
    assert_eq!(stricter["kind"], "full");
    assert_eq!(stricter["items"][0]["severity"], 1);
    let id = stricter["resultId"].as_str().unwrap().to_string();
    client.notify(
        "workspace/didChangeConfiguration",
        settings(json!({"wif-deprecated-version": "error", "deprecated-task": "off"})),
    );
    client.wait_for(|m| m["method"] == "workspace/diagnostic/refresh");
    assert_eq!(pull(&mut client, Some(&id))["kind"], "unchanged");

    // An edit that fixes the finding: a full report with a new id, then unchanged again.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": 3},
               "contentChanges": [{"range": {"start": {"line": 1, "character": 22},
                                             "end": {"line": 1, "character": 23}}, "text": "6"}]}),
    );
    let edited = pull(&mut client, Some(&id));
    assert_eq!(edited["kind"], "full");
    assert_eq!(codes(&edited["items"]), Vec::<&str>::new());
    let id = edited["resultId"].as_str().unwrap().to_string();
    assert_eq!(pull(&mut client, Some(&id))["kind"], "unchanged");

    // A pulling client is never pushed diagnostics, not even when a file closes.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": URI}}),
    );
    assert_eq!(
        pull(&mut client, Some(&id)),
        json!({"kind": "full", "items": []})
    );
    assert!(!client.seen(is_publication));
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn clients_that_do_not_pull_are_pushed_diagnostics_and_not_offered_pull() {
    let mut client = Client::start();
    let init = client.initialize(json!({}), Value::Null);
    assert!(init["capabilities"].get("diagnosticProvider").is_none());
    client.open(URI, PIPELINE, 1);
    let diagnostics = client.diagnostics(URI, 1);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(client.shutdown(), Some(0));
}

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
    // A pulling client that reads them says so for pulled diagnostics.
    let mut client = Client::start();
    client.initialize(
        json!({"textDocument": {"diagnostic": {"relatedInformation": true, "codeDescriptionSupport": true}}}),
        Value::Null,
    );
    client.open(URI, PIPELINE, 1);
    let pulled = pull(&mut client, None);
    let diagnostic = &pulled["items"][0];
    assert_eq!(
        diagnostic["relatedInformation"][0]["message"],
        "step \"Copy\""
    );
    assert!(
        diagnostic["codeDescription"]["href"].is_string(),
        "{diagnostic}"
    );
    assert_eq!(client.shutdown(), Some(0));
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

/// Not a check but a probe, for measurements: milliseconds from a one-character
/// `didChange` to the diagnostics (pushed, or pulled right after the change), on 1,250
/// findings in 10,000 lines. Run it on a release build:
/// `cargo test --release --test lsp_diagnostics -- --ignored --nocapture`.
#[test]
#[ignore = "a probe for measurements, not a check: run it on a release build"]
fn keystroke_to_diagnostics_probe() {
    const ROUNDS: usize = 30;
    let text = many_findings(1250);
    let ways = [
        ("push", json!({})),
        (
            "push, related information",
            json!({"textDocument": {"publishDiagnostics": {"relatedInformation": true}}}),
        ),
        ("pull", json!({"textDocument": {"diagnostic": {}}})),
    ];
    for (way, capabilities) in ways {
        let pulls = way == "pull";
        let mut client = Client::start();
        client.initialize(capabilities, Value::Null);
        client.open(URI, &text, 1);
        let mut previous = if pulls {
            pull(&mut client, None)["resultId"]
                .as_str()
                .map(str::to_string)
        } else {
            client.diagnostics(URI, 1);
            None
        };
        let mut times = Vec::new();
        let mut bytes = 0;
        for round in 0..ROUNDS {
            let version = round as i64 + 2;
            // Line 1 is the first task: its version digit flips between 6 and 4.
            let digit = if round % 2 == 0 { "6" } else { "4" };
            let started = std::time::Instant::now();
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": URI, "version": version},
                       "contentChanges": [{"range": {"start": {"line": 1, "character": 22},
                                                     "end": {"line": 1, "character": 23}},
                                           "text": digit}]}),
            );
            let diagnostics = if pulls {
                let report = pull(&mut client, previous.as_deref());
                previous = report["resultId"].as_str().map(str::to_string);
                report["items"].clone()
            } else {
                Value::from(client.diagnostics(URI, version))
            };
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            bytes = serde_json::to_string(&diagnostics).unwrap().len();
        }
        times.sort_by(f64::total_cmp);
        eprintln!(
            "{way}: median {:.2} ms over {ROUNDS} changes, {bytes} bytes of diagnostics",
            times[ROUNDS / 2]
        );
        assert_eq!(client.shutdown(), Some(0));
    }
}

/// A caller's diagnostics depend on the templates it calls: after an edit of what an open
/// template declares, a pulling client is asked to pull again and gets the caller's new
/// diagnostics, not the ones remembered for its unchanged text; an edit that leaves the
/// declarations alone asks for nothing.
#[test]
fn a_pulled_caller_sees_the_edits_of_its_template() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspace");
    let uri_of = |rel: &str| format!("file://{}", root.join(rel).display());
    let (caller_uri, template_uri) = (
        uri_of("azure-pipelines.yml"),
        uri_of("templates/deploy-steps.yml"),
    );
    let template = std::fs::read_to_string(root.join("templates/deploy-steps.yml")).unwrap();
    let mut client = Client::start();
    client.initialize(pulling(), Value::Null);
    let caller = std::fs::read_to_string(root.join("azure-pipelines.yml")).unwrap();
    client.open(&caller_uri, &caller, 1);
    client.open(&template_uri, &template, 1);
    let pull_caller = |client: &mut Client, previous: Option<&str>| {
        client.request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": caller_uri}, "previousResultId": previous}),
        )
    };
    let first = pull_caller(&mut client, None);
    assert_eq!(codes(&first["items"]), Vec::<&str>::new());
    let id = first["resultId"].as_str().unwrap().to_string();

    // A comment at the end of the template: what it declares is the same.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": template_uri, "version": 2},
               "contentChanges": [{"text": format!("{template}# reviewed\n")}]}),
    );
    assert_eq!(pull_caller(&mut client, Some(&id))["kind"], "unchanged");
    let refresh = |m: &Value| m["method"] == "workspace/diagnostic/refresh";
    assert!(!client.arrives_within(std::time::Duration::from_millis(300), refresh));

    let renamed = template.replace("- name: serviceConnection", "- name: connection");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": template_uri, "version": 3},
               "contentChanges": [{"text": renamed}]}),
    );
    client.wait_for(|m| m["method"] == "workspace/diagnostic/refresh");
    let after = pull_caller(&mut client, Some(&id));
    assert_eq!(after["kind"], "full");
    assert_eq!(
        codes(&after["items"]),
        ["missing-template-parameter", "unknown-template-parameter"]
    );
    assert_eq!(client.shutdown(), Some(0));
}
