//! Templates: where a `template:` reference points (links, go to definition, a hover that
//! says what was found or where it looked), and what `parameters:` declare (hover on
//! `${{ parameters.x }}`, and on the keys passed to a template).
//!
//! A reference is a `template:` key of a sequence item (steps, jobs, stages, variables,
//! in `${{ if }}`/`${{ each }}` insertions too) or of `extends:`. Its path is resolved
//! as Azure Pipelines does: relative to the including file's folder, and from the
//! repository root when it starts with `/`; when the relative path does not exist, from
//! the repository root too, which is how many repositories write it. The repository root
//! is the nearest folder with a `.git`, else the workspace root. `file.yml@alias` lives
//! in the repository declared under `resources.repositories` (`@self` is this one).
//!
//! The file system is behind [`Files`], so all of this is testable without a disk.

use super::hover::Hover;
use crate::document::Document;
use crate::model::lines;
use crate::model::{self, yaml};
use crate::syntax;
use crate::text::Span;
use ropey::Rope;
use std::fmt::Write;
use std::path::{Component, Path, PathBuf};
use tree_sitter::Node;

/// The most a template may weigh to be read: far more than any template, far less than
/// what a hostile repository could make an editor hold.
pub const MAX_TEMPLATE_BYTES: u64 = 4 << 20;

/// What templates need from a file system.
pub trait Files {
    fn is_file(&self, path: &Path) -> bool;
    /// A file or a folder (a `.git` may be either).
    fn exists(&self, path: &Path) -> bool;
    /// The text of a regular file of at most [`MAX_TEMPLATE_BYTES`], if it is UTF-8.
    fn read(&self, path: &Path) -> Option<String>;
    /// The path with every symbolic link resolved, if it exists.
    fn canonical(&self, path: &Path) -> Option<PathBuf>;
    /// What changes when the file does (its modification time and length, or an open
    /// buffer's version), so that what was read from it can be kept until then; `None`
    /// when unknown, and then nothing is kept.
    fn stamp(&self, _path: &Path) -> Option<Stamp> {
        None
    }
    /// The entries of a folder (name, and whether it is a folder), for completing paths;
    /// at most [`MAX_LISTED`].
    fn list(&self, _dir: &Path) -> Vec<(String, bool)> {
        Vec::new()
    }
}

/// The most entries of a folder read for completion.
pub const MAX_LISTED: usize = 2000;

/// A file's version, as [`Files::stamp`] sees it.
pub type Stamp = (u128, u64);

/// The real file system.
pub struct DiskFiles;

impl Files for DiskFiles {
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn read(&self, path: &Path) -> Option<String> {
        use std::io::Read;
        let file = std::fs::File::open(path).ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() || meta.len() > MAX_TEMPLATE_BYTES {
            return None;
        }
        // The file may grow between the check and the read: read no more than the limit.
        let mut text = String::new();
        file.take(MAX_TEMPLATE_BYTES)
            .read_to_string(&mut text)
            .ok()?;
        Some(text)
    }

    fn list(&self, dir: &Path) -> Vec<(String, bool)> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .take(MAX_LISTED)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let dir = e.file_type().ok()?.is_dir();
                Some((name, dir))
            })
            .collect()
    }

    fn stamp(&self, path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let modified = meta.modified().ok()?;
        let nanos = modified
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        Some((nanos, meta.len()))
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        // A root found from a relative path may be the empty path: the current folder.
        let path = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        std::fs::canonicalize(path).ok()
    }
}

/// Where the document lives: its path (none for an unsaved buffer) and the workspace root.
#[derive(Clone, Debug, Default)]
pub struct Place {
    pub file: Option<PathBuf>,
    pub workspace: Option<PathBuf>,
}

/// A `template: path` in the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateRef {
    /// The value as written (quotes removed).
    pub value: String,
    /// The value's span.
    pub span: Span,
}

/// Where a reference points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    File(PathBuf),
    /// `path@alias`: a template in another repository.
    Repository {
        path: String,
        alias: String,
        /// The `name:` of the repository declared under `resources.repositories`.
        name: Option<String>,
        declared: bool,
    },
    /// No such file; the paths tried, in order.
    Missing {
        tried: Vec<PathBuf>,
    },
    /// The path leaves the repository (`../`, an absolute path, or a link to elsewhere):
    /// Azure Pipelines does not read it, and neither does azpls.
    Outside,
    /// `${{ }}` in the path: known only when the pipeline is compiled.
    Expression,
}

/// A link from a reference to the file it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub span: Span,
    pub target: PathBuf,
    pub tooltip: String,
}

/// Where go to definition leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Definition {
    /// A line of another file.
    File { path: PathBuf, line: u32 },
    /// A span of this document.
    Here(Span),
}

/// A parameter a file declares under `parameters:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    /// The name as declared (the `name:` value, or the key in the mapping form).
    pub name_span: Span,
    /// `type:`; `None` in the mapping form, or when omitted (then it is a string).
    pub kind: Option<String>,
    pub display_name: Option<String>,
    /// The default as written (dedented YAML for mappings and lists).
    pub default: Option<String>,
    /// `values:`, the allowed values.
    pub values: Vec<String>,
    /// A `default:` key is there (even an empty one): a call need not pass it.
    pub has_default: bool,
    /// The `type:` value's span, and what the default is, for checking the declaration.
    pub kind_span: Option<Span>,
    pub default_value: Value,
    /// Declared in the older mapping form (`parameters: { x: default }`).
    pub mapping_form: bool,
}

/// A template call: the reference, and what its item passes under `parameters:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub reference: TemplateRef,
    /// The parameters passed, in order, those of its `${{ if }}` / `${{ else }}` branches
    /// included; `None` when `parameters:` is not a mapping azpls can read
    /// (`parameters: ${{ parameters }}`).
    pub passed: Option<Vec<Argument>>,
    /// Some passed keys are `${{ }}` insertions: what is passed depends on them.
    pub conditional: bool,
}

