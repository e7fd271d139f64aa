//! `azpls doctor --connection FILE --credentials FILE`: reads the two exports (a path, or `-`
//! for standard input, capped in size, UTF-8 or UTF-16 with a byte order mark), runs the checks
//! on each connection against every credential, and prints the reports: human (the layout of
//! `check`: `severity: message [check]`, then where, what the pipeline prints and the fix) or
//! JSON. Everything printed from the inputs goes through [`escape`].

use super::escape::{self, JsonFormatter};
use crate::doctor::input::{self, Connection, Credential};
use crate::doctor::{self, Context, Finding, Input, Place, Report, Severity};
use crate::knowledge::{Date, federation, knowledge};
use serde_json::{Value, json};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The largest export read: a project's whole connection list fits many times over.
pub const MAX_BYTES: u64 = 8 << 20;
/// Values longer than this are cut in messages (Entra allows 600 characters).
const SHOWN: usize = 300;
/// Fix lines longer than this are cut: only a hostile value makes one.
const FIX_SHOWN: usize = 4000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub connection: PathBuf,
    pub credentials: PathBuf,
    pub format: Format,
    /// The lowest severity that makes the exit code 1.
    pub severity: Severity,
    /// The day the Azure DevOps issuer's retirement is judged on.
    pub today: Date,
    /// Only the connection of this name, from a file listing several.
    pub name: Option<String>,
}

/// How a file is named in messages: as given, or "standard input" for `-`.
fn shown_path(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        escape::text(&path.display().to_string()).into_owned()
    }
}

/// Reads one export as JSON. Errors name the file and say what is wrong with it.
fn read_json(path: &Path, stdin: &mut dyn Read) -> Result<Value, String> {
    let name = shown_path(path);
    let mut bytes = Vec::new();
    let read = if path.as_os_str() == "-" {
        stdin.take(MAX_BYTES + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("{name}: cannot read it: {}", escape::text(&e.to_string())))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!(
            "{name}: larger than {} MiB, which no export of connections or credentials is",
            MAX_BYTES >> 20
        ));
    }
    let text = decode(&bytes).ok_or_else(|| {
        format!(
            "{name}: not text in UTF-8 (or UTF-16 with a byte order mark); save the export as UTF-8"
        )
    })?;
    serde_json::from_str(&text).map_err(|e| {
        format!(
            "{name}: not JSON ({}); expected what `az` prints with --output json",
            escape::text(&e.to_string())
        )
    })
}

/// UTF-8 (with or without a byte order mark), or UTF-16 with one, as Windows PowerShell
/// writes redirected output.
fn decode(bytes: &[u8]) -> Option<String> {
    let utf16 = |b: &[u8], le: bool| -> Option<String> {
        if b.len() % 2 != 0 {
            return None;
        }
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        String::from_utf16(&units).ok()
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok(),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    }
}

/// The inputs, read and understood; an error is bad input (exit code 2).
struct Inputs {
    connections: Vec<Connection>,
    credentials: Vec<Credential>,
    in_list: bool,
}

/// The reports, one per connection, and the findings counted by severity.
struct Results {
    inputs: Inputs,
    reports: Vec<Report>,
    errors: usize,
    warnings: usize,
    notes: usize,
}

fn inputs(options: &Options, stdin: &mut dyn Read) -> Result<Inputs, String> {
    if options.connection.as_os_str() == "-" && options.credentials.as_os_str() == "-" {
        return Err(
            "only one of --connection and --credentials can read standard input (-)".into(),
        );
    }
    let name = |p: &Path| shown_path(p);
    let value = read_json(&options.connection, stdin)?;
    let mut connections = input::connections(&value)
        .map_err(|e| format!("{}: {}", name(&options.connection), escape::text(&e)))?;
    let value = read_json(&options.credentials, stdin)?;
    let credentials = input::credentials(&value)
        .map_err(|e| format!("{}: {}", name(&options.credentials), escape::text(&e)))?;
    let mut in_list = connections.len() > 1;
    if let Some(wanted) = &options.name {
        let names: Vec<String> = connections.iter().map(Connection::label).collect();
        connections.retain(|c| {
            c.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
        });
        if connections.is_empty() {
            let listed: Vec<String> = names
                .iter()
                .take(20)
                .map(|n| escape::quote(n, 60))
                .collect();
            return Err(format!(
                "{}: no service connection named {}; it has {}{}",
                name(&options.connection),
                escape::quote(wanted, 60),
                listed.join(", "),
                if names.len() > 20 { ", …" } else { "" }
            ));
        }
        in_list = false;
    }
    Ok(Inputs {
        connections,
        credentials,
        in_list,
    })
}

/// Runs the checks and prints the reports. `Ok(Err(message))` is bad input (exit code 2);
/// `Ok(Ok(code))` is 0 or 1.
pub fn run(
    options: &Options,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
) -> io::Result<Result<u8, String>> {
    let inputs = match inputs(options, stdin) {
        Ok(inputs) => inputs,
        Err(message) => return Ok(Err(message)),
    };
    let cx = Context {
        kb: knowledge(),
        fed: federation(),
        today: options.today,
        in_list: inputs.in_list,
    };
    let reports: Vec<Report> = inputs
        .connections
        .iter()
        .map(|c| doctor::check(c, &inputs.credentials, &cx))
        .collect();
    let count = |s: Severity| {
        reports
            .iter()
            .flat_map(|r| &r.findings)
            .filter(|f| f.severity == s)
            .count()
    };
    let results = Results {
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        notes: count(Severity::Note),
        inputs,
        reports,
    };
    match options.format {
        Format::Human => human(options, &results, out)?,
        Format::Json => json(options, &results, out)?,
    }
    let failing = results
        .reports
        .iter()
        .flat_map(|r| &r.findings)
        .any(|f| f.severity >= options.severity);
    Ok(Ok(u8::from(failing)))
}

