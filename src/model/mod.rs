//! The pipeline seen through the syntax tree: task steps (name, version, inputs) and
//! container resources, every value with its byte span.
//!
//! A step is any mapping with a scalar `task:` key that is an item of a sequence, however
//! it got there: `steps:` of a pipeline, a job, a deployment strategy hook, an
//! `${{ if }}`/`${{ each }}` insertion, a step template, or a `stepList` parameter's
//! default. That is deliberately structural rather than a fixed list of paths, so new
//! nesting schemes need no code. Documents that are clearly something else (Kubernetes
//! manifests, GitHub workflows and actions, docker-compose files) yield nothing.

pub mod lines;
pub mod pipeline;
mod recover;
pub mod yaml;

use crate::document::{Changes, Document, Edited};
use crate::syntax;
use crate::text::Span;
use ropey::Rope;
use tree_sitter::{Node, QueryCursor, StreamingIterator};
use yaml::Scalar;

/// What the model found in one document.
#[derive(Clone, Debug, Default)]
pub struct Model {
    /// The task steps of the pipeline documents, in document order.
    pub steps: Vec<TaskStep>,
    pub containers: Vec<ContainerResource>,
    /// Steps inside documents that are not pipelines, kept so that an edit that makes
    /// such a document a pipeline again (deleting `apiVersion:`, say) brings them back.
    hidden: Vec<TaskStep>,
    /// Built from a tree with errors: recovered steps come from fragments, which edits
    /// can't be mapped through, so the next update rebuilds.
    from_errors: bool,
    /// For files past the grammar's row limit: the segments the steps were read from.
    segments: Vec<recover::Segment>,
    /// The rest of the pipeline's structure, read on first use (the outline, folding,
    /// names for completion and hover) and dropped by the next update.
    pipeline: std::sync::OnceLock<std::sync::Arc<pipeline::Pipeline>>,
    /// The stages and jobs alone ([`pipeline::stages_and_jobs`]), for the rules about
    /// their names: kept up to date on every edit, by shifting positions when the edits
    /// fall inside values it never reads (steps, pools, variables …).
    stages_and_jobs: std::sync::Arc<pipeline::Pipeline>,
}

/// A `- task: Name@N` step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskStep {
    /// The whole step mapping.
    pub span: Span,
    /// The `task` key.
    pub key: Span,
    /// The value as written (quotes removed).
    pub value: Scalar,
    pub reference: TaskRef,
    pub display_name: Option<String>,
    /// The `inputs:` key, when present.
    pub inputs_key: Option<Span>,
    pub inputs: Vec<Input>,
    /// False when `inputs:` is not a mapping azpls can read (`${{ parameters.inputs }}`):
    /// then `inputs` is not the whole story.
    pub inputs_readable: bool,
    /// The analysis's hash of this step, once it has been asked for.
    pub hashed: Hashed,
}

/// A hash of a step that holds while the step only moves: it is taken with the step's
/// spans made relative to its start, and the model changes a step it keeps in no other
/// way (a step whose text changes is read anew). Kept with the step, it spares hashing
/// every step of the document on every keystroke. It is no part of what the step is: two
/// steps are equal whatever each has hashed.
#[derive(Clone, Debug, Default)]
pub struct Hashed(std::sync::OnceLock<u128>);

impl Hashed {
    /// The hash, taken by `hash` the first time.
    pub fn get_or_init(&self, hash: impl FnOnce() -> u128) -> u128 {
        *self.0.get_or_init(hash)
    }
}

impl PartialEq for Hashed {
    fn eq(&self, _: &Hashed) -> bool {
        true
    }
}

impl Eq for Hashed {}

/// What a `task:` value names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskRef {
    /// `Name@N` (or `Name` with no version), with the exact spans of both parts.
    Named {
        name: String,
        name_span: Span,
        /// The major version, when the text after `@` starts with digits.
        major: Option<u32>,
        /// The digits of the major version.
        version_span: Option<Span>,
    },
    /// A template expression (`${{ parameters.task }}`, `$(task)`): not ours to judge.
    Expression,
    /// Escaped or otherwise unusual text whose spans can't be trusted.
    Unreadable,
}

