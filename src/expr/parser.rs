//! The parser: tokens to a tree, recovering from errors so that the rest of the expression
//! still has a tree (completion and the other rules read it), with recursion bounded by
//! [`MAX_DEPTH`].
//!
//! The grammar, as the service reads it (there are no operators: `eq(a, b)`, not `a == b`):
//!
//! ```text
//! expression := primary ( "." name | "." "*" | "[" expression "]" | "[" "*" "]" )*
//! primary    := string | number | version | true | false | null
//!             | name "(" [ expression ( "," expression )* ] ")" | name | "(" expression ")"
//! ```
//!
//! In a mapping key, a template expression may instead be a directive: `if expression`,
//! `elseif expression`, `else`, `each name in expression` or `insert`.

use super::lexer::{self, TemplateSpan, Tok, Token};
use super::{Directive, Expression, Kind, MAX_DEPTH, Node, NodeId, NodeKind, Source, SyntaxError};
use crate::text::Span;

struct Parser<'s> {
    src: Source<'s>,
    toks: Vec<Token>,
    at: usize,
    nodes: Vec<Node>,
    errors: Vec<SyntaxError>,
    depth: usize,
    /// Where the expression's text ends (local), for errors at its end.
    end: usize,
}

/// A template expression: `span` from the lexer's [`lexer::template_spans`].
pub(super) fn template(src: Source, span: &TemplateSpan, key: bool) -> Expression {
    let toks = lexer::tokens(&src, span.body.clone(), false);
    let mut p = Parser::new(src, toks, span.body.end);
    if !span.closed {
        p.error(
            span.open..span.open + 3,
            "\"${{\" is never closed; end the expression with \"}}\"".to_string(),
        );
    }
    let (directive, root) = p.directives(key);
    let body = p.doc(span.body.clone());
    let empty = p.toks.is_empty();
    if empty && span.closed {
        p.error(
            span.open..span.end,
            "empty expression; write a value or a function call between \"${{\" and \"}}\""
                .to_string(),
        );
    }
    let whole = p.doc(span.open..span.end);
    p.finish(Kind::Template, whole, body, directive, root)
}

/// A runtime expression: a value whose text (trimmed) starts with `$[`. `None` otherwise.
pub(super) fn runtime(src: Source) -> Option<Expression> {
    let text = src.text;
    let lead = text.len() - text.trim_start().len();
    if !text[lead..].starts_with("$[") {
        return None;
    }
    let open = lead;
    let body_start = open + 2;
    let toks = lexer::tokens(&src, body_start..text.len(), false);
    // The `]` that closes `$[` is the first one outside every bracket the body opens.
    let mut depth = 0usize;
    let close = toks.iter().position(|t| match t.tok {
        Tok::LBracket => {
            depth += 1;
            false
        }
        Tok::RBracket if depth == 0 => true,
        Tok::RBracket => {
            depth -= 1;
            false
        }
        _ => false,
    });
    let (body_end, end, trailing) = match close {
        Some(i) => {
            let close_at = toks[i].start;
            let after = toks.get(i + 1).map(|t| t.start);
            (close_at, close_at + 1, after)
        }
        None => (text.trim_end().len().max(body_start), text.len(), None),
    };
    let body_toks: Vec<Token> = toks.into_iter().filter(|t| t.end <= body_end).collect();
    let mut p = Parser::new(src, body_toks, body_end);
    if close.is_none() {
        p.error(
            open..open + 2,
            "\"$[\" is never closed; end the expression with \"]\"".to_string(),
        );
    }
    let root = p.whole();
    if let Some(after) = trailing {
        let tail = text[after..].trim_end();
        p.error(
            after..after + tail.len(),
            format!(
                "\"{tail}\" after the closing \"]\" makes the whole value plain text: a runtime \
                 expression must be the whole value; join strings with format()"
            ),
        );
    } else if close.is_some() && p.toks.is_empty() {
        p.error(
            open..end,
            "empty expression; write a value or a function call between \"$[\" and \"]\""
                .to_string(),
        );
    }
    let span = p.doc(open..end);
    let body = p.doc(body_start..body_end);
    Some(p.finish(Kind::Runtime, span, body, None, root))
}

/// A condition: the whole text is the expression, `${{ }}` and `$( )` in it being holes.
pub(super) fn condition(src: Source) -> Expression {
    let text = src.text;
    let toks = lexer::tokens(&src, 0..text.len(), true);
    let mut p = Parser::new(src, toks, text.len());
    let root = if p.toks.is_empty() { None } else { p.whole() };
    let lead = text.len() - text.trim_start().len();
    let span = p.doc(lead..text.trim_end().len().max(lead));
    p.finish(Kind::Condition, span.clone(), span, None, root)
}

