//! `invalid-name`: a stage, job or deployment name the service does not accept.

use crate::analysis::{Context, Docs, Finding, Rule, Severity};
use crate::model::yaml;

pub static RULE: Rule = Rule {
    id: "invalid-name",
    summary: "stage, job or deployment name with a `-` or a leading digit, which the service refuses",
    explanation: "Stage, job and deployment names are identifiers: ASCII letters, digits and `_`, not starting with a digit (`Build_2`, not `build-2` or `2build`), as the YAML reference says of job names. The service's JSON schema lets a `-` through, so editors that validate with it stay silent, and the run is refused when it is queued. Use `displayName` for the text people read. Names with other characters (spaces, dots) are `invalid-value`'s; names built by expressions or macros are not checked.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/jobs-job"),
};

/// Letters, digits and `_`, not starting with a digit.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let pipeline = ctx.stages_and_jobs();
    for item in pipeline.walk().filter(|i| i.kind.depends()) {
        let Some(id) = &item.id else { continue };
        if id.text.is_empty() || yaml::is_expression(&id.text) || is_identifier(&id.text) {
            continue;
        }
        // What the schema rejects too is `invalid-value`'s to report.
        if !id
            .text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            continue;
        }
        let word = item.kind.word();
        let why = if id.text.starts_with(|c: char| c.is_ascii_digit()) {
            "must not start with a digit".to_string()
        } else {
            let bad: String = id
                .text
                .chars()
                .filter(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
                .take(1)
                .collect();
            format!("may not hold \"{bad}\"")
        };
        out.push(ctx.finding(
            &RULE,
            id.span.clone(),
            format!(
                "{word} name \"{}\" {why}: use letters, digits and \"_\" (and displayName for the text people read)",
                id.text
            ),
        ));
    }
}
