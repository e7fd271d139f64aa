//! Positions in text: the one place that converts between byte offsets (what the core
//! uses everywhere) and line/column positions in UTF-8, UTF-16 or UTF-32 code units
//! (what editors and terminals use).
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`, as LSP and YAML both say (a `\r\n` pair
//! belongs to the line it ends). Ropey, built with its `cr_lines` feature, counts lines
//! the same way, and the parser is fed lone CRs as LFs (see `syntax`), so a rope line, a
//! tree-sitter row and an LSP line are the same thing.
//!
//! Every conversion looks at one line only: the line is found through the rope's
//! index (O(log n)) and the column is counted inside that line, never from the start
//! of the document.

use ropey::Rope;
use std::ops::Range;

/// A byte range in a document.
pub type Span = Range<usize>;

/// How a client counts columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    /// Bytes of UTF-8.
    Utf8,
    /// UTF-16 code units: the LSP default.
    #[default]
    Utf16,
    /// Unicode scalar values (what people call characters, and what terminals print).
    Utf32,
}

/// A zero-based line and a zero-based column counted in some [`Encoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A half-open range of positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LineRange {
    pub start: Position,
    pub end: Position,
}

fn units(c: char, encoding: Encoding) -> usize {
    match encoding {
        Encoding::Utf8 => c.len_utf8(),
        Encoding::Utf16 => c.len_utf16(),
        Encoding::Utf32 => 1,
    }
}

/// The byte offset where `line` starts, or the end of the text past the last line.
fn line_start(rope: &Rope, line: usize) -> usize {
    if line >= rope.len_lines() {
        rope.len_bytes()
    } else {
        rope.line_to_byte(line)
    }
}

/// The byte offset where the content of `line` ends, before its `\n`, `\r\n` or `\r`.
fn line_content_end(rope: &Rope, line: usize) -> usize {
    let start = line_start(rope, line);
    let end = line_start(rope, line + 1);
    let slice = rope.byte_slice(start..end);
    let mut len = slice.len_bytes();
    if len > 0 && slice.byte(len - 1) == b'\n' {
        len -= 1;
    }
    if len > 0 && slice.byte(len - 1) == b'\r' {
        len -= 1;
    }
    start + len
}

/// Where the last line that starts in `bytes[..end]` starts, and how many line breaks
/// come before it. A `\r` at `end - 1` is a break: callers never end inside a `\r\n`.
fn last_line_start(bytes: &[u8], end: usize) -> (usize, usize) {
    let mut start = 0;
    let mut breaks = 0;
    for i in 0..end {
        let b = bytes[i];
        if b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')) {
            start = i + 1;
            breaks += 1;
        }
    }
    (start, breaks)
}

/// The largest char boundary at or before `offset`, clamped to the text.
pub fn floor_char_boundary(rope: &Rope, offset: usize) -> usize {
    let offset = offset.min(rope.len_bytes());
    rope.char_to_byte(rope.byte_to_char(offset))
}

