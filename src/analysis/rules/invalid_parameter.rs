//! `invalid-parameter`: a declared parameter with an unknown `type`, or a `default` that
//! its type or its `values:` do not allow.

use crate::analysis::{Context, Docs, Finding, Rule, Severity};
use crate::ide::templates::{self, Value};

pub static RULE: Rule = Rule {
    id: "invalid-parameter",
    summary: "parameter whose `default` its `type` or its `values:` rule out",
    explanation: "A parameter's `default` must be a value of its type (a `number` a number, a `boolean` true or false, a `step`, `job`, `deployment` or `stage` a mapping, a `stepList`, `jobList`, `deploymentList` or `stageList` a list, a `string` a single value) and, with `values:`, one of them. The service refuses the pipeline (or the template) otherwise, even when every run passes the parameter. An unknown `type` is `invalid-value`'s. Defaults written with expressions are not checked, nor are the types whose values azpls does not judge (object, container, pool, secureFile …), nor parameters in the older mapping form (`parameters: { x: default }`), which have no type.",
    default_severity: Severity::Error,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/runtime-parameters",
    ),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for p in templates::declared_parameters(ctx.doc) {
        if p.mapping_form {
            continue;
        }
        let kind = p.kind.as_deref().unwrap_or("string");
        let known = templates::PARAMETER_TYPES.iter().find(|(k, _)| *k == kind);
        // Unknown types are `invalid-value`'s (the schema lists them); the types whose
        // values azpls does not judge (container, pool, secureFile …) take anything here.
        let Some((_, want)) = known else {
            continue;
        };
        let span = match &p.default_value {
            Value::Scalar { span, .. } => span.clone(),
            _ => p.name_span.clone(),
        };
        if let Some(want) = want
            && !templates::value_fits(kind, &p.default_value)
        {
            out.push(ctx.finding(
                &RULE,
                span,
                format!(
                    "the default of parameter \"{}\" is {}, but a {kind} parameter takes {want}",
                    p.name,
                    templates::value_shape(&p.default_value)
                ),
            ));
            continue;
        }
        if let Value::Scalar { text, .. } = &p.default_value
            && !p.allows(text)
        {
            let allowed = p.values_list();
            out.push(ctx.finding(
                &RULE,
                span,
                format!(
                    "the default of parameter \"{}\" is \"{text}\", which is not one of its values ({allowed})",
                    p.name
                ),
            ));
        }
    }
}
