//! Where a pipeline document holds expressions: every scalar (value or key) with a `${{`,
//! every value that is a `$[ ]` expression, and every `condition:` value, each parsed in
//! the role its place gives it.
//!
//! The text leads, not the tree: one pass over the rope finds `${{`, `$[` and `condition`,
//! and only there does the tree say which scalar holds them (a descent from the root per
//! place, no walk over the whole tree). A document without any of them costs that one pass.
//! Comments, documents that are not pipelines (GitHub workflows use `${{ }}` too) and
//! `condition:` keys that name a template parameter are left out.

use super::{Expression, Role, Source, parse};
use crate::document::Document;
use crate::model::{self, yaml};
use crate::syntax;
use crate::text::Span;
use ropey::Rope;
use tree_sitter::Node;

/// The expressions of one scalar.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub role: Role,
    /// The scalar node, quotes and block header included.
    pub scalar: Span,
    pub expressions: Vec<Expression>,
}

const CONDITION: &str = "condition";

/// Every scalar of the document that holds an expression, in document order.
pub fn all(doc: &Document) -> Vec<Found> {
    let whole = 0..doc.rope().len_bytes();
    let mut found = in_ranges(doc, std::slice::from_ref(&whole));
    if !found.is_empty() {
        let foreign = model::foreign_of(doc);
        found.retain(|f| !foreign.iter().any(|r| r.contains(&f.scalar.start)));
    }
    found
}

/// The scalars with expressions whose `${{`, `$[` or `condition` lies in one of `ranges`
/// (in order, not overlapping), whatever document of the stream they are in: the analysis
/// reads only what changed since its last run, and leaves documents that are not pipelines
/// out itself.
///
/// Past the grammar's row limit the tree is one error (the model reads such files in
/// segments), so places are read up to that line only.
pub fn in_ranges(doc: &Document, ranges: &[Span]) -> Vec<Found> {
    if doc.refusal().is_some() {
        return Vec::new();
    }
    let rope = doc.rope();
    let limit = row_limit(rope);
    let mut places = Vec::new();
    for range in ranges {
        let range = range.start.min(limit)..range.end.min(limit);
        if !range.is_empty() {
            scan(rope, range, &mut places);
        }
    }
    if places.is_empty() {
        return Vec::new();
    }
    let root = doc.tree().root_node();
    let mut out = Vec::new();
    let mut walk = Walk::new(root);
    // Scalars never overlap and places come in order: a place before the end of the last
    // scalar read is inside it.
    let mut done = 0;
    for (at, len) in places {
        if at < done {
            continue;
        }
        let path = walk.to(at, at + len);
        let Some(i) = innermost_scalar(path) else {
            continue;
        };
        let Some(found) = (if len == CONDITION.len() {
            condition_at(rope, path, i)
        } else {
            scalar_at(rope, path, i)
        }) else {
            continue;
        };
        done = found.scalar.end;
        if !found.expressions.is_empty() {
            out.push(found);
        }
    }
    out
}

/// Where reading stops: the end of the text, or the grammar's row limit.
pub fn row_limit(rope: &Rope) -> usize {
    if rope.len_lines() > syntax::GRAMMAR_ROW_LIMIT {
        rope.line_to_byte(syntax::GRAMMAR_ROW_LIMIT)
    } else {
        rope.len_bytes()
    }
}

/// A descent to ranges in increasing order that carries on from where the last one ended:
/// up only as far as needed, then along the siblings, then down. Consecutive places share
/// most of their path, and a long sequence (of stages, of steps) is walked once rather than
/// from its first item for every place. One cursor, no recursion, no `Node::parent`.
struct Walk<'t> {
    cursor: tree_sitter::TreeCursor<'t>,
    /// The cursor's node and its ancestors, root first.
    path: Vec<Node<'t>>,
}

impl<'t> Walk<'t> {
    fn new(root: Node<'t>) -> Self {
        Walk {
            cursor: root.walk(),
            path: vec![root],
        }
    }

