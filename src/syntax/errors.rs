//! What the tree's syntax errors mean, in words a person understands.
//!
//! tree-sitter-yaml marks broken text with `ERROR` (and rarely `MISSING`) nodes, but where
//! it puts them says little: an unclosed quote is a small local error, while a tab after
//! `-` or a `key:value` line turns the whole text before it into one `ERROR` node and
//! drops the rest of the file from the tree. So the tree only says *that* and roughly
//! *where* the parser gave up; the diagnosis reads the few lines around that point and
//! names the first offending token: the tab, the opening quote or bracket, the colon
//! without a space, the `-` at the wrong indentation.
//!
//! Each error also has a *region*: the text it makes unreadable (from the offending token
//! to the end of its line, or, for a quote or bracket that never closes, to the end of the
//! lines more indented than the line that opened it, which YAML reads as its
//! continuation). Other findings inside a region are about garbage and are dropped; the
//! rest of the document keeps its findings.
//!
//! Everything here is bounded: sites come from one walk that only descends into nodes with
//! errors, each diagnosis reads a window of at most [`LOOK_BACK`] lines, and a site inside
//! an earlier region is skipped (one broken region, one error).

use crate::text::Span;
use ropey::Rope;
use tree_sitter::{Node, Tree};

/// One syntax error, diagnosed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// The first offending token: what the diagnostic underlines.
    pub span: Span,
    /// The text this error makes unreadable, `span` included.
    pub region: Span,
    /// What is wrong and what to do, lowercase, without the rule id.
    pub message: String,
}

/// How many lines above the point where the parser gave up the diagnosis reads.
const LOOK_BACK: usize = 64;

/// Where the tree shows a problem.
#[derive(Clone, Copy, Debug)]
enum Site {
    /// An `ERROR` node inside a mapping or sequence: its text starts with the culprit.
    Local { start: usize },
    /// An `ERROR` node at the top of a document, or the text the tree left out: the
    /// parser gave up at (or just before) `stop`.
    Stop { start: usize, stop: usize },
}

/// Every syntax error of the tree, in document order, one per broken region.
pub fn errors(rope: &Rope, tree: &Tree) -> Vec<SyntaxError> {
    let root = tree.root_node();
    if !root.has_error() && root.end_byte() >= content_end(rope) {
        return Vec::new();
    }
    let sites = sites(rope, root);
    let mut out: Vec<SyntaxError> = Vec::new();
    let mut accepted: Vec<Span> = Vec::new();
    for site in sites {
        let probe = match site {
            Site::Local { start, .. } => start,
            Site::Stop { stop, .. } => stop,
        };
        // A site inside an earlier region is that error's cascade.
        if out.iter().any(|e| e.region.contains(&probe))
            || accepted.iter().any(|r| r.contains(&probe))
        {
            continue;
        }
        let error = diagnose(rope, site);
        if error.message.is_empty() {
            // Text the service reads although the grammar doesn't: no error, and the
            // sites inside it are its cascade.
            accepted.push(error.region);
            continue;
        }
        if out
            .iter()
            .any(|e| e.region.contains(&error.span.start) || e.span == error.span)
        {
            continue;
        }
        out.push(error);
    }
    out.sort_by_key(|e| e.span.start);
    out
}

/// The end of the text without trailing blanks and comments: a tree that stops before it
/// left something out.
fn content_end(rope: &Rope) -> usize {
    let mut line = rope.len_lines();
    while line > 0 {
        line -= 1;
        let text = line_text(rope, line);
        let body = text.trim_start_matches('\u{feff}').trim();
        if !body.is_empty() && !body.starts_with('#') {
            return rope.line_to_byte(line) + text.trim_end().len();
        }
    }
    0
}

