//! Code actions: a quick fix per finding that carries a fix, and one "fix all" action
//! that applies every safe fix in the file.

use crate::analysis::{self, Finding};
use crate::document::Edit;
use crate::text::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// A fix for one finding.
    QuickFix,
    /// Every safe fix in the file (`source.fixAll.azpls`).
    FixAll,
}

/// An action an editor can offer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    pub edits: Vec<Edit>,
    /// The editor may apply it without asking (safe fixes).
    pub preferred: bool,
    /// The findings it fixes, by index into the slice given.
    pub fixes: Vec<usize>,
}

/// The actions for the findings that touch `span`, then "fix all" when the file has any
/// safe fix (even outside `span`: users ask for it from anywhere in the file).
pub fn code_actions(findings: &[Finding], span: &Span, only_fix_all: bool) -> Vec<Action> {
    let mut actions = Vec::new();
    if !only_fix_all {
        for (i, finding) in findings.iter().enumerate() {
            let Some(fix) = &finding.fix else { continue };
            if !touches(&finding.span, span) {
                continue;
            }
            actions.push(Action {
                title: fix.title.clone(),
                kind: ActionKind::QuickFix,
                edits: fix.edits.clone(),
                preferred: fix.safe,
                fixes: vec![i],
            });
        }
    }
    let edits = analysis::fix_all(findings, false);
    if !edits.is_empty() {
        let fixes = findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.fix.as_ref().is_some_and(|x| x.safe))
            .map(|(i, _)| i)
            .collect();
        actions.push(Action {
            title: "Fix all deprecated task versions in this file (safe fixes)".to_string(),
            kind: ActionKind::FixAll,
            edits,
            preferred: false,
            fixes,
        });
    }
    actions
}

/// Ranges touch when they overlap or one is empty and sits inside or at the edge of the other.
fn touches(a: &Span, b: &Span) -> bool {
    a.start <= b.end && b.start <= a.end
}
