//! `unknown-task-version`: a built-in task with a major version the catalog doesn't have.

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, step_related};
use crate::document::Edit;
use crate::knowledge::catalog;
use crate::model::TaskRef;

pub static RULE: Rule = Rule {
    id: "unknown-task-version",
    summary: "built-in task with a major version that does not exist",
    explanation: "The task exists in the catalog of built-in tasks but not in this major \
version, nor among the older versions the service still accepts (the YAML schema's list), so \
the run would stop before the job starts. The finding is on the version number, \
lists the versions that exist, and carries a fix to the nearest one (the newer on a tie). The \
fix is unsafe, because another version may take other inputs: `azpls check --fix` applies it \
only with --unsafe-fixes.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for step in ctx.uncatalogued_steps() {
        let TaskRef::Named {
            name,
            major: Some(major),
            version_span: Some(version_span),
            ..
        } = &step.reference
        else {
            continue;
        };
        if step.reference.is_marketplace() {
            continue;
        }
        let cat = catalog();
        if cat.exists(name, *major) {
            continue;
        }
        let majors = cat.all_majors(name);
        let Some(&nearest) = majors
            .iter()
            .min_by_key(|&&m| (m.abs_diff(*major), std::cmp::Reverse(m)))
        else {
            continue;
        };
        let list: Vec<String> = majors.iter().map(|m| m.to_string()).collect();
        let (what, versions) = if majors.len() == 1 {
            ("version", list[0].clone())
        } else {
            ("versions", list.join(", "))
        };
        let mut finding = ctx.finding(
            &RULE,
            version_span.clone(),
            format!(
                "\"{name}\" has no version {major}; the built-in task has {what} {versions}: use \"{name}@{nearest}\""
            ),
        );
        finding.related.push(step_related(step));
        finding.fix = Some(Fix {
            title: format!("Use {name}@{nearest}"),
            edits: vec![Edit {
                span: version_span.clone(),
                text: nearest.to_string(),
            }],
            safe: false,
            note: Some(format!("check the step's inputs against {name}@{nearest}")),
        });
        out.push(finding);
    }
}
