//! Fuzzing the real binary: everything that comes in is untrusted (pipeline text, file
//! names, JSON-RPC frames), and the failures that matter most here (an abort in the
//! grammar's C scanner, a stack overflow, a hang) kill or freeze the process, so every
//! input goes to `azpls` in a subprocess and a crash or a hang is a test failure with a
//! reproducer, not a dead test.
//!
//! - `check_survives_mutated_pipelines`: the shared corpus of real pipelines, mutated
//!   (byte flips, lines deleted and duplicated, tabs in indentation, nesting 300, 3,000
//!   and 30,000 levels deep in every YAML form, unclosed quotes and brackets, `${{`
//!   fragments, invalid UTF-8, NUL, BOM, CR-only and mixed line endings, 10 MiB lines,
//!   more than 32,767 lines, aliases, text and file names that CI agents would execute),
//!   checked by `azpls check --all-yaml` in batches. A run passes with exit code 0, 1 or
//!   2, no signal, no panic, output valid for its format (JSON consistent with the files'
//!   bytes, lines and columns; at most the format's own CI commands), and `--fix` on a
//!   copy changing nothing but its edits. A failing batch is split in halves until the
//!   file at fault is found, which is then shrunk line by line.
//! - `server_survives_random_edits`: `azpls server` with corpus documents open, under
//!   random incremental `didChange` edits (UTF-16 positions inside surrogate pairs, past
//!   line ends and past the end, CRLF and lone CR, deep nesting typed in) interleaved with
//!   every request it serves at random positions, and, in some sessions, malformed frames
//!   (each of which is also sent alone to a fresh server first, so every run tries them all).
//!   Every request must be answered in time, every range must lie in the document, stdout
//!   must carry only protocol, and at checkpoints the incrementally edited document must
//!   give the same diagnostics, outline, folding and links as the same text opened fresh.
//!
//! The inputs follow from a seed, printed first: by default the day number, so runs on
//! one day repeat each other and each day explores new inputs. `AZPLS_FUZZ_SEED=N`
//! replays a run, `AZPLS_FUZZ_SECONDS` sets the time for random cases (default 60 for the
//! two tests together, each taking half; the fixed cases that cover every mutation always
//! run). Every case is derived from the seed and its number alone, so a shorter or longer
//! budget runs a prefix or an extension of the same sequence.
//!
//! On failure each distinct problem is printed once with what to run: the input (shrunk)
//! is written under the target's tmp folder, `fuzz-failures/seed-N/<test>/`, with the exact
//! `azpls check` command, or, for the server, the session's stdin as `session.lsp` and
//! where the client waited as `session.waits`, which `replays_a_session_when_asked` sends
//! again as it ran (`AZPLS_FUZZ_REPLAY=.../session.lsp cargo test --test fuzz
//! replays_a_session -- --ignored --nocapture`). Without the corpus (`../shared/corpus`,
//! `AZPLS_CORPUS`, `AZPLS_SHARED`) both tests say SKIP and fuzz a few built-in pipelines.
#![cfg(unix)]

mod common;
mod fuzz_support;

use fuzz_support::check::{self, Input, Problem};
use fuzz_support::lsp::{self, Server, Trouble};
use fuzz_support::mutate::{self, Mutation};
use fuzz_support::text::{self, Doc};
use fuzz_support::{Budget, Failures, Rng, excerpt, shell_path, shell_word};
use serde_json::{Value, json};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Files per `check` process: enough to pay for the process start, few enough that a
/// crash is quickly pinned on one file.
const BATCH_FILES: usize = 12;
const BATCH_BYTES: usize = 2 << 20;
/// Time to shrink each new failure's input.
const SHRINK_TIME: Duration = Duration::from_secs(3);

struct Case {
    number: usize,
    about: String,
    input: Input,
}

/// The case `number` of a seed: a corpus file with one mutation (the first cases take
/// each of [`mutate::coverage`] in turn) or up to three, under a plain or hostile name.
fn make_case(seed: u64, number: usize, docs: &[(String, Vec<u8>)], coverage: &[Mutation]) -> Case {
    let mut rng = Rng::new(seed, number as u64);
    let (source, base) = rng.pick(docs);
    let mutations: Vec<Mutation> = match coverage.get(number) {
        Some(m) => vec![*m],
        None => (0..1 + rng.below(3))
            .map(|_| mutate::random(&mut rng))
            .collect(),
    };
    let mut bytes = base.clone();
    let mut expect = None;
    for m in &mutations {
        expect = m.apply(&mut rng, &mut bytes, docs);
    }
    if mutations.len() > 1 {
        expect = None;
    }
    let name = if rng.one_in(6) {
        mutate::hostile_name(&mut rng, number)
    } else {
        format!("case-{number}.yml").into_bytes()
    };
    Case {
        number,
        about: format!("case {number}: {source} with {mutations:?}"),
        input: Input {
            name,
            bytes,
            expect,
        },
    }
}

/// Writes inputs into a fresh folder.
fn write_inputs(dir: &Path, inputs: &[&Input]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    for input in inputs {
        std::fs::write(
            dir.join(OsString::from_vec(input.name.clone())),
            &input.bytes,
        )
        .unwrap();
    }
}

