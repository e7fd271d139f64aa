//! The built-in task catalog (every task version of microsoft/azure-pipelines-tasks with its
//! inputs, those the task reference and the YAML schema add, and the retired versions the
//! service still accepts), from the generated `data/catalog.json`.
//!
//! Parsed lazily on first use, separately from the WIF tables: it is about 30 times larger, and
//! the language server should start without paying for it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use super::visible_rule::{RuleValue, VisibleRule};

const CATALOG_JSON: &str = include_str!("../../data/catalog.json");

pub struct Catalog {
    commit: String,
    tasks: Vec<CatalogTask>,
    /// (lowercased name, major) -> index into `tasks`.
    index: HashMap<(String, u32), usize>,
    /// (id, major) -> index into `tasks`. One id can carry several names over its versions
    /// (NuGetInstaller, NuGetRestore, NuGetCommand), so the major is part of the key.
    by_id: HashMap<(String, u32), usize>,
    /// The versions the YAML schema still accepts but the task repository no longer carries
    /// (PowerShell@1), with the inputs the schema and the task reference give them. Found by
    /// [`Catalog::task`] like the others, but not among [`Catalog::tasks`], [`Catalog::majors`]
    /// or [`Catalog::names`], which speak for the task repository.
    retired: Vec<CatalogTask>,
    /// (lowercased name, major) -> index into `retired`.
    retired_index: HashMap<(String, u32), usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogTask {
    pub name: String,
    /// The task's id, lowercase: steps may name a task by it. Empty for retired versions,
    /// whose id the schema doesn't give.
    #[serde(default)]
    pub id: String,
    pub major: u32,
    /// 0 for retired versions, whose minor and patch the schema doesn't give.
    #[serde(default)]
    pub minor: u32,
    #[serde(default)]
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
    /// A retired version that the task reference has no page for.
    #[serde(default)]
    pub undocumented: bool,
    /// Retired from the task repository but still accepted by the service: its inputs come
    /// from the YAML schema and the task reference.
    #[serde(skip)]
    pub retired: bool,
    pub inputs: Vec<CatalogInput>,
    /// Indexes of the inputs a step must set (required, no default), found on first use:
    /// rules ask on every keystroke.
    #[serde(skip)]
    demanded: OnceLock<Vec<usize>>,
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
    /// task.json's `required`, unless Microsoft's task reference calls the input Optional.
    #[serde(default)]
    pub required: bool,
    /// `None` also for an empty default: both mean the user must supply a value.
    #[serde(default)]
    pub default: Option<String>,
    /// When the input applies: its own rule and its input group's, both holding.
    #[serde(default)]
    pub visible_rule: Option<String>,
    /// A pick list's values: the keys a step writes (task.json's, then those only the task
    /// reference lists).
    #[serde(default)]
    pub options: Vec<String>,
    /// Values outside `options` are accepted too (task.json's `EditableOptions`; assumed for
    /// lists only the YAML schema or the reference give, which don't say).
    #[serde(default)]
    pub editable: bool,
    /// A step may write several options, comma-separated (task.json's `MultiSelect` and
    /// `MultiSelectFlatList`).
    #[serde(default)]
    pub multi_select: bool,
    #[serde(default)]
    pub label: String,
    /// Where an input task.json lacks comes from: `"reference"` (Microsoft's task reference
    /// lists it) or `"schema"` (the YAML schema accepts it); `None` for task.json's own.
    #[serde(default)]
    pub source: Option<String>,
    /// Marked required, with no rule and no default, yet not demanded of every step by the
    /// YAML schema: read only in some of the task's modes.
    #[serde(default)]
    pub conditional: bool,
    /// `visible_rule`, parsed on first use: rules are read on every keystroke.
    #[serde(skip)]
    parsed_rule: OnceLock<Option<VisibleRule>>,
}

impl CatalogInput {
    /// Whether `key` is this input's name or one of its aliases (case-insensitive, as Azure
    /// Pipelines matches keys).
    pub fn accepts(&self, key: &str) -> bool {
        self.name.eq_ignore_ascii_case(key)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(key))
    }

