//! End-to-end over stdio against the real binary: frames the protocol's codec cannot
//! decode are answered with a JSON-RPC error (or, for lone surrogates, repaired) and the
//! session goes on; garbage between frames is skipped; the exit code follows LSP.

mod common;

use common::Client;
use serde_json::{Value, json};

const URI: &str = "file:///project/azure-pipelines.yml";

fn framed(body: &[u8]) -> Vec<u8> {
    framed_with("", body)
}

/// A frame with more headers before its `Content-Length`.
fn framed_with(headers: &str, body: &[u8]) -> Vec<u8> {
    let mut frame = format!("{headers}Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body);
    frame
}

/// A server after `initialize`, with one pipeline open, stderr kept.
fn started() -> Client {
    let mut client = Client::start_capturing_stderr();
    client.initialize(json!({}), Value::Null);
    client.open(URI, "steps:\n- task: AzureFileCopy@4\n", 1);
    client.diagnostics(URI, 1);
    client
}

/// The server still answers requests: a hover on the task.
fn still_serving(client: &mut Client, what: &str) {
    let hover = client.request_raw(
        "textDocument/hover",
        json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 10}}),
    );
    assert!(
        hover["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|h| h.contains("AzureFileCopy")),
        "after {what}: {hover}"
    );
}

/// Nothing was wrong: nothing on stderr, and a clean exit.
fn shut_down_having_logged_nothing(client: Client) {
    assert!(client.stderr().is_empty(), "{}", client.stderr());
    assert_eq!(client.shutdown(), Some(0));
}

/// Waits for the error response with this id, returns its code.
fn error_code(client: &mut Client, id: Value) -> i64 {
    let reply = client.wait_for(|m| m.get("error").is_some() && m["id"] == id);
    reply["error"]["code"].as_i64().unwrap()
}

