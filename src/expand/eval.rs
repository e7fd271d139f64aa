//! Evaluates the trees of the `expr` parser against template-time values, with the
//! documented casts: comparisons cast the right side to the left's type and compare
//! strings ignoring case; `and` and `or` stop early; a dictionary miss is null.

use super::value::{self, Node, Origin, Value, compare, eq_ignore_case, equal};
use crate::expr::{Expression, FunctionContext, NodeId, NodeKind, functions};
use crate::text::Span;

/// The most bytes a computed string may hold: far more than any pipeline needs, few
/// enough that nested `format`/`replace` calls on untrusted text cannot exhaust memory.
pub const MAX_STRING: usize = 4 << 20;

/// What names mean in an expression.
pub struct Scope<'a> {
    pub parameters: &'a Node,
    pub variables: &'a [(String, Node)],
    /// `each` loop variables, innermost last.
    pub locals: &'a [(String, Node)],
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    pub span: Span,
    pub message: String,
}

/// The text an expression was parsed from, to read literals back: `text` starts at
/// document offset `base`.
#[derive(Clone, Copy)]
pub struct Text<'a> {
    pub text: &'a str,
    pub base: usize,
}

pub struct Eval<'a> {
    pub e: &'a Expression,
    pub src: Text<'a>,
    pub scope: &'a Scope<'a>,
    pub origin: &'a Origin,
    /// The variables read that have no value here (predefined ones, mostly), with the span
    /// of the reference: worth a note, since they read as empty.
    pub unknown: std::cell::RefCell<Vec<(Span, String)>>,
}

type R = Result<Node, EvalError>;

