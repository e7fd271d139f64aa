//! `azpls check [PATH...]`: the server's analysis over whole repositories. Finds the
//! pipeline files, analyses them on every core, and hands each file's result, in path
//! order, to the report as soon as it is ready (so memory holds a few files' findings,
//! not the run's); applies fixes (`--fix`, `--unsafe-fixes`) or shows them (`--diff`).

use super::report::Printer;
use super::{connections, discover, fix, traced};
use crate::analysis::suppress::Suppression;
use crate::analysis::{self, Config, Finding, Parallel, Severity};
use crate::config::{self, Settings};
use crate::document::Document;
use crate::ide::templates;
use crate::model;
use crate::text::{self, Encoding};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

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

    /// Formats for people, which end with a summary (and carry errors and fixes on stdout).
    pub fn is_human(self) -> bool {
        matches!(self, Format::Human | Format::Concise)
    }
}

/// What `check` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Files or folders; `-` is standard input.
    pub paths: Vec<PathBuf>,
    pub format: Format,
    /// Findings below this severity don't count for the exit code.
    pub severity: Severity,
    pub all_yaml: bool,
    pub verbose: bool,
    pub fix: bool,
    pub unsafe_fixes: bool,
    /// Fix files with other hard links, and read-only files, too.
    pub fix_anyway: bool,
    pub diff: bool,
    pub report_unused_ignores: bool,
    pub color: bool,
    /// Only findings on steps that use these service connections (empty: all).
    pub connections: Vec<String>,
    /// Show a progress bar on stderr (a terminal, a human format).
    pub progress: bool,
    /// The settings of each path: `scopes[scope_of[i]]` applies to `paths[i]` and to
    /// everything found under it.
    pub scopes: Vec<Scope>,
    pub scope_of: Vec<usize>,
}

impl Options {
    /// Checking `paths` in `format`, each with the settings of its nearest `azpls.toml`
    /// (with `overrides` on top); everything optional off. Errors name the bad file.
    pub fn new(
        paths: Vec<PathBuf>,
        format: Format,
        overrides: &Settings,
    ) -> Result<Options, String> {
        let (scopes, scope_of) = Scope::for_paths(&paths, overrides)?;
        Ok(Options {
            paths,
            format,
            severity: Severity::Hint,
            all_yaml: false,
            verbose: false,
            fix: false,
            unsafe_fixes: false,
            fix_anyway: false,
            diff: false,
            report_unused_ignores: false,
            color: false,
            connections: Vec::new(),
            progress: false,
            scopes,
            scope_of,
        })
    }
}

/// The settings of one `azpls.toml` (or the defaults, where there is none), for the
/// checked paths whose nearest configuration it is.
#[derive(Clone, Debug)]
pub struct Scope {
    pub config: Config,
    pub files: FileRules,
    pub file: Option<PathBuf>,
}

impl Scope {
    /// One scope per distinct nearest `azpls.toml` of `paths` (standard input takes the
    /// current folder's), and the scope of each path.
    fn for_paths(
        paths: &[PathBuf],
        overrides: &Settings,
    ) -> Result<(Vec<Scope>, Vec<usize>), String> {
        let mut scopes: Vec<Scope> = Vec::new();
        let mut scope_of = Vec::with_capacity(paths.len());
        for path in paths {
            let start = if path.as_os_str() == discover::STDIN {
                Path::new(".")
            } else {
                path.as_path()
            };
            let file = config::find_file(start);
            if let Some(i) = scopes.iter().position(|s| s.file == file) {
                scope_of.push(i);
                continue;
            }
            let settings = match &file {
                Some(f) => config::load(f)?,
                None => Settings::default(),
            };
            let dir = file
                .as_deref()
                .and_then(Path::parent)
                .map_or_else(|| config::absolute(Path::new(".")), Path::to_path_buf);
            let files = FileRules::new(&dir, &settings.files.include, &settings.files.exclude)
                .map_err(|e| named(file.as_deref(), e))?;
            let config = settings
                .merge(overrides.clone())
                .to_config()
                .map_err(|e| named(file.as_deref(), e))?;
            scope_of.push(scopes.len());
            scopes.push(Scope {
                config,
                files,
                file,
            });
        }
        Ok((scopes, scope_of))
    }
}

