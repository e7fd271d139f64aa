//! End-to-end over stdio against the real binary: initialize, didOpen, several
//! incremental didChange, hover, codeAction, configuration, didClose, shutdown/exit.

mod common;

use common::{Client, apply_lsp_edits};
use serde_json::{Value, json};

const URI: &str = "file:///project/azure-pipelines.yml";

// A non-ASCII first line and an emoji before the task on its line shift UTF-16 columns.
const PIPELINE: &str = "# déploiement 🚀\nsteps:\n- task: AzureFileCopy@4 # copy\n  displayName: Copy 📦\n  inputs:\n    SourcePath: out\n    azureSubscription: sc\n    Destination: AzureBlob\n    storage: acct\n    ContainerName: web\n- task: AzureNLBManagement@1\n  inputs:\n    azureSubscription: sc\n    ResourceGroupName: rg\n    LoadBalancer: lb\n    Action: Connect\n";

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn full_session_over_stdio_utf16() {
    let mut client = Client::start();
    // A client that reads related information and documentation links.
    let init = client.initialize(
        json!({"textDocument": {"publishDiagnostics": {
            "relatedInformation": true, "codeDescriptionSupport": true}}}),
        Value::Null,
    );
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(caps["hoverProvider"], true);
    let kinds = caps["codeActionProvider"]["codeActionKinds"]
        .as_array()
        .unwrap();
    assert!(kinds.contains(&json!("source.fixAll.azpls")));

    client.open(URI, PIPELINE, 1);
    let diags = client.diagnostics(URI, 1);
    assert_eq!(
        codes(&diags),
        [
            "wif-deprecated-version",
            "wif-unsupported-task",
            "deprecated-task"
        ]
    );
    let deprecated = &diags[0];
    // The diagnostic covers "AzureFileCopy@4" (columns 8..23). Its fix does not travel
    // with it: code actions find it again.
    assert_eq!(
        deprecated["range"],
        json!({"start": {"line": 2, "character": 8}, "end": {"line": 2, "character": 23}})
    );
    assert!(deprecated.get("data").is_none(), "{deprecated}");
    assert_eq!(deprecated["tags"], json!([2]));
    assert_eq!(deprecated["severity"], 2);
    assert!(
        deprecated["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(
        deprecated["message"]
            .as_str()
            .unwrap()
            .contains("\"AzureFileCopy@6\"")
    );
    assert_eq!(
        deprecated["relatedInformation"][0]["message"],
        "step \"Copy 📦\""
    );

    // Incremental edits: type a comment on line 0 (after the emoji), then break and
    // restore the task line, then insert a line above it.
    let mut text = PIPELINE.to_string();
    let edits = [
        // After "# déploiement 🚀": 16 UTF-16 units (the emoji counts 2).
        (
            json!({"start": {"line": 0, "character": 16}, "end": {"line": 0, "character": 16}}),
            " ✓",
        ),
        (
            json!({"start": {"line": 2, "character": 2}, "end": {"line": 2, "character": 6}}),
            "tsk",
        ),
        (
            json!({"start": {"line": 2, "character": 2}, "end": {"line": 2, "character": 5}}),
            "task",
        ),
        (
            json!({"start": {"line": 1, "character": 6}, "end": {"line": 1, "character": 6}}),
            "\n- script: echo hi",
        ),
    ];
    for (i, (range, new_text)) in edits.iter().enumerate() {
        let version = 2 + i as i64;
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": URI, "version": version},
                   "contentChanges": [{"range": range, "text": new_text}]}),
        );
        text = apply_lsp_edits(
            &text,
            &[json!({"range": range, "newText": new_text})],
            false,
        );
        let diags = client.diagnostics(URI, version);
        if i == 1 {
            assert_eq!(
                codes(&diags),
                // `tsk:` is no step kind: the language says so, and no task is found.
                ["unknown-key", "wif-unsupported-task", "deprecated-task"],
                "task key broken: {text}"
            );
        } else {
            assert_eq!(
                codes(&diags),
                [
                    "wif-deprecated-version",
                    "wif-unsupported-task",
                    "deprecated-task"
                ]
            );
        }
    }
    assert!(
        text.starts_with("# déploiement 🚀 ✓\nsteps:\n- script: echo hi\n- task: AzureFileCopy@4")
    );
    let version = 5;

    // Hover on the task (now line 3).
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": 3, "character": 12}}),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap();
    assert!(markdown.contains("AzureFileCopy@6"), "{markdown}");
    assert!(markdown.contains("learn.microsoft.com"), "{markdown}");

    // Code actions on the version token: the quick fix (preferred) and fix-all.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI},
               "range": {"start": {"line": 3, "character": 22}, "end": {"line": 3, "character": 22}},
               "context": {"diagnostics": []}}),
    );
    let actions = actions.as_array().unwrap();
    assert_eq!(actions.len(), 2, "{actions:?}");
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(actions[0]["isPreferred"], true);
    assert_eq!(actions[1]["kind"], "source.fixAll.azpls");
    let edits = actions[0]["edit"]["changes"][URI].as_array().unwrap();
    let fixed = apply_lsp_edits(&text, edits, false);
    assert_eq!(
        fixed,
        text.replacen("AzureFileCopy@4", "AzureFileCopy@6", 1)
    );

    // Only fix-all when asked for source actions.
    let only = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": URI},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
               "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
    );
    assert_eq!(only.as_array().unwrap().len(), 1);

    // Applying the fix as the editor would clears the diagnostic.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": URI, "version": version + 1},
               "contentChanges": [{"text": fixed}]}),
    );
    assert_eq!(
        codes(&client.diagnostics(URI, version + 1)),
        ["wif-unsupported-task", "deprecated-task"]
    );

    // Switching to the 2024-02-08 table republishes.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"azpls": {"wif": {"table": "2024-02-08"}}}}),
    );
    let _ = client.diagnostics(URI, version + 1);
    // A bad setting is reported, not fatal.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"azpls": {"wif": {"table": "1999-01-01"}}}}),
    );
    let shown = client.wait_for(|m| m["method"] == "window/showMessage");
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap()
            .contains("2025-03-12")
    );

    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": URI}}),
    );
    let closed = client.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == URI
            && m["params"]["diagnostics"] == json!([])
    });
    assert!(closed["params"].get("version").is_none() || closed["params"]["version"].is_null());
    assert_eq!(client.shutdown(), Some(0));
}

