//! Navigation: the outline, folding, and templates (links, definitions, hovers).
//!
//! - `tests/fixtures/navigation/outline/<case>.yml` is outlined and folded; `<case>.out`
//!   is the rendering (`AZPLS_BLESS=1 cargo test --test navigation` rewrites it).
//! - `tests/fixtures/navigation/repo/` is a small repository of templates; a `Files`
//!   over it adds the `.git` marker a repository root has (git cannot store one).
//! - The corpus of real pipelines (`../shared/corpus`; ignored unless asked for) is
//!   outlined and folded for panics and malformed ranges.
//! - One session over stdio asks the real server for all of it.

mod common;

use azpls::document::Document;
use azpls::ide::templates::{self, Definition, Files, Place, Target};
use azpls::ide::{self, Fold, Symbol};
use azpls::model;
use serde_json::{Value, json};
use std::fs;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/navigation")
}

// ---- Outline and folding snapshots ----

/// Checks what every outline must satisfy; returns the problems found.
fn check_symbols(
    text: &str,
    symbols: &[Symbol],
    parent: Option<&Symbol>,
    problems: &mut Vec<String>,
) {
    for s in symbols {
        let mut problem = |what: &str| problems.push(format!("{what}: {:?} {:?}", s.name, s.span));
        if s.name.trim().is_empty() {
            problem("empty name");
        }
        if s.span.start > s.span.end || s.span.end > text.len() {
            problem("span out of the text");
        } else if !text.is_char_boundary(s.span.start) || !text.is_char_boundary(s.span.end) {
            problem("span not on char boundaries");
        }
        if !(s.span.start <= s.selection.start && s.selection.end <= s.span.end) {
            problem("selection outside the span");
        }
        if let Some(p) = parent
            && !(p.span.start <= s.span.start && s.span.end <= p.span.end)
        {
            problem("child outside its parent");
        }
        check_symbols(text, &s.children, Some(s), problems);
    }
    for pair in symbols.windows(2) {
        if pair[1].span.start < pair[0].span.end {
            problems.push(format!(
                "siblings overlap: {:?} and {:?}",
                pair[0].name, pair[1].name
            ));
        }
    }
}

