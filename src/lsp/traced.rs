//! A template's workload identity findings seen through the open documents that call it:
//! the connection each caller passes goes into the message, and each call into the
//! related information, so "this step breaks prod-sc" shows where prod-sc comes from.
//!
//! Only open callers are read (the workspace is not scanned on a keystroke), and only for
//! templates with a finding whose connection comes from the caller. When a caller is
//! edited, the templates waiting for it are checked again.

use super::{Backend, convert, files};
use crate::analysis::{self, Finding};
use crate::document::Document;
use crate::expand::tasks::{self, Callers, Site, Through};
use crate::model::Model;
use std::path::Path;
use tower_lsp_server::ls_types as lsp;

/// The most open callers expanded for one template.
const MAX_CALLERS: usize = 20;

impl Backend {
    /// Adds to the diagnostics of the template `uri` (one per finding, in order) what its
    /// open callers run its workload identity steps with.
    pub(super) fn trace_callers(
        &self,
        uri: &lsp::Uri,
        doc: &Document,
        model: &Model,
        findings: &[Finding],
        related: bool,
        diagnostics: &mut [lsp::Diagnostic],
    ) {
        let Some(direct) = waiting_for_callers(doc, model, findings) else {
            self.awaiting_callers.remove(uri);
            return;
        };
        self.awaiting_callers.insert(uri.clone());
        if self.documents.len() < 2 {
            return;
        }
        let place = self.place(uri);
        let Some(path) = place.file.clone() else {
            return;
        };
        let open = self.files();
        let path = templates_canonical(&open, &path);
        let mut callers = Callers::default();
        for caller in self.open_callers(uri).into_iter().take(MAX_CALLERS) {
            let Some(entry) = self.documents.get(&caller) else {
                continue;
            };
            let doc = entry.doc.clone();
            drop(entry);
            let place = self.place(&caller);
            callers.add(&crate::expand::expand_parsed(&doc, &place, &open, &[]));
        }
        let traced = callers.finish();
        if traced.is_empty() {
            return;
        }
        let through = tasks::through(&path, findings, &direct, &traced);
        // Callers are named from the repository's root, as `azpls check` run there would.
        let root = crate::ide::templates::repository_root(&place, &open);
        let base = root.as_deref().or(path.parent()).unwrap_or(Path::new(""));
        let name = |s: &Site| {
            let file = s.file.as_deref().map_or_else(
                || "?".to_string(),
                |p| p.strip_prefix(base).unwrap_or(p).display().to_string(),
            );
            format!("{file}:{}", s.line + 1)
        };
        for (d, t) in diagnostics.iter_mut().zip(&through) {
            if t.is_empty() {
                continue;
            }
            d.message.push_str(&tasks::describe(t, name));
            if related {
                d.related_information
                    .get_or_insert_with(Vec::new)
                    .extend(t.iter().flat_map(related_of));
            }
        }
    }

    /// The other open documents that call templates: those that may call `uri`, directly
    /// or through other templates (their expansion tells).
    fn open_callers(&self, uri: &lsp::Uri) -> Vec<lsp::Uri> {
        self.documents
            .iter()
            .filter(|e| e.key() != uri && calls_templates(e.doc.rope()))
            .map(|e| e.key().clone())
            .collect()
    }

    /// The templates waiting for their callers (see [`Backend::trace_callers`]) that `uri`
    /// may call: what to check again when it changes, opens or closes.
    pub(super) fn templates_waiting_for(&self, uri: &lsp::Uri) -> Vec<lsp::Uri> {
        let Some(entry) = self.documents.get(uri) else {
            // Closed: every waiting template may have lost a caller.
            return self
                .awaiting_callers
                .iter()
                .map(|u| u.key().clone())
                .collect();
        };
        if !calls_templates(entry.doc.rope()) {
            return Vec::new();
        }
        drop(entry);
        self.awaiting_callers
            .iter()
            .map(|u| u.key().clone())
            .filter(|u| u != uri)
            .collect()
    }
}

/// Whether a text may call a template (its expansion may bring one in).
fn calls_templates(rope: &ropey::Rope) -> bool {
    !crate::model::lines::find_all(rope, "template").is_empty()
}

/// Each finding's connection as the file alone tells, when the file has a workload
/// identity finding whose step's connection is a parameter or an unset variable: it waits
/// for its callers. Cheap checks first: this runs on every keystroke.
fn waiting_for_callers(
    doc: &Document,
    model: &Model,
    findings: &[Finding],
) -> Option<Vec<Option<String>>> {
    if !findings.iter().any(|f| f.rule.about_wif()) {
        return None;
    }
    let direct = analysis::connections::of_findings(doc, model, findings);
    findings
        .iter()
        .zip(&direct)
        .any(|(f, c)| f.rule.about_wif() && tasks::depends_on_caller(c.as_deref()))
        .then_some(direct)
}

/// The template's path as the expansion names it (links resolved where the file exists).
fn templates_canonical(open: &files::OpenFiles, path: &Path) -> std::path::PathBuf {
    use crate::ide::templates::Files;
    open.canonical(path).unwrap_or_else(|| path.to_path_buf())
}

/// The calls of one caller as related information: the outermost passes the connection,
/// the nested ones carry it on.
fn related_of(t: &Through) -> impl Iterator<Item = lsp::DiagnosticRelatedInformation> + '_ {
    t.sites.iter().enumerate().filter_map(move |(i, s)| {
        let uri = lsp::Uri::from_file_path(s.file.as_deref()?)?;
        let message = if i == 0 {
            format!("service connection \"{}\" is passed here", t.connection)
        } else {
            format!("and carried on to the template here (\"{}\")", t.connection)
        };
        Some(lsp::DiagnosticRelatedInformation {
            location: lsp::Location {
                uri,
                range: convert::line_range(s.line),
            },
            message,
        })
    })
}
