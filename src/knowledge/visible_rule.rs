//! Task input `visibleRule` expressions, e.g. `connectionType = azureRM && action != delete`.
//!
//! The grammar is the one the catalog actually uses: comparisons `a = x`, `a == x`, `a != x`,
//! `a EndsWith x`, `a NotEndsWith x`, combined with `&&` and `||` (`&&` binds tighter) and
//! parentheses. Values are compared case-insensitively, without quotes around them (`""` is the
//! empty value). Evaluation is three-valued: an input whose value can't be known (a runtime
//! expression) makes the comparison unknown, and unknown only decides the result when the other
//! operands don't.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisibleRule {
    Compare {
        input: String,
        op: CompareOp,
        value: String,
    },
    And(Vec<VisibleRule>),
    Or(Vec<VisibleRule>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    EndsWith,
    NotEndsWith,
}

/// A value as seen by a rule: known text, unknowable before the run, or an input that
/// doesn't apply to the step (hidden by its own rule), which enables nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleValue {
    Known(String),
    Unknown,
    Absent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Eq,
    Ne,
    Word(String),
}

fn tokenize(s: &str) -> Vec<Tok> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let rest = &s[i..];
        let (tok, len) = if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        } else if rest.starts_with("&&") {
            (Tok::And, 2)
        } else if rest.starts_with("||") {
            (Tok::Or, 2)
        } else if rest.starts_with("==") {
            (Tok::Eq, 2)
        } else if rest.starts_with("!=") {
            (Tok::Ne, 2)
        } else if rest.starts_with('=') {
            (Tok::Eq, 1)
        } else if rest.starts_with('(') {
            (Tok::Open, 1)
        } else if rest.starts_with(')') {
            (Tok::Close, 1)
        } else {
            let end = rest
                .char_indices()
                .find(|&(j, c)| {
                    c.is_whitespace()
                        || c == '('
                        || c == ')'
                        || c == '='
                        || rest[j..].starts_with("!=")
                        || rest[j..].starts_with("&&")
                        || rest[j..].starts_with("||")
                })
                .map_or(rest.len(), |(j, _)| j);
            (Tok::Word(rest[..end].to_string()), end)
        };
        out.push(tok);
        i += len;
    }
    out
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn or(&mut self) -> Option<VisibleRule> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Some(if parts.len() == 1 {
            parts.pop()?
        } else {
            VisibleRule::Or(parts)
        })
    }

    fn and(&mut self) -> Option<VisibleRule> {
        let mut parts = vec![self.atom()?];
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            parts.push(self.atom()?);
        }
        Some(if parts.len() == 1 {
            parts.pop()?
        } else {
            VisibleRule::And(parts)
        })
    }

    fn atom(&mut self) -> Option<VisibleRule> {
        if self.peek() == Some(&Tok::Open) {
            self.pos += 1;
            let inner = self.or()?;
            if self.peek() != Some(&Tok::Close) {
                return None;
            }
            self.pos += 1;
            return Some(inner);
        }
        let Some(Tok::Word(input)) = self.peek().cloned() else {
            return None;
        };
        self.pos += 1;
        let op = match self.peek()? {
            Tok::Eq => CompareOp::Eq,
            Tok::Ne => CompareOp::Ne,
            Tok::Word(w) if w.eq_ignore_ascii_case("EndsWith") => CompareOp::EndsWith,
            Tok::Word(w) if w.eq_ignore_ascii_case("NotEndsWith") => CompareOp::NotEndsWith,
            _ => return None,
        };
        self.pos += 1;
        // A value runs to the next `&&`, `||` or `)`; it may contain spaces or be empty.
        let mut words = Vec::new();
        while let Some(Tok::Word(w)) = self.peek() {
            words.push(w.clone());
            self.pos += 1;
        }
        Some(VisibleRule::Compare {
            input,
            op,
            value: words.join(" "),
        })
    }
}

impl VisibleRule {
    /// `None` for syntax this grammar doesn't know.
    pub fn parse(rule: &str) -> Option<VisibleRule> {
        let mut p = Parser {
            toks: tokenize(rule),
            pos: 0,
        };
        let r = p.or()?;
        (p.pos == p.toks.len()).then_some(r)
    }

