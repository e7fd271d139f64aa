//! The pipeline's structure checked against the language (`knowledge::language`): unknown
//! keys, values of the wrong type or outside their allowed values, and missing keys. The
//! rules `unknown-key`, `wrong-type`, `invalid-value` and `missing-key` each report their
//! kind of [`Issue`] from one walk, done once per analysis.
//!
//! Each value is checked against one shape of its type, chosen from the value itself: its
//! form (scalar, sequence, mapping) and, among mappings, the key that identifies the shape
//! (`task`, `script`, `job`, `deployment` …). A mapping that no key identifies is checked
//! against the keys of all its shapes together. So one mistake gives one finding, never a
//! list of every alternative the schema allows.
//!
//! Never an error: `${{ }}` keys (their bodies are checked in the context they insert into),
//! values with `${{ }}`, `$[ ]` or `$( )` (not type-checked), empty values, documents that are
//! not pipelines (no pipeline key at their root, or a recognised other format), and whatever
//! lies in a region the parser could not read.
//!
//! The same walk finds the duplicate keys (rule `duplicate-key`) when asked: it reads every
//! mapping's keys anyway, and a second walk over the tree costs as much as a third of a parse.
//! What the walk does not read itself (values of unknown keys or of a type it does not
//! check, documents that are not pipelines) it hands to `duplicate-key`'s own walk, so the
//! duplicates are exactly those that walk finds over the whole document (a test compares
//! them). In a tree with syntax errors that walk reads the whole document, as the shape of
//! a broken region is not one this walk follows.

use std::cell::RefCell;
use std::collections::HashMap;

use ropey::Rope;
use std::borrow::Cow;
use tree_sitter::Node;

use crate::analysis::rules::duplicate_key;
use crate::analysis::{Finding, Severity, memo, suggest};
use crate::document::Document;
use crate::knowledge::language::{Language, MappingShape, ScalarKind, Shape, TypeId, language};
use crate::model::{self, yaml};
use crate::syntax;
use crate::text::Span;

/// How deep the walk goes into nested values; the parse limits keep real documents far
/// below it.
const MAX_DEPTH: usize = 96;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueKind {
    UnknownKey,
    WrongType,
    InvalidValue,
    MissingKey,
}

/// One problem with the structure; the rules turn it into a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub kind: IssueKind,
    pub span: Span,
    pub message: String,
    /// A replacement for `span`'s text that fixes it (a key's right spelling).
    pub replacement: Option<String>,
}

/// Subtrees smaller than this are checked afresh: remembering them costs more than it saves.
const REMEMBER_FROM: usize = 512;

/// Nor are larger ones: they hold the edited place on most keystrokes (the document, a
/// long `steps:` list), so hashing their text would cost more than it saves; their
/// children are remembered.
const REMEMBER_UP_TO: usize = 16 * 1024;

/// A remembered subtree: its kind and a 128-bit hash of its text, the type it was checked
/// against and what held it (messages name the key; the depth bounds the walk).
type Content = (u16, u128, TypeId, u64);

/// What one check remembers for the next: the issues of each large subtree, spans relative
/// to its start, by the subtree's content. A subtree's issues depend on nothing else, and
/// content survives what tree-sitter's node ids do not: a file with syntax errors is parsed
/// afresh on every keystroke. Only the outermost subtree of each path is hashed, so a
/// keystroke hashes the text about once and re-checks the one subtree its edit changed.
type Remembered = HashMap<Content, Entry>;

/// The issues of a remembered subtree, and its duplicate keys when the check looked for
/// them (spans relative to its start).
struct Entry {
    issues: Vec<Issue>,
    duplicates: Option<Vec<Finding>>,
}

thread_local! {
    static REMEMBERED: RefCell<Option<Remembered>> = const { RefCell::new(None) };
}

/// Forgets the remembered subtrees.
pub fn forget() {
    REMEMBERED.with(|r| *r.borrow_mut() = None);
}

/// What the last check on this thread remembered, taken out to be handed to another thread
/// (which checks the document for this one, see `analysis::walks`).
pub(crate) struct Handed(Option<Remembered>);

/// How many subtrees this thread remembers.
pub(crate) fn remembered() -> usize {
    REMEMBERED.with(|r| r.borrow().as_ref().map_or(0, HashMap::len))
}

/// Takes this thread's remembered subtrees out of it.
pub(crate) fn hand_over() -> Handed {
    Handed(REMEMBERED.with(|r| r.borrow_mut().take()))
}

/// Makes `handed` this thread's remembered subtrees.
pub(crate) fn take_over(handed: Handed) {
    REMEMBERED.with(|r| *r.borrow_mut() = handed.0);
}

/// Every structure issue of the document, in document order, re-checking only the
/// subtrees that changed since the last check on this thread.
pub fn check(doc: &Document) -> Vec<Issue> {
    check_with(doc, None).0
}

