//! Stage and job names, from the pipeline model: completion of the names a `dependsOn`
//! may list (the stages, or the jobs and deployments of the same stage, minus the item
//! itself and the names already listed), hovers on a name in `dependsOn` (what it
//! names) and on a stage's or job's own name (who depends on it), and the places that
//! name one stage or job, for go to definition, references, highlights and rename.

use super::completion::{
    CompletionItem, CompletionKind, Cx, Here, lines_above, shape, yaml_string,
};
use super::hover::Hover;
use crate::document::{Document, Edit};
use crate::model::Model;
use crate::model::pipeline::{Item, ItemKind, Pipeline, Scope};
use crate::text::{self, Span};
use std::fmt::Write;

/// How far up a `- name` line looks for the `dependsOn:` that holds it.
const LOOK_UP: usize = 200;

/// Names for a `dependsOn:` value or one of its `- ` items, at the cursor.
pub(super) fn completions(
    doc: &Document,
    model: &Model,
    cx: &Cx,
    here: &Here,
) -> Option<Vec<CompletionItem>> {
    if here.flow.is_some() {
        return None;
    }
    let (start, end, space) = match (&here.key, here.value) {
        (Some(key), Some(value)) if key == "dependsOn" => {
            let (typed, end) = cx.value_extent(value, false)?;
            if typed.quote.is_some() {
                return None;
            }
            (typed.start, end, typed.space)
        }
        (None, None) if here.item && under_depends_on(cx, here.block) => {
            let text = &cx.line.text;
            let end = cx.column
                + text[cx.column..]
                    .find(" #")
                    .unwrap_or(text.len() - cx.column);
            (here.entry, cx.column.max(text[..end].trim_end().len()), "")
        }
        _ => return None,
    };
    let offset = cx.line.start + cx.column;
    let pipeline = model.pipeline(doc);
    let (owner, peers) = pipeline.peers(offset)?;
    let listed: Vec<&str> = owner.depends_on.iter().map(|n| n.text.as_str()).collect();
    let typed = cx.line.text[start..cx.column].to_string();
    let items = peers
        .into_iter()
        .filter(|p| !std::ptr::eq(*p, owner))
        .filter_map(|p| Some((p, p.id.as_ref()?)))
        .filter(|(_, id)| !id.text.contains("${{") && !id.text.contains("$("))
        .filter(|(_, id)| id.text == typed || !listed.contains(&id.text.as_str()))
        .enumerate()
        .map(|(n, (p, id))| CompletionItem {
            label: id.text.clone(),
            kind: CompletionKind::Value,
            detail: describe(p),
            documentation: String::new(),
            deprecated: false,
            sort_text: format!("{n:04}"),
            filter_text: None,
            span: cx.span(start, end),
            text: format!("{space}{}", yaml_string(&id.text)),
            snippet: false,
        })
        .collect::<Vec<_>>();
    Some(items)
}

/// Is the `- ` item whose entry starts at `col` on the cursor's line an item of a
/// `dependsOn:` list? Reads the lines above: items of the same list, then the key.
fn under_depends_on(cx: &Cx, col: usize) -> bool {
    for (_, text) in lines_above(cx.rope, cx.row).take(LOOK_UP) {
        let s = shape(&text);
        if s.blank {
            continue;
        }
        if s.item && s.col == col {
            continue;
        }
        return !s.item
            && s.col < col
            && s.key.as_deref() == Some("dependsOn")
            && s.value.is_empty();
    }
    false
}

/// "stage" or "stage: Build and test" (its display name).
fn describe(item: &Item) -> String {
    let word = item.kind.word();
    match &item.id {
        Some(id) if id.text != item.name => format!("{word}: {}", item.name),
        _ => word.to_string(),
    }
}

/// The hover on a name in a `dependsOn` (the stage or job it names), or on the name of
/// a stage, job or deployment (what depends on it).
pub fn hover(doc: &Document, model: &Model, offset: usize) -> Option<Hover> {
    let offset = text::floor_char_boundary(doc.rope(), offset);
    let pipeline = model.pipeline(doc);
    let within = |span: &Span| span.start <= offset && offset <= span.end;
    let path = pipeline.path_at(offset);
    let owner = *path.iter().rev().find(|i| i.kind.depends())?;
    let (_, peers) = pipeline.peers(offset)?;
    if let Some(name) = owner.depends_on.iter().find(|n| within(&n.span)) {
        let target = peers
            .iter()
            .find(|p| p.id.as_ref().is_some_and(|id| id.text == name.text));
        let markdown = match target {
            Some(target) => card(doc, target, &peers),
            None => format!("no {} named `{}` here", peer_words(owner.kind), name.text),
        };
        return Some(Hover {
            span: name.span.clone(),
            markdown,
        });
    }
    let id = owner.id.as_ref().filter(|id| within(&id.span))?;
    Some(Hover {
        span: id.span.clone(),
        markdown: card(doc, owner, &peers),
    })
}

fn peer_words(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Stage => "stage",
        _ => "job or deployment in this stage",
    }
}

