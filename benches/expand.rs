//! What `azpls expand` costs on a large pipeline: 10,000 lines with 50 template calls
//! (steps templates with typed parameters, `if` and `each`), on a scratch repository, read
//! through the real file system. Prints the median of 30 expansions (each reads and parses
//! the templates anew, as one `azpls expand` does), and of 30 `azpls.expand` commands sent to
//! the language server with the pipeline open, as an editor sends them.
//! `cargo bench --bench expand`.

#[path = "../tests/common/mod.rs"]
mod common;

use azpls::expand;
use azpls::ide::templates::{DiskFiles, Place};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const CALLS: usize = 50;
const LINES: usize = 10_000;

fn main() {
    let root = std::env::temp_dir().join(format!("azpls-expand-bench-{}", std::process::id()));
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(
        root.join("templates/steps.yml"),
        "parameters:\n- name: name\n  type: string\n- name: tools\n  type: object\n  default: [node, dotnet, python]\n- name: verbose\n  type: boolean\n  default: false\nsteps:\n- ${{ each tool in parameters.tools }}:\n  - script: install ${{ tool }} for ${{ parameters.name }}\n    displayName: ${{ format('{0} ({1})', upper(tool), parameters.name) }}\n    ${{ if parameters.verbose }}:\n      env:\n        VERBOSE: 1\n- template: common.yml\n",
    )
    .unwrap();
    std::fs::write(
        root.join("templates/common.yml"),
        "steps:\n- script: echo common\n  condition: succeeded()\n",
    )
    .unwrap();
    let mut text = String::from("trigger:\n- main\nvariables:\n  config: release\nstages:\n");
    let mut calls = 0;
    let mut job = 0;
    while text.lines().count() < LINES {
        text.push_str(&format!(
            "- stage: S{job}\n  jobs:\n  - job: J{job}\n    steps:\n"
        ));
        for s in 0..20 {
            text.push_str(&format!(
                "    - script: |\n        echo step {s} of ${{{{ variables.config }}}}\n        make target-{s}\n      displayName: Step {s}\n      condition: and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))\n"
            ));
        }
        if calls < CALLS {
            text.push_str(&format!(
                "    - template: templates/steps.yml\n      parameters:\n        name: job{job}\n        verbose: {}\n",
                job % 2 == 0
            ));
            calls += 1;
        }
        job += 1;
    }
    assert_eq!(calls, CALLS, "the pipeline must hold {CALLS} calls");
    let file = root.join("azure-pipelines.yml");
    std::fs::write(&file, &text).unwrap();
    let place = Place {
        file: Some(file),
        workspace: None,
    };
    let mut times: Vec<Duration> = Vec::new();
    let mut items = 0;
    for _ in 0..30 {
        let started = Instant::now();
        let x = expand::expand(&text, &place, &DiskFiles, &[]);
        let out = expand::emit::yaml(&x.value, None);
        times.push(started.elapsed());
        assert!(x.errors.is_empty(), "{:?}", x.errors);
        items = out.lines().count();
    }
    times.sort();
    // The share of reading the pipeline itself (tree-sitter and the conversion to nodes).
    let started = Instant::now();
    for _ in 0..10 {
        std::hint::black_box(expand::source::read(&text));
    }
    let read = started.elapsed() / 10;
    println!(
        "expand: {} lines, {CALLS} template calls -> {items} lines: median {:.1} ms (min {:.1} ms, expansion and YAML output; reading the pipeline alone {:.1} ms)",
        text.lines().count(),
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        read.as_secs_f64() * 1e3,
    );
    let command = editor_command(&place, &text);
    println!(
        "editor command azpls.expand over the language server: median {:.1} ms (min {:.1} ms, request to response, the document open)",
        command[command.len() / 2].as_secs_f64() * 1e3,
        command[0].as_secs_f64() * 1e3,
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// The editor's view: `workspace/executeCommand azpls.expand` sent to the server (this
/// build's binary, over stdio) with the pipeline open, timed from request to response, 30
/// times.
fn editor_command(place: &Place, text: &str) -> Vec<Duration> {
    let mut server = common::Client::start();
    server.initialize(json!({}), Value::Null);
    let uri = format!("file://{}", place.file.as_ref().unwrap().display());
    server.open(&uri, text, 1);
    let mut times = Vec::new();
    for _ in 0..30 {
        let started = Instant::now();
        let result = server.request(
            "workspace/executeCommand",
            json!({"command": "azpls.expand", "arguments": [uri]}),
        );
        times.push(started.elapsed());
        assert!(
            result
                .as_str()
                .is_some_and(|t| t.contains("install node for job0")),
            "{result}"
        );
    }
    server.shutdown();
    times.sort();
    times
}
