//! Reading steps around syntax errors. While a user types, the file is often invalid
//! somewhere, and tree-sitter-yaml sometimes recovers by wrapping everything in one
//! `ERROR` node, or drops the rest of the file from the tree. Findings in the intact
//! parts must not flicker away because one line is half typed, so when the tree has
//! errors, every `task:` line that no step covers is read again on its own: its
//! sequence item (the `- ` line and the lines indented under it) is parsed as a small
//! document, and the steps found there are moved back to their place in the file.

use super::{TaskStep, build_from_tree};
use crate::document::Document;
use ropey::Rope;

/// Adds the steps that the tree missed to `steps` (kept in document order).
pub fn steps(rope: &Rope, steps: &mut Vec<TaskStep>) {
    let lines: Vec<Line> = (0..rope.len_lines()).map(|i| Line::read(rope, i)).collect();
    let mut found = Vec::new();
    let mut next_free = 0;
    for (i, line) in lines.iter().enumerate() {
        if i < next_free || !line.task_key {
            continue;
        }
        let start_byte = rope.line_to_byte(i);
        if steps
            .iter()
            .any(|s| s.span.start <= start_byte + line.indent + 2 && start_byte < s.span.end)
        {
            continue;
        }
        let Some(item) = item_start(&lines, i) else {
            continue;
        };
        let dash = lines[item].indent;
        let end = (i + 1..lines.len())
            .find(|&j| lines[j].content && lines[j].indent <= dash)
            .unwrap_or(lines.len());
        next_free = end;
        // The whole item first; if it is broken too, the lines up to the task key alone,
        // so the reference is still seen (inputs may then be missing).
        for last in [end, i + 1] {
            let from = rope.line_to_byte(item);
            let to = if last >= rope.len_lines() {
                rope.len_bytes()
            } else {
                rope.line_to_byte(last)
            };
            let fragment = Document::new(&rope.byte_slice(from..to).to_string(), 0);
            let mut steps = build_from_tree(&fragment).steps;
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

/// The line where the sequence item holding line `i` starts: line `i` itself when it
/// starts with `- `, else the nearest line above that starts with `- ` less indented.
fn item_start(lines: &[Line], i: usize) -> Option<usize> {
    if lines[i].dash {
        return Some(i);
    }
    (0..i)
        .rev()
        .take_while(|&j| !lines[j].content || lines[j].indent < lines[i].indent || lines[j].dash)
        .find(|&j| lines[j].dash && lines[j].indent < lines[i].indent)
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
    fn read(rope: &Rope, i: usize) -> Line {
        let text = rope.line(i).to_string();
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
