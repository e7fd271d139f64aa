//! Reading the client's byte stream into messages: lenient `Content-Length` framing, and
//! the check that a body is a JSON-RPC message tower-lsp-server will decode. What fails
//! the check is answered here with a JSON-RPC error instead: tower-lsp-server's own reader
//! ends the session at the first frame its codec rejects, so it must never see one.
//!
//! Pure and synchronous (any [`BufRead`]), so every malformed input has a unit test;
//! `stdio` runs it on the real streams.

use serde::Deserialize;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::io::{self, BufRead, Read};
use tower_lsp_server::jsonrpc;

/// Longest header line kept whole. A longer line is garbage (typically the rest of a body
/// whose `Content-Length` was too short, run into the next header): only its tail is kept,
/// where that next header would be.
const MAX_HEADER_LINE: usize = 8 * 1024;

/// Largest body read into memory. Documents can legitimately be tens of megabytes; a
/// larger body is read and discarded, and answered with an error.
pub const MAX_BODY: usize = 256 << 20;

/// How much of a discarded body is kept to find its `id`.
const ID_PREFIX: usize = 64 * 1024;

/// What the reader found next on the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// A message tower-lsp-server will decode: its body, ready to be framed.
    Message(Vec<u8>),
    /// A frame that could not be handled: the error responses to send back.
    Rejected(Vec<Vec<u8>>),
}

/// Reads frames from a byte stream, resynchronising after anything that is not one.
pub struct FrameReader<R> {
    input: R,
    max_body: usize,
    /// Problems met since the caller last took them, for the log.
    problems: Vec<String>,
}

/// One header line, without its line ending.
struct Line {
    bytes: Vec<u8>,
    /// Bytes dropped from the front of an over-long line.
    dropped: usize,
}

/// What a header block said.
#[derive(Default)]
struct Block {
    length: Option<Result<usize, String>>,
    /// A charset other than UTF-8.
    charset: Option<String>,
    /// Bytes skipped because they were not a header.
    garbage: usize,
    lines: usize,
}

impl<R: BufRead> FrameReader<R> {
    pub fn new(input: R) -> Self {
        FrameReader {
            input,
            max_body: MAX_BODY,
            problems: Vec::new(),
        }
    }

    #[cfg(test)]
    fn with_max_body(input: R, max_body: usize) -> Self {
        FrameReader {
            max_body,
            ..FrameReader::new(input)
        }
    }

    /// The problems met since the last call, oldest first.
    pub fn take_problems(&mut self) -> Vec<String> {
        std::mem::take(&mut self.problems)
    }

    /// The next message or rejection; `None` at the end of the stream.
    pub fn next(&mut self) -> io::Result<Option<Incoming>> {
        loop {
            let Some(block) = self.read_block()? else {
                return Ok(None);
            };
            if block.garbage > 0 {
                self.problems.push(format!(
                    "skipped {} bytes that were not a message header",
                    block.garbage
                ));
            }
            let length = match block.length {
                Some(Ok(length)) => length,
                Some(Err(problem)) => {
                    self.problems
                        .push(format!("{problem}; skipped to the next header"));
                    continue;
                }
                None if block.lines > 0 => {
                    self.problems
                        .push("a header without Content-Length; skipped to the next header".into());
                    continue;
                }
                None => continue,
            };
            if length > self.max_body {
                return self.discard(length);
            }
            let mut body = Vec::with_capacity(length.min(1 << 20));
            (&mut self.input)
                .take(length as u64)
                .read_to_end(&mut body)?;
            if body.len() < length {
                self.problems.push(format!(
                    "the stream ended {} bytes into a body of {length}",
                    body.len()
                ));
                return Ok(None);
            }
            if let Some(charset) = block.charset {
                let id = recover_id(&body);
                let problem = format!("unsupported charset {charset:?}; only UTF-8 is");
                return Ok(Some(self.reject(ParseError, id, problem)));
            }
            let rewritten = match decode(&body) {
                Ok(Cow::Borrowed(_)) => None,
                Ok(Cow::Owned(text)) => Some(text.into_bytes()),
                Err(rejection) => {
                    self.problems.push(rejection.problem);
                    return Ok(Some(Incoming::Rejected(rejection.replies)));
                }
            };
            return Ok(Some(Incoming::Message(rewritten.unwrap_or(body))));
        }
    }

