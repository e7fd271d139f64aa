//! The built-in task catalog (every task version of microsoft/azure-pipelines-tasks with its
//! inputs), from the generated `data/catalog.json`.
//!
//! Parsed lazily on first use, separately from the WIF tables: it is about 30 times larger, and
//! the language server should start without paying for it.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

const CATALOG_JSON: &str = include_str!("../../data/catalog.json");

pub struct Catalog {
    commit: String,
    tasks: Vec<CatalogTask>,
    /// (lowercased name, major) -> index into `tasks`.
    index: HashMap<(String, u32), usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogTask {
    pub name: String,
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    pub friendly_name: String,
    pub description: String,
    #[serde(default)]
    pub deprecated: bool,
    #[serde(default)]
    pub deprecation_message: Option<String>,
    /// The "Learn more" link of the task's help text, when it has one.
    #[serde(default)]
    pub help_url: Option<String>,
    pub inputs: Vec<CatalogInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogInput {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// "connectedService:AzureRM", "boolean", "pickList", ...
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub required: bool,
    /// `None` also for an empty default: both mean the user must supply a value.
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub visible_rule: Option<String>,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub label: String,
}

impl CatalogInput {
    /// Whether `key` is this input's name or one of its aliases (case-insensitive, as Azure
    /// Pipelines matches keys).
    pub fn accepts(&self, key: &str) -> bool {
        self.name.eq_ignore_ascii_case(key)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(key))
    }

    /// The service-connection type suffix ("AzureRM") for `connectedService:` inputs.
    pub fn connection_type(&self) -> Option<&str> {
        self.kind.strip_prefix("connectedService:")
    }
}

impl CatalogTask {
    /// By name or alias, case-insensitive.
    pub fn input(&self, key: &str) -> Option<&CatalogInput> {
        self.inputs.iter().find(|i| i.accepts(key))
    }
}

#[derive(Deserialize)]
struct RawCatalog {
    source: RawSource,
    tasks: Vec<CatalogTask>,
}

#[derive(Deserialize)]
struct RawSource {
    commit: String,
}

/// The task catalog, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CELL: OnceLock<Catalog> = OnceLock::new();
    // Checked by tests; a parse failure is a build defect, not bad input.
    CELL.get_or_init(|| Catalog::parse(CATALOG_JSON).expect("embedded data/catalog.json"))
}

impl Catalog {
    fn parse(json: &str) -> Result<Catalog, String> {
        let raw: RawCatalog =
            serde_json::from_str(json).map_err(|e| format!("catalog.json: {e}"))?;
        let mut index = HashMap::with_capacity(raw.tasks.len());
        for (i, t) in raw.tasks.iter().enumerate() {
            if index
                .insert((t.name.to_ascii_lowercase(), t.major), i)
                .is_some()
            {
                return Err(format!("catalog.json: duplicate {}@{}", t.name, t.major));
            }
        }
        Ok(Catalog {
            commit: raw.source.commit,
            tasks: raw.tasks,
            index,
        })
    }

    /// The azure-pipelines-tasks commit the catalog was taken from.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// Case-insensitive on the name.
    pub fn task(&self, name: &str, major: u32) -> Option<&CatalogTask> {
        self.index
            .get(&(name.to_ascii_lowercase(), major))
            .map(|&i| &self.tasks[i])
    }

    /// The majors the catalog has for a name, ascending.
    pub fn majors(&self, name: &str) -> Vec<u32> {
        let mut m: Vec<u32> = self
            .tasks
            .iter()
            .filter(|t| t.name.eq_ignore_ascii_case(name))
            .map(|t| t.major)
            .collect();
        m.sort_unstable();
        m
    }

    pub fn tasks(&self) -> &[CatalogTask] {
        &self.tasks
    }
}
