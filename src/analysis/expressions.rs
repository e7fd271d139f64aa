//! The findings of the expression rules (`expression-syntax`, `unknown-function`,
//! `function-arity`, `status-function-outside-condition`), found in one pass and remembered
//! from one analysis to the next.
//!
//! A scalar's expressions, and so their findings, depend on the text of the mapping pair or
//! sequence item around it and on nothing else but one fact: whether a pair's mapping is the
//! value of a `parameters:` key (a template parameter named `condition` is no condition).
//! So, as `duplicate-key` does, the findings of each pair or item without syntax errors are
//! remembered under its kind, that fact and a hash of its text, and a keystroke reads again
//! only the subtrees it changed. The outermost remembered subtree of each path is the only
//! one hashed, so a keystroke hashes the text about once. Documents that are not pipelines
//! are left out at the end, which the remembered findings never depend on.

use crate::analysis::{Finding, memo, rules};
use crate::document::Document;
use crate::expr::{self, Expression};
use crate::model::{self, yaml};
use crate::syntax;
use crate::text::{self, Span};
use std::cell::RefCell;
use std::collections::HashMap;
use tree_sitter::Node;

/// Subtrees shorter than this are read again rather than remembered.
const GRAIN: usize = 256;

/// Nor are longer ones: they hold the edited place on most keystrokes; their children are
/// remembered.
const LARGEST: usize = 16 * 1024;

/// A subtree's kind, whether it is a pair of a `parameters:` mapping, and its text's hash.
type Key = (u16, bool, u128);

thread_local! {
    /// What the last analysis on this thread found per subtree (spans relative to its start).
    static REMEMBERED: RefCell<Option<HashMap<Key, Vec<Finding>>>> = const { RefCell::new(None) };
}

/// Forgets the remembered subtrees.
pub fn forget_cached() {
    REMEMBERED.with(|r| *r.borrow_mut() = None);
}

/// Every finding of the expression rules, with their default severities, in document order.
/// `fresh` reads everything again: the reference the remembering analysis must equal.
pub fn findings(doc: &Document, fresh: bool) -> Vec<Finding> {
    let rope = doc.rope();
    // A file without expressions costs three searches of its text.
    if doc.refusal().is_some()
        || !(text::contains(rope, "${{")
            || text::contains(rope, "$[")
            || text::contains(rope, "condition"))
    {
        return Vec::new();
    }
    let mut out = if fresh {
        let mut out = Vec::new();
        for found in expr::document::in_ranges(doc, std::slice::from_ref(&(0..rope.len_bytes()))) {
            for e in &found.expressions {
                judge(e, &mut out);
            }
        }
        out
    } else {
        remembering(doc)
    };
    if !out.is_empty() {
        let foreign = model::foreign_of(doc);
        out.retain(|f| !foreign.iter().any(|r| r.contains(&f.span.start)));
    }
    out.sort_by_key(|f| (f.span.start, f.span.end));
    out
}

/// What every rule says about one expression.
fn judge(e: &Expression, out: &mut Vec<Finding>) {
    rules::expression_syntax::judge(e, out);
    rules::unknown_function::judge(e, out);
    rules::function_arity::judge(e, out);
    rules::status_function::judge(e, out);
    // Candidates only: the rule weighs them against the declared parameters.
    rules::undeclared_parameter::collect(e, out);
    rules::undeclared_dependency::collect(e, out);
}

