//! `unknown-task`: a task name that is one typo away from a built-in task.

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, step_related, suggest};
use crate::document::Edit;
use crate::knowledge::{self, catalog};
use crate::model::TaskRef;

pub static RULE: Rule = Rule {
    id: "unknown-task",
    summary: "task name that is not a built-in task but nearly matches one",
    explanation: "The name is not in the catalog of built-in tasks, and it is a few edits away \
from one, so it is most likely a typo: the run would stop with \"a task is missing\". Names \
that resemble no built-in task are left alone, because organisations install extension tasks \
that may be named without their publisher (SonarCloudPrepare, GitVersion). Marketplace names \
(publisher.extension.Task), task ids and template expressions are never flagged. The quick fix \
replaces the name with the suggestion; it is unsafe, so `azpls check --fix` applies it only with \
--unsafe-fixes.",
    default_severity: Severity::Warning,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for step in ctx.uncatalogued_steps() {
        let TaskRef::Named {
            name, name_span, ..
        } = &step.reference
        else {
            continue;
        };
        if step.reference.is_marketplace()
            || knowledge::is_task_id(name)
            || ctx.knowledge.lists_task(name)
            || catalog().knows(name)
        {
            continue;
        }
        let Some(suggestion) = suggest::nearest(name, catalog().names()) else {
            continue;
        };
        let mut finding = ctx.finding(
            &RULE,
            name_span.clone(),
            format!("unknown task \"{name}\"; did you mean \"{suggestion}\"?"),
        );
        finding.related.push(step_related(step));
        finding.fix = Some(Fix {
            title: format!("Change to {suggestion}"),
            edits: vec![Edit {
                span: name_span.clone(),
                text: suggestion.to_string(),
            }],
            safe: false,
            note: Some(format!("check that \"{suggestion}\" is the task you meant")),
        });
        out.push(finding);
    }
}
