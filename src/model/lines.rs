//! Reading YAML structure line by line, for the parts of a document the syntax tree lost
//! (tree-sitter-yaml sometimes turns a whole file into one `ERROR` node, or drops the rest
//! of it, because of one half-typed line), and small tree helpers the outline and the
//! folding share.

use crate::text::Span;
use ropey::Rope;
use tree_sitter::Node;

/// One line of the document, as indentation-based reading sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// Byte offset of the line's start.
    pub start: usize,
    /// Byte offset after the line's last non-blank character (before any `\r\n`).
    pub end: usize,
    /// Leading spaces and tabs, in bytes.
    pub indent: usize,
    /// Neither blank nor a comment.
    pub content: bool,
    pub comment: bool,
    /// Starts with a sequence item's `-`.
    pub dash: bool,
    /// A `key:` with nothing after it (a key whose value is on the next lines).
    pub open_key: bool,
    /// Set when the line ends with a block scalar header (`script: |`, `- >-`): the
    /// lines indented more than this are the scalar's text, not YAML.
    pub scalar_limit: Option<usize>,
}

impl Line {
    pub fn read(rope: &Rope, i: usize) -> Line {
        let start = rope.line_to_byte(i);
        Line::parse(start, &crate::syntax::slice_text(rope.line(i)))
    }

    /// Lines `a..b`, read in one pass over the rope's chunks (cheaper than a slice per
    /// line).
    pub fn scan(rope: &Rope, a: usize, b: usize) -> Vec<Line> {
        let count = rope.len_lines();
        let (a, b) = (a.min(count), b.min(count));
        let line_start = |i: usize| {
            if i >= count {
                rope.len_bytes()
            } else {
                rope.line_to_byte(i)
            }
        };
        let (from, to) = (line_start(a), line_start(b));
        let mut out = Vec::with_capacity(b.saturating_sub(a));
        let mut start = from;
        // A line split between chunks.
        let mut carry = String::new();
        for chunk in rope.byte_slice(from..to).chunks() {
            let mut rest = chunk;
            // Ropey never splits a `\r\n` between chunks, so a `\r` ending one is lone.
            while let Some(end) = crate::text::line_end(rest) {
                let piece = &rest[..end];
                let len = if carry.is_empty() {
                    out.push(Line::parse(start, piece));
                    piece.len()
                } else {
                    carry.push_str(piece);
                    out.push(Line::parse(start, &carry));
                    std::mem::take(&mut carry).len()
                };
                start += len;
                rest = &rest[end..];
            }
            carry.push_str(rest);
        }
        // The last line has no line break (or is the empty line after the last one).
        if out.len() < b - a {
            out.push(Line::parse(start, &carry));
        }
        out
    }

    fn parse(start: usize, text: &str) -> Line {
        let text = text.trim_end_matches(['\n', '\r']);
        let body = text.trim_start_matches([' ', '\t']);
        let indent = text.len() - body.len();
        let trimmed = body.trim_end();
        let comment = trimmed.starts_with('#');
        let content = !trimmed.is_empty() && !comment;
        let dash =
            content && (trimmed == "-" || trimmed.starts_with("- ") || trimmed.starts_with("-\t"));
        let code = if !content {
            ""
        } else if trimmed.contains('#') {
            strip_comment(trimmed).trim_end()
        } else {
            trimmed
        };
        let open_key = content && !dash && code.ends_with(':');
        // Only a line ending like a block scalar header (`|`, `>-`, `|2`) may be one.
        let may_be_header = code
            .as_bytes()
            .last()
            .is_some_and(|b| b"|>+-0123456789".contains(b));
        let scalar_limit = if may_be_header {
            scalar_limit(code, indent, dash)
        } else {
            None
        };
        Line {
            start,
            end: start + indent + trimmed.len(),
            indent,
            content,
            comment,
            dash,
            open_key,
            scalar_limit,
        }
    }
}

/// Where the text of a block scalar whose header ends `code` starts: indented more than
/// the returned column.
fn scalar_limit(code: &str, indent: usize, dash: bool) -> Option<usize> {
    let last_token = code.rsplit([' ', '\t']).next().unwrap_or_default();
    if !is_block_header(last_token) {
        return None;
    }
    let before = code[..code.len() - last_token.len()].trim_end();
    if before.ends_with(':') {
        // `key: |`, or `- key: |` where the item's keys start after the dash.
        if dash {
            let after = &code[1..];
            Some(indent + 1 + after.len() - after.trim_start().len())
        } else {
            Some(indent)
        }
    } else if before == "-" || before.is_empty() {
        Some(indent)
    } else {
        None
    }
}

