//! Hovers: on a task reference, what the task catalog says (description, versions, inputs,
//! a link to the task reference) and its workload identity federation status in plain
//! words, what to do, per-input details, the row's notes and links, and how the tables
//! disagree; on an input key, the input as the catalog describes it and its workload
//! identity federation status; on a container resource's `azureSubscription`, the history
//! of that limitation; elsewhere, functions and predefined variables (`ide::expressions`).

use crate::analysis::Config;
use crate::analysis::rules::{self, status_phrase};
use crate::document::Document;
use crate::knowledge::{
    self, CatalogInput, CatalogTask, CompareOp, InputSupport, Knowledge, Status, TableId,
    TaskEntry, VisibleRule,
};
use crate::model::{self, Model, TaskRef, TaskStep};
use crate::text::Span;
use std::fmt::Write;

/// Markdown for a span of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub span: Span,
    pub markdown: String,
}

/// The hover at a byte offset, if there is something to say there.
///
/// The step under the cursor is found on its own (`model::step_at`, a query limited to
/// the enclosing item), so a hover costs the same in a 50,000-line file as in a small
/// one; `model` serves the container resources.
pub fn hover(doc: &Document, model: &Model, config: &Config, offset: usize) -> Option<Hover> {
    let kb = knowledge::knowledge();
    let within = |span: &Span| span.start <= offset && offset <= span.end;
    // Steps read around syntax errors are not in the tree: look them up in the model.
    let step = model::step_at(doc, offset).or_else(|| {
        let i = model.steps.partition_point(|s| s.span.start <= offset);
        model.steps[..i]
            .iter()
            .rev()
            .find(|s| within(&s.span))
            .cloned()
    });
    if let Some(step) = step {
        if within(&step.key) || within(&step.value.span) {
            // A task written as an expression has no task to describe; its functions do.
            return task_hover(kb, config, &step)
                .or_else(|| super::expressions::hover(doc, offset));
        }
        if let Some(input) = step.inputs.iter().find(|i| within(&i.key)) {
            return input_hover(kb, config, &step, &input.name, input.key.clone());
        }
    }
    for container in &model.containers {
        if let Some((key, _)) = &container.azure_subscription
            && within(key)
        {
            return Some(Hover {
                span: key.clone(),
                markdown: container_history(kb),
            });
        }
    }
    super::expressions::hover(doc, offset)
}

fn task_hover(kb: &Knowledge, config: &Config, step: &TaskStep) -> Option<Hover> {
    let span = rules::reference_span(step);
    let TaskRef::Named { name, major, .. } = &step.reference else {
        return None;
    };
    let mut md = String::new();
    let catalog = knowledge::catalog();
    let task = major.and_then(|m| catalog.task(name, m));
    let title = match major {
        Some(m) => format!("{name}@{m}"),
        None => name.clone(),
    };
    match task {
        Some(task) => task_heading(&mut md, &title, task),
        None => {
            let _ = writeln!(md, "**{title}**\n");
        }
    }
    let majors = catalog.majors(name);
    versions(&mut md, name, *major, &majors, task);

    let table = kb.table(config.table);
    let entry = major.and_then(|m| kb.lookup(config.table, name, m));
    match (entry, major) {
        (Some(entry), Some(major)) => {
            describe_entry(&mut md, kb, config, entry, step, *major);
        }
        _ => describe_unlisted(&mut md, kb, config, step, task, !majors.is_empty()),
    }
    let _ = writeln!(
        md,
        "\n[Troubleshoot workload identity service connections ({})]({})",
        table.date, table.tasks_url
    );
    if let Some(task) = task {
        inputs_table(&mut md, task);
    }
    Some(Hover { span, markdown: md })
}

/// The versions the catalog has, newest first, the deprecated ones marked, and the link
/// to this version's reference page.
fn versions(
    md: &mut String,
    name: &str,
    major: Option<u32>,
    majors: &[u32],
    task: Option<&CatalogTask>,
) {
    if majors.is_empty() {
        return;
    }
    if let (Some(m), None) = (major, task) {
        let _ = writeln!(md, "The task catalog has no version {m} of {name}.\n");
    }
    let catalog = knowledge::catalog();
    let list: Vec<String> = majors
        .iter()
        .rev()
        .map(|&m| {
            let deprecated = catalog.task(name, m).is_some_and(|t| t.deprecated);
            match (Some(m) == major, deprecated) {
                (true, true) => format!("**{m}** (deprecated)"),
                (true, false) => format!("**{m}**"),
                (false, true) => format!("{m} (deprecated)"),
                (false, false) => m.to_string(),
            }
        })
        .collect();
    let _ = write!(md, "**Versions:** {}", list.join(", "));
    if let Some(url) = task.and_then(CatalogTask::reference_url) {
        let _ = write!(md, " · [task reference]({url})");
    }
    md.push_str("\n\n");
}

