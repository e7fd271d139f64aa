//! The document-wide walks, the structure check and the duplicate keys, on a second thread.
//!
//! They read the tree and nothing else (not the model, not the knowledge of tasks), and on a
//! cold open they cost about as much as all the rest of an analysis after the parse: building
//! the model and running the step rules. On a large document they run beside that work, on a
//! copy of the tree (a tree-sitter tree is not shared between threads without one; `Tree::clone`
//! copies a reference to its root, not its nodes).
//!
//! What each walk remembers between analyses (`structure`'s subtrees, `duplicate-key`'s) stays
//! with the calling thread: it is handed to the worker with the document and handed back with
//! the results. So the findings, and what the next analysis on this thread reuses, are exactly
//! those of walking on this thread (`tests/parallel.rs` compares them).

use std::thread::{Scope, ScopedJoinHandle};

use super::rules::duplicate_key;
use super::{Config, Finding, Rule, rules, structure};
use crate::document::Document;

/// Whether an analysis may run its walks on a second thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Parallel {
    /// When the document is large enough to repay a thread ([`PARALLEL_FROM`]): for a
    /// document's first analysis, when the walks have nothing of it to reuse. After an edit
    /// they redo only what it changed, and a thread's start and hand-over then cost more
    /// than they save.
    #[default]
    BySize,
    /// Always on this thread.
    Never,
    /// On a second thread whatever the document's size (tests compare it with `Never`).
    Always,
}

/// From this many bytes of text (about 1,500 lines of a pipeline) the walks run on their own
/// thread: starting one costs tens of microseconds, the walks of a cold open a few
/// milliseconds per thousand lines.
pub const PARALLEL_FROM: usize = 48 * 1024;

/// The rules that report what the walks find; an analysis runs them after the others, once
/// the walks are done (the order findings are reported in does not depend on it).
const STRUCTURE_RULES: [&Rule; 4] = [
    &rules::unknown_key::RULE,
    &rules::wrong_type::RULE,
    &rules::invalid_value::RULE,
    &rules::missing_key::RULE,
];

/// Whether `rule` reports what a walk finds.
pub(crate) fn reads_walks(rule: &Rule) -> bool {
    std::ptr::eq(rule, &duplicate_key::RULE)
        || STRUCTURE_RULES.iter().any(|r| std::ptr::eq(*r, rule))
}

/// What the walks found (nothing for the rules that are off).
#[derive(Default)]
pub(crate) struct Walked {
    pub structure: Vec<structure::Issue>,
    pub duplicates: Vec<Finding>,
}

/// The walks the enabled rules need, on this thread: one walk for both when the structure
/// rules and `duplicate-key` are on, which finds what each would alone. `fresh` walks
/// remember nothing, and find the duplicates with `duplicate-key`'s own walk: they are the
/// reference the others must equal.
pub(crate) fn run(doc: &Document, config: &Config, fresh: bool) -> Walked {
    let (structure, duplicates) = wanted(config);
    let severity = config.severity(&duplicate_key::RULE);
    if fresh {
        return Walked {
            structure: if structure {
                structure::check_fresh(doc)
            } else {
                Vec::new()
            },
            duplicates: if duplicates {
                duplicate_key::walk_fresh(doc, severity)
            } else {
                Vec::new()
            },
        };
    }
    match (structure, duplicates) {
        (true, true) => {
            let (structure, duplicates) = structure::check_with(doc, Some(severity));
            Walked {
                structure,
                duplicates,
            }
        }
        (true, false) => Walked {
            structure: structure::check(doc),
            duplicates: Vec::new(),
        },
        (false, true) => Walked {
            structure: Vec::new(),
            duplicates: duplicate_key::walk(doc, severity),
        },
        (false, false) => Walked::default(),
    }
}

/// Whether the structure rules (any of them) and `duplicate-key` are on.
fn wanted(config: &Config) -> (bool, bool) {
    let enabled = |rule: &Rule| !config.disabled.iter().any(|id| id == rule.id);
    (
        STRUCTURE_RULES.iter().any(|r| enabled(r)),
        enabled(&duplicate_key::RULE),
    )
}

/// Walks under way: on this thread when the rules ask (nothing done ahead), or on another.
pub(crate) enum Walks<'scope> {
    Here,
    There(ScopedJoinHandle<'scope, Done>),
}

/// What the worker hands back: the results, and what the walks remember.
pub(crate) struct Done {
    walked: Walked,
    structure: structure::Handed,
    duplicates: duplicate_key::Handed,
}

/// Starts the walks that enabled rules need on a second thread, when `parallel` says so for
/// this document; otherwise they run on this thread when first asked.
pub(crate) fn start<'scope, 'env>(
    scope: &'scope Scope<'scope, 'env>,
    doc: &Document,
    config: &'env Config,
    parallel: Parallel,
) -> Walks<'scope> {
    let threaded = match parallel {
        Parallel::Never => false,
        Parallel::Always => true,
        Parallel::BySize => doc.rope().len_bytes() >= PARALLEL_FROM,
    };
    let (structure, duplicates) = wanted(config);
    // A refused text has an empty tree: nothing to walk.
    if !threaded || doc.refusal().is_some() || !(structure || duplicates) {
        return Walks::Here;
    }
    let copy = doc.clone();
    let handed_structure = structure::hand_over();
    let handed_duplicates = duplicate_key::hand_over();
    let spawned = std::thread::Builder::new()
        .name("azpls-walks".into())
        .spawn_scoped(scope, move || {
            // A fresh thread: its memos are empty until given this thread's.
            structure::take_over(handed_structure);
            duplicate_key::take_over(handed_duplicates);
            let walked = run(&copy, config, false);
            Done {
                walked,
                structure: structure::hand_over(),
                duplicates: duplicate_key::hand_over(),
            }
        });
    match spawned {
        Ok(handle) => Walks::There(handle),
        // No thread to be had: the walks run here, from nothing remembered (the memos went
        // with the closure that was not run), which only costs time.
        Err(_) => Walks::Here,
    }
}

impl Walks<'_> {
    /// The walks' results (none when they run here, on demand), with what they remember
    /// given back to this thread. A panic in a walk is re-raised here, where the caller's
    /// guard catches it as it would catch one on this thread.
    pub(crate) fn finish(self) -> Option<Walked> {
        match self {
            Walks::Here => None,
            Walks::There(handle) => match handle.join() {
                Ok(done) => {
                    structure::take_over(done.structure);
                    duplicate_key::take_over(done.duplicates);
                    Some(done.walked)
                }
                Err(panic) => std::panic::resume_unwind(panic),
            },
        }
    }
}

/// How many subtrees the walks remember on this thread (the structure check's and the
/// duplicate keys'): what the next analysis here need not walk again. Tests use it to see
/// that what a worker remembered came back.
pub fn remembered() -> usize {
    structure::remembered() + duplicate_key::remembered()
}