impl Eval<'_> {
    fn err<T>(&self, span: &Span, message: String) -> Result<T, EvalError> {
        Err(EvalError {
            span: span.clone(),
            message,
        })
    }

    fn node(&self, value: Value) -> Node {
        Node::new(value, self.origin.clone())
    }

    fn literal(&self, span: &Span) -> &str {
        let start = span.start.saturating_sub(self.src.base);
        let end = span.end.saturating_sub(self.src.base);
        self.src.text.get(start..end).unwrap_or("")
    }

    pub fn root(&self) -> R {
        match self.e.root {
            Some(id) => self.eval(id),
            None => Ok(self.node(Value::Null)),
        }
    }

    pub fn eval(&self, id: NodeId) -> R {
        let n = self.e.node(id);
        match &n.kind {
            NodeKind::String { value, .. } => Ok(self.node(Value::string(value.clone()))),
            NodeKind::Number => {
                let text = self.literal(&n.span);
                match value::parse_number(text) {
                    Some(v) => Ok(self.node(Value::Number(v))),
                    None => self.err(&n.span, format!("\"{text}\" is not a number")),
                }
            }
            NodeKind::Version => Ok(self.node(Value::string(self.literal(&n.span)))),
            NodeKind::Boolean(b) => Ok(self.node(Value::Bool(*b))),
            NodeKind::Null => Ok(self.node(Value::Null)),
            NodeKind::Name(name) => self.name(name, &n.span).map(value::typed),
            NodeKind::Hole => Ok(self.node(Value::Null)),
            NodeKind::Property { object, name, .. } => {
                // `parameters.x` and `variables.x` read the member without copying the
                // whole context (a template's parameters may hold long step lists).
                if let NodeKind::Name(root) = &self.e.node(*object).kind {
                    let found = self.member_of_name(root, name, &self.e.node(*object).span)?;
                    if found.is_none() {
                        self.note_unknown(*object, name, &n.span);
                    }
                    return Ok(found.map_or_else(|| self.node(Value::Null), value::typed));
                }
                let o = self.eval(*object)?;
                let found = member(&o.value, name);
                if found.is_none() {
                    self.note_unknown(*object, name, &n.span);
                }
                Ok(found.map_or_else(|| self.node(Value::Null), value::typed))
            }
            NodeKind::Wildcard { object } => {
                let o = self.eval(*object)?;
                let items = match o.value {
                    Value::Array(items) => items,
                    Value::Object(pairs) => pairs.into_iter().map(|(_, v)| v).collect(),
                    _ => Vec::new(),
                };
                Ok(self.node(Value::Array(items)))
            }
            NodeKind::Index { object, index } => {
                let i = self.eval(*index)?;
                if let NodeKind::Name(root) = &self.e.node(*object).kind
                    && let Value::String(key, _) = &i.value
                {
                    let found = self.member_of_name(root, key, &self.e.node(*object).span)?;
                    if found.is_none() {
                        self.note_unknown(*object, key, &n.span);
                    }
                    return Ok(found.map_or_else(|| self.node(Value::Null), value::typed));
                }
                let o = self.eval(*object)?;
                let found = match (&o.value, &i.value) {
                    (Value::Array(items), _) => i.value.number().and_then(|k| {
                        (k >= 0.0 && k.fract() == 0.0)
                            .then(|| items.get(k as usize).cloned())
                            .flatten()
                    }),
                    (Value::Object(_), _) => i.value.text().and_then(|k| {
                        let found = member(&o.value, &k);
                        if found.is_none() {
                            self.note_unknown(*object, &k, &n.span);
                        }
                        found
                    }),
                    _ => None,
                };
                Ok(found.map_or_else(|| self.node(Value::Null), value::typed))
            }
            NodeKind::Group(inner) => self.eval(*inner),
            NodeKind::Call {
                name,
                name_span,
                args,
                ..
            } => self.call(name, name_span, &n.span, args),
            NodeKind::Missing => self.err(&n.span, "the expression is incomplete".to_string()),
        }
    }

    /// `root.key` for a named value `root`, without copying `root`.
    fn member_of_name(
        &self,
        root: &str,
        key: &str,
        span: &Span,
    ) -> Result<Option<Node>, EvalError> {
        if let Some((_, v)) = self.scope.locals.iter().rev().find(|(n, _)| n == root) {
            return Ok(member(&v.value, key));
        }
        if root.eq_ignore_ascii_case("parameters") {
            return Ok(member(&self.scope.parameters.value, key));
        }
        if root.eq_ignore_ascii_case("variables") {
            let vars = self.scope.variables;
            // The innermost definition wins: a job's over its stage's over the pipeline's.
            return Ok(vars
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .or_else(|| vars.iter().rev().find(|(k, _)| eq_ignore_case(k, key)))
                .map(|(_, v)| v.clone()));
        }
        self.name(root, span).map(|v| member(&v.value, key))
    }

    fn note_unknown(&self, object: NodeId, name: &str, span: &Span) {
        if let NodeKind::Name(o) = &self.e.node(object).kind
            && o.eq_ignore_ascii_case("variables")
        {
            self.unknown
                .borrow_mut()
                .push((span.clone(), name.to_string()));
        }
    }

    fn name(&self, name: &str, span: &Span) -> R {
        if let Some((_, v)) = self.scope.locals.iter().rev().find(|(n, _)| n == name) {
            return Ok(v.clone());
        }
        if name.eq_ignore_ascii_case("parameters") {
            return Ok(self.scope.parameters.clone());
        }
        if name.eq_ignore_ascii_case("variables") {
            return Ok(self.node(Value::Object(self.scope.variables.to_vec())));
        }
        self.err(
            span,
            format!(
                "unrecognized value \"{name}\": template expressions know \"parameters\", \
                 \"variables\" and the variables of enclosing \"each\" loops"
            ),
        )
    }

    fn text_of(&self, v: &Node, span: &Span) -> Result<String, EvalError> {
        match v.value.text() {
            Some(s) => Ok(s),
            None => self.err(
                span,
                format!("a {} cannot be read as a string here", v.value.kind()),
            ),
        }
    }

    fn call(&self, name: &str, name_span: &Span, span: &Span, args: &[NodeId]) -> R {
        let Some(f) = functions().get(name) else {
            return self.err(name_span, format!("unrecognized function \"{name}\""));
        };
        if f.is_status() || f.context != FunctionContext::Any {
            return self.err(
                name_span,
                format!(
                    "\"{}\" is not available when templates are expanded; use it in a runtime \
                     expression ($[ ]) or a condition",
                    f.name
                ),
            );
        }
        if !f.accepts(args.len()) {
            return self.err(
                span,
                format!(
                    "\"{}\" takes {} argument(s), not {}",
                    f.name,
                    f.arity(),
                    args.len()
                ),
            );
        }
        let lower = f.name.to_ascii_lowercase();
        let arg = |i: usize| self.eval(args[i]);
        let arg_span = |i: usize| self.e.node(args[i]).span.clone();
        let b = |v: bool| Ok(self.node(Value::Bool(v)));
        match lower.as_str() {
            "and" => {
                for i in 0..args.len() {
                    if !arg(i)?.value.truthy() {
                        return b(false);
                    }
                }
                b(true)
            }
            "or" => {
                for i in 0..args.len() {
                    if arg(i)?.value.truthy() {
                        return b(true);
                    }
                }
                b(false)
            }
            "not" => b(!arg(0)?.value.truthy()),
            "xor" => b(arg(0)?.value.truthy() != arg(1)?.value.truthy()),
            "eq" => b(equal(&arg(0)?.value, &arg(1)?.value)),
            "ne" => b(!equal(&arg(0)?.value, &arg(1)?.value)),
            "lt" | "le" | "gt" | "ge" => {
                let (l, r) = (arg(0)?, arg(1)?);
                let Some(o) = compare(&l.value, &r.value) else {
                    return self.err(
                        span,
                        format!(
                            "\"{}\" cannot compare a {} with a {}",
                            f.name,
                            l.value.kind(),
                            r.value.kind()
                        ),
                    );
                };
                use std::cmp::Ordering::*;
                b(match lower.as_str() {
                    "lt" => o == Less,
                    "le" => o != Greater,
                    "gt" => o == Greater,
                    _ => o != Less,
                })
            }
            "in" | "notin" => {
                let needle = arg(0)?;
                let mut found = false;
                for i in 1..args.len() {
                    if equal(&needle.value, &arg(i)?.value) {
                        found = true;
                        break;
                    }
                }
                b(found == (lower == "in"))
            }
            "contains" => {
                let (h, n) = (arg(0)?, arg(1)?);
                let h = self.text_of(&h, &arg_span(0))?.to_lowercase();
                let n = self.text_of(&n, &arg_span(1))?.to_lowercase();
                b(h.contains(&n))
            }
            "startswith" | "endswith" => {
                let (h, n) = (arg(0)?, arg(1)?);
                let h = self.text_of(&h, &arg_span(0))?.to_lowercase();
                let n = self.text_of(&n, &arg_span(1))?.to_lowercase();
                b(if lower == "startswith" {
                    h.starts_with(&n)
                } else {
                    h.ends_with(&n)
                })
            }
            "containsvalue" => {
                let (c, v) = (arg(0)?, arg(1)?);
                let found = match &c.value {
                    Value::Array(items) => items.iter().any(|i| equal(&i.value, &v.value)),
                    Value::Object(pairs) => pairs.iter().any(|(_, i)| equal(&i.value, &v.value)),
                    _ => false,
                };
                b(found)
            }
            "format" => {
                let fmt = arg(0)?;
                let fmt = self.text_of(&fmt, &arg_span(0))?;
                let mut values = Vec::new();
                for i in 1..args.len() {
                    let v = arg(i)?;
                    values.push(self.text_of(&v, &arg_span(i))?);
                }
                match format(&fmt, &values) {
                    Ok(s) => self.string(s, span),
                    Err(m) => self.err(span, m),
                }
            }
            "coalesce" => {
                for i in 0..args.len() {
                    let v = arg(i)?;
                    match &v.value {
                        Value::Null => {}
                        Value::String(s, _) if s.is_empty() => {}
                        _ => return Ok(v),
                    }
                }
                Ok(self.node(Value::Null))
            }
            "join" => {
                let sep = arg(0)?;
                let sep = self.text_of(&sep, &arg_span(0))?;
                let c = arg(1)?;
                match &c.value {
                    Value::Array(items) => {
                        let mut parts = Vec::with_capacity(items.len());
                        for i in items {
                            parts.push(self.text_of(i, &arg_span(1))?);
                        }
                        self.string(parts.join(&sep), span)
                    }
                    Value::Object(pairs) => {
                        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
                        self.string(keys.join(&sep), span)
                    }
                    _ => {
                        let s = self.text_of(&c, &arg_span(1))?;
                        self.string(s, span)
                    }
                }
            }
            "replace" => {
                let (s, old, new) = (arg(0)?, arg(1)?, arg(2)?);
                let s = self.text_of(&s, &arg_span(0))?;
                let old = self.text_of(&old, &arg_span(1))?;
                let new = self.text_of(&new, &arg_span(2))?;
                if old.is_empty() {
                    return self.string(s, span);
                }
                let count = s.matches(old.as_str()).count();
                if s.len() + count.saturating_mul(new.len()) > MAX_STRING {
                    return self.too_long(span);
                }
                self.string(s.replace(&old, &new), span)
            }
            "split" => {
                let (s, d) = (arg(0)?, arg(1)?);
                let s = self.text_of(&s, &arg_span(0))?;
                let d = self.text_of(&d, &arg_span(1))?;
                let parts: Vec<Node> = if d.is_empty() {
                    vec![self.node(Value::string(s))]
                } else {
                    s.split(|c: char| d.contains(c))
                        .map(|p| self.node(Value::string(p)))
                        .collect()
                };
                Ok(self.node(Value::Array(parts)))
            }
            "lower" | "upper" => {
                let s = arg(0)?;
                let s = self.text_of(&s, &arg_span(0))?;
                self.string(
                    if lower == "lower" {
                        s.to_lowercase()
                    } else {
                        s.to_uppercase()
                    },
                    span,
                )
            }
            "trim" => {
                let s = arg(0)?;
                let s = self.text_of(&s, &arg_span(0))?;
                self.string(s.trim().to_string(), span)
            }
            "length" => {
                let v = arg(0)?;
                let n = match &v.value {
                    Value::Null => 0,
                    Value::String(s, _) => s.chars().count(),
                    Value::Array(items) => items.len(),
                    Value::Object(pairs) => pairs.len(),
                    other => {
                        return self.err(
                            &arg_span(0),
                            format!(
                                "\"length\" takes a string, a sequence or a mapping, not a {}",
                                other.kind()
                            ),
                        );
                    }
                };
                Ok(self.node(Value::Number(n as f64)))
            }
            "converttojson" => {
                let v = arg(0)?;
                let json = super::emit::json_value(&v, true);
                self.string(json, span)
            }
            "iif" => {
                if arg(0)?.value.truthy() {
                    arg(1)
                } else {
                    arg(2)
                }
            }
            _ => self.err(
                name_span,
                format!(
                    "\"{}\" is not available when templates are expanded",
                    f.name
                ),
            ),
        }
    }

    fn string(&self, s: String, span: &Span) -> R {
        if s.len() > MAX_STRING {
            return self.too_long(span);
        }
        Ok(self.node(Value::string(s)))
    }

    fn too_long<T>(&self, span: &Span) -> Result<T, EvalError> {
        self.err(
            span,
            format!("the result would be longer than {MAX_STRING} bytes"),
        )
    }
}