fn file_of(options: &Options, input: Input) -> String {
    match input {
        Input::Connection => shown_path(&options.connection),
        Input::Credentials => shown_path(&options.credentials),
    }
}

/// `sc.json: authorization.scheme: "ServicePrincipal"`.
fn place_text(options: &Options, place: &Place) -> String {
    let mut s = file_of(options, place.input);
    if !place.path.is_empty() {
        s.push_str(": ");
        s.push_str(&escape::text(&place.path));
    }
    if let Some(value) = &place.value {
        s.push_str(": ");
        s.push_str(&escape::quote(value, SHOWN));
    }
    s
}

fn human(options: &Options, results: &Results, out: &mut dyn Write) -> io::Result<()> {
    let inputs = &results.inputs;
    for (conn, report) in inputs.connections.iter().zip(&results.reports) {
        for f in &report.findings {
            human_finding(options, f, out)?;
        }
        let label = escape::quote(&conn.label(), 80);
        let counted = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
        let (e, w) = (counted(Severity::Error), counted(Severity::Warning));
        let problems = match (e, w) {
            (0, 0) => String::new(),
            (e, 0) => format!("{e} error(s)"),
            (0, w) => format!("{w} warning(s)"),
            (e, w) => format!("{e} error(s), {w} warning(s)"),
        };
        let line = match (report.matched, problems.is_empty()) {
            (Some(i), true) => format!(
                "service connection {label}: healthy; credential {} has its issuer, subject and audience",
                escape::quote(&inputs.credentials[i].label(), 80)
            ),
            (Some(i), false) => format!(
                "service connection {label}: credential {} has its issuer, subject and audience; {problems}",
                escape::quote(&inputs.credentials[i].label(), 80)
            ),
            (None, true) => format!("service connection {label}: nothing to check"),
            (None, false) => format!("service connection {label}: {problems}"),
        };
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "{} service connection(s) checked against {} federated credential(s): {} error(s), {} warning(s), {} note(s)",
        inputs.connections.len(),
        inputs.credentials.len(),
        results.errors,
        results.warnings,
        results.notes
    )
}

fn human_finding(options: &Options, f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{}: {} [{}]",
        f.severity.as_str(),
        escape::text(&f.message),
        f.check.id
    )?;
    for (actual, expected) in &f.at {
        writeln!(out, "  --> {}", place_text(options, actual))?;
        if let Some(expected) = expected {
            writeln!(out, "   = expected: {}", place_text(options, expected))?;
        }
    }
    if let Some(pipeline) = &f.pipeline {
        writeln!(out, "   = pipeline: {}", escape::text(pipeline))?;
    }
    for step in &f.fix {
        writeln!(out, "   = fix: {}", escape::shorten(step, FIX_SHOWN))?;
    }
    writeln!(out)
}

fn place_json(options: &Options, place: &Place) -> Value {
    json!({
        "file": file_of(options, place.input),
        "path": place.path,
        "value": place.value,
    })
}

fn json(options: &Options, results: &Results, out: &mut dyn Write) -> io::Result<()> {
    let inputs = &results.inputs;
    let connections: Vec<Value> = inputs
        .connections
        .iter()
        .zip(&results.reports)
        .map(|(c, r)| {
            let findings: Vec<Value> = r
                .findings
                .iter()
                .map(|f| {
                    json!({
                        "check": f.check.id,
                        "severity": f.severity.as_str(),
                        "message": f.message,
                        "at": f.at.iter().map(|(a, e)| {
                            let mut v = place_json(options, a);
                            v["expected"] = e.as_ref().map_or(Value::Null, |e| place_json(options, e));
                            v
                        }).collect::<Vec<_>>(),
                        "pipeline": f.pipeline,
                        "fix": f.fix,
                    })
                })
                .collect();
            let p = c.federated.as_ref();
            json!({
                "name": c.name,
                "id": c.id,
                "path": c.at.trim_end_matches('.'),
                "scheme": c.scheme,
                "issuer": p.map(|p| &p.issuer),
                "subject": p.map(|p| &p.subject),
                "tenant_id": p.map(|p| &p.tenant_id),
                "healthy": r.matched.is_some() && r.findings.iter().all(|f| f.severity == Severity::Note),
                "matched": r.matched.map(|i| {
                    let cred = &inputs.credentials[i];
                    json!({"name": cred.name, "path": cred.at.trim_end_matches('.')})
                }),
                "findings": findings,
            })
        })
        .collect();
    let report = json!({
        "schema": 1,
        "date": options.today.to_string(),
        "connection_file": shown_path(&options.connection),
        "credentials_file": shown_path(&options.credentials),
        "credentials": inputs.credentials.len(),
        "connections": connections,
        "errors": results.errors,
        "warnings": results.warnings,
        "notes": results.notes,
    });
    JsonFormatter::write(out, 0, &report)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exports_are_read_in_utf8_and_utf16_with_a_byte_order_mark() {
        assert_eq!(decode(b"\xEF\xBB\xBF[]").as_deref(), Some("[]"));
        assert_eq!(decode(b"\xFF\xFE[\x00]\x00").as_deref(), Some("[]"));
        assert_eq!(decode(b"\xFE\xFF\x00[\x00]").as_deref(), Some("[]"));
        assert_eq!(decode(b"\xFF\xFE[\x00]"), None, "odd length");
        assert_eq!(decode(b"caf\xe9"), None);
    }
}
