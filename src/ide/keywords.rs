//! Completion and hover of the pipeline language itself (`knowledge::language`): the keys a
//! mapping takes at that place (a root, a stage, a job, a `script` step, a pool …) minus
//! those already written, the values of a key with listed values, skeletons for stages and
//! jobs, and a hover on every key saying what it is, what it takes and where its reference
//! page is.
//!
//! The place comes from indentation first, as the task completion reads it: while the user
//! types, the tree is often broken around the cursor. Walking up the lines finds the
//! enclosing keys; as soon as a line above lies in an intact part of the tree, the rest of
//! the way to the root is read from the tree (a climb of the tree's depth), so the walk
//! never crosses a large document line by line. Flow mappings the cursor's line opens
//! (`pool: { vmImage: … }`, `- { checkout: self, … }`) continue the way from the line's
//! block entry, read from the line's text as completion reads it, so a half-typed or
//! unclosed `{` works too. What type the place expects is
//! `analysis::structure::expected`, the checker's own reading.
//!
//! Values with listed values get a hover too (`clean: outputs`, `lfs: true`): what the
//! value means where the reference pages say it, else what the key takes.

use crate::analysis::structure::{self, Expected, Level, chosen_shapes, describe_type, item_type};
use crate::document::Document;
use crate::ide::completion::{
    CompletionItem, CompletionKind, Cx, Here, WALK_LIMIT, escape_choice, line_at, lines_above,
    lines_below, scan, shape, token_end, unquote, yaml_string,
};
use crate::ide::hover::Hover;
use crate::knowledge::language::{
    Key, Language, MappingShape, ScalarKind, Shape, TypeId, language,
};
use crate::model::{self, yaml};
use crate::syntax;
use crate::text;
use std::fmt::Write;
use tree_sitter::Node;

/// A line read as a mapping entry, with the column of its last `- ` marker.
struct Row {
    shape: super::completion::Shape,
    /// Column of the last `-` of an item line.
    dash: usize,
}

/// `text`, a line without its break, read as a [`Row`].
fn row(text: &str) -> Row {
    let shape = shape(text);
    let dash = if shape.item {
        text[..shape.col].rfind('-').unwrap_or(shape.indent)
    } else {
        shape.indent
    };
    Row { shape, dash }
}

/// The mappings from the root down to the one whose entries start at column `col` and that
/// holds line `at`. `dash` is the column of the `- ` that starts that mapping on line `at`,
/// when it does; `own` is the key line `at` writes, when it counts. `None` where the lines
/// say nothing the language knows (inside a value, under a scalar).
fn locate(
    doc: &Document,
    at: usize,
    col: usize,
    dash: Option<usize>,
    own: Option<&str>,
) -> Option<Vec<Level>> {
    let rope = doc.rope();
    // Bottom-up: the cursor's mapping first.
    let mut up = vec![Level {
        keys: own.map(str::to_string).into_iter().collect(),
        item: dash.is_some(),
        via: None,
    }];
    // Keys below the cursor in the same mapping, up to the next item or the mapping's end;
    // an intact line there gives the whole way from the tree.
    {
        for (r, text) in lines_below(rope, at).take(WALK_LIMIT) {
            let Row { shape: s, .. } = row(&text);
            if s.blank || s.col > col {
                continue;
            }
            if s.col < col || s.item {
                break;
            }
            if let Some(levels) = from_tree(doc, r, col) {
                return Some(join(levels, up));
            }
            up[0].keys.extend(s.key);
        }
    }
    let mut col = col;
    let mut dash = dash;
    for (r, text) in lines_above(rope, at).take(WALK_LIMIT) {
        let Row { shape: s, dash: d } = row(&text);
        if s.blank {
            continue;
        }
        let parent = match dash {
            // Looking for the key that holds the sequence whose items start at `seq`.
            Some(seq) => {
                if s.item && d == seq || s.col > seq {
                    continue;
                }
                true
            }
            None => {
                if s.col > col {
                    continue;
                }
                s.col < col
            }
        };
        let key = s.key.clone()?;
        if parent {
            if !s.value.is_empty() {
                return None;
            }
            up.push(Level {
                keys: Vec::new(),
                item: false,
                via: Some(key.clone()),
            });
        }
        if let Some(levels) = from_tree(doc, r, s.col) {
            return Some(join(levels, up));
        }
        let level = up.last_mut()?;
        level.keys.push(key);
        col = s.col;
        dash = None;
        if s.item {
            level.item = true;
            dash = Some(d);
        }
    }
    up.reverse();
    Some(up)
}

