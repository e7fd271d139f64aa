//! Reading steps around syntax errors. While a user types, the file is often invalid
//! somewhere, and tree-sitter-yaml sometimes recovers by wrapping everything in one
//! `ERROR` node, or drops the rest of the file from the tree. Findings in the intact
//! parts must not flicker away because one line is half typed, so when the tree has
//! errors, every `task:` line that no step covers is read again on its own: its
//! sequence item (the `- ` line and the lines indented under it) is parsed as a small
//! document, and the steps found there are moved back to their place in the file.

use super::{TaskStep, tree_steps};
use crate::document::{Changes, Document};
use crate::text::Span;
use ropey::Rope;
use std::cell::RefCell;
use std::collections::HashMap;

/// Adds the steps that the tree missed to `steps` (sorted by start; kept so).
pub fn steps(rope: &Rope, steps: &mut Vec<TaskStep>) {
    let count = rope.len_lines();
    let lines = 0..count;
    let line = |i: usize| Line::read(rope, i);
    let mut found = Vec::new();
    for i in lines.start..lines.end.min(count) {
        let this = line(i);
        if !this.task_key {
            continue;
        }
        let start_byte = rope.line_to_byte(i);
        let upto = start_byte + this.indent + 2;
        // Skip task lines a step already covers: one from the tree, or one this loop read
        // from an earlier item (nested steps may overlap, so `found` is searched whole).
        if covered(steps, start_byte, upto)
            || found
                .iter()
                .any(|s: &TaskStep| s.span.start <= upto && start_byte < s.span.end)
        {
            continue;
        }
        let Some(item) = item_start(&line, i) else {
            continue;
        };
        let end = item_end(&line, count, item, i);
        // The whole item first; if it is broken too, the lines up to the task key alone,
        // so the reference is still seen (inputs may then be missing).
        for last in [end, i + 1] {
            let from = rope.line_to_byte(item);
            let to = if last >= count {
                rope.len_bytes()
            } else {
                rope.line_to_byte(last)
            };
            let mut steps = fragment_steps(rope.byte_slice(from..to).to_string());
            if steps.is_empty() {
                continue;
            }
            for step in &mut steps {
                step.shift(from);
            }
            found.extend(steps);
            break;
        }
    }
    if !found.is_empty() {
        steps.extend(found);
        steps.sort_by_key(|s| s.span.start);
        steps.dedup_by_key(|s| s.span.start);
    }
}

/// The line after the item that starts at `item`, scanning from line `from`.
fn item_end(line: &impl Fn(usize) -> Line, count: usize, item: usize, from: usize) -> usize {
    let dash = line(item).indent;
    (from + 1..count)
        .find(|&j| {
            let l = line(j);
            l.content && l.indent <= dash
        })
        .unwrap_or(count)
}

/// Does a step (the list is sorted by start) start at or before `upto` and end after
/// `from`? Steps don't overlap, so only the last one starting before `upto` can.
fn covered(steps: &[TaskStep], from: usize, upto: usize) -> bool {
    let i = steps.partition_point(|s| s.span.start <= upto);
    i > 0 && steps[i - 1].span.end > from
}

/// The steps of a fragment, with spans relative to it. While a file stays broken, every
/// keystroke reads the same fragments again, so their steps are kept (per thread,
/// bounded) by text.
fn fragment_steps(text: String) -> Vec<TaskStep> {
    cached(text, false)
}

thread_local! {
    static FRAGMENTS: RefCell<HashMap<(bool, String), Vec<TaskStep>>> = RefCell::new(HashMap::new());
}

/// Forgets the fragments read so far (when no open document needs them any more).
pub fn forget_cached() {
    FRAGMENTS.with(|f| *f.borrow_mut() = HashMap::new());
}

/// The steps of `text` read as a document of its own: with `recover`, as [`super::build`]
/// does (reading around its errors), else only what its tree shows.
fn cached(text: String, recover: bool) -> Vec<TaskStep> {
    let key = (recover, text);
    if let Some(steps) = FRAGMENTS.with(|f| f.borrow().get(&key).cloned()) {
        return steps;
    }
    let doc = Document::new(&key.1, 0);
    let mut steps = tree_steps(&doc);
    if recover && doc.tree().root_node().has_error() {
        self::steps(doc.rope(), &mut steps);
    }
    FRAGMENTS.with(|f| {
        let mut fragments = f.borrow_mut();
        if fragments.len() >= 20_000 {
            fragments.clear();
        }
        fragments.insert(key, steps.clone());
    });
    steps
}

