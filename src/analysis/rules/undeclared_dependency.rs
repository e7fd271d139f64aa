//! `undeclared-dependency`: `dependencies.X` or `stageDependencies.X.Y` in an expression,
//! where X is not something the stage or job depends on.
//!
//! The expression pass keeps every such reference as a candidate (the name's span; the
//! message says which form; for `stageDependencies.X.Y` the job is a related span); this
//! rule resolves each against the stage or job it stands in, which the remembered
//! per-subtree results must not depend on.

use crate::analysis::{Context, Docs, Finding, Fix, Related, Rule, Severity, suggest};
use crate::document::Document;
use crate::expr::{Expression, Reference};
use crate::model::pipeline::{Item, ItemKind, Scope};
use crate::model::yaml;
use crate::syntax;
use crate::text;

pub static RULE: Rule = Rule {
    id: "undeclared-dependency",
    summary: "`dependencies.X` or `stageDependencies.X` where X is not in `dependsOn`",
    explanation: "In a stage's condition and variables, `dependencies.X` is a stage this stage \
depends on; in a job's, `dependencies.X` is a job of the same stage this job depends on, and \
`stageDependencies.X.Y` is job Y of a stage X that this job's stage depends on. What a stage \
or job depends on is its `dependsOn` list; without one, a stage depends on the stage before it \
and a job on nothing. A stage's variables may read `stageDependencies.X.Y` too, of the stages \
it depends on. Any other name reads nothing, without an error: the result is empty, the \
output variable empty, the condition false. Names compare without regard to case; a name \
close to one depended on gets it as a fix. Nothing is reported where some stages or jobs are \
not in the text (templates, `${{ each }}`), where `dependsOn` is built by an expression, in \
steps, or in a file with syntax errors.",
    default_severity: Severity::Error,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/expressions#dependencies",
    ),
};

const JOB: &str = "stageDependencies";
const PLAIN: &str = "dependencies";

/// Keeps each `dependencies.X` / `stageDependencies.X.Y` of an expression as a candidate
/// finding ([`check`] judges them).
pub(crate) fn collect(expression: &Expression, out: &mut Vec<Finding>) {
    for r in expression.references() {
        match r {
            Reference::Dependency { name_span, .. } => {
                out.push(Finding::new(&RULE, name_span, PLAIN.to_string()));
            }
            Reference::StageDependency {
                stage_span, job, ..
            } => {
                let mut f = Finding::new(&RULE, stage_span, JOB.to_string());
                if let Some((name, span)) = job {
                    f.related.push(Related {
                        span,
                        label: name.to_string(),
                    });
                }
                out.push(f);
            }
            _ => {}
        }
    }
}

/// What a stage or job depends on, as far as the text says.
enum DependsOn<'p> {
    /// These, by name (an explicit list, or the stage before).
    Names(Vec<&'p str>),
    /// Not known: built by an expression, or the stage before is an alternative.
    Unknown,
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let rope = ctx.doc.rope();
    if !text::contains(rope, "ependencies") {
        return;
    }
    let candidates: Vec<&Finding> = ctx
        .expression_findings()
        .iter()
        .filter(|f| std::ptr::eq(f.rule, &RULE))
        .collect();
    if candidates.is_empty() {
        return;
    }
    let pipeline = ctx.stages_and_jobs();
    if !pipeline.intact || pipeline.template {
        return;
    }
    let scopes = pipeline.scopes();
    let scope_of = |item: &Item| {
        scopes
            .iter()
            .find(|s| s.items.iter().any(|i| std::ptr::eq(*i, item)))
    };
    for candidate in candidates {
        let at = candidate.span.start;
        let path = pipeline.path_at(at);
        let Some(owner) = path.iter().rev().find(|i| i.kind.depends()).copied() else {
            continue;
        };
        // One descent in the tree, rather than the full reading of every step on each
        // keystroke.
        let in_step = under_steps(ctx.doc, at);
        if in_step {
            continue;
        }
        let Some(scope) = scope_of(owner).filter(|s| !s.open) else {
            continue;
        };
        let name = ctx.slice(&candidate.span);
        if candidate.message == PLAIN {
            let DependsOn::Names(names) = depends_on(ctx.doc, owner, scope) else {
                continue;
            };
            if names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                continue;
            }
            let whose = describe(owner);
            out.push(report(ctx, candidate, &name, &names, &whose, PLAIN));
        } else {
            // `stageDependencies` names the stages the stage depends on: in a job, its own
            // stage's; in a stage's variables, that stage's.
            let Some(stage) = path
                .iter()
                .rev()
                .find(|i| i.kind == ItemKind::Stage)
                .copied()
            else {
                continue;
            };
            let Some(stages) = scope_of(stage).filter(|s| !s.open) else {
                continue;
            };
            let DependsOn::Names(names) = depends_on(ctx.doc, stage, stages) else {
                continue;
            };
            if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                let whose = if std::ptr::eq(stage, owner) {
                    describe(stage)
                } else {
                    format!("this job's {}", describe(stage))
                };
                out.push(report(ctx, candidate, &name, &names, &whose, JOB));
                continue;
            }
            // The stage is depended on: its job must exist.
            let (Some(job), Some(target)) = (candidate.related.first(), stages.find(&name)) else {
                continue;
            };
            let Some(jobs) = scopes
                .iter()
                .find(|s| s.stage.is_some_and(|s| std::ptr::eq(s, target)))
                .filter(|s| !s.open)
            else {
                continue;
            };
            if jobs.find(&job.label).is_some() {
                continue;
            }
            let job_names: Vec<&str> = jobs
                .items
                .iter()
                .filter_map(|i| i.id.as_ref().map(|id| id.text.as_str()))
                .collect();
            let suggestion = suggest::nearest(&job.label, job_names.iter().copied());
            let stage_name = target
                .id
                .as_ref()
                .map_or(name.as_str(), |id| id.text.as_str());
            let mut f = ctx.finding(
                &RULE,
                job.span.clone(),
                match suggestion {
                    Some(s) => format!(
                        "stage \"{stage_name}\" has no job \"{}\"; did you mean \"{s}\"?",
                        job.label
                    ),
                    None => format!(
                        "stage \"{stage_name}\" has no job \"{}\", so \
                         stageDependencies.{stage_name}.{} reads nothing",
                        job.label, job.label
                    ),
                },
            );
            if let Some(s) = suggestion {
                f.fix = Some(Fix::replace(&job.span, s, true));
            }
            out.push(f);
        }
    }
}

