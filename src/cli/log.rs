//! Reading an Azure Pipelines log as `azpls explain -` needs it: line by line in bounded
//! memory (a line longer than [`MAX_LINE`] is cut, invalid UTF-8 is replaced), without the
//! timestamp that logs downloaded from the web UI put before every line, and with the step
//! each line belongs to. The agent starts a step with `##[section]Starting: <display name>`
//! and, for a task, prints a header between two rules of `=`: `Task : <friendly name>`,
//! `Version : <major.minor.patch>`, …; [`Steps`] follows that and [`task_of`] maps the
//! friendly name and major version to the catalog's task.

use crate::knowledge::{Catalog, CatalogTask};
use std::io::{self, BufRead};

/// The longest line kept, in bytes; the rest of a longer line is skipped unread.
pub const MAX_LINE: usize = 64 * 1024;

/// Reads the next line into `buf` (without its line end, at most [`MAX_LINE`] bytes). Returns
/// `false` at the end of the input.
pub fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<bool> {
    buf.clear();
    let mut any = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any);
        }
        any = true;
        let (take, end) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..take.min(room)]);
        input.consume(take + usize::from(end));
        if end {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(true);
        }
    }
}

/// The line without the timestamp the web UI's download puts first
/// (`2024-05-01T10:11:12.1234567Z `).
pub fn strip_timestamp(line: &str) -> &str {
    let b = line.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    if !shape {
        return line;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    match (b.get(i), b.get(i + 1)) {
        (Some(b'Z'), Some(b' ')) => &line[i + 2..],
        (Some(b'Z'), None) => "",
        _ => line,
    }
}

/// A step of the log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// Its display name, from `##[section]Starting: …`.
    pub name: String,
    /// 1-based line of that section.
    pub line: usize,
    /// The task header's `Task` (friendly name) and `Version`, when it has one.
    pub task: Option<String>,
    pub version: Option<String>,
}

impl Step {
    /// The major of the header's version (`5` of `5.235.0`).
    pub fn major(&self) -> Option<u32> {
        self.version
            .as_deref()?
            .split('.')
            .next()?
            .trim()
            .parse()
            .ok()
    }
}

/// Where a step's task header is, while reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Header {
    /// Lines since `Starting`: the header's first rule comes at once, if at all.
    Expected(u8),
    Inside,
    Done,
}

/// The step the lines being read belong to.
#[derive(Debug)]
pub struct Steps {
    current: Option<Step>,
    header: Header,
}

impl Default for Steps {
    fn default() -> Self {
        Steps {
            current: None,
            header: Header::Done,
        }
    }
}

impl Steps {
    /// Reads one line (timestamp already removed), `number` 1-based.
    pub fn read(&mut self, line: &str, number: usize) {
        let text = line.trim();
        if let Some(name) = text.strip_prefix("##[section]Starting:") {
            self.current = Some(Step {
                name: name.trim().to_string(),
                line: number,
                ..Step::default()
            });
            self.header = Header::Expected(0);
            return;
        }
        if text.starts_with("##[section]Finishing:") {
            self.current = None;
            self.header = Header::Done;
            return;
        }
        let rule = text.len() >= 20 && text.bytes().all(|b| b == b'=');
        self.header = match (self.header, rule) {
            (Header::Expected(_), true) => Header::Inside,
            (Header::Expected(n), false) if n < 2 => Header::Expected(n + 1),
            (Header::Expected(_), false) => Header::Done,
            (Header::Inside, true) => Header::Done,
            (Header::Inside, false) => {
                if let (Some(step), Some((key, value))) =
                    (self.current.as_mut(), text.split_once(':'))
                {
                    match key.trim() {
                        "Task" => step.task = Some(value.trim().to_string()),
                        "Version" => step.version = Some(value.trim().to_string()),
                        _ => {}
                    }
                }
                Header::Inside
            }
            (Header::Done, _) => Header::Done,
        };
    }

