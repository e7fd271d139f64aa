//! `duplicate-key`: a key set twice in one mapping, which Azure Pipelines refuses.

use crate::analysis::{Context, Docs, Finding, Related, Rule, Severity, memo};
use crate::document::Document;
use crate::model::{self, yaml};
use crate::syntax;
use crate::text::Span;
use ropey::Rope;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use tree_sitter::Node;

pub static RULE: Rule = Rule {
    id: "duplicate-key",
    summary: "key set twice in one mapping, which Azure Pipelines refuses",
    explanation: "Azure Pipelines refuses a file in which one mapping has the same key twice \
(\"'displayName' is already defined\"), where most YAML tools silently keep the last value. \
Keys are compared as the service compares them, ignoring case: `displayName` and \
`DisplayName` are the same key. Keys holding a template expression (`${{ if ... }}:`, \
`${{ else }}:`, `${{ insert }}:`, `${{ each ... }}:`) are never duplicates: they are \
conditional, and the service does not compare them either. Each mapping is compared on its \
own, so a key inside an `${{ if }}` block does not clash with the same key outside it. The \
error is on the second key, with the first as related information. Documents that are not \
pipelines are not checked.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/"),
};

/// Mappings with more keys than this are compared through a sorted list rather than pair
/// by pair.
const FEW: usize = 16;

/// Subtrees shorter than this are walked again rather than remembered (hashing every small
/// subtree on the way down would cost more than walking them).
const GRAIN: usize = 256;

/// Nor are longer ones: they hold the edited place on most keystrokes (the document, the
/// `steps:` list), so hashing their text would cost more than it saves; their children are
/// remembered.
const LARGEST: usize = 16 * 1024;

/// What the last walk on this thread found, per subtree, so that the next keystroke walks
/// only what its edit changed.
///
/// Subtrees are remembered by their content: their kind and a 128-bit hash of their text.
/// The duplicates of a mapping depend on nothing else, and content survives what node ids
/// do not: a tree with syntax errors comes from a fresh parse (see `Document::reparse`),
/// which shares no subtree with the one before, yet most of its text is unchanged. Subtrees
/// with errors in them are never remembered. Hashing stops at the remembered subtrees,
/// which do not overlap, so a keystroke hashes the text about once.
struct Cache {
    subtrees: HashMap<(u16, u128), Remembered>,
}

/// One subtree's findings (spans relative to its start).
#[derive(Clone)]
struct Remembered {
    findings: Vec<Finding>,
}

thread_local! {
    static CACHE: RefCell<Option<Cache>> = const { RefCell::new(None) };
}

/// Forgets the last walk (when no open document needs it any more).
pub fn forget_cached() {
    CACHE.with(|c| *c.borrow_mut() = None);
}

/// What the last walk on this thread remembered, taken out to be handed to another thread
/// (which walks the document for this one, see `analysis::walks`).
pub(crate) struct Handed(Option<Cache>);

/// How many subtrees this thread remembers.
pub(crate) fn remembered() -> usize {
    CACHE.with(|c| c.borrow().as_ref().map_or(0, |c| c.subtrees.len()))
}

/// Takes this thread's remembered walk out of it.
pub(crate) fn hand_over() -> Handed {
    Handed(CACHE.with(|c| c.borrow_mut().take()))
}

/// Makes `handed` this thread's remembered walk.
pub(crate) fn take_over(handed: Handed) {
    CACHE.with(|c| *c.borrow_mut() = handed.0);
}

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    out.extend(ctx.walked().duplicates.iter().cloned());
}

/// The duplicate keys of the whole document, walking only what changed since the last walk
/// on this thread. (With the structure rules on, the structure check finds them in its own
/// walk instead, and hands this walk only what it does not read: see `analysis::structure`.)
pub(crate) fn walk(doc: &Document, severity: Severity) -> Vec<Finding> {
    let mut walk = Walk::new(doc, severity, true);
    let found = walk.from(doc.tree().root_node());
    walk.finish();
    found
}

/// [`walk`] from scratch, remembering nothing: the reference the others must equal.
pub(crate) fn walk_fresh(doc: &Document, severity: Severity) -> Vec<Finding> {
    Walk::new(doc, severity, false).from(doc.tree().root_node())
}

