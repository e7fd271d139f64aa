//! The tasks of an expanded pipeline that come from templates, with the Azure Resource
//! Manager service connection each one ends up with and the calls that brought it in.
//!
//! A task in a template usually takes its connection from its caller
//! (`azureSubscription: ${{ parameters.serviceConnection }}`), so the template alone
//! cannot say which connection a workload identity finding on it is about. The expansion
//! can: the value is literal there, `$(variables)` are resolved from the pipeline, stage and
//! job that hold the step, and every item knows the call chain it came through.

use super::{Expansion, Node, Origin, Value};
use crate::analysis::Finding;
use crate::knowledge;
use crate::text::Span;
use std::path::{Path, PathBuf};

/// Where a template was called: a file of the expansion and the `template:` value there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// `None` for a pipeline with no path (an unsaved buffer).
    pub file: Option<PathBuf>,
    pub span: Span,
    /// 0-based.
    pub line: u32,
}

/// A task step that came from a template, with the connection it is run with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracedTask {
    /// The template file holding the step.
    pub file: PathBuf,
    /// The step in that file.
    pub span: Span,
    pub connection: String,
    /// The template calls that brought the step in, outermost (in the pipeline) first.
    pub sites: Vec<Site>,
}

/// How a finding's step is run through one caller: the connection it gets, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Through {
    pub connection: String,
    pub sites: Vec<Site>,
}

/// The most callers one finding lists: a template called from hundreds of pipelines says
/// the first ones.
pub const MAX_THROUGH: usize = 20;

/// Every task step of `x` that comes from a template (not the pipeline itself) and sets an
/// Azure Resource Manager connection, in order.
pub fn traced_tasks(x: &Expansion) -> Vec<TracedTask> {
    let mut out = Vec::new();
    let mut scope = Vec::new();
    walk(x, &x.value, &mut scope, &mut out, 0);
    out
}

/// What the expansions of several files tell about the templates they call. A file that
/// another of them calls is a template, not a pipeline: what its own expansion gives (its
/// defaults, or nothing for a required parameter) is not what runs, so it adds nothing.
#[derive(Default)]
pub struct Callers {
    expanded: Vec<Expanded>,
}

struct Expanded {
    root: Option<PathBuf>,
    /// The templates it calls, at any depth.
    called: Vec<PathBuf>,
    tasks: Vec<TracedTask>,
}

impl Callers {
    /// Adds the expansion of one file (its path is `x.files[0]`).
    pub fn add(&mut self, x: &Expansion) {
        let called = x
            .calls
            .iter()
            .skip(1)
            .filter_map(|c| x.files.get(c.file as usize).cloned().flatten());
        self.expanded.push(Expanded {
            root: x.files.first().cloned().flatten(),
            called: called.collect(),
            tasks: traced_tasks(x),
        });
    }

    pub fn extend(&mut self, other: Callers) {
        self.expanded.extend(other.expanded);
    }

    /// The traced tasks of the files no other file calls.
    pub fn finish(self) -> Vec<TracedTask> {
        let called: std::collections::HashSet<&PathBuf> =
            self.expanded.iter().flat_map(|e| &e.called).collect();
        let mut out = Vec::new();
        for e in &self.expanded {
            if !e.root.as_ref().is_some_and(|r| called.contains(r)) {
                out.extend(e.tasks.iter().cloned());
            }
        }
        out
    }
}

/// How deep the walk looks for steps: expanded pipelines nest a dozen levels; the bound
/// keeps hostile input from taking the stack.
const MAX_WALK: usize = 200;

fn walk<'a>(
    x: &Expansion,
    node: &'a Node,
    scope: &mut Vec<(&'a str, &'a Node)>,
    out: &mut Vec<TracedTask>,
    depth: usize,
) {
    if depth > MAX_WALK {
        return;
    }
    match &node.value {
        Value::Object(pairs) => {
            let outer = scope.len();
            if let Some((_, vars)) = pairs.iter().find(|(k, _)| k == "variables") {
                variables(vars, scope);
            }
            if let Some(task) = task_of(x, node, pairs, scope) {
                out.push(task);
            }
            for (_, v) in pairs {
                walk(x, v, scope, out, depth + 1);
            }
            scope.truncate(outer);
        }
        Value::Array(items) => {
            for item in items {
                walk(x, item, scope, out, depth + 1);
            }
        }
        _ => {}
    }
}