    /// The parsed `visibleRule`: `None` when there is none, `Some(None)` when this parser
    /// doesn't know its syntax.
    pub fn rule(&self) -> Option<Option<&VisibleRule>> {
        let rule = self.visible_rule.as_deref()?;
        Some(
            self.parsed_rule
                .get_or_init(|| VisibleRule::parse(rule))
                .as_ref(),
        )
    }

    /// Whether a step must pick one of `options`: a pick list that is not editable.
    pub fn closed_list(&self) -> bool {
        !self.options.is_empty() && !self.editable
    }

    /// Whether the input takes `true` or `false`.
    pub fn is_boolean(&self) -> bool {
        self.kind.eq_ignore_ascii_case("boolean")
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

    /// Indexes of the inputs marked required that have no default.
    pub fn demanded(&self) -> &[usize] {
        self.demanded.get_or_init(|| {
            self.inputs
                .iter()
                .enumerate()
                .filter(|(_, i)| i.required && i.default.is_none())
                .map(|(i, _)| i)
                .collect()
        })
    }

    /// Whether each input (by index) applies to a step: `Some(true)` when it has no
    /// `visibleRule` or its rule holds, `Some(false)` when the rule fails, `None` when a value
    /// known only at run time (or rule syntax this parser doesn't know) decides.
    ///
    /// `set` gives the value a step sets for an input, `None` when it doesn't set it. Rules
    /// chain: an input that doesn't apply enables nothing, whatever its value or default
    /// (DotNetCoreCLI@2's `feedRestore` depends on `selectOrConfig`, which applies only to
    /// `command: restore`), just as the task's code never reads it.
    ///
    /// With `defaults` false, inputs the step doesn't set are unknown rather than their
    /// defaults: `Some(true)` then means the step's own values select the input.
    pub fn visibility(
        &self,
        set: &dyn Fn(&CatalogInput) -> Option<RuleValue>,
        defaults: bool,
    ) -> Vec<Option<bool>> {
        let v = self.visibility_of(set, defaults);
        (0..self.inputs.len()).map(|i| v.of(i)).collect()
    }

    /// The same, input by input on demand: a step usually needs a few inputs' answers, and
    /// each one only reads the inputs its rule names.
    pub fn visibility_of<'a>(
        &'a self,
        set: &'a dyn Fn(&CatalogInput) -> Option<RuleValue>,
        defaults: bool,
    ) -> Visibility<'a> {
        Visibility {
            task: self,
            set,
            defaults,
            states: RefCell::new(vec![State::Todo; self.inputs.len()]),
        }
    }
}

/// Which inputs of a task apply to one step, worked out on demand (see
/// [`CatalogTask::visibility`]).
pub struct Visibility<'a> {
    task: &'a CatalogTask,
    set: &'a dyn Fn(&CatalogInput) -> Option<RuleValue>,
    defaults: bool,
    states: RefCell<Vec<State>>,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Todo,
    Busy,
    Done(Option<bool>),
}

impl Visibility<'_> {
    /// Whether input `i` applies.
    pub fn of(&self, i: usize) -> Option<bool> {
        let state = self.states.borrow()[i];
        match state {
            State::Done(v) => return v,
            // A cycle of rules: nothing can be said.
            State::Busy => return None,
            State::Todo => {}
        }
        self.states.borrow_mut()[i] = State::Busy;
        let result = match self.task.inputs[i].rule() {
            None => Some(true),
            Some(None) => None,
            Some(Some(rule)) => rule.eval(&|name| self.value(name)),
        };
        self.states.borrow_mut()[i] = State::Done(result);
        result
    }

    /// An input's value as a rule reads it: absent when the input doesn't apply.
    pub fn value(&self, name: &str) -> RuleValue {
        let Some(j) = self.task.inputs.iter().position(|x| x.accepts(name)) else {
            return RuleValue::Unknown;
        };
        let other = &self.task.inputs[j];
        match self.of(j) {
            Some(false) => RuleValue::Absent,
            applies => match (self.set)(other) {
                Some(value) => value,
                None if applies.is_none() || !self.defaults => RuleValue::Unknown,
                None => RuleValue::Known(other.default.clone().unwrap_or_default()),
            },
        }
    }
}

