//! Editor features in editor terms (byte offsets, markdown, edits), with no LSP types:
//! hovers and code actions. The LSP layer only converts.

pub mod actions;
pub mod hover;

pub use actions::{Action, ActionKind, code_actions};
pub use hover::{Hover, hover};
