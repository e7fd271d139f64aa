//! Editor features inside expressions: completion of function names (with their signature)
//! in `${{ }}`, `$[ ]` and `condition:` values, of predefined variable names in `$( )` macros
//! and `variables['…']`, and hovers on functions and on predefined variables.
//!
//! Completion reads the line up to the cursor, as the rest of completion does: while an
//! expression is being typed it is usually unclosed, and the tree has nothing useful there.
//! Hovers read the tree's scalar under the cursor and parse it.

use crate::document::Document;
use crate::expr::{self, Function, FunctionContext, Kind, NodeKind, Reference, functions};
use crate::ide::completion::{CompletionItem, CompletionKind, CompletionOptions};
use crate::ide::hover::Hover;
use crate::knowledge::{PredefinedVariable, predefined_variables};
use crate::model::pipeline::{Item, ItemKind};
use crate::model::{Model, yaml};
use crate::syntax;
use crate::text::Span;
use std::fmt::Write;

/// What is being typed at the cursor.
#[derive(Debug, PartialEq, Eq)]
enum Typing {
    /// A function (or value) name in an expression of this kind.
    Name(Kind),
    /// A variable name: in `$( )` or in `variables['…']`.
    Variable,
    /// Somewhere else in an expression (a property, a string): nothing to offer, and no
    /// YAML completion either.
    Nothing,
}

/// Completion at `offset`, whose line is `line` (without its line break, starting at
/// `line_start`): `None` when the cursor is not in an expression, a macro or a condition.
pub(super) fn completions(
    doc: &Document,
    model: &Model,
    offset: usize,
    line: &str,
    line_start: usize,
    options: CompletionOptions,
) -> Option<Vec<CompletionItem>> {
    let column = offset.checked_sub(line_start)?.min(line.len());
    let column = floor_boundary(line, column);
    let prefix = &line[..column];
    let (typing, from) = typing(doc, offset, prefix)?;
    if in_comment(doc, offset) {
        return None;
    }
    let name_char = |c: char| c.is_alphanumeric() || c == '_' || c == '-' || c == '.';
    let word_start = prefix
        .char_indices()
        .rev()
        .take_while(|(i, c)| *i >= from && name_char(*c))
        .last()
        .map_or(column, |(i, _)| i);
    let rest = &line[column..];
    let word_end = column + rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
    let span = line_start + word_start..line_start + word_end;
    let followed_by_paren = line[word_end..].trim_start().starts_with('(');
    let items = match typing {
        Typing::Nothing => Vec::new(),
        Typing::Variable => {
            let mut items = file_variable_items(doc, model, offset, span.clone());
            items.extend(variable_items(span));
            items
        }
        Typing::Name(kind) => {
            // A name after a dot is a property: the named values' own, else not ours.
            if prefix[from..word_start].trim_end().ends_with('.') {
                Vec::new()
            } else if line[word_start..column].contains('.') {
                let typed = &line[word_start..column];
                let end = line_start
                    + column
                    + rest
                        .find(|c: char| !name_char(c) || c == '.')
                        .unwrap_or(rest.len());
                member_items(
                    doc,
                    model,
                    kind,
                    offset,
                    typed,
                    line_start + word_start,
                    end,
                )
            } else {
                function_items(kind, span, options, followed_by_paren)
            }
        }
    };
    Some(items)
}

