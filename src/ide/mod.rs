//! Editor features in editor terms (byte offsets, markdown, edits), with no LSP types:
//! hovers, completion, code actions, the outline, folding, template navigation, and help
//! inside expressions. The LSP layer only converts.

pub mod across;
pub mod actions;
pub mod completion;
mod expressions;
pub mod folding;
pub mod hover;
mod keywords;
mod names;
pub mod symbols;
pub mod template_completion;
pub mod templates;

pub use actions::{Action, ActionKind, code_actions};
pub use completion::{CompletionItem, CompletionKind, CompletionOptions, completions};
pub use folding::{Fold, FoldKind, folding_ranges};
pub use hover::{Hover, hover};
pub use keywords::hover as keyword_hover;
pub use names::{Named, Occurrences, hover as name_hover, occurrences, rename};
pub use symbols::{Symbol, SymbolKind, document_symbols};
