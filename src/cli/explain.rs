//! `azpls explain`: the troubleshooting knowledge of the document's error table and of the
//! messages tasks print when they cannot use workload identity federation. Given a code
//! (`AADSTS700024`, or just `700024`) or a message id it prints the cause and the resolution;
//! given nothing it lists what it knows; given `-` it reads a pipeline log on stdin, as the web
//! UI downloads it (a timestamp on every line) or as printed without one, and explains every
//! known message with the line it matched and the step that printed it: for a message that
//! means the task does not support workload identity federation, what the table says of the
//! task the step's header names (`AzureFileCopy@5`: use `AzureFileCopy@6`).
//!
//! The log is streamed: memory holds one line (cut at [`log::MAX_LINE`]) and what was
//! explained in the current step.

use super::escape;
use super::log::{self, Step, Steps};
use crate::knowledge::{CatalogTask, ErrorEntry, Knowledge, Status, TableId, catalog};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, Write};

/// What an explain run found, for the exit code.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Something was explained.
    Explained,
    /// A log held nothing azpls knows.
    NothingFound,
    /// The code is unknown (the message lists the known ones).
    Unknown(String),
}

/// Every entry `explain` knows: the document's tables', then the tasks' messages.
fn known(kb: &Knowledge) -> impl Iterator<Item = &ErrorEntry> {
    kb.errors().iter().chain(kb.task_messages())
}

/// Explains one error code or message id.
pub fn code(
    kb: &Knowledge,
    table: TableId,
    query: &str,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    let wanted = query.trim().to_ascii_uppercase();
    let wanted = if wanted.chars().all(|c| c.is_ascii_digit()) {
        format!("AADSTS{wanted}")
    } else {
        wanted
    };
    let entries: Vec<&ErrorEntry> = known(kb)
        .filter(|e| {
            e.code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(&wanted))
                || e.id.eq_ignore_ascii_case(query.trim())
        })
        .collect();
    if entries.is_empty() {
        let mut codes: Vec<&str> = kb
            .errors()
            .iter()
            .filter_map(|e| e.code.as_deref())
            .collect();
        codes.sort_unstable();
        codes.dedup();
        return Ok(Outcome::Unknown(format!(
            "no error {} in the document's error tables; known codes: {} (`azpls explain` lists every message)",
            escape::quote(query.trim(), 40),
            codes.join(", ")
        )));
    }
    // The applied table's entries first; then what other versions said, when different.
    let (applied, others): (Vec<&ErrorEntry>, Vec<&ErrorEntry>) = entries
        .into_iter()
        .partition(|e| e.tables.is_empty() || e.tables.contains(&table));
    for e in applied.iter().chain(others.iter()) {
        write!(out, "{}", render(kb, e))?;
    }
    Ok(Outcome::Explained)
}

/// Lists every message `explain` knows, one line each: its code (or id), its text, and the
/// table versions that list it (or that tasks were reported printing it).
pub fn list(kb: &Knowledge, out: &mut impl Write) -> std::io::Result<()> {
    // One line per code: a row whose meaning changed between versions has several entries.
    let mut rows: Vec<(&str, &ErrorEntry, Vec<TableId>)> = Vec::new();
    for e in known(kb) {
        let key = e.code.as_deref().unwrap_or(&e.id);
        match rows.iter_mut().find(|(k, _, _)| *k == key) {
            Some((_, _, tables)) => tables.extend(&e.tables),
            None => rows.push((key, e, e.tables.clone())),
        }
    }
    let width = rows.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0);
    for (key, e, mut tables) in rows {
        tables.sort_unstable();
        tables.dedup();
        let origin = if tables.is_empty() {
            "reported for tasks".to_string()
        } else {
            let dates: Vec<&str> = tables.iter().map(|t| kb.table(*t).date.as_str()).collect();
            dates.join(", ")
        };
        writeln!(out, "{key:<width$}  {} ({origin})", e.message)?;
    }
    writeln!(
        out,
        "\n`azpls explain CODE` explains one (a code, or an id for messages without one); `azpls explain -` reads a pipeline log"
    )
}

