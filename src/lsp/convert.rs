//! Conversions between core types (byte spans, findings, actions, hovers) and LSP types.
//! Positions go through `crate::text` with the negotiated encoding, never elsewhere.

use crate::analysis::{Finding, Severity};
use crate::document::{Document, Edit};
use crate::ide;
use crate::text::{self, Encoding, LineRange, Span};
use std::collections::HashMap;
use std::str::FromStr;
use tower_lsp_server::ls_types as lsp;

pub fn encoding_kind(encoding: Encoding) -> lsp::PositionEncodingKind {
    match encoding {
        Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        Encoding::Utf32 => lsp::PositionEncodingKind::UTF32,
    }
}

/// Picks UTF-8 when the client offers it (no conversion work at all), else UTF-16, which
/// every client must support.
pub fn negotiate(offered: Option<&[lsp::PositionEncodingKind]>) -> Encoding {
    let offered = offered.unwrap_or_default();
    if offered.contains(&lsp::PositionEncodingKind::UTF8) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

pub fn range(doc: &Document, span: &Span, encoding: Encoding) -> lsp::Range {
    let r = text::line_range(doc.rope(), span, encoding);
    lsp::Range {
        start: lsp::Position::new(r.start.line, r.start.column),
        end: lsp::Position::new(r.end.line, r.end.column),
    }
}

pub fn offset(doc: &Document, position: lsp::Position, encoding: Encoding) -> usize {
    text::offset(doc.rope(), core_position(position), encoding)
}

pub fn span(doc: &Document, range: lsp::Range, encoding: Encoding) -> Span {
    text::span(
        doc.rope(),
        &LineRange {
            start: core_position(range.start),
            end: core_position(range.end),
        },
        encoding,
    )
}

fn core_position(p: lsp::Position) -> text::Position {
    text::Position {
        line: p.line,
        column: p.character,
    }
}

fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

pub fn text_edit(doc: &Document, edit: &Edit, encoding: Encoding) -> lsp::TextEdit {
    lsp::TextEdit {
        range: range(doc, &edit.span, encoding),
        new_text: edit.text.clone(),
    }
}

/// A whole line (0-based) of a file that is not open, whose text is not at hand.
pub fn line_range(line: u32) -> lsp::Range {
    lsp::Range {
        start: lsp::Position { line, character: 0 },
        end: lsp::Position {
            line: line.saturating_add(1),
            character: 0,
        },
    }
}

/// What diagnostics carry besides range, severity, code, source, message and tags: only
/// what the client says it reads. Fixes never travel with them (`codeAction` analyses
/// again and finds each diagnostic's finding by range and code), so a diagnostic stays
/// a few hundred bytes and a file with a thousand findings publishes quickly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Extras {
    /// `relatedInformation`: the step a finding belongs to.
    pub related: bool,
    /// `codeDescription`: the rule's documentation, on the first diagnostic of each rule.
    pub links: bool,
}

/// Findings as diagnostics. A rule's documentation link is the same for all its
/// findings and costs a hundred bytes or so: it goes with the first of them only, which
/// keeps a file with a thousand findings quick to send and still links every rule.
pub fn diagnostics(
    doc: &Document,
    uri: &lsp::Uri,
    findings: &[Finding],
    table: crate::knowledge::TableId,
    extras: Extras,
    encoding: Encoding,
) -> Vec<lsp::Diagnostic> {
    let links = extras.links.then(|| DocLinks::new(table));
    let mut linked: Vec<&str> = Vec::new();
    findings
        .iter()
        .map(|f| {
            let first = !linked.contains(&f.rule.id);
            if first {
                linked.push(f.rule.id);
            }
            let docs = links.as_ref().filter(|_| first).and_then(|l| l.get(f.rule));
            diagnostic(doc, uri, f, docs, extras.related, encoding)
        })
        .collect()
}

/// A finding as a diagnostic.
pub fn diagnostic(
    doc: &Document,
    uri: &lsp::Uri,
    finding: &Finding,
    docs: Option<&lsp::Uri>,
    related: bool,
    encoding: Encoding,
) -> lsp::Diagnostic {
    let related = related.then(|| {
        finding
            .related
            .iter()
            .map(|r| lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri: uri.clone(),
                    range: range(doc, &r.span, encoding),
                },
                message: r.label.clone(),
            })
            .collect::<Vec<_>>()
    });
    lsp::Diagnostic {
        range: range(doc, &finding.span, encoding),
        severity: Some(severity(finding.severity)),
        code: Some(lsp::NumberOrString::String(finding.rule.id.to_string())),
        code_description: docs.map(|href| lsp::CodeDescription { href: href.clone() }),
        source: Some("azpls".to_string()),
        message: finding.message.clone(),
        related_information: related.filter(|r| !r.is_empty()),
        tags: finding
            .deprecated
            .then(|| vec![lsp::DiagnosticTag::DEPRECATED]),
        data: None,
    }
}