fn named(file: Option<&Path>, message: String) -> String {
    match file {
        Some(f) => format!("{}: {message}", f.display()),
        None => message,
    }
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
                b.add_line(None, g).map_err(|e| {
                    format!(
                        "[files] glob {}: {}",
                        super::escape::quote(g, 40),
                        super::escape::shorten(&e.to_string(), 200)
                    )
                })?;
            }
            b.build()
                .map(Some)
                .map_err(|e| super::escape::shorten(&e.to_string(), 200))
        };
        Ok(FileRules {
            include: build(include)?,
            exclude: build(exclude)?,
        })
    }

    fn matches(rules: &Option<ignore::gitignore::Gitignore>, path: &Path) -> bool {
        let Some(rules) = rules else { return false };
        rules
            .matched_path_or_any_parents(config::absolute(path), false)
            .is_ignore()
    }
}

/// One checked file.
pub struct Checked {
    pub path: PathBuf,
    /// Index into [`Options::scopes`].
    pub scope: usize,
    /// The text (the syntax tree is dropped once analysed).
    pub rope: ropey::Rope,
    /// The file that was read (none for standard input), to recognise it when fixing.
    pub identity: Option<fix::Identity>,
    pub findings: Vec<Finding>,
    /// The Azure Resource Manager connection of each finding's step, when it has one.
    pub connections: Vec<Option<String>>,
    /// For each finding on a template's task whose connection comes from its caller: the
    /// connections the checked callers run it with, and where (see [`traced`]).
    pub through: Vec<Vec<crate::expand::tasks::Through>>,
    /// Every connection the file's steps use, when `--connection` asks (see
    /// [`analysis::connections::used`]).
    pub used_connections: Vec<String>,
    pub unused: Vec<Suppression>,
    /// Fix edits applied (or, with `--diff`, that would be).
    pub fixed: usize,
    /// The text after fixing, when fixes apply.
    pub fixed_text: Option<String>,
    /// One line per fix: where, what, and for unsafe ones what is left to do.
    pub applied: Vec<String>,
}

enum Work {
    Checked(Checked),
    Skipped(PathBuf, String),
    Failed(String),
}