/// [`check`] from scratch: the reference the remembering check must equal.
pub fn check_fresh(doc: &Document) -> Vec<Issue> {
    Walker::new(doc, false, None).run(doc).0
}

/// [`check`], and with `duplicates` (their severity) the document's duplicate keys too,
/// found in the same walk: what `duplicate-key`'s walk over the whole document finds.
pub(crate) fn check_with(
    doc: &Document,
    duplicates: Option<Severity>,
) -> (Vec<Issue>, Vec<Finding>) {
    let mut walker = Walker::new(doc, true, duplicates);
    walker.previous = REMEMBERED
        .with(|r| r.borrow_mut().take())
        .unwrap_or_default();
    let found = walker.run(doc);
    let next = std::mem::take(&mut walker.next);
    REMEMBERED.with(|r| *r.borrow_mut() = Some(next));
    found
}

/// [`check_with`] from scratch (for tests: the duplicates must be `duplicate-key`'s).
#[doc(hidden)]
pub fn check_fresh_with(doc: &Document, duplicates: Severity) -> (Vec<Issue>, Vec<Finding>) {
    Walker::new(doc, false, Some(duplicates)).run(doc)
}

impl<'a> Walker<'a> {
    fn new(doc: &'a Document, remember: bool, duplicates: Option<Severity>) -> Self {
        Walker {
            rope: doc.rope(),
            lang: language(),
            issues: Vec::new(),
            previous: HashMap::new(),
            next: HashMap::new(),
            remember,
            severity: duplicates.unwrap_or(Severity::Error),
            duplicates: duplicates.map(|_| Vec::new()),
            others: duplicates.map(|severity| duplicate_key::Walk::new(doc, severity, remember)),
        }
    }

    fn run(&mut self, doc: &Document) -> (Vec<Issue>, Vec<Finding>) {
        let root = doc.tree().root_node();
        let mut cursor = root.walk();
        for document in root.named_children(&mut cursor) {
            let mapping = (document.kind_id() == syntax::kinds().document)
                .then(|| model::document_mapping(document))
                .flatten();
            let keys: Vec<String> = mapping
                .map(|m| {
                    yaml::pairs(m)
                        .filter_map(|(k, _)| yaml::key_text(self.rope, k))
                        .collect()
                })
                .unwrap_or_default();
            match mapping {
                Some(mapping) if is_pipeline(&keys) => self.root(mapping, &keys),
                // Not a pipeline, or not a mapping: only its duplicate keys (the other walk
                // leaves out the documents that are some other format).
                _ => self.others(document),
            }
        }
        self.issues.sort_by_key(|i| (i.span.start, i.span.end));
        let mut duplicates = self.duplicates.take().unwrap_or_default();
        if let Some(mut others) = self.others.take() {
            if root.has_error() {
                // What this walk found in a broken tree only served what it remembers:
                // the other walk reads the whole of it.
                duplicates = others.from(root);
            }
            others.finish();
        }
        (std::mem::take(&mut self.issues), duplicates)
    }
}

/// A document is a pipeline (or a template of one) when a pipeline key stands at its root, or
/// when it declares `parameters:` beside only keys a pipeline may have; other YAML is not
/// ours to judge.
pub fn is_pipeline(keys: &[String]) -> bool {
    if model::foreign_kind(keys).is_some() {
        return false;
    }
    if keys
        .iter()
        .any(|k| model::PIPELINE_KEYS.contains(&k.as_str()))
    {
        return true;
    }
    let lang = language();
    let known = |k: &String| lang.mappings(lang.root()).any(|m| m.key(k).is_some());
    keys.iter().any(|k| k == "parameters" || k == "variables") && keys.iter().all(known)
}

struct Walker<'a> {
    rope: &'a Rope,
    lang: &'static Language,
    issues: Vec<Issue>,
    /// What the previous check remembered, and what this one will.
    previous: Remembered,
    next: Remembered,
    /// Whether to look subtrees up: off for a fresh check, and inside a subtree already
    /// being remembered as a whole.
    remember: bool,
    /// The duplicate keys found so far, when they are looked for, with their severity.
    duplicates: Option<Vec<Finding>>,
    severity: Severity,
    /// `duplicate-key`'s walk, for what this one does not read.
    others: Option<duplicate_key::Walk<'a>>,
}

/// What holds a value, as messages name it: a key (`"pool" takes …`), or the list under a
/// key, whose items are named by what they are (`a step is …`), never by the list's key.
#[derive(Clone, Copy)]
struct Holder<'k> {
    key: &'k str,
    item: bool,
}

impl<'k> Holder<'k> {
    fn key(key: &'k str) -> Self {
        Holder { key, item: false }
    }
}

/// A key of a mapping being checked.
struct Pair<'t, 'r> {
    key: Node<'t>,
    text: Cow<'r, str>,
    value: Option<Node<'t>>,
}