/// One `name: value` under a call's `parameters:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Argument {
    pub name: String,
    pub name_span: Span,
    pub value: Value,
}

/// What a call passes for a parameter, as far as its type goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A scalar written out, with its span (quotes included).
    Scalar {
        text: String,
        span: Span,
        quoted: bool,
    },
    Sequence,
    Mapping,
    /// An expression or a macro: known when the pipeline runs.
    Expression,
    /// `name:` with nothing after it.
    Empty,
}

/// The most template files whose parameters are kept between analyses.
const KEPT_TEMPLATES: usize = 1024;

/// The parameters of each template read, with the stamp of the file they came from.
type Declared = std::collections::HashMap<PathBuf, (Stamp, std::sync::Arc<Vec<Parameter>>)>;

thread_local! {
    static DECLARED: std::cell::RefCell<Declared> = Default::default();
}

/// The parameters a template file declares, read and parsed once per version of the
/// file (by [`Files::stamp`]); `None` when it can't be read.
pub fn template_parameters(
    files: &dyn Files,
    path: &Path,
) -> Option<std::sync::Arc<Vec<Parameter>>> {
    let stamp = files.stamp(path);
    if let Some(stamp) = stamp {
        let kept = DECLARED.with(|d| {
            d.borrow()
                .get(path)
                .filter(|(s, _)| *s == stamp)
                .map(|(_, p)| p.clone())
        });
        if kept.is_some() {
            return kept;
        }
    }
    let text = files.read(path)?;
    let parameters = std::sync::Arc::new(declared_parameters(&Document::new(&text, 0)));
    if let Some(stamp) = stamp {
        DECLARED.with(|d| {
            let mut d = d.borrow_mut();
            if d.len() >= KEPT_TEMPLATES {
                d.clear();
            }
            d.insert(path.to_path_buf(), (stamp, parameters.clone()));
        });
    }
    Some(parameters)
}

/// Forgets the templates' parameters read so far.
pub fn forget_cached() {
    DECLARED.with(|d| d.borrow_mut().clear());
}

/// The folder that a template path's folder part (`""`, `steps/`, `/`, `/ci/steps/`)
/// names, relative to the including file (or the repository root for `/…`); `None` when
/// it would leave the repository or the document's place is unknown.
pub fn folder_for(place: &Place, files: &dyn Files, folder: &str) -> Option<PathBuf> {
    let trimmed = folder.trim_end_matches('/');
    let path = match (folder.starts_with('/'), trimmed.is_empty()) {
        (true, true) => "/",
        (false, true) => ".",
        _ => trimmed,
    };
    candidates(place, files, path)?.1.into_iter().next()?
}

/// The paths a missing template was looked for at, relative to the repository root (or
/// the folder that bounds the document), for messages.
pub fn tried_paths(place: &Place, files: &dyn Files, tried: &[PathBuf]) -> Vec<String> {
    let root = candidates(place, files, "x").map(|(root, _)| root);
    tried
        .iter()
        .map(|t| {
            root.as_deref()
                .and_then(|r| t.strip_prefix(r).ok())
                .unwrap_or(t)
                .display()
                .to_string()
        })
        .collect()
}

/// Whether `caller` may call the template file `template`: every call that reaches a file
/// names the file, so a text that does not can be passed over before it is parsed (most
/// documents of a repository call other templates, or none).
pub fn may_call(caller: &Rope, template: &Path) -> bool {
    called_name(template).is_some_and(|name| !lines::find_all(caller, name).is_empty())
}

/// [`may_call`] on a text not yet read into a document.
pub fn text_may_call(caller: &str, template: &Path) -> bool {
    called_name(template).is_some_and(|name| caller.contains(name))
}

/// The name a call of `template` writes (a YAML text can't name a file whose name is not
/// UTF-8).
fn called_name(template: &Path) -> Option<&str> {
    template.file_name()?.to_str()
}

/// Every template call of an intact document (none when its tree has errors: what a
/// broken call passes can't be told), in document order.
pub fn calls(doc: &Document) -> Vec<Call> {
    let rope = doc.rope();
    let root = doc.tree().root_node();
    if root.has_error() {
        return Vec::new();
    }
    let mut out: Vec<Call> = Vec::new();
    for at in lines::find_all(rope, "template") {
        let Some((reference, mapping)) = call_from_key(rope, root, at) else {
            continue;
        };
        if out
            .last()
            .is_some_and(|c| c.reference.span == reference.span)
        {
            continue;
        }
        let mut conditional = false;
        let passed = match yaml::get(rope, mapping, "parameters") {
            None | Some((_, None)) => Some(Vec::new()),
            Some((_, Some(value))) => match yaml::content(value) {
                Some(m) if yaml::is_mapping(m) => {
                    let mut passed = Vec::new();
                    conditional = !arguments(rope, m, &mut passed, 0);
                    Some(passed)
                }
                _ => None,
            },
        };
        out.push(Call {
            reference,
            passed,
            conditional,
        });
    }
    out
}

/// Conditionals nested under a call's `parameters:` deeper than this are not read.
const MAX_ARGUMENT_CONDITIONALS: usize = 32;