/// Every input of a task version in a table: key, label, type, required, default.
fn inputs_table(md: &mut String, task: &CatalogTask) {
    if task.inputs.is_empty() {
        return;
    }
    let _ = writeln!(
        md,
        "\n**Inputs**\n\n| input | label | type | required | default |\n|---|---|---|---|---|"
    );
    for input in &task.inputs {
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {} | {} |",
            input.yaml_key(),
            cell(&input.label),
            cell(&input.kind),
            if input.required { "yes" } else { "no" },
            input
                .default
                .as_deref()
                .map(|d| format!("`{}`", cell(d)))
                .unwrap_or_default()
        );
    }
}

fn describe_entry(
    md: &mut String,
    kb: &Knowledge,
    config: &Config,
    entry: &TaskEntry,
    step: &TaskStep,
    major: u32,
) {
    let table = kb.table(config.table);
    let _ = writeln!(
        md,
        "**Workload identity federation:** {} (table of {}, cell: `{}`)\n",
        status_phrase(&entry.status),
        table.date,
        entry.raw
    );
    let todo = match &entry.status {
        Status::Supported => "Nothing: this version works with a workload identity federation service connection.".to_string(),
        Status::Unsupported => "Keep a service connection that uses a secret or certificate for this step, or replace the task (a script in AzureCLI@2 or AzurePowerShell@5 can do most of what such tasks do).".to_string(),
        Status::Deprecated { replacement, replacement_major, .. } => {
            let fix = rules::deprecated_version::fix(step, name_of(step), replacement, *replacement_major);
            match fix {
                Some(fix) if fix.safe => format!("Change the version to `{replacement}@{replacement_major}`: the quick fix does it, and it is safe (every input this step sets exists in the new version)."),
                Some(fix) => format!("Change the version to `{replacement}@{replacement_major}` and adjust the inputs: {}.", fix.note.unwrap_or_default()),
                None => format!("Move to `{replacement}@{replacement_major}`."),
            }
        }
        Status::PerInput { .. } => "Authenticate through the inputs marked supported below; inputs marked not supported need a service connection that uses a secret.".to_string(),
        Status::Planned { when } => format!("As of {} support was planned for {when}; check a newer table (`wif.table`).", table.date),
    };
    let _ = writeln!(md, "**What to do:** {todo}\n");
    if let Status::PerInput { inputs } = &entry.status {
        let _ = writeln!(
            md,
            "| input | connection | workload identity federation | set here |\n|---|---|---|---|"
        );
        for input in inputs {
            let set = step.inputs.iter().any(|i| input.matches(&i.name));
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                input_names(input),
                rules::connection_label(input),
                if input.supported {
                    "supported"
                } else {
                    "not supported"
                },
                if set { "yes" } else { "no" }
            );
        }
        md.push('\n');
    }
    for link in &entry.links {
        let _ = writeln!(md, "Note: [{}]({})\n", link.text, link.url);
    }
    history(md, kb, config, &entry.name, major);
}

/// One line per table, when the tables disagree about this version.
fn history(md: &mut String, kb: &Knowledge, config: &Config, name: &str, major: u32) {
    let statuses: Vec<(String, Option<&Status>)> = kb
        .tables()
        .iter()
        .map(|t| {
            (
                t.date.clone(),
                kb.lookup(t.id, name, major).map(|e| &e.status),
            )
        })
        .collect();
    if statuses.windows(2).all(|w| w[0].1 == w[1].1) {
        return;
    }
    // One sentence first ("not supported as of 2024-02-08; supported since 2025-03-12"),
    // then every table.
    let mut changes = Vec::new();
    for (i, (date, status)) in statuses.iter().enumerate() {
        if i == 0 || statuses[i - 1].1 != *status {
            let text = status
                .map(status_phrase)
                .unwrap_or_else(|| "not listed".to_string());
            changes.push(if i == 0 {
                format!("{text} as of {date}")
            } else {
                format!("{text} since {date}")
            });
        }
    }
    let _ = writeln!(
        md,
        "**History:** {}
",
        changes.join("; ")
    );
    for (date, status) in &statuses {
        let chosen = if *date == kb.table(config.table).date {
            " (applied)"
        } else {
            ""
        };
        let text = status
            .map(status_phrase)
            .unwrap_or_else(|| "not listed".to_string());
        let _ = writeln!(md, "- {date}{chosen}: {text}");
    }
    md.push('\n');
}

