//! Finding the pipeline files under the paths `check` is given: a parallel walk that
//! respects `.gitignore`/`.ignore` and hidden-file conventions and follows no symlink,
//! then a decision per YAML file, with its reason (for `--verbose`).

use crate::document::Document;
use crate::model::{self, yaml};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Whether a file is checked, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub take: bool,
    pub reason: String,
}

fn take(reason: impl Into<String>) -> Decision {
    Decision {
        take: true,
        reason: reason.into(),
    }
}

fn skip(reason: impl Into<String>) -> Decision {
    Decision {
        take: false,
        reason: reason.into(),
    }
}

/// A file to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub path: PathBuf,
    /// Which of the given paths it was found under (the first, when several lead to it).
    pub root: usize,
    /// Named on the command line: checked whatever its name, type or content.
    pub given: bool,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walk {
    /// In path order.
    pub files: Vec<Found>,
    pub errors: Vec<String>,
    /// Symbolic links met while walking, which are not followed (in path order).
    pub links: Vec<PathBuf>,
}

/// The name that stands for standard input.
pub const STDIN: &str = "-";

/// The YAML files under `roots`. A root that is not a folder is taken whatever its name
/// and type (a FIFO, `/dev/stdin`, `-` for standard input): it was named to be checked.
pub fn yaml_files(roots: &[PathBuf]) -> Walk {
    let mut walk = Walk::default();
    for (index, root) in roots.iter().enumerate() {
        let found = |path: PathBuf, given| Found {
            path,
            root: index,
            given,
        };
        if root.as_os_str() == STDIN {
            walk.files.push(found(root.clone(), true));
            continue;
        }
        match std::fs::metadata(root) {
            Err(_) => {
                walk.errors
                    .push(format!("{}: no such file or directory", root.display()));
                continue;
            }
            Ok(meta) if !meta.is_dir() => {
                walk.files.push(found(root.clone(), true));
                continue;
            }
            Ok(_) => {}
        }
        let files = Mutex::new(Vec::new());
        let links = Mutex::new(Vec::new());
        let failed = Mutex::new(Vec::new());
        ignore::WalkBuilder::new(root)
            .follow_links(false)
            .require_git(false)
            .build_parallel()
            .run(|| {
                Box::new(|entry| {
                    match entry {
                        Ok(e) => {
                            let path = e.path();
                            match e.file_type() {
                                Some(t) if t.is_file() && is_yaml(path) => {
                                    push(&files, path.to_path_buf())
                                }
                                Some(t) if t.is_symlink() => push(&links, path.to_path_buf()),
                                _ => {}
                            }
                        }
                        Err(err) => push(&failed, err.to_string()),
                    }
                    ignore::WalkState::Continue
                })
            });
        walk.files
            .extend(drain(files).into_iter().map(|p| found(p, false)));
        walk.links.extend(drain(links));
        walk.errors.extend(drain(failed));
    }
    // Path order; a file reached twice is kept once: as named, if it was, else from its
    // first root.
    walk.files.sort_by(|a, b| {
        a.path
            .cmp(&b.path)
            .then(b.given.cmp(&a.given))
            .then(a.root.cmp(&b.root))
    });
    walk.files.dedup_by(|later, first| later.path == first.path);
    walk.links.sort();
    walk.links.dedup();
    walk
}

fn push<T>(list: &Mutex<Vec<T>>, item: T) {
    list.lock().unwrap_or_else(|p| p.into_inner()).push(item);
}

fn drain<T>(list: Mutex<Vec<T>>) -> Vec<T> {
    list.into_inner().unwrap_or_else(|p| p.into_inner())
}

fn is_yaml(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
}

/// Folders whose YAML files are pipelines by convention.
const PIPELINE_FOLDERS: &[&str] = &[
    ".azure-pipelines",
    ".azuredevops",
    ".pipelines",
    "pipelines",
    "azure-pipelines",
    "build",
    "builds",
    "ci",
    ".ci",
];