/// The `name: value` pairs of a call's `parameters:` mapping, with those inside its
/// `${{ if }}` / `${{ else }}` branches (each branch's, in document order). False when
/// what is passed depends on the run: a key that is an expression, which a branch is.
fn arguments(rope: &Rope, map: Node, out: &mut Vec<Argument>, depth: usize) -> bool {
    let mut certain = true;
    for (k, v) in yaml::pairs(map) {
        let Some(name) = yaml::key_text(rope, k) else {
            continue;
        };
        if yaml::is_expression(&name) {
            certain = false;
            let body = v.and_then(yaml::content).filter(|n| yaml::is_mapping(*n));
            if let Some(body) = body
                && yaml::is_conditional(&name)
                && depth < MAX_ARGUMENT_CONDITIONALS
            {
                arguments(rope, body, out, depth + 1);
            }
            continue;
        }
        out.push(Argument {
            name_span: yaml::scalar(rope, k)
                .filter(|s| s.exact)
                .map_or_else(|| k.byte_range(), |s| s.span),
            name,
            value: argument(rope, v),
        });
    }
    certain
}

impl Parameter {
    /// Whether `text` is among its `values:` (none listed: anything is), compared without
    /// case.
    pub fn allows(&self, text: &str) -> bool {
        self.values.is_empty() || self.values.iter().any(|v| v.eq_ignore_ascii_case(text))
    }

