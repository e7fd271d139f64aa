//! `azpls explain`: the troubleshooting knowledge of the document's error table. Given a
//! code (`AADSTS700024`, or just `700024`) it prints the cause and the resolution; given
//! `-` it reads a pipeline log on stdin and explains every known message it recognises,
//! with the line it matched.

use super::escape;
use crate::knowledge::{ErrorEntry, Knowledge, TableId};
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
    let entries: Vec<&ErrorEntry> = kb
        .errors()
        .iter()
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
            "no error {} in the document's error tables; known codes: {}",
            escape::quote(query.trim(), 40),
            codes.join(", ")
        )));
    }
    // The applied table's entries first; then what other versions said, when different.
    let (applied, others): (Vec<&ErrorEntry>, Vec<&ErrorEntry>) =
        entries.into_iter().partition(|e| e.tables.contains(&table));
    for e in applied.iter().chain(others.iter()) {
        write!(out, "{}", render(kb, e))?;
    }
    Ok(Outcome::Explained)
}

/// Explains every known message in a log.
pub fn log(
    kb: &Knowledge,
    table: TableId,
    input: impl BufRead,
    out: &mut impl Write,
) -> std::io::Result<Outcome> {
    let mut found = false;
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        let matched: Vec<&ErrorEntry> = kb.errors_matching(table, &line).collect();
        // Of several entries with the same code, the most specific match wins (the one
        // about the old issuer host over the generic AADSTS70021, say).
        let best = matched
            .iter()
            .filter(|e| {
                !matched.iter().any(|o| {
                    o.code.is_some() && o.code == e.code && o.match_text.len() > e.match_text.len()
                })
            })
            .collect::<Vec<_>>();
        for e in best {
            found = true;
            // The log's line as text, never as a logging command for the agent running us.
            writeln!(out, "line {}: {}", i + 1, escape::text(line.trim()))?;
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

fn render(kb: &Knowledge, e: &ErrorEntry) -> String {
    let mut s = String::new();
    let dates: Vec<&str> = e
        .tables
        .iter()
        .map(|t| kb.table(*t).date.as_str())
        .collect();
    let _ = writeln!(s, "{}", e.message);
    let _ = writeln!(s, "  listed in: {}", dates.join(", "));
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
    fn unknown_codes_list_the_known_ones() {
        let (o, _) = run_code("AADSTS1");
        let Outcome::Unknown(message) = o else {
            panic!()
        };
        assert!(message.contains("AADSTS700016"), "{message}");
    }

    #[test]
    fn a_log_is_explained_line_by_line() {
        let kb = knowledge();
        let log_text = "##[section]Starting: Deploy\nERROR: AADSTS700213: No matching federated identity record found for presented assertion subject\nall fine\nScript failed with error: UnrecognizedArgumentError: unrecognized arguments: --federated-token\n";
        let mut out = Vec::new();
        let o = log(kb, kb.newest(), log_text.as_bytes(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(o, Outcome::Explained);
        assert!(text.contains("line 2: ERROR: AADSTS700213"), "{text}");
        assert!(text.contains("line 4: Script failed"), "{text}");
        assert!(
            !text.contains("AADSTS70021:"),
            "a longer code must not match a shorter one: {text}"
        );
        let mut out = Vec::new();
        assert_eq!(
            log(kb, kb.newest(), "nothing here\n".as_bytes(), &mut out).unwrap(),
            Outcome::NothingFound
        );
    }
}