/// The task token sits after "é🚀" on its line: its column is 33 in UTF-8 bytes, 30 in
/// UTF-16 units. Both sessions must say so, and hover must read positions the same way.
#[test]
fn columns_follow_the_negotiated_encoding() {
    let text = "steps:\n- { displayName: \"é🚀\", task: AzureFileCopy@4 }\n";
    let line = text.lines().nth(1).unwrap();
    let prefix = &line[..line.find("AzureFileCopy").unwrap()];
    let utf8 = prefix.len() as u64;
    let utf16 = prefix.encode_utf16().count() as u64;
    assert_eq!((utf8, utf16), (33, 30));
    for (offered, expected, column) in [
        (json!(["utf-8", "utf-16"]), "utf-8", utf8),
        (json!(["utf-16"]), "utf-16", utf16),
        (json!(null), "utf-16", utf16),
    ] {
        let mut client = Client::start();
        let init = client.initialize(
            json!({"general": {"positionEncodings": offered}}),
            Value::Null,
        );
        assert_eq!(init["capabilities"]["positionEncoding"], expected);
        client.open(URI, text, 1);
        let diags = client.diagnostics(URI, 1);
        assert_eq!(
            diags[0]["range"]["start"],
            json!({"line": 1, "character": column}),
            "{expected}"
        );
        let hover = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": column + 2}}),
        );
        assert!(
            hover["contents"]["value"]
                .as_str()
                .unwrap()
                .contains("AzureFileCopy@6"),
            "{expected}"
        );
        // The space just before the token belongs to neither key nor value: no hover.
        let before = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": column - 1}}),
        );
        assert!(before.is_null(), "{expected}: {before}");
        assert_eq!(client.shutdown(), Some(0));
    }
}

