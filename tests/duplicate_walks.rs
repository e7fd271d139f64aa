//! With the structure rules on, the structure check finds the duplicate keys in its own walk
//! and hands `duplicate-key`'s walk only what it does not read itself. The duplicates must be
//! exactly those `duplicate-key`'s walk finds over the whole document, which is what a fresh
//! analysis (`analyze_uncached`) reports: on documents that put duplicates where the
//! structure walk does not look, and after random edits of them (syntax errors included).

mod edits;

use azpls::analysis::{self, Config, Finding};
use azpls::document::{Document, Edit};
use azpls::model;
use edits::{Rng, char_boundary};

/// Duplicates in every kind of place: values the structure check reads and values it does
/// not (unknown keys, keys in the wrong case, insertions of a list into a mapping, values of
/// the wrong type, steps of no kind),
/// `$( )` keys, flow mappings with bare entries, quoted, tagged and anchored keys, long
/// mappings, non-pipeline and foreign documents.
const TRICKY: &str = "\
trigger:
- main
parameters:
- name: p
  type: object
  default:
    a: 1
    a: 2
variables:
  v: 1
  V: 2
stages:
- stage: s
  displayName: one
  DisplayName: two
  jobs:
  - job: j
    pool: { vmImage: ubuntu-latest, vmImage: windows-latest }
    bogusKey:
      z: 1
      z: 2
    Workspace:
      w: 1
      w: 2
    workspace:
    - w: 1
      w: 2
    ${{ each x in parameters.p }}:
    - e: 1
      e: 2
    steps:
    - script: echo
      env: { {x: 1, x: 2}, y }
      displayName: a
    - $(step): 1
      $(step): 2
    - ${{ if true }}:
      - task: Bash@3
        inputs:
          script: a
          Script: b
    - stpes:
        q: 1
        q: 2
    - bogus: 1
      bogus: 2
    - checkout: self
      \"clean\": true
      clean: false
    - script: x
      !!str tagged: 1
      tagged: 2
      &anchor anchored: 1
      anchored: 2
      [complex]: 1
      [complex]: 2
      k1: 1
      k2: 2
      k3: 3
      k4: 4
      k5: 5
      k6: 6
      k7: 7
      k8: 8
      k9: 9
      k10: 10
      k11: 11
      k12: 12
      k13: 13
      k14: 14
      K14: 15
    timeoutInMinutes:
      not: 1
      not: 2
---
plain: yaml
nested:
  a: 1
  a: 2
---
apiVersion: v1
kind: List
items:
  a: 1
  a: 2
---
- just: a
  just: sequence
";

fn duplicates(found: &[Finding]) -> Vec<Finding> {
    found
        .iter()
        .filter(|f| f.rule.id == "duplicate-key")
        .cloned()
        .collect()
}

/// The analysis as the server runs it (remembering, structure and duplicates in one walk)
/// against a fresh one (duplicates from `duplicate-key`'s own walk).
fn assert_alike(doc: &Document, config: &Config, at: &str) -> Vec<Finding> {
    let model = model::build(doc);
    let found = analysis::analyze_model(doc, &model, config);
    let fresh = analysis::analyze_uncached(doc, &model, config);
    assert_eq!(
        duplicates(&found),
        duplicates(&fresh),
        "{at}: duplicate keys differ on:\n{}",
        doc.text()
    );
    assert_eq!(found, fresh, "{at}: findings differ on:\n{}", doc.text());
    found
}

#[test]
fn duplicates_found_by_the_structure_walk_are_those_of_the_duplicate_key_walk() {
    analysis::forget_cached();
    let doc = Document::new(TRICKY, 0);
    let found = duplicates(&assert_alike(&doc, &Config::default(), "tricky"));
    let lines: Vec<usize> = found
        .iter()
        .map(|f| doc.rope().byte_to_line(f.span.start) + 1)
        .collect();
    // Every planted duplicate but the foreign document's and the `$( )` keys' (expressions
    // the service does not compare).
    assert!(lines.len() >= 15, "{lines:?}\n{found:#?}");
    let manifest = TRICKY[..TRICKY.find("apiVersion").unwrap()].lines().count() + 1;
    assert!(
        lines.iter().all(|&l| l < manifest || l > manifest + 4),
        "the Kubernetes manifest is not ours: {lines:?}"
    );
}

#[test]
fn duplicates_in_deep_insertions_past_the_structure_walks_depth_are_found() {
    // Insertions nested in flow style, on one row: as deep as the structure walk goes and
    // deeper, within what the grammar parses.
    for levels in [94, 95, 96, 110] {
        let text = format!(
            "steps: [{}{{script: a, script: b, env: {{c: 1, c: 2}}}}{}]\n",
            "{\"${{ if true }}\": [".repeat(levels),
            "]}".repeat(levels)
        );
        let doc = Document::new(&text, 0);
        assert!(doc.refusal().is_none(), "within the grammar's limits");
        assert!(!doc.tree().root_node().has_error());
        analysis::forget_cached();
        let found = duplicates(&assert_alike(&doc, &Config::default(), "deep"));
        assert_eq!(found.len(), 2, "{levels} levels: {found:#?}");
    }
}

const SNIPPETS: &[&str] = &[
    "",
    "x",
    "\n",
    " ",
    "  ",
    "- ",
    ":",
    "a: 1\n",
    "  a: 2\n",
    "displayName: d\n",
    "{ ",
    "}",
    "[",
    "\"",
    "'",
    "${{ if true }}:\n",
    "$(x): 1\n",
    "\t",
    "---\n",
    "#",
];

#[test]
fn duplicates_stay_alike_after_random_edits() {
    let configs = [
        Config::default(),
        Config {
            disabled: vec!["unknown-key".into(), "missing-key".into()],
            ..Config::default()
        },
    ];
    for (n, config) in configs.iter().enumerate() {
        for seed in 1..=6u64 {
            analysis::forget_cached();
            let mut rng = Rng(seed);
            let mut doc = Document::new(TRICKY, 0);
            for version in 1..=80 {
                let text = doc.text();
                let start = char_boundary(&text, rng.below(text.len() + 1));
                let len = if rng.below(3) == 0 { rng.below(16) } else { 0 };
                let end = char_boundary(&text, (start + len).min(text.len())).max(start);
                doc.apply(
                    [Edit {
                        span: start..end,
                        text: rng.pick(SNIPPETS).into(),
                    }],
                    version,
                );
                assert_alike(
                    &doc,
                    config,
                    &format!("config {n}, seed {seed}, edit {version}"),
                );
            }
        }
    }
}

#[test]
fn what_the_structure_walk_remembered_without_duplicates_is_not_reused_for_them() {
    // A pipeline large enough for its jobs to be remembered, each with a duplicate key.
    let mut text = String::from("stages:\n- stage: s\n  jobs:\n");
    for j in 0..20 {
        text.push_str(&format!("  - job: j{j}\n    steps:\n"));
        for s in 0..8 {
            text.push_str(&format!(
                "    - script: echo {j} {s}\n      displayName: a\n      displayName: b\n"
            ));
        }
    }
    let doc = Document::new(&text, 0);
    let without = Config {
        disabled: vec!["duplicate-key".into()],
        ..Config::default()
    };
    analysis::forget_cached();
    for config in [&without, &Config::default(), &without, &Config::default()] {
        let found = assert_alike(&doc, config, "switching");
        let expected = if config.disabled.is_empty() { 160 } else { 0 };
        assert_eq!(duplicates(&found).len(), expected);
    }
}
