//! The pipeline the service will run: template expressions evaluated as at compile time.
//! `${{ }}` values and keys, `if`/`elseif`/`else`, `each` over sequences and mappings,
//! `insert`, parameters with their defaults and types, `extends:` and templates of steps,
//! jobs, stages and variables (relative to the including file, or `/path` from the
//! repository root). Runtime expressions (`$[ ]`, `condition:`) and macros stay text;
//! templates of other repositories (`file@alias`) stay as written, with a note.
//!
//! Expansion never fails: it gives what it could expand and the errors the service would
//! raise, each on its source (file and span). Files are read through [`Files`] (so open
//! editor buffers win), each once per expansion; the expressions of a file are parsed when
//! it is read, once. Recursion is bounded by the service's limits (100 files, 20 levels of
//! templates) and the output by [`MAX_NODES`].

pub mod emit;
pub mod eval;
pub mod source;
pub mod tasks;
pub mod value;

use crate::document::Document;
use crate::expr::{Directive, Expression, Kind};
use crate::ide::templates::{self, Files, Place, Target};
use crate::text::Span;
use eval::{Eval, Scope, Text};
use source::{SKind, SNode, SourceFile};
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
pub use value::{Node, Origin, Style, Value};

/// The most template files one pipeline may include, as the service allows.
pub const MAX_FILES: usize = 100;
/// The deepest templates may nest, as the service allows.
pub const MAX_NESTING: usize = 20;
/// The most items an expansion may produce: far beyond real pipelines, and a bound on what
/// nested `each` loops over untrusted input can build.
pub const MAX_NODES: usize = 1_000_000;
/// The most errors (and notes) kept: the first ones say what is wrong, and hostile input
/// could otherwise make one per item produced.
const MAX_PROBLEMS: usize = 1_000;

/// How deep the expansion may recurse (YAML nesting across every template level).
const MAX_DEPTH: usize = 500;

/// A problem found while expanding, on its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// An index in [`Expansion::files`].
    pub file: u32,
    pub span: Span,
    /// 0-based line and byte column of the span's start.
    pub line: u32,
    pub column: u32,
    pub message: String,
}

#[derive(Debug)]
pub struct Expansion {
    /// The expanded pipeline.
    pub value: Node,
    /// What the service would reject.
    pub errors: Vec<Problem>,
    /// What was left as written, and why (templates of other repositories).
    pub notes: Vec<Problem>,
    /// The files read: the pipeline first (`None` without a path), then each template.
    pub files: Vec<Option<PathBuf>>,
    /// Every template call expanded, in order: the pipeline itself first, as call 0.
    pub calls: Vec<Call>,
}

/// A template expanded at one place: which file, called from where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// An index in [`Expansion::files`].
    pub file: u32,
    /// The `template:` value that called it (in the caller's file, under the caller's
    /// call); the pipeline's own call has none.
    pub at: Option<Origin>,
}

impl Expansion {
    /// The places that called the template `call` is in, outermost first: the call in the
    /// pipeline, then each nested one.
    pub fn call_sites(&self, mut call: u32) -> Vec<&Origin> {
        let mut sites = Vec::new();
        while let Some(at) = self.calls.get(call as usize).and_then(|c| c.at.as_ref()) {
            sites.push(at);
            // A call's site is in its caller's call, always an earlier one.
            if at.call >= call {
                break;
            }
            call = at.call;
        }
        sites.reverse();
        sites
    }
}

/// Expands a pipeline whose text is `text`, at `place`, with runtime parameter values
/// given as text (`name`, `value`), as on the command line or in the run dialog.
pub fn expand(
    text: &str,
    place: &Place,
    files: &(dyn Files + Sync),
    parameters: &[(String, String)],
) -> Expansion {
    on_its_own_stack(place, || {
        expand_here(source::read(text), place, files, parameters)
    })
}

/// [`expand`] of a pipeline already parsed (an open buffer): its tree is read as it is,
/// not parsed again.
pub fn expand_parsed(
    doc: &Document,
    place: &Place,
    files: &(dyn Files + Sync),
    parameters: &[(String, String)],
) -> Expansion {
    let (doc, text) = (doc.clone(), doc.text());
    on_its_own_stack(place, move || {
        expand_here(source::read_parsed(doc, &text), place, files, parameters)
    })
}

/// The stack of the expansion's thread: [`MAX_DEPTH`] levels with room to spare.
const STACK: usize = 256 << 20;

