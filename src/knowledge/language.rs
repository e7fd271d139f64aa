//! The Azure Pipelines YAML language: for every context of a pipeline (the root in each of its
//! forms, stage, job, deployment, each step kind, pool, trigger, resources …) the shapes a value
//! may take there, from the generated `data/language.json` (see `data/gen_language.py`).
//!
//! A type is a list of shapes: a scalar (maybe limited to values or a format), a sequence of
//! another type, or a mapping with its keys. Deciding which shape a value has is the checker's
//! job (`analysis::structure`), from the value's own form and its identifying key, never by
//! trying every alternative.
//!
//! Parsed lazily on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const LANGUAGE_JSON: &str = include_str!("../../data/language.json");

/// Where the reference pages live: a type's or shape's page is this plus its slug.
pub const REFERENCE_URL: &str = "https://learn.microsoft.com/azure/devops/pipelines/yaml-schema/";

/// Index of a type in [`Language::types`].
pub type TypeId = usize;

pub struct Language {
    pub types: Vec<Type>,
    by_name: HashMap<String, TypeId>,
    root: TypeId,
    /// The step kinds: the key that makes a mapping in `steps:` a step, and its page.
    pub step_kinds: Vec<(String, String)>,
}

pub struct Type {
    pub name: String,
    pub description: Option<String>,
    pub page: Option<String>,
    pub shapes: Vec<Shape>,
    /// What some of its values mean wherever the type is used (`trigger: none`), as
    /// (value, meaning), from the reference pages.
    pub meanings: Vec<(String, String)>,
}

pub enum Shape {
    Scalar(ScalarShape),
    /// A sequence of the type.
    Sequence(TypeId),
    Mapping(MappingShape),
    /// Anything at all.
    Any,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarKind {
    String,
    Boolean,
    Integer,
}

pub struct ScalarShape {
    pub kind: ScalarKind,
    /// The only values allowed, when the schema lists them.
    pub values: Option<Vec<String>>,
    /// Whether `values` compare regardless of case.
    pub ignore_case: bool,
    pub format: Option<Format>,
}

/// The three patterns of the schema, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Letters, digits, `_` and `-` (job and stage names).
    Name,
    /// Letters, digits and `_` (step names).
    Identifier,
    /// A branch or path filter: no `~`, `^`, `:` or `\`.
    Branch,
}

impl Format {
    pub fn accepts(self, text: &str) -> bool {
        match self {
            Format::Name => text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            Format::Identifier => text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            // The schema's pattern is a branch name's; the same filters hold paths too
            // (`src/`, `My Docs/`), so only what neither may contain counts.
            Format::Branch => !text.chars().any(|c| matches!(c, '~' | '^' | ':' | '\\')),
        }
    }

    /// What the format allows, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Name => "only letters, digits, `_` and `-`",
            Format::Identifier => "only letters, digits and `_`",
            Format::Branch => "a branch or path without `~`, `^`, `:` or `\\`",
        }
    }
}

pub struct MappingShape {
    /// The known keys, in the schema's order.
    pub keys: Vec<Key>,
    /// Key name -> index into `keys`.
    index: HashMap<String, usize>,
    pub required: Vec<String>,
    /// The key that identifies this shape among its type's alternatives (`task`, `job` …).
    pub first: Option<String>,
    /// The type of any other key, when other keys are allowed.
    pub open: Option<TypeId>,
    /// The reference page of this shape, when it has one of its own (a step kind).
    pub page: Option<String>,
}

pub struct Key {
    pub name: String,
    pub ty: TypeId,
    pub description: Option<String>,
    pub deprecated: Option<String>,
    /// Not offered by completion (the schema's `doNotSuggest`).
    pub hidden: bool,
    /// Values the reference pages name where the schema takes any string: offered by
    /// completion, never enforced.
    pub suggest: Vec<String>,
    /// What some of its values mean for this key (`lfs: true`), as (value, meaning).
    pub meanings: Vec<(String, String)>,
}

impl MappingShape {
    pub fn key(&self, name: &str) -> Option<&Key> {
        self.index.get(name).map(|&i| &self.keys[i])
    }
}

impl Language {
    /// What `value` (as listed, `true`/`false` for a boolean) means for `key`: the key's own
    /// meaning, else its type's.
    pub fn meaning<'l>(&'l self, key: &'l Key, value: &str) -> Option<&'l str> {
        let find = |meanings: &'l [(String, String)]| {
            meanings
                .iter()
                .find(|(v, _)| v == value)
                .map(|(_, m)| m.as_str())
        };
        find(&key.meanings).or_else(|| find(&self.get(key.ty).meanings))
    }
}

impl Language {
    pub fn root(&self) -> TypeId {
        self.root
    }

    pub fn get(&self, id: TypeId) -> &Type {
        &self.types[id]
    }

