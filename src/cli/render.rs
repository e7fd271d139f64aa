//! Human output in the style of rustc and ruff: `file:line:col: severity: message [id]`,
//! the source line with the token underlined, the related step, and a `help:` line.
//! Everything from the input is shown through [`escape::text`]; the underline follows
//! the escaped line.

use super::escape;
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
            &format!(
                "{}:{}:{}",
                escape::line_start(path),
                start.line + 1,
                start.column + 1
            )
        ),
        escape::text(&finding.full_message())
    );
    let line_no = (start.line + 1).to_string();
    let gutter = " ".repeat(line_no.len());
    let line: Vec<char> = text::line_text(rope, start.line as usize)
        .replace('\t', " ")
        .chars()
        .collect();
    let from = (start.column as usize).min(line.len());
    let to = if end.line == start.line {
        (end.column as usize).clamp(from, line.len())
    } else {
        line.len()
    };
    // Widths as printed: an escaped character takes several columns.
    let width = |chars: &[char]| {
        escape::text(&chars.iter().collect::<String>())
            .chars()
            .count()
    };
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(
        out,
        "{line_no} | {}",
        escape::text(&line.iter().collect::<String>())
    );
    let _ = writeln!(
        out,
        "{gutter} | {}{}",
        " ".repeat(width(&line[..from])),
        style.paint("1;33", &"^".repeat(width(&line[from..to]).max(1)))
    );
    for related in &finding.related {
        let at = text::position(rope, related.span.start, Encoding::Utf32);
        let _ = writeln!(
            out,
            "{gutter} = note: in {} at line {}",
            escape::text(&related.label),
            at.line + 1
        );
    }
    if let Some(fix) = &finding.fix {
        let kind = if fix.safe { "safe fix" } else { "unsafe fix" };
        let _ = writeln!(
            out,
            "{gutter} = help: {} ({kind})",
            escape::text(&fix.title)
        );
    }
    out
}