#[test]
fn initialization_options_select_the_old_table() {
    let mut client = Client::start();
    client.initialize(json!({}), json!({"wif": {"table": "2024-02-08"}}));
    client.open(URI, "steps:\n- task: Docker@2\n", 1);
    assert_eq!(codes(&client.diagnostics(URI, 1)), ["wif-planned-support"]);
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn non_pipeline_yaml_gets_empty_diagnostics() {
    let mut client = Client::start();
    client.initialize(json!({}), Value::Null);
    let uri = "file:///project/.github/workflows/ci.yml";
    client.open(
        uri,
        "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n    - task: AzureFileCopy@4\n",
        1,
    );
    assert!(client.diagnostics(uri, 1).is_empty());
    assert_eq!(client.shutdown(), Some(0));
}

/// Stage and job names over stdio: definition, references, highlights, prepareRename and
/// rename agree on the same places, and a rename to a name the service refuses is an error.
#[test]
fn stage_names_navigate_and_rename() {
    let text = "stages:\n- stage: Build\n  jobs:\n  - job: Compile\n    steps:\n    - script: make\n- stage: Test\n  dependsOn: build\n  jobs:\n  - job: Unit\n    steps:\n    - script: make test\n- stage: Deploy\n  dependsOn:\n  - Build\n  - Test\n  jobs:\n  - job: Ship\n    steps:\n    - script: ship\n";
    let mut client = Client::start();
    let init = client.initialize(json!({}), Value::Null);
    let caps = &init["capabilities"];
    assert_eq!(caps["referencesProvider"], true);
    assert_eq!(caps["documentHighlightProvider"], true);
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    client.open(URI, text, 1);
    assert!(client.diagnostics(URI, 1).is_empty());
    let at = |line: u32, character: u32| json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}});
    let lines = |locations: &Value| -> Vec<u64> {
        locations
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["range"]["start"]["line"].as_u64().unwrap())
            .collect()
    };
    // From `dependsOn: build` (lower case) to `stage: Build`.
    let definition = client.request("textDocument/definition", at(7, 14));
    assert_eq!(
        definition["range"]["start"],
        json!({"line": 1, "character": 9})
    );
    let mut params = at(14, 4);
    params["context"] = json!({"includeDeclaration": true});
    let references = client.request("textDocument/references", params);
    assert_eq!(lines(&references), [1, 7, 14]);
    let highlights = client.request("textDocument/documentHighlight", at(1, 10));
    assert_eq!(lines(&highlights), [1, 7, 14]);
    assert_eq!(highlights[0]["kind"], 3, "the stage's own name is written");
    let prepared = client.request("textDocument/prepareRename", at(14, 4));
    assert_eq!(prepared["placeholder"], "Build");
    let mut params = at(1, 10);
    params["newName"] = json!("Compile_all");
    let renamed = client.request("textDocument/rename", params);
    let edits = renamed["changes"][URI].as_array().unwrap().clone();
    let after = apply_lsp_edits(text, &edits, false);
    assert!(after.contains("- stage: Compile_all\n"), "{after}");
    assert!(after.contains("dependsOn: Compile_all\n"), "{after}");
    assert!(after.contains("  - Compile_all\n  - Test\n"), "{after}");
    let mut params = at(1, 10);
    params["newName"] = json!("compile-all");
    let refused = client.request_raw("textDocument/rename", params);
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not a valid name")),
        "{refused}"
    );
    // Nothing to rename on a key.
    let prepared = client.request("textDocument/prepareRename", at(7, 4));
    assert!(prepared.is_null(), "{prepared}");
    client.shutdown();
}

