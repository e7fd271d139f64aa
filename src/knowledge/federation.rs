//! How Microsoft Entra pairs a workload identity federation service connection with the
//! federated credentials of its identity, as data: the issuer and subject formats of the Azure
//! DevOps and Microsoft Entra issuers (the newest table of `data/wif.toml`), the audience and the
//! preview's issuer (generated into `wif.toml` from the documents too), and, from the hand-written
//! `data/federation.toml`, the Azure DevOps issuer's retirement, how Entra compares values and the
//! Entra errors the documents' tables don't list.
//!
//! Also the [`Template`] that reads a value against a documented format
//! (`https://vstoken.dev.azure.com/<organization id>`), and the calendar [`Date`] the retirement
//! is judged by.

use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

use super::wif::{Knowledge, knowledge};

const FEDERATION_TOML: &str = include_str!("../../data/federation.toml");

/// Values longer than this are never read against a template: Entra caps issuers and subjects
/// at 600 characters, and the matcher backtracks.
const MAX_VALUE: usize = 2048;

/// Which issuer a format belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssuerKind {
    /// `https://vstoken.dev.azure.com/<organization id>`, retired on [`Retirement::date`].
    AzureDevOps,
    /// `https://login.microsoftonline.com/<tenant id>/v2.0`, for new service connections.
    Entra,
    /// `https://app.vstoken.visualstudio.com/…`, what the preview's manual setup used.
    Preview,
}

/// An issuer and the subject Azure DevOps presents with it.
#[derive(Debug)]
pub struct Format {
    pub kind: IssuerKind,
    /// As the document names it: "Azure DevOps", "Microsoft Entra"; "preview" for the third.
    pub label: String,
    pub issuer: Template,
    pub subject: Template,
}

/// The Azure DevOps issuer's retirement.
#[derive(Debug)]
pub struct Retirement {
    pub date: Date,
    /// To whom it applies, in our words.
    pub summary: String,
    /// The document that announces it, and its `ms.date`.
    pub document: String,
    pub document_date: String,
    /// Where azpls took the facts from.
    pub provenance: String,
    /// How to convert a connection.
    pub conversion_url: String,
}

/// How Entra compares a credential with a token.
#[derive(Debug, Deserialize)]
pub struct Matching {
    /// Exactly, case included, for identities created since this date.
    pub case_sensitive_since: String,
    pub case_sensitive_source: String,
    pub whitespace_source: String,
}

/// An Entra error the documents' tables don't list.
#[derive(Debug, Deserialize)]
pub struct EntraError {
    pub id: String,
    pub code: String,
    pub message: String,
    pub source: String,
}

#[derive(Debug)]
pub struct Federation {
    /// The audience every credential needs.
    pub audience: String,
    /// The `ms.date` of the table the two current formats come from.
    pub formats_date: String,
    /// Azure DevOps, Microsoft Entra, preview: the order values are read in.
    formats: Vec<Format>,
    pub retirement: Retirement,
    pub matching: Matching,
    entra_errors: Vec<EntraError>,
}

impl Federation {
    pub fn format(&self, kind: IssuerKind) -> &Format {
        self.formats
            .iter()
            .find(|f| f.kind == kind)
            .expect("every kind is checked at load")
    }

