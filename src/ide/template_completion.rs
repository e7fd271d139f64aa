//! Completion for template calls, which needs to know where the document lives: the
//! parameters a template declares, under `parameters:` of the item that calls it (with
//! their type and default, minus those already passed), and paths of YAML files after
//! `template:`, a folder at a time, inside the repository.
//!
//! Like the rest of completion it reads the lines around the cursor rather than the tree,
//! which is usually broken while a key is half typed.

use super::completion::{
    CompletionItem, CompletionKind, Cursor, Shape, cursor, lines_above, lines_below, shape,
};
use super::templates::{self, Files, Place, Target};
use crate::document::Document;
use crate::text::Span;
use std::path::Path;

/// How far the lines around the cursor are read for the call's keys.
const LOOK: usize = 400;
/// The most entries a folder listing offers.
const MAX_ENTRIES: usize = 500;

/// The items at `offset`, or none where this has nothing to say.
pub fn completions(
    doc: &Document,
    place: &Place,
    files: &dyn Files,
    offset: usize,
) -> Vec<CompletionItem> {
    let rope = doc.rope();
    let Some(Cursor { row, line, column }) = cursor(doc, offset) else {
        return Vec::new();
    };
    let prefix = &line.text[..column];
    let here = shape(prefix);
    if here.blank && !prefix.trim().is_empty() {
        return Vec::new();
    }
    // `template: path` being typed.
    if here.key.as_deref() == Some("template")
        && let Some(colon) = prefix[here.col..].find(':')
    {
        let start = here.col + colon + 1;
        let start = start + (prefix.len() - start - prefix[start..].trim_start().len());
        let typed = &prefix[start..];
        let span = line.start + start..line.start + column + token_len(&line.text[column..]);
        return paths(place, files, typed, span);
    }
    // A key under a call's `parameters:`.
    if here.key.is_some() || here.item {
        return Vec::new();
    }
    let Some(template) = call_template(rope, row, here.col) else {
        return Vec::new();
    };
    let Target::File(path) = templates::resolve(doc, place, files, &template.value) else {
        return Vec::new();
    };
    let Some(declared) = templates::template_parameters(files, &path) else {
        return Vec::new();
    };
    let typed = prefix[here.col..].trim_end();
    let span = line.start + here.col..line.start + column + token_len(&line.text[column..]);
    declared
        .iter()
        .filter(|p| {
            !template
                .passed
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&p.name))
        })
        .enumerate()
        .map(|(n, p)| {
            let kind = p.kind.as_deref().unwrap_or("string");
            let detail = match &p.default {
                Some(d) if !d.contains('\n') => format!("{kind} = {d}"),
                Some(_) => format!("{kind}, with a default"),
                None if p.has_default => format!("{kind}, with a default"),
                None => format!("{kind}, required"),
            };
            let mut documentation = String::new();
            if let Some(d) = &p.display_name {
                documentation.push_str(d);
            }
            if !p.values.is_empty() {
                if !documentation.is_empty() {
                    documentation.push_str("\n\n");
                }
                documentation.push_str(&format!("values: {}", p.values_list()));
            }
            CompletionItem {
                label: p.name.clone(),
                kind: CompletionKind::Keyword,
                detail,
                documentation,
                deprecated: false,
                // Required parameters first.
                sort_text: format!("{}{n:04}", u8::from(p.has_default)),
                filter_text: None,
                span: span.clone(),
                text: format!("{}: ", p.name),
                snippet: false,
            }
        })
        .filter(|i| {
            typed.is_empty()
                || i.label
                    .to_ascii_lowercase()
                    .starts_with(&typed.to_ascii_lowercase())
        })
        .collect()
}

/// The length of the key or path characters from the start of `rest`.
fn token_len(rest: &str) -> usize {
    rest.find(|c: char| c.is_whitespace() || matches!(c, ':' | '#' | '"' | '\''))
        .unwrap_or(rest.len())
}

