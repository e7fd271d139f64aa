//! `unknown-input`: an input the task version doesn't have, under any name or alias.

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, step_related, suggest};
use crate::document::Edit;
use crate::knowledge::CatalogTask;

pub static RULE: Rule = Rule {
    id: "unknown-input",
    summary: "input that the task version does not have",
    explanation: "Azure Pipelines ignores inputs a task doesn't declare, so a misspelt input \
silently falls back to its default. Names are matched as Azure Pipelines does: by the input's \
name or any of its aliases, ignoring case. Keys that are template expressions are never flagged. \
When the name is a few edits away from an input the step doesn't set yet, the message suggests it \
and the quick fix renames the key (unsafe: the step starts using a value it ignored so far).",
    default_severity: Severity::Warning,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for c in ctx.catalog_steps() {
        let (step, task) = (c.step, c.task);
        for input in &step.inputs {
            if task.input(&input.name).is_some() {
                continue;
            }
            // A typo of an input the step already sets would be a duplicate, not a fix.
            let suggestion = nearest_spelling(task, &input.name)
                .filter(|(i, _)| !step.inputs.iter().any(|s| task.inputs[*i].accepts(&s.name)))
                .map(|(_, spelling)| spelling);
            let reference = format!("{}@{}", task.name, task.major);
            let message = match suggestion {
                Some(s) => format!(
                    "\"{}\" is not an input of \"{reference}\"; did you mean \"{s}\"?",
                    input.name
                ),
                None => format!(
                    "\"{}\" is not an input of \"{reference}\", which ignores it",
                    input.name
                ),
            };
            let mut finding = ctx.finding(&RULE, input.key.clone(), message);
            finding.related.push(step_related(step));
            finding.fix = suggestion.and_then(|s| rename(ctx, &input.key, &input.name, s));
            out.push(finding);
        }
    }
}

/// The input spelling nearest to a key, with the input's index.
fn nearest_spelling<'t>(task: &'t CatalogTask, key: &str) -> Option<(usize, &'t str)> {
    let spellings = task.inputs.iter().enumerate().flat_map(|(i, input)| {
        std::iter::once((i, input.name.as_str()))
            .chain(input.aliases.iter().map(move |a| (i, a.as_str())))
    });
    let best = suggest::nearest(key, spellings.clone().map(|(_, s)| s))?;
    spellings.clone().find(|(_, s)| std::ptr::eq(*s, best))
}

/// Renames a key, keeping its quotes; `None` when the key's text isn't the plain name
/// (escapes), since then the edit can't be exact.
fn rename(ctx: &Context, key: &crate::text::Span, name: &str, to: &str) -> Option<Fix> {
    let written = ctx.slice(key);
    let inner = written
        .strip_prefix(['"', '\''])
        .and_then(|w| w.strip_suffix(['"', '\'']))
        .unwrap_or(&written);
    if inner != name {
        return None;
    }
    let start = key.start + (written.len() - inner.len()) / 2;
    Some(Fix {
        title: format!("Rename to {to}"),
        edits: vec![Edit {
            span: start..start + inner.len(),
            text: to.to_string(),
        }],
        safe: false,
        note: Some(format!(
            "the step will start passing this value as \"{to}\""
        )),
    })
}
