//! `wrong-type`: value of the wrong kind, from the structure walk (`analysis::structure`).

use crate::analysis::structure::IssueKind;
use crate::analysis::{Context, Docs, Finding, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "wrong-type",
    summary: "value of the wrong kind (a mapping where a list belongs, `trigger: true`)",
    explanation: "Each key takes a scalar, a list or a mapping, sometimes several: `steps:` takes a list of steps, `trigger:` takes `none`, a list of branches or a mapping, `pool:` a name or a mapping. A value of another kind is rejected when the pipeline is queued. The message says in one phrase what the key takes. Values with `${{ }}`, `$[ ]` or `$( )` are never checked: they are decided later.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/pipeline"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    super::structure_findings(ctx, &RULE, IssueKind::WrongType, out);
}