/// Parameter names over stdio: from a `parameters.x` to its declaration, and a rename that
/// rewrites the declaration and every use, in both spellings.
#[test]
fn parameter_names_navigate_and_rename() {
    let text = "parameters:\n- name: environment\n  type: string\n  default: dev\nsteps:\n- ${{ if eq(parameters.environment, 'prod') }}:\n  - script: echo ${{ parameters['Environment'] }}\n";
    let mut client = Client::start();
    client.initialize(json!({}), Value::Null);
    client.open(URI, text, 1);
    assert!(client.diagnostics(URI, 1).is_empty());
    let at = |line: u32, character: u32| json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}});
    let definition = client.request("textDocument/definition", at(5, 26));
    assert_eq!(
        definition["range"]["start"],
        json!({"line": 1, "character": 8})
    );
    let highlights = client.request("textDocument/documentHighlight", at(6, 35));
    let lines: Vec<u64> = highlights
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 5, 6]);
    let prepared = client.request("textDocument/prepareRename", at(6, 35));
    assert_eq!(prepared["placeholder"], "environment");
    let mut params = at(1, 10);
    params["newName"] = json!("target");
    let renamed = client.request("textDocument/rename", params);
    let edits = renamed["changes"][URI].as_array().unwrap().clone();
    let after = apply_lsp_edits(text, &edits, false);
    assert_eq!(
        after,
        "parameters:\n- name: target\n  type: string\n  default: dev\nsteps:\n- ${{ if eq(parameters.target, 'prod') }}:\n  - script: echo ${{ parameters['target'] }}\n"
    );
    client.shutdown();
}

/// Templates across files over stdio, on the fixture workspace: a pipeline that calls its
/// templates correctly is clean; editing a template's open buffer (not the disk) so that
/// it declares other parameters changes the caller's diagnostics, and undoing the edit
/// clears them again, as does closing the edited buffer unsaved.
#[test]
fn editing_a_template_rechecks_its_callers() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspace");
    let uri_of = |rel: &str| format!("file://{}", root.join(rel).display());
    let caller_uri = uri_of("azure-pipelines.yml");
    let template_uri = uri_of("templates/deploy-steps.yml");
    let caller = std::fs::read_to_string(root.join("azure-pipelines.yml")).unwrap();
    let template = std::fs::read_to_string(root.join("templates/deploy-steps.yml")).unwrap();

    let mut client = Client::start();
    client.initialize(json!({}), Value::Null);
    client.open(&caller_uri, &caller, 1);
    assert_eq!(
        codes(&client.diagnostics(&caller_uri, 1)),
        Vec::<String>::new()
    );
    client.open(&template_uri, &template, 1);
    assert!(client.diagnostics(&template_uri, 1).is_empty());

    // Until the caller's diagnostics say `expected`, or the server has nothing more to say.
    let caller_codes = |client: &mut Client, expected: &[&str]| -> Vec<String> {
        loop {
            let got = codes(&client.diagnostics(&caller_uri, 1));
            if got == expected {
                return got;
            }
            // Stale publishes (the template's open) may come first; the wait times out
            // (and fails the test) when the expected ones never arrive.
        }
    };

    let renamed = template.replace("- name: serviceConnection", "- name: connection");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": template_uri, "version": 2},
               "contentChanges": [{"text": renamed}]}),
    );
    assert!(client.diagnostics(&template_uri, 2).is_empty());
    assert_eq!(
        caller_codes(
            &mut client,
            &["missing-template-parameter", "unknown-template-parameter"]
        ),
        ["missing-template-parameter", "unknown-template-parameter"]
    );

    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": template_uri, "version": 3},
               "contentChanges": [{"text": template}]}),
    );
    assert!(client.diagnostics(&template_uri, 3).is_empty());
    assert!(caller_codes(&mut client, &[]).is_empty());

    // Closed unsaved, the template is the file on the disk again for its callers.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": template_uri, "version": 4},
               "contentChanges": [{"text": renamed}]}),
    );
    assert_eq!(
        caller_codes(
            &mut client,
            &["missing-template-parameter", "unknown-template-parameter"]
        )
        .len(),
        2
    );
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": template_uri}}),
    );
    assert!(caller_codes(&mut client, &[]).is_empty());
    client.shutdown();
}

