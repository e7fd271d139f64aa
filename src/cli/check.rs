//! `azpls check [PATH...]`: the server's analysis over whole repositories. Finds the
//! pipeline files, analyses them on every core, prints findings in the chosen format,
//! applies fixes (`--fix`, `--unsafe-fixes`) or shows them (`--diff`).

use super::{connections, discover, render};
use crate::analysis::suppress::Suppression;
use crate::analysis::{self, Config, Finding, Severity};
use crate::document::Document;
use crate::ide::templates;
use crate::model;
use crate::text::{self, Encoding};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Concise,
    Json,
    Sarif,
    Github,
    Azure,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        Some(match name {
            "human" => Format::Human,
            "concise" => Format::Concise,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "github" => Format::Github,
            "azure" => Format::Azure,
            _ => return None,
        })
    }
}

/// What `check` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub format: Format,
    /// Findings below this severity don't count for the exit code.
    pub severity: Severity,
    pub all_yaml: bool,
    pub verbose: bool,
    pub fix: bool,
    pub unsafe_fixes: bool,
    pub diff: bool,
    pub report_unused_ignores: bool,
    pub color: bool,
    /// Only findings on steps that use these service connections (empty: all).
    pub connections: Vec<String>,
    /// `[files]` of azpls.toml, compiled.
    pub files: FileRules,
    /// Show a progress bar on stderr (a terminal, a human format).
    pub progress: bool,
}

/// The `[files]` include and exclude globs, matched like gitignore patterns relative to
/// the folder of the configuration file.
#[derive(Clone, Debug, Default)]
pub struct FileRules {
    include: Option<ignore::gitignore::Gitignore>,
    exclude: Option<ignore::gitignore::Gitignore>,
}

impl FileRules {
    pub fn new(root: &Path, include: &[String], exclude: &[String]) -> Result<FileRules, String> {
        let build = |globs: &[String]| -> Result<Option<ignore::gitignore::Gitignore>, String> {
            if globs.is_empty() {
                return Ok(None);
            }
            let mut b = ignore::gitignore::GitignoreBuilder::new(root);
            for g in globs {
                b.add_line(None, g)
                    .map_err(|e| format!("[files] glob \"{g}\": {e}"))?;
            }
            b.build().map(Some).map_err(|e| e.to_string())
        };
        Ok(FileRules {
            include: build(include)?,
            exclude: build(exclude)?,
        })
    }

    fn matches(rules: &Option<ignore::gitignore::Gitignore>, path: &Path) -> bool {
        let Some(rules) = rules else { return false };
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        rules.matched_path_or_any_parents(&path, false).is_ignore()
    }
}

/// One checked file.
pub struct Checked {
    pub path: PathBuf,
    /// The text (the syntax tree is dropped once analysed: a repository's worth of trees
    /// would hold hundreds of megabytes).
    pub rope: ropey::Rope,
    pub findings: Vec<Finding>,
    /// The Azure Resource Manager connection of each finding's step, when it has one.
    pub connections: Vec<Option<String>>,
    pub unused: Vec<Suppression>,
    /// Fix edits applied (or, with `--diff`, that would be).
    pub fixed: usize,
    /// The text after fixing, when fixes apply.
    pub fixed_text: Option<String>,
    /// One line per fix applied: where, what, and for unsafe ones what is left to do.
    pub applied: Vec<String>,
}

/// What a run found, for the summary and the exit code.
#[derive(Default)]
pub struct Outcome {
    pub yaml_files: usize,
    pub checked: Vec<Checked>,
    pub errors: Vec<String>,
    pub skipped: Vec<(PathBuf, String)>,
}