/// `check --all-yaml --format <format> <extra> -- <names>`.
fn check_args(format: &str, extra: &[&str], inputs: &[&Input]) -> Vec<OsString> {
    let mut args: Vec<OsString> = ["check", "--all-yaml", "--format", format]
        .iter()
        .chain(extra)
        .map(OsString::from)
        .collect();
    args.push("--".into());
    args.extend(inputs.iter().map(|i| OsString::from_vec(i.name.clone())));
    args
}

/// The command line, for a reproducer.
fn command_line(dir: &Path, format: &str, extra: &[&str], inputs: &[&Input]) -> String {
    let mut words = vec![
        "cd".to_string(),
        shell_path(dir),
        "&&".to_string(),
        shell_path(Path::new(env!("CARGO_BIN_EXE_azpls"))),
    ];
    for arg in check_args(format, extra, inputs) {
        words.push(shell_word(arg.as_encoded_bytes()));
    }
    words.join(" ")
}

struct CheckFuzz<'a> {
    budget: &'a Budget,
    failures: Failures,
    processes: usize,
    batches: usize,
}

impl CheckFuzz<'_> {
    /// Runs `check` on inputs in a fresh folder under the work folder.
    fn run(
        &mut self,
        dir: &str,
        format: &str,
        extra: &[&str],
        inputs: &[&Input],
    ) -> (PathBuf, check::Run) {
        let bytes = inputs.iter().map(|i| i.bytes.len()).sum();
        self.run_within(dir, format, extra, inputs, check::timeout_for(bytes))
    }

    fn run_within(
        &mut self,
        dir: &str,
        format: &str,
        extra: &[&str],
        inputs: &[&Input],
        timeout: std::time::Duration,
    ) -> (PathBuf, check::Run) {
        let dir = self.budget.work_dir.join(dir);
        write_inputs(&dir, inputs);
        self.processes += 1;
        let run = check::run(&check_args(format, extra, inputs), &dir, timeout);
        (dir, run)
    }

    /// The problems of one input alone.
    fn alone(&mut self, format: &str, extra: &[&str], input: &Input) -> Vec<Problem> {
        let (_, run) = self.run("alone", format, extra, &[input]);
        check::problems(&run, format, std::slice::from_ref(input))
    }

    /// Runs cases in one process; on any problem, splits them in halves until each
    /// problem is pinned on the file that causes it. Returns whether the cases passed, and
    /// the JSON reports of the runs that did.
    fn batch(&mut self, cases: &[&Case], format: &str) -> (bool, Vec<Value>) {
        let inputs: Vec<&Input> = cases.iter().map(|c| &c.input).collect();
        let (_, run) = self.run("batch", format, &[], &inputs);
        let owned: Vec<Input> = inputs.iter().map(|i| (*i).clone()).collect();
        let problems = check::problems(&run, format, &owned);
        if problems.is_empty() {
            let report = serde_json::from_slice(&run.stdout).unwrap_or_default();
            return (true, vec![report]);
        }
        if let [case] = cases {
            // A machine busy with other work can stretch one run past its time: a hang
            // counts only if the file alone, given twice the time, still does not finish.
            let problems = if problems.iter().all(|p| p.signature.starts_with("hang")) {
                let timeout = 2 * check::timeout_for(case.input.bytes.len());
                let (_, run) = self.run_within("retry", format, &[], &inputs, timeout);
                let again = check::problems(&run, format, &owned);
                if again.is_empty() {
                    let report = serde_json::from_slice(&run.stdout).unwrap_or_default();
                    return (true, vec![report]);
                }
                again
            } else {
                problems
            };
            for p in problems {
                self.report(case, format, &[], p);
            }
            return (false, Vec::new());
        }
        let (left, right) = cases.split_at(cases.len() / 2);
        let (left_passed, mut reports) = self.batch(left, format);
        let (right_passed, more) = self.batch(right, format);
        reports.extend(more);
        // Only the files together fail: report the whole batch, unless it merely took
        // longer than one file may (the halves took their time and passed).
        let hang = problems.iter().all(|p| p.signature.starts_with("hang"));
        if left_passed && right_passed && !hang {
            let about = cases
                .iter()
                .map(|c| c.about.as_str())
                .collect::<Vec<_>>()
                .join("\n  ");
            let reproducer = self.budget.failures_dir.join(format!(
                "check-{}-batch-{}",
                self.failures.distinct() + 1,
                cases[0].number
            ));
            write_inputs(&reproducer, &inputs);
            let command = command_line(&reproducer, format, &[], &inputs);
            for p in problems {
                self.failures
                    .record(format!("check: {} (only in a batch)", p.signature), || {
                        format!("inputs:\n  {about}\nrun: {command}\n{}", p.detail)
                    });
            }
        }
        (false, reports)
    }

    /// Records a problem of one case: the first time a signature is seen, the input is
    /// shrunk and written out with the command that shows the problem.
    fn report(&mut self, case: &Case, format: &str, extra: &[&str], p: Problem) {
        let signature = format!("check: {}", p.signature);
        if !self.failures.is_new(&signature) {
            self.failures.record(signature, String::new);
            return;
        }
        let shrunk = self.shrink(&case.input, format, extra, &p.signature);
        // One folder per failure: one case may show several.
        let dir = self.budget.failures_dir.join(format!(
            "check-{}-case-{}",
            self.failures.distinct() + 1,
            case.number
        ));
        write_inputs(&dir, &[&shrunk]);
        write_inputs(&dir.join("unshrunk"), &[&case.input]);
        let command = command_line(&dir, format, extra, &[&shrunk]);
        let shown = excerpt(&String::from_utf8_lossy(&shrunk.bytes), 600);
        let lines = shrunk.bytes.split(|&b| b == b'\n').count();
        self.failures.record(signature, || {
            format!(
                "input: {} ({lines} line(s), {} bytes after shrinking; the whole input is in unshrunk/)\nrun: {command}\n{}\nshrunk input: {shown:?}",
                case.about,
                shrunk.bytes.len(),
                p.detail
            )
        });
    }

    /// Removes chunks of lines while the same problem remains, for a few seconds.
    fn shrink(&mut self, input: &Input, format: &str, extra: &[&str], signature: &str) -> Input {
        let started = Instant::now();
        let mut best = input.clone();
        best.expect = None;
        if input.expect.is_some() || input.bytes.len() > BATCH_BYTES {
            // The problem is where the file ends, or a try costs seconds: keep it whole.
            return input.clone();
        }
        let split = |bytes: &[u8]| -> Vec<Vec<u8>> {
            bytes
                .split_inclusive(|&b| b == b'\n')
                .map(<[u8]>::to_vec)
                .collect()
        };
        let mut lines = split(&best.bytes);
        let mut chunk = lines.len().div_ceil(2).max(1);
        while started.elapsed() < SHRINK_TIME {
            let mut at = 0;
            let mut progress = false;
            while at < lines.len() && started.elapsed() < SHRINK_TIME {
                let end = (at + chunk).min(lines.len());
                let candidate = Input {
                    bytes: [&lines[..at], &lines[end..]].concat().concat(),
                    ..best.clone()
                };
                if self
                    .alone(format, extra, &candidate)
                    .iter()
                    .any(|p| p.signature == signature)
                {
                    lines.drain(at..end);
                    best = candidate;
                    progress = true;
                } else {
                    at += chunk;
                }
            }
            if chunk == 1 && !progress {
                break;
            }
            chunk = (chunk / 2).max(1);
        }
        best
    }

    /// `--fix` (or `--unsafe-fixes`) on copies of the files that have fixes: the result
    /// must be each file with exactly its fix edits applied.
    fn fix(&mut self, cases: &[Case], reports: &[Value], unsafe_fixes: bool) {
        let files: Vec<Value> = reports
            .iter()
            .flat_map(|r| r["files"].as_array().cloned().unwrap_or_default())
            .collect();
        let with_fixes: Vec<(&Case, Vec<Value>)> = cases
            .iter()
            .filter_map(|c| {
                let shown = String::from_utf8_lossy(&c.input.name).into_owned();
                let file = files.iter().find(|f| f["path"] == shown.as_str())?;
                let findings = file["findings"].as_array()?.clone();
                (!check::fix_edits(&findings, unsafe_fixes).is_empty()).then_some((c, findings))
            })
            .collect();
        if with_fixes.is_empty() {
            return;
        }
        let flag = if unsafe_fixes {
            "--unsafe-fixes"
        } else {
            "--fix"
        };
        let inputs: Vec<&Input> = with_fixes.iter().map(|(c, _)| &c.input).collect();
        let (dir, run) = self.run("fix", "json", &[flag], &inputs);
        if check::crash(&run).is_some() {
            // Each file alone, for the process only: its report describes the fixed text,
            // not the input the other checks read it against.
            // (Given twice the time, as a busy machine may need.)
            for (case, _) in &with_fixes {
                let timeout = 2 * check::timeout_for(case.input.bytes.len());
                let (_, run) = self.run_within("alone", "json", &[flag], &[&case.input], timeout);
                if let Some(p) = check::crash(&run) {
                    self.report(case, "json", &[flag], p);
                }
            }
            return;
        }
        for (case, findings) in &with_fixes {
            let after = std::fs::read(dir.join(OsString::from_vec(case.input.name.clone())))
                .unwrap_or_default();
            for p in check::fix_problems(&case.input, findings, unsafe_fixes, &after) {
                let signature = format!("check: {}", p.signature);
                let reproducer = self.budget.failures_dir.join(format!(
                    "check-{}-fix-{}",
                    self.failures.distinct() + 1,
                    case.number
                ));
                if self.failures.is_new(&signature) {
                    write_inputs(&reproducer, &[&case.input]);
                    let expected = check::apply_fixes(
                        &case.input.bytes,
                        &check::fix_edits(findings, unsafe_fixes),
                    );
                    std::fs::write(reproducer.join("expected-after-fix"), expected).unwrap();
                }
                let command = command_line(&reproducer, "json", &[flag], &[&case.input]);
                self.failures.record(signature, || {
                    format!(
                        "input: {}\nrun (it rewrites the file; compare with expected-after-fix): {command}\n{}",
                        case.about, p.detail
                    )
                });
            }
        }
    }
}

