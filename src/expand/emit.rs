//! The expanded pipeline as text: YAML in block style, or JSON. Strings are quoted when
//! plain text would read as something else (a number, a boolean, null, an indicator), and
//! anything that looks like a logging command of a CI agent (`##vso[`, `##[`) is written
//! escaped, so that printing a pipeline never runs one.

use super::value::{Node, Style, Value, core, number_text};
use std::fmt::Write as _;

/// How a source line is named in the output: `None` to leave origins out.
pub type Namer<'a> = Option<&'a dyn Fn(&Node) -> String>;

/// YAML in block style; with `namer`, a comment naming the source of every sequence item.
pub fn yaml(node: &Node, namer: Namer) -> String {
    let mut out = String::new();
    match &node.value {
        Value::Object(pairs) if !pairs.is_empty() => mapping(&mut out, pairs, 0, namer),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0, namer),
        _ => {
            out.push_str(&inline(&node.value).unwrap_or_default());
            out.push('\n');
        }
    }
    out
}

fn comment(out: &mut String, node: &Node, namer: Namer) {
    if let Some(name) = namer {
        let _ = write!(out, "  # {}", crate::cli::escape::text(&name(node)));
    }
}

fn mapping(out: &mut String, pairs: &[(String, Node)], indent: usize, namer: Namer) {
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push_str(&key(k));
        out.push(':');
        value_after(out, v, indent, None, namer);
    }
}

fn sequence(out: &mut String, items: &[Node], indent: usize, namer: Namer) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push('-');
        match &item.value {
            Value::Object(pairs) if !pairs.is_empty() => {
                out.push(' ');
                let (k, v) = &pairs[0];
                out.push_str(&key(k));
                out.push(':');
                value_after(out, v, indent + 2, Some(item), namer);
                if pairs.len() > 1 {
                    pad(out, indent + 2);
                    mapping(out, &pairs[1..], indent + 2, namer);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                comment(out, item, namer);
                out.push('\n');
                pad(out, indent + 2);
                sequence(out, inner, indent + 2, namer);
            }
            _ => {
                out.push(' ');
                scalar_after(out, item, indent + 2, Some(item), namer, true);
            }
        }
    }
}

/// What follows `key:` (its line's rest, and the lines below), `item` naming the
/// sequence item whose first line this is.
fn value_after(out: &mut String, v: &Node, indent: usize, item: Option<&Node>, namer: Namer) {
    match &v.value {
        Value::Object(pairs) if !pairs.is_empty() => {
            if let Some(item) = item {
                comment(out, item, namer);
            }
            out.push('\n');
            pad(out, indent + 2);
            mapping(out, pairs, indent + 2, namer);
        }
        Value::Array(items) if !items.is_empty() => {
            if let Some(item) = item {
                comment(out, item, namer);
            }
            out.push('\n');
            pad(out, indent);
            sequence(out, items, indent, namer);
        }
        Value::Null => {
            if let Some(item) = item {
                comment(out, item, namer);
            }
            out.push('\n');
        }
        _ => {
            out.push(' ');
            scalar_after(out, v, indent + 2, item, namer, false);
        }
    }
}

fn scalar_after(
    out: &mut String,
    v: &Node,
    indent: usize,
    item: Option<&Node>,
    namer: Namer,
    in_seq: bool,
) {
    if let Value::String(s, _) = &v.value
        && s.contains('\n')
        && block_safe(s)
    {
        let body = s.strip_suffix('\n').unwrap_or(s);
        let chomp = if !s.ends_with('\n') {
            "-"
        } else if body.ends_with('\n') || body.is_empty() {
            "+"
        } else {
            ""
        };
        let indicator = if s.starts_with(' ') { "2" } else { "" };
        let _ = write!(out, "|{indicator}{chomp}");
        if let Some(item) = item {
            comment(out, item, namer);
        }
        out.push('\n');
        let lines: Vec<&str> = if chomp == "+" {
            s.strip_suffix('\n').unwrap_or(s).split('\n').collect()
        } else {
            body.split('\n').collect()
        };
        for line in lines {
            if !line.is_empty() {
                pad(out, indent);
                out.push_str(line);
            }
            out.push('\n');
        }
        return;
    }
    let text = match &v.value {
        Value::Null if in_seq => "null".to_string(),
        other => inline(other).unwrap_or_default(),
    };
    out.push_str(&text);
    if let Some(item) = item {
        comment(out, item, namer);
    }
    out.push('\n');
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A scalar on one line (`None` for a non-empty collection).
fn inline(v: &Value) -> Option<String> {
    Some(match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) if n.is_finite() => number_text(*n),
        Value::Number(n) => quoted(&number_text(*n)),
        Value::String(s, style) => string(s, *style),
        Value::Array(items) if items.is_empty() => "[]".into(),
        Value::Object(pairs) if pairs.is_empty() => "{}".into(),
        _ => return None,
    })
}

