//! Which Azure Resource Manager service connection each finding's step uses: the value of
//! the step's AzureRM input (by name or alias, from the task catalog), with `$(var)`
//! resolved from the file's own top-level `variables` where it can be. This answers "what
//! breaks if I convert this connection to workload identity federation?".

use super::Finding;
use crate::document::Document;
use crate::knowledge;
use crate::model::{ContainerResource, Model, TaskStep, yaml};
use crate::text::Span;

/// The file's top-level variables with literal values, both YAML forms:
/// `variables: {name: value}` and `variables: [- name: n, value: v]`.
pub fn variables(doc: &Document) -> Vec<(String, String)> {
    let rope = doc.rope();
    let mut out = Vec::new();
    for body in crate::model::document_mappings(doc.tree().root_node()) {
        let Some(vars) = yaml::get(rope, body, "variables")
            .and_then(|(_, v)| v)
            .and_then(yaml::content)
        else {
            continue;
        };
        if yaml::is_mapping(vars) {
            for (k, v) in yaml::pairs(vars) {
                if let (Some(name), Some(value)) = (
                    yaml::key_text(rope, k),
                    v.and_then(|v| yaml::scalar(rope, v)),
                ) {
                    out.push((name, value.text));
                }
            }
        } else if yaml::is_sequence(vars) {
            for item in yaml::items(vars).filter(|n| yaml::is_mapping(*n)) {
                let field = |key: &str| {
                    yaml::get(rope, item, key)
                        .and_then(|(_, v)| v)
                        .and_then(|v| yaml::scalar(rope, v))
                        .map(|s| s.text)
                };
                if let (Some(name), Some(value)) = (field("name"), field("value")) {
                    out.push((name, value));
                }
            }
        }
    }
    out
}

/// Replaces `$(name)` with the variable's value when the file defines it literally.
pub fn resolve(value: &str, variables: &[(String, String)]) -> String {
    let trimmed = value.trim();
    if let Some(name) = trimmed.strip_prefix("$(").and_then(|r| r.strip_suffix(')'))
        && let Some((_, v)) = variables.iter().find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        return v.clone();
    }
    trimmed.to_string()
}

/// The AzureRM connection a step uses, if it sets one.
pub fn of_step(step: &TaskStep, variables: &[(String, String)]) -> Option<String> {
    let (name, major) = step.reference.versioned()?;
    let task = knowledge::catalog().task(name, major)?;
    step.inputs.iter().find_map(|input| {
        let catalog_input = task.input(&input.name)?;
        if catalog_input.kind != "connectedService:AzureRM" {
            return None;
        }
        input.value.as_ref().map(|v| resolve(&v.text, variables))
    })
}

/// The connection of each finding (by the step or container resource it belongs to).
/// Linear in the findings: each looks its step up by binary search, and each step's
/// connection is worked out once.
pub fn of_findings(doc: &Document, model: &Model, findings: &[Finding]) -> Vec<Option<String>> {
    let vars = variables(doc);
    let steps = Enclosing::new(model.steps.iter().map(|s| s.span.clone()));
    let containers = Enclosing::new(model.containers.iter().map(|c| c.span.clone()));
    let mut step_connections: Vec<Option<Option<String>>> = vec![None; model.steps.len()];
    findings
        .iter()
        .map(|f| {
            if let Some(i) = steps.first_around(&f.span) {
                return step_connections[i]
                    .get_or_insert_with(|| of_step(&model.steps[i], &vars))
                    .clone();
            }
            containers
                .first_around(&f.span)
                .and_then(|i| of_container(&model.containers[i], &vars))
        })
        .collect()
}

/// The connection a container resource pulls its image with, if it names one.
fn of_container(container: &ContainerResource, variables: &[(String, String)]) -> Option<String> {
    container
        .azure_subscription
        .as_ref()
        .and_then(|(_, v)| v.as_ref())
        .map(|v| resolve(&v.text, variables))
}

/// Every AzureRM connection the file's steps and container resources use, each once and
/// in order, resolved as for findings: what `azpls check --connection` may name.
pub fn used(doc: &Document, model: &Model) -> Vec<String> {
    let vars = variables(doc);
    let mut used: Vec<String> = model
        .steps
        .iter()
        .filter_map(|s| of_step(s, &vars))
        .chain(
            model
                .containers
                .iter()
                .filter_map(|c| of_container(c, &vars)),
        )
        .collect();
    used.sort();
    used.dedup();
    used
}