/// A mapping as read: its pairs with a scalar key, and (when duplicate keys are looked for)
/// what else the duplicate-key walk would look into: the values of pairs without such a
/// key, and children that are not pairs (a flow mapping's `{ a }` entries).
struct Read<'t, 'r> {
    pairs: Vec<Pair<'t, 'r>>,
    others: Vec<Node<'t>>,
}

impl<'t, 'r> Walker<'r> {
    fn push(&mut self, kind: IssueKind, span: Span, message: String) {
        self.issues.push(Issue {
            kind,
            span,
            message,
            replacement: None,
        });
    }

    /// The top-level mapping: a pipeline in one of its forms, or a template whose root is
    /// `parameters:` and what it provides. Nothing is required at the root.
    fn root(&mut self, mapping: Node<'t>, keys: &[String]) {
        let root = self.lang.root();
        let chosen = choose(self.lang, root, keys);
        let read = self.read(mapping);
        self.mapping_duplicates(&read);
        self.mapping_keys(root, chosen, &read.pairs, "the pipeline", 0);
    }

    /// Reads a mapping's pairs (as `yaml::pairs` finds them, keeping those whose key has a
    /// text) and, when duplicates are looked for, the rest of what it holds.
    fn read(&self, mapping: Node<'t>) -> Read<'t, 'r> {
        let kinds = syntax::kinds();
        let others_too = self.duplicates.is_some();
        let mut read = Read {
            pairs: Vec::new(),
            others: Vec::new(),
        };
        let mut cursor = mapping.walk();
        if !yaml::is_mapping(mapping) || !cursor.goto_first_child() {
            return read;
        }
        loop {
            let child = cursor.node();
            let id = child.kind_id();
            if kinds.pairs.contains(&id) {
                let value = child.child_by_field_id(kinds.value.get());
                let key = child.child_by_field_id(kinds.key.get());
                match key.and_then(|key| Some((key, yaml::key_str(self.rope, key)?))) {
                    Some((key, text)) => read.pairs.push(Pair { key, text, value }),
                    None if others_too => read.others.extend(value),
                    None => {}
                }
            } else if others_too && kinds.is_container(id) {
                read.others.push(child);
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
        read
    }

    /// The duplicate keys of a mapping this walk reads, and those in what it holds beside
    /// its pairs.
    fn mapping_duplicates(&mut self, read: &Read<'t, 'r>) {
        let Some(out) = &mut self.duplicates else {
            return;
        };
        duplicate_key::duplicates(
            self.severity,
            &read.pairs,
            |p| &p.text,
            |p| p.key.byte_range(),
            out,
        );
        for &node in &read.others {
            self.others(node);
        }
    }

    /// Hands a subtree this walk does not read to the duplicate-key walk.
    fn others(&mut self, node: Node<'t>) {
        if let (Some(out), Some(others)) = (&mut self.duplicates, &mut self.others) {
            out.extend(others.from(node));
        }
    }

    /// The type of `key` in the chosen shape, or in any shape when none was chosen.
    fn key_type(&self, ty: TypeId, chosen: Option<usize>, key: &str) -> KeyLookup {
        let shapes = chosen_shapes(self.lang, ty, chosen);
        for m in &shapes {
            if let Some(k) = m.key(key) {
                return KeyLookup::Known(k.ty);
            }
        }
        if let Some(open) = shapes.iter().find_map(|m| m.open) {
            return KeyLookup::Known(open);
        }
        let names = || shapes.iter().flat_map(|m| m.keys.iter());
        if let Some(k) = names().find(|k| k.name.eq_ignore_ascii_case(key)) {
            return KeyLookup::Case(k.name.clone());
        }
        let visible: Vec<&str> = names()
            .filter(|k| !k.hidden)
            .map(|k| k.name.as_str())
            .collect();
        KeyLookup::Unknown(suggest::nearest(key, visible).map(str::to_string))
    }

    /// Checks the keys of a mapping against a shape (or all shapes of the type), and the
    /// value of each key against its type. `${{ }}` keys insert into this same mapping.
    fn mapping_keys(
        &mut self,
        ty: TypeId,
        chosen: Option<usize>,
        pairs: &[Pair<'t, 'r>],
        what: &str,
        depth: usize,
    ) {
        for pair in pairs {
            if yaml::is_expression(&pair.text) {
                if let Some(value) = pair.value.and_then(yaml::content)
                    && yaml::is_mapping(value)
                    && depth < MAX_DEPTH
                {
                    let inner = self.read(value);
                    self.mapping_duplicates(&inner);
                    self.mapping_keys(ty, chosen, &inner.pairs, what, depth + 1);
                } else if let Some(value) = pair.value {
                    self.others(value);
                }
                continue;
            }
            let lookup = self.key_type(ty, chosen, &pair.text);
            if !matches!(lookup, KeyLookup::Known(_))
                && let Some(value) = pair.value
            {
                self.others(value);
            }
            match lookup {
                KeyLookup::Known(key_ty) => {
                    if let Some(value) = pair.value {
                        self.value(value, key_ty, Holder::key(&pair.text), depth + 1);
                    }
                }
                KeyLookup::Case(right) => {
                    let span = self.key_span(pair.key);
                    self.issues.push(Issue {
                        kind: IssueKind::UnknownKey,
                        span,
                        message: format!(
                            "\"{}\" is not a key of {what}: keys are case-sensitive, write \"{right}\"",
                            pair.text
                        ),
                        replacement: Some(right),
                    });
                }
                KeyLookup::Unknown(suggestion) => {
                    let span = self.key_span(pair.key);
                    let message = match &suggestion {
                        Some(s) => format!(
                            "\"{}\" is not a key of {what}; did you mean \"{s}\"?",
                            pair.text
                        ),
                        None => format!(
                            "\"{}\" is not a key of {what}, which the service rejects",
                            pair.text
                        ),
                    };
                    self.issues.push(Issue {
                        kind: IssueKind::UnknownKey,
                        span,
                        message,
                        replacement: suggestion,
                    });
                }
            }
        }
    }

    /// The span of a key's text, inside its quotes.
    fn key_span(&self, key: Node) -> Span {
        yaml::scalar(self.rope, key)
            .filter(|s| s.exact)
            .map(|s| s.span)
            .unwrap_or_else(|| key.byte_range())
    }

    /// Checks a value against a type. `holder` names what holds it, for messages. Large
    /// subtrees seen unchanged by the previous check take its issues.
    fn value(&mut self, node: Node<'t>, ty: TypeId, holder: Holder, depth: usize) {
        self.value_read(node, ty, holder, depth, None);
    }

    /// [`Walker::value`], for a node whose pairs the caller has read already (a mapping
    /// item of a sequence): reading them is most of what checking a mapping costs.
    fn value_read(
        &mut self,
        node: Node<'t>,
        ty: TypeId,
        holder: Holder,
        depth: usize,
        read: Option<Read<'t, 'r>>,
    ) {
        if depth > MAX_DEPTH || node.has_error() && node.is_error() {
            self.others(node);
            return;
        }
        let len = node.byte_range().len();
        if !self.remember || !(REMEMBER_FROM..=REMEMBER_UP_TO).contains(&len) || node.has_error() {
            return self.value_afresh(node, ty, holder, depth, read);
        }
        let hash = memo::text_hash(self.rope.byte_slice(node.byte_range()));
        let content = (node.kind_id(), hash, ty, context_hash(holder, depth));
        let start = node.start_byte();
        // Remembered without its duplicates (when they were not looked for) is not enough
        // when they are.
        if let Some(known) = self.previous.remove(&content)
            && (self.duplicates.is_none() || known.duplicates.is_some())
        {
            self.issues.extend(known.issues.iter().map(|i| Issue {
                span: i.span.start + start..i.span.end + start,
                ..i.clone()
            }));
            if let (Some(out), Some(known)) = (&mut self.duplicates, &known.duplicates) {
                out.extend(known.iter().cloned().map(|mut f| {
                    memo::shift(&mut f, start as isize);
                    f.severity = self.severity;
                    f
                }));
            }
            self.next.insert(content, known);
            return;
        }
        let from = self.issues.len();
        let duplicates_from = self.duplicates.as_ref().map_or(0, Vec::len);
        self.remember = false;
        self.value_afresh(node, ty, holder, depth, read);
        self.remember = true;
        let issues = self.issues[from..]
            .iter()
            .map(|i| Issue {
                span: i.span.start - start..i.span.end - start,
                ..i.clone()
            })
            .collect();
        let duplicates = self.duplicates.as_ref().map(|found| {
            found[duplicates_from..]
                .iter()
                .cloned()
                .map(|mut f| {
                    memo::shift(&mut f, -(start as isize));
                    f
                })
                .collect()
        });
        self.next.insert(content, Entry { issues, duplicates });
    }

    fn value_afresh(
        &mut self,
        node: Node<'t>,
        ty: TypeId,
        holder: Holder,
        depth: usize,
        read: Option<Read<'t, 'r>>,
    ) {
        // A wrapper without content holds nothing the duplicate-key walk would look into.
        let Some(node) = yaml::content(node) else {
            return;
        };
        let shapes = &self.lang.get(ty).shapes;
        if shapes.iter().any(|s| matches!(s, Shape::Any)) {
            self.others(node);
            return;
        }
        if yaml::is_mapping(node) {
            self.mapping_value(node, ty, holder, depth, read);
        } else if yaml::is_sequence(node) {
            self.sequence_value(node, ty, holder, depth);
        } else {
            self.scalar_value(node, ty, holder);
        }
    }

    fn mapping_value(
        &mut self,
        node: Node<'t>,
        ty: TypeId,
        holder: Holder,
        depth: usize,
        read: Option<Read<'t, 'r>>,
    ) {
        // `read`, when given, is `node` read: a sequence item is its own content.
        let read = read.unwrap_or_else(|| self.read(node));
        let pairs = &read.pairs;
        let has_mapping = mapping_shapes(self.lang, ty).next().is_some();
        if !has_mapping {
            // Not read further: the other walk looks for its duplicates.
            self.others(node);
            // A sequence given as a mapping of `${{ }}` insertions is still a sequence.
            if pairs.iter().all(|p| yaml::is_expression(&p.text)) {
                return;
            }
            let span = pairs
                .first()
                .map(|p| self.key_span(p.key))
                .unwrap_or_else(|| node.byte_range());
            let takes = self.takes(ty, holder, true);
            self.push(
                IssueKind::WrongType,
                span,
                format!("{takes}, not a mapping"),
            );
            return;
        }
        let keys: Vec<&str> = pairs.iter().map(|p| p.text.as_ref()).collect();
        let chosen = choose(self.lang, ty, &keys);
        let what = self.describe(ty, chosen, holder.key);
        if chosen.is_none() && self.identified_by_first(ty) {
            // Its values are not read: the other walk looks for its duplicates.
            self.others(node);
            self.unidentified(ty, pairs, &what, node);
            return;
        }
        self.mapping_duplicates(&read);
        self.mapping_keys(ty, chosen, pairs, &what, depth);
        let has_expression = pairs.iter().any(|p| yaml::is_expression(&p.text));
        if let Some(i) = chosen
            && !has_expression
            && !node.has_error()
        {
            let shape = shape(self.lang, ty, i);
            for required in &shape.required {
                if !keys.iter().any(|k| *k == required) {
                    let span = pairs
                        .first()
                        .map(|p| self.key_span(p.key))
                        .unwrap_or_else(|| node.byte_range());
                    self.push(
                        IssueKind::MissingKey,
                        span,
                        format!("{what} needs \"{required}\""),
                    );
                }
            }
        }
    }

    /// Whether every mapping shape of the type is identified by a key (steps, jobs, stages,
    /// variables): then a mapping without any of those keys is missing its kind.
    fn identified_by_first(&self, ty: TypeId) -> bool {
        let mut shapes = mapping_shapes(self.lang, ty).peekable();
        shapes.peek().is_some() && shapes.all(|(_, m)| m.first.is_some())
    }

    /// A mapping with none of its type's identifying keys: a misspelt kind key gets the
    /// spelling (wherever it stands), otherwise the kinds are listed.
    fn unidentified(&mut self, ty: TypeId, pairs: &[Pair<'t, 'r>], what: &str, node: Node) {
        if pairs.iter().any(|p| yaml::is_expression(&p.text)) || node.has_error() {
            return;
        }
        // Steps list their kinds in the reference's order; `upload` is a hidden old name.
        let kinds: Vec<&str> = if self.lang.get(ty).name == "step" {
            self.lang
                .step_kinds
                .iter()
                .map(|(k, _)| k.as_str())
                .collect()
        } else {
            mapping_shapes(self.lang, ty)
                .filter_map(|(_, m)| m.first.as_deref())
                .collect()
        };
        for pair in pairs {
            let known = mapping_shapes(self.lang, ty).any(|(_, m)| m.key(&pair.text).is_some());
            if known {
                continue;
            }
            let right = kinds
                .iter()
                .find(|k| k.eq_ignore_ascii_case(&pair.text))
                .map(|k| k.to_string())
                .or_else(|| {
                    suggest::nearest(&pair.text, kinds.iter().copied()).map(str::to_string)
                });
            if let Some(right) = right {
                let span = self.key_span(pair.key);
                self.issues.push(Issue {
                    kind: IssueKind::UnknownKey,
                    span,
                    message: format!(
                        "\"{}\" is not a key of {what}; did you mean \"{right}\"?",
                        pair.text
                    ),
                    replacement: Some(right),
                });
                return;
            }
        }
        let span = pairs
            .first()
            .map(|p| self.key_span(p.key))
            .unwrap_or_else(|| node.byte_range());
        self.push(
            IssueKind::MissingKey,
            span,
            format!("{what} needs one of {}", list(&kinds)),
        );
    }

    fn sequence_value(&mut self, node: Node<'t>, ty: TypeId, holder: Holder, depth: usize) {
        let Some(item_ty) = item_type(self.lang, ty) else {
            self.others(node);
            let takes = self.takes(ty, holder, true);
            let span = node.byte_range();
            let span = span.start..(span.start + 1).min(span.end);
            self.push(IssueKind::WrongType, span, format!("{takes}, not a list"));
            return;
        };
        self.items(node, item_ty, holder.key, depth);
    }

    /// The items of a sequence; an item that is only a `${{ }}` key inserts its value's items
    /// (or its value, a single item) here.
    fn items(&mut self, node: Node<'t>, item_ty: TypeId, key: &str, depth: usize) {
        let holder = Holder { key, item: true };
        for item in yaml::items(node) {
            let mut read = None;
            if yaml::is_mapping(item) {
                let pairs = self.read(item);
                if !pairs.pairs.is_empty()
                    && pairs.pairs.iter().all(|p| yaml::is_expression(&p.text))
                {
                    // `$( )` keys are expressions here, yet may be duplicates.
                    self.mapping_duplicates(&pairs);
                    for pair in pairs.pairs {
                        let Some(value) = pair.value.and_then(yaml::content) else {
                            continue;
                        };
                        if depth >= MAX_DEPTH {
                            self.others(value);
                            continue;
                        }
                        if yaml::is_sequence(value) {
                            self.items(value, item_ty, key, depth + 1);
                        } else {
                            self.value(value, item_ty, holder, depth + 1);
                        }
                    }
                    continue;
                }
                read = Some(pairs);
            }
            self.value_read(item, item_ty, holder, depth + 1, read);
        }
    }

    fn scalar_value(&mut self, node: Node<'t>, ty: TypeId, holder: Holder) {
        let Some(scalar) = yaml::scalar(self.rope, node) else {
            return;
        };
        if node.kind() == "block_scalar" || yaml::is_expression(&scalar.text) {
            return;
        }
        let text = scalar.text.as_str();
        let shapes = &self.lang.get(ty).shapes;
        let scalars: Vec<_> = shapes
            .iter()
            .filter_map(|s| match s {
                Shape::Scalar(s) => Some(s),
                _ => None,
            })
            .collect();
        // An empty plain value is YAML's null: the key is there with nothing set.
        if text.is_empty() && !scalar.quoted {
            return;
        }
        if scalars.is_empty() {
            // `task:Bash@3` is one string to YAML: the key lost its space, and the key it
            // lost is the kind, so the kinds need no listing.
            let message = match text.split_once(':') {
                Some((k, v))
                    if !k.is_empty() && !v.is_empty() && !v.starts_with(' ') && !scalar.quoted =>
                {
                    format!(
                        "\"{text}\" is read as one string, and {}; a key and its value need \": \" (\"{k}: {v}\")",
                        self.takes(ty, holder, false)
                    )
                }
                _ => format!("{}, not \"{text}\"", self.takes(ty, holder, true)),
            };
            self.push(IssueKind::WrongType, scalar.span, message);
            return;
        }
        let mut problem = None;
        for s in &scalars {
            let accepted = match s.kind {
                ScalarKind::Integer => text.trim().parse::<i64>().is_ok(),
                ScalarKind::Boolean => is_boolean(text),
                ScalarKind::String => {
                    let values_ok = s.values.as_ref().is_none_or(|values| {
                        values.iter().any(|v| {
                            if s.ignore_case {
                                v.eq_ignore_ascii_case(text)
                            } else {
                                v == text
                            }
                        })
                    });
                    let format_ok = s.format.is_none_or(|f| f.accepts(text));
                    if values_ok && !format_ok {
                        problem = s.format.map(|f| f.describe().to_string());
                    }
                    values_ok && format_ok
                }
            };
            if accepted {
                return;
            }
        }
        let wrong_kind = shapes.len() > scalars.len()
            && scalars
                .iter()
                .all(|s| s.values.is_some() && s.kind == ScalarKind::String)
            && !scalars.iter().any(|s| {
                s.values.as_ref().is_some_and(|vs| {
                    suggest::nearest(text, vs.iter().map(String::as_str)).is_some()
                })
            });
        if let Some(problem) = problem {
            self.push(
                IssueKind::InvalidValue,
                scalar.span,
                format!("\"{}\" allows {problem}, not \"{text}\"", holder.key),
            );
            return;
        }
        let suggestion = scalars.iter().find_map(|s| {
            let values = s.values.as_ref()?;
            if let Some(v) = values.iter().find(|v| v.eq_ignore_ascii_case(text)) {
                return Some(v.clone());
            }
            suggest::nearest(text, values.iter().map(String::as_str)).map(str::to_string)
        });
        let kind = if wrong_kind {
            IssueKind::WrongType
        } else {
            IssueKind::InvalidValue
        };
        let takes = self.takes(ty, holder, true);
        let message = match &suggestion {
            Some(s) => format!("{takes}, not \"{text}\"; did you mean \"{s}\"?"),
            None => format!("{takes}, not \"{text}\""),
        };
        self.issues.push(Issue {
            kind,
            span: scalar.span.clone(),
            message,
            replacement: suggestion.filter(|_| scalar.exact),
        });
    }

    /// What a type accepts, in one short phrase.
    fn expected(&self, ty: TypeId) -> String {
        describe_type(self.lang, ty)
    }

    /// The start of a wrong-type message, up to what the value should have been: `"pool"
    /// takes a string or a mapping`. An item of a list of steps, jobs, stages, variables,
    /// parameters or resources is named by what it is and the keys that say its kind (`a
    /// step is a mapping with one of the step kinds …`): the list's key is not what is wrong.
    /// `kinds` names those keys.
    fn takes(&self, ty: TypeId, holder: Holder, kinds: bool) -> String {
        if !holder.item {
            return format!("\"{}\" takes {}", holder.key, self.expected(ty));
        }
        let only_mappings = self
            .lang
            .get(ty)
            .shapes
            .iter()
            .all(|s| matches!(s, Shape::Mapping(_)));
        let what = self.describe(ty, None, holder.key);
        let named = !what.starts_with('"');
        if only_mappings && named {
            if !kinds {
                return format!("{what} is a mapping");
            }
            if self.lang.get(ty).name == "step" {
                return format!(
                    "{what} is a mapping with one of the step kinds, such as \"script\" or \"task\""
                );
            }
            let mut kinds: Vec<&str> = Vec::new();
            for (_, m) in mapping_shapes(self.lang, ty) {
                if let Some(first) = m.first.as_deref()
                    && !kinds.contains(&first)
                {
                    kinds.push(first);
                }
            }
            if !kinds.is_empty() {
                return format!("{what} is a mapping with a {} key", list(&kinds));
            }
        }
        format!("an item of \"{}\" takes {}", holder.key, self.expected(ty))
    }

    /// How a mapping is named in messages: "a job", "a checkout step", "a container
    /// resource" …, or by the key that holds it.
    fn describe(&self, ty: TypeId, chosen: Option<usize>, key: &str) -> String {
        let first = chosen.and_then(|i| shape(self.lang, ty, i).first.clone());
        let name = self.lang.get(ty).name.as_str();
        let fixed = match (name, first.as_deref()) {
            ("step", Some("task")) | ("task", _) => "a task step",
            ("step", Some(kind)) => return format!("a {kind} step"),
            ("step", None) => "a step",
            ("job", Some("deployment")) => "a deployment job",
            ("job", Some("template")) | ("stage", Some("template")) => "a template reference",
            ("job", _) => "a job",
            ("stage", _) => "a stage",
            ("variable", _) => "a variable",
            ("containerResource", _) => "a container resource",
            ("repositoryResource", _) => "a repository resource",
            ("pipelineResource", _) => "a pipeline resource",
            ("buildResource", _) => "a build resource",
            ("packageResource", _) => "a package resource",
            ("webhookResource", _) => "a webhook resource",
            ("templateParameter", _) | ("pipelineTemplateParameter", _) => "a parameter",
            ("schedule", _) => "a schedule",
            ("webhookFilter", _) => "a webhook filter",
            _ => return format!("\"{key}\""),
        };
        fixed.to_string()
    }
}

/// What a subtree's issues depend on besides the subtree and its type: what holds it, a key
/// or a list's items (messages name it), and how deep it is (the depth bound).
fn context_hash(holder: Holder, depth: usize) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    holder.key.hash(&mut h);
    holder.item.hash(&mut h);
    depth.hash(&mut h);
    h.finish()
}

