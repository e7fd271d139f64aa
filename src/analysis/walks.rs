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

/// The walks' results, when they ran ahead of the rules that report them.
#[derive(Default)]
pub(crate) struct Walked {
    pub structure: Option<Vec<structure::Issue>>,
    pub duplicates: Option<Vec<Finding>>,
}

/// Walks under way: on this thread when the rules ask (nothing done ahead), or on another.
pub(crate) enum Walks<'scope> {
    Here,
    There(ScopedJoinHandle<'scope, Done>),
}

/// What the worker hands back: the results, and what each walk it ran remembers.
pub(crate) struct Done {
    walked: Walked,
    structure: Option<structure::Handed>,
    duplicates: Option<duplicate_key::Handed>,
}

/// Starts the walks that enabled rules need on a second thread, when `parallel` says so for
/// this document; otherwise they run on this thread when first asked.
pub(crate) fn start<'scope>(
    scope: &'scope Scope<'scope, '_>,
    doc: &Document,
    config: &Config,
    parallel: Parallel,
) -> Walks<'scope> {
    let wanted = match parallel {
        Parallel::Never => false,
        Parallel::Always => true,
        Parallel::BySize => doc.rope().len_bytes() >= PARALLEL_FROM,
    };
    let enabled = |rule: &Rule| !config.disabled.iter().any(|id| id == rule.id);
    let structure = STRUCTURE_RULES.iter().any(|r| enabled(r));
    let duplicates = enabled(&duplicate_key::RULE);
    // A refused text has an empty tree: nothing to walk.
    if !wanted || doc.refusal().is_some() || !(structure || duplicates) {
        return Walks::Here;
    }
    let copy = doc.clone();
    let severity = config.severity(&duplicate_key::RULE);
    let handed_structure = structure.then(structure::hand_over);
    let handed_duplicates = duplicates.then(duplicate_key::hand_over);
    let spawned = std::thread::Builder::new()
        .name("azpls-walks".into())
        .spawn_scoped(scope, move || {
            // A fresh thread: its memos are empty until given this thread's.
            if let Some(handed) = handed_structure {
                structure::take_over(handed);
            }
            if let Some(handed) = handed_duplicates {
                duplicate_key::take_over(handed);
            }
            let walked = Walked {
                structure: structure.then(|| structure::check(&copy)),
                duplicates: duplicates.then(|| duplicate_key::walk(&copy, severity)),
            };
            Done {
                walked,
                structure: structure.then(structure::hand_over),
                duplicates: duplicates.then(duplicate_key::hand_over),
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
    pub(crate) fn finish(self) -> Walked {
        match self {
            Walks::Here => Walked::default(),
            Walks::There(handle) => match handle.join() {
                Ok(done) => {
                    if let Some(handed) = done.structure {
                        structure::take_over(handed);
                    }
                    if let Some(handed) = done.duplicates {
                        duplicate_key::take_over(handed);
                    }
                    done.walked
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
