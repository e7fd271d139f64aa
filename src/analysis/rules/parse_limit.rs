//! `parse-limit`: a file beyond what the YAML grammar's scanner can read safely, which
//! azpls therefore does not parse or analyse (see `syntax::limits`).

use crate::analysis::{Context, Docs, Finding, Rule, Severity};
use crate::syntax::Refusal;
use crate::syntax::limits::COLUMN_LIMIT;

pub static RULE: Rule = Rule {
    id: "parse-limit",
    summary: "file nested too deeply, too wide or too flow-heavy for the YAML parser; not analysed",
    explanation: "The YAML parser azpls uses keeps its block nesting in a fixed-size state and \
counts columns in 16 bits: a file that could nest more than a couple of hundred levels, or that \
has structure (a `- `, `: ` or `? ` indicator, a `|` or `>` block header, or indentation) past \
column 32,767, would crash it; and it takes about 1.4 KB per item of a flow collection \
(`[a, b]`, `{a: b}`), so a text with more than 100,000 pieces of flow punctuation would take \
gigabytes. Such a file is not parsed at all, so nothing else is reported for \
it; this finding marks where the nesting is deepest, the structure widest, or the flow \
punctuation densest. Real pipelines stay \
far below both limits: reduce the nesting (templates help), break the line, or write long lists as block \
sequences.",
    default_severity: Severity::Warning,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/"),
};

// The messages spell out the limits; a test keeps them in step with the constants.
pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(refusal) = ctx.doc.refusal() else {
        return;
    };
    let message = match refusal {
        Refusal::TooDeep { .. } => "the nesting here is too deep for the YAML parser azpls \
            uses, so azpls does not analyse this file; reduce the nesting or move parts into \
            templates"
            .to_string(),
        Refusal::TooMuchFlow { .. } => "this file holds more flow-style punctuation (`[`, `{`, \
            `,`) than azpls parses (100,000 pieces; this line has the most), so azpls does not \
            analyse it; write long lists as block sequences"
            .to_string(),
        Refusal::TooWide { .. } => format!(
            "structure past column {COLUMN_LIMIT} is beyond what the YAML parser can read, so \
             azpls does not analyse this file; break this line"
        ),
    };
    out.push(ctx.finding(&RULE, refusal.span().clone(), message));
}

#[cfg(test)]
mod tests {
    use crate::syntax::limits::FLOW_LIMIT;

    #[test]
    fn the_message_names_the_flow_limit_in_force() {
        assert_eq!(FLOW_LIMIT, 100_000, "update the parse-limit message");
    }
}