/// Checks every file, writes the report to `out` (and `--verbose` lines, and the fixes and
/// errors of machine formats, to `log`), and returns the exit code: 2 on errors, 1 on
/// findings at or above the threshold, else 0. With `--diff`, `out` carries the diff alone,
/// so that it can go straight to `git apply`, and the report goes to `log`.
pub fn run(options: &Options, out: &mut impl Write, log: &mut impl Write) -> std::io::Result<u8> {
    let walk = discover::yaml_files(&options.paths);
    // Line by line, as standard output is: the report may be long.
    let mut log = std::io::LineWriter::new(log);
    let (mut printer, mut diffs) = if options.diff {
        (Printer::new(options, &mut log, None)?, Some(out))
    } else {
        (Printer::new(options, out, Some(&mut log))?, None)
    };
    let cwd = std::env::current_dir().ok();
    if options.verbose {
        for link in &walk.links {
            printer.verbose(link, "skipped", Some("symbolic link, not followed"))?;
        }
    }
    let mut errors = walk.errors;
    let mut skipped = Vec::new();
    // Lowercased, as `--connection` matches, to the first spelling seen.
    let mut used_connections = BTreeMap::new();
    // What the templates' tasks are run with, from their callers: before any file is
    // reported, since a template may come before its callers.
    let traced = traced::collect(&walk.files);
    if !options.connections.is_empty() {
        for c in traced.connections() {
            used_connections
                .entry(c.to_ascii_lowercase())
                .or_insert_with(|| c.to_string());
        }
    }
    in_order(&walk.files, options, &traced, |work| match work {
        Work::Checked(mut checked) => {
            if options.verbose {
                printer.verbose(&checked.path, "checked", None)?;
            }
            for c in checked.used_connections.drain(..) {
                used_connections.entry(c.to_ascii_lowercase()).or_insert(c);
            }
            if let Some(fixed) = checked.fixed_text.take() {
                if let Some(diffs) = diffs.as_mut() {
                    let name = diff_path(&checked.path, cwd.as_deref());
                    let diff = unified_diff(&name, &checked.rope.to_string(), &fixed);
                    diffs.write_all(diff.text.as_bytes())?;
                    if diff.escaped {
                        printer.unapplicable(&checked.path);
                    }
                } else if options.fix {
                    match write_fix(&mut checked, &fixed, options, &traced) {
                        Ok(()) => printer.applied(&checked.applied)?,
                        Err(e) => errors.push(e),
                    }
                }
            }
            printer.file(&checked)
        }
        Work::Skipped(path, reason) => {
            if options.verbose {
                printer.verbose(&path, "skipped", Some(&reason))?;
            }
            skipped.push((path, reason));
            Ok(())
        }
        Work::Failed(e) => {
            errors.push(e);
            Ok(())
        }
    })?;
    let counted = printer.finish(walk.files.len(), &skipped, &errors)?;
    if let Some(diffs) = diffs {
        diffs.flush()?;
    }
    // After the report, so it is the last thing a CI log shows.
    let unmatched = connections::unmatched(&options.connections, &used_connections);
    for message in &unmatched {
        writeln!(log, "error: {message}")?;
    }
    log.flush()?;
    Ok(if !errors.is_empty() || !unmatched.is_empty() {
        2
    } else {
        u8::from(counted)
    })
}

/// Analyses `files` on every core and calls `deliver` with each result in file order.
/// Workers stay within a few files of the last delivered one, so a slow file doesn't let
/// the others' results pile up. A panic while checking one file is that file's error;
/// an error from `deliver` (a closed pipe) stops the run.
fn in_order(
    files: &[discover::Found],
    options: &Options,
    traced: &traced::Traced,
    mut deliver: impl FnMut(Work) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let bar = progress_bar(options, files.len());
    let workers = crate::parallel::cores().min(files.len().max(1));
    let window = 4 * workers;
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let delivered = (Mutex::new(0usize), Condvar::new());
    let (send, receive) = mpsc::channel::<(usize, Work)>();
    let result = std::thread::scope(|scope| {
        for _ in 0..workers {
            let send = send.clone();
            let (next, stop, delivered, bar) = (&next, &stop, &delivered, &bar);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(found) = files.get(i) else { break };
                    let mut count = delivered.0.lock().unwrap_or_else(|p| p.into_inner());
                    while i >= *count + window {
                        count = delivered.1.wait(count).unwrap_or_else(|p| p.into_inner());
                    }
                    drop(count);
                    let work = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        check_one(found, options, traced)
                    }))
                    .unwrap_or_else(|_| {
                        Work::Failed(format!(
                            "{}: internal error while checking this file; please report it",
                            found.path.display()
                        ))
                    });
                    bar.inc(1);
                    if send.send((i, work)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        let mut pending = BTreeMap::new();
        let mut result = Ok(());
        for expected in 0..files.len() {
            let work = loop {
                if let Some(work) = pending.remove(&expected) {
                    break Some(work);
                }
                match receive.recv() {
                    Ok((i, work)) => {
                        pending.insert(i, work);
                    }
                    Err(_) => break None,
                }
            };
            result = work.map_or(Ok(()), &mut deliver);
            let mut count = delivered.0.lock().unwrap_or_else(|p| p.into_inner());
            *count = if result.is_ok() {
                expected + 1
            } else {
                files.len()
            };
            delivered.1.notify_all();
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        result
    });
    bar.finish_and_clear();
    result
}

