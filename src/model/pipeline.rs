//! The pipeline's structure, built once per document version and shared by the features
//! that need more than task steps: stages, jobs and deployments (with their names and
//! `dependsOn`), deployment strategy hooks, steps, template references and
//! `${{ if }}`/`${{ each }}` insertions, nested as the pipeline nests them, plus the
//! top-level `parameters`, `variables` and `resources`; and the document's lines as
//! indentation-based reading sees them. The outline is this tree, folding reads the lines,
//! completion and hover look names up in it.
//!
//! Items are recognised by their keys (`stage:`, `job:`, `task:`, `script:`, ...) wherever
//! they sit, as the model recognises steps, so steps passed to a template as parameters or
//! under an `extends:` template show up too. Each item spans its whole sequence entry and
//! selects its identifying `key: value`.
//!
//! Around syntax errors the tree often loses structure (one `ERROR` node, or a file cut
//! short): those lines are parsed again in pieces, item by item, and a piece that still
//! does not parse is read line by line, so the intact parts keep their structure.

use super::lines::{self, Line};
use crate::document::Document;
use crate::model::{self, yaml};
use crate::syntax;
use crate::text::Span;
use ropey::Rope;
use tree_sitter::{Node, TreeCursor};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Stage,
    Job,
    Deployment,
    Step,
    /// A `template:` reference (steps, jobs, stages, variables, `extends`).
    Template,
    /// A deployment strategy hook: `deploy`, `preDeploy`, `on: failure`, ...
    Hook,
    /// `${{ if }}`, `${{ elseif }}`, `${{ else }}`.
    Condition,
    /// `${{ each }}`.
    Each,
    /// `parameters`, `variables`, `resources` at the top level.
    Section,
    Parameter,
    Variable,
    /// A repository, pipeline, container, ... under `resources`.
    Resource,
}

impl ItemKind {
    /// Stages, jobs and deployments: what `dependsOn` names.
    pub fn depends(self) -> bool {
        matches!(self, ItemKind::Stage | ItemKind::Job | ItemKind::Deployment)
    }

    /// A lowercase word for the kind, for snapshots and plain-text renderings.
    pub fn word(self) -> &'static str {
        match self {
            ItemKind::Stage => "stage",
            ItemKind::Job => "job",
            ItemKind::Deployment => "deployment",
            ItemKind::Step => "step",
            ItemKind::Template => "template",
            ItemKind::Hook => "hook",
            ItemKind::Condition => "condition",
            ItemKind::Each => "each",
            ItemKind::Section => "section",
            ItemKind::Parameter => "parameter",
            ItemKind::Variable => "variable",
            ItemKind::Resource => "resource",
        }
    }
}

/// One stage, job, step, hook, insertion, parameter, variable or resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// What to call it: its `displayName`, else its identifier or value; never empty.
    pub name: String,
    /// A second label: the identifier when the name is the display name, the step kind,
    /// a parameter's type, a variable's value.
    pub detail: Option<String>,
    pub kind: ItemKind,
    /// The whole item (from its `- `), without trailing comments.
    pub span: Span,
    /// The identifying `key: value` (or key); always inside `span`.
    pub selection: Span,
    /// Stages, jobs and deployments: the name after `stage:`/`job:`/`deployment:`, as
    /// written, with its span (what `dependsOn` and `dependencies.X` refer to).
    pub id: Option<Name>,
    /// Stages, jobs and deployments: the names their `dependsOn` lists (a name or a list
    /// of names; expressions left out).
    pub depends_on: Vec<Name>,
    /// Task steps: the `Name@N` reference as written.
    pub task: Option<String>,
    pub children: Vec<Item>,
}

/// A name in the text, with its span (quotes excluded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

/// What the model knows of a document beyond its task steps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pipeline {
    /// The top-level items, in document order.
    pub items: Vec<Item>,
    /// Every line of the document.
    pub lines: Vec<Line>,
    /// The document may be a template: none of the root keys only a pipeline has
    /// (`trigger`, `pool`, `resources` …). A template's top-level stages and jobs join
    /// those of the file that includes it, so their names are not all here (a pipeline of
    /// bare `jobs:` reads the same, and gets the benefit of the doubt).
    pub template: bool,
    /// For [`stages_and_jobs`]: whether the tree was intact (else nothing was read), and
    /// the values it did not look into, in document order. An edit strictly inside one
    /// of those, that changes the tree's structure nowhere else, leaves the reading as it
    /// was but for positions.
    pub intact: bool,
    pub skipped: Vec<Span>,
}

impl Pipeline {
    /// Every item, depth first, in document order (an explicit stack: no recursion).
    pub fn walk(&self) -> impl Iterator<Item = &Item> {
        let mut stack: Vec<std::slice::Iter<'_, Item>> = vec![self.items.iter()];
        std::iter::from_fn(move || {
            loop {
                let top = stack.last_mut()?;
                match top.next() {
                    Some(item) => {
                        stack.push(item.children.iter());
                        return Some(item);
                    }
                    None => {
                        stack.pop();
                    }
                }
            }
        })
    }

    /// The innermost stage, job or deployment around `offset`, and the items its
    /// `dependsOn` may name: every stage for a stage; for a job or a deployment, the jobs
    /// and deployments of its stage (of the whole pipeline when it has no stage). The
    /// owner is among them.
    pub fn peers(&self, offset: usize) -> Option<(&Item, Vec<&Item>)> {
        let path = self.path_at(offset);
        let at = path.iter().rposition(|i| i.kind.depends())?;
        let owner = path[at];
        let peers = match owner.kind {
            ItemKind::Stage => self.walk().filter(|i| i.kind == ItemKind::Stage).collect(),
            _ => {
                let stage = path[..at].iter().rev().find(|i| i.kind == ItemKind::Stage);
                let within = |i: &&Item| {
                    stage.is_none_or(|s| s.span.start <= i.span.start && i.span.end <= s.span.end)
                };
                self.walk()
                    .filter(|i| matches!(i.kind, ItemKind::Job | ItemKind::Deployment))
                    .filter(within)
                    .collect()
            }
        };
        Some((owner, peers))
    }

