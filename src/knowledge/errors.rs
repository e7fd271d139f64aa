//! Error messages from the troubleshooting document's error table, with our own summary of the
//! cause and the fix, and the table versions that list each (from `data/errors.toml`); and the
//! messages tasks print when they cannot use a workload identity federation connection, which
//! no table lists, with where they were reported (from `data/task-messages.toml`).

use serde::Deserialize;

use super::wif::{Link, TableId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorEntry {
    /// Stable identifier from errors.toml, e.g. "aadsts700016-2025".
    pub id: String,
    /// The AADSTS code, when the message has one.
    pub code: Option<String>,
    /// The message as the document prints it.
    pub message: String,
    /// A distinctive part of `message`, compared case-insensitively against log lines.
    pub match_text: String,
    /// The document versions whose table lists it; empty for a task's runtime message.
    pub tables: Vec<TableId>,
    pub cause: String,
    pub resolution: String,
    pub links: Vec<Link>,
    /// The message means that the step's task does not support workload identity federation.
    pub task_unsupported: bool,
    /// For a message no table lists: public reports of it, naming the task that printed it.
    pub seen_in: Vec<Link>,
    /// `match_text` in lower case, for [`ErrorEntry::matches_lowercase`].
    match_lower: String,
}

impl ErrorEntry {
    /// Whether a log line shows this message (case-insensitive substring of `match_text`).
    pub fn matches_line(&self, line: &str) -> bool {
        self.matches_lowercase(&line.to_ascii_lowercase())
    }

    /// [`ErrorEntry::matches_line`] for a line already in ASCII lower case: a log has millions
    /// of lines and each is compared with every entry, so it is lowered once.
    pub fn matches_lowercase(&self, line: &str) -> bool {
        contains_code_aware(line, &self.match_lower)
    }
}

/// Substring search, where a needle ending in a digit (an error code) must not be followed
/// by another digit, so `AADSTS70021` does not match `AADSTS700211`.
fn contains_code_aware(haystack: &str, needle: &str) -> bool {
    let code = needle.as_bytes().last().is_some_and(u8::is_ascii_digit);
    if !code {
        return haystack.contains(needle);
    }
    let h = haystack.as_bytes();
    haystack
        .match_indices(needle)
        .any(|(i, _)| !h.get(i + needle.len()).is_some_and(u8::is_ascii_digit))
}

#[derive(Deserialize)]
pub(super) struct RawErrors {
    error: Vec<RawError>,
}

#[derive(Deserialize)]
struct RawError {
    id: String,
    code: Option<String>,
    message: String,
    #[serde(rename = "match")]
    match_text: String,
    tables: Vec<String>,
    cause: String,
    resolution: String,
    #[serde(default)]
    links: Vec<Link>,
    #[serde(default)]
    task_unsupported: bool,
}

impl RawErrors {
    pub(super) fn into_entries(
        self,
        table_by_date: impl Fn(&str) -> Option<TableId>,
    ) -> Result<Vec<ErrorEntry>, String> {
        let mut out: Vec<ErrorEntry> = Vec::with_capacity(self.error.len());
        for e in self.error {
            if out.iter().any(|o| o.id == e.id) {
                return Err(format!("errors.toml: duplicate id {:?}", e.id));
            }
            // An empty match would match every line.
            if e.match_text.trim().is_empty() {
                return Err(format!("errors.toml: {}: empty match", e.id));
            }
            let tables = e
                .tables
                .iter()
                .map(|d| {
                    table_by_date(d)
                        .ok_or_else(|| format!("errors.toml: {}: unknown table {d:?}", e.id))
                })
                .collect::<Result<Vec<_>, _>>()?;
            out.push(ErrorEntry {
                id: e.id,
                code: e.code,
                message: e.message,
                match_lower: e.match_text.to_ascii_lowercase(),
                match_text: e.match_text,
                tables,
                cause: e.cause,
                resolution: e.resolution,
                links: e.links,
                task_unsupported: e.task_unsupported,
                seen_in: Vec::new(),
            });
        }
        Ok(out)
    }
}

/// `data/task-messages.toml`.
#[derive(Deserialize)]
pub(super) struct RawTaskMessages {
    schema: u32,
    message: Vec<RawTaskMessage>,
}

#[derive(Deserialize)]
struct RawTaskMessage {
    id: String,
    message: String,
    #[serde(rename = "match")]
    match_text: String,
    cause: String,
    resolution: String,
    seen_in: Vec<Link>,
}

impl RawTaskMessages {
    /// The messages, as entries that no table lists; ids must differ from `taken`'s.
    pub(super) fn into_entries(self, taken: &[ErrorEntry]) -> Result<Vec<ErrorEntry>, String> {
        if self.schema != 1 {
            return Err(format!(
                "task-messages.toml: unknown schema {}",
                self.schema
            ));
        }
        let mut out: Vec<ErrorEntry> = Vec::with_capacity(self.message.len());
        for m in self.message {
            if taken.iter().chain(&out).any(|o| o.id == m.id) {
                return Err(format!("task-messages.toml: id {:?} is taken", m.id));
            }
            let lower = m.match_text.to_ascii_lowercase();
            if lower.trim().is_empty() || !m.message.to_ascii_lowercase().contains(&lower) {
                return Err(format!(
                    "task-messages.toml: {}: match is empty or not part of the message",
                    m.id
                ));
            }
            if m.seen_in.is_empty() {
                return Err(format!("task-messages.toml: {}: seen nowhere", m.id));
            }
            out.push(ErrorEntry {
                id: m.id,
                code: None,
                message: m.message,
                match_lower: lower,
                match_text: m.match_text,
                tables: Vec::new(),
                cause: m.cause,
                resolution: m.resolution,
                links: Vec::new(),
                task_unsupported: true,
                seen_in: m.seen_in,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod code_boundary_tests {
    use super::contains_code_aware;

    #[test]
    fn a_code_does_not_match_a_longer_code() {
        assert!(contains_code_aware(
            "error aadsts70021: no match",
            "aadsts70021"
        ));
        assert!(!contains_code_aware(
            "error aadsts700211: no match",
            "aadsts70021"
        ));
        assert!(contains_code_aware(
            "aadsts700211 then aadsts70021.",
            "aadsts70021"
        ));
        assert!(contains_code_aware(
            "x identity not found.",
            "identity not found"
        ));
    }
}

#[cfg(test)]
mod task_message_tests {
    use super::RawTaskMessages;
    use crate::knowledge::knowledge;

    fn parse(entry: &str) -> Result<usize, String> {
        let raw: RawTaskMessages =
            toml::from_str(&format!("schema = 1\n{entry}")).map_err(|e| e.to_string())?;
        raw.into_entries(knowledge().errors()).map(|v| v.len())
    }

    const GOOD: &str = "[[message]]\nid = \"m\"\nmessage = \"Some task failed\"\nmatch = \"task FAILED\"\ncause = \"c\"\nresolution = \"r\"\nseen_in = [{ text = \"t\", url = \"u\" }]\n";

    #[test]
    fn the_embedded_messages_load_and_the_documents_task_rows_are_flagged() {
        let kb = knowledge();
        assert!(kb.task_messages().len() >= 3);
        assert!(
            kb.task_messages()
                .iter()
                .all(|m| m.task_unsupported && m.tables.is_empty())
        );
        let flagged: Vec<&str> = kb
            .errors()
            .iter()
            .filter(|e| e.task_unsupported)
            .map(|e| e.id.as_str())
            .collect();
        assert_eq!(
            flagged,
            [
                "unsupported-protocol-scheme",
                "identity-not-found",
                "could-not-fetch-access-token"
            ]
        );
        assert!(kb.task_messages()[0].matches_line(
            "##[error]failed: 'UNSUPPORTED authentication scheme 'WorkloadIdentityFederation' for endpoint.'"
        ));
    }

    #[test]
    fn broken_task_messages_are_refused() {
        assert_eq!(parse(GOOD), Ok(1));
        assert!(
            parse(&GOOD.replace("\"m\"", "\"identity-not-found\""))
                .unwrap_err()
                .contains("taken")
        );
        assert!(
            parse(&format!("{GOOD}{GOOD}"))
                .unwrap_err()
                .contains("taken")
        );
        assert!(parse(&GOOD.replace("task FAILED", " ")).is_err());
        assert!(parse(&GOOD.replace("task FAILED", "other text")).is_err());
        assert!(
            parse(&GOOD.replace("[{ text = \"t\", url = \"u\" }]", "[]"))
                .unwrap_err()
                .contains("seen nowhere")
        );
        let raw: RawTaskMessages = toml::from_str(&format!("schema = 2\n{GOOD}")).unwrap();
        assert!(raw.into_entries(&[]).is_err());
    }
}