/// The members of a named value being typed after its dot: `typed` is the word from the
/// value's name to the cursor (`parameters.en`, `stageDependencies.Build.Co`), starting at
/// `start`; the items replace from after its last dot (after the first, for variables,
/// whose names have dots) to `end`.
fn member_items(
    doc: &Document,
    model: &Model,
    kind: Kind,
    offset: usize,
    typed: &str,
    start: usize,
    end: usize,
) -> Vec<CompletionItem> {
    let Some((head, tail)) = typed.split_once('.') else {
        return Vec::new();
    };
    let after = |dots: usize| {
        let at = typed
            .match_indices('.')
            .nth(dots)
            .map_or(typed.len(), |(i, _)| i + 1);
        start + at..end.max(start + typed.len())
    };
    let value = |label: &str, detail: String, documentation: String, n: usize, span: &Span| {
        CompletionItem {
            label: label.to_string(),
            kind: CompletionKind::Value,
            detail,
            documentation,
            deprecated: false,
            sort_text: format!("{n:04}"),
            filter_text: None,
            span: span.clone(),
            text: label.to_string(),
            snippet: false,
        }
    };
    let dots = tail.matches('.').count();
    match head.to_ascii_lowercase().as_str() {
        // Parameters exist only while template expressions are expanded.
        "parameters" if dots == 0 && kind == Kind::Template => {
            let span = after(0);
            crate::ide::templates::declared_parameters(doc)
                .iter()
                .enumerate()
                .map(|(n, p)| {
                    let kind = p.kind.as_deref().unwrap_or("string");
                    let detail = match &p.default {
                        Some(d) if !d.contains('\n') => format!("{kind} = {d}"),
                        Some(_) => format!("{kind} (default over several lines)"),
                        None => kind.to_string(),
                    };
                    let documentation = match (&p.display_name, &p.default) {
                        (Some(shown), _) => format!("parameter **{}** — {shown}", p.name),
                        _ => format!("parameter **{}**", p.name),
                    };
                    value(&p.name, detail, documentation, n, &span)
                })
                .collect()
        }
        "variables" => {
            let span = after(0);
            let mut items = file_variable_items(doc, model, offset, span.clone());
            items.extend(variable_items(span));
            items
        }
        "dependencies" if dots == 0 => {
            let span = after(0);
            dependencies(model.pipeline(doc), offset, false)
                .into_iter()
                .enumerate()
                .map(|(n, (name, item))| {
                    value(&name, item.kind.word().to_string(), String::new(), n, &span)
                })
                .collect()
        }
        "stagedependencies" if dots <= 1 => {
            let span = after(dots);
            let pipeline = model.pipeline(doc);
            let stages = dependencies(pipeline, offset, true);
            if dots == 0 {
                return stages
                    .into_iter()
                    .enumerate()
                    .map(|(n, (name, _))| value(&name, "stage".into(), String::new(), n, &span))
                    .collect();
            }
            let stage = tail.split('.').next().unwrap_or_default();
            let Some((_, stage)) = stages
                .into_iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(stage))
            else {
                return Vec::new();
            };
            jobs_of(stage)
                .into_iter()
                .enumerate()
                .filter_map(|(n, job)| {
                    let id = job.id.as_ref()?;
                    Some(value(
                        &id.text,
                        job.kind.word().to_string(),
                        String::new(),
                        n,
                        &span,
                    ))
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// What the stage or job at `offset` depends on, by name: its `dependsOn`, or for a stage
/// without one the stage before it. With `stages`, the stages its stage depends on (for
/// `stageDependencies`), else the stage's or job's own.
fn dependencies(
    pipeline: &crate::model::pipeline::Pipeline,
    offset: usize,
    stages: bool,
) -> Vec<(String, &Item)> {
    let path = pipeline.path_at(offset);
    let owner = if stages {
        path.iter().rev().find(|i| i.kind == ItemKind::Stage)
    } else {
        path.iter().rev().find(|i| i.kind.depends())
    };
    let Some(owner) = owner.copied() else {
        return Vec::new();
    };
    let Some((_, peers)) = pipeline.peers(owner.selection.start) else {
        return Vec::new();
    };
    let named = |name: &str| {
        peers.iter().copied().find(|p| {
            p.id.as_ref()
                .is_some_and(|id| id.text.eq_ignore_ascii_case(name))
        })
    };
    let listed: Vec<(String, &Item)> = owner
        .depends_on
        .iter()
        .filter_map(|n| Some((n.text.clone(), named(&n.text)?)))
        .collect();
    if !listed.is_empty() || owner.kind != ItemKind::Stage {
        return listed;
    }
    // A stage without `dependsOn` depends on the stage before it.
    let at = peers.iter().position(|p| std::ptr::eq(*p, owner));
    at.and_then(|i| i.checked_sub(1))
        .map(|i| peers[i])
        .and_then(|p| Some((p.id.as_ref()?.text.clone(), p)))
        .into_iter()
        .collect()
}

/// The jobs and deployments of a stage (under its insertions too).
fn jobs_of(stage: &Item) -> Vec<&Item> {
    let mut out = Vec::new();
    let mut stack: Vec<&Item> = stage.children.iter().rev().collect();
    while let Some(item) = stack.pop() {
        match item.kind {
            ItemKind::Job | ItemKind::Deployment => out.push(item),
            ItemKind::Stage => {}
            _ => stack.extend(item.children.iter().rev()),
        }
    }
    out
}

/// The variables the file defines that are visible at `offset`: the pipeline's, and those of
/// the stage and job around it, in that order.
fn file_variable_items(
    doc: &Document,
    model: &Model,
    offset: usize,
    span: Span,
) -> Vec<CompletionItem> {
    let pipeline = model.pipeline(doc);
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    // The pipeline's, from the model.
    let sections = pipeline
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Section && i.name == "variables");
    for section in sections {
        let mut stack: Vec<&Item> = section.children.iter().rev().collect();
        while let Some(v) = stack.pop() {
            match v.kind {
                ItemKind::Variable if v.detail.as_deref() != Some("group") => {
                    found.push((v.name.clone(), v.detail.clone()));
                }
                ItemKind::Condition => stack.extend(v.children.iter().rev()),
                _ => {}
            }
        }
    }
    // The stage's and job's, from their mappings in the tree.
    let rope = doc.rope();
    let root = doc.tree().root_node();
    for item in pipeline
        .path_at(offset)
        .into_iter()
        .filter(|i| i.kind.depends())
    {
        let at = item.selection.start;
        let path = syntax::path_to(root, at, at);
        let Some(mapping) = path
            .iter()
            .rev()
            .find(|n| yaml::is_mapping(**n) && n.start_byte() <= at)
        else {
            continue;
        };
        let Some(value) = yaml::get(rope, *mapping, "variables")
            .and_then(|(_, v)| v)
            .and_then(yaml::content)
        else {
            continue;
        };
        if yaml::is_mapping(value) {
            for (k, v) in yaml::pairs(value) {
                if let Some(name) = yaml::key_text(rope, k).filter(|n| !n.contains("${{")) {
                    let detail = v.and_then(|v| yaml::scalar(rope, v)).map(|s| s.text);
                    found.push((name, detail));
                }
            }
        } else {
            for entry in yaml::items(value).filter(|n| yaml::is_mapping(*n)) {
                let get = |key: &str| {
                    yaml::get(rope, entry, key)
                        .and_then(|(_, v)| v)
                        .and_then(|v| yaml::scalar(rope, v))
                        .map(|s| s.text)
                };
                if let Some(name) = get("name") {
                    found.push((name, get("value")));
                }
            }
        }
    }
    let mut out: Vec<CompletionItem> = Vec::new();
    for (name, value) in found {
        if out.iter().any(|i| i.label == name) {
            continue;
        }
        out.push(CompletionItem {
            label: name.clone(),
            kind: CompletionKind::Variable,
            detail: match value {
                Some(value) => format!("variable = {value}"),
                None => "variable".to_string(),
            },
            documentation: String::new(),
            deprecated: false,
            // Before the predefined ones.
            sort_text: format!("0{:04}", out.len()),
            filter_text: None,
            span: span.clone(),
            text: name,
            snippet: false,
        });
    }
    out
}

/// The largest char boundary at or before `at`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// What the prefix of the line says is being typed, and where in the line the expression (or
/// macro name) starts.
fn typing(doc: &Document, offset: usize, prefix: &str) -> Option<(Typing, usize)> {
    // The innermost unclosed opener wins: `$(` inside `${{ }}` is text, so look at them in
    // the order they open.
    let mut open: Option<(Kind, usize)> = None;
    let mut macro_at: Option<usize> = None;
    let mut i = 0;
    let bytes = prefix.as_bytes();
    'scan: while i < bytes.len() {
        let rest = &prefix[i..];
        for (opener, closer, kind) in [("${{", "}}", Kind::Template), ("$[", "]", Kind::Runtime)] {
            if rest.starts_with(opener) {
                let body = i + opener.len();
                match close_of(&prefix[body..], closer) {
                    Some(len) => i = body + len + closer.len(),
                    None => {
                        open = Some((kind, body));
                        break 'scan;
                    }
                }
                continue 'scan;
            }
        }
        if rest.starts_with("$(") {
            match rest.find(')') {
                Some(len) => i += len + 1,
                None => {
                    macro_at = Some(i + 2);
                    break;
                }
            }
            continue;
        }
        i += rest.chars().next().map_or(1, char::len_utf8);
    }
    if let Some(at) = macro_at {
        let name = &prefix[at..];
        return name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .then_some((Typing::Variable, at));
    }
    let (kind, from) = match open {
        Some(found) => found,
        None => (Kind::Condition, condition_start(doc, offset, prefix)?),
    };
    let inner = &prefix[from..];
    Some(match string_start(inner) {
        Some(quote) => {
            let before = inner[..quote].trim_end();
            if before.ends_with('[') && before[..before.len() - 1].trim_end().ends_with("variables")
            {
                (Typing::Variable, from + quote + 1)
            } else {
                (Typing::Nothing, from)
            }
        }
        None => (Typing::Name(kind), from),
    })
}

/// The length of the text before `close` outside strings, if `close` is in `text`.
fn close_of(text: &str, close: &str) -> Option<usize> {
    let mut in_string = false;
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '\'' => in_string = !in_string,
            '[' if !in_string && close == "]" => depth += 1,
            ']' if !in_string && close == "]" && depth > 0 => depth -= 1,
            _ if !in_string && text[i..].starts_with(close) => return Some(i),
            _ => {}
        }
    }
    None
}

