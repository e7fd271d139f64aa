//! The tree-sitter layer: the pinned YAML grammar, a parser per thread, the queries in
//! `queries/*.scm` (compiled once), and reading node text out of a rope.
//!
//! Parsing never fails: tree-sitter always returns a tree, with `ERROR` and `MISSING`
//! nodes where the text is broken, and the model simply reads around them.

use ropey::{Rope, RopeSlice};
use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::OnceLock;
use tree_sitter::{Language, Node, Parser, Query, TextProvider, Tree};

pub mod errors;
pub mod limits;
pub use limits::Refusal;

/// The most lines tree-sitter-yaml 0.7.2 parses: its scanner keeps the row in an
/// `int16_t`, so from line 32,768 on the whole tree turns into one error.
pub const GRAMMAR_ROW_LIMIT: usize = 32_767;

/// The grammar azpls is built and tested against.
pub fn language() -> Language {
    tree_sitter_yaml::LANGUAGE.into()
}

thread_local! {
    // A parser holds scratch buffers worth reusing, and is not `Sync`.
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser
            .set_language(&language())
            .expect("the bundled tree-sitter-yaml grammar matches the tree-sitter ABI");
        parser
    });
}

/// Parses `rope`, reusing `old` (already `edit`ed to match) for an incremental parse,
/// unless the text is beyond what the grammar's scanner survives ([`limits`]): then the
/// tree is that of an empty text, and the refusal says why.
pub fn parse(rope: &Rope, old: Option<&Tree>) -> (Tree, Option<Refusal>) {
    match limits::check(rope) {
        Some(refusal) => (empty(), Some(refusal)),
        None => (parse_checked(rope, old), None),
    }
}

/// The tree of an empty text: what a refused text gets, so that every reader of the
/// tree simply finds nothing.
pub fn empty() -> Tree {
    parse_checked(&Rope::new(), None)
}

/// Parses text that [`limits::check`] accepted. Never call it on other text: the C
/// scanner aborts the process on some inputs.
pub(crate) fn parse_checked(rope: &Rope, old: Option<&Tree>) -> Tree {
    PARSER.with(|parser| {
        let mut parser = parser.borrow_mut();
        let mut read = |byte: usize, _| -> Cow<'_, [u8]> {
            if byte >= rope.len_bytes() {
                return Cow::Borrowed(&[]);
            }
            let (chunk, start, _, _) = rope.chunk_at_byte(byte);
            as_lf_lines(rope, byte, &chunk.as_bytes()[byte - start..])
        };
        // With a language set, no timeout and no cancellation flag, tree-sitter always
        // returns a tree; the fallback to a fresh parse only guards against a bad old tree.
        parser
            .parse_with_options(&mut read, old, None)
            .or_else(|| parser.parse_with_options(&mut read, None, None))
            .expect("tree-sitter returns a tree when no timeout or cancellation is set")
    })
}

/// The bytes tree-sitter reads at `at`: the text, with each lone CR read as an LF.
///
/// YAML and LSP both end lines at LF, CRLF and a lone CR, and so do the rope's lines;
/// tree-sitter counts rows at LFs only. Reading lone CRs as LFs (one byte for one byte,
/// so offsets are unchanged) makes tree-sitter's rows the rope's lines.
fn as_lf_lines<'r>(rope: &Rope, at: usize, bytes: &'r [u8]) -> Cow<'r, [u8]> {
    if !bytes.contains(&b'\r') {
        return Cow::Borrowed(bytes);
    }
    let mut owned = bytes.to_vec();
    for i in 0..owned.len() {
        if owned[i] == b'\r' {
            let next = match owned.get(i + 1) {
                Some(&b) => Some(b),
                None => rope.get_byte(at + i + 1),
            };
            if next != Some(b'\n') {
                owned[i] = b'\n';
            }
        }
    }
    Cow::Owned(owned)
}

/// The queries of `queries/`, compiled once.
pub struct Queries {
    /// `tasks.scm`: every `task:` key (block and flow style).
    pub tasks: Query,
    pub tasks_pair: u32,
}

/// All queries, compiled on first use.
pub fn queries() -> &'static Queries {
    static QUERIES: OnceLock<Queries> = OnceLock::new();
    QUERIES.get_or_init(|| {
        let tasks = compile("tasks.scm", TASKS_SCM);
        let tasks_pair = tasks
            .capture_index_for_name("pair")
            .expect("tasks.scm captures @pair");
        Queries { tasks, tasks_pair }
    })
}

const TASKS_SCM: &str = include_str!("../../queries/tasks.scm");

/// Every query file, for the test that compiles them all.
pub const QUERY_FILES: &[(&str, &str)] = &[("tasks.scm", TASKS_SCM)];

fn compile(name: &str, source: &str) -> Query {
    Query::new(&language(), source).unwrap_or_else(|e| {
        panic!("queries/{name} does not compile against the pinned grammar: {e}")
    })
}

