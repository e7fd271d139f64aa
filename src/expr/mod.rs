//! The Azure Pipelines expression language: template expressions (`${{ }}`, with the `if`,
//! `elseif`, `else`, `each` and `insert` directives of mapping keys), runtime expressions
//! (`$[ ]`) and the bare expressions of `condition:` values. A lexer and a parser turn a
//! scalar's text into syntax trees whose spans are byte offsets in the document, with the
//! syntax errors found on the way; the table of functions (`data/expression-functions.toml`)
//! says what each function takes and returns; [`document`] finds the expressions of a
//! pipeline document.
//!
//! Parsing never fails and never panics: every input gives trees (with `Missing` nodes where
//! something was expected) and a list of errors. Nesting is bounded ([`MAX_DEPTH`]) because
//! the text is untrusted.

pub mod document;
pub mod functions;
mod lexer;
mod parser;

pub use functions::{Function, FunctionContext, FunctionKind, functions};

use crate::text::Span;

/// How deep calls, groups and indexes may nest before the parser gives up on an expression:
/// far more than anyone writes, few enough for any thread's stack.
pub const MAX_DEPTH: usize = 64;

/// Which of the three forms an expression has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `${{ }}`: expanded when the pipeline is compiled.
    Template,
    /// `$[ ]`: evaluated when the run reaches it (variables).
    Runtime,
    /// A `condition:` value, written without a wrapper.
    Condition,
}

/// The text of a scalar as the document has it, and where it starts.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// A slice of the document (the inside of the quotes for a quoted scalar).
    pub text: &'a str,
    /// The document offset of `text`'s first byte.
    pub base: usize,
    /// A YAML single-quoted scalar, where `''` stands for one `'`: the expression's own
    /// quotes are written doubled.
    pub doubled_quotes: bool,
}

impl<'a> Source<'a> {
    /// Plain text starting at `base`.
    pub fn plain(text: &'a str, base: usize) -> Self {
        Source {
            text,
            base,
            doubled_quotes: false,
        }
    }
}

/// A node's index in its expression's arena.
pub type NodeId = usize;

/// One node of an expression's syntax tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// Document bytes, from the first token of the node to its last.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A string literal: its value (`''` read as `'`) and the document bytes between its
    /// quotes.
    String {
        value: String,
        inner: Span,
    },
    Number,
    /// `1.2.3`: two or three dots.
    Version,
    Boolean(bool),
    Null,
    /// A named value: `parameters`, `variables`, `dependencies`, a loop variable …
    Name(String),
    /// A `${{ }}` or `$( )` inside a condition: text the compiler or the agent replaces
    /// before the condition is read, so any value.
    Hole,
    /// `object.name`.
    Property {
        object: NodeId,
        name: String,
        name_span: Span,
    },
    /// `object.*` or `object[*]`: the filtered array of every item.
    Wildcard {
        object: NodeId,
    },
    /// `object[index]`.
    Index {
        object: NodeId,
        index: NodeId,
    },
    /// `name(args)`. `closed` is false when the `)` is missing.
    Call {
        name: String,
        name_span: Span,
        args: Vec<NodeId>,
        closed: bool,
    },
    /// `(expression)`.
    Group(NodeId),
    /// Where a value was expected and none was found (an error says so).
    Missing,
}

/// A template expression in a mapping key that inserts rather than computes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Directive {
    /// `${{ if condition }}` (the condition is the expression's root).
    If,
    /// `${{ elseif condition }}`.
    ElseIf,
    /// `${{ else }}`.
    Else,
    /// `${{ each variable in collection }}` (the collection is the root).
    Each {
        variable: String,
        variable_span: Span,
    },
    /// `${{ insert }}`.
    Insert,
}

/// A syntax error: where, and what to do, in the house style (lowercase, no rule id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub span: Span,
    pub message: String,
}

/// One parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Expression {
    pub kind: Kind,
    /// The whole expression with its delimiters (`${{ … }}`, `$[ … ]`, or the condition).
    pub span: Span,
    /// What lies between the delimiters.
    pub body: Span,
    pub directive: Option<(Directive, Span)>,
    /// The expression proper (for `if` its condition, for `each` its collection); `None`
    /// for `else`, `insert` and empty expressions.
    pub root: Option<NodeId>,
    pub nodes: Vec<Node>,
    /// In the order found: the first is the one to report.
    pub errors: Vec<SyntaxError>,
}

impl Expression {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Every function call, in document order of the names.
    pub fn calls(&self) -> impl Iterator<Item = Call<'_>> {
        let mut calls: Vec<Call> = self
            .nodes
            .iter()
            .filter_map(|n| match &n.kind {
                NodeKind::Call {
                    name,
                    name_span,
                    args,
                    closed,
                } => Some(Call {
                    name,
                    name_span: name_span.clone(),
                    span: n.span.clone(),
                    args: args.len(),
                    closed: *closed,
                }),
                _ => None,
            })
            .collect();
        calls.sort_by_key(|c| c.name_span.start);
        calls.into_iter()
    }

    /// The references to named values this expression makes: `parameters.x`,
    /// `variables['x']`, `dependencies.X`, `stageDependencies.X.Y`, each with the span of the
    /// name, in document order.
    pub fn references(&self) -> impl Iterator<Item = Reference<'_>> {
        references(self).into_iter()
    }

    /// Whether the expression has a node whose span holds `offset` (ends included).
    pub fn covers(&self, offset: usize) -> bool {
        self.span.start <= offset && offset <= self.span.end
    }
}