#[test]
fn check_survives_mutated_pipelines() {
    let budget = Budget::from_env("check");
    let docs = fuzz_support::seed_documents(common::corpus());
    let mut fuzz = CheckFuzz {
        budget: &budget,
        failures: Failures::new("check", budget.seed),
        processes: 0,
        batches: 0,
    };
    let started = Instant::now();
    let other_formats = ["sarif", "github", "azure", "human", "concise"];
    let mut number = 0;
    // Halved after a batch with a problem, doubled after one without: where most batches
    // hold a crashing file, splitting them would cost more than it saves.
    let mut batch_files = BATCH_FILES;
    let mut pending: Vec<Case> = Vec::new();
    let coverage = mutate::coverage();
    loop {
        let done = number >= coverage.len() && budget.expired();
        if !done {
            let case = make_case(budget.seed, number, &docs, &coverage);
            number += 1;
            // A big file goes alone: a crash needs no bisecting, and batches stay quick.
            if case.input.bytes.len() > BATCH_BYTES / 2 {
                fuzz.batch(&[&case], "json");
                continue;
            }
            pending.push(case);
            let bytes: usize = pending.iter().map(|c| c.input.bytes.len()).sum();
            if pending.len() < batch_files && bytes < BATCH_BYTES {
                continue;
            }
        }
        if pending.is_empty() {
            break;
        }
        let cases = std::mem::take(&mut pending);
        let refs: Vec<&Case> = cases.iter().collect();
        fuzz.batches += 1;
        let batch = fuzz.batches;
        let (passed, reports) = fuzz.batch(&refs, "json");
        batch_files = if passed {
            (batch_files * 2).min(BATCH_FILES)
        } else {
            (batch_files / 2).max(1)
        };
        fuzz.fix(&cases, &reports, batch % 3 == 0);
        // The other formats, in turn, on every third batch.
        if batch % 3 == 1 {
            fuzz.batch(&refs, other_formats[(batch / 3) % other_formats.len()]);
        }
        if done {
            break;
        }
    }
    let summary = format!(
        "{number} cases in {} processes, {:.1} s",
        fuzz.processes,
        started.elapsed().as_secs_f64()
    );
    fuzz.failures.finish(&summary);
}

