//! One file per rule. Each exposes `RULE` (its id, summary and documentation) and
//! `check`, which appends findings; `analysis::RULES` lists them all.

pub mod container_resource;
pub mod dependency_cycle;
pub mod deprecated_task;
pub mod deprecated_version;
pub mod duplicate_key;
pub mod duplicate_name;
pub mod expression_syntax;
pub mod function_arity;
pub mod invalid_input_value;
pub mod invalid_name;
pub mod invalid_parameter;
pub mod invalid_template_argument;
pub mod invalid_value;
pub mod invalid_vm_image;
pub mod missing_key;
pub mod missing_required_input;
pub mod missing_template;
pub mod missing_template_parameter;
pub mod parse_limit;
pub mod planned_support;
pub mod status_function;
pub mod template_outside;
pub mod undeclared_dependency;
pub mod undeclared_parameter;
pub mod unknown_dependency;
pub mod unknown_function;
pub mod unknown_input;
pub mod unknown_key;
pub mod unknown_task;
pub mod unknown_template_parameter;
pub mod unknown_version;
pub mod unsupported_input;
pub mod unsupported_task;
pub mod wrong_type;
pub mod yaml_syntax;

use crate::analysis::structure::IssueKind;
use crate::analysis::{Context, Finding, Fix, Rule};
use crate::knowledge::Status;
use crate::model::{TaskRef, TaskStep};
use crate::text::Span;

/// The `Name@N` token of a step (the whole value when it can't be split).
pub fn reference_span(step: &TaskStep) -> Span {
    match &step.reference {
        TaskRef::Named {
            name_span,
            version_span,
            ..
        } => name_span.start..version_span.as_ref().map_or(name_span.end, |v| v.end),
        _ => step.value.span.clone(),
    }
}

/// A status in a few plain words, for messages and hovers.
pub fn status_phrase(status: &Status) -> String {
    match status {
        Status::Supported => "supported".to_string(),
        Status::Unsupported => "not supported".to_string(),
        Status::Deprecated {
            replacement,
            replacement_major,
            condition,
        } => {
            let condition = condition
                .as_deref()
                .map(|c| format!(" {c}"))
                .unwrap_or_default();
            format!("not supported: use {replacement}@{replacement_major}{condition}")
        }
        Status::PerInput { inputs } => {
            let parts: Vec<String> = inputs
                .iter()
                .map(|i| {
                    let what = i
                        .table_name
                        .clone()
                        .or_else(|| i.connection_label.clone())
                        .unwrap_or_else(|| i.connection_type.clone());
                    let yes = if i.supported {
                        "supported"
                    } else {
                        "not supported"
                    };
                    format!("{what} {yes}")
                })
                .collect();
            format!("supported per input ({})", parts.join(", "))
        }
        Status::Planned { when } => format!("support planned for {when}"),
    }
}

/// When a newer table than the configured one says something else about a task version,
/// says what, e.g. "the 2025-03-12 table lists it as supported".
pub fn later_status(ctx: &Context, name: &str, major: u32) -> Option<String> {
    let newest = ctx.knowledge.newest();
    if newest <= ctx.config.table {
        return None;
    }
    let now = ctx
        .knowledge
        .lookup(ctx.config.table, name, major)
        .map(|e| &e.status);
    let later = ctx.knowledge.lookup(newest, name, major).map(|e| &e.status);
    if now == later {
        return None;
    }
    let date = &ctx.knowledge.table(newest).date;
    Some(match later {
        Some(status) => format!("the {date} table: {}", status_phrase(status)),
        None => format!("the {date} table no longer lists it"),
    })
}

/// What kind of service connection an input takes, in words.
pub fn connection_label(support: &crate::knowledge::InputSupport) -> String {
    if let Some(label) = &support.connection_label {
        return label.clone();
    }
    match support.connection_type.as_str() {
        "AzureRM" => "Azure Resource Manager service connection".to_string(),
        "dockerregistry" => "Docker registry service connection".to_string(),
        "kubernetes" => "Kubernetes service connection".to_string(),
        other => format!("{other} service connection"),
    }
}

/// The structure issues of one kind, as findings of `rule`; a known spelling is a safe fix
/// (the key or value meant nothing to the service as written).
pub fn structure_findings(
    ctx: &Context,
    rule: &'static Rule,
    kind: IssueKind,
    out: &mut Vec<Finding>,
) {
    for issue in ctx.structure().iter().filter(|i| i.kind == kind) {
        let mut finding = ctx.finding(rule, issue.span.clone(), issue.message.clone());
        finding.fix = issue
            .replacement
            .as_ref()
            .map(|to| Fix::replace(&issue.span, to, true));
        out.push(finding);
    }
}
