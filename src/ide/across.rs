//! A template's parameter across files: its declaration and `${{ parameters.x }}`
//! references in the template, and the keys that pass it under `parameters:` in the calls
//! of other documents. Find references and rename start from either end: the template's
//! name, or a key a caller passes.
//!
//! Which documents may call the template is the caller's business (the editor knows what
//! is open and where the workspace is); this module judges one document at a time.

use super::names::{Named, occurrences};
use super::templates::{self, Files, Place, Target};
use crate::document::{Document, Edit};
use crate::model::{self, Model};
use crate::text::Span;
use std::path::{Path, PathBuf};

/// A parameter of a template file, as one place names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parameter {
    /// The template file (as its callers resolve it).
    pub template: PathBuf,
    /// The name as the template declares it (or as the call writes it, when the template
    /// declares no such parameter).
    pub name: String,
    /// Where the name is, in the document asked about.
    pub at: Span,
    /// The template declares it.
    pub declared: bool,
}

/// The template parameter at `offset`: one the document declares or references as
/// `parameters.x` (when the document is a file), or a key its call of a template file
/// passes under `parameters:`.
pub fn parameter_at(
    doc: &Document,
    model: &Model,
    place: &Place,
    files: &dyn Files,
    offset: usize,
) -> Option<Parameter> {
    if let Some(found) = occurrences(doc, model, offset)
        && found.what == Named::Parameter
    {
        return Some(Parameter {
            template: place.file.clone()?,
            name: found.name,
            at: found.at,
            declared: found.definition.is_some(),
        });
    }
    let passed = templates::passed_parameter_at(doc, offset)?;
    let Target::File(template) = templates::resolve(doc, place, files, &passed.template) else {
        return None;
    };
    let declared = templates::template_parameters(files, &template).and_then(|d| {
        d.iter()
            .find(|p| p.name.eq_ignore_ascii_case(&passed.name))
            .map(|p| p.name.clone())
    });
    Some(Parameter {
        template,
        declared: declared.is_some(),
        name: declared.unwrap_or(passed.name),
        at: passed.span,
    })
}

/// The spans that name parameter `name` in the template's own text: its declaration
/// first, then its `parameters.x` references.
pub fn in_template(template: &Document, name: &str) -> Vec<Span> {
    let Some(declared) = templates::declared_parameters(template)
        .into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
    else {
        return Vec::new();
    };
    let model = model::build(template);
    occurrences(template, &model, declared.name_span.start)
        .filter(|o| o.what == Named::Parameter)
        .map(|o| o.definition.into_iter().chain(o.references).collect())
        .unwrap_or_default()
}

/// The keys in `caller` that pass parameter `name` to the template file `template`, in
/// document order: under the `parameters:` of each of its calls that resolves there.
pub fn passing_keys(
    caller: &Document,
    place: &Place,
    files: &dyn Files,
    template: &Path,
    name: &str,
) -> Vec<Span> {
    if !templates::may_call(caller.rope(), template) {
        return Vec::new();
    }
    let Some(wanted) = files.canonical(template) else {
        return Vec::new();
    };
    templates::calls(caller)
        .into_iter()
        .filter(
            |call| match templates::resolve(caller, place, files, &call.reference.value) {
                Target::File(path) => files.canonical(&path).as_deref() == Some(&*wanted),
                _ => false,
            },
        )
        .flat_map(|call| call.passed.unwrap_or_default())
        .filter(|a| a.name.eq_ignore_ascii_case(name))
        .map(|a| a.name_span)
        .collect()
}

/// Edits that write `new_name` over every span, or why the name can't be used.
pub fn renamed(spans: &[Span], new_name: &str) -> Result<Vec<Edit>, String> {
    if !crate::analysis::rules::invalid_name::is_identifier(new_name) {
        return Err(super::names::not_a_name(new_name));
    }
    Ok(spans
        .iter()
        .map(|span| Edit {
            span: span.clone(),
            text: new_name.to_string(),
        })
        .collect())
}