    fn reject(&mut self, code: Code, id: Value, problem: String) -> Incoming {
        let reply = error_response(code, id, &problem);
        self.problems.push(problem);
        Incoming::Rejected(vec![reply])
    }

    /// Reads past a body too large to keep, keeping its start to find its `id`.
    fn discard(&mut self, length: usize) -> io::Result<Option<Incoming>> {
        let mut prefix = Vec::new();
        let kept = (&mut self.input)
            .take(ID_PREFIX.min(length) as u64)
            .read_to_end(&mut prefix)?;
        let skipped = io::copy(
            &mut (&mut self.input).take((length - kept) as u64),
            &mut io::sink(),
        )?;
        if kept as u64 + skipped < length as u64 {
            self.problems
                .push(format!("the stream ended inside a body of {length} bytes"));
            return Ok(None);
        }
        let problem = format!(
            "a message of {length} bytes is over the limit of {} MiB; skipped",
            self.max_body >> 20
        );
        Ok(Some(self.reject(
            InvalidRequest,
            recover_id(&prefix),
            problem,
        )))
    }

    /// Reads header lines up to an empty line. `None` at the end of the stream.
    fn read_block(&mut self) -> io::Result<Option<Block>> {
        let mut block = Block::default();
        loop {
            let Some(line) = self.read_line()? else {
                if block.lines > 0 || block.garbage > 0 {
                    self.problems
                        .push("the stream ended inside a message header".into());
                }
                return Ok(None);
            };
            block.garbage += line.dropped;
            if line.bytes.is_empty() {
                if block.lines == 0 && block.garbage == 0 {
                    // Blank lines between messages: some clients end a body with one.
                    continue;
                }
                return Ok(Some(block));
            }
            let (skipped, header) = find_header(&line.bytes);
            block.garbage += skipped;
            block.lines += usize::from(!matches!(header, Header::Garbage));
            match header {
                Header::Length(length) => {
                    if let Some(Ok(previous)) = &block.length {
                        if length.as_ref().ok() != Some(previous) {
                            block.length = Some(Err("two different Content-Length headers".into()));
                            continue;
                        }
                    }
                    block.length = Some(length);
                }
                Header::Type { charset } => block.charset = charset,
                Header::Other => {}
                Header::Garbage => block.garbage += line.bytes.len(),
            }
        }
    }

