//! `missing-template-parameter`: a template call leaves out a parameter that has no
//! default.

use crate::analysis::{Context, Docs, Finding, Related, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "missing-template-parameter",
    summary: "template call without a parameter the template requires (one with no default)",
    explanation: "A parameter a template declares without a `default:` must be passed by every call, or the run fails (\"A value for the 'x' parameter must be provided\"). Calls whose parameters come from an expression or are inserted by `${{ if }}` keys are not checked, nor are templates in other repositories or in the older mapping form (whose parameters all have defaults).",
    default_severity: Severity::Error,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/template-parameters",
    ),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for checked in ctx.template_calls() {
        let Some((declared, passed)) = checked.judged() else {
            continue;
        };
        if checked.call.conditional {
            continue;
        }
        let missing: Vec<&str> = declared
            .iter()
            .filter(|p| !p.mapping_form && !p.has_default)
            .filter(|p| !passed.iter().any(|a| a.name.eq_ignore_ascii_case(&p.name)))
            .map(|p| p.name.as_str())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let r = &checked.call.reference;
        let names = missing
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let (noun, verb) = if missing.len() == 1 {
            ("parameter", "has")
        } else {
            ("parameters", "have")
        };
        let mut finding = ctx.finding(
            &RULE,
            r.span.clone(),
            format!(
                "template \"{}\" needs {noun} {names}, which {verb} no default; pass {} under \"parameters:\"",
                r.value.trim(),
                if missing.len() == 1 { "it" } else { "them" }
            ),
        );
        if let Some(first) = passed.first() {
            finding.related.push(Related {
                span: first.name_span.clone(),
                label: "the parameters passed".into(),
            });
        }
        out.push(finding);
    }
}
