//! `function-arity`: a function called with more or fewer arguments than it takes.

use crate::analysis::{Context, Docs, Finding, Rule, Severity};
use crate::expr::{Expression, functions};

pub static RULE: Rule = Rule {
    id: "function-arity",
    summary: "function called with the wrong number of arguments",
    explanation: "Each function of the expression language takes a set number of arguments \
(`eq` two, `not` one, `and` and `or` at least two, `always()` none), and the service refuses \
an expression that gives another number (\"Exceeded max expected parameters\" or too few). The \
finding says how many the function takes and shows its signature. Calls with a syntax error \
inside are left to `expression-syntax`, and unknown functions to `unknown-function`. The \
counts come from Microsoft's expressions page (`data/expression-functions.toml`).",
    default_severity: Severity::Error,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/expressions#functions",
    ),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    ctx.expression_rule(&RULE, out);
}

/// The calls of known functions with a countable, wrong number of arguments.
pub(crate) fn judge(expression: &Expression, out: &mut Vec<Finding>) {
    let table = functions();
    for call in expression.calls() {
        let Some(function) = table.get(call.name) else {
            continue;
        };
        let broken = !call.closed
            || expression
                .errors
                .iter()
                .any(|e| e.span.start < call.span.end && call.span.start < e.span.end);
        if broken || function.accepts(call.args) {
            continue;
        }
        let takes = function.arity();
        let noun = if takes == "1" || takes == "at least 1" {
            "argument"
        } else {
            "arguments"
        };
        out.push(Finding::new(
            &RULE,
            call.name_span.clone(),
            format!(
                "\"{}\" takes {takes} {noun}, not {}: {}",
                call.name, call.args, function.signature
            ),
        ));
    }
}
