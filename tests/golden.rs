//! Golden fixtures, one folder per rule: `tests/fixtures/<rule-id>/`.
//!
//! - `positive-*.yml` must produce at least one finding of that rule, `negative-*.yml` none.
//! - `<case>.out` is the rendered output of all findings (source line, underline, fix).
//! - `<case>.fixed.yml` is the text after every safe fix ("fix all"); it must exist
//!   exactly when the case has a safe fix.
//! - A first line `# azpls: wif.table = "DATE"` selects a table for that case.
//! - Each case is analysed where it lives, so template paths are checked against this
//!   repository (or, in a copy without `.git`, against the case's own folder).
//!
//! A regression test is one new file. `AZPLS_BLESS=1 cargo test --test golden` rewrites
//! the expected files; review the diff before committing it.

mod common;

use azpls::analysis::{self, Config};
use azpls::cli::render;
use azpls::config::Settings;
use azpls::document::Document;
use azpls::ide::templates;
use azpls::model;
use std::fs;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn config_for(text: &str) -> Config {
    let first = text.lines().next().unwrap_or_default();
    match first.strip_prefix("# azpls: ") {
        Some(setting) => {
            let (key, value) = setting.split_once('=').expect("# azpls: key = value");
            assert_eq!(
                key.trim(),
                "wif.table",
                "only wif.table is supported in fixtures"
            );
            Settings::from_toml(&format!("[wif]\ntable = {}", value.trim()))
                .and_then(|s| s.to_config())
                .expect("valid fixture setting")
        }
        None => Config::default(),
    }
}

#[test]
fn golden_fixtures_per_rule() {
    let mut failures = Vec::new();
    let mut seen_rules = Vec::new();
    let mut dirs: Vec<_> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    for dir in dirs.into_iter().filter(|d| d.is_dir()) {
        let rule_id = dir.file_name().unwrap().to_str().unwrap().to_string();
        let Some(rule) = analysis::rule(&rule_id) else {
            // Fixture folders that are not rules (shared samples) are checked elsewhere.
            continue;
        };
        let (mut positives, mut negatives) = (0, 0);
        let mut cases: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.extension().is_some_and(|e| e == "yml")
                    && !p.to_str().unwrap().ends_with(".fixed.yml")
            })
            .collect();
        cases.sort();
        for case in cases {
            let name = case.file_name().unwrap().to_str().unwrap().to_string();
            let text = fs::read_to_string(&case).unwrap();
            let config = config_for(&text);
            let doc = Document::new(&text, 0);
            // Analysed where it lives, as the editor and `check` do, so the rules about
            // template paths see the repository.
            let place = templates::Place {
                file: Some(case.clone()),
                workspace: None,
            };
            let env = analysis::Environment {
                place: &place,
                files: &templates::DiskFiles,
            };
            let findings = analysis::analyze_in(&doc, &model::build(&doc), &config, &env);
            let of_rule = findings.iter().filter(|f| f.rule.id == rule.id).count();
            if name.starts_with("positive") {
                positives += 1;
                if of_rule == 0 {
                    failures.push(format!(
                        "{}: expected a {} finding",
                        case.display(),
                        rule.id
                    ));
                }
            } else if name.starts_with("negative") {
                negatives += 1;
                if of_rule != 0 {
                    failures.push(format!(
                        "{}: expected no {} finding",
                        case.display(),
                        rule.id
                    ));
                }
            } else {
                failures.push(format!(
                    "{}: name must start with positive or negative",
                    case.display()
                ));
            }
            let shown = format!("{rule_id}/{name}");
            let rendered: String = findings
                .iter()
                .map(|f| render::human(&shown, doc.rope(), f, false) + "\n")
                .collect();
            common::check_expected(&case.with_extension("out"), &rendered, &mut failures);

            let edits = analysis::fix_all(&findings, false);
            let fixed_path = case.with_extension("fixed.yml");
            if edits.is_empty() {
                if fixed_path.exists() {
                    failures.push(format!(
                        "{} exists but the case has no safe fix",
                        fixed_path.display()
                    ));
                }
            } else {
                let fixed = analysis::apply_edits(&text, &edits);
                // Fixes change only the edited tokens: same length of every other part.
                assert_eq!(
                    fixed.lines().count(),
                    text.lines().count(),
                    "{}: a fix changed the number of lines",
                    case.display()
                );
                common::check_expected(&fixed_path, &fixed, &mut failures);
                // After fixing, the fixed findings are gone.
                let after = analysis::analyze(&Document::new(&fixed, 0), &config);
                let fixed_left = after
                    .iter()
                    .filter(|f| f.fix.as_ref().is_some_and(|x| x.safe))
                    .count();
                if fixed_left != 0 {
                    failures.push(format!(
                        "{}: safe fixes remain after fix-all",
                        case.display()
                    ));
                }
            }
        }
        if positives == 0 || negatives == 0 {
            failures.push(format!("{rule_id}: needs positive and negative fixtures"));
        }
        seen_rules.push(rule_id);
    }
    for (rule, _) in analysis::RULES {
        if !seen_rules.iter().any(|r| r == rule.id) {
            failures.push(format!("rule {} has no fixture folder", rule.id));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