/// The mapping shape of `ty` that `keys` identify: the one whose identifying key is
/// present (the one knowing most of the keys if several are), the only one, or none (then
/// the keys of all shapes count).
pub fn choose<K: AsRef<str>>(lang: &Language, ty: TypeId, keys: &[K]) -> Option<usize> {
    let shapes: Vec<(usize, &MappingShape)> = mapping_shapes(lang, ty).collect();
    if shapes.len() == 1 {
        return Some(shapes[0].0);
    }
    let identified = shapes.iter().filter(|(_, m)| {
        m.first
            .as_ref()
            .is_some_and(|f| keys.iter().any(|k| k.as_ref() == f))
    });
    identified
        .max_by_key(|(i, m)| {
            let known = keys.iter().filter(|k| m.key(k.as_ref()).is_some()).count();
            // Earlier shapes win ties: max_by_key keeps the last maximum.
            (known, usize::MAX - i)
        })
        .map(|(i, _)| *i)
}

/// The mapping shapes of a type, with their index among its shapes.
pub fn mapping_shapes(lang: &Language, ty: TypeId) -> impl Iterator<Item = (usize, &MappingShape)> {
    lang.get(ty)
        .shapes
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Shape::Mapping(m) => Some((i, m)),
            _ => None,
        })
}

