//! The files templates are read from, as the editor sees them: an open buffer wins over
//! the file on disk (its unsaved text is what the user is looking at), everything else
//! comes from the disk.

use super::Open;
use crate::ide::templates::{DiskFiles, Files, MAX_TEMPLATE_BYTES, Stamp};
use dashmap::DashMap;
use std::path::{Path, PathBuf};
use tower_lsp_server::ls_types as lsp;

pub struct OpenFiles<'a> {
    pub documents: &'a DashMap<lsp::Uri, Open>,
}

impl OpenFiles<'_> {
    /// The version and text of the open buffer of `path`, if there is one.
    fn open(&self, path: &Path) -> Option<(i32, String)> {
        self.documents.iter().find_map(|entry| {
            let uri = entry.key();
            if !uri.as_str().starts_with("file:") {
                return None;
            }
            let file = uri.to_file_path()?;
            (file.as_ref() == path).then(|| (entry.doc.version(), entry.doc.text()))
        })
    }
}

impl Files for OpenFiles<'_> {
    fn is_file(&self, path: &Path) -> bool {
        self.open(path).is_some() || DiskFiles.is_file(path)
    }

    fn exists(&self, path: &Path) -> bool {
        self.open(path).is_some() || DiskFiles.exists(path)
    }

    fn read(&self, path: &Path) -> Option<String> {
        match self.open(path) {
            Some((_, text)) => (text.len() as u64 <= MAX_TEMPLATE_BYTES).then_some(text),
            None => DiskFiles.read(path),
        }
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        // An unsaved buffer has no file to resolve links of: it is where it says.
        DiskFiles
            .canonical(path)
            .or_else(|| self.open(path).map(|_| path.to_path_buf()))
    }

    fn list(&self, dir: &Path) -> Vec<(String, bool)> {
        DiskFiles.list(dir)
    }

    fn stamp(&self, path: &Path) -> Option<Stamp> {
        match self.open(path) {
            // Apart from any disk stamp (which counts nanoseconds since 1970).
            Some((version, text)) => Some((u128::MAX - version as u32 as u128, text.len() as u64)),
            None => DiskFiles.stamp(path),
        }
    }
}
