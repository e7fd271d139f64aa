//! Whether rewriting a step from one task version to another (`AzureFileCopy@4` ->
//! `AzureFileCopy@6`) is a pure version bump, judged from the catalog's inputs.
//!
//! A plan is conservative in one direction only: it never claims an input must be added unless
//! the target's visibility rule is known to hold, because a wrong "add" would push users to
//! write inputs the task then ignores.

use std::collections::HashSet;

use super::catalog::{CatalogInput, CatalogTask, catalog};
use super::visible_rule::RuleValue;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MigrationPlan {
    /// True iff `rename`, `drop`, `add` and `retype` are all empty (and both versions are known).
    pub safe: bool,
    /// (key as the step writes it, canonical name in the target) for inputs the target has
    /// under another name with the same label and type.
    pub rename: Vec<(String, String)>,
    /// Keys the step sets that the target version doesn't have.
    pub drop: Vec<String>,
    /// Canonical names of target inputs that are required, visible for the step's values,
    /// have no default, and the step doesn't set.
    pub add: Vec<String>,
    /// Either version is missing from the catalog: nothing can be said, so not safe.
    pub unknown_catalog: bool,
    /// (key as written, type in the source, type in the target) for service-connection inputs
    /// the step sets whose connection type changed (PublishToAzureServiceBus@1 -> @2:
    /// `connectedService:AzureServiceBus` -> `connectedService:AzureRM`): the key still exists,
    /// but the connection it names must be replaced. Non-empty makes the plan unsafe.
    pub retype: Vec<(String, String, String)>,
    /// The step's inputs could not be read (an expression): not safe, say so.
    pub unreadable_inputs: bool,
}

/// `set` = the step's inputs as (key as written, scalar value if plain text).
pub fn plan_migration(
    from: (&str, u32),
    to: (&str, u32),
    set: &[(String, Option<String>)],
) -> MigrationPlan {
    let cat = catalog();
    let (Some(src), Some(dst)) = (cat.task(from.0, from.1), cat.task(to.0, to.1)) else {
        return MigrationPlan {
            unknown_catalog: true,
            ..MigrationPlan::default()
        };
    };
    plan(src, dst, set)
}

fn plan(src: &CatalogTask, dst: &CatalogTask, set: &[(String, Option<String>)]) -> MigrationPlan {
    let mut plan = MigrationPlan::default();
    // Target inputs the step provides (by canonical name), with the value it gives them.
    let mut given: Vec<(&CatalogInput, Option<&str>)> = Vec::new();
    let mut taken: HashSet<&str> = HashSet::new();
    for (key, value) in set {
        if let Some(i) = dst.input(key) {
            given.push((i, value.as_deref()));
            taken.insert(&i.name);
            if let Some(old) = src.input(key) {
                let connection = old.connection_type().is_some() || i.connection_type().is_some();
                if connection && !old.kind.eq_ignore_ascii_case(&i.kind) {
                    plan.retype
                        .push((key.clone(), old.kind.clone(), i.kind.clone()));
                }
            }
        }
    }
    for (key, value) in set {
        if dst.input(key).is_some() {
            continue;
        }
        // Renamed: same label and type, and neither the target input nor any of its spellings
        // exists in the source version (otherwise it is a different input, not a new name).
        let renamed = src.input(key).and_then(|old| {
            // The same input, but the target dropped the alias the step uses
            // (Kubernetes@0 `kubernetesServiceConnection` -> @1 `kubernetesServiceEndpoint`).
            if let Some(same) = dst
                .input(&old.name)
                .filter(|n| !taken.contains(n.name.as_str()))
            {
                return Some(same);
            }
            dst.inputs.iter().find(|new| {
                !taken.contains(new.name.as_str())
                    && !new.label.is_empty()
                    && new.label == old.label
                    && new.kind == old.kind
                    && src.input(&new.name).is_none()
                    && new.aliases.iter().all(|a| src.input(a).is_none())
            })
        });
        match renamed {
            Some(new) => {
                plan.rename.push((key.clone(), new.name.clone()));
                given.push((new, value.as_deref()));
                taken.insert(&new.name);
            }
            None => plan.drop.push(key.clone()),
        }
    }
    let rule_value = |v: &Option<&str>| match v {
        Some(v) if !is_runtime_expression(v) => RuleValue::Known((*v).to_string()),
        _ => RuleValue::Unknown,
    };
    // Which inputs apply, as the new version reads the step (renames included) and as the
    // old one did; unset inputs take their defaults.
    let dst_given = |input: &CatalogInput| {
        given
            .iter()
            .find(|(i, _)| std::ptr::eq(*i, input))
            .map(|(_, v)| rule_value(v))
    };
    let dst_shown = dst.visibility_of(&dst_given, true);
    let src_given = |input: &CatalogInput| {
        set.iter()
            .find(|(k, _)| input.accepts(k))
            .map(|(_, v)| rule_value(&v.as_deref()))
    };
    let src_shown = src.visibility_of(&src_given, true);
    for (n, input) in dst.inputs.iter().enumerate() {
        if !input.required || input.default.is_some() || taken.contains(input.name.as_str()) {
            continue;
        }
        // An input the old version required as well was missing before the move too:
        // the move doesn't make the step any worse, so it is not the fix's to add.
        let required_before = src.inputs.iter().enumerate().any(|(o_n, o)| {
            o.required
                && o.default.is_none()
                && (o.accepts(&input.name) || input.aliases.iter().any(|a| o.accepts(a)))
                && src_shown.of(o_n) == Some(true)
        });
        // Unknown visibility (runtime values, unfamiliar syntax) is not a reason to add.
        if !required_before && dst_shown.of(n) == Some(true) {
            plan.add.push(input.name.clone());
        }
    }
    plan.safe = plan.rename.is_empty()
        && plan.drop.is_empty()
        && plan.add.is_empty()
        && plan.retype.is_empty();
    plan
}

/// Values only known at run time: macros `$(x)`, template expressions `${{ }}`, runtime `$[ ]`.
fn is_runtime_expression(v: &str) -> bool {
    v.contains("$(") || v.contains("${{") || v.contains("$[")
}
