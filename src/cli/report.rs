//! What `check` prints, file by file as results arrive: the findings in the chosen format,
//! the fixes applied, `--verbose` lines, and at the end the summary (human formats) or
//! the closing of the JSON and SARIF documents. JSON and SARIF are written piece by piece
//! in serde_json's pretty layout, so memory holds one finding's object at a time, never
//! the whole report. Every value from the input goes through [`escape`].

use super::check::{self, Checked, Format, Options};
use super::escape::{self, JsonFormatter};
use crate::analysis::{self, Severity};
use crate::text::{self, Encoding};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Streams a report and keeps the totals the summary and the exit code need.
pub struct Printer<'a> {
    options: &'a Options,
    /// Where the report goes.
    out: &'a mut dyn Write,
    /// Where `--verbose` lines go, and what changed and the errors when the report is in a
    /// machine format; `None` sends them with the report.
    log: Option<&'a mut dyn Write>,
    /// Files (JSON) or results (SARIF) written so far, for the separators.
    written: usize,
    checked: usize,
    by_rule: BTreeMap<&'static str, usize>,
    fixable: usize,
    fixed: usize,
    /// Per connection: the steps that would break once it uses workload identity
    /// federation, as printed.
    by_connection: BTreeMap<String, Vec<String>>,
    /// A finding at or above the threshold (or a reported unused suppression).
    counted: bool,
    /// Files whose diff shows escaped lines, and so will not apply.
    unapplicable: Vec<String>,
}

/// A line break and `depth` levels of indentation, after a comma unless `first`.
fn item(out: &mut dyn Write, depth: usize, first: bool) -> io::Result<()> {
    if !first {
        out.write_all(b",")?;
    }
    write!(out, "\n{:width$}", "", width = 2 * depth)
}

/// An object key at `depth`.
fn key(out: &mut dyn Write, depth: usize, first: bool, name: &str) -> io::Result<()> {
    item(out, depth, first)?;
    JsonFormatter::write(out, depth, name)?;
    out.write_all(b": ")
}

/// Closes an array or object whose items are at `depth + 1`.
fn close(out: &mut dyn Write, depth: usize, any: bool, bracket: &str) -> io::Result<()> {
    if any {
        write!(out, "\n{:width$}", "", width = 2 * depth)?;
    }
    out.write_all(bracket.as_bytes())
}

/// A path as printed: it may start a line (or follow indentation), so through
/// [`escape::line_start`].
fn shown(path: &Path) -> String {
    escape::line_start(&path.display().to_string()).into_owned()
}

impl<'a> Printer<'a> {
    /// Starts the report (the opening of the JSON and SARIF documents).
    pub fn new(
        options: &'a Options,
        out: &'a mut dyn Write,
        log: Option<&'a mut dyn Write>,
    ) -> io::Result<Self> {
        match options.format {
            Format::Json => {
                out.write_all(b"{")?;
                key(out, 1, true, "schema")?;
                out.write_all(b"1")?;
                key(out, 1, false, "files")?;
                out.write_all(b"[")?;
            }
            Format::Sarif => {
                out.write_all(b"{")?;
                key(out, 1, true, "$schema")?;
                JsonFormatter::write(out, 1, "https://json.schemastore.org/sarif-2.1.0.json")?;
                key(out, 1, false, "runs")?;
                out.write_all(b"[")?;
                item(out, 2, true)?;
                out.write_all(b"{")?;
                key(out, 3, true, "columnKind")?;
                JsonFormatter::write(out, 3, "unicodeCodePoints")?;
                key(out, 3, false, "results")?;
                out.write_all(b"[")?;
            }
            _ => {}
        }
        Ok(Printer {
            options,
            out,
            log,
            written: 0,
            checked: 0,
            by_rule: BTreeMap::new(),
            fixable: 0,
            fixed: 0,
            by_connection: BTreeMap::new(),
            counted: false,
            unapplicable: Vec::new(),
        })
    }

    fn log(&mut self) -> &mut dyn Write {
        match self.log.as_deref_mut() {
            Some(log) => log,
            None => &mut *self.out,
        }
    }