/// Explains every known message in a log.
pub fn log(
    kb: &Knowledge,
    table: TableId,
    mut input: impl BufRead,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    let entries: Vec<&ErrorEntry> = kb.log_messages(table).collect();
    let mut steps = Steps::default();
    let mut memo = StepMemo::default();
    let mut found = false;
    let (mut buf, mut lower) = (Vec::new(), String::new());
    let mut number = 0;
    while log::read_line(&mut input, &mut buf)? {
        number += 1;
        let raw = String::from_utf8_lossy(&buf);
        let line = match number {
            1 => raw.strip_prefix('\u{feff}').unwrap_or(&raw),
            _ => &raw,
        };
        let line = log::strip_timestamp(line);
        steps.read(line, number);
        lower.clear();
        lower.push_str(line);
        lower.make_ascii_lowercase();
        let matched: Vec<&ErrorEntry> = entries
            .iter()
            .copied()
            .filter(|e| e.matches_lowercase(&lower))
            .collect();
        // Of several entries with the same code, the most specific match wins (the one
        // about the old issuer host over the generic AADSTS70021, say).
        let best = matched.iter().filter(|e| {
            !matched.iter().any(|o| {
                o.code.is_some() && o.code == e.code && o.match_text.len() > e.match_text.len()
            })
        });
        for e in best {
            found = true;
            // The log's line as text, never as a logging command for the agent running us.
            writeln!(out, "line {number}: {}", escape::text(line.trim()))?;
            let step = steps.current();
            let step_line = step.map_or(0, |s| s.line);
            if memo.line != step_line {
                memo = StepMemo {
                    line: step_line,
                    ..StepMemo::default()
                };
            }
            if let Some(first) = memo.explained.get(e.id.as_str()) {
                writeln!(out, "  the same message as line {first}, above\n")?;
                continue;
            }
            memo.explained.insert(&e.id, number);
            if let Some(step) = step {
                let tasks = memo
                    .tasks
                    .get_or_insert_with(|| log::task_of(catalog(), step));
                writeln!(out, "  {}", in_step(kb, table, step, tasks, e))?;
            }
            write!(out, "{}", render(kb, e))?;
        }
    }
    if !found {
        writeln!(
            out,
            "no known workload identity federation error in the log"
        )?;
    }
    Ok(if found {
        Outcome::Explained
    } else {
        Outcome::NothingFound
    })
}

/// What the current step (or the lines outside any, line 0) has shown so far.
#[derive(Default)]
struct StepMemo<'k> {
    line: usize,
    /// The line each message was explained on, by entry id: a message repeated in a loop is
    /// explained once.
    explained: HashMap<&'k str, usize>,
    /// The tasks its header names, found on its first message.
    tasks: Option<Vec<&'static CatalogTask>>,
}

/// The step that printed a message, and for a task that does not support workload identity
/// federation, what the table says of it. `tasks` are those the step's header names.
fn in_step(
    kb: &Knowledge,
    table: TableId,
    step: &Step,
    tasks: &[&CatalogTask],
    e: &ErrorEntry,
) -> String {
    let mut s = format!(
        "step {} (line {})",
        escape::quote(&step.name, 80),
        step.line
    );
    let info = kb.table(table);
    let Some(task) = tasks.first() else {
        if let Some(friendly) = &step.task {
            let _ = write!(
                s,
                " ran {} {}, which is not a built-in task",
                escape::quote(friendly, 80),
                escape::shorten(step.version.as_deref().unwrap_or("?"), 20)
            );
            if e.task_unsupported {
                s.push_str(": this version does not support workload identity federation; ask its publisher for one that does, or give the step a service connection that uses a secret");
            }
        }
        return s;
    };
    let name = format!("{}@{}", task.name, task.major);
    let also: Vec<String> = tasks[1..]
        .iter()
        .map(|t| format!("{}@{}", t.name, t.major))
        .collect();
    let _ = write!(s, " ran {name}");
    if !also.is_empty() {
        let _ = write!(s, " (or {}, which share its name)", also.join(", "));
    }
    if !e.task_unsupported {
        return s;
    }
    let verdict = match kb.lookup(table, &task.name, task.major).map(|r| &r.status) {
        Some(Status::Deprecated {
            replacement,
            replacement_major,
            condition,
        }) => format!(
            ", which does not support workload identity federation; use {replacement}@{replacement_major}{} (the quick fix in your editor, or `azpls check --fix`)",
            condition.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
        ),
        Some(Status::Unsupported) => ", which does not support workload identity federation; keep a service connection that uses a secret or certificate for this step, or replace the task".to_string(),
        Some(Status::PerInput { inputs }) => {
            let not: Vec<String> = inputs
                .iter()
                .filter(|i| !i.supported)
                .filter_map(|i| i.table_name.clone().or_else(|| i.connection_label.clone()))
                .collect();
            format!(
                ", which supports workload identity federation through some of its service connections only, not through {}",
                not.join(", ")
            )
        }
        Some(Status::Planned { when }) => format!(
            ", whose support for workload identity federation the {} table announced for {when}",
            info.date
        ),
        Some(Status::Supported) => format!(
            ", which the {} table lists as supporting workload identity federation: the message comes from a tool the step runs, or from an older version of the task than those the table speaks for",
            info.date
        ),
        None => format!(
            ", which the {} table does not list; the message says it does not support workload identity federation: give the step a service connection that uses a secret, or look for a newer version of the task",
            info.date
        ),
    };
    s.push_str(&verdict);
    s
}

