//! What `azpls expand` costs on a large pipeline: 10,000 lines with 50 template calls
//! (steps templates with typed parameters, `if` and `each`), on a scratch repository, read
//! through the real file system. Prints the median of 30 expansions (each reads and parses
//! the templates anew, as one `azpls expand` does), and of 30 `azpls.expand` commands sent to
//! the language server with the pipeline open, as an editor sends them.
//! `cargo bench --bench expand`.

use azpls::expand;
use azpls::ide::templates::{DiskFiles, Place};
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
    use serde_json::{Value, json};
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};
    let mut server = Command::new(env!("CARGO_BIN_EXE_azpls"))
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start azpls server");
    let mut input = server.stdin.take().unwrap();
    let mut output = BufReader::new(server.stdout.take().unwrap());
    let mut send = |message: Value| {
        let body = message.to_string();
        write!(input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        input.flush().unwrap();
    };
    // Reads messages until the response to `id`.
    let mut answer = |id: u64| -> Value {
        loop {
            let mut length = 0;
            loop {
                let mut line = String::new();
                output.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(n) = line.strip_prefix("Content-Length: ") {
                    length = n.parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            output.read_exact(&mut body).unwrap();
            let message: Value = serde_json::from_slice(&body).unwrap();
            if message["id"] == id && message.get("method").is_none() {
                return message;
            }
        }
    };
    let uri = format!("file://{}", place.file.as_ref().unwrap().display());
    send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                "params": {"processId": null, "rootUri": null, "capabilities": {}}}));
    answer(1);
    send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
        {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}}),
    );
    let mut times = Vec::new();
    for id in 2..32 {
        let started = Instant::now();
        send(
            json!({"jsonrpc": "2.0", "id": id, "method": "workspace/executeCommand",
                    "params": {"command": "azpls.expand", "arguments": [uri]}}),
        );
        let response = answer(id);
        times.push(started.elapsed());
        assert!(
            response["result"]
                .as_str()
                .is_some_and(|t| t.contains("install node for job0")),
            "{response}"
        );
    }
    send(json!({"jsonrpc": "2.0", "id": 99, "method": "shutdown", "params": null}));
    answer(99);
    send(json!({"jsonrpc": "2.0", "method": "exit", "params": null}));
    let _ = server.wait();
    times.sort();
    times
}