    /// The items around `offset`, outermost first.
    pub fn path_at(&self, offset: usize) -> Vec<&Item> {
        let mut path = Vec::new();
        let mut level = &self.items;
        while let Some(item) = level
            .iter()
            .find(|i| i.span.start <= offset && offset <= i.span.end)
        {
            path.push(item);
            level = &item.children;
        }
        path
    }
}

/// Keys that name an item: what the outline reads of each item mapping.
const NAMING_KEYS: &[&str] = &[
    "displayName",
    "stage",
    "job",
    "deployment",
    "template",
    "environment",
    // From here on, the keys that make a sequence item a step, in the order they name it.
    "task",
    "script",
    "bash",
    "pwsh",
    "powershell",
    "checkout",
    "download",
    "downloadBuild",
    "publish",
    "getPackage",
    "reviewApp",
];

const STEP_KEYS: &[&str] = NAMING_KEYS.split_at(6).1;

/// Deployment strategy hooks (`failure`/`success` sit under `on:`).
fn hook_name(key: &str) -> Option<&'static str> {
    Some(match key {
        "preDeploy" => "preDeploy",
        "deploy" => "deploy",
        "routeTraffic" => "routeTraffic",
        "postRouteTraffic" => "postRouteTraffic",
        "failure" => "on: failure",
        "success" => "on: success",
        _ => return None,
    })
}

fn strategy_name(key: &str) -> Option<&'static str> {
    Some(match key {
        "runOnce" => "runOnce",
        "rolling" => "rolling",
        "canary" => "canary",
        _ => return None,
    })
}

/// Where `dependsOn` names resolve: the stages of a pipeline, or the jobs and deployments
/// of one stage (or of a pipeline without stages).
#[derive(Debug)]
pub struct Scope<'p> {
    /// The stage that holds these jobs; `None` for the stages, or jobs without a stage.
    pub stage: Option<&'p Item>,
    /// Stages, or jobs and deployments, in document order.
    pub items: Vec<&'p Item>,
    /// Whether each item stands under a `${{ if }}`/`${{ else }}` insertion (within the
    /// scope), where two of one name may be alternatives.
    pub inserted: Vec<bool>,
    /// A template item, an `${{ each }}` or an expression in a name stands among them:
    /// some names are not in the text.
    pub open: bool,
}

impl Scope<'_> {
    /// What the scope's items are, for messages: "stage", or "job or deployment of stage
    /// \"Build\"".
    pub fn what(&self) -> String {
        match self.stage {
            None if self.items.iter().all(|i| i.kind == ItemKind::Stage) => "stage".into(),
            None => "job or deployment".into(),
            Some(stage) => match &stage.id {
                Some(id) => format!("job or deployment of stage \"{}\"", id.text),
                None => "job or deployment of this stage".into(),
            },
        }
    }

    /// The item a name refers to: names compare without regard to case, as the service
    /// compares them.
    pub fn find(&self, name: &str) -> Option<&Item> {
        self.items.iter().copied().find(|i| {
            i.id.as_ref()
                .is_some_and(|id| id.text.eq_ignore_ascii_case(name))
        })
    }
}

impl Pipeline {
    /// A skeleton reading (see [`stages_and_jobs`]) brought up to date after `changes`
    /// without reading again, when every edit lies strictly inside a value it skipped and
    /// the tree's structure changed only inside such values; `None` when it must be read
    /// again.
    pub fn shifted(&self, changes: &crate::document::Changes) -> Option<Pipeline> {
        if !self.intact || changes.full {
            return None;
        }
        let mut next = self.clone();
        for e in &changes.edits {
            let inside = next
                .skipped
                .iter()
                .any(|s| s.start < e.start && e.old_end < s.end);
            if !inside {
                return None;
            }
            let delta = e.new_end as isize - e.old_end as isize;
            let at = |x: &mut usize| {
                if *x >= e.old_end {
                    *x = (*x as isize + delta) as usize;
                }
            };
            let span = |s: &mut Span| {
                at(&mut s.start);
                at(&mut s.end);
            };
            next.skipped.iter_mut().for_each(span);
            let mut stack: Vec<&mut Item> = next.items.iter_mut().collect();
            while let Some(item) = stack.pop() {
                span(&mut item.span);
                span(&mut item.selection);
                if let Some(id) = &mut item.id {
                    span(&mut id.span);
                }
                item.depends_on.iter_mut().for_each(|n| span(&mut n.span));
                stack.extend(item.children.iter_mut());
            }
        }
        let within = |r: &Span| {
            next.skipped
                .iter()
                .any(|s| s.start <= r.start && r.end <= s.end)
        };
        changes.changed.iter().all(within).then_some(next)
    }

    /// The scopes of the stages and jobs: first the pipeline's stages, then its jobs
    /// without a stage, then each stage's jobs.
    pub fn scopes(&self) -> Vec<Scope<'_>> {
        let top = |stage| Scope {
            stage,
            items: Vec::new(),
            inserted: Vec::new(),
            open: false,
        };
        let mut scopes = vec![top(None), top(None)];
        // An explicit stack of (items, jobs scope, inserted): no recursion.
        let mut stack: Vec<(std::slice::Iter<'_, Item>, usize, bool)> =
            vec![(self.items.iter(), 1, false)];
        while let Some((iter, jobs, inserted)) = stack.last_mut() {
            let (jobs, inserted) = (*jobs, *inserted);
            let Some(item) = iter.next() else {
                stack.pop();
                continue;
            };
            let named = |scope: &mut Scope<'_>| {
                if item
                    .id
                    .as_ref()
                    .is_none_or(|id| yaml::is_expression(&id.text))
                {
                    scope.open = true;
                }
            };
            match item.kind {
                ItemKind::Stage => {
                    named(&mut scopes[0]);
                    scopes[0].items.push(item);
                    scopes[0].inserted.push(inserted);
                    scopes.push(top(Some(item)));
                    stack.push((item.children.iter(), scopes.len() - 1, false));
                }
                ItemKind::Job | ItemKind::Deployment => {
                    named(&mut scopes[jobs]);
                    scopes[jobs].items.push(item);
                    scopes[jobs].inserted.push(inserted);
                }
                ItemKind::Template => {
                    // At the top a template item stands among stages or among jobs.
                    scopes[jobs].open = true;
                    if jobs == 1 {
                        scopes[0].open = true;
                    }
                }
                ItemKind::Each => {
                    scopes[jobs].open = true;
                    if jobs == 1 {
                        scopes[0].open = true;
                    }
                    stack.push((item.children.iter(), jobs, true));
                }
                _ => stack.push((
                    item.children.iter(),
                    jobs,
                    inserted || item.kind == ItemKind::Condition,
                )),
            }
        }
        if self.template {
            scopes[0].open = true;
            scopes[1].open = true;
        }
        scopes.retain(|s| !s.items.is_empty());
        scopes
    }
}

