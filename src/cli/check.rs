//! `azpls check FILE...`: analyses files and prints the findings.

use super::render;
use crate::analysis::{self, Config};
use crate::document::Document;
use std::io::Write;
use std::path::Path;

/// What a check run found, for the exit code.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub findings: usize,
    pub fixable: usize,
    pub errors: usize,
}

/// Reads a file as UTF-8 text, with a message that names it when it can't.
pub fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Checks each file, printing findings to `out` and problems to `err`.
pub fn run(
    paths: &[std::path::PathBuf],
    config: &Config,
    out: &mut impl Write,
    err: &mut impl Write,
) -> std::io::Result<Summary> {
    let mut summary = Summary::default();
    for path in paths {
        let text = match read(path) {
            Ok(text) => text,
            Err(e) => {
                writeln!(err, "error: {e}")?;
                summary.errors += 1;
                continue;
            }
        };
        summary.files += 1;
        let doc = Document::new(&text, 0);
        let findings = analysis::analyze(&doc, config);
        let shown = path.display().to_string();
        for finding in &findings {
            writeln!(out, "{}", render::human(&shown, &doc, finding))?;
        }
        summary.findings += findings.len();
        summary.fixable += findings
            .iter()
            .filter(|f| f.fix.as_ref().is_some_and(|x| x.safe))
            .count();
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    writeln!(
        out,
        "{} in {} ({} with a safe fix)",
        plural(summary.findings, "finding"),
        plural(summary.files, "file"),
        summary.fixable
    )?;
    Ok(summary)
}
