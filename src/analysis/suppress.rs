//! Inline suppression: `# azpls: ignore[rule-id]` (or `ignore[a, b]`, or a bare `ignore`
//! for every rule) silences findings that start on the comment's line or on the line
//! below it. Suppressions that silence nothing can be reported, so stale ones don't pile
//! up.

use super::Finding;
use crate::text::{self, Span};
use ropey::Rope;

const MARKER: &str = "azpls: ignore";

/// One suppression comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// Zero-based line of the comment.
    pub line: usize,
    /// The `azpls: ignore[...]` text.
    pub span: Span,
    /// Rule ids; empty means every rule.
    pub rules: Vec<String>,
}

impl Suppression {
    fn covers(&self, finding_line: usize, rule: &str) -> bool {
        (finding_line == self.line || finding_line == self.line + 1)
            && (self.rules.is_empty() || self.rules.iter().any(|r| r == rule))
    }
}

/// Finds the suppression comments of a document. Only text after a `#` that starts a
/// comment counts (a `#` at the start of a line or after a space).
pub fn suppressions(rope: &Rope) -> Vec<Suppression> {
    let mut out = Vec::new();
    // Cheap test first, chunk by chunk without copying: most files have none.
    if !text::contains(rope, MARKER) {
        return out;
    }
    let text = rope.to_string();
    let mut offset = 0;
    for (line_no, line) in text::lines_inclusive(&text).enumerate() {
        if let Some(hash) = comment_start(line)
            && let Some(at) = line[hash..].find(MARKER)
        {
            let start = hash + at;
            let rest = &line[start + MARKER.len()..];
            let (rules, len) = match rest.strip_prefix('[') {
                Some(list) => match list.find(']') {
                    Some(close) => (
                        list[..close]
                            .split(',')
                            .map(|r| r.trim().to_string())
                            .filter(|r| !r.is_empty())
                            .collect(),
                        MARKER.len() + close + 2,
                    ),
                    None => (Vec::new(), MARKER.len()),
                },
                None => (Vec::new(), MARKER.len()),
            };
            out.push(Suppression {
                line: line_no,
                span: offset + start..offset + start + len,
                rules,
            });
        }
        offset += line.len();
    }
    out
}

/// Where a YAML comment starts in a line: a `#` at its start or after whitespace, outside
/// quotes (a best effort that is right for pipeline files).
fn comment_start(line: &str) -> Option<usize> {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && (prev == ' ' || prev == '\t' || i == 0) => return Some(i),
            None => {}
        }
        prev = c;
    }
    None
}

/// Removes suppressed findings; returns the suppressions that silenced nothing.
pub fn apply(
    rope: &Rope,
    findings: &mut Vec<Finding>,
    suppressions: &[Suppression],
) -> Vec<Suppression> {
    if suppressions.is_empty() {
        return Vec::new();
    }
    let mut used = vec![false; suppressions.len()];
    findings.retain(|f| {
        let line = rope.byte_to_line(f.span.start.min(rope.len_bytes()));
        match suppressions.iter().position(|s| s.covers(line, f.rule.id)) {
            Some(i) => {
                used[i] = true;
                false
            }
            None => true,
        }
    });
    suppressions
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(s, _)| s.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rule_lists_bare_ignores_and_skips_quoted_hashes() {
        let rope = Rope::from_str(
            "a: 1 # azpls: ignore[wif-unsupported-task, wif-deprecated-version]\n# azpls: ignore\nb: \"# azpls: ignore\"\nc: x#azpls: ignore\n",
        );
        let s = suppressions(&rope);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].line, 0);
        assert_eq!(
            s[0].rules,
            ["wif-unsupported-task", "wif-deprecated-version"]
        );
        assert_eq!(
            &rope.to_string()[s[0].span.clone()],
            "azpls: ignore[wif-unsupported-task, wif-deprecated-version]"
        );
        assert_eq!((s[1].line, s[1].rules.len()), (1, 0));
    }
}

#[cfg(test)]
mod apply_tests {
    use crate::analysis::{self, Config};
    use crate::document::Document;
    use crate::model;

    #[test]
    fn suppressions_silence_their_line_and_the_next_and_unused_ones_are_returned() {
        let text = "steps:\n# azpls: ignore[wif-deprecated-version]\n- task: AzureFileCopy@4\n- task: AzureNLBManagement@1 # azpls: ignore[wif-deprecated-version]\n- task: Bash@3 # azpls: ignore\n";
        let doc = Document::new(text, 0);
        let report = analysis::report(&doc, &model::build(&doc), &Config::default());
        // The steps set no inputs: leave the catalog's rules out of it.
        let ids: Vec<&str> = report
            .findings
            .iter()
            .map(|f| f.rule.id)
            .filter(|id| id.starts_with("wif-"))
            .collect();
        // The NLB step's comment names another rule, so its finding stays, and that
        // comment and the one on Bash@3 silenced nothing.
        assert_eq!(ids, ["wif-unsupported-task"]);
        let unused: Vec<usize> = report.unused_suppressions.iter().map(|s| s.line).collect();
        assert_eq!(unused, [3, 4]);
    }
}
