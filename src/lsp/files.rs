//! The files templates are read from, as the editor sees them: an open buffer wins over
//! the file on disk (its unsaved text is what the user is looking at), everything else
//! comes from the disk.

use super::{Backend, Open};
use crate::document::Document;
use crate::ide::templates::{DiskFiles, Files, MAX_TEMPLATE_BYTES, Stamp};
use dashmap::DashMap;
use std::path::{Path, PathBuf};
use tower_lsp_server::ls_types as lsp;

pub struct OpenFiles<'a> {
    pub documents: &'a DashMap<lsp::Uri, Open>,
    /// The path of every open `file:` document (see [`Backend::keep_open`]).
    pub paths: &'a DashMap<PathBuf, lsp::Uri>,
}

impl OpenFiles<'_> {
    /// Calls `f` with the open buffer of `path`, if there is one.
    fn open<T>(&self, path: &Path, f: impl FnOnce(&Document) -> T) -> Option<T> {
        let uri = self.paths.get(path)?;
        self.documents.get(uri.value()).map(|open| f(&open.doc))
    }
}

impl Backend {
    /// The files as the editor sees them.
    pub(super) fn files(&self) -> OpenFiles<'_> {
        OpenFiles {
            documents: &self.documents,
            paths: &self.open_paths,
        }
    }

    /// Keeps a document opened (or read anew) by the editor.
    pub(super) fn keep_open(&self, uri: lsp::Uri, open: Open) {
        if let Some(path) = file_path(&uri) {
            self.open_paths.insert(path, uri.clone());
        }
        self.documents.insert(uri, open);
    }

    /// Forgets a document the editor closed (or that can't be kept).
    pub(super) fn forget_open(&self, uri: &lsp::Uri) {
        self.documents.remove(uri);
        if let Some(path) = file_path(uri) {
            // Another URI may name the same file: the newest open one keeps it.
            self.open_paths.remove_if(&path, |_, kept| kept == uri);
        }
    }
}

fn file_path(uri: &lsp::Uri) -> Option<PathBuf> {
    if !uri.as_str().starts_with("file:") {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

impl Files for OpenFiles<'_> {
    fn is_file(&self, path: &Path) -> bool {
        self.open(path, |_| ()).is_some() || DiskFiles.is_file(path)
    }

    fn exists(&self, path: &Path) -> bool {
        self.open(path, |_| ()).is_some() || DiskFiles.exists(path)
    }

    fn read(&self, path: &Path) -> Option<String> {
        let size = |doc: &Document| doc.rope().len_bytes() as u64;
        match self.open(path, |doc| {
            (size(doc) <= MAX_TEMPLATE_BYTES).then(|| doc.text())
        }) {
            Some(text) => text,
            None => DiskFiles.read(path),
        }
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        // An unsaved buffer has no file to resolve links of: it is where it says.
        DiskFiles
            .canonical(path)
            .or_else(|| self.open(path, |_| path.to_path_buf()))
    }

    fn list(&self, dir: &Path) -> Vec<(String, bool)> {
        DiskFiles.list(dir)
    }

    fn stamp(&self, path: &Path) -> Option<Stamp> {
        // Apart from any disk stamp (which counts nanoseconds since 1970).
        let stamp = |doc: &Document| {
            let version = u128::MAX - doc.version() as u32 as u128;
            (version, doc.rope().len_bytes() as u64)
        };
        match self.open(path, stamp) {
            Some(stamp) => Some(stamp),
            None => DiskFiles.stamp(path),
        }
    }
}