    /// `Some(visible)`, or `None` when an unknown value decides the outcome.
    pub fn eval(&self, value_of: &dyn Fn(&str) -> RuleValue) -> Option<bool> {
        match self {
            VisibleRule::Compare { input, op, value } => {
                let actual = match value_of(input) {
                    RuleValue::Known(actual) => actual,
                    RuleValue::Unknown => return None,
                    RuleValue::Absent => return Some(false),
                };
                let (a, v) = (
                    actual.to_ascii_lowercase(),
                    unquoted(value).to_ascii_lowercase(),
                );
                Some(match op {
                    CompareOp::Eq => a == v,
                    CompareOp::Ne => a != v,
                    CompareOp::EndsWith => a.ends_with(&v),
                    CompareOp::NotEndsWith => !a.ends_with(&v),
                })
            }
            VisibleRule::And(parts) => {
                let mut unknown = false;
                for p in parts {
                    match p.eval(value_of) {
                        Some(false) => return Some(false),
                        Some(true) => {}
                        None => unknown = true,
                    }
                }
                (!unknown).then_some(true)
            }
            VisibleRule::Or(parts) => {
                let mut unknown = false;
                for p in parts {
                    match p.eval(value_of) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => unknown = true,
                    }
                }
                (!unknown).then_some(false)
            }
        }
    }

    /// Whether some `=` or `EndsWith` comparison in the rule holds: the rule shows its input
    /// because a value was chosen, not merely because others were not (`command != restore`).
    pub fn selects(&self, value_of: &dyn Fn(&str) -> RuleValue) -> bool {
        match self {
            VisibleRule::Compare { input, op, .. } => {
                matches!(op, CompareOp::Eq | CompareOp::EndsWith)
                    && matches!(value_of(input), RuleValue::Known(_))
                    && self.eval(value_of) == Some(true)
            }
            VisibleRule::And(parts) | VisibleRule::Or(parts) => {
                parts.iter().any(|p| p.selects(value_of))
            }
        }
    }

    /// Names of the inputs the rule reads.
    pub fn inputs(&self) -> Vec<&str> {
        match self {
            VisibleRule::Compare { input, .. } => vec![input.as_str()],
            VisibleRule::And(p) | VisibleRule::Or(p) => p.iter().flat_map(|r| r.inputs()).collect(),
        }
    }
}

/// A value as compared: rules write the empty value as `""` or `''` (`appType != ""`), so
/// quotes around a whole value are not part of it.
fn unquoted(value: &str) -> &str {
    ['"', '\'']
        .iter()
        .find_map(|&q| value.strip_prefix(q)?.strip_suffix(q))
        .unwrap_or(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> RuleValue {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map_or(RuleValue::Known(String::new()), |(_, v)| {
                    RuleValue::Known((*v).to_string())
                })
        }
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        let r = VisibleRule::parse(
            "type = deployment || (type = deploymentStack && operation != whatIf)",
        )
        .unwrap();
        assert_eq!(
            r.eval(&known(&[
                ("type", "deploymentStack"),
                ("operation", "whatIf")
            ])),
            Some(false)
        );
        assert_eq!(r.eval(&known(&[("type", "Deployment")])), Some(true));
    }

    #[test]
    fn ends_with_operators() {
        let r = VisibleRule::parse("appType != webAppLinux && package NotEndsWith .war").unwrap();
        assert_eq!(
            r.eval(&known(&[("appType", "webApp"), ("package", "a.WAR")])),
            Some(false)
        );
        assert_eq!(
            r.eval(&known(&[("appType", "webApp"), ("package", "a.zip")])),
            Some(true)
        );
    }

    #[test]
    fn unknown_value_only_matters_when_it_decides() {
        let unknown = |k: &str| {
            if k == "a" {
                RuleValue::Unknown
            } else {
                RuleValue::Known("x".into())
            }
        };
        assert_eq!(
            VisibleRule::parse("a = 1 || b = x").unwrap().eval(&unknown),
            Some(true)
        );
        assert_eq!(
            VisibleRule::parse("a = 1 && b = x").unwrap().eval(&unknown),
            None
        );
        assert_eq!(
            VisibleRule::parse("a = 1 && b = y").unwrap().eval(&unknown),
            Some(false)
        );
    }

    #[test]
    fn quotes_around_a_value_are_not_part_of_it() {
        let empty = |_: &str| RuleValue::Known(String::new());
        let set = |_: &str| RuleValue::Known("functionApp".into());
        for rule in ["appType != \"\"", "appType != ''"] {
            let r = VisibleRule::parse(rule).unwrap();
            assert_eq!(r.eval(&empty), Some(false), "{rule}");
            assert_eq!(r.eval(&set), Some(true), "{rule}");
        }
        let r = VisibleRule::parse("kind = 'web app'").unwrap();
        assert_eq!(r.eval(&|_| RuleValue::Known("Web App".into())), Some(true));
    }

    #[test]
    fn unknown_syntax_is_rejected() {
        assert_eq!(VisibleRule::parse("a Contains b"), None);
        assert_eq!(VisibleRule::parse("(a = b"), None);
        assert_eq!(VisibleRule::parse("a = b &&"), None);
    }
}