impl TaskRef {
    pub fn name(&self) -> Option<&str> {
        match self {
            TaskRef::Named { name, .. } => Some(name),
            _ => None,
        }
    }

    /// The name and major version, when the reference has both.
    pub fn versioned(&self) -> Option<(&str, u32)> {
        match self {
            TaskRef::Named {
                name,
                major: Some(major),
                ..
            } => Some((name, *major)),
            _ => None,
        }
    }

    /// Marketplace tasks are named `publisher.extension.Task`.
    pub fn is_marketplace(&self) -> bool {
        self.name().is_some_and(|n| n.contains('.'))
    }
}

/// One `key: value` under a step's `inputs:`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub name: String,
    pub key: Span,
    /// The value, when it is a scalar.
    pub value: Option<Scalar>,
}

impl TaskStep {
    /// Moves every span by `delta` bytes (for steps read from a fragment of the text).
    fn shift(&mut self, delta: usize) {
        self.shift_by(delta as isize);
    }

    /// Moves every span by `delta` bytes, either way.
    fn shift_by(&mut self, delta: isize) {
        let at = |x: usize| (x as isize + delta) as usize;
        let move_span = |s: &mut Span| *s = at(s.start)..at(s.end);
        move_span(&mut self.span);
        move_span(&mut self.key);
        move_span(&mut self.value.span);
        if let TaskRef::Named {
            name_span,
            version_span,
            ..
        } = &mut self.reference
        {
            move_span(name_span);
            if let Some(v) = version_span {
                move_span(v);
            }
        }
        if let Some(k) = &mut self.inputs_key {
            move_span(k);
        }
        for input in &mut self.inputs {
            move_span(&mut input.key);
            if let Some(v) = &mut input.value {
                move_span(&mut v.span);
            }
        }
    }

    /// The input set under `key` (case-insensitive, as Azure Pipelines reads input names).
    pub fn input(&self, key: &str) -> Option<&Input> {
        self.inputs
            .iter()
            .find(|i| i.name.eq_ignore_ascii_case(key))
    }

    /// How the step is called in messages: its displayName, else its task value.
    pub fn label(&self) -> String {
        match &self.display_name {
            Some(name) => format!("step \"{name}\""),
            None => format!("step \"{}\"", self.value.text),
        }
    }
}

/// An item of `resources.containers`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerResource {
    pub span: Span,
    /// The `container:` alias.
    pub name: Option<String>,
    pub image: Option<String>,
    /// The `azureSubscription` key and its value.
    pub azure_subscription: Option<(Span, Option<Scalar>)>,
}

impl Model {
    /// This model with only `steps` (a subset of its own, in span order), for analysing
    /// the steps not seen before: container resources and stages and jobs stay.
    pub fn with_steps(&self, steps: Vec<TaskStep>) -> Model {
        Model {
            steps,
            containers: self.containers.clone(),
            stages_and_jobs: self.stages_and_jobs.clone(),
            ..Model::default()
        }
    }
}

impl Model {
    /// The stages, jobs and deployments of the document this model was built or last
    /// updated from.
    pub fn stages_and_jobs(&self) -> &pipeline::Pipeline {
        &self.stages_and_jobs
    }

    /// The pipeline's structure (stages, jobs, hooks, steps, templates, parameters,
    /// variables, resources, lines) of `doc`, the document this model was built or last
    /// updated from: read once per version, however many features ask.
    pub fn pipeline(&self, doc: &Document) -> &pipeline::Pipeline {
        self.pipeline
            .get_or_init(|| std::sync::Arc::new(pipeline::build(doc)))
    }
}

/// Forgets the fragments the model read around syntax errors, kept between calls so a
/// broken file costs less per keystroke (when no open document needs them any more).
pub fn forget_cached() {
    recover::forget_cached();
}