fn shape(lang: &Language, ty: TypeId, index: usize) -> &MappingShape {
    match &lang.get(ty).shapes[index] {
        Shape::Mapping(m) => m,
        _ => unreachable!("choose returns mapping shapes"),
    }
}

/// The mapping shapes `chosen` stands for: that one, or all of them.
pub fn chosen_shapes(lang: &Language, ty: TypeId, chosen: Option<usize>) -> Vec<&MappingShape> {
    match chosen {
        Some(i) => vec![shape(lang, ty, i)],
        None => mapping_shapes(lang, ty).map(|(_, m)| m).collect(),
    }
}

/// The type of the items of a sequence type.
pub fn item_type(lang: &Language, ty: TypeId) -> Option<TypeId> {
    lang.get(ty).shapes.iter().find_map(|s| match s {
        Shape::Sequence(item) => Some(*item),
        _ => None,
    })
}

/// One mapping on the way from a document's root to a place in it, as written there.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Level {
    /// The keys written in the mapping (what chooses its shape).
    pub keys: Vec<String>,
    /// The mapping is an item of a sequence (the value of the level above's `via`).
    pub item: bool,
    /// The key whose value holds the next level; `None` on the last level.
    pub via: Option<String>,
}

/// A mapping of the language: its type, the shape its keys choose, and those keys
/// (with the keys of the mappings that `${{ }}` keys insert it into).
#[derive(Clone, Debug)]
pub struct Expected {
    pub ty: TypeId,
    pub chosen: Option<usize>,
    pub keys: Vec<String>,
}