/// A property of an object, its key compared ignoring case, as the service looks keys up.
pub fn member(v: &Value, name: &str) -> Option<Node> {
    match v {
        Value::Object(pairs) => pairs
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| pairs.iter().find(|(k, _)| eq_ignore_case(k, name)))
            .map(|(_, v)| v.clone()),
        _ => None,
    }
}

/// `format`: `{0}` … replaced by the arguments, `{{` and `}}` for braces; a format
/// specifier after `:` (for dates) is ignored.
fn format(fmt: &str, values: &[String]) -> Result<String, String> {
    let mut out = String::with_capacity(fmt.len());
    let mut chars = fmt.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let rest = &fmt[i + 1..];
                let Some(close) = rest.find('}') else {
                    return Err(format!("\"{fmt}\" has a \"{{\" that is never closed"));
                };
                let inner = &rest[..close];
                let index = inner.split(':').next().unwrap_or("").trim();
                let Ok(k) = index.parse::<usize>() else {
                    return Err(format!(
                        "\"{{{inner}}}\" in \"{fmt}\" is not an argument index"
                    ));
                };
                let Some(v) = values.get(k) else {
                    return Err(format!(
                        "\"{{{k}}}\" in \"{fmt}\" names an argument that is not given"
                    ));
                };
                out.push_str(v);
                if out.len() > MAX_STRING {
                    return Err(format!(
                        "the result would be longer than {MAX_STRING} bytes"
                    ));
                }
                for _ in 0..inner.chars().count() + 1 {
                    chars.next();
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}
