//! Completion from the task catalog: task names and versions after `task:`, a step's
//! inputs under `inputs:`, and the values of pick-list and boolean inputs, each marked with
//! what the workload identity federation table says about it; and the Microsoft-hosted image
//! labels after `pool: vmImage:`.
//!
//! The context comes from the text, not the tree: while the user types `- task: Azu` or
//! `    azureSubs` the document is usually invalid, and the tree has an ERROR node where
//! the answer is needed. The current line up to the cursor says what is being typed; the
//! lines around it, read by indentation, say which step and which `inputs:` it belongs to.
//! That costs the lines of one step, never the whole document. The tree only rules out
//! block scalars (scripts) and comments.
//!
//! Everywhere else, the keys and values of the pipeline language come from `keywords`; inside
//! expressions, macros and conditions, functions and variables come from `expressions`.

use crate::analysis::Config;
use crate::analysis::rules::status_phrase;
use crate::document::Document;
use crate::ide::hover::{connection_wif, input_markdown, task_heading};
use crate::ide::{keywords, names};
use crate::knowledge::{
    self, CatalogInput, CatalogTask, ImageStatus, Knowledge, RuleValue, Status,
};
use crate::model::{self, Model, TaskRef, yaml::Scalar};
use crate::syntax;
use crate::text::{self, Span};
use ropey::Rope;
use std::borrow::Cow;
use std::fmt::Write;

/// What the editor can take.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompletionOptions {
    /// The client inserts snippets (`${1}` placeholders); otherwise items carry plain text.
    pub snippets: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    /// `Name@major`.
    Task,
    /// An input key.
    Input,
    /// A value of a pick-list or boolean input, or of a keyword.
    Value,
    /// A key of the pipeline language (`steps`, `pool`, `displayName` …).
    Keyword,
    /// A skeleton of several keys (a stage with a job …).
    Snippet,
    /// A function of the expression language.
    Function,
    /// A predefined variable (`Build.SourceBranch`).
    Variable,
}

/// One completion item, in core terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// One line beside the label.
    pub detail: String,
    /// Markdown.
    pub documentation: String,
    /// Deprecated in the catalog, or deprecated/unsupported for workload identity
    /// federation; sorted last.
    pub deprecated: bool,
    /// Editors sort by this, then by label.
    pub sort_text: String,
    /// What typing matches, when not the label: every key an input accepts.
    pub filter_text: Option<String>,
    /// The text the item replaces (on the cursor's line, containing the cursor).
    pub span: Span,
    /// The replacement.
    pub text: String,
    /// `text` is a snippet (only when the client takes snippets).
    pub snippet: bool,
}

/// The completion items at a byte offset; empty where azpls has nothing to offer.
pub fn completions(
    doc: &Document,
    model: &Model,
    config: &Config,
    offset: usize,
    options: CompletionOptions,
) -> Vec<CompletionItem> {
    let rope = doc.rope();
    // Expressions, macros and conditions, scripts included.
    {
        let at = text::floor_char_boundary(rope, offset);
        let line = line_at(rope, rope.byte_to_line(at));
        if let Some(items) =
            super::expressions::completions(doc, model, at, &line.text, line.start, options)
        {
            return items;
        }
    }
    let Some(Cursor { row, line, column }) = cursor(doc, offset) else {
        return Vec::new();
    };
    let prefix = &line.text[..column];
    if in_expression(prefix) {
        return Vec::new();
    }
    let Some(here) = scan(prefix) else {
        return Vec::new();
    };
    let cx = Cx {
        rope,
        config,
        options,
        line: &line,
        row,
        column,
    };
    match &here.value {
        Some(value) if here.key.as_deref() == Some("task") => cx.tasks(&here, *value),
        Some(value) if here.key.as_deref() == Some("vmImage") && cx.in_pool(&here) => {
            cx.vm_images(*value, here.flow.is_some())
        }
        _ => {
            if let Some(items) = names::completions(doc, model, &cx, &here) {
                return items;
            }
            let items = cx.inputs(&here);
            if items.is_empty() {
                keywords::completions(doc, &cx, &here)
            } else {
                items
            }
        }
    }
}

/// Where completion is asked: the row, that line and the column of the cursor (at a
/// character boundary).
pub(super) struct Cursor<'a> {
    pub(super) row: usize,
    pub(super) line: Line<'a>,
    pub(super) column: usize,
}

/// The cursor at `offset`; `None` in a script or a comment, which are the user's own text.
pub(super) fn cursor(doc: &Document, offset: usize) -> Option<Cursor<'_>> {
    let rope = doc.rope();
    let offset = text::floor_char_boundary(rope, offset);
    if in_script_or_comment(doc, offset) {
        return None;
    }
    let row = rope.byte_to_line(offset);
    let line = line_at(rope, row);
    let column = (offset - line.start).min(line.text.len());
    Some(Cursor { row, line, column })
}