    /// Reads up to a line feed, keeping at most [`MAX_HEADER_LINE`] bytes (the last ones).
    fn read_line(&mut self) -> io::Result<Option<Line>> {
        let mut line = Line {
            bytes: Vec::new(),
            dropped: 0,
        };
        loop {
            let buffer = match self.input.fill_buf() {
                Ok(buffer) => buffer,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buffer.is_empty() {
                let any = !line.bytes.is_empty() || line.dropped > 0;
                return Ok(any.then(|| {
                    // Bytes after the last frame, with no line end: not a header.
                    line.dropped += line.bytes.len();
                    line.bytes.clear();
                    line
                }));
            }
            let (chunk, used, ended) = match buffer.iter().position(|&b| b == b'\n') {
                Some(end) => (&buffer[..end], end + 1, true),
                None => (buffer, buffer.len(), false),
            };
            line.bytes.extend_from_slice(chunk);
            self.input.consume(used);
            if line.bytes.len() > MAX_HEADER_LINE {
                let cut = line.bytes.len() - MAX_HEADER_LINE / 2;
                line.bytes.drain(..cut);
                line.dropped += cut;
            }
            if ended {
                if line.bytes.last() == Some(&b'\r') {
                    line.bytes.pop();
                }
                return Ok(Some(line));
            }
        }
    }
}

enum Header {
    Length(Result<usize, String>),
    Type { charset: Option<String> },
    Other,
    Garbage,
}

/// Reads one header line, names compared without case. A line that is not a header but
/// ends in a `Content-Length` header (the rest of a body whose length was too short, run
/// into the next frame) yields that header and the number of bytes before it.
fn find_header(line: &[u8]) -> (usize, Header) {
    const LENGTH: &[u8] = b"content-length";
    let header = parse_header(line);
    if let Some(header @ (Header::Length(_) | Header::Type { .. })) = header {
        return (0, header);
    }
    let lower = line.to_ascii_lowercase();
    let found = lower
        .windows(LENGTH.len())
        .rposition(|w| w == LENGTH)
        .filter(|&at| at > 0);
    match found.map(|at| (at, parse_header(&line[at..]))) {
        Some((at, Some(length @ Header::Length(_)))) => (at, length),
        _ => (0, header.unwrap_or(Header::Garbage)),
    }
}

fn parse_header(line: &[u8]) -> Option<Header> {
    let colon = line.iter().position(|&b| b == b':')?;
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    // A header name is an HTTP token: no quotes, braces or commas, unlike JSON.
    let token = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    if name.is_empty() || !name.iter().all(token) {
        return None;
    }
    let value = String::from_utf8_lossy(value);
    let value = value.trim();
    Some(if name.eq_ignore_ascii_case(b"content-length") {
        Header::Length(
            value
                .parse::<usize>()
                .map_err(|_| format!("a Content-Length that is no length: {value:?}")),
        )
    } else if name.eq_ignore_ascii_case(b"content-type") {
        // `application/vscode-jsonrpc; charset=utf-8` is the default; any media type is
        // accepted, and the charset must be UTF-8 when given.
        let charset = value
            .split(';')
            .skip(1)
            .filter_map(|p| p.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
            .filter(|c| !c.eq_ignore_ascii_case("utf-8") && !c.eq_ignore_ascii_case("utf8"));
        Header::Type { charset }
    } else {
        Header::Other
    })
}

/// The JSON-RPC error codes the reader answers with.
#[derive(Clone, Copy)]
enum Code {
    /// -32700: the body is not JSON (or not UTF-8).
    ParseError,
    /// -32600: JSON, but not a JSON-RPC request, notification or response.
    InvalidRequest,
}
use Code::{InvalidRequest, ParseError};

fn error_response(code: Code, id: Value, message: &str) -> Vec<u8> {
    let code = match code {
        ParseError => jsonrpc::ErrorCode::ParseError,
        InvalidRequest => jsonrpc::ErrorCode::InvalidRequest,
    };
    let response = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": code.code(), "message": message},
    });
    serde_json::to_vec(&response).expect("a JSON value serialises")
}

/// Why a body was not passed on, and what to answer.
#[derive(Debug)]
pub struct Rejection {
    pub replies: Vec<Vec<u8>>,
    pub problem: String,
}

/// tower-lsp-server decodes every incoming body as this (its own message type is
/// private): the same derive, so a body that deserialises here deserialises there.
#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)] // Deserialised only to know that tower-lsp-server will accept the body.
enum Message {
    Response(jsonrpc::Response),
    Request(jsonrpc::Request),
}

/// Checks a body: the text to pass on (rewritten only for lone surrogates), or the error
/// responses to send back.
pub fn decode(body: &[u8]) -> Result<Cow<'_, str>, Rejection> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => {
            let problem = format!("a message that is not UTF-8 (at byte {})", e.valid_up_to());
            let id = recover_id(String::from_utf8_lossy(body).as_bytes());
            return Err(Rejection {
                replies: vec![error_response(ParseError, id, &problem)],
                problem,
            });
        }
    };
    let text = replace_lone_surrogates(text);
    if serde_json::from_str::<Message>(&text).is_ok() {
        return Ok(text);
    }
    Err(reject_body(&text))
}

