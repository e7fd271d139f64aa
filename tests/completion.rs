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
use azpls::model;
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
    let items = complete_at(&Document::new(&text, 0), &text, offset, options);
    (text, offset, items)
}

/// Completes at an offset, checking that every item replaces text around the cursor on its
/// line.
fn complete_at(
    doc: &Document,
    text: &str,
    offset: usize,
    options: CompletionOptions,
) -> Vec<CompletionItem> {
    let items = ide::completions(doc, &model::build(doc), &Config::default(), offset, options);
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
    items
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
    let cases = common::fixture_cases("completion");
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

/// Every offset of every fixture, and of a few awkward texts, completes without panicking,
/// with spans that contain the cursor and stay on its line (checked in `complete`).
#[test]
fn completion_anywhere_never_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/completion");
    let fixtures: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .map(|p| fs::read_to_string(p).unwrap().replace(CURSOR, ""))
        .collect();
    let awkward = [
        "\u{feff}steps:\r\n- task: Azu\r\n  inputs:\r\n    é🚀: x\r\n",
        "- task:\t\"\n\t- task: 'A@\n- {task: Docker@1, inputs: {command: \"B",
        "steps:\n- task: AzureCLI@2\n  inputs:\n    scriptType: ${{ if x }}:\n",
    ];
    let snippets = CompletionOptions { snippets: true };
    let plain = CompletionOptions { snippets: false };
    let cases = fixtures
        .iter()
        .map(|t| (t.as_str(), snippets))
        .chain(awkward.iter().flat_map(|t| [(*t, snippets), (*t, plain)]));
    for (text, options) in cases {
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            // Between `\r` and `\n` is no position an editor can send.
            if text[..offset].ends_with('\r') {
                continue;
            }
            let mut source = text.to_string();
            source.insert_str(offset, CURSOR);
            complete(&source, options);
        }
    }
}

/// At the end of every line of the real pipelines, completion holds the same promises.
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn completion_in_the_corpus() {
    let corpus = common::required_corpus();
    let mut files = vec![corpus];
    let mut lines = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        let doc = Document::new(&text, 0);
        let mut start = 0;
        for line in text.split_inclusive('\n') {
            let end = start + line.trim_end_matches(['\n', '\r']).len();
            complete_at(&doc, &text, end, CompletionOptions { snippets: true });
            start += line.len();
            lines += 1;
        }
    }
    assert!(lines > 1000, "{lines} lines");
}

// ---- Named values inside expressions ----

fn labels_at(source: &str) -> (Vec<String>, Vec<String>) {
    let (text, offset, items) = complete(source, CompletionOptions::default());
    let replaced = items
        .iter()
        .map(|i| text[i.span.start..offset].to_string())
        .collect();
    (items.iter().map(|i| i.label.clone()).collect(), replaced)
}

#[test]
fn parameters_complete_with_their_type_and_default() {
    let text = "parameters:\n- name: environment\n  type: string\n  default: dev\n- name: regions\n  type: object\n  default: [a, b]\n- name: verbose\nsteps:\n- script: echo ${{ parameters.en<|> }}\n";
    let (_, offset, items) = complete(text, CompletionOptions::default());
    let text = text.replacen(CURSOR, "", 1);
    let shown: Vec<(String, String)> = items
        .iter()
        .map(|i| (i.label.clone(), i.detail.clone()))
        .collect();
    assert_eq!(
        shown,
        [
            ("environment".to_string(), "string = dev".to_string()),
            ("regions".to_string(), "object = [a, b]".to_string()),
            ("verbose".to_string(), "string".to_string()),
        ]
    );
    assert!(items.iter().all(|i| &text[i.span.start..offset] == "en"));
    // The older mapping form, in a key.
    let (labels, _) = labels_at(
        "parameters:\n  vmImage: ubuntu-latest\nsteps:\n- ${{ if eq(parameters.<|>, 'x') }}:\n  - script: a\n",
    );
    assert_eq!(labels, ["vmImage"]);
    // Not in a runtime expression: parameters are gone by then.
    let (labels, _) = labels_at("parameters:\n- name: a\nvariables:\n  x: $[ parameters.<|> ]\n");
    assert!(labels.is_empty(), "{labels:?}");
}

#[test]
fn variables_complete_with_those_of_the_file_in_scope_first() {
    let text = "variables:\n  configuration: Release\nstages:\n- stage: A\n  variables:\n  - name: stageVar\n    value: 1\n  - group: secrets\n  jobs:\n  - job: J\n    variables:\n      jobVar: 2\n    steps:\n    - script: echo ${{ variables.<|> }}\n- stage: B\n  variables:\n    other: 3\n";
    let (labels, _) = labels_at(text);
    assert_eq!(labels[..3], ["configuration", "stageVar", "jobVar"]);
    assert!(
        !labels.contains(&"other".to_string()),
        "stage B's variable is not in scope"
    );
    assert!(
        !labels.contains(&"secrets".to_string()),
        "a group is not a variable"
    );
    assert!(labels.contains(&"Build.SourceBranch".to_string()));
    // `variables['` too.
    let (labels, _) = labels_at(
        "variables:\n  configuration: Release\nsteps:\n- script: a\n  condition: eq(variables['con<|>\n",
    );
    assert_eq!(labels[0], "configuration");
}

#[test]
fn dependencies_complete_with_the_names_depended_on() {
    let text = "stages:\n- stage: Build\n  jobs:\n  - job: Compile\n  - job: Lint\n  - job: Package\n    dependsOn: [Compile, Lint]\n    condition: succeeded()\n    variables:\n      v: $[ dependencies.<|> ]\n- stage: Test\n  jobs:\n  - job: Unit\n    variables:\n      v: $[ stageDependencies.Build.Pa ]\n- stage: Deploy\n  dependsOn: Test\n  condition: eq(dependencies.T, 'x')\n";
    let (labels, _) = labels_at(text);
    assert_eq!(labels, ["Compile", "Lint"]);
    // stageDependencies: the stage before (no dependsOn), then its jobs.
    let text = text.replace("dependencies.<|> ]", "dependencies.x ]");
    let (labels, replaced) =
        labels_at(&text.replace("stageDependencies.Build.Pa", "stageDependencies.<|>"));
    assert_eq!(labels, ["Build"]);
    assert!(replaced.iter().all(|r| r.is_empty()));
    let (labels, replaced) = labels_at(&text.replace(
        "stageDependencies.Build.Pa",
        "stageDependencies.build.Pa<|>",
    ));
    assert_eq!(labels, ["Compile", "Lint", "Package"]);
    assert!(replaced.iter().all(|r| r == "Pa"));
    // A stage's condition: the stages it depends on.
    let (labels, _) = labels_at(&text.replace("dependencies.T,", "dependencies.T<|>,"));
    assert_eq!(labels, ["Test"]);
}