    /// Its first `values:`, quoted, for messages.
    pub fn values_list(&self) -> String {
        self.values
            .iter()
            .take(8)
            .map(|v| format!("\"{v}\""))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The types a template parameter may declare, and what a value of each must be (`None`:
/// anything).
pub const PARAMETER_TYPES: &[(&str, Option<&str>)] = &[
    ("string", Some("a single value")),
    ("number", Some("a number")),
    ("boolean", Some("true or false")),
    ("object", None),
    ("step", Some("a mapping")),
    ("stepList", Some("a list")),
    ("job", Some("a mapping")),
    ("jobList", Some("a list")),
    ("deployment", Some("a mapping")),
    ("deploymentList", Some("a list")),
    ("stage", Some("a mapping")),
    ("stageList", Some("a list")),
];

/// Whether a value fits a declared parameter type (expressions and empty values always
/// do: they are decided later; unknown types take anything here).
pub fn value_fits(kind: &str, value: &Value) -> bool {
    match (kind, value) {
        (_, Value::Expression | Value::Empty) => true,
        ("boolean", Value::Scalar { text, .. }) => {
            text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false")
        }
        ("number", Value::Scalar { text, .. }) => text.trim().parse::<f64>().is_ok(),
        ("string", Value::Scalar { .. }) => true,
        ("step" | "job" | "deployment" | "stage", Value::Mapping) => true,
        ("stepList" | "jobList" | "deploymentList" | "stageList", Value::Sequence) => true,
        (kind, _) => !PARAMETER_TYPES
            .iter()
            .any(|(k, want)| *k == kind && want.is_some()),
    }
}

/// What a value is, in words, for messages.
pub fn value_shape(value: &Value) -> String {
    match value {
        Value::Scalar { text, .. } => format!("\"{text}\""),
        Value::Sequence => "a list".into(),
        Value::Mapping => "a mapping".into(),
        Value::Expression => "an expression".into(),
        Value::Empty => "nothing".into(),
    }
}

fn argument(rope: &Rope, value: Option<Node>) -> Value {
    let Some(node) = value.and_then(yaml::content) else {
        return Value::Empty;
    };
    if yaml::is_sequence(node) {
        return Value::Sequence;
    }
    if yaml::is_mapping(node) {
        return Value::Mapping;
    }
    match yaml::scalar(rope, node) {
        Some(s) if yaml::is_expression(&s.text) => Value::Expression,
        Some(s) => Value::Scalar {
            text: s.text,
            span: node.byte_range(),
            quoted: s.quoted,
        },
        None => Value::Expression,
    }
}

/// The reference whose `template` key starts at `at`, with the mapping that holds it.
fn call_from_key<'t>(rope: &Rope, root: Node<'t>, at: usize) -> Option<(TemplateRef, Node<'t>)> {
    let path = syntax::path_to(root, at, at + "template".len());
    let i = (path.len().saturating_sub(4)..path.len())
        .rev()
        .find(|&i| matches!(path[i].kind(), "block_mapping_pair" | "flow_pair"))?;
    let pair = path[i];
    let key = pair.child_by_field_name("key")?;
    if !key.byte_range().contains(&at)
        || !is_template_key(rope, key)
        || i == 0
        || !is_reference_mapping(rope, &path, i - 1)
    {
        return None;
    }
    let reference = reference(rope, pair.child_by_field_name("value")?)?;
    Some((reference, path[i - 1]))
}

/// Every template reference, in document order.
pub fn references(doc: &Document) -> Vec<TemplateRef> {
    references_where(doc, |_| true)
}

/// Past this many `template` words in a text, one walk over the whole tree is cheaper
/// than a lookup per word (and keeps hostile texts linear).
const MANY_WORDS: usize = 2_000;

/// The template references whose line, read from the `template` word on, passes `keep`:
/// a cheap test on the text that spares the tree lookup for the others (the analysis
/// runs on every keystroke and wants only paths that could leave the repository).
///
/// The words are found in the text, and each is looked up in the tree from the root
/// down (no climb through `Node::parent`); with very many words, one walk over the tree
/// does it instead. Where the tree has errors, `template:` lines it lost are read as text.
pub fn references_where(doc: &Document, keep: impl Fn(&str) -> bool) -> Vec<TemplateRef> {
    let rope = doc.rope();
    let root = doc.tree().root_node();
    let words = lines::find_all(rope, "template");
    if words.is_empty() {
        return Vec::new();
    }
    let foreign: Vec<Span> = model::document_mappings(root)
        .into_iter()
        .filter(|m| is_foreign(rope, *m))
        .map(|m| m.byte_range())
        .collect();
    let in_foreign = |at: usize| foreign.iter().any(|r| r.contains(&at));
    // The rest of the word's line.
    let rest = |at: usize| {
        let line = rope.byte_to_line(at);
        let end = rope
            .try_line_to_byte(line + 1)
            .unwrap_or_else(|_| rope.len_bytes());
        syntax::range_text(rope, at..end)
    };
    let keep = |at: usize| !in_foreign(at) && keep(&rest(at));
    if words.len() > MANY_WORDS {
        by_walk(rope, root, keep)
    } else {
        by_words(rope, root, &words, keep)
    }
}

/// The references of one walk over every pair of the tree.
fn by_walk(rope: &Rope, root: Node, keep: impl Fn(usize) -> bool) -> Vec<TemplateRef> {
    let mut found = Vec::new();
    model::walk_pairs(
        rope,
        root,
        Vec::new(),
        is_template_key,
        &mut |pair, stack| {
            if !keep(pair.start_byte()) {
                return;
            }
            if let [.., holder, wrapper, _mapping] = stack[..]
                && is_reference_holder(rope, wrapper, holder)
                && let Some(r) = pair
                    .child_by_field_name("value")
                    .and_then(|v| reference(rope, v))
            {
                found.push(r);
            }
        },
    );
    found
}

/// The references at the `template` words of the text, each looked up from the root.
fn by_words(
    rope: &Rope,
    root: Node,
    words: &[usize],
    keep: impl Fn(usize) -> bool,
) -> Vec<TemplateRef> {
    let mut found: Vec<TemplateRef> = Vec::new();
    for &at in words {
        if !keep(at) {
            continue;
        }
        let from_tree = reference_from_key(rope, root, at);
        let found_here = from_tree.or_else(|| {
            // Lines the tree lost to an error: read the `template:` line as text.
            root.has_error()
                .then(|| line_reference(rope, rope.byte_to_line(at)))
                .flatten()
                .filter(|r| r.span.start > at)
        });
        if let Some(r) = found_here
            && found.last().is_none_or(|last| last.span != r.span)
        {
            found.push(r);
        }
    }
    found
}

/// The reference whose `template` key starts at (or just after a quote at) `at`.
fn reference_from_key(rope: &Rope, root: Node, at: usize) -> Option<TemplateRef> {
    call_from_key(rope, root, at).map(|(r, _)| r)
}

fn is_foreign(rope: &Rope, mapping: Node) -> bool {
    let keys: Vec<String> = yaml::pairs(mapping)
        .filter_map(|(k, _)| yaml::key_text(rope, k))
        .collect();
    model::foreign_kind(&keys).is_some()
}

fn is_template_key(rope: &Rope, key: Node) -> bool {
    key.end_byte() - key.start_byte() <= 10
        && yaml::key_text(rope, key).as_deref() == Some("template")
}

/// Given a mapping's parent (`wrapper`) and grandparent (`holder`): is a `template:` in
/// that mapping a reference? It is in a sequence item, and in `extends:`'s value.
fn is_reference_holder(rope: &Rope, wrapper: Node, holder: Node) -> bool {
    match (wrapper.kind(), holder.kind()) {
        ("block_node" | "flow_node", "block_sequence_item") | ("flow_node", "flow_sequence") => {
            true
        }
        ("block_node" | "flow_node", "block_mapping_pair" | "flow_pair") => holder
            .child_by_field_name("key")
            .and_then(|k| yaml::key_text(rope, k))
            .is_some_and(|k| k == "extends"),
        _ => false,
    }
}

/// Is `path[i]` (a mapping, with its ancestors before it) one whose `template:` is a
/// reference?
fn is_reference_mapping(rope: &Rope, path: &[Node], i: usize) -> bool {
    i >= 2 && is_reference_holder(rope, path[i - 1], path[i - 2])
}

fn reference(rope: &Rope, value: Node) -> Option<TemplateRef> {
    let s = yaml::scalar(rope, value)?;
    (!s.text.trim().is_empty()).then_some(TemplateRef {
        value: s.text,
        span: s.span,
    })
}

/// A `template: x` line read as text (for lines an error hid from the tree).
fn line_reference(rope: &Rope, line: usize) -> Option<TemplateRef> {
    let l = lines::Line::read(rope, line);
    if !l.content {
        return None;
    }
    let text = rope.byte_slice(l.start..l.end).to_string();
    let mut at = l.indent;
    if l.dash {
        at += 1;
        at += text[at..].len() - text[at..].trim_start().len();
    }
    let p = lines::text_pair(&text, at)?;
    (p.key == "template" && !p.value.is_empty()).then(|| {
        let quoted = p.value_span.len() > p.value.len();
        let start = l.start + p.value_span.start + usize::from(quoted);
        TemplateRef {
            span: start..start + p.value.len(),
            value: p.value,
        }
    })
}

/// The reference under a byte offset (its value), found locally.
pub fn reference_at(doc: &Document, offset: usize) -> Option<TemplateRef> {
    let rope = doc.rope();
    let root = doc.tree().root_node();
    let within = |s: &Span| s.start <= offset && offset <= s.end;
    let path = syntax::path_to(root, offset, offset);
    // The innermost pair around the offset.
    if let Some(i) = path
        .iter()
        .rposition(|n| matches!(n.kind(), "block_mapping_pair" | "flow_pair"))
    {
        let n = path[i];
        if let (Some(k), Some(v)) = (n.child_by_field_name("key"), n.child_by_field_name("value"))
            && is_template_key(rope, k)
            && i >= 1
            && is_reference_mapping(rope, &path, i - 1)
            && let Some(r) = reference(rope, v)
            && within(&r.span)
        {
            return Some(r);
        }
    }
    if root.has_error() {
        let offset = crate::text::floor_char_boundary(rope, offset);
        return line_reference(rope, rope.byte_to_line(offset)).filter(|r| within(&r.span));
    }
    None
}

/// Resolves a reference against the file system.
pub fn resolve(doc: &Document, place: &Place, files: &dyn Files, value: &str) -> Target {
    let raw = value.trim();
    if yaml::is_expression(raw) {
        return Target::Expression;
    }
    let (path, alias) = split_alias(raw);
    if let Some(alias) = alias {
        let name = repositories(doc).into_iter().find(|(a, _)| a == alias);
        return Target::Repository {
            path: path.to_string(),
            alias: alias.to_string(),
            declared: name.is_some(),
            name: name.and_then(|(_, n)| n),
        };
    }
    let Some((root, candidates)) = candidates(place, files, path) else {
        return Target::Missing { tried: Vec::new() };
    };
    let mut tried: Vec<PathBuf> = Vec::new();
    for (i, candidate) in candidates.into_iter().enumerate() {
        // Where Azure Pipelines looks leaves the repository; a fallback that would is
        // just not tried (see `leaves_repository`).
        let Some(candidate) = candidate else {
            if i == 0 {
                return Target::Outside;
            }
            continue;
        };
        if files.is_file(&candidate) {
            // A link inside the repository may lead out of it.
            let inside = match (files.canonical(&root), files.canonical(&candidate)) {
                (Some(root), Some(target)) => target.starts_with(root),
                _ => false,
            };
            return if inside {
                Target::File(candidate)
            } else {
                Target::Outside
            };
        }
        if !tried.contains(&candidate) {
            tried.push(candidate);
        }
    }
    Target::Missing { tried }
}

/// The folder a document's templates must stay in, and where a reference's path may
/// be, in order (`None` for a path that leaves that folder). Worked out from the text
/// alone: a path that leaves the folder is refused before the disk is asked anything, so
/// nothing tells whether such a path exists. `None` when no folder is known.
fn candidates(
    place: &Place,
    files: &dyn Files,
    path: &str,
) -> Option<(PathBuf, Vec<Option<PathBuf>>)> {
    // Without a repository or workspace, the document's own folder bounds what it reads.
    let root = repository_root(place, files).or_else(|| {
        place
            .file
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
    })?;
    // The document's folder, relative to the root (none when it lies elsewhere, or when
    // its path climbs with `..` and can't be compared lexically).
    let dir = place
        .file
        .as_deref()
        .and_then(Path::parent)
        .and_then(|d| d.strip_prefix(&root).ok())
        .filter(|d| d.components().all(|c| matches!(c, Component::Normal(_))));
    let mut candidates = Vec::new();
    match path.strip_prefix('/') {
        Some(rest) => candidates.push(within(&root, Path::new(""), rest)),
        None => {
            if let Some(dir) = dir {
                candidates.push(within(&root, dir, path));
            }
            candidates.push(within(&root, Path::new(""), path));
        }
    }
    Some((root, candidates))
}

/// Whether a reference's path, as written, leaves the repository (or the folder that
/// bounds the document): what the `template-outside-repository` rule reports. No disk
/// access but the search for the repository root, so it is cheap enough per keystroke;
/// links that lead out are caught by [`resolve`] when the file is opened.
pub fn leaves_repository(place: &Place, files: &dyn Files, value: &str) -> bool {
    let raw = value.trim();
    let (path, alias) = split_alias(raw);
    if yaml::is_expression(raw) || alias.is_some() {
        return false;
    }
    // The first place is where Azure Pipelines looks (the including file's folder, or the
    // root for `/path`); the root fallback is azpls's leniency, and a relative path that
    // climbs out of the root from there still resolves fine from the file's folder.
    candidates(place, files, path).is_some_and(|(_, c)| c.first().is_some_and(Option::is_none))
}

/// `path@alias` split into the path and the alias of another repository (`@self` names
/// this one: no alias).
fn split_alias(raw: &str) -> (&str, Option<&str>) {
    match raw.rsplit_once('@') {
        Some((p, a)) if !a.is_empty() && !a.contains(['/', '\\']) => {
            (p, (a != "self").then_some(a))
        }
        _ => (raw, None),
    }
}

/// `root/dir/path` with `.` and `..` worked out, if it stays inside `root`; `None` when it
/// climbs above it or `path` is absolute.
fn within(root: &Path, dir: &Path, path: &str) -> Option<PathBuf> {
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in dir.components().chain(Path::new(path).components()) {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::Normal(part) => parts.push(part),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let mut out = root.to_path_buf();
    out.extend(parts);
    Some(out)
}

/// The nearest folder with a `.git`, from the document's folder up; else the workspace.
pub fn repository_root(place: &Place, files: &dyn Files) -> Option<PathBuf> {
    let dir = place.file.as_deref().and_then(Path::parent);
    dir.into_iter()
        .flat_map(Path::ancestors)
        .find(|d| files.exists(&d.join(".git")))
        .map(Path::to_path_buf)
        .or_else(|| place.workspace.clone())
}

/// `(alias, name)` of each item of `resources.repositories`.
fn repositories(doc: &Document) -> Vec<(String, Option<String>)> {
    let rope = doc.rope();
    let scalar = |v: Option<Node>| v.and_then(|v| yaml::scalar(rope, v)).map(|s| s.text);
    let mut out = Vec::new();
    for root in model::document_mappings(doc.tree().root_node()) {
        let Some(repos) = yaml::get(rope, root, "resources")
            .and_then(|(_, v)| v)
            .and_then(yaml::content)
            .and_then(|r| yaml::get(rope, r, "repositories"))
            .and_then(|(_, v)| v)
            .and_then(yaml::content)
        else {
            continue;
        };
        for item in yaml::items(repos).filter(|n| yaml::is_mapping(*n)) {
            if let Some(alias) = yaml::get(rope, item, "repository").and_then(|(_, v)| scalar(v)) {
                out.push((
                    alias,
                    yaml::get(rope, item, "name").and_then(|(_, v)| scalar(v)),
                ));
            }
        }
    }
    out
}

/// Links for the references that resolve to a file.
pub fn links(doc: &Document, place: &Place, files: &dyn Files) -> Vec<Link> {
    let root = repository_root(place, files);
    references(doc)
        .into_iter()
        .filter_map(|r| match resolve(doc, place, files, &r.value) {
            Target::File(target) => Some(Link {
                span: r.span,
                tooltip: format!("open {}", shown(&target, root.as_deref())),
                target,
            }),
            _ => None,
        })
        .collect()
}

/// Go to definition: a template reference leads to its file; `parameters.x` in an
/// expression to its declaration; a key passed to a template to that template's
/// declaration of it.
pub fn definition(
    doc: &Document,
    place: &Place,
    files: &dyn Files,
    offset: usize,
) -> Option<Definition> {
    if let Some(r) = reference_at(doc, offset) {
        return match resolve(doc, place, files, &r.value) {
            Target::File(path) => Some(Definition::File { path, line: 0 }),
            _ => None,
        };
    }
    if let Some((name, _)) = parameter_at(doc.rope(), offset) {
        return declared_parameters(doc)
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(&name))
            .map(|p| Definition::Here(p.name_span));
    }
    let passed = passed_parameter_at(doc, offset)?;
    let Target::File(path) = resolve(doc, place, files, &passed.template) else {
        return None;
    };
    let text = files.read(&path)?;
    let target = Document::new(&text, 0);
    let p = declared_parameters(&target)
        .into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(&passed.name))?;
    let line = target.rope().byte_to_line(p.name_span.start) as u32;
    Some(Definition::File { path, line })
}

/// Hovers on a template reference, on `${{ parameters.x }}`, and on a key passed to a
/// template under its `parameters:`.
pub fn hover(doc: &Document, place: &Place, files: &dyn Files, offset: usize) -> Option<Hover> {
    if let Some(r) = reference_at(doc, offset) {
        return Some(Hover {
            markdown: reference_hover(doc, place, files, &r.value),
            span: r.span,
        });
    }
    if let Some((name, span)) = parameter_at(doc.rope(), offset) {
        let declared = declared_parameters(doc);
        let mut md = String::new();
        match declared.iter().find(|p| p.name.eq_ignore_ascii_case(&name)) {
            Some(p) => describe(&mut md, p, None),
            None if declared.is_empty() => {
                let _ = write!(
                    md,
                    "**parameter `{name}`**\n\nThis file declares no `parameters:`."
                );
            }
            None => {
                let _ = write!(
                    md,
                    "**parameter `{name}`**\n\nNot declared in this file's `parameters:` (declared: {}).",
                    names(&declared)
                );
            }
        }
        return Some(Hover { span, markdown: md });
    }
    let passed = passed_parameter_at(doc, offset)?;
    let Target::File(path) = resolve(doc, place, files, &passed.template) else {
        return None;
    };
    let text = files.read(&path)?;
    let declared = declared_parameters(&Document::new(&text, 0));
    let shown_path = shown(&path, repository_root(place, files).as_deref());
    let mut md = String::new();
    match declared
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(&passed.name))
    {
        Some(p) => describe(&mut md, p, Some(&shown_path)),
        None if declared.is_empty() => {
            let _ = write!(md, "`{shown_path}` declares no `parameters:`.");
        }
        None => {
            let _ = write!(
                md,
                "`{shown_path}` declares no parameter `{}` (declared: {}).",
                passed.name,
                names(&declared)
            );
        }
    }
    Some(Hover {
        span: passed.span,
        markdown: md,
    })
}