// ---------------------------------------------------------------------------------------
// The server.

/// What a session does besides plain edits.
#[derive(Clone, Copy, Debug)]
struct Flavour {
    /// Lone `\r` typed in (the server and LSP may disagree on lines: kept apart so that
    /// other differences still show in sessions without).
    lone_cr: bool,
    /// Nesting hundreds to tens of thousands of levels deep, typed in.
    deep: bool,
    /// Malformed frames between messages.
    frames: bool,
    hierarchical: bool,
}

impl Flavour {
    fn of(rng: &mut Rng, session: usize) -> Flavour {
        let random = Flavour {
            lone_cr: rng.one_in(3),
            deep: rng.one_in(4),
            // Every frame is also tried alone at the start: here they meet edits and state.
            frames: rng.one_in(8),
            hierarchical: rng.one_in(2),
        };
        let plain = Flavour {
            lone_cr: false,
            deep: false,
            frames: false,
            ..random
        };
        // The first sessions of every run cover each flavour on its own.
        match session {
            0 => plain,
            1 => Flavour {
                lone_cr: true,
                ..plain
            },
            2 => Flavour {
                deep: true,
                ..plain
            },
            _ => random,
        }
    }
}

/// What a client types: small pieces, whole lines of pipeline, multi-byte characters.
const TYPED: &[&str] = &[
    "",
    "a",
    "x",
    " ",
    "  ",
    ":",
    ": ",
    "-",
    "- ",
    "\n",
    "\r\n",
    "\t",
    "é",
    "😀",
    "日本",
    "\"",
    "'",
    "{",
    "}",
    "[",
    "]",
    "${{ ",
    " }}",
    "$(",
    "$[",
    "#",
    "@",
    "@4",
    "task: ",
    "\u{feff}",
    "\0",
    "- task: AzureFileCopy@4\n",
    "  inputs:\n    azureSubscription: sc\n",
    "- task: Docker@1\r\n  inputs:\r\n    dockerRegistryEndpoint: r\r\n",
    "steps:\n",
    "displayName: 'x 🚀'\n",
    "- template: t.yml\n",
    "- ${{ if true }}:\n",
    "parameters:\n- name: p\n  default: 1\n",
];
const TYPED_CR: &[&str] = &["\r", "a\rb", "\r\r", "x:\r  y\r"];

/// The largest number LSP positions may hold (`uinteger`).
const UINTEGER_MAX: usize = (1 << 31) - 1;

fn random_position(rng: &mut Rng, doc: &Doc) -> (usize, usize) {
    let lines = doc.lines();
    let line = match rng.below(30) {
        0 => lines + rng.below(3),
        1 => UINTEGER_MAX,
        _ => rng.below(lines),
    };
    let len = doc.line_units(line);
    let split = doc.split_surrogates(line);
    let character = match rng.below(14) {
        0 => len + 1 + rng.below(4),
        1 => UINTEGER_MAX,
        2 | 3 if !split.is_empty() => *rng.pick(&split),
        4 => len,
        5 => 0,
        _ => rng.below(len + 1),
    };
    (line, character)
}

fn position(p: (usize, usize)) -> Value {
    json!({"line": p.0, "character": p.1})
}