impl CatalogTask {
    /// The task's page in Microsoft's task reference
    /// (`https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/azure-cli-v2`), or
    /// the task's own help link for the few versions the reference does not document.
    pub fn reference_url(&self) -> Option<String> {
        let undocumented = self.undocumented
            || UNDOCUMENTED
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
#[serde(rename_all = "camelCase")]
struct RawCatalog {
    source: RawSource,
    #[serde(default)]
    schema_only: Vec<CatalogTask>,
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
        let mut by_id = HashMap::with_capacity(raw.tasks.len());
        for (i, t) in raw.tasks.iter().enumerate() {
            by_id.insert((t.id.clone(), t.major), i);
            if index
                .insert((t.name.to_ascii_lowercase(), t.major), i)
                .is_some()
            {
                return Err(format!("catalog.json: duplicate {}@{}", t.name, t.major));
            }
        }
        let mut retired = raw.schema_only;
        let mut retired_index = HashMap::with_capacity(retired.len());
        for (i, t) in retired.iter_mut().enumerate() {
            t.retired = true;
            let key = (t.name.to_ascii_lowercase(), t.major);
            if index.contains_key(&key) || retired_index.insert(key, i).is_some() {
                return Err(format!("catalog.json: duplicate {}@{}", t.name, t.major));
            }
        }
        Ok(Catalog {
            commit: raw.source.commit,
            tasks: raw.tasks,
            index,
            by_id,
            retired,
            retired_index,
        })
    }

    /// The azure-pipelines-tasks commit the catalog was taken from.
    pub fn commit(&self) -> &str {
        &self.commit
    }

    /// By name (case-insensitive) or by task id; retired versions by name only.
    pub fn task(&self, name: &str, major: u32) -> Option<&CatalogTask> {
        let key = (name.to_ascii_lowercase(), major);
        if is_task_id(name) {
            return self.by_id.get(&key).map(|&i| &self.tasks[i]);
        }
        match self.index.get(&key) {
            Some(&i) => Some(&self.tasks[i]),
            None => self.retired_index.get(&key).map(|&i| &self.retired[i]),
        }
    }

    /// Whether any version has this name (case-insensitive) or id, retired ones included.
    pub fn knows(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        if is_task_id(name) {
            self.tasks.iter().any(|t| t.id == lower)
        } else {
            self.tasks
                .iter()
                .chain(&self.retired)
                .any(|t| t.name.eq_ignore_ascii_case(name))
        }
    }

    /// Whether the version exists: in the catalog, or retired from the task repository but
    /// still accepted by the service (PowerShell@1).
    pub fn exists(&self, name: &str, major: u32) -> bool {
        self.task(name, major).is_some()
    }

    /// The majors that exist for a name, retired ones included, ascending.
    pub fn all_majors(&self, name: &str) -> Vec<u32> {
        let mut m = self.majors(name);
        m.extend(
            self.retired
                .iter()
                .filter(|t| t.name.eq_ignore_ascii_case(name))
                .map(|t| t.major),
        );
        m.sort_unstable();
        m.dedup();
        m
    }

    /// The majors the catalog has for a name (or task id), ascending.
    pub fn majors(&self, name: &str) -> Vec<u32> {
        let by_id = is_task_id(name);
        let mut m: Vec<u32> = self
            .tasks
            .iter()
            .filter(|t| {
                if by_id {
                    t.id.eq_ignore_ascii_case(name)
                } else {
                    t.name.eq_ignore_ascii_case(name)
                }
            })
            .map(|t| t.major)
            .collect();
        m.sort_unstable();
        m
    }

    /// Every task name once, in catalog order (by name).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        let mut last: Option<&str> = None;
        self.tasks.iter().filter_map(move |t| {
            let fresh = last.is_none_or(|l| !l.eq_ignore_ascii_case(&t.name));
            last = Some(&t.name);
            fresh.then_some(t.name.as_str())
        })
    }

    /// The task repository's versions.
    pub fn tasks(&self) -> &[CatalogTask] {
        &self.tasks
    }

    /// The retired versions the service still accepts.
    pub fn retired(&self) -> &[CatalogTask] {
        &self.retired
    }
}

/// A task id: a GUID in its usual 8-4-4-4-12 hex form.
pub fn is_task_id(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}