fn names(declared: &[Parameter]) -> String {
    declared
        .iter()
        .map(|p| format!("`{}`", p.name))
        .collect::<Vec<_>>()
        .join(", ")
}

fn reference_hover(doc: &Document, place: &Place, files: &dyn Files, value: &str) -> String {
    let root = repository_root(place, files);
    match resolve(doc, place, files, value) {
        Target::File(path) => {
            let mut md = format!("**template** `{}`", shown(&path, root.as_deref()));
            if let Some(text) = files.read(&path) {
                let declared = declared_parameters(&Document::new(&text, 0));
                if !declared.is_empty() {
                    md.push_str("\n\nParameters:\n");
                    for p in &declared {
                        let _ = write!(md, "\n- `{}`", p.name);
                        if let Some(kind) = &p.kind {
                            let _ = write!(md, ": {kind}");
                        }
                        match &p.default {
                            Some(d) if !d.contains('\n') => {
                                let _ = write!(md, " = `{d}`");
                            }
                            Some(_) => md.push_str(" (has a default)"),
                            None if !p.mapping_form => md.push_str(" (required)"),
                            None => {}
                        }
                    }
                }
            }
            md
        }
        Target::Repository {
            path,
            alias,
            name,
            declared,
        } => {
            let mut md = format!("**external template** `{path}` in repository `{alias}`");
            match (name, declared) {
                (Some(name), _) => {
                    let _ = write!(md, " (`{name}`)");
                }
                (None, true) => {}
                (None, false) => {
                    md.push_str("\n\n`resources.repositories` does not declare this repository.")
                }
            }
            md
        }
        Target::Missing { tried } if tried.is_empty() => format!(
            "**template** `{value}` not found: this file has no folder yet and no repository root is known."
        ),
        Target::Missing { tried } => {
            let mut md = format!("**template** `{value}` not found; looked for:\n");
            for t in tried {
                let _ = write!(md, "\n- `{}`", shown(&t, root.as_deref()));
            }
            md
        }
        Target::Expression => {
            "**template** path with an expression: it is known only when the pipeline is compiled."
                .to_string()
        }
        Target::Outside => format!(
            "**template** `{value}` is outside this repository. Azure Pipelines reads a \
             template from the repository of the file that includes it (or from another \
             repository declared under `resources.repositories`, as `path@alias`); azpls does \
             not open it."
        ),
    }
}

