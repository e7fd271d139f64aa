//! `template-outside-repository`: a `template:` path that leaves the repository of the
//! file that includes it. Azure Pipelines does not read such a file, and azpls does not
//! open it either (no hover, link or definition shows what is there).

use crate::analysis::{Context, Docs, Finding, Rule, Severity};
use crate::ide::templates;

pub static RULE: Rule = Rule {
    id: "template-outside-repository",
    summary: "template path that leaves the pipeline's repository",
    explanation: "A template path is read from the repository of the file that includes it: \
relative to that file, or from the repository root when it starts with `/`. A path that climbs \
above the root with `../`, or that is absolute after its leading `/`, names a file Azure \
Pipelines will not read, so the run fails. To use a template of another repository, declare \
that repository under `resources.repositories` and write `path@alias`. azpls reads nothing \
outside the repository either: such references get no link, definition or hover of their \
content. Checked where azpls knows where the file lives (the editor, `azpls check`).",
    default_severity: Severity::Warning,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/templates#use-other-repositories",
    ),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(env) = ctx.env else {
        return;
    };
    // Only a path with `..` or a second `/` can leave: other lines are not looked up.
    let could_leave = |line: &str| line.contains("..") || line.contains("//");
    for r in templates::references_where(ctx.doc, could_leave) {
        if templates::leaves_repository(env.place, env.files, &r.value) {
            out.push(ctx.finding(
                &RULE,
                r.span,
                format!(
                    "template \"{}\" is outside the repository, where Azure Pipelines does not \
                     read it; move it into the repository, or reference another repository's \
                     template as \"path@alias\"",
                    r.value.trim()
                ),
            ));
        }
    }
}