/// One line of the document without its line break, and where it starts.
pub(super) struct Line<'a> {
    pub(super) text: Cow<'a, str>,
    pub(super) start: usize,
}

pub(super) fn line_at(rope: &Rope, row: usize) -> Line<'_> {
    let start = rope.line_to_byte(row);
    Line {
        text: without_break(rope.line(row)),
        start,
    }
}

/// The text of the lines after `row`, going down, each with its number and without its
/// line break. Walks around the cursor read lines one after the other: the rope's line
/// iterator gets the next from the last, where looking each up costs a descent of the
/// rope (a 32,767-line document, which the grammar can't read whole, is walked by lines
/// for thousands of them).
pub(super) fn lines_below(rope: &Rope, row: usize) -> impl Iterator<Item = (usize, Cow<'_, str>)> {
    let rows = rope.len_lines();
    let first = (row + 1).min(rows);
    // The range bounds the walk: the rope's iterator may give one line more at the end.
    (first..rows).zip(rope.lines_at(first).map(without_break))
}

/// The text of the lines before `row`, going up (the nearest first), as [`lines_below`].
pub(super) fn lines_above(rope: &Rope, row: usize) -> impl Iterator<Item = (usize, Cow<'_, str>)> {
    let row = row.min(rope.len_lines());
    // From the line above `row` itself: the rope's iterator at the end of an empty text
    // gives no line before it.
    let above = row
        .checked_sub(1)
        .map(|last| std::iter::once(rope.line(last)).chain(rope.lines_at(last).reversed()));
    (0..row)
        .rev()
        .zip(above.into_iter().flatten().map(without_break))
}

