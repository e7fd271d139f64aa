//! `wif-unsupported-input`: an input (a service connection of some type) that does not
//! support workload identity federation, on a task whose other connection does.

use crate::analysis::{Context, Docs, Finding, Rule, Severity, step_related};
use crate::knowledge::Status;

pub static RULE: Rule = Rule {
    id: "wif-unsupported-input",
    summary: "task input whose service connection does not support workload identity federation",
    explanation: "Some tasks take more than one service connection and the table marks them one \
by one: for example Docker@1 supports workload identity federation through its Azure \
subscription input but not through a Docker registry service connection. The finding is on the \
input's key, and only when the step sets that input (by its name or any alias).",
    default_severity: Severity::Warning,
    docs: Docs::Troubleshoot("review-pipeline-tasks"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for listed in ctx.listed_steps() {
        let (step, entry) = (listed.step, listed.entry);
        let Status::PerInput { inputs } = &entry.status else {
            continue;
        };
        for input in &step.inputs {
            let Some(support) = inputs
                .iter()
                .find(|s| !s.supported && s.matches(&input.name))
            else {
                continue;
            };
            let kind = super::connection_label(support);
            let alternatives: Vec<String> = inputs
                .iter()
                .filter(|s| s.supported)
                .filter_map(|s| s.spellings.first().cloned())
                .collect();
            let advice = if alternatives.is_empty() {
                "keep a service connection that uses a secret for it".to_string()
            } else {
                format!(
                    "where the registry or cluster is in Azure, authenticate through \"{}\" (an Azure Resource Manager service connection) instead; otherwise keep a connection that uses a secret",
                    alternatives.join("\" or \"")
                )
            };
            let mut finding = ctx.finding(
                &RULE,
                input.key.clone(),
                format!(
                    "input \"{}\" of \"{}\" ({kind}) does not support workload identity federation; {advice}",
                    input.name,
                    step.value.text.trim()
                ),
            );
            finding.related.push(step_related(step));
            out.push(finding);
        }
    }
}