/// Says what is wrong with a body tower-lsp-server would not decode.
fn reject_body(text: &str) -> Rejection {
    let value = match serde_json::from_str::<Value>(text) {
        Ok(value) => value,
        Err(e) => {
            let problem = format!("a message that is not JSON: {e}");
            return Rejection {
                replies: vec![error_response(
                    ParseError,
                    recover_id(text.as_bytes()),
                    &problem,
                )],
                problem,
            };
        }
    };
    if let Value::Array(items) = &value {
        // JSON-RPC batches are not part of LSP: answer each member that has an id, so
        // the client does not wait for it, or the batch as a whole.
        let problem = format!("a batch of {} messages; LSP has no batches", items.len());
        let mut replies: Vec<Vec<u8>> = items
            .iter()
            .filter_map(|item| item.get("id").and_then(usable_id))
            .map(|id| error_response(InvalidRequest, id, &problem))
            .collect();
        if replies.is_empty() {
            replies.push(error_response(InvalidRequest, Value::Null, &problem));
        }
        return Rejection { replies, problem };
    }
    // The reason tower-lsp-server would give, as a request (the usual case).
    let why = match serde_json::from_value::<jsonrpc::Request>(value.clone()) {
        Err(e) => e.to_string(),
        Ok(_) => "not a JSON-RPC 2.0 message".to_string(),
    };
    let problem = format!("a message that is not JSON-RPC 2.0: {why}");
    let id = value.get("id").and_then(usable_id).unwrap_or(Value::Null);
    Rejection {
        replies: vec![error_response(InvalidRequest, id, &problem)],
        problem,
    }
}

/// An id tower-lsp-server could have answered with: an integer, a string or null.
fn usable_id(id: &Value) -> Option<Value> {
    match id {
        Value::Number(n) if n.is_i64() => Some(id.clone()),
        Value::String(_) | Value::Null => Some(id.clone()),
        _ => None,
    }
}

/// The `id` of a top-level JSON object, found without parsing the whole body: the body
/// may be truncated, malformed after the id, or nested too deeply for a parser. `null`
/// when there is none to find.
pub fn recover_id(body: &[u8]) -> Value {
    let mut scan = Scan { body, at: 0 };
    scan.space();
    if !scan.eat(b'{') {
        return Value::Null;
    }
    loop {
        scan.space();
        let Some(key) = scan.string() else {
            return Value::Null;
        };
        scan.space();
        if !scan.eat(b':') {
            return Value::Null;
        }
        scan.space();
        if key == b"\"id\"" {
            return scan
                .id()
                .and_then(|id| usable_id(&id))
                .unwrap_or(Value::Null);
        }
        if !scan.skip_value() {
            return Value::Null;
        }
        scan.space();
        if !scan.eat(b',') {
            return Value::Null;
        }
    }
}

/// A cursor over JSON bytes that reads just enough to step over values.
struct Scan<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.body.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    /// A string with its quotes, escapes left as they are.
    fn string(&mut self) -> Option<&'a [u8]> {
        let start = self.at;
        if !self.eat(b'"') {
            return None;
        }
        loop {
            match self.peek()? {
                b'"' => {
                    self.at += 1;
                    return Some(&self.body[start..self.at]);
                }
                b'\\' => self.at += 2,
                _ => self.at += 1,
            }
        }
    }

    /// An id value: a string, a number or null.
    fn id(&mut self) -> Option<Value> {
        let start = self.at;
        let token = match self.peek()? {
            b'"' => self.string()?,
            _ => {
                while matches!(
                    self.peek(),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9' | b'a'..=b'z')
                ) {
                    self.at += 1;
                }
                &self.body[start..self.at]
            }
        };
        serde_json::from_slice(token).ok()
    }

    /// Steps over one value of any depth, without recursion; false if it is cut short.
    fn skip_value(&mut self) -> bool {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return false,
                Some(b'"') => {
                    if self.string().is_none() {
                        return false;
                    }
                }
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.at += 1;
                }
                Some(b'}' | b']') => {
                    if depth == 0 {
                        // The end of the enclosing object: the value was empty.
                        return false;
                    }
                    depth -= 1;
                    self.at += 1;
                }
                Some(b',') if depth == 0 => return true,
                Some(_) => self.at += 1,
            }
            if depth == 0 && matches!(self.peek(), Some(b',' | b'}')) {
                return true;
            }
        }
    }
}

