//! `undeclared-parameter`: `${{ parameters.x }}` where the file declares no parameter `x`.
//!
//! The expression pass ([`crate::analysis::expressions`]) reads every expression once and
//! keeps, as candidates of this rule, each `parameters.x` / `parameters['x']` of a template
//! expression (message: the name as written); this rule weighs them against what the file
//! declares, which the remembered per-subtree results must not depend on.
//!
//! What is certain differs by how the file declares: a list of `- name:` entries is all a
//! caller may pass; the older mapping form lets callers pass other names; a template that
//! declares nothing takes anything (`${{ each parameter in parameters }}` passes it all on).

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, suggest};
use crate::expr::{Expression, Kind, Reference};
use crate::ide::templates;
use crate::text;

pub static RULE: Rule = Rule {
    id: "undeclared-parameter",
    summary: "`parameters.x` in a template expression where the file declares no parameter `x`",
    explanation: "A template expression reads the parameters the file declares under its root \
`parameters:` (a list of `- name:` entries, or the older mapping of names to defaults); names \
compare without regard to case. A name the file does not declare expands to nothing, without \
an error: the value is silently empty, the `${{ if }}` silently false. When the name is a typo \
of a declared one, the finding says which, and the fix writes it (safe: as written it can \
only be empty). In the older mapping form a caller may pass names the file does not declare, so \
only near misses of declared names are reported there. A template that declares no parameters \
takes whatever its caller passes, and is not checked; a pipeline (a file with `trigger:`, \
`pool:` or another key only a pipeline has) that uses `parameters.x` but declares none gets one \
finding, on the first use. Runtime expressions (`$[ ]`) and conditions are not read: parameters exist \
only while the template expressions are expanded. Nothing is reported in a file where an \
`${{ each }}` names its loop variable `parameters`.",
    default_severity: Severity::Error,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/template-parameters",
    ),
};

/// Keeps each parameter reference of a template expression as a candidate finding at the
/// name, its message the name as written (the expression pass calls this once per
/// expression; [`check`] judges the candidates).
pub(crate) fn collect(expression: &Expression, out: &mut Vec<Finding>) {
    if expression.kind != Kind::Template {
        return;
    }
    for r in expression.references() {
        if let Reference::Parameter {
            name, name_span, ..
        } = r
        {
            out.push(Finding::new(&RULE, name_span, name.to_string()));
        }
    }
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let rope = ctx.doc.rope();
    if !text::contains(rope, "parameters") {
        return;
    }
    let candidates: Vec<&Finding> = ctx
        .expression_findings()
        .iter()
        .filter(|f| std::ptr::eq(f.rule, &RULE))
        .collect();
    if candidates.is_empty() || text::contains(rope, "each parameters ") {
        return;
    }
    let declared = templates::declared_parameters(ctx.doc);
    if declared.is_empty() {
        // A template without `parameters:` takes whatever its caller passes (a common way
        // to pass everything on): only a pipeline's own root can be sure to have none.
        let pipeline = ctx.stages_and_jobs();
        if !pipeline.intact || pipeline.template {
            return;
        }
        let first = candidates[0];
        let more = candidates.len() - 1;
        let others = match more {
            0 => String::new(),
            1 => " (and 1 more use)".to_string(),
            n => format!(" (and {n} more uses)"),
        };
        out.push(ctx.finding(
            &RULE,
            first.span.clone(),
            format!(
                "\"parameters.{}\"{others} reads a parameter, but this pipeline declares no \
                 parameters, so it expands to nothing; declare it under a root \
                 \"parameters:\"",
                first.message
            ),
        ));
        return;
    }
    // The older mapping form does not hold callers to its names: a name it does not
    // declare may still be passed, and only a near miss of a declared one is reported.
    let legacy = declared.iter().any(|p| p.mapping_form);
    let names: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
    for candidate in candidates {
        let name = candidate.message.as_str();
        if names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            continue;
        }
        let suggestion = suggest::nearest(name, names.iter().copied());
        if legacy && suggestion.is_none() {
            continue;
        }
        let mut finding = match suggestion {
            Some(s) => ctx.finding(
                &RULE,
                candidate.span.clone(),
                format!("parameter \"{name}\" is not declared; did you mean \"{s}\"?"),
            ),
            None => ctx.finding(
                &RULE,
                candidate.span.clone(),
                format!(
                    "parameter \"{name}\" is not declared in this file, so it expands to \
                     nothing; declare it under \"parameters:\" ({})",
                    declared_list(&names)
                ),
            ),
        };
        // A name with a quote or a space would need the `['…']` form: no fix then.
        if let Some(s) = suggestion.filter(|s| s.chars().all(|c| c.is_alphanumeric() || c == '_')) {
            finding.fix = Some(Fix::replace(&candidate.span, s, true));
        }
        out.push(finding);
    }
}

/// The declared names for a message: a few, then how many more.
fn declared_list(names: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut shown: Vec<String> = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("\"{n}\""))
        .collect();
    if names.len() > SHOWN {
        shown.push(format!("{} more", names.len() - SHOWN));
    }
    format!("declared: {}", shown.join(", "))
}
