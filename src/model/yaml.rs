//! Small, total helpers to read YAML structure out of the tree-sitter tree: mappings,
//! sequences and scalars, each with byte spans. Anything unexpected (ERROR nodes, tags,
//! aliases) reads as "not there" rather than failing.

use crate::syntax;
use crate::text::Span;
use ropey::Rope;
use std::borrow::Cow;
use tree_sitter::Node;

/// Strips `block_node`/`flow_node` wrappers (and any tag or anchor on them) to reach the
/// mapping, sequence or scalar inside.
///
/// This and the iterators below run for nearly every node of every document on open, so
/// they compare kind and field ids and never make a `TreeCursor` for one lookup (each new
/// cursor allocates its stack).
pub fn content(node: Node) -> Option<Node> {
    let kinds = syntax::kinds();
    let mut node = node;
    while kinds.wrappers.contains(&node.kind_id()) {
        // Tags, anchors and comments come before the content; there are rarely any.
        let mut i = 0;
        node = loop {
            let child = node.named_child(i)?;
            if !kinds.decorations.contains(&child.kind_id()) {
                break child;
            }
            i += 1;
        };
    }
    Some(node)
}

pub fn is_mapping(node: Node) -> bool {
    syntax::kinds().mappings.contains(&node.kind_id())
}

pub fn is_sequence(node: Node) -> bool {
    syntax::kinds().sequences.contains(&node.kind_id())
}

/// The pairs of a mapping: (key node, value node if any). Walks the children with one
/// cursor, without allocating per pair; each pair's key and value are looked up by field
/// id (cheaper than stepping a cursor through the pair and back).
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
        let kinds = syntax::kinds();
        loop {
            if !self.first && !self.cursor.goto_next_sibling() {
                self.started = false;
                return None;
            }
            self.first = false;
            let pair = self.cursor.node();
            if kinds.pairs.contains(&pair.kind_id())
                && let Some(key) = pair.child_by_field_id(kinds.key.get())
            {
                return Some((key, pair.child_by_field_id(kinds.value.get())));
            }
        }
    }
}

/// The items of a sequence, unwrapped to their content.
pub fn items<'t>(sequence: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    let kinds = syntax::kinds();
    let mut children: Vec<Node<'t>> = Vec::new();
    let mut cursor = sequence.walk();
    let id = sequence.kind_id();
    if kinds.sequences.contains(&id) && cursor.goto_first_child() {
        let block = id == kinds.sequences[0];
        loop {
            let child = cursor.node();
            if block && child.kind_id() == kinds.item {
                // The item's first named child that is not a comment.
                if cursor.goto_first_child() {
                    loop {
                        let n = cursor.node();
                        if n.is_named() && n.kind_id() != kinds.comment {
                            children.push(n);
                            break;
                        }
                        if !cursor.goto_next_sibling() {
                            break;
                        }
                    }
                    cursor.goto_parent();
                }
            } else if !block && child.kind_id() == kinds.flow_node {
                children.push(child);
            }
            if !cursor.goto_next_sibling() {
                break;
            }
        }
    }
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
    let kinds = syntax::kinds();
    let id = node.kind_id();
    let quote = if id == kinds.double_quote_scalar {
        Some('"')
    } else if id == kinds.single_quote_scalar {
        Some('\'')
    } else {
        None
    };
    if quote.is_none() && id != kinds.plain_scalar && id != kinds.block_scalar {
        return None;
    }
    let range = node.byte_range();
    if id == kinds.block_scalar {
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
    match quote {
        None => Some(Scalar {
            text: raw.into_owned(),
            span: range,
            exact: true,
            quoted: false,
        }),
        Some(quote) => {
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
    key_str(rope, key).map(Cow::into_owned)
}

/// A mapping key's text without quotes, borrowed from the rope when it can be (a plain or
/// an unescaped quoted key within one chunk: nearly every key), which spares an allocation
/// per key on walks over the whole document.
pub fn key_str<'r>(rope: &'r Rope, key: Node) -> Option<Cow<'r, str>> {
    let node = content(key)?;
    let kinds = syntax::kinds();
    let id = node.kind_id();
    if id == kinds.plain_scalar {
        return Some(syntax::text(rope, node));
    }
    let quote = if id == kinds.double_quote_scalar {
        b'"'
    } else if id == kinds.single_quote_scalar {
        b'\''
    } else {
        return scalar(rope, node).map(|s| Cow::Owned(s.text));
    };
    let range = node.byte_range();
    if let Cow::Borrowed(raw) = syntax::text(rope, node)
        && raw.len() >= 2
        && raw.as_bytes()[raw.len() - 1] == quote
    {
        let inner = &raw[1..raw.len() - 1];
        let escaped = if quote == b'"' {
            inner.contains('\\')
        } else {
            inner.contains("''")
        };
        if !escaped && !inner.contains('\n') && range.len() == raw.len() {
            return Some(Cow::Borrowed(inner));
        }
    }
    scalar(rope, node).map(|s| Cow::Owned(s.text))
}

/// The value of `key` in `mapping` (exact, case-sensitive, as YAML keys are).
pub fn get<'t>(rope: &Rope, mapping: Node<'t>, key: &str) -> Option<(Node<'t>, Option<Node<'t>>)> {
    pairs(mapping).find(|(k, _)| key_text(rope, *k).as_deref() == Some(key))
}

/// True for the template-expression keys that insert into a mapping or sequence:
/// `${{ if ... }}`, `${{ else }}`, `${{ each ... }}`.
pub fn is_expression(text: &str) -> bool {
    // What `contains("${{") || contains("$(") || contains("$[")` says, in one pass over
    // the bytes: the structure check asks it of every key and value on open, and three
    // substring searches cost several times more than the key's bytes.
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'$'
            && match bytes.get(i + 1) {
                Some(b'(' | b'[') => true,
                Some(b'{') => bytes.get(i + 2) == Some(&b'{'),
                _ => false,
            }
    })
}

/// True when `text` holds `${{` (a template expression), found as [`is_expression`] finds
/// its markers: one pass over the bytes rather than a substring search.
pub fn has_template(text: &str) -> bool {
    text.as_bytes().windows(3).any(|w| w == b"${{")
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte scans say what the substring searches they replace said.
    #[test]
    fn expression_markers_are_found_as_substring_search_finds_them() {
        for text in [
            "",
            "$",
            "$$",
            "${",
            "${{",
            "$ {{",
            "${ {",
            "$(",
            "$$(",
            "$[",
            "a$[b",
            "x${{ if }}",
            "$(var)",
            "$]",
            "${x}",
            "{{",
            "$\u{e9}(",
            "é$(",
            "${{é",
            "$}",
            "abc$",
        ] {
            let substring = text.contains("${{") || text.contains("$(") || text.contains("$[");
            assert_eq!(is_expression(text), substring, "{text:?}");
            assert_eq!(has_template(text), text.contains("${{"), "{text:?}");
        }
    }
}