/// A path as users read it: from the repository root when inside it.
fn shown(path: &Path, root: Option<&Path>) -> String {
    match root.and_then(|r| path.strip_prefix(r).ok()) {
        Some(rel) => rel.to_string_lossy().replace('\\', "/"),
        None => path.to_string_lossy().into_owned(),
    }
}

fn describe(md: &mut String, p: &Parameter, of: Option<&str>) {
    let _ = write!(md, "**parameter `{}`**", p.name);
    if let Some(of) = of {
        let _ = write!(md, " of `{of}`");
    }
    let _ = match (&p.kind, p.mapping_form) {
        (Some(kind), _) => write!(md, ": `{kind}`"),
        (None, false) => write!(md, ": `string`"),
        (None, true) => write!(md, " (untyped: declared in the mapping form)"),
    };
    if let Some(d) = &p.display_name {
        let _ = write!(md, "\n\n{d}");
    }
    match &p.default {
        Some(d) if d.contains('\n') => {
            let _ = write!(md, "\n\nDefault:\n\n```yaml\n{d}\n```");
        }
        Some(d) => {
            let _ = write!(md, "\n\nDefault: `{d}`");
        }
        None if p.mapping_form => {}
        None => md.push_str("\n\nRequired: no default."),
    }
    if !p.values.is_empty() {
        let values: Vec<String> = p.values.iter().map(|v| format!("`{v}`")).collect();
        let _ = write!(md, "\n\nAllowed values: {}", values.join(", "));
    }
}

