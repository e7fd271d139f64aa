//! User settings: the `azpls.toml` file and the same settings sent by an editor
//! (`initializationOptions`, `workspace/didChangeConfiguration`), turned into an
//! analysis [`Config`]. Unknown table dates, rule ids and severities are errors with a
//! message that says what is accepted; nothing is silently ignored.
//!
//! ```toml
//! [wif]
//! table = "2024-02-08"          # default: the newest table
//!
//! [rules]
//! wif-planned-support = "off"   # or "error", "warning", "info", "hint"
//!
//! [files]                       # for `azpls check`, gitignore-style, relative to this file
//! include = ["deploy/*.yaml"]   # checked even if they don't look like pipelines
//! exclude = ["vendor/"]         # never checked
//! ```

use crate::analysis::{self, Config, Severity};
use crate::cli::escape;
use crate::knowledge;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name of the configuration file, looked up from the checked path upwards.
pub const FILE_NAME: &str = "azpls.toml";

/// How much of a bad value an error message quotes.
const QUOTED: usize = 40;

/// Settings as written by the user; every field optional.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default)]
    pub wif: WifSettings,
    /// Rule id -> "off" | "error" | "warning" | "info" | "hint".
    #[serde(default)]
    pub rules: BTreeMap<String, String>,
    /// Which files `check` takes, beyond its own detection of pipelines.
    #[serde(default)]
    pub files: FileSettings,
}

/// `[files]`: gitignore-style globs, relative to the folder of `azpls.toml`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// YAML files to check even when they don't look like pipelines.
    #[serde(default)]
    pub include: Vec<String>,
    /// Files and folders never to check.
    #[serde(default)]
    pub exclude: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WifSettings {
    /// The date of the document's table to apply.
    pub table: Option<String>,
}

impl Settings {
    /// Parses an `azpls.toml` text. Errors are one line: where, and toml's message, escaped and cut to a sane length
    /// (toml's own rendering echoes the whole offending line).
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e: toml::de::Error| {
            let message = escape::shorten(e.message().trim(), 200);
            match e.span() {
                Some(span) => {
                    let before = text.get(..span.start).unwrap_or(text);
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                    format!("line {line}, column {column}: {message}")
                }
                None => message,
            }
        })
    }

    /// Reads settings sent by an editor. Accepts `{"azpls": {...}}` or the bare object,
    /// and `null` (no settings).
    pub fn from_json(value: &serde_json::Value) -> Result<Settings, String> {
        let value = match value {
            serde_json::Value::Null => return Ok(Settings::default()),
            serde_json::Value::Object(map) if map.contains_key("azpls") => &map["azpls"],
            other => other,
        };
        if value.is_null() {
            return Ok(Settings::default());
        }
        // Editors keep their own keys in the same section (VS Code: `server.path`,
        // `trace.server`): only the sections azpls knows are read. Inside them, unknown
        // keys are still errors, as in azpls.toml.
        let mut value = value.clone();
        if let serde_json::Value::Object(map) = &mut value {
            map.retain(|k, _| matches!(k.as_str(), "wif" | "rules" | "files"));
        }
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// Settings in `other` win over these.
    pub fn merge(mut self, other: Settings) -> Settings {
        if other.wif.table.is_some() {
            self.wif.table = other.wif.table;
        }
        self.rules.extend(other.rules);
        self.files.include.extend(other.files.include);
        self.files.exclude.extend(other.files.exclude);
        self
    }

    /// Validates the settings into an analysis configuration.
    pub fn to_config(&self) -> Result<Config, String> {
        let kb = knowledge::knowledge();
        let mut config = Config::default();
        if let Some(date) = &self.wif.table {
            config.table = kb.table_by_date(date).ok_or_else(|| {
                let known: Vec<&str> = kb.tables().iter().map(|t| t.date.as_str()).collect();
                format!(
                    "unknown wif.table {}; use one of: {}",
                    escape::quote(date, QUOTED),
                    known.join(", ")
                )
            })?;
        }
        for (id, level) in &self.rules {
            if analysis::rule(id).is_none() {
                let known: Vec<&str> = analysis::RULES.iter().map(|(r, _)| r.id).collect();
                return Err(format!(
                    "unknown rule {} in [rules]; rules are: {}",
                    escape::quote(id, QUOTED),
                    known.join(", ")
                ));
            }
            match parse_level(level)? {
                None => config.disabled.push(id.clone()),
                Some(severity) => config.severities.push((id.clone(), severity)),
            }
        }
        Ok(config)
    }
}