#[test]
fn the_expand_command_returns_the_pipeline_with_templates_included() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspace");
    let uri = format!("file://{}", root.join("azure-pipelines.yml").display());
    let text = std::fs::read_to_string(root.join("azure-pipelines.yml")).unwrap();
    let mut client = Client::start();
    let init = client.initialize(json!({}), Value::Null);
    assert_eq!(
        init["capabilities"]["executeCommandProvider"]["commands"],
        json!(["azpls.expand"])
    );
    client.open(&uri, &text, 1);
    let result = client.request(
        "workspace/executeCommand",
        json!({"command": "azpls.expand", "arguments": [uri]}),
    );
    let expanded = result.as_str().unwrap_or_else(|| panic!("{result}"));
    assert!(
        expanded.contains("- job: Compile  # templates/build-job.yml:10\n"),
        "{expanded}"
    );
    assert!(expanded.contains("- script: echo shipped  # templates/legacy-steps.yml:6\n"));
    client.shutdown();
}

/// A template's workload identity finding seen through its open callers: opening a caller
/// adds the connection it passes (through a nested template) to the template's diagnostic,
/// with the calls as related information; editing the caller's value changes it, and
/// closing the caller takes it away.
#[test]
fn a_template_finding_names_the_connection_its_open_caller_passes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traced");
    let uri_of = |rel: &str| format!("file://{}", root.join(rel).display());
    let (template_uri, caller_uri) = (uri_of("steps/copy.yml"), uri_of("azure-pipelines.yml"));
    let template = std::fs::read_to_string(root.join("steps/copy.yml")).unwrap();
    let caller = std::fs::read_to_string(root.join("azure-pipelines.yml")).unwrap();
    let message = |d: &[Value]| -> String {
        assert_eq!(codes(d), ["wif-deprecated-version"], "{d:?}");
        d[0]["message"].as_str().unwrap().to_string()
    };

    let mut client = Client::start();
    client.initialize(
        json!({"textDocument": {"publishDiagnostics": {"relatedInformation": true}}}),
        Value::Null,
    );
    client.open(&template_uri, &template, 1);
    let alone = message(&client.diagnostics(&template_uri, 1));
    assert!(!alone.contains("run with"), "{alone}");

    // Until the template's diagnostic says `expected`.
    let template_says = |client: &mut Client, expected: &str| -> Value {
        loop {
            let d = client.diagnostics(&template_uri, 1);
            if message(&d).contains(expected) {
                return d[0].clone();
            }
        }
    };
    client.open(&caller_uri, &caller, 1);
    let d = template_says(
        &mut client,
        "(run with service connection \"prod-sc\" passed by tests/fixtures/traced/azure-pipelines.yml:8 via tests/fixtures/traced/jobs/deploy.yml:16)",
    );
    let related = d["relatedInformation"].as_array().unwrap();
    let passed = related
        .iter()
        .find(|r| r["message"] == "service connection \"prod-sc\" is passed here")
        .unwrap_or_else(|| panic!("{related:?}"));
    assert_eq!(passed["location"]["uri"], caller_uri.as_str());
    assert_eq!(passed["location"]["range"]["start"]["line"], 7);
    assert!(
        related
            .iter()
            .any(|r| r["location"]["uri"] == uri_of("jobs/deploy.yml").as_str())
    );

    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": caller_uri, "version": 2},
               "contentChanges": [{"text": caller.replace("prod-sc", "staging-sc")}]}),
    );
    template_says(&mut client, "\"staging-sc\" passed by");

    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": caller_uri}}),
    );
    loop {
        let d = client.diagnostics(&template_uri, 1);
        if !message(&d).contains("run with") {
            break;
        }
    }
    client.shutdown();
}
