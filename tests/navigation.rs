//! Navigation: the outline and folding.
//!
//! - `tests/fixtures/navigation/outline/<case>.yml` is outlined and folded; `<case>.out`
//!   is the rendering (`AZPLS_BLESS=1 cargo test --test navigation` rewrites it).
//! - The corpus of real pipelines (`../shared/corpus`, skipped loudly when absent) is
//!   outlined and folded for panics and malformed ranges.

mod common;

use azpls::document::Document;
use azpls::ide::{self, Fold, Symbol};
use std::fs;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/navigation")
}

// ---- Outline and folding snapshots ----

/// Checks what every outline must satisfy; returns the problems found.
fn check_symbols(
    text: &str,
    symbols: &[Symbol],
    parent: Option<&Symbol>,
    problems: &mut Vec<String>,
) {
    for s in symbols {
        let mut problem = |what: &str| problems.push(format!("{what}: {:?} {:?}", s.name, s.span));
        if s.name.trim().is_empty() {
            problem("empty name");
        }
        if s.span.start > s.span.end || s.span.end > text.len() {
            problem("span out of the text");
        } else if !text.is_char_boundary(s.span.start) || !text.is_char_boundary(s.span.end) {
            problem("span not on char boundaries");
        }
        if !(s.span.start <= s.selection.start && s.selection.end <= s.span.end) {
            problem("selection outside the span");
        }
        if let Some(p) = parent
            && !(p.span.start <= s.span.start && s.span.end <= p.span.end)
        {
            problem("child outside its parent");
        }
        check_symbols(text, &s.children, Some(s), problems);
    }
    for pair in symbols.windows(2) {
        if pair[1].span.start < pair[0].span.end {
            problems.push(format!(
                "siblings overlap: {:?} and {:?}",
                pair[0].name, pair[1].name
            ));
        }
    }
}

fn check_folds(text: &str, folds: &[Fold], problems: &mut Vec<String>) {
    let lines = text.split('\n').count() as u32;
    for f in folds {
        if f.end_line <= f.start_line || f.end_line >= lines {
            problems.push(format!("bad fold {f:?} ({lines} lines)"));
        }
    }
    for pair in folds.windows(2) {
        if pair[1].start_line <= pair[0].start_line {
            problems.push(format!("folds not sorted or two on a line: {pair:?}"));
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

fn render_symbols(text: &str, symbols: &[Symbol], depth: usize, out: &mut String) {
    for s in symbols {
        let selected = &text[s.selection.clone()];
        let selected = match selected.split_once('\n') {
            Some((first, _)) => format!("{first}…"),
            None => selected.to_string(),
        };
        out.push_str(&format!(
            "{}{} {:?}{}  lines {}-{}  selects `{}`\n",
            "  ".repeat(depth),
            s.kind.word(),
            s.name,
            s.detail
                .as_ref()
                .map(|d| format!(" · {d}"))
                .unwrap_or_default(),
            line_of(text, s.span.start),
            line_of(text, s.span.end),
            selected,
        ));
        render_symbols(text, &s.children, depth + 1, out);
    }
}

fn render_folds(text: &str, folds: &[Fold]) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    folds
        .iter()
        .map(|f| {
            format!(
                "{}-{} {:?}  {}\n",
                f.start_line + 1,
                f.end_line + 1,
                f.kind,
                lines[f.start_line as usize].trim()
            )
        })
        .collect()
}

#[test]
fn outline_and_folding_snapshots() {
    let dir = fixtures().join("outline");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "outline fixtures: {cases:?}");
    let mut failures = Vec::new();
    for case in cases {
        let text = fs::read_to_string(&case).unwrap();
        let doc = Document::new(&text, 0);
        let symbols = ide::document_symbols(&doc);
        let folds = ide::folding_ranges(&doc);
        let mut problems = Vec::new();
        check_symbols(&text, &symbols, None, &mut problems);
        check_folds(&text, &folds, &mut problems);
        if !problems.is_empty() {
            failures.push(format!("{}:\n{}", case.display(), problems.join("\n")));
        }
        let mut rendered = String::from("# outline\n");
        render_symbols(&text, &symbols, 0, &mut rendered);
        rendered.push_str("\n# folding\n");
        rendered.push_str(&render_folds(&text, &folds));
        common::check_expected(&case.with_extension("out"), &rendered, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_outline_survives_every_prefix_of_a_file() {
    // What a file looks like while it is typed from the top: never a panic or a bad range.
    let text = fs::read_to_string(fixtures().join("outline/stages.yml")).unwrap();
    for end in (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .step_by(3)
    {
        let prefix = &text[..end];
        let doc = Document::new(prefix, 0);
        let mut problems = Vec::new();
        check_symbols(prefix, &ide::document_symbols(&doc), None, &mut problems);
        check_folds(prefix, &ide::folding_ranges(&doc), &mut problems);
        assert!(
            problems.is_empty(),
            "prefix of {end} bytes: {problems:?}\n{prefix}"
        );
    }
}

#[test]
fn corpus_outlines_and_folds_are_well_formed() {
    let Some(dir) = common::corpus() else {
        return;
    };
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    let (mut symbols_seen, mut folds_seen) = (0, 0);
    let mut failures = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path).unwrap();
        let doc = Document::new(&text, 0);
        let symbols = ide::document_symbols(&doc);
        let folds = ide::folding_ranges(&doc);
        fn count(s: &[Symbol]) -> usize {
            s.iter().map(|s| 1 + count(&s.children)).sum()
        }
        symbols_seen += count(&symbols);
        folds_seen += folds.len();
        let mut problems = Vec::new();
        check_symbols(&text, &symbols, None, &mut problems);
        check_folds(&text, &folds, &mut problems);
        if !problems.is_empty() {
            failures.push(format!("{}:\n{}", path.display(), problems.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        symbols_seen > files.len() * 3,
        "{symbols_seen} symbols in {} files",
        files.len()
    );
    eprintln!(
        "corpus: {} files, {symbols_seen} symbols, {folds_seen} folds",
        files.len()
    );
}
