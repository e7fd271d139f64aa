//! Stage and job names, from the pipeline model: completion of the names a `dependsOn`
//! may list (the stages, or the jobs and deployments of the same stage, minus the item
//! itself and the names already listed), hovers on a name in `dependsOn` (what it
//! names) and on a stage's or job's own name (who depends on it), and the places that
//! name one stage or job, for go to definition, references, highlights and rename.

use super::completion::{CompletionItem, CompletionKind, Cx, Here, line_at, shape, yaml_string};
use super::hover::Hover;
use crate::document::{Document, Edit};
use crate::model::Model;
use crate::model::pipeline::{Item, ItemKind};
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
    for r in (cx.row.saturating_sub(LOOK_UP)..cx.row).rev() {
        let line = line_at(cx.rope, r);
        let s = shape(&line.text);
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

/// A stage or job name under the cursor, and every place that names the same stage or
/// job in the document: its own `stage:`/`job:`/`deployment:` value and the `dependsOn`
/// entries of its scope (names compare without regard to case, as the service compares
/// them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrences {
    /// The span under the cursor.
    pub at: Span,
    /// The name as its stage or job writes it.
    pub name: String,
    /// Where the stage or job is named, when it exists.
    pub definition: Option<Span>,
    /// The `dependsOn` entries that name it, in document order.
    pub references: Vec<Span>,
}

/// The stage or job name at `offset`: on a `stage:`/`job:`/`deployment:` value or on a
/// `dependsOn` entry. Names built by expressions are nobody's.
pub fn occurrences(doc: &Document, model: &Model, offset: usize) -> Option<Occurrences> {
    let skeleton = model.stages_and_jobs();
    // Around syntax errors the skeleton is empty; the full reading still has names.
    let pipeline = if skeleton.intact {
        skeleton
    } else {
        model.pipeline(doc)
    };
    let within = |span: &Span| span.start <= offset && offset <= span.end;
    for scope in pipeline.scopes() {
        let Some((at, name)) = scope.items.iter().find_map(|item| {
            if let Some(id) = item.id.as_ref().filter(|id| within(&id.span)) {
                return Some((id.span.clone(), id.text.clone()));
            }
            item.depends_on
                .iter()
                .find(|n| within(&n.span))
                .map(|n| (n.span.clone(), n.text.clone()))
        }) else {
            continue;
        };
        if crate::model::yaml::is_expression(&name) {
            return None;
        }
        let target = scope.find(&name);
        let name = target
            .and_then(|t| t.id.as_ref())
            .map_or(name, |id| id.text.clone());
        let references = scope
            .items
            .iter()
            .flat_map(|i| &i.depends_on)
            .filter(|n| n.text.eq_ignore_ascii_case(&name))
            .map(|n| n.span.clone())
            .collect();
        return Some(Occurrences {
            at,
            definition: target.and_then(|t| t.id.as_ref()).map(|id| id.span.clone()),
            name,
            references,
        });
    }
    None
}

/// Edits that rename the stage or job at `offset` to `new_name` everywhere this document
/// names it, or why not.
pub fn rename(
    doc: &Document,
    model: &Model,
    offset: usize,
    new_name: &str,
) -> Result<Vec<Edit>, String> {
    let found = occurrences(doc, model, offset).ok_or("no stage or job name here")?;
    if found.definition.is_none() {
        return Err(format!("no stage or job is named \"{}\" here", found.name));
    }
    if !crate::analysis::rules::invalid_name::is_identifier(new_name) {
        return Err(format!(
            "\"{new_name}\" is not a valid name: use letters, digits and \"_\", not starting with a digit"
        ));
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