fn without_break(line: ropey::RopeSlice<'_>) -> Cow<'_, str> {
    match syntax::slice_text(line) {
        Cow::Borrowed(s) => Cow::Borrowed(s.trim_end_matches(['\n', '\r'])),
        Cow::Owned(s) => Cow::Owned(s.trim_end_matches(['\n', '\r']).to_string()),
    }
}

/// Scripts and comments are the user's own text.
pub(super) fn in_script_or_comment(doc: &Document, offset: usize) -> bool {
    let root = doc.tree().root_node();
    let Some(mut node) = root.descendant_for_byte_range(offset, offset) else {
        return false;
    };
    for _ in 0..3 {
        match node.kind() {
            "block_scalar" => return node.start_byte() < offset,
            "comment" => return node.start_byte() < offset,
            _ => {}
        }
        match node.parent() {
            Some(parent) => node = parent,
            None => break,
        }
    }
    false
}

/// Inside a template expression (`${{ }}`), a macro (`$( )`) or a runtime expression
/// (`$[ ]`) that the prefix opens and does not close.
fn in_expression(prefix: &str) -> bool {
    [("${{", "}}"), ("$(", ")"), ("$[", "]")]
        .iter()
        .any(|(open, close)| {
            prefix
                .rfind(open)
                .is_some_and(|at| !prefix[at + open.len()..].contains(close))
        })
}

/// The mapping entry the cursor is in, read from the line up to the cursor.
#[derive(Debug)]
pub(super) struct Here {
    /// Where the block entry starts, after indentation and `- ` markers.
    pub(super) block: usize,
    /// Where the cursor's entry starts (the block entry, or after a flow `{` or `,`).
    pub(super) entry: usize,
    /// The line starts a sequence item (`- key: ...`).
    pub(super) item: bool,
    /// The entry's key, when a `key:` precedes the cursor.
    pub(super) key: Option<String>,
    /// Where the value starts (just after the colon), when the cursor is in it.
    pub(super) value: Option<usize>,
    /// Inside a flow mapping: the key it is the value of (`inputs` in `inputs: { a: 1, `),
    /// and whether that key itself sits in a flow mapping (`- { task: X, inputs: {`).
    pub(super) flow: Option<(Option<String>, bool)>,
    /// The flow collections open at the cursor, outermost first.
    pub(super) flows: Vec<Flow>,
}

/// A flow collection open at the cursor.
#[derive(Debug)]
pub(super) struct Flow {
    /// `{` or `[`.
    pub(super) open: u8,
    /// The key it is the value of (`pool` in `pool: {`); `None` where it is a sequence's item
    /// or the block entry itself (`- { … }`).
    pub(super) owner: Option<String>,
    /// The keys of the entries it holds before the cursor's.
    pub(super) keys: Vec<String>,
}

/// Reads the line up to the cursor: indentation, `- ` markers, flow mappings, the current
/// entry's key and value. `None` in a comment or a flow sequence.
pub(super) fn scan(prefix: &str) -> Option<Here> {
    let bytes = prefix.as_bytes();
    let mut at = prefix.len() - prefix.trim_start_matches(' ').len();
    let mut item = false;
    while bytes.get(at) == Some(&b'-') && matches!(bytes.get(at + 1), Some(b' ') | None) {
        item = true;
        at += 1;
        at += prefix[at..].len() - prefix[at..].trim_start_matches(' ').len();
    }
    // One level per open flow collection; level 0 is the block entry.
    struct Level {
        open: u8,
        /// The key this collection is the value of.
        owner: Option<String>,
        entry: usize,
        key: Option<String>,
        value: Option<usize>,
        /// The keys of the entries before this one.
        keys: Vec<String>,
    }
    let mut levels = vec![Level {
        open: b' ',
        owner: None,
        entry: at,
        key: None,
        value: None,
        keys: Vec::new(),
    }];
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate().skip(at) {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            continue;
        }
        let depth = levels.len();
        let level = levels.last_mut()?;
        // Only ASCII bytes are compared, so `i` is a char boundary wherever it slices.
        let token_start = |level: &Level| {
            prefix[level.value.unwrap_or(level.entry)..i]
                .trim()
                .is_empty()
        };
        match b {
            b'"' | b'\'' if token_start(level) => quote = Some(b),
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => return None,
            b':' if level.key.is_none()
                && (matches!(bytes.get(i + 1), Some(b' ') | None) || level.open == b'{') =>
            {
                level.key = Some(unquote(prefix[level.entry..i].trim()).to_string());
                level.value = Some(i + 1);
            }
            // Flow collections open only where a value or an entry starts: `echo {x}`
            // is a plain scalar.
            b'{' | b'[' if token_start(level) => {
                let owner = level.key.clone();
                levels.push(Level {
                    open: b,
                    owner,
                    entry: i + 1,
                    key: None,
                    value: None,
                    keys: Vec::new(),
                });
            }
            b'}' | b']' if depth > 1 => {
                levels.pop();
            }
            b',' if depth > 1 => {
                level.entry = i + 1;
                level.keys.extend(level.key.take());
                level.value = None;
            }
            _ => {}
        }
    }
    let depth = levels.len();
    if levels.last()?.open == b'[' {
        return None;
    }
    let flows = levels
        .iter_mut()
        .skip(1)
        .map(|l| Flow {
            open: l.open,
            owner: l.owner.clone(),
            keys: std::mem::take(&mut l.keys),
        })
        .collect();
    let last = levels.pop()?;
    let rest = &prefix[last.entry..];
    Some(Here {
        block: at,
        entry: last.entry + (rest.len() - rest.trim_start().len()),
        item,
        key: last.key,
        value: last.value,
        flow: (depth > 1).then_some((last.owner, depth > 2)),
        flows,
    })
}

pub(super) fn unquote(key: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = key.strip_prefix(q).and_then(|k| k.strip_suffix(q)) {
            return inner;
        }
    }
    key
}

/// How far the walks around the cursor go, each way: far more than a step's lines, so only
/// a pathological document reaches it, and then completion just offers less.
pub(super) const WALK_LIMIT: usize = 2000;

/// A line as a mapping entry: where its key starts and what it says.
#[derive(Clone, Debug, Default)]
pub(super) struct Shape {
    /// Leading spaces.
    pub(super) indent: usize,
    /// Where the entry starts, after `- ` markers.
    pub(super) col: usize,
    pub(super) item: bool,
    pub(super) key: Option<String>,
    /// The value after `key:`, without a trailing comment or quotes.
    pub(super) value: String,
    /// Blank, a comment, or a lone `-`: says nothing about structure.
    pub(super) blank: bool,
}

pub(super) fn shape(text: &str) -> Shape {
    let indent = text.len() - text.trim_start_matches(' ').len();
    let mut col = indent;
    let mut item = false;
    let bytes = text.as_bytes();
    while bytes.get(col) == Some(&b'-') && matches!(bytes.get(col + 1), Some(b' ') | None) {
        item = true;
        col += 1;
        col += text[col..].len() - text[col..].trim_start_matches(' ').len();
    }
    let entry = &text[col..];
    if entry.is_empty() || entry.starts_with('#') {
        return Shape {
            indent,
            col,
            item,
            blank: true,
            ..Shape::default()
        };
    }
    let colon = if entry.starts_with(['"', '\'']) {
        let q = &entry[..1];
        entry[1..]
            .find(q)
            .map(|end| end + 2)
            .filter(|&end| entry[end..].starts_with(':'))
    } else {
        entry
            .match_indices(':')
            .map(|(i, _)| i)
            .find(|&i| matches!(entry.as_bytes().get(i + 1), Some(b' ') | None))
            .filter(|&i| !entry[..i].contains(" #"))
    };
    let (key, value) = match colon {
        Some(i) => {
            let value = entry[i + 1..].trim();
            let value = match value.find(" #") {
                Some(c) if !value.starts_with(['"', '\'']) => value[..c].trim_end(),
                _ => value,
            };
            let value = if value.starts_with('#') { "" } else { value };
            (
                Some(unquote(entry[..i].trim()).to_string()),
                unquote(value).to_string(),
            )
        }
        None => (None, String::new()),
    };
    Shape {
        indent,
        col,
        item,
        key,
        value,
        blank: false,
    }
}