/// What a stage or job is: its kind and name, its display name, its line, what it depends
/// on and what depends on it.
fn card(doc: &Document, item: &Item, peers: &[&Item]) -> String {
    let id = item.id.as_ref().map_or(item.name.as_str(), |id| &id.text);
    let line = doc
        .rope()
        .byte_to_line(item.span.start.min(doc.rope().len_bytes()))
        + 1;
    let mut md = format!("**{} `{id}`**", item.kind.word());
    if item.name != id {
        let _ = write!(md, " — {}", item.name);
    }
    let _ = write!(md, "\n\ndefined on line {line}");
    let list = |names: Vec<&str>| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !item.depends_on.is_empty() {
        let names = item.depends_on.iter().map(|n| n.text.as_str()).collect();
        let _ = write!(md, "\n\ndepends on {}", list(names));
    }
    let dependents: Vec<&str> = peers
        .iter()
        .filter(|p| p.depends_on.iter().any(|n| n.text == id))
        .filter_map(|p| p.id.as_ref().map(|i| i.text.as_str()))
        .collect();
    if !dependents.is_empty() {
        let _ = write!(md, "\n\nneeded by {}", list(dependents));
    }
    md
}

/// A stage, job or parameter name under the cursor, and every place that names the same
/// thing in the document: a stage's or job's own `stage:`/`job:`/`deployment:` value, the
/// `dependsOn` entries of its scope and the `dependencies.X` / `stageDependencies.X.Y` of
/// expressions; a parameter's `- name:` (or key, in the older mapping form) and every
/// `parameters.x` / `parameters['x']` of a template expression. Names compare without
/// regard to case, as the service compares them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrences {
    /// The span under the cursor.
    pub at: Span,
    /// The name as its stage, job or parameter declaration writes it.
    pub name: String,
    /// What the name names.
    pub what: Named,
    /// Where the stage, job or parameter is named, when it exists.
    pub definition: Option<Span>,
    /// The places that refer to it, in document order.
    pub references: Vec<Span>,
}

/// What kind of name [`Occurrences`] are of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    StageOrJob,
    Parameter,
}

/// One place that names something, with the scope its name resolves in (an index into
/// `Pipeline::scopes`).
struct Place {
    scope: usize,
    span: Span,
    text: String,
    /// A stage's or job's own name (else a reference).
    own: bool,
}

/// The name at `offset`: a stage or job name (its own, a `dependsOn` entry, or in an
/// expression's `dependencies.X` / `stageDependencies.X.Y`) or a parameter name. Names
/// built by expressions are nobody's.
pub fn occurrences(doc: &Document, model: &Model, offset: usize) -> Option<Occurrences> {
    let offset = text::floor_char_boundary(doc.rope(), offset);
    stage_or_job(doc, model, offset).or_else(|| parameter(doc, offset))
}

fn stage_or_job(doc: &Document, model: &Model, offset: usize) -> Option<Occurrences> {
    let skeleton = model.stages_and_jobs();
    // Around syntax errors the skeleton is empty; the full reading still has names.
    let pipeline = if skeleton.intact {
        skeleton
    } else {
        model.pipeline(doc)
    };
    let within = |span: &Span| span.start <= offset && offset <= span.end;
    let scopes = pipeline.scopes();
    let mut places: Vec<Place> = Vec::new();
    for (i, scope) in scopes.iter().enumerate() {
        for item in &scope.items {
            if let Some(id) = &item.id {
                places.push(Place {
                    scope: i,
                    span: id.span.clone(),
                    text: id.text.clone(),
                    own: true,
                });
            }
            places.extend(item.depends_on.iter().map(|n| Place {
                scope: i,
                span: n.span.clone(),
                text: n.text.clone(),
                own: false,
            }));
        }
    }
    // Expression references only when the cursor is on one, or once a name is found.
    let on_name = places.iter().any(|p| within(&p.span));
    let in_expression = !on_name && expression_at(doc, offset);
    if !on_name && !in_expression {
        return None;
    }
    places.extend(dependency_places(doc, pipeline, &scopes));
    let here = places.iter().find(|p| within(&p.span))?;
    if crate::model::yaml::is_expression(&here.text) {
        return None;
    }
    let scope = &scopes[here.scope];
    let target = scope.find(&here.text);
    let name = target
        .and_then(|t| t.id.as_ref())
        .map_or(here.text.clone(), |id| id.text.clone());
    let mut references: Vec<Span> = places
        .iter()
        .filter(|p| !p.own && p.scope == here.scope && p.text.eq_ignore_ascii_case(&name))
        .map(|p| p.span.clone())
        .collect();
    references.sort_by_key(|s| s.start);
    Some(Occurrences {
        at: here.span.clone(),
        definition: target.and_then(|t| t.id.as_ref()).map(|id| id.span.clone()),
        name,
        what: Named::StageOrJob,
        references,
    })
}

/// Whether `offset` is inside an expression of the document (a cheap look at one scalar).
fn expression_at(doc: &Document, offset: usize) -> bool {
    crate::expr::document::at(doc, offset)
        .is_some_and(|f| f.expressions.iter().any(|e| e.covers(offset)))
}

