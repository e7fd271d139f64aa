//! Real pipelines from public repositories, found at `../shared/corpus` (or wherever
//! `AZPLS_CORPUS` points; `AZPLS_SHARED` names the shared folder). Every test here is
//! `#[ignore]`d, so a fresh clone without it lists them as ignored; `--include-ignored`
//! runs them, and then a missing corpus fails them.
//!
//! For every file: no panic; every `task:` reference line is seen by the model (counted
//! here independently, line by line); an incremental re-typing of the file ends with the
//! same tree and findings as a fresh parse; findings agree under both tables.

mod common;

use azpls::analysis::{self, Config};
use azpls::document::{Document, Edit};
use azpls::model;

fn files() -> Vec<(String, String)> {
    let dir = common::required_corpus();
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    assert!(
        out.len() > 100,
        "the corpus should hold about 129 files, found {}",
        out.len()
    );
    out
}

/// Lines that hold a `task:` key as a step would: `- task: X`, `task: X` (block style,
/// after a `- ` of the same item) or `- { task: X }`; comment lines excluded.
fn count_task_lines(text: &str) -> usize {
    text.lines()
        .filter(|line| {
            let t = line.trim_start();
            if t.starts_with('#') {
                return false;
            }
            let t = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
            let t = t.strip_prefix("{").map(str::trim_start).unwrap_or(t);
            let t = t
                .strip_prefix("\"task\"")
                .or_else(|| t.strip_prefix("'task'"))
                .or_else(|| t.strip_prefix("task"));
            t.is_some_and(|rest| rest.starts_with(':'))
        })
        .count()
}

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn every_task_reference_is_seen() {
    let mut problems = Vec::new();
    let mut total = 0;
    for (name, text) in files() {
        let doc = Document::new(&text, 0);
        let steps = model::build(&doc).steps.len();
        let expected = count_task_lines(&text);
        total += steps;
        if steps != expected {
            problems.push(format!(
                "{name}: model saw {steps} task steps, lines say {expected}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("corpus: {total} task steps seen");
}

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn incremental_retyping_matches_fresh_parse() {
    let seed_table = azpls::config::Settings::from_toml("[wif]\ntable = \"2024-02-08\"\n")
        .unwrap()
        .to_config()
        .unwrap();
    for (name, text) in files() {
        for config in [Config::default(), seed_table.clone()] {
            // Delete each task line's version and type it back, char by char, as a user would,
            // plus a line deleted and restored in the middle of the file.
            let mut doc = Document::new(&text, 0);
            let fresh = analysis::analyze(&Document::new(&text, 0), &config);
            let mut version = 0;
            for (at, _) in text.match_indices("task:").take(5) {
                let line_end = text[at..].find('\n').map_or(text.len(), |e| at + e);
                let removed = &text[at..line_end];
                version += 1;
                doc.apply(
                    [Edit {
                        span: at..line_end,
                        text: String::new(),
                    }],
                    version,
                );
                let mut pos = at;
                for c in removed.chars() {
                    version += 1;
                    doc.apply(
                        [Edit {
                            span: pos..pos,
                            text: c.to_string(),
                        }],
                        version,
                    );
                    pos += c.len_utf8();
                }
            }
            assert_eq!(doc.text(), text, "{name}: text after retyping");
            assert_eq!(
                doc.tree().root_node().to_sexp(),
                Document::new(&text, 0).tree().root_node().to_sexp(),
                "{name}: tree after retyping"
            );
            assert_eq!(
                analysis::analyze(&doc, &config),
                fresh,
                "{name}: findings after retyping"
            );
            // The per-step memo has seen this file's steps in every form typed since:
            // it must still agree with every rule run afresh.
            assert_eq!(
                fresh,
                analysis::analyze_uncached(&doc, &model::build(&doc), &config),
                "{name}: memoised findings"
            );
        }
    }
}

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn no_panic_on_truncated_files() {
    // Every prefix at a line boundary: what a half-typed file looks like.
    for (_, text) in files().into_iter().take(40) {
        for (i, _) in text.match_indices('\n').step_by(7) {
            let doc = Document::new(&text[..i], 0);
            let _ = analysis::analyze(&doc, &Config::default());
        }
    }
}

/// The catalog's and the language's rules on real pipelines: every finding must be real. Those the corpus has
/// are listed here with why; anything else is a false positive to fix, not to bless.
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn catalog_rules_report_only_real_problems() {
    let files = files();
    // (file prefix, line, rule, why): misplaced or foreign inputs the task ignores, values a
    // task doesn't take, and hosted images that are gone.
    const REAL: &[(&str, usize, &str, &str)] = &[
        (
            "048-",
            146,
            "undeclared-parameter",
            "WorkingDirectory is not among the ten parameters the template lists, so no caller \
             can pass it and workingDirectory is always empty (the same file's other steps use \
             $(System.DefaultWorkingDirectory))",
        ),
        (
            "047-",
            320,
            "unknown-input",
            "displayName is a step property, not a Bash@3 input",
        ),
        (
            "112-",
            22,
            "unknown-input",
            "containerRegistry is a Docker@2 input; Docker@1 ignores it",
        ),
        (
            "115-",
            45,
            "unknown-input",
            "scriptType is an AzureCLI@2 input; AzureCLI@1 ignores it",
        ),
        (
            "036-",
            97,
            "unknown-key",
            "parameters is not a key of a job: the job is rejected whenever \
             ${{ if eq(parameters.disableSdl, true) }} inserts it",
        ),
        (
            "062-",
            27,
            "unknown-key",
            "a variable has name and value; `default` is a parameter's key, so the service \
             rejects the variables template",
        ),
        (
            "002-",
            98,
            "invalid-input-value",
            "PublishSymbols@2 symbolServerType is TeamServices; teamServices differs in case (hint)",
        ),
        (
            "036-",
            253,
            "invalid-input-value",
            "PublishCodeCoverageResults@1 codeCoverageTool is Cobertura; cobertura differs in case (hint)",
        ),
        (
            "049-",
            266,
            "invalid-input-value",
            "AzurePowerShell@5 azurePowerShellVersion is LatestVersion; latestVersion differs in case (hint)",
        ),
        (
            "061-",
            42,
            "invalid-vm-image",
            "ubuntu-20.04, removed from the hosted pool on 2025-04-30",
        ),
        (
            "061-",
            168,
            "invalid-vm-image",
            "ubuntu-20.04, removed from the hosted pool on 2025-04-30",
        ),
        (
            "061-",
            186,
            "invalid-vm-image",
            "ubuntu-20.04, removed from the hosted pool on 2025-04-30",
        ),
        (
            "070-",
            26,
            "invalid-vm-image",
            "win1803 (Windows Server Core 1803), long gone from the hosted pool",
        ),
        (
            "074-",
            17,
            "invalid-vm-image",
            "ubuntu-16.04, retired in 2021",
        ),
        (
            "074-",
            47,
            "invalid-vm-image",
            "ubuntu-16.04, retired in 2021",
        ),
        (
            "074-",
            77,
            "invalid-vm-image",
            "ubuntu-16.04, retired in 2021",
        ),
        (
            "076-",
            12,
            "invalid-vm-image",
            "windows-2019 (hint): the hosted page lists its deprecation schedule",
        ),
        (
            "078-",
            24,
            "invalid-vm-image",
            "ubuntu-16.04, retired in 2021",
        ),
        (
            "100-",
            7,
            "invalid-vm-image",
            "ubuntu-16.04, retired in 2021",
        ),
        (
            "100-",
            13,
            "invalid-vm-image",
            "vs2017-win2016 (Windows Server 2016), retired",
        ),
        (
            "106-",
            7,
            "invalid-vm-image",
            "'Ubuntu 16.04' names no label; ubuntu-16.04 is retired anyway",
        ),
        (
            "111-",
            11,
            "invalid-vm-image",
            "ubuntu-16.04, retired in 2021",
        ),
        (
            "111-",
            21,
            "invalid-vm-image",
            "windows-2019 (hint): being retired",
        ),
        (
            "111-",
            32,
            "invalid-vm-image",
            "ubuntu-16.04, retired in 2021",
        ),
        (
            "111-",
            68,
            "invalid-vm-image",
            "windows-2019 (hint): being retired",
        ),
        (
            "112-",
            14,
            "invalid-vm-image",
            "'Ubuntu 18.04' names no label; ubuntu-18.04 is retired anyway",
        ),
        (
            "114-",
            5,
            "invalid-vm-image",
            "ubuntu-18.04, retired in 2023",
        ),
        (
            "127-",
            8,
            "invalid-vm-image",
            "Ubuntu-16.04 (labels ignore case), retired in 2021",
        ),
        (
            "128-",
            2,
            "invalid-vm-image",
            "ubuntu-18.04, retired in 2023",
        ),
        (
            "129-",
            20,
            "invalid-vm-image",
            "Ubuntu-16.04 (labels ignore case), retired in 2021",
        ),
    ];
    let mut unexpected = Vec::new();
    let (mut deprecated, mut listed) = (0, 0);
    for (name, text) in &files {
        let doc = Document::new(text, 0);
        for f in analysis::analyze(&doc, &Config::default()) {
            // The syntax rules have their own test below.
            if f.rule.about_wif() || SYNTAX_RULES.contains(&f.rule.id) {
                continue;
            }
            let line = doc.rope().byte_to_line(f.span.start) + 1;
            match f.rule.id {
                // The task's own definition says so: real by construction, but the step
                // must be a catalog version that carries the flag.
                "deprecated-task" => {
                    deprecated += 1;
                    assert!(
                        f.message.contains("is deprecated"),
                        "{name}:{line}: {}",
                        f.message
                    );
                }
                id if REAL
                    .iter()
                    .any(|(p, l, r, _)| name.starts_with(p) && *l == line && *r == id) =>
                {
                    listed += 1
                }
                _ => unexpected.push(format!("{name}:{line}: {}", f.full_message())),
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "false positives:\n{}",
        unexpected.join("\n")
    );
    // NodeTool@0, Maven@3, PublishCodeCoverageResults@1, DockerCompose@0, FileTransform@1, ...
    assert_eq!(listed, REAL.len(), "every listed finding is still found");
    assert_eq!(deprecated, 33, "catalog deprecations in the corpus");
}

const SYNTAX_RULES: [&str; 2] = ["yaml-syntax", "duplicate-key"];

/// The syntax rules on real pipelines: nothing on valid YAML and no duplicate key the
/// service would accept. The findings the corpus has are listed with why they are real.
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn syntax_rules_report_only_real_problems() {
    const REAL: &[(&str, usize, &str, &str)] = &[
        (
            "038-",
            51,
            "yaml-syntax",
            "a mustache template ({{#each}} lines), not YAML: PyYAML stops at the same place",
        ),
        (
            "039-",
            58,
            "yaml-syntax",
            "a mustache template ({{#matrix}} lines), not YAML: PyYAML stops at the same place",
        ),
    ];
    let mut unexpected = Vec::new();
    let mut listed = 0;
    for (name, text) in files() {
        let doc = Document::new(&text, 0);
        for f in analysis::analyze(&doc, &Config::default()) {
            if !SYNTAX_RULES.contains(&f.rule.id) {
                continue;
            }
            let line = doc.rope().byte_to_line(f.span.start) + 1;
            if REAL
                .iter()
                .any(|(p, l, r, _)| name.starts_with(p) && *l == line && *r == f.rule.id)
            {
                listed += 1;
            } else {
                unexpected.push(format!("{name}:{line}: {}", f.full_message()));
            }
        }
    }
    assert!(
        unexpected.is_empty(),
        "false positives:\n{}",
        unexpected.join("\n")
    );
    assert_eq!(listed, REAL.len(), "every listed finding is still found");
}

/// A position's ancestors found by one descent (`syntax::path_to`, which the model and
/// the editor features use instead of `Node::parent`) end where tree-sitter's own
/// `descendant_for_byte_range` does, at every offset of every corpus file.
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn ancestors_by_descent_match_tree_sitter_on_the_corpus() {
    for (name, text) in files() {
        let doc = azpls::document::Document::new(&text, 0);
        let root = doc.tree().root_node();
        for start in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            let end = (start + 4).min(text.len());
            let end = (start..=end)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap();
            for (s, e) in [(start, start), (start, end)] {
                let path = azpls::syntax::path_to(root, s, e);
                assert_eq!(
                    path.last().copied(),
                    root.descendant_for_byte_range(s, e),
                    "{name}: {s}..{e}"
                );
            }
        }
    }
}

/// The expression rules stay quiet on the corpus (checked with the other rules above) because
/// its expressions parse, not because none are read: every `${{ }}`, `$[ ]` and condition of
/// the corpus is found and parses without an error, and every function it calls is known.
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn corpus_expressions_all_parse() {
    let mut counts = std::collections::BTreeMap::new();
    let mut problems = Vec::new();
    for (name, text) in files() {
        let doc = Document::new(&text, 0);
        for found in azpls::expr::document::all(&doc) {
            for e in &found.expressions {
                *counts.entry(format!("{:?}", e.kind)).or_insert(0) += 1;
                for err in &e.errors {
                    problems.push(format!("{name}: {} at {:?}", err.message, err.span));
                }
                for call in e.calls() {
                    if azpls::expr::functions().get(call.name).is_none() {
                        problems.push(format!("{name}: unknown function {}", call.name));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // About 1,150 template expressions, 150 conditions and 30 runtime expressions.
    let count = |k: &str| counts.get(k).copied().unwrap_or(0);
    assert!(count("Template") > 1000, "{counts:?}");
    assert!(count("Condition") > 100, "{counts:?}");
    assert!(count("Runtime") > 20, "{counts:?}");
}
