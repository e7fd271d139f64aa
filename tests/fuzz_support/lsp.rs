//! A strict LSP client for fuzzing the real `azpls server`: it never blocks on the server
//! (writes go through their own thread, every wait has a timeout), insists that stdout
//! carries nothing but well-framed JSON-RPC, keeps every byte it sent and where it waited
//! so a session can be replayed as it ran, and stops the server by its own handle.

use super::TIMEOUT;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a client waited for.
#[derive(Clone, Debug)]
pub enum Wait {
    Answer(i64),
    Diagnostics { uri: String, version: i64 },
}

impl Wait {
    /// One line of a `session.waits` file: `OFFSET answer ID` or `OFFSET diagnostics VERSION URI`.
    pub fn line(&self, offset: usize) -> String {
        match self {
            Wait::Answer(id) => format!("{offset} answer {id}"),
            Wait::Diagnostics { uri, version } => format!("{offset} diagnostics {version} {uri}"),
        }
    }

    pub fn parse(line: &str) -> Option<(usize, Wait)> {
        let mut words = line.splitn(4, ' ');
        let offset = words.next()?.parse().ok()?;
        let wait = match words.next()? {
            "answer" => Wait::Answer(words.next()?.parse().ok()?),
            "diagnostics" => Wait::Diagnostics {
                version: words.next()?.parse().ok()?,
                uri: words.next()?.to_string(),
            },
            _ => return None,
        };
        Some((offset, wait))
    }
}

enum Incoming {
    Message(Value),
    /// Bytes on stdout that are not a JSON-RPC frame.
    NotProtocol(String),
    /// A well-framed message nested deeper than serde_json (and other recursive parsers
    /// clients use) reads.
    TooDeep(String),
    Closed,
}

/// Why a session could not go on.
#[derive(Debug)]
pub enum Trouble {
    /// No answer within the timeout: what was awaited.
    Hang(String),
    /// The process ended: how, and the line of stderr that says why.
    Died {
        status: String,
        key: String,
    },
    NotProtocol(String),
    /// A message nested too deep to parse: what it starts with.
    TooDeep(String),
    /// A valid request got an error response.
    Error(String),
}

pub struct Server {
    child: Child,
    outgoing: Sender<Vec<u8>>,
    incoming: Receiver<Incoming>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Every byte written to the server's stdin, in order.
    pub transcript: Vec<u8>,
    /// Where in the transcript the client waited, and for what: a replay waits there too,
    /// since some failures need the server to be done with one message before the next.
    pub waits: Vec<(usize, Wait)>,
    next_id: i64,
    /// The last diagnostics published for each URI, with their version.
    published: HashMap<String, (Option<i64>, Value)>,
    /// The method of the last message sent, for reports.
    pub last_sent: String,
    /// How long to wait for an answer.
    pub timeout: Duration,
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// Reads frames from the server's stdout until it closes, reporting the first thing that
/// is not a frame: the header block must be `Content-Length`/`Content-Type` lines ending
/// in `\r\n`, the body JSON.
fn read_frames(stdout: impl Read, tx: Sender<Incoming>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut length = None;
        loop {
            let mut line = Vec::new();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(if line.is_empty() && length.is_none() {
                        Incoming::Closed
                    } else {
                        Incoming::NotProtocol("stdout ended inside a header".to_string())
                    });
                    return;
                }
                Ok(_) => {}
            }
            if line == b"\r\n" {
                break;
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let header = text.strip_suffix("\r\n").and_then(|h| h.split_once(": "));
            match header {
                Some((name, value)) if name.eq_ignore_ascii_case("Content-Length") => {
                    length = value.trim().parse::<usize>().ok();
                }
                Some((name, _)) if name.eq_ignore_ascii_case("Content-Type") => {}
                _ => {
                    let _ = tx.send(Incoming::NotProtocol(format!(
                        "not a header line: {:?}",
                        super::excerpt(&text, 300)
                    )));
                    return;
                }
            }
        }
        let Some(length) = length else {
            let _ = tx.send(Incoming::NotProtocol(
                "a header block without Content-Length".into(),
            ));
            return;
        };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            let _ = tx.send(Incoming::NotProtocol("stdout ended inside a body".into()));
            return;
        }
        match serde_json::from_slice(&body) {
            Ok(value) => {
                if tx.send(Incoming::Message(value)).is_err() {
                    return;
                }
            }
            Err(e) if e.to_string().contains("recursion limit") => {
                let start = super::excerpt(&String::from_utf8_lossy(&body), 200);
                if tx.send(Incoming::TooDeep(start)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Incoming::NotProtocol(format!(
                    "a body that is not JSON ({e}): {:?}",
                    super::excerpt(&String::from_utf8_lossy(&body), 300)
                )));
                return;
            }
        }
    }
}

