//! `invalid-template-argument`: a template call passes a literal value of the wrong type
//! for the parameter, or one outside its `values:`.

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, suggest};
use crate::ide::templates::{self, Parameter, Value};

pub static RULE: Rule = Rule {
    id: "invalid-template-argument",
    summary: "template argument of the wrong type for its parameter, or outside its `values:`",
    explanation: "A typed template parameter takes a value of its type: `boolean` true or false, `number` a number, `step`/`job`/`deployment`/`stage` a mapping, `stepList`/`jobList`/`deploymentList`/`stageList` a list, `string` a scalar; with `values:` only one of those. Anything else fails the run when the pipeline is compiled. Values written with expressions or macros are not checked, nor is `object`, which takes anything.",
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
        for arg in passed {
            let Some(p) = declared
                .iter()
                .find(|p| !p.mapping_form && p.name.eq_ignore_ascii_case(&arg.name))
            else {
                continue;
            };
            if let Some(f) = check_one(ctx, p, arg.name.as_str(), &arg.value, &arg.name_span) {
                out.push(f);
            }
        }
    }
}

fn check_one(
    ctx: &Context,
    p: &Parameter,
    name: &str,
    value: &Value,
    name_span: &crate::text::Span,
) -> Option<Finding> {
    let kind = p.kind.as_deref().unwrap_or("string");
    if !templates::value_fits(kind, value)
        && let Some((_, Some(want))) = templates::PARAMETER_TYPES.iter().find(|(k, _)| *k == kind)
    {
        let span = match value {
            Value::Scalar { span, .. } => span.clone(),
            _ => name_span.clone(),
        };
        let got = templates::value_shape(value);
        return Some(ctx.finding(
            &RULE,
            span,
            format!("parameter \"{name}\" is a {kind} and takes {want}, not {got}"),
        ));
    }
    let Value::Scalar {
        text, span, quoted, ..
    } = value
    else {
        return None;
    };
    if p.allows(text) {
        return None;
    }
    let suggestion = suggest::nearest(text, p.values.iter().map(String::as_str));
    let allowed = p.values_list();
    let message = match suggestion {
        Some(s) => {
            format!("\"{text}\" is not a value of parameter \"{name}\"; did you mean \"{s}\"?")
        }
        None => format!("\"{text}\" is not a value of parameter \"{name}\", which takes {allowed}"),
    };
    let mut finding = ctx.finding(&RULE, span.clone(), message);
    // Only a plain value is replaced: quotes and escapes stay the user's.
    finding.fix = suggestion
        .filter(|_| !quoted)
        .map(|s| Fix::replace(span, s, true));
    Some(finding)
}