    /// A `--verbose` line on the log: `checked PATH`, `skipped PATH: REASON`.
    pub fn verbose(&mut self, path: &Path, what: &str, reason: Option<&str>) -> io::Result<()> {
        match reason {
            Some(reason) => writeln!(
                self.log(),
                "{what} {}: {}",
                shown(path),
                escape::text(reason)
            ),
            None => writeln!(self.log(), "{what} {}", shown(path)),
        }
    }

    /// Where what changed goes: stdout for people, stderr when stdout carries a machine
    /// format.
    fn aside(&mut self) -> &mut dyn Write {
        if self.options.format.is_human() {
            &mut *self.out
        } else {
            self.log()
        }
    }

    /// The `fixed …` lines of a file whose fixes were written.
    pub fn applied(&mut self, lines: &[String]) -> io::Result<()> {
        for line in lines {
            writeln!(self.aside(), "fixed {}", escape::text(line))?;
        }
        Ok(())
    }

    /// Notes a file whose diff shows escaped lines: the summary says it won't apply.
    pub fn unapplicable(&mut self, path: &Path) {
        self.unapplicable.push(shown(path));
    }

    /// A checked file's findings (and unused suppressions).
    pub fn file(&mut self, c: &Checked) -> io::Result<()> {
        self.checked += 1;
        self.fixed += c.fixed;
        for f in &c.findings {
            *self.by_rule.entry(f.rule.id).or_default() += 1;
            self.fixable += usize::from(f.fix.as_ref().is_some_and(|x| x.safe));
            self.counted |= f.severity >= self.options.severity;
        }
        self.counted |= self.options.report_unused_ignores && !c.unused.is_empty();
        match self.options.format {
            Format::Json => self.json_file(c),
            Format::Sarif => self.sarif_results(c),
            _ => {
                self.lines(c)?;
                if self.options.format.is_human() {
                    self.remember_connections(c);
                }
                Ok(())
            }
        }
    }

    fn lines(&mut self, c: &Checked) -> io::Result<()> {
        let path = c.path.display().to_string();
        for f in &c.findings {
            if self.options.format == Format::Human {
                let rendered = super::render::human(&path, &c.rope, f, self.options.color);
                writeln!(self.out, "{rendered}")?;
                continue;
            }
            let (start, end) = check::lines_and_columns(&c.rope, f);
            self.line(&path, start, end, f.severity, f.rule.id, &f.full_message())?;
        }
        if self.options.report_unused_ignores {
            for s in &c.unused {
                let (start, end) = check::lines_and_columns_of(&c.rope, &s.span);
                let text = c.rope.byte_slice(s.span.clone()).to_string();
                let message = format!("unused suppression \"{text}\" [unused-ignore]");
                self.line(
                    &path,
                    start,
                    end,
                    Severity::Warning,
                    "unused-ignore",
                    &message,
                )?;
            }
        }
        Ok(())
    }

