//! `dependency-cycle`: stages, or jobs of one stage, whose `dependsOn` form a cycle.

use crate::analysis::{Context, Docs, Finding, Related, Rule, Severity};
use std::collections::VecDeque;

pub static RULE: Rule = Rule {
    id: "dependency-cycle",
    summary: "stages or jobs that depend on each other in a cycle",
    explanation: "A stage waits for the stages its `dependsOn` names, and a job for the jobs of its stage. When the names go round in a cycle (`A` needs `B`, `B` needs `A`, or `A` needs itself) none of them can start, and the service rejects the pipeline. Each cycle is reported once, on the first of its stages or jobs, naming the whole cycle.",
    default_severity: Severity::Error,
    docs: Docs::Page(
        "https://learn.microsoft.com/azure/devops/pipelines/process/stages#specify-dependencies",
    ),
};

/// Larger scopes are not searched: no pipeline has that many stages or jobs in one place,
/// and the search is quadratic.
const MAX_ITEMS: usize = 2000;

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for scope in ctx.stages_and_jobs().scopes() {
        let n = scope.items.len();
        if n > MAX_ITEMS {
            continue;
        }
        let index = |name: &str| {
            scope.items.iter().position(|i| {
                i.id.as_ref()
                    .is_some_and(|id| id.text.eq_ignore_ascii_case(name))
            })
        };
        // Edges: item -> (the item it waits for, the name's span).
        let edges: Vec<Vec<(usize, &crate::text::Span)>> = scope
            .items
            .iter()
            .map(|i| {
                i.depends_on
                    .iter()
                    .filter_map(|d| Some((index(&d.text)?, &d.span)))
                    .collect()
            })
            .collect();
        let mut in_cycle = vec![false; n];
        for start in 0..n {
            if in_cycle[start] {
                continue;
            }
            let Some(path) = cycle_through(&edges, start) else {
                continue;
            };
            if path.iter().any(|&i| in_cycle[i]) {
                continue;
            }
            path.iter().for_each(|&i| in_cycle[i] = true);
            let name = |i: usize| {
                scope.items[i]
                    .id
                    .as_ref()
                    .map_or(String::new(), |id| id.text.clone())
            };
            let mut names: Vec<String> = path.iter().map(|&i| name(i)).collect();
            names.push(name(start));
            let word = if scope.stage.is_none() && scope.what() == "stage" {
                "stages"
            } else {
                "jobs"
            };
            let next = path.get(1).copied().unwrap_or(start);
            let span = edges[start]
                .iter()
                .find(|(to, _)| *to == next)
                .map(|(_, s)| (*s).clone())
                .expect("the cycle leaves its start by one of its edges");
            let message = if path.len() == 1 {
                format!("\"{}\" depends on itself, so it can never start", names[0])
            } else {
                format!(
                    "{word} {} depend on each other in a cycle, so none of them can start",
                    names
                        .iter()
                        .map(|n| format!("\"{n}\""))
                        .collect::<Vec<_>>()
                        .join(" → ")
                )
            };
            let mut finding = ctx.finding(&RULE, span, message);
            for &i in &path[1..] {
                let (to, s) = edges[i]
                    .iter()
                    .find(|(to, _)| path.contains(to))
                    .expect("every item of the cycle points into it");
                finding.related.push(Related {
                    span: (*s).clone(),
                    label: format!("the dependsOn of \"{}\" (on \"{}\")", name(i), name(*to)),
                });
            }
            out.push(finding);
        }
    }
}

/// The shortest cycle through `start`, as the items from `start` on (breadth first, so
/// the path is the shortest; each item is visited once).
fn cycle_through(edges: &[Vec<(usize, &crate::text::Span)>], start: usize) -> Option<Vec<usize>> {
    let mut from = vec![usize::MAX; edges.len()];
    let mut queue = VecDeque::new();
    for &(to, _) in &edges[start] {
        if to == start {
            return Some(vec![start]);
        }
        if from[to] == usize::MAX {
            from[to] = start;
            queue.push_back(to);
        }
    }
    while let Some(at) = queue.pop_front() {
        for &(to, _) in &edges[at] {
            if to == start {
                let mut path = vec![at];
                let mut back = at;
                while from[back] != start {
                    back = from[back];
                    path.push(back);
                }
                path.push(start);
                path.reverse();
                return Some(path);
            }
            if from[to] == usize::MAX {
                from[to] = at;
                queue.push_back(to);
            }
        }
    }
    None
}