/// A walk for duplicate keys, over one subtree or several of a document, with what the last
/// walk on this thread remembered (when `remember` is set): [`Walk::finish`] keeps what this
/// one found for the next.
pub(crate) struct Walk<'r> {
    rope: &'r Rope,
    severity: Severity,
    /// Documents that are not pipelines, which are never walked.
    foreign: Vec<Span>,
    refused: bool,
    remember: bool,
    old: Option<Cache>,
    subtrees: HashMap<(u16, u128), Remembered>,
}

impl<'r> Walk<'r> {
    pub(crate) fn new(doc: &'r Document, severity: Severity, remember: bool) -> Self {
        let rope = doc.rope();
        let refused = doc.refusal().is_some();
        Walk {
            rope,
            severity,
            foreign: if refused {
                Vec::new()
            } else {
                model::foreign_of(doc).to_vec()
            },
            refused,
            remember,
            old: if remember {
                CACHE.with(|c| c.borrow_mut().take())
            } else {
                None
            },
            subtrees: HashMap::new(),
        }
    }

    /// Keeps what the walks found for the next walk on this thread.
    pub(crate) fn finish(self) {
        if self.remember {
            let subtrees = self.subtrees;
            CACHE.with(|c| *c.borrow_mut() = Some(Cache { subtrees }));
        }
    }

    /// The duplicate keys in `top` and below it, in document order.
    pub(crate) fn from(&mut self, top: Node) -> Vec<Finding> {
        if self.refused {
            return Vec::new();
        }
        let rope = self.rope;
        let severity = self.severity;
        let kinds = syntax::kinds();
        let mut found: Vec<Finding> = Vec::new();
        let mut walked: Vec<(Node, u128)> = Vec::new();
        // The walk visits only what can hold a mapping: the children of containers, and of each
        // pair only its key (read) and its value (queued), found through the cursor's field
        // ids. An explicit stack, no recursion (untrusted depth).
        // Each entry says whether a subtree around it is already remembered as a whole: then it
        // is walked without hashing (one hash per remembered subtree, not one per level).
        let mut stack = vec![(top, !self.remember)];
        let mut cursor = top.walk();
        let mut keys: Vec<(Cow<str>, Span)> = Vec::new();
        while let Some((node, inside)) = stack.pop() {
            let id = node.kind_id();
            if id == kinds.document && self.foreign.iter().any(|f| f.contains(&node.start_byte())) {
                continue;
            }
            // tree-sitter-yaml rebuilds every item of a sequence that an edit touches, even
            // those whose content it reuses: items are never worth looking up.
            let mut inside = inside;
            if !inside
                && id != kinds.item
                && (GRAIN..=LARGEST).contains(&node.byte_range().len())
                && !node.has_error()
            {
                let content = (id, hash(rope, &node));
                let known = self.old.as_ref().and_then(|c| c.subtrees.get(&content));
                if let Some(known) = known {
                    let start = node.start_byte() as isize;
                    found.extend(known.findings.iter().cloned().map(|mut f| {
                        memo::shift(&mut f, start);
                        f.severity = severity;
                        f
                    }));
                    self.subtrees.insert(content, known.clone());
                    continue;
                }
                walked.push((node, content.1));
                inside = true;
            }
            cursor.reset(node);
            if !cursor.goto_first_child() {
                continue;
            }
            let mapping = kinds.mappings.contains(&id);
            keys.clear();
            loop {
                let child = cursor.node();
                let child_id = child.kind_id();
                if mapping && kinds.pairs.contains(&child_id) {
                    if cursor.goto_first_child() {
                        loop {
                            match cursor.field_id() {
                                Some(f) if f == kinds.key => {
                                    let key = cursor.node();
                                    if let Some(text) = key_text(rope, key) {
                                        keys.push((text, key.byte_range()));
                                    }
                                }
                                Some(f) if f == kinds.value => stack.push((cursor.node(), inside)),
                                _ => {}
                            }
                            if !cursor.goto_next_sibling() {
                                break;
                            }
                        }
                        cursor.goto_parent();
                    }
                } else if kinds.is_container(child_id) {
                    stack.push((child, inside));
                }
                if !cursor.goto_next_sibling() {
                    break;
                }
            }
            if mapping {
                duplicates(severity, &keys, |(k, _)| k, |(_, s)| s.clone(), &mut found);
            }
        }
        // A subtree's findings are those on keys inside it (a key belongs to the mapping that
        // holds it, which lies inside every subtree around it).
        found.sort_by_key(|f| f.span.start);
        for (node, text_hash) in walked {
            let range = node.byte_range();
            let from = found.partition_point(|f| f.span.start < range.start);
            let to = found.partition_point(|f| f.span.start < range.end);
            let relative = found[from..to]
                .iter()
                .cloned()
                .map(|mut f| {
                    memo::shift(&mut f, -(range.start as isize));
                    f
                })
                .collect();
            self.subtrees.insert(
                (node.kind_id(), text_hash),
                Remembered { findings: relative },
            );
        }
        found
    }
}