/// Only long scans get a bar: it appears after a moment, so quick runs stay clean.
fn progress_bar(options: &Options, files: usize) -> indicatif::ProgressBar {
    if !options.progress || files <= 50 {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(files as u64),
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
}

fn check_one(found: &discover::Found, options: &Options, traced: &traced::Traced) -> Work {
    let path = &found.path;
    let scope_index = options.scope_of[found.root];
    let scope = &options.scopes[scope_index];
    if !found.given && FileRules::matches(&scope.files.exclude, path) {
        return Work::Skipped(path.clone(), "excluded by [files] in azpls.toml".into());
    }
    let read = if found.given && path.as_os_str() == discover::STDIN {
        fix::read_stdin(path).map(|text| (text, None))
    } else {
        fix::read(path).map(|(text, identity)| (text, Some(identity)))
    };
    let (text, identity) = match read {
        Ok(read) => read,
        Err(e) => return Work::Failed(e),
    };
    // Parse and model once, for the decision and the analysis alike.
    let doc = Document::new(&text, 0);
    let model = model::build(&doc);
    if !found.given && !options.all_yaml && !FileRules::matches(&scope.files.include, path) {
        let decision = discover::classify_parsed(path, &doc, &model);
        if !decision.take {
            return Work::Skipped(path.clone(), decision.reason);
        }
    }
    let mut checked = analyse_model(path, scope_index, doc, &model, options, traced);
    checked.identity = identity;
    if options.fix || options.diff {
        let edits = analysis::fix_all(&checked.findings, options.unsafe_fixes);
        if !edits.is_empty() {
            checked.fixed = edits.len();
            checked.fixed_text = Some(analysis::apply_edits(&text, &edits));
            checked.applied = applied(&checked, options.unsafe_fixes);
        }
    }
    Work::Checked(checked)
}

/// The `fixed …` line of each fix applied.
fn applied(checked: &Checked, unsafe_fixes: bool) -> Vec<String> {
    let mut lines = Vec::new();
    for f in &checked.findings {
        let Some(fix) = f.fix.as_ref().filter(|x| x.safe || unsafe_fixes) else {
            continue;
        };
        let (start, _) = lines_and_columns(&checked.rope, f);
        let token = checked.rope.byte_slice(f.span.clone()).to_string();
        let left = match &fix.note {
            Some(note) => format!(" (unsafe: {note})"),
            None => String::new(),
        };
        let target = fix.title.split(" (unsafe").next().unwrap_or(&fix.title);
        lines.push(format!(
            "{}:{}:{}: {token} -> {}{left}",
            checked.path.display(),
            start.0,
            start.1,
            target.trim_start_matches("Use ")
        ));
    }
    lines
}

/// Analyses one document: findings (limited to `--connection` when given), their
/// connections, unused suppressions.
fn analyse_model(
    path: &Path,
    scope: usize,
    doc: Document,
    model: &model::Model,
    options: &Options,
    traced: &traced::Traced,
) -> Checked {
    // Template references are checked against the repository that holds the file (its
    // `.git`), else against the folder `check` runs in.
    let place = traced::place(path);
    let env = analysis::Environment {
        place: &place,
        files: &templates::DiskFiles,
    };
    // Each file is analysed once, from nothing remembered: a large one has its walks on a
    // second thread.
    let config = &options.scopes[scope].config;
    let report = analysis::report_with(&doc, model, config, Some(&env), Parallel::BySize);
    let mut findings = report.findings;
    let mut conns = analysis::connections::of_findings(&doc, model, &findings);
    let mut through = traced::through(path, &findings, &conns, traced);
    let mut used_connections = Vec::new();
    if !options.connections.is_empty() {
        used_connections = analysis::connections::used(&doc, model);
        // A template's `${{ parameters.x }}` is no name to ask for: its callers' values are.
        used_connections.retain(|c| !c.contains("${{"));
        // "What breaks if this connection moves to WIF": the catalog's rules don't answer it.
        let asked = |c: &str| {
            options
                .connections
                .iter()
                .any(|w| w.eq_ignore_ascii_case(c))
        };
        for t in &mut through {
            t.retain(|t| asked(&t.connection));
        }
        let keep: Vec<bool> = findings
            .iter()
            .zip(&conns)
            .zip(&through)
            .map(|((f, c), t)| {
                f.rule.about_wif() && (!t.is_empty() || c.as_deref().is_some_and(asked))
            })
            .collect();
        findings = kept(findings, &keep);
        conns = kept(conns, &keep);
        through = kept(through, &keep);
    }
    // The message says what the callers run the step with, in every format.
    let cwd = std::env::current_dir().ok();
    for (f, t) in findings.iter_mut().zip(&through) {
        f.message.push_str(&traced::describe(t, cwd.as_deref()));
    }
    Checked {
        path: path.to_path_buf(),
        scope,
        rope: doc.rope().clone(),
        identity: None,
        findings,
        connections: conns,
        through,
        used_connections,
        unused: report.unused_suppressions,
        fixed: 0,
        fixed_text: None,
        applied: Vec::new(),
    }
}

/// The items of `list` whose `keep` is true.
fn kept<T>(list: Vec<T>, keep: &[bool]) -> Vec<T> {
    list.into_iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(c, _)| c)
        .collect()
}