    /// The format whose issuer `value` is, with the values of its placeholders.
    pub fn read_issuer<'v>(&self, value: &'v str) -> Option<(&Format, Vec<&'v str>)> {
        self.formats
            .iter()
            .find_map(|f| f.issuer.read(value).map(|parts| (f, parts)))
    }

    /// The format whose subject `value` is. The preview's subject has the Azure DevOps
    /// issuer's shape, which is found first.
    pub fn read_subject<'v>(&self, value: &'v str) -> Option<(&Format, Vec<&'v str>)> {
        self.formats
            .iter()
            .find_map(|f| f.subject.read(value).map(|parts| (f, parts)))
    }

    pub fn entra_error(&self, id: &str) -> Option<&EntraError> {
        self.entra_errors.iter().find(|e| e.id == id)
    }

    fn parse(kb: &Knowledge, text: &str) -> Result<Federation, String> {
        let raw: RawFederation =
            toml::from_str(text).map_err(|e| format!("federation.toml: {e}"))?;
        if raw.schema != 1 {
            return Err(format!("federation.toml: unknown schema {}", raw.schema));
        }
        let table = kb.table(kb.newest());
        let mut formats = Vec::new();
        for (label, kind) in [
            ("Azure DevOps", IssuerKind::AzureDevOps),
            ("Microsoft Entra", IssuerKind::Entra),
        ] {
            let f = table
                .identity_formats
                .iter()
                .find(|f| f.kind == label)
                .ok_or_else(|| format!("wif.toml: {} has no {label} format", table.date))?;
            formats.push(Format {
                kind,
                label: label.to_string(),
                issuer: Template::parse(&f.issuer)?,
                subject: Template::parse(&f.subject)?,
            });
        }
        let documented = kb.documented_federation();
        formats.push(Format {
            kind: IssuerKind::Preview,
            label: "preview".to_string(),
            issuer: Template::parse(&documented.preview_issuer)?,
            subject: Template::parse(&documented.preview_subject)?,
        });
        if raw.retirement.issuer != "Azure DevOps" {
            return Err(format!(
                "federation.toml: the retirement names issuer {:?}, not \"Azure DevOps\"",
                raw.retirement.issuer
            ));
        }
        let date = Date::parse(&raw.retirement.date).ok_or_else(|| {
            format!(
                "federation.toml: retirement date {:?} is not YYYY-MM-DD",
                raw.retirement.date
            )
        })?;
        for (i, e) in raw.entra_error.iter().enumerate() {
            if raw.entra_error[..i].iter().any(|o| o.id == e.id) {
                return Err(format!("federation.toml: entra_error {:?} twice", e.id));
            }
            if !e.code.starts_with("AADSTS") || e.message.trim().is_empty() {
                return Err(format!(
                    "federation.toml: entra_error {:?} is incomplete",
                    e.id
                ));
            }
        }
        Ok(Federation {
            audience: documented.audience.clone(),
            formats_date: table.date.clone(),
            formats,
            retirement: Retirement {
                date,
                summary: raw.retirement.summary,
                document: raw.retirement.document,
                document_date: raw.retirement.document_date,
                provenance: raw.retirement.provenance,
                conversion_url: raw.retirement.conversion_url,
            },
            matching: raw.matching,
            entra_errors: raw.entra_error,
        })
    }
}

/// What azpls knows about federated credentials, parsed on first use.
pub fn federation() -> &'static Federation {
    static CELL: OnceLock<Federation> = OnceLock::new();
    // Checked by tests; a parse failure is a build defect, not bad input.
    CELL.get_or_init(|| {
        Federation::parse(knowledge(), FEDERATION_TOML).expect("embedded data/federation.toml")
    })
}

#[derive(Deserialize)]
struct RawFederation {
    schema: u32,
    retirement: RawRetirement,
    matching: Matching,
    #[serde(default)]
    entra_error: Vec<EntraError>,
}

#[derive(Deserialize)]
struct RawRetirement {
    issuer: String,
    date: String,
    summary: String,
    document: String,
    document_date: String,
    provenance: String,
    conversion_url: String,
}