/// The error sites, in document order: one walk that descends only into nodes holding
/// an error (a cursor and no recursion), plus the text after the tree's end.
fn sites(rope: &Rope, root: Node) -> Vec<Site> {
    let mut sites = Vec::new();
    super::preorder(root, Vec::new(), |node, ancestors| {
        // The root, a child of the stream, or a child of a document: at the top.
        let at_top = ancestors.len() <= 2;
        if node.is_error() {
            let range = node.byte_range();
            sites.push(if at_top {
                Site::Stop {
                    start: range.start,
                    stop: next_content(rope, range.end).unwrap_or(range.end),
                }
            } else {
                Site::Local { start: range.start }
            });
            false
        } else if node.is_missing() {
            let at = node.start_byte();
            sites.push(Site::Stop {
                start: at,
                stop: next_content(rope, at).unwrap_or(at),
            });
            false
        } else {
            node.has_error()
        }
    });
    // The text after the tree's end: where the parser gave up, unless an error at the top
    // already says so (it then ends where the tree does).
    let end = root.end_byte();
    if end < content_end(rope)
        && let Some(stop) = next_content(rope, end)
        && !sites
            .iter()
            .any(|s| matches!(s, Site::Stop { stop: at, .. } if *at == stop))
    {
        sites.push(Site::Stop { start: end, stop });
    }
    sites
}

/// The first byte at or after `at` that is not blank or part of a comment.
fn next_content(rope: &Rope, at: usize) -> Option<usize> {
    let len = rope.len_bytes();
    let mut line = rope.byte_to_line(at.min(len));
    let mut from = at;
    while line < rope.len_lines() {
        let start = rope.line_to_byte(line);
        let text = line_text(rope, line);
        let skip = from.saturating_sub(start).min(text.len());
        let rest = &text[skip..];
        let trimmed = rest.trim_start_matches([' ', '\t', '\u{feff}']);
        if !trimmed.is_empty() && !trimmed.starts_with('#') {
            return Some(start + skip + (rest.len() - trimmed.len()));
        }
        line += 1;
        from = 0;
    }
    None
}

/// A line's text without its line break.
fn line_text(rope: &Rope, line: usize) -> String {
    let mut text = super::slice_text(rope.line(line)).into_owned();
    while text.ends_with(['\n', '\r']) {
        text.pop();
    }
    text
}

/// What the diagnosis needs to know of a line.
struct Line {
    number: usize,
    start: usize,
    text: String,
    /// Leading spaces (a BOM counts as nothing).
    indent: usize,
    /// Where the content starts after the indentation and any `- ` indicators: the
    /// column keys of a mapping on this line start at.
    content: usize,
    /// Starts with a `-` item indicator.
    dash: bool,
    /// Blank or a comment.
    empty: bool,
}

impl Line {
    fn read(rope: &Rope, number: usize) -> Line {
        let text = line_text(rope, number);
        let bytes = text.as_bytes();
        let mut i = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let bom = i;
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        let indent = i - bom;
        let mut content = i;
        let mut dash = false;
        while bytes.get(content) == Some(&b'-')
            && matches!(bytes.get(content + 1), None | Some(b' ' | b'\t'))
        {
            dash = true;
            content += 1;
            while matches!(bytes.get(content), Some(b' ' | b'\t')) {
                content += 1;
            }
        }
        let body = text[i..].trim();
        Line {
            number,
            start: rope.line_to_byte(number),
            empty: body.is_empty() || body.starts_with('#'),
            text,
            indent,
            content: content - bom,
            dash,
        }
    }

    fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// The text after the indentation and `- ` indicators.
    fn body(&self) -> &str {
        let bom = if self.text.starts_with('\u{feff}') {
            3
        } else {
            0
        };
        &self.text[(self.content + bom).min(self.text.len())..]
    }

    fn body_start(&self) -> usize {
        self.end() - self.body().len()
    }

    /// The key this line starts with, when it is a `key:` or `key: value` line.
    fn key(&self) -> Option<&str> {
        let body = self.body();
        let colon = key_colon(body)?;
        Some(&body[..colon])
    }

    /// Whether a `key:` line has its value on the same line.
    fn has_inline_value(&self) -> bool {
        let body = self.body();
        key_colon(body).is_some_and(|c| {
            let rest = body[c + 1..].trim();
            !rest.is_empty() && !rest.starts_with('#')
        })
    }
}