/// Whether a client's diagnostic is the one azpls made of a finding: same place, same
/// rule. `span` is the diagnostic's range in the current text.
pub fn is_diagnostic_of(diagnostic: &lsp::Diagnostic, span: &Span, finding: &Finding) -> bool {
    *span == finding.span
        && matches!(&diagnostic.code, Some(lsp::NumberOrString::String(code)) if code == finding.rule.id)
}

/// Each rule's documentation link as a URI, parsed once per batch of diagnostics rather
/// than once per diagnostic.
pub struct DocLinks(Vec<(&'static str, Option<lsp::Uri>)>);

impl DocLinks {
    pub fn new(table: crate::knowledge::TableId) -> DocLinks {
        DocLinks(
            crate::analysis::RULES
                .iter()
                .map(|(rule, _)| (rule.id, lsp::Uri::from_str(&rule.url(table)).ok()))
                .collect(),
        )
    }

    pub fn get(&self, rule: &crate::analysis::Rule) -> Option<&lsp::Uri> {
        self.0
            .iter()
            .find(|(id, _)| *id == rule.id)
            .and_then(|(_, uri)| uri.as_ref())
    }
}

/// The LSP kind of azpls's fix-all action.
pub fn fix_all_kind() -> lsp::CodeActionKind {
    lsp::CodeActionKind::new("source.fixAll.azpls")
}

pub fn code_action(
    doc: &Document,
    uri: &lsp::Uri,
    action: &ide::Action,
    diagnostics: Vec<lsp::Diagnostic>,
    encoding: Encoding,
) -> lsp::CodeAction {
    let edits = action
        .edits
        .iter()
        .map(|e| text_edit(doc, e, encoding))
        .collect();
    let kind = match action.kind {
        ide::ActionKind::QuickFix => lsp::CodeActionKind::QUICKFIX,
        ide::ActionKind::FixAll => fix_all_kind(),
    };
    lsp::CodeAction {
        title: action.title.clone(),
        kind: Some(kind),
        diagnostics: (!diagnostics.is_empty()).then_some(diagnostics),
        edit: Some(lsp::WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..Default::default()
        }),
        is_preferred: action.preferred.then_some(true),
        ..Default::default()
    }
}

pub fn hover(doc: &Document, hover: &ide::Hover, encoding: Encoding) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: hover.markdown.clone(),
        }),
        range: Some(range(doc, &hover.span, encoding)),
    }
}

pub fn completion_item(
    doc: &Document,
    item: &ide::CompletionItem,
    encoding: Encoding,
) -> lsp::CompletionItem {
    let kind = match item.kind {
        ide::CompletionKind::Task => lsp::CompletionItemKind::MODULE,
        ide::CompletionKind::Input => lsp::CompletionItemKind::PROPERTY,
        ide::CompletionKind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
        ide::CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
        ide::CompletionKind::Snippet => lsp::CompletionItemKind::SNIPPET,
        ide::CompletionKind::Function => lsp::CompletionItemKind::FUNCTION,
        ide::CompletionKind::Variable => lsp::CompletionItemKind::VARIABLE,
    };
    #[allow(deprecated)] // `deprecated` is what clients without tag support read.
    lsp::CompletionItem {
        label: item.label.clone(),
        kind: Some(kind),
        detail: Some(item.detail.clone()),
        documentation: (!item.documentation.is_empty()).then(|| {
            lsp::Documentation::MarkupContent(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: item.documentation.clone(),
            })
        }),
        deprecated: item.deprecated.then_some(true),
        tags: item
            .deprecated
            .then(|| vec![lsp::CompletionItemTag::DEPRECATED]),
        sort_text: Some(item.sort_text.clone()),
        filter_text: item.filter_text.clone(),
        insert_text_format: Some(if item.snippet {
            lsp::InsertTextFormat::SNIPPET
        } else {
            lsp::InsertTextFormat::PLAIN_TEXT
        }),
        // The text carries its own indentation for the lines it adds; editors that indent
        // inserted lines again would double it.
        insert_text_mode: item
            .text
            .contains('\n')
            .then_some(lsp::InsertTextMode::AS_IS),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
            range: range(doc, &item.span, encoding),
            new_text: item.text.clone(),
        })),
        ..Default::default()
    }
}

/// Converts an LSP content change into a byte edit on the current text.
pub fn edit(
    doc: &Document,
    change: &lsp::TextDocumentContentChangeEvent,
    encoding: Encoding,
) -> Option<Edit> {
    let range = change.range?;
    Some(Edit {
        span: span(doc, range, encoding),
        text: change.text.clone(),
    })
}