    /// The path from the root to the smallest node that holds `start..end` (a range after
    /// the previous call's).
    fn to(&mut self, start: usize, end: usize) -> &[Node<'t>] {
        // Forward (and up) until a node ends after `start`.
        loop {
            let node = self.cursor.node();
            if node.end_byte() > start || self.path.len() == 1 {
                break;
            }
            if self.cursor.goto_next_sibling() {
                let last = self.path.len() - 1;
                self.path[last] = self.cursor.node();
            } else if self.cursor.goto_parent() {
                self.path.pop();
            } else {
                break;
            }
        }
        // Up until the node holds the range (a place in a gap before the node, or past it).
        while self.path.len() > 1 {
            let node = self.cursor.node();
            if node.start_byte() <= start && end <= node.end_byte() {
                break;
            }
            self.cursor.goto_parent();
            self.path.pop();
        }
        // Down through the children that hold it.
        while self.cursor.goto_first_child_for_byte(start).is_some() {
            let child = self.cursor.node();
            if child.start_byte() <= start && end <= child.end_byte() {
                self.path.push(child);
            } else {
                self.cursor.goto_parent();
                break;
            }
        }
        &self.path
    }
}

/// The expressions of the scalar under `offset`, if it holds any (for hovers).
pub fn at(doc: &Document, offset: usize) -> Option<Found> {
    if doc.refusal().is_some() {
        return None;
    }
    let rope = doc.rope();
    let root = doc.tree().root_node();
    let path = syntax::path_to(root, offset, offset);
    let found = scalar_at(rope, &path, innermost_scalar(&path)?)?;
    let foreign = model::foreign_documents(rope, root);
    if foreign.iter().any(|f| f.contains(&found.scalar.start)) {
        return None;
    }
    (!found.expressions.is_empty()).then_some(found)
}

/// Where `${{`, `$[` and `condition` (followed by its colon) occur in `range`, with their
/// lengths, in order, appended to `out`: one pass over the rope's chunks, also across chunk
/// boundaries.
fn scan(rope: &Rope, range: Span, out: &mut Vec<(usize, usize)>) {
    let from = out.len();
    let byte = |i: usize| rope.get_byte(i);
    let mut start = range.start;
    // The end of the previous chunk, for a `condition` that straddles two chunks.
    let mut tail: Vec<u8> = Vec::new();
    for chunk in rope.byte_slice(range.clone()).chunks() {
        for (i, _) in chunk.match_indices('$') {
            let at = start + i;
            match byte(at + 1) {
                Some(b'{') if byte(at + 2) == Some(b'{') => out.push((at, 3)),
                Some(b'[') => out.push((at, 2)),
                _ => {}
            }
        }
        let mut conditions: Vec<usize> = chunk
            .match_indices(CONDITION)
            .map(|(i, _)| start + i)
            .collect();
        if !tail.is_empty() {
            let head = &chunk.as_bytes()[..chunk.len().min(CONDITION.len() - 1)];
            let window: Vec<u8> = tail.iter().chain(head).copied().collect();
            let window_start = start - tail.len();
            conditions.extend(
                window
                    .windows(CONDITION.len())
                    .enumerate()
                    .filter(|(i, w)| *i < tail.len() && *w == CONDITION.as_bytes())
                    .map(|(i, _)| window_start + i),
            );
        }
        out.extend(
            conditions
                .into_iter()
                .filter(|&at| is_condition_key(rope, at))
                .map(|at| (at, CONDITION.len())),
        );
        // The last bytes seen, across chunks shorter than the word.
        let bytes = chunk.as_bytes();
        tail.extend_from_slice(&bytes[bytes.len().saturating_sub(CONDITION.len() - 1)..]);
        let drop = tail.len().saturating_sub(CONDITION.len() - 1);
        tail.drain(..drop);
        start += chunk.len();
    }
    out[from..].sort_unstable();
}