/// Converts a byte offset to a position. Offsets inside a multi-byte character or a
/// `\r\n` pair are moved back to the start of that character or pair.
///
/// Diagnostics convert thousands of offsets per keystroke, so the usual case (the offset's
/// line starts in the same rope chunk) is read from that chunk after one lookup; the
/// general case walks the rope.
pub fn position(rope: &Rope, offset: usize, encoding: Encoding) -> Position {
    let offset = offset.min(rope.len_bytes());
    let (chunk, chunk_start, _, chunk_line) = rope.chunk_at_byte(offset);
    let bytes = chunk.as_bytes();
    let mut rel = offset - chunk_start;
    while !chunk.is_char_boundary(rel) {
        rel -= 1;
    }
    // Inside a `\r\n` pair: the end of the line's content. (Ropey never splits a pair
    // between chunks.)
    if rel > 0 && bytes[rel - 1] == b'\r' && bytes.get(rel) == Some(&b'\n') {
        rel -= 1;
    }
    // The usual case: the line starts in this chunk. The rope's index gives the lines
    // before the chunk, SIMD counts those in it before the offset, and the column is read
    // back to the line break: thousands of these per keystroke stay cheap. (`rel` is never inside a `\r\n`,
    // so a `\r` found is a lone one or ends the line as a pair's first half would not.)
    if let Some(i) = bytes[..rel].iter().rposition(|&b| b == b'\n' || b == b'\r') {
        return Position {
            line: (chunk_line + str_indices::lines_crlf::count_breaks(&chunk[..rel])) as u32,
            column: columns(&chunk[i + 1..rel], encoding) as u32,
        };
    }
    let (line_start, breaks) = last_line_start(bytes, rel);
    // The chunk starts the line only if it is the first chunk or follows a line break,
    // which the line index of its start tells apart from a chunk mid-line.
    if breaks == 0 && chunk_start != 0 {
        return position_walking(rope, offset, encoding);
    }
    Position {
        line: (chunk_line + breaks) as u32,
        column: columns(&chunk[line_start..rel], encoding) as u32,
    }
}

/// The width of `text` in `encoding`'s units.
fn columns(text: &str, encoding: Encoding) -> usize {
    match encoding {
        Encoding::Utf8 => text.len(),
        _ if text.is_ascii() => text.len(),
        _ => text.chars().map(|c| units(c, encoding)).sum(),
    }
}

/// [`position`] by walking the rope: for lines that start in an earlier chunk.
fn position_walking(rope: &Rope, offset: usize, encoding: Encoding) -> Position {
    let offset = floor_char_boundary(rope, offset);
    let line = rope.byte_to_line(offset);
    let start = line_start(rope, line);
    let end = offset.min(line_content_end(rope, line));
    let column: usize = match encoding {
        Encoding::Utf8 => end - start,
        _ => rope
            .byte_slice(start..end)
            .chars()
            .map(|c| units(c, encoding))
            .sum(),
    };
    Position {
        line: line as u32,
        column: column as u32,
    }
}

/// Converts a position to a byte offset. Like editors, it clamps: a column past the end
/// of its line means the end of the line, a line past the end means the end of the
/// text, and a column inside a character (half a surrogate pair) means its start.
pub fn offset(rope: &Rope, position: Position, encoding: Encoding) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_bytes();
    }
    let start = line_start(rope, line);
    let end = line_content_end(rope, line);
    let wanted = position.column as usize;
    let mut seen = 0usize;
    let mut at = start;
    for c in rope.byte_slice(start..end).chars() {
        let width = units(c, encoding);
        if seen + width > wanted {
            break;
        }
        seen += width;
        at += c.len_utf8();
    }
    at
}

/// Converts a byte span to a line range.
pub fn line_range(rope: &Rope, span: &Span, encoding: Encoding) -> LineRange {
    LineRange {
        start: position(rope, span.start, encoding),
        end: position(rope, span.end, encoding),
    }
}

/// Converts a line range to a byte span (start never after end).
pub fn span(rope: &Rope, range: &LineRange, encoding: Encoding) -> Span {
    let start = offset(rope, range.start, encoding);
    let end = offset(rope, range.end, encoding).max(start);
    start..end
}

/// Where the first line of `text` ends: just after its `\n`, `\r\n` or lone `\r`, or
/// `None` when `text` has no line break. A `\r` at the very end counts as a lone CR.
pub fn line_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let i = bytes.iter().position(|&b| b == b'\n' || b == b'\r')?;
    Some(if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
        i + 2
    } else {
        i + 1
    })
}

/// The lines of `text`, each with its line break (the last one may have none), split as
/// LSP and YAML split them: at `\n`, `\r\n` and a lone `\r`.
pub fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = line_end(rest).unwrap_or(rest.len());
        let (line, after) = rest.split_at(end);
        rest = after;
        Some(line)
    })
}

