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

    /// The key pipelines write: the first alias, else the name. The YAML schema and the task
    /// reference key inputs this way (`azureSubscription`, whose name is
    /// `connectedServiceNameARM`).
    pub fn yaml_key(&self) -> &str {
        self.aliases.first().unwrap_or(&self.name)
    }

    /// Every key Azure Pipelines accepts: the YAML key first, then the other spellings.
    pub fn spellings(&self) -> impl Iterator<Item = &str> {
        let key = self.yaml_key();
        std::iter::once(key).chain(
            std::iter::once(self.name.as_str())
                .chain(self.aliases.iter().map(String::as_str))
                .filter(move |s| *s != key),
        )
    }
}

/// What kind of service connection a `connectedService:` type suffix stands for, in words.
pub fn connection_kind_label(kind: &str) -> String {
    // Suffixes may carry the authentication schemes the input accepts: `github:OAuth,Token`.
    let base = kind.split(':').next().unwrap_or(kind);
    let words = match base.to_ascii_lowercase().as_str() {
        "azurerm" => "Azure Resource Manager",
        "azure" => "Azure Classic",
        "dockerregistry" => "Docker Registry",
        "dockerhost" => "Docker host",
        "kubernetes" => "Kubernetes",
        "generic" => "Generic",
        "github" => "GitHub",
        "ssh" => "SSH",
        "servicefabric" => "Service Fabric",
        "externalnugetfeed" => "NuGet",
        "externalnpmregistry" => "npm",
        "externalpythondownloadfeed" => "Python package download",
        "externalpythonuploadfeed" => "Python package upload",
        "externalmavenrepository" => "Maven",
        "externalcargorepository" => "Cargo",
        "externaltfs" => "Azure Repos/Team Foundation Server",
        "workloadidentityuser" => "Azure DevOps (workload identity)",
        "azureservicebus" => "Azure Service Bus",
        "vsmobilecenter" => "Visual Studio App Center",
        "jenkins" => "Jenkins",
        "chef" => "Chef",
        _ => base,
    };
    format!("{words} service connection")
}

impl CatalogTask {
    /// By name or alias, case-insensitive.
    pub fn input(&self, key: &str) -> Option<&CatalogInput> {
        self.inputs.iter().find(|i| i.accepts(key))
    }

    /// The task's page in Microsoft's task reference
    /// (`https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/azure-cli-v2`), or
    /// the task's own help link for the few versions the reference does not document.
    pub fn reference_url(&self) -> Option<String> {
        let undocumented = UNDOCUMENTED
            .iter()
            .any(|(n, m)| self.name.eq_ignore_ascii_case(n) && self.major == *m);
        if undocumented {
            return self.help_url.clone();
        }
        Some(format!(
            "https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/{}-v{}",
            reference_slug(&self.name),
            self.major
        ))
    }
}

/// Catalog versions without a page in the task reference: its table of contents
/// (MicrosoftDocs/azure-devops-yaml-schema `task-reference/toc.yml`, commit 07671eec) lists
/// every other catalog version, under the slug [`reference_slug`] derives.
const UNDOCUMENTED: &[(&str, u32)] = &[
    ("ApacheJMeterLoadTest", 1),
    ("AutomatedAnalysis", 0),
    ("CloudLoadTest", 1),
    ("CondaAuthenticate", 0),
    ("OpenPolicyAgentInstaller", 0),
    ("QuickPerfTest", 1),
    ("XamarinAndroid", 1),
    ("XamariniOS", 2),
    ("XamarinTestCloud", 1),
];

/// Words the reference's slugs keep whole although their case changes inside.
const WHOLE_WORDS: &[(&str, &str)] = &[
    ("DotNet", "dotnet"),
    ("PowerShell", "powershell"),
    ("NuGet", "nuget"),
    ("GitHub", "github"),
    ("Github", "github"),
    ("IoT", "iot"),
    ("iOS", "ios"),
    ("cURL", "curl"),
    ("CMake", "cmake"),
    ("MSBuild", "msbuild"),
    ("VSBuild", "vsbuild"),
    ("VSTest", "vstest"),
    ("VSMobile", "vsmobile"),
    ("IISWeb", "iisweb"),
    ("RESTAPI", "rest-api"),
];

/// The task reference's kebab-case name for a task: words split where the case changes
/// (`AzureFileCopy` -> `azure-file-copy`, `AzureNLBManagement` -> `azure-nlb-management`,
/// `PyPIPublisher` -> `py-pi-publisher`), except for [`WHOLE_WORDS`]
/// (`DotNetCoreCLI` -> `dotnet-core-cli`).
pub fn reference_slug(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut prev: Option<char> = None;
    let mut at = 0;
    while let Some(c) = name[at..].chars().next() {
        let rest = &name[at..];
        if let Some((whole, slug)) = WHOLE_WORDS.iter().find(|(w, _)| rest.starts_with(w)) {
            words.extend([std::mem::take(&mut word), (*slug).to_string()]);
            at += whole.len();
            prev = whole.chars().last();
            continue;
        }
        if c == '-' || c == '_' {
            words.push(std::mem::take(&mut word));
        } else {
            let next = rest[c.len_utf8()..].chars().next();
            let boundary = c.is_uppercase()
                && prev.is_some_and(|p| {
                    p.is_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
                });
            if boundary {
                words.push(std::mem::take(&mut word));
            }
            word.extend(c.to_lowercase());
        }
        prev = Some(c);
        at += c.len_utf8();
    }
    words.push(word);
    words.retain(|w| !w.is_empty());
    words.join("-")
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