pub use crate::syntax::GRAMMAR_ROW_LIMIT;

/// A piece of a file read on its own: its byte span, and how many of the model's steps
/// (which are in document order) it holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub span: Span,
    pub steps: usize,
}

/// Reads a file longer than [`GRAMMAR_ROW_LIMIT`] in segments that each parse well: a
/// segment starts at every unindented line (`stages:`, `- stage: ...`, `resources:`),
/// and segments still too long are cut again before their least indented `- ` items.
/// Where the cuts fall depends only on the lines between two unindented lines, which is
/// what lets [`resegment`] re-read just the regions an edit touched.
pub fn segmented(rope: &Rope, segments: &mut Vec<Segment>) -> Vec<TaskStep> {
    let mut steps = Vec::new();
    segments.clear();
    read_region(rope, 0, rope.len_lines(), segments, &mut steps);
    steps
}

/// Brings segments and their steps up to date after `changes`: segments an edit did not
/// touch keep their steps (moved by the edits before them); the unindented regions
/// around the edits are cut and read again (from the per-text cache when unchanged).
pub fn resegment(
    rope: &Rope,
    changes: &Changes,
    segments: &mut Vec<Segment>,
    steps: &mut Vec<TaskStep>,
) {
    // Each segment with its steps, so they can move and be dropped together.
    let mut pieces: Vec<(Span, Vec<TaskStep>, isize, bool)> = Vec::with_capacity(segments.len());
    let mut all = std::mem::take(steps).into_iter();
    for seg in segments.drain(..) {
        pieces.push((seg.span, all.by_ref().take(seg.steps).collect(), 0, false));
    }
    let mut dirty: Vec<Span> = Vec::new();
    for e in &changes.edits {
        let delta = e.new_end as isize - e.old_end as isize;
        for d in dirty.iter_mut() {
            *d = super::map_range(d, e);
        }
        for (span, _, shift, touched) in pieces.iter_mut().filter(|p| !p.3) {
            if span.end < e.start {
            } else if span.start > e.old_end {
                *span =
                    (span.start as isize + delta) as usize..(span.end as isize + delta) as usize;
                *shift += delta;
            } else {
                dirty.push(super::map_range(span, e));
                *touched = true;
            }
        }
        dirty.push(e.start..e.new_end);
    }
    dirty.extend(changes.changed.iter().cloned());

    // Widen each dirty range to whole unindented regions of the new text.
    let count = rope.len_lines();
    let len = rope.len_bytes();
    let mut regions: Vec<(usize, usize)> = dirty
        .iter()
        .map(|d| {
            let first = rope.byte_to_line(d.start.min(len));
            let last = rope.byte_to_line(d.end.min(len));
            let start = (0..=first)
                .rev()
                .find(|&i| i == 0 || Line::read(rope, i).starts_region())
                .unwrap_or(0);
            let end = (last + 1..count)
                .find(|&i| Line::read(rope, i).starts_region())
                .unwrap_or(count);
            (start, end)
        })
        .collect();
    regions.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in regions {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let byte = |line: usize| {
        if line >= count {
            len
        } else {
            rope.line_to_byte(line)
        }
    };
    let spans: Vec<Span> = merged.iter().map(|&(a, b)| byte(a)..byte(b)).collect();

    // Keep what no region covers, read the regions again, and put it all in order.
    let overlaps = |span: &Span| {
        spans
            .iter()
            .any(|r| span.start < r.end && r.start < span.end.max(span.start + 1))
    };
    let mut out: Vec<(Span, Vec<TaskStep>)> = Vec::with_capacity(pieces.len());
    for (span, mut piece_steps, shift, touched) in pieces {
        if touched || overlaps(&span) {
            continue;
        }
        if shift != 0 {
            for step in &mut piece_steps {
                step.shift_by(shift);
            }
        }
        out.push((span, piece_steps));
    }
    for &(a, b) in &merged {
        let mut new_segments = Vec::new();
        let mut new_steps = Vec::new();
        read_region(rope, a, b, &mut new_segments, &mut new_steps);
        let mut rest = new_steps.into_iter();
        for seg in new_segments {
            out.push((seg.span, rest.by_ref().take(seg.steps).collect()));
        }
    }
    out.sort_by_key(|(span, _)| span.start);
    for (span, piece_steps) in out {
        segments.push(Segment {
            span,
            steps: piece_steps.len(),
        });
        steps.extend(piece_steps);
    }
}

/// Cuts lines `first..last` into segments and reads each, appending to `segments` and
/// `steps`.
fn read_region(
    rope: &Rope,
    first: usize,
    last: usize,
    segments: &mut Vec<Segment>,
    steps: &mut Vec<TaskStep>,
) {
    let count = rope.len_lines();
    // One sequential pass over the lines (cheaper than a lookup per line).
    let lines: Vec<Line> = rope
        .lines_at(first)
        .take(last - first)
        .map(Line::of)
        .collect();
    let n = lines.len();
    let mut cuts: Vec<usize> = (0..n)
        .filter(|&i| i == 0 || lines[i].starts_region())
        .collect();
    cuts.push(n);
    let mut bounds = Vec::new();
    for w in cuts.windows(2) {
        split(&lines, w[0], w[1], &mut bounds);
    }
    for (start, end) in bounds {
        let from = rope.line_to_byte(first + start);
        let to = if first + end >= count {
            rope.len_bytes()
        } else {
            rope.line_to_byte(first + end)
        };
        let mut found = 0;
        for mut step in cached(rope.byte_slice(from..to).to_string(), true) {
            step.shift(from);
            steps.push(step);
            found += 1;
        }
        segments.push(Segment {
            span: from..to,
            steps: found,
        });
    }
}

/// Splits the lines `start..end` into pieces of at most a few thousand lines, cutting
/// before the least indented `- ` lines.
fn split(lines: &[Line], start: usize, end: usize, out: &mut Vec<(usize, usize)>) {
    const MAX: usize = 4_000;
    if end - start <= MAX {
        out.push((start, end));
        return;
    }
    let Some(indent) = lines[start + 1..end]
        .iter()
        .filter(|l| l.dash)
        .map(|l| l.indent)
        .min()
    else {
        out.push((start, end));
        return;
    };
    let mut piece = start;
    for (i, line) in lines.iter().enumerate().take(end).skip(start + 1) {
        if line.dash && line.indent == indent {
            out.push((piece, i));
            piece = i;
        }
    }
    out.push((piece, end));
}

/// The line where the sequence item holding line `i` starts: line `i` itself when it
/// starts with `- `, else the nearest line above that starts with `- ` less indented.
fn item_start(line: &impl Fn(usize) -> Line, i: usize) -> Option<usize> {
    let this = line(i);
    if this.dash {
        return Some(i);
    }
    for j in (0..i).rev() {
        let l = line(j);
        if l.dash && l.indent < this.indent {
            return Some(j);
        }
        if l.content && l.indent >= this.indent && !l.dash {
            continue;
        }
        if l.content && l.indent < this.indent {
            // A less indented line that is not an item: the task line is in a mapping,
            // not a sequence item.
            return None;
        }
    }
    None
}

/// What the recovery needs to know of a line.
struct Line {
    indent: usize,
    /// Not blank and not a comment.
    content: bool,
    /// Starts with `- `.
    dash: bool,
    /// Holds a `task:` key as a step would: `- task:`, `task:` or `- { task:`.
    task_key: bool,
}

impl Line {
    /// An unindented line with content: where a segment region starts.
    fn starts_region(&self) -> bool {
        self.content && self.indent == 0
    }

    fn read(rope: &Rope, i: usize) -> Line {
        Line::of(rope.line(i))
    }

    fn of(slice: ropey::RopeSlice) -> Line {
        let owned;
        let text = match slice.as_str() {
            Some(text) => text,
            None => {
                owned = slice.to_string();
                &owned
            }
        };
        let trimmed = text.trim_start_matches([' ', '\u{feff}']);
        let indent = text.len() - trimmed.len();
        let body = trimmed.trim_end();
        let content = !body.is_empty() && !body.starts_with('#');
        let dash = body == "-" || body.starts_with("- ");
        let after_dash = body.strip_prefix("- ").map(str::trim_start).unwrap_or(body);
        let after_brace = after_dash
            .strip_prefix('{')
            .map(str::trim_start)
            .unwrap_or(after_dash);
        let task_key = content
            && ["task:", "\"task\":", "'task':"].iter().any(|k| {
                after_brace
                    .strip_prefix(k)
                    .is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t']))
            });
        Line {
            indent,
            content,
            dash,
            task_key,
        }
    }
}
