//! The limits of the pinned grammar's C scanner, checked before any text reaches it.
//!
//! tree-sitter-yaml 0.7.2 keeps a stack of block indentation levels and serialises it
//! after every token into tree-sitter's 1,024-byte buffer, 4 bytes a level, without a
//! bounds check: from 254 levels on it writes past the buffer and tree-sitter aborts the
//! process (upstream tree-sitter-grammars/tree-sitter-yaml#48). A `catch_unwind` can't
//! help, so a document that could get there is never parsed: [`check`] reads the text
//! once, without recursion, and returns why it refuses it.
//!
//! The check is an upper bound of the stack's depth, not a simulation of the scanner:
//!
//! - The scanner's rows end at every `\r` and every `\n` (so `\r\n` counts twice), its
//!   columns count characters from the row start, and both are 16-bit.
//! - A level is pushed by a token: an indicator (`-`, `?`, `:` followed by a blank or the
//!   row end), an implicit key (pushed at its row's first token), or a block scalar header
//!   (`|`, `>`). Every such token on a row is counted, wherever it is on the row, so text
//!   inside quotes and comments only makes the bound looser.
//! - A row's first token pushes only at an indentation deeper than the stack's top (or,
//!   once, equal to it for a sequence under a mapping key); later tokens push on the same
//!   row. So the rows that own live levels have strictly increasing indentation, and
//!   the depth is at most the sum, over each indentation in use, of the most tokens a row
//!   with that indentation has (plus the root and a spare).
//! - Where a 16-bit counter wraps, that argument fails: a token at column 32,767 or more
//!   is refused outright ([`Refusal::TooWide`]); at scanner row 32,768 (and every 65,536
//!   rows after) the first row with a token counts as continuing the row before, so the
//!   largest row's count is added once per wrap.
//!
//! A fuzz comparison against an instrumented build of the scanner found the real depth
//! at most half this bound; real pipelines stay below 50.

use crate::text::Span;
use ropey::Rope;

/// The deepest bound accepted: the scanner aborts at 254 levels, and the bound is loose.
pub const NESTING_LIMIT: usize = 200;

/// The scanner's columns are `int16_t`: from this column on they wrap.
pub const COLUMN_LIMIT: usize = 32_767;

/// The most flow punctuation (`[`, `{`, `,`) a text may hold. The grammar keeps about
/// 1.4 KB per item of a flow collection while parsing (a 10 MB `[x, x, …]` took 4.8 GB
/// and 40 s); pipelines hold a few hundred, a 50,000-line one a few thousand.
pub const FLOW_LIMIT: usize = 100_000;

/// Scanner rows wrap to negative at this row, and every 65,536 rows after.
const ROW_WRAP: usize = 32_768;

/// Why a text is not given to the parser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The text could nest deeper than the scanner can serialise.
    TooDeep {
        /// The bound that was exceeded (at least [`NESTING_LIMIT`] + 1).
        bound: usize,
        /// The first character of the deepest row read before the bound passed the limit.
        at: Span,
    },
    /// A structural token lies past the column the scanner can count.
    TooWide {
        /// That token.
        at: Span,
    },
    /// More flow punctuation than the parser can take in reasonable time and memory.
    TooMuchFlow {
        /// The start of the line that holds the most of it.
        at: Span,
    },
}

impl Refusal {
    /// Where to report it.
    pub fn span(&self) -> &Span {
        match self {
            Refusal::TooDeep { at, .. } | Refusal::TooWide { at } | Refusal::TooMuchFlow { at } => {
                at
            }
        }
    }
}

/// What each byte means to the check.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Other,
    /// `\r` or `\n`: ends a scanner row.
    Break,
    Space,
    /// A tab: blank after an indicator, but it ends the indentation.
    Tab,
    /// `-`, `?`, `:`: a level when a blank or the row end follows.
    Indicator,
    /// `|`, `>`: a block scalar header, a level whatever follows.
    Header,
    /// `[`, `{`, `,`: flow punctuation, counted.
    Flow,
}

const fn classes() -> [Class; 256] {
    let mut table = [Class::Other; 256];
    table[b'\r' as usize] = Class::Break;
    table[b'\n' as usize] = Class::Break;
    table[b' ' as usize] = Class::Space;
    table[b'\t' as usize] = Class::Tab;
    table[b'-' as usize] = Class::Indicator;
    table[b'?' as usize] = Class::Indicator;
    table[b':' as usize] = Class::Indicator;
    table[b'|' as usize] = Class::Header;
    table[b'>' as usize] = Class::Header;
    table[b'[' as usize] = Class::Flow;
    table[b'{' as usize] = Class::Flow;
    table[b',' as usize] = Class::Flow;
    table
}

static CLASSES: [Class; 256] = classes();