/// A line's text without a trailing ` # comment` (outside quotes, roughly: a `#` after
/// whitespace, which is how YAML starts a comment).
pub fn strip_comment(text: &str) -> &str {
    let bytes = text.as_bytes();
    let (mut single, mut double) = (false, false);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && (i == 0 || bytes[i - 1].is_ascii_whitespace()) => {
                return &text[..i];
            }
            _ => {}
        }
    }
    text
}

/// Which of `keys` a mapping key is (quoted or not), reading only short keys and
/// allocating nothing: the outline looks at every key of every item.
pub fn key_is<'k>(rope: &Rope, key: Node, keys: &[&'k str]) -> Option<&'k str> {
    let range = key.byte_range();
    if range.len() > 24 {
        return None;
    }
    let text = crate::syntax::range_text(rope, range);
    let mut raw = text.as_bytes();
    if let [q @ (b'"' | b'\''), inner @ .., last] = raw
        && q == last
    {
        raw = inner;
    }
    keys.iter().copied().find(|k| k.as_bytes() == raw)
}

/// Byte offsets of every occurrence of `needle` in the rope, also across chunk
/// boundaries: a search over the text is far cheaper than a walk over the tree when
/// what is looked for is rare.
pub fn find_all(rope: &Rope, needle: &str) -> Vec<usize> {
    let pattern = needle.as_bytes();
    let n = pattern.len();
    let mut found = Vec::new();
    let mut offset = 0;
    // The previous chunk's last bytes, where an occurrence may start.
    let mut tail: Vec<u8> = Vec::new();
    for chunk in rope.chunks() {
        let bytes = chunk.as_bytes();
        if n > 1 && !tail.is_empty() {
            let mut window = tail.clone();
            window.extend_from_slice(&bytes[..bytes.len().min(n - 1)]);
            let base = offset - tail.len();
            for (i, w) in window.windows(n).enumerate() {
                if w == pattern && i < tail.len() {
                    found.push(base + i);
                }
            }
        }
        found.extend(chunk.match_indices(needle).map(|(i, _)| offset + i));
        tail.clear();
        tail.extend_from_slice(&bytes[bytes.len().saturating_sub(n - 1)..]);
        offset += bytes.len();
    }
    found
}

/// A `key: value` read from one line's text, with byte spans relative to the line's
/// start. `value` is empty when the key's value is on later lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextPair {
    pub key: String,
    pub key_span: Span,
    pub value: String,
    pub value_span: Span,
}

/// Reads `key: value` starting at byte `at` of `text` (a line without its line break).
pub fn text_pair(text: &str, at: usize) -> Option<TextPair> {
    let rest = text.get(at..)?;
    let rest = strip_comment(rest).trim_end();
    // The key ends at the first `: ` (or a final `:`) outside an expression.
    let colon = key_end(rest)?;
    let raw_key = &rest[..colon];
    let key = raw_key.trim().trim_matches(['"', '\'']).to_string();
    if key.is_empty() {
        return None;
    }
    let after = &rest[colon + 1..];
    let lead = after.len() - after.trim_start().len();
    let raw_value = after.trim();
    let value_start = at + colon + 1 + lead;
    let value = raw_value.trim_matches(['"', '\'']).to_string();
    Some(TextPair {
        key,
        key_span: at..at + raw_key.trim_end().len(),
        value,
        value_span: value_start..value_start + raw_value.len(),
    })
}

fn key_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth = depth.saturating_sub(1),
            b':' if depth == 0
                && (i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t') =>
            {
                return Some(i);
            }
            _ => {}
        }
    }
    None
}

/// The end of a node's content: block structures end after their last non-comment child,
/// so a comment that introduces the next item does not belong to the one before it.
/// Trailing line breaks (a block scalar keeps its last one) are left out too.
pub fn content_end(rope: &Rope, node: Node) -> usize {
    let end = node.end_byte().min(rope.len_bytes());
    let at = node.end_position();
    // The text of the node's last line, or of the line before when it ends at a break.
    let line_start = if at.column > 0 || at.row == 0 {
        end - at.column.min(end)
    } else {
        rope.line_to_byte(at.row - 1)
    }
    .max(node.start_byte());
    let last = crate::syntax::range_text(rope, line_start..end);
    let text = last.trim_end();
    if text.trim_start().starts_with('#') {
        // Only a node whose last line is a comment needs the walk down its last children.
        let inner = content_end_node(node).end_byte().min(end);
        let start = node.start_byte().min(inner);
        let tail = crate::syntax::range_text(rope, start..inner);
        return start + tail.trim_end().len();
    }
    line_start + text.len()
}

