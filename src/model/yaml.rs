//! Small, total helpers to read YAML structure out of the tree-sitter tree: mappings,
//! sequences and scalars, each with byte spans. Anything unexpected (ERROR nodes, tags,
//! aliases) reads as "not there" rather than failing.

use crate::syntax;
use crate::text::Span;
use ropey::Rope;
use tree_sitter::Node;

/// Strips `block_node`/`flow_node` wrappers (and any tag or anchor on them) to reach the
/// mapping, sequence or scalar inside.
pub fn content(node: Node) -> Option<Node> {
    let kinds = syntax::kinds();
    let mut node = node;
    while kinds.wrappers.contains(&node.kind_id()) {
        // Tags, anchors and comments come before the content; there are rarely any.
        let mut cursor = node.walk();
        if !cursor.goto_first_child() {
            return None;
        }
        loop {
            let child = cursor.node();
            if child.is_named() && !kinds.decorations.contains(&child.kind_id()) {
                node = child;
                break;
            }
            if !cursor.goto_next_sibling() {
                return None;
            }
        }
    }
    Some(node)
}

pub fn is_mapping(node: Node) -> bool {
    matches!(node.kind(), "block_mapping" | "flow_mapping")
}

pub fn is_sequence(node: Node) -> bool {
    matches!(node.kind(), "block_sequence" | "flow_sequence")
}

/// The pairs of a mapping: (key node, value node if any). Walks the children with a
/// cursor, without allocating.
pub fn pairs<'t>(mapping: Node<'t>) -> Pairs<'t> {
    let mut cursor = mapping.walk();
    let started = is_mapping(mapping) && cursor.goto_first_child();
    Pairs {
        cursor,
        started,
        first: true,
    }
}

pub struct Pairs<'t> {
    cursor: tree_sitter::TreeCursor<'t>,
    started: bool,
    first: bool,
}

impl<'t> Iterator for Pairs<'t> {
    type Item = (Node<'t>, Option<Node<'t>>);

    fn next(&mut self) -> Option<Self::Item> {
        if !self.started {
            return None;
        }
        loop {
            if !self.first && !self.cursor.goto_next_sibling() {
                self.started = false;
                return None;
            }
            self.first = false;
            let pair = self.cursor.node();
            if matches!(pair.kind(), "block_mapping_pair" | "flow_pair")
                && let Some(key) = pair.child_by_field_name("key")
            {
                return Some((key, pair.child_by_field_name("value")));
            }
        }
    }
}

/// The items of a sequence, unwrapped to their content.
pub fn items<'t>(sequence: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    let mut cursor = sequence.walk();
    let children: Vec<Node<'t>> = match sequence.kind() {
        "block_sequence" => sequence
            .named_children(&mut cursor)
            .filter(|c| c.kind() == "block_sequence_item")
            .filter_map(|item| {
                let mut c = item.walk();
                item.named_children(&mut c).find(|n| n.kind() != "comment")
            })
            .collect(),
        "flow_sequence" => sequence
            .named_children(&mut cursor)
            .filter(|c| c.kind() == "flow_node")
            .collect(),
        _ => Vec::new(),
    };
    children.into_iter().filter_map(content)
}

/// A scalar's text with its quotes removed, and the span of that text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scalar {
    pub text: String,
    /// The span of `text` in the document. When `exact` is false (escapes in a quoted
    /// scalar, or a block scalar) it is the whole node and `text` is not a byte-for-byte
    /// slice of it.
    pub span: Span,
    pub exact: bool,
    pub quoted: bool,
}

/// Reads a scalar node (or a node wrapping one). Mappings and sequences are not scalars.
pub fn scalar(rope: &Rope, node: Node) -> Option<Scalar> {
    let node = content(node)?;
    let range = node.byte_range();
    if node.kind() == "block_scalar" {
        // A block scalar (a script, usually) is never a name or a version: keep its span
        // and spare copying it on every keystroke.
        return Some(Scalar {
            text: String::new(),
            span: range,
            exact: false,
            quoted: false,
        });
    }
    let raw = syntax::text(rope, node);
    match node.kind() {
        "plain_scalar" => Some(Scalar {
            text: raw.into_owned(),
            span: range,
            exact: true,
            quoted: false,
        }),
        "double_quote_scalar" | "single_quote_scalar" => {
            let quote = if node.kind() == "double_quote_scalar" {
                '"'
            } else {
                '\''
            };
            let inner = raw
                .strip_prefix(quote)
                .map(|r| r.strip_suffix(quote).unwrap_or(r))
                .unwrap_or(&raw);
            let escaped = if quote == '"' {
                inner.contains('\\')
            } else {
                inner.contains("''")
            };
            if escaped || inner.contains('\n') {
                Some(Scalar {
                    text: unescape(inner, quote),
                    span: range,
                    exact: false,
                    quoted: true,
                })
            } else {
                let start = range.start + 1;
                Some(Scalar {
                    text: inner.to_string(),
                    span: start..start + inner.len(),
                    exact: true,
                    quoted: true,
                })
            }
        }
        _ => None,
    }
}

/// A best-effort unescape: enough to read names, never used to compute spans.
fn unescape(inner: &str, quote: char) -> String {
    if quote == '\'' {
        return inner.replace("''", "'");
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A mapping key's text without quotes.
pub fn key_text(rope: &Rope, key: Node) -> Option<String> {
    scalar(rope, key).map(|s| s.text)
}

/// The value of `key` in `mapping` (exact, case-sensitive, as YAML keys are).
pub fn get<'t>(rope: &Rope, mapping: Node<'t>, key: &str) -> Option<(Node<'t>, Option<Node<'t>>)> {
    pairs(mapping).find(|(k, _)| key_text(rope, *k).as_deref() == Some(key))
}

/// True for the template-expression keys that insert into a mapping or sequence:
/// `${{ if ... }}`, `${{ else }}`, `${{ each ... }}`.
pub fn is_expression(text: &str) -> bool {
    text.contains("${{") || text.contains("$(") || text.contains("$[")
}

/// True for `${{ if ... }}`, `${{ elseif ... }}` and `${{ else }}` keys: insertions whose
/// body is ordinary YAML, unlike `${{ each }}` or `${{ insert }}`.
pub fn is_conditional(key: &str) -> bool {
    let Some(inner) = key
        .trim()
        .strip_prefix("${{")
        .and_then(|k| k.strip_suffix("}}"))
    else {
        return false;
    };
    let word = inner.trim_start();
    let head: String = word
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    matches!(head.as_str(), "if" | "elseif" | "else")
}
