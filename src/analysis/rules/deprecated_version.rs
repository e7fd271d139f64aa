//! `wif-deprecated-version`: a task version that the table replaces by a newer one for
//! workload identity federation, with a fix that rewrites only the version.

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, step_related};
use crate::document::Edit;
use crate::knowledge::{self, Status};
use crate::model::{TaskRef, TaskStep};

pub static RULE: Rule = Rule {
    id: "wif-deprecated-version",
    summary: "task version that needs a newer version to work with workload identity federation",
    explanation: "The document's task table says to use a newer major version of this task with \
workload identity federation service connections. The finding is on the version number and \
carries a fix that changes only that number (or the task name, where the replacement is another \
task). The fix is safe when every input the step sets exists in the new version and the new \
version needs no input the step lacks; otherwise it is offered as unsafe, with the inputs to \
rename, drop or add.",
    default_severity: Severity::Warning,
    docs: Docs::Troubleshoot("review-pipeline-tasks"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for listed in ctx.listed_steps() {
        let (step, name, entry) = (listed.step, listed.name, listed.entry);
        let Status::Deprecated {
            replacement,
            replacement_major,
            condition,
        } = &entry.status
        else {
            continue;
        };
        let target = format!("{replacement}@{replacement_major}");
        let condition = condition
            .as_deref()
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        // The diagnostic covers the `Name@N` token; the fix edits only the digits.
        let mut finding = ctx.finding(
            &RULE,
            super::reference_span(step),
            format!(
                "\"{}\" is deprecated for workload identity federation; use \"{target}\"{condition}",
                step.value.text.trim()
            ),
        );
        finding.deprecated = true;
        finding.related.push(step_related(step));
        finding.fix = fix(step, name, replacement, *replacement_major);
        out.push(finding);
    }
}

/// The fix: the version digits alone when the task stays the same, else name and version.
/// `None` when the reference has no plain version token to rewrite.
pub fn fix(step: &TaskStep, name: &str, replacement: &str, replacement_major: u32) -> Option<Fix> {
    let TaskRef::Named {
        name_span,
        version_span: Some(version_span),
        ..
    } = &step.reference
    else {
        return None;
    };
    let edit = if name.eq_ignore_ascii_case(replacement) {
        Edit {
            span: version_span.clone(),
            text: replacement_major.to_string(),
        }
    } else {
        Edit {
            span: name_span.start..version_span.end,
            text: format!("{replacement}@{replacement_major}"),
        }
    };
    let set: Vec<(String, Option<String>)> = step
        .inputs
        .iter()
        .map(|i| (i.name.clone(), i.value.as_ref().map(|v| v.text.clone())))
        .collect();
    let mut plan = cached_plan(
        (name.to_ascii_lowercase(), step_major(step)),
        (replacement.to_string(), replacement_major),
        set,
    );
    if !step.inputs_readable {
        // The inputs come from an expression: nothing can vouch for them.
        plan.safe = false;
        plan.unreadable_inputs = true;
    }
    let target = format!("{replacement}@{replacement_major}");
    Some(if plan.safe {
        Fix {
            title: format!("Use {target}"),
            edits: vec![edit],
            safe: true,
            note: None,
        }
    } else {
        let note = migration_note(&plan, &target);
        Fix {
            title: format!("Use {target} (unsafe: {note})"),
            edits: vec![edit],
            safe: false,
            note: Some(note),
        }
    })
}

fn step_major(step: &TaskStep) -> u32 {
    step.reference.versioned().map_or(0, |(_, major)| major)
}

/// Says what an unsafe migration leaves to do by hand.
pub fn migration_note(plan: &knowledge::MigrationPlan, target: &str) -> String {
    let mut parts = Vec::new();
    if plan.unreadable_inputs {
        parts.push(format!(
            "the step's inputs come from an expression, so check them against {target}"
        ));
    }
    if plan.unknown_catalog {
        parts.push(format!(
            "the task catalog lacks one of the versions, so inputs of {target} were not checked"
        ));
    }
    if !plan.rename.is_empty() {
        let list: Vec<String> = plan
            .rename
            .iter()
            .map(|(from, to)| format!("\"{from}\" to \"{to}\""))
            .collect();
        parts.push(format!("rename {}", list.join(", ")));
    }
    if !plan.retype.is_empty() {
        let list: Vec<String> = plan
            .retype
            .iter()
            .map(|(key, old, new)| {
                format!(
                    "\"{key}\" from a {} to a {} service connection",
                    old.trim_start_matches("connectedService:"),
                    new.trim_start_matches("connectedService:")
                )
            })
            .collect();
        parts.push(format!("change {}", list.join(", ")));
    }
    if !plan.drop.is_empty() {
        parts.push(format!("drop {}", quote_list(&plan.drop)));
    }
    if !plan.add.is_empty() {
        parts.push(format!("add {}", quote_list(&plan.add)));
    }
    if parts.is_empty() {
        parts.push(format!("review the inputs for {target}"));
    }
    parts.join("; ")
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

type PlanKey = ((String, u32), (String, u32), Vec<(String, Option<String>)>);

/// Plans are pure functions of the two versions and the step's inputs, and a file (or a
/// repository) repeats the same steps many times: keep them, per thread, up to a bound.
fn cached_plan(
    from: (String, u32),
    to: (String, u32),
    set: Vec<(String, Option<String>)>,
) -> knowledge::MigrationPlan {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static PLANS: RefCell<HashMap<PlanKey, knowledge::MigrationPlan>> = RefCell::new(HashMap::new());
    }
    let key = (from, to, set);
    if let Some(plan) = PLANS.with(|p| p.borrow().get(&key).cloned()) {
        return plan;
    }
    let plan = knowledge::plan_migration((&key.0.0, key.0.1), (&key.1.0, key.1.1), &key.2);
    PLANS.with(|p| {
        let mut plans = p.borrow_mut();
        if plans.len() >= 4096 {
            plans.clear();
        }
        plans.insert(key, plan.clone());
    });
    plan
}