/// `parameters.NAME` (or `parameters['NAME']`) inside a `${{ }}` under the offset: the
/// name and the span of the whole reference.
pub fn parameter_at(rope: &Rope, offset: usize) -> Option<(String, Span)> {
    let offset = crate::text::floor_char_boundary(rope, offset);
    let line = rope.byte_to_line(offset);
    let base = rope.line_to_byte(line);
    let text = syntax::slice_text(rope.line(line));
    let at = offset - base;
    let mut from = 0;
    while let Some(open) = text[from..].find("${{").map(|i| from + i) {
        let close = text[open..].find("}}").map_or(text.len(), |i| open + i + 2);
        if (open..=close).contains(&at) {
            return reference_in(&text[open..close], at - open)
                .map(|(name, s)| (name, base + open + s.start..base + open + s.end));
        }
        from = close.max(open + 3);
    }
    None
}

/// Within an expression's text, the `parameters.x` reference that covers `at`.
fn reference_in(expr: &str, at: usize) -> Option<(String, Span)> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut from = 0;
    while let Some(start) = expr[from..].find("parameters").map(|i| from + i) {
        from = start + "parameters".len();
        if expr[..start].ends_with(|c: char| ident(c) || c == '.') {
            continue;
        }
        let rest = &expr[from..];
        let (name, len) = if let Some(r) = rest.strip_prefix('.') {
            let n = r.len() - r.trim_start_matches(ident).len();
            (&r[..n], 1 + n)
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            let n = r.find(['\'', '"']).unwrap_or(r.len());
            (&r[..n], 2 + n + 2)
        } else {
            continue;
        };
        let end = (from + len).min(expr.len());
        if !name.is_empty() && (start..=end).contains(&at) {
            return Some((name.to_string(), start..end));
        }
    }
    None
}

/// A key under a template reference's `parameters:` (or under one of its `${{ if }}` /
/// `${{ else }}` branches).
pub(crate) struct Passed {
    pub name: String,
    pub span: Span,
    /// The template's path, as written.
    pub template: String,
}

pub(crate) fn passed_parameter_at(doc: &Document, offset: usize) -> Option<Passed> {
    let rope = doc.rope();
    let path = syntax::path_to(doc.tree().root_node(), offset, offset);
    // The pair whose key is under the offset.
    let at = path
        .iter()
        .rposition(|n| matches!(n.kind(), "block_mapping_pair" | "flow_pair"))?;
    let pair = path[at];
    let key = pair.child_by_field_name("key")?;
    if !(key.start_byte() <= offset && offset <= key.end_byte()) {
        return None;
    }
    let name = yaml::key_text(rope, key)?;
    if yaml::is_expression(&name) {
        return None;
    }
    // pair < mapping < block_node < `parameters:` pair < the reference's mapping, with a
    // conditional's pair < mapping < block_node between for each branch it is in.
    let key_of = |n: Node| {
        matches!(n.kind(), "block_mapping_pair" | "flow_pair")
            .then(|| n.child_by_field_name("key"))
            .flatten()
            .and_then(|k| yaml::key_text(rope, k))
    };
    let mut params_at = at.checked_sub(3)?;
    loop {
        let key = key_of(path[params_at])?;
        if key == "parameters" {
            break;
        }
        if !yaml::is_conditional(&key) {
            return None;
        }
        params_at = params_at.checked_sub(3)?;
    }
    if params_at == 0 || !is_reference_mapping(rope, &path, params_at - 1) {
        return None;
    }
    let holder = path[params_at - 1];
    let (_, value) = yaml::get(rope, holder, "template")?;
    let template = yaml::scalar(rope, value?)?.text;
    Some(Passed {
        name,
        span: yaml::scalar(rope, key)
            .filter(|s| s.exact)
            .map_or_else(|| key.byte_range(), |s| s.span),
        template,
    })
}