    pub fn by_name(&self, name: &str) -> Option<TypeId> {
        self.by_name.get(name).copied()
    }

    /// The mapping shapes of a type.
    pub fn mappings(&self, id: TypeId) -> impl Iterator<Item = &MappingShape> {
        self.types[id].shapes.iter().filter_map(|s| match s {
            Shape::Mapping(m) => Some(m),
            _ => None,
        })
    }

    /// The page of a type or shape, as a link.
    pub fn url(slug: &str) -> String {
        format!("{REFERENCE_URL}{slug}")
    }
}

#[derive(Deserialize)]
struct RawLanguage {
    root: String,
    steps: Vec<(String, String)>,
    types: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct RawType {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    page: Option<String>,
    shapes: Vec<RawShape>,
    #[serde(default)]
    meanings: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct RawShape {
    #[serde(default)]
    scalar: Option<String>,
    #[serde(default)]
    values: Option<Vec<String>>,
    #[serde(default, rename = "ignoreCase")]
    ignore_case: bool,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    sequence: Option<String>,
    #[serde(default)]
    mapping: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    required: Vec<String>,
    #[serde(default)]
    first: Vec<String>,
    #[serde(default)]
    open: Option<String>,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    any: bool,
}

#[derive(Deserialize)]
struct RawKey {
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    deprecated: Option<String>,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    suggest: Vec<String>,
    #[serde(default)]
    meanings: serde_json::Map<String, serde_json::Value>,
}

fn parse(text: &str) -> Language {
    let raw: RawLanguage = serde_json::from_str(text).expect("data/language.json parses");
    let by_name: HashMap<String, TypeId> = raw
        .types
        .keys()
        .enumerate()
        .map(|(i, k)| (k.clone(), i))
        .collect();
    let id = |name: &str| -> TypeId {
        *by_name
            .get(name)
            .unwrap_or_else(|| panic!("data/language.json names an unknown type {name:?}"))
    };
    let types = raw
        .types
        .iter()
        .map(|(name, value)| {
            let t: RawType = serde_json::from_value(value.clone()).expect("type parses");
            let shapes = t
                .shapes
                .into_iter()
                .map(|s| {
                    if let Some(keys) = s.mapping {
                        let keys: Vec<Key> = keys
                            .into_iter()
                            .map(|(k, v)| {
                                let raw: RawKey = serde_json::from_value(v).expect("key parses");
                                Key {
                                    name: k,
                                    ty: id(&raw.ty),
                                    description: raw.description,
                                    deprecated: raw.deprecated,
                                    hidden: raw.hidden,
                                    suggest: raw.suggest,
                                    meanings: meanings(raw.meanings),
                                }
                            })
                            .collect();
                        let index = keys
                            .iter()
                            .enumerate()
                            .map(|(i, k)| (k.name.clone(), i))
                            .collect();
                        Shape::Mapping(MappingShape {
                            keys,
                            index,
                            required: s.required,
                            first: s.first.into_iter().next(),
                            open: s.open.as_deref().map(id),
                            page: s.page,
                        })
                    } else if let Some(items) = s.sequence {
                        Shape::Sequence(id(&items))
                    } else if let Some(kind) = s.scalar {
                        let kind = match kind.as_str() {
                            "boolean" => ScalarKind::Boolean,
                            "integer" => ScalarKind::Integer,
                            "any" => return Shape::Any,
                            _ => ScalarKind::String,
                        };
                        Shape::Scalar(ScalarShape {
                            kind,
                            values: s.values,
                            ignore_case: s.ignore_case,
                            format: s.format.as_deref().map(|f| match f {
                                "name" => Format::Name,
                                "identifier" => Format::Identifier,
                                "branch" => Format::Branch,
                                other => panic!("data/language.json: unknown format {other:?}"),
                            }),
                        })
                    } else {
                        debug_assert!(s.any);
                        Shape::Any
                    }
                })
                .collect();
            Type {
                name: name.clone(),
                description: t.description,
                page: t.page,
                shapes,
                meanings: meanings(t.meanings),
            }
        })
        .collect();
    let step_kinds = raw.steps;
    Language {
        types,
        root: id(&raw.root),
        by_name,
        step_kinds,
    }
}

/// Value -> meaning, in the data's order.
fn meanings(raw: serde_json::Map<String, serde_json::Value>) -> Vec<(String, String)> {
    raw.into_iter()
        .map(|(value, meaning)| {
            let meaning = meaning
                .as_str()
                .expect("data/language.json: a meaning is a string")
                .to_string();
            (value, meaning)
        })
        .collect()
}

/// The language, parsed on first use.
pub fn language() -> &'static Language {
    static CELL: OnceLock<Language> = OnceLock::new();
    CELL.get_or_init(|| parse(LANGUAGE_JSON))
}