/// Reads the pipeline's structure out of a document.
pub fn build(doc: &Document) -> Pipeline {
    let rope = doc.rope();
    Pipeline {
        items: outline(doc),
        lines: Line::scan(rope, 0, rope.len_lines()),
        template: false,
        intact: false,
        skipped: Vec::new(),
    }
}

/// The stages, jobs and deployments of an intact document, with the `${{ }}` insertions
/// and `template:` items among them, and nothing else: what the checks of names and
/// `dependsOn` need on every keystroke, at the cost of the stage and job levels alone
/// (steps are never visited). Stages and jobs passed to a template (`extends:`, a
/// template item's `parameters:`) are the template's to place, and left out. Empty when
/// the tree has errors: names in a region the parser lost can't be told apart from
/// missing ones.
pub fn stages_and_jobs(doc: &Document) -> Pipeline {
    let root = doc.tree().root_node();
    if doc.refusal().is_some() || root.has_error() {
        return Pipeline::default();
    }
    let rope = doc.rope();
    let cx = Cx::document(rope, true);
    let mut items = Vec::new();
    outline_stream(&cx, root, &mut items);
    let mut skipped = cx.skipped.take();
    skipped.sort_by_key(|s| s.start);
    let template = model::document_mappings(root).into_iter().any(|m| {
        let keys: Vec<String> = yaml::pairs(m)
            .filter_map(|(k, _)| yaml::key_text(rope, k))
            .collect();
        let has = |k: &str| keys.iter().any(|key| key == k);
        !PIPELINE_ONLY.iter().any(|k| has(k))
    });
    Pipeline {
        items,
        lines: Vec::new(),
        template,
        intact: true,
        skipped,
    }
}

/// Root keys that only a pipeline, never a template, has.
const PIPELINE_ONLY: &[&str] = &[
    "trigger",
    "pr",
    "schedules",
    "resources",
    "pool",
    "name",
    "appendCommitMessageToRunName",
    "lockBehavior",
    "extends",
];

/// The items, as deep as the document nests.
fn outline(doc: &Document) -> Vec<Item> {
    if doc.refusal().is_some() {
        // Beyond the grammar's limits nothing is parsed, and reading such a text in
        // pieces would only find out the same, slowly.
        return Vec::new();
    }
    let rope = doc.rope();
    let root = doc.tree().root_node();
    let mut out = Vec::new();
    let cx = Cx::document(rope, false);
    if root.kind() == "ERROR" {
        // Parsed already, and broken: straight to the pieces. Past the grammar's row limit
        // the whole file is one error, and parsing it again in pieces costs more than a
        // request may (a quarter of a second for 50,000 lines): read it as text.
        let parse = rope.len_lines() <= syntax::GRAMMAR_ROW_LIMIT;
        let lines = Line::scan(rope, 0, rope.len_lines());
        split_lines(rope, 0, &lines, parse, 0, &mut out);
        return out;
    }
    outline_stream(&cx, root, &mut out);
    // The grammar sometimes gives up before the end of the text.
    let end = root.end_position();
    if root.end_byte() < rope.len_bytes() {
        let from = if end.column == 0 {
            end.row
        } else {
            end.row + 1
        };
        recover_lines(rope, from, rope.len_lines(), 0, &mut out);
    }
    out
}

/// Where a tree came from: the document itself, or a piece of it parsed alone.
struct Cx<'r> {
    /// The text the tree was parsed from.
    rope: &'r Rope,
    /// Its byte offset in the document.
    shift: usize,
    /// Its first line in the document.
    line0: usize,
    doc: &'r Rope,
    /// Structures the walk is inside of (recovered pieces included), bounded by
    /// [`MAX_NESTING`] for the tree walk and [`MAX_DEPTH`] for recovery.
    nesting: std::cell::Cell<usize>,
    /// Stages and jobs only: see [`stages_and_jobs`].
    skeleton: bool,
    /// In a skeleton reading, the values it did not look into.
    skipped: std::cell::RefCell<Vec<Span>>,
}

/// The deepest structure the outline looks into. Real pipelines nest a few dozen levels;
/// flow mappings can nest without end (the grammar's indentation limit does not apply to
/// them), and the walk recurses, so the stack is what this bounds.
const MAX_NESTING: usize = 256;

impl<'r> Cx<'r> {
    /// The whole document, read in full or as a skeleton.
    fn document(rope: &'r Rope, skeleton: bool) -> Self {
        Cx {
            rope,
            shift: 0,
            line0: 0,
            doc: rope,
            nesting: Default::default(),
            skeleton,
            skipped: Default::default(),
        }
    }
}

impl Cx<'_> {
    fn span(&self, range: std::ops::Range<usize>) -> Span {
        range.start + self.shift..range.end + self.shift
    }

    /// Notes a value a skeleton reading leaves alone, up to the start of its last line of
    /// content: where that content ends is the end of the items holding it, and an edit
    /// on that line (or in a trailing comment) may move it.
    fn skip(&self, value: Node) {
        let end = lines::content_end(self.rope, value);
        let last_line = self.rope.line_to_byte(self.rope.byte_to_line(end));
        let span = self.span(value.start_byte()..last_line.max(value.start_byte()));
        self.skipped.borrow_mut().push(span);
    }

    /// Enters one more level of structure, or `None` past [`MAX_NESTING`]: the outline
    /// then leaves out what lies deeper. The level is left when the guard drops.
    fn deeper(&self) -> Option<Deeper<'_>> {
        let level = self.nesting.get();
        (level < MAX_NESTING).then(|| {
            self.nesting.set(level + 1);
            Deeper(&self.nesting)
        })
    }
}

