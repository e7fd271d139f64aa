//! `wif-planned-support`: a task version whose support the table only announced ("2024 Q2").

use crate::analysis::{Context, Docs, Finding, Rule, Severity, step_related};
use crate::knowledge::Status;

pub static RULE: Rule = Rule {
    id: "wif-planned-support",
    summary: "task version whose workload identity federation support was only planned",
    explanation: "The 2024-02-08 table lists some task versions with a planned date (\"2024 Q2\") \
instead of a status: as of that document they did not support workload identity federation yet. \
The finding says when support was planned and what newer tables say about the task.",
    default_severity: Severity::Warning,
    docs: Docs::Troubleshoot("review-pipeline-tasks"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let table = ctx.knowledge.table(ctx.config.table);
    for listed in ctx.listed_steps() {
        let (step, name, major, entry) = (listed.step, listed.name, listed.major, listed.entry);
        let Status::Planned { when } = &entry.status else {
            continue;
        };
        let mut message = format!(
            "\"{}\" does not support workload identity federation as of {}; support was planned for {when}",
            step.value.text.trim(),
            table.date
        );
        if let Some(later) = super::later_status(ctx, name, major) {
            message.push_str(&format!(" ({later})"));
        }
        let mut finding = ctx.finding(&RULE, super::reference_span(step), message);
        finding.related.push(step_related(step));
        out.push(finding);
    }
}
