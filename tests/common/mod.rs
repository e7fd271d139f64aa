//! A minimal LSP client for end-to-end tests: starts the real `azpls server` binary,
//! frames JSON-RPC over its stdio, and waits (with a timeout) for responses and
//! notifications. The server process is killed when the client is dropped.
#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);

pub struct Client {
    child: Child,
    /// `None` once closed with [`Client::close_stdin`].
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// The thread reading stdout: it panics on anything that is not a frame of JSON.
    reader: Option<std::thread::JoinHandle<()>>,
    /// What the server wrote to stderr, when started with [`Client::start_capturing_stderr`].
    stderr: Option<Arc<Mutex<String>>>,
    /// Messages read while waiting for something else.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    pub fn start() -> Client {
        Client::start_in(std::env::temp_dir())
    }

    pub fn start_in(dir: impl AsRef<std::path::Path>) -> Client {
        Client::spawn(dir.as_ref(), false)
    }

    /// Starts a server whose stderr is kept (and echoed) for [`Client::stderr`].
    pub fn start_capturing_stderr() -> Client {
        Client::spawn(&std::env::temp_dir(), true)
    }

    fn spawn(dir: &std::path::Path, capture_stderr: bool) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_azpls"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if capture_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .expect("start azpls server");
        let stderr = child.stderr.take().map(|pipe| {
            let text = Arc::new(Mutex::new(String::new()));
            let kept = text.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines() {
                    let Ok(line) = line else { return };
                    eprintln!("{line}");
                    let mut kept = kept.lock().unwrap();
                    kept.push_str(&line);
                    kept.push('\n');
                }
            });
            text
        });
        let stdin = Some(child.stdin.take().unwrap());
        let stdout = child.stdout.take().unwrap();
        let (tx, incoming) = channel();
        let reader = std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) = line.split_once(':').expect("a header line");
                    assert!(
                        name.eq_ignore_ascii_case("Content-Length")
                            || name.eq_ignore_ascii_case("Content-Type"),
                        "unexpected header (did the server print to stdout?): {line}"
                    );
                    if name.eq_ignore_ascii_case("Content-Length") {
                        length = Some(value.trim().parse::<usize>().unwrap());
                    }
                }
                let mut body = vec![0; length.expect("Content-Length")];
                reader.read_exact(&mut body).unwrap();
                let value: Value = serde_json::from_slice(&body).expect("valid JSON from server");
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            reader: Some(reader),
            stderr,
            backlog: Vec::new(),
            next_id: 1,
        }
    }

    /// The server's resident memory in MiB, read from `/proc` (Linux).
    pub fn resident_mib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? / 1024)
    }

    pub fn send(&mut self, message: Value) {
        let body = serde_json::to_string(&message).unwrap();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    /// Writes bytes as they are, framed or not.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes the server's stdin, as a client that goes away does.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// What the server wrote to stderr so far (started with `start_capturing_stderr`).
    pub fn stderr(&self) -> String {
        let text = self.stderr.as_ref().expect("stderr is captured");
        text.lock().unwrap().clone()
    }

    /// Waits (with the timeout) until the server's stderr contains `text`; returns all of it.
    pub fn wait_stderr(&self, text: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let stderr = self.stderr();
            if stderr.contains(text) {
                return stderr;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} not on stderr:\n{stderr}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// After the server exited: whether all it wrote to stdout was frames of JSON.
    pub fn stdout_was_all_frames(&mut self) -> bool {
        let reader = self.reader.take().expect("asked once");
        reader.join().is_ok()
    }

    /// Waits (with the timeout) for the server to exit; returns its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its response; returns `result` (or panics on error).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        if let Some(error) = response.get("error") {
            panic!("{method} failed: {error}");
        }
        response["result"].clone()
    }

    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_for(|m| m.get("id") == Some(&json!(id)) && m.get("method").is_none())
    }

    /// Waits for a message matching `pred`, keeping others for later waits. Requests
    /// from the server (e.g. `window/workDoneProgress/create`) are answered with null
    /// (and returned if they match).
    pub fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&pred) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) => {
                    if message.get("id").is_some() && message.get("method").is_some() {
                        let id = message["id"].clone();
                        self.send(json!({"jsonrpc": "2.0", "id": id, "result": null}));
                        if pred(&message) {
                            return message;
                        }
                        continue;
                    }
                    if pred(&message) {
                        return message;
                    }
                    self.backlog.push(message);
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "timed out; messages seen: {}",
                    serde_json::to_string_pretty(&self.backlog).unwrap()
                ),
                Err(RecvTimeoutError::Disconnected) => panic!("server exited"),
            }
        }
    }

    /// Whether a message matching `pred` has arrived and not been waited for yet (only
    /// what has arrived so far: make a request first to be sure earlier output is in).
    pub fn seen(&mut self, pred: impl Fn(&Value) -> bool) -> bool {
        while let Ok(message) = self.incoming.try_recv() {
            self.backlog.push(message);
        }
        self.backlog.iter().any(pred)
    }

    /// Whether a message matching `pred` arrives (or has arrived, not waited for yet)
    /// within `window`: for what must not come, where waiting for it would time out.
    pub fn arrives_within(&mut self, window: Duration, pred: impl Fn(&Value) -> bool) -> bool {
        let deadline = Instant::now() + window;
        loop {
            if self.backlog.iter().any(&pred) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(message) => self.backlog.push(message),
                Err(_) => return false,
            }
        }
    }

    /// Forgets every message that arrived and was not waited for (make a request first to
    /// be sure earlier output is in).
    pub fn forget_unclaimed(&mut self) {
        while self.incoming.try_recv().is_ok() {}
        self.backlog.clear();
    }

    /// Waits for diagnostics of `uri` at `version`.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }

    pub fn initialize(&mut self, capabilities: Value, options: Value) -> Value {
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": capabilities,
                "initializationOptions": options,
            }),
        );
        self.notify("initialized", json!({}));
        result
    }

    pub fn open(&mut self, uri: &str, text: &str, version: i64) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": version, "text": text}}),
        );
    }

    /// Shuts the server down cleanly and returns its exit status code.
    pub fn shutdown(mut self) -> Option<i32> {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        self.wait_exit()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Applies LSP text edits (ranges in UTF-16 unless `utf8`) to a text, for assertions.
pub fn apply_lsp_edits(text: &str, edits: &[Value], utf8: bool) -> String {
    let offset = |pos: &Value| -> usize {
        let line = pos["line"].as_u64().unwrap() as usize;
        let character = pos["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let line_text = text[start..].split('\n').next().unwrap();
        if utf8 {
            return start + character;
        }
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            if units >= character {
                return start + i;
            }
            units += c.len_utf16();
        }
        start + line_text.len()
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort();
    let mut out = text.to_string();
    for (start, end, new) in spans.into_iter().rev() {
        out.replace_range(start..end, &new);
    }
    out
}

/// The shared corpus of real pipelines: `AZPLS_CORPUS`, else `$AZPLS_SHARED/corpus`, else
/// `../shared/corpus` beside the repository.
fn corpus_dir() -> std::path::PathBuf {
    use std::path::PathBuf;
    std::env::var_os("AZPLS_CORPUS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("AZPLS_SHARED").map(|s| PathBuf::from(s).join("corpus")))
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus")))
}

/// The corpus, for a test that still tests something without it (the fuzzers fall back to
/// their own pipelines): `None`, after a loud message, when it is absent.
pub fn corpus() -> Option<std::path::PathBuf> {
    let dir = corpus_dir();
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "\n*** no corpus at {} (set AZPLS_CORPUS or AZPLS_SHARED) ***\n",
            dir.display()
        );
        None
    }
}

/// The corpus, for a test marked `#[ignore = "needs ../shared (or AZPLS_SHARED)"]`. Such a
/// test runs only when asked for (`--include-ignored`), and one that was asked for must
/// not pass without looking at anything: it fails, saying where it looked.
pub fn required_corpus() -> std::path::PathBuf {
    let dir = corpus_dir();
    assert!(
        dir.is_dir(),
        "this test needs the corpus of real pipelines and found none at {}: put the shared \
         folder beside the repository as ../shared, or set AZPLS_SHARED (the shared folder) \
         or AZPLS_CORPUS (the corpus itself)",
        dir.display()
    );
    dir
}

/// Compares a snapshot file with what a test produced, collecting a readable failure;
/// with `AZPLS_BLESS` set, writes the file instead.
pub fn check_expected(path: &std::path::Path, actual: &str, failures: &mut Vec<String>) {
    if std::env::var_os("AZPLS_BLESS").is_some() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(expected) => failures.push(format!(
            "{} differs\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(_) => failures.push(format!(
            "{} is missing (AZPLS_BLESS=1 writes it)\n--- actual\n{actual}",
            path.display()
        )),
    }
}

/// The `.yml` cases of `tests/fixtures/<name>`, sorted; at least ten of them.
pub fn fixture_cases(name: &str) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "fixtures in {}", dir.display());
    cases
}