    /// One finding as a line of the concise, GitHub or Azure format (the human format
    /// shows suppressions this way too).
    fn line(
        &mut self,
        path: &str,
        start: (u32, u32),
        end: (u32, u32),
        severity: Severity,
        code: &str,
        message: &str,
    ) -> io::Result<()> {
        match self.options.format {
            Format::Github => writeln!(
                self.out,
                "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                match severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    _ => "notice",
                },
                escape::github_property(path),
                start.0,
                start.1,
                end.0,
                end.1,
                escape::github_property(code),
                escape::github_data(message)
            ),
            Format::Azure => writeln!(
                self.out,
                "##vso[task.logissue type={};sourcepath={};linenumber={};columnnumber={};code={}]{}",
                if severity == Severity::Error {
                    "error"
                } else {
                    "warning"
                },
                escape::azure_property(path),
                start.0,
                start.1,
                escape::azure_property(code),
                escape::azure_data(message)
            ),
            _ => writeln!(
                self.out,
                "{}:{}:{}: {}: {}",
                escape::line_start(path),
                start.0,
                start.1,
                severity.as_str(),
                escape::text(message)
            ),
        }
    }

    fn remember_connections(&mut self, c: &Checked) {
        for (i, f) in c.findings.iter().enumerate() {
            if !f.rule.about_wif() {
                continue;
            }
            // A template's step is listed under each connection its callers give it.
            let through = c.through.get(i).map_or(&[][..], Vec::as_slice);
            let mut conns: Vec<&str> = through.iter().map(|t| t.connection.as_str()).collect();
            if conns.is_empty() {
                conns.extend(c.connections.get(i).and_then(Option::as_deref));
            }
            conns.dedup();
            let line = text::position(&c.rope, f.span.start, Encoding::Utf32).line + 1;
            let step = f.related.first().map(|r| r.label.as_str()).unwrap_or("");
            for conn in conns {
                self.by_connection
                    .entry(escape::text(conn).into_owned())
                    .or_default()
                    .push(format!(
                        "{}:{line} {} [{}]",
                        shown(&c.path),
                        escape::text(step),
                        f.rule.id
                    ));
            }
        }
    }

    /// One element of the JSON report's `files` (schema version 1, in the README).
    fn json_file(&mut self, c: &Checked) -> io::Result<()> {
        let out = &mut *self.out;
        item(out, 2, self.written == 0)?;
        self.written += 1;
        out.write_all(b"{")?;
        key(out, 3, true, "findings")?;
        out.write_all(b"[")?;
        for (i, (f, connection)) in c.findings.iter().zip(&c.connections).enumerate() {
            let (start, end) = check::lines_and_columns(&c.rope, f);
            let cwd = std::env::current_dir().ok();
            let through: Vec<serde_json::Value> = c.through.get(i).map_or(Vec::new(), |list| {
                list.iter()
                    .map(|t| {
                        json!({
                            "connection": t.connection,
                            "calls": t.sites.iter().map(|s| super::traced::shown(s, cwd.as_deref())).collect::<Vec<_>>(),
                        })
                    })
                    .collect()
            });
            item(out, 4, i == 0)?;
            JsonFormatter::write(
                out,
                4,
                &json!({
                    "rule": f.rule.id,
                    "connection": connection,
                    "through": through,
                    "severity": f.severity.as_str(),
                    "message": f.message,
                    "line": start.0, "column": start.1,
                    "end_line": end.0, "end_column": end.1,
                    "byte_start": f.span.start, "byte_end": f.span.end,
                    "step": f.related.first().map(|r| r.label.clone()),
                    "fix": f.fix.as_ref().map(|x| json!({
                        "title": x.title, "safe": x.safe, "note": x.note,
                        "edits": x.edits.iter().map(|e| json!({
                            "byte_start": e.span.start, "byte_end": e.span.end, "text": e.text
                        })).collect::<Vec<_>>(),
                    })),
                }),
            )?;
        }
        close(out, 3, !c.findings.is_empty(), "]")?;
        key(out, 3, false, "fixed")?;
        write!(out, "{}", c.fixed)?;
        key(out, 3, false, "path")?;
        JsonFormatter::write(out, 3, &c.path.display().to_string())?;
        key(out, 3, false, "unused_ignores")?;
        let unused: Vec<serde_json::Value> = if self.options.report_unused_ignores {
            c.unused
                .iter()
                .map(|s| json!({"line": s.line + 1, "rules": s.rules}))
                .collect()
        } else {
            Vec::new()
        };
        JsonFormatter::write(out, 3, &unused)?;
        close(out, 2, true, "}")
    }

    /// A file's SARIF results.
    fn sarif_results(&mut self, c: &Checked) -> io::Result<()> {
        let uri = c.path.display().to_string().replace('\\', "/");
        for f in &c.findings {
            let (start, end) = check::lines_and_columns(&c.rope, f);
            item(self.out, 4, self.written == 0)?;
            self.written += 1;
            JsonFormatter::write(
                self.out,
                4,
                &json!({
                    "ruleId": f.rule.id,
                    "level": level(f.severity),
                    "message": {"text": f.message},
                    "locations": [{"physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": {"startLine": start.0, "startColumn": start.1, "endLine": end.0, "endColumn": end.1},
                    }}],
                }),
            )?;
        }
        Ok(())
    }

    /// Ends the report: the summary or the rest of the JSON or SARIF document; errors on
    /// stderr for machine formats. Returns whether anything counts for the exit code.
    pub fn finish(
        mut self,
        yaml_files: usize,
        skipped: &[(PathBuf, String)],
        errors: &[String],
    ) -> io::Result<bool> {
        match self.options.format {
            Format::Json => {
                let out = &mut *self.out;
                close(out, 1, self.written > 0, "]")?;
                key(out, 1, false, "skipped")?;
                let skipped: Vec<serde_json::Value> = skipped
                    .iter()
                    .map(|(p, r)| json!({"path": p.display().to_string(), "reason": r}))
                    .collect();
                JsonFormatter::write(out, 1, &skipped)?;
                key(out, 1, false, "errors")?;
                JsonFormatter::write(out, 1, errors)?;
                out.write_all(b"\n}\n")?;
            }
            Format::Sarif => {
                let out = &mut *self.out;
                close(out, 3, self.written > 0, "]")?;
                key(out, 3, false, "tool")?;
                JsonFormatter::write(out, 3, &tool(self.options))?;
                close(out, 2, true, "}")?;
                close(out, 1, true, "]")?;
                key(out, 1, false, "version")?;
                JsonFormatter::write(out, 1, "2.1.0")?;
                out.write_all(b"\n}\n")?;
            }
            _ => {}
        }
        if self.options.format.is_human() {
            self.summary(yaml_files, skipped.len(), errors)?;
        } else {
            self.notes(false)?;
            for e in errors {
                writeln!(self.log(), "error: {}", escape::text(e))?;
            }
        }
        Ok(self.counted)
    }

    /// Says which diffs will not apply, in the summary or after a machine format's document.
    fn notes(&mut self, in_summary: bool) -> io::Result<()> {
        let paths = std::mem::take(&mut self.unapplicable);
        let out: &mut dyn Write = if in_summary {
            &mut *self.out
        } else {
            self.log()
        };
        for path in paths {
            writeln!(
                out,
                "note: the diff of {path} shows lines escaped (a logging command, a control character or a lone carriage return), so it will not apply; use --fix for this file"
            )?;
        }
        Ok(())
    }

    fn summary(&mut self, yaml_files: usize, skipped: usize, errors: &[String]) -> io::Result<()> {
        let out = &mut *self.out;
        let total: usize = self.by_rule.values().sum();
        writeln!(
            out,
            "{yaml_files} YAML file(s) scanned, {} pipeline file(s) checked, {skipped} skipped, {total} finding(s)",
            self.checked,
        )?;
        for (rule, n) in &self.by_rule {
            writeln!(out, "  {n:>5}  {rule}")?;
        }
        for (conn, steps) in &self.by_connection {
            writeln!(
                out,
                "service connection \"{conn}\": {} step(s) would break with workload identity federation",
                steps.len()
            )?;
            for s in steps {
                writeln!(out, "    {s}")?;
            }
        }
        if self.options.fix {
            writeln!(
                out,
                "fixed {} version(s); {total} finding(s) remain",
                self.fixed
            )?;
        } else if self.options.diff {
            writeln!(
                out,
                "{} fix(es) in the diff on standard output; nothing was changed",
                self.fixed
            )?;
        } else if self.fixable > 0 {
            writeln!(out, "{} can be fixed with --fix", self.fixable)?;
        }
        self.notes(true)?;
        let out = &mut *self.out;
        for e in errors {
            writeln!(out, "error: {}", escape::text(e))?;
        }
        Ok(())
    }
}

/// SARIF's description of azpls and its rules (help links from the first path's table).
fn tool(options: &Options) -> serde_json::Value {
    let table = options
        .scopes
        .first()
        .map_or_else(|| analysis::Config::default().table, |s| s.config.table);
    let rules: Vec<serde_json::Value> = analysis::RULES
        .iter()
        .map(|(r, _)| {
            json!({
                "id": r.id,
                "shortDescription": {"text": r.summary},
                "fullDescription": {"text": r.explanation},
                "helpUri": r.url(table),
                "defaultConfiguration": {"level": level(r.default_severity)},
            })
        })
        .collect();
    json!({"driver": {
        "name": "azpls",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    }})
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Hint => "note",
    }
}