/// Reads the model out of a document.
pub fn build(doc: &Document) -> Model {
    let rope = doc.rope();
    let root = doc.tree().root_node();
    let from_errors = root.has_error();
    let mut segments = Vec::new();
    let steps = if from_errors && rope.len_lines() > recover::GRAMMAR_ROW_LIMIT {
        // Past the grammar's row limit the tree is one error: read the file in segments.
        recover::segmented(rope, &mut segments)
    } else {
        let mut steps = tree_steps(doc);
        if from_errors {
            recover::steps(rope, &mut steps);
        }
        steps
    };
    // Recovery keeps span order too, as `update` does.
    let mut model = Model {
        steps,
        from_errors,
        segments,
        stages_and_jobs: std::sync::Arc::new(pipeline::stages_and_jobs(doc)),
        ..Model::default()
    };
    model.finish(doc);
    model
}

/// The steps the tree shows, without reading around errors (also used for fragments),
/// in span order.
fn tree_steps(doc: &Document) -> Vec<TaskStep> {
    let rope = doc.rope();
    let mut steps = Vec::new();
    walk_task_pairs(
        rope,
        doc.tree().root_node(),
        Vec::new(),
        &mut |pair, mapping| {
            if let Some(step) = step(rope, pair, mapping) {
                steps.push(step);
            }
        },
    );
    steps.sort_by_key(|s| s.span.start);
    steps
}

impl Model {
    /// Brings the model up to date after `changes`, re-reading only the steps the
    /// changes touch: cached steps before an edit stay, steps after it move by the
    /// edit's length, and the steps around each edited or restructured range are read
    /// again from the new tree. Falls back to [`build`] when nothing can be reused.
    /// The result always equals `build(doc)` (a property test checks it).
    pub fn update(&mut self, doc: &Document, changes: &Changes) {
        self.pipeline = Default::default();
        let root = doc.tree().root_node();
        let stages_and_jobs = if doc.refusal().is_some() || root.has_error() {
            pipeline::Pipeline::default()
        } else {
            self.stages_and_jobs
                .shifted(changes)
                .unwrap_or_else(|| pipeline::stages_and_jobs(doc))
        };
        let stages_and_jobs = std::sync::Arc::new(stages_and_jobs);
        self.update_steps(doc, changes);
        self.stages_and_jobs = stages_and_jobs;
    }

    fn update_steps(&mut self, doc: &Document, changes: &Changes) {
        let root = doc.tree().root_node();
        // Steps recovered around syntax errors come from fragments whose extent depends
        // on lines far from an edit; rebuilding while errors are present keeps the
        // result exactly that of `build` (an incremental variant failed the property test).
        let segmented = !self.segments.is_empty()
            && root.has_error()
            && doc.rope().len_lines() > recover::GRAMMAR_ROW_LIMIT;
        if segmented && !changes.full {
            let mut steps = std::mem::take(&mut self.steps);
            if !self.hidden.is_empty() {
                steps.append(&mut self.hidden);
                steps.sort_by_key(|s| s.span.start);
            }
            recover::resegment(doc.rope(), changes, &mut self.segments, &mut steps);
            self.steps = steps;
            self.finish(doc);
            return;
        }
        if changes.full || self.from_errors || root.has_error() {
            *self = build(doc);
            return;
        }
        if changes.edits.is_empty() && changes.changed.is_empty() {
            return;
        }
        let rope = doc.rope();
        let mut steps = std::mem::take(&mut self.steps);
        if !self.hidden.is_empty() {
            steps.append(&mut self.hidden);
            steps.sort_by_key(|s| s.span.start);
        }

        // Map the cached steps through the edits; what an edit touches is dirty.
        let mut dirty: Vec<Span> = Vec::new();
        for e in &changes.edits {
            for d in dirty.iter_mut() {
                *d = map_range(d, e);
            }
            steps.retain_mut(|s| {
                if s.span.end < e.start {
                    true
                } else if s.span.start > e.old_end {
                    s.shift_by(e.new_end as isize - e.old_end as isize);
                    true
                } else {
                    dirty.push(map_range(&s.span, e));
                    false
                }
            });
            dirty.push(e.start..e.new_end);
        }
        // Steps whose structure changed are dirty too.
        steps.retain(|s| {
            let touched = changes
                .changed
                .iter()
                .any(|r| r.start <= s.span.end && s.span.start <= r.end);
            if touched {
                dirty.push(s.span.clone());
            }
            !touched
        });
        dirty.extend(changes.changed.iter().cloned());

        // Read each dirty region again: the step around it if there is one, else the
        // smallest node that covers it.
        let len = rope.len_bytes();
        for d in &dirty {
            let (start, end) = (d.start.min(len), d.end.min(len));
            let mut ancestors = syntax::path_to(root, start, end);
            let Some(node) = ancestors.pop() else {
                continue;
            };
            // The outermost step around the region, or the node itself.
            let scope_at = (0..ancestors.len()).find(|&i| {
                let n = ancestors[i];
                yaml::is_mapping(n)
                    && i >= 2
                    && item_of_sequence(ancestors[i - 2], ancestors[i - 1])
                    && yaml::get(rope, n, "task").is_some()
            });
            let (scope, scope_ancestors) = match scope_at {
                Some(i) => (ancestors[i], ancestors[..i].to_vec()),
                None => (node, ancestors),
            };
            let range = scope.byte_range();
            steps.retain(|s| {
                !(range.start <= s.span.start && s.span.start < range.end.max(range.start + 1))
            });
            walk_task_pairs(rope, scope, scope_ancestors, &mut |pair, mapping| {
                if let Some(step) = step(rope, pair, mapping) {
                    steps.push(step);
                }
            });
        }
        steps.sort_by_key(|s| s.span.start);
        steps.dedup_by_key(|s| s.span.start);
        self.steps = steps;
        self.finish(doc);
    }

