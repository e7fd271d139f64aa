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

/// The YAML files under `roots` (files given directly are kept whatever their name), in
/// path order.
pub fn yaml_files(roots: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for root in roots {
        if root.is_file() {
            files.push(root.clone());
            continue;
        }
        if !root.exists() {
            errors.push(format!("{}: no such file or directory", root.display()));
            continue;
        }
        let found = Mutex::new(Vec::new());
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
                            if e.file_type().is_some_and(|t| t.is_file()) && is_yaml(path) {
                                found
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .push(path.to_path_buf());
                            }
                        }
                        Err(err) => failed
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(err.to_string()),
                    }
                    ignore::WalkState::Continue
                })
            });
        files.extend(found.into_inner().unwrap_or_else(|p| p.into_inner()));
        errors.extend(failed.into_inner().unwrap_or_else(|p| p.into_inner()));
    }
    files.sort();
    files.dedup();
    (files, errors)
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

/// Top-level keys only a pipeline (or a pipeline template) has.
const PIPELINE_KEYS: &[&str] = &[
    "stages",
    "jobs",
    "steps",
    "extends",
    "trigger",
    "pr",
    "schedules",
    "resources",
    "pool",
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
        if keys
            .iter()
            .any(|k| PIPELINE_KEYS.contains(&k.as_str()) || k == "parameters" || k == "variables")
            || !model.steps.is_empty()
        {
            return take(format!("in a {folder}/ folder"));
        }
    }
    if let Some(key) = keys.iter().find(|k| PIPELINE_KEYS.contains(&k.as_str())) {
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
