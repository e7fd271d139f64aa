//! What an edit of a template costs its callers: 100 pipelines (in a scratch repository)
//! call one template; after the template changes, every caller is analysed again, as the
//! server does for the open documents that name it. Prints the median time for all 100,
//! with the template read again once (its stamp changed) and the callers' own analyses
//! remembered from before. Then renames one of the template's parameters over the language
//! server, which rewrites it in every caller: with 100 callers and with 1,000.
//! `cargo bench --bench template_callers`.

#[path = "../tests/common/mod.rs"]
mod common;

use azpls::analysis::{self, Config};
use azpls::document::Document;
use azpls::ide::templates::{DiskFiles, Place};
use azpls::model;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const CALLERS: usize = 100;

fn main() {
    let root = std::env::temp_dir().join(format!("azpls-template-callers-{}", std::process::id()));
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("templates")).unwrap();
    let template = |extra: &str| {
        format!(
            "parameters:\n- name: environment\n  type: string\n  values: [dev, prod]\n- name: connection\n  type: string\n{extra}\nsteps:\n- script: deploy ${{{{ parameters.environment }}}}\n"
        )
    };
    let path = root.join("templates/deploy.yml");
    std::fs::write(&path, template("")).unwrap();
    let callers: Vec<(Place, Document, model::Model)> = (0..CALLERS)
        .map(|i| {
            let file = root.join(format!("pipeline-{i}.yml"));
            let text = caller(i);
            std::fs::write(&file, &text).unwrap();
            let doc = Document::new(&text, 0);
            let model = model::build(&doc);
            let place = Place {
                file: Some(file),
                workspace: None,
            };
            (place, doc, model)
        })
        .collect();
    let config = Config::default();
    let analyse_all = || {
        let mut findings = 0;
        for (place, doc, model) in &callers {
            let env = analysis::Environment {
                place,
                files: &DiskFiles,
            };
            findings += analysis::analyze_in(doc, model, &config, &env).len();
        }
        findings
    };
    analyse_all();
    let mut samples: Vec<Duration> = Vec::new();
    let mut findings = 0;
    for round in 0..21 {
        // A new version of the template (its size changes, so its stamp does).
        let extra = if round % 2 == 0 {
            "- name: dryRun\n  type: boolean\n"
        } else {
            ""
        };
        std::fs::write(&path, template(extra)).unwrap();
        let started = Instant::now();
        findings = analyse_all();
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "{CALLERS} callers re-analysed after a template edit: {:.3} ms (median of {}), {findings} findings",
        samples[samples.len() / 2].as_secs_f64() * 1000.0,
        samples.len()
    );
    refresh_over_server(&root, &path, &template);
    rename_across(&root, &path, CALLERS);
    // Ten times as many callers, on the disk only (the server reads them as it finds them).
    for i in CALLERS..10 * CALLERS {
        std::fs::write(root.join(format!("pipeline-{i}.yml")), caller(i)).unwrap();
    }
    rename_across(&root, &path, 10 * CALLERS);
    let _ = std::fs::remove_dir_all(&root);
}

/// The same edit through the language server (this build's binary, over stdio), with the
/// template and its 100 callers open: timed from the template's `didChange` until every
/// caller's new diagnostics have arrived. Prints the median of 21 edits.
fn refresh_over_server(root: &Path, template_path: &Path, template: &dyn Fn(&str) -> String) {
    let mut server = common::Client::start_in(root);
    server.initialize(json!({}), Value::Null);
    let uri = |path: &Path| format!("file://{}", path.display());
    let template_uri = uri(template_path);
    server.open(&template_uri, &template(""), 1);
    let callers: Vec<String> = (0..CALLERS)
        .map(|i| {
            let caller_uri = uri(&root.join(format!("pipeline-{i}.yml")));
            server.open(&caller_uri, &caller(i), 1);
            caller_uri
        })
        .collect();
    let mut samples = Vec::new();
    for round in 0..21 {
        // Everything published so far is in (a request is answered after it), and stale.
        server.request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": template_uri}}),
        );
        server.forget_unclaimed();
        // A required parameter no caller passes: one finding per call, three per caller.
        let (extra, expected) = if round % 2 == 0 {
            ("- name: dryRun\n  type: boolean\n", 3)
        } else {
            ("", 0)
        };
        let started = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": template_uri, "version": round + 2},
                   "contentChanges": [{"text": template(extra)}]}),
        );
        for caller_uri in &callers {
            server.wait_for(|m| {
                m["method"] == "textDocument/publishDiagnostics"
                    && m["params"]["uri"] == caller_uri.as_str()
                    && m["params"]["diagnostics"].as_array().map(Vec::len) == Some(expected)
            });
        }
        samples.push(started.elapsed());
    }
    server.shutdown();
    samples.sort();
    println!(
        "{CALLERS} open callers' diagnostics refreshed over the language server after a template edit: {:.1} ms (median of {}, didChange to the last caller's diagnostics)",
        samples[samples.len() / 2].as_secs_f64() * 1000.0,
        samples.len()
    );
}

/// A pipeline of three stages, each calling the template once.
fn caller(i: usize) -> String {
    let mut text = String::from("trigger:\n- main\nstages:\n");
    for s in 0..3 {
        text.push_str(&format!(
            "- stage: S{s}\n  jobs:\n  - job: J\n    steps:\n    - script: echo {i}\n    - template: templates/deploy.yml\n      parameters:\n        environment: dev\n        connection: sc-{i}\n"
        ));
    }
    text
}

/// Renames the template's parameter over the language server (this build's binary, over
/// stdio), with the template open and its callers on the disk: every caller's keys are
/// found and rewritten. Prints the median of 15 renames, request to response.
fn rename_across(root: &Path, template: &Path, callers: usize) {
    let mut server = common::Client::start_in(root);
    server.initialize(json!({}), Value::Null);
    let uri = format!("file://{}", template.display());
    server.open(&uri, &std::fs::read_to_string(template).unwrap(), 1);
    let mut samples = Vec::new();
    let mut edits = 0;
    for round in 0..15 {
        let started = Instant::now();
        let result = server.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 10},
                   "newName": format!("environment{round}")}),
        );
        samples.push(started.elapsed());
        edits = result["changes"].as_object().map_or(0, |c| {
            c.values().map(|e| e.as_array().map_or(0, Vec::len)).sum()
        });
    }
    server.shutdown();
    // The declaration, its use in the template, and three calls in each caller.
    assert_eq!(edits, 2 + 3 * callers, "every place renamed");
    samples.sort();
    println!(
        "rename of a template parameter passed by {callers} callers ({edits} edits): {:.1} ms (median of {})",
        samples[samples.len() / 2].as_secs_f64() * 1000.0,
        samples.len()
    );
}