/// The innermost node that ends a node's content (see [`content_end`]).
pub fn content_end_node(node: Node) -> Node {
    let mut node = node;
    loop {
        if !matches!(
            node.kind(),
            "block_node"
                | "block_mapping"
                | "block_mapping_pair"
                | "block_sequence"
                | "block_sequence_item"
        ) {
            return node;
        }
        let mut last = None;
        let mut i = node.named_child_count();
        while i > 0 {
            i -= 1;
            if let Some(child) = node.named_child(i)
                && child.kind() != "comment"
            {
                last = Some(child);
                break;
            }
        }
        match last {
            Some(child) => node = child,
            None => return node,
        }
    }
}

/// A label from a value: its first line (a block scalar's first content line), shortened
/// to a readable length, with `…` when something was left out.
pub fn short(text: &str) -> String {
    const MAX: usize = 60;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines.next().unwrap_or_default();
    if is_block_header(first) {
        first = lines.next().unwrap_or_default();
    }
    let mut out: String = first.chars().take(MAX).collect();
    if first.chars().nth(MAX).is_some() || lines.next().is_some() {
        out.push('…');
    }
    out
}

/// `|`, `>-`, `|+2`, with an optional comment: the header line of a block scalar.
pub fn is_block_header(line: &str) -> bool {
    line.starts_with(['|', '>'])
        && strip_comment(line)
            .trim_start_matches([
                '|', '>', '+', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
            ])
            .trim()
            .is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_from_text() {
        let p = text_pair("  - task: 'X@1' # c", 4).unwrap();
        assert_eq!((p.key.as_str(), p.value.as_str()), ("task", "X@1"));
        assert_eq!(&"  - task: 'X@1' # c"[p.value_span.clone()], "'X@1'");
        let e = text_pair("- ${{ if eq(a, 'b: c') }}:", 2).unwrap();
        assert_eq!(e.key, "${{ if eq(a, 'b: c') }}");
        assert!(text_pair("- just text", 2).is_none());
    }

    #[test]
    fn find_all_across_chunks() {
        let text = "x template: a\n".repeat(500);
        let rope = Rope::from_str(&text);
        assert!(rope.chunks().count() > 1);
        let expected: Vec<usize> = text.match_indices("template").map(|(i, _)| i).collect();
        assert_eq!(find_all(&rope, "template"), expected);
    }

    #[test]
    fn short_labels() {
        assert_eq!(short("|\n  echo hi\n  echo ho\n"), "echo hi…");
        assert_eq!(short(">- # c\n\n  echo hi\n"), "echo hi");
        assert_eq!(short("echo a\necho b"), "echo a…");
        assert_eq!(short(&"x".repeat(70)).chars().count(), 61);
    }

    #[test]
    fn lines_know_dashes_and_open_keys() {
        let rope = Rope::from_str("steps: # c\n-\ttask: X\n  # note\n\n");
        let l0 = Line::read(&rope, 0);
        assert!(l0.open_key && !l0.dash);
        let l1 = Line::read(&rope, 1);
        assert!(l1.dash && l1.content);
        let l2 = Line::read(&rope, 2);
        assert!(l2.comment && !l2.content);
        assert!(!Line::read(&rope, 3).content);
        let scanned = Line::scan(&rope, 1, 3);
        assert_eq!((scanned[0].start, scanned[1].start), (l1.start, l2.start));
        // Every line, across chunk boundaries, as reading them one by one does.
        let long = Rope::from_str(&"- key: value # comment\n  more: text\n".repeat(300));
        let all = Line::scan(&long, 0, long.len_lines());
        assert_eq!(all.len(), long.len_lines());
        for (i, line) in all.iter().enumerate() {
            let one = Line::read(&long, i);
            assert_eq!(
                (line.start, line.end, line.indent, line.dash),
                (one.start, one.end, one.indent, one.dash)
            );
        }
        let headers = Rope::from_str("script: | # c\n- >-\nkey: a|b\n- x: '|'\n");
        let limits: Vec<Option<usize>> = Line::scan(&headers, 0, 4)
            .iter()
            .map(|l| l.scalar_limit)
            .collect();
        assert_eq!(limits, [Some(0), Some(0), None, None]);
        let item = Rope::from_str("  - script: |\n");
        assert_eq!(Line::read(&item, 0).scalar_limit, Some(4));
    }
}