/// Where the string the cursor is in opened (the index of its quote), if it is in one.
fn string_start(inner: &str) -> Option<usize> {
    let mut open = None;
    for (i, c) in inner.char_indices() {
        if c == '\'' {
            open = match open {
                Some(_) => None,
                None => Some(i),
            };
        }
    }
    open
}

/// Where a condition's expression starts on this line: after `condition:` on the same line,
/// or at the first non-space character of a line inside a multi-line condition.
fn condition_start(doc: &Document, offset: usize, prefix: &str) -> Option<usize> {
    let trimmed = prefix.trim_start();
    let mut rest = trimmed;
    while let Some(r) = rest.strip_prefix("- ") {
        rest = r.trim_start();
    }
    if let Some(value) = rest.strip_prefix("condition:") {
        let quote = value.trim_start().starts_with(['\'', '"']);
        if value.starts_with([' ', '\t']) && !quote && !value.trim_start().starts_with(['|', '>']) {
            return Some(prefix.len() - value.trim_start().len());
        }
        return None;
    }
    // A line of a condition written over several lines.
    let found = expr::document::at(doc, offset)?;
    (found.role == expr::Role::Condition && found.scalar.start < offset - (prefix.len()))
        .then(|| prefix.len() - trimmed.len())
}

/// Whether `offset` is in a comment (or just after one, at the end of its line).
fn in_comment(doc: &Document, offset: usize) -> bool {
    let path = syntax::path_to(doc.tree().root_node(), offset.saturating_sub(1), offset);
    path.last()
        .is_some_and(|n| n.kind() == "comment" && n.start_byte() < offset)
}