struct Deeper<'a>(&'a std::cell::Cell<usize>);

impl Drop for Deeper<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// A key and its value, from the tree or from a line of text: what naming needs.
#[derive(Debug)]
struct Field {
    key: String,
    key_span: Span,
    /// Set for the keys that name things; a label (first line) for block scalars.
    value: Option<String>,
    /// Empty (at the key's end) when the value spans lines.
    value_span: Span,
}

impl Field {
    fn text(&self) -> Option<&str> {
        self.value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn selection(&self) -> Span {
        self.key_span.start..self.value_span.end.max(self.key_span.end)
    }
}

/// What a sequence item is, by its keys.
struct Named {
    kind: ItemKind,
    name: String,
    detail: Option<String>,
    selection: Span,
    id: Option<Name>,
    task: Option<String>,
}

impl Item {
    fn new(
        name: String,
        detail: Option<String>,
        kind: ItemKind,
        span: Span,
        selection: Span,
    ) -> Item {
        Item {
            name,
            detail,
            kind,
            span,
            selection,
            id: None,
            depends_on: Vec::new(),
            task: None,
            children: Vec::new(),
        }
    }

    fn with(self, children: Vec<Item>) -> Item {
        Item { children, ..self }
    }

    fn named(named: Named, span: Span, children: Vec<Item>) -> Item {
        Item {
            id: named.id,
            task: named.task,
            children,
            ..Item::new(named.name, named.detail, named.kind, span, named.selection)
        }
    }
}

/// A field's one-line value as a name with its span, quotes excluded (none when the text
/// is not the span's: escapes, a value over several lines).
fn field_name(f: &Field) -> Option<Name> {
    let text = f.text()?;
    let span = &f.value_span;
    let span = if span.len() == text.len() {
        span.clone()
    } else if span.len() == text.len() + 2 {
        span.start + 1..span.end - 1
    } else {
        return None;
    };
    Some(Name {
        text: text.to_string(),
        span,
    })
}

fn classify(fields: &[Field]) -> Option<Named> {
    let get = |k: &str| fields.iter().find(|f| f.key == k);
    let display = get("displayName").and_then(Field::text).map(lines::short);
    for (key, kind) in [
        ("stage", ItemKind::Stage),
        ("job", ItemKind::Job),
        ("deployment", ItemKind::Deployment),
    ] {
        let Some(f) = get(key) else { continue };
        let id = f.text().map(lines::short);
        let named_by_display = display.is_some();
        let name = nonempty(display.clone().or(id.clone()).unwrap_or_default(), key);
        let detail = if kind == ItemKind::Deployment {
            let mut d = "deployment".to_string();
            if let Some(id) = id.filter(|_| named_by_display) {
                d = format!("{d} {id}");
            }
            if let Some(env) = get("environment").and_then(Field::text) {
                d = format!("{d} to {}", lines::short(env));
            }
            Some(d)
        } else {
            id.filter(|_| named_by_display)
        };
        return Some(Named {
            kind,
            name,
            detail,
            selection: f.selection(),
            id: field_name(f),
            task: None,
        });
    }
    if let Some(f) = get("template") {
        return Some(Named {
            kind: ItemKind::Template,
            name: nonempty(f.text().map(lines::short).unwrap_or_default(), "template"),
            detail: Some("template".into()),
            selection: f.selection(),
            id: None,
            task: None,
        });
    }
    let (key, f) = STEP_KEYS.iter().find_map(|k| get(k).map(|f| (*k, f)))?;
    let value = f.text().map(lines::short);
    let (name, detail) = if key == "task" {
        match display {
            Some(d) if !d.is_empty() => (d, value.clone()),
            // Readers add the task's friendly name, from the catalog.
            _ => (nonempty(value.clone().unwrap_or_default(), "task"), None),
        }
    } else {
        match display.or(value).filter(|n| !n.is_empty()) {
            Some(name) => (name, Some(key.to_string())),
            // `- script:` with nothing yet: the key says it all.
            None => (key.to_string(), None),
        }
    };
    Some(Named {
        kind: ItemKind::Step,
        name,
        detail,
        selection: f.selection(),
        id: None,
        task: (key == "task").then(|| f.text().unwrap_or_default().to_string()),
    })
}

fn insertion_kind(key: &str) -> ItemKind {
    let inner = key.trim().trim_start_matches("${{").trim_start();
    if inner.starts_with("each ") {
        ItemKind::Each
    } else {
        ItemKind::Condition
    }
}

// ---- From the tree ----

fn outline_stream(cx: &Cx, root: Node, out: &mut Vec<Item>) {
    let mut cursor = root.walk();
    for child in root.named_children(&mut cursor) {
        match child.kind() {
            "document" => {
                let mut c = child.walk();
                for body in child.named_children(&mut c) {
                    match body.kind() {
                        "block_node" | "flow_node" => match yaml::content(body) {
                            Some(m) if yaml::is_mapping(m) => root_mapping(cx, m, out),
                            Some(other) => walk(cx, other, None, out),
                            None => {}
                        },
                        "ERROR" => recover_node(cx, body, out),
                        _ => {}
                    }
                }
            }
            "ERROR" => recover_node(cx, child, out),
            _ => {}
        }
    }
}

fn root_mapping(cx: &Cx, mapping: Node, out: &mut Vec<Item>) {
    let keys: Vec<String> = yaml::pairs(mapping)
        .filter_map(|(k, _)| yaml::key_text(cx.rope, k))
        .collect();
    if model::foreign_kind(&keys).is_some() {
        return;
    }
    let mut cursor = mapping.walk();
    for child in mapping.named_children(&mut cursor) {
        match child.kind() {
            "block_mapping_pair" | "flow_pair" => {
                let key = child.child_by_field_name("key");
                let value = child.child_by_field_name("value");
                let name = key.and_then(|k| yaml::key_text(cx.rope, k));
                match (name.as_deref(), key) {
                    (Some("parameters" | "variables" | "resources" | "extends"), _)
                        if cx.skeleton =>
                    {
                        if let Some(value) = value {
                            cx.skip(value);
                        }
                    }
                    (Some(s @ ("parameters" | "variables" | "resources")), Some(key)) => {
                        let mut children = Vec::new();
                        if let Some(v) = value {
                            match s {
                                "parameters" => parameters(cx, v, &mut children),
                                "variables" => variables(cx, v, &mut children),
                                _ => resources(cx, v, &mut children),
                            }
                        }
                        let span = cx.span(child.start_byte()..lines::content_end(cx.rope, child));
                        let selection = cx.span(key.byte_range());
                        let section = Item::new(s.into(), None, ItemKind::Section, span, selection);
                        out.push(Item {
                            children,
                            ..section
                        });
                    }
                    (Some("extends"), Some(_)) => extends(cx, child, value, out),
                    _ => pair(cx, child, None, out),
                }
            }
            "ERROR" => recover_node(cx, child, out),
            _ => {}
        }
    }
}

/// `extends: { template: x.yml, parameters: ... }`: the template, with what is passed.
fn extends(cx: &Cx, pair_node: Node, value: Option<Node>, out: &mut Vec<Item>) {
    let Some(mapping) = value
        .and_then(yaml::content)
        .filter(|n| yaml::is_mapping(*n))
    else {
        return;
    };
    let fields = fields(cx, mapping);
    let Some(f) = fields.iter().find(|f| f.key == "template") else {
        walk_mapping(cx, mapping, None, out);
        return;
    };
    let mut children = Vec::new();
    if let Some((_, Some(params))) = yaml::get(cx.rope, mapping, "parameters") {
        walk(cx, params, None, &mut children);
    }
    out.push(
        Item::new(
            f.text()
                .map(lines::short)
                .unwrap_or_else(|| "template".into()),
            Some("extends".into()),
            ItemKind::Template,
            cx.span(pair_node.start_byte()..lines::content_end(cx.rope, pair_node)),
            f.selection(),
        )
        .with(children),
    );
}

fn walk(cx: &Cx, node: Node, strategy: Option<&'static str>, out: &mut Vec<Item>) {
    let Some(_level) = cx.deeper() else {
        return;
    };
    let Some(node) = yaml::content(node) else {
        return;
    };
    let ids = syntax::kinds();
    let id = node.kind_id();
    if id == ids.error {
        recover_node(cx, node, out);
    } else if ids.mappings.contains(&id) {
        walk_mapping(cx, node, strategy, out);
    } else if ids.sequences.contains(&id) {
        for_each_item(cx, node, out, |item, content, out| {
            sequence_item(cx, item, content, strategy, out)
        });
    }
}

/// Calls `f` with each item of a sequence (the item node, for its span, and its
/// content); recovers `ERROR` children. One cursor for the whole sequence.
fn for_each_item<'t>(
    cx: &Cx,
    sequence: Node<'t>,
    out: &mut Vec<Item>,
    mut f: impl FnMut(Node<'t>, Node<'t>, &mut Vec<Item>),
) {
    let ids = syntax::kinds();
    let mut cursor = sequence.walk();
    if !cursor.goto_first_child() {
        return;
    }
    loop {
        let child = cursor.node();
        let id = child.kind_id();
        if id == ids.item {
            // The item's value: its first named child that is not a comment.
            let mut value = None;
            if cursor.goto_first_child() {
                loop {
                    let n = cursor.node();
                    if n.is_named() && n.kind_id() != ids.comment {
                        value = Some(n);
                        break;
                    }
                    if !cursor.goto_next_sibling() {
                        break;
                    }
                }
                cursor.goto_parent();
            }
            if let Some(content) = value.and_then(yaml::content) {
                if content.kind_id() == ids.error {
                    recover_node(cx, content, out);
                } else {
                    f(child, content, out);
                }
            }
        } else if id == ids.flow_node {
            if let Some(content) = yaml::content(child) {
                f(child, content, out);
            }
        } else if id == ids.error {
            recover_node(cx, child, out);
        }
        if !cursor.goto_next_sibling() {
            break;
        }
    }
}