/// Reads a file as UTF-8 text, with a message that names it when it can't.
pub fn read(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

enum Work {
    Checked(Checked),
    Skipped(PathBuf, String),
    Failed(String),
}

/// Finds, reads and analyses the files; applies fixes when asked. Uses every core.
pub fn analyse(
    options: &Options,
    config: &Config,
    log: &mut impl Write,
) -> std::io::Result<Outcome> {
    let (files, errors) = discover::yaml_files(&options.paths);
    let explicit: Vec<&PathBuf> = options.paths.iter().filter(|p| p.is_file()).collect();
    let next = AtomicUsize::new(0);
    // Only long scans get a bar: it appears after a moment, so quick runs stay clean.
    let bar = if options.progress && files.len() > 50 {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(files.len() as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} checking {pos}/{len} files {wide_bar} {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(files.len().max(1));
    let mut results: Vec<(usize, Work)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else { break };
                        let given = explicit.contains(&path);
                        done.push((i, check_one(path, given, options, config)));
                        bar.inc(1);
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    bar.finish_and_clear();
    results.sort_by_key(|(i, _)| *i);
    let mut outcome = Outcome {
        yaml_files: files.len(),
        errors,
        ..Outcome::default()
    };
    for (_, work) in results {
        match work {
            Work::Checked(c) => {
                if options.verbose {
                    writeln!(log, "checked {}", c.path.display())?;
                }
                outcome.checked.push(c);
            }
            Work::Skipped(path, reason) => {
                if options.verbose {
                    writeln!(log, "skipped {}: {reason}", path.display())?;
                }
                outcome.skipped.push((path, reason));
            }
            Work::Failed(e) => outcome.errors.push(e),
        }
    }
    Ok(outcome)
}

fn check_one(path: &Path, given: bool, options: &Options, config: &Config) -> Work {
    let text = match read(path) {
        Ok(text) => text,
        Err(e) => return Work::Failed(e),
    };
    if !given && FileRules::matches(&options.files.exclude, path) {
        return Work::Skipped(
            path.to_path_buf(),
            "excluded by [files] in azpls.toml".to_string(),
        );
    }
    // Parse and model once, for the decision and the analysis alike.
    let doc = Document::new(&text, 0);
    let model = model::build(&doc);
    if !given && !options.all_yaml && !FileRules::matches(&options.files.include, path) {
        let decision = discover::classify_parsed(path, &doc, &model);
        if !decision.take {
            return Work::Skipped(path.to_path_buf(), decision.reason);
        }
    }
    let mut checked = analyse_model(path, doc, &model, options, config);
    if options.fix || options.unsafe_fixes || options.diff {
        let edits = analysis::fix_all(&checked.findings, options.unsafe_fixes);
        if !edits.is_empty() {
            checked.fixed = edits.len();
            checked.fixed_text = Some(analysis::apply_edits(&text, &edits));
            for f in &checked.findings {
                let Some(fix) = f.fix.as_ref().filter(|x| x.safe || options.unsafe_fixes) else {
                    continue;
                };
                let (start, _) = lines_and_columns(&checked.rope, f);
                let token = checked.rope.byte_slice(f.span.clone()).to_string();
                let left = match &fix.note {
                    Some(note) => format!(" (unsafe: {note})"),
                    None => String::new(),
                };
                let target = fix.title.split(" (unsafe").next().unwrap_or(&fix.title);
                checked.applied.push(format!(
                    "{}:{}:{}: {token} -> {}{left}",
                    path.display(),
                    start.0,
                    start.1,
                    target.trim_start_matches("Use ")
                ));
            }
        }
    }
    Work::Checked(checked)
}

/// Analyses one document: findings (limited to `--connection` when given), their
/// connections, unused suppressions.
fn analyse_text(path: &Path, doc: Document, options: &Options, config: &Config) -> Checked {
    let model = model::build(&doc);
    analyse_model(path, doc, &model, options, config)
}

fn analyse_model(
    path: &Path,
    doc: Document,
    model: &model::Model,
    options: &Options,
    config: &Config,
) -> Checked {
    // Template references are checked against the repository that holds the file (its
    // `.git`), else against the folder `check` runs in.
    let real = |p: &Path| std::fs::canonicalize(p).ok();
    let place = templates::Place {
        file: real(path),
        workspace: std::env::current_dir().ok().as_deref().and_then(real),
    };
    let env = analysis::Environment {
        place: &place,
        files: &templates::DiskFiles,
    };
    let report = analysis::report_in(&doc, model, config, Some(&env));
    let mut findings = report.findings;
    let mut conns = connections::of_findings(&doc, model, &findings);
    if !options.connections.is_empty() {
        // "What breaks if this connection moves to WIF": the catalog's rules don't answer it.
        let keep: Vec<bool> = conns
            .iter()
            .zip(&findings)
            .map(|(c, f)| {
                f.rule.about_wif()
                    && c.as_ref().is_some_and(|c| {
                        options
                            .connections
                            .iter()
                            .any(|w| w.eq_ignore_ascii_case(c))
                    })
            })
            .collect();
        let mut i = 0;
        findings.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        conns = conns
            .into_iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(c, _)| c)
            .collect();
    }
    Checked {
        path: path.to_path_buf(),
        rope: doc.rope().clone(),
        findings,
        connections: conns,
        unused: report.unused_suppressions,
        fixed: 0,
        fixed_text: None,
        applied: Vec::new(),
    }
}

/// Writes fixed files atomically (a temporary file in the same folder, then a rename),
/// keeping permissions, and re-analyses them so the report shows what remains.
pub fn write_fixes(outcome: &mut Outcome, options: &Options, config: &Config) -> Vec<String> {
    let mut errors = Vec::new();
    for checked in &mut outcome.checked {
        let Some(fixed) = checked.fixed_text.take() else {
            continue;
        };
        if let Err(e) = write_atomically(&checked.path, &fixed) {
            errors.push(format!(
                "{}: could not write the fix: {e}",
                checked.path.display()
            ));
            checked.fixed = 0;
            continue;
        }
        let fixed_count = checked.fixed;
        *checked = analyse_text(
            &checked.path.clone(),
            Document::new(&fixed, 0),
            options,
            config,
        );
        checked.fixed = fixed_count;
    }
    errors
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = dir.join(format!(".{name}.azpls-{}", std::process::id()));
    let permissions = std::fs::metadata(path)?.permissions();
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::set_permissions(&temp, permissions)?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The exit code: 2 on errors, 1 on findings at or above the threshold, else 0.
pub fn exit_code(outcome: &Outcome, options: &Options) -> u8 {
    if !outcome.errors.is_empty() {
        return 2;
    }
    let counted = outcome
        .checked
        .iter()
        .flat_map(|c| &c.findings)
        .any(|f| f.severity >= options.severity)
        || (options.report_unused_ignores && outcome.checked.iter().any(|c| !c.unused.is_empty()));
    u8::from(counted)
}

/// Prints the findings in the chosen format, then (human formats) the summary.
pub fn print(
    outcome: &Outcome,
    options: &Options,
    config: &Config,
    out: &mut impl Write,
) -> std::io::Result<()> {
    match options.format {
        Format::Json => {
            return writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&json(outcome, options)).unwrap_or_default()
            );
        }
        Format::Sarif => {
            return writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&sarif(outcome, config)).unwrap_or_default()
            );
        }
        _ => {}
    }
    for checked in &outcome.checked {
        let shown = checked.path.display().to_string();
        for f in &checked.findings {
            let (start, end) = lines_and_columns(&checked.rope, f);
            match options.format {
                Format::Human => writeln!(
                    out,
                    "{}",
                    render::human(&shown, &checked.rope, f, options.color)
                )?,
                Format::Concise => writeln!(
                    out,
                    "{shown}:{}:{}: {}: {}",
                    start.0,
                    start.1,
                    f.severity.as_str(),
                    f.full_message()
                )?,
                Format::Github => writeln!(
                    out,
                    "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                    if f.severity == Severity::Error {
                        "error"
                    } else if f.severity == Severity::Warning {
                        "warning"
                    } else {
                        "notice"
                    },
                    gh_property(&shown),
                    start.0,
                    start.1,
                    end.0,
                    end.1,
                    gh_property(f.rule.id),
                    gh_data(&f.full_message())
                )?,
                Format::Azure => writeln!(
                    out,
                    "##vso[task.logissue type={};sourcepath={};linenumber={};columnnumber={};code={}]{}",
                    if f.severity == Severity::Error {
                        "error"
                    } else {
                        "warning"
                    },
                    shown,
                    start.0,
                    start.1,
                    f.rule.id,
                    f.full_message().replace(['\r', '\n'], " ")
                )?,
                Format::Json | Format::Sarif => unreachable!("handled above"),
            }
        }
        if options.report_unused_ignores {
            for s in &checked.unused {
                let p = text::position(&checked.rope, s.span.start, Encoding::Utf32);
                writeln!(
                    out,
                    "{shown}:{}:{}: warning: unused suppression \"{}\" [unused-ignore]",
                    p.line + 1,
                    p.column + 1,
                    &checked.rope.byte_slice(s.span.clone())
                )?;
            }
        }
    }
    if matches!(options.format, Format::Human | Format::Concise) {
        summary(outcome, options, out)?;
    }
    Ok(())
}

