//! Error messages from the troubleshooting document's error table, with our own summary of the
//! cause and the fix, and the table versions that list each (from `data/errors.toml`).

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
    pub tables: Vec<TableId>,
    pub cause: String,
    pub resolution: String,
    pub links: Vec<Link>,
}

impl ErrorEntry {
    /// Whether a log line shows this message (case-insensitive substring of `match_text`).
    pub fn matches_line(&self, line: &str) -> bool {
        contains_ignore_ascii_case(line, &self.match_text)
    }
}

/// Case-insensitive substring search. A needle ending in a digit (an error code) must not
/// be followed by another digit, so `AADSTS70021` does not match `AADSTS700211`.
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    let code = n.last().is_some_and(u8::is_ascii_digit);
    h.windows(n.len()).enumerate().any(|(i, w)| {
        w.eq_ignore_ascii_case(n) && !(code && h.get(i + n.len()).is_some_and(u8::is_ascii_digit))
    })
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
                match_text: e.match_text,
                tables,
                cause: e.cause,
                resolution: e.resolution,
                links: e.links,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod code_boundary_tests {
    use super::contains_ignore_ascii_case;

    #[test]
    fn a_code_does_not_match_a_longer_code() {
        assert!(contains_ignore_ascii_case(
            "error AADSTS70021: no match",
            "AADSTS70021"
        ));
        assert!(!contains_ignore_ascii_case(
            "error AADSTS700211: no match",
            "AADSTS70021"
        ));
        assert!(contains_ignore_ascii_case("aadsts700211", "AADSTS700211"));
        assert!(contains_ignore_ascii_case(
            "x Identity not found.",
            "identity NOT found"
        ));
    }
}