/// A template call around a `parameters:` key: its path, and the keys already passed.
struct CallLines {
    value: String,
    passed: Vec<String>,
}

/// The call whose `parameters:` holds keys at column `col` on row `row`.
fn call_template(rope: &ropey::Rope, row: usize, col: usize) -> Option<CallLines> {
    // Up to the `parameters:` key that holds this line, noting the keys passed.
    let mut passed = Vec::new();
    let mut params_row = None;
    for (r, text) in lines_above(rope, row).take(LOOK) {
        let s = shape(&text);
        if s.blank {
            continue;
        }
        if s.col == col && !s.item {
            passed.extend(s.key.clone());
            continue;
        }
        if s.col > col {
            continue;
        }
        if s.key.as_deref() == Some("parameters") && s.value.is_empty() {
            params_row = Some((r, s));
        }
        break;
    }
    let (params_row, params) = params_row?;
    // Keys passed below the cursor too.
    for (_, text) in lines_below(rope, row).take(LOOK - 1) {
        let s = shape(&text);
        if s.blank || s.col > col {
            continue;
        }
        if s.col < col || s.item {
            break;
        }
        passed.extend(s.key);
    }
    // The `template:` sibling of `parameters:`, above or below it in the same item.
    let sibling = |s: &Shape| s.col == params.col && s.key.as_deref() == Some("template");
    let mut found = None;
    for (_, text) in lines_above(rope, params_row).take(LOOK) {
        let s = shape(&text);
        if s.blank || s.col > params.col {
            continue;
        }
        if sibling(&s) {
            found = Some(s.value.clone());
        }
        if s.col < params.col || s.item || found.is_some() {
            break;
        }
    }
    if found.is_none() {
        for (_, text) in lines_below(rope, params_row).take(LOOK - 1) {
            let s = shape(&text);
            if s.blank || s.col > params.col {
                continue;
            }
            if s.col < params.col || s.item {
                break;
            }
            if sibling(&s) {
                found = Some(s.value.clone());
                break;
            }
        }
    }
    let value = found.filter(|v| !v.is_empty())?;
    Some(CallLines { value, passed })
}

/// YAML files and folders for the path typed so far after `template:`, from the including
/// file's folder (or the repository root for `/path`), never above the repository root.
fn paths(place: &Place, files: &dyn Files, raw: &str, span: Span) -> Vec<CompletionItem> {
    let typed = raw.trim_start_matches(['"', '\'']);
    // The replaced text starts after the opening quote and the folders typed.
    let lead = raw.len() - typed.len();
    if typed.contains("..") || typed.contains('@') || typed.contains("${{") {
        return Vec::new();
    }
    let (folder, partial) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let Some(base) = templates::folder_for(place, files, folder) else {
        return Vec::new();
    };
    let mut entries = files.list(&base);
    entries.sort();
    entries
        .into_iter()
        .filter(|(name, _)| !name.starts_with('.'))
        .filter(|(name, dir)| *dir || is_yaml(name))
        .filter(|(name, _)| {
            name.to_ascii_lowercase()
                .starts_with(&partial.to_ascii_lowercase())
        })
        .take(MAX_ENTRIES)
        .enumerate()
        .map(|(n, (name, dir))| {
            let label = if dir { format!("{name}/") } else { name };
            CompletionItem {
                kind: CompletionKind::Value,
                detail: if dir {
                    "folder".into()
                } else {
                    "template".into()
                },
                documentation: String::new(),
                deprecated: false,
                // Files before folders.
                sort_text: format!("{}{n:04}", u8::from(dir)),
                filter_text: None,
                span: span.start + lead + folder.len()..span.end,
                text: label.clone(),
                snippet: false,
                label,
            }
        })
        .collect()
}

fn is_yaml(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    Path::new(&lower)
        .extension()
        .is_some_and(|e| e == "yml" || e == "yaml")
}