/// A documented format: text with placeholders in angle brackets
/// (`sc://<organization name>/<project name>/<service connection name>`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    text: String,
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    /// A placeholder, by the name between its brackets.
    Hole(String),
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut pieces = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find('<') {
                Some(0) => {
                    let end = rest
                        .find('>')
                        .ok_or_else(|| format!("format {text:?}: unclosed '<'"))?;
                    let name = &rest[1..end];
                    if name.is_empty() || name.contains('<') {
                        return Err(format!("format {text:?}: bad placeholder"));
                    }
                    if matches!(pieces.last(), Some(Piece::Hole(_))) {
                        // Two placeholders in a row could split a value anywhere.
                        return Err(format!(
                            "format {text:?}: placeholders without text between"
                        ));
                    }
                    pieces.push(Piece::Hole(name.to_string()));
                    rest = &rest[end + 1..];
                }
                Some(at) => {
                    pieces.push(Piece::Text(rest[..at].to_string()));
                    rest = &rest[at..];
                }
                None => {
                    pieces.push(Piece::Text(rest.to_string()));
                    rest = "";
                }
            }
        }
        if pieces
            .iter()
            .any(|p| matches!(p, Piece::Text(t) if !t.is_ascii()))
        {
            return Err(format!(
                "format {text:?}: text outside placeholders must be ASCII"
            ));
        }
        Ok(Template {
            text: text.to_string(),
            pieces,
        })
    }

    /// As the document writes it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The placeholders' names, in order.
    pub fn holes(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Hole(name) => Some(name.as_str()),
            Piece::Text(_) => None,
        })
    }

    /// The text before the first placeholder (`https://vstoken.dev.azure.com/`).
    pub fn prefix(&self) -> &str {
        match self.pieces.first() {
            Some(Piece::Text(t)) => t,
            _ => "",
        }
    }

    /// The placeholders' values if `value` has this format. The text between them is compared
    /// ignoring ASCII case, so that a value that differs from the format only in case is still
    /// recognised (and its case reported). A placeholder takes at least one character, and no
    /// `/` unless it is the first or the last piece (an Entra prefix, a connection name).
    pub fn read<'v>(&self, value: &'v str) -> Option<Vec<&'v str>> {
        if value.len() > MAX_VALUE {
            return None;
        }
        let mut parts = Vec::new();
        self.read_from(0, value, 0, &mut parts).then_some(parts)
    }

    fn read_from<'v>(
        &self,
        piece: usize,
        value: &'v str,
        at: usize,
        parts: &mut Vec<&'v str>,
    ) -> bool {
        let Some(p) = self.pieces.get(piece) else {
            return at == value.len();
        };
        match p {
            Piece::Text(t) => {
                let end = at + t.len();
                // `t` is ASCII, so bytes equal to it end on a character boundary.
                value.len() >= end
                    && value.as_bytes()[at..end].eq_ignore_ascii_case(t.as_bytes())
                    && self.read_from(piece + 1, value, end, parts)
            }
            Piece::Hole(_) => {
                let free = piece == 0 || piece + 1 == self.pieces.len();
                for (i, c) in value[at..].char_indices() {
                    if c == '/' && !free {
                        break;
                    }
                    let end = at + i + c.len_utf8();
                    parts.push(&value[at..end]);
                    if self.read_from(piece + 1, value, end, parts) {
                        return true;
                    }
                    parts.pop();
                }
                false
            }
        }
    }

    /// The format with its placeholders replaced, in order, by `values`; those without a value
    /// stay as written (`<service connection id>`).
    pub fn fill(&self, values: &[Option<&str>]) -> String {
        let mut out = String::new();
        let mut hole = 0;
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Hole(name) => {
                    match values.get(hole).copied().flatten() {
                        Some(v) => out.push_str(v),
                        None => {
                            out.push('<');
                            out.push_str(name);
                            out.push('>');
                        }
                    }
                    hole += 1;
                }
            }
        }
        out
    }
}

