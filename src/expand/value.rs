//! The values of an expansion: what YAML holds and what expressions compute, in one type,
//! each node with the place it came from. Mappings keep their keys in order, and strings
//! keep whether they were written plain, so that the emitted pipeline reads like the
//! source.

use crate::text::Span;

/// Where a node came from: a file of the expansion (an index in `Expansion::files`), the
/// bytes in it, and the line (0-based) those bytes start on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub file: u32,
    pub span: Span,
    pub line: u32,
    /// The template call that produced it, an index in `Expansion::calls`: 0 for the
    /// pipeline itself. A template called twice gives its items two different calls.
    pub call: u32,
}

/// How a string was written, which decides how it is printed back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// Plain in the source: printed plain again when that reads the same.
    Plain,
    /// Quoted, a block scalar, or computed: printed plain only when it cannot be read as
    /// anything but a string.
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String, Style),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub origin: Origin,
}

impl Node {
    pub fn new(value: Value, origin: Origin) -> Node {
        Node { value, origin }
    }
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into(), Style::Other)
    }

    /// The name of its type, in messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(..) => "string",
            Value::Array(_) => "sequence",
            Value::Object(_) => "mapping",
        }
    }

    /// The documented cast to boolean: null, false, 0 (and NaN) and the empty string are
    /// false; anything else, collections included, is true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s, _) => !s.is_empty(),
            Value::Array(_) | Value::Object(_) => true,
        }
    }

    /// The documented cast to number: null is 0, booleans 1 and 0, strings parsed (the
    /// empty string is 0); `None` when a string is not a number or for a collection.
    pub fn number(&self) -> Option<f64> {
        match self {
            Value::Null => Some(0.0),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Number(n) => Some(*n),
            Value::String(s, _) => parse_number(s),
            Value::Array(_) | Value::Object(_) => None,
        }
    }

    /// The documented cast to string: null is empty, booleans `True`/`False`, numbers in
    /// decimal without trailing zeros; `None` for a collection.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Null => Some(String::new()),
            Value::Bool(true) => Some("True".into()),
            Value::Bool(false) => Some("False".into()),
            Value::Number(n) => Some(number_text(*n)),
            Value::String(s, _) => Some(s.clone()),
            Value::Array(_) | Value::Object(_) => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s, _) => Some(s),
            _ => None,
        }
    }
}

/// A number as the expression language reads one: decimal, optionally signed, with an
/// optional fraction and exponent; surrounding blanks allowed; the empty string is 0.
pub fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return Some(0.0);
    }
    let ok = t
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    t.parse::<f64>().ok()
}

/// A number in decimal, integers without a fraction.
pub fn number_text(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if n == n.trunc() && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Equality as `eq` has it: the right side cast to the left's type (unequal when it
/// cannot be), strings compared ignoring case.
pub fn equal(left: &Value, right: &Value) -> bool {
    match left {
        Value::Null => match right {
            Value::Null => true,
            Value::String(s, _) => s.is_empty(),
            _ => false,
        },
        Value::Bool(b) => {
            *b == right.truthy() && !matches!(right, Value::Array(_) | Value::Object(_))
        }
        Value::Number(n) => right.number().is_some_and(|r| r == *n),
        Value::String(s, _) => right.text().is_some_and(|r| eq_ignore_case(s, &r)),
        Value::Array(a) => match right {
            Value::Array(b) => std::ptr::eq(a, b) || a == b,
            _ => false,
        },
        Value::Object(a) => match right {
            Value::Object(b) => a == b,
            _ => false,
        },
    }
}

/// Ordering as `lt`, `le`, `gt` and `ge` have it: the right side cast to the left's type;
/// `None` when it cannot be, or for collections.
pub fn compare(left: &Value, right: &Value) -> Option<std::cmp::Ordering> {
    match left {
        Value::Null => compare(&Value::Number(0.0), right),
        Value::Bool(b) => Some((*b).cmp(&right.truthy())),
        Value::Number(n) => n.partial_cmp(&right.number()?),
        Value::String(s, _) => {
            let r = right.text()?;
            Some(s.to_lowercase().cmp(&r.to_lowercase()))
        }
        Value::Array(_) | Value::Object(_) => None,
    }
}

/// Ordinal comparison ignoring case, as the expression language compares strings.
pub fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
}

/// What a plain YAML scalar is under the core schema the service reads YAML with: null,
/// a boolean or a number; `None` for a string.
pub fn core(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Value::Number(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Value::Number(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Value::Number(f64::NAN)),
        _ => {}
    }
    if let Some(h) = s.strip_prefix("0x") {
        return i64::from_str_radix(h, 16)
            .ok()
            .map(|n| Value::Number(n as f64));
    }
    if let Some(o) = s.strip_prefix("0o") {
        return i64::from_str_radix(o, 8)
            .ok()
            .map(|n| Value::Number(n as f64));
    }
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b[0], b'-' | b'+'));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let whole = digits(&mut i);
    let mut fraction = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        fraction = digits(&mut i);
    }
    if whole == 0 && fraction == 0 {
        return None;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'-' | b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    s.parse::<f64>().ok().map(Value::Number)
}

/// A value read from YAML as the service types it: a plain scalar that is null, a boolean
/// or a number under the core schema becomes one.
pub fn typed(node: Node) -> Node {
    match &node.value {
        Value::String(s, Style::Plain) => match core(s) {
            Some(v) => Node::new(v, node.origin),
            None => node,
        },
        _ => node,
    }
}
