//! `invalid-input-value`: a value outside an input's closed pick list, or a boolean input set
//! to something that is not a boolean.

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, step_related, suggest};
use crate::document::Edit;
use crate::knowledge::{CatalogInput, CatalogTask};
use crate::model::Input;
use crate::model::yaml::{Scalar, is_expression};

pub static RULE: Rule = Rule {
    id: "invalid-input-value",
    summary: "task input value outside its pick list, or a boolean input that is not a boolean",
    explanation: "Pick-list inputs whose task doesn't accept other values (no `EditableOptions` in \
task.json) take one of their options, written as the option's key (`scriptType: bash`, not \
`Bash script`); the task reference lists the same values as \"Allowed values\", and the catalog \
takes both. A value a few edits away from an option gets a \"did you mean\" and a quick fix \
(unsafe: the step starts doing what the option says). A value that differs from an option only \
in case is a hint, since some tasks compare values ignoring case and some don't. Multi-select \
pick lists take options separated by commas. Boolean inputs: tasks read `true` in any case as \
true, PowerShell tasks also `1`, and everything else as false, so `yes`, `on` or `ture` silently \
turn the option off; `true`, `false`, `1` and `0` in any case are never flagged, nor is the \
input's own default. Values containing `${{ }}`, `$[ ]`, `$( )` or a generator's `{{ }}` \
placeholder, block scalars, and inputs that take free text or an editable pick list are not \
checked.",
    default_severity: Severity::Warning,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for c in ctx.catalog_steps() {
        let (step, task) = (c.step, c.task);
        for given in &step.inputs {
            let Some(value) = checkable(given) else {
                continue;
            };
            let Some(input) = task.input(&given.name) else {
                continue;
            };
            // What the task gets anyway when the step leaves the input out, even where the
            // definition's default is no option (IISWebAppDeployment@1 defaults to a label).
            if input
                .default
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(value.text.trim()))
            {
                continue;
            }
            let verdict = if input.is_boolean() {
                boolean(value)
            } else if input.closed_list() {
                option(input, value)
            } else {
                continue;
            };
            let Some(verdict) = verdict else {
                continue;
            };
            let mut finding = ctx.finding(
                &RULE,
                value.span.clone(),
                message(task, given, input, value, &verdict),
            );
            if verdict.case_only {
                finding.severity = finding.severity.min(Severity::Hint);
            }
            finding.related.push(step_related(step));
            finding.fix = verdict.to.map(|to| fix(value, to, verdict.safe));
            out.push(finding);
        }
    }
}

/// The value of an input when it is one the rule can judge: a scalar written exactly (so a fix
/// can replace it), not empty, with no expression or macro in it.
fn checkable(input: &Input) -> Option<&Scalar> {
    let value = input.value.as_ref()?;
    // `{{ }}` marks a placeholder of a generator's template (Handlebars, Jinja), not a value.
    let placeholder = value.text.contains("{{");
    (value.exact && !value.text.trim().is_empty() && !is_expression(&value.text) && !placeholder)
        .then_some(value)
}

/// What is wrong with a value, and what to write instead.
struct Verdict<'a> {
    /// The replacement, when one is clear.
    to: Option<&'a str>,
    /// The value equals `to` but for case.
    case_only: bool,
    /// Applying the fix doesn't change what the step does.
    safe: bool,
    /// A boolean input (otherwise a pick list).
    boolean: bool,
}

/// Values Azure Pipelines tasks read as booleans: the task library compares with `true`
/// ignoring case, the PowerShell SDK also takes `1`; everything else is false.
const BOOLEAN_WORDS: &[&str] = &["true", "false", "1", "0"];

/// Words people write for booleans, with the boolean they mean.
const MEANT: &[(&str, &str)] = &[
    ("yes", "true"),
    ("y", "true"),
    ("on", "true"),
    ("no", "false"),
    ("n", "false"),
    ("off", "false"),
];