    pub fn current(&self) -> Option<&Step> {
        self.current.as_ref()
    }
}

/// A friendly name as compared: lower case, without a "[Deprecated]" or "(Deprecated)" mark
/// (which a task gains in later versions), spaces collapsed.
fn normalise(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let bare = lower
        .replace("[deprecated]", " ")
        .replace("(deprecated)", " ");
    bare.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The built-in tasks whose friendly name and major a step's header shows (usually one; the
/// task repository's versions before the retired ones).
pub fn task_of<'c>(catalog: &'c Catalog, step: &Step) -> Vec<&'c CatalogTask> {
    let (Some(name), Some(major)) = (step.task.as_deref(), step.major()) else {
        return Vec::new();
    };
    let name = normalise(name);
    let found: Vec<&CatalogTask> = catalog
        .tasks()
        .iter()
        .chain(catalog.retired())
        .filter(|t| t.major == major && normalise(&t.friendly_name) == name)
        .collect();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::knowledge::catalog;

    #[test]
    fn lines_are_read_without_line_ends_and_cut_when_too_long() {
        let long = "x".repeat(MAX_LINE + 10);
        let text = format!("a\r\nb\n{long}\nc");
        let mut input = text.as_bytes();
        let mut buf = Vec::new();
        let mut lines = Vec::new();
        while read_line(&mut input, &mut buf).unwrap() {
            lines.push(buf.len());
        }
        assert_eq!(lines, [1, 1, MAX_LINE, 1]);
    }

    #[test]
    fn timestamps_of_downloaded_logs_are_removed() {
        assert_eq!(
            strip_timestamp("2024-05-01T10:11:12.1234567Z ##[error]x"),
            "##[error]x"
        );
        assert_eq!(strip_timestamp("2024-05-01T10:11:12Z text"), "text");
        assert_eq!(strip_timestamp("2024-05-01T10:11:12.1234567Z"), "");
        assert_eq!(
            strip_timestamp("2024-05-01 10:11:12 text"),
            "2024-05-01 10:11:12 text"
        );
        assert_eq!(
            strip_timestamp("##[section]Starting: x"),
            "##[section]Starting: x"
        );
        assert_eq!(strip_timestamp("é"), "é");
    }

    #[test]
    fn steps_take_the_task_header_that_follows_their_start() {
        let log = "##[section]Starting: Upload site\n\
                   ==============================================================================\n\
                   Task         : Azure file copy\n\
                   Description  : Copy files: to storage\n\
                   Version      : 5.235.0\n\
                   ==============================================================================\n\
                   Task         : not a header line\n";
        let mut steps = Steps::default();
        for (i, line) in log.lines().enumerate() {
            steps.read(line, i + 1);
        }
        let step = steps.current().unwrap();
        assert_eq!(
            (
                step.name.as_str(),
                step.line,
                step.task.as_deref(),
                step.major()
            ),
            ("Upload site", 1, Some("Azure file copy"), Some(5))
        );
        let found = task_of(catalog(), step);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].name.as_str(), found[0].major),
            ("AzureFileCopy", 5)
        );
        steps.read("##[section]Finishing: Upload site", 8);
        assert!(steps.current().is_none());
    }

    #[test]
    fn a_script_step_has_no_header_and_a_deprecated_mark_is_ignored() {
        let mut steps = Steps::default();
        for (i, line) in [
            "##[section]Starting: Build",
            "Generating script.",
            "",
            "==========================",
        ]
        .iter()
        .enumerate()
        {
            steps.read(line, i + 1);
        }
        assert_eq!(
            steps.current().unwrap().task,
            None,
            "a rule far from the start is output"
        );
        let step = Step {
            task: Some("Azure CLI".into()),
            version: Some("1.275.0".into()),
            ..Step::default()
        };
        let found = task_of(catalog(), &step);
        assert_eq!((found[0].name.as_str(), found[0].major), ("AzureCLI", 1));
    }
}