fn lines_and_columns(rope: &ropey::Rope, f: &Finding) -> ((u32, u32), (u32, u32)) {
    let r = text::line_range(rope, &f.span, Encoding::Utf32);
    (
        (r.start.line + 1, r.start.column + 1),
        (r.end.line + 1, r.end.column + 1),
    )
}

fn summary(outcome: &Outcome, options: &Options, out: &mut impl Write) -> std::io::Result<()> {
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut fixable = 0;
    for f in outcome.checked.iter().flat_map(|c| &c.findings) {
        *by_rule.entry(f.rule.id).or_default() += 1;
        fixable += usize::from(f.fix.as_ref().is_some_and(|x| x.safe));
    }
    let total: usize = by_rule.values().sum();
    let fixed: usize = outcome.checked.iter().map(|c| c.fixed).sum();
    writeln!(
        out,
        "{} YAML file(s) scanned, {} pipeline file(s) checked, {} skipped, {} finding(s)",
        outcome.yaml_files,
        outcome.checked.len(),
        outcome.skipped.len(),
        total
    )?;
    for (rule, n) in &by_rule {
        writeln!(out, "  {n:>5}  {rule}")?;
    }
    // Per connection: the steps that would break once it uses workload identity federation.
    let mut by_connection: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for c in &outcome.checked {
        for (f, conn) in c.findings.iter().zip(&c.connections) {
            let Some(conn) = conn.as_ref().filter(|_| f.rule.about_wif()) else {
                continue;
            };
            let line = text::position(&c.rope, f.span.start, Encoding::Utf32).line + 1;
            let step = f
                .related
                .first()
                .map(|r| r.label.clone())
                .unwrap_or_default();
            by_connection.entry(conn).or_default().push(format!(
                "{}:{line} {step} [{}]",
                c.path.display(),
                f.rule.id
            ));
        }
    }
    for (conn, steps) in &by_connection {
        writeln!(
            out,
            "service connection \"{conn}\": {} step(s) would break with workload identity federation",
            steps.len()
        )?;
        for s in steps {
            writeln!(out, "    {s}")?;
        }
    }
    if options.fix || options.unsafe_fixes {
        writeln!(out, "fixed {fixed} version(s); {total} finding(s) remain")?;
    } else if options.diff {
        writeln!(out, "{fixed} fix(es) shown above; nothing was changed")?;
    } else if fixable > 0 {
        writeln!(out, "{fixable} can be fixed with --fix")?;
    }
    for e in &outcome.errors {
        writeln!(out, "error: {e}")?;
    }
    Ok(())
}

