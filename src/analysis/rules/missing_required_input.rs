//! `missing-required-input`: a required input without a default that the step doesn't set,
//! where the task would show it (its `visibleRule` holds for the step's values).

use crate::analysis::{Context, Docs, Finding, Rule, Severity, step_related};
use crate::knowledge::{CatalogInput, CatalogTask, RuleValue};
use crate::model::TaskStep;

pub static RULE: Rule = Rule {
    id: "missing-required-input",
    summary: "required task input that the step does not set",
    explanation: "The task version declares the input required and gives it no default, the \
step doesn't set it under its name or any alias, and the input applies to this step: either it \
is unconditional and the published YAML schema demands it too, or its visibility rule holds \
because of a value the step sets (`scriptLocation: inlineScript` makes AzureCLI@2 need \
`inlineScript`). A rule that holds only through defaults, only by exclusion \
(`command != restore`), or through a value known only at run time (a `$(variable)` or a \
template expression) says nothing, nor do steps whose inputs come from an expression or an \
`${{ each }}`: the rule would rather miss a problem than invent one. The finding is on `inputs:`, or \
on the task reference when the step has no inputs at all.",
    default_severity: Severity::Warning,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for c in ctx.catalog_steps() {
        let (step, task) = (c.step, c.task);
        if !step.inputs_readable {
            continue;
        }
        let missing = missing(step, task);
        if missing.is_empty() {
            continue;
        }
        let reference = format!("{}@{}", task.name, task.major);
        let list: Vec<String> = missing
            .iter()
            .map(|&i| {
                let input = &task.inputs[i];
                if input.label.is_empty() {
                    format!("\"{}\"", input.name)
                } else {
                    format!("\"{}\" ({})", input.name, input.label)
                }
            })
            .collect();
        let (noun, it) = if list.len() == 1 {
            ("input", "it")
        } else {
            ("inputs", "them")
        };
        let span = step
            .inputs_key
            .clone()
            .unwrap_or_else(|| super::reference_span(step));
        let mut finding = ctx.finding(
            &RULE,
            span,
            format!(
                "\"{reference}\" needs the required {noun} {}; set {it} under inputs",
                list.join(", ")
            ),
        );
        finding.related.push(step_related(step));
        out.push(finding);
    }
}

/// Indexes into `task.inputs` of what the step must set and doesn't.
///
/// `required` in a task definition is a form-editor notion, so it is trusted only where the
/// step itself makes the input apply: an unconditional input the YAML schema also demands,
/// or a conditional one whose rule holds because of a value the step chose
/// (`scriptLocation: inlineScript` selects AzureCLI@2's `inlineScript`). Rules that hold only
/// through defaults or only by exclusion (`command != restore`) say nothing.
pub fn missing(step: &TaskStep, task: &CatalogTask) -> Vec<usize> {
    if task.demanded().is_empty() {
        return Vec::new();
    }
    let set = |input: &CatalogInput| -> Option<RuleValue> {
        let given = step.inputs.iter().find(|s| input.accepts(&s.name))?;
        Some(match &given.value {
            Some(v) if (v.exact || v.quoted) && !crate::model::yaml::is_expression(&v.text) => {
                RuleValue::Known(v.text.clone())
            }
            // Expressions, block scalars, mappings, lists: not a value a rule can compare.
            _ => RuleValue::Unknown,
        })
    };
    let chosen = task.visibility_of(&set, false);
    task.demanded()
        .iter()
        .copied()
        .filter(|&i| {
            let input = &task.inputs[i];
            !step.inputs.iter().any(|s| input.accepts(&s.name))
                && match input.rule() {
                    None => !input.conditional,
                    // Holds, and because of a value the step chose.
                    Some(rule) => {
                        chosen.of(i) == Some(true)
                            && rule.is_some_and(|r| r.selects(&|name| chosen.value(name)))
                    }
                }
        })
        .collect()
}
