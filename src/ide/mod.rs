//! Editor features in editor terms (byte offsets, markdown, edits), with no LSP types:
//! hovers, completion and code actions. The LSP layer only converts.

pub mod actions;
pub mod completion;
pub mod hover;

pub use actions::{Action, ActionKind, code_actions};
pub use completion::{CompletionItem, CompletionKind, CompletionOptions, completions};
pub use hover::{Hover, hover};
