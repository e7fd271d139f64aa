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
        let files = self.files();
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
        let template_spans = across::in_template(&template_doc, &found.name);
        let mut places: Vec<Places> = (!template_spans.is_empty())
            .then_some(Places {
                uri: template_uri.clone(),
                spans: template_spans,
                doc: template_doc,
            })
            .into_iter()
            .collect();
        let keys = |caller: lsp::Uri, doc: Document| {
            let place = self.place(&caller);
            let spans = across::passing_keys(&doc, &place, &files, &found.template, &found.name);
            (!spans.is_empty()).then_some(Places {
                uri: caller,
                doc,
                spans,
            })
        };
        // The open documents as the editor has them.
        let open: Vec<(lsp::Uri, Document)> = self
            .documents
            .iter()
            .map(|e| (e.key().clone(), e.doc.clone()))
            .collect();
        let open_callers = open.into_iter().filter(|(uri, _)| *uri != template_uri);
        places.extend(open_callers.filter_map(|(uri, doc)| keys(uri, doc)));
        // The others from the disk, on every core: reading and parsing them is most of
        // the time, so a file whose text can't call the template is not parsed.
        let on_disk = self.files_on_disk(&template_uri, &found.template, &files);
        let from_disk = crate::parallel::map(&on_disk, |path| {
            let text = templates::DiskFiles
                .read(path)
                .filter(|text| templates::text_may_call(text, &found.template))?;
            keys(lsp::Uri::from_file_path(path)?, Document::new(&text, 0))
        });
        places.extend(from_disk.into_iter().flatten());
        Some(Sites {
            name: found.name,
            declared: found.declared,
            template: template_uri,
            places,
        })
    }

    /// The YAML files of the template's repository, at most [`MAX_WORKSPACE_FILES`], but
    /// the template and the files open in the editor.
    fn files_on_disk(
        &self,
        template_uri: &lsp::Uri,
        template: &Path,
        files: &OpenFiles,
    ) -> Vec<PathBuf> {
        let place = templates::Place {
            file: Some(template.to_path_buf()),
            workspace: self.place(template_uri).workspace,
        };
        let Some(root) = templates::repository_root(&place, files)
            .or_else(|| template.parent().map(Path::to_path_buf))
        else {
            return Vec::new();
        };
        crate::cli::discover::yaml_files(&[root])
            .files
            .into_iter()
            .take(MAX_WORKSPACE_FILES)
            .map(|found| found.path)
            .filter(|path| path != template && !self.open_paths.contains_key(path))
            .collect()
    }
}
