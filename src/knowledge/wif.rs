//! The workload identity federation tables: one [`TableInfo`] per dated version of the
//! troubleshooting document, each with its task rows ([`TaskEntry`]), loaded from the generated
//! `data/wif.toml` and the hand-written `data/errors.toml` and `data/task-messages.toml`.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::Deserialize;

use super::errors::{ErrorEntry, RawErrors, RawTaskMessages};

const WIF_TOML: &str = include_str!("../../data/wif.toml");
const ERRORS_TOML: &str = include_str!("../../data/errors.toml");
const TASK_MESSAGES_TOML: &str = include_str!("../../data/task-messages.toml");

/// A version of the document's task table. Ordered oldest to newest, so `max` is the newest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(u8);

impl TableId {
    /// Position in [`Knowledge::tables`].
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// What one version of the document says, apart from its task rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub id: TableId,
    /// The document's `ms.date`, e.g. "2024-02-08".
    pub date: String,
    /// Commit prefix in MicrosoftDocs/azure-devops-docs, e.g. "c6956962".
    pub commit: String,
    pub url: String,
    /// `url` plus the anchor of the task table.
    pub tasks_url: String,
    /// Our wording of what this version says about built-in tasks its table doesn't list.
    pub unlisted_builtin: String,
    /// Our wording of what this version says about Marketplace extension tasks.
    pub marketplace: String,
    /// The version says container resources pulled from Azure Container Registry with
    /// `azureSubscription` don't support WIF (2024-02-08 only; the section was dropped later).
    pub container_resource_acr_unsupported: bool,
    /// Issuer and subject formats. For 2024-02-08 the document gives only the issuer's prefix
    /// (`https://vstoken.dev.azure.com`) and the subject as seen in an error message.
    pub identity_formats: Vec<IdentityFormat>,
    /// Minimum Azure CLI version for WIF, e.g. "2.30".
    pub azure_cli_min: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityFormat {
    /// "Azure DevOps" or "Microsoft Entra".
    pub kind: String,
    pub issuer: String,
    pub subject: String,
}

/// One row of a task table.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskEntry {
    pub table: TableId,
    /// As the table spells it, e.g. "AzureFileCopy".
    pub name: String,
    pub major: u32,
    /// The status cell, whitespace-trimmed.
    pub raw: String,
    pub status: Status,
    /// Links in the status cell.
    pub links: Vec<Link>,
    /// 1-based line of the row in the source document.
    pub line: u32,
    /// Set when the row's task (or its replacement) is missing from the task catalog.
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Supported,
    Unsupported,
    /// "Use X@N", optionally "with ..." (e.g. "with Azure service connection").
    Deprecated {
        replacement: String,
        replacement_major: u32,
        condition: Option<String>,
    },
    /// Support differs per service-connection input (or per connection type).
    PerInput {
        inputs: Vec<InputSupport>,
    },
    /// Support was announced for a later date, e.g. "2024 Q2".
    Planned {
        when: String,
    },
}

/// Support for one input, or one connection type, of a per-input row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSupport {
    /// The input as the row names it; `None` when the row names a connection type.
    pub table_name: Option<String>,
    /// E.g. "Docker Registry service connection" when the row names a connection type.
    pub connection_label: Option<String>,
    /// Catalog type suffix: "AzureRM", "dockerregistry", "kubernetes".
    pub connection_type: String,
    pub supported: bool,
    /// Every key Azure Pipelines accepts for the input(s): canonical name first, then aliases.
    pub spellings: Vec<String>,
    pub resolved_by: Resolution,
}

/// How a row's input was matched to the task catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// The row uses the input's canonical name.
    Name,
    /// The row uses one of the input's aliases.
    Alias,
    /// The row names a connection type, or a name the task doesn't have (Docker@1 in
    /// 2024-02-08): every catalog input of that connection type.
    ConnectionType,
    /// The task is not in the catalog; the row's name is the only spelling.
    Unresolved,
}