/// The `dependencies.X` and `stageDependencies.X.Y` of the document's expressions, each in
/// the scope its name resolves in: in a stage (outside its jobs) `dependencies.X` is a
/// stage; in a job it is a job of the same stage; `stageDependencies.X` is a stage and `.Y`
/// one of that stage's jobs.
fn dependency_places(doc: &Document, pipeline: &Pipeline, scopes: &[Scope]) -> Vec<Place> {
    use crate::expr::Reference;
    let mut out = Vec::new();
    if !text::contains(doc.rope(), "ependencies") {
        return out;
    }
    let scope_of = |item: &Item| {
        scopes
            .iter()
            .position(|s| s.items.iter().any(|i| std::ptr::eq(*i, item)))
    };
    let jobs_of = |stage: &Item| {
        scopes
            .iter()
            .position(|s| s.stage.is_some_and(|st| std::ptr::eq(st, stage)))
    };
    for found in crate::expr::document::all(doc) {
        for e in &found.expressions {
            for r in e.references() {
                let path = pipeline.path_at(r_start(&r));
                let owner = path.iter().rev().find(|i| i.kind.depends()).copied();
                match r {
                    Reference::Dependency {
                        name, name_span, ..
                    } => {
                        if let Some(scope) = owner.and_then(scope_of) {
                            out.push(Place {
                                scope,
                                span: name_span,
                                text: name.to_string(),
                                own: false,
                            });
                        }
                    }
                    Reference::StageDependency {
                        stage,
                        stage_span,
                        job,
                        ..
                    } => {
                        let Some(here) = path.iter().find(|i| i.kind == ItemKind::Stage) else {
                            continue;
                        };
                        let Some(scope) = scope_of(here) else {
                            continue;
                        };
                        out.push(Place {
                            scope,
                            span: stage_span,
                            text: stage.to_string(),
                            own: false,
                        });
                        let target = scopes[scope].find(stage);
                        if let (Some((job, job_span)), Some(jobs)) = (job, target.and_then(jobs_of))
                        {
                            out.push(Place {
                                scope: jobs,
                                span: job_span,
                                text: job.to_string(),
                                own: false,
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

fn r_start(r: &crate::expr::Reference) -> usize {
    use crate::expr::Reference;
    match r {
        Reference::Parameter { span, .. }
        | Reference::Variable { span, .. }
        | Reference::Dependency { span, .. }
        | Reference::StageDependency { span, .. } => span.start,
    }
}

/// The parameter name at `offset`: on a declaration or on a `parameters.x` of a template
/// expression.
fn parameter(doc: &Document, offset: usize) -> Option<Occurrences> {
    use crate::expr::{Kind, Reference};
    let within = |span: &Span| span.start <= offset && offset <= span.end;
    let declared = super::templates::declared_parameters(doc);
    let mut at = declared
        .iter()
        .find(|p| within(&p.name_span))
        .map(|p| (p.name_span.clone(), p.name.clone()));
    if at.is_none() {
        let found = crate::expr::document::at(doc, offset)?;
        at = found
            .expressions
            .iter()
            .filter(|e| e.kind == Kind::Template)
            .flat_map(|e| e.references())
            .find_map(|r| match r {
                Reference::Parameter {
                    name, name_span, ..
                } if within(&name_span) => Some((name_span, name.to_string())),
                _ => None,
            });
    }
    let (at, written) = at?;
    let target = declared
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(&written));
    let name = target.map_or(written, |p| p.name.clone());
    let mut references = Vec::new();
    for found in crate::expr::document::all(doc) {
        for e in found
            .expressions
            .iter()
            .filter(|e| e.kind == Kind::Template)
        {
            for r in e.references() {
                if let Reference::Parameter {
                    name: n, name_span, ..
                } = r
                    && n.eq_ignore_ascii_case(&name)
                {
                    references.push(name_span);
                }
            }
        }
    }
    Some(Occurrences {
        at,
        name,
        what: Named::Parameter,
        definition: target.map(|p| p.name_span.clone()),
        references,
    })
}

/// Edits that rename the stage, job or parameter at `offset` to `new_name` everywhere this
/// document names it, or why not.
pub fn rename(
    doc: &Document,
    model: &Model,
    offset: usize,
    new_name: &str,
) -> Result<Vec<Edit>, String> {
    let found = occurrences(doc, model, offset).ok_or("no stage, job or parameter name here")?;
    let word = match found.what {
        Named::StageOrJob => "stage or job",
        Named::Parameter => "parameter",
    };
    if found.definition.is_none() {
        return Err(format!("no {word} is named \"{}\" here", found.name));
    }
    if !crate::analysis::rules::invalid_name::is_identifier(new_name) {
        return Err(not_a_name(new_name));
    }
    Ok(found
        .definition
        .into_iter()
        .chain(found.references)
        .map(|span| Edit {
            span,
            text: new_name.to_string(),
        })
        .collect())
}

/// Why `new_name` can't name a stage, job or parameter.
pub(super) fn not_a_name(new_name: &str) -> String {
    format!(
        "\"{new_name}\" is not a valid name: use letters, digits and \"_\", not starting with a digit"
    )
}
