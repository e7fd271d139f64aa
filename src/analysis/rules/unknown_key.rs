//! `unknown-key`: key that the pipeline's context does not have, from the structure walk (`analysis::structure`).

use crate::analysis::structure::IssueKind;
use crate::analysis::{Context, Docs, Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "unknown-key",
    summary: "key that the pipeline's context does not have (a misspelt `stpes:`, `dispalyName:`)",
    explanation: "Azure Pipelines rejects a key it does not know where it stands (\"Unexpected value 'stpes'\") and queues nothing. The keys each context allows (the root in its forms, stages, jobs, deployments, each step kind, pool, trigger, pr, resources, strategies …) come from the service's YAML schema; keys compare with their case, as the service compares them. A key close to a known one gets it as a fix, and a step with no step kind (`task`, `script`, `bash` …) gets the kind its keys misspell. `${{ }}` keys, templates' parameters, `variables:` as a mapping and task `inputs:` (see `unknown-input`) are never reported, nor are documents that are not pipelines.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/pipeline"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    super::structure_findings(ctx, &RULE, IssueKind::UnknownKey, out);
}