fn report(
    ctx: &Context,
    candidate: &Finding,
    name: &str,
    names: &[&str],
    whose: &str,
    form: &str,
) -> Finding {
    let suggestion = suggest::nearest(name, names.iter().copied());
    let listed = if names.is_empty() {
        "nothing".to_string()
    } else {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let message = match suggestion {
        Some(s) => format!("\"{name}\" is not in the dependsOn of {whose}; did you mean \"{s}\"?"),
        None => format!(
            "\"{name}\" is not in the dependsOn of {whose} (it depends on {listed}), so \
             {form}.{name} reads nothing; add \"{name}\" to its dependsOn"
        ),
    };
    let mut f = ctx.finding(&RULE, candidate.span.clone(), message);
    if let Some(s) = suggestion {
        f.fix = Some(Fix::replace(&candidate.span, s, true));
    }
    f
}

/// Whether `at` lies under a `steps:` or `strategy:` key (steps and deployment hooks,
/// where `dependencies` is not read).
fn under_steps(doc: &Document, at: usize) -> bool {
    let rope = doc.rope();
    syntax::path_to(doc.tree().root_node(), at, at)
        .iter()
        .filter(|n| matches!(n.kind(), "block_mapping_pair" | "flow_pair"))
        .filter_map(|n| n.child_by_field_name("key"))
        .filter_map(|k| yaml::key_text(rope, k))
        .any(|k| k == "steps" || k == "strategy")
}

/// "stage \"Deploy\"" or "job \"Ship\"".
fn describe(item: &Item) -> String {
    match &item.id {
        Some(id) => format!("{} \"{}\"", item.kind.word(), id.text),
        None => item.kind.word().to_string(),
    }
}

/// What `item` depends on: its `dependsOn` when it has one (nothing for `[]`), else the
/// stage before it for a stage and nothing for a job.
fn depends_on<'p>(doc: &Document, item: &'p Item, scope: &Scope<'p>) -> DependsOn<'p> {
    let rope = doc.rope();
    let at = item.selection.start;
    let path = syntax::path_to(doc.tree().root_node(), at, at);
    let Some(mapping) = path
        .iter()
        .rev()
        .find(|n| yaml::is_mapping(**n) && n.start_byte() <= at)
    else {
        return DependsOn::Unknown;
    };
    if let Some((_, value)) = yaml::get(rope, *mapping, "dependsOn") {
        let written = value.map(|v| syntax::text(rope, v)).unwrap_or_default();
        if written.contains("${{") || written.contains("$(") || written.contains("$[") {
            return DependsOn::Unknown;
        }
        return DependsOn::Names(item.depends_on.iter().map(|n| n.text.as_str()).collect());
    }
    if item.kind != ItemKind::Stage {
        return DependsOn::Names(Vec::new());
    }
    let Some(i) = scope.items.iter().position(|s| std::ptr::eq(*s, item)) else {
        return DependsOn::Unknown;
    };
    let Some(before) = i.checked_sub(1) else {
        return DependsOn::Names(Vec::new());
    };
    // Under `${{ if }}` either one may not be there, and then another stage is before.
    if scope.inserted[i] || scope.inserted[before] {
        return DependsOn::Unknown;
    }
    match &scope.items[before].id {
        Some(id) => DependsOn::Names(vec![id.text.as_str()]),
        None => DependsOn::Unknown,
    }
}