/// Where the `:` of a leading plain or quoted key is (followed by a blank or the line end).
fn key_colon(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    if let Some(&q) = bytes.first()
        && (q == b'"' || q == b'\'')
    {
        i = closing_quote(body, 0)? + 1;
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
        return (bytes.get(i) == Some(&b':')
            && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')))
        .then_some(i);
    }
    if matches!(bytes.first(), None | Some(b'[' | b'{' | b'#' | b'|' | b'>')) {
        return None;
    }
    while i < bytes.len() {
        if bytes[i] == b':' && matches!(bytes.get(i + 1), None | Some(b' ' | b'\t')) {
            return Some(i);
        }
        if bytes[i] == b'#' && i > 0 && bytes[i - 1] == b' ' {
            return None;
        }
        i += 1;
    }
    None
}

/// The closing quote of the quoted scalar opening at `open` in `text`, on the same line.
fn closing_quote(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 1,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
            b if b == quote => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Is byte `i` of `text` where a value or key may start (so a quote or bracket there opens
/// a quoted scalar or a flow collection, not a character of plain text)?
fn token_start(text: &str, i: usize, content: usize) -> bool {
    if i <= content {
        return text[..i].trim_start_matches('\u{feff}').trim().is_empty() || i == content;
    }
    let before = text[..i].trim_end_matches(' ');
    if matches!(before.as_bytes().last(), Some(b'[' | b'{' | b',')) {
        return true;
    }
    before.len() < i
        && matches!(before.as_bytes().last(), Some(b':' | b'-' | b'?'))
        && (before.len() == 1
            || matches!(
                before.as_bytes()[before.len() - 2],
                b' ' | b'\t' | b'"' | b'\''
            )
            || before.ends_with(':'))
}

fn diagnose(rope: &Rope, site: Site) -> SyntaxError {
    let (start, stop) = match site {
        Site::Local { start, .. } => (start, start),
        Site::Stop { start, stop } => (start, stop),
    };
    let len = rope.len_bytes();
    let stop_line = rope.byte_to_line(stop.min(len));
    let first = rope
        .byte_to_line(start.min(len))
        .max(stop_line.saturating_sub(LOOK_BACK));
    // The lines from where the error starts (or a few above the stop) down to the stop,
    // the last few of which hold the culprit.
    let from = match site {
        Site::Local { .. } => stop_line,
        Site::Stop { .. } => first.max(stop_line.saturating_sub(2)),
    };
    let lines: Vec<Line> = (from..=stop_line.min(rope.len_lines().saturating_sub(1)))
        .map(|i| Line::read(rope, i))
        .collect();
    let context = || previous_lines(rope, stop_line, first);
    let found = tab(&lines)
        .or_else(|| unclosed(rope, &lines))
        .or_else(|| missing_space(&lines, stop))
        .or_else(|| colon_in_value(&lines, stop))
        .or_else(|| misplaced(&lines, stop, &context()));
    match found {
        Some(error) => error,
        None => fallback(rope, site, &context()),
    }
}

/// The content lines above `line`, nearest first, down to line `first` (at most
/// [`LOOK_BACK`]).
fn previous_lines(rope: &Rope, line: usize, first: usize) -> Vec<Line> {
    (first.min(line)..line)
        .rev()
        .take(LOOK_BACK)
        .map(|i| Line::read(rope, i))
        .filter(|l| !l.empty)
        .collect()
}

/// The end of the lines more indented than `column` after line `line` (blank lines
/// between them included): what YAML reads as the continuation of a quoted scalar or flow
/// collection opened on `line`.
fn continuation_end(rope: &Rope, line: &Line, column: usize) -> usize {
    let mut end = line.end();
    for i in line.number + 1..rope.len_lines().min(line.number + 1 + LOOK_BACK) {
        let next = Line::read(rope, i);
        if next.text.starts_with("---") || next.text.starts_with("...") {
            break;
        }
        if next.empty {
            continue;
        }
        if next.indent <= column {
            break;
        }
        end = next.end();
    }
    end
}

/// A tab where indentation goes: before a line's content, or after a `-`, `?` or `:`
/// indicator that starts it.
fn tab(lines: &[Line]) -> Option<SyntaxError> {
    for line in lines.iter().filter(|l| !l.empty) {
        let bytes = line.text.as_bytes();
        let mut i = if line.text.starts_with('\u{feff}') {
            3
        } else {
            0
        };
        loop {
            match bytes.get(i) {
                Some(b' ') => i += 1,
                Some(b'\t') => {
                    let at = line.start + i;
                    return Some(SyntaxError {
                        span: at..at + 1,
                        region: at..line.end(),
                        message: "tab character used for indentation (YAML allows only \
                                  spaces); replace it with spaces"
                            .to_string(),
                    });
                }
                Some(b'-' | b'?' | b':') if matches!(bytes.get(i + 1), Some(b' ' | b'\t')) => {
                    i += 1
                }
                _ => break,
            }
        }
    }
    None
}

/// A quote or a flow bracket that never closes, or text after a closing quote.
fn unclosed(rope: &Rope, lines: &[Line]) -> Option<SyntaxError> {
    for line in lines.iter().filter(|l| !l.empty) {
        let text = line.text.as_str();
        let bytes = text.as_bytes();
        let mut stack: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let opens = matches!(b, b'"' | b'\'' | b'[' | b'{')
                && (!stack.is_empty() || token_start(text, i, line.content));
            if b == b'#' && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t')) && !stack.is_empty() {
                break;
            }
            if opens && (b == b'"' || b == b'\'') {
                match closing_quote(text, i) {
                    Some(close) => {
                        if let Some(error) = after_quote(line, i, close, !stack.is_empty()) {
                            return Some(error);
                        }
                        i = close + 1;
                        continue;
                    }
                    None => {
                        // Quoted scalars may go on over more indented lines: closed there,
                        // the quote is not the problem.
                        let end = continuation_end(rope, line, line.content);
                        let rest = rope.byte_slice(line.end()..end).to_string();
                        if rest.contains(b as char) {
                            return None;
                        }
                        let at = line.start + i;
                        // Closed on lines indented like the key: the YAML spec wants them
                        // deeper, and so does the grammar, but Azure Pipelines' parser
                        // (like most) reads them, so the file is fine where it matters.
                        let lenient = continuation_end(rope, line, line.content.saturating_sub(1));
                        if rope
                            .byte_slice(line.end()..lenient)
                            .chars()
                            .any(|c| c == b as char)
                        {
                            return Some(accepted(at..lenient));
                        }
                        let (what, how) = if b == b'"' {
                            ("double", "add the closing `\"`")
                        } else {
                            (
                                "single",
                                "add the closing `'` (write `''` for a quote inside)",
                            )
                        };
                        return Some(SyntaxError {
                            span: at..at + 1,
                            region: at..end,
                            message: format!("unclosed {what} quote; {how}"),
                        });
                    }
                }
            }
            if opens {
                stack.push(i);
            } else if !stack.is_empty() && matches!(b, b']' | b'}') {
                let open = stack.pop().unwrap_or(i);
                let expected = if bytes[open] == b'[' { b']' } else { b'}' };
                if b != expected {
                    return Some(unclosed_flow(rope, line, open));
                }
            }
            i += 1;
        }
        if let Some(&open) = stack.last() {
            // Flow collections may go on over more indented lines.
            let end = continuation_end(rope, line, line.content);
            let rest = rope.byte_slice(line.end()..end).to_string();
            let closer = if bytes[open] == b'[' { ']' } else { '}' };
            if !rest.contains(closer) {
                return Some(unclosed_flow(rope, line, open));
            }
        }
    }
    None
}

/// Text that is valid for Azure Pipelines although the grammar reports an error in it:
/// marked by an empty message, never reported.
fn accepted(region: Span) -> SyntaxError {
    SyntaxError {
        span: region.start..region.start,
        region,
        message: String::new(),
    }
}

fn unclosed_flow(rope: &Rope, line: &Line, open: usize) -> SyntaxError {
    let at = line.start + open;
    let (what, bracket, closer) = if line.text.as_bytes()[open] == b'[' {
        ("sequence", '[', ']')
    } else {
        ("mapping", '{', '}')
    };
    SyntaxError {
        span: at..at + 1,
        region: at..continuation_end(rope, line, line.content),
        message: format!("unclosed flow {what} `{bracket}`; add the closing `{closer}`"),
    }
}

/// Text after the closing quote of a quoted scalar (`"a" b`, `'it's'`), where only a
/// `:` (for a key), a comment, or (in a flow collection) `,` `]` `}` may follow.
fn after_quote(line: &Line, open: usize, close: usize, in_flow: bool) -> Option<SyntaxError> {
    let text = &line.text;
    let rest = &text[close + 1..];
    let gap = rest.len() - rest.trim_start().len();
    let rest = rest.trim_start();
    let fine = rest.is_empty()
        || rest.starts_with(':')
        || (gap > 0 && rest.starts_with('#'))
        || (in_flow && rest.starts_with([',', ']', '}']));
    if fine {
        return None;
    }
    let at = line.start + close + 1 + gap;
    let end = at + rest.split([' ', '\t']).next().map_or(1, str::len).max(1);
    let advice = if text.as_bytes()[open] == b'\'' {
        "quote the whole value, writing `''` for a `'` inside it"
    } else {
        "quote the whole value, writing `\\\"` for a `\"` inside it"
    };
    Some(SyntaxError {
        span: at..end,
        region: line.start + open..line.end(),
        message: format!("text after the closing quote; {advice}"),
    })
}

/// A `key:value` line (no space after the colon), which YAML reads as one plain text that
/// the next line then continues: the parser gives up on that line or the next.
fn missing_space(lines: &[Line], stop: usize) -> Option<SyntaxError> {
    for line in lines.iter().filter(|l| !l.empty) {
        if line.start > stop {
            break;
        }
        let body = line.body();
        if key_colon(body).is_some() || body.starts_with(['"', '\'', '[', '{', '|', '>', '#']) {
            continue;
        }
        let Some(colon) = body.find(':') else {
            continue;
        };
        let (key, value) = (&body[..colon], &body[colon + 1..]);
        let keyish = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$' | '(' | ')'));
        if !keyish || value.is_empty() || value.starts_with(':') {
            continue;
        }
        let at = line.body_start() + colon;
        return Some(SyntaxError {
            span: at..at + 1,
            region: line.body_start()..line.end(),
            message: format!(
                "key and value on one line need `: `; write \"{key}: {}\"",
                value.trim_end()
            ),
        });
    }
    None
}

/// A second `: ` on a `key: value` line: the value would be a mapping, which YAML does not
/// allow on the key's line.
fn colon_in_value(lines: &[Line], stop: usize) -> Option<SyntaxError> {
    let line = lines
        .iter()
        .rev()
        .find(|l| l.start <= stop && stop < l.end())?;
    let body_start = line.body_start();
    let colon = key_colon(line.body())?;
    let at = *line.text.as_bytes().get(stop - line.start)?;
    if at != b':' || stop <= body_start + colon {
        return None;
    }
    Some(SyntaxError {
        span: stop..stop + 1,
        region: body_start..line.end(),
        message: "`: ` inside a value starts a nested mapping, which YAML does not allow \
                  on the key's line; quote the value"
            .to_string(),
    })
}

/// A line at an indentation that fits nothing above it: a `-` item deeper than its
/// siblings, a `-` item among `key:` lines (or the other way round), or a line indented
/// under a key whose value is already on its line.
fn misplaced(lines: &[Line], stop: usize, above: &[Line]) -> Option<SyntaxError> {
    let line = lines.iter().rev().find(|l| l.start <= stop && !l.empty)?;
    let prev = above.first()?;
    let region = line.start + line.indent..line.end();
    let at = line.start + line.indent;
    let error = |span: Span, message: &str| SyntaxError {
        span,
        region: region.clone(),
        message: message.to_string(),
    };
    let opens_block = (prev.key().is_some() && !prev.has_inline_value()) || prev.body().is_empty();
    if line.dash {
        if opens_block && line.indent > prev.indent {
            return None;
        }
        // A `-` deeper than an item above it whose content it cannot continue.
        let sibling = above
            .iter()
            .take_while(|l| l.indent < line.indent || l.dash)
            .find(|l| l.dash && l.indent < line.indent);
        if sibling.is_some() && line.indent > prev.indent.min(prev.content) {
            return Some(error(
                at..at + 1,
                "`-` item at a deeper indentation than its siblings; align it with the `-` above",
            ));
        }
        if prev.key().is_some() && prev.content == line.indent {
            return Some(error(
                at..at + 1,
                "`-` item among `key: value` pairs at the same indentation; indent the list \
                 under a key that ends with `:`",
            ));
        }
        return None;
    }
    let key = line.key()?;
    let key_span = at..at + key.len().max(1);
    if prev.dash && prev.indent == line.indent {
        return Some(error(
            key_span,
            "`key: value` pair among `-` items at the same indentation; make it an item \
             (`- `) or move it out of the list",
        ));
    }
    if line.indent > prev.content && prev.has_inline_value() {
        let owner = prev.key().unwrap_or_default();
        return Some(SyntaxError {
            span: key_span,
            region,
            message: format!(
                "this key is indented deeper than \"{owner}\" above it, whose value is \
                 already on its line; align it with \"{owner}\""
            ),
        });
    }
    if line.indent < prev.content {
        // Outdented: it must line up with some level above.
        let mut level = prev.content;
        for l in above {
            if l.content.min(l.indent) < level {
                level = l.indent;
                if l.content == line.indent || l.indent == line.indent {
                    return None;
                }
                if l.indent < line.indent {
                    break;
                }
            }
        }
        return Some(error(
            key_span,
            "this line's indentation matches no level above it; align it with the keys it \
             belongs with",
        ));
    }
    None
}

/// When no particular mistake is recognised: what was expected at the token where the
/// parser gave up.
fn fallback(rope: &Rope, site: Site, above: &[Line]) -> SyntaxError {
    let at = match site {
        Site::Local { start, .. } => next_content(rope, start).unwrap_or(start),
        Site::Stop { stop, .. } => stop,
    };
    let len = rope.len_bytes();
    let line = Line::read(rope, rope.byte_to_line(at.min(len)));
    let offset = (at - line.start).min(line.text.len());
    let token: String = line.text[offset..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .take(40)
        .collect();
    let span = if token.is_empty() {
        // At the end of the text: the last character.
        let end = at.min(len);
        let start = crate::text::floor_char_boundary(rope, end.saturating_sub(1));
        start..end
    } else {
        at..at + token.len()
    };
    let expected = match above.iter().find(|l| l.indent <= line.indent) {
        Some(l) if l.dash && l.indent == line.indent => "a `- ` item like the line above",
        Some(l) if l.key().is_some() && l.content == line.content => {
            "a `key: value` pair like the line above"
        }
        _ => "a `key: value` pair or a `- ` item",
    };
    let what = if token.is_empty() {
        "the text ends here".to_string()
    } else {
        format!("\"{token}\" is out of place")
    };
    SyntaxError {
        span,
        region: at.min(len)..line.end().max(at.min(len)),
        message: format!("this line is not valid YAML: {what}; expected {expected}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Document;

    /// The underlined text and the message of each error.
    fn diagnosed(text: &str) -> Vec<(String, String)> {
        let doc = Document::new(text, 0);
        errors(doc.rope(), doc.tree())
            .into_iter()
            .map(|e| (text[e.span].to_string(), e.message))
            .collect()
    }

    fn one(text: &str) -> (String, String) {
        let all = diagnosed(text);
        assert_eq!(all.len(), 1, "{text:?}: {all:#?}");
        all.into_iter().next().unwrap()
    }

    #[test]
    fn valid_yaml_has_no_errors() {
        for text in [
            "steps:\n- task: A@1\n",
            "\u{feff}steps:\r\n- task: A@1\r\n",
            "a: b\n---\nc: d\n",
            "steps:\n- { task: A@1, inputs: {a: b} }\n",
            "steps:\n- ${{ if eq(a, b) }}:\n  - task: A@1\n",
            "pool:ubuntu\n",
            "- task:A@1\n",
            "a: echo [\n",
            "",
            "# only a comment\n",
        ] {
            assert_eq!(diagnosed(text), [], "{text:?}");
        }
    }

    #[test]
    fn unclosed_quotes_point_at_the_opening_quote() {
        let (token, message) = one("steps:\n- script: \"echo hi\n- task: B@1\n");
        assert_eq!(
            (token.as_str(), message.starts_with("unclosed double quote")),
            ("\"", true)
        );
        let (token, message) = one("steps:\n- script: 'echo hi\n- task: B@1\n");
        assert_eq!(
            (token.as_str(), message.starts_with("unclosed single quote")),
            ("'", true)
        );
        let (_, message) = one("a: \"b");
        assert!(message.starts_with("unclosed double quote"), "{message}");
    }

    #[test]
    fn tabs_point_at_the_tab() {
        for text in [
            "steps:\n-\ttask: AzureFileCopy@4\n",
            "steps:\n\t- task: A@1\n- task: B@1\n",
            "steps:\n- task: A@1\n  inputs:\n  \ta: b\n",
            "key: value\n\tother: x\n",
        ] {
            let (token, message) = one(text);
            assert_eq!(token, "\t", "{text:?}");
            assert!(
                message.starts_with("tab character used for indentation"),
                "{message}"
            );
        }
    }

    #[test]
    fn unclosed_flow_collections_point_at_the_bracket() {
        let (token, message) = one("steps:\n- task: A@1\n  inputs: [a, b\n- task: B@1\n");
        assert_eq!(token, "[");
        assert!(
            message.starts_with("unclosed flow sequence `[`"),
            "{message}"
        );
        let (token, message) = one("a: {b: c");
        assert_eq!(token, "{");
        assert!(
            message.starts_with("unclosed flow mapping `{`"),
            "{message}"
        );
        let (token, _) = one("a: [b, {c: d]\n");
        assert_eq!(token, "{");
    }

    #[test]
    fn key_value_without_space_is_named_where_it_breaks_the_file() {
        let (token, message) = one("pool:ubuntu\nsteps:\n- script: x\n");
        assert_eq!(token, ":");
        assert!(message.contains("\"pool: ubuntu\""), "{message}");
        let (_, message) = one("steps:\n- task: A@1\n  inputs:\n    a:b\n    c: d\n");
        assert!(message.contains("\"a: b\""), "{message}");
    }

    #[test]
    fn misplaced_items_and_keys() {
        let (token, message) = one("steps:\n- task: A@1\n  - task: B@1\n- task: C@1\n");
        assert_eq!(token, "-");
        assert!(
            message.starts_with("`-` item at a deeper indentation"),
            "{message}"
        );
        let (_, message) = one("steps:\n- task: A@1\n    - task: B@1\n- task: C@1\n");
        assert!(
            message.starts_with("`-` item at a deeper indentation"),
            "{message}"
        );
        let (_, message) = one("a: b\n- c\n");
        assert!(
            message.starts_with("`-` item among `key: value` pairs"),
            "{message}"
        );
        let (token, message) = one("- a\nb: c\n");
        assert_eq!(token, "b");
        assert!(
            message.starts_with("`key: value` pair among `-` items"),
            "{message}"
        );
        let (token, message) = one("steps:\n- task: A@1\n   displayName: x\n");
        assert_eq!(token, "displayName");
        assert!(message.contains("deeper than \"task\""), "{message}");
        let (token, message) = one("a:\n  b: c\n d: e\n");
        assert_eq!(token, "d");
        assert!(message.contains("matches no level"), "{message}");
    }

    #[test]
    fn text_after_a_closing_quote() {
        let (token, message) = one("a: 'it's'\n");
        assert_eq!(token, "s'");
        assert!(
            message.starts_with("text after the closing quote"),
            "{message}"
        );
        let (token, _) = one("steps:\n- script: \"a\" b\n- task: B@1\n");
        assert_eq!(token, "b");
    }

    #[test]
    fn half_typed_keys_fall_back_to_what_was_expected() {
        let (token, message) = one("steps:\n- task: A@1\n  inp\n- task: B@1\n");
        assert_eq!(token, "inp");
        assert!(
            message.starts_with("this line is not valid YAML"),
            "{message}"
        );
    }

    #[test]
    fn a_colon_inside_a_value() {
        let (token, message) = one("a: b: c\n");
        assert_eq!(token, ":");
        assert!(message.contains("quote the value"), "{message}");
    }

    #[test]
    fn documents_after_a_broken_one_are_not_blamed() {
        let all = diagnosed("---\nsteps:\n- task: 'A@1\n---\nsteps:\n- task: B@1\n");
        assert_eq!(all.len(), 1, "{all:#?}");
        assert!(all[0].1.starts_with("unclosed single quote"));
    }

    #[test]
    fn quotes_closed_on_lines_indented_like_their_key_are_accepted() {
        // Strict YAML wants the continuation lines deeper than the key; Azure Pipelines
        // reads them anyway (a real pipeline of the corpus does this).
        let text = "variables:\n  a: '\n  \"x\":\"y\",\n  \"z\":\"w\"'\n  b: c\n";
        assert_eq!(diagnosed(text), []);
    }

    #[test]
    fn bom_and_crlf_keep_exact_spans() {
        let (token, message) = one("\u{feff}steps:\r\n- task: \"A@1\r\n- task: B@1\r\n");
        assert_eq!(token, "\"");
        assert!(message.starts_with("unclosed double quote"));
    }
}