impl InputSupport {
    /// Case-insensitive, because Azure Pipelines matches input keys case-insensitively.
    pub fn matches(&self, key: &str) -> bool {
        self.spellings.iter().any(|s| s.eq_ignore_ascii_case(key))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Link {
    pub text: String,
    pub url: String,
}

/// What the documents say about federation apart from any one table version: generated into
/// `wif.toml` from the error tables and the preview's manual-setup document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DocumentedFederation {
    /// The audience Azure DevOps asks Microsoft Entra for (`api://AzureADTokenExchange`).
    pub audience: String,
    /// The issuer and subject of the preview's manual setup, with placeholders in `<>`.
    pub preview_issuer: String,
    pub preview_subject: String,
    /// Where they come from: path under the shared folder, `ms.date`, commit.
    pub preview_source: String,
    pub preview_date: String,
    pub preview_commit: String,
}

pub struct Knowledge {
    tables: Vec<TableInfo>,
    federation: DocumentedFederation,
    tasks: Vec<Vec<TaskEntry>>,
    /// Per table: (lowercased name, major) -> index into `tasks[table]`.
    index: Vec<HashMap<(String, u32), usize>>,
    names: HashSet<String>,
    errors: Vec<ErrorEntry>,
    task_messages: Vec<ErrorEntry>,
}

/// The WIF tables and error messages, parsed on first use.
pub fn knowledge() -> &'static Knowledge {
    static CELL: OnceLock<Knowledge> = OnceLock::new();
    // The embedded files are checked by tests; a parse failure is a build defect, not input.
    CELL.get_or_init(|| {
        Knowledge::parse(WIF_TOML, ERRORS_TOML, TASK_MESSAGES_TOML).expect("embedded data/*.toml")
    })
}

impl Knowledge {
    pub fn tables(&self) -> &[TableInfo] {
        &self.tables
    }

    pub fn table(&self, id: TableId) -> &TableInfo {
        &self.tables[id.index()]
    }

    pub fn newest(&self) -> TableId {
        self.tables.last().expect("at least one table").id
    }

    pub fn table_by_date(&self, date: &str) -> Option<TableId> {
        self.tables.iter().find(|t| t.date == date).map(|t| t.id)
    }

    /// Case-insensitive on the task name.
    pub fn lookup(&self, table: TableId, name: &str, major: u32) -> Option<&TaskEntry> {
        let i = *self.index[table.index()].get(&(name.to_ascii_lowercase(), major))?;
        Some(&self.tasks[table.index()][i])
    }

    /// True when any table lists any major of this task name (case-insensitive).
    pub fn lists_task(&self, name: &str) -> bool {
        self.names.contains(&name.to_ascii_lowercase())
    }

    /// The rows of one table, in document order.
    pub fn tasks(&self, table: TableId) -> &[TaskEntry] {
        &self.tasks[table.index()]
    }

    /// The audience and the preview's issuer, as the documents give them.
    pub fn documented_federation(&self) -> &DocumentedFederation {
        &self.federation
    }

    /// All error entries, each with the tables that list it.
    pub fn errors(&self) -> &[ErrorEntry] {
        &self.errors
    }

    pub fn errors_in(&self, table: TableId) -> impl Iterator<Item = &ErrorEntry> {
        self.errors
            .iter()
            .filter(move |e| e.tables.contains(&table))
    }

    /// The messages tasks print when they cannot use a workload identity federation
    /// connection, which no table lists (`data/task-messages.toml`).
    pub fn task_messages(&self) -> &[ErrorEntry] {
        &self.task_messages
    }

    /// Every message a log may show under `table`: its table's, then the tasks' own.
    pub fn log_messages(&self, table: TableId) -> impl Iterator<Item = &ErrorEntry> {
        self.errors_in(table).chain(&self.task_messages)
    }

