//! `unknown-function`: a call of a function the expression language does not have.

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, suggest};
use crate::document::Edit;
use crate::expr::{Expression, functions};

pub static RULE: Rule = Rule {
    id: "unknown-function",
    summary: "call of a function that expressions do not have",
    explanation: "Expressions have a fixed set of functions (`eq`, `and`, `format`, `contains`, \
`succeeded` …; `azpls` completes them inside an expression), compared ignoring case. Any other \
name stops the pipeline with \"Unrecognized function\" when the expression is read. When the \
name is a typo of a function, or another CI system's name for one (`success()` for \
`succeeded()`, `cancelled()` for `canceled()`, `toJSON()` for `convertToJson()`), the finding \
says which, and the fix writes it: it is safe, since the expression cannot work as written.",
    default_severity: Severity::Error,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/expressions#functions",
    ),
};

/// Names other CI systems give to functions this language has under another name.
const ELSEWHERE: &[(&str, &str)] = &[
    ("success", "succeeded"),
    ("failure", "failed"),
    ("cancelled", "canceled"),
    ("tojson", "convertToJson"),
];

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    ctx.expression_rule(&RULE, out);
}

/// The calls of functions the language does not have.
pub(crate) fn judge(expression: &Expression, out: &mut Vec<Finding>) {
    let table = functions();
    for call in expression.calls() {
        if table.get(call.name).is_some() {
            continue;
        }
        let lower = call.name.to_ascii_lowercase();
        let suggestion = ELSEWHERE
            .iter()
            .find(|(other, _)| *other == lower)
            .map(|(_, ours)| *ours)
            .or_else(|| suggest::nearest(call.name, table.names()));
        let name = call.name;
        let Some(suggestion) = suggestion else {
            out.push(Finding::new(
                &RULE,
                call.name_span.clone(),
                format!(
                    "unknown function \"{name}\"; expressions have only the built-in \
                     functions (eq, and, or, not, contains, format, coalesce …)"
                ),
            ));
            continue;
        };
        let mut finding = Finding::new(
            &RULE,
            call.name_span.clone(),
            format!("unknown function \"{name}\"; did you mean \"{suggestion}\"?"),
        );
        finding.fix = Some(Fix {
            title: format!("Change to {suggestion}"),
            edits: vec![Edit {
                span: call.name_span.clone(),
                text: suggestion.to_string(),
            }],
            safe: true,
            note: None,
        });
        out.push(finding);
    }
}