/// Functions that work in an expression of this kind, in order: the status functions first
/// in conditions, where they are the usual start.
fn function_items(
    kind: Kind,
    span: Span,
    options: CompletionOptions,
    followed_by_paren: bool,
) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = functions()
        .all()
        .iter()
        .filter(|f| match f.context {
            FunctionContext::Any => true,
            FunctionContext::Condition => kind == Kind::Condition,
            FunctionContext::Variable => kind == Kind::Runtime,
        })
        .map(|f| {
            let group = if kind == Kind::Condition && f.is_status() {
                0
            } else {
                1
            };
            let (text, snippet) = if followed_by_paren {
                (f.name.clone(), false)
            } else if options.snippets && f.max != Some(0) {
                (format!("{}($1)", f.name), true)
            } else {
                (format!("{}()", f.name), false)
            };
            CompletionItem {
                label: f.name.clone(),
                kind: CompletionKind::Function,
                detail: format!("{} → {}", f.signature, f.returns),
                documentation: function_markdown(f),
                deprecated: false,
                sort_text: format!("{group}{}", f.name.to_ascii_lowercase()),
                filter_text: None,
                span: span.clone(),
                text,
                snippet,
            }
        })
        .collect();
    items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
    items
}

fn variable_items(span: Span) -> Vec<CompletionItem> {
    let mut items: Vec<CompletionItem> = predefined_variables()
        .all()
        .iter()
        .map(|v| CompletionItem {
            label: v.name.clone(),
            kind: CompletionKind::Variable,
            detail: "predefined variable".to_string(),
            documentation: variable_markdown(v),
            deprecated: false,
            sort_text: v.name.to_ascii_lowercase(),
            filter_text: None,
            span: span.clone(),
            text: v.name.clone(),
            snippet: false,
        })
        .collect();
    items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
    items
}

