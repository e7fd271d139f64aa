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
use crate::knowledge;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The name of the configuration file, looked up from the checked path upwards.
pub const FILE_NAME: &str = "azpls.toml";

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
    /// Parses an `azpls.toml` text.
    pub fn from_toml(text: &str) -> Result<Settings, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
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
                    "unknown wif.table \"{date}\"; use one of: {}",
                    known.join(", ")
                )
            })?;
        }
        for (id, level) in &self.rules {
            if analysis::rule(id).is_none() {
                let known: Vec<&str> = analysis::RULES.iter().map(|(r, _)| r.id).collect();
                return Err(format!(
                    "unknown rule \"{id}\" in [rules]; rules are: {}",
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
        other => {
            return Err(format!(
                "unknown rule level \"{other}\"; use off, error, warning, info or hint"
            ));
        }
    }))
}

/// The nearest `azpls.toml` in `start` (a file's folder, or a folder) or above it.
pub fn find_file(start: &Path) -> Option<PathBuf> {
    let mut dir = if start.is_dir() {
        Some(start)
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        let candidate = d.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        dir = d.parent();
    }
    None
}

/// Loads the settings that apply to `start`: the nearest `azpls.toml`, or defaults.
/// Errors name the file.
pub fn load_for(start: &Path) -> Result<(Settings, Option<PathBuf>), String> {
    match find_file(start) {
        None => Ok((Settings::default(), None)),
        Some(path) => {
            let text =
                std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let settings =
                Settings::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok((settings, Some(path)))
        }
    }
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
