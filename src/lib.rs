//! azpls: the Azure Pipelines language server, and the same analysis on the command line.
//!
//! Architecture, from text to findings:
//!
//! - [`text`] converts byte offsets to line/column positions (UTF-8/16/32), in one place.
//! - [`document`] holds an open file: a ropey rope, its tree-sitter tree and a version;
//!   edits update both and reparse incrementally.
//! - [`syntax`] wraps the pinned tree-sitter-yaml grammar and the `queries/*.scm` files.
//! - [`model`] reads the pipeline out of the tree, with spans: task steps and container
//!   resources (updated on every edit, for the rules), and the structure of stages, jobs,
//!   hooks, steps, templates, parameters, variables and resources with the document's lines
//!   (`model::pipeline`, read once per version, for the outline, folding, names in
//!   completion and hover).
//! - [`expr`] parses the expression language (`${{ }}`, `$[ ]`, conditions) to trees with
//!   spans, and knows its functions.
//! - [`expand`] evaluates template expressions and includes templates, as the service does
//!   when it compiles a pipeline: the pipeline it will run, with errors on their source.
//! - [`knowledge`] is the embedded data: the workload identity federation tables of each
//!   dated version of Microsoft's document, its error messages and the messages tasks print,
//!   the issuer and subject formats with the Azure DevOps issuer's retirement, and the task
//!   catalog.
//! - [`analysis`] runs the rules (one file each in `analysis/rules/`) over a model and
//!   returns findings with byte spans and fixes; it never fails on bad input.
//! - [`ide`] answers editor questions (hover, completion, code actions) in core terms.
//! - [`doctor`] checks a service connection against its identity's federated credentials,
//!   read from the JSON `az` prints, as Microsoft Entra would match them.
//! - [`config`] reads `azpls.toml` and editor settings into an analysis configuration.
//! - [`cli`] runs the analysis over files (`check`), explains error codes and pipeline logs
//!   (`explain`) and prints `doctor`'s reports; `lsp` (feature `lsp`) is the only module that
//!   knows the Language Server Protocol.
//!
//! Everything but `lsp` is plain data and functions, testable with
//! `cargo test --no-default-features`.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod document;
pub mod expand;
pub mod expr;
pub mod ide;
pub mod knowledge;
pub mod model;
pub mod parallel;
pub mod syntax;
pub mod text;

#[cfg(feature = "lsp")]
pub mod lsp;