/// A function's documentation: signature, what it returns, what it does, where it works.
fn function_markdown(f: &Function) -> String {
    let table = functions();
    let mut md = format!(
        "**`{}`** → {}\n\n{}\n\nTakes {} argument{}.",
        f.signature,
        f.returns,
        f.description,
        f.arity(),
        if f.arity() == "1" { "" } else { "s" }
    );
    match f.context {
        FunctionContext::Condition => md.push_str(
            " A status function: only in a `condition:`, outside `${{ }}` (template expressions \
             are expanded before anything runs).",
        ),
        FunctionContext::Variable => {
            md.push_str(" Only in an expression that defines a variable.");
        }
        FunctionContext::Any => {}
    }
    if let Some(note) = &f.note {
        let _ = write!(md, "\n\n{note}");
    }
    let url = if f.is_status() {
        table.status_url.clone()
    } else {
        format!("{}#{}", table.url, f.name.to_ascii_lowercase())
    };
    let _ = write!(md, "\n\n[Expressions: {}]({url})", f.name);
    md
}

/// A predefined variable's documentation.
fn variable_markdown(v: &PredefinedVariable) -> String {
    let table = predefined_variables();
    let mut md = format!(
        "**`{}`** — predefined variable\n\n{}",
        v.name, v.description
    );
    if !v.values.is_empty() {
        let values: Vec<String> = v.values.iter().map(|x| format!("`{x}`")).collect();
        let _ = write!(md, "\n\nValues: {}.", values.join(", "));
    }
    let _ = write!(
        md,
        "\n\nIn scripts: the environment variable `{}`.",
        v.environment_name()
    );
    match v.templates {
        Some(true) => md.push_str(" Template expressions (`${{ }}`) can read it."),
        Some(false) => md.push_str(
            " Template expressions (`${{ }}`) cannot: it is set when the run starts; use \
             `$( )` or `$[ ]`.",
        ),
        None => {}
    }
    let _ = write!(md, "\n\n[Predefined variables]({})", table.url);
    md
}

/// The hover at `offset`: a function name in an expression, or a predefined variable in a
/// `$( )` macro or a `variables` reference.
pub fn hover(doc: &Document, offset: usize) -> Option<Hover> {
    if let Some(hover) = macro_hover(doc, offset) {
        return Some(hover);
    }
    let found = expr::document::at(doc, offset)?;
    let within = |span: &Span| span.start <= offset && offset <= span.end;
    for expression in found.expressions.iter().filter(|e| e.covers(offset)) {
        for node in &expression.nodes {
            if let NodeKind::Call {
                name, name_span, ..
            } = &node.kind
                && within(name_span)
            {
                let f = functions().get(name)?;
                return Some(Hover {
                    span: name_span.clone(),
                    markdown: function_markdown(f),
                });
            }
        }
        for reference in expression.references() {
            if let Reference::Variable {
                name, name_span, ..
            } = reference
                && within(&name_span)
                && let Some(v) = predefined_variables().get(name)
            {
                return Some(Hover {
                    span: name_span,
                    markdown: variable_markdown(v),
                });
            }
        }
    }
    None
}

/// A predefined variable in a `$(Name)` macro on the cursor's line, anywhere but in comments.
fn macro_hover(doc: &Document, offset: usize) -> Option<Hover> {
    let rope = doc.rope();
    let offset = crate::text::floor_char_boundary(rope, offset);
    let row = rope.byte_to_line(offset);
    let start = rope.line_to_byte(row);
    let line = syntax::slice_text(rope.line(row));
    let at = offset - start;
    let open = line[..at.min(line.len())].rfind("$(")?;
    let name_start = open + 2;
    let len = line[name_start..]
        .find(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .unwrap_or(line.len() - name_start);
    if !line[name_start + len..].starts_with(')') || at > name_start + len {
        return None;
    }
    let v = predefined_variables().get(&line[name_start..name_start + len])?;
    if in_comment(doc, offset) {
        return None;
    }
    Some(Hover {
        span: start + name_start..start + name_start + len,
        markdown: variable_markdown(v),
    })
}
