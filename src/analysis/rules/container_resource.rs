//! `wif-container-resource`: a container resource pulled from Azure Container Registry
//! with `azureSubscription`, which the 2024-02-08 document says can't use a workload
//! identity federation service connection. Later documents dropped that limitation, so
//! with them only the hover tells the history.

use crate::analysis::{Context, Docs, Finding, Related, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "wif-container-resource",
    summary: "container resource that uses azureSubscription, unsupported for workload identity federation in the 2024-02-08 table",
    explanation: "The 2024-02-08 document says that container resources pulled from Azure \
Container Registry do not support a workload identity federation service connection given in \
`azureSubscription`. Newer versions of the document no longer list that limitation, so the rule \
fires only when that table is selected (`wif.table = \"2024-02-08\"`).",
    default_severity: Severity::Warning,
    docs: Docs::Troubleshoot(
        "i-use-a-container-resource-that-specifies-an-instance-of-azure-container-registry",
    ),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    let table = ctx.knowledge.table(ctx.config.table);
    if !table.container_resource_acr_unsupported {
        return;
    }
    for container in &ctx.model.containers {
        let Some((key, _)) = &container.azure_subscription else {
            continue;
        };
        let name = container.name.as_deref().unwrap_or("(unnamed)");
        let mut finding = ctx.finding(
            &RULE,
            key.clone(),
            format!(
                "container resource \"{name}\" pulls with \"azureSubscription\", which does not support a workload identity federation service connection as of {}; keep a service connection that uses a secret for it{}",
                table.date,
                newer_note(ctx)
            ),
        );
        finding.related.push(Related {
            span: container.span.clone(),
            label: format!("container resource \"{name}\""),
        });
        out.push(finding);
    }
}

/// Points at the newest table when it no longer lists the limitation.
fn newer_note(ctx: &Context) -> String {
    let newest = ctx.knowledge.table(ctx.knowledge.newest());
    if newest.container_resource_acr_unsupported {
        String::new()
    } else {
        format!(
            " (the {} document no longer lists this limitation)",
            newest.date
        )
    }
}