/// Expansion recurses as deep as the YAML and its templates nest (up to a bound), so it
/// runs on a thread of its own with room for that, whatever the caller's stack.
fn on_its_own_stack(place: &Place, expand: impl FnOnce() -> Expansion + Send) -> Expansion {
    let job = std::sync::Mutex::new(Some(expand));
    // The job runs once, wherever it runs first; a panic in it leaves nothing to run.
    let run = || {
        let job = job.lock().ok()?.take()?;
        Some(job())
    };
    let done = std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("azpls-expand".into())
            .stack_size(STACK)
            .spawn_scoped(scope, run);
        match worker {
            Ok(worker) => worker.join().ok().flatten(),
            // No thread to be had: the caller's own stack, then.
            Err(_) => run(),
        }
    });
    done.unwrap_or_else(|| Expansion {
        value: Node::new(Value::Null, Origin::default()),
        errors: vec![Problem {
            file: 0,
            span: 0..0,
            line: 0,
            column: 0,
            message: "internal error: the expansion stopped".to_string(),
        }],
        notes: Vec::new(),
        files: vec![place.file.clone()],
        calls: Vec::new(),
    })
}

fn expand_here(
    main: SourceFile,
    place: &Place,
    files: &dyn Files,
    parameters: &[(String, String)],
) -> Expansion {
    let mut x = Expander {
        files,
        workspace: place.workspace.clone(),
        loaded: Vec::new(),
        by_path: HashMap::new(),
        stack: Vec::new(),
        errors: Vec::new(),
        notes: Vec::new(),
        produced: 0,
        halted: false,
        depth: 0,
        variables: Vec::new(),
        said: Default::default(),
        calls: Vec::new(),
        current: 0,
    };
    let main = x.add(place.file.clone(), main);
    x.calls.push(Call {
        file: main,
        at: None,
    });
    let value = x.pipeline(main, parameters);
    Expansion {
        value,
        errors: x.errors,
        notes: x.notes,
        files: x.loaded.into_iter().map(|l| l.path).collect(),
        calls: x.calls,
    }
}

struct Loaded {
    path: Option<PathBuf>,
    src: Rc<SourceFile>,
}

struct Expander<'f> {
    files: &'f dyn Files,
    workspace: Option<PathBuf>,
    loaded: Vec<Loaded>,
    by_path: HashMap<PathBuf, u32>,
    /// The files being expanded, outermost first: the pipeline, then each template.
    stack: Vec<u32>,
    errors: Vec<Problem>,
    notes: Vec<Problem>,
    produced: usize,
    halted: bool,
    depth: usize,
    /// Template-time variables: those the pipeline defines at its root, then those of the
    /// stage and job being expanded (innermost last).
    variables: Vec<(String, Node)>,
    /// The problems said so far, to say each once (an `each` repeats them).
    said: std::collections::HashSet<(u32, Span, String)>,
    /// The template calls expanded so far, and the one being expanded.
    calls: Vec<Call>,
    current: u32,
}

/// A mapping being produced, with its keys (lowercased) to find one produced twice
/// without a scan per key: `each` may produce many.
#[derive(Default)]
struct Keys {
    list: Vec<(String, Node)>,
    seen: std::collections::HashSet<String>,
}

/// What expressions in one file see.
struct Cx {
    file: u32,
    parameters: Node,
    locals: Vec<(String, Node)>,
}

/// A directive if/elseif/else chain's state: whether a branch was taken.
type Chain = Option<bool>;

fn obj(pairs: Vec<(String, Node)>, origin: Origin) -> Node {
    Node::new(Value::Object(pairs), origin)
}