    /// Sets aside the steps of non-pipeline documents and reads the container resources
    /// (a few top-level keys: cheaper to read again than to track).
    fn finish(&mut self, doc: &Document) {
        let rope = doc.rope();
        let root = doc.tree().root_node();
        let foreign = foreign_of(doc);
        let in_foreign = |at: usize| foreign.iter().any(|r| r.contains(&at));
        if !foreign.is_empty() {
            let (hidden, steps) = std::mem::take(&mut self.steps)
                .into_iter()
                .partition(|s| in_foreign(s.span.start));
            self.hidden = hidden;
            self.steps = steps;
        }
        self.containers.clear();
        let mut cursor = root.walk();
        for document in root.named_children(&mut cursor) {
            if document.kind() != "document" || in_foreign(document.start_byte()) {
                continue;
            }
            if let Some(mapping) = document_mapping(document) {
                collect_containers(rope, mapping, &mut self.containers);
            }
        }
    }
}

/// Where a range of the text before an edit lies after it (widened to cover the edit
/// when they touch).
fn map_range(r: &Span, e: &Edited) -> Span {
    let shift = |x: usize| (x as isize + e.new_end as isize - e.old_end as isize) as usize;
    if r.end < e.start {
        r.clone()
    } else if r.start > e.old_end {
        shift(r.start)..shift(r.end)
    } else {
        let end = if r.end > e.old_end {
            shift(r.end)
        } else {
            e.new_end
        };
        r.start.min(e.start)..end.max(e.new_end)
    }
}

/// The top-level mapping of each `---` document in the stream (documents whose root is
/// not a mapping are left out).
pub fn document_mappings(root: Node) -> Vec<Node> {
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .filter(|d| d.kind() == "document")
        .filter_map(document_mapping)
        .collect()
}

pub(crate) fn document_mapping(document: Node) -> Option<Node> {
    let mut cursor = document.walk();
    let body = document
        .named_children(&mut cursor)
        .find(|c| matches!(c.kind(), "block_node" | "flow_node"))?;
    yaml::content(body).filter(|n| yaml::is_mapping(*n))
}