fn check_folds(text: &str, folds: &[Fold], problems: &mut Vec<String>) {
    let lines = text.split('\n').count() as u32;
    for f in folds {
        if f.end_line <= f.start_line || f.end_line >= lines {
            problems.push(format!("bad fold {f:?} ({lines} lines)"));
        }
    }
    for pair in folds.windows(2) {
        if pair[1].start_line <= pair[0].start_line {
            problems.push(format!("folds not sorted or two on a line: {pair:?}"));
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

fn render_symbols(text: &str, symbols: &[Symbol], depth: usize, out: &mut String) {
    for s in symbols {
        let selected = &text[s.selection.clone()];
        let selected = match selected.split_once('\n') {
            Some((first, _)) => format!("{first}…"),
            None => selected.to_string(),
        };
        out.push_str(&format!(
            "{}{} {:?}{}  lines {}-{}  selects `{}`\n",
            "  ".repeat(depth),
            s.kind.word(),
            s.name,
            s.detail
                .as_ref()
                .map(|d| format!(" · {d}"))
                .unwrap_or_default(),
            line_of(text, s.span.start),
            line_of(text, s.span.end),
            selected,
        ));
        render_symbols(text, &s.children, depth + 1, out);
    }
}

fn render_folds(text: &str, folds: &[Fold]) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    folds
        .iter()
        .map(|f| {
            format!(
                "{}-{} {:?}  {}\n",
                f.start_line + 1,
                f.end_line + 1,
                f.kind,
                lines[f.start_line as usize].trim()
            )
        })
        .collect()
}

#[test]
fn outline_and_folding_snapshots() {
    let dir = fixtures().join("outline");
    let mut cases: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 8, "outline fixtures: {cases:?}");
    let mut failures = Vec::new();
    for case in cases {
        let text = fs::read_to_string(&case).unwrap();
        let doc = Document::new(&text, 0);
        let symbols = ide::document_symbols(&doc, &model::build(&doc));
        let folds = ide::folding_ranges(&doc, &model::build(&doc));
        let mut problems = Vec::new();
        check_symbols(&text, &symbols, None, &mut problems);
        check_folds(&text, &folds, &mut problems);
        if !problems.is_empty() {
            failures.push(format!("{}:\n{}", case.display(), problems.join("\n")));
        }
        let mut rendered = String::from("# outline\n");
        render_symbols(&text, &symbols, 0, &mut rendered);
        rendered.push_str("\n# folding\n");
        rendered.push_str(&render_folds(&text, &folds));
        common::check_expected(&case.with_extension("out"), &rendered, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_outline_survives_every_prefix_of_a_file() {
    // What a file looks like while it is typed from the top: never a panic or a bad range.
    let text = fs::read_to_string(fixtures().join("outline/stages.yml")).unwrap();
    for end in (0..=text.len())
        .filter(|&i| text.is_char_boundary(i))
        .step_by(3)
    {
        let prefix = &text[..end];
        let doc = Document::new(prefix, 0);
        let mut problems = Vec::new();
        check_symbols(
            prefix,
            &ide::document_symbols(&doc, &model::build(&doc)),
            None,
            &mut problems,
        );
        check_folds(
            prefix,
            &ide::folding_ranges(&doc, &model::build(&doc)),
            &mut problems,
        );
        assert!(
            problems.is_empty(),
            "prefix of {end} bytes: {problems:?}\n{prefix}"
        );
    }
}

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn corpus_outlines_and_folds_are_well_formed() {
    let dir = common::required_corpus();
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .collect();
    files.sort();
    let (mut symbols_seen, mut folds_seen) = (0, 0);
    let mut failures = Vec::new();
    for path in &files {
        let text = fs::read_to_string(path).unwrap();
        let doc = Document::new(&text, 0);
        let symbols = ide::document_symbols(&doc, &model::build(&doc));
        let folds = ide::folding_ranges(&doc, &model::build(&doc));
        fn count(s: &[Symbol]) -> usize {
            s.iter().map(|s| 1 + count(&s.children)).sum()
        }
        symbols_seen += count(&symbols);
        folds_seen += folds.len();
        let mut problems = Vec::new();
        check_symbols(&text, &symbols, None, &mut problems);
        check_folds(&text, &folds, &mut problems);
        if !problems.is_empty() {
            failures.push(format!("{}:\n{}", path.display(), problems.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        symbols_seen > files.len() * 3,
        "{symbols_seen} symbols in {} files",
        files.len()
    );
    eprintln!(
        "corpus: {} files, {symbols_seen} symbols, {folds_seen} folds",
        files.len()
    );
}

// ---- Templates ----

/// The fixture repository on disk, with a `.git` at its root (when `git` is set).
struct Repo {
    root: PathBuf,
    git: bool,
}

impl Files for Repo {
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn exists(&self, path: &Path) -> bool {
        if path.file_name().is_some_and(|n| n == ".git") {
            return self.git && path.parent() == Some(self.root.as_path());
        }
        path.exists()
    }

    fn read(&self, path: &Path) -> Option<String> {
        fs::read_to_string(path).ok()
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        fs::canonicalize(path).ok()
    }
}

fn repo() -> Repo {
    Repo {
        root: fixtures().join("repo"),
        git: true,
    }
}

/// A document of the fixture repository, opened.
struct Opened {
    path: PathBuf,
    text: String,
    doc: Document,
}

fn open(relative: &str) -> Opened {
    let path = fixtures().join("repo").join(relative);
    let text = fs::read_to_string(&path).unwrap();
    let doc = Document::new(&text, 0);
    Opened { path, text, doc }
}

impl Opened {
    fn place(&self) -> Place {
        Place {
            file: Some(self.path.clone()),
            workspace: None,
        }
    }

    /// Offset of the `nth` occurrence of `needle`, plus `plus`.
    fn at(&self, needle: &str, nth: usize, plus: usize) -> usize {
        self.text
            .match_indices(needle)
            .nth(nth)
            .unwrap_or_else(|| panic!("{needle}"))
            .0
            + plus
    }

    fn hover(&self, files: &dyn Files, offset: usize) -> String {
        templates::hover(&self.doc, &self.place(), files, offset)
            .map(|h| h.markdown)
            .unwrap_or_default()
    }
}

fn relative(path: &Path) -> String {
    path.strip_prefix(fixtures().join("repo"))
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

#[test]
fn links_resolve_relative_then_from_the_repository_root() {
    let ci = open("pipelines/ci.yml");
    let links: Vec<(String, String)> = templates::links(&ci.doc, &ci.place(), &repo())
        .iter()
        .map(|l| (ci.text[l.span.clone()].to_string(), relative(&l.target)))
        .collect();
    let expected = [
        ("/templates/vars.yml", "templates/vars.yml"),
        (
            "../templates/stages/deploy.yml",
            "templates/stages/deploy.yml",
        ),
        ("templates/jobs/test.yml", "templates/jobs/test.yml"),
        ("steps/local.yml", "pipelines/steps/local.yml"),
        ("templates/steps/build.yml", "templates/steps/build.yml"),
        ("steps/local.yml@self", "pipelines/steps/local.yml"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(links, expected);
    // The missing file, other repositories and expressions get no link, but are references.
    let all: Vec<String> = templates::references(&ci.doc)
        .into_iter()
        .map(|r| r.value)
        .collect();
    assert_eq!(all.len(), 10, "{all:?}");
}

#[test]
fn extends_template_from_the_root() {
    let ext = open("pipelines/extends.yml");
    let links = templates::links(&ext.doc, &ext.place(), &repo());
    assert_eq!(links.len(), 1);
    assert_eq!(relative(&links[0].target), "templates/stages/deploy.yml");
    assert_eq!(links[0].tooltip, "open templates/stages/deploy.yml");
}

#[test]
fn without_git_the_workspace_is_the_root() {
    let ci = open("pipelines/ci.yml");
    let no_git = Repo {
        root: fixtures().join("repo"),
        git: false,
    };
    let workspace = fixtures().join("repo");
    let place = Place {
        file: Some(ci.path.clone()),
        workspace: Some(workspace.clone()),
    };
    let target = templates::resolve(&ci.doc, &place, &no_git, "/templates/vars.yml");
    assert_eq!(target, Target::File(workspace.join("templates/vars.yml")));
    // No workspace and no `.git`: the file's own folder is all it may read.
    let alone = Place {
        file: Some(ci.path.clone()),
        workspace: None,
    };
    let folder = ci.path.parent().unwrap();
    assert_eq!(
        templates::resolve(&ci.doc, &alone, &no_git, "/templates/vars.yml"),
        Target::Missing {
            tried: vec![folder.join("templates/vars.yml")]
        }
    );
    assert_eq!(
        templates::resolve(&ci.doc, &alone, &no_git, "steps/local.yml"),
        Target::File(folder.join("steps/local.yml"))
    );
    assert_eq!(
        templates::resolve(&ci.doc, &alone, &no_git, "../templates/vars.yml"),
        Target::Outside
    );
    // Nothing known at all (an unsaved buffer, no workspace): nothing is read.
    assert_eq!(
        templates::resolve(&ci.doc, &Place::default(), &no_git, "steps/local.yml"),
        Target::Missing { tried: Vec::new() }
    );
}

#[test]
fn definition_opens_the_template_or_the_declaration() {
    let ci = open("pipelines/ci.yml");
    let files = repo();
    let go = |offset| templates::definition(&ci.doc, &ci.place(), &files, offset);
    assert_eq!(
        go(ci.at("templates/steps/build.yml", 0, 3)),
        Some(Definition::File {
            path: fixtures().join("repo/templates/steps/build.yml"),
            line: 0
        })
    );
    assert_eq!(go(ci.at("missing.yml", 0, 1)), None);
    assert_eq!(go(ci.at("shared.yml@tools", 0, 1)), None);
    assert_eq!(go(ci.at("${{ variables", 0, 4)), None);
    // A key passed to a template: its declaration there.
    assert_eq!(
        go(ci.at("platform: x64", 0, 2)),
        Some(Definition::File {
            path: fixtures().join("repo/templates/steps/build.yml"),
            line: 8
        })
    );

    let build = open("templates/steps/build.yml");
    let here = templates::definition(
        &build.doc,
        &build.place(),
        &files,
        build.at("parameters.configuration", 0, 12),
    );
    let Some(Definition::Here(span)) = here else {
        panic!("{here:?}");
    };
    assert_eq!(&build.text[span.clone()], "configuration");
    assert_eq!(line_of(&build.text, span.start), 2);
}

#[test]
fn hovers_say_what_a_reference_is() {
    let ci = open("pipelines/ci.yml");
    let files = repo();
    let found = ci.hover(&files, ci.at("templates/steps/build.yml", 0, 1));
    assert!(
        found.starts_with("**template** `templates/steps/build.yml`"),
        "{found}"
    );
    assert!(
        found.contains("- `configuration`: string = `Release`"),
        "{found}"
    );
    assert!(found.contains("- `platform`: string (required)"), "{found}");
    assert!(
        found.contains("- `extraSteps`: stepList (has a default)"),
        "{found}"
    );

    let external = ci.hover(&files, ci.at("shared.yml@tools", 0, 0));
    assert_eq!(
        external,
        "**external template** `shared.yml` in repository `tools` (`contoso/pipeline-tools`)"
    );
    let undeclared = ci.hover(&files, ci.at("other.yml@nowhere", 0, 0));
    assert!(
        undeclared.contains("in repository `nowhere`"),
        "{undeclared}"
    );
    assert!(
        undeclared.contains("`resources.repositories` does not declare"),
        "{undeclared}"
    );

    let missing = ci.hover(&files, ci.at("missing.yml", 0, 0));
    assert_eq!(
        missing,
        "**template** `missing.yml` not found; looked for:\n\n- `pipelines/missing.yml`\n- `missing.yml`"
    );
    let expression = ci.hover(&files, ci.at("${{ variables.stepsFile }}", 0, 3));
    assert!(
        expression.contains("known only when the pipeline is compiled"),
        "{expression}"
    );
}

#[test]
fn hover_on_a_parameter_reference_shows_its_declaration() {
    let build = open("templates/steps/build.yml");
    let files = repo();
    let md = build.hover(&files, build.at("parameters.configuration", 0, 0));
    assert_eq!(
        md,
        "**parameter `configuration`**: `string`\n\nBuild configuration\n\nDefault: `Release`\n\nAllowed values: `Debug`, `Release`"
    );
    // On the name, in the index form, and in an `each`.
    let on_name = build.hover(&files, build.at("parameters.configuration", 0, 14));
    assert_eq!(on_name, md);
    let index = build.hover(&files, build.at("parameters['platform']", 0, 13));
    assert_eq!(
        index,
        "**parameter `platform`**: `string`\n\nRequired: no default."
    );
    let each = build.hover(&files, build.at("parameters.extraSteps", 0, 11));
    assert!(
        each.starts_with("**parameter `extraSteps`**: `stepList`\n\nDefault:\n\n```yaml\n- script: echo extra\n- script: echo more\n```"),
        "{each}"
    );
    let undeclared = build.hover(&files, build.at("parameters.undeclared", 0, 12));
    assert_eq!(
        undeclared,
        "**parameter `undeclared`**\n\nNot declared in this file's `parameters:` (declared: `configuration`, `platform`, `extraSteps`)."
    );

    let old = open("templates/jobs/test.yml");
    let md = old.hover(&files, old.at("parameters.pool", 0, 12));
    assert_eq!(
        md,
        "**parameter `pool`** (untyped: declared in the mapping form)\n\nDefault: `ubuntu-latest`"
    );
    // The hover spans the reference, for the editor to highlight.
    let h = templates::hover(
        &old.doc,
        &old.place(),
        &files,
        old.at("parameters.pool", 0, 12),
    )
    .unwrap();
    assert_eq!(&old.text[h.span], "parameters.pool");
}

#[test]
fn hover_on_a_key_passed_to_a_template() {
    let ci = open("pipelines/ci.yml");
    let files = repo();
    let md = ci.hover(&files, ci.at("configuration: Debug", 0, 1));
    assert!(
        md.starts_with("**parameter `configuration`** of `templates/steps/build.yml`: `string`"),
        "{md}"
    );
    let unknown = ci.hover(&files, ci.at("unknown: 1", 0, 1));
    assert_eq!(
        unknown,
        "`templates/steps/build.yml` declares no parameter `unknown` (declared: `configuration`, `platform`, `extraSteps`)."
    );
    let old_form = ci.hover(&files, ci.at("name: unit", 0, 1));
    assert!(
        old_form.starts_with("**parameter `name`** of `templates/jobs/test.yml`"),
        "{old_form}"
    );
    // A value is not a key; nothing is said there.
    assert_eq!(ci.hover(&files, ci.at("Debug", 0, 2)), "");
}

#[test]
fn references_survive_a_broken_tree() {
    // A tab after the dash makes the whole file one ERROR node.
    let text = "steps:\n-\tscript: x\n- template: steps/local.yml\n";
    let doc = Document::new(text, 0);
    assert!(doc.tree().root_node().has_error());
    let refs = templates::references(&doc);
    assert_eq!(refs.len(), 1);
    assert_eq!(&text[refs[0].span.clone()], "steps/local.yml");
    let offset = text.find("local").unwrap();
    assert!(templates::reference_at(&doc, offset).is_some());
}

// ---- Over stdio ----

/// A template's parameter across files: from a key a caller passes (inside `${{ if }}`
/// branches too, in either spelling) or from the template's declaration, the same
/// parameter; each caller's keys for it, and none passed to another template.
#[test]
fn a_template_parameter_is_found_in_every_caller() {
    use ide::across;
    let files = repo();
    let build = fixtures().join("repo/templates/steps/build.yml");
    let nightly = open("pipelines/nightly.yml");
    let nightly_model = model::build(&nightly.doc);
    let passed = |o: &Opened, at: usize| {
        across::parameter_at(&o.doc, &model::build(&o.doc), &o.place(), &files, at)
    };

    let found = passed(&nightly, nightly.at("\"Configuration\"", 0, 3)).unwrap();
    assert_eq!(found.template, build);
    assert_eq!(found.name, "configuration", "the declaration's spelling");
    assert!(found.declared);
    assert_eq!(
        &nightly.text[found.at], "Configuration",
        "inside the quotes"
    );
    let template = open("templates/steps/build.yml");
    let from_declaration = passed(&template, template.at("configuration", 0, 2)).unwrap();
    assert_eq!(from_declaration.template, build);
    assert_eq!(from_declaration.name, "configuration");
    // A key passed to a template that does not declare it is still that template's.
    let ci = open("pipelines/ci.yml");
    let unknown = passed(&ci, ci.at("unknown: 1", 0, 1)).unwrap();
    assert_eq!(
        (unknown.name.as_str(), unknown.declared),
        ("unknown", false)
    );
    // Not a parameter: a step's own keys, a template path.
    assert_eq!(passed(&nightly, nightly.at("template:", 0, 2)), None);
    assert_eq!(passed(&nightly, nightly.at("parameters:", 0, 2)), None);
    assert_eq!(passed(&nightly, nightly.at("steps/build.yml", 0, 0)), None);
    assert!(
        across::parameter_at(&nightly.doc, &nightly_model, &nightly.place(), &files, 0).is_none()
    );

    let texts = |o: &Opened, spans: Vec<std::ops::Range<usize>>| -> Vec<(usize, String)> {
        spans
            .into_iter()
            .map(|s| {
                let line = o.text[..s.start].lines().count();
                (line, o.text[s].to_string())
            })
            .collect()
    };
    let keys = |o: &Opened, template: &Path| {
        texts(
            o,
            across::passing_keys(&o.doc, &o.place(), &files, template, "configuration"),
        )
    };
    assert_eq!(
        keys(&nightly, &build),
        [(13, "configuration".into()), (15, "Configuration".into())]
    );
    assert_eq!(
        keys(&nightly, &fixtures().join("repo/templates/steps/test.yml")),
        [(18, "configuration".into())]
    );
    assert_eq!(keys(&ci, &build), [(24, "configuration".into())]);
    assert!(keys(&template, &build).is_empty());
    assert_eq!(
        texts(
            &template,
            across::in_template(&template.doc, "Configuration")
        ),
        [(2, "configuration".into()), (18, "configuration".into())]
    );
    assert!(across::in_template(&template.doc, "nothing").is_empty());
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

fn file_uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn navigation_over_stdio() {
    // A copy of the fixture repository with a real `.git`, outside this repository.
    let workspace = std::env::temp_dir().join(format!("azpls-navigation-{}", std::process::id()));
    let _ = fs::remove_dir_all(&workspace);
    copy_tree(&fixtures().join("repo"), &workspace);
    fs::create_dir_all(workspace.join(".git")).unwrap();
    let ci = workspace.join("pipelines/ci.yml");
    let text = fs::read_to_string(&ci).unwrap();
    let uri = file_uri(&ci);

    let mut client = common::Client::start_in(&workspace);
    let init = client.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": file_uri(&workspace),
            "capabilities": {"textDocument": {
                "documentSymbol": {"hierarchicalDocumentSymbolSupport": true},
                "foldingRange": {"lineFoldingOnly": true}
            }},
        }),
    );
    client.notify("initialized", json!({}));
    let caps = &init["capabilities"];
    assert_eq!(caps["documentSymbolProvider"], true);
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(caps["foldingRangeProvider"], true);
    assert_eq!(caps["documentLinkProvider"]["resolveProvider"], false);
    client.open(&uri, &text, 1);

    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "resources",
            "variables",
            "../templates/stages/deploy.yml",
            "Build"
        ]
    );
    let build = &symbols[3];
    assert_eq!(build["kind"], 2, "a stage is a module");
    assert_eq!(
        build["selectionRange"]["start"],
        json!({"line": 13, "character": 2})
    );
    let compile = &build["children"][1];
    assert_eq!(compile["name"], "Compile");
    assert_eq!(compile["children"].as_array().unwrap().len(), 7);

    // Asked again at the same version: the same answer; after an edit, the new one.
    let again = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(again, symbols);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"text": text.replace("stage: Build", "stage: Compile")}]}),
    );
    let changed = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(changed[3]["name"], "Compile");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": text}]}),
    );

    let folds = client.request(
        "textDocument/foldingRange",
        json!({"textDocument": {"uri": uri}}),
    );
    assert!(
        folds
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("startCharacter").is_none() && f.get("kind").is_none()),
        "whole lines, and no kind for blocks (the file has no comment run): {folds}"
    );

    let line = text
        .lines()
        .position(|l| l.contains("templates/steps/build.yml"))
        .unwrap();
    let definition = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": 20}}),
    );
    assert_eq!(
        definition["uri"],
        file_uri(&workspace.join("templates/steps/build.yml"))
    );
    assert_eq!(
        definition["range"]["start"],
        json!({"line": 0, "character": 0})
    );

    let links = client.request(
        "textDocument/documentLink",
        json!({"textDocument": {"uri": uri}}),
    );
    let targets: Vec<String> = links
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["target"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(targets.len(), 6, "{links}");
    assert!(
        targets.contains(&file_uri(&workspace.join("templates/vars.yml"))),
        "{targets:?}"
    );
    assert_eq!(
        links[0]["range"]["start"],
        json!({"line": 9, "character": 12})
    );

    // The parameter hover comes after the task hover, which has nothing to say here.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": line + 2, "character": 10}}),
    );
    let markdown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        markdown.contains("of `templates/steps/build.yml`"),
        "{hover}"
    );

    // A client without hierarchical symbols gets a flat list with container names.
    let mut flat_client = common::Client::start_in(&workspace);
    flat_client.initialize(json!({}), Value::Null);
    flat_client.open(&uri, &text, 1);
    let flat = flat_client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    let compile = flat
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Compile")
        .unwrap();
    assert_eq!(compile["containerName"], "Build");
    assert_eq!(compile["location"]["uri"], uri);
    assert_eq!(flat_client.shutdown(), Some(0));

    assert_eq!(client.shutdown(), Some(0));
    let _ = fs::remove_dir_all(&workspace);
}