/// Workflow-command escaping for data (after `::`).
fn gh_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command escaping for property values.
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The JSON report (schema version 1, documented in the README).
pub fn json(outcome: &Outcome, options: &Options) -> serde_json::Value {
    let files: Vec<serde_json::Value> = outcome
        .checked
        .iter()
        .map(|c| {
            let findings: Vec<serde_json::Value> = c
                .findings
                .iter()
                .zip(&c.connections)
                .map(|(f, connection)| {
                    let (start, end) = lines_and_columns(&c.rope, f);
                    serde_json::json!({
                        "rule": f.rule.id,
                        "connection": connection,
                        "severity": f.severity.as_str(),
                        "message": f.message,
                        "line": start.0, "column": start.1,
                        "end_line": end.0, "end_column": end.1,
                        "byte_start": f.span.start, "byte_end": f.span.end,
                        "step": f.related.first().map(|r| r.label.clone()),
                        "fix": f.fix.as_ref().map(|x| serde_json::json!({
                            "title": x.title, "safe": x.safe, "note": x.note,
                            "edits": x.edits.iter().map(|e| serde_json::json!({
                                "byte_start": e.span.start, "byte_end": e.span.end, "text": e.text
                            })).collect::<Vec<_>>(),
                        })),
                    })
                })
                .collect();
            let unused: Vec<serde_json::Value> = if options.report_unused_ignores {
                c.unused
                    .iter()
                    .map(|s| serde_json::json!({"line": s.line + 1, "rules": s.rules}))
                    .collect()
            } else {
                Vec::new()
            };
            serde_json::json!({
                "path": c.path.display().to_string(),
                "findings": findings,
                "fixed": c.fixed,
                "unused_ignores": unused,
            })
        })
        .collect();
    serde_json::json!({
        "schema": 1,
        "files": files,
        "skipped": outcome.skipped.iter().map(|(p, r)| serde_json::json!({"path": p.display().to_string(), "reason": r})).collect::<Vec<_>>(),
        "errors": outcome.errors,
    })
}

