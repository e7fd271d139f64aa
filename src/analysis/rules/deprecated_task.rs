//! `deprecated-task`: a task version that the task catalog itself marks deprecated,
//! independently of the workload identity federation table.

use crate::analysis::{Context, Docs, Finding, Rule, Severity, step_related};
use crate::knowledge::{CatalogTask, Status, catalog};

pub static RULE: Rule = Rule {
    id: "deprecated-task",
    summary: "task version that the task catalog marks deprecated",
    explanation: "The task's own definition marks this version deprecated (its `deprecated` flag), \
whatever the service connection; the message quotes the task's own deprecation text when \
there is no successor to name. Where a newer version of \
the same task (or of the task that took over its id under a new name, as UseNode did from \
NodeTool) is not deprecated, the finding names the nearest one and carries the same fix as \
wif-deprecated-version, safe when the inputs carry over. When wif-deprecated-version already \
reports the step, this rule stays quiet rather than say it twice.",
    default_severity: Severity::Warning,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let wif_rule_on = !ctx
        .config
        .disabled
        .iter()
        .any(|id| id == super::deprecated_version::RULE.id);
    for c in ctx.catalog_steps() {
        let (step, task) = (c.step, c.task);
        if !task.deprecated {
            continue;
        }
        if wif_rule_on
            && c.entry
                .is_some_and(|e| matches!(e.status, Status::Deprecated { .. }))
        {
            continue;
        }
        let replacement = successor(task);
        let mut message = format!("\"{}\" is deprecated", step.value.text.trim());
        if let Some(next) = replacement {
            message.push_str(&format!("; use \"{}@{}\"", next.name, next.major));
        }
        // With a successor named, the task's own message adds nothing but length (the
        // hover shows it); without one, it is the only advice there is.
        if replacement.is_none()
            && let Some(why) = task
                .deprecation_message
                .as_deref()
                .filter(|m| !m.is_empty())
        {
            message.push_str(&format!(" (the task says: \"{}\")", why.trim()));
        }
        let mut finding = ctx.finding(&RULE, super::reference_span(step), message);
        finding.deprecated = true;
        finding.related.push(step_related(step));
        let written = step.reference.name().unwrap_or(&task.name);
        finding.fix = replacement.and_then(|next| {
            // Keep the step's spelling (or task id) when the task keeps its name.
            let name = if next.name.eq_ignore_ascii_case(&task.name) {
                written
            } else {
                &next.name
            };
            super::deprecated_version::fix(step, written, name, next.major)
        });
        out.push(finding);
    }
}

/// The version to move to: the nearest newer major of the same task that isn't deprecated,
/// else of a task that took over its id under another name (NodeTool@0 -> UseNode@1).
fn successor(task: &CatalogTask) -> Option<&'static CatalogTask> {
    catalog()
        .tasks()
        .iter()
        .filter(|t| !t.deprecated && t.major > task.major)
        .filter(|t| t.name.eq_ignore_ascii_case(&task.name) || t.id == task.id)
        .min_by_key(|t| (!t.name.eq_ignore_ascii_case(&task.name), t.major))
}