fn item_span(cx: &Cx, item: Node) -> Span {
    cx.span(item.start_byte()..lines::content_end(cx.rope, item))
}

fn sequence_item(
    cx: &Cx,
    item: Node,
    content: Node,
    strategy: Option<&'static str>,
    out: &mut Vec<Item>,
) {
    if !yaml::is_mapping(content) {
        walk(cx, content, strategy, out);
        return;
    }
    let fields = fields(cx, content);
    let Some(named) = classify(&fields) else {
        // Insertions (`- ${{ if }}:`) and anything unknown: look inside.
        walk_mapping(cx, content, strategy, out);
        return;
    };
    let mut children = Vec::new();
    let mut depends_on = Vec::new();
    match named.kind {
        ItemKind::Step => {}
        ItemKind::Template if cx.skeleton => {}
        ItemKind::Template => {
            if let Some((_, Some(params))) = yaml::get(cx.rope, content, "parameters") {
                walk(cx, params, None, &mut children);
            }
        }
        _ => {
            if let Some((_, Some(value))) = yaml::get(cx.rope, content, "dependsOn") {
                depends_on = names(cx, value);
            }
            walk_mapping(cx, content, None, &mut children)
        }
    }
    let mut item = Item::named(named, item_span(cx, item), children);
    item.depends_on = depends_on;
    out.push(item);
}