/// Decides whether a YAML file is an Azure Pipelines file, from its path and content.
pub fn classify(path: &Path, text: &str) -> Decision {
    let doc = Document::new(text, 0);
    let model = model::build(&doc);
    classify_parsed(path, &doc, &model)
}

/// [`classify`] for a document already parsed and modelled (the check parses once).
pub fn classify_parsed(path: &Path, doc: &Document, model: &model::Model) -> Decision {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let components: Vec<String> = path
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if components
        .windows(2)
        .any(|w| w[0] == ".github" && (w[1] == "workflows" || w[1] == "actions"))
    {
        return skip("GitHub workflow or action folder");
    }
    let keys = top_level_keys(doc);
    if let Some(kind) = model::foreign_kind(&keys) {
        return skip(format!("{kind} (top-level keys)"));
    }
    if name.starts_with("values") && path.parent().is_some_and(|p| p.join("Chart.yaml").exists()) {
        return skip("Helm values file (Chart.yaml beside it)");
    }
    if name.starts_with("azure-pipelines") || name.starts_with(".azure-pipelines") {
        return take("named azure-pipelines*");
    }
    if let Some(folder) = components
        .iter()
        .rev()
        .skip(1)
        .find(|c| PIPELINE_FOLDERS.contains(&c.as_str()))
    {
        if keys.iter().any(|k| {
            model::PIPELINE_KEYS.contains(&k.as_str()) || k == "parameters" || k == "variables"
        }) || !model.steps.is_empty()
        {
            return take(format!("in a {folder}/ folder"));
        }
    }
    if let Some(key) = keys
        .iter()
        .find(|k| model::PIPELINE_KEYS.contains(&k.as_str()))
    {
        return take(format!("top-level \"{key}:\""));
    }
    if !model.steps.is_empty() {
        return take("has task steps");
    }
    if has_step_items(doc) {
        return take("has script/bash/pwsh/template steps");
    }
    skip("no pipeline keys or steps")
}

fn top_level_keys(doc: &Document) -> Vec<String> {
    let rope = doc.rope();
    model::document_mappings(doc.tree().root_node())
        .into_iter()
        .flat_map(|m| yaml::pairs(m).filter_map(|(k, _)| yaml::key_text(rope, k)))
        .collect()
}

/// A sequence item whose first key is a step keyword other than `task`.
fn has_step_items(doc: &Document) -> bool {
    let text = doc.text();
    crate::text::lines_inclusive(&text).any(|line| {
        let t = line.trim_start();
        [
            "- script:",
            "- bash:",
            "- pwsh:",
            "- powershell:",
            "- template:",
            "- checkout:",
        ]
        .iter()
        .any(|k| t.starts_with(k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(path: &str, text: &str) -> Decision {
        classify(Path::new(path), text)
    }

    #[test]
    fn pipelines_are_taken_with_a_reason() {
        assert_eq!(
            decide("azure-pipelines.yml", "").reason,
            "named azure-pipelines*"
        );
        assert!(decide("eng/pipelines/templates/x.yml", "parameters:\n- name: a\n").take);
        assert_eq!(
            decide("deploy.yml", "trigger: none\nsteps:\n- script: x\n").reason,
            "top-level \"trigger:\""
        );
        assert!(decide("t.yml", "- task: AzureCLI@2\n").take);
        assert!(decide("t.yml", "- script: echo\n- bash: echo\n").take);
    }

    #[test]
    fn other_yaml_is_skipped_with_a_reason() {
        assert!(!decide(".github/workflows/ci.yml", "on: push\njobs: {}\n").take);
        assert!(!decide("k8s/app.yaml", "apiVersion: v1\nkind: Service\n").take);
        assert!(!decide("docker-compose.yml", "services:\n  web:\n    image: x\n").take);
        assert!(!decide("config.yml", "name: x\nitems: [1, 2]\n").take);
    }
}