/// The literal variables of a `variables:` value, both forms (a mapping, or a list of
/// `name`/`value` items; groups and templates have no value here).
fn variables<'a>(vars: &'a Node, scope: &mut Vec<(&'a str, &'a Node)>) {
    match &vars.value {
        Value::Object(pairs) => scope.extend(pairs.iter().map(|(k, v)| (k.as_str(), v))),
        Value::Array(items) => {
            for item in items {
                let Value::Object(pairs) = &item.value else {
                    continue;
                };
                let field = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v);
                if let (Some(name), Some(value)) = (field("name"), field("value"))
                    && let Value::String(name, _) = &name.value
                {
                    scope.push((name.as_str(), value));
                }
            }
        }
        _ => {}
    }
}

fn task_of(
    x: &Expansion,
    node: &Node,
    pairs: &[(String, Node)],
    scope: &[(&str, &Node)],
) -> Option<TracedTask> {
    if node.origin.call == 0 {
        return None;
    }
    let field = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let Value::String(reference, _) = &field("task")?.value else {
        return None;
    };
    let (name, version) = reference.trim().split_once('@')?;
    let major = version.split('.').next()?.trim().parse().ok()?;
    let task = knowledge::catalog().task(name.trim(), major)?;
    let Value::Object(inputs) = &field("inputs")?.value else {
        return None;
    };
    let connection = inputs.iter().find_map(|(key, value)| {
        let input = task.input(key)?;
        if input.kind != "connectedService:AzureRM" {
            return None;
        }
        value.value.text()
    })?;
    let connection = resolve(connection.trim(), scope);
    // A required parameter with no value, or a value only the service knows.
    if connection.is_empty() || connection.contains("${{") {
        return None;
    }
    let file = x.files.get(node.origin.file as usize)?.clone()?;
    Some(TracedTask {
        file,
        span: node.origin.span.clone(),
        connection,
        sites: x
            .call_sites(node.origin.call)
            .into_iter()
            .map(|o| site(x, o))
            .collect(),
    })
}

/// `$(name)` as the innermost literal variable of that name (names compare ignoring ASCII
/// case, as the service compares them), else as written.
fn resolve(value: &str, scope: &[(&str, &Node)]) -> String {
    if let Some(name) = value.strip_prefix("$(").and_then(|r| r.strip_suffix(')'))
        && let Some(v) = scope
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            .and_then(|(_, v)| v.value.text())
    {
        return v;
    }
    value.to_string()
}

fn site(x: &Expansion, o: &Origin) -> Site {
    Site {
        file: x.files.get(o.file as usize).cloned().flatten(),
        span: o.span.clone(),
        line: o.line,
    }
}

/// Whether a connection as the template writes it still depends on its caller: unset,
/// a template expression, or a variable the file does not define.
pub fn depends_on_caller(connection: Option<&str>) -> bool {
    connection.is_none_or(|c| c.contains("${{") || c.contains("$("))
}

/// For each finding of the template at `path` about workload identity federation whose
/// step's connection depends on its caller (`direct`, each finding's connection as the
/// file alone tells, see [`depends_on_caller`]): the connections its step is run with by
/// the callers `traced` (from [`traced_tasks`] of their expansions), one per connection and
/// call chain, at most [`MAX_THROUGH`]. Other findings get none.
pub fn through(
    path: &Path,
    findings: &[Finding],
    direct: &[Option<String>],
    traced: &[TracedTask],
) -> Vec<Vec<Through>> {
    let mine: Vec<&TracedTask> = traced.iter().filter(|t| t.file == path).collect();
    findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let from_caller = depends_on_caller(direct.get(i).and_then(Option::as_deref));
            if !f.rule.about_wif() || mine.is_empty() || !from_caller {
                return Vec::new();
            }
            let mut list: Vec<Through> = Vec::new();
            for t in &mine {
                if t.span.start > f.span.start || f.span.end > t.span.end {
                    continue;
                }
                let item = Through {
                    connection: t.connection.clone(),
                    sites: t.sites.clone(),
                };
                if !list.contains(&item) && list.len() < MAX_THROUGH {
                    list.push(item);
                }
            }
            list
        })
        .collect()
}

/// The words a finding's message gains: each connection its step runs with and the call
/// that passes it (through the nested calls, if any), e.g.
/// ` (run with service connection "prod-sc" passed by ci.yml:12 via jobs.yml:9)`.
pub fn describe(through: &[Through], name: impl Fn(&Site) -> String) -> String {
    if through.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = through
        .iter()
        .map(|t| {
            let mut sites = t.sites.iter().map(&name);
            let first = sites.next().unwrap_or_default();
            let mut part = format!("\"{}\" passed by {first}", t.connection);
            for via in sites {
                part.push_str(" via ");
                part.push_str(&via);
            }
            part
        })
        .collect();
    let noun = if through.len() == 1 {
        "service connection"
    } else {
        "service connections"
    };
    format!(" (run with {noun} {})", parts.join("; "))
}
