//! Completion end-to-end over stdio: the capability, snippet negotiation, and edits whose
//! ranges are in the negotiated encoding.

mod common;

use common::{Client, apply_lsp_edits};
use serde_json::{Value, json};

const URI: &str = "file:///project/azure-pipelines.yml";

// Line 2 is where a new step is being typed; line 3 has an emoji before the task, which
// counts 2 UTF-16 units.
const TEXT: &str =
    "# déploiement 🚀\nsteps:\n- task: AzureCLI@\n- { displayName: \"🚀\", task: AzureC }\n";

fn complete(client: &mut Client, line: u32, character: u32) -> Value {
    client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character}}),
    )
}

fn item<'a>(items: &'a Value, label: &str) -> &'a Value {
    items["items"]
        .as_array()
        .expect("a completion list")
        .iter()
        .find(|i| i["label"] == label)
        .unwrap_or_else(|| panic!("no {label} in {items}"))
}

fn capabilities(snippets: bool) -> Value {
    json!({"textDocument": {"completion": {"completionItem": {"snippetSupport": snippets}}}})
}

#[test]
fn completion_negotiates_snippets_and_speaks_utf16() {
    let mut client = Client::start();
    let init = client.initialize(capabilities(true), Value::Null);
    let triggers = &init["capabilities"]["completionProvider"]["triggerCharacters"];
    assert!(
        triggers.as_array().unwrap().contains(&json!("@")),
        "{triggers}"
    );
    client.open(URI, TEXT, 1);

    // After `@`: AzureCLI's versions, newest first, the deprecated one tagged.
    let versions = complete(&mut client, 2, 17);
    let v2 = item(&versions, "AzureCLI@2");
    assert_eq!(v2["insertTextFormat"], 2, "a snippet: {v2}");
    assert_eq!(v2["insertTextMode"], 1, "inserted as is: {v2}");
    assert_eq!(
        v2["textEdit"]["range"],
        json!({"start": {"line": 2, "character": 8}, "end": {"line": 2, "character": 17}})
    );
    let v1 = item(&versions, "AzureCLI@1");
    assert_eq!(v1["tags"], json!([1]));
    assert!(v1["sortText"].as_str() > v2["sortText"].as_str());
    let applied = apply_lsp_edits(TEXT, &[v2["textEdit"].clone()], false);
    assert!(
        applied.contains(
            "- task: AzureCLI@2\n  inputs:\n    azureSubscription: ${1}\n    scriptType: ${2|ps,pscore,batch,bash|}\n"
        ),
        "{applied}"
    );
    assert!(
        v2["documentation"]["value"]
            .as_str()
            .unwrap()
            .contains("azure-cli-v2"),
        "{v2}"
    );

    // After the emoji: "AzureC" starts at UTF-16 column 29 (the emoji counts 2).
    let line = TEXT.lines().nth(3).unwrap();
    let start = line[..line.find("AzureC").unwrap()].encode_utf16().count() as u32;
    assert_eq!(start, 29);
    let names = complete(&mut client, 3, start + 6);
    let cli = item(&names, "AzureCLI@2");
    assert_eq!(
        cli["textEdit"]["range"]["start"],
        json!({"line": 3, "character": start})
    );
    // A flow step gets the name only.
    assert_eq!(cli["textEdit"]["newText"], "AzureCLI@2");

    // Nothing inside the comment.
    assert!(complete(&mut client, 0, 5).is_null());
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn completion_without_snippet_support_inserts_plain_text() {
    let mut client = Client::start();
    client.initialize(capabilities(false), Value::Null);
    client.open(URI, TEXT, 1);
    let versions = complete(&mut client, 2, 17);
    for item in versions["items"].as_array().unwrap() {
        assert_eq!(item["insertTextFormat"], 1, "{item}");
        assert!(
            !item["textEdit"]["newText"].as_str().unwrap().contains('$'),
            "{item}"
        );
    }
    assert_eq!(
        item(&versions, "AzureCLI@2")["textEdit"]["newText"],
        "AzureCLI@2"
    );
    assert_eq!(client.shutdown(), Some(0));
}

/// Keys of the language from the real binary: a `script` step's keys on a new line (minus
/// the one written), and a hover on a job key with its reference link.
#[test]
fn keyword_completion_and_hover_over_stdio() {
    let text = "jobs:\n- job: build\n  timeoutInMinutes: 10\n  steps:\n  - script: echo\n    displayName: Echo\n    \n";
    let mut client = Client::start();
    client.initialize(capabilities(false), Value::Null);
    client.open(URI, text, 1);
    let keys = complete(&mut client, 6, 4);
    let wd = item(&keys, "workingDirectory");
    assert_eq!(wd["kind"], 14, "a keyword: {wd}");
    assert_eq!(wd["textEdit"]["newText"], "workingDirectory: ");
    assert!(
        !keys["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["label"] == "displayName" || i["label"] == "task"),
        "written keys and other step kinds are not offered: {keys}"
    );
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": 2, "character": 4}}),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(md.starts_with("**`timeoutInMinutes`**"), "{md}");
    assert!(
        md.contains("(https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/jobs-job)"),
        "{md}"
    );
    assert_eq!(
        hover["range"],
        json!({"start": {"line": 2, "character": 2}, "end": {"line": 2, "character": 18}})
    );
    assert_eq!(client.shutdown(), Some(0));
}