/// A range whose end is not before its start.
fn random_range(rng: &mut Rng, doc: &Doc) -> Value {
    let start = random_position(rng, doc);
    let end = match rng.below(4) {
        0 => start,
        1 => (start.0, (start.1 + rng.below(10)).min(UINTEGER_MAX)),
        2 => (
            (start.0 + 1 + rng.below(3)).min(UINTEGER_MAX),
            rng.below(20),
        ),
        _ => random_position(rng, doc).max(start),
    };
    json!({"start": position(start), "end": position(end)})
}

/// One open document as the client sees it.
struct Open {
    uri: String,
    doc: Doc,
    version: i64,
    initial: String,
}

/// Why a session stopped early.
struct Stop {
    signature: String,
    detail: String,
}

fn stop(signature: impl Into<String>, detail: impl Into<String>) -> Stop {
    Stop {
        signature: signature.into(),
        detail: detail.into(),
    }
}

/// A server's trouble as a failure. Deaths are told apart by their stderr (an assertion
/// in C, a panic) and, when that says little (a stack overflow), by what was last sent.
fn trouble(server: &Server, t: Trouble, context: &str) -> Stop {
    let stderr = excerpt(server.stderr().trim_end(), 2000);
    match t {
        Trouble::Hang(what) => stop(
            format!("server: hang: {what}{context}"),
            format!("waited {} s\n{stderr}", server.timeout.as_secs()),
        ),
        Trouble::Died { status, key } => {
            let said_little = key.is_empty() || key.contains("overflowed");
            let last = if context.is_empty() && said_little && !server.last_sent.is_empty() {
                format!(" (last sent: {})", server.last_sent)
            } else {
                String::new()
            };
            let key = if key.is_empty() {
                key
            } else {
                format!(": {key}")
            };
            stop(format!("server: {status}{key}{last}{context}"), stderr)
        }
        Trouble::NotProtocol(what) => stop(
            format!("server: stdout carried something other than LSP{context}"),
            format!("{what}\n{stderr}"),
        ),
        Trouble::TooDeep(start) => stop(
            format!(
                "server: a message nested deeper than 128 levels (serde_json's limit) while waiting for the answer to {}{context}",
                server.last_sent
            ),
            start,
        ),
        Trouble::Error(what) => {
            let method = what.split(':').next().unwrap_or_default().to_string();
            stop(
                format!("server: error answer to a valid {method}{context}"),
                what,
            )
        }
    }
}

/// The first element where two lists differ, for a report.
fn first_difference(a: &Value, b: &Value) -> String {
    let (empty_a, empty_b) = (Vec::new(), Vec::new());
    let xs = a.as_array().unwrap_or(&empty_a);
    let ys = b.as_array().unwrap_or(&empty_b);
    let i = xs
        .iter()
        .zip(ys)
        .position(|(x, y)| x != y)
        .unwrap_or(xs.len().min(ys.len()));
    format!(
        "{} vs {} item(s); first difference at item {i}:\n  incremental: {}\n  fresh:       {}",
        xs.len(),
        ys.len(),
        excerpt(&xs.get(i).map_or("(none)".into(), |v| v.to_string()), 600),
        excerpt(&ys.get(i).map_or("(none)".into(), |v| v.to_string()), 600),
    )
}

struct Session<'a> {
    server: Server,
    rng: Rng,
    flavour: Flavour,
    open: Vec<Open>,
    docs: &'a [(String, Vec<u8>)],
    /// The text of some document has had a lone CR.
    lone_cr_seen: bool,
    fresh_count: usize,
    steps: usize,
}