/// One scanner row's part in the bound: its indentation, and how many levels its tokens
/// may push (0 when it has no token at all).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct RowStat {
    indent: u32,
    tokens: u32,
}

/// What one line of the rope (up to and including its `\n`) contributes to the bound.
/// Kept per line so that an edit rescans only the lines it touches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct LineStat {
    /// The line's last scanner row with a token (a line is one row, or two with its
    /// `\r\n`, unless it holds lone carriage returns); all zero when it has none.
    last: RowStat,
    /// Rows with tokens before it, split off by lone carriage returns.
    earlier: Option<Box<[RowStat]>>,
    /// Scanner row ends in the line: each `\r` and the `\n`.
    breaks: u32,
    /// A structural token past the column limit.
    wide: bool,
    /// Flow punctuation in the line.
    flow: u32,
}

impl LineStat {
    fn rows(&self) -> impl Iterator<Item = RowStat> + '_ {
        self.earlier
            .iter()
            .flat_map(|rows| rows.iter().copied())
            .chain(std::iter::once(self.last))
            .filter(|r| r.tokens > 0)
    }
}

/// Reads one line's bytes, row by row.
#[derive(Default)]
struct LineScan {
    stat: LineStat,
    earlier: Vec<RowStat>,
    /// Where a structural token past the column limit starts, relative to the line.
    wide_at: Option<usize>,
    /// The first token of the row being read, relative to the line.
    first_at: Option<usize>,
    /// Bytes of the line read so far.
    offset: usize,
    /// Bytes of the current row read so far.
    column: usize,
    indent: u32,
    /// Still in the leading blanks: spaces count as indentation until a tab, and the
    /// first other byte is the row's first token.
    indenting: bool,
    /// A tab was seen in the leading blanks: spaces after it are not indentation.
    tabbed: bool,
    tokens: u32,
    /// The previous byte was an indicator at this column, waiting for a blank.
    pending: Option<usize>,
    /// First tokens of the rows kept, relative to the line, for blaming a row.
    firsts: Vec<usize>,
}

impl LineScan {
    fn new() -> LineScan {
        LineScan {
            indenting: true,
            ..LineScan::default()
        }
    }

    /// A structural token at `column` of the current row (at `offset` of the line).
    fn token(&mut self, column: usize, offset: usize) {
        if column >= COLUMN_LIMIT && !self.stat.wide {
            self.stat.wide = true;
            self.wide_at = Some(offset);
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            let class = CLASSES[byte as usize];
            if let Some(column) = self.pending.take()
                && matches!(class, Class::Space | Class::Tab | Class::Break)
            {
                let at = self.offset - (self.column - column);
                self.token(column, at);
                self.tokens += 1;
            }
            match class {
                Class::Break => {
                    self.end_row();
                    self.stat.breaks += 1;
                    self.offset += 1;
                    continue;
                }
                Class::Space if self.indenting && !self.tabbed => self.indent += 1,
                Class::Space => {}
                Class::Tab if self.indenting => self.tabbed = true,
                _ => {
                    if self.indenting {
                        self.indenting = false;
                        self.tokens += 1;
                        self.first_at = Some(self.offset);
                        self.token(self.column, self.offset);
                    }
                    match class {
                        Class::Indicator => self.pending = Some(self.column),
                        Class::Header => {
                            self.token(self.column, self.offset);
                            self.tokens += 1;
                        }
                        Class::Flow => self.stat.flow += 1,
                        _ => {}
                    }
                }
            }
            self.column += 1;
            self.offset += 1;
        }
    }

    fn end_row(&mut self) {
        if let Some(column) = self.pending.take() {
            // An indicator at the end of the text: the scanner sees a blank after it.
            let at = self.offset - (self.column - column);
            self.token(column, at);
            self.tokens += 1;
        }
        // Rows without a token push nothing: only the others are kept (a CRLF line is one
        // row with tokens and an empty one).
        if let Some(first) = self.first_at.take() {
            self.earlier.push(RowStat {
                indent: self.indent,
                tokens: self.tokens,
            });
            self.firsts.push(first);
        }
        self.column = 0;
        self.indent = 0;
        self.indenting = true;
        self.tabbed = false;
        self.tokens = 0;
    }

    /// The line's stat; `terminated` when it ended with `\n` (else it ends the text).
    fn finish(mut self, terminated: bool) -> (LineStat, LineScan) {
        if !terminated {
            self.end_row();
        }
        let last = self.earlier.pop().unwrap_or_default();
        self.stat.last = last;
        if !self.earlier.is_empty() {
            self.stat.earlier = Some(std::mem::take(&mut self.earlier).into_boxed_slice());
        }
        (self.stat.clone(), self)
    }
}

