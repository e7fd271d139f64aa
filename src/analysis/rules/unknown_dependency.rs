//! `unknown-dependency`: a `dependsOn` name that no stage, or no job of the same stage, has.

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, suggest};

pub static RULE: Rule = Rule {
    id: "unknown-dependency",
    summary: "`dependsOn` names a stage or job that does not exist (renamed, misspelt)",
    explanation: "A stage's `dependsOn` names other stages of the pipeline; a job's names other jobs and deployments of the same stage. A name that none of them has fails the run before it starts (\"Stage Deploy depends on unknown stage Biuld\"). Names compare without regard to case. A name close to an existing one gets it as a fix. Nothing is reported where some names are not in the text: a `template:` item or an `${{ each }}` among the stages or jobs, a name built by an expression, stages and jobs passed to a template, or a file with syntax errors.",
    default_severity: Severity::Error,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/stages#specify-dependencies",
    ),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for scope in ctx.stages_and_jobs().scopes() {
        if scope.open {
            continue;
        }
        for item in &scope.items {
            for name in &item.depends_on {
                if scope.find(&name.text).is_some() {
                    continue;
                }
                let own = item.id.as_ref().map(|id| id.text.as_str());
                let names = scope
                    .items
                    .iter()
                    .filter_map(|i| i.id.as_ref())
                    .map(|id| id.text.as_str())
                    .filter(|n| Some(*n) != own);
                let suggestion = suggest::nearest(&name.text, names);
                let what = scope.what();
                let message = match suggestion {
                    Some(s) => format!(
                        "\"{}\" is not the name of a {what}; did you mean \"{s}\"?",
                        name.text
                    ),
                    None => format!(
                        "\"{}\" is not the name of a {what}; the run fails before it starts",
                        name.text
                    ),
                };
                let mut finding = ctx.finding(&RULE, name.span.clone(), message);
                finding.fix = suggestion.map(|s| Fix::replace(&name.span, s, false));
                out.push(finding);
            }
        }
    }
}