/// Reads lines as shapes, without the line break.
struct Lines<'a> {
    rope: &'a Rope,
}

impl Lines<'_> {
    fn shape(&self, row: usize) -> Shape {
        shape(&line_at(self.rope, row).text)
    }

    /// The entries of the mapping whose entries start at `col` and that holds `row`: its
    /// lines at that column, walking up to the item start or the parent, and down to the
    /// next item or the parent's end. Deeper lines (values, scripts) are skipped.
    fn entries(&self, row: usize, col: usize) -> Vec<(usize, Shape)> {
        let mut out = Vec::new();
        let this = self.shape(row);
        let starts_item = this.item && this.col == col;
        if this.col == col && !this.blank {
            out.push((row, this));
        }
        if !starts_item {
            for (r, text) in lines_above(self.rope, row).take(WALK_LIMIT) {
                let s = shape(&text);
                if s.blank || s.col > col {
                    continue;
                }
                if s.col < col {
                    break;
                }
                let item = s.item;
                out.push((r, s));
                if item {
                    break;
                }
            }
        }
        for (r, text) in lines_below(self.rope, row).take(WALK_LIMIT) {
            let s = shape(&text);
            if s.blank || s.col > col {
                continue;
            }
            if s.col < col || s.item {
                break;
            }
            out.push((r, s));
        }
        out
    }

    /// The line that holds the mapping `row`'s entry (at `col`) is in: the nearest line
    /// above that starts left of `col`, when it is a key (`inputs:`), not a sequence item
    /// of the same mapping's parent.
    fn parent(&self, row: usize, col: usize) -> Option<(usize, Shape)> {
        for (r, text) in lines_above(self.rope, row).take(WALK_LIMIT) {
            let s = shape(&text);
            if s.blank {
                continue;
            }
            if s.col < col {
                return Some((r, s));
            }
            if s.indent < col {
                // `- task: X` with the cursor's key under `task`: a step key, not an input.
                return None;
            }
        }
        None
    }
}

/// The value being typed: its opening quote, where its text starts, and the space to put
/// before the inserted text when none follows the colon.
pub(super) struct Typed {
    pub(super) quote: Option<char>,
    pub(super) start: usize,
    pub(super) space: &'static str,
}

/// What the completion works from.
pub(super) struct Cx<'a> {
    pub(super) rope: &'a Rope,
    config: &'a Config,
    pub(super) options: CompletionOptions,
    pub(super) line: &'a Line<'a>,
    pub(super) row: usize,
    pub(super) column: usize,
}

/// Why a task version is offered last: the catalog deprecates it, or the table says it
/// does not work with workload identity federation.
fn deprecation(kb: &Knowledge, config: &Config, task: &CatalogTask) -> Option<String> {
    let wif = match kb
        .lookup(config.table, &task.name, task.major)
        .map(|e| &e.status)
    {
        Some(Status::Deprecated {
            replacement,
            replacement_major,
            ..
        }) => Some(format!(
            "for workload identity federation use {replacement}@{replacement_major}"
        )),
        Some(Status::Unsupported) => Some("no workload identity federation".to_string()),
        _ => None,
    };
    match (task.deprecated, wif) {
        (true, Some(wif)) => Some(format!("deprecated; {wif}")),
        (true, None) => Some("deprecated".to_string()),
        (false, Some(wif)) => Some(wif),
        (false, None) => None,
    }
}

fn task_documentation(kb: &Knowledge, config: &Config, task: &CatalogTask) -> String {
    let mut md = String::new();
    task_heading(&mut md, &format!("{}@{}", task.name, task.major), task);
    let table = kb.table(config.table);
    match kb.lookup(config.table, &task.name, task.major) {
        Some(entry) => {
            let _ = write!(
                md,
                "**Workload identity federation** (table of {}): {}\n\n",
                table.date,
                status_phrase(&entry.status)
            );
        }
        None if task
            .inputs
            .iter()
            .any(|i| i.kind == "connectedService:AzureRM") =>
        {
            let _ = write!(
                md,
                "**Workload identity federation** (table of {}): not listed. {}\n\n",
                table.date, table.unlisted_builtin
            );
        }
        None => {}
    }
    if let Some(url) = task.reference_url() {
        let _ = writeln!(md, "[Task reference]({url})");
    }
    md
}