/// Calls `found` with every `task:` pair under `root`, in document order.
///
/// This is the hot path of every keystroke, so it is a hand-written cursor walk rather
/// than a query: it descends only into nodes that can hold mappings (never into
/// scalars, comments or block scalars) and compares kind ids and key bytes, which makes
/// it several times faster than `queries/tasks.scm` over a whole document. The query
/// serves point lookups (hover), where a byte range keeps it cheap; a test checks that
/// both find the same pairs.
fn walk_task_pairs<'t>(
    rope: &Rope,
    root: Node<'t>,
    ancestors: Vec<Node<'t>>,
    found: &mut impl FnMut(Node<'t>, Node<'t>),
) {
    walk_pairs(rope, root, ancestors, is_task_key, &mut |pair, stack| {
        if let [.., item, wrapper, mapping] = stack[..]
            && item_of_sequence(item, wrapper)
        {
            found(pair, mapping);
        }
    });
}

/// Calls `found` with every mapping pair under `root` whose key `wanted` accepts, and
/// the pair's ancestors (outermost first, `ancestors` of `root` included), in document
/// order. One cursor and an explicit stack: no recursion, and no `Node::parent` (a
/// search from the root in tree-sitter), so the cost is linear in the nodes visited.
pub fn walk_pairs<'t>(
    rope: &Rope,
    root: Node<'t>,
    ancestors: Vec<Node<'t>>,
    wanted: impl Fn(&Rope, Node) -> bool,
    found: &mut impl FnMut(Node<'t>, &[Node<'t>]),
) {
    let kinds = syntax::kinds();
    syntax::preorder(root, ancestors, |node, stack| {
        let id = node.kind_id();
        if id == kinds.block_mapping_pair || id == kinds.flow_pair {
            if let Some(key) = node.child_by_field_name("key")
                && wanted(rope, key)
            {
                found(node, stack);
            }
            true
        } else {
            kinds.is_container(id)
        }
    });
}

/// Is this key `task`, `"task"` or `'task'`? Compares bytes without allocating.
fn is_task_key(rope: &Rope, key: Node) -> bool {
    let range = key.byte_range();
    let bytes = |r: std::ops::Range<usize>| rope.byte_slice(r).bytes().eq(b"task".iter().copied());
    match range.len() {
        4 => bytes(range),
        6 => {
            let first = rope.byte(range.start);
            let last = rope.byte(range.end - 1);
            (first == b'"' || first == b'\'')
                && first == last
                && bytes(range.start + 1..range.end - 1)
        }
        _ => false,
    }
}

/// The step around a byte offset, found with `queries/tasks.scm` restricted to the
/// enclosing sequence item, without building the whole model.
pub fn step_at(doc: &Document, offset: usize) -> Option<TaskStep> {
    let rope = doc.rope();
    let root = doc.tree().root_node();
    let path = syntax::path_to(root, offset, offset);
    // The nearest enclosing mapping that is a sequence item with a task key.
    let item = (2..path.len())
        .rev()
        .map(|i| (i, path[i]))
        .find_map(|(i, node)| {
            (yaml::is_mapping(node)
                && item_of_sequence(path[i - 2], path[i - 1])
                && yaml::get(rope, node, "task").is_some())
            .then_some(node)
        })?;
    let foreign = foreign_documents(rope, root);
    if foreign.iter().any(|r| r.contains(&item.start_byte())) {
        return None;
    }
    let queries = syntax::queries();
    let mut cursor = QueryCursor::new();
    cursor.set_byte_range(item.byte_range());
    // Only the item's own pairs (its children), not those of steps nested in it.
    cursor.set_max_start_depth(Some(1));
    let mut matches = cursor.matches(&queries.tasks, item, syntax::RopeText(rope));
    while let Some(m) = matches.next() {
        if let Some(capture) = m.captures.iter().find(|c| c.index == queries.tasks_pair) {
            return step(rope, capture.node, item);
        }
    }
    None
}

/// [`foreign_documents`] of a document, found once per version of its text.
pub fn foreign_of(doc: &Document) -> &[Span] {
    doc.foreign_cache()
        .get_or_init(|| foreign_documents(doc.rope(), doc.tree().root_node()))
}