/// What a token is called in messages.
fn shown(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

impl<'s> Parser<'s> {
    fn new(src: Source<'s>, toks: Vec<Token>, end: usize) -> Self {
        Parser {
            src,
            toks,
            at: 0,
            nodes: Vec::new(),
            errors: Vec::new(),
            depth: 0,
            end,
        }
    }

    /// A local range as document bytes.
    fn doc(&self, range: std::ops::Range<usize>) -> Span {
        self.src.base + range.start..self.src.base + range.end
    }

    fn error(&mut self, local: std::ops::Range<usize>, message: String) {
        let span = self.doc(local);
        self.errors.push(SyntaxError { span, message });
    }

    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.at)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn text(&self, t: &Token) -> &'s str {
        &self.src.text[t.start..t.end]
    }

    fn add(&mut self, kind: NodeKind, local: std::ops::Range<usize>) -> NodeId {
        let span = self.doc(local);
        self.nodes.push(Node { kind, span });
        self.nodes.len() - 1
    }

    fn local(&self, id: NodeId) -> std::ops::Range<usize> {
        let span = &self.nodes[id].span;
        span.start - self.src.base..span.end - self.src.base
    }

    fn finish(
        self,
        kind: Kind,
        span: Span,
        body: Span,
        directive: Option<(Directive, Span)>,
        root: Option<NodeId>,
    ) -> Expression {
        Expression {
            kind,
            span,
            body,
            directive,
            root,
            nodes: self.nodes,
            errors: self.errors,
        }
    }

    /// The expression of a body, then nothing else.
    fn whole(&mut self) -> Option<NodeId> {
        if self.toks.is_empty() {
            return None;
        }
        let root = self.expression();
        self.expect_end();
        Some(root)
    }

    /// Reports what is left after a complete expression.
    fn expect_end(&mut self) {
        let Some(t) = self.peek().cloned() else {
            return;
        };
        let message = match t.tok {
            Tok::RParen => "\")\" closes nothing; remove it".to_string(),
            Tok::RBracket => "\"]\" closes nothing; remove it".to_string(),
            Tok::Comma => {
                "\",\" outside a function call; an expression is one value or one call, such \
                 as and(a, b)"
                    .to_string()
            }
            _ => match self.special(&t) {
                Some(m) => m,
                None => format!(
                    "unexpected \"{}\" after the expression; an expression is one value or one \
                     function call, such as and(a, b)",
                    shown(self.text(&t))
                ),
            },
        };
        self.error(t.start..t.end, message);
        self.at = self.toks.len();
    }

    /// Messages for tokens that say what the writer meant: operators of other languages,
    /// double-quoted strings, runtime brackets in a condition, broken numbers.
    fn special(&self, t: &Token) -> Option<String> {
        let text = self.text(t);
        match &t.tok {
            Tok::Other => {
                let instead = match text {
                    "==" | "=" => "eq(a, b)",
                    "!=" => "ne(a, b)",
                    "&&" | "&" => "and(a, b)",
                    "||" | "|" => "or(a, b)",
                    "!" => "not(a)",
                    "<" => "lt(a, b)",
                    ">" => "gt(a, b)",
                    "<=" => "le(a, b)",
                    ">=" => "ge(a, b)",
                    _ if text == "$" && self.src.text[t.start..].starts_with("$[") => {
                        return Some(
                            "a condition is an expression already: write it without \"$[ ]\""
                                .to_string(),
                        );
                    }
                    _ => return None,
                };
                Some(format!(
                    "\"{text}\" is not an operator of Azure Pipelines expressions; use {instead}"
                ))
            }
            Tok::DoubleQuoted => {
                let inner = text.trim_matches('"');
                Some(format!(
                    "{} is in double quotes; strings take single quotes: '{}'",
                    shown(text),
                    shown(inner)
                ))
            }
            Tok::BadNumber => Some(format!(
                "\"{}\" is neither a number nor a version (up to four numbers separated by \
                 dots)",
                shown(text)
            )),
            _ => None,
        }
    }

    /// A key's directive, if its body is one, and the expression it holds.
    fn directives(&mut self, key: bool) -> (Option<(Directive, Span)>, Option<NodeId>) {
        let Some(first) = self.peek().cloned() else {
            return (None, None);
        };
        let word = if first.tok == Tok::Word {
            self.text(&first)
        } else {
            ""
        };
        let directive_word = matches!(word, "if" | "elseif" | "else" | "each" | "insert");
        // A directive word used as a name (a loop variable, a property) is followed by
        // what follows names.
        let next = self.toks.get(self.at + 1).map(|t| &t.tok);
        let as_name = matches!(next, Some(Tok::Dot | Tok::LBracket));
        if !directive_word || as_name {
            return (None, self.whole());
        }
        let span = self.doc(first.start..first.end);
        if !key {
            self.error(
                first.start..first.end,
                format!(
                    "\"{word}\" inserts content only in a mapping key (\"${{{{ {word} … }}}}:\"); \
                     in a value, use iif() or move the condition into a key"
                ),
            );
            self.at = self.toks.len();
            return (None, None);
        }
        self.at += 1;
        match word {
            "if" | "elseif" => {
                let directive = if word == "if" {
                    Directive::If
                } else {
                    Directive::ElseIf
                };
                if self.peek().is_none() {
                    self.error(
                        first.start..first.end,
                        format!(
                            "\"{word}\" needs a condition, such as \"{word} eq(parameters.x, 'y')\""
                        ),
                    );
                    return (Some((directive, span)), None);
                }
                let root = self.expression();
                self.expect_end();
                (Some((directive, span)), Some(root))
            }
            "else" | "insert" => {
                let directive = if word == "else" {
                    Directive::Else
                } else {
                    Directive::Insert
                };
                if let Some(extra) = self.peek().cloned() {
                    let rest = self.src.text[extra.start..self.end].trim_end();
                    let message = if word == "else" {
                        format!(
                            "\"else\" takes no condition; write \"elseif {}\"",
                            shown(rest)
                        )
                    } else {
                        "\"insert\" stands alone: \"${{ insert }}: value\"".to_string()
                    };
                    self.error(extra.start..extra.start + rest.len(), message);
                    self.at = self.toks.len();
                }
                (Some((directive, span)), None)
            }
            _ => {
                // each NAME in EXPRESSION
                let variable = self.peek().cloned().filter(|t| t.tok == Tok::Word);
                let keyword = self
                    .toks
                    .get(self.at + 1)
                    .cloned()
                    .filter(|t| t.tok == Tok::Word && self.text(t) == "in");
                let (Some(variable), Some(_)) = (variable, keyword) else {
                    let upto = self.end;
                    self.error(
                        first.start..upto.max(first.end),
                        "\"each\" is written \"each item in collection\", such as \
                         \"each step in parameters.steps\""
                            .to_string(),
                    );
                    self.at = self.toks.len();
                    return (None, None);
                };
                self.at += 2;
                let directive = Directive::Each {
                    variable: self.text(&variable).to_string(),
                    variable_span: self.doc(variable.start..variable.end),
                };
                if self.peek().is_none() {
                    self.error(
                        first.start..self.end,
                        "\"each\" needs a collection after \"in\", such as \"parameters.steps\""
                            .to_string(),
                    );
                    return (Some((directive, span)), None);
                }
                let root = self.expression();
                self.expect_end();
                (Some((directive, span)), Some(root))
            }
        }
    }

    /// One expression: a primary and what follows it.
    fn expression(&mut self) -> NodeId {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let from = self.peek().map_or(self.end, |t| t.start);
            if !self
                .errors
                .iter()
                .any(|e| e.message.starts_with("expression nested"))
            {
                self.error(
                    from..from + 1,
                    format!("expression nested more than {MAX_DEPTH} levels deep; simplify it"),
                );
            }
            self.at = self.toks.len();
            self.depth -= 1;
            return self.add(NodeKind::Missing, from..from);
        }
        let mut node = self.primary();
        loop {
            match self.peek_tok() {
                Some(Tok::Dot) => {
                    let dot = self.toks[self.at].clone();
                    self.at += 1;
                    match self.peek().cloned() {
                        Some(t) if t.tok == Tok::Word => {
                            self.at += 1;
                            let start = self.local(node).start;
                            node = self.add(
                                NodeKind::Property {
                                    object: node,
                                    name: self.text(&t).to_string(),
                                    name_span: self.doc(t.start..t.end),
                                },
                                start..t.end,
                            );
                        }
                        Some(t) if t.tok == Tok::Star => {
                            self.at += 1;
                            let start = self.local(node).start;
                            node = self.add(NodeKind::Wildcard { object: node }, start..t.end);
                        }
                        _ => {
                            self.error(
                                dot.start..dot.end,
                                "\".\" must be followed by a property name or \"*\"".to_string(),
                            );
                            break;
                        }
                    }
                }
                Some(Tok::LBracket) => {
                    let open = self.toks[self.at].clone();
                    self.at += 1;
                    let start = self.local(node).start;
                    if self.peek_tok() == Some(&Tok::Star) {
                        self.at += 1;
                        let end = self.close_bracket(&open);
                        node = self.add(NodeKind::Wildcard { object: node }, start..end);
                        continue;
                    }
                    if matches!(self.peek_tok(), Some(Tok::RBracket)) {
                        let close = self.toks[self.at].clone();
                        self.error(
                            open.start..close.end,
                            "empty index \"[]\"; write a name in quotes, a number or \"*\""
                                .to_string(),
                        );
                        self.at += 1;
                        break;
                    }
                    let index = self.expression();
                    let end = self.close_bracket(&open);
                    node = self.add(
                        NodeKind::Index {
                            object: node,
                            index,
                        },
                        start..end,
                    );
                }
                _ => break,
            }
        }
        self.depth -= 1;
        node
    }

    /// Consumes the `]` of an index; returns where the index ends.
    fn close_bracket(&mut self, open: &Token) -> usize {
        match self.peek().cloned() {
            Some(t) if t.tok == Tok::RBracket => {
                self.at += 1;
                t.end
            }
            found => {
                let message = match &found {
                    Some(t) => format!(
                        "\"[\" is not closed before \"{}\"; add \"]\"",
                        shown(self.text(t))
                    ),
                    None => "\"[\" is never closed; add \"]\"".to_string(),
                };
                self.error(open.start..open.end, message);
                self.skip_to_close();
                self.toks
                    .get(self.at.saturating_sub(1))
                    .map_or(open.end, |t| t.end)
            }
        }
    }

    /// After an error inside brackets or a call: skips to the next `,` or closing token at
    /// this level, so that the rest of the expression still parses.
    fn skip_to_close(&mut self) {
        let mut depth = 0usize;
        while let Some(t) = self.peek_tok() {
            match t {
                Tok::LParen | Tok::LBracket => depth += 1,
                Tok::RParen | Tok::RBracket | Tok::Comma if depth == 0 => return,
                Tok::RParen | Tok::RBracket => depth -= 1,
                _ => {}
            }
            self.at += 1;
        }
    }

    fn primary(&mut self) -> NodeId {
        let Some(t) = self.peek().cloned() else {
            let at = self.end;
            self.error(
                at.saturating_sub(1)..at,
                "the expression ends where a value is expected".to_string(),
            );
            return self.add(NodeKind::Missing, at..at);
        };
        let range = t.start..t.end;
        match &t.tok {
            Tok::Str {
                value,
                closed,
                inner,
            } => {
                self.at += 1;
                if !closed {
                    let preview = shown(value.trim_end());
                    self.error(
                        range.clone(),
                        format!(
                            "the string '{preview} is never closed; end it with ' (a quote \
                             inside a string is written '')"
                        ),
                    );
                }
                let inner = self.doc(inner.clone());
                self.add(
                    NodeKind::String {
                        value: value.clone(),
                        inner,
                    },
                    range,
                )
            }
            Tok::Number => {
                self.at += 1;
                self.add(NodeKind::Number, range)
            }
            Tok::Version => {
                self.at += 1;
                self.add(NodeKind::Version, range)
            }
            Tok::Hole { closed } => {
                self.at += 1;
                if !closed {
                    let what = if self.text(&t).starts_with("${{") {
                        "\"${{\" is never closed; end it with \"}}\""
                    } else {
                        "\"$(\" is never closed; end the macro with \")\""
                    };
                    let open = if self.text(&t).starts_with("${{") {
                        3
                    } else {
                        2
                    };
                    self.error(t.start..(t.start + open).min(t.end), what.to_string());
                }
                self.add(NodeKind::Hole, range)
            }
            Tok::Word => {
                self.at += 1;
                let word = self.text(&t);
                if self.peek_tok() == Some(&Tok::LParen) {
                    return self.call(&t);
                }
                let kind = if word.eq_ignore_ascii_case("true") {
                    NodeKind::Boolean(true)
                } else if word.eq_ignore_ascii_case("false") {
                    NodeKind::Boolean(false)
                } else if word.eq_ignore_ascii_case("null") {
                    NodeKind::Null
                } else {
                    NodeKind::Name(word.to_string())
                };
                self.add(kind, range)
            }
            Tok::LParen => {
                self.at += 1;
                if self.peek_tok() == Some(&Tok::RParen) {
                    let close = self.toks[self.at].clone();
                    self.at += 1;
                    self.error(
                        t.start..close.end,
                        "empty parentheses \"()\" hold no value; remove them".to_string(),
                    );
                    return self.add(NodeKind::Missing, t.start..close.end);
                }
                let inner = self.expression();
                let end = match self.peek().cloned() {
                    Some(c) if c.tok == Tok::RParen => {
                        self.at += 1;
                        c.end
                    }
                    _ => {
                        self.error(
                            range.clone(),
                            "\"(\" is never closed; add \")\"".to_string(),
                        );
                        self.skip_to_close();
                        self.local(inner).end
                    }
                };
                self.add(NodeKind::Group(inner), t.start..end)
            }
            Tok::RParen | Tok::RBracket | Tok::Comma => {
                // Left for the caller, which knows what it closes.
                let message = format!("expected a value before \"{}\"", shown(self.text(&t)));
                self.error(range.clone(), message);
                self.add(NodeKind::Missing, t.start..t.start)
            }
            _ => {
                self.at += 1;
                let message = self.special(&t).unwrap_or_else(|| {
                    format!(
                        "unexpected \"{}\" where a value is expected",
                        shown(self.text(&t))
                    )
                });
                self.error(range.clone(), message);
                self.add(NodeKind::Missing, range)
            }
        }
    }

    /// A call, from its name (consumed) and the `(` after it.
    fn call(&mut self, name: &Token) -> NodeId {
        let open = self.toks[self.at].clone();
        self.at += 1;
        let fname = self.text(name).to_string();
        let name_span = self.doc(name.start..name.end);
        let mut args = Vec::new();
        let mut closed = false;
        let mut end = open.end;
        if self.peek_tok() == Some(&Tok::RParen) {
            end = self.toks[self.at].end;
            self.at += 1;
            return self.add(
                NodeKind::Call {
                    name: fname,
                    name_span,
                    args,
                    closed: true,
                },
                name.start..end,
            );
        }
        'args: loop {
            // An argument.
            match self.peek_tok() {
                Some(Tok::Comma) => {
                    let comma = self.toks[self.at].clone();
                    self.error(
                        comma.start..comma.end,
                        format!("missing argument of \"{fname}\" before \",\""),
                    );
                    args.push(self.add(NodeKind::Missing, comma.start..comma.start));
                }
                None => {
                    self.unclosed_call(name, &open, &fname);
                    break;
                }
                Some(_) => {
                    let arg = self.expression();
                    end = self.local(arg).end.max(end);
                    args.push(arg);
                }
            }
            // Then a separator or the end of the call, skipping what can be neither.
            loop {
                match self.peek().cloned() {
                    Some(t) if t.tok == Tok::Comma => {
                        self.at += 1;
                        end = t.end;
                        match self.peek_tok() {
                            Some(Tok::RParen) => {
                                let close = self.toks[self.at].clone();
                                self.error(
                                    t.start..t.end,
                                    format!(
                                        "missing argument of \"{fname}\" after \",\"; remove the \",\""
                                    ),
                                );
                                self.at += 1;
                                end = close.end;
                                closed = true;
                                break 'args;
                            }
                            None => {
                                self.unclosed_call(name, &open, &fname);
                                break 'args;
                            }
                            Some(_) => continue 'args,
                        }
                    }
                    Some(t) if t.tok == Tok::RParen => {
                        self.at += 1;
                        end = t.end;
                        closed = true;
                        break 'args;
                    }
                    None => {
                        self.unclosed_call(name, &open, &fname);
                        break 'args;
                    }
                    Some(t) => {
                        let message = self.special(&t).unwrap_or_else(|| {
                            format!(
                                "expected \",\" or \")\" after an argument of \"{fname}\", found \"{}\"",
                                shown(self.text(&t))
                            )
                        });
                        self.error(t.start..t.end, message);
                        self.at += 1;
                        self.skip_to_close();
                    }
                }
            }
        }
        self.add(
            NodeKind::Call {
                name: fname,
                name_span,
                args,
                closed,
            },
            name.start..end,
        )
    }

    fn unclosed_call(&mut self, name: &Token, open: &Token, fname: &str) {
        self.error(
            name.start..open.end,
            format!("\"(\" of \"{fname}\" is never closed; add \")\""),
        );
    }
}