    /// Entries of `table` whose message a log line contains.
    pub fn errors_matching<'a>(
        &'a self,
        table: TableId,
        line: &'a str,
    ) -> impl Iterator<Item = &'a ErrorEntry> {
        self.errors_in(table).filter(move |e| e.matches_line(line))
    }

    /// Parses the data files; public to the crate so tests can feed broken data.
    pub(crate) fn parse(wif: &str, errors: &str, task_messages: &str) -> Result<Knowledge, String> {
        let raw: RawWif = toml::from_str(wif).map_err(|e| format!("wif.toml: {e}"))?;
        if raw.schema != 1 {
            return Err(format!("wif.toml: unknown schema {}", raw.schema));
        }
        let mut tables = Vec::new();
        let mut tasks = Vec::new();
        let mut index = Vec::new();
        let mut names = HashSet::new();
        for (i, t) in raw.table.into_iter().enumerate() {
            let id = TableId(u8::try_from(i).map_err(|_| "wif.toml: too many tables")?);
            let mut rows = Vec::with_capacity(t.task.len());
            let mut idx = HashMap::with_capacity(t.task.len());
            for r in t.task {
                let key = (r.name.to_ascii_lowercase(), r.major);
                let row = r.into_entry(id)?;
                names.insert(key.0.clone());
                if idx.insert(key, rows.len()).is_some() {
                    return Err(format!(
                        "wif.toml: {} duplicate {}@{}",
                        t.date, row.name, row.major
                    ));
                }
                rows.push(row);
            }
            tables.push(TableInfo {
                id,
                date: t.date,
                commit: t.commit,
                url: t.url,
                tasks_url: t.tasks_url,
                unlisted_builtin: t.unlisted_builtin,
                marketplace: t.marketplace,
                container_resource_acr_unsupported: t.container_resource_acr_unsupported,
                identity_formats: t
                    .identity_formats
                    .into_iter()
                    .map(|f| IdentityFormat {
                        kind: f.kind,
                        issuer: f.issuer,
                        subject: f.subject,
                    })
                    .collect(),
                azure_cli_min: t.azure_cli_min,
            });
            tasks.push(rows);
            index.push(idx);
        }
        if tables.is_empty() {
            return Err("wif.toml: no tables".into());
        }
        let raw_errors: RawErrors =
            toml::from_str(errors).map_err(|e| format!("errors.toml: {e}"))?;
        let errors =
            raw_errors.into_entries(|date| tables.iter().find(|t| t.date == date).map(|t| t.id))?;
        let raw_messages: RawTaskMessages =
            toml::from_str(task_messages).map_err(|e| format!("task-messages.toml: {e}"))?;
        let task_messages = raw_messages.into_entries(&errors)?;
        Ok(Knowledge {
            tables,
            federation: raw.federation,
            tasks,
            index,
            names,
            errors,
            task_messages,
        })
    }
}

// The on-disk shapes; see data/README.md for the schema.

#[derive(Deserialize)]
struct RawWif {
    schema: u32,
    federation: DocumentedFederation,
    table: Vec<RawTable>,
}

#[derive(Deserialize)]
struct RawTable {
    date: String,
    commit: String,
    url: String,
    tasks_url: String,
    unlisted_builtin: String,
    marketplace: String,
    container_resource_acr_unsupported: bool,
    azure_cli_min: String,
    identity_formats: Vec<RawFormat>,
    task: Vec<RawTask>,
}

#[derive(Deserialize)]
struct RawFormat {
    kind: String,
    issuer: String,
    subject: String,
}

#[derive(Deserialize)]
struct RawTask {
    name: String,
    major: u32,
    line: u32,
    raw: String,
    status: String,
    replacement: Option<String>,
    replacement_major: Option<u32>,
    condition: Option<String>,
    when: Option<String>,
    #[serde(default)]
    links: Vec<Link>,
    note: Option<String>,
    #[serde(default)]
    inputs: Vec<RawInput>,
}

#[derive(Deserialize)]
struct RawInput {
    table_name: Option<String>,
    connection_label: Option<String>,
    connection_type: String,
    supported: bool,
    spellings: Vec<String>,
    resolved_by: String,
}

impl RawTask {
    fn into_entry(self, table: TableId) -> Result<TaskEntry, String> {
        let at = format!("wif.toml: {}@{}", self.name, self.major);
        let status = match self.status.as_str() {
            "supported" => Status::Supported,
            "unsupported" => Status::Unsupported,
            "deprecated" => Status::Deprecated {
                replacement: self
                    .replacement
                    .ok_or_else(|| format!("{at}: no replacement"))?,
                replacement_major: self
                    .replacement_major
                    .ok_or_else(|| format!("{at}: no replacement_major"))?,
                condition: self.condition,
            },
            "planned" => Status::Planned {
                when: self.when.ok_or_else(|| format!("{at}: no when"))?,
            },
            "per-input" => Status::PerInput {
                inputs: self
                    .inputs
                    .into_iter()
                    .map(|i| {
                        let resolved_by = match i.resolved_by.as_str() {
                            "name" => Resolution::Name,
                            "alias" => Resolution::Alias,
                            "connection-type" => Resolution::ConnectionType,
                            "unresolved" => Resolution::Unresolved,
                            other => return Err(format!("{at}: unknown resolved_by {other:?}")),
                        };
                        Ok(InputSupport {
                            table_name: i.table_name,
                            connection_label: i.connection_label,
                            connection_type: i.connection_type,
                            supported: i.supported,
                            spellings: i.spellings,
                            resolved_by,
                        })
                    })
                    .collect::<Result<_, _>>()?,
            },
            other => return Err(format!("{at}: unknown status {other:?}")),
        };
        Ok(TaskEntry {
            table,
            name: self.name,
            major: self.major,
            raw: self.raw,
            status,
            links: self.links,
            line: self.line,
            note: self.note,
        })
    }
}