/// `${n}`, or a choice `${n|a,b|}` for pick lists and booleans.
fn placeholder(n: usize, input: &CatalogInput) -> String {
    let choices: Vec<String> = if !input.options.is_empty() {
        input.options.iter().map(|o| escape_choice(o)).collect()
    } else if input.kind.eq_ignore_ascii_case("boolean") {
        vec!["true".into(), "false".into()]
    } else {
        return format!("${{{n}}}");
    };
    format!("${{{n}|{}|}}", choices.join(","))
}

/// Snippet choices escape `$ } \ , |`.
pub(super) fn escape_choice(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '$' | '}' | '\\' | ',' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `inputs:` with a placeholder for every input the step must set (required, no default,
/// shown with the other inputs' defaults), indented under a step key at `indent`.
fn inputs_snippet(task: &CatalogTask, indent: &str, eol: &str) -> Option<String> {
    // Shown when every input has its default value.
    let shown = task.visibility_of(&|_| None, true);
    let needed: Vec<&CatalogInput> = task
        .demanded()
        .iter()
        .filter(|&&i| shown.of(i) == Some(true))
        .map(|&i| &task.inputs[i])
        .collect();
    if needed.is_empty() {
        return None;
    }
    let mut out = format!("{eol}{indent}inputs:");
    for (n, input) in needed.iter().enumerate() {
        let _ = write!(
            out,
            "{eol}{indent}  {}: {}",
            input.yaml_key(),
            placeholder(n + 1, input)
        );
    }
    out.push_str("$0");
    Some(out)
}

/// The end of the token the cursor is in: the next space, quote, comma, brace or colon.
pub(super) fn token_end(text: &str, from: usize) -> usize {
    from + text[from..]
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | '#' | ':'))
        .unwrap_or(text.len() - from)
}

/// Plain YAML that needs quotes to stay a string.
pub(super) fn yaml_string(value: &str) -> String {
    let risky = value.is_empty()
        || value.contains(": ")
        || value.contains(" #")
        || value.starts_with(|c: char| "!&*{}[],#|>@%'\"`-?:".contains(c) || c.is_whitespace())
        || value.ends_with(char::is_whitespace);
    if risky {
        format!("'{}'", value.replace('\'', "''"))
    } else {
        value.to_string()
    }
}

