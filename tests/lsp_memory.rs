//! The server's memory follows its open documents: flat while one is edited, given back
//! when it closes. Measured on the real binary's resident memory (`/proc`, Linux).

mod common;

use common::Client;
use serde_json::json;

/// A 20,000-line pipeline: 2,500 steps of 8 lines, every one with findings.
fn pipeline() -> String {
    let mut text = String::from("steps:\n");
    for i in 0..2_500 {
        text.push_str(&format!(
            "- task: AzureFileCopy@4\n  displayName: copy {i}\n  inputs:\n    azureSubscription: sc\n    SourcePath: out/{i}\n    Destination: AzureBlob\n    storage: s{i}\n    ContainerName: c\n"
        ));
    }
    text
}

#[test]
#[cfg(target_os = "linux")]
fn memory_stays_flat_while_typing_and_is_given_back_on_close() {
    let mut client = Client::start();
    client.initialize(json!({}), serde_json::Value::Null);
    let Some(before) = client.resident_mib() else {
        eprintln!("SKIPPED: no /proc to read the server's memory from");
        return;
    };
    let uri = "file:///memory/azure-pipelines.yml";
    let text = pipeline();
    client.open(uri, &text, 1);
    client.diagnostics(uri, 1);
    let opened = client.resident_mib().unwrap();
    // Type over the first version number again and again: each keystroke makes a new
    // form of that step, which must not pile up.
    let mut edited = opened;
    for version in 2..=150i64 {
        let digit = if version % 2 == 0 { "6" } else { "4" };
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{
                    "range": {"start": {"line": 1, "character": 22}, "end": {"line": 1, "character": 23}},
                    "text": digit,
                }],
            }),
        );
        client.diagnostics(uri, version);
        if version == 50 {
            edited = client.resident_mib().unwrap();
        }
    }
    let typed = client.resident_mib().unwrap();
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    // A request after the close is answered after it took effect.
    client.request("shutdown", serde_json::Value::Null);
    let closed = client.resident_mib().unwrap();
    eprintln!(
        "resident MiB: {before} started, {opened} open, {edited} after 50 edits, {typed} after 150, {closed} closed"
    );
    assert!(
        typed <= edited + edited / 10 + 2,
        "memory grows while typing: {edited} MiB after 50 edits, {typed} after 150"
    );
    assert!(
        closed <= before + (opened - before.min(opened)) / 4 + 4,
        "a closed document's memory is kept: {before} MiB before opening, {opened} open, {closed} closed"
    );
}