impl Session<'_> {
    fn doc_text(&mut self) -> String {
        let (_, bytes) = self.rng.pick(self.docs);
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        if !self.flavour.lone_cr {
            text = text.replace("\r\n", "\n").replace('\r', "\n");
        }
        match self.rng.below(6) {
            0 => text = text.replace('\n', "\r\n"),
            1 => text.insert(0, '\u{feff}'),
            _ => {}
        }
        text
    }

    fn typed(&mut self) -> String {
        if self.flavour.deep && self.rng.one_in(40) {
            // Typed text stays under a megabyte: one line of 30,000 levels, or up to 1,000
            // levels of indentation.
            let kind = mutate::deep(&mut self.rng, 1000);
            let indent = self.rng.below(5);
            let closed = !self.rng.one_in(3);
            return mutate::nested(kind, indent, closed);
        }
        if self.flavour.lone_cr && self.rng.one_in(15) {
            return self.rng.pick(TYPED_CR).to_string();
        }
        if self.rng.one_in(30) {
            return mutate::HOSTILE[self.rng.below(mutate::HOSTILE.len())].to_string();
        }
        self.rng.pick(TYPED).to_string()
    }

    /// A `didChange` of one to three changes to one document.
    fn change(&mut self) {
        let which = self.rng.below(self.open.len());
        let mut changes = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let change = if self.rng.one_in(80) {
                json!({"text": self.doc_text()})
            } else {
                let range = random_range(&mut self.rng, &self.open[which].doc);
                json!({"range": range, "text": self.typed()})
            };
            self.open[which].doc.apply(&change);
            self.lone_cr_seen |= text::has_lone_cr(self.open[which].doc.text.as_bytes());
            changes.push(change);
        }
        let open = &mut self.open[which];
        open.version += 1;
        let params = json!({
            "textDocument": {"uri": open.uri, "version": open.version},
            "contentChanges": changes,
        });
        self.server.notify("textDocument/didChange", params);
    }

    /// A random request about a random document; its ranges must lie in the document.
    fn request(&mut self) -> Result<(), Stop> {
        let which = self.rng.below(self.open.len());
        let (uri, doc) = (&self.open[which].uri, &self.open[which].doc);
        let id = json!({"uri": uri});
        let at = position(random_position(&mut self.rng, doc));
        let (method, params) = match self.rng.below(7) {
            0 => (
                "textDocument/hover",
                json!({"textDocument": id, "position": at}),
            ),
            1 => {
                let context = match self.rng.below(3) {
                    0 => json!({"triggerKind": 1}),
                    _ => {
                        json!({"triggerKind": 2, "triggerCharacter": self.rng.pick(&["@", ":", " "])})
                    }
                };
                (
                    "textDocument/completion",
                    json!({"textDocument": id, "position": at, "context": context}),
                )
            }
            2 => {
                let only = match self.rng.below(3) {
                    0 => json!(["quickfix"]),
                    1 => json!(["source.fixAll.azpls"]),
                    _ => Value::Null,
                };
                let range = random_range(&mut self.rng, doc);
                (
                    "textDocument/codeAction",
                    json!({"textDocument": id, "range": range, "context": {"diagnostics": [], "only": only}}),
                )
            }
            3 => ("textDocument/documentSymbol", json!({"textDocument": id})),
            4 => ("textDocument/foldingRange", json!({"textDocument": id})),
            5 => (
                "textDocument/definition",
                json!({"textDocument": id, "position": at}),
            ),
            _ => ("textDocument/documentLink", json!({"textDocument": id})),
        };
        let uri = uri.clone();
        let result = self
            .server
            .request(method, params)
            .map_err(|t| trouble(&self.server, t, ""))?;
        let problems = self.open[which].doc.range_problems(&result, &uri);
        if let Some(first) = problems.first() {
            return Err(self.disagreement(
                format!("{method} answered a range outside the document"),
                format!("{first}\nanswer: {}", excerpt(&result.to_string(), 1500)),
            ));
        }
        Ok(())
    }

    /// A failure about what the server answered. Once a lone CR has been in the text, the
    /// server's lines and LSP's differ (LSP counts it as a line break) and every range
    /// after it may be off: those failures are one, whatever the request.
    fn disagreement(&self, what: String, detail: String) -> Stop {
        if self.lone_cr_seen {
            stop(
                "server: after a lone CR (a line break in LSP and YAML), positions and results disagree with LSP's lines",
                format!("first seen as: {what}\n{detail}"),
            )
        } else {
            stop(format!("server: {what}"), detail)
        }
    }

    /// A malformed frame, then a request that must still be answered.
    fn malformed(&mut self) -> Result<(), Stop> {
        let uri = self.open[0].uri.clone();
        let frames = lsp::malformed_frames(&uri);
        let (name, bytes) = self.rng.pick(&frames).clone();
        let params = json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}});
        match self
            .server
            .request_after(bytes, "textDocument/hover", params)
        {
            Ok(_) => Ok(()),
            Err(t) => Err(trouble(&self.server, t, &format!(" after {name}"))),
        }
    }

    /// Incremental equals fresh: the document's text opened under a new URI gives the same
    /// diagnostics (ranges, codes, messages and all), outline, folding and links.
    fn compare(&mut self, which: usize) -> Result<(), Stop> {
        let uri = self.open[which].uri.clone();
        let version = self.open[which].version;
        let incremental = self
            .server
            .diagnostics(&uri, version)
            .map_err(|t| trouble(&self.server, t, ""))?;
        if let Some(first) = self.open[which]
            .doc
            .range_problems(&incremental, &uri)
            .first()
        {
            return Err(self.disagreement(
                "diagnostics with a range outside the document".to_string(),
                first.clone(),
            ));
        }
        self.fresh_count += 1;
        let fresh_uri = uri.replace(".yml", &format!("-fresh-{}.yml", self.fresh_count));
        let text = self.open[which].doc.text.clone();
        self.server.open(&fresh_uri, &text, 1);
        let fresh = self
            .server
            .diagnostics(&fresh_uri, 1)
            .map_err(|t| trouble(&self.server, t, " (opening the same text fresh)"))?;
        // The fresh document's answers name its own URI: make them name the original's.
        let same = |v: &Value| -> Value {
            serde_json::from_str(&v.to_string().replace(&fresh_uri, &uri)).unwrap()
        };
        let sorted = |v: Value| -> Value {
            let mut items: Vec<String> = v
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(Value::to_string)
                .collect();
            items.sort();
            Value::Array(
                items
                    .iter()
                    .map(|s| serde_json::from_str(s).unwrap())
                    .collect(),
            )
        };
        // A diagnostic's data names the version it was computed for, which differs by design.
        let unversioned = |v: Value| -> Value {
            let mut v = v;
            for d in v.as_array_mut().into_iter().flatten() {
                if let Some(data) = d.get_mut("data").and_then(Value::as_object_mut) {
                    data.remove("version");
                }
            }
            sorted(v)
        };
        let mut differences = Vec::new();
        let (a, b) = (unversioned(incremental), unversioned(same(&fresh)));
        if a != b {
            differences.push(("diagnostics", a, b));
        }
        for method in [
            "textDocument/documentSymbol",
            "textDocument/foldingRange",
            "textDocument/documentLink",
        ] {
            let mut answers = Vec::new();
            for u in [&uri, &fresh_uri] {
                let answer = self
                    .server
                    .request(method, json!({"textDocument": {"uri": u}}))
                    .map_err(|t| trouble(&self.server, t, ""))?;
                answers.push(same(&answer));
            }
            let (a, b) = if method.ends_with("foldingRange") {
                (sorted(answers[0].clone()), sorted(answers[1].clone()))
            } else {
                (answers[0].clone(), answers[1].clone())
            };
            if a != b {
                differences.push((method.trim_start_matches("textDocument/"), a, b));
            }
        }
        self.server.notify(
            "textDocument/didClose",
            json!({"textDocument": {"uri": fresh_uri}}),
        );
        match differences.first() {
            None => Ok(()),
            Some((what, a, b)) => Err(self.disagreement(
                format!("incremental edits and a fresh open differ in {what}"),
                format!(
                    "after {} step(s), version {version}; all that differ: {:?}\n{}",
                    self.steps,
                    differences.iter().map(|d| d.0).collect::<Vec<_>>(),
                    first_difference(a, b)
                ),
            )),
        }
    }

    fn run(&mut self, budget: &Budget, steps: usize) -> Result<(), Stop> {
        for step in 0..steps {
            self.steps = step + 1;
            match self.rng.below(20) {
                0..=10 => self.change(),
                11 if self.flavour.frames => self.malformed()?,
                _ => self.request()?,
            }
            if step % 50 == 49 {
                let which = self.rng.below(self.open.len());
                self.compare(which)?;
            }
            if budget.expired() && step >= 50 {
                break;
            }
        }
        for which in 0..self.open.len() {
            self.compare(which)?;
        }
        Ok(())
    }
}