impl Cx<'_> {
    pub(super) fn text(&self) -> &str {
        &self.line.text
    }

    /// The cursor line's line break, for text that adds lines (`\n` on the last line).
    pub(super) fn eol(&self) -> &'static str {
        let next = self.rope.line(self.row).len_bytes();
        let full = self.line.text.len();
        if next > full + 1 { "\r\n" } else { "\n" }
    }

    /// Where the value being typed after the colon at `value` starts: past the spaces and
    /// an opening quote. A value typed right after the colon needs a space first.
    pub(super) fn typed_value(&self, value: usize) -> Typed {
        let prefix = &self.text()[..self.column];
        let from = value + (prefix[value..].len() - prefix[value..].trim_start().len());
        let quote = prefix[from..]
            .chars()
            .next()
            .filter(|c| matches!(c, '"' | '\''));
        let space = from == self.column && !self.text()[value..].starts_with(' ');
        Typed {
            quote,
            start: from + quote.map_or(0, char::len_utf8),
            space: if space { " " } else { "" },
        }
    }

    /// The value being typed after the colon at `value` and where it ends; `None` after
    /// its closing quote, where the value is complete.
    pub(super) fn value_extent(&self, value: usize, flow: bool) -> Option<(Typed, usize)> {
        let text = self.text();
        let typed = self.typed_value(value);
        if typed
            .quote
            .is_some_and(|q| text[typed.start..self.column].contains(q))
        {
            return None;
        }
        // Values may hold spaces ("Container Registry"): the rest of the line, up to a
        // closing quote, a comment, or the end of a flow entry.
        let rest = &text[self.column..];
        let end = self.column
            + match typed.quote {
                Some(q) => rest.find(q),
                None if flow => rest.find([',', '}']),
                None => rest.find(" #"),
            }
            .unwrap_or(rest.len());
        let end = self.column + text[self.column..end].trim_end().len();
        Some((typed, end))
    }

    pub(super) fn span(&self, start: usize, end: usize) -> Span {
        self.line.start + start..self.line.start + end
    }

    /// Task names, or one task's versions after `@`.
    fn tasks(&self, here: &Here, value: usize) -> Vec<CompletionItem> {
        let text = self.text();
        let Typed {
            quote,
            start,
            space,
        } = self.typed_value(value);
        let typed = &text[start..self.column];
        if typed.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'')) {
            return Vec::new();
        }
        let mut end = token_end(text, self.column);
        let closing = quote.map(String::from).unwrap_or_default();
        if !closing.is_empty() && text[end..].starts_with(&closing) {
            end += closing.len();
        }
        let name = typed.split_once('@').map(|(name, _)| name);
        let with_inputs = self.options.snippets
            && here.flow.is_none()
            && text[end..].trim().is_empty()
            && !self.step_has_inputs(here.block);
        let indent = " ".repeat(text[..here.block].chars().count());
        let eol = self.eol();
        let kb = knowledge::knowledge();
        let mut items: Vec<CompletionItem> = knowledge::catalog()
            .tasks()
            .iter()
            .filter(|t| name.is_none_or(|n| t.name.eq_ignore_ascii_case(n)))
            .map(|task| {
                let label = format!("{}@{}", task.name, task.major);
                let reason = deprecation(kb, self.config, task);
                let inputs = with_inputs
                    .then(|| inputs_snippet(task, &indent, eol))
                    .flatten();
                // Some friendly names say "[Deprecated]" already.
                let said = task
                    .friendly_name
                    .to_ascii_lowercase()
                    .contains("deprecated");
                let detail = match reason.as_deref() {
                    Some("deprecated") if said => task.friendly_name.clone(),
                    Some(r) => format!("{} ({r})", task.friendly_name),
                    None => task.friendly_name.clone(),
                };
                CompletionItem {
                    detail,
                    documentation: task_documentation(kb, self.config, task),
                    deprecated: reason.is_some(),
                    sort_text: format!(
                        "{}{}@{:04}",
                        u8::from(reason.is_some()),
                        task.name.to_ascii_lowercase(),
                        9999u32.saturating_sub(task.major)
                    ),
                    filter_text: None,
                    span: self.span(start, end),
                    text: format!(
                        "{space}{label}{closing}{}",
                        inputs.as_deref().unwrap_or_default()
                    ),
                    snippet: inputs.is_some(),
                    kind: CompletionKind::Task,
                    label,
                }
            })
            .collect();
        items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
        items
    }

    /// Whether the step whose `task:` entry starts at `col` on the cursor's line already
    /// has `inputs:`.
    fn step_has_inputs(&self, col: usize) -> bool {
        Lines { rope: self.rope }
            .entries(self.row, col)
            .iter()
            .any(|(row, s)| *row != self.row && s.key.as_deref() == Some("inputs"))
    }

    /// Input names, or an input's values, inside a step's `inputs:`.
    fn inputs(&self, here: &Here) -> Vec<CompletionItem> {
        let lines = Lines { rope: self.rope };
        let (task, set) = match &here.flow {
            Some((Some(owner), nested)) if owner == "inputs" => {
                let task = if *nested {
                    flow_task(self.text())
                } else {
                    step_task(&lines.entries(self.row, here.block))
                };
                (task, flow_keys(self.text(), here))
            }
            Some(_) => return Vec::new(),
            None => {
                if here.item || here.entry == 0 {
                    return Vec::new();
                }
                let Some((parent_row, parent)) = lines.parent(self.row, here.entry) else {
                    return Vec::new();
                };
                if parent.key.as_deref() != Some("inputs") || !parent.value.is_empty() {
                    return Vec::new();
                }
                let task = step_task(&lines.entries(parent_row, parent.col));
                let set = lines
                    .entries(self.row, here.entry)
                    .into_iter()
                    .filter(|(row, _)| *row != self.row)
                    .filter_map(|(_, s)| Some((s.key?, s.value)))
                    .collect();
                (task, set)
            }
        };
        let Some(task) = task.and_then(|(name, major)| catalog_task(&name, major)) else {
            return Vec::new();
        };
        match (&here.key, here.value) {
            (Some(key), Some(value)) => self.values(task, key, value, here.flow.is_some()),
            _ => self.input_names(task, here, &set),
        }
    }

    fn input_names(
        &self,
        task: &CatalogTask,
        here: &Here,
        set: &[(String, String)],
    ) -> Vec<CompletionItem> {
        let text = self.text();
        let typed = &text[here.entry..self.column];
        if typed.contains(char::is_whitespace) {
            return Vec::new();
        }
        let end = token_end(text, self.column);
        let has_colon = text[end..].starts_with(':');
        // What the step sets, as visibility rules read it.
        let given = |input: &CatalogInput| {
            let (_, v) = set.iter().find(|(k, _)| input.accepts(k))?;
            Some(if model::yaml::is_expression(v) {
                RuleValue::Unknown
            } else {
                RuleValue::Known(v.clone())
            })
        };
        let shown = task.visibility_of(&given, true);
        let kb = knowledge::knowledge();
        task.inputs
            .iter()
            .enumerate()
            .filter(|(_, input)| !set.iter().any(|(k, _)| input.accepts(k)))
            .map(|(n, input)| {
                // The canonical name is the label and what is inserted; every alias (the
                // key most pipelines write among them) finds it through the filter text.
                let key = input.name.as_str();
                let visible = shown.of(n);
                let needed = input.required && input.default.is_none();
                // Required inputs first, inputs the step's values hide last.
                let rank = match visible {
                    Some(false) => 2,
                    _ if needed => 0,
                    _ => 1,
                };
                let mut documentation = input_markdown(input, key);
                if let Some(line) =
                    connection_wif(kb, self.config.table, &task.name, task.major, input)
                {
                    let _ = write!(documentation, "\n{line}\n");
                }
                let (text, snippet) = if has_colon {
                    (key.to_string(), false)
                } else if self.options.snippets {
                    let value = if input.options.is_empty()
                        && !input.kind.eq_ignore_ascii_case("boolean")
                    {
                        "$0".to_string()
                    } else {
                        placeholder(1, input)
                    };
                    (format!("{key}: {value}"), true)
                } else {
                    (format!("{key}: "), false)
                };
                let spellings: Vec<&str> = input.spellings().collect();
                CompletionItem {
                    label: key.to_string(),
                    kind: CompletionKind::Input,
                    detail: format!(
                        "{} ({}{})",
                        if input.label.is_empty() {
                            &input.name
                        } else {
                            &input.label
                        },
                        input.kind,
                        if needed { ", required" } else { "" }
                    ),
                    documentation,
                    deprecated: false,
                    sort_text: format!("{rank}{n:04}"),
                    filter_text: (spellings.len() > 1).then(|| spellings.join(" ")),
                    span: self.span(here.entry, end),
                    text,
                    snippet,
                }
            })
            .collect()
    }

    /// Whether the cursor's entry belongs to a `pool:` mapping, block or flow.
    fn in_pool(&self, here: &Here) -> bool {
        match &here.flow {
            Some((owner, _)) => owner.as_deref() == Some("pool"),
            None if here.item || here.entry == 0 => false,
            None => Lines { rope: self.rope }
                .parent(self.row, here.entry)
                .is_some_and(|(_, p)| p.key.as_deref() == Some("pool") && p.value.is_empty()),
        }
    }

    /// The Microsoft-hosted image labels after `vmImage:`: current ones first, those being
    /// retired last; retired ones are not offered.
    fn vm_images(&self, value: usize, flow: bool) -> Vec<CompletionItem> {
        let images = knowledge::hosted_images();
        let choices: Vec<(&str, String, bool)> = images
            .all()
            .iter()
            .filter(|i| i.status != ImageStatus::Retired)
            .map(|i| {
                let deprecated = i.status == ImageStatus::Deprecated;
                let detail = match (&i.replacement, deprecated) {
                    (Some(r), true) => format!("{} (being retired: use {r})", i.os),
                    _ => i.os.clone(),
                };
                (i.label.as_str(), detail, deprecated)
            })
            .collect();
        let documentation = format!(
            "Microsoft-hosted images as of {}: <{}>",
            images.date, images.url
        );
        self.value_items(value, flow, choices, &documentation)
    }

    fn values(
        &self,
        task: &CatalogTask,
        key: &str,
        value: usize,
        flow: bool,
    ) -> Vec<CompletionItem> {
        let Some(input) = task.input(key) else {
            return Vec::new();
        };
        let options: Vec<&str> = if !input.options.is_empty() {
            input.options.iter().map(String::as_str).collect()
        } else if input.kind.eq_ignore_ascii_case("boolean") {
            vec!["true", "false"]
        } else {
            return Vec::new();
        };
        let label = if input.label.is_empty() {
            &input.name
        } else {
            &input.label
        };
        let choices = options
            .into_iter()
            .map(|option| {
                let default = input
                    .default
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case(option));
                let detail = if default {
                    format!("{label} (default)")
                } else {
                    label.to_string()
                };
                (option, detail, false)
            })
            .collect();
        self.value_items(value, flow, choices, "")
    }

    /// Items that replace the value being typed after the colon at `value` with one of
    /// `choices` (text, detail, deprecated), in their order.
    fn value_items(
        &self,
        value: usize,
        flow: bool,
        choices: Vec<(&str, String, bool)>,
        documentation: &str,
    ) -> Vec<CompletionItem> {
        let Some((
            Typed {
                quote,
                start,
                space,
            },
            end,
        )) = self.value_extent(value, flow)
        else {
            return Vec::new();
        };
        choices
            .into_iter()
            .enumerate()
            .map(|(n, (option, detail, deprecated))| CompletionItem {
                label: option.to_string(),
                kind: CompletionKind::Value,
                detail,
                documentation: documentation.to_string(),
                deprecated,
                // The data lists images being retired last.
                sort_text: format!("{n:04}"),
                filter_text: None,
                span: self.span(start, end),
                text: match quote {
                    Some(_) => option.to_string(),
                    None => format!("{space}{}", yaml_string(option)),
                },
                snippet: false,
            })
            .collect()
    }
}

