//! azpls: the Azure Pipelines language server, and the same analysis on the command line.
//!
//! Architecture, from text to findings:
//!
//! - [`text`] converts byte offsets to line/column positions (UTF-8/16/32), in one place.
//! - [`document`] holds an open file: a ropey rope, its tree-sitter tree and a version;
//!   edits update both and reparse incrementally.
//! - [`syntax`] wraps the pinned tree-sitter-yaml grammar and the `queries/*.scm` files.
//! - [`model`] reads task steps and container resources out of the tree, with spans.
//! - [`expr`] parses the expression language (`${{ }}`, `$[ ]`, conditions) to trees with
//!   spans, and knows its functions.
//! - [`knowledge`] is the embedded data: the workload identity federation tables of each
//!   dated version of Microsoft's document, its error messages, and the task catalog.
//! - [`analysis`] runs the rules (one file each in `analysis/rules/`) over a model and
//!   returns findings with byte spans and fixes; it never fails on bad input.
//! - [`ide`] answers editor questions (hover, completion, code actions) in core terms.
//! - [`config`] reads `azpls.toml` and editor settings into an analysis configuration.
//! - [`cli`] runs the analysis over files; `lsp` (feature `lsp`) is the only module that
//!   knows the Language Server Protocol.
//!
//! Everything but `lsp` is plain data and functions, testable with
//! `cargo test --no-default-features`.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod document;
pub mod expr;
pub mod ide;
pub mod knowledge;
pub mod model;
pub mod syntax;
pub mod text;

#[cfg(feature = "lsp")]
pub mod lsp;