/// One server session: start, initialize, open documents, edit and ask at random, compare
/// with fresh opens, shut down. Returns the number of steps taken.
fn server_session(
    budget: &Budget,
    docs: &[(String, Vec<u8>)],
    failures: &mut Failures,
    number: usize,
) -> usize {
    let mut rng = Rng::new(budget.seed, number as u64);
    let flavour = Flavour::of(&mut rng, number);
    let dir = budget.work_dir.join(format!("session-{number}"));
    std::fs::create_dir_all(&dir).unwrap();
    let root = format!("file://{}", dir.display());
    let mut session = Session {
        server: Server::start(&dir),
        rng,
        flavour,
        open: Vec::new(),
        docs,
        lone_cr_seen: false,
        fresh_count: 0,
        steps: 0,
    };
    let steps = 150 + session.rng.below(150);
    let outcome = (|| {
        session
            .server
            .initialize(&root, flavour.hierarchical)
            .map_err(|t| trouble(&session.server, t, ""))?;
        for k in 0..1 + session.rng.below(2) {
            let text = session.doc_text();
            let uri = format!("{root}/doc-{k}.yml");
            session.server.open(&uri, &text, 0);
            session.lone_cr_seen |= text::has_lone_cr(text.as_bytes());
            session.open.push(Open {
                uri,
                doc: Doc::new(text.clone()),
                version: 0,
                initial: text,
            });
        }
        session.run(budget, steps)
    })();
    let taken = session.steps;
    let Session { server, open, .. } = session;
    let about = format!(
        "session {number} ({flavour:?}), {taken} step(s); documents: {}",
        open.iter()
            .map(|o| o.uri.rsplit('/').next().unwrap_or_default())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut documents = Vec::new();
    for (k, o) in open.iter().enumerate() {
        documents.push((format!("doc-{k}-opened.yml"), o.initial.clone()));
        documents.push((format!("doc-{k}-at-failure.yml"), o.doc.text.clone()));
    }
    let reproducer = budget.failures_dir.join(format!("server-session-{number}"));
    finish_session(server, outcome, failures, &reproducer, &about, &documents);
    taken
}

/// Ends a session: a clean shutdown unless it already failed; then records its failure and
/// any panic the server caught, with the session's stdin (to replay) and its documents.
fn finish_session(
    mut server: Server,
    outcome: Result<(), Stop>,
    failures: &mut Failures,
    reproducer: &Path,
    about: &str,
    documents: &[(String, String)],
) {
    let stopped = outcome.and_then(|()| {
        server
            .stop()
            .map_err(|t| trouble(&server, t, " (at shutdown)"))
    });
    let stderr = server.stderr();
    let transcript = std::mem::take(&mut server.transcript);
    let waits: String = server
        .waits
        .iter()
        .map(|(offset, wait)| wait.line(*offset) + "\n")
        .collect();
    drop(server);
    let mut found = Vec::new();
    if let Err(s) = stopped {
        found.push(s);
    }
    if stderr.contains("panicked at") {
        found.push(stop(
            format!("server: panic (caught): {}", check::key_line(&stderr)),
            excerpt(&stderr, 2000),
        ));
    }
    for s in found {
        if !failures.is_new(&s.signature) {
            failures.record(s.signature, String::new);
            continue;
        }
        let _ = std::fs::remove_dir_all(reproducer);
        std::fs::create_dir_all(reproducer).unwrap();
        std::fs::write(reproducer.join("session.lsp"), &transcript).unwrap();
        std::fs::write(reproducer.join("session.waits"), &waits).unwrap();
        for (name, text) in documents {
            std::fs::write(reproducer.join(name), text).unwrap();
        }
        let session = reproducer.join("session.lsp");
        let command = format!(
            "AZPLS_FUZZ_REPLAY={} cargo test --test fuzz replays_a_session -- --ignored --nocapture\n\
             (or, where pacing does not matter: {} server < {})",
            shell_path(&session),
            shell_path(Path::new(env!("CARGO_BIN_EXE_azpls"))),
            shell_path(&session),
        );
        failures.record(s.signature, || {
            format!("{about}\nreplay: {command}\n{}", s.detail)
        });
    }
}

/// Every malformed frame, each against a fresh server that has a document open: it must
/// answer a request after the frame and shut down cleanly. Run in full every time, so a
/// report lists every frame the server trips on.
fn every_malformed_frame(budget: &Budget, failures: &mut Failures) -> usize {
    let dir = budget.work_dir.join("frames");
    std::fs::create_dir_all(&dir).unwrap();
    let root = format!("file://{}", dir.display());
    let uri = format!("{root}/frames.yml");
    let text = "steps:\n- task: AzureFileCopy@4\n";
    let frames = lsp::malformed_frames(&uri);
    for (i, (name, bytes)) in frames.iter().enumerate() {
        let mut server = Server::start(&dir);
        // A hover on a two-line file takes milliseconds: a few seconds tell a hang.
        server.timeout = Duration::from_secs(3);
        let outcome = (|| {
            server
                .initialize(&root, false)
                .map_err(|t| trouble(&server, t, ""))?;
            server.open(&uri, text, 0);
            let params =
                json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 9}});
            server
                .request_after(bytes.clone(), "textDocument/hover", params)
                .map_err(|t| trouble(&server, t, &format!(" after {name}")))?;
            Ok(())
        })();
        let reproducer = budget.failures_dir.join(format!("server-frame-{i}"));
        let about = format!("one malformed frame: {name}");
        let documents = [("frames.yml".to_string(), text.to_string())];
        finish_session(server, outcome, failures, &reproducer, &about, &documents);
    }
    frames.len()
}

