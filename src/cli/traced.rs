//! Findings in templates seen through their callers: before the files are checked, every
//! checked file that calls templates is expanded, and each task a template brings in is
//! remembered with the service connection its caller gives it. A workload identity finding
//! on such a task then names those connections and the calls, and `--connection` matches
//! them: "what breaks if I convert prod-sc?" covers templated pipelines.

use super::{check, discover, fix};
use crate::expand::tasks::{self, Callers, Site, Through, TracedTask};
use crate::ide::templates::{self, Place};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The traced tasks of every checked caller, by the template file that holds them.
#[derive(Default)]
pub struct Traced {
    by_template: HashMap<PathBuf, Vec<TracedTask>>,
}

impl Traced {
    /// What callers bring in from the template at `path` (a real path).
    pub fn of(&self, path: &Path) -> &[TracedTask] {
        self.by_template.get(path).map_or(&[], Vec::as_slice)
    }

    /// Every connection a template's task is given by a caller.
    pub fn connections(&self) -> impl Iterator<Item = &str> {
        self.by_template
            .values()
            .flatten()
            .map(|t| t.connection.as_str())
    }
}

/// Where a checked file is: its real path, and the repository (its `.git`) or else the
/// folder `check` runs in, which `/path` templates are found from.
pub fn place(path: &Path) -> Place {
    let real = |p: &Path| std::fs::canonicalize(p).ok();
    Place {
        file: real(path),
        workspace: std::env::current_dir().ok().as_deref().and_then(real),
    }
}

/// Expands every file of `files` that calls a template, on every core, and collects what
/// their templates' tasks are run with (see [`Callers`]). Files that cannot be read are
/// left to the check itself, which reports them.
pub fn collect(files: &[discover::Found]) -> Traced {
    let mut all = Callers::default();
    for mine in crate::parallel::map(files, |f| {
        let mut mine = Callers::default();
        // A panic in one file's expansion costs only its traces.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            expand_caller(&f.path, &mut mine)
        }));
        mine
    }) {
        all.extend(mine);
    }
    let mut traced = Traced::default();
    for t in all.finish() {
        traced
            .by_template
            .entry(t.file.clone())
            .or_default()
            .push(t);
    }
    traced
}

fn expand_caller(path: &Path, callers: &mut Callers) {
    // Standard input, pipes and devices can be read once only: the check reads them.
    let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
    if path.as_os_str() == discover::STDIN || !regular {
        return;
    }
    let Ok((text, _)) = fix::read(path) else {
        return;
    };
    // Most files call no template: their expansion would bring in nothing.
    if !text.contains("template") {
        return;
    }
    let place = place(path);
    callers.add(&crate::expand::expand(
        &text,
        &place,
        &templates::DiskFiles,
        &[],
    ));
}

/// Each finding's connections through its callers, for the findings on a template's tasks
/// whose connection depends on the caller (see [`tasks::depends_on_caller`]).
pub fn through(
    path: &Path,
    findings: &[crate::analysis::Finding],
    direct: &[Option<String>],
    traced: &Traced,
) -> Vec<Vec<Through>> {
    let Some(real) = std::fs::canonicalize(path).ok() else {
        return vec![Vec::new(); findings.len()];
    };
    tasks::through(&real, findings, direct, traced.of(&real))
}

/// A site as the report shows it: the path relative to the folder `check` runs in, and the
/// 1-based line.
pub fn shown(site: &Site, cwd: Option<&Path>) -> String {
    let file = site.file.as_deref().map_or_else(
        || "?".to_string(),
        |p| String::from_utf8_lossy(&check::diff_path(p, cwd)).into_owned(),
    );
    format!("{file}:{}", site.line + 1)
}

/// The words added to a finding's message: the connections its step runs with, and where
/// each comes from (the outermost call).
pub fn describe(through: &[Through], cwd: Option<&Path>) -> String {
    tasks::describe(through, |s| shown(s, cwd))
}