/// JSON escapes UTF-16 code units one at a time, so half of a surrogate pair can arrive
/// alone (an editor cutting an emoji in two, a client truncating a string). serde_json
/// rejects such text; it becomes U+FFFD, as a lossy UTF-16 decoder would make it.
pub fn replace_lone_surrogates(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let unit = |at: usize| -> Option<u16> {
        let hex = bytes.get(at..at + 6)?;
        if !hex.starts_with(b"\\u") {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(found) = bytes[at..].iter().position(|&b| b == b'\\') {
        let escape = at + found;
        let Some(first) = unit(escape) else {
            // Any other escape, `\\` included, is two bytes: skip both, so the second
            // backslash of `\\u` is not read as starting an escape.
            at = (escape + 2).min(bytes.len());
            continue;
        };
        at = escape + 6;
        let lone = match first {
            0xD800..=0xDBFF => match unit(at) {
                Some(0xDC00..=0xDFFF) => {
                    at += 6;
                    false
                }
                _ => true,
            },
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if lone {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..escape]);
            out.push_str("\\uFFFD");
            copied = escape + 6;
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut out) => {
            out.push_str(&text[copied..]);
            Cow::Owned(out)
        }
    }
}

/// A body with the one header every client reads.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    framed.extend_from_slice(body);
    framed
}