/// A SARIF 2.1.0 log, so code-scanning interfaces show the findings.
pub fn sarif(outcome: &Outcome, config: &Config) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = analysis::RULES
        .iter()
        .map(|(r, _)| {
            serde_json::json!({
                "id": r.id,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.explanation},
                "helpUri": r.url(config.table),
                "defaultConfiguration": {"level": level(r.default_severity)},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = outcome
        .checked
        .iter()
        .flat_map(|c| {
            c.findings.iter().map(move |f| {
                let (start, end) = lines_and_columns(&c.rope, f);
                serde_json::json!({
                    "ruleId": f.rule.id,
                    "level": level(f.severity),
                    "message": {"text": f.message},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": c.path.display().to_string().replace('\\', "/")},
                        "region": {"startLine": start.0, "startColumn": start.1, "endLine": end.0, "endColumn": end.1},
                    }}],
                })
            })
        })
        .collect();
    serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "azpls",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}

/// A unified diff of what the fixes change. Fixes never add or remove lines, so the
/// diff is the changed lines with three lines of context.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    let old: Vec<&str> = text::lines_inclusive(before).collect();
    let new: Vec<&str> = text::lines_inclusive(after).collect();
    let changed: Vec<usize> = (0..old.len().min(new.len()))
        .filter(|&i| old[i] != new[i])
        .collect();
    if changed.is_empty() {
        return String::new();
    }
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let mut i = 0;
    while i < changed.len() {
        let start = changed[i].saturating_sub(3);
        let mut last = changed[i];
        while i + 1 < changed.len() && changed[i + 1] <= last + 7 {
            i += 1;
            last = changed[i];
        }
        let end = (last + 4).min(old.len());
        let len = end - start;
        out.push_str(&format!(
            "@@ -{},{len} +{},{len} @@\n",
            start + 1,
            start + 1
        ));
        for line in start..end {
            let nl = |s: &str| {
                if s.ends_with(['\n', '\r']) {
                    String::new()
                } else {
                    "\n\\ No newline at end of file\n".to_string()
                }
            };
            if old[line] == new[line] {
                out.push_str(&format!(" {}{}", old[line], nl(old[line])));
            } else {
                out.push_str(&format!("-{}{}", old[line], nl(old[line])));
                out.push_str(&format!("+{}{}", new[line], nl(new[line])));
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let before = "a\nb\nc\nd\n- task: X@4\ne\n";
        let after = "a\nb\nc\nd\n- task: X@6\ne\n";
        assert_eq!(
            unified_diff("p.yml", before, after),
            "--- a/p.yml\n+++ b/p.yml\n@@ -2,5 +2,5 @@\n b\n c\n d\n-- task: X@4\n+- task: X@6\n e\n"
        );
    }

    #[test]
    fn workflow_commands_escape_what_they_must() {
        assert_eq!(gh_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(gh_data("x\ny"), "x%0Ay");
    }
}
