//! `duplicate-name`: two stages, or two jobs of one stage, with the same name.

use crate::analysis::{Context, Docs, Finding, Related, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "duplicate-name",
    summary: "two stages, or two jobs of one stage, share a name",
    explanation: "Stage names are unique in a pipeline, and job and deployment names in their stage; the service rejects the pipeline otherwise (\"Stage Build must be unique\"). Names compare without regard to case. Items under `${{ if }}`/`${{ else }}` insertions may share a name (only one of them is inserted), and names built by expressions are not compared.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/stages-stage"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for scope in ctx.stages_and_jobs().scopes() {
        let what = scope.what();
        for (j, item) in scope.items.iter().enumerate() {
            let Some(id) = item
                .id
                .as_ref()
                .filter(|id| !crate::model::yaml::is_expression(&id.text))
            else {
                continue;
            };
            if scope.inserted[j] {
                continue;
            }
            let first = scope.items[..j]
                .iter()
                .zip(&scope.inserted)
                .find(|(other, inserted)| {
                    !**inserted
                        && other
                            .id
                            .as_ref()
                            .is_some_and(|o| o.text.eq_ignore_ascii_case(&id.text))
                });
            let Some((first, _)) = first else {
                continue;
            };
            let first_id = first.id.as_ref().expect("matched by id");
            let line = ctx.doc.rope().byte_to_line(first_id.span.start) + 1;
            let mut finding = ctx.finding(
                &RULE,
                id.span.clone(),
                format!(
                    "a {what} named \"{}\" already exists on line {line}; names must be unique",
                    id.text
                ),
            );
            finding.related.push(Related {
                span: first_id.span.clone(),
                label: format!("the first {what} named \"{}\"", first_id.text),
            });
            out.push(finding);
        }
    }
}
