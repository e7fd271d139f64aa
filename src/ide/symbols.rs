//! The document outline, in editor terms: the pipeline model's items, named for people
//! (a task step without a `displayName` gets its task's friendly name from the catalog)
//! and nested no deeper than clients can read.

use crate::document::Document;
use crate::knowledge;
use crate::model::Model;
use crate::model::pipeline::Item;
use crate::text::Span;

pub use crate::model::pipeline::ItemKind as SymbolKind;

/// One entry of the outline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Never empty.
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// The whole item (from its `- `), without trailing comments.
    pub span: Span,
    /// The identifying `key: value` (or key); always inside `span`.
    pub selection: Span,
    pub children: Vec<Symbol>,
}

/// The deepest an outline nests. Each level is two levels of JSON for the client (an
/// object and its `children`), and JSON readers stop at 128 (serde_json's default, which
/// Rust clients such as Helix use); real pipelines nest about a dozen symbols deep.
pub const MAX_SYMBOL_DEPTH: usize = 40;

/// The outline of a document, in document order, from its model.
pub fn document_symbols(doc: &Document, model: &Model) -> Vec<Symbol> {
    // The symbols one level above the limit hold everything below, flattened.
    symbols(&model.pipeline(doc).items, MAX_SYMBOL_DEPTH - 1)
}

/// The symbols of `items`; those `depth` levels down hold all their descendants as
/// direct children, in document order, so the outline nests at most `depth + 1` levels
/// and nothing leaves it.
fn symbols(items: &[Item], depth: usize) -> Vec<Symbol> {
    items
        .iter()
        .map(|item| {
            let children = if depth <= 1 {
                let mut flat = Vec::new();
                flatten(&item.children, &mut flat);
                flat
            } else {
                symbols(&item.children, depth - 1)
            };
            symbol(item, children)
        })
        .collect()
}

fn symbol(item: &Item, children: Vec<Symbol>) -> Symbol {
    let detail = item
        .detail
        .clone()
        .or_else(|| item.task.as_deref().and_then(friendly_name));
    Symbol {
        name: item.name.clone(),
        detail,
        kind: item.kind,
        span: item.span.clone(),
        selection: item.selection.clone(),
        children,
    }
}

/// The catalog's name for `Name@N` (`AzureCLI@2` is "Azure CLI").
fn friendly_name(reference: &str) -> Option<String> {
    let (name, version) = reference.split_once('@')?;
    let major = version.split('.').next()?.parse().ok()?;
    knowledge::catalog()
        .task(name.trim(), major)
        .map(|t| t.friendly_name.clone())
}

/// Every item of `items` and below as a childless symbol, in document order (an explicit
/// stack: no recursion).
fn flatten(items: &[Item], out: &mut Vec<Symbol>) {
    let mut stack: Vec<std::slice::Iter<'_, Item>> = vec![items.iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(item) => {
                out.push(symbol(item, Vec::new()));
                stack.push(item.children.iter());
            }
            None => {
                stack.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        fn flat(symbols: &[Symbol], depth: usize, out: &mut Vec<String>) {
            for s in symbols {
                out.push(format!("{}{}", "  ".repeat(depth), s.name));
                flat(&s.children, depth + 1, out);
            }
        }
        let mut out = Vec::new();
        let doc = Document::new(text, 0);
        flat(
            &document_symbols(&doc, &crate::model::build(&doc)),
            0,
            &mut out,
        );
        out
    }

    #[test]
    fn the_outline_nests_no_deeper_than_json_readers_take() {
        let mut text = String::from("steps:\n");
        for level in 0..60 {
            text.push_str(&format!("{}- ${{{{ if true }}}}:\n", "  ".repeat(level)));
        }
        text.push_str(&format!("{}- script: deepest\n", "  ".repeat(60)));
        let doc = Document::new(&text, 0);
        let symbols = document_symbols(&doc, &crate::model::build(&doc));
        fn depth(symbols: &[Symbol]) -> usize {
            symbols
                .iter()
                .map(|s| 1 + depth(&s.children))
                .max()
                .unwrap_or(0)
        }
        assert_eq!(depth(&symbols), MAX_SYMBOL_DEPTH);
        // The deepest step is still there, lifted up.
        assert!(names(&text).iter().any(|n| n.trim() == "deepest"));
    }

    #[test]
    fn stages_jobs_steps_nest() {
        let text = "stages:\n- stage: Build\n  jobs:\n  - job: Test\n    displayName: Unit tests\n    steps:\n    - script: |\n        make test\n      displayName: Run\n    - task: AzureCLI@2\n";
        assert_eq!(
            names(text),
            ["Build", "  Unit tests", "    Run", "    AzureCLI@2"]
        );
    }

    #[test]
    fn a_tab_after_the_dash_keeps_the_other_steps() {
        // tree-sitter-yaml turns this whole file into one ERROR node.
        let text = "steps:\n-\ttask: X@1\n- script: a\n- task: Y@2\n  displayName: Why\n";
        assert_eq!(names(text), ["X@1", "a", "Why"]);
    }
}