/// Byte ranges of the documents in the stream that are not pipelines (Kubernetes
/// manifests, GitHub workflows, docker-compose files), which no rule reports on.
pub fn foreign_documents(rope: &Rope, root: Node) -> Vec<Span> {
    if root.has_error() {
        return foreign_sections_by_text(rope);
    }
    let mut cursor = root.walk();
    root.named_children(&mut cursor)
        .filter(|d| d.kind() == "document")
        .filter(|d| {
            document_mapping(*d).is_some_and(|m| {
                let keys: Vec<String> = yaml::pairs(m)
                    .filter_map(|(k, _)| yaml::key_text(rope, k))
                    .collect();
                foreign_kind(&keys).is_some()
            })
        })
        .map(|d| d.byte_range())
        .collect()
}

/// With syntax errors the tree may not show the top-level keys: read them as text, the
/// unindented `key:` lines of each `---` section. A quick search first, since only a
/// few keys can make a document foreign.
fn foreign_sections_by_text(rope: &Rope) -> Vec<Span> {
    let keys = ["apiVersion:", "on:", "services:", "runs:"];
    let first = syntax::slice_text(rope.line(0));
    let first = first.trim_start_matches('\u{feff}');
    let unindented =
        |k: &&str| first.starts_with(*k) || crate::text::contains(rope, &format!("\n{k}"));
    if !keys.iter().any(unindented) {
        return Vec::new();
    }
    let mut sections = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    let mut close = |keys: &mut Vec<String>, start: usize, end: usize| {
        if foreign_kind(keys).is_some() {
            sections.push(start..end);
        }
        keys.clear();
    };
    for line in rope.lines() {
        let len = line.len_bytes();
        let text = syntax::slice_text(line);
        let text = text.trim_start_matches('\u{feff}');
        if text.starts_with("---") {
            close(&mut keys, start, offset);
            start = offset;
        } else if let Some((key, _)) = text.split_once(':')
            && !key.is_empty()
            && !key.starts_with([' ', '\t', '#', '-', '{', '['])
        {
            keys.push(key.trim_matches(['"', '\'']).to_string());
        }
        offset += len;
    }
    close(&mut keys, start, offset);
    sections
}

/// Top-level keys only a pipeline (or a pipeline template) has: what tells a pipeline from
/// other YAML, for `check`'s discovery, the structure rules and [`foreign_kind`].
pub const PIPELINE_KEYS: &[&str] = &[
    "stages",
    "jobs",
    "steps",
    "extends",
    "trigger",
    "pr",
    "schedules",
    "resources",
    "pool",
    "phases",
];

/// Recognises YAML files that are not Azure Pipelines by their top-level keys.
pub fn foreign_kind(keys: &[String]) -> Option<&'static str> {
    let has = |k: &str| keys.iter().any(|key| key == k);
    if has("apiVersion") && has("kind") {
        Some("Kubernetes manifest")
    } else if has("on") && has("jobs") || has("runs") && has("name") && !has("steps") {
        Some("GitHub workflow or action")
    } else if has("services") && !PIPELINE_KEYS.iter().any(|k| has(k)) {
        Some("docker-compose file")
    } else {
        None
    }
}

/// Builds a step from a `task:` pair and the mapping that holds it (a sequence item).
fn step(rope: &Rope, pair: Node, mapping: Node) -> Option<TaskStep> {
    let key = pair.child_by_field_name("key")?;
    let value = yaml::scalar(rope, pair.child_by_field_name("value")?)?;
    let reference = parse_reference(&value);

    let mut display_name = None;
    let mut inputs_key = None;
    let mut inputs = Vec::new();
    let mut inputs_readable = true;
    for (k, v) in yaml::pairs(mapping) {
        match yaml::key_text(rope, k).as_deref() {
            Some("displayName") => {
                display_name = v.and_then(|v| yaml::scalar(rope, v)).map(|s| s.text);
            }
            Some("inputs") => {
                inputs_key = Some(k.byte_range());
                match v.and_then(yaml::content) {
                    Some(map) if yaml::is_mapping(map) => {
                        inputs_readable = collect_inputs(rope, map, &mut inputs);
                    }
                    // `inputs:` with nothing after it is an empty mapping; anything else
                    // (an expression, a list) can't be read.
                    None => {}
                    Some(_) => inputs_readable = false,
                }
            }
            _ => {}
        }
    }
    Some(TaskStep {
        span: mapping.byte_range(),
        key: key.byte_range(),
        value,
        reference,
        display_name,
        inputs_key,
        inputs,
        inputs_readable,
        hashed: Hashed::default(),
    })
}