/// Writes a file's fixes (see [`fix::replace`]) and re-analyses the fixed text, so the
/// report shows what remains. On failure the file is reported as it was, unfixed.
fn write_fix(
    checked: &mut Checked,
    fixed: &str,
    options: &Options,
    traced: &traced::Traced,
) -> Result<(), String> {
    let result = match checked.identity {
        Some(identity) => fix::replace(
            &checked.path,
            &checked.rope.to_string(),
            identity,
            fixed,
            options.fix_anyway,
        ),
        None => Err(format!(
            "{}: standard input cannot be fixed; not fixed",
            checked.path.display()
        )),
    };
    if let Err(e) = result {
        checked.fixed = 0;
        checked.applied.clear();
        return Err(e);
    }
    // The traces name steps by their place in the text as it was: they still apply when
    // the fixes kept every length (version rewrites do).
    let same_places = fixed.len() == checked.rope.len_bytes();
    let none = traced::Traced::default();
    let traced = if same_places { traced } else { &none };
    let model_doc = Document::new(fixed, 0);
    let model = model::build(&model_doc);
    let mut after = analyse_model(
        &checked.path,
        checked.scope,
        model_doc,
        &model,
        options,
        traced,
    );
    after.fixed = checked.fixed;
    after.applied = std::mem::take(&mut checked.applied);
    *checked = after;
    Ok(())
}

/// A finding's start and end, 1-based, in characters.
pub fn lines_and_columns(rope: &ropey::Rope, f: &Finding) -> ((u32, u32), (u32, u32)) {
    lines_and_columns_of(rope, &f.span)
}

/// A span's start and end, 1-based, in characters.
pub fn lines_and_columns_of(rope: &ropey::Rope, span: &text::Span) -> ((u32, u32), (u32, u32)) {
    let r = text::line_range(rope, span, Encoding::Utf32);
    (
        (r.start.line + 1, r.start.column + 1),
        (r.end.line + 1, r.end.column + 1),
    )
}

/// A file's unified diff, and whether `git apply` can take it.
pub struct Diff {
    pub text: String,
    /// Whether some line was shown escaped (a logging command, a control character, a
    /// lone carriage return): the diff then no longer matches the file and won't apply.
    pub escaped: bool,
}