/// The catalog version a step names; without a major, the newest that is not deprecated.
fn catalog_task(name: &str, major: Option<u32>) -> Option<&'static CatalogTask> {
    let catalog = knowledge::catalog();
    match major {
        Some(m) => catalog.task(name, m),
        None => {
            let majors = catalog.majors(name);
            let newest = majors
                .iter()
                .rev()
                .find(|&&m| catalog.task(name, m).is_some_and(|t| !t.deprecated))
                .or(majors.last())?;
            catalog.task(name, *newest)
        }
    }
}

/// `Name@N` as (name, major), read as the model reads a `task:` value.
fn reference(value: &str) -> Option<(String, Option<u32>)> {
    let text = value.trim();
    let scalar = Scalar {
        text: text.to_string(),
        span: 0..text.len(),
        exact: true,
        quoted: false,
    };
    match model::parse_reference(&scalar) {
        TaskRef::Named { name, major, .. } => Some((name, major)),
        _ => None,
    }
}

fn step_task(entries: &[(usize, Shape)]) -> Option<(String, Option<u32>)> {
    entries
        .iter()
        .find(|(_, s)| s.key.as_deref() == Some("task"))
        .and_then(|(_, s)| reference(&s.value))
}

/// `task: X@N` inside a one-line flow step: `- { task: X@N, inputs: { ... } }`.
fn flow_task(text: &str) -> Option<(String, Option<u32>)> {
    let at = text.match_indices("task").map(|(i, _)| i).find(|&i| {
        let before = text[..i].trim_end_matches([' ', '"', '\'']);
        let after = text[i + 4..].trim_start_matches(['"', '\'']);
        (before.ends_with('{') || before.ends_with(',')) && after.starts_with(':')
    })?;
    let value = text[at + 4..].trim_start_matches(['"', '\'']);
    let value = &value[1..];
    let end = value.find([',', '}']).unwrap_or(value.len());
    reference(unquote(value[..end].trim()))
}

