//! `missing-template`: a `template:` path that names no file.

use crate::analysis::{Context, Docs, Finding, Rule, Severity};
use crate::ide::templates::{self, Target};

pub static RULE: Rule = Rule {
    id: "missing-template",
    summary: "`template:` path that names no file of the repository",
    explanation: "A template path is looked up relative to the file that includes it, then from the repository root (always from the root when it starts with `/`). When no file is there, the pipeline fails to compile (\"File not found\"). Templates in other repositories (`file.yml@alias`) are named, not fetched, and never reported; nor are paths built by expressions. Checked where azpls knows where the file lives (the editor, `azpls check`).",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/process/templates"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(env) = ctx.env else {
        return;
    };
    for checked in ctx.template_calls() {
        let Target::Missing { tried } = &checked.target else {
            continue;
        };
        // Nothing was looked for: where the document lives is unknown.
        if tried.is_empty() {
            continue;
        }
        let tried = templates::tried_paths(env.place, env.files, tried);
        let looked = tried
            .iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" and ");
        let r = &checked.call.reference;
        out.push(ctx.finding(
            &RULE,
            r.span.clone(),
            format!(
                "template \"{}\" does not exist (looked for {looked} in the repository); the pipeline does not compile",
                r.value.trim()
            ),
        ));
    }
}