/// The type expected at the last of `levels` (root first), read as the checker reads the
/// document: each mapping's shape chosen from its keys, keys followed to their types,
/// sequences to their items, and a `${{ }}` key's value inserted into the mapping (or
/// sequence) that holds the key. `None` where the language knows nothing (an unknown key,
/// an open mapping's value).
pub fn expected(lang: &Language, levels: &[Level]) -> Option<Expected> {
    let mut ty = lang.root();
    let mut carried: Vec<String> = Vec::new();
    for (n, level) in levels.iter().enumerate() {
        if level.item && n > 0 {
            // An item inserted by `${{ }}` into a sequence is already of the item type.
            ty = item_type(lang, ty).unwrap_or(ty);
        }
        let mut keys = std::mem::take(&mut carried);
        keys.extend(level.keys.iter().cloned());
        let chosen = choose(lang, ty, &keys);
        let Some(via) = &level.via else {
            return Some(Expected { ty, chosen, keys });
        };
        if yaml::is_expression(via) {
            carried = keys;
            continue;
        }
        let shapes = chosen_shapes(lang, ty, chosen);
        ty = shapes
            .iter()
            .find_map(|m| m.key(via).map(|k| k.ty))
            .or_else(|| shapes.iter().find_map(|m| m.open))?;
    }
    None
}