#[test]
fn each_undecodable_frame_is_answered_and_the_session_goes_on() {
    let mut client = started();
    let mut nested =
        br#"{"jsonrpc":"2.0","id":106,"method":"textDocument/hover","params":"#.to_vec();
    nested.extend(std::iter::repeat_n(b'[', 200));
    nested.extend(std::iter::repeat_n(b']', 200));
    nested.push(b'}');
    let mut not_utf8 = br#"{"jsonrpc":"2.0","id":104,"method":"x","params":{"t":""#.to_vec();
    not_utf8.extend_from_slice(&[0xc3, 0x28]);
    not_utf8.extend_from_slice(br#""}}"#);
    // What is sent, and the (id, code) of each error response it must bring.
    type Replies = Vec<(Value, i64)>;
    let cases: Vec<(&str, Vec<u8>, Replies)> = vec![
        ("an empty object", framed(b"{}"), vec![(Value::Null, -32600)]),
        (
            "invalid JSON",
            framed(br#"{"jsonrpc":"2.0","id":101,"method":"textDocument/hover","params":{"#),
            vec![(json!(101), -32700)],
        ),
        (
            "a batch",
            framed(
                br#"[{"jsonrpc":"2.0","id":102,"method":"shutdown"},{"jsonrpc":"2.0","id":103,"method":"shutdown"}]"#,
            ),
            vec![(json!(102), -32600), (json!(103), -32600)],
        ),
        ("invalid UTF-8", framed(&not_utf8), vec![(json!(104), -32700)]),
        (
            "a wrong JSON-RPC version",
            framed(br#"{"jsonrpc":"1.0","id":105,"method":"shutdown"}"#),
            vec![(json!(105), -32600)],
        ),
        ("JSON nested 200 deep", framed(&nested), vec![(json!(106), -32700)]),
        (
            "a charset other than UTF-8",
            framed_with(
                "Content-Type: application/vscode-jsonrpc; charset=utf-16\r\n",
                br#"{"jsonrpc":"2.0","id":107,"method":"shutdown"}"#,
            ),
            vec![(json!(107), -32700)],
        ),
    ];
    for (what, bytes, expected) in cases {
        client.send_raw(&bytes);
        for (id, code) in expected {
            assert_eq!(error_code(&mut client, id.clone()), code, "{what}: id {id}");
        }
        still_serving(&mut client, what);
    }
    for expected in [
        "azpls: a message that is not JSON-RPC 2.0: missing field `jsonrpc`",
        "azpls: a message that is not JSON:",
        "azpls: a batch of 2 messages",
        "azpls: a message that is not UTF-8",
        "azpls: unsupported charset \"utf-16\"",
    ] {
        client.wait_stderr(expected);
    }
    // None of the rejected shutdowns took effect.
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn headers_in_any_case_and_content_types_without_charset_are_read() {
    let mut client = started();
    let body = br#"{"jsonrpc":"2.0","id":201,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///project/azure-pipelines.yml"},"position":{"line":1,"character":10}}}"#;
    let length = body.len();
    for header in [
        format!("content-length: {length}\r\n\r\n"),
        format!("CONTENT-LENGTH:{length}\r\ncontent-type: application/json\r\n\r\n"),
        format!(
            "Content-Type: application/vscode-jsonrpc; charset=utf8\r\nContent-Length: {length}\r\n\r\n"
        ),
        format!("Content-Type: application/vscode-jsonrpc\r\nContent-Length: {length}\r\n\r\n"),
    ] {
        client.send_raw(&[header.as_bytes(), body].concat());
        let hover = client.wait_for(|m| m["id"] == 201);
        assert!(
            hover["result"]["contents"]["value"].is_string(),
            "{header:?}: {hover}"
        );
    }
    shut_down_having_logged_nothing(client);
}

#[test]
fn a_lone_surrogate_in_a_change_becomes_a_replacement_character() {
    let mut client = started();
    // Half an emoji before the task on its line: the text gets U+FFFD (one UTF-16 unit),
    // so the task starts at column 18 of `- { a: "?", task: ... }`.
    let change = br#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///project/azure-pipelines.yml","version":2},"contentChanges":[{"text":"steps:\n- { a: \"\ud83d\", task: AzureFileCopy@4 }\n"}]}}"#;
    client.send_raw(&framed(change));
    let diagnostics = client.diagnostics(URI, 2);
    let task = diagnostics
        .iter()
        .find(|d| d["code"] == "wif-deprecated-version")
        .unwrap_or_else(|| panic!("{diagnostics:?}"));
    assert_eq!(
        task["range"]["start"],
        json!({"line": 1, "character": 18}),
        "{diagnostics:?}"
    );
    shut_down_having_logged_nothing(client);
}

#[test]
fn garbage_between_frames_is_skipped_to_the_next_header() {
    let mut client = started();
    client.send_raw(b"this is not a header\r\n\r\n");
    still_serving(&mut client, "a garbage line");
    // A body longer than its Content-Length: the rest runs into the next header.
    let body = br#"{"jsonrpc":"2.0","id":301,"method":"shutdown"}"#;
    client.send_raw(&[&b"Content-Length: 25\r\n\r\n"[..], body].concat());
    assert_eq!(error_code(&mut client, json!(301)), -32700);
    still_serving(&mut client, "a body longer than its length");
    // A long run of bytes with no line end at all.
    client.send_raw(&vec![b'x'; 1 << 20]);
    still_serving(&mut client, "a megabyte without a line end");
    client.wait_stderr("azpls: skipped 20 bytes that were not a message header");
    client.wait_stderr(&format!("azpls: skipped {} bytes", 1 << 20));
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn tower_lsp_server_logs_reach_stderr() {
    let mut client = started();
    // A request azpls does not implement: tower-lsp-server answers and logs it.
    let reply = client.request_raw(
        "textDocument/willSaveWaitUntil",
        json!({"textDocument": {"uri": URI}, "reason": 1}),
    );
    assert!(reply.get("error").is_some(), "{reply}");
    client.wait_stderr(
        "azpls: error tower_lsp_server::server: got a `textDocument/willSaveWaitUntil` request",
    );
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn exit_without_shutdown_exits_with_1() {
    let mut client = started();
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit(), Some(1));
}

#[test]
fn shutdown_then_exit_exits_with_0() {
    let client = started();
    assert_eq!(client.shutdown(), Some(0));
}

#[test]
fn stdin_closing_without_shutdown_exits_with_1() {
    let mut client = started();
    // Half a frame, then the end of the stream.
    client.send_raw(b"Content-Length: 100\r\n\r\n{\"jsonrpc\"");
    client.close_stdin();
    assert_eq!(client.wait_exit(), Some(1));
}

#[test]
fn stdin_closing_after_shutdown_exits_with_0() {
    let mut client = started();
    client.request("shutdown", Value::Null);
    client.close_stdin();
    assert_eq!(client.wait_exit(), Some(0));
}

#[test]
fn requests_before_the_end_of_stdin_are_still_answered() {
    let mut client = Client::start();
    client.send_raw(&framed(
        br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
    ));
    client.close_stdin();
    let reply = client.wait_for(|m| m["id"] == 1);
    assert!(reply["result"]["capabilities"].is_object(), "{reply}");
    assert_eq!(client.wait_exit(), Some(1));
}

/// Random damage to well-formed frames (bytes flipped, dropped or inserted, lengths
/// changed, escapes cut in half) never crashes or hangs the server, nor makes it write
/// anything but frames: when its input ends it exits with 1, as after any session
/// without `shutdown`.
#[test]
fn damaged_frames_never_crash_or_hang_the_server() {
    // xorshift64: deterministic, so a failure replays.
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut random = move |below: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % below as u64) as usize
    };
    let bodies = [
        br#"{"jsonrpc":"2.0","id":7,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///project/azure-pipelines.yml"},"position":{"line":1,"character":10}}}"#.to_vec(),
        br#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///project/azure-pipelines.yml","version":9},"contentChanges":[{"range":{"start":{"line":1,"character":2},"end":{"line":1,"character":6}},"text":"t\ud83d\ude80k"}]}}"#.to_vec(),
        br#"{"jsonrpc":"2.0","id":8,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///project/azure-pipelines.yml"},"range":{"start":{"line":1,"character":0},"end":{"line":1,"character":0}},"context":{"diagnostics":[]}}}"#.to_vec(),
    ];
    const DAMAGE: &[&[u8]] = &[
        b"\\ud800",
        b"\r\n",
        b"\r\n\r\n",
        b"Content-Length: 3\r\n",
        b"{",
        b"]",
        b"\"",
        b"\xff",
        b"\\",
    ];
    for _ in 0..30 {
        let mut client = started();
        for _ in 0..20 {
            let mut body = bodies[random(bodies.len())].clone();
            for _ in 0..1 + random(4) {
                let at = random(body.len());
                match random(4) {
                    0 => body[at] = random(256) as u8,
                    1 => drop(body.remove(at)),
                    2 => {
                        let bytes = DAMAGE[random(DAMAGE.len())];
                        body.splice(at..at, bytes.iter().copied());
                    }
                    _ => body.truncate(at),
                }
            }
            // A length that is right, short or long.
            let length = (body.len() + random(8)).saturating_sub(4);
            client.send_raw(
                &[
                    format!("Content-Length: {length}\r\n\r\n").as_bytes(),
                    &body,
                ]
                .concat(),
            );
        }
        client.close_stdin();
        assert_eq!(client.wait_exit(), Some(1));
        assert!(client.stdout_was_all_frames());
    }
}
