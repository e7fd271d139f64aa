//! The lexer: where the `${{ }}` of a scalar start and end, and the tokens of an expression.
//!
//! It reads the text as the document has it. In a YAML single-quoted scalar every `'` of the
//! expression is written `''`, so there a doubled quote counts as one ([`Source::doubled_quotes`]);
//! spans stay document bytes either way.

use super::Source;
use std::ops::Range;

/// One `${{ … }}` of a scalar, in local offsets (into `Source::text`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct TemplateSpan {
    /// Where `${{` starts.
    pub open: usize,
    /// Between `${{` and `}}` (to the end of the text when unclosed).
    pub body: Range<usize>,
    /// After `}}`, or the end of the text.
    pub end: usize,
    pub closed: bool,
}

/// How many bytes the quote at `i` takes: one, or two for `''` in a single-quoted scalar
/// (where a lone `'` cannot occur in valid YAML, and is taken as one quote anyway).
fn quote_at(src: &Source, i: usize) -> Option<usize> {
    let bytes = src.text.as_bytes();
    if bytes.get(i) != Some(&b'\'') {
        return None;
    }
    if src.doubled_quotes && bytes.get(i + 1) == Some(&b'\'') {
        Some(2)
    } else {
        Some(1)
    }
}

/// Where the `}}` that closes an expression whose body starts at `from` is (the index of
/// its first `}`), as the service finds it: the first `}}` outside a string.
pub(super) fn template_end(src: &Source, from: usize) -> Option<usize> {
    let bytes = src.text.as_bytes();
    let mut in_string = false;
    let mut i = from;
    while i < bytes.len() {
        if let Some(q) = quote_at(src, i) {
            in_string = !in_string;
            i += q;
            continue;
        }
        if !in_string && bytes[i] == b'}' && bytes.get(i + 1) == Some(&b'}') {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Every `${{ … }}` of a scalar's text, in order. The text between them is literal.
pub(super) fn template_spans(src: Source) -> Vec<TemplateSpan> {
    let text = src.text;
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("${{").map(|i| from + i) {
        let body_start = open + 3;
        match template_end(&src, body_start) {
            Some(close) => {
                out.push(TemplateSpan {
                    open,
                    body: body_start..close,
                    end: close + 2,
                    closed: true,
                });
                from = close + 2;
            }
            None => {
                out.push(TemplateSpan {
                    open,
                    body: body_start..text.len(),
                    end: text.len(),
                    closed: false,
                });
                break;
            }
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Star,
    /// `'…'`: its value, whether the closing quote is there, and the bytes between the quotes.
    Str {
        value: String,
        closed: bool,
        inner: Range<usize>,
    },
    /// `"…"`: not a string of this language.
    DoubleQuoted,
    Number,
    Version,
    /// Starts like a number but is neither a number nor a version (`1.2.3.4.5`, `1x`).
    BadNumber,
    /// A name: a function, a named value, a property, `true`, `null`, a directive word.
    Word,
    /// A `${{ }}` or `$( )` inside a condition, replaced before the condition is read.
    Hole {
        closed: bool,
    },
    /// Any other character (or operator-looking run such as `==`).
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    /// Local offsets into `Source::text`.
    pub start: usize,
    pub end: usize,
}

/// Characters a name may hold after its first. The documentation asks for letters, digits
/// and `_`; `-` is read too, so that a name such as `my-job` is one token rather than a
/// cascade of errors.
fn name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Reads the tokens of `src.text[range]`. With `holes`, `${{ … }}` and `$( … )` are single
/// tokens (in a condition, the compiler and the agent replace them first), also inside
/// strings, which they may hold quotes of their own in.
pub(super) fn tokens(src: &Source, range: Range<usize>, holes: bool) -> Vec<Token> {
    let text = src.text;
    let bytes = text.as_bytes();
    let end = range.end.min(text.len());
    let mut at = range.start.min(end);
    let mut out: Vec<Token> = Vec::new();
    while at < end {
        let c = bytes[at];
        if c.is_ascii_whitespace() {
            at += 1;
            continue;
        }
        let start = at;
        let single = |tok: Tok| (tok, start + 1);
        let (tok, next) = match c {
            b'(' => single(Tok::LParen),
            b')' => single(Tok::RParen),
            b'[' => single(Tok::LBracket),
            b']' => single(Tok::RBracket),
            b',' => single(Tok::Comma),
            b'*' => single(Tok::Star),
            b'\'' => string(src, start, end, holes),
            b'"' => {
                let close = text[start + 1..end].find('"').map(|i| start + 1 + i + 1);
                (Tok::DoubleQuoted, close.unwrap_or(end))
            }
            b'$' if holes && text[start..end].starts_with("${{") => {
                match template_end(src, start + 3).filter(|&e| e < end) {
                    Some(close) => (Tok::Hole { closed: true }, close + 2),
                    None => (Tok::Hole { closed: false }, end),
                }
            }
            b'$' if holes && text[start..end].starts_with("$(") => {
                match text[start..end].find(')') {
                    Some(i) => (Tok::Hole { closed: true }, start + i + 1),
                    None => (Tok::Hole { closed: false }, end),
                }
            }
            b'.' => {
                let operand_before = matches!(
                    out.last().map(|t| &t.tok),
                    Some(
                        Tok::RParen
                            | Tok::RBracket
                            | Tok::Word
                            | Tok::Star
                            | Tok::Str { .. }
                            | Tok::Number
                            | Tok::Version
                            | Tok::Hole { .. }
                    )
                );
                if !operand_before && bytes.get(start + 1).is_some_and(u8::is_ascii_digit) {
                    number(text, start, end)
                } else {
                    single(Tok::Dot)
                }
            }
            b'-' | b'+'
                if bytes
                    .get(start + 1)
                    .is_some_and(|b| b.is_ascii_digit() || *b == b'.') =>
            {
                number(text, start, end)
            }
            b'0'..=b'9' => {
                // A name after a dot may start with a digit (`outputs.0`); elsewhere a digit
                // starts a number.
                if matches!(out.last().map(|t| &t.tok), Some(Tok::Dot)) {
                    (Tok::Word, word_end(text, start, end))
                } else {
                    number(text, start, end)
                }
            }
            _ => {
                let ch = text[start..end].chars().next().unwrap_or('\u{fffd}');
                if ch.is_alphabetic() || ch == '_' {
                    (Tok::Word, word_end(text, start, end))
                } else {
                    // Operators of other languages come as one token (`==`, `&&`), so the
                    // message can name them whole.
                    let run = text[start..end]
                        .chars()
                        .take_while(|c| "=!&|<>".contains(*c))
                        .map(char::len_utf8)
                        .sum::<usize>();
                    (Tok::Other, start + run.max(ch.len_utf8()))
                }
            }
        };
        let next = next.clamp(start + 1, end.max(start + 1)).min(text.len());
        out.push(Token {
            tok,
            start,
            end: next,
        });
        at = next;
    }
    out
}

fn word_end(text: &str, start: usize, end: usize) -> usize {
    let len: usize = text[start..end]
        .chars()
        .take_while(|c| name_char(*c))
        .map(char::len_utf8)
        .sum();
    start + len.max(1)
}

/// A string literal from its opening quote: `''` inside is one quote (`''''` in a
/// single-quoted scalar).
fn string(src: &Source, start: usize, end: usize, holes: bool) -> (Tok, usize) {
    let text = src.text;
    let open = quote_at(src, start).unwrap_or(1);
    let mut value = String::new();
    let mut at = start + open;
    let inner_start = at;
    while at < end {
        if let Some(q) = quote_at(src, at) {
            match quote_at(src, at + q) {
                // An escaped quote.
                Some(q2) if at + q + q2 <= end => {
                    value.push('\'');
                    at += q + q2;
                    continue;
                }
                _ => {
                    return (
                        Tok::Str {
                            value,
                            closed: true,
                            inner: inner_start..at,
                        },
                        at + q,
                    );
                }
            }
        }
        if holes
            && text[at..end].starts_with("${{")
            && let Some(close) = template_end(src, at + 3).filter(|&e| e < end)
        {
            value.push_str(&text[at..close + 2]);
            at = close + 2;
            continue;
        }
        let ch = text[at..].chars().next().unwrap_or('\u{fffd}');
        value.push(ch);
        at += ch.len_utf8();
    }
    (
        Tok::Str {
            value,
            closed: false,
            inner: inner_start..end,
        },
        end,
    )
}

/// A number or a version, from its first character: everything up to a delimiter, then
/// classified.
fn number(text: &str, start: usize, end: usize) -> (Tok, usize) {
    let bytes = text.as_bytes();
    let mut at = start + 1;
    while at < end {
        let b = bytes[at];
        let exponent_sign =
            (b == b'-' || b == b'+') && matches!(bytes[at - 1], b'e' | b'E') && at > start + 1;
        if b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || exponent_sign {
            at += 1;
        } else {
            break;
        }
    }
    let raw = &text[start..at];
    let tok = if is_version(raw) {
        Tok::Version
    } else if is_number(raw) {
        Tok::Number
    } else {
        Tok::BadNumber
    };
    (tok, at)
}

/// Two or three dots between runs of digits: `1.2.3`, `1.2.3.4`.
fn is_version(raw: &str) -> bool {
    let parts: Vec<&str> = raw.split('.').collect();
    (3..=4).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A decimal number with an optional sign, fraction and exponent, or a hexadecimal one.
fn is_number(raw: &str) -> bool {
    let unsigned = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    if let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole)
        && fraction.is_none_or(digits)
        && !(whole.is_empty() && fraction.is_none_or(str::is_empty));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}