/// Inputs, including those inside `${{ if }}` / `${{ else }}` insertions in the inputs
/// mapping. False when some keys can't be known before the run: an `${{ each }}` or
/// `${{ insert }}`, a key that is itself an expression, or a conditional whose body is not a
/// mapping, or conditionals nested deeper than anyone writes them (which also bounds the
/// walk's stack).
fn collect_inputs(rope: &Rope, map: Node, out: &mut Vec<Input>) -> bool {
    collect_inputs_within(rope, map, out, 0)
}

/// Conditionals nested in `inputs:` deeper than this are not read.
const MAX_INPUT_CONDITIONALS: usize = 32;

fn collect_inputs_within(rope: &Rope, map: Node, out: &mut Vec<Input>, depth: usize) -> bool {
    let mut readable = true;
    for (k, v) in yaml::pairs(map) {
        let Some(name) = yaml::key_text(rope, k) else {
            readable = false;
            continue;
        };
        if yaml::is_expression(&name) {
            let inner = v.and_then(yaml::content).filter(|n| yaml::is_mapping(*n));
            match inner {
                Some(inner) if yaml::is_conditional(&name) && depth < MAX_INPUT_CONDITIONALS => {
                    readable &= collect_inputs_within(rope, inner, out, depth + 1);
                }
                _ => readable = false,
            }
            continue;
        }
        out.push(Input {
            name,
            key: k.byte_range(),
            value: v.and_then(|v| yaml::scalar(rope, v)),
        });
    }
    readable
}

/// Given a mapping's parent (`wrapper`) and grandparent (`item`): is it a sequence item?
pub fn item_of_sequence(item: Node, wrapper: Node) -> bool {
    matches!(
        (wrapper.kind(), item.kind()),
        ("block_node" | "flow_node", "block_sequence_item") | ("flow_node", "flow_sequence")
    )
}

/// Splits `Name@N` into exact spans; expressions and escaped text are left alone.
pub fn parse_reference(value: &Scalar) -> TaskRef {
    let text = value.text.as_str();
    if yaml::is_expression(text) {
        return TaskRef::Expression;
    }
    if !value.exact {
        return TaskRef::Unreadable;
    }
    let lead = text.len() - text.trim_start().len();
    let trimmed = text.trim();
    let base = value.span.start + lead;
    let (name, version) = match trimmed.split_once('@') {
        Some((name, version)) => (name, Some((name.len() + 1, version))),
        None => (trimmed, None),
    };
    // `Name @4` or `@ 4` is not a task reference Azure Pipelines reads.
    if name.is_empty() || name.ends_with(char::is_whitespace) {
        return TaskRef::Unreadable;
    }
    let (major, version_span) = match version {
        Some((offset, version)) => {
            let digits = version.len()
                - version
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            let major = version[..digits].parse::<u32>().ok();
            let start = base + offset;
            // Only a plain major version (`@4`) has a token rules may flag and fixes may
            // rewrite; `@4.1.2` or `@0.*` keeps its major for hovers but gets no finding.
            let exact = digits == version.len();
            (
                major,
                major.filter(|_| exact).map(|_| start..start + digits),
            )
        }
        None => (None, None),
    };
    TaskRef::Named {
        name: name.to_string(),
        name_span: base..base + name.len(),
        major,
        version_span,
    }
}

