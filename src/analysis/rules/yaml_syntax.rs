//! `yaml-syntax`: text that is not valid YAML, one error per broken region, in words (see
//! `syntax::errors` for how the tree's `ERROR` nodes are read).

use crate::analysis::{Context, Docs, Finding, Rule, Severity};
use crate::document::Document;
use crate::model;
use crate::syntax::{self, errors::SyntaxError};

pub static RULE: Rule = Rule {
    id: "yaml-syntax",
    summary: "text that is not valid YAML, which Azure Pipelines refuses to run",
    explanation: "Azure Pipelines refuses a file that is not valid YAML before it runs \
anything, and other tools read such a file in surprising ways. Each broken place gets one \
error, on the first offending character, saying what is wrong: an unclosed quote or flow \
bracket (`[`, `{`), a tab used for indentation (YAML allows only spaces), a `-` item deeper \
than its siblings or among `key: value` pairs, a line indented under a key whose value is \
already on its line, `key:value` without the space that makes it a key and a value (on its \
own `pool:ubuntu` is a valid text, so only where it breaks the structure), or text after a \
closing quote; anything else is described by what was expected there. A quoted value \
continued on lines indented like its key, which the YAML specification forbids but Azure \
Pipelines reads, is not an error. The other rules say \
nothing about text inside a broken place (the inside of an unclosed string is not a task \
reference), while the intact parts of the file keep their findings. Files that are not \
pipelines (Kubernetes manifests, GitHub workflows, docker-compose files), files refused by \
`parse-limit` and files longer than 32,767 lines (which the YAML parser cannot read whole) \
are not checked.",
    default_severity: Severity::Error,
    docs: Docs::Page("https://yaml.org/spec/1.2.2/"),
};

pub fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for error in ctx.syntax_errors {
        out.push(ctx.finding(&RULE, error.span.clone(), error.message.clone()));
    }
}

/// The syntax errors of a pipeline document: none for a text the parser was not given
/// (`parse-limit`), one past the grammar's row limit (its tree is one error whatever the
/// text), or in documents that are not pipelines.
pub fn errors(doc: &Document) -> Vec<SyntaxError> {
    let rope = doc.rope();
    if doc.refusal().is_some() || rope.len_lines() > syntax::GRAMMAR_ROW_LIMIT {
        return Vec::new();
    }
    let mut errors = syntax::errors::errors(rope, doc.tree());
    if !errors.is_empty() {
        let foreign = model::foreign_of(doc);
        errors.retain(|e| !foreign.iter().any(|f| f.contains(&e.span.start)));
    }
    errors
}

/// Drops the other rules' findings whose token lies in a broken region: text there is not
/// what it looks like (inside an unclosed quote, a `task:` is just text).
pub fn drop_inside(errors: &[SyntaxError], findings: &mut Vec<Finding>) {
    if errors.is_empty() {
        return;
    }
    findings.retain(|f| {
        std::ptr::eq(f.rule, &RULE) || !errors.iter().any(|e| e.region.contains(&f.span.start))
    });
}