fn render(kb: &Knowledge, e: &ErrorEntry) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", e.message);
    if !e.tables.is_empty() {
        let dates: Vec<&str> = e
            .tables
            .iter()
            .map(|t| kb.table(*t).date.as_str())
            .collect();
        let _ = writeln!(s, "  listed in: {}", dates.join(", "));
    }
    for seen in &e.seen_in {
        let _ = writeln!(s, "  reported for: {} <{}>", seen.text, seen.url);
    }
    let _ = writeln!(s, "  cause: {}", e.cause);
    let _ = writeln!(s, "  what to do: {}", e.resolution);
    for link in &e.links {
        let _ = writeln!(s, "  see: {} <{}>", link.text, link.url);
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::knowledge;

    fn run_code(q: &str) -> (Outcome, String) {
        let kb = knowledge();
        let mut out = Vec::new();
        let o = code(kb, kb.newest(), q, &mut out).unwrap();
        (o, String::from_utf8(out).unwrap())
    }

    fn run_log(text: &str) -> (Outcome, String) {
        let kb = knowledge();
        let mut out = Vec::new();
        let o = log(kb, kb.newest(), text.as_bytes(), &mut out).unwrap();
        (o, String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_code_prints_cause_and_resolution() {
        let (o, text) = run_code("AADSTS700024");
        assert_eq!(o, Outcome::Explained);
        assert!(
            text.contains("Client assertion is not within its valid time range"),
            "{text}"
        );
        assert!(
            text.contains("cause: ") && text.contains("what to do: "),
            "{text}"
        );
        assert_eq!(run_code("700024").1, text, "the bare number works too");
    }

    #[test]
    fn a_task_message_is_explained_by_its_id() {
        let (o, text) = run_code("unsupported-authentication-scheme");
        assert_eq!(o, Outcome::Explained);
        assert!(text.contains("reported for: AzureFileCopy@5"), "{text}");
        assert!(!text.contains("listed in"), "{text}");
    }

    #[test]
    fn unknown_codes_list_the_known_ones() {
        let (o, _) = run_code("AADSTS1");
        let Outcome::Unknown(message) = o else {
            panic!()
        };
        assert!(message.contains("AADSTS700016"), "{message}");
    }

    #[test]
    fn the_list_names_every_code_once_and_the_task_messages() {
        let mut out = Vec::new();
        list(knowledge(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("\nAADSTS700016 ").count(), 1, "{text}");
        assert!(
            text.contains("(2024-02-08, 2025-03-12)\nAADSTS7000215"),
            "both versions of AADSTS700016: {text}"
        );
        assert!(text.contains("unsupported-authentication-scheme"), "{text}");
    }

    #[test]
    fn a_log_is_explained_line_by_line() {
        let log_text = "##[section]Starting: Deploy\nERROR: AADSTS700213: No matching federated identity record found for presented assertion subject\nall fine\nScript failed with error: UnrecognizedArgumentError: unrecognized arguments: --federated-token\n";
        let (o, text) = run_log(log_text);
        assert_eq!(o, Outcome::Explained);
        assert!(text.contains("line 2: ERROR: AADSTS700213"), "{text}");
        assert!(text.contains("  step \"Deploy\" (line 1)\n"), "{text}");
        assert!(text.contains("line 4: Script failed"), "{text}");
        assert!(
            !text.contains("AADSTS70021:"),
            "a longer code must not match a shorter one: {text}"
        );
        assert_eq!(run_log("nothing here\n").0, Outcome::NothingFound);
    }

    #[test]
    fn a_task_that_does_not_support_federation_is_named_with_its_replacement() {
        let log_text = "2024-05-01T10:11:12.1234567Z ##[section]Starting: Upload site\n\
            2024-05-01T10:11:12.1234568Z ==============================================================================\n\
            2024-05-01T10:11:12.1234569Z Task         : Azure file copy\n\
            2024-05-01T10:11:12.1234570Z Version      : 5.235.0\n\
            2024-05-01T10:11:12.1234571Z ==============================================================================\n\
            2024-05-01T10:11:15.0000000Z ##[error]failed with error: 'Unsupported authentication scheme 'WorkloadIdentityFederation' for endpoint.'\n\
            2024-05-01T10:11:16.0000000Z ##[error]failed with error: 'Unsupported authentication scheme 'WorkloadIdentityFederation' for endpoint.'\n";
        let (_, text) = run_log(log_text);
        assert!(
            text.contains("  step \"Upload site\" (line 1) ran AzureFileCopy@5, which does not support workload identity federation; use AzureFileCopy@6 (the quick fix in your editor, or `azpls check --fix`)"),
            "{text}"
        );
        assert!(
            text.contains("line 6: ##[error]failed"),
            "the timestamp is gone: {text}"
        );
        assert!(text.contains("line 7: ##[error]failed with error: 'Unsupported authentication scheme 'WorkloadIdentityFederation' for endpoint.'\n  the same message as line 6, above\n"), "{text}");
    }
}
