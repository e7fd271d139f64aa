//! `expression-syntax`: an expression the service cannot read: an unclosed `${{`, `$[`,
//! parenthesis, bracket or string, a missing argument, an operator the language does not
//! have, a directive in the wrong place.

use crate::analysis::{Context, Docs, Finding, Rule, Severity};
use crate::expr::Expression;

pub static RULE: Rule = Rule {
    id: "expression-syntax",
    summary: "expression that Azure Pipelines cannot read",
    explanation: "Template expressions (`${{ }}`), runtime expressions (`$[ ]`) and `condition:` \
values are read by the service's expression parser, which refuses the whole pipeline (or, for a \
condition, fails the job when it gets there) on text it cannot read: an unclosed `${{` or `$[`, \
a `(` or `[` never closed or a `)` that closes nothing, a string whose closing quote is missing \
(a quote inside a string is written `''`), a missing argument (`eq(a, )`), operators of other \
languages (`==`, `&&`, `!`: the language has only functions, `eq(a, b)`, `and(a, b)`, `not(a)`), \
double-quoted strings, a directive (`if`, `each`, `insert`) outside a mapping key, `else` with \
a condition, or text after a `$[ ]` that makes the value plain text. Each expression gets one \
finding, on the first place that is wrong. Expressions are read in every value and key, in \
scripts (where the service expands `${{ }}` too) and in every `condition:`, except in comments, \
template parameters named `condition` and documents that are not pipelines.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/process/expressions"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    ctx.expression_rule(&RULE, out);
}

/// The first syntax error of an expression.
pub(crate) fn judge(expression: &Expression, out: &mut Vec<Finding>) {
    if let Some(error) = expression.errors.first() {
        out.push(Finding::new(
            &RULE,
            error.span.clone(),
            error.message.clone(),
        ));
    }
}
