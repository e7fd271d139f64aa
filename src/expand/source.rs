//! A template file read once per expansion: the tree-sitter tree turned into plain nodes
//! with their spans and lines, scalars decoded as YAML says (quotes, escapes, folding,
//! block scalars), and the template expressions of every scalar that has one parsed here,
//! once, however many times the file is expanded.

use crate::document::Document;
use crate::expr::{self, Expression, Role, Source};
use crate::model::yaml;
use crate::syntax;
use crate::text::Span;
use tree_sitter::Node;

#[derive(Debug)]
pub struct SNode {
    pub kind: SKind,
    pub span: Span,
    pub line: u32,
}

#[derive(Debug)]
pub enum SKind {
    Null,
    Scalar {
        text: String,
        plain: bool,
        /// The document offset the expressions' spans count from: `text[i]` is at
        /// `base + i` (exactly when the scalar has no escapes, else approximately).
        base: usize,
        /// The `${{ }}` expressions in it, parsed (as a key: with directives); `None`
        /// when it has none.
        exprs: Option<Box<[Expression]>>,
    },
    Seq(Vec<SNode>),
    Map(Vec<(SNode, SNode)>),
}

impl SNode {
    pub fn text(&self) -> Option<&str> {
        match &self.kind {
            SKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&SNode> {
        match &self.kind {
            SKind::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| k.text() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// A file, read.
pub struct SourceFile {
    pub root: SNode,
    /// YAML syntax errors: where, and what.
    pub errors: Vec<(Span, String)>,
    /// For resolving references from it (`resources.repositories`).
    pub doc: Document,
}

pub fn read(text: &str) -> SourceFile {
    read_parsed(Document::new(text, 0), text)
}

/// [`read`] of a document already parsed (an open buffer), whose text is `text`.
pub fn read_parsed(doc: Document, text: &str) -> SourceFile {
    let mut errors = Vec::new();
    if let Some(refusal) = doc.refusal() {
        errors.push((
            refusal.span().clone(),
            "the file nests too deep or is too wide to be read".to_string(),
        ));
    }
    let tree = doc.tree();
    let root_node = tree.root_node();
    for e in syntax::errors::errors(doc.rope(), tree) {
        errors.push((
            e.span,
            format!("{} (the expansion leaves this out)", e.message),
        ));
    }
    let body = first_document(root_node);
    let root = match body {
        Some(n) => convert(text, n, Role::Value),
        None => SNode {
            kind: SKind::Null,
            span: 0..0,
            line: 0,
        },
    };
    SourceFile { root, errors, doc }
}

/// The content of the first `---` document that has one.
fn first_document(root: Node) -> Option<Node> {
    let mut cursor = root.walk();
    let docs: Vec<Node> = root.named_children(&mut cursor).collect();
    for d in docs.into_iter().filter(|d| d.kind() == "document") {
        let mut c = d.walk();
        let body = d
            .named_children(&mut c)
            .find(|c| matches!(c.kind(), "block_node" | "flow_node"));
        if let Some(body) = body.and_then(yaml::content) {
            return Some(body);
        }
    }
    None
}

fn convert(text: &str, node: Node, role: Role) -> SNode {
    let span = node.byte_range();
    let line = node.start_position().row as u32;
    let kind = if yaml::is_mapping(node) {
        SKind::Map(
            yaml::pairs(node)
                .map(|(k, v)| {
                    let key = match yaml::content(k) {
                        Some(k) => convert(text, k, Role::Key),
                        None => null_at(k),
                    };
                    let value = match v.and_then(yaml::content) {
                        Some(v) => convert(text, v, Role::Value),
                        None => null_at(v.unwrap_or(k)),
                    };
                    (key, value)
                })
                .collect(),
        )
    } else if yaml::is_sequence(node) {
        SKind::Seq(
            yaml::items(node)
                .map(|i| convert(text, i, Role::Value))
                .collect(),
        )
    } else {
        match scalar(text, node) {
            Some((value, plain, exact_base)) => {
                if plain && is_null(&value) {
                    SKind::Null
                } else {
                    let base = exact_base.unwrap_or(span.start);
                    let exprs = value.contains("${{").then(|| {
                        let role = if role == Role::Key {
                            Role::Key
                        } else {
                            Role::Block
                        };
                        expr::parse(Source::plain(&value, base), role).into_boxed_slice()
                    });
                    SKind::Scalar {
                        text: value,
                        plain,
                        base,
                        exprs,
                    }
                }
            }
            None => SKind::Null,
        }
    };
    SNode { kind, span, line }
}

fn null_at(node: Node) -> SNode {
    SNode {
        kind: SKind::Null,
        span: node.end_byte()..node.end_byte(),
        line: node.end_position().row as u32,
    }
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// A scalar's value, whether it was plain, and the document offset of the value's first
/// byte when the value is a byte-for-byte slice of the document.
fn scalar(text: &str, node: Node) -> Option<(String, bool, Option<usize>)> {
    let kinds = syntax::kinds();
    let id = node.kind_id();
    let range = node.byte_range();
    let raw = text.get(range.clone())?;
    if id == kinds.plain_scalar {
        if raw.contains('\n') {
            return Some((fold_lines(raw), true, None));
        }
        return Some((raw.to_string(), true, Some(range.start)));
    }
    if id == kinds.single_quote_scalar {
        let inner = raw.strip_prefix('\'')?;
        let inner = inner.strip_suffix('\'').unwrap_or(inner);
        if !inner.contains("''") && !inner.contains('\n') {
            return Some((inner.to_string(), false, Some(range.start + 1)));
        }
        return Some((fold_lines(inner).replace("''", "'"), false, None));
    }
    if id == kinds.double_quote_scalar {
        let inner = raw.strip_prefix('"')?;
        let inner = inner.strip_suffix('"').unwrap_or(inner);
        if !inner.contains('\\') && !inner.contains('\n') {
            return Some((inner.to_string(), false, Some(range.start + 1)));
        }
        return Some((unescape_double(inner), false, None));
    }
    if id == kinds.block_scalar {
        let column = node.start_position().column;
        // The indentation of the line the block scalar's key is on.
        let line_start = text[..range.start].rfind('\n').map_or(0, |i| i + 1);
        let parent_indent = text[line_start..range.start]
            .bytes()
            .take_while(|b| *b == b' ')
            .count();
        let _ = column;
        let header = raw.split('\n').next().unwrap_or("");
        if header.contains('+') {
            // Keep chomping: the empty lines after the content are the block's, whether
            // or not the tree counts them in the node.
            let content = raw.trim_end_matches(['\n', ' ', '\r', '\t']);
            let rest = &text[range.start + content.len()..];
            let blank_run = rest
                .find(|c: char| !matches!(c, '\n' | ' ' | '\r' | '\t'))
                .unwrap_or(rest.len());
            let newlines = rest[..blank_run].matches('\n').count();
            let mut whole = content.to_string();
            whole.extend(std::iter::repeat_n('\n', newlines));
            return Some((block(&whole, parent_indent), false, None));
        }
        return Some((block(raw, parent_indent), false, None));
    }
    None
}

/// Plain and quoted multi-line scalars: each line break between text folds to a space,
/// and each empty line stands for a line break.
fn fold_lines(raw: &str) -> String {
    let mut out = String::new();
    let mut empties = 0;
    let last = raw.matches('\n').count();
    for (i, line) in raw.split('\n').enumerate() {
        // Spaces around a line break fold away; the first line's lead and the last
        // line's tail are content (they only occur in quoted scalars).
        let t = match (i == 0, i == last) {
            (true, true) => line,
            (true, false) => line.trim_end_matches([' ', '\t', '\r']),
            (false, true) => line.trim_start_matches([' ', '\t']),
            (false, false) => line.trim_matches([' ', '\t', '\r']),
        };
        if i > 0 && t.is_empty() {
            empties += 1;
            continue;
        }
        if i > 0 {
            if empties > 0 {
                out.extend(std::iter::repeat_n('\n', empties));
            } else {
                out.push(' ');
            }
        }
        empties = 0;
        out.push_str(t);
    }
    out.extend(std::iter::repeat_n('\n', empties));
    out
}

fn unescape_double(inner: &str) -> String {
    // Fold first on unescaped line breaks (an escaped one, `\` at a line end, joins).
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    let mut pending_fold = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else { break };
                let simple = match e {
                    'n' => Some('\n'),
                    't' | '\t' => Some('\t'),
                    'r' => Some('\r'),
                    '0' => Some('\0'),
                    'a' => Some('\x07'),
                    'b' => Some('\x08'),
                    'e' => Some('\x1b'),
                    'f' => Some('\x0c'),
                    'v' => Some('\x0b'),
                    ' ' => Some(' '),
                    '/' => Some('/'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    'N' => Some('\u{85}'),
                    '_' => Some('\u{a0}'),
                    _ => None,
                };
                if let Some(s) = simple {
                    out.push(s);
                    continue;
                }
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    '\n' | '\r' => {
                        // An escaped line break: the next line's leading blanks go too.
                        while chars
                            .peek()
                            .is_some_and(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
                        {
                            chars.next();
                        }
                        continue;
                    }
                    other => {
                        out.push('\\');
                        out.push(other);
                        continue;
                    }
                };
                let hex: String = (0..digits).filter_map(|_| chars.next()).collect();
                if let Some(c) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(c);
                }
            }
            '\n' => {
                while out.ends_with([' ', '\t']) {
                    out.pop();
                }
                let mut breaks = 0;
                loop {
                    while chars.peek().is_some_and(|c| matches!(c, ' ' | '\t' | '\r')) {
                        chars.next();
                    }
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                        breaks += 1;
                    } else {
                        break;
                    }
                }
                if breaks == 0 {
                    pending_fold = true;
                } else {
                    out.extend(std::iter::repeat_n('\n', breaks));
                }
            }
            c => {
                if pending_fold {
                    out.push(' ');
                    pending_fold = false;
                }
                out.push(c);
            }
        }
    }
    out
}

/// A block scalar (`|` or `>`, with chomping and indentation indicators) decoded.
fn block(raw: &str, parent_indent: usize) -> String {
    let (header, body) = raw.split_once('\n').unwrap_or((raw, ""));
    let header = header.split(" #").next().unwrap_or(header).trim();
    let folded = header.starts_with('>');
    let keep = header.contains('+');
    let strip = header.contains('-');
    let explicit = header
        .bytes()
        .find(|b| b.is_ascii_digit() && *b != b'0')
        .map(|b| (b - b'0') as usize);
    let lines: Vec<&str> = body
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let indent = match explicit {
        Some(n) => parent_indent + n,
        None => lines
            .iter()
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start_matches(' ').len()),
    };
    let mut content: Vec<&str> = lines
        .iter()
        .map(|l| {
            // At most `indent` spaces go: a less indented line (only blank ones can be)
            // loses what it has.
            let spaces = l.bytes().take(indent).take_while(|b| *b == b' ').count();
            &l[spaces..]
        })
        .collect();
    // Trailing empty lines belong to chomping.
    let mut trailing: usize = 0;
    while content.last().is_some_and(|l| l.trim().is_empty()) {
        content.pop();
        trailing += 1;
    }
    let mut out = String::new();
    if folded {
        let mut prev_more = false;
        let mut empties = 0;
        for (i, l) in content.iter().enumerate() {
            let more = l.starts_with([' ', '\t']);
            if l.is_empty() {
                empties += 1;
                continue;
            }
            if i > 0 {
                if empties > 0 {
                    let extra = usize::from(prev_more || more);
                    out.extend(std::iter::repeat_n('\n', empties + extra));
                } else if prev_more || more {
                    out.push('\n');
                } else {
                    out.push(' ');
                }
            }
            empties = 0;
            out.push_str(l);
            prev_more = more;
        }
    } else {
        out = content.join("\n");
    }
    if content.is_empty() {
        return String::new();
    }
    if !strip {
        out.push('\n');
        if keep {
            out.extend(std::iter::repeat_n('\n', trailing.saturating_sub(1)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_folded_block_scalars_decode_as_yaml_says() {
        assert_eq!(block("|\n  a\n  b\n", 0), "a\nb\n");
        assert_eq!(block("|-\n  a\n   b\n\n", 0), "a\n b");
        assert_eq!(block(">\n  a\n  b\n\n  c\n", 0), "a b\nc\n");
    }

    #[test]
    fn multi_line_plain_scalars_fold() {
        assert_eq!(fold_lines("a\n  b\n\n  c"), "a b\nc");
    }

    #[test]
    fn double_quoted_escapes_decode() {
        assert_eq!(unescape_double(r#"a\tb\u00e9\"\\"#), "a\tbé\"\\");
    }
}
