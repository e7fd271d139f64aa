//! `expand` over the corpus of real pipelines (`../shared/corpus`, or `AZPLS_CORPUS`;
//! ignored without it, like `tests/corpus.rs`). The corpus holds single files, so only the
//! files whose templates are all present can expand completely: every such file must expand
//! without errors, or with errors the service would raise too, listed below with why.

mod common;

use azpls::expand;
use azpls::ide::templates::{DiskFiles, Place};

/// Files the service would reject, and why.
const REAL_ERRORS: &[(&str, &str)] = &[
    (
        "038-microsoft-azure-pipelines-agent-docs-preview-outdated-yaml-dot-net-core-template.yaml",
        "a documentation sample with a list item where a mapping continues: not valid YAML",
    ),
    (
        "039-microsoft-azure-pipelines-agent-docs-preview-outdated-yaml-vsbuild-template.yaml",
        "a documentation sample with a list item where a mapping continues: not valid YAML",
    ),
];

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn the_corpus_expands_without_errors_but_real_ones() {
    let dir = common::required_corpus();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    paths.sort();
    let (mut clean, mut elsewhere, mut templates, mut real) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        let place = Place {
            file: Some(path.clone()),
            workspace: None,
        };
        let started = std::time::Instant::now();
        let x = expand::expand(&text, &place, &DiskFiles, &[]);
        let took = started.elapsed();
        assert!(took.as_secs() < 5, "{name} took {took:?}");
        let messages: Vec<&str> = x.errors.iter().map(|e| e.message.as_str()).collect();
        let listed = REAL_ERRORS.iter().any(|(n, _)| *n == name);
        // Whatever the category, nothing but these: a template elsewhere, a parameter
        // only callers pass, or a real error listed above.
        let expected = |m: &&str| {
            m.contains(" not found")
                || m.contains("outside the repository")
                || m.contains("has no default")
        };
        if !listed && !messages.iter().all(expected) {
            problems.push(format!("{name}: {messages:?}"));
            continue;
        }
        if messages.is_empty() {
            clean += 1;
        } else if messages
            .iter()
            .any(|m| m.contains(" not found") || m.contains("outside the repository"))
        {
            // Its templates are in its repository, not in the corpus.
            elsewhere += 1;
        } else if !listed {
            // A template, expanded alone: the service too needs the values its callers pass.
            templates += 1;
        } else {
            real += 1;
        }
    }
    eprintln!(
        "expand over {} corpus files: {clean} without errors, {templates} templates needing \
         their callers' values, {real} with real errors, {elsewhere} with templates not in the corpus",
        paths.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(clean > 50, "only {clean} files expanded without errors");
}