/// The tree-sitter point (row, byte column) of a byte offset.
pub fn point(rope: &Rope, offset: usize) -> tree_sitter::Point {
    let offset = offset.min(rope.len_bytes());
    let row = rope.byte_to_line(offset);
    tree_sitter::Point {
        row,
        column: offset - line_start(rope, row),
    }
}

/// The text of one line without its line ending, for rendering.
pub fn line_text(rope: &Rope, line: usize) -> String {
    let start = line_start(rope, line);
    let end = line_content_end(rope, line);
    rope.byte_slice(start..end).to_string()
}

/// Whether the rope contains `needle`, also across chunk boundaries. Allocates nothing per
/// chunk: documents are scanned this way on every keystroke.
pub fn contains(rope: &Rope, text: &str) -> bool {
    let needle = text.as_bytes();
    if needle.is_empty() {
        return true;
    }
    // The last bytes of the previous chunk, where the needle may start.
    let keep = needle.len() - 1;
    let mut window: Vec<u8> = Vec::with_capacity(2 * keep);
    for chunk in rope.chunks() {
        let bytes = chunk.as_bytes();
        if chunk.contains(text) {
            return true;
        }
        let tail = window.len();
        window.extend_from_slice(&bytes[..bytes.len().min(keep)]);
        if window.windows(needle.len()).take(tail).any(|w| w == needle) {
            return true;
        }
        if bytes.len() >= keep {
            window.clear();
            window.extend_from_slice(&bytes[bytes.len() - keep..]);
        } else {
            // A chunk shorter than the needle: keep the last bytes of both.
            let drop = window.len().saturating_sub(keep);
            window.drain(..drop);
        }
    }
    false
}

#[cfg(test)]
mod fast_position_tests {
    use super::*;

    /// The chunk-local reading of a position agrees with the rope walk at every offset,
    /// across chunk boundaries, multi-byte characters, CRLF and lone CRs.
    #[test]
    fn position_agrees_with_walking_the_rope() {
        let mut text = String::new();
        for i in 0..400 {
            text.push_str(match i % 5 {
                0 => "- task: AzureFileCopy@4\r\n",
                1 => "  displayName: déploiement 🚀 été\n",
                2 => "\r\n",
                3 => "  inputs: { a: b }\r",
                _ => "# ünïcödé comment that is fairly long to push lines across chunks\n",
            });
        }
        let rope = Rope::from_str(&text);
        assert!(rope.chunks().count() > 10, "the text spans many chunks");
        for offset in 0..=text.len() + 2 {
            for encoding in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
                assert_eq!(
                    position(&rope, offset, encoding),
                    position_walking(&rope, offset.min(text.len()), encoding),
                    "offset {offset} {encoding:?}"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, column: u32) -> Position {
        Position { line, column }
    }

    /// Every char boundary maps to a position and back to itself, in every encoding.
    fn roundtrip(text: &str) {
        let rope = Rope::from_str(text);
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            for (i, _) in text.char_indices().chain([(text.len(), ' ')]) {
                // The '\n' of a CRLF pair has no position of its own: it is the line end.
                if i > 0
                    && text.as_bytes().get(i) == Some(&b'\n')
                    && text.as_bytes()[i - 1] == b'\r'
                {
                    continue;
                }
                let p = position(&rope, i, enc);
                assert_eq!(offset(&rope, p, enc), i, "{enc:?} offset {i} in {text:?}");
            }
        }
    }

    #[test]
    fn ascii_utf16_and_utf8_agree() {
        let rope = Rope::from_str("steps:\n- task: A@1\n");
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            assert_eq!(position(&rope, 9, enc), pos(1, 2));
        }
    }