fn scan_line(line: ropey::RopeSlice) -> (LineStat, LineScan) {
    let mut scan = LineScan::new();
    for chunk in line.chunks() {
        scan.bytes(chunk.as_bytes());
    }
    let len = line.len_bytes();
    let terminated = len > 0 && line.byte(len - 1) == b'\n';
    scan.finish(terminated)
}

/// The bound's inputs for a whole text, kept up to date edit by edit: a document checks
/// every keystroke's text in time proportional to the lines the keystroke touched.
#[derive(Clone, Debug, Default)]
pub struct Index {
    lines: Vec<LineStat>,
    /// For each indentation, how many rows have each token count.
    per_indent: Vec<std::collections::BTreeMap<u32, u32>>,
    /// Scanner row ends in the text.
    breaks: usize,
    /// Lines with a structural token past the column limit.
    wide: usize,
    /// Flow punctuation in the text.
    flow: usize,
}

impl Index {
    /// Reads a whole text.
    pub fn new(rope: &Rope) -> Index {
        let mut index = Index::default();
        index.lines.reserve(rope.len_lines());
        for line in rope.lines() {
            let stat = scan_line(line).0;
            index.count(&stat, 1);
            index.lines.push(stat);
        }
        index
    }

    /// Follows an edit: lines `old` of the text before it became lines `new` of `rope`
    /// (both start at the same line).
    pub fn splice(
        &mut self,
        rope: &Rope,
        old: std::ops::Range<usize>,
        new: std::ops::Range<usize>,
    ) {
        let old = old.start.min(self.lines.len())..old.end.min(self.lines.len());
        for i in old.clone() {
            let stat = std::mem::take(&mut self.lines[i]);
            self.count(&stat, -1);
        }
        let fresh: Vec<LineStat> = new
            .filter(|&i| i < rope.len_lines())
            .map(|i| scan_line(rope.line(i)).0)
            .collect();
        for stat in &fresh {
            self.count(stat, 1);
        }
        self.lines.splice(old, fresh);
    }

    fn count(&mut self, stat: &LineStat, by: i32) {
        self.breaks = (self.breaks as i64 + i64::from(by) * i64::from(stat.breaks)) as usize;
        self.flow = (self.flow as i64 + i64::from(by) * i64::from(stat.flow)) as usize;
        if stat.wide {
            self.wide = (self.wide as i64 + i64::from(by)) as usize;
            // A wide line is refused whatever its rows say.
            return;
        }
        for row in stat.rows() {
            let indent = row.indent as usize;
            if indent >= self.per_indent.len() {
                self.per_indent.resize_with(indent + 1, Default::default);
            }
            let counts = &mut self.per_indent[indent];
            let n = counts.entry(row.tokens).or_insert(0);
            *n = (*n as i32 + by) as u32;
            if *n == 0 {
                counts.remove(&row.tokens);
            }
        }
    }

    /// The bound on the scanner's depth for the text as it is.
    fn bound(&self) -> usize {
        let mut sum = 0usize;
        let mut largest = 0usize;
        for counts in &self.per_indent {
            if let Some((&tokens, _)) = counts.last_key_value() {
                sum += tokens as usize;
                largest = largest.max(tokens as usize);
            }
        }
        let wraps = if self.breaks >= ROW_WRAP {
            (self.breaks - ROW_WRAP) / 65_536 + 1
        } else {
            0
        };
        // The root level and a spare, plus the rows merged at each wrap.
        2 + sum + wraps * largest
    }

    /// Why `rope` (the text this index describes) must not be parsed, if it must not.
    pub fn refusal(&self, rope: &Rope) -> Option<Refusal> {
        if self.wide > 0 {
            let i = self.lines.iter().position(|l| l.wide)?;
            let at = rope.line_to_byte(i) + scan_line(rope.line(i)).1.wide_at.unwrap_or(0);
            return Some(Refusal::TooWide {
                at: char_at(rope, at),
            });
        }
        if self.flow > FLOW_LIMIT {
            let line = (0..self.lines.len())
                .max_by_key(|&i| (self.lines[i].flow, std::cmp::Reverse(i)))
                .unwrap_or(0);
            let at = rope.line_to_byte(line);
            return Some(Refusal::TooMuchFlow {
                at: char_at(rope, at),
            });
        }
        let bound = self.bound();
        if bound <= NESTING_LIMIT {
            return None;
        }
        // Blame the row that nests deepest: most indentation and tokens together (the
        // first such row).
        let (line, row) = self
            .lines
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.rows().enumerate().map(move |(r, stat)| (i, r, stat)))
            .min_by_key(|(_, _, stat)| std::cmp::Reverse(stat.indent + stat.tokens))
            .map_or((0, 0), |(i, r, _)| (i, r));
        let scan = scan_line(rope.line(line)).1;
        let at = rope.line_to_byte(line) + scan.firsts.get(row).copied().unwrap_or(0);
        Some(Refusal::TooDeep {
            bound,
            at: char_at(rope, at),
        })
    }
}