#[test]
fn server_survives_random_edits() {
    let budget = Budget::from_env("server");
    let docs = fuzz_support::seed_documents(common::corpus());
    let mut failures = Failures::new("server", budget.seed);
    let started = Instant::now();
    let frames = every_malformed_frame(&budget, &mut failures);
    let (mut sessions, mut steps) = (0, 0);
    while sessions < 3 || !budget.expired() {
        let begun = Instant::now();
        let taken = server_session(&budget, &docs, &mut failures, sessions);
        eprintln!(
            "fuzz server: session {sessions}: {taken} steps in {:.1} s",
            begun.elapsed().as_secs_f64()
        );
        steps += taken;
        sessions += 1;
    }
    let summary = format!(
        "{frames} malformed frames, {sessions} sessions, {steps} steps, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    failures.finish(&summary);
}

/// Replays a failed session (`AZPLS_FUZZ_REPLAY=.../session.lsp`, beside its
/// `session.waits`), message by message, waiting where the session waited: some failures
/// need the server to finish one message before the next arrives, which `azpls server <
/// session.lsp` does not wait for. Does nothing without the variable.
#[test]
#[ignore = "a tool, not a test: replays AZPLS_FUZZ_REPLAY=<session.lsp>"]
fn replays_a_session_when_asked() {
    let Some(path) = std::env::var_os("AZPLS_FUZZ_REPLAY").map(PathBuf::from) else {
        // Asked for without a session (as `--include-ignored` runs every test): nothing to
        // replay, which is not a failure.
        eprintln!("no AZPLS_FUZZ_REPLAY: nothing to replay");
        return;
    };
    let transcript = std::fs::read(&path).expect("read the session");
    let waits: Vec<(usize, lsp::Wait)> = std::fs::read_to_string(path.with_extension("waits"))
        .expect("read session.waits beside the session")
        .lines()
        .map(|l| lsp::Wait::parse(l).expect("a line of session.waits"))
        .collect();
    let dir = std::env::temp_dir();
    let mut server = Server::start(&dir);
    let outcome = server.replay(&transcript, &waits);
    // Whatever came last gets its moment before the verdict.
    std::thread::sleep(Duration::from_secs(1));
    let outcome = outcome.and_then(|()| server.ended().map_or(Ok(()), Err));
    let outcome = outcome.map_err(|t| trouble(&server, t, ""));
    let stderr = server.stderr();
    match outcome {
        Err(s) => panic!("replayed: {}\n{}", s.signature, s.detail),
        Ok(()) if stderr.contains("panicked at") => panic!("replayed: a caught panic\n{stderr}"),
        Ok(()) => eprintln!(
            "replayed {} bytes, {} waits: no failure",
            transcript.len(),
            waits.len()
        ),
    }
}
