//! The structure check remembers the issues of large subtrees between keystrokes, by the
//! subtree's identity in tree-sitter's incremental trees. After any sequence of edits it must
//! give exactly what a check from scratch gives: random edits (seeded, printed on failure) on
//! pipelines whose jobs are large enough to be remembered, with snippets that make and unmake
//! structure mistakes.

mod edits;

use azpls::analysis::structure;
use azpls::document::{Document, Edit};
use edits::{Rng, char_boundary};

/// A pipeline of `jobs` jobs, each well over the size the check remembers.
fn pipeline(jobs: usize) -> String {
    let mut out = String::from(
        "trigger:\n- main\nlockBehavior: sequential\nstages:\n- stage: build\n  jobs:\n",
    );
    for j in 0..jobs {
        out.push_str(&format!(
            "  - job: j{j}\n    timeoutInMinutes: 30\n    pool:\n      vmImage: ubuntu-latest\n    steps:\n"
        ));
        for s in 0..6 {
            out.push_str(&format!(
                "    - script: echo {j} {s}\n      displayName: Step {j} {s}\n      enabled: true\n    - checkout: self\n      clean: true\n      fetchDepth: 1\n"
            ));
        }
    }
    out
}

const SNIPPETS: &[&str] = &[
    "",
    "x",
    "s",
    "\n",
    " ",
    "  ",
    "- ",
    ":",
    "stpes",
    "abc",
    "maybe",
    "    - scrpt: echo\n",
    "    timeoutInMinutes: abc\n",
    "    stpes:\n",
    "  - job: extra\n    steps:\n      script: echo\n",
    "${{ if true }}:\n",
    "\"",
    "#",
];

#[test]
fn remembered_structure_issues_equal_a_fresh_check_after_random_edits() {
    for seed in [1u64, 2, 3, 4, 5, 6] {
        let mut rng = Rng(seed);
        let mut doc = Document::new(&pipeline(8), 0);
        structure::forget();
        assert_eq!(structure::check(&doc), structure::check_fresh(&doc));
        for version in 1..=150 {
            let text = doc.text();
            let start = char_boundary(&text, rng.below(text.len() + 1));
            let len = if rng.below(3) == 0 { rng.below(12) } else { 0 };
            let end = char_boundary(&text, (start + len).min(text.len())).max(start);
            let insert = SNIPPETS[rng.below(SNIPPETS.len())];
            doc.apply(
                [Edit {
                    span: start..end,
                    text: insert.into(),
                }],
                version,
            );
            let remembered = structure::check(&doc);
            let fresh = structure::check_fresh(&doc);
            assert_eq!(
                remembered,
                fresh,
                "seed {seed}, edit {version}: remembered issues differ on:\n{}",
                doc.text()
            );
        }
    }
}

#[test]
fn a_mistake_typed_deep_in_a_large_job_is_found_and_then_gone() {
    structure::forget();
    let text = pipeline(6);
    let mut doc = Document::new(&text, 0);
    assert!(structure::check(&doc).is_empty());
    let at = text.rfind("fetchDepth: 1").unwrap() + "fetchDepth: ".len();
    doc.apply(
        [Edit {
            span: at..at + 1,
            text: "deep".into(),
        }],
        1,
    );
    let issues = structure::check(&doc);
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].span, at..at + 4);
    doc.apply(
        [Edit {
            span: at..at + 4,
            text: "1".into(),
        }],
        2,
    );
    assert!(structure::check(&doc).is_empty());
}

#[test]
fn switching_documents_on_one_thread_never_mixes_their_issues() {
    structure::forget();
    let good = Document::new(&pipeline(4), 0);
    let bad = Document::new(&pipeline(4).replace("clean: true", "clean: maybe"), 0);
    for _ in 0..3 {
        assert!(structure::check(&good).is_empty());
        assert_eq!(structure::check(&bad), structure::check_fresh(&bad));
        assert_eq!(structure::check(&bad).len(), 24);
    }
}
