//! Find references and rename of a template's parameter across the workspace: the
//! template's declaration and `parameters.x` references, and the keys that pass it in the
//! calls of every other document. Open documents are read as the editor has them, the
//! rest of the repository (its YAML files, as `azpls check` walks them) from the disk.

use super::{Backend, Open, files::OpenFiles};
use crate::document::{Document, Edit};
use crate::ide::across;
use crate::ide::templates::{self, Files};
use crate::model::Model;
use crate::text::Span;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use tower_lsp_server::ls_types as lsp;

/// The most YAML files of the repository read to find a template's callers.
const MAX_WORKSPACE_FILES: usize = 20_000;

/// One document's places that name the parameter, in document order.
pub(super) struct Places {
    pub uri: lsp::Uri,
    pub doc: Document,
    pub spans: Vec<Span>,
}

/// Every place that names one template parameter.
pub(super) struct Sites {
    pub name: String,
    /// The template declares it: then the first span of the template's places is the
    /// declaration.
    pub declared: bool,
    pub template: lsp::Uri,
    pub places: Vec<Places>,
}

impl Sites {
    /// Edits that rename the parameter in every document, or why not.
    pub fn renamed(&self, new_name: &str) -> Result<Vec<(&Places, Vec<Edit>)>, String> {
        if !self.declared {
            return Err(format!(
                "the template declares no parameter \"{}\"",
                self.name
            ));
        }
        self.places
            .iter()
            .map(|p| Ok((p, across::renamed(&p.spans, new_name)?)))
            .collect()
    }

    /// The declaration, when there is one.
    pub fn declaration(&self) -> Option<(&Places, &Span)> {
        let template = self.places.iter().find(|p| p.uri == self.template)?;
        self.declared.then_some(())?;
        Some((template, template.spans.first()?))
    }
}

impl Backend {
    /// The template parameter at `offset` of `uri` and every place in the workspace that
    /// names it; `None` when there is no template parameter there (or the document has no
    /// file, so no caller could name it).
    pub(super) fn parameter_sites(
        &self,
        uri: &lsp::Uri,
        doc: &Document,
        model: &Model,
        offset: usize,
    ) -> Option<Sites> {
        let files = OpenFiles {
            documents: &self.documents,
        };
        let place = self.place(uri);
        let found = across::parameter_at(doc, model, &place, &files, offset)?;
        let template_uri = if place.file.as_deref() == Some(&*found.template) {
            uri.clone()
        } else {
            lsp::Uri::from_file_path(&found.template)?
        };
        let template_doc = match self.snapshot(&template_uri) {
            Some(Open { doc, .. }) => doc,
            None => Document::new(&files.read(&found.template)?, 0),
        };
        let mut places = vec![Places {
            uri: template_uri.clone(),
            spans: across::in_template(&template_doc, &found.name),
            doc: template_doc,
        }];
        for (caller, doc) in self.possible_callers(&template_uri, &found.template, &files) {
            let place = self.place(&caller);
            let spans = across::passing_keys(&doc, &place, &files, &found.template, &found.name);
            if !spans.is_empty() {
                places.push(Places {
                    uri: caller,
                    doc,
                    spans,
                });
            }
        }
        places.retain(|p| !p.spans.is_empty());
        Some(Sites {
            name: found.name,
            declared: found.declared,
            template: template_uri,
            places,
        })
    }

    /// The documents that may call `template`: the other open ones, then the repository's
    /// YAML files that are not open, read from the disk.
    fn possible_callers(
        &self,
        template_uri: &lsp::Uri,
        template: &Path,
        files: &OpenFiles,
    ) -> Vec<(lsp::Uri, Document)> {
        let mut out: Vec<(lsp::Uri, Document)> = self
            .documents
            .iter()
            .filter(|e| e.key() != template_uri)
            .map(|e| (e.key().clone(), e.doc.clone()))
            .collect();
        let open: HashSet<PathBuf> = self
            .documents
            .iter()
            .filter_map(|e| e.key().to_file_path().map(|p| p.into_owned()))
            .collect();
        let place = templates::Place {
            file: Some(template.to_path_buf()),
            workspace: self.place(template_uri).workspace,
        };
        let Some(root) = templates::repository_root(&place, files)
            .or_else(|| template.parent().map(Path::to_path_buf))
        else {
            return out;
        };
        let name = template.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let walk = crate::cli::discover::yaml_files(&[root]);
        for found in walk.files.into_iter().take(MAX_WORKSPACE_FILES) {
            if found.path == template || open.contains(&found.path) {
                continue;
            }
            let Some(text) = templates::DiskFiles.read(&found.path) else {
                continue;
            };
            if !text.contains(name) {
                continue;
            }
            let Some(uri) = lsp::Uri::from_file_path(&found.path) else {
                continue;
            };
            out.push((uri, Document::new(&text, 0)));
        }
        out
    }
}