fn symbol_kind(kind: ide::SymbolKind) -> lsp::SymbolKind {
    use ide::SymbolKind as K;
    match kind {
        K::Stage => lsp::SymbolKind::MODULE,
        K::Job | K::Deployment => lsp::SymbolKind::CLASS,
        K::Step => lsp::SymbolKind::FUNCTION,
        K::Template => lsp::SymbolKind::FILE,
        K::Hook => lsp::SymbolKind::EVENT,
        K::Condition | K::Each => lsp::SymbolKind::OPERATOR,
        K::Section => lsp::SymbolKind::NAMESPACE,
        K::Parameter => lsp::SymbolKind::TYPE_PARAMETER,
        K::Variable => lsp::SymbolKind::VARIABLE,
        K::Resource => lsp::SymbolKind::PACKAGE,
    }
}

/// The outline as nested document symbols.
pub fn document_symbols(
    doc: &Document,
    symbols: &[ide::Symbol],
    encoding: Encoding,
) -> Vec<lsp::DocumentSymbol> {
    symbols
        .iter()
        .map(|s| {
            #[allow(deprecated)] // `deprecated` is a required field of the struct.
            lsp::DocumentSymbol {
                name: s.name.clone(),
                detail: s.detail.clone(),
                kind: symbol_kind(s.kind),
                tags: None,
                deprecated: None,
                range: range(doc, &s.span, encoding),
                selection_range: range(doc, &s.selection, encoding),
                children: (!s.children.is_empty())
                    .then(|| document_symbols(doc, &s.children, encoding)),
            }
        })
        .collect()
}

/// The outline flattened, for clients without hierarchical symbols: each symbol names
/// its parent as its container.
pub fn flat_symbols(
    doc: &Document,
    uri: &lsp::Uri,
    symbols: &[ide::Symbol],
    encoding: Encoding,
) -> Vec<lsp::SymbolInformation> {
    fn add(
        doc: &Document,
        uri: &lsp::Uri,
        symbols: &[ide::Symbol],
        container: Option<&str>,
        encoding: Encoding,
        out: &mut Vec<lsp::SymbolInformation>,
    ) {
        for s in symbols {
            #[allow(deprecated)] // `deprecated` is a required field of the struct.
            out.push(lsp::SymbolInformation {
                name: s.name.clone(),
                kind: symbol_kind(s.kind),
                tags: None,
                deprecated: None,
                location: lsp::Location {
                    uri: uri.clone(),
                    range: range(doc, &s.span, encoding),
                },
                container_name: container.map(str::to_string),
            });
            add(doc, uri, &s.children, Some(&s.name), encoding, out);
        }
    }
    let mut out = Vec::new();
    add(doc, uri, symbols, None, encoding, &mut out);
    out
}

/// Folds are whole lines, which suits clients with `lineFoldingOnly` and the others alike.
/// Blocks (stages, jobs, steps) have no kind: `region` is for explicit `#region` markers,
/// and a client that folds "all regions" would fold every block.
pub fn folding_range(fold: &ide::Fold) -> lsp::FoldingRange {
    lsp::FoldingRange {
        start_line: fold.start_line,
        start_character: None,
        end_line: fold.end_line,
        end_character: None,
        kind: match fold.kind {
            ide::FoldKind::Block => None,
            ide::FoldKind::Comment => Some(lsp::FoldingRangeKind::Comment),
        },
        collapsed_text: None,
    }
}

pub fn document_link(
    doc: &Document,
    link: &ide::templates::Link,
    encoding: Encoding,
) -> Option<lsp::DocumentLink> {
    Some(lsp::DocumentLink {
        range: range(doc, &link.span, encoding),
        target: Some(lsp::Uri::from_file_path(&link.target)?),
        tooltip: Some(link.tooltip.clone()),
        data: None,
    })
}

pub fn definition(
    doc: &Document,
    uri: &lsp::Uri,
    definition: &ide::templates::Definition,
    encoding: Encoding,
) -> Option<lsp::Location> {
    match definition {
        ide::templates::Definition::File { path, line } => Some(lsp::Location {
            uri: lsp::Uri::from_file_path(path)?,
            range: lsp::Range::new(lsp::Position::new(*line, 0), lsp::Position::new(*line, 0)),
        }),
        ide::templates::Definition::Here(span) => Some(lsp::Location {
            uri: uri.clone(),
            range: range(doc, span, encoding),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_folds_have_no_kind_and_comment_runs_keep_theirs() {
        let doc = Document::new("# a\n# b\nsteps:\n- script: x\n  displayName: y\n", 0);
        let folds: Vec<serde_json::Value> = ide::folding_ranges(&doc, &crate::model::build(&doc))
            .iter()
            .map(|f| serde_json::to_value(folding_range(f)).unwrap())
            .collect();
        assert_eq!(
            folds,
            [
                serde_json::json!({"startLine": 0, "endLine": 1, "kind": "comment"}),
                serde_json::json!({"startLine": 2, "endLine": 4}),
                serde_json::json!({"startLine": 3, "endLine": 4}),
            ]
        );
    }
}