/// A unified diff of what the fixes change, naming the file `name` (see [`diff_path`]).
/// Fixes never add or remove lines, so the diff is the changed lines with three lines of
/// context. Lines are shown through [`super::escape::text`] (their line ends kept), so a
/// diff never carries a logging command or a lone carriage return to the CI agent; such
/// lines won't apply as a patch ([`Diff::escaped`] says so), which is what `--fix` is for.
pub fn unified_diff(name: &[u8], before: &str, after: &str) -> Diff {
    let old: Vec<&str> = text::lines_inclusive(before).collect();
    let new: Vec<&str> = text::lines_inclusive(after).collect();
    let changed: Vec<usize> = (0..old.len().min(new.len()))
        .filter(|&i| old[i] != new[i])
        .collect();
    let mut escaped = false;
    let mut line = |mark: char, s: &str| {
        // A lone CR ends a line too, but printed raw it would end the diff's line for the
        // agent: it is shown escaped, before an LF.
        let (body, end) = if let Some(b) = s.strip_suffix("\r\n") {
            (b, "\r\n")
        } else if let Some(b) = s.strip_suffix('\n') {
            (b, "\n")
        } else if let Some(b) = s.strip_suffix('\r') {
            escaped = true;
            (b, "\\r\n")
        } else {
            (s, "\n\\ No newline at end of file\n")
        };
        let shown = super::escape::text(body);
        escaped |= matches!(shown, Cow::Owned(_));
        format!("{mark}{shown}{end}")
    };
    let mut out = String::new();
    if !changed.is_empty() {
        out = format!(
            "--- {}\n+++ {}\n",
            diff_name("a/", name),
            diff_name("b/", name)
        );
    }
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
        for at in start..end {
            if old[at] == new[at] {
                out.push_str(&line(' ', old[at]));
            } else {
                out.push_str(&line('-', old[at]));
                out.push_str(&line('+', new[at]));
            }
        }
        i += 1;
    }
    Diff { text: out, escaped }
}

/// The name a diff gives `path`: relative to the folder `check` runs in (`cwd`) when the
/// path is inside it, relative paths kept relative, components joined by `/` and without
/// `.` ones (`git apply` refuses `a/./x.yml`), so that `git apply` or `patch -p1` takes
/// the diff in that folder. Bytes, since a file name need not be UTF-8.
pub fn diff_path(path: &Path, cwd: Option<&Path>) -> Vec<u8> {
    use std::path::Component;
    let inside =
        |path: &Path| cwd.and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let relative = if path.is_absolute() {
        // Through a symbolic link to the folder, the path differs from `cwd` (which is
        // real) until its folder is resolved; the file's own name stays.
        inside(path).or_else(|| {
            let folder = std::fs::canonicalize(path.parent()?).ok()?;
            inside(&folder.join(path.file_name()?))
        })
    } else {
        None
    };
    let path = relative.as_deref().unwrap_or(path);
    let mut out: Vec<u8> = Vec::new();
    for component in path.components() {
        let part = match component {
            Component::CurDir => continue,
            Component::RootDir => {
                out.push(b'/');
                continue;
            }
            Component::Prefix(prefix) => {
                out.extend_from_slice(&os_bytes(prefix.as_os_str()));
                continue;
            }
            Component::ParentDir => Cow::Borrowed(&b".."[..]),
            Component::Normal(name) => os_bytes(name),
        };
        if !out.is_empty() && !out.ends_with(b"/") && !out.ends_with(b":") {
            out.push(b'/');
        }
        out.extend_from_slice(&part);
    }
    out
}

fn os_bytes(s: &std::ffi::OsStr) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Cow::Borrowed(s.as_bytes())
    }
    #[cfg(not(unix))]
    {
        match s.to_string_lossy() {
            Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
            Cow::Owned(s) => Cow::Owned(s.into_bytes()),
        }
    }
}