/// A function call, as the rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call<'e> {
    pub name: &'e str,
    pub name_span: Span,
    /// From the name to the `)` (or as far as the call goes).
    pub span: Span,
    /// How many arguments it has.
    pub args: usize,
    /// Its `)` is there: a call without one has no countable arguments.
    pub closed: bool,
}

/// A reference to a named value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference<'e> {
    /// `parameters.name` or `parameters['name']`.
    Parameter {
        name: &'e str,
        name_span: Span,
        span: Span,
    },
    /// `variables.name` or `variables['name']`.
    Variable {
        name: &'e str,
        name_span: Span,
        span: Span,
    },
    /// `dependencies.X` (a job, or a stage in a stage's condition).
    Dependency {
        name: &'e str,
        name_span: Span,
        span: Span,
    },
    /// `stageDependencies.X` or `stageDependencies.X.Y` (a stage and one of its jobs).
    StageDependency {
        stage: &'e str,
        stage_span: Span,
        job: Option<(&'e str, Span)>,
        span: Span,
    },
}

/// What follows a named value: `.name` or `['name']`, with the span of the name (inside
/// the quotes).
fn member<'e>(e: &'e Expression, node: &'e Node) -> Option<(NodeId, &'e str, Span)> {
    match &node.kind {
        NodeKind::Property {
            object,
            name,
            name_span,
        } => Some((*object, name.as_str(), name_span.clone())),
        NodeKind::Index { object, index } => match &e.nodes[*index].kind {
            NodeKind::String { value, inner } => Some((*object, value.as_str(), inner.clone())),
            _ => None,
        },
        _ => None,
    }
}

fn references(e: &Expression) -> Vec<Reference<'_>> {
    let named = |id: NodeId, want: &str| matches!(&e.nodes[id].kind, NodeKind::Name(n) if n.eq_ignore_ascii_case(want));
    let mut out = Vec::new();
    // The `stageDependencies.X` nodes, to find a `.Y` on them.
    let mut stages: Vec<(NodeId, &str, Span)> = Vec::new();
    for (id, node) in e.nodes.iter().enumerate() {
        let Some((object, name, name_span)) = member(e, node) else {
            continue;
        };
        let span = node.span.clone();
        if named(object, "parameters") {
            out.push(Reference::Parameter {
                name,
                name_span,
                span,
            });
        } else if named(object, "variables") {
            out.push(Reference::Variable {
                name,
                name_span,
                span,
            });
        } else if named(object, "dependencies") {
            out.push(Reference::Dependency {
                name,
                name_span,
                span,
            });
        } else if named(object, "stageDependencies") {
            stages.push((id, name, name_span));
        }
    }
    for (id, stage, stage_span) in stages {
        let job = e.nodes.iter().find_map(|n| {
            let (object, name, span) = member(e, n)?;
            (object == id).then_some((name, span, n.span.clone()))
        });
        let span = match &job {
            Some((_, _, whole)) => whole.clone(),
            None => e.nodes[id].span.clone(),
        };
        out.push(Reference::StageDependency {
            stage,
            stage_span,
            job: job.map(|(name, span, _)| (name, span)),
            span,
        });
    }
    out.sort_by_key(|r| match r {
        Reference::Parameter { name_span, .. }
        | Reference::Variable { name_span, .. }
        | Reference::Dependency { name_span, .. } => name_span.start,
        Reference::StageDependency { stage_span, .. } => stage_span.start,
    });
    out
}

/// Where in a pipeline a scalar with expressions stands, which decides what it may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A mapping key: `${{ }}` with directives (`${{ if … }}:`).
    Key,
    /// A value: `${{ }}` anywhere in it, or a `$[ ]` that is the whole value.
    Value,
    /// A block scalar (a script): `${{ }}` only; `$[` is the script's own text.
    Block,
    /// A `condition:` value: a bare expression, which may hold `${{ }}` too.
    Condition,
}

/// Every expression of one scalar: its `${{ }}` expressions in order, then, for a
/// `$[ ]` value or a condition, that expression.
pub fn parse(source: Source, role: Role) -> Vec<Expression> {
    let templates = lexer::template_spans(source);
    let mut out: Vec<Expression> = templates
        .iter()
        .map(|t| parser::template(source, t, role == Role::Key))
        .collect();
    match role {
        Role::Value => {
            if let Some(e) = parser::runtime(source) {
                out.push(e);
            }
        }
        Role::Condition => {
            let unclosed = templates.iter().any(|t| !t.closed);
            let mut e = parser::condition(source);
            // An unclosed `${{` swallows the rest of the condition: its own error says
            // all there is to say.
            if unclosed {
                e.errors.clear();
            }
            if e.root.is_some() || !e.errors.is_empty() {
                out.push(e);
            }
        }
        Role::Key | Role::Block => {}
    }
    out
}

/// Parses one expression's text on its own, as a condition is read: for tests and for
/// callers that have the text of an expression body.
pub fn parse_condition(text: &str) -> Expression {
    parser::condition(Source::plain(text, 0))
}

#[cfg(test)]
mod tests;
