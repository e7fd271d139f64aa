//! Hostile documents through every core feature, in a test thread's small stack: deep
//! block nesting (past the YAML grammar's limits, which would abort the process), deep
//! flow nesting (which the grammar accepts, and which recursive walks and climbs to the
//! root through `Node::parent` could not survive), long lines and many rows.
//!
//! Each document goes through parsing, the model, the analysis, the outline, folding,
//! hovers, completion, template navigation and an edit at its innermost point, and the
//! whole of it must finish well within a generous time: the old code took minutes (or
//! overflowed its stack) on several of these.

use azpls::analysis::{self, Config};
use azpls::document::{Document, Edit};
use azpls::ide::{self, templates};
use azpls::model;
use std::time::{Duration, Instant};

/// Far above what these take (a few hundred milliseconds in a debug build), far below
/// what the quadratic climbs took (minutes).
const BUDGET: Duration = Duration::from_secs(20);

fn exercise(name: &str, text: &str) -> Document {
    let started = Instant::now();
    let mut doc = Document::new(text, 0);
    let mut model = model::build(&doc);
    let config = Config::default();
    let findings = analysis::analyze_model(&doc, &model, &config);
    let _ = ide::document_symbols(&doc, &model);
    let _ = ide::folding_ranges(&doc, &model);
    let place = templates::Place::default();
    let _ = templates::links(&doc, &place, &templates::DiskFiles);
    let len = text.len();
    let offsets = [0, len / 3, len / 2, len.saturating_sub(12), len];
    for &at in &offsets {
        let _ = ide::hover(&doc, &model, &config, at);
        let _ = templates::hover(&doc, &place, &templates::DiskFiles, at);
        let _ = templates::definition(&doc, &place, &templates::DiskFiles, at);
        let _ = ide::completions(&doc, &model, &config, at, ide::CompletionOptions::default());
        let _ = ide::code_actions(&findings, &(at..at), false);
    }
    // A keystroke at the innermost point, then the model follows it.
    let at = len / 2;
    let at = (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let changes = doc.apply(
        [Edit {
            span: at..at,
            text: "x".into(),
        }],
        1,
    );
    model.update(&doc, &changes);
    let _ = analysis::analyze_model(&doc, &model, &config);
    let _ = ide::hover(&doc, &model, &config, at);
    let elapsed = started.elapsed();
    assert!(elapsed < BUDGET, "{name}: took {elapsed:?}");
    doc
}

fn nested(open: &str, levels: usize, inner: &str) -> String {
    format!("steps: {}{inner}\n", open.repeat(levels))
}

/// Block mappings and sequences nest by indentation, so 30,000 levels of them would take
/// half a gigabyte of spaces: those go to 3,000 levels (4.5 and 9 MB); `- - -` chains nest
/// on one line and go to 30,000.
#[test]
fn block_nesting_past_the_grammar_limit_is_refused_not_parsed() {
    let staircase =
        |levels: usize, row: &dyn Fn(usize) -> String| -> String { (0..levels).map(row).collect() };
    let mut cases = Vec::new();
    for levels in [300, 3_000] {
        cases.push((
            format!("{levels} levels of mappings"),
            staircase(levels, &|i| format!("{}a:\n", " ".repeat(i))),
        ));
        cases.push((
            format!("{levels} levels of sequences"),
            staircase(levels, &|i| format!("{}- \n", "  ".repeat(i))),
        ));
    }
    for levels in [300, 3_000, 30_000] {
        cases.push((
            format!("a chain of {levels} sequences"),
            format!("{}x\n", "- ".repeat(levels)),
        ));
    }
    for (kind, text) in cases {
        let doc = exercise(&kind, &text);
        assert!(doc.refusal().is_some(), "{kind}");
        let findings = analysis::analyze(&doc, &Config::default());
        assert_eq!(
            findings.iter().map(|f| f.rule.id).collect::<Vec<_>>(),
            ["parse-limit"],
            "{kind}: one finding says why nothing else is reported"
        );
    }
}

#[test]
fn deep_flow_nesting_is_parsed_and_served_in_bounded_time() {
    for levels in [300, 3_000, 30_000] {
        for (kind, text) in [
            ("{a: ", nested("{a: ", levels, "b")),
            ("[", nested("[", levels, "b")),
            ("[{", nested("[{a: ", levels, "b")),
            (
                "steps in flow",
                nested("[{task: AzureCLI@1, inputs: {x: 1}, a: ", levels, "b"),
            ),
            (
                "templates in flow",
                nested("[{template: t.yml, parameters: {a: ", levels, "b"),
            ),
        ] {
            exercise(&format!("{levels} levels of {kind}"), &text);
        }
    }
}

#[test]
fn nested_conditionals_in_inputs_do_not_recurse_without_end() {
    let text = format!(
        "steps:\n- task: AzureCLI@2\n  inputs: {}{{a: b}}\n",
        "{${{ if true }}: ".repeat(20_000)
    );
    exercise("nested input conditionals", &text);
}

#[test]
fn long_lines_and_many_rows_are_served() {
    let long_value = format!("steps:\n- script: echo {}\n", "x".repeat(10_000_000));
    let doc = exercise("a 10 MB line", &long_value);
    assert!(doc.refusal().is_none(), "a long value is not structure");
    let late_structure = format!("steps:\n- script: {} - x: y\n", "x".repeat(40_000));
    let doc = exercise("structure past column 32,767", &late_structure);
    assert!(doc.refusal().is_some());
    let rows: String = std::iter::once("steps:\n".to_string())
        .chain((0..70_000).map(|i| format!("- task: AzureFileCopy@{}\n", i % 7)))
        .collect();
    exercise("70,000 rows", &rows);
    // A 10 MB flow sequence would take gigabytes and most of a minute to parse.
    let flow = format!(
        "steps:\n- {{ task: AzureFileCopy@4, inputs: {{ a: [{}x] }} }}\n",
        "x, ".repeat(3_500_000)
    );
    let doc = exercise("a 10 MB flow sequence", &flow);
    assert!(doc.refusal().is_some());
    let cr_rows: String = (0..40_000).map(|i| format!("- a{i}: b\r")).collect();
    exercise("40,000 rows ended by lone carriage returns", &cr_rows);
}