/// Rename and references of a template parameter over stdio, on a copy of the fixture
/// repository: from a caller's key or from the template, every open document and every
/// file of the repository that passes it is edited, and nothing passed to another template.
#[test]
fn a_template_parameter_is_renamed_in_every_caller() {
    let workspace = std::env::temp_dir().join(format!("azpls-rename-{}", std::process::id()));
    let _ = fs::remove_dir_all(&workspace);
    copy_tree(&fixtures().join("repo"), &workspace);
    fs::create_dir_all(workspace.join(".git")).unwrap();
    let read = |rel: &str| fs::read_to_string(workspace.join(rel)).unwrap();
    let uri = |rel: &str| file_uri(&workspace.join(rel));
    let (ci, build) = ("pipelines/ci.yml", "templates/steps/build.yml");

    let mut client = common::Client::start_in(&workspace);
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": file_uri(&workspace), "capabilities": {}}),
    );
    client.notify("initialized", json!({}));
    client.open(&uri(ci), &read(ci), 1);
    // The template's open buffer, not the disk, is what is renamed in.
    let edited = read(build).replace("- script: echo ${{ parameters.undeclared }}\n", "");
    client.open(&uri(build), &edited, 1);
    let at = |rel: &str, needle: &str| {
        let text = if rel == build {
            edited.clone()
        } else {
            read(rel)
        };
        let offset = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
        let line = text[..offset].matches('\n').count();
        let character = offset - text[..offset].rfind('\n').map_or(0, |n| n + 1) + 2;
        json!({"textDocument": {"uri": uri(rel)}, "position": {"line": line, "character": character}})
    };
    let ci_key = at(ci, "configuration: Debug");

    let prepared = client.request("textDocument/prepareRename", ci_key.clone());
    assert_eq!(prepared["placeholder"], "configuration", "{prepared}");
    let mut params = ci_key.clone();
    params["context"] = json!({"includeDeclaration": false});
    let references = client.request("textDocument/references", params);
    let mut places: Vec<(String, u64)> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let rel = l["uri"].as_str().unwrap()[uri("").len()..].to_string();
            (rel, l["range"]["start"]["line"].as_u64().unwrap())
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [
            ("pipelines/ci.yml".to_string(), 23),
            ("pipelines/nightly.yml".to_string(), 12),
            ("pipelines/nightly.yml".to_string(), 14),
            ("templates/steps/build.yml".to_string(), 17),
        ],
        "{references}"
    );

    let rename = |client: &mut common::Client, from: Value, to: &str| {
        let mut params = from;
        params["newName"] = json!(to);
        client.request("textDocument/rename", params)
    };
    let renamed = rename(&mut client, ci_key.clone(), "buildConfiguration");
    let changes = renamed["changes"].as_object().unwrap();
    let mut files: Vec<&str> = changes.keys().map(|k| &k[uri("").len()..]).collect();
    files.sort();
    assert_eq!(files, [ci, "pipelines/nightly.yml", build], "{renamed}");
    let after = |rel: &str, text: &str| {
        common::apply_lsp_edits(text, changes[&uri(rel)].as_array().unwrap(), false)
    };
    assert_eq!(
        after(ci, &read(ci)),
        read(ci).replace("configuration: Debug", "buildConfiguration: Debug")
    );
    assert_eq!(
        after(build, &edited),
        edited
            .replace("- name: configuration", "- name: buildConfiguration")
            .replace("parameters.configuration", "parameters.buildConfiguration")
    );
    let nightly = read("pipelines/nightly.yml");
    assert_eq!(
        after("pipelines/nightly.yml", &nightly),
        nightly
            .replace(
                "      configuration: Release",
                "      buildConfiguration: Release"
            )
            .replace("\"Configuration\"", "\"buildConfiguration\"")
    );

    // From the template's declaration: the same edits.
    let from_template = rename(
        &mut client,
        at(build, "configuration\n  displayName"),
        "buildConfiguration",
    );
    assert_eq!(from_template, renamed);
    // A name the service refuses, and a key the template does not declare.
    let refusal = |client: &mut common::Client, mut from: Value, to: &str| -> String {
        from["newName"] = json!(to);
        let response = client.request_raw("textDocument/rename", from);
        response["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let refused = refusal(&mut client, ci_key, "2nd");
    assert!(refused.contains("not a valid name"), "{refused}");
    let unknown = at(ci, "unknown: 1");
    let prepared = client.request("textDocument/prepareRename", unknown.clone());
    assert!(prepared.is_null(), "{prepared}");
    let refused = refusal(&mut client, unknown, "known");
    assert!(
        refused.contains("declares no parameter \"unknown\""),
        "{refused}"
    );
    assert_eq!(client.shutdown(), Some(0));
    let _ = fs::remove_dir_all(&workspace);
}

/// A repository on disk, made for one test, removed after it.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("azpls-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.0.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Templates are read only inside the repository that holds the pipeline, as Azure
/// Pipelines reads them: `../` past its root, absolute paths and links that lead out are
/// refused without asking the disk whether they exist, and oversized files are not read.
#[test]
#[cfg(unix)]
fn templates_never_leave_the_repository() {
    let scratch = Scratch::new("confined");
    let secret = "parameters:\n- name: password\n  default: hunter2\n";
    scratch.write("outside/secret.yml", secret);
    fs::create_dir_all(scratch.0.join("repo/.git")).unwrap();
    scratch.write("repo/templates/ok.yml", "parameters:\n- name: region\n");
    let big = format!(
        "parameters:\n- name: size\n  default: big\n# {}\n",
        "x".repeat(templates::MAX_TEMPLATE_BYTES as usize)
    );
    scratch.write("repo/templates/big.yml", &big);
    std::os::unix::fs::symlink(
        scratch.0.join("outside/secret.yml"),
        scratch.0.join("repo/templates/link.yml"),
    )
    .unwrap();
    let escapes = [
        "../../outside/secret.yml",
        "/../outside/secret.yml",
        "//etc/passwd",
        &format!("{}etc/passwd", "../".repeat(8)),
        "../../outside/does-not-exist.yml",
        "templates/link.yml",
    ];
    let mut text = String::from("steps:\n");
    for t in escapes
        .iter()
        .chain(&["../templates/ok.yml", "/templates/big.yml"])
    {
        text.push_str(&format!(
            "- template: {t}\n  parameters:\n    password: x\n"
        ));
    }
    let path = scratch.write("repo/pipelines/azure-pipelines.yml", &text);
    let doc = Document::new(&text, 0);
    let place = Place {
        file: Some(path),
        workspace: None,
    };
    let files = templates::DiskFiles;
    for t in escapes {
        assert_eq!(
            templates::resolve(&doc, &place, &files, t),
            Target::Outside,
            "{t}"
        );
        let at = text.find(t).unwrap();
        let hover = templates::hover(&doc, &place, &files, at).unwrap().markdown;
        assert!(hover.contains("outside this repository"), "{t}: {hover}");
        assert!(
            !hover.contains("hunter2") && !hover.contains("etc/passwd\n"),
            "{hover}"
        );
        assert_eq!(templates::definition(&doc, &place, &files, at), None, "{t}");
        // The key passed to it leads nowhere either, and shows nothing of the file.
        let key = at + text[at..].find("password").unwrap();
        assert_eq!(
            templates::definition(&doc, &place, &files, key),
            None,
            "{t}"
        );
        assert!(templates::hover(&doc, &place, &files, key).is_none(), "{t}");
    }
    let linked: Vec<String> = templates::links(&doc, &place, &files)
        .iter()
        .map(|l| text[l.span.clone()].to_string())
        .collect();
    assert_eq!(linked, ["../templates/ok.yml", "/templates/big.yml"]);
    // A file past the size limit is linked but not read.
    let at = text.find("/templates/big.yml").unwrap();
    let hover = templates::hover(&doc, &place, &files, at).unwrap().markdown;
    assert!(!hover.contains("size"), "{hover}");
    let at = text.find("../templates/ok.yml").unwrap();
    let hover = templates::hover(&doc, &place, &files, at).unwrap().markdown;
    assert!(hover.contains("region"), "{hover}");
}

// ---- Names: stages, jobs and parameters ----

/// The texts of the definition and references of the name at the first `^` of `marked`
/// (the `^` is removed before reading), and the text after renaming it to `to`.
fn names_at(marked: &str, to: &str) -> (Option<String>, Vec<String>, Result<String, String>) {
    let at = marked.find('^').expect("a ^ marks the cursor");
    let text = marked.replacen('^', "", 1);
    let doc = Document::new(&text, 0);
    let model = model::build(&doc);
    let Some(found) = ide::occurrences(&doc, &model, at) else {
        return (None, Vec::new(), Err("nothing here".into()));
    };
    let definition = found.definition.as_ref().map(|s| {
        let line = text[..s.start].lines().count();
        format!("{line}:{}", &text[s.clone()])
    });
    let references = found
        .references
        .iter()
        .map(|s| format!("{}:{}", text[..s.start].lines().count(), &text[s.clone()]))
        .collect();
    let renamed =
        ide::rename(&doc, &model, at, to).map(|edits| azpls::analysis::apply_edits(&text, &edits));
    (definition, references, renamed)
}

const PARAMETERS: &str = "\
parameters:
- name: environment
  type: string
- name: regions
  type: object
  default: []
steps:
- ${{ if eq(parameters.Environment, 'prod') }}:
  - script: echo prod
- ${{ each region in parameters.regions }}:
  - script: echo ${{ region }} ${{ parameters['environment'] }}
- script: 'echo ${{ parameters[''environment''] }}'
- script: echo $(environment) environment
";

#[test]
fn a_parameter_is_found_from_its_declaration_and_from_every_use() {
    for cursor in [
        "- name: envi^ronment",
        "parameters.Env^ironment",
        "parameters['envi^ronment']",
    ] {
        let plain = cursor.replace('^', "");
        let marked = PARAMETERS.replacen(&plain, cursor, 1);
        assert_ne!(marked, PARAMETERS, "{cursor}");
        let (definition, references, renamed) = names_at(&marked, "stage_name");
        assert_eq!(definition.as_deref(), Some("2:environment"), "{cursor}");
        assert_eq!(
            references,
            ["8:Environment", "11:environment", "12:environment"],
            "{cursor}"
        );
        let renamed = renamed.unwrap();
        assert!(renamed.contains("- name: stage_name\n"), "{renamed}");
        assert!(
            renamed.contains("eq(parameters.stage_name, 'prod')"),
            "{renamed}"
        );
        assert!(
            renamed.contains("${{ parameters['stage_name'] }}"),
            "{renamed}"
        );
        assert!(
            renamed.contains("'echo ${{ parameters[''stage_name''] }}'"),
            "{renamed}"
        );
        // Macros and plain words are not parameters.
        assert!(
            renamed.contains("echo $(environment) environment"),
            "{renamed}"
        );
    }
}

#[test]
fn parameters_of_the_older_mapping_form_and_undeclared_ones() {
    let text = "parameters:\n  vmImage: ubuntu-latest\npool:\n  vmImage: ${{ parameters.vm^Image }}\nsteps:\n- script: echo ${{ parameters.other }}\n";
    let (definition, references, renamed) = names_at(text, "image");
    assert_eq!(definition.as_deref(), Some("2:vmImage"));
    assert_eq!(references, ["4:vmImage"]);
    assert_eq!(
        renamed.unwrap(),
        "parameters:\n  image: ubuntu-latest\npool:\n  vmImage: ${{ parameters.image }}\nsteps:\n- script: echo ${{ parameters.other }}\n"
    );
    // Undeclared: found, but nothing to rename.
    let text = text
        .replace("vm^Image }}", "vmImage }}")
        .replace("parameters.other", "parameters.ot^her");
    let (definition, references, renamed) = names_at(&text, "x");
    assert_eq!(definition, None);
    assert_eq!(references, ["6:other"]);
    assert!(
        renamed
            .unwrap_err()
            .contains("no parameter is named \"other\"")
    );
    // A rename to a name the service refuses.
    let (_, _, renamed) = names_at(
        &PARAMETERS.replacen("- name: environment", "- name: env^ironment", 1),
        "an-env",
    );
    assert!(renamed.unwrap_err().contains("not a valid name"));
}

const DEPENDENCIES: &str = "\
stages:
- stage: Build
  jobs:
  - job: Compile
    steps:
    - script: echo \"##vso[task.setvariable variable=tag;isOutput=true]1.0\"
      name: version
  - job: Package
    dependsOn: Compile
    condition: succeeded('Compile')
    variables:
      tag: $[ dependencies.compile.outputs['version.tag'] ]
- stage: Deploy
  dependsOn: Build
  condition: and(succeeded(), eq(dependencies.Build.result, 'Succeeded'))
  variables:
    tag: $[ stageDependencies.Build.Compile.outputs['version.tag'] ]
  jobs:
  - job: Compile
    variables:
      tag: $[ stageDependencies.build.compile.outputs['version.tag'] ]
    steps:
    - script: echo $(tag)
";

#[test]
fn dependencies_in_expressions_are_references_of_stages_and_jobs() {
    // The stage: its dependsOn, its `dependencies.Build` in a stage condition, and the
    // `stageDependencies.Build` of the next stage and of its job.
    let marked = DEPENDENCIES.replacen("- stage: Build", "- stage: Bu^ild", 1);
    let (definition, references, renamed) = names_at(&marked, "Make");
    assert_eq!(definition.as_deref(), Some("2:Build"));
    assert_eq!(references, ["14:Build", "15:Build", "17:Build", "21:build"]);
    let renamed = renamed.unwrap();
    assert!(renamed.contains("eq(dependencies.Make.result"), "{renamed}");
    assert!(
        renamed.contains("stageDependencies.Make.Compile.outputs"),
        "{renamed}"
    );
    assert!(
        renamed.contains("stageDependencies.Make.compile.outputs"),
        "{renamed}"
    );
    // The job `Compile` of stage Build, from a `dependencies.compile` in a job of its stage:
    // the job of the same name in stage Deploy is another job.
    let marked = DEPENDENCIES.replacen("dependencies.compile", "dependencies.com^pile", 1);
    let (definition, references, renamed) = names_at(&marked, "Build_it");
    assert_eq!(definition.as_deref(), Some("4:Compile"));
    assert_eq!(
        references,
        ["9:Compile", "12:compile", "17:Compile", "21:compile"]
    );
    let renamed = renamed.unwrap();
    assert!(
        renamed.contains("  - job: Build_it\n    steps:\n    - script: echo \"##vso"),
        "{renamed}"
    );
    assert!(
        renamed.contains("  - job: Compile\n    variables:"),
        "{renamed}"
    );
    assert!(
        renamed.contains("succeeded('Compile')"),
        "a string argument is no reference: {renamed}"
    );
}