impl Expander<'_> {
    fn add(&mut self, path: Option<PathBuf>, src: SourceFile) -> u32 {
        let src = Rc::new(src);
        let id = self.loaded.len() as u32;
        for (span, message) in &src.errors {
            let (line, column) = position(&src, span.start);
            self.errors.push(Problem {
                file: id,
                span: span.clone(),
                line,
                column,
                message: message.clone(),
            });
        }
        if let Some(p) = &path {
            self.by_path.insert(p.clone(), id);
        }
        self.loaded.push(Loaded { path, src });
        id
    }

    fn error(&mut self, file: u32, span: Span, message: String) {
        if self.errors.len() > MAX_PROBLEMS {
            return;
        }
        if self.errors.len() == MAX_PROBLEMS {
            message_cap(&mut self.errors, file);
            return;
        }
        let src = &self.loaded[file as usize].src;
        let (line, column) = position(src, span.start);
        if !self.said.insert((file, span.clone(), message.clone())) {
            return;
        }
        self.errors.push(Problem {
            file,
            span,
            line,
            column,
            message,
        });
    }

    fn error_at(&mut self, origin: &Origin, message: String) {
        self.error(origin.file, origin.span.clone(), message);
    }

    fn origin(&self, file: u32, s: &SNode) -> Origin {
        Origin {
            file,
            span: s.span.clone(),
            line: s.line,
            call: self.current,
        }
    }

    /// Counts produced items; false once [`MAX_NODES`] is reached (said once).
    fn produce(&mut self, origin: &Origin, n: usize) -> bool {
        if self.halted {
            return false;
        }
        self.produced += n;
        if self.produced > MAX_NODES {
            self.halted = true;
            self.error_at(
                origin,
                format!("the expansion grows past {MAX_NODES} items; it stops here"),
            );
            return false;
        }
        true
    }

    // ---- files -------------------------------------------------------------------

    fn place_of(&self, file: u32) -> Place {
        Place {
            file: self.loaded[file as usize].path.clone(),
            workspace: self.workspace.clone(),
        }
    }

    /// Finds and reads the template `reference` names from `file`. `None` (with the error
    /// or note said) when it is not expanded.
    fn template(&mut self, file: u32, reference: &str, at: &Origin) -> Option<u32> {
        let place = self.place_of(file);
        let src = self.loaded[file as usize].src.clone();
        match templates::resolve(&src.doc, &place, self.files, reference) {
            Target::File(path) => {
                if let Some(id) = self.by_path.get(&path).copied() {
                    return Some(id);
                }
                if self.loaded.len() >= MAX_FILES {
                    self.error_at(
                        at,
                        format!(
                            "more than {MAX_FILES} files are included; the service stops at \
                             {MAX_FILES}"
                        ),
                    );
                    return None;
                }
                let Some(text) = self.files.read(&path) else {
                    self.error_at(
                        at,
                        format!(
                            "template \"{reference}\" cannot be read (not UTF-8, or larger than \
                             {} MiB)",
                            templates::MAX_TEMPLATE_BYTES >> 20
                        ),
                    );
                    return None;
                };
                Some(self.add(Some(path), source::read(&text)))
            }
            Target::Repository { alias, .. } => {
                let (line, column) = position(&self.loaded[at.file as usize].src, at.span.start);
                self.notes.push(Problem {
                    file: at.file,
                    span: at.span.clone(),
                    line,
                    column,
                    message: format!(
                        "template \"{reference}\" is in repository \"{alias}\": left as a \
                         reference, not expanded"
                    ),
                });
                None
            }
            Target::Missing { tried } => {
                let tried = templates::tried_paths(&place, self.files, &tried);
                let looked = if tried.is_empty() {
                    String::new()
                } else {
                    format!(" (looked for {})", tried.join(", "))
                };
                self.error_at(at, format!("template \"{reference}\" not found{looked}"));
                None
            }
            Target::Outside => {
                self.error_at(
                    at,
                    format!("template \"{reference}\" is outside the repository: the service does not read it"),
                );
                None
            }
            Target::Expression => {
                self.error_at(
                    at,
                    format!(
                        "template path \"{reference}\" still has an expression after expansion"
                    ),
                );
                None
            }
        }
    }

    /// Enters a template: false (with the error said) when that would include a file in
    /// itself or nest deeper than the service allows.
    fn enter(&mut self, id: u32, at: &Origin, reference: &str) -> bool {
        if self.stack.contains(&id) {
            self.error_at(at, format!("template \"{reference}\" includes itself"));
            return false;
        }
        if self.stack.len() > MAX_NESTING {
            self.error_at(
                at,
                format!(
                    "templates nest deeper than {MAX_NESTING} levels here; the service stops at \
                     {MAX_NESTING}"
                ),
            );
            return false;
        }
        self.stack.push(id);
        true
    }

    // ---- the pipeline and templates ----------------------------------------------

    fn pipeline(&mut self, main: u32, given: &[(String, String)]) -> Node {
        let src = self.loaded[main as usize].src.clone();
        let origin = self.origin(main, &src.root);
        // Runtime parameters: the values given, as text, in place of the defaults.
        let mut passed = Vec::new();
        for (name, text) in given {
            let v = given_value(text, &origin);
            passed.push((name.clone(), v));
        }
        let parameters = self.bind(
            main,
            &src.root,
            Some(obj(passed, origin.clone())),
            &origin,
            true,
        );
        let mut cx = Cx {
            file: main,
            parameters,
            locals: Vec::new(),
        };
        // Variables defined at the root are known to template expressions.
        if let Some(vars) = src.root.get("variables") {
            let v = self.value(vars, &mut cx);
            self.variables = variable_pairs(&v);
        }
        self.stack.push(main);
        let root = self.file_root(&src.root, &mut cx);
        self.stack.pop();
        root
    }

    /// Binds a file's declared `parameters:` to what is passed: defaults, types, allowed
    /// values, unknown and missing parameters.
    fn bind(
        &mut self,
        file: u32,
        root: &SNode,
        passed: Option<Node>,
        at: &Origin,
        runtime: bool,
    ) -> Node {
        let mut passed: Vec<(String, Node)> = match passed {
            Some(Node {
                value: Value::Object(p),
                ..
            }) => p,
            Some(Node {
                value: Value::Null, ..
            })
            | None => Vec::new(),
            Some(other) => {
                self.error_at(
                    &other.origin,
                    format!(
                        "\"parameters\" must be a mapping, not a {}",
                        other.value.kind()
                    ),
                );
                Vec::new()
            }
        };
        let origin = at.clone();
        let mut out = Vec::new();
        let mut empty = Cx {
            file,
            parameters: obj(Vec::new(), origin.clone()),
            locals: Vec::new(),
        };
        let decl = root.get("parameters");
        match decl.map(|d| &d.kind) {
            Some(SKind::Seq(items)) => {
                for item in items {
                    let Some(name) = item.get("name").and_then(SNode::text) else {
                        continue;
                    };
                    let name = name.to_string();
                    let kind = item
                        .get("type")
                        .and_then(SNode::text)
                        .unwrap_or("string")
                        .to_string();
                    let given = passed
                        .iter()
                        .position(|(k, _)| k == &name)
                        .map(|i| passed.remove(i).1);
                    let value = match given {
                        Some(v) => v,
                        None => match item.get("default") {
                            Some(d) => self.value(d, &mut empty),
                            None => {
                                self.error_at(
                                    at,
                                    format!(
                                        "parameter \"{name}\" has no default and no value is passed; pass it{}",
                                        if runtime { " with --parameter" } else { " under \"parameters:\"" }
                                    ),
                                );
                                continue;
                            }
                        },
                    };
                    let value = self.typed(&name, &kind, value);
                    if let Some(SKind::Seq(allowed)) = item.get("values").map(|v| &v.kind) {
                        let fits = allowed
                            .iter()
                            .any(|a| match (a.text(), value.value.text()) {
                                (Some(a), Some(v)) => value::eq_ignore_case(a, &v),
                                _ => false,
                            });
                        if !fits && !allowed.is_empty() {
                            let list: Vec<&str> = allowed.iter().filter_map(SNode::text).collect();
                            self.error_at(
                                &value.origin,
                                format!(
                                    "\"{}\" is not an allowed value of parameter \"{name}\"; use one of: {}",
                                    value.value.text().unwrap_or_default(),
                                    list.join(", ")
                                ),
                            );
                        }
                    }
                    out.push((name, value));
                }
            }
            Some(SKind::Map(pairs)) => {
                // The older form: `name: default`, untyped.
                for (k, d) in pairs {
                    let Some(name) = k.text() else { continue };
                    let name = name.to_string();
                    let given = passed
                        .iter()
                        .position(|(k, _)| k == &name)
                        .map(|i| passed.remove(i).1);
                    let value = match given {
                        Some(v) => v,
                        None => self.value(d, &mut empty),
                    };
                    out.push((name, value));
                }
            }
            _ => {}
        }
        for (name, v) in passed {
            let at = if runtime {
                origin.clone()
            } else {
                v.origin.clone()
            };
            self.error_at(
                &at,
                format!(
                    "unexpected parameter \"{name}\": the file declares no parameter of that name"
                ),
            );
        }
        obj(out, origin)
    }

    /// A parameter's value checked against its type, and cast where the type says so.
    fn typed(&mut self, name: &str, kind: &str, v: Node) -> Node {
        let wrong = |x: &mut Self, v: &Node| {
            x.error_at(
                &v.origin,
                format!(
                    "parameter \"{name}\" is a {kind}, and the value is a {}{}",
                    v.value.kind(),
                    v.value
                        .text()
                        .map(|t| format!(" (\"{t}\")"))
                        .unwrap_or_default()
                ),
            );
        };
        let k = kind.to_ascii_lowercase();
        match k.as_str() {
            "string" => match &v.value {
                Value::Array(_) | Value::Object(_) => {
                    wrong(self, &v);
                    v
                }
                Value::String(..) => v,
                other => {
                    let t = other.text().unwrap_or_default();
                    Node::new(Value::string(t), v.origin)
                }
            },
            "number" => match &v.value {
                Value::Number(_) => v,
                Value::String(s, _) if value::parse_number(s).is_some() && !s.trim().is_empty() => {
                    Node::new(
                        Value::Number(value::parse_number(s).unwrap_or(0.0)),
                        v.origin,
                    )
                }
                _ => {
                    wrong(self, &v);
                    v
                }
            },
            "boolean" => match &v.value {
                Value::Bool(_) => v,
                Value::String(s, _) if s.eq_ignore_ascii_case("true") => {
                    Node::new(Value::Bool(true), v.origin)
                }
                Value::String(s, _) if s.eq_ignore_ascii_case("false") => {
                    Node::new(Value::Bool(false), v.origin)
                }
                _ => {
                    wrong(self, &v);
                    v
                }
            },
            "step" | "job" | "deployment" | "stage" => {
                if !matches!(v.value, Value::Object(_)) {
                    wrong(self, &v);
                }
                v
            }
            "steplist" | "joblist" | "deploymentlist" | "stagelist" => {
                if !matches!(v.value, Value::Array(_) | Value::Null) {
                    wrong(self, &v);
                }
                v
            }
            _ => v,
        }
    }

    /// A file's root mapping, expanded, with its `extends:` replaced by what the extended
    /// template gives, and without its `parameters:` declarations.
    fn file_root(&mut self, root: &SNode, cx: &mut Cx) -> Node {
        let origin = self.origin(cx.file, root);
        let SKind::Map(pairs) = &root.kind else {
            return self.value(root, cx);
        };
        let mut keys = Keys::default();
        let pairs: Vec<&(SNode, SNode)> = pairs
            .iter()
            .filter(|(k, _)| k.text() != Some("parameters"))
            .collect();
        self.mapping(pairs.into_iter(), cx, &mut keys);
        let mut out = keys.list;
        if let Some(i) = out.iter().position(|(k, _)| k == "extends") {
            let (_, ext) = out.remove(i);
            if let Some((template, reference, passed)) = call_of(&ext) {
                match self.call(cx.file, &template, &reference, passed) {
                    Some(Node {
                        value: Value::Object(pairs),
                        ..
                    }) => {
                        for (j, (k, v)) in pairs.into_iter().enumerate() {
                            if out.iter().any(|(o, _)| o.eq_ignore_ascii_case(&k)) {
                                self.error_at(
                                    &v.origin,
                                    format!("key \"{k}\" is produced twice: by the pipeline and by the template it extends"),
                                );
                                continue;
                            }
                            out.insert(i + j, (k, v));
                        }
                    }
                    Some(_) => {}
                    None => out.insert(i, ("extends".to_string(), ext)),
                }
            } else {
                out.insert(i, ("extends".to_string(), ext));
            }
        }
        obj(out, origin)
    }

    /// Expands the template `reference` (whose value node is `template`) called from `file`
    /// with `passed` parameters: its root, expanded. `None` when it is not expanded.
    fn call(
        &mut self,
        file: u32,
        template: &Node,
        reference: &str,
        passed: Option<Node>,
    ) -> Option<Node> {
        let id = self.template(file, reference, &template.origin)?;
        if !self.enter(id, &template.origin, reference) {
            return None;
        }
        let caller = self.current;
        self.current = self.calls.len() as u32;
        self.calls.push(Call {
            file: id,
            at: Some(template.origin.clone()),
        });
        let src = self.loaded[id as usize].src.clone();
        let parameters = self.bind(id, &src.root, passed, &template.origin, false);
        let mut cx = Cx {
            file: id,
            parameters,
            locals: Vec::new(),
        };
        let root = self.file_root(&src.root, &mut cx);
        self.stack.pop();
        self.current = caller;
        Some(root)
    }

    // ---- nodes ----------------------------------------------------------------

    fn value(&mut self, s: &SNode, cx: &mut Cx) -> Node {
        let origin = self.origin(cx.file, s);
        if self.depth >= MAX_DEPTH {
            self.error_at(&origin, "the expansion nests too deep here".to_string());
            return Node::new(Value::Null, origin);
        }
        self.depth += 1;
        let out = match &s.kind {
            SKind::Null => Node::new(Value::Null, origin),
            SKind::Scalar {
                text,
                plain,
                base,
                exprs,
            } => self.scalar(text, *plain, *base, exprs.as_deref(), origin, cx),
            SKind::Map(pairs) => {
                let mut keys = Keys::default();
                self.mapping(pairs.iter(), cx, &mut keys);
                obj(keys.list, origin)
            }
            SKind::Seq(items) => {
                let mut out = Vec::new();
                self.sequence(items, cx, &mut out);
                Node::new(Value::Array(out), origin)
            }
        };
        self.depth -= 1;
        out
    }

    fn eval(
        &mut self,
        e: &Expression,
        text: &str,
        base: usize,
        origin: &Origin,
        cx: &Cx,
    ) -> Option<Node> {
        if let Some(err) = e.errors.first() {
            let o = Origin {
                span: err.span.clone(),
                ..origin.clone()
            };
            self.error_at(&o, err.message.clone());
            return None;
        }
        let scope = Scope {
            parameters: &cx.parameters,
            variables: &self.variables,
            locals: &cx.locals,
        };
        let ev = Eval {
            e,
            src: Text { text, base },
            scope: &scope,
            origin,
            unknown: Default::default(),
        };
        let result = ev.root();
        for (span, name) in ev.unknown.take() {
            let (line, column) = position(&self.loaded[origin.file as usize].src, span.start);
            let message = format!(
                "variable \"{name}\" has no value when templates are expanded here (only the \
                 variables the pipeline, its stages and jobs set are known; predefined ones \
                 are the service's): it reads as empty"
            );
            let note = Problem {
                file: origin.file,
                span,
                line,
                column,
                message,
            };
            if self.notes.len() < MAX_PROBLEMS
                && self
                    .said
                    .insert((note.file, note.span.clone(), note.message.clone()))
            {
                self.notes.push(note);
            }
        }
        match result {
            Ok(v) => Some(v),
            Err(err) => {
                let o = Origin {
                    span: err.span,
                    ..origin.clone()
                };
                self.error_at(&o, err.message);
                None
            }
        }
    }

    fn scalar(
        &mut self,
        text: &str,
        plain: bool,
        base: usize,
        exprs: Option<&[Expression]>,
        origin: Origin,
        cx: &mut Cx,
    ) -> Node {
        let style = if plain { Style::Plain } else { Style::Other };
        let Some(exprs) = exprs.filter(|e| !e.is_empty()) else {
            return Node::new(Value::String(text.to_string(), style), origin);
        };
        let local = |span: &Span| span.start.saturating_sub(base)..span.end.saturating_sub(base);
        // A value that is one expression takes the expression's value, whatever its type.
        if let [e] = exprs
            && e.kind == Kind::Template
            && e.directive.is_none()
            && text.trim() == text.get(local(&e.span)).unwrap_or("")
        {
            let v = self.eval(e, text, base, &origin, cx);
            return match v {
                Some(v) => match v.value {
                    Value::Array(_) | Value::Object(_) => v,
                    scalar => Node::new(scalar, origin),
                },
                None => Node::new(Value::Null, origin),
            };
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for e in exprs.iter().filter(|e| e.kind == Kind::Template) {
            let r = local(&e.span);
            let Some(before) = text
                .get(at..r.start)
                .filter(|_| text.get(r.clone()).is_some())
            else {
                continue;
            };
            out.push_str(before);
            at = r.end;
            if e.directive.is_some() {
                self.error_at(
                    &Origin {
                        span: e.span.clone(),
                        ..origin.clone()
                    },
                    "a directive (if, elseif, else, each, insert) must be a whole mapping key"
                        .to_string(),
                );
                continue;
            }
            if let Some(v) = self.eval(e, text, base, &origin, cx) {
                match v.value.text() {
                    Some(t) => out.push_str(&t),
                    None => self.error_at(
                        &Origin {
                            span: e.span.clone(),
                            ..origin.clone()
                        },
                        format!("a {} cannot be inserted into a string", v.value.kind()),
                    ),
                }
            }
            if out.len() > eval::MAX_STRING {
                self.error_at(&origin, "the string grows too long".to_string());
                break;
            }
        }
        out.push_str(text.get(at..).unwrap_or(""));
        Node::new(Value::String(out, Style::Other), origin)
    }

    /// The directive a key is, with its expression.
    fn directive(s: &SNode) -> Option<(&Directive, &Expression, &str, usize)> {
        let SKind::Scalar {
            text, base, exprs, ..
        } = &s.kind
        else {
            return None;
        };
        match exprs.as_deref() {
            Some([e]) => e
                .directive
                .as_ref()
                .map(|(d, _)| (d, e, text.as_str(), *base)),
            _ => None,
        }
    }

    /// One directive of a mapping or a sequence: `body` is called for each part of the
    /// value to insert (never for a branch not taken).
    fn directive_step(
        &mut self,
        key: &SNode,
        value: &SNode,
        cx: &mut Cx,
        chain: &mut Chain,
        body: &mut dyn FnMut(&mut Self, &SNode, &mut Cx),
    ) {
        let Some((d, e, text, base)) = Self::directive(key) else {
            return;
        };
        let origin = self.origin(cx.file, key);
        match d {
            Directive::If => {
                let c = self
                    .eval(e, text, base, &origin, cx)
                    .is_some_and(|v| v.value.truthy());
                *chain = Some(c);
                if c {
                    body(self, value, cx);
                }
            }
            Directive::ElseIf => match *chain {
                None => self.error_at(
                    &origin,
                    "\"elseif\" without an \"if\" before it".to_string(),
                ),
                Some(true) => {}
                Some(false) => {
                    let c = self
                        .eval(e, text, base, &origin, cx)
                        .is_some_and(|v| v.value.truthy());
                    *chain = Some(c);
                    if c {
                        body(self, value, cx);
                    }
                }
            },
            Directive::Else => {
                match *chain {
                    None => {
                        self.error_at(&origin, "\"else\" without an \"if\" before it".to_string())
                    }
                    Some(true) => {}
                    Some(false) => body(self, value, cx),
                }
                *chain = None;
            }
            Directive::Each { variable, .. } => {
                *chain = None;
                let Some(c) = self.eval(e, text, base, &origin, cx) else {
                    return;
                };
                let items: Vec<Node> = match c.value {
                    Value::Array(items) => items,
                    Value::Object(pairs) => pairs
                        .into_iter()
                        .map(|(k, v)| {
                            let o = v.origin.clone();
                            obj(
                                vec![
                                    ("key".to_string(), Node::new(Value::string(k), o.clone())),
                                    ("value".to_string(), v),
                                ],
                                o,
                            )
                        })
                        .collect(),
                    Value::Null => Vec::new(),
                    other => {
                        self.error_at(
                            &origin,
                            format!(
                                "\"each\" goes over a sequence or a mapping, and this is a {}",
                                other.kind()
                            ),
                        );
                        return;
                    }
                };
                for item in items {
                    if !self.produce(&origin, 1) {
                        return;
                    }
                    cx.locals.push((variable.clone(), item));
                    body(self, value, cx);
                    cx.locals.pop();
                }
            }
            Directive::Insert => {
                *chain = None;
                body(self, value, cx);
            }
        }
    }

    /// A mapping's pairs, expanded into `out`. A stage, job or deployment's own
    /// `variables` are known to the template expressions inside it, over those of the
    /// pipeline (as the service allows).
    fn mapping<'s>(
        &mut self,
        pairs: impl Iterator<Item = &'s (SNode, SNode)>,
        cx: &mut Cx,
        out: &mut Keys,
    ) {
        let pairs: Vec<&(SNode, SNode)> = pairs.collect();
        let key_is = |k: &SNode, names: &[&str]| k.text().is_some_and(|t| names.contains(&t));
        let scoped = pairs
            .iter()
            .any(|(k, _)| key_is(k, &["stage", "job", "deployment"]));
        let outer = self.variables.len();
        if scoped && let Some((_, vars)) = pairs.iter().find(|(k, _)| key_is(k, &["variables"])) {
            let v = self.value(vars, cx);
            let own = variable_pairs(&v);
            self.variables.extend(own);
        }
        self.mapping_pairs(pairs.into_iter(), cx, out);
        self.variables.truncate(outer);
    }

    fn mapping_pairs<'s>(
        &mut self,
        pairs: impl Iterator<Item = &'s (SNode, SNode)>,
        cx: &mut Cx,
        out: &mut Keys,
    ) {
        let mut chain: Chain = None;
        for (k, v) in pairs {
            if self.halted {
                return;
            }
            if let Some((d, ..)) = Self::directive(k) {
                let insert = matches!(d, Directive::Insert);
                self.directive_step(k, v, cx, &mut chain, &mut |x, body, cx| {
                    if insert {
                        let inserted = x.value(body, cx);
                        match inserted.value {
                            Value::Object(pairs) => {
                                for (k, v) in pairs {
                                    x.put(out, k, v);
                                }
                            }
                            Value::Null => {}
                            other => x.error_at(
                                &inserted.origin,
                                format!(
                                    "\"insert\" in a mapping takes a mapping, not a {}",
                                    other.kind()
                                ),
                            ),
                        }
                        return;
                    }
                    match &body.kind {
                        SKind::Map(pairs) => x.mapping(pairs.iter(), cx, out),
                        SKind::Null => {}
                        _ => {
                            let o = x.origin(cx.file, body);
                            x.error_at(
                                &o,
                                "a directive in a mapping must hold a mapping".to_string(),
                            );
                        }
                    }
                });
                continue;
            }
            chain = None;
            let key = self.value(k, cx);
            let key_text = match key.value.text() {
                Some(t) => t,
                None => {
                    self.error_at(
                        &key.origin,
                        format!("a key cannot be a {}", key.value.kind()),
                    );
                    continue;
                }
            };
            if !self.produce(&key.origin, 1) {
                return;
            }
            let value = self.value(v, cx);
            self.put(out, key_text, value);
        }
    }

    fn put(&mut self, out: &mut Keys, key: String, value: Node) {
        if !out.seen.insert(key.to_lowercase()) {
            self.error_at(
                &value.origin,
                format!("key \"{key}\" is produced twice in this mapping"),
            );
            return;
        }
        out.list.push((key, value));
    }

    fn sequence(&mut self, items: &[SNode], cx: &mut Cx, out: &mut Vec<Node>) {
        let mut chain: Chain = None;
        for item in items {
            if self.halted {
                return;
            }
            // An item whose keys are all directives with sequences under them inserts
            // items; with mappings under them, it is one mapping (`- ${{ each p in job }}:`
            // with `${{ p.key }}: ${{ p.value }}` copies a job).
            if let SKind::Map(pairs) = &item.kind
                && !pairs.is_empty()
                && pairs.iter().all(|(k, _)| Self::directive(k).is_some())
                && !pairs.iter().any(|(_, v)| matches!(v.kind, SKind::Map(_)))
            {
                for (k, v) in pairs {
                    self.directive_step(
                        k,
                        v,
                        cx,
                        &mut chain,
                        &mut |x, body, cx| match &body.kind {
                            SKind::Seq(items) => x.sequence(items, cx, out),
                            SKind::Null => {}
                            _ => {
                                let v = x.value(body, cx);
                                x.push(out, v);
                            }
                        },
                    );
                }
                continue;
            }
            chain = None;
            let v = self.value(item, cx);
            // A template call: its items in place of it.
            if matches!(item.kind, SKind::Map(_))
                && let Some((template, reference, passed)) = call_of(&v)
            {
                match self.call(cx.file, &template, &reference, passed) {
                    Some(root) => self.splice(root, out),
                    None => self.push(out, v),
                }
                continue;
            }
            // `- ${{ parameters.steps }}`: a sequence inserted in place.
            if matches!(item.kind, SKind::Scalar { .. })
                && let Value::Array(items) = v.value
            {
                for i in items {
                    self.push(out, i);
                }
                continue;
            }
            self.push(out, v);
        }
    }

    fn push(&mut self, out: &mut Vec<Node>, v: Node) {
        if self.produce(&v.origin, 1) {
            out.push(v);
        }
    }

    /// What a template of items gives to the sequence that calls it: its `stages`,
    /// `jobs`, `steps` or `variables` (a mapping of variables as `name`/`value` items).
    fn splice(&mut self, root: Node, out: &mut Vec<Node>) {
        let Value::Object(pairs) = root.value else {
            return;
        };
        for want in ["stages", "jobs", "steps", "variables"] {
            if let Some((_, v)) = pairs.iter().find(|(k, _)| k == want) {
                match &v.value {
                    Value::Array(items) => {
                        for i in items.clone() {
                            self.push(out, i);
                        }
                    }
                    Value::Object(vars) if want == "variables" => {
                        for (name, value) in vars.clone() {
                            let o = value.origin.clone();
                            let item = obj(
                                vec![
                                    (
                                        "name".to_string(),
                                        Node::new(Value::string(name), o.clone()),
                                    ),
                                    ("value".to_string(), value),
                                ],
                                o,
                            );
                            self.push(out, item);
                        }
                    }
                    _ => {}
                }
                return;
            }
        }
    }
}