/// Node kind and field ids of the grammar, looked up once, for walks that compare ids
/// rather than strings (a kind name costs a C string lookup each time).
pub struct Kinds {
    pub block_mapping_pair: u16,
    pub flow_pair: u16,
    containers: Vec<u16>,
    pub key: std::num::NonZeroU16,
    pub value: std::num::NonZeroU16,
    pub pairs: [u16; 2],
    pub item: u16,
    pub flow_node: u16,
    /// `block_node` and `flow_node`, which wrap a mapping, sequence or scalar.
    pub wrappers: [u16; 2],
    /// What may come before a wrapper's content: tags, anchors, comments.
    pub decorations: [u16; 3],
    pub mappings: [u16; 2],
    pub sequences: [u16; 2],
    pub comment: u16,
    pub error: u16,
    pub document: u16,
    pub plain_scalar: u16,
    pub double_quote_scalar: u16,
    pub single_quote_scalar: u16,
    pub block_scalar: u16,
}

impl Kinds {
    /// Nodes that can hold mappings or sequences, which a walk for keys descends into.
    pub fn is_container(&self, id: u16) -> bool {
        self.containers.contains(&id)
    }
}

pub fn kinds() -> &'static Kinds {
    static KINDS: OnceLock<Kinds> = OnceLock::new();
    KINDS.get_or_init(|| {
        let lang = language();
        let id = |kind: &str| {
            let id = lang.id_for_node_kind(kind, true);
            assert_ne!(id, 0, "node kind {kind} exists in the pinned grammar");
            id
        };
        let field = |name: &str| {
            lang.field_id_for_name(name)
                .unwrap_or_else(|| panic!("field {name} exists in the pinned grammar"))
        };
        Kinds {
            block_mapping_pair: id("block_mapping_pair"),
            flow_pair: id("flow_pair"),
            key: field("key"),
            value: field("value"),
            pairs: [id("block_mapping_pair"), id("flow_pair")],
            item: id("block_sequence_item"),
            flow_node: id("flow_node"),
            wrappers: [id("block_node"), id("flow_node")],
            decorations: [id("tag"), id("anchor"), id("comment")],
            mappings: [id("block_mapping"), id("flow_mapping")],
            sequences: [id("block_sequence"), id("flow_sequence")],
            comment: id("comment"),
            error: id("ERROR"),
            document: id("document"),
            containers: [
                "stream",
                "document",
                "block_node",
                "flow_node",
                "block_mapping",
                "flow_mapping",
                "block_sequence",
                "block_sequence_item",
                "flow_sequence",
                "ERROR",
            ]
            .iter()
            .map(|k| id(k))
            .collect(),
            plain_scalar: id("plain_scalar"),
            double_quote_scalar: id("double_quote_scalar"),
            single_quote_scalar: id("single_quote_scalar"),
            block_scalar: id("block_scalar"),
        }
    })
}

/// Visits `root` and the nodes below it in document order, descending into a node only
/// when `enter` returns true for it; `enter` also gets the node's ancestors (outermost
/// first, starting with `ancestors`, those of `root`). One cursor and an explicit stack:
/// no recursion, whatever the depth of untrusted text, and no `Node::parent` (a search
/// from the root in tree-sitter), so the cost is linear in the nodes visited.
pub fn preorder<'t>(
    root: Node<'t>,
    ancestors: Vec<Node<'t>>,
    mut enter: impl FnMut(Node<'t>, &[Node<'t>]) -> bool,
) {
    let mut cursor = root.walk();
    let mut stack = ancestors;
    'outer: loop {
        let node = cursor.node();
        if enter(node, &stack) && cursor.goto_first_child() {
            stack.push(node);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'outer;
            }
            if !cursor.goto_parent() {
                break 'outer;
            }
            stack.pop();
        }
    }
}

/// The nodes from `root` down to the smallest node that covers `start..end` (the node
/// `Node::descendant_for_byte_range` finds), in order: the ancestors of a position
/// without `Node::parent`, which searches down from the root on every call, so that a
/// climb to the root costs O(depth), not O(depth²) (deeply nested flow text would
/// otherwise hang a keystroke).
pub fn path_to<'t>(root: Node<'t>, start: usize, end: usize) -> Vec<Node<'t>> {
    let mut path = vec![root];
    if start > end {
        return path;
    }
    let mut cursor = root.walk();
    'descend: loop {
        // Jump to the first child that ends after `start`: tree-sitter skips whole runs of
        // children it keeps in hidden balanced nodes, where a walk would visit each. Only
        // a zero-width child at `start` can come before it and still qualify.
        if cursor.goto_first_child_for_byte(start).is_some() {
            if start == end && cursor.node().start_byte() == start {
                back_over_empty(&mut cursor, start);
            }
        } else if !cursor.goto_first_child() {
            break;
        }
        loop {
            // The same tests as tree-sitter's own descent: the child reaches the end of
            // the range, passes its start (or touches it, when empty), and starts before it.
            let child = cursor.node();
            let child_end = child.end_byte();
            let empty = child.start_byte() == child_end;
            let before = if empty {
                child_end < start
            } else {
                child_end <= start
            };
            if child_end < end || before {
                if cursor.goto_next_sibling() {
                    continue;
                }
                break 'descend;
            }
            if start < child.start_byte() {
                break 'descend;
            }
            path.push(child);
            continue 'descend;
        }
    }
    path
}

