//! `status-function-outside-condition`: `succeeded()`, `always()` and the other status
//! functions anywhere but in the bare expression of a `condition:`.

use crate::analysis::{Context, Docs, Finding, Rule, Severity};
use crate::expr::{Expression, Kind, functions};

pub static RULE: Rule = Rule {
    id: "status-function-outside-condition",
    summary: "status function (succeeded(), always() …) used outside a condition",
    explanation: "`always()`, `canceled()`, `failed()`, `succeeded()` and `succeededOrFailed()` \
ask how the run has gone so far, so they work only in a `condition:`, which the service \
evaluates when the step, job or stage is about to run. In a template expression (`${{ }}`, \
including one inside a condition and `${{ if }}` keys) they are unknown, because templates \
are expanded before anything runs (\"Unrecognized value: 'succeeded'\"); in a variable's \
`$[ ]` they are not available either. Write the status check in the condition itself, and \
combine it there with what the template knows: `condition: and(succeeded(), \
${{ parameters.runTests }})`.",
    default_severity: Severity::Error,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/expressions#job-status-functions",
    ),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    ctx.expression_rule(&RULE, out);
}

/// The status function calls of a template or runtime expression.
pub(crate) fn judge(expression: &Expression, out: &mut Vec<Finding>) {
    if expression.kind == Kind::Condition {
        return;
    }
    let table = functions();
    for call in expression.calls() {
        if !table.get(call.name).is_some_and(|f| f.is_status()) {
            continue;
        }
        let name = call.name;
        let message = match expression.kind {
            Kind::Runtime => format!(
                "\"{name}()\" is a status function, which works only in a \"condition:\", \
                 not in a \"$[ ]\" expression"
            ),
            _ => format!(
                "\"{name}()\" is a status function, unknown to template expressions (they \
                 are expanded before anything runs); use it in a \"condition:\", outside \
                 \"${{{{ }}}}\""
            ),
        };
        out.push(Finding::new(&RULE, call.name_span.clone(), message));
    }
}