fn collect_containers(rope: &Rope, root: Node, out: &mut Vec<ContainerResource>) {
    let Some(resources) = yaml::get(rope, root, "resources")
        .and_then(|(_, v)| v)
        .and_then(yaml::content)
        .filter(|n| yaml::is_mapping(*n))
    else {
        return;
    };
    let Some(containers) = yaml::get(rope, resources, "containers")
        .and_then(|(_, v)| v)
        .and_then(yaml::content)
        .filter(|n| yaml::is_sequence(*n))
    else {
        return;
    };
    for item in yaml::items(containers).filter(|n| yaml::is_mapping(*n)) {
        let scalar_of = |key: &str| {
            yaml::get(rope, item, key)
                .and_then(|(_, v)| v)
                .and_then(|v| yaml::scalar(rope, v))
                .map(|s| s.text)
        };
        let azure_subscription = yaml::get(rope, item, "azureSubscription")
            .map(|(k, v)| (k.byte_range(), v.and_then(|v| yaml::scalar(rope, v))));
        out.push(ContainerResource {
            span: item.byte_range(),
            name: scalar_of("container"),
            image: scalar_of("image"),
            azure_subscription,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Model {
        build(&Document::new(text, 0))
    }

    fn names(text: &str) -> Vec<String> {
        model(text)
            .steps
            .iter()
            .map(|s| s.value.text.clone())
            .collect()
    }

    #[test]
    fn finds_steps_wherever_they_can_be() {
        let text = "\
stages:
- stage: A
  jobs:
  - job: J
    steps:
    - task: One@1
    - ${{ if eq(parameters.x, true) }}:
      - task: Two@2
  - deployment: D
    strategy:
      runOnce:
        deploy:
          steps:
          - { task: Three@3, displayName: flow }
        on:
          failure:
            steps:
            - task: 'Four@4'
parameters:
- name: extra
  type: stepList
  default:
  - task: \"Five@5\"
";
        assert_eq!(
            names(text),
            ["One@1", "Two@2", "Three@3", "Four@4", "Five@5"]
        );
    }

    #[test]
    fn exact_spans_for_quoted_and_plain_references() {
        let text = "steps:\n- task: \"AzureFileCopy@4\" # c\n- task:   azurefilecopy@12\n";
        let m = model(text);
        let spans: Vec<(&str, &str)> = m
            .steps
            .iter()
            .map(|s| match &s.reference {
                TaskRef::Named {
                    name_span,
                    version_span: Some(v),
                    ..
                } => (&text[name_span.clone()], &text[v.clone()]),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(spans, [("AzureFileCopy", "4"), ("azurefilecopy", "12")]);
    }

    #[test]
    fn expressions_are_not_references() {
        let m = model("steps:\n- task: ${{ parameters.task }}\n- task: $(t)@1\n");
        assert!(m.steps.iter().all(|s| s.reference == TaskRef::Expression));
    }

    #[test]
    fn task_keys_outside_sequences_are_not_steps() {
        assert!(names("task: A@1\nfoo:\n  task: B@1\n").is_empty());
    }

    #[test]
    fn foreign_yaml_has_no_steps() {
        let gh = "on: push\njobs:\n  b:\n    steps:\n    - task: A@1\n";
        let k8s = "apiVersion: v1\nkind: List\nitems:\n- task: A@1\n";
        assert!(names(gh).is_empty());
        assert!(names(k8s).is_empty());
    }

    #[test]
    fn inputs_and_display_name_are_read() {
        let m = model(
            "steps:\n- task: Docker@1\n  displayName: Build\n  inputs:\n    dockerRegistryEndpoint: reg\n    ${{ if true }}:\n      command: build\n",
        );
        let s = &m.steps[0];
        assert_eq!(s.display_name.as_deref(), Some("Build"));
        let names: Vec<_> = s.inputs.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["dockerRegistryEndpoint", "command"]);
        assert!(s.input("DOCKERREGISTRYENDPOINT").is_some());
    }

    #[test]
    fn container_resources_with_azure_subscription() {
        let m = model(
            "resources:\n  containers:\n  - container: c\n    image: x.azurecr.io/i\n    azureSubscription: sc\n",
        );
        assert_eq!(m.containers.len(), 1);
        assert_eq!(m.containers[0].name.as_deref(), Some("c"));
        assert!(m.containers[0].azure_subscription.is_some());
    }
}
