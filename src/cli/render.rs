//! Human output in the style of rustc and ruff: `file:line:col: severity: message [id]`,
//! the source line with the token underlined, the related step, and a `help:` line.

use crate::analysis::Finding;
use crate::document::Document;
use crate::text::{self, Encoding};
use std::fmt::Write;

/// Renders one finding. Columns are 1-based and count characters, as terminals do.
pub fn human(path: &str, doc: &Document, finding: &Finding) -> String {
    let rope = doc.rope();
    let start = text::position(rope, finding.span.start, Encoding::Utf32);
    let end = text::position(rope, finding.span.end, Encoding::Utf32);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{path}:{}:{}: {}: {}",
        start.line + 1,
        start.column + 1,
        finding.severity.as_str(),
        finding.full_message()
    );
    let line_no = (start.line + 1).to_string();
    let gutter = " ".repeat(line_no.len());
    let line = text::line_text(rope, start.line as usize);
    let shown = line.replace('\t', " ");
    let width = if end.line == start.line {
        (end.column - start.column).max(1)
    } else {
        (shown.chars().count() as u32)
            .saturating_sub(start.column)
            .max(1)
    };
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{line_no} | {shown}");
    let _ = writeln!(
        out,
        "{gutter} | {}{}",
        " ".repeat(start.column as usize),
        "^".repeat(width as usize)
    );
    for related in &finding.related {
        let at = text::position(rope, related.span.start, Encoding::Utf32);
        let _ = writeln!(
            out,
            "{gutter} = note: in {} at line {}",
            related.label,
            at.line + 1
        );
    }
    if let Some(fix) = &finding.fix {
        let kind = if fix.safe { "safe fix" } else { "unsafe fix" };
        let _ = writeln!(out, "{gutter} = help: {} ({kind})", fix.title);
    }
    out
}