/// `condition` written as a key: a word of its own, then (after a closing quote and
/// spaces) a colon.
fn is_condition_key(rope: &Rope, at: usize) -> bool {
    let before = at.checked_sub(1).and_then(|i| rope.get_byte(i));
    if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.') {
        return false;
    }
    let mut i = at + CONDITION.len();
    if matches!(rope.get_byte(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    while rope.get_byte(i) == Some(b' ') {
        i += 1;
    }
    rope.get_byte(i) == Some(b':')
}

fn is_scalar(node: &Node) -> bool {
    matches!(
        node.kind(),
        "plain_scalar" | "double_quote_scalar" | "single_quote_scalar" | "block_scalar"
    )
}

/// Where the scalar at the end of a descent is: the grammar puts the text of a plain scalar
/// in a child (`string_scalar`, `integer_scalar` …), and escapes in their own nodes.
fn innermost_scalar(path: &[Node]) -> Option<usize> {
    let last = path.len().checked_sub(1)?;
    (last.saturating_sub(1)..=last)
        .rev()
        .find(|&i| is_scalar(&path[i]))
}

fn is_pair(node: &Node) -> bool {
    matches!(node.kind(), "block_mapping_pair" | "flow_pair")
}

/// The scalar at `path[i]` (the end of a descent), in the role its place gives it.
fn scalar_at(rope: &Rope, path: &[Node], i: usize) -> Option<Found> {
    let scalar = *path.get(i)?;
    if !is_scalar(&scalar) {
        return None;
    }
    // scalar < wrapper (flow_node or block_node) < pair, when it is a key or a value.
    let pair = i
        .checked_sub(2)
        .map(|p| (p, path[p]))
        .filter(|(_, p)| is_pair(p));
    let role = match pair {
        Some((_, pair)) if pair.child_by_field_name("key") == Some(path[i - 1]) => Role::Key,
        Some((p, pair)) if is_condition(rope, path, p, pair) => Role::Condition,
        _ if scalar.kind() == "block_scalar" => Role::Block,
        // Where the parser lost the structure (an ERROR node), a key is still followed by
        // its colon.
        None if followed_by_colon(rope, scalar.end_byte()) => Role::Key,
        _ => Role::Value,
    };
    Some(read(rope, scalar, role))
}

/// Whether `: ` (or a colon at the end of the line) follows `at`, after spaces.
fn followed_by_colon(rope: &Rope, at: usize) -> bool {
    let mut i = at;
    while rope.get_byte(i) == Some(b' ') {
        i += 1;
    }
    rope.get_byte(i) == Some(b':')
        && matches!(rope.get_byte(i + 1), None | Some(b' ' | b'\n' | b'\r'))
}

/// The value of the `condition:` key at `path[i]`.
fn condition_at(rope: &Rope, path: &[Node], i: usize) -> Option<Found> {
    let key = *path.get(i)?;
    if !is_scalar(&key) || yaml::key_text(rope, key).as_deref() != Some(CONDITION) {
        return None;
    }
    let p = i.checked_sub(2)?;
    let pair = path[p];
    if !is_pair(&pair)
        || pair.child_by_field_name("key") != Some(path[i - 1])
        || !is_condition(rope, path, p, pair)
    {
        return None;
    }
    let value = yaml::content(pair.child_by_field_name("value")?)?;
    is_scalar(&value).then(|| read(rope, value, Role::Condition))
}

/// Whether `pair` (at `path[p]`) is a `condition:` of a step, job or stage, not a template
/// parameter of that name (under `parameters:`, where it is just a value).
fn is_condition(rope: &Rope, path: &[Node], p: usize, pair: Node) -> bool {
    let key = pair.child_by_field_name("key");
    if key.and_then(|k| yaml::key_text(rope, k)).as_deref() != Some(CONDITION) {
        return false;
    }
    // pair < mapping < wrapper < the pair holding the mapping.
    let parent = p.checked_sub(3).map(|q| path[q]).filter(is_pair);
    parent
        .and_then(|q| q.child_by_field_name("key"))
        .and_then(|k| yaml::key_text(rope, k))
        .is_none_or(|k| k != "parameters")
}

/// Parses a scalar's text in its role.
fn read(rope: &Rope, scalar: Node, role: Role) -> Found {
    let range = scalar.byte_range();
    let raw = syntax::range_text(rope, range.clone());
    let (from, to, doubled) = match scalar.kind() {
        "single_quote_scalar" | "double_quote_scalar" => {
            let quote = raw.as_bytes()[0];
            let closed = raw.len() >= 2 && raw.as_bytes()[raw.len() - 1] == quote;
            let to = if closed { raw.len() - 1 } else { raw.len() };
            (1.min(raw.len()), to, quote == b'\'')
        }
        // The content starts on the line after the `|` or `>` header.
        "block_scalar" => {
            let from = raw.find('\n').map_or(raw.len(), |i| i + 1);
            (from, raw.len(), false)
        }
        _ => (0, raw.len(), false),
    };
    let source = Source {
        text: &raw[from..to.max(from)],
        base: range.start + from,
        doubled_quotes: doubled,
    };
    let expressions = if role == Role::Condition
        || source.text.contains("${{")
        || (role == Role::Value && source.text.trim_start().starts_with("$["))
    {
        parse(source, role)
    } else {
        Vec::new()
    };
    Found {
        role,
        scalar: range,
        expressions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(Role, String, usize)> {
        let doc = Document::new(text, 0);
        all(&doc)
            .into_iter()
            .map(|f| {
                (
                    f.role,
                    text[f.scalar.clone()].to_string(),
                    f.expressions.len(),
                )
            })
            .collect()
    }

    #[test]
    fn finds_keys_values_blocks_and_conditions_in_their_roles() {
        let text = "\
parameters:
- name: deploy
  type: boolean
steps:
- ${{ if eq(parameters.deploy, true) }}:
  - script: echo ${{ parameters.deploy }} and ${{ variables.x }}
    condition: and(succeeded(), eq(variables['Build.Reason'], 'Manual'))
- bash: |
    echo ${{ parameters.deploy }}
    echo $[ not an expression ]
  condition: |
    and(
      succeeded(),
      ne(variables.a, 'b'))
variables:
  a: $[ counter('x', 0) ]
  b: 'plain $[ text'
";
        assert_eq!(
            found(text),
            vec![
                (Role::Key, "${{ if eq(parameters.deploy, true) }}".into(), 1),
                (
                    Role::Value,
                    "echo ${{ parameters.deploy }} and ${{ variables.x }}".into(),
                    2
                ),
                (
                    Role::Condition,
                    "and(succeeded(), eq(variables['Build.Reason'], 'Manual'))".into(),
                    1
                ),
                (
                    Role::Block,
                    "|\n    echo ${{ parameters.deploy }}\n    echo $[ not an expression ]".into(),
                    1
                ),
                (
                    Role::Condition,
                    "|\n    and(\n      succeeded(),\n      ne(variables.a, 'b'))".into(),
                    1
                ),
                (Role::Value, "$[ counter('x', 0) ]".into(), 1),
            ]
        );
    }

    #[test]
    fn comments_workflows_and_parameters_named_condition_are_left_out() {
        assert!(found("steps:\n- script: echo # ${{ parameters.x }}\n").is_empty());
        let workflow =
            "on: push\njobs:\n  a:\n    steps:\n    - run: echo ${{ github.sha == 'x' }}\n";
        assert!(found(workflow).is_empty());
        let old_style = "parameters:\n  condition: and(x\njobs:\n- job: a\n";
        assert!(found(old_style).is_empty());
        // `targetcondition:` is another key.
        assert!(found("steps:\n- task: X@1\n  inputs:\n    targetcondition: x(\n").is_empty());
    }

    #[test]
    fn single_quoted_scalars_read_doubled_quotes_as_one() {
        let text =
            "steps:\n- script: x\n  condition: 'eq(variables[''Build.Reason''], ''Manual'')'\n";
        let doc = Document::new(text, 0);
        let found = all(&doc);
        let e = &found[0].expressions[0];
        assert!(e.errors.is_empty(), "{:?}", e.errors);
        let names: Vec<&str> = e
            .references()
            .map(|r| match r {
                crate::expr::Reference::Variable { name_span, .. } => &text[name_span],
                _ => "",
            })
            .collect();
        assert_eq!(names, ["Build.Reason"]);
    }

    #[test]
    fn the_walk_finds_the_nodes_a_descent_from_the_root_finds() {
        let texts = [
            "steps:\n- script: a\n  condition: x\n- bash: |\n    b\n  env: { A: 1, B: [2, 3] }\n# c\n- task: X@1\n",
            "stages:\n- stage: A\n  jobs:\n  - job: B\n    steps:\n    - script: 'unclosed\n    - task: Y\n\t- x: [1,\n",
            "a: 1\n---\nb: ${{ c }}\n...\n---\n- d\n",
        ];
        for text in texts {
            let doc = Document::new(text, 0);
            let root = doc.tree().root_node();
            let mut walk = Walk::new(root);
            for at in 0..text.len() {
                let end = at + 1;
                let expected: Vec<_> = syntax::path_to(root, at, end)
                    .iter()
                    .map(|n| n.id())
                    .collect();
                let got: Vec<_> = walk.to(at, end).iter().map(|n| n.id()).collect();
                assert_eq!(got, expected, "{text:?} at {at}");
            }
        }
    }

    #[test]
    fn a_condition_key_split_across_rope_chunks_is_found() {
        // Long enough for several chunks, with `condition` at every possible cut.
        let mut text = String::from("steps:\n");
        for i in 0..400 {
            text.push_str(&format!(
                "- script: echo {i}{}\n  condition: always(\n",
                "x".repeat(i % 13)
            ));
        }
        let doc = Document::new(&text, 0);
        assert!(doc.rope().chunks().count() > 4);
        assert_eq!(all(&doc).len(), 400);
    }
}
