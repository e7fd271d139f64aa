//! `invalid-value`: value outside what its key allows, from the structure walk (`analysis::structure`).

use crate::analysis::structure::IssueKind;
use crate::analysis::{Context, Docs, Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "invalid-value",
    summary: "value outside what its key allows (`timeoutInMinutes: abc`, `clean: yes please`)",
    explanation: "Some keys allow only a few values (`lockBehavior: sequential | runLatest`, `workspace.clean: outputs | resources | all`), a boolean (`true`, `false`, and the spellings `yes`, `no`, `on`, `off`, `y`, `n` the service also accepts), a whole number (`timeoutInMinutes`, `fetchDepth`, `retryCountOnTaskFailure`, `maxParallel`), or a name made of letters, digits and `_` (step names). Anything else fails when the pipeline is queued. A value close to an allowed one gets it as a fix. Values with `${{ }}`, `$[ ]` or `$( )` are never checked.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/pipeline"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    super::structure_findings(ctx, &RULE, IssueKind::InvalidValue, out);
}
