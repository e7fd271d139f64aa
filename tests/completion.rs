//! Completion snapshots: each `tests/fixtures/completion/<case>.yml` holds one `<|>` where the
//! cursor is, and `<case>.out` what completion offers there.
//!
//! The output lists the items as an editor would show them after filtering by what is typed
//! (a case-insensitive prefix of the label or of a word of the filter text; the server sends
//! them all), in sort order, then the inserted text and documentation of the first few.
//! A first line `# completion: plain crlf` turns snippets off and/or converts the text to CRLF
//! line breaks before completing.
//!
//! `AZPLS_BLESS=1 cargo test --test completion` rewrites the `.out` files; review the diff.

mod common;

use azpls::analysis::Config;
use azpls::document::Document;
use azpls::ide::{self, CompletionItem, CompletionOptions};
use common::check_expected;
use std::fmt::Write;
use std::fs;
use std::path::Path;

const CURSOR: &str = "<|>";
/// Items shown with their text and documentation.
const DETAILED: usize = 2;

/// Completes at the marker; returns the text without it, the cursor and the items.
fn complete(source: &str, options: CompletionOptions) -> (String, usize, Vec<CompletionItem>) {
    let offset = source.find(CURSOR).expect("a <|> cursor marker");
    assert_eq!(source.matches(CURSOR).count(), 1, "one <|> marker");
    let text = source.replacen(CURSOR, "", 1);
    let doc = Document::new(&text, 0);
    let items = ide::completions(&doc, &Config::default(), offset, options);
    for item in &items {
        assert!(
            item.span.start <= offset && offset <= item.span.end,
            "{}: span {:?} must contain the cursor {offset}",
            item.label,
            item.span
        );
        assert!(
            !text[item.span.clone()].contains('\n'),
            "{}: span {:?} must stay on the cursor's line",
            item.label,
            item.span
        );
    }
    (text, offset, items)
}

fn matches_typed(item: &CompletionItem, typed: &str) -> bool {
    let typed = typed.to_ascii_lowercase();
    std::iter::once(item.label.as_str())
        .chain(item.filter_text.iter().flat_map(|f| f.split(' ')))
        .any(|word| word.to_ascii_lowercase().starts_with(&typed))
}

fn render(text: &str, offset: usize, items: &[CompletionItem]) -> String {
    let mut out = String::new();
    let Some(first) = items.first() else {
        return "no completion\n".to_string();
    };
    let typed = text[first.span.start..offset].trim_start_matches(['"', '\'', ' ']);
    let shown: Vec<&CompletionItem> = items.iter().filter(|i| matches_typed(i, typed)).collect();
    let _ = writeln!(
        out,
        "{} items, {} match {typed:?}; replacing {:?}",
        items.len(),
        shown.len(),
        &text[first.span.clone()]
    );
    for item in &shown {
        let _ = writeln!(
            out,
            "{}{} [{:?}, {}] {}",
            item.label,
            if item.deprecated { " (deprecated)" } else { "" },
            item.kind,
            item.sort_text,
            item.detail
        );
    }
    for item in shown.iter().take(DETAILED) {
        let _ = writeln!(
            out,
            "\n=== {} inserts ({}):\n{}",
            item.label,
            if item.snippet { "snippet" } else { "plain" },
            item.text
        );
        if !item.documentation.is_empty() {
            let _ = writeln!(out, "--- documentation:\n{}", item.documentation.trim_end());
        }
    }
    out
}

#[test]
fn completion_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/completion");
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "fixtures in {}", dir.display());
    let mut failures = Vec::new();
    for case in cases {
        let mut source = fs::read_to_string(&case).unwrap();
        let flags = source
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# completion:"))
            .unwrap_or_default()
            .to_string();
        if flags.contains("crlf") {
            source = source.replace('\n', "\r\n");
        }
        let options = CompletionOptions {
            snippets: !flags.contains("plain"),
        };
        let (text, offset, items) = complete(&source, options);
        let rendered = render(&text, offset, &items).replace('\r', "\\r");
        check_expected(&case.with_extension("out"), &rendered, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
