//! The embedded knowledge base: which Azure Pipelines tasks support workload identity
//! federation (WIF) service connections according to each dated version of Microsoft's
//! troubleshooting document, the error messages that document lists, and the built-in task
//! catalog (inputs, aliases, visibility rules).
//!
//! Everything here is read-only data compiled into the binary from `data/` (see
//! `data/README.md` for provenance and regeneration). The WIF tables and errors are parsed once
//! on first use ([`knowledge`]); the much larger catalog has its own lazy cell ([`catalog`]) so
//! a server that never needs it never pays for it.
//!
//! - `wif`: tables, task rows and their statuses ([`Knowledge`], [`TaskEntry`], [`Status`]).
//! - `errors`: error messages with causes and resolutions ([`ErrorEntry`]).
//! - `catalog`: task versions and their inputs ([`Catalog`]).
//! - `federation`: issuer and subject formats, the audience, the Azure DevOps issuer's
//!   retirement and how Entra compares credentials ([`Federation`]), for `azpls doctor`.
//! - `images`: the Microsoft-hosted VM image labels ([`HostedImages`]).
//! - `variables`: the predefined variables (`Build.SourceBranch` …) ([`PredefinedVariables`]).
//! - `migration`: whether moving a step to another task version needs input changes
//!   ([`plan_migration`]).

mod catalog;
mod errors;
mod federation;
mod images;
pub mod language;
mod migration;
mod variables;
mod visible_rule;
mod wif;

pub use catalog::{
    Catalog, CatalogInput, CatalogTask, Visibility, catalog, connection_kind_label, is_task_id,
    reference_slug,
};
pub use errors::ErrorEntry;
pub use federation::{
    Date, EntraError, Federation, Format, IssuerKind, Matching, Retirement, Template, federation,
};
pub use images::{HostedImage, HostedImages, ImageStatus, hosted_images};
pub use migration::{MigrationPlan, plan_migration};
pub use variables::{PredefinedVariable, PredefinedVariables, predefined_variables};
pub use visible_rule::{CompareOp, RuleValue, VisibleRule};
pub use wif::{
    DocumentedFederation, IdentityFormat, InputSupport, Knowledge, Link, Resolution, Status,
    TableId, TableInfo, TaskEntry, knowledge,
};