fn describe_unlisted(
    md: &mut String,
    kb: &Knowledge,
    config: &Config,
    step: &TaskStep,
    task: Option<&CatalogTask>,
    known_name: bool,
) {
    let table = kb.table(config.table);
    let text = if step.reference.is_marketplace() {
        // Every version's word on Marketplace tasks, the applied one first: the preview
        // history matters to people whose extensions were written then.
        let mut text = format!(
            "This is a Marketplace task, which the table does not cover. {} ({})",
            table.marketplace, table.date
        );
        for other in kb
            .tables()
            .iter()
            .filter(|t| t.id != table.id && t.marketplace != table.marketplace)
        {
            text.push_str(&format!(" {} ({})", other.marketplace, other.date));
        }
        text
    } else if let Some(task) = task {
        let has_arm = task
            .inputs
            .iter()
            .any(|i| i.kind == "connectedService:AzureRM");
        if has_arm {
            format!(
                "Not listed in the table of {}. {}",
                table.date, table.unlisted_builtin
            )
        } else {
            "This task takes no Azure Resource Manager service connection, so workload identity federation does not concern it.".to_string()
        }
    } else if known_name {
        format!("Not listed in the table of {}.", table.date)
    } else {
        format!(
            "Not listed in the table of {}, and not a built-in task azpls knows.",
            table.date
        )
    };
    let _ = writeln!(md, "**Workload identity federation:** {text}");
}

fn input_names(input: &InputSupport) -> String {
    if input.spellings.is_empty() {
        return input.table_name.clone().unwrap_or_default();
    }
    input
        .spellings
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(" / ")
}

fn input_hover(
    kb: &Knowledge,
    config: &Config,
    step: &TaskStep,
    key: &str,
    span: Span,
) -> Option<Hover> {
    let (name, major) = step.reference.versioned()?;
    let mut md = String::new();
    let task = knowledge::catalog().task(name, major);
    let input = task.and_then(|t| t.input(key));
    match (task, input) {
        (Some(task), Some(input)) => {
            md.push_str(&input_markdown(input, key));
            let _ = writeln!(md, "\nAn input of {name}@{major} ({}).", task.friendly_name);
        }
        (Some(_), None) => {
            let _ = writeln!(
                md,
                "**`{key}`** is not an input of {name}@{major} in the task catalog."
            );
        }
        _ => {}
    }
    let wif = per_table_input_status(kb, config, name, major, key);
    match (wif, input) {
        (Some(lines), _) => {
            let _ = write!(
                md,
                "\n**`{key}`** of {name}@{major} — workload identity federation\n\n{lines}"
            );
        }
        (None, Some(input)) => {
            if let Some(line) = connection_wif(kb, config.table, name, major, input) {
                let _ = writeln!(md, "\n{line}");
            }
        }
        (None, None) => {}
    }
    (!md.is_empty()).then_some(Hover { span, markdown: md })
}

/// One line per table for an input that a per-input row names; `None` when no table does.
fn per_table_input_status(
    kb: &Knowledge,
    config: &Config,
    name: &str,
    major: u32,
    key: &str,
) -> Option<String> {
    let mut md = String::new();
    let mut any = false;
    for table in kb.tables() {
        let Some(entry) = kb.lookup(table.id, name, major) else {
            continue;
        };
        let applied = if table.id == config.table {
            " (applied)"
        } else {
            ""
        };
        let line = match &entry.status {
            Status::PerInput { inputs } => match inputs.iter().find(|i| i.matches(key)) {
                Some(i) => {
                    any = true;
                    format!(
                        "{} for this input ({})",
                        if i.supported {
                            "supported"
                        } else {
                            "not supported"
                        },
                        rules::connection_label(i)
                    )
                }
                None => format!(
                    "not listed for this input; the task: {}",
                    status_phrase(&entry.status)
                ),
            },
            other => format!("the whole task: {}", status_phrase(other)),
        };
        let _ = writeln!(md, "- {}{applied}: {line}", table.date);
    }
    any.then_some(md)
}

fn container_history(kb: &Knowledge) -> String {
    let mut md = String::from(
        "**`azureSubscription` on a container resource** — workload identity federation\n\n",
    );
    for table in kb.tables() {
        let text = if table.container_resource_acr_unsupported {
            "container resources pulled from Azure Container Registry do not support a workload identity federation connection given here"
        } else {
            "no longer listed as a limitation"
        };
        let _ = writeln!(md, "- {}: {text}", table.date);
    }
    md
}

fn name_of(step: &TaskStep) -> &str {
    step.reference.name().unwrap_or_default()
}

