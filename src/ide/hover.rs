//! Hovers: on a task reference, its workload identity federation status in plain words,
//! what to do, per-input details, the row's notes and links, and how the tables
//! disagree; on an input key that matters for it, that input's status; on a container
//! resource's `azureSubscription`, the history of that limitation.

use crate::analysis::Config;
use crate::analysis::rules::{self, status_phrase};
use crate::document::Document;
use crate::knowledge::{self, InputSupport, Knowledge, Status, TaskEntry};
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
            return task_hover(kb, config, &step);
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
    None
}

fn task_hover(kb: &Knowledge, config: &Config, step: &TaskStep) -> Option<Hover> {
    let span = rules::reference_span(step);
    let TaskRef::Named { name, major, .. } = &step.reference else {
        return None;
    };
    let mut md = String::new();
    let catalog = major.and_then(|m| knowledge::catalog().task(name, m));
    let title = match major {
        Some(m) => format!("{name}@{m}"),
        None => name.clone(),
    };
    match catalog {
        Some(task) => writeln!(
            md,
            "**{title}** — {}\n\n{}\n",
            task.friendly_name, task.description
        ),
        None => writeln!(md, "**{title}**\n"),
    }
    .ok()?;

    let table = kb.table(config.table);
    let entry = major.and_then(|m| kb.lookup(config.table, name, m));
    match (entry, major) {
        (Some(entry), Some(major)) => {
            describe_entry(&mut md, kb, config, entry, step, *major);
        }
        _ => describe_unlisted(&mut md, kb, config, step, catalog.is_some()),
    }
    let _ = writeln!(
        md,
        "\n[Troubleshoot workload identity service connections ({})]({})",
        table.date, table.tasks_url
    );
    Some(Hover { span, markdown: md })
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
    builtin: bool,
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
    } else if builtin {
        let has_arm = match &step.reference {
            TaskRef::Named {
                name,
                major: Some(m),
                ..
            } => knowledge::catalog().task(name, *m).is_some_and(|t| {
                t.inputs
                    .iter()
                    .any(|i| i.kind == "connectedService:AzureRM")
            }),
            _ => false,
        };
        if has_arm {
            format!(
                "Not listed in the table of {}. {}",
                table.date, table.unlisted_builtin
            )
        } else {
            "This task takes no Azure Resource Manager service connection, so workload identity federation does not concern it.".to_string()
        }
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
    let TaskRef::Named {
        name,
        major: Some(major),
        ..
    } = &step.reference
    else {
        return None;
    };
    let mut md = String::new();
    let mut any = false;
    for table in kb.tables() {
        let Some(entry) = kb.lookup(table.id, name, *major) else {
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
    if !any {
        return None;
    }
    let header = format!("**`{key}`** of {name}@{major} — workload identity federation\n\n");
    Some(Hover {
        span,
        markdown: header + &md,
    })
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