fn boolean(value: &Scalar) -> Option<Verdict<'static>> {
    let text = value.text.trim();
    if BOOLEAN_WORDS.iter().any(|w| w.eq_ignore_ascii_case(text)) {
        return None;
    }
    let to = MEANT
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(text))
        .map(|(_, b)| *b)
        .or_else(|| suggest::nearest(text, ["true", "false"]));
    Some(Verdict {
        to,
        case_only: false,
        // The task reads the value as false now: writing `false` changes nothing.
        safe: to == Some("false"),
        boolean: true,
    })
}

fn option<'a>(input: &'a CatalogInput, value: &Scalar) -> Option<Verdict<'a>> {
    let text = value.text.trim();
    if input.options.iter().any(|o| o == text) {
        return None;
    }
    if text.contains(',') && all_options(input, text) {
        // Several options, as multi-select pick lists take them.
        return None;
    }
    if let Some(o) = input.options.iter().find(|o| o.eq_ignore_ascii_case(text)) {
        return Some(Verdict {
            to: Some(o),
            case_only: true,
            // Tasks that ignore case read both alike; the others need the option's case.
            safe: true,
            boolean: false,
        });
    }
    let to = suggest::nearest(text, input.options.iter().map(String::as_str));
    Some(Verdict {
        to,
        case_only: false,
        safe: false,
        boolean: false,
    })
}

/// Whether every comma-separated part of `text` is an option (ignoring case and spaces).
fn all_options(input: &CatalogInput, text: &str) -> bool {
    text.split(',')
        .map(str::trim)
        .all(|part| !part.is_empty() && input.options.iter().any(|o| o.eq_ignore_ascii_case(part)))
}

fn message(
    task: &CatalogTask,
    given: &Input,
    input: &CatalogInput,
    value: &Scalar,
    verdict: &Verdict,
) -> String {
    let text = value.text.trim();
    let reference = format!("{}@{}", task.name, task.major);
    let key = &given.name;
    if verdict.boolean {
        let tail = match verdict.to {
            Some(to) => format!("did you mean \"{to}\"?"),
            None => "use true or false".to_string(),
        };
        return format!(
            "\"{text}\" is not a boolean, so \"{reference}\" reads \"{key}\" as false; {tail}"
        );
    }
    match verdict.to {
        Some(to) if verdict.case_only => format!(
            "\"{text}\" differs only in case from \"{to}\", the option of \"{key}\" of \
\"{reference}\"; some tasks compare values exactly: write \"{to}\""
        ),
        Some(to) => format!(
            "\"{text}\" is not an option of \"{key}\" of \"{reference}\"; did you mean \"{to}\"?"
        ),
        None => format!(
            "\"{text}\" is not an option of \"{key}\" of \"{reference}\"; use {}",
            choices(input)
        ),
    }
}

/// The options in words: all of them when there are few, else where to find them.
fn choices(input: &CatalogInput) -> String {
    let options: Vec<&str> = input
        .options
        .iter()
        .map(String::as_str)
        .filter(|o| !o.trim().is_empty())
        .collect();
    if options.len() > 8 {
        return format!(
            "one of its {} options (see the task reference)",
            options.len()
        );
    }
    let quoted: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
    match quoted.as_slice() {
        [] => "another value".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Replaces the value's text, quoting a plain scalar when the new text needs it.
fn fix(value: &Scalar, to: &str, safe: bool) -> Fix {
    let plain_is_risky = to.contains(": ")
        || to.contains(" #")
        || to.starts_with(|c: char| "!&*{}[],#|>@%'\"`-?:".contains(c) || c.is_whitespace());
    let text = if !value.quoted && plain_is_risky {
        format!("'{}'", to.replace('\'', "''"))
    } else {
        to.to_string()
    };
    Fix {
        title: format!("Change to {to}"),
        edits: vec![Edit {
            span: value.span.clone(),
            text,
        }],
        safe,
        note: (!safe).then(|| format!("the step will run with \"{to}\"")),
    }
}