/// `template:` and `parameters:` of an expanded item that calls a template (no other
/// keys), with the path as written.
fn call_of(v: &Node) -> Option<(Node, String, Option<Node>)> {
    let Value::Object(pairs) = &v.value else {
        return None;
    };
    if !pairs
        .iter()
        .all(|(k, _)| k == "template" || k == "parameters")
    {
        return None;
    }
    let (_, t) = pairs.iter().find(|(k, _)| k == "template")?;
    let reference = t.value.as_str()?.to_string();
    let passed = pairs
        .iter()
        .find(|(k, _)| k == "parameters")
        .map(|(_, p)| p.clone());
    Some((t.clone(), reference, passed))
}

/// The root `variables:` as name/value pairs (both forms; groups and templates skipped).
fn variable_pairs(v: &Node) -> Vec<(String, Node)> {
    match &v.value {
        Value::Object(pairs) => pairs.clone(),
        Value::Array(items) => items
            .iter()
            .filter_map(|i| {
                let name = eval::member(&i.value, "name")?;
                let value = eval::member(&i.value, "value")
                    .unwrap_or_else(|| Node::new(Value::Null, i.origin.clone()));
                Some((name.value.as_str()?.to_string(), value))
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// A runtime parameter's value given as text: YAML, as in the run dialog (`[a, b]` is a
/// list), read without expressions.
fn given_value(text: &str, origin: &Origin) -> Node {
    let t = text.trim_start();
    if t.starts_with(['[', '{']) || text.contains('\n') {
        let src = source::read(text);
        if src.errors.is_empty() {
            return plain(&src.root, origin);
        }
    }
    Node::new(Value::string(text), origin.clone())
}

/// A source node as a value, expressions left as text.
fn plain(s: &SNode, origin: &Origin) -> Node {
    let value = match &s.kind {
        SKind::Null => Value::Null,
        SKind::Scalar { text, .. } => Value::string(text.clone()),
        SKind::Seq(items) => Value::Array(items.iter().map(|i| plain(i, origin)).collect()),
        SKind::Map(pairs) => Value::Object(
            pairs
                .iter()
                .filter_map(|(k, v)| Some((k.text()?.to_string(), plain(v, origin))))
                .collect(),
        ),
    };
    Node::new(value, origin.clone())
}

/// The last error kept, saying that more were left out.
fn message_cap(errors: &mut Vec<Problem>, file: u32) {
    errors.push(Problem {
        file,
        span: 0..0,
        line: 0,
        column: 0,
        message: format!("more than {MAX_PROBLEMS} errors; the rest are left out"),
    });
}

fn position(src: &SourceFile, offset: usize) -> (u32, u32) {
    let rope = src.doc.rope();
    let offset = offset.min(rope.len_bytes());
    let line = rope.byte_to_line(offset);
    let column = offset - rope.line_to_byte(line);
    (line as u32, column as u32)
}

#[cfg(test)]
mod tests;