/// The names a `dependsOn` value lists: one scalar, or a list of them (expressions and
/// other shapes are left out).
fn names(cx: &Cx, value: Node) -> Vec<Name> {
    let name = |node: Node| {
        yaml::scalar(cx.rope, node)
            .filter(|s| s.exact && !s.text.is_empty() && !yaml::is_expression(&s.text))
            .map(|s| Name {
                text: s.text,
                span: cx.span(s.span),
            })
    };
    match yaml::content(value) {
        Some(seq) if yaml::is_sequence(seq) => yaml::items(seq).filter_map(name).collect(),
        Some(scalar) => name(scalar).into_iter().collect(),
        None => Vec::new(),
    }
}

fn walk_mapping(cx: &Cx, mapping: Node, strategy: Option<&'static str>, out: &mut Vec<Item>) {
    let Some(_level) = cx.deeper() else {
        return;
    };
    let mut cursor = mapping.walk();
    for child in mapping.named_children(&mut cursor) {
        match child.kind() {
            "block_mapping_pair" | "flow_pair" => pair(cx, child, strategy, out),
            "ERROR" => recover_node(cx, child, out),
            _ => {}
        }
    }
}

fn pair(cx: &Cx, pair: Node, strategy: Option<&'static str>, out: &mut Vec<Item>) {
    let Some(value) = pair.child_by_field_name("value") else {
        return;
    };
    let key = pair.child_by_field_name("key");
    let Some((key, name)) = key.and_then(|k| Some((k, yaml::key_text(cx.rope, k)?))) else {
        walk(cx, value, strategy, out);
        return;
    };
    let span = || cx.span(pair.start_byte()..lines::content_end(cx.rope, pair));
    if cx.skeleton && !yaml::is_expression(&name) && !matches!(name.as_str(), "stages" | "jobs") {
        cx.skip(value);
        return;
    }
    if yaml::is_expression(&name) {
        let mut children = Vec::new();
        walk(cx, value, strategy, &mut children);
        if !children.is_empty() {
            out.push(
                Item::new(
                    lines::short(&name),
                    None,
                    insertion_kind(&name),
                    span(),
                    cx.span(key.byte_range()),
                )
                .with(children),
            );
        }
        return;
    }
    if let Some(strategy) = strategy
        && let Some(hook) = hook_name(&name)
        && yaml::content(value).is_some_and(yaml::is_mapping)
    {
        let mut children = Vec::new();
        walk(cx, value, None, &mut children);
        out.push(
            Item::new(
                hook.to_string(),
                Some(strategy.to_string()),
                ItemKind::Hook,
                span(),
                cx.span(key.byte_range()),
            )
            .with(children),
        );
        return;
    }
    walk(cx, value, strategy_name(&name).or(strategy), out);
}

/// The keys of an item mapping that name it, with their values.
fn fields(cx: &Cx, mapping: Node) -> Vec<Field> {
    let ids = syntax::kinds();
    let mut out = Vec::new();
    let mut cursor = mapping.walk();
    if !cursor.goto_first_child() {
        return out;
    }
    loop {
        if ids.pairs.contains(&cursor.node().kind_id())
            && let Some((k, key, v)) = naming_pair(cx, &mut cursor)
        {
            let key_span = cx.span(k.byte_range());
            let (value, value_span) = match v {
                Some(v) => {
                    let one_line = v.start_position().row == v.end_position().row;
                    let span = if one_line {
                        cx.span(v.byte_range())
                    } else {
                        key_span.end..key_span.end
                    };
                    (value_text(cx.rope, v, key), span)
                }
                None => (None, key_span.end..key_span.end),
            };
            out.push(Field {
                key: key.to_string(),
                key_span,
                value,
                value_span,
            });
        }
        if !cursor.goto_next_sibling() {
            break;
        }
    }
    out
}

/// The key of the pair under the cursor when it is one of [`NAMING_KEYS`], with the
/// value; the cursor is left on the pair. Other pairs cost one step down and back.
fn naming_pair<'t>(
    cx: &Cx,
    cursor: &mut TreeCursor<'t>,
) -> Option<(Node<'t>, &'static str, Option<Node<'t>>)> {
    let ids = syntax::kinds();
    if !cursor.goto_first_child() {
        return None;
    }
    let first = cursor.node();
    let key = (cursor.field_id() == Some(ids.key))
        .then(|| lines::key_is(cx.rope, first, NAMING_KEYS))
        .flatten();
    let mut value = None;
    if key.is_some() {
        while cursor.goto_next_sibling() {
            if cursor.field_id() == Some(ids.value) {
                value = Some(cursor.node());
                break;
            }
        }
    }
    cursor.goto_parent();
    key.map(|k| (first, k, value))
}

fn value_text(rope: &Rope, value: Node, key: &str) -> Option<String> {
    // Most values are plain one-line scalars: their text is the node's, with no descent.
    if value.start_position().row == value.end_position().row {
        let text = syntax::range_text(rope, value.byte_range());
        let plain = !text.starts_with(['"', '\'', '{', '[', '&', '!', '*', '|', '>', '#']);
        if plain && !text.contains(" #") {
            return Some(text.trim().to_string());
        }
    }
    let content = yaml::content(value)?;
    match content.kind() {
        "block_scalar" => Some(lines::short(&syntax::text(rope, content))),
        // `environment: { name: prod, resourceType: VirtualMachine }`
        _ if yaml::is_mapping(content) && key == "environment" => yaml::get(rope, content, "name")
            .and_then(|(_, v)| v)
            .and_then(|v| yaml::scalar(rope, v))
            .map(|s| s.text),
        _ => yaml::scalar(rope, content).map(|s| s.text),
    }
}

fn scalar_text(rope: &Rope, value: Option<Node>) -> Option<String> {
    let value = value?;
    let content = yaml::content(value)?;
    if content.kind() == "block_scalar" {
        return Some(lines::short(&syntax::text(rope, content)));
    }
    yaml::scalar(rope, content)
        .map(|s| lines::short(&s.text))
        .filter(|s| !s.is_empty())
}