/// `prefix` and `name` as a diff's `---`/`+++` line names them: as they are, or, where
/// the name has a character [`super::escape::text`] would change, a `"` or a `\`, or
/// bytes that are not UTF-8, in git's C-style quotes (`"a/x\ty.yml"`), which `git apply`
/// decodes. Octal escapes spell the rest, and the `[` of a `##vso[` too, so the name
/// stays exact and never carries a logging command.
fn diff_name(prefix: &str, name: &[u8]) -> String {
    // A single character comes back changed only if it is one the escaping hides.
    let hidden = |c: char| {
        matches!(
            super::escape::text(c.encode_utf8(&mut [0; 4])),
            Cow::Owned(_)
        )
    };
    let plain = std::str::from_utf8(name)
        .ok()
        .filter(|s| !s.contains(['"', '\\']) && matches!(super::escape::text(s), Cow::Borrowed(_)));
    if let Some(s) = plain {
        return format!("{prefix}{s}");
    }
    let mut out = format!("\"{prefix}");
    let octal = |out: &mut String, bytes: &[u8]| {
        for b in bytes {
            out.push_str(&format!("\\{b:03o}"));
        }
    };
    for chunk in name.utf8_chunks() {
        let valid = chunk.valid();
        for (at, c) in valid.char_indices() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '[' if valid[..at].to_ascii_lowercase().ends_with("##vso") => octal(&mut out, b"["),
                c if hidden(c) => octal(&mut out, c.encode_utf8(&mut [0; 4]).as_bytes()),
                c => out.push(c),
            }
        }
        octal(&mut out, chunk.invalid());
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changed_lines_with_context() {
        let before = "a\nb\nc\nd\n- task: X@4\ne\n";
        let after = "a\nb\nc\nd\n- task: X@6\ne\n";
        let diff = unified_diff(b"p.yml", before, after);
        assert_eq!(
            diff.text,
            "--- a/p.yml\n+++ b/p.yml\n@@ -2,5 +2,5 @@\n b\n c\n d\n-- task: X@4\n+- task: X@6\n e\n"
        );
        assert!(!diff.escaped);
        assert_eq!(unified_diff(b"p.yml", before, before).text, "");
    }

    #[test]
    fn diff_keeps_line_ends_and_escapes_the_rest() {
        // A lone CR ends a line (shown escaped), as in YAML and LSP.
        let before = "x: \"##vso[a]\"\r\n- task: X@4\r\ny: a\rb";
        let after = "x: \"##vso[a]\"\r\n- task: X@6\r\ny: a\rb";
        let diff = unified_diff(b"p.yml", before, after);
        assert_eq!(
            diff.text,
            "--- a/p.yml\n+++ b/p.yml\n@@ -1,4 +1,4 @@\n x: \"##vso\\u{5b}a]\"\r\n-- task: X@4\r\n+- task: X@6\r\n y: a\\r\n b\n\\ No newline at end of file\n"
        );
        assert!(diff.escaped, "such a diff does not apply");
    }

    #[test]
    fn diff_names_are_git_quoted_where_they_would_be_escaped() {
        assert_eq!(diff_name("a/", b"sub/my file.yml"), "a/sub/my file.yml");
        assert_eq!(diff_name("a/", "é.yml".as_bytes()), "a/é.yml");
        assert_eq!(
            diff_name("b/", b"p\n##vso[x]\t\"q\\\x1b.yml"),
            "\"b/p\\n##vso\\133x]\\t\\\"q\\\\\\033.yml\""
        );
        // Bytes that are not UTF-8, and a bidirectional control, in octal.
        assert_eq!(
            diff_name("a/", b"x\xff\xe2\x80\xae.yml"),
            "\"a/x\\377\\342\\200\\256.yml\""
        );
    }

    #[test]
    fn diff_paths_drop_dot_components_and_stay_relative() {
        let name = |p: &str, cwd: Option<&str>| {
            String::from_utf8(diff_path(Path::new(p), cwd.map(Path::new))).unwrap()
        };
        assert_eq!(name("./azure-pipelines.yml", None), "azure-pipelines.yml");
        assert_eq!(name("./ci/./x.yml", None), "ci/x.yml");
        assert_eq!(name("ci//x.yml", None), "ci/x.yml");
        assert_eq!(name("../other/x.yml", None), "../other/x.yml");
        #[cfg(unix)]
        {
            assert_eq!(name("/repo/ci/x.yml", Some("/repo")), "ci/x.yml");
            assert_eq!(name("/elsewhere/x.yml", Some("/repo")), "/elsewhere/x.yml");
        }
    }
}