/// The span of the character at `at` (empty at the end of the text).
fn char_at(rope: &Rope, at: usize) -> Span {
    if at >= rope.len_bytes() {
        return rope.len_bytes()..rope.len_bytes();
    }
    at..at + char_len(rope.byte(at))
}

/// Two indexes of the same text are equal however they were built (an index kept by
/// edits may hold empty count maps a fresh one lacks).
impl PartialEq for Index {
    fn eq(&self, other: &Index) -> bool {
        let counts = |index: &Index| {
            let used = index
                .per_indent
                .iter()
                .rposition(|c| !c.is_empty())
                .map_or(0, |i| i + 1);
            index.per_indent[..used].to_vec()
        };
        self.lines == other.lines
            && self.breaks == other.breaks
            && self.wide == other.wide
            && self.flow == other.flow
            && counts(self) == counts(other)
    }
}

/// Whether the grammar's scanner can read `rope` safely; `Some` says why not. Linear in
/// the text, one table lookup per byte; documents keep an [`Index`] instead.
pub fn check(rope: &Rope) -> Option<Refusal> {
    Index::new(rope).refusal(rope)
}

/// The length of the UTF-8 sequence a byte starts (1 for anything else).
fn char_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(text: &str) -> Option<Refusal> {
        check(&Rope::from_str(text))
    }

    #[test]
    fn ordinary_pipelines_are_accepted() {
        let text = "\
trigger: none
stages:
- stage: Build
  jobs:
  - job: A
    steps:
    - task: AzureCLI@2
      inputs:
        inlineScript: |
          echo \"a: b - c\" > out
    - script: echo ${{ parameters.x }}
";
        assert_eq!(refusal(text), None);
        assert_eq!(refusal(""), None);
        assert_eq!(refusal("\u{feff}a: b\r\n"), None);
    }

    #[test]
    fn a_long_chain_of_sequence_indicators_on_one_row_is_refused() {
        let text = format!("{}x\n", "- ".repeat(254));
        match refusal(&text) {
            Some(Refusal::TooDeep { bound, at }) => {
                assert!(bound > NESTING_LIMIT);
                assert_eq!(at.start, 0);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_staircase_of_indentation_is_refused_at_the_deepest_row() {
        let text: String = (0..300).map(|i| format!("{}a:\n", " ".repeat(i))).collect();
        let Some(Refusal::TooDeep { at, .. }) = refusal(&text) else {
            panic!("not refused")
        };
        // The blamed row is one of the deep ones, not the first.
        assert!(at.start > 1000, "{at:?}");
    }

    #[test]
    fn structure_past_the_column_limit_is_refused_but_long_values_are_not() {
        let long_value = format!("key: {}\n", "x".repeat(40_000));
        assert_eq!(refusal(&long_value), None);
        let late_indicator = format!("key: {} - x\n", "x".repeat(40_000));
        assert!(matches!(
            refusal(&late_indicator),
            Some(Refusal::TooWide { .. })
        ));
        let deep_indent = format!("{}- x\n", " ".repeat(40_000));
        assert!(matches!(
            refusal(&deep_indent),
            Some(Refusal::TooWide { .. })
        ));
    }

    #[test]
    fn indicators_need_a_blank_or_the_row_end_after_them() {
        // `a-b`, `c:d` and `e?f` push nothing; 300 of them on distinct indentations would.
        let quiet: String = (0..300)
            .map(|i| format!("{}a-b c:d e?f\n", " ".repeat(i % 40)))
            .collect();
        assert_eq!(refusal(&quiet), None);
        let loud: String = (0..300)
            .map(|i| format!("{}- - ? : x\n", " ".repeat(i)))
            .collect();
        assert!(refusal(&loud).is_some());
    }

    #[test]
    fn long_flow_collections_are_refused_short_ones_are_not() {
        let short = format!("a: [{}x]\n", "x, ".repeat(1_000));
        assert_eq!(refusal(&short), None);
        let long = format!("steps:\n- a: [{}x]\n", "x, ".repeat(FLOW_LIMIT));
        assert!(matches!(
            refusal(&long),
            Some(Refusal::TooMuchFlow { at }) if at.start == 7
        ));
    }

    #[test]
    fn carriage_returns_end_rows_like_line_feeds() {
        // 300 rows separated by lone CRs, each deeper: refused like LF rows.
        let text: String = (0..300).map(|i| format!("{}a:\r", " ".repeat(i))).collect();
        assert!(refusal(&text).is_some());
    }
}