/// Moves the cursor back over the zero-width siblings at `at` before it (MISSING nodes),
/// to the first of them.
fn back_over_empty(cursor: &mut tree_sitter::TreeCursor, at: usize) {
    while cursor.goto_previous_sibling() {
        if cursor.node().byte_range() != (at..at) {
            cursor.goto_next_sibling();
            return;
        }
    }
}

/// The text of a node. Borrowed when it lies in one rope chunk, which is nearly always.
pub fn text<'r>(rope: &'r Rope, node: Node) -> Cow<'r, str> {
    range_text(rope, node.byte_range())
}

/// The text of a byte range, borrowed straight from its chunk when it lies in one: a
/// chunk lookup is much cheaper than building a `RopeSlice`, which counts characters and
/// lines, and the outline and the model read many short keys.
pub fn range_text(rope: &Rope, range: std::ops::Range<usize>) -> Cow<'_, str> {
    let start = range.start.min(rope.len_bytes());
    let (chunk, chunk_start, _, _) = rope.chunk_at_byte(start);
    if let Some(text) = range
        .end
        .checked_sub(chunk_start)
        .and_then(|end| chunk.get(start - chunk_start..end))
    {
        return Cow::Borrowed(text);
    }
    slice_text(rope.byte_slice(range))
}

/// The text of a rope slice, borrowed when contiguous.
pub fn slice_text(slice: RopeSlice<'_>) -> Cow<'_, str> {
    match slice.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(slice.to_string()),
    }
}

/// Lets query predicates (`#eq?`, `#any-of?`) read node text straight from the rope.
pub struct RopeText<'r>(pub &'r Rope);

impl<'r> TextProvider<&'r [u8]> for RopeText<'r> {
    type I = ChunkIter<'r>;

    fn text(&mut self, node: Node) -> Self::I {
        ChunkIter(self.0.byte_slice(node.byte_range()).chunks())
    }
}

/// The chunks of a rope slice, as bytes.
pub struct ChunkIter<'r>(ropey::iter::Chunks<'r>);

impl<'r> Iterator for ChunkIter<'r> {
    type Item = &'r [u8];

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(str::as_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_file_compiles_against_the_pinned_grammar() {
        for (name, source) in QUERY_FILES {
            compile(name, source);
        }
        // And every file in queries/ is listed, so none is forgotten.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/queries");
        for entry in std::fs::read_dir(dir).expect("queries/ exists") {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".scm") {
                assert!(
                    QUERY_FILES.iter().any(|(n, _)| *n == name),
                    "queries/{name} is not in QUERY_FILES"
                );
            }
        }
    }

    #[test]
    fn grammar_node_kinds_the_model_relies_on_exist() {
        let lang = language();
        for kind in [
            "block_mapping",
            "block_mapping_pair",
            "block_sequence",
            "block_sequence_item",
            "flow_mapping",
            "flow_pair",
            "flow_sequence",
            "flow_node",
            "block_node",
            "plain_scalar",
            "double_quote_scalar",
            "single_quote_scalar",
            "block_scalar",
            "document",
            "stream",
        ] {
            assert_ne!(lang.id_for_node_kind(kind, true), 0, "{kind}");
        }
    }

    /// `path_to` ends where tree-sitter's own descent does, at every offset and for
    /// short ranges, in valid, broken, flow and multi-document text.
    #[test]
    fn path_to_agrees_with_descendant_for_byte_range() {
        let texts = [
            "steps:\n- task: A@1\n  inputs:\n    x: 'y' # c\n- { task: B@2, inputs: {a: [1, {b: c}]} }\n",
            "a: |\n  text\n---\n- - x\n  - ? k\n    : v\n",
            "steps:\n-\ttask: [\n  : : :\n\"unterminated",
            "\u{feff}é: 😀\r\nb: [\r\n",
        ];
        for text in texts {
            let rope = Rope::from_str(text);
            let (tree, _) = parse(&rope, None);
            let root = tree.root_node();
            for start in 0..=text.len() {
                for end in start..=(start + 3).min(text.len()) {
                    let path = path_to(root, start, end);
                    let expected = root.descendant_for_byte_range(start, end).unwrap();
                    assert_eq!(path.last(), Some(&expected), "{start}..{end} in {text:?}");
                    for pair in path.windows(2) {
                        assert_eq!(pair[1].parent(), Some(pair[0]), "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn broken_yaml_still_parses() {
        let rope = Rope::from_str("steps:\n-\ttask: [\n  : : :\n\"unterminated");
        let (tree, refusal) = parse(&rope, None);
        assert!(tree.root_node().has_error());
        assert_eq!(refusal, None);
    }
}
