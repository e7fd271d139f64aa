//! `invalid-vm-image`: a `pool: vmImage:` label that is a near miss of a Microsoft-hosted image
//! label, or names an image that is retired (or being retired).

use ropey::Rope;
use tree_sitter::Node;

use crate::analysis::{Context, Docs, Finding, Fix, Rule, Severity, suggest};
use crate::document::Edit;
use crate::knowledge::{HostedImage, ImageStatus, hosted_images};
use crate::model::{self, yaml};

pub static RULE: Rule = Rule {
    id: "invalid-vm-image",
    summary: "Microsoft-hosted VM image label that is misspelt or retired",
    explanation: "`pool: vmImage:` picks an image of the Microsoft-hosted pool by its label, \
ignoring case. A label a few letters away from a known one (`ubuntu-lates`, `windows-lastest`, \
`ubunut-22.04`) names no image, so the job is never scheduled: the finding suggests the label and \
the fix writes it. A retired image (`ubuntu-20.04`) is gone from the pool, with the same effect: \
the finding names the label to move to. An image the documentation lists with a retirement \
schedule (`windows-2019`) still runs and gets a hint. Other labels stay silent: a differing \
version number (`ubuntu-26.04`) may be an image newer than azpls's list, and pools with a `name` \
other than Azure Pipelines are not Microsoft-hosted. Labels with `${{ }}`, `$[ ]` or `$( )` are \
not checked. Pools are read at every level (pipeline, stage, job, deployment job) and in the \
parameters of templates.",
    default_severity: Severity::Warning,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/agents/hosted"),
};

/// How deep the walk over stages, jobs and insertions goes: far more than real pipelines nest.
const DEPTH_LIMIT: usize = 32;

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let rope = ctx.doc.rope();
    // Most pipelines name no image, or in few places: one pass over the text is cheaper than
    // walking the skeleton on every keystroke.
    if !crate::text::contains(rope, "vmImage") {
        return;
    }
    let mut labels = Vec::new();
    for mapping in model::document_mappings(ctx.doc.tree().root_node()) {
        visit(rope, mapping, 0, &mut labels);
    }
    for label in labels {
        if let Some(finding) = judge(ctx, &label) {
            out.push(finding);
        }
    }
}

/// Collects the `vmImage` values of the pools in a mapping and in the stages, jobs, template
/// parameters and `${{ }}` insertions under it. Only those keys are followed: steps, variables
/// and scripts are never read, so the walk costs the pipeline's skeleton.
fn visit(rope: &Rope, mapping: Node, depth: usize, out: &mut Vec<yaml::Scalar>) {
    if depth > DEPTH_LIMIT {
        return;
    }
    for (key, value) in yaml::pairs(mapping) {
        let (Some(key), Some(value)) = (yaml::key_text(rope, key), value.and_then(yaml::content))
        else {
            continue;
        };
        match key.as_str() {
            "pool" => pool(rope, value, depth, out),
            "stages" | "jobs" | "extends" | "parameters" => descend(rope, value, depth, out),
            k if k.trim_start().starts_with("${{") => descend(rope, value, depth, out),
            _ => {}
        }
    }
}

/// Visits a mapping, or each mapping item of a sequence.
fn descend(rope: &Rope, node: Node, depth: usize, out: &mut Vec<yaml::Scalar>) {
    if yaml::is_mapping(node) {
        visit(rope, node, depth + 1, out);
    } else if yaml::is_sequence(node) {
        for item in yaml::items(node).filter(|n| yaml::is_mapping(*n)) {
            visit(rope, item, depth + 1, out);
        }
    }
}

/// The `vmImage` of a pool mapping (block or flow), also inside `${{ if }}` insertions, unless
/// the pool names another pool than the Microsoft-hosted one.
fn pool(rope: &Rope, node: Node, depth: usize, out: &mut Vec<yaml::Scalar>) {
    if !yaml::is_mapping(node) || depth > DEPTH_LIMIT {
        return;
    }
    let mut found = Vec::new();
    for (key, value) in yaml::pairs(node) {
        let (Some(key), Some(value)) = (yaml::key_text(rope, key), value.and_then(yaml::content))
        else {
            continue;
        };
        if key.eq_ignore_ascii_case("name") {
            let hosted = yaml::scalar(rope, value)
                .is_some_and(|n| n.text.trim().eq_ignore_ascii_case("Azure Pipelines"));
            if !hosted {
                return;
            }
        } else if key == "vmImage" {
            found.extend(yaml::scalar(rope, value));
        } else if key.trim_start().starts_with("${{") {
            pool(rope, value, depth + 1, &mut found);
        }
    }
    out.extend(found);
}

fn judge(ctx: &Context, label: &yaml::Scalar) -> Option<Finding> {
    let text = label.text.trim();
    if !label.exact || text.is_empty() || yaml::is_expression(text) || text.contains("{{") {
        return None;
    }
    let images = hosted_images();
    if let Some(image) = images.get(text) {
        let replacement = image.replacement.as_deref()?;
        let (message, hint) = match image.status {
            ImageStatus::Current => return None,
            ImageStatus::Retired => (
                format!(
                    "\"{text}\" is retired from the Microsoft-hosted pool, so the job is never \
scheduled; use \"{replacement}\""
                ),
                false,
            ),
            ImageStatus::Deprecated => (
                format!(
                    "\"{text}\" is being retired from the Microsoft-hosted pool; move to \
\"{replacement}\" before its removal"
                ),
                true,
            ),
        };
        let mut finding = ctx.finding(&RULE, label.span.clone(), message);
        if hint {
            finding.severity = finding.severity.min(Severity::Hint);
        }
        finding.fix = Some(fix(label, replacement, false));
        return Some(finding);
    }
    let near = nearest(text)?;
    let finding = match (near.status, near.replacement.as_deref()) {
        (ImageStatus::Current, _) | (_, None) => {
            let mut f = ctx.finding(
                &RULE,
                label.span.clone(),
                format!(
                    "\"{text}\" is not a Microsoft-hosted image label; did you mean \"{}\"?",
                    near.label
                ),
            );
            // No job runs on a label that names no image: nothing working can break.
            f.fix = Some(fix(label, &near.label, true));
            f
        }
        (_, Some(replacement)) => {
            let mut f = ctx.finding(
                &RULE,
                label.span.clone(),
                format!(
                    "\"{text}\" is not a Microsoft-hosted image label, and \"{}\", which it \
resembles, is {}; use \"{replacement}\"",
                    near.label,
                    if near.status == ImageStatus::Retired {
                        "retired"
                    } else {
                        "being retired"
                    }
                ),
            );
            f.fix = Some(fix(label, replacement, false));
            f
        }
    };
    Some(finding)
}

/// The known label `text` is a typo of: a few edits away, with the same digits. A label whose
/// version differs (`ubuntu-26.04`) may name an image newer than the data.
fn nearest(text: &str) -> Option<&'static HostedImage> {
    let images = hosted_images();
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<Vec<_>>();
    let own = digits(text);
    let candidates = images
        .all()
        .iter()
        .filter(|i| digits(&i.label) == own)
        .map(|i| i.label.as_str());
    let label = suggest::nearest(text, candidates)?;
    images.get(label)
}

fn fix(label: &yaml::Scalar, to: &str, safe: bool) -> Fix {
    Fix {
        title: format!("Use {to}"),
        edits: vec![Edit {
            span: label.span.clone(),
            text: to.to_string(),
        }],
        safe,
        note: (!safe).then(|| format!("the job will run on \"{to}\", another image")),
    }
}
