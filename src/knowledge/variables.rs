//! The variables Azure Pipelines predefines (`Build.SourceBranch`, `Agent.OS` …), from the
//! hand-written `data/predefined-variables.toml`: a description of each, whether template
//! expressions can read it, and the values it takes when the documentation lists them. Parsed
//! once, with a case-folded index: variable names ignore case, as the service compares them.

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const VARIABLES_TOML: &str = include_str!("../../data/predefined-variables.toml");

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PredefinedVariable {
    /// As the documentation writes it (`Build.SourceBranch`).
    pub name: String,
    pub description: String,
    /// Whether `${{ variables['…'] }}` can read it: `None` where the page does not say.
    #[serde(default)]
    pub templates: Option<bool>,
    #[serde(default)]
    pub values: Vec<String>,
}

impl PredefinedVariable {
    /// The name scripts see it under: `BUILD_SOURCEBRANCH`.
    pub fn environment_name(&self) -> String {
        self.name.replace('.', "_").to_ascii_uppercase()
    }
}

#[derive(Debug, Deserialize)]
pub struct PredefinedVariables {
    /// The `ms.date` of the page.
    pub date: String,
    pub url: String,
    #[serde(rename = "variable")]
    variables: Vec<PredefinedVariable>,
    /// Lowercased name -> index.
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl PredefinedVariables {
    fn parse(text: &str) -> Result<PredefinedVariables, String> {
        let mut table: PredefinedVariables = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, v) in table.variables.iter().enumerate() {
            if table.index.insert(v.name.to_ascii_lowercase(), i).is_some() {
                return Err(format!("variable {} listed twice", v.name));
            }
            if v.description.trim().is_empty() {
                return Err(format!("{}: no description", v.name));
            }
        }
        Ok(table)
    }

    /// A variable by name, ignoring case.
    pub fn get(&self, name: &str) -> Option<&PredefinedVariable> {
        self.index
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.variables[i])
    }

    /// Every variable, in the page's order.
    pub fn all(&self) -> &[PredefinedVariable] {
        &self.variables
    }
}

/// The predefined variables, parsed on first use.
pub fn predefined_variables() -> &'static PredefinedVariables {
    static CELL: OnceLock<PredefinedVariables> = OnceLock::new();
    // Checked by tests; a parse failure is a build defect, not bad input.
    CELL.get_or_init(|| {
        PredefinedVariables::parse(VARIABLES_TOML).expect("embedded data/predefined-variables.toml")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_file_parses_with_the_common_variables() {
        let vars = predefined_variables();
        assert!(vars.all().len() >= 80, "{}", vars.all().len());
        for name in [
            "Build.SourceBranch",
            "build.sourcebranchname",
            "System.DefaultWorkingDirectory",
            "Agent.OS",
            "Pipeline.Workspace",
            "TF_BUILD",
        ] {
            assert!(vars.get(name).is_some(), "{name}");
        }
        let os = vars.get("agent.os").unwrap();
        assert_eq!(os.values, ["Windows_NT", "Darwin", "Linux"]);
        assert_eq!(os.environment_name(), "AGENT_OS");
        assert_eq!(vars.get("Build.Reason").unwrap().templates, Some(true));
        assert_eq!(vars.get("Build.BuildId").unwrap().templates, Some(false));
        assert_eq!(vars.get("Agent.OS").unwrap().templates, None);
    }

    #[test]
    fn broken_files_are_refused() {
        let head = "schema = 1\ndate = \"d\"\nurl = \"u\"\nsource = \"s\"\n";
        let twice = format!(
            "{head}[[variable]]\nname = \"A.B\"\ndescription = \"x\"\n[[variable]]\nname = \"a.b\"\ndescription = \"y\"\n"
        );
        assert!(
            PredefinedVariables::parse(&twice)
                .unwrap_err()
                .contains("twice")
        );
        let empty = format!("{head}[[variable]]\nname = \"A.B\"\ndescription = \" \"\n");
        assert!(PredefinedVariables::parse(&empty).is_err());
        let unknown = format!(
            "{head}[[variable]]\nname = \"A\"\ndescription = \"x\"\ntemplates = \"maybe\"\n"
        );
        assert!(PredefinedVariables::parse(&unknown).is_err());
    }
}