impl Server {
    /// Starts `azpls server` in `dir`.
    pub fn start(dir: &Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_azpls"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start azpls server");
        let mut stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr_pipe = child.stderr.take().unwrap();
        let (outgoing, to_write) = channel::<Vec<u8>>();
        std::thread::spawn(move || {
            for bytes in to_write {
                if stdin.write_all(&bytes).and_then(|_| stdin.flush()).is_err() {
                    return;
                }
            }
        });
        let (tx, incoming) = channel();
        std::thread::spawn(move || read_frames(stdout, tx));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0; 8192];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    return;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Server {
            child,
            outgoing,
            incoming,
            stderr,
            transcript: Vec::new(),
            waits: Vec::new(),
            next_id: 1,
            published: HashMap::new(),
            last_sent: String::new(),
            timeout: TIMEOUT,
        }
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Sends bytes as they are (malformed frames included).
    pub fn send_raw(&mut self, bytes: Vec<u8>) {
        self.transcript.extend_from_slice(&bytes);
        let _ = self.outgoing.send(bytes);
    }

    fn send(&mut self, message: &Value) {
        self.last_sent = message["method"].as_str().unwrap_or("response").to_string();
        self.send_raw(frame(message.to_string().as_bytes()));
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and waits for its result.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Trouble> {
        self.request_after(Vec::new(), method, params)
    }

    /// Sends `before` and a request in one write (so the server reads them together, as
    /// it would from a fast client) and waits for the request's result.
    pub fn request_after(
        &mut self,
        before: Vec<u8>,
        method: &str,
        params: Value,
    ) -> Result<Value, Trouble> {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        self.last_sent = method.to_string();
        self.send_raw([before, frame(message.to_string().as_bytes())].concat());
        let response = self.answer(id, method)?;
        match response.get("error") {
            Some(error) => Err(Trouble::Error(format!("{method}: {error}"))),
            None => Ok(response["result"].clone()),
        }
    }

    /// Waits for the response to request `id`.
    fn answer(&mut self, id: i64, method: &str) -> Result<Value, Trouble> {
        self.waits.push((self.transcript.len(), Wait::Answer(id)));
        self.wait(&format!("answer to {method}"), |m| {
            m["id"] == id && m.get("method").is_none()
        })
    }

    /// Waits for the diagnostics of `uri` at `version`.
    pub fn diagnostics(&mut self, uri: &str, version: i64) -> Result<Value, Trouble> {
        self.waits.push((
            self.transcript.len(),
            Wait::Diagnostics {
                uri: uri.to_string(),
                version,
            },
        ));
        if let Some((Some(v), d)) = self.published.get(uri) {
            if *v == version {
                return Ok(d.clone());
            }
        }
        let message = self.wait("diagnostics for the latest version", |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        })?;
        Ok(message["params"]["diagnostics"].clone())
    }

    /// Whether the process has ended, and how.
    pub fn ended(&mut self) -> Option<Trouble> {
        matches!(self.child.try_wait(), Ok(Some(_))).then(|| self.death())
    }

    /// Sends a recorded session again, waiting where it waited.
    pub fn replay(&mut self, transcript: &[u8], waits: &[(usize, Wait)]) -> Result<(), Trouble> {
        let mut sent = 0;
        for (offset, wait) in waits {
            self.send_raw(transcript[sent..*offset].to_vec());
            sent = *offset;
            match wait {
                Wait::Answer(id) => self.answer(*id, "a request").map(drop)?,
                Wait::Diagnostics { uri, version } => self.diagnostics(uri, *version).map(drop)?,
            }
        }
        self.send_raw(transcript[sent..].to_vec());
        Ok(())
    }

    /// Handles messages until one matches `wanted`: server requests get a null result,
    /// diagnostics are remembered, anything else is let go.
    fn wait(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Result<Value, Trouble> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = match self.incoming.recv_timeout(left) {
                Ok(Incoming::Message(m)) => m,
                Ok(Incoming::NotProtocol(what)) => {
                    // Output cut short by a crash is the crash's doing.
                    std::thread::sleep(Duration::from_millis(100));
                    if let Ok(Some(_)) = self.child.try_wait() {
                        return Err(self.death());
                    }
                    return Err(Trouble::NotProtocol(what));
                }
                Ok(Incoming::TooDeep(start)) => return Err(Trouble::TooDeep(start)),
                Ok(Incoming::Closed) | Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.death());
                }
                Err(RecvTimeoutError::Timeout) => {
                    // A server that died without closing stdout is a death, not a hang.
                    if let Ok(Some(_)) = self.child.try_wait() {
                        return Err(self.death());
                    }
                    return Err(Trouble::Hang(format!("no {what}")));
                }
            };
            if message["method"] == "textDocument/publishDiagnostics" {
                let params = &message["params"];
                self.published.insert(
                    params["uri"].as_str().unwrap_or_default().to_string(),
                    (params["version"].as_i64(), params["diagnostics"].clone()),
                );
            }
            if wanted(&message) {
                return Ok(message);
            }
            if message.get("id").is_some() && message.get("method").is_some() {
                let reply = json!({"jsonrpc": "2.0", "id": message["id"], "result": null});
                self.send(&reply);
            }
        }
    }

    /// How the process ended, once it has (waiting a little for the exit to be seen).
    fn death(&mut self) -> Trouble {
        use std::os::unix::process::ExitStatusExt;
        let deadline = Instant::now() + Duration::from_secs(5);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Some(status),
                _ if Instant::now() > deadline => break None,
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        // Let the stderr thread catch up with what the process wrote before it died.
        std::thread::sleep(Duration::from_millis(50));
        let status = match status {
            Some(s) => match s.signal() {
                Some(sig) => format!(
                    "killed by signal {sig} ({})",
                    super::check::signal_name(sig)
                ),
                None => format!("exited with code {}", s.code().unwrap_or(-1)),
            },
            None => "closed stdout but did not exit".to_string(),
        };
        Trouble::Died {
            status,
            key: super::check::key_line(&self.stderr()),
        }
    }

    /// `initialize` and `initialized`, offering UTF-16 only (the encoding every client has).
    pub fn initialize(&mut self, root: &str, hierarchical: bool) -> Result<Value, Trouble> {
        let result = self.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root,
                "capabilities": {
                    "general": {"positionEncodings": ["utf-16"]},
                    "textDocument": {
                        "documentSymbol": {"hierarchicalDocumentSymbolSupport": hierarchical},
                        "completion": {"completionItem": {"snippetSupport": true}},
                        "publishDiagnostics": {"versionSupport": true},
                    },
                },
            }),
        )?;
        self.notify("initialized", json!({}));
        Ok(result)
    }

    pub fn open(&mut self, uri: &str, text: &str, version: i64) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": version, "text": text}}),
        );
    }

    /// `shutdown` then `exit`; the process must end with code 0.
    pub fn stop(&mut self) -> Result<(), Trouble> {
        self.request("shutdown", Value::Null)?;
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                if status.success() {
                    return Ok(());
                }
                return Err(self.death());
            }
            if Instant::now() > deadline {
                return Err(Trouble::Hang("no exit after `exit`".to_string()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Our own child only, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Frames a robust server must survive, each with a name for reports. `uri` is an open
/// document. Some are self-delimiting (a bad body in a good frame); the others (a line of
/// garbage, bare `\n` headers, an unparsable length) need the reader to find the next
/// header again.
pub fn malformed_frames(uri: &str) -> Vec<(&'static str, Vec<u8>)> {
    let hover = |id: i64| {
        json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
               "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}})
        .to_string()
    };
    let with_headers = |headers: &str, body: &str| format!("{headers}\r\n{body}").into_bytes();
    vec![
        ("a body that is not JSON", frame(b"{\"jsonrpc\": \"2.0\", \"id\": [")),
        ("a body that is not UTF-8", frame(b"\xff\xfe{}")),
        ("an empty JSON array", frame(b"[]")),
        ("a JSON number", frame(b"42")),
        ("an object that is not JSON-RPC", frame(b"{\"hello\": \"world\"}")),
        (
            "a request with params of the wrong types",
            frame(json!({"jsonrpc": "2.0", "id": 900_001, "method": "textDocument/hover",
                        "params": {"textDocument": {"uri": 42}, "position": "here"}})
                .to_string()
                .as_bytes()),
        ),
        (
            "a notification with params of the wrong types",
            frame(json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
                        "params": {"textDocument": {"uri": uri, "version": "one"}, "contentChanges": "x"}})
                .to_string()
                .as_bytes()),
        ),
        (
            "a negative position in a document that is not open",
            frame(json!({"jsonrpc": "2.0", "method": "textDocument/didChange",
                        "params": {"textDocument": {"uri": "file:///azpls-fuzz-not-open.yml", "version": 2},
                                   "contentChanges": [{"range": {"start": {"line": -1, "character": -5},
                                                                 "end": {"line": 0, "character": 0}}, "text": "x"}]}})
                .to_string()
                .as_bytes()),
        ),
        (
            "an unknown method",
            frame(json!({"jsonrpc": "2.0", "id": 900_002, "method": "azpls/fuzz", "params": {}})
                .to_string()
                .as_bytes()),
        ),
        (
            "a string id",
            frame(json!({"jsonrpc": "2.0", "id": "fuzz", "method": "textDocument/documentSymbol",
                        "params": {"textDocument": {"uri": uri}}})
                .to_string()
                .as_bytes()),
        ),
        (
            "a cancellation of an unknown request",
            frame(json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": 123_456}})
                .to_string()
                .as_bytes()),
        ),
        (
            "a lower-case header name",
            with_headers(&format!("content-length: {}\r\n", hover(900_003).len()), &hover(900_003)),
        ),
        (
            "a Content-Type header",
            with_headers(
                &format!(
                    "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: {}\r\n",
                    hover(900_004).len()
                ),
                &hover(900_004),
            ),
        ),
        (
            "an unknown header",
            with_headers(
                &format!("X-Azpls-Fuzz: 1\r\nContent-Length: {}\r\n", hover(900_005).len()),
                &hover(900_005),
            ),
        ),
        ("a zero Content-Length", b"Content-Length: 0\r\n\r\n".to_vec()),
        (
            "two Content-Length headers",
            with_headers(
                &format!(
                    "Content-Length: {0}\r\nContent-Length: {0}\r\n",
                    hover(900_006).len()
                ),
                &hover(900_006),
            ),
        ),
        (
            "a line of garbage before a frame",
            [b"hello\r\n".to_vec(), frame(hover(900_007).as_bytes())].concat(),
        ),
        (
            "headers ended by bare \\n",
            format!("Content-Length: {}\n\n{}", hover(900_008).len(), hover(900_008)).into_bytes(),
        ),
        (
            "a Content-Length too big for any integer",
            [
                b"Content-Length: 99999999999999999999999\r\n\r\n".to_vec(),
                frame(hover(900_009).as_bytes()),
            ]
            .concat(),
        ),
        (
            "a second initialize",
            frame(json!({"jsonrpc": "2.0", "id": 900_010, "method": "initialize",
                        "params": {"processId": null, "rootUri": null, "capabilities": {}}})
                .to_string()
                .as_bytes()),
        ),
    ]
}
