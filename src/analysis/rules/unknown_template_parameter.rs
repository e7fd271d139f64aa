//! `unknown-template-parameter`: a template call passes a parameter the template does not
//! declare.

use crate::analysis::{Context, Docs, Finding, Fix, Related, Rule, Severity, suggest};

pub static RULE: Rule = Rule {
    id: "unknown-template-parameter",
    summary: "template call passes a parameter the template does not declare",
    explanation: "A template that declares its parameters as a list (`- name: x`, with types) accepts only those; passing another one fails the run (\"Unexpected parameter\"), and a misspelt name leaves the declared one at its default, which is how a `${{ parameters.enviroment }}` silently expands to nothing. Names compare without regard to case. A name close to a declared one gets it as a fix. Templates that declare parameters in the older mapping form, templates in other repositories and calls whose parameters come from an expression are not checked.",
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
        if declared.is_empty() || declared.iter().any(|p| p.mapping_form) {
            continue;
        }
        for arg in passed {
            if declared
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(&arg.name))
            {
                continue;
            }
            let names = declared.iter().map(|p| p.name.as_str());
            let suggestion = suggest::nearest(&arg.name, names)
                .filter(|s| !passed.iter().any(|a| a.name.eq_ignore_ascii_case(s)));
            let template = checked.call.reference.value.trim();
            let message = match suggestion {
                Some(s) => format!(
                    "template \"{template}\" has no parameter \"{}\"; did you mean \"{s}\"?",
                    arg.name
                ),
                None => {
                    let mut all: Vec<&str> = declared.iter().map(|p| p.name.as_str()).collect();
                    all.truncate(8);
                    format!(
                        "template \"{template}\" has no parameter \"{}\" (it declares {})",
                        arg.name,
                        all.iter()
                            .map(|n| format!("\"{n}\""))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            };
            let mut finding = ctx.finding(&RULE, arg.name_span.clone(), message);
            finding.related.push(Related {
                span: checked.call.reference.span.clone(),
                label: format!("the call of \"{template}\""),
            });
            finding.fix = suggestion.map(|s| Fix::replace(&arg.name_span, s, true));
            out.push(finding);
        }
    }
}
