//! Human output in the style of rustc and ruff: `file:line:col: severity: message [id]`,
//! the source line with the token underlined, the related step, and a `help:` line.

use crate::analysis::Finding;
use crate::text::{self, Encoding};
use ropey::Rope;
use std::fmt::Write;

/// ANSI styling, used only when asked (a terminal, and no `NO_COLOR`).
struct Style(bool);

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// Renders one finding. Columns are 1-based and count characters, as terminals do.
pub fn human(path: &str, rope: &Rope, finding: &Finding, color: bool) -> String {
    let style = Style(color);
    let start = text::position(rope, finding.span.start, Encoding::Utf32);
    let end = text::position(rope, finding.span.end, Encoding::Utf32);
    let mut out = String::new();
    let severity = finding.severity.as_str();
    let severity = match finding.severity {
        crate::analysis::Severity::Error => style.paint("1;31", severity),
        crate::analysis::Severity::Warning => style.paint("1;33", severity),
        _ => style.paint("1;36", severity),
    };
    let _ = writeln!(
        out,
        "{}: {severity}: {}",
        style.paint(
            "1",
            &format!("{path}:{}:{}", start.line + 1, start.column + 1)
        ),
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
        style.paint("1;33", &"^".repeat(width as usize))
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