fn remembering(doc: &Document) -> Vec<Finding> {
    let rope = doc.rope();
    let limit = expr::document::row_limit(rope);
    let kinds = syntax::kinds();
    let old = REMEMBERED
        .with(|r| r.borrow_mut().take())
        .unwrap_or_default();
    let mut next: HashMap<Key, Vec<Finding>> = HashMap::new();
    let mut out = Vec::new();
    // The ranges to read now, in document order, and the key to remember each under.
    let mut ranges: Vec<(Span, Option<Key>)> = Vec::new();
    // An explicit stack (untrusted depth); each entry says whether the node is, or holds
    // directly, the mapping of a `parameters:` key.
    let root = doc.tree().root_node();
    let mut stack: Vec<(Node, bool)> = vec![(root, false)];
    let mut cursor = root.walk();
    let mut children: Vec<(Node, bool)> = Vec::new();
    while let Some((node, parameters)) = stack.pop() {
        let range = node.byte_range();
        if range.start >= limit {
            continue;
        }
        let id = node.kind_id();
        let pair = kinds.pairs.contains(&id);
        let unit = (pair || id == kinds.item) && !node.has_error() && range.len() <= LARGEST;
        if unit {
            if range.len() < GRAIN || range.end > limit {
                ranges.push((range, None));
                continue;
            }
            let key = (
                id,
                pair && parameters,
                memo::text_hash(rope.byte_slice(range.clone())),
            );
            match old.get(&key) {
                Some(known) => {
                    out.extend(known.iter().cloned().map(|mut f| {
                        memo::shift(&mut f, range.start as isize);
                        f
                    }));
                    next.insert(key, known.clone());
                }
                None => ranges.push((range, Some(key))),
            }
            continue;
        }
        // Scalars, comments and tokens are read whole (a quoted scalar's escapes are its
        // children); pairs, items and collections are taken apart.
        cursor.reset(node);
        if !(pair || id == kinds.item || kinds.is_container(id)) || !cursor.goto_first_child() {
            ranges.push((range, None));
            continue;
        }
        children.clear();
        loop {
            let child = cursor.node();
            // A pair's value is the mapping of a `parameters:` key when its key says so;
            // wrappers and mappings pass that on to the mapping's pairs.
            let flag = if pair {
                cursor.field_id() == Some(kinds.value)
                    && node
                        .child_by_field_name("key")
                        .and_then(|k| yaml::key_text(rope, k))
                        .is_some_and(|k| k == "parameters")
            } else if kinds.wrappers.contains(&id) || kinds.mappings.contains(&id) {
                parameters
            } else {
                false
            };
            children.push((child, flag));
            if !cursor.goto_next_sibling() {
                break;
            }
        }
        stack.extend(children.drain(..).rev());
    }
    ranges.sort_by_key(|(r, _)| r.start);
    let spans: Vec<Span> = ranges.iter().map(|(r, _)| r.clone()).collect();
    let mut fresh: Vec<Vec<Finding>> = vec![Vec::new(); ranges.len()];
    for found in expr::document::in_ranges(doc, &spans) {
        // The range the scalar lies in: the last one starting at or before it.
        let Some(i) = spans
            .partition_point(|r| r.start <= found.scalar.start)
            .checked_sub(1)
        else {
            continue;
        };
        for e in &found.expressions {
            judge(e, &mut fresh[i]);
        }
    }
    for ((range, key), found) in ranges.into_iter().zip(fresh) {
        if let Some(key) = key {
            let relative = found
                .iter()
                .cloned()
                .map(|mut f| {
                    memo::shift(&mut f, -(range.start as isize));
                    f
                })
                .collect();
            next.insert(key, relative);
        }
        out.extend(found);
    }
    REMEMBERED.with(|r| *r.borrow_mut() = Some(next));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Edit;

    /// Long enough that its items and pairs are remembered (over `GRAIN` bytes each).
    fn pipeline() -> String {
        let mut text =
            String::from("parameters:\n- name: env\n  type: string\n  default: dev\nstages:\n");
        for i in 0..6 {
            text.push_str(&format!(
                "- stage: s{i}\n  condition: and(succeeded(), eq(variables['Build.Reason'], 'Manual'))\n  jobs:\n  - job: j{i}\n    steps:\n    - ${{{{ if eq(parameters.env, 'prod') }}}}:\n      - script: echo ${{{{ parameters.env }}}} ${{{{ format('{{0}}', 'x') }}}}\n        condition: always()\n    - template: t.yml\n      parameters:\n        condition: and(succeeded(), ne(1, 2))\n        other: ${{{{ eq(1) }}}}\n    - bash: |\n        echo ${{{{ contians('a', 'b') }}}}\n      condition: |\n        and(succeeded(),\n          ne(variables.a, 'b'))\n"
            ));
        }
        text
    }

    /// After each edit, what the analysis remembers gives what reading afresh gives.
    #[test]
    fn remembered_findings_equal_fresh_ones_after_edits() {
        forget_cached();
        let text = pipeline();
        let mut doc = Document::new(&text, 0);
        assert_eq!(findings(&doc, false), findings(&doc, true));
        let snippets = [
            ")",
            "(",
            "'",
            "${{ ",
            "}}",
            "\n",
            "  ",
            "- ",
            "x",
            "parameters",
            ":",
        ];
        let mut version = 0;
        for (i, at) in (0..text.len()).step_by(37).enumerate() {
            let len = doc.rope().len_bytes();
            let at = crate::text::floor_char_boundary(doc.rope(), at.min(len));
            let snippet = snippets[i % snippets.len()];
            version += 1;
            doc.apply(
                [Edit {
                    span: at..at,
                    text: snippet.to_string(),
                }],
                version,
            );
            let remembered = findings(&doc, false);
            assert_eq!(
                remembered,
                findings(&doc, true),
                "after {snippet:?} at {at}:\n{}",
                doc.text()
            );
            // And back.
            version += 1;
            doc.apply(
                [Edit {
                    span: at..at + snippet.len(),
                    text: String::new(),
                }],
                version,
            );
            assert_eq!(findings(&doc, false), findings(&doc, true));
        }
        let all = findings(&doc, false);
        assert!(all.iter().any(|f| f.rule.id == "function-arity"));
        assert!(all.iter().any(|f| f.rule.id == "unknown-function"));
    }
}
