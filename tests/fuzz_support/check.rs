//! Running `azpls check` in a subprocess with a timeout, and what its run must look like:
//! an exit code of 0, 1 or 2, no signal, no panic, output that is valid for its format and
//! consistent with the files, and nothing a CI agent would execute that the files put there.

use super::TIMEOUT;
use super::mutate::Expect;
use super::text;
use serde_json::Value;
use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Exited(i32),
    Signal(i32),
    TimedOut,
}

pub struct Run {
    pub status: Status,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub timeout: Duration,
}

/// How long `check` may take on `bytes` of input: [`TIMEOUT`], plus two seconds a MiB,
/// which a dev build needs for the 10 MiB lines (reading a 1 MiB key takes it a second).
pub fn timeout_for(bytes: usize) -> Duration {
    TIMEOUT + Duration::from_secs(2 * (bytes >> 20) as u64)
}

/// Runs the real binary with `args` in `cwd`, killing it (by its own handle, nothing else)
/// when it outlives `timeout`.
pub fn run(args: &[OsString], cwd: &Path, timeout: Duration) -> Run {
    use std::os::unix::process::ExitStatusExt;
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_azpls"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start azpls");
    // Both pipes are drained on their own threads, so a chatty child never blocks on a
    // full pipe while this thread waits for it.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            out
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for azpls") {
            break match status.signal() {
                Some(signal) => Status::Signal(signal),
                None => Status::Exited(status.code().unwrap_or(-1)),
            };
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break Status::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Run {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        timeout,
    }
}

pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        _ => "signal",
    }
}