/// The keys already written in the flow mapping the cursor is in.
fn flow_keys(text: &str, here: &Here) -> Vec<(String, String)> {
    // The mapping runs from the `{` before the cursor's entry to its `}`.
    let open = text[..here.entry].rfind('{').unwrap_or(0);
    let close = text[open..].find('}').map_or(text.len(), |c| open + c);
    text[open + 1..close]
        .split(',')
        .filter_map(|part| {
            let (key, value) = part.split_once(':')?;
            let key = unquote(key.trim());
            (!key.is_empty()).then(|| (key.to_string(), unquote(value.trim()).to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line walks read what looking each line up reads, row for row, both ways.
    #[test]
    fn line_walks_read_each_line_as_line_at_does() {
        let long = "- key: value\r\n  more: text\n".repeat(2000);
        for text in [
            "",
            "a: 1",
            "a: 1\n",
            "a: 1\r\nb: 2\n\n  c: 3",
            long.as_str(),
        ] {
            let rope = Rope::from_str(text);
            let rows = rope.len_lines();
            for row in [0, 1, rows / 2, rows - 1, rows, rows + 3] {
                let below: Vec<(usize, String)> = lines_below(&rope, row)
                    .map(|(r, t)| (r, t.into_owned()))
                    .collect();
                let expected: Vec<(usize, String)> = (row + 1..rows)
                    .map(|r| (r, line_at(&rope, r).text.into_owned()))
                    .collect();
                assert_eq!(below, expected, "below {row} of {rows}");
                let above: Vec<(usize, String)> = lines_above(&rope, row)
                    .map(|(r, t)| (r, t.into_owned()))
                    .collect();
                let expected: Vec<(usize, String)> = (0..row.min(rows))
                    .rev()
                    .map(|r| (r, line_at(&rope, r).text.into_owned()))
                    .collect();
                assert_eq!(above, expected, "above {row} of {rows}");
            }
        }
    }
}