/// The body length in a header block written by tower-lsp-server (`Content-Length: N`
/// and an empty line).
pub fn content_length(head: &[u8]) -> Option<usize> {
    head.split(|&b| b == b'\n').find_map(|line| {
        match parse_header(line.strip_suffix(b"\r").unwrap_or(line))? {
            Header::Length(length) => length.ok(),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PING: &str = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;

    fn framed(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// Everything read from `input`, and the problems logged on the way.
    fn read_all_with(mut reader: FrameReader<&[u8]>) -> (Vec<Incoming>, Vec<String>) {
        let mut found = Vec::new();
        while let Some(incoming) = reader.next().unwrap() {
            found.push(incoming);
        }
        (found, reader.take_problems())
    }

    fn read_all(input: &[u8]) -> (Vec<Incoming>, Vec<String>) {
        read_all_with(FrameReader::new(input))
    }

    fn message(body: &str) -> Incoming {
        Incoming::Message(body.as_bytes().to_vec())
    }

    /// The (code, id) of each error response in a rejection.
    fn errors(incoming: &Incoming) -> Vec<(i64, Value)> {
        let Incoming::Rejected(replies) = incoming else {
            panic!("not rejected: {incoming:?}");
        };
        replies
            .iter()
            .map(|r| {
                let r: Value = serde_json::from_slice(r).unwrap();
                assert_eq!(r["jsonrpc"], "2.0");
                (r["error"]["code"].as_i64().unwrap(), r["id"].clone())
            })
            .collect()
    }

    /// Reads `bad` followed by a valid frame: one rejection, then the frame.
    fn rejected_then_ping(bad: &[u8]) -> Vec<(i64, Value)> {
        let mut input = bad.to_vec();
        input.extend_from_slice(framed(PING).as_bytes());
        let (found, problems) = read_all(&input);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1], message(PING));
        assert!(!problems.is_empty());
        errors(&found[0])
    }

    #[test]
    fn well_formed_frames_pass_through_unchanged() {
        let input =
            framed(PING) + &framed(r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#);
        let (found, problems) = read_all(input.as_bytes());
        assert_eq!(found.len(), 2);
        assert_eq!(found[0], message(PING));
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn header_names_ignore_case_and_any_utf8_or_charsetless_content_type_is_accepted() {
        for content_type in [
            "",
            "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n",
            "content-type: application/vscode-jsonrpc\r\n",
            "CONTENT-TYPE: application/json; charset=\"UTF8\"\r\n",
            "X-Other: whatever\r\n",
        ] {
            let input = format!("content-length: {}\r\n{content_type}\r\n{PING}", PING.len());
            let (found, problems) = read_all(input.as_bytes());
            assert_eq!(found, [message(PING)], "{content_type}");
            assert!(problems.is_empty(), "{content_type}: {problems:?}");
        }
    }

    #[test]
    fn a_charset_other_than_utf8_is_a_parse_error_with_the_id() {
        let bad = format!(
            "Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=latin1\r\n\r\n{}",
            PING.len(),
            PING.replace("1", "7")
        );
        assert_eq!(rejected_then_ping(bad.as_bytes()), [(-32700, json!(7))]);
    }

    #[test]
    fn json_that_is_no_jsonrpc_message_is_an_invalid_request() {
        assert_eq!(
            rejected_then_ping(framed("{}").as_bytes()),
            [(-32600, Value::Null)]
        );
        let wrong_version = r#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#;
        assert_eq!(
            rejected_then_ping(framed(wrong_version).as_bytes()),
            [(-32600, json!("a"))]
        );
        // tower-lsp-server's ids are integers or strings: a fractional one cannot be echoed.
        let fractional = r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#;
        assert_eq!(
            rejected_then_ping(framed(fractional).as_bytes()),
            [(-32600, Value::Null)]
        );
    }

    #[test]
    fn invalid_json_is_a_parse_error_with_the_id_when_it_comes_first() {
        let truncated = r#"{"jsonrpc":"2.0","id":42,"method":"textDocument/hover","params":{"#;
        assert_eq!(
            rejected_then_ping(framed(truncated).as_bytes()),
            [(-32700, json!(42))]
        );
        let nonsense = "{\"params\": {\"a\": [1, \"}\"]}, \"id\": \"x\", oops";
        assert_eq!(
            rejected_then_ping(framed(nonsense).as_bytes()),
            [(-32700, json!("x"))]
        );
        assert_eq!(
            rejected_then_ping(framed("not json").as_bytes()),
            [(-32700, Value::Null)]
        );
        assert_eq!(
            rejected_then_ping(framed("").as_bytes()),
            [(-32700, Value::Null)]
        );
    }

    #[test]
    fn a_batch_is_answered_for_each_member_with_an_id() {
        let batch = format!(
            "[{PING}, {{\"jsonrpc\":\"2.0\",\"method\":\"n\"}}, {}]",
            PING.replace("1", "2")
        );
        assert_eq!(
            rejected_then_ping(framed(&batch).as_bytes()),
            [(-32600, json!(1)), (-32600, json!(2))]
        );
        assert_eq!(
            rejected_then_ping(framed("[]").as_bytes()),
            [(-32600, Value::Null)]
        );
    }

    #[test]
    fn invalid_utf8_is_a_parse_error_with_the_id() {
        let mut body = br#"{"jsonrpc":"2.0","id":3,"method":"x","params":{"text":""#.to_vec();
        body.extend_from_slice(&[0xff, 0xfe]);
        body.extend_from_slice(br#""}}"#);
        let mut bad = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        bad.extend_from_slice(&body);
        assert_eq!(rejected_then_ping(&bad), [(-32700, json!(3))]);
    }

    #[test]
    fn nesting_past_the_parser_limit_is_a_parse_error_with_the_id() {
        let deep = format!(
            r#"{{"jsonrpc":"2.0","id":5,"method":"x","params":{}{}}}"#,
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        assert_eq!(
            rejected_then_ping(framed(&deep).as_bytes()),
            [(-32700, json!(5))]
        );
    }

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let change = |text: &str| {
            format!(
                r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{{"text":"{text}"}}}}"#
            )
        };
        let (found, problems) = read_all(framed(&change(r"\ud83d")).as_bytes());
        assert_eq!(found, [message(&change(r"\uFFFD"))]);
        assert!(problems.is_empty());
        for (text, expected) in [
            // A pair, an escaped backslash before `ud83d`, a low half alone, two highs.
            (r"\ud83d\ude80", r"\ud83d\ude80"),
            (r"\\ud83d", r"\\ud83d"),
            (r"a\udE80b", r"a\uFFFDb"),
            (r"\uD83D\uD83D\uDE80", r"\uFFFD\uD83D\uDE80"),
            (r"\ud83d\n", r"\uFFFD\n"),
            (r"\u00e9\ud83d", r"\u00e9\uFFFD"),
        ] {
            assert_eq!(replace_lone_surrogates(text), expected, "{text}");
        }
        let fixed: Vec<String> =
            serde_json::from_str(&replace_lone_surrogates(r#"["\ud83d", "\udc00"]"#)).unwrap();
        assert_eq!(fixed, ["\u{FFFD}", "\u{FFFD}"]);
    }

    #[test]
    fn garbage_between_frames_is_skipped_up_to_the_next_header() {
        let input = format!(
            "hello\r\n{}\r\n\r\nnot a header at all\r\n{}X-Only: header\r\n\r\n{}",
            framed(PING),
            framed(PING),
            framed(PING)
        );
        let (found, problems) = read_all(input.as_bytes());
        assert_eq!(found, [message(PING), message(PING), message(PING)]);
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn a_body_longer_than_its_length_resynchronises_at_the_next_header() {
        // The rest of the first body runs into the second frame's header on one line.
        let input = format!("Content-Length: 24\r\n\r\n{PING}{}", framed(PING));
        let (found, problems) = read_all(input.as_bytes());
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(errors(&found[0]), [(-32700, json!(1))]);
        assert_eq!(found[1], message(PING));
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn a_huge_line_without_line_end_is_skipped_in_bounded_memory() {
        let mut input = vec![b'x'; 3 << 20];
        input.extend_from_slice(framed(PING).as_bytes());
        let mut reader = FrameReader::new(&input[..]);
        assert_eq!(reader.next().unwrap(), Some(message(PING)));
        assert_eq!(reader.next().unwrap(), None);
        assert_eq!(
            reader.take_problems(),
            [format!(
                "skipped {} bytes that were not a message header",
                3 << 20
            )]
        );
    }

    #[test]
    fn headers_without_a_usable_length_are_skipped() {
        for bad in [
            "Content-Type: application/vscode-jsonrpc\r\n\r\n",
            "Content-Length: ten\r\n\r\n",
            "Content-Length: -1\r\n\r\n",
            "Content-Length: 99999999999999999999999\r\n\r\n",
            "Content-Length: 3\r\nContent-Length: 4\r\n\r\n",
        ] {
            let input = format!("{bad}{}", framed(PING));
            let (found, problems) = read_all(input.as_bytes());
            assert_eq!(found, [message(PING)], "{bad}");
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
        }
    }

    #[test]
    fn a_body_over_the_limit_is_discarded_and_answered_with_its_id() {
        let big = format!(
            r#"{{"jsonrpc":"2.0","id":9,"method":"x","params":"{}"}}"#,
            "a".repeat(1000)
        );
        let input = framed(&big) + &framed(PING);
        let (found, problems) = read_all_with(FrameReader::with_max_body(input.as_bytes(), 500));
        assert_eq!(found.len(), 2);
        assert_eq!(errors(&found[0]), [(-32600, json!(9))]);
        assert_eq!(found[1], message(PING));
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn the_stream_ending_inside_a_frame_is_the_end() {
        for cut in [
            "Content-Length: 100\r\n\r\n{\"jsonrpc\"",
            "Content-Length: 10\r\n",
            "garbage",
        ] {
            let input = framed(PING) + cut;
            let (found, problems) = read_all(input.as_bytes());
            assert_eq!(found, [message(PING)], "{cut}");
            assert_eq!(problems.len(), 1, "{cut}: {problems:?}");
        }
    }

    #[test]
    fn recover_id_reads_only_up_to_the_id() {
        assert_eq!(
            recover_id(br#"  {"a": {"id": 1}, "b": "\"id\"", "id" : -3, "#),
            json!(-3)
        );
        assert_eq!(recover_id(br#"{"id": null}"#), Value::Null);
        assert_eq!(recover_id(br#"{"id": "a\"b"}"#), json!("a\"b"));
        assert_eq!(recover_id(br#"{"id": true}"#), Value::Null);
        assert_eq!(recover_id(br#"{"method": "x""#), Value::Null);
        assert_eq!(recover_id(b"[1]"), Value::Null);
    }

    #[test]
    fn output_headers_give_their_length() {
        assert_eq!(content_length(b"Content-Length: 12\r\n\r\n"), Some(12));
        assert_eq!(
            content_length(b"Content-Type: x\r\ncontent-length: 3\r\n\r\n"),
            Some(3)
        );
        assert_eq!(content_length(b"\r\n"), None);
        assert_eq!(frame(b"{}"), b"Content-Length: 2\r\n\r\n{}");
    }
}