/// A calendar day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Date> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let s = &text[r];
            s.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| s.parse().ok())?
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let date = Date {
            year: year as i32,
            month,
            day,
        };
        let valid = (1..=12).contains(&month) && (1..=date.days_in_month()).contains(&day);
        valid.then_some(date)
    }

    fn days_in_month(self) -> u32 {
        match self.month {
            4 | 6 | 9 | 11 => 30,
            2 if self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0) => 29,
            2 => 28,
            _ => 31,
        }
    }

    /// Days since 1970-01-01 (proleptic Gregorian), after Howard Hinnant's `days_from_civil`.
    fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Days from this date to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        later.days() - self.days()
    }

    /// The inverse of [`Date::days`] (`civil_from_days`).
    fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Today in UTC, from the system clock.
    pub fn today() -> Date {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days((seconds / 86_400) as i64)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_loads_with_every_format() {
        let fed = federation();
        assert_eq!(fed.audience, "api://AzureADTokenExchange");
        assert_eq!(fed.retirement.date.to_string(), "2027-07-01");
        assert_eq!(
            fed.format(IssuerKind::AzureDevOps).issuer.prefix(),
            "https://vstoken.dev.azure.com/"
        );
        assert_eq!(
            fed.format(IssuerKind::Preview).issuer.prefix(),
            "https://app.vstoken.visualstudio.com/"
        );
        assert!(fed.entra_error("subject-case").is_some());
        assert!(fed.entra_error("audience").is_some());
    }

    #[test]
    fn values_are_read_against_the_documented_formats() {
        let fed = federation();
        let (f, parts) = fed
            .read_issuer("https://vstoken.dev.azure.com/0d2a6c1e-8f0b-4c6a-9d4e-111111111111")
            .unwrap();
        assert_eq!(f.kind, IssuerKind::AzureDevOps);
        assert_eq!(parts, ["0d2a6c1e-8f0b-4c6a-9d4e-111111111111"]);
        let (f, parts) = fed
            .read_issuer("HTTPS://login.microsoftonline.com/tenant-a/v2.0")
            .unwrap();
        assert_eq!((f.kind, parts), (IssuerKind::Entra, vec!["tenant-a"]));
        assert!(
            fed.read_issuer("https://login.microsoftonline.com/tenant-a")
                .is_none_or(|(f, _)| f.kind != IssuerKind::Entra)
        );
        let (f, parts) = fed.read_subject("sc://contoso/web app/prod/east").unwrap();
        assert_eq!(f.kind, IssuerKind::AzureDevOps);
        assert_eq!(
            parts,
            ["contoso", "web app", "prod/east"],
            "a name may hold a slash"
        );
        let (f, parts) = fed
            .read_subject("/eid1/c/pub/t/abc/a/def/sc/org-1/conn-2")
            .unwrap();
        assert_eq!(f.kind, IssuerKind::Entra);
        assert_eq!(parts, ["/eid1/c/pub/t/abc/a/def", "org-1", "conn-2"]);
        assert!(
            fed.read_subject("repo:contoso/app:ref:refs/heads/main")
                .is_none()
        );
        assert!(
            fed.read_subject(&"/sc/".repeat(1000)).is_none(),
            "too long to read"
        );
    }

    #[test]
    fn templates_fill_their_placeholders_and_refuse_bad_formats() {
        let t = Template::parse("https://login.microsoftonline.com/<tenant id>/v2.0").unwrap();
        assert_eq!(
            t.fill(&[Some("t-1")]),
            "https://login.microsoftonline.com/t-1/v2.0"
        );
        assert_eq!(t.fill(&[]), t.as_str());
        assert_eq!(t.holes().collect::<Vec<_>>(), ["tenant id"]);
        assert!(Template::parse("a/<b").is_err());
        assert!(Template::parse("a/<>").is_err());
        assert!(Template::parse("<a><b>").is_err());
        assert!(Template::parse("é/<a>").is_err());
    }

    #[test]
    fn broken_federation_files_are_refused() {
        let good = FEDERATION_TOML;
        let parse = |text: &str| Federation::parse(knowledge(), text);
        assert!(parse(good).is_ok());
        assert!(parse(&good.replace("2027-07-01", "2027-02-30")).is_err());
        assert!(parse(&good.replace("issuer = \"Azure DevOps\"", "issuer = \"Entra\"")).is_err());
        assert!(parse(&good.replace("schema = 1", "schema = 2")).is_err());
        assert!(
            parse(&good.replace("id = \"audience\"", "id = \"subject-case\""))
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn dates_parse_compare_and_count_days() {
        let d = Date::parse("2027-07-01").unwrap();
        assert!(Date::parse("2026-12-31").unwrap() < d);
        assert_eq!(Date::parse("2024-02-29").unwrap().to_string(), "2024-02-29");
        for bad in [
            "2023-02-29",
            "2027-13-01",
            "2027-7-1",
            "20270701",
            "2027-07-0x",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(d.days()), d);
        assert_eq!(Date::parse("2026-12-31").unwrap().days_until(d), 182);
        assert!(Date::today() > Date::parse("2024-01-01").unwrap());
    }
}