/// `parameters:` in the list form (`- name: x`) or the older mapping form (`x: default`).
fn parameters(cx: &Cx, value: Node, out: &mut Vec<Item>) {
    each_entry(
        cx,
        value,
        out,
        |k, name, v, out| {
            let detail = scalar_text(cx.rope, v);
            out.push(keyed(cx, k, name, ItemKind::Parameter, detail));
        },
        |item, mapping, out| {
            let Some(name) = yaml::get(cx.rope, mapping, "name") else {
                return;
            };
            let detail =
                yaml::get(cx.rope, mapping, "type").and_then(|(_, t)| scalar_text(cx.rope, t));
            out.push(entry(cx, item, name, ItemKind::Parameter, detail));
        },
    );
}

/// `variables:` as a mapping (`x: value`) or a list (`- name:`, `- group:`, `- template:`),
/// with `${{ if }}` insertions in either.
fn variables(cx: &Cx, value: Node, out: &mut Vec<Item>) {
    let Some(_level) = cx.deeper() else {
        return;
    };
    each_entry(
        cx,
        value,
        out,
        |k, name, v, out| {
            if !yaml::is_expression(&name) {
                let detail = scalar_text(cx.rope, v);
                out.push(keyed(cx, k, name, ItemKind::Variable, detail));
                return;
            }
            let mut children = Vec::new();
            if let Some(v) = v {
                variables(cx, v, &mut children);
            }
            if !children.is_empty() {
                let kind = insertion_kind(&name);
                let mut symbol = keyed(cx, k, lines::short(&name), kind, None);
                symbol.children = children;
                out.push(symbol);
            }
        },
        |item, mapping, out| {
            let get = |key: &str| yaml::get(cx.rope, mapping, key);
            let (kind, key, detail) = if let Some(name) = get("name") {
                let detail = get("value").and_then(|(_, v)| scalar_text(cx.rope, v));
                (ItemKind::Variable, name, detail)
            } else if let Some(group) = get("group") {
                (ItemKind::Variable, group, Some("group".to_string()))
            } else if let Some(template) = get("template") {
                (ItemKind::Template, template, Some("template".to_string()))
            } else {
                // `- ${{ if }}:` insertions of variables.
                variables(cx, mapping, out);
                return;
            };
            out.push(entry(cx, item, key, kind, detail));
        },
    );
}

/// Calls `pair` with each entry of a mapping (its key node, text and value), or `item`
/// with each mapping item of a list: the two forms `parameters` and `variables` take.
fn each_entry<'t>(
    cx: &Cx,
    value: Node<'t>,
    out: &mut Vec<Item>,
    mut pair: impl FnMut(Node<'t>, String, Option<Node<'t>>, &mut Vec<Item>),
    mut item: impl FnMut(Node<'t>, Node<'t>, &mut Vec<Item>),
) {
    let Some(content) = yaml::content(value) else {
        return;
    };
    if yaml::is_mapping(content) {
        for (k, v) in yaml::pairs(content) {
            if let Some(name) = yaml::key_text(cx.rope, k) {
                pair(k, name, v, out);
            }
        }
    } else if yaml::is_sequence(content) {
        for_each_item(cx, content, out, |node, mapping, out| {
            if yaml::is_mapping(mapping) {
                item(node, mapping, out);
            }
        });
    }
}

/// `resources:`: repositories, pipelines, containers, builds, packages, webhooks.
fn resources(cx: &Cx, value: Node, out: &mut Vec<Item>) {
    let Some(content) = yaml::content(value).filter(|n| yaml::is_mapping(*n)) else {
        return;
    };
    for (k, v) in yaml::pairs(content) {
        let Some(group) = yaml::key_text(cx.rope, k) else {
            continue;
        };
        let (alias, described_by) = match group.as_str() {
            "repositories" => ("repository", "name"),
            "pipelines" => ("pipeline", "source"),
            "containers" => ("container", "image"),
            "builds" => ("build", "source"),
            "packages" => ("package", "name"),
            "webhooks" => ("webhook", "connection"),
            _ => continue,
        };
        let Some(sequence) = v.and_then(yaml::content).filter(|n| yaml::is_sequence(*n)) else {
            continue;
        };
        for_each_item(cx, sequence, out, |item, mapping, out| {
            if !yaml::is_mapping(mapping) {
                return;
            }
            let Some((k, v)) = yaml::get(cx.rope, mapping, alias) else {
                return;
            };
            let what = yaml::get(cx.rope, mapping, described_by)
                .and_then(|(_, d)| scalar_text(cx.rope, d));
            let detail = Some(match what {
                Some(w) => format!("{alias} {w}"),
                None => alias.to_string(),
            });
            out.push(entry(cx, item, (k, v), ItemKind::Resource, detail));
        });
    }
}

/// A list entry named by its identifying `key: value` (`- name: x`, `- repository: r`),
/// which it selects.
fn entry(
    cx: &Cx,
    item: Node,
    (key, value): (Node, Option<Node>),
    kind: ItemKind,
    detail: Option<String>,
) -> Item {
    let end = value.map_or(key.end_byte(), |v| v.end_byte());
    let name = nonempty(scalar_text(cx.rope, value).unwrap_or_default(), kind.word());
    let selection = cx.span(key.start_byte()..end);
    Item::new(name, detail, kind, item_span(cx, item), selection)
}

/// A mapping entry (`x: default`) named by its key, which it selects.
fn keyed(cx: &Cx, key: Node, name: String, kind: ItemKind, detail: Option<String>) -> Item {
    let pair = key.parent().unwrap_or(key);
    let span = cx.span(pair.start_byte()..lines::content_end(cx.rope, pair));
    let selection = cx.span(key.byte_range());
    Item::new(nonempty(name, kind.word()), detail, kind, span, selection)
}

fn nonempty(name: String, fallback: &str) -> String {
    if name.trim().is_empty() {
        fallback.to_string()
    } else {
        name
    }
}

// ---- Around syntax errors ----

/// Far deeper than halving and nesting go on real files; only bounds the stack on
/// pathological input.
const MAX_DEPTH: usize = 256;