/// Spans (steps, containers) indexed to answer "the first one, in order of start, that
/// encloses this span" in O(log n): sorted by start, with the running maximum of their
/// ends, which first reaches a span's end at the first span long enough to enclose it.
struct Enclosing {
    /// (start, original index), by start.
    starts: Vec<(usize, usize)>,
    /// The largest end among `starts[..=i]`.
    max_end: Vec<usize>,
}

impl Enclosing {
    fn new(spans: impl Iterator<Item = Span>) -> Enclosing {
        let mut spans: Vec<(usize, usize, usize)> = spans
            .enumerate()
            .map(|(i, s)| (s.start, s.end, i))
            .collect();
        spans.sort_by_key(|&(start, _, i)| (start, i));
        let mut max = 0;
        let max_end = spans
            .iter()
            .map(|&(_, end, _)| {
                max = max.max(end);
                max
            })
            .collect();
        Enclosing {
            starts: spans.iter().map(|&(start, _, i)| (start, i)).collect(),
            max_end,
        }
    }

    fn first_around(&self, span: &Span) -> Option<usize> {
        // Candidates start at or before the span; the first of them reaching its end
        // encloses it.
        let candidates = self
            .starts
            .partition_point(|&(start, _)| start <= span.start);
        let first = self.max_end[..candidates].partition_point(|&end| end < span.end);
        self.starts
            .get(first)
            .filter(|_| first < candidates)
            .map(|&(_, i)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{self, Config};
    use crate::model;

    #[test]
    fn connections_come_from_the_azurerm_input_with_variables_resolved() {
        let text = "variables:\n- name: sc\n  value: prod-sc\nsteps:\n- task: AzureFileCopy@4\n  inputs:\n    azureSubscription: $(sc)\n- task: AzureNLBManagement@1\n  inputs:\n    azureSubscription: $(other)\n- task: Docker@1\n  inputs:\n    dockerRegistryEndpoint: reg\n";
        let doc = Document::new(text, 0);
        let m = model::build(&doc);
        let mut findings = analysis::analyze_model(&doc, &m, &Config::default());
        // One finding per step: the table's (the catalog's rules have more to say here).
        findings.retain(|f| f.rule.id.starts_with("wif-"));
        let connections = of_findings(&doc, &m, &findings);
        assert_eq!(
            connections,
            [
                Some("prod-sc".to_string()),
                Some("$(other)".to_string()),
                None
            ]
        );
    }

    #[test]
    fn the_first_enclosing_span_is_found_among_nested_and_disjoint_ones() {
        let index = Enclosing::new([10..20, 0..5, 12..15, 30..40].into_iter());
        assert_eq!(index.first_around(&(13..14)), Some(0), "outer before inner");
        assert_eq!(index.first_around(&(1..2)), Some(1));
        assert_eq!(index.first_around(&(18..25)), None, "crosses an end");
        assert_eq!(index.first_around(&(35..40)), Some(3));
        assert_eq!(index.first_around(&(6..7)), None, "between spans");
        assert_eq!(
            Enclosing::new(std::iter::empty()).first_around(&(0..1)),
            None
        );
    }

    #[test]
    fn used_connections_come_from_steps_and_containers_once_each() {
        let text = "variables:\n  sc: prod-sc\nresources:\n  containers:\n  - container: c\n    image: x.azurecr.io/y\n    azureSubscription: registry-sc\nsteps:\n- task: AzureCLI@2\n  inputs:\n    azureSubscription: $(sc)\n- task: AzureCLI@2\n  inputs:\n    connectedServiceNameARM: prod-sc\n- task: AzureFileCopy@6\n  inputs:\n    azureSubscription: $(unknown)\n";
        let doc = Document::new(text, 0);
        let m = model::build(&doc);
        assert_eq!(used(&doc, &m), ["$(unknown)", "prod-sc", "registry-sc"]);
    }

    #[test]
    fn mapping_form_variables() {
        let doc = Document::new("variables:\n  sc: dev-sc\n  n: 1\n", 0);
        assert_eq!(
            variables(&doc),
            [("sc".into(), "dev-sc".into()), ("n".into(), "1".into())]
        );
    }
}
