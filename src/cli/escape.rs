//! Escaping of everything the command line prints that came from its input: file names,
//! YAML text, `azpls.toml` values, log lines. `azpls check` runs inside CI agents that
//! read every line a step prints on stdout and stderr: the Azure Pipelines agent runs a
//! logging command wherever `##vso[` appears in a line and treats `##[` at the start of a
//! line as a formatting command; it splits lines at LF and at a lone CR, as GitHub's runner
//! does. A pipeline (or a file name) that smuggles one of those into our output would run
//! with the pipeline's permissions, so every printed value goes through this module:
//!
//! - [`text`] for the human formats: control characters are shown escaped (`\n`, `\r`,
//!   `\t`, `\u{1b}`), as are the Unicode line separators and the bidirectional controls;
//!   `##vso[` loses its `[`, shown as `\u{5b}`. [`line_start`] for a value that starts a
//!   line (a path) also breaks a leading `##[`. Backslashes are left alone, so `C:\repo`
//!   stays readable; the escapes are for people, not a reversible encoding.
//! - [`azure_property`] and [`azure_data`] add the agent's own encoding of a logging
//!   command's property values (`;`, `]`, CR, LF) and message, with `%` as `%AZP25` so
//!   that nothing in the value decodes to something else.
//! - [`github_property`] and [`github_data`] do the same for GitHub workflow commands.
//! - JSON and SARIF keep their values exactly: [`JsonFormatter`] writes the `[` of a
//!   `##vso[` as the JSON escape `\u005b`, which decodes to the same string.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

/// The prefix the Azure Pipelines agent looks for anywhere in a line.
const LOGGING_COMMAND: &str = "##vso[";
/// The prefix of a formatting command, at the start of a line.
const FORMATTING_COMMAND: &str = "##[";

/// Whether a character must not be printed as it is: it would end a line, move the
/// cursor, change the terminal's state, or reorder what the reader sees.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Where `needle` (ASCII) starts in `hay`, ignoring ASCII case.
fn find_ignore_case(hay: &str, needle: &str) -> Option<usize> {
    hay.as_bytes()
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A value as it may appear inside a line of human-readable output (see the module docs).
pub fn text(value: &str) -> Cow<'_, str> {
    if !value.chars().any(hidden) && find_ignore_case(value, LOGGING_COMMAND).is_none() {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 8);
    let mut rest = value;
    while let Some(at) = find_ignore_case(rest, LOGGING_COMMAND) {
        push_visible(&mut out, &rest[..at + LOGGING_COMMAND.len() - 1]);
        out.push_str("\\u{5b}");
        rest = &rest[at + LOGGING_COMMAND.len()..];
    }
    push_visible(&mut out, rest);
    Cow::Owned(out)
}

/// [`text`] for a value that starts a line of output (a path in `file:line:col: …`),
/// where `##[` would also be read as a formatting command.
pub fn line_start(value: &str) -> Cow<'_, str> {
    let indent = value.len() - value.trim_start().len();
    match value[indent..].strip_prefix(FORMATTING_COMMAND) {
        Some(rest) => Cow::Owned(format!(
            "{}##\\u{{5b}}{}",
            text(&value[..indent]),
            text(rest)
        )),
        None => text(value),
    }
}

fn push_visible(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
}

/// At most `max` characters of a value, escaped, with `…` when cut: for messages that
/// show what the user wrote without echoing a whole hostile value.
pub fn shorten(value: &str, max: usize) -> String {
    match value.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", text(&value[..end])),
        None => text(value).into_owned(),
    }
}

/// [`shorten`], in double quotes.
pub fn quote(value: &str, max: usize) -> String {
    format!("\"{}\"", shorten(value, max))
}

/// The Azure Pipelines agent's encoding of a logging command's message; its command parser
/// decodes `%3B`, `%0D`, `%0A`, `%5D` and then `%AZP25` in messages and properties alike.
const AZURE_DATA: &[(char, &str)] = &[('%', "%AZP25"), ('\r', "%0D"), ('\n', "%0A")];
/// … and of its property values, which `;` separates and `]` ends.
const AZURE_PROPERTY: &[(char, &str)] = &[
    ('%', "%AZP25"),
    ('\r', "%0D"),
    ('\n', "%0A"),
    (';', "%3B"),
    (']', "%5D"),
];
/// GitHub's workflow-command encoding of a message…
const GITHUB_DATA: &[(char, &str)] = &[('%', "%25"), ('\r', "%0D"), ('\n', "%0A")];
/// … and of property values, which `,` separates and `:` ends.
const GITHUB_PROPERTY: &[(char, &str)] = &[
    ('%', "%25"),
    ('\r', "%0D"),
    ('\n', "%0A"),
    (':', "%3A"),
    (',', "%2C"),
];