fn key(k: &str) -> String {
    if plain_safe(k) && !ambiguous(k) {
        k.to_string()
    } else {
        quoted(k)
    }
}

fn string(s: &str, style: Style) -> String {
    if plain_safe(s) && (style == Style::Plain || !ambiguous(s)) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// Whether a block scalar can hold the text as it is.
fn block_safe(s: &str) -> bool {
    !s.chars()
        .any(|c| c != '\n' && (c.is_control() && c != '\t' || c == '\u{feff}'))
        && !commands(s)
        && !s
            .lines()
            .any(|l| l.ends_with([' ', '\t']) && l.trim().is_empty() && !l.is_empty())
        && !s.starts_with('\n')
}

/// `##vso[` or `##[`: text a CI agent would act on, in a line of output.
fn commands(s: &str) -> bool {
    s.to_ascii_lowercase().contains("##vso[") || s.contains("##[")
}

fn plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with([' ', '\t']) || s.ends_with([' ', '\t', ':']) {
        return false;
    }
    if matches!(
        first,
        '[' | ']'
            | '{'
            | '}'
            | ','
            | '#'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    ) {
        return false;
    }
    if matches!(first, '-' | '?' | ':') && (s.len() == 1 || s[1..].starts_with([' ', '\t'])) {
        return false;
    }
    if s == "---" || s == "..." {
        return false;
    }
    let special =
        |c: char| c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}');
    !s.contains(": ")
        && !s.contains(" #")
        && !s.contains(":\t")
        && !commands(s)
        && !s.chars().any(special)
}

/// Text that YAML would read as null, a boolean or a number (YAML 1.1's words too, for
/// the readers that still take them).
fn ambiguous(s: &str) -> bool {
    core(s).is_some()
        || matches!(
            s.to_ascii_lowercase().as_str(),
            "yes" | "no" | "on" | "off" | "y" | "n"
        )
}

/// Single quotes when they can hold the text, else double quotes with escapes.
fn quoted(s: &str) -> String {
    if !s
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}'))
        && !commands(s)
    {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::from("\"");
    let lower = s.to_ascii_lowercase();
    for (i, c) in s.char_indices() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '[' if lower[..i].ends_with("##vso") || s[..i].ends_with("##") => out.push_str("\\x5b"),
            c if c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// JSON; with `namer`, every mapping that is a sequence item gets a `"$source"` field
/// first, naming where it came from.
pub fn json(node: &Node, namer: Namer) -> String {
    let mut out = String::new();
    json_into(&mut out, node, namer, false, 0, true);
    out.push('\n');
    out
}

/// A value as JSON, indented by two spaces when `pretty` (`convertToJson`).
pub fn json_value(node: &Node, pretty: bool) -> String {
    let mut out = String::new();
    json_into(&mut out, node, None, false, 0, pretty);
    out
}

fn json_into(out: &mut String, node: &Node, namer: Namer, item: bool, indent: usize, pretty: bool) {
    let nl = |out: &mut String, n: usize| {
        if pretty {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', n));
        }
    };
    match &node.value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if n.is_finite() => out.push_str(&number_text(*n)),
        Value::Number(_) => out.push_str("null"),
        Value::String(s, Style::Plain) => match core(s) {
            Some(Value::Null) => out.push_str("null"),
            Some(Value::Bool(b)) => out.push_str(if b { "true" } else { "false" }),
            Some(Value::Number(n)) if n.is_finite() => out.push_str(&number_text(n)),
            _ => json_string(out, s),
        },
        Value::String(s, _) => json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, indent + 2);
                json_into(out, it, namer, true, indent + 2, pretty);
            }
            if !items.is_empty() {
                nl(out, indent);
            }
            out.push(']');
        }
        Value::Object(pairs) => {
            out.push('{');
            let mut first = true;
            if item && let Some(name) = namer {
                nl(out, indent + 2);
                json_string(out, "$source");
                out.push_str(": ");
                json_string(out, &name(node));
                first = false;
            }
            for (k, v) in pairs {
                if !first {
                    out.push(',');
                }
                first = false;
                nl(out, indent + 2);
                json_string(out, k);
                out.push_str(if pretty { ": " } else { ":" });
                json_into(out, v, namer, false, indent + 2, pretty);
            }
            if !first {
                nl(out, indent);
            }
            out.push('}');
        }
    }
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    let lower = s.to_ascii_lowercase();
    for (i, c) in s.char_indices() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '[' if lower[..i].ends_with("##vso") || s[..i].ends_with("##") => {
                out.push_str("\\u005b")
            }
            c if (c as u32) < 0x20 || matches!(c, '\u{2028}' | '\u{2029}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}