/// The tree's levels (root first, ending with the mapping of a line's pair) and the levels
/// read from the lines (bottom-up, ending with that same mapping): the two readings of the
/// shared mapping merge.
fn join(mut levels: Vec<Level>, mut up: Vec<Level>) -> Vec<Level> {
    let Some(shared) = up.pop() else {
        return levels;
    };
    if let Some(last) = levels.last_mut() {
        last.keys.extend(shared.keys);
        last.via = shared.via;
        last.item |= shared.item;
    }
    up.reverse();
    levels.extend(up);
    levels
}

/// The levels from the root to the mapping of the pair whose key starts on line `r` at
/// column `col`, when the tree holds that pair outside any `ERROR`.
fn from_tree(doc: &Document, r: usize, col: usize) -> Option<Vec<Level>> {
    let rope = doc.rope();
    let start = rope.line_to_byte(r) + col;
    let root = doc.tree().root_node();
    let path = syntax::path_to(root, start, start);
    if path.iter().any(|n| n.is_error() || n.is_missing()) {
        return None;
    }
    let i = path
        .iter()
        .rposition(|n| is_pair(*n) && n.start_byte() == start)?;
    // Bottom-up; `via` is the key of the pair above the level read last, which belongs
    // to the next level (the mapping that pair is in).
    let mut down: Vec<Level> = Vec::new();
    let mut via = None;
    let mut k = i;
    loop {
        // path[k] is a pair; its mapping is the node above it.
        let mapping = *path.get(k.checked_sub(1)?)?;
        if !yaml::is_mapping(mapping) {
            return None;
        }
        let keys = yaml::pairs(mapping)
            .filter_map(|(key, _)| yaml::key_text(rope, key))
            .collect();
        let mut level = Level {
            keys,
            item: false,
            via: via.take(),
        };
        let mut j = k - 1;
        let above = loop {
            j = j.checked_sub(1)?;
            let node = path[j];
            match node.kind() {
                "block_node" | "flow_node" | "block_sequence" => {}
                "block_sequence_item" | "flow_sequence" => level.item = true,
                _ => break node,
            }
        };
        down.push(level);
        if matches!(above.kind(), "document" | "stream") {
            break;
        }
        if !is_pair(above) {
            return None;
        }
        via = Some(yaml::key_text(rope, above.child_by_field_name("key")?)?);
        k = j;
    }
    down.reverse();
    Some(down)
}

fn is_pair(node: Node) -> bool {
    matches!(node.kind(), "block_mapping_pair" | "flow_pair")
}

/// Whether the document's root keys leave it a pipeline (not a Kubernetes manifest …).
fn pipeline(levels: &[Level]) -> bool {
    levels
        .first()
        .is_none_or(|root| model::foreign_kind(&root.keys).is_none())
}

/// The place of the mapping whose entries start at `col` on line `at`.
fn expected_at(
    doc: &Document,
    at: usize,
    col: usize,
    dash: Option<usize>,
    own: Option<&str>,
) -> Option<Expected> {
    let levels = locate(doc, at, col, dash, own)?;
    if !pipeline(&levels) {
        return None;
    }
    structure::expected(language(), &levels)
}

