//! The document-wide walks (the structure check, the duplicate keys) may run on a second
//! thread while the calling one builds the model and runs the step rules. The findings must
//! be exactly those of walking on the calling thread: on open, after every keystroke (what
//! the walks remember goes to the worker and comes back), with any of their rules switched
//! off, and where the document's size decides.

mod edits;

use azpls::analysis::{self, Config, Finding, Parallel, walks};
use azpls::document::{Document, Edit};
use azpls::model;
use edits::{Rng, char_boundary};

/// A pipeline with task steps, structure mistakes and duplicate keys, `jobs` jobs long.
fn pipeline(jobs: usize) -> String {
    let mut out = String::from("trigger:\n- main\nstages:\n- stage: build\n  jobs:\n");
    for j in 0..jobs {
        out.push_str(&format!(
            "  - job: j{j}\n    timeoutInMinutes: 30\n    pool:\n      vmImage: ubuntu-latest\n    steps:\n"
        ));
        for s in 0..4 {
            out.push_str(&format!(
                "    - task: AzureFileCopy@4\n      displayName: Copy {j} {s}\n      inputs:\n        SourcePath: out\n        azureSubscription: sc\n        Destination: AzureBlob\n    - script: echo {j} {s}\n      displayName: Step {j} {s}\n      enabled: true\n      DisplayName: again\n"
            ));
        }
        if j % 3 == 1 {
            out.push_str("    stpes:\n    - checkout: self\n      clean: maybe\n");
        }
    }
    out
}

const SNIPPETS: &[&str] = &[
    "",
    "x",
    "\n",
    " ",
    "- ",
    ":",
    "stpes",
    "maybe",
    "    - scrpt: echo\n",
    "      displayName: twice\n",
    "    timeoutInMinutes: abc\n",
    "${{ if true }}:\n",
    "\"",
    "6",
    "\t",
];

fn without(ids: &[&str]) -> Config {
    Config {
        disabled: ids.iter().map(|id| id.to_string()).collect(),
        ..Config::default()
    }
}

/// Applies the same seeded edits to a document, analysing it after each with the walks
/// where `parallel` says, on this thread (whose memos carry over from edit to edit).
fn history(seed: u64, parallel: Parallel, config: &Config) -> Vec<Vec<Finding>> {
    analysis::forget_cached();
    let mut rng = Rng(seed);
    let mut doc = Document::new(&pipeline(6), 0);
    let mut model = model::build(&doc);
    let mut out = vec![analysis::report_with(&doc, &model, config, None, parallel).findings];
    for version in 1..=60 {
        let text = doc.text();
        let start = char_boundary(&text, rng.below(text.len() + 1));
        let len = if rng.below(3) == 0 { rng.below(12) } else { 0 };
        let end = char_boundary(&text, (start + len).min(text.len())).max(start);
        let changes = doc.apply(
            [Edit {
                span: start..end,
                text: rng.pick(SNIPPETS).into(),
            }],
            version,
        );
        model.update(&doc, &changes);
        let found = analysis::report_with(&doc, &model, config, None, parallel).findings;
        assert_eq!(
            found,
            analysis::analyze_uncached(&doc, &model, config),
            "seed {seed}, edit {version}, {parallel:?}: findings differ from a fresh run on:\n{}",
            doc.text()
        );
        out.push(found);
    }
    out
}

#[test]
fn walks_on_a_second_thread_find_what_walks_here_find_after_random_edits() {
    let configs = [
        Config::default(),
        without(&["duplicate-key"]),
        without(&["unknown-key", "wrong-type", "invalid-value", "missing-key"]),
        without(&["missing-key"]),
    ];
    for (n, config) in configs.iter().enumerate() {
        for seed in [1u64, 2, 3] {
            // Each history on its own thread, so that neither sees the other's memos.
            let config = config.clone();
            let here = std::thread::spawn({
                let config = config.clone();
                move || history(seed, Parallel::Never, &config)
            });
            let there = history(seed, Parallel::Always, &config);
            let here = here.join().unwrap();
            assert!(
                there.iter().any(|f| !f.is_empty()),
                "the pipeline has findings"
            );
            assert_eq!(here, there, "config {n}, seed {seed}");
        }
    }
}

#[test]
fn a_large_document_is_analysed_alike_on_one_thread_or_two() {
    let text = pipeline(120);
    assert!(
        text.len() >= walks::PARALLEL_FROM,
        "large enough to use a thread"
    );
    let doc = Document::new(&text, 0);
    let config = Config::default();
    analysis::forget_cached();
    let by_size = analysis::analyze(&doc, &config);
    analysis::forget_cached();
    let one = analysis::analyze_with(&doc, &config, Parallel::Never);
    assert_eq!(by_size, one);
    assert_eq!(
        by_size,
        analysis::analyze_uncached(&doc, &model::build(&doc), &config)
    );
    assert!(by_size.iter().any(|f| f.rule.id == "duplicate-key"));
    assert!(by_size.iter().any(|f| f.rule.id == "unknown-key"));
}

#[test]
fn what_the_worker_remembers_comes_back_to_the_calling_thread() {
    let doc = Document::new(&pipeline(40), 0);
    let config = Config::default();
    analysis::forget_cached();
    analysis::analyze_with(&doc, &config, Parallel::Never);
    let here = walks::remembered();
    assert!(here > 0, "the walks remember subtrees of a 40-job pipeline");
    analysis::forget_cached();
    assert_eq!(walks::remembered(), 0);
    analysis::analyze_with(&doc, &config, Parallel::Always);
    assert_eq!(walks::remembered(), here);
}

#[test]
fn a_refused_or_empty_document_is_analysed_alike_on_one_thread_or_two() {
    let deep = format!("steps:\n{}x\n", "- ".repeat(300));
    for text in ["", "steps:\n", deep.as_str()] {
        let doc = Document::new(text, 0);
        let config = Config::default();
        assert_eq!(
            analysis::analyze_with(&doc, &config, Parallel::Always),
            analysis::analyze_with(&doc, &config, Parallel::Never),
            "{text:?}"
        );
    }
}
