//! The text of a document as an LSP client keeps it: lines end at `\n`, `\r\n` or a lone
//! `\r` (the LSP specification, and YAML 1.2's line breaks), positions count UTF-16 code
//! units. Written independently of the server's own conversions, so that the two can be
//! compared.

use serde_json::Value;

/// Byte offsets where lines start.
pub fn line_starts(text: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\r' if text.get(i + 1) == Some(&b'\n') => {
                starts.push(i + 2);
                i += 2;
            }
            b'\r' | b'\n' => {
                starts.push(i + 1);
                i += 1;
            }
            _ => i += 1,
        }
    }
    starts
}

/// Whether a `\r` not followed by `\n` appears.
pub fn has_lone_cr(text: &[u8]) -> bool {
    text.iter()
        .enumerate()
        .any(|(i, &b)| b == b'\r' && text.get(i + 1) != Some(&b'\n'))
}

/// The 1-based line and 1-based column in characters of a byte offset (what `check`
/// reports), given the text's [`line_starts`]; an offset inside a line break counts as the
/// end of that line.
pub fn line_column(text: &str, starts: &[usize], offset: usize) -> (usize, usize) {
    let line = starts.partition_point(|&s| s <= offset) - 1;
    let end = content_end(text.as_bytes(), starts, line);
    let column = text[starts[line]..offset.min(end)].chars().count();
    (line + 1, column + 1)
}

/// Where the content of `line` ends, before its line break.
fn content_end(text: &[u8], starts: &[usize], line: usize) -> usize {
    let Some(&next) = starts.get(line + 1) else {
        return text.len();
    };
    if next >= 2 && text[next - 2] == b'\r' && text[next - 1] == b'\n' {
        next - 2
    } else {
        next - 1
    }
}

/// An open document's text, with its line index.
pub struct Doc {
    pub text: String,
    starts: Vec<usize>,
}

impl Doc {
    pub fn new(text: String) -> Doc {
        let starts = line_starts(text.as_bytes());
        Doc { text, starts }
    }

    pub fn lines(&self) -> usize {
        self.starts.len()
    }

    fn line_text(&self, line: usize) -> &str {
        &self.text[self.starts[line]..content_end(self.text.as_bytes(), &self.starts, line)]
    }

    /// The length of a line's content in UTF-16 code units (0 past the last line).
    pub fn line_units(&self, line: usize) -> usize {
        if line >= self.lines() {
            return 0;
        }
        self.line_text(line).encode_utf16().count()
    }

    /// Columns (in UTF-16 units) that fall inside a surrogate pair on this line.
    pub fn split_surrogates(&self, line: usize) -> Vec<usize> {
        if line >= self.lines() {
            return Vec::new();
        }
        let mut at = 0;
        let mut out = Vec::new();
        for c in self.line_text(line).chars() {
            if c.len_utf16() == 2 {
                out.push(at + 1);
            }
            at += c.len_utf16();
        }
        out
    }

    /// The byte offset of a position, clamped as editors do: past the end of a line is its
    /// end, past the last line is the end of the text, half a surrogate pair is the start
    /// of its character.
    pub fn offset(&self, line: u64, character: u64) -> usize {
        let line = line as usize;
        if line >= self.lines() {
            return self.text.len();
        }
        let start = self.starts[line];
        let mut units = 0u64;
        let mut at = start;
        for c in self.line_text(line).chars() {
            let width = c.len_utf16() as u64;
            if units + width > character {
                break;
            }
            units += width;
            at += c.len_utf8();
        }
        at
    }

    /// Applies one `TextDocumentContentChangeEvent`.
    pub fn apply(&mut self, change: &Value) {
        let new = change["text"].as_str().expect("change text");
        match change.get("range") {
            Some(range) => {
                let at = |p: &Value| {
                    self.offset(
                        p["line"].as_u64().unwrap(),
                        p["character"].as_u64().unwrap(),
                    )
                };
                let start = at(&range["start"]);
                let end = at(&range["end"]).max(start);
                self.text.replace_range(start..end, new);
            }
            None => self.text = new.to_string(),
        }
        self.starts = line_starts(self.text.as_bytes());
    }

    /// Why a position the server sent is not a position of this text, if it is not.
    fn position_problem(&self, p: &Value) -> Option<String> {
        let (Some(line), Some(character)) = (p["line"].as_u64(), p["character"].as_u64()) else {
            return Some(format!("not a position: {p}"));
        };
        let line = line as usize;
        let character = character as usize;
        if line >= self.lines() {
            return Some(format!(
                "line {line} past the last line ({})",
                self.lines() - 1
            ));
        }
        let len = self.line_units(line);
        if character > len {
            return Some(format!(
                "character {character} past the end of line {line} ({len} UTF-16 units)"
            ));
        }
        if self.split_surrogates(line).contains(&character) {
            return Some(format!(
                "character {character} of line {line} splits a surrogate pair"
            ));
        }
        None
    }

    /// Problems with the ranges in a server's answer about the document `uri`: every
    /// `{start, end}` range and every folding range's lines must lie inside this text,
    /// start before end. Locations in other documents (a template's) are not looked at.
    pub fn range_problems(&self, value: &Value, uri: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(map) => {
                    let elsewhere = ["uri", "targetUri"].iter().any(|k| {
                        map.get(*k)
                            .and_then(Value::as_str)
                            .is_some_and(|u| u != uri)
                    });
                    if elsewhere {
                        continue;
                    }
                    if let (Some(start), Some(end)) = (map.get("start"), map.get("end")) {
                        if start.get("line").is_some() {
                            for p in [start, end] {
                                out.extend(self.position_problem(p));
                            }
                            let key = |p: &Value| (p["line"].as_u64(), p["character"].as_u64());
                            if key(start) > key(end) {
                                out.push(format!("range ends before it starts: {v}"));
                            }
                        }
                    }
                    if let (Some(s), Some(e)) = (map.get("startLine"), map.get("endLine")) {
                        let (s, e) = (s.as_u64().unwrap_or(0), e.as_u64().unwrap_or(0));
                        if s > e || e as usize >= self.lines() {
                            out.push(format!(
                                "folding range {s}..{e} outside lines 0..{}",
                                self.lines() - 1
                            ));
                        }
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
        out
    }
}