/// "off" is `None`; a severity name is that severity.
fn parse_level(level: &str) -> Result<Option<Severity>, String> {
    Ok(Some(match level.to_ascii_lowercase().as_str() {
        "off" | "none" => return Ok(None),
        "error" => Severity::Error,
        "warning" | "warn" => Severity::Warning,
        "info" | "information" => Severity::Info,
        "hint" => Severity::Hint,
        _ => {
            return Err(format!(
                "unknown rule level {}; use off, error, warning, info or hint",
                escape::quote(level, QUOTED)
            ));
        }
    }))
}

/// The nearest `azpls.toml` for `start` (a file, or a folder): in its folder or above,
/// up to the repository root (the first folder that holds `.git`, a folder or a file):
/// a configuration outside the repository is someone else's. Relative paths are made
/// absolute first, so `.` looks in the parents of the current folder too.
pub fn find_file(start: &Path) -> Option<PathBuf> {
    let start = absolute(start);
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if std::fs::symlink_metadata(d.join(".git")).is_ok() {
            return None;
        }
        dir = d.parent();
    }
    None
}

/// `path` made absolute and without `.` or `..` components (read as written, without
/// following links), so that climbing its parents climbs the folders the user meant.
pub fn absolute(path: &Path) -> PathBuf {
    use std::path::Component;
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut clean = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    clean
}

/// Loads the settings that apply to `start`: the nearest `azpls.toml`, or defaults.
/// Errors name the file.
pub fn load_for(start: &Path) -> Result<(Settings, Option<PathBuf>), String> {
    match find_file(start) {
        None => Ok((Settings::default(), None)),
        Some(path) => Ok((load(&path)?, Some(path))),
    }
}

/// Reads and parses one `azpls.toml`. Errors name the file.
pub fn load(path: &Path) -> Result<Settings, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Settings::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_rules_from_toml() {
        let s = Settings::from_toml(
            "[wif]\ntable = \"2024-02-08\"\n[rules]\nwif-planned-support = \"off\"\nwif-unsupported-task = \"error\"\n",
        )
        .unwrap();
        let c = s.to_config().unwrap();
        assert_eq!(knowledge::knowledge().table(c.table).date, "2024-02-08");
        assert_eq!(c.disabled, ["wif-planned-support"]);
        assert_eq!(
            c.severities,
            [("wif-unsupported-task".to_string(), Severity::Error)]
        );
    }

    #[test]
    fn bad_values_say_what_is_accepted() {
        let bad_table = Settings::from_toml("[wif]\ntable = \"2023\"\n").unwrap();
        let e = bad_table.to_config().unwrap_err();
        assert!(e.contains("2024-02-08") && e.contains("2025-03-12"), "{e}");
        let bad_rule = Settings::from_toml("[rules]\nnope = \"off\"\n").unwrap();
        assert!(
            bad_rule
                .to_config()
                .unwrap_err()
                .contains("wif-deprecated-version")
        );
        assert!(Settings::from_toml("[wif]\ntabel = 1\n").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn lookup_stops_at_the_repository_root() {
        let top = std::env::temp_dir().join(format!("azpls-config-{}", std::process::id()));
        let repo = top.join("repo");
        std::fs::create_dir_all(repo.join("a/b")).unwrap();
        std::fs::write(top.join(FILE_NAME), "").unwrap();
        std::fs::write(repo.join(".git"), "gitdir: elsewhere\n").unwrap();
        let found = find_file(&repo.join("a/b/x.yml"));
        std::fs::write(repo.join(FILE_NAME), "").unwrap();
        let inside = find_file(&repo.join("a/b/../b"));
        let _ = std::fs::remove_dir_all(&top);
        assert_eq!(
            found, None,
            "the file above the repository is not its configuration"
        );
        assert_eq!(inside, Some(repo.join(FILE_NAME)));
        assert_eq!(absolute(Path::new("/x/./y/../z")), Path::new("/x/z"));
    }

    #[test]
    fn toml_errors_are_one_line_with_the_position() {
        let e = Settings::from_toml("[wif]\ntabel = 1\n").unwrap_err();
        assert!(e.starts_with("line 2, column 1: unknown field"), "{e}");
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn editor_settings_accept_both_shapes_and_override_the_file() {
        let nested = serde_json::json!({"azpls": {"wif": {"table": "2024-02-08"}}});
        let bare = serde_json::json!({"wif": {"table": "2024-02-08"}});
        assert_eq!(
            Settings::from_json(&nested).unwrap(),
            Settings::from_json(&bare).unwrap()
        );
        assert_eq!(
            Settings::from_json(&serde_json::Value::Null).unwrap(),
            Settings::default()
        );
        let file = Settings::from_toml("[wif]\ntable = \"2025-03-12\"\n").unwrap();
        let merged = file.merge(Settings::from_json(&bare).unwrap());
        assert_eq!(merged.wif.table.as_deref(), Some("2024-02-08"));
    }
}
