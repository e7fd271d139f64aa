//! `wif-unsupported-task`: a task version that does not work with a workload identity
//! federation service connection at all.

use crate::analysis::{Context, Docs, Finding, Rule, Severity, step_related};
use crate::knowledge::Status;

pub static RULE: Rule = Rule {
    id: "wif-unsupported-task",
    summary: "task version that does not support workload identity federation",
    explanation: "The document's task table marks this task version as not supporting workload \
identity federation, and names no newer version to move to. A step using it fails once its \
Azure Resource Manager service connection is converted to workload identity federation: keep a \
secret- or certificate-based service connection for it, or do its work another way (for \
example with a script in an AzureCLI@2 or AzurePowerShell@5 step, which support it).",
    default_severity: Severity::Warning,
    docs: Docs::Troubleshoot("review-pipeline-tasks"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for listed in ctx.listed_steps() {
        let (step, entry) = (listed.step, listed.entry);
        if entry.status != Status::Unsupported {
            continue;
        }
        let mut finding = ctx.finding(
            &RULE,
            super::reference_span(step),
            format!(
                "\"{}\" does not support workload identity federation; keep a service connection \
                 that uses a secret or certificate for this step, or replace the task",
                step.value.text.trim()
            ),
        );
        finding.related.push(step_related(step));
        out.push(finding);
    }
}
