//! `missing-key`: mapping without a key it needs, from the structure walk (`analysis::structure`).

use crate::analysis::structure::IssueKind;
use crate::analysis::{Context, Docs, Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "missing-key",
    summary: "mapping without a key it needs (a step with no `task`/`script`/…, a container without `image`)",
    explanation: "Some mappings must have a key: a step its kind (`task`, `script`, `bash`, `pwsh`, `powershell`, `checkout`, `download`, `downloadBuild`, `getPackage`, `publish`, `reviewApp` or `template`), a job `job`, `deployment` or `template`, a container resource `image`, a deployment its `environment` and `strategy`. Mappings with `${{ }}` keys are not checked: the key may be inserted.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/pipeline"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    super::structure_findings(ctx, &RULE, IssueKind::MissingKey, out);
}