/// The parameters the document declares at its top level.
pub fn declared_parameters(doc: &Document) -> Vec<Parameter> {
    let rope = doc.rope();
    let Some(value) = model::document_mappings(doc.tree().root_node())
        .into_iter()
        .find_map(|m| yaml::get(rope, m, "parameters"))
        .and_then(|(_, v)| v)
        .and_then(yaml::content)
    else {
        return Vec::new();
    };
    let scalar = |v: Option<Node>| v.and_then(|v| yaml::scalar(rope, v)).map(|s| s.text);
    if yaml::is_mapping(value) {
        return yaml::pairs(value)
            .filter_map(|(k, v)| {
                Some(Parameter {
                    name: yaml::key_text(rope, k)?,
                    name_span: k.byte_range(),
                    kind: None,
                    display_name: None,
                    default: v.map(|v| written(rope, v)),
                    values: Vec::new(),
                    has_default: true,
                    kind_span: None,
                    default_value: argument(rope, v),
                    mapping_form: true,
                })
            })
            .collect();
    }
    yaml::items(value)
        .filter(|n| yaml::is_mapping(*n))
        .filter_map(|item| {
            let get = |key: &str| yaml::get(rope, item, key);
            let (_, name_node) = get("name")?;
            let name = yaml::scalar(rope, name_node?)?;
            let values = get("values")
                .and_then(|(_, v)| v)
                .and_then(yaml::content)
                .map(|seq| {
                    yaml::items(seq)
                        .filter_map(|i| yaml::scalar(rope, i))
                        .map(|s| s.text)
                        .collect()
                })
                .unwrap_or_default();
            Some(Parameter {
                name: name.text,
                name_span: name.span,
                kind: get("type").and_then(|(_, v)| scalar(v)),
                display_name: get("displayName").and_then(|(_, v)| scalar(v)),
                default: get("default")
                    .and_then(|(_, v)| v)
                    .map(|v| written(rope, v)),
                values,
                has_default: get("default").is_some(),
                kind_span: get("type")
                    .and_then(|(_, v)| v)
                    .and_then(|v| yaml::scalar(rope, v))
                    .filter(|s| s.exact)
                    .map(|s| s.span),
                default_value: argument(rope, get("default").and_then(|(_, v)| v)),
                mapping_form: false,
            })
        })
        .collect()
}

/// A value as written: a scalar's text, or a block's lines without their common
/// indentation (shortened past a few lines).
fn written(rope: &Rope, value: Node) -> String {
    const MAX_LINES: usize = 12;
    if let Some(s) = yaml::scalar(rope, value).filter(|s| s.exact || s.quoted) {
        return s.text;
    }
    let text = syntax::text(rope, value);
    let column = value.start_position().column;
    let mut out: Vec<&str> = Vec::new();
    for (i, line) in crate::text::lines_inclusive(&text).enumerate() {
        let line = line.trim_end_matches(['\n', '\r']);
        if i == MAX_LINES {
            out.push("# …");
            break;
        }
        let strip = line.len() - line.trim_start_matches(' ').len();
        out.push(if i == 0 {
            line
        } else {
            &line[strip.min(column)..]
        });
    }
    out.join("\n").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_references_in_expressions() {
        let rope =
            Rope::from_str("x: ${{ eq(parameters.env, 'prod') }} and ${{ parameters['a b'] }}\n");
        let text = rope.to_string();
        let at = |needle: &str, plus: usize| text.find(needle).unwrap() + plus;
        let (name, span) = parameter_at(&rope, at("parameters.env", 0)).unwrap();
        assert_eq!((name.as_str(), &text[span]), ("env", "parameters.env"));
        assert_eq!(parameter_at(&rope, at(".env", 2)).unwrap().0, "env");
        assert_eq!(parameter_at(&rope, at("['a b']", 3)).unwrap().0, "a b");
        assert!(parameter_at(&rope, at("eq(", 0)).is_none());
        assert!(parameter_at(&rope, at("and", 0)).is_none());
    }

    /// A document, or a text not yet read, may call a template only if it names its file.
    #[test]
    fn only_a_text_naming_the_file_may_call_it() {
        let template = Path::new("/repo/templates/deploy.yml");
        for (text, may) in [
            ("steps:\n- template: ../templates/deploy.yml\n", true),
            ("extends:\n  template: /templates/deploy.yml@self\n", true),
            ("steps:\n- template: templates/build.yml\n", false),
            ("steps:\n- script: echo deploy\n", false),
        ] {
            assert_eq!(text_may_call(text, template), may, "{text}");
            assert_eq!(may_call(&Rope::from_str(text), template), may, "{text}");
        }
        // A file without a name (a folder's root) is called by nothing.
        assert!(!text_may_call("template: /\n", Path::new("/")));
    }

    /// Looking references up word by word finds what one walk over the tree finds.
    #[test]
    fn word_lookups_and_the_tree_walk_agree() {
        let texts = [
            "steps:\n- template: a.yml\n  parameters: {template: no}\n- {template: 'b.yml'}\n",
            "extends:\n  template: x.yml\njobs:\n- template: \"j.yml\"\n- job: template\n  steps:\n  - template: s.yml@r\n",
            "a:\n  template: not-a-reference.yml\nvariables:\n- template: v.yml\n",
        ];
        for text in texts {
            let doc = Document::new(text, 0);
            let rope = doc.rope();
            let root = doc.tree().root_node();
            let words = lines::find_all(rope, "template");
            assert_eq!(
                by_words(rope, root, &words, |_| true),
                by_walk(rope, root, |_| true),
                "{text}"
            );
        }
    }

    #[test]
    fn paths_are_worked_out_lexically_and_kept_inside_the_root() {
        let root = Path::new("/r");
        assert_eq!(
            within(root, Path::new("a"), "./b/../c.yml"),
            Some(PathBuf::from("/r/a/c.yml"))
        );
        assert_eq!(
            within(root, Path::new("a"), "../c.yml"),
            Some(PathBuf::from("/r/c.yml"))
        );
        // Climbing past the root does not stop at it, as `/..` would on a disk: it is out.
        assert_eq!(within(root, Path::new("a"), "../../c.yml"), None);
        assert_eq!(within(root, Path::new(""), &"../".repeat(8)), None);
        assert_eq!(within(root, Path::new(""), "/etc/passwd"), None);
    }
}
