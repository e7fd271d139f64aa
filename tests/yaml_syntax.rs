//! Syntax errors while a user types: one `yaml-syntax` error per broken place, nothing
//! reported from inside it, and the intact steps around it keep their findings at every
//! keystroke (through the per-step memo, as the server runs it, and afresh).

use azpls::analysis::{self, Config, Finding};
use azpls::document::{Document, Edit};
use azpls::model;

/// Two intact steps whose versions the WIF table replaces, around the place being typed.
const BEFORE: &str = "steps:\n- task: AzureFileCopy@4\n  displayName: first\n";
const AFTER: &str = "- task: AzureMonitor@0\n  displayName: last\n";

fn findings(doc: &Document) -> Vec<Finding> {
    let config = Config::default();
    let memoised = analysis::analyze(doc, &config);
    let fresh = analysis::analyze_uncached(doc, &model::build(doc), &config);
    assert_eq!(memoised, fresh, "memoised findings for {:?}", doc.text());
    memoised
}

fn of(findings: &[Finding], rule: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.rule.id == rule)
        .map(|f| f.message.clone())
        .collect()
}

/// The intact steps' WIF findings, by line.
fn intact(doc: &Document, findings: &[Finding]) -> Vec<usize> {
    findings
        .iter()
        .filter(|f| f.rule.id == "wif-deprecated-version")
        .map(|f| doc.rope().byte_to_line(f.span.start) + 1)
        .collect()
}

#[test]
fn an_unclosed_quote_hides_the_task_text_inside_it_but_not_the_steps_around_it() {
    let text = format!(
        "{BEFORE}- script: 'echo task: AzureFileCopy@4\n    - task: AzureFileCopy@4\n{AFTER}"
    );
    let doc = Document::new(&text, 0);
    let found = findings(&doc);
    assert_eq!(
        of(&found, "yaml-syntax"),
        ["unclosed single quote; add the closing `'` (write `''` for a quote inside)"]
    );
    // Line 5 is inside the quote (a continuation line): no finding there; lines 2 and 6
    // are intact steps.
    assert_eq!(intact(&doc, &found), [2, 6], "{found:#?}");
}

#[test]
fn typing_a_step_line_by_line_never_loses_the_intact_steps() {
    // Every prefix of each line, as typed on an empty line (the editor opened it) between
    // the two intact steps.
    let typed = [
        "- task: AzureFileCopy@4\n",
        "  inputs: {SourcePath: a, azureSubscription: sc}\n",
        "- script: \"echo hi\"\n",
        "- bash: 'echo [x]'\n",
        "  env: [a, b]\n",
    ];
    for line in typed {
        let mut doc = Document::new(&format!("{BEFORE}\n{AFTER}"), 0);
        let mut at = BEFORE.len();
        for (version, c) in line.trim_end().chars().enumerate() {
            doc.apply(
                [Edit {
                    span: at..at,
                    text: c.to_string(),
                }],
                version as i32 + 1,
            );
            at += c.len_utf8();
            let found = findings(&doc);
            let errors = of(&found, "yaml-syntax");
            assert!(errors.len() <= 1, "{:?}: {errors:#?}", doc.text());
            let lines = intact(&doc, &found);
            let last = doc.text().matches('\n').count() - 1;
            assert!(
                lines.contains(&2) && lines.contains(&last),
                "{:?}: intact steps lost: {found:#?}",
                doc.text()
            );
        }
    }
}

#[test]
fn half_typed_states_get_one_error_each_on_the_line_being_typed() {
    let states = [
        "- script: \"echo hi\n",
        "- script: 'echo hi\n",
        "-\tscript: echo hi\n",
        "\t- script: echo hi\n",
        "- task: Bash@3\n  inputs: [a, b\n",
        "- task: Bash@3\n  inputs: {a: b\n",
        "- task: Bash@3\n  inp\n",
        "- task: Bash@3\n  displayName: x\n   condition: y\n",
        "  - script: echo deeper\n",
        "- script: echo a: b\n",
        "- script: \"a\" b\n",
    ];
    for state in states {
        let text = format!("{BEFORE}{state}{AFTER}");
        let doc = Document::new(&text, 0);
        let found = findings(&doc);
        let errors: Vec<&Finding> = found
            .iter()
            .filter(|f| f.rule.id == "yaml-syntax")
            .collect();
        assert_eq!(errors.len(), 1, "{text:?}: {found:#?}");
        let line = doc.rope().byte_to_line(errors[0].span.start) + 1;
        let typed_lines = 4..4 + state.matches('\n').count();
        assert!(
            typed_lines.contains(&line),
            "{text:?}: error on line {line}"
        );
        assert!(!errors[0].span.is_empty());
        let last = text.matches('\n').count() - 1;
        assert_eq!(intact(&doc, &found), [2, last], "{text:?}: {found:#?}");
    }
}

#[test]
fn refused_and_foreign_documents_get_no_syntax_errors() {
    let deep = format!("steps:\n- script: \"unclosed\n{}x\n", "- ".repeat(300));
    let found = findings(&Document::new(&deep, 0));
    let rules: Vec<&str> = found.iter().map(|f| f.rule.id).collect();
    assert_eq!(rules, ["parse-limit"]);
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"x\n  name: y\n";
    assert_eq!(findings(&Document::new(manifest, 0)), []);
}