/// Outlines the lines an `ERROR` node covers, when it covers several (a one-line error
/// loses nothing the tree walk needs).
fn recover_node(cx: &Cx, node: Node, out: &mut Vec<Item>) {
    let (start, end) = (node.start_position(), node.end_position());
    let mut first = cx.line0 + start.row;
    // An error that starts after other text on its line: that line was outlined already.
    let line = Line::read(cx.doc, first);
    if start.column > line.indent {
        first += 1;
    }
    let last = cx.line0
        + if end.column == 0 {
            end.row
        } else {
            end.row + 1
        };
    if last > first + 1 || (last > first && start.row != end.row) {
        recover_lines(
            cx.doc,
            first,
            last.min(cx.doc.len_lines()),
            cx.nesting.get() + 1,
            out,
        );
    }
}

/// Outlines lines `a..b` of the document: parsed alone if they parse, else split at
/// the items of their smallest indentation, in halves, each outlined the same way; an
/// item that still does not parse is named from its own lines and its body outlined
/// inside it.
fn recover_lines(doc: &Rope, a: usize, b: usize, depth: usize, out: &mut Vec<Item>) {
    if a >= b || depth > MAX_DEPTH {
        return;
    }
    let from = doc.line_to_byte(a);
    let to = if b >= doc.len_lines() {
        doc.len_bytes()
    } else {
        doc.line_to_byte(b)
    };
    let piece = Rope::from(doc.byte_slice(from..to));
    let (tree, refusal) = syntax::parse(&piece, None);
    if refusal.is_none() && !tree.root_node().has_error() {
        let cx = Cx {
            rope: &piece,
            shift: from,
            line0: a,
            doc,
            nesting: std::cell::Cell::new(depth),
            skeleton: false,
            skipped: Default::default(),
        };
        outline_stream(&cx, tree.root_node(), out);
        return;
    }
    split_lines(doc, a, &Line::scan(doc, a, b), true, depth, out);
}

/// Outlines `lines` (from line `a`), known not to parse as a whole, piece by piece:
/// parsing the pieces when `parse`, else reading them as text only.
fn split_lines(
    doc: &Rope,
    a: usize,
    lines: &[Line],
    parse: bool,
    depth: usize,
    out: &mut Vec<Item>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let b = a + lines.len();
    let recurse = |from: usize, to: usize, out: &mut Vec<Item>| {
        if parse {
            recover_lines(doc, from, to, depth + 1, out);
        } else {
            split_lines(doc, from, &lines[from - a..to - a], false, depth + 1, out);
        }
    };
    let Some(min) = lines.iter().filter(|l| l.content).map(|l| l.indent).min() else {
        return;
    };
    let starts: Vec<usize> = (a..b)
        .filter(|&i| lines[i - a].content && lines[i - a].indent == min)
        .collect();
    let first = starts[0];
    // More indented lines before the first item: the end of something cut off above.
    if lines[..first - a].iter().any(|l| l.content) {
        recurse(a, first, out);
    }
    if starts.len() > 1 {
        if parse {
            // Halves, so that the parts that parse are parsed in as few pieces as possible.
            let mid = starts[starts.len() / 2];
            recurse(first, mid, out);
            recurse(mid, b, out);
        } else {
            for (i, &s) in starts.iter().enumerate() {
                recurse(s, starts.get(i + 1).copied().unwrap_or(b), out);
            }
        }
        return;
    }
    let header = &lines[first - a];
    let body = &lines[first + 1 - a..];
    let mut children = Vec::new();
    if body.iter().any(|l| l.content) {
        recurse(first + 1, b, &mut children);
    }
    match text_symbol(doc, header, body, children) {
        Ok(symbol) => out.push(symbol),
        Err(children) => out.extend(children),
    }
}

/// Names an item from its lines: the header (`- stage: A`, `- ${{ if }}:`, `deploy:`) and
/// the keys of its body at the item's own indentation. Gives the children back when the
/// lines name nothing.
fn text_symbol(
    doc: &Rope,
    header: &Line,
    body: &[Line],
    children: Vec<Item>,
) -> Result<Item, Vec<Item>> {
    let line_text = |l: &Line| doc.byte_slice(l.start..l.end).to_string();
    let text = line_text(header);
    let last_end = body
        .iter()
        .rev()
        .find(|l| l.content)
        .map_or(header.end, |l| l.end);
    let span = header.start + header.indent..last_end.max(header.end);
    let field = |l: &Line, text: &str, at: usize| {
        lines::text_pair(text, at).map(|p| Field {
            key: p.key,
            key_span: l.start + p.key_span.start..l.start + p.key_span.end,
            value: Some(p.value),
            value_span: l.start + p.value_span.start..l.start + p.value_span.end,
        })
    };
    let insertion = |f: &Field, children: Vec<Item>| {
        if children.is_empty() {
            return Err(children);
        }
        Ok(Item::new(
            lines::short(&f.key),
            None,
            insertion_kind(&f.key),
            span.clone(),
            f.key_span.clone(),
        )
        .with(children))
    };
    if !header.dash {
        let Some(f) = field(header, &text, header.indent) else {
            return Err(children);
        };
        if yaml::is_expression(&f.key) {
            return insertion(&f, children);
        }
        return match hook_name(&f.key) {
            Some(hook) if !children.is_empty() => {
                Ok(
                    Item::new(hook.to_string(), None, ItemKind::Hook, span, f.key_span)
                        .with(children),
                )
            }
            _ => Err(children),
        };
    }
    // The item's keys start after `- ` (or `-` and a tab).
    let after_dash = header.indent + 1;
    let at = after_dash + (text.len() - after_dash - text[after_dash..].trim_start().len());
    let mut fields: Vec<Field> = field(header, &text, at).into_iter().collect();
    for l in body.iter().filter(|l| l.content && l.indent == at) {
        fields.extend(field(l, &line_text(l), l.indent));
    }
    if let Some(f) = fields.first()
        && yaml::is_expression(&f.key)
    {
        return insertion(f, children);
    }
    let Some(named) = classify(&fields) else {
        return Err(children);
    };
    let children = if named.kind == ItemKind::Step {
        Vec::new()
    } else {
        children
    };
    Ok(Item::named(named, span, children))
}
