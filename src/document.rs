//! An open pipeline file: its text (a rope), its syntax tree, and the version the editor
//! gave it. Edits are plain byte ranges; the LSP layer converts positions first.
//!
//! Applying edits keeps the tree in step with the text: each edit updates the rope and
//! tells the tree (`Tree::edit`) what moved, and one incremental reparse follows a batch
//! of edits. Cloning a document is cheap (the rope and the tree are reference-counted),
//! which is how the server takes a snapshot to analyse while new edits come in.

use crate::syntax;
use crate::text::{self, Span};
use ropey::Rope;
use tree_sitter::{InputEdit, Tree};

/// A replacement of a byte range by new text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

/// An open document.
#[derive(Clone)]
pub struct Document {
    rope: Rope,
    tree: Tree,
    version: i32,
    /// Edits since the last parse, in order.
    pending: Vec<Edited>,
    /// The whole text was replaced since the last parse.
    replaced: bool,
}

/// One applied edit, in byte offsets: `start..old_end` became `start..new_end`. Each
/// edit's offsets refer to the text left by the edits before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edited {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

/// What a reparse changed, for consumers that update derived data incrementally.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// The text edits, in order.
    pub edits: Vec<Edited>,
    /// Byte ranges (in the new text) where the syntax tree's structure changed.
    pub changed: Vec<Span>,
    /// Nothing can be reused: the whole text was replaced.
    pub full: bool,
}

impl Document {
    /// Parses `text` from scratch.
    pub fn new(text: &str, version: i32) -> Self {
        let rope = Rope::from_str(text);
        let tree = syntax::parse(&rope, None);
        Document {
            rope,
            tree,
            version,
            pending: Vec::new(),
            replaced: false,
        }
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }

    /// Applies `edits` in order (each one's span refers to the text left by the ones
    /// before it, as in LSP), then reparses once, incrementally.
    pub fn apply(&mut self, edits: impl IntoIterator<Item = Edit>, version: i32) -> Changes {
        for edit in edits {
            self.edit(edit);
        }
        self.reparse(version)
    }

    /// Edits the text and tells the tree what moved, without reparsing: call
    /// [`Document::reparse`] after the last edit of a batch. Until then the tree is stale.
    pub fn edit(&mut self, edit: Edit) {
        let edited = self.edit_one(edit);
        self.pending.push(edited);
    }

    /// Reparses after edits (incrementally, reusing the edited tree), sets the version,
    /// and says what changed.
    pub fn reparse(&mut self, version: i32) -> Changes {
        self.version = version;
        let full = std::mem::take(&mut self.replaced);
        if self.pending.is_empty() {
            return Changes {
                full,
                ..Changes::default()
            };
        }
        let mut tree = syntax::parse(&self.rope, Some(&self.tree));
        // tree-sitter-yaml's scanner can leave an incrementally reparsed tree that differs
        // from a fresh parse when the text has errors: parse such text afresh. Past the
        // grammar's row limit the tree is an error anyway and the model reads the text in
        // segments, so the cost of a fresh parse buys nothing there.
        if (tree.root_node().has_error() || self.tree.root_node().has_error())
            && self.rope.len_lines() <= syntax::GRAMMAR_ROW_LIMIT
        {
            tree = syntax::parse(&self.rope, None);
        }
        let changed = self
            .tree
            .changed_ranges(&tree)
            .map(|r| r.start_byte..r.end_byte)
            .collect();
        self.tree = tree;
        Changes {
            edits: std::mem::take(&mut self.pending),
            changed,
            full,
        }
    }

    /// Replaces the whole text (a full-text sync), reusing nothing.
    pub fn replace_all(&mut self, text: &str, version: i32) {
        *self = Document::new(text, version);
        self.replaced = true;
    }

    fn edit_one(&mut self, edit: Edit) -> Edited {
        let rope = &mut self.rope;
        // Editors may send a range inside a character or past the end: clamp to char
        // boundaries so the rope and the tree see the same, valid edit.
        let start = text::floor_char_boundary(rope, edit.span.start);
        let old_end = text::floor_char_boundary(rope, edit.span.end.max(start));
        let start_position = text::point(rope, start);
        let old_end_position = text::point(rope, old_end);

        let start_char = rope.byte_to_char(start);
        let old_end_char = rope.byte_to_char(old_end);
        rope.remove(start_char..old_end_char);
        rope.insert(start_char, &edit.text);

        let new_end = start + edit.text.len();
        let new_end_position = text::point(rope, new_end);
        self.tree.edit(&InputEdit {
            start_byte: start,
            old_end_byte: old_end,
            new_end_byte: new_end,
            start_position,
            old_end_position,
            new_end_position,
        });
        Edited {
            start,
            old_end,
            new_end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incremental_edit_matches_fresh_parse() {
        let mut doc = Document::new("steps:\n- task: AzureFileCopy@4\n", 1);
        let at = doc.text().find('4').unwrap();
        doc.apply(
            [Edit {
                span: at..at + 1,
                text: "6".into(),
            }],
            2,
        );
        assert_eq!(doc.text(), "steps:\n- task: AzureFileCopy@6\n");
        assert_eq!(doc.version(), 2);
        let fresh = Document::new(&doc.text(), 2);
        assert_eq!(
            doc.tree().root_node().to_sexp(),
            fresh.tree().root_node().to_sexp()
        );
    }

    #[test]
    fn edits_inside_a_character_are_clamped_to_its_start() {
        let mut doc = Document::new("a: é\n", 1);
        // Byte 4 is inside "é" (bytes 3..5).
        doc.apply(
            [Edit {
                span: 4..4,
                text: "x".into(),
            }],
            2,
        );
        assert_eq!(doc.text(), "a: xé\n");
    }
}