/// The mapping the entry `here` reads on line `row` is in: the block mapping of the line's
/// block entry, then through the flow collections the line opens before the cursor.
/// `own` is the key the entry writes, when it counts; in a flow mapping, the keys written
/// after `cursor` (a column of `text`, the line) count as well.
fn expected_here(
    doc: &Document,
    row: usize,
    text: &str,
    here: &Here,
    cursor: usize,
    own: Option<&str>,
) -> Option<Expected> {
    let dash = here
        .item
        .then(|| text[..here.block].rfind('-').unwrap_or(0));
    let Some(first) = here.flows.first() else {
        return expected_at(doc, row, here.block, dash, own);
    };
    let mut levels = locate(doc, row, here.block, dash, first.owner.as_deref())?;
    if !pipeline(&levels) {
        return None;
    }
    let last = here.flows.len() - 1;
    // The next flow mapping is an item of a flow sequence.
    let mut item = false;
    for (n, flow) in here.flows.iter().enumerate() {
        let mut keys = flow.keys.clone();
        if n == last {
            keys.extend(own.map(str::to_string));
            keys.extend(keys_after(text, cursor));
        }
        match (&flow.owner, n) {
            // The block entry is the flow mapping itself: `- { … }`.
            (None, 0) if flow.open == b'{' => {
                levels.last_mut()?.keys.extend(keys);
                continue;
            }
            (None, _) if item && flow.open == b'{' => {}
            (Some(owner), _) if !item => levels.last_mut()?.via = Some(owner.clone()),
            _ => return None,
        }
        if flow.open == b'[' {
            item = true;
            continue;
        }
        levels.push(Level {
            keys,
            item,
            via: None,
        });
        item = false;
    }
    structure::expected(language(), &levels)
}

/// The keys of the entries after the one at `from` in the flow mapping it is in, up to its
/// closing brace on the line.
fn keys_after(text: &str, from: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    // Where the current entry starts, once past the cursor's; whether only spaces follow
    // a structural character (where a quote opens a quoted scalar).
    let mut entry: Option<usize> = None;
    let mut fresh = false;
    for (i, &b) in bytes.iter().enumerate().skip(from) {
        if let Some(q) = quote {
            if b == q {
                quote = None;
            }
            continue;
        }
        match b {
            b'"' | b'\'' if fresh => quote = Some(b),
            b'#' if i > 0 && bytes[i - 1] == b' ' => break,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => break,
            b'}' | b']' => depth -= 1,
            b',' if depth == 0 => entry = Some(i + 1),
            b':' if depth == 0 && matches!(bytes.get(i + 1), None | Some(b' ' | b',' | b'}')) => {
                if let Some(start) = entry.take() {
                    let key = unquote(text[start..i].trim());
                    if !key.is_empty() {
                        keys.push(key.to_string());
                    }
                }
            }
            _ => {}
        }
        fresh = match b {
            b',' | b':' | b'{' | b'[' => true,
            b' ' => fresh,
            _ => false,
        };
    }
    keys
}

/// A key of the mapping `expected` names, and the shape it was found in.
fn find_key<'l>(
    lang: &'l Language,
    expected: &Expected,
    name: &str,
) -> Option<(&'l MappingShape, &'l Key)> {
    chosen_shapes(lang, expected.ty, expected.chosen)
        .into_iter()
        .find_map(|m| m.key(name).map(|k| (m, k)))
}

/// Keys, a key's values, or skeletons at the cursor, in block and flow mappings alike;
/// empty where the language has nothing to say (an open mapping, a value of free text).
pub(super) fn completions(doc: &Document, cx: &Cx, here: &Here) -> Vec<CompletionItem> {
    // Tabs cannot indent YAML: the place is unknowable.
    if cx.text()[..here.entry].contains('\t') {
        return Vec::new();
    }
    match (&here.key, here.value) {
        (Some(key), Some(value)) => values(doc, cx, here, key, value),
        _ => keys(doc, cx, here),
    }
    .unwrap_or_default()
}

/// How the items of one completion are placed: the span they replace, whether a colon
/// follows already, what goes before the key (`- ` where an item starts) and the column of
/// the keys of the mapping being written.
struct Placing {
    span: text::Span,
    colon: bool,
    lead: &'static str,
    indent: usize,
    eol: &'static str,
    snippets: bool,
    /// Inside a flow mapping: every key goes on the cursor's line, as `key: `.
    flow: bool,
}