fn hash(rope: &Rope, node: &Node) -> u128 {
    memo::text_hash(rope.byte_slice(node.byte_range()))
}

/// Reports the keys of one mapping that repeat an earlier one, as the service compares
/// them; expression keys are left out. `keys` are the mapping's keys in order, each read
/// with `text` and `span`.
pub(crate) fn duplicates<K>(
    severity: Severity,
    keys: &[K],
    text: impl Fn(&K) -> &str,
    span: impl Fn(&K) -> Span,
    out: &mut Vec<Finding>,
) {
    if keys.len() < 2 {
        return;
    }
    let literal = |k: &&K| !yaml::has_template(text(k));
    if keys.len() <= FEW {
        for (i, key) in keys.iter().enumerate().filter(|(_, k)| literal(k)) {
            let key_text = text(key);
            if let Some(first) = keys[..i]
                .iter()
                .filter(literal)
                .find(|k| same(text(k), key_text))
            {
                out.push(finding(
                    severity,
                    key_text,
                    &span(key),
                    text(first),
                    &span(first),
                ));
            }
        }
        return;
    }
    let mut order: Vec<(String, usize)> = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| literal(k))
        .map(|(i, k)| (fold(text(k)), i))
        .collect();
    order.sort();
    for run in order.chunk_by(|a, b| a.0 == b.0) {
        let first = &keys[run[0].1];
        for (_, i) in &run[1..] {
            let key = &keys[*i];
            out.push(finding(
                severity,
                text(key),
                &span(key),
                text(first),
                &span(first),
            ));
        }
    }
}

fn finding(severity: Severity, key: &str, span: &Span, first: &str, first_span: &Span) -> Finding {
    // No line numbers in the message: findings are remembered per subtree, which moves.
    let message = if key == first {
        format!(
            "\"{key}\" is already set in this mapping, and Azure Pipelines refuses \
             duplicate keys; remove one of them"
        )
    } else {
        format!(
            "\"{key}\" is the same key as \"{first}\" to Azure Pipelines, which ignores case \
             and refuses duplicate keys; remove one of them"
        )
    };
    Finding {
        rule: &RULE,
        severity,
        span: span.clone(),
        message,
        related: vec![Related {
            span: first_span.clone(),
            label: format!("the first \"{first}\" of this mapping"),
        }],
        deprecated: false,
        fix: None,
    }
}

/// A key's text: borrowed for plain keys, unquoted for quoted ones. Keys that are not
/// scalars (`? [a, b]`) have none.
fn key_text<'r>(rope: &'r Rope, key: Node) -> Option<Cow<'r, str>> {
    let raw = syntax::text(rope, key);
    if raw.starts_with(['"', '\'', '&', '!', '[', '{', '?', '|', '>', '*']) {
        return yaml::key_text(rope, key).map(Cow::Owned);
    }
    match raw {
        Cow::Borrowed(s) => Some(Cow::Borrowed(s.trim())),
        Cow::Owned(s) => Some(Cow::Owned(s.trim().to_string())),
    }
}

/// Ordinal, case-insensitive equality, as the service's key comparison.
fn same(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        fold(a) == fold(b)
    }
}

fn fold(s: &str) -> String {
    s.to_uppercase()
}