/// The line of stderr that names what went wrong, made independent of the machine: paths
/// are cut to their file name, thread names dropped. Empty when nothing stands out.
pub fn key_line(stderr: &str) -> String {
    let Some(line) = stderr.lines().find(|l| {
        [
            "panicked at",
            "Assertion",
            "overflowed its stack",
            "fatal runtime error",
        ]
        .iter()
        .any(|k| l.contains(k))
    }) else {
        return String::new();
    };
    let line = match line.find(" panicked at ") {
        Some(i) if line.starts_with("thread ") => &line[i + 1..],
        _ => line,
    };
    let line = match line.find(" has overflowed its stack") {
        Some(i) if line.starts_with("thread ") => &line[i + 1..],
        _ => line,
    };
    line.split(' ')
        .map(|word| {
            if word.contains('/') && !word.starts_with("src/") {
                word.rsplit('/').next().unwrap_or(word)
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One thing wrong with a run: a signature that tells distinct bugs apart, and the details.
#[derive(Clone, Debug)]
pub struct Problem {
    pub signature: String,
    pub detail: String,
}

fn problem(signature: impl Into<String>, detail: impl Into<String>) -> Problem {
    Problem {
        signature: signature.into(),
        detail: detail.into(),
    }
}

/// A file given to `check`: its name (relative to the run's folder) and its bytes.
#[derive(Clone)]
pub struct Input {
    pub name: Vec<u8>,
    pub bytes: Vec<u8>,
    pub expect: Option<Expect>,
}

impl Input {
    /// The path as `check` prints it (`Path::display`).
    fn shown(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// Whether the process itself failed (hang, signal, bad exit code, panic); such problems
/// are blamed on one input by re-running the inputs one by one.
pub fn crash(run: &Run) -> Option<Problem> {
    let stderr = String::from_utf8_lossy(&run.stderr);
    let key = key_line(&stderr);
    let tail = super::excerpt(stderr.trim_end(), 2000);
    match run.status {
        Status::TimedOut => Some(problem(
            "hang: no exit in time",
            format!("killed after {} s\n{tail}", run.timeout.as_secs()),
        )),
        Status::Signal(s) => Some(problem(
            format!("killed by signal {s} ({}): {key}", signal_name(s)),
            tail,
        )),
        Status::Exited(code) if !(0..=2).contains(&code) => {
            Some(problem(format!("exit code {code}: {key}"), tail))
        }
        _ if stderr.contains("panicked at") => Some(problem(format!("panic: {key}"), tail)),
        _ => None,
    }
}

/// Everything wrong with a run of `check --format <format>` on `inputs`.
pub fn problems(run: &Run, format: &str, inputs: &[Input]) -> Vec<Problem> {
    if let Some(p) = crash(run) {
        return vec![p];
    }
    let mut out = Vec::new();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    if std::str::from_utf8(&run.stdout).is_err() {
        out.push(problem(
            format!("--format {format}: stdout is not UTF-8"),
            super::excerpt(&stdout, 500),
        ));
    }
    out.extend(ci_commands(&stdout, format, "stdout", true));
    out.extend(ci_commands(&stderr, format, "stderr", false));
    match format {
        "json" => match serde_json::from_str::<Value>(&stdout) {
            Ok(report) => out.extend(json_problems(&report, inputs)),
            Err(e) => out.push(problem(
                "--format json: stdout is not JSON",
                format!("{e}\n{}", super::excerpt(&stdout, 1000)),
            )),
        },
        "sarif" => match serde_json::from_str::<Value>(&stdout) {
            Ok(log) if log["version"] == "2.1.0" && log["runs"].is_array() => {}
            Ok(log) => out.push(problem(
                "--format sarif: not a SARIF 2.1.0 log",
                super::excerpt(&log.to_string(), 500),
            )),
            Err(e) => out.push(problem(
                "--format sarif: stdout is not JSON",
                format!("{e}\n{}", super::excerpt(&stdout, 1000)),
            )),
        },
        _ => {}
    }
    out
}

/// Lines as a CI agent splits them: the Azure Pipelines agent also breaks at a lone `\r`.
fn agent_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', '\r'])
}

/// `##vso[` anywhere in a line is a command to the Azure Pipelines agent (it reads stdout
/// and stderr alike), and `::` at the start of a line is one to GitHub's runner. Only the
/// `azure` and `github` formats may print them, on stdout (`own`), one well-formed command
/// per line.
fn ci_commands(text: &str, format: &str, stream: &str, own: bool) -> Vec<Problem> {
    let mut out = Vec::new();
    for line in agent_lines(text) {
        let azure = line.contains("##vso[");
        let github = line.trim_start().starts_with("::");
        // Every format prints errors to stderr the same way: one signature for them all.
        let place = if own {
            format!("--format {format}: {stream}")
        } else {
            stream.to_string()
        };
        if azure && !(own && format == "azure" && well_formed_logissue(line)) {
            out.push(problem(
                format!("{place}: an Azure Pipelines logging command (##vso[) from the input"),
                format!("line: {}", super::excerpt(line, 300)),
            ));
        }
        if github && !(own && format == "github" && well_formed_workflow_command(line)) {
            out.push(problem(
                format!(
                    "{place}: a GitHub workflow command (::) from the input at the start of a line"
                ),
                format!("line: {}", super::excerpt(line, 300)),
            ));
        }
    }
    out.dedup_by(|a, b| a.signature == b.signature);
    out
}

/// `##vso[task.logissue type=..;sourcepath=..;linenumber=N;columnnumber=N;code=..]message`:
/// what `--format azure` promises. The agent runs the first command of a line only, so the
/// message may quote anything; a property may not end early (a `;` or `]` in a path).
fn well_formed_logissue(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("##vso[task.logissue ") else {
        return false;
    };
    let Some((properties, _message)) = rest.split_once(']') else {
        return false;
    };
    let keys: Vec<(&str, &str)> = properties
        .split(';')
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.split_once('='))
        .collect();
    let names: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
    let numbers = keys
        .iter()
        .filter(|(k, _)| k.ends_with("number"))
        .all(|(_, v)| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
    names == ["type", "sourcepath", "linenumber", "columnnumber", "code"] && numbers
}

/// `::warning file=..,line=N,col=N,endLine=N,endColumn=N,title=..::message`.
fn well_formed_workflow_command(line: &str) -> bool {
    let Some((command, rest)) = line.trim_start()[2..].split_once(' ') else {
        return false;
    };
    let Some((properties, _)) = rest.split_once("::") else {
        return false;
    };
    let keys: Vec<&str> = properties
        .split(',')
        .filter_map(|p| p.split_once('=').map(|(k, _)| k))
        .collect();
    ["error", "warning", "notice"].contains(&command)
        && keys == ["file", "line", "col", "endLine", "endColumn", "title"]
        && properties.split(',').count() == keys.len()
}

/// The JSON report against the files it is about: every input accounted for once, every
/// offset inside its file on a character boundary, lines and columns that agree with the
/// byte offsets, and the findings a mutation guaranteed.
fn json_problems(report: &Value, inputs: &[Input]) -> Vec<Problem> {
    let mut out = Vec::new();
    let list = |key: &str| report[key].as_array().cloned();
    let (Some(files), Some(skipped), Some(errors)) =
        (list("files"), list("skipped"), list("errors"))
    else {
        return vec![problem(
            "--format json: not the documented shape",
            super::excerpt(&report.to_string(), 500),
        )];
    };
    if report["schema"] != 1 {
        out.push(problem(
            "--format json: schema is not 1",
            report["schema"].to_string(),
        ));
    }
    let accounted = files.len() + skipped.len() + errors.len();
    if accounted != inputs.len() {
        out.push(problem(
            "--format json: files + skipped + errors differ from the files given",
            format!(
                "{} given, {} files, {} skipped, {} errors: {}",
                inputs.len(),
                files.len(),
                skipped.len(),
                errors.len(),
                super::excerpt(&Value::Array(errors.clone()).to_string(), 500)
            ),
        ));
    }
    for file in &files {
        let path = file["path"].as_str().unwrap_or_default();
        let Some(input) = inputs.iter().find(|i| i.shown() == path) else {
            out.push(problem(
                "--format json: a path that was not given",
                path.to_string(),
            ));
            continue;
        };
        let Ok(text) = std::str::from_utf8(&input.bytes) else {
            out.push(problem(
                "--format json: a file that is not UTF-8 was reported as checked",
                path.to_string(),
            ));
            continue;
        };
        let findings = file["findings"].as_array().cloned().unwrap_or_default();
        let starts = text::line_starts(text.as_bytes());
        for f in &findings {
            out.extend(finding_problems(f, text, &starts));
        }
        if let Some(expect) = &input.expect {
            let found = findings
                .iter()
                .any(|f| f["rule"] == expect.rule && f["line"] == expect.line);
            if !found {
                out.push(problem(
                    format!(
                        "--format json: a file of more than 32,767 lines lost the {} finding after its last line",
                        expect.rule
                    ),
                    format!(
                        "expected {} at line {} of {path}; found {} finding(s), the last at line {}",
                        expect.rule,
                        expect.line,
                        findings.len(),
                        findings.last().map_or(Value::Null, |f| f["line"].clone())
                    ),
                ));
            }
        }
    }
    out.dedup_by(|a, b| a.signature == b.signature);
    out
}

fn finding_problems(f: &Value, text: &str, starts: &[usize]) -> Vec<Problem> {
    let mut out = Vec::new();
    let byte = |v: &Value| v.as_u64().map(|n| n as usize);
    let in_text = |at: usize| at <= text.len() && text.is_char_boundary(at);
    let (Some(start), Some(end)) = (byte(&f["byte_start"]), byte(&f["byte_end"])) else {
        return vec![problem(
            "--format json: a finding without byte offsets",
            f.to_string(),
        )];
    };
    if start > end || !in_text(start) || !in_text(end) {
        out.push(problem(
            "--format json: a finding's bytes outside its file or inside a character",
            format!("{start}..{end} in a file of {} bytes: {f}", text.len()),
        ));
        return out;
    }
    let reported = |l: &str, c: &str| {
        (
            f[l].as_u64().unwrap_or(0) as usize,
            f[c].as_u64().unwrap_or(0) as usize,
        )
    };
    let wanted = (
        text::line_column(text, starts, start),
        text::line_column(text, starts, end),
    );
    let got = (
        reported("line", "column"),
        reported("end_line", "end_column"),
    );
    if wanted != got {
        let why = if text::has_lone_cr(text.as_bytes()) {
            " (the file has a lone CR, a line break in YAML and LSP)"
        } else {
            ""
        };
        out.push(problem(
            format!("--format json: line/column disagree with the byte offsets{why}"),
            format!(
                "bytes {start}..{end} are {wanted:?}, reported {got:?}: {}",
                super::excerpt(&f.to_string(), 400)
            ),
        ));
    }
    for e in f["fix"]["edits"].as_array().into_iter().flatten() {
        let (Some(s), Some(e_)) = (byte(&e["byte_start"]), byte(&e["byte_end"])) else {
            continue;
        };
        if s > e_ || !in_text(s) || !in_text(e_) {
            out.push(problem(
                "--format json: a fix edit outside its file or inside a character",
                format!("{s}..{e_} in a file of {} bytes", text.len()),
            ));
        }
    }
    out
}

/// The edits `--fix` (or `--unsafe-fixes`) applies to a file, per its JSON finding list:
/// sorted, duplicates dropped, and an edit that overlaps an earlier one left out.
pub fn fix_edits(findings: &[Value], include_unsafe: bool) -> Vec<(usize, usize, String)> {
    let mut edits: Vec<(usize, usize, String)> = findings
        .iter()
        .filter(|f| f["fix"]["safe"] == true || (include_unsafe && f["fix"].is_object()))
        .flat_map(|f| f["fix"]["edits"].as_array().cloned().unwrap_or_default())
        .filter_map(|e| {
            Some((
                e["byte_start"].as_u64()? as usize,
                e["byte_end"].as_u64()? as usize,
                e["text"].as_str()?.to_string(),
            ))
        })
        .collect();
    edits.sort();
    edits.dedup();
    let mut reached = 0;
    edits.retain(|(start, end, _)| {
        let keep = *start >= reached;
        if keep {
            reached = *end;
        }
        keep
    });
    edits
}

/// The file `--fix` should leave: its edits applied, every other byte as it was.
pub fn apply_fixes(original: &[u8], edits: &[(usize, usize, String)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(original.len());
    let mut at = 0;
    for (start, end, text) in edits {
        out.extend_from_slice(&original[at..*start]);
        out.extend_from_slice(text.as_bytes());
        at = *end;
    }
    out.extend_from_slice(&original[at..]);
    out
}

/// Problems of a `--fix` run: the rewritten file must be exactly the original with the
/// fix edits of the findings applied: comments, quotes, line endings and everything else
/// stay as they were.
pub fn fix_problems(
    input: &Input,
    findings: &[Value],
    include_unsafe: bool,
    after: &[u8],
) -> Vec<Problem> {
    let edits = fix_edits(findings, include_unsafe);
    let wanted = apply_fixes(&input.bytes, &edits);
    if wanted == after {
        return Vec::new();
    }
    let first = wanted
        .iter()
        .zip(after)
        .position(|(a, b)| a != b)
        .unwrap_or(wanted.len().min(after.len()));
    let around = |b: &[u8]| {
        String::from_utf8_lossy(&b[first.saturating_sub(40)..(first + 40).min(b.len())])
            .into_owned()
    };
    vec![problem(
        "--fix: the fixed file is not the original with the fix edits applied",
        format!(
            "{} edit(s); first difference at byte {first}: wanted {:?}, got {:?}",
            edits.len(),
            around(&wanted),
            around(after)
        ),
    )]
}