/// What a catalog input is, in markdown, headed by the key the step writes (or would write):
/// its label, type, whether it is required, its default, the other keys it accepts, its
/// allowed values and when the task reads it. Shared by input hovers and completion.
/// A task version's title, friendly name, description and, when the catalog deprecates
/// it, the task's own message: how hovers and completion documentation begin.
pub(crate) fn task_heading(md: &mut String, title: &str, task: &CatalogTask) {
    let _ = write!(
        md,
        "**{title}** — {}\n\n{}\n\n",
        task.friendly_name, task.description
    );
    if task.deprecated {
        let message = task
            .deprecation_message
            .as_deref()
            .unwrap_or("this version is deprecated in the task catalog");
        let _ = write!(md, "**Deprecated:** {message}\n\n");
    }
}

pub(crate) fn input_markdown(input: &CatalogInput, key: &str) -> String {
    let label = if input.label.is_empty() {
        &input.name
    } else {
        &input.label
    };
    let mut md = format!("**`{key}`** — {label}\n\n");
    let kind = match input.connection_type() {
        Some(t) => format!("`{}` ({})", input.kind, knowledge::connection_kind_label(t)),
        None => format!("`{}`", input.kind),
    };
    let _ = writeln!(md, "- type: {kind}");
    let _ = writeln!(
        md,
        "- {}",
        if input.required {
            "required"
        } else {
            "optional"
        }
    );
    if let Some(default) = &input.default {
        let _ = writeln!(md, "- default: `{}`", one_line(default));
    }
    let others: Vec<String> = input
        .spellings()
        .filter(|s| !s.eq_ignore_ascii_case(key))
        .map(|s| format!("`{s}`"))
        .collect();
    if !others.is_empty() {
        let _ = writeln!(md, "- also written as: {}", others.join(", "));
    }
    if !input.options.is_empty() {
        let values: Vec<String> = input.options.iter().map(|o| format!("`{o}`")).collect();
        let _ = writeln!(md, "- values: {}", values.join(", "));
    }
    if let Some(rule) = &input.visible_rule {
        let _ = writeln!(md, "- used when {}", rule_words(rule));
    }
    md
}

/// Whether workload identity federation works through a service-connection input of a task
/// version, as one markdown line; `None` for inputs that take no service connection.
pub(crate) fn connection_wif(
    kb: &Knowledge,
    table: TableId,
    name: &str,
    major: u32,
    input: &CatalogInput,
) -> Option<String> {
    let kind = input.connection_type()?;
    let info = kb.table(table);
    let text = match kb.lookup(table, name, major).map(|e| &e.status) {
        Some(Status::PerInput { inputs }) => {
            match inputs
                .iter()
                .find(|s| input.spellings().any(|k| s.matches(k)))
            {
                Some(s) if s.supported => "supported for this input".to_string(),
                Some(_) => "not supported for this input".to_string(),
                None => format!(
                    "the row does not name this input; the task: {}",
                    status_phrase(&Status::PerInput {
                        inputs: inputs.clone()
                    })
                ),
            }
        }
        Some(status) => format!("the whole task: {}", status_phrase(status)),
        None if kind.eq_ignore_ascii_case("AzureRM") => {
            format!("not listed. {}", info.unlisted_builtin)
        }
        None => "not listed; the table is about Azure Resource Manager connections".to_string(),
    };
    Some(format!(
        "**Workload identity federation** ({name}@{major}, table of {}): {text}",
        info.date
    ))
}

/// A `visibleRule` in words: "`scriptLocation` is `inlineScript` and ...". Rules azpls can't
/// read are quoted as written.
fn rule_words(rule: &str) -> String {
    fn words(rule: &VisibleRule, nested: bool) -> String {
        match rule {
            VisibleRule::Compare { input, op, value } => {
                let op = match op {
                    CompareOp::Eq => "is",
                    CompareOp::Ne => "is not",
                    CompareOp::EndsWith => "ends with",
                    CompareOp::NotEndsWith => "does not end with",
                };
                format!("`{input}` {op} `{value}`")
            }
            VisibleRule::And(parts) => {
                let text: Vec<String> = parts.iter().map(|p| words(p, true)).collect();
                text.join(" and ")
            }
            VisibleRule::Or(parts) => {
                let text: Vec<String> = parts.iter().map(|p| words(p, true)).collect();
                let text = text.join(" or ");
                if nested { format!("({text})") } else { text }
            }
        }
    }
    match VisibleRule::parse(rule) {
        Some(parsed) => words(&parsed, false),
        None => format!("`{rule}`"),
    }
}

/// Text for a code span: one line, not too long.
fn one_line(text: &str) -> String {
    let flat = text.replace(['\n', '\r'], " ");
    match flat.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// Text for a markdown table cell: one line, pipes escaped (GFM reads `\|` as a pipe even
/// inside a code span).
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}