/// [`text`], then the characters of `table` replaced by their codes.
fn encode(value: &str, table: &[(char, &str)]) -> String {
    let mut out = String::with_capacity(value.len());
    for c in text(value).chars() {
        match table.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    out
}

/// A property value of an Azure Pipelines logging command (`sourcepath=…`).
pub fn azure_property(value: &str) -> String {
    encode(value, AZURE_PROPERTY)
}

/// The message of an Azure Pipelines logging command (after its `]`).
pub fn azure_data(value: &str) -> String {
    encode(value, AZURE_DATA)
}

/// A property value of a GitHub workflow command (`file=…`).
pub fn github_property(value: &str) -> String {
    encode(value, GITHUB_PROPERTY)
}

/// The message of a GitHub workflow command (after `::`).
pub fn github_data(value: &str) -> String {
    encode(value, GITHUB_DATA)
}

/// serde_json's pretty layout (two spaces, `": "`), starting at any depth so that a
/// report can be written piece by piece, and with the `[` of `##vso[` written as
/// `\u005b` inside strings. Outside strings JSON has no `#`, so strings are the only place
/// a logging command could appear.
pub struct JsonFormatter {
    depth: usize,
    has_value: bool,
}

impl JsonFormatter {
    /// A formatter for a value written at `depth` levels of indentation.
    pub fn at(depth: usize) -> JsonFormatter {
        JsonFormatter {
            depth,
            has_value: false,
        }
    }

    /// Writes `value` as pretty JSON at `depth`.
    pub fn write<W: io::Write + ?Sized, T: serde::Serialize + ?Sized>(
        out: &mut W,
        depth: usize,
        value: &T,
    ) -> io::Result<()> {
        let mut ser = serde_json::Serializer::with_formatter(out, JsonFormatter::at(depth));
        value.serialize(&mut ser).map_err(io::Error::other)
    }

    fn newline<W: io::Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        out.write_all(b"\n")?;
        for _ in 0..self.depth {
            out.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: io::Write + ?Sized>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        out.write_all(bracket)
    }

    fn close<W: io::Write + ?Sized>(&mut self, out: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(out)?;
        }
        out.write_all(bracket)
    }

    fn item<W: io::Write + ?Sized>(&mut self, out: &mut W, first: bool) -> io::Result<()> {
        if !first {
            out.write_all(b",")?;
        }
        self.newline(out)
    }
}

impl serde_json::ser::Formatter for JsonFormatter {
    fn begin_array<W: io::Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"[")
    }

    fn end_array<W: io::Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"]")
    }

    fn begin_array_value<W: io::Write + ?Sized>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(out, first)
    }

    fn end_array_value<W: io::Write + ?Sized>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: io::Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        self.open(out, b"{")
    }

    fn end_object<W: io::Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        self.close(out, b"}")
    }

    fn begin_object_key<W: io::Write + ?Sized>(
        &mut self,
        out: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.item(out, first)
    }

    fn begin_object_value<W: io::Write + ?Sized>(&mut self, out: &mut W) -> io::Result<()> {
        out.write_all(b": ")
    }

    fn end_object_value<W: io::Write + ?Sized>(&mut self, _out: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn write_string_fragment<W: io::Write + ?Sized>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // A fragment is a run without characters JSON escapes, so a `##vso[` is never
        // split between two fragments.
        let mut rest = fragment;
        while let Some(at) = find_ignore_case(rest, LOGGING_COMMAND) {
            let bracket = at + LOGGING_COMMAND.len() - 1;
            out.write_all(&rest.as_bytes()[..bracket])?;
            out.write_all(b"\\u005b")?;
            rest = &rest[bracket + 1..];
        }
        out.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_shows_line_breaks_and_control_characters_escaped() {
        assert_eq!(text("plain: ok"), "plain: ok");
        assert_eq!(
            text("a\nb\rc\td\u{1b}[31me\u{7f}f\u{2028}g\u{202e}h"),
            "a\\nb\\rc\\td\\u{1b}[31me\\u{7f}f\\u{2028}g\\u{202e}h"
        );
    }

    #[test]
    fn text_breaks_every_logging_command_and_a_leading_formatting_command() {
        assert_eq!(
            text("echo ##vso[task.setvariable variable=X]1 ##VSO[task.complete]"),
            "echo ##vso\\u{5b}task.setvariable variable=X]1 ##VSO\\u{5b}task.complete]"
        );
        assert_eq!(text("line 2: ##[error]x"), "line 2: ##[error]x");
        assert_eq!(line_start("  ##[error]x"), "  ##\\u{5b}error]x");
        assert_eq!(line_start("a ##[error]x"), "a ##[error]x");
        assert!(!line_start("##[##vso[").contains("##vso["));
    }

    #[test]
    fn quote_cuts_long_values_and_escapes_them() {
        assert_eq!(quote("short", 40), "\"short\"");
        assert_eq!(
            quote(&"é".repeat(50), 40),
            format!("\"{}…\"", "é".repeat(40))
        );
        assert_eq!(quote("a\nb", 40), "\"a\\nb\"");
    }

    #[test]
    fn azure_values_use_the_agents_encoding() {
        assert_eq!(azure_property("a;b]c%d%3B"), "a%3Bb%5Dc%AZP25d%AZP253B");
        assert_eq!(azure_data("50% [x]; y"), "50%AZP25 [x]; y");
        let hostile = azure_property("x\n##vso[task.prependpath]/tmp");
        assert!(
            !hostile.contains("##vso[") && !hostile.contains('\n'),
            "{hostile}"
        );
    }

    #[test]
    fn github_values_use_the_runners_encoding() {
        assert_eq!(github_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(github_data("x%y"), "x%25y");
    }

    #[test]
    fn json_keeps_the_value_and_hides_the_logging_command() {
        let value = serde_json::json!({"a": ["x##vso[y", "\n##VSO["], "b": {}, "c": []});
        let mut out = Vec::new();
        JsonFormatter::write(&mut out, 0, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.to_ascii_lowercase().contains("##vso["), "{text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
        assert_eq!(
            text.replace("\\u005b", "["),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }
}