enum KeyLookup {
    Known(TypeId),
    /// Known in another case.
    Case(String),
    /// Unknown, with the nearest known spelling.
    Unknown(Option<String>),
}

/// The spellings of a boolean the service accepts (the schema's `boolean`).
pub fn is_boolean(text: &str) -> bool {
    ["true", "y", "yes", "on", "false", "n", "no", "off"]
        .iter()
        .any(|b| b.eq_ignore_ascii_case(text))
}

/// What a type accepts, in one short phrase: "a boolean", "a list of steps", "\"none\", a list
/// or a mapping" … never every value of a long list.
pub fn describe_type(lang: &Language, ty: TypeId) -> String {
    let mut parts: Vec<String> = Vec::new();
    for shape in &lang.get(ty).shapes {
        let part = match shape {
            Shape::Any => "any value".to_string(),
            Shape::Scalar(s) => match (&s.values, s.kind) {
                (_, ScalarKind::Boolean) => "a boolean (true or false)".to_string(),
                (_, ScalarKind::Integer) => "a whole number".to_string(),
                (Some(values), _) if is_boolean_list(values) => {
                    "a boolean (true or false)".to_string()
                }
                (Some(values), _) if values.len() <= 4 => {
                    list(&values.iter().map(String::as_str).collect::<Vec<_>>())
                }
                (Some(values), _) => {
                    format!("one of {} values such as \"{}\"", values.len(), values[0])
                }
                (None, _) => "a string".to_string(),
            },
            Shape::Sequence(item) => match lang.get(*item).name.as_str() {
                "step" => "a list of steps".to_string(),
                "job" => "a list of jobs".to_string(),
                "stage" => "a list of stages".to_string(),
                "variable" => "a list of variables".to_string(),
                _ => "a list".to_string(),
            },
            Shape::Mapping(_) => "a mapping".to_string(),
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    match parts.len() {
        0 => "nothing".to_string(),
        1 => parts.remove(0),
        _ => {
            let last = parts.pop().unwrap_or_default();
            format!("{} or {last}", parts.join(", "))
        }
    }
}

/// Whether listed values are the spellings of a boolean.
pub fn is_boolean_list(values: &[String]) -> bool {
    values.iter().all(|v| is_boolean(v)) && values.len() >= 2
}

/// `"a", "b" or "c"`.
fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}
