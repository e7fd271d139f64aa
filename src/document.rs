//! An open pipeline file: its text (a rope), its syntax tree, and the version the editor
//! gave it. Edits are plain byte ranges; the LSP layer converts positions first.
//!
//! Applying edits keeps the tree in step with the text: each edit updates the rope and
//! tells the tree (`Tree::edit`) what moved, and one incremental reparse follows a batch
//! of edits. Cloning a document is cheap (the rope and the tree are reference-counted),
//! which is how the server takes a snapshot to analyse while new edits come in.

use crate::syntax::{self, Refusal};
use crate::text::{self, Span};
use ropey::Rope;
use std::sync::Arc;
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
    /// Why the text was not parsed, when it is beyond the grammar's limits: the tree is
    /// then empty, and stays so (no incremental edits) until the text is acceptable.
    refusal: Option<Refusal>,
    /// What the check of those limits reads, per line, kept up to date edit by edit
    /// (shared with snapshots; copied only when one is still alive at the next edit).
    limits: Arc<syntax::limits::Index>,
    /// The byte ranges of the documents in the stream that are not pipelines, found on
    /// first use after each edit (see `model::foreign_of`): several rules ask on every
    /// keystroke, and past the grammar's row limit finding them means reading the text.
    foreign: std::sync::OnceLock<Vec<std::ops::Range<usize>>>,
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
        let limits = syntax::limits::Index::new(&rope);
        let refusal = limits.refusal(&rope);
        let tree = match refusal {
            Some(_) => syntax::empty(),
            None => syntax::parse_checked(&rope, None),
        };
        Document {
            rope,
            tree,
            version,
            pending: Vec::new(),
            replaced: false,
            refusal,
            limits: Arc::new(limits),
            foreign: std::sync::OnceLock::new(),
        }
    }

    /// What the check of the grammar's limits keeps about the text (tests compare it
    /// with a fresh one after edits).
    pub fn limits(&self) -> &syntax::limits::Index {
        &self.limits
    }

    /// Why the text is not analysed (too deep or too wide for the grammar), if it isn't.
    pub fn refusal(&self) -> Option<&Refusal> {
        self.refusal.as_ref()
    }

    /// Where the ranges of the documents that are not pipelines are kept for this text;
    /// emptied by every edit.
    pub fn foreign_cache(&self) -> &std::sync::OnceLock<Vec<std::ops::Range<usize>>> {
        &self.foreign
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
        self.foreign = std::sync::OnceLock::new();
        let edited = self.edit_one(edit);
        self.pending.push(edited);
    }

    /// Reparses after edits (incrementally, reusing the edited tree), sets the version,
    /// and says what changed.
    pub fn reparse(&mut self, version: i32) -> Changes {
        self.version = version;
        self.foreign = std::sync::OnceLock::new();
        let full = std::mem::take(&mut self.replaced);
        if self.pending.is_empty() {
            return Changes {
                full,
                ..Changes::default()
            };
        }
        // Every text is checked against the grammar's limits before the C scanner sees
        // it; a refused text keeps an empty tree, and leaving that state parses afresh.
        let was_refused = self.refusal.is_some();
        self.refusal = self.limits.refusal(&self.rope);
        if self.refusal.is_some() || was_refused {
            self.tree = if self.refusal.is_some() {
                syntax::empty()
            } else {
                syntax::parse_checked(&self.rope, None)
            };
            self.pending.clear();
            return Changes {
                full: true,
                ..Changes::default()
            };
        }
        // tree-sitter-yaml's scanner can leave an incrementally reparsed tree that differs
        // from a fresh parse when the text has errors: parse such text afresh. Past the
        // grammar's row limit the tree is an error anyway and the model reads the text in
        // segments, so the cost of a fresh parse buys nothing there.
        let within_rows = self.rope.len_lines() <= syntax::GRAMMAR_ROW_LIMIT;
        let (tree, fresh) = if within_rows && self.tree.root_node().has_error() {
            // The incremental result would be thrown away: don't compute it (error
            // recovery over an edited tree can take seconds on deep, broken nesting).
            (syntax::parse_checked(&self.rope, None), true)
        } else {
            let tree = syntax::parse_checked(&self.rope, Some(&self.tree));
            if within_rows && tree.root_node().has_error() {
                (syntax::parse_checked(&self.rope, None), true)
            } else {
                (tree, false)
            }
        };
        // A fresh tree shares nothing with the old one: comparing them finds no reuse and
        // can take seconds on deep nesting, so everything counts as changed.
        let changed = if fresh {
            Vec::new()
        } else {
            self.tree
                .changed_ranges(&tree)
                .map(|r| r.start_byte..r.end_byte)
                .collect()
        };
        self.tree = tree;
        let full = full || fresh;
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
        // A CR just before the edit ends a line or not depending on whether the edit
        // starts with an LF, so the parser reads it as an LF or a CR (see `syntax`), and
        // the rope's line around it may merge or split: it is part of what changed.
        let touched = if start > 0 && rope.byte(start - 1) == b'\r' {
            start - 1
        } else {
            start
        };
        let start_position = text::point(rope, touched);
        let old_end_position = text::point(rope, old_end);

        let first_line = rope.byte_to_line(touched);
        let old_last_line = rope.byte_to_line(old_end);

        let start_char = rope.byte_to_char(start);
        let old_end_char = rope.byte_to_char(old_end);
        rope.remove(start_char..old_end_char);
        rope.insert(start_char, &edit.text);

        let new_end = start + edit.text.len();
        let new_last_line = rope.byte_to_line(new_end);
        Arc::make_mut(&mut self.limits).splice(
            rope,
            first_line..old_last_line + 1,
            first_line..new_last_line + 1,
        );
        let edited = Edited {
            start: touched,
            old_end,
            new_end,
        };
        if self.refusal.is_some() {
            // The tree is empty and will be replaced: nothing in it to move.
            return edited;
        }
        let new_end_position = text::point(rope, new_end);
        self.tree.edit(&InputEdit {
            start_byte: touched,
            old_end_byte: old_end,
            new_end_byte: new_end,
            start_position,
            old_end_position,
            new_end_position,
        });
        edited
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