    #[test]
    fn non_ascii_first_line_shifts_columns_per_encoding() {
        // "é" is 2 bytes, 1 UTF-16 unit; "😀" is 4 bytes, 2 UTF-16 units, 1 scalar.
        let text = "# é😀 x: y\n";
        let rope = Rope::from_str(text);
        let x = text.find('x').unwrap();
        assert_eq!(position(&rope, x, Encoding::Utf8), pos(0, 9));
        assert_eq!(position(&rope, x, Encoding::Utf16), pos(0, 6));
        assert_eq!(position(&rope, x, Encoding::Utf32), pos(0, 5));
        roundtrip(text);
    }

    /// Each `(character, line)`: the first such character starts that line.
    fn assert_line_starts(text: &str, starts: &[(char, u32)]) {
        let rope = Rope::from_str(text);
        for &(c, line) in starts {
            assert_eq!(
                position(&rope, text.find(c).unwrap(), Encoding::Utf16),
                pos(line, 0),
                "{c:?} in {text:?}"
            );
        }
    }

    #[test]
    fn crlf_is_one_line_break_and_not_part_of_columns() {
        let text = "a: 1\r\nb: 😀\r\nc: 3";
        assert_line_starts(text, &[('b', 1), ('c', 2)]);
        // The '\r' is the end of line 0's content: a column past it clamps there.
        assert_eq!(
            offset(&Rope::from_str(text), pos(0, 99), Encoding::Utf16),
            4
        );
        roundtrip(text);
    }

    #[test]
    fn a_lone_cr_is_a_line_break_as_lsp_and_yaml_say() {
        let text = "a: 1\rb: 2\r\nc: \u{e9}\rd";
        let rope = Rope::from_str(text);
        assert_eq!(rope.len_lines(), 4);
        assert_line_starts(text, &[('b', 1), ('c', 2), ('d', 3)]);
        // The lone CR ends line 0's content: a column past it clamps there.
        assert_eq!(offset(&rope, pos(0, 99), Encoding::Utf16), 4);
        assert_eq!(
            offset(&rope, pos(2, 99), Encoding::Utf16),
            text.rfind('\r').unwrap()
        );
        assert_eq!(point(&rope, text.find('d').unwrap()).row, 3);
        roundtrip(text);
    }

    #[test]
    fn bom_counts_as_a_character_of_the_first_line() {
        let text = "\u{feff}steps:\n";
        let rope = Rope::from_str(text);
        assert_eq!(position(&rope, 3, Encoding::Utf16), pos(0, 1));
        assert_eq!(position(&rope, 3, Encoding::Utf8), pos(0, 3));
        roundtrip(text);
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let rope = Rope::from_str("ab\ncd");
        assert_eq!(offset(&rope, pos(7, 0), Encoding::Utf16), 5);
        assert_eq!(offset(&rope, pos(0, 7), Encoding::Utf16), 2);
        // Half of a surrogate pair means the start of the character.
        let rope = Rope::from_str("😀x");
        assert_eq!(offset(&rope, pos(0, 1), Encoding::Utf16), 0);
        assert_eq!(offset(&rope, pos(0, 2), Encoding::Utf16), 4);
    }

    #[test]
    fn contains_finds_needles_across_chunk_boundaries() {
        let long = format!("{}needle{}", "x".repeat(5000), "y".repeat(5000));
        let rope = Rope::from_str(&long);
        assert!(rope.chunks().count() > 1);
        assert!(contains(&rope, "needle"));
        assert!(!contains(&rope, "needles"));
        // At every offset around the first chunk boundary, with multi-byte text around.
        let first = rope.chunks().next().unwrap().len();
        for at in first.saturating_sub(12)..first + 12 {
            let text = format!("{}needle{}", "x".repeat(at), "é".repeat(3000));
            assert!(contains(&Rope::from_str(&text), "needle"), "at {at}");
            assert!(!contains(&Rope::from_str(&text), "needlé"), "at {at}");
        }
    }

    #[test]
    fn points_count_bytes_per_row() {
        let rope = Rope::from_str("é\r\nab");
        assert_eq!(point(&rope, 5), tree_sitter::Point { row: 1, column: 1 });
    }
}