fn keys(doc: &Document, cx: &Cx, here: &Here) -> Option<Vec<CompletionItem>> {
    let text = cx.text();
    let typed = &text[here.entry..cx.column];
    if typed.contains(char::is_whitespace) || typed.starts_with(['"', '\'', '{', '[', '#', '$']) {
        return None;
    }
    let lang = language();
    let expected = expected_here(doc, cx.row, text, here, cx.column, None)?;
    let end = token_end(text, cx.column);
    let flow = !here.flows.is_empty();
    let mut placing = Placing {
        span: cx.span(here.entry, end),
        colon: text[end..].starts_with(':'),
        lead: "",
        indent: text[..here.block].chars().count(),
        eol: cx.eol(),
        snippets: cx.options.snippets,
        flow,
    };
    let mut ty = expected.ty;
    if structure::mapping_shapes(lang, ty).next().is_none() {
        // Under a key that takes a list of mappings, where an item's `- ` would start.
        if here.item || placing.colon || flow {
            return None;
        }
        ty = item_type(lang, ty)?;
        placing.lead = "- ";
        placing.indent += 2;
    }
    let written: Vec<&str> = expected
        .keys
        .iter()
        .map(String::as_str)
        .filter(|k| !yaml::is_expression(k))
        .collect();
    let shapes: Vec<&MappingShape> = structure::mapping_shapes(lang, ty)
        .map(|(_, m)| m)
        .collect();
    let identified = !shapes.is_empty() && shapes.iter().all(|m| m.first.is_some());
    let chosen = if placing.lead.is_empty() {
        expected.chosen
    } else {
        structure::choose::<&str>(lang, ty, &[])
    };
    let mut items = Vec::new();
    if chosen.is_none() && identified {
        // A new item of a list of steps, jobs, stages or variables: what kind it is first.
        for (n, shape) in shapes.iter().enumerate() {
            let Some(key) = shape.first.as_deref().and_then(|f| shape.key(f)) else {
                continue;
            };
            if key.hidden || key.deprecated.is_some() {
                continue;
            }
            items.push(key_item(lang, ty, shape, key, format!("0{n:04}"), &placing));
        }
        if placing.snippets && !flow {
            items.extend(skeletons(lang, ty, &placing));
        }
        // Other keys only once something is written that does not say the kind.
        if written.is_empty() || !placing.lead.is_empty() {
            return Some(items);
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for shape in chosen_shapes(lang, ty, chosen) {
        for key in &shape.keys {
            let name = key.name.as_str();
            if key.hidden || written.contains(&name) || seen.contains(&name) {
                continue;
            }
            if identified
                && chosen.is_none()
                && shapes.iter().any(|m| m.first.as_deref() == Some(name))
            {
                continue;
            }
            seen.push(name);
            let required = shape.required.iter().any(|r| r == name);
            let rank = match (key.deprecated.is_some(), required) {
                (true, _) => 3,
                (false, true) => 1,
                (false, false) => 2,
            };
            let n = seen.len();
            items.push(key_item(
                lang,
                ty,
                shape,
                key,
                format!("{rank}{n:04}"),
                &placing,
            ));
        }
    }
    Some(items)
}

/// One key as a completion item: `key: ` for a value on the same line, `key:` and a new
/// line for a mapping or a list.
fn key_item(
    lang: &Language,
    ty: TypeId,
    shape: &MappingShape,
    key: &Key,
    sort_text: String,
    placing: &Placing,
) -> CompletionItem {
    let (text, snippet) = if placing.colon {
        (key.name.clone(), false)
    } else {
        let (text, snippet) = insertion(lang, key, placing);
        (format!("{}{text}", placing.lead), snippet)
    };
    CompletionItem {
        label: key.name.clone(),
        kind: CompletionKind::Keyword,
        detail: describe_type(lang, key.ty),
        documentation: key_markdown(lang, ty, shape, key),
        deprecated: key.deprecated.is_some(),
        sort_text,
        filter_text: None,
        span: placing.span.clone(),
        text,
        snippet,
    }
}

/// The text a key inserts, and whether it is a snippet.
fn insertion(lang: &Language, key: &Key, placing: &Placing) -> (String, bool) {
    let shapes = &lang.get(key.ty).shapes;
    let scalar = shapes
        .iter()
        .any(|s| matches!(s, Shape::Scalar(_) | Shape::Any));
    let name = &key.name;
    if scalar {
        // A choice when the key takes nothing but its listed values.
        let values = values_of(lang, key);
        let closed = shapes.iter().all(|s| match s {
            Shape::Scalar(s) => s.values.is_some() || s.kind == ScalarKind::Boolean,
            _ => false,
        });
        if placing.snippets && closed && !values.is_empty() {
            let choices: Vec<String> = values.iter().map(|v| escape_choice(v)).collect();
            return (format!("{name}: ${{1|{}|}}", choices.join(",")), true);
        }
        return (format!("{name}: "), false);
    }
    if placing.flow {
        return (format!("{name}: "), false);
    }
    let pad = " ".repeat(placing.indent);
    let eol = placing.eol;
    let list = shapes.iter().any(|s| matches!(s, Shape::Sequence(_)));
    if list {
        (format!("{name}:{eol}{pad}- "), false)
    } else {
        (format!("{name}:{eol}{pad}  "), false)
    }
}

/// Skeletons of a stage with a job, a job with a pool and steps, and a deployment with its
/// environment and strategy, where such an item can go.
fn skeletons(lang: &Language, ty: TypeId, placing: &Placing) -> Vec<CompletionItem> {
    let i = " ".repeat(placing.indent);
    let eol = placing.eol;
    let lead = placing.lead;
    let bodies: Vec<(&str, &str, String)> = match lang.get(ty).name.as_str() {
        "stage" => vec![(
            "stage with a job",
            "stage",
            format!(
                "{lead}stage: $1{eol}{i}jobs:{eol}{i}- job: $2{eol}{i}  steps:{eol}{i}  - script: $0"
            ),
        )],
        "job" => vec![
            (
                "job with pool and steps",
                "job",
                format!(
                    "{lead}job: $1{eol}{i}pool:{eol}{i}  vmImage: $2{eol}{i}steps:{eol}{i}- script: $0"
                ),
            ),
            (
                "deployment with environment and strategy",
                "deployment",
                format!(
                    "{lead}deployment: $1{eol}{i}environment: $2{eol}{i}strategy:{eol}{i}  runOnce:{eol}{i}    deploy:{eol}{i}      steps:{eol}{i}      - script: $0"
                ),
            ),
        ],
        _ => Vec::new(),
    };
    bodies
        .into_iter()
        .enumerate()
        .map(|(n, (label, kind, text))| CompletionItem {
            label: label.to_string(),
            kind: CompletionKind::Snippet,
            detail: format!("a {kind} skeleton"),
            documentation: format!(
                "```yaml\n{}\n```\n",
                text.replace("$0", "").replace("$1", "").replace("$2", "")
            ),
            deprecated: false,
            sort_text: format!("1{n:04}"),
            filter_text: Some(kind.to_string()),
            span: placing.span.clone(),
            text,
            snippet: true,
        })
        .collect()
}

/// The values completion offers for a key: its listed values, `true` and `false` for a
/// boolean, and the values the reference pages name.
fn values_of(lang: &Language, key: &Key) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |v: &str| {
        if !v.is_empty() && !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    };
    for shape in &lang.get(key.ty).shapes {
        let Shape::Scalar(s) = shape else { continue };
        match (&s.values, s.kind) {
            (_, ScalarKind::Boolean) => ["true", "false"].iter().for_each(|v| add(v)),
            (Some(values), _) if structure::is_boolean_list(values) => {
                ["true", "false"].iter().for_each(|v| add(v))
            }
            (Some(values), _) => values.iter().for_each(|v| add(v)),
            (None, _) => {}
        }
    }
    key.suggest.iter().for_each(|v| add(v));
    out
}

fn values(
    doc: &Document,
    cx: &Cx,
    here: &Here,
    key: &str,
    value: usize,
) -> Option<Vec<CompletionItem>> {
    let lang = language();
    let expected = expected_here(doc, cx.row, cx.text(), here, cx.column, Some(key))?;
    let (_, found) = find_key(lang, &expected, key)?;
    let values = values_of(lang, found);
    if values.is_empty() {
        return None;
    }
    let (typed, end) = cx.value_extent(value, !here.flows.is_empty())?;
    let detail = format!("{key}: {}", describe_type(lang, found.ty));
    Some(
        values
            .into_iter()
            .enumerate()
            .map(|(n, v)| CompletionItem {
                kind: CompletionKind::Value,
                detail: detail.clone(),
                documentation: String::new(),
                deprecated: false,
                sort_text: format!("{n:04}"),
                filter_text: None,
                span: cx.span(typed.start, end),
                text: match typed.quote {
                    Some(_) => v.clone(),
                    None => format!("{}{}", typed.space, yaml_string(&v)),
                },
                snippet: false,
                label: v,
            })
            .collect(),
    )
}

/// What a key is, in markdown: its description, what it takes, its deprecation, and its
/// page in the YAML schema reference. Shared by hovers and completion documentation.
fn key_markdown(lang: &Language, ty: TypeId, shape: &MappingShape, key: &Key) -> String {
    let mut md = format!("**`{}`**", key.name);
    if let Some(description) = &key.description {
        let _ = write!(md, " — {}", description.trim_end_matches('.'));
    }
    md.push_str("\n\n");
    let _ = write!(md, "Takes {}.", describe_type(lang, key.ty));
    let values = values_of(lang, key);
    if !values.is_empty() && values.len() <= 24 && values != ["true", "false"] {
        let listed: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        let _ = write!(md, " Values: {}.", listed.join(", "));
    }
    if shape.required.contains(&key.name) {
        md.push_str(" Required.");
    }
    md.push_str("\n\n");
    if let Some(message) = &key.deprecated {
        let _ = write!(md, "**Deprecated:** {message}\n\n");
    }
    page_link(&mut md, lang, ty, shape, key);
    md
}

/// The key's page in the YAML schema reference, as the last line of a hover.
fn page_link(md: &mut String, lang: &Language, ty: TypeId, shape: &MappingShape, key: &Key) {
    let page = shape
        .page
        .as_deref()
        .or(lang.get(ty).page.as_deref())
        .or(lang.get(key.ty).page.as_deref());
    if let Some(page) = page {
        let _ = writeln!(
            md,
            "[YAML schema reference: {page}]({})",
            Language::url(page)
        );
    }
}

/// The value of `key` that `text` writes, as the language lists it: one of its values (in
/// any case where the service ignores case), `true` or `false` for any spelling of a
/// boolean the key takes, or a value the reference pages suggest. `None` for free text.
fn known_value(lang: &Language, key: &Key, text: &str) -> Option<String> {
    let shapes = &lang.get(key.ty).shapes;
    let boolean = shapes.iter().any(|s| match s {
        Shape::Scalar(s) => {
            s.kind == ScalarKind::Boolean
                || s.values.as_deref().is_some_and(structure::is_boolean_list)
        }
        _ => false,
    });
    if boolean && structure::is_boolean(text) {
        let yes = ["true", "y", "yes", "on"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(text));
        return Some(if yes { "true" } else { "false" }.to_string());
    }
    for shape in shapes {
        let Shape::Scalar(s) = shape else { continue };
        let Some(values) = &s.values else { continue };
        let listed = values
            .iter()
            .find(|v| *v == text || s.ignore_case && v.eq_ignore_ascii_case(text));
        if let Some(v) = listed {
            return Some(v.clone());
        }
    }
    // Suggestions are not enforced, and the service reads them in any case.
    key.suggest
        .iter()
        .find(|v| v.eq_ignore_ascii_case(text))
        .cloned()
}

/// What a value of a key means, in markdown: the meaning the reference pages give it, else
/// that it is a value of the key; then what the key takes and the key's page.
fn value_markdown(
    lang: &Language,
    ty: TypeId,
    shape: &MappingShape,
    key: &Key,
    written: &str,
    value: &str,
) -> String {
    let mut md = format!("**`{written}`**");
    if written != value {
        let _ = write!(md, " (read as `{value}`)");
    }
    match lang.meaning(key, value) {
        Some(meaning) => {
            let _ = write!(md, " — {meaning}");
        }
        None => {
            let _ = write!(md, " — a value of `{}`", key.name);
            if let Some(description) = &key.description {
                let _ = write!(md, ": {}", description.trim_end_matches('.'));
            }
        }
    }
    md.push_str("\n\n");
    let takes = describe_type(lang, key.ty);
    let _ = write!(md, "`{}` takes {takes}.", key.name);
    // A string that the pages say is `true` or `false` lists them; a boolean said so.
    let values = values_of(lang, key);
    if !values.is_empty() && values.len() <= 24 && !takes.starts_with("a boolean") {
        let listed: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        let _ = write!(md, " Values: {}.", listed.join(", "));
    }
    md.push_str("\n\n");
    page_link(&mut md, lang, ty, shape, key);
    md
}

/// The hover on a key of the pipeline language, in a block or a flow mapping, or on a value
/// of a key with listed values.
pub fn hover(doc: &Document, offset: usize) -> Option<Hover> {
    let rope = doc.rope();
    let offset = text::floor_char_boundary(rope, offset);
    let at = rope.byte_to_line(offset);
    let line = line_at(rope, at);
    block_key_hover(doc, at, &line, offset).or_else(|| entry_hover(doc, at, &line, offset))
}

/// The hover on the key a line's block entry writes (`  pool:`, `- checkout:`).
fn block_key_hover(
    doc: &Document,
    at: usize,
    line: &super::completion::Line,
    offset: usize,
) -> Option<Hover> {
    let Row { shape: s, dash } = row(&line.text);
    let key = s.key.as_deref()?;
    if yaml::is_expression(key) {
        return None;
    }
    let quoted = line.text[s.col..].starts_with(['"', '\'']);
    let start = line.start + s.col + usize::from(quoted);
    let span = start..start + key.len();
    if offset < span.start || offset > span.end {
        return None;
    }
    if super::completion::in_script_or_comment(doc, offset) {
        return None;
    }
    let lang = language();
    let expected = expected_at(doc, at, s.col, s.item.then_some(dash), Some(key))?;
    let (shape, found) = find_key(lang, &expected, key)?;
    Some(Hover {
        span,
        markdown: key_markdown(lang, expected.ty, shape, found),
    })
}

/// The hover on the entry under the cursor as the line up to it reads: a value with listed
/// values (`clean: outputs`, `- { checkout: self }`), or a key inside a flow mapping
/// (`pool: { vmImage: … }`). Free text gets none.
fn entry_hover(
    doc: &Document,
    at: usize,
    line: &super::completion::Line,
    offset: usize,
) -> Option<Hover> {
    let text: &str = &line.text;
    let column = (offset - line.start).min(text.len());
    let end = token_end(text, column);
    let here = scan(&text[..end])?;
    if super::completion::in_script_or_comment(doc, offset) {
        return None;
    }
    let lang = language();
    let flow = !here.flows.is_empty();
    match (&here.key, here.value) {
        (Some(key), Some(value)) => {
            if yaml::is_expression(key) {
                return None;
            }
            // The value: past spaces and an opening quote, up to its closing quote, a
            // comment, or the end of its flow entry.
            let from = value + (text[value..].len() - text[value..].trim_start().len());
            let quote = text[from..]
                .chars()
                .next()
                .filter(|c| matches!(c, '"' | '\''));
            let start = from + quote.map_or(0, char::len_utf8);
            let rest = &text[start..];
            let len = match quote {
                Some(q) => rest.find(q)?,
                None if flow => rest.find([',', '}']).unwrap_or(rest.len()),
                None => rest.find(" #").unwrap_or(rest.len()),
            };
            let written = rest[..len].trim_end();
            if written.is_empty() || column < start || column > start + written.len() {
                return None;
            }
            let expected = expected_here(doc, at, text, &here, end, Some(key))?;
            let (shape, found) = find_key(lang, &expected, key)?;
            let value = known_value(lang, found, written)?;
            Some(Hover {
                span: line.start + start..line.start + start + written.len(),
                markdown: value_markdown(lang, expected.ty, shape, found, written, &value),
            })
        }
        (None, None) if flow && column >= here.entry => {
            let quoted = text[here.entry..].starts_with(['"', '\'']);
            let (start, stop) = if quoted {
                let close = text[here.entry + 1..].find(&text[here.entry..here.entry + 1])?;
                (here.entry + 1, here.entry + 1 + close)
            } else {
                (here.entry, end)
            };
            if !text[stop + usize::from(quoted)..].starts_with(':')
                || start == stop
                || column < start
                || column > stop
            {
                return None;
            }
            let key = &text[start..stop];
            if yaml::is_expression(key) {
                return None;
            }
            let expected = expected_here(doc, at, text, &here, stop, Some(key))?;
            let (shape, found) = find_key(lang, &expected, key)?;
            Some(Hover {
                span: line.start + start..line.start + stop,
                markdown: key_markdown(lang, expected.ty, shape, found),
            })
        }
        _ => None,
    }
}
