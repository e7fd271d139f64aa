//! `duplicate-key`: a key set twice in one mapping, which Azure Pipelines refuses.

use crate::analysis::{Context, Docs, Finding, Related, Rule, Severity};
use crate::model::{self, yaml};
use crate::syntax;
use crate::text::Span;
use ropey::Rope;
use std::borrow::Cow;
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

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let doc = ctx.doc;
    if doc.refusal().is_some() {
        return;
    }
    let rope = doc.rope();
    let root = doc.tree().root_node();
    let foreign = model::foreign_documents(rope, root);
    let kinds = syntax::kinds();
    // Only into nodes that can hold mappings; no recursion (untrusted depth).
    syntax::preorder(root, Vec::new(), |node, _| {
        let id = node.kind_id();
        if kinds.mappings.contains(&id) {
            duplicates(ctx, rope, node, out);
        }
        if id == kinds.document && foreign.iter().any(|f| f.contains(&node.start_byte())) {
            return false;
        }
        kinds.is_container(id) || kinds.pairs.contains(&id)
    });
}

/// A mapping's keys as the service compares them; expression keys left out.
fn duplicates(ctx: &Context, rope: &Rope, mapping: Node, out: &mut Vec<Finding>) {
    let keys: Vec<(Cow<str>, Span)> = yaml::pairs(mapping)
        .filter_map(|(key, _)| Some((key_text(rope, key)?, key.byte_range())))
        .filter(|(text, _)| !text.contains("${{"))
        .collect();
    if keys.len() < 2 {
        return;
    }
    if keys.len() <= FEW {
        for (i, (text, span)) in keys.iter().enumerate() {
            if let Some((first, first_span)) = keys[..i].iter().find(|(k, _)| same(k, text)) {
                out.push(finding(ctx, text, span, first, first_span));
            }
        }
        return;
    }
    let mut order: Vec<(String, usize)> = keys
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (fold(k), i))
        .collect();
    order.sort();
    for run in order.chunk_by(|a, b| a.0 == b.0) {
        let (first, first_span) = &keys[run[0].1];
        for (_, i) in &run[1..] {
            let (text, span) = &keys[*i];
            out.push(finding(ctx, text, span, first, first_span));
        }
    }
}

fn finding(ctx: &Context, key: &str, span: &Span, first: &str, first_span: &Span) -> Finding {
    let line = ctx.doc.rope().byte_to_line(first_span.start) + 1;
    let message = if key == first {
        format!(
            "\"{key}\" is already set in this mapping (line {line}), and Azure Pipelines \
             refuses duplicate keys; remove one of them"
        )
    } else {
        format!(
            "\"{key}\" is the same key as \"{first}\" (line {line}) to Azure Pipelines, which \
             ignores case and refuses duplicate keys; remove one of them"
        )
    };
    let mut f = ctx.finding(&RULE, span.clone(), message);
    f.related.push(Related {
        span: first_span.clone(),
        label: format!("the first \"{first}\" of this mapping"),
    });
    f
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
