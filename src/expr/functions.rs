//! The functions of the expression language, from the hand-written
//! `data/expression-functions.toml`: name, how many arguments, signature, what it returns,
//! a description, and where it may be used. Parsed once; names are looked up ignoring case,
//! as the service does (`eq`, `Eq` and `EQ` are one function).

use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const FUNCTIONS_TOML: &str = include_str!("../../data/expression-functions.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FunctionKind {
    /// Available in every expression.
    #[default]
    General,
    /// A job or step status check (`succeeded()` …).
    Status,
}

/// Where the documentation says a function may be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FunctionContext {
    #[default]
    Any,
    /// Only the bare expression of a `condition:`.
    Condition,
    /// Only an expression that defines a variable.
    Variable,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Function {
    /// As the documentation writes it (`containsValue`).
    pub name: String,
    pub min: usize,
    /// `None`: any number from `min` up.
    #[serde(default)]
    pub max: Option<usize>,
    pub signature: String,
    pub returns: String,
    pub description: String,
    #[serde(default)]
    pub kind: FunctionKind,
    #[serde(default)]
    pub context: FunctionContext,
    #[serde(default)]
    pub note: Option<String>,
}

impl Function {
    pub fn accepts(&self, args: usize) -> bool {
        args >= self.min && self.max.is_none_or(|max| args <= max)
    }

    /// How many arguments it takes, in words: "2", "at least 2", "1 to 3", "no".
    pub fn arity(&self) -> String {
        match self.max {
            Some(0) => "no".to_string(),
            Some(max) if max == self.min => self.min.to_string(),
            Some(max) => format!("{} to {max}", self.min),
            None if self.min == 0 => "any number of".to_string(),
            None => format!("at least {}", self.min),
        }
    }

    pub fn is_status(&self) -> bool {
        self.kind == FunctionKind::Status
    }
}

#[derive(Debug, Deserialize)]
pub struct Functions {
    /// The `ms.date` of the expressions page the facts come from.
    pub date: String,
    pub url: String,
    pub status_url: String,
    pub template_url: String,
    #[serde(rename = "function")]
    functions: Vec<Function>,
    /// Lowercased name -> index.
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl Functions {
    fn parse(text: &str) -> Result<Functions, String> {
        let mut table: Functions = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, f) in table.functions.iter().enumerate() {
            if table.index.insert(f.name.to_ascii_lowercase(), i).is_some() {
                return Err(format!("function {} listed twice", f.name));
            }
            if f.max.is_some_and(|max| max < f.min) {
                return Err(format!("{}: max below min", f.name));
            }
            if f.is_status() != (f.context == FunctionContext::Condition) {
                return Err(format!(
                    "{}: status functions, and only they, are for conditions",
                    f.name
                ));
            }
            if !f.signature.starts_with(&format!("{}(", f.name)) {
                return Err(format!("{}: the signature names another function", f.name));
            }
        }
        Ok(table)
    }

    /// A function by name, ignoring case.
    pub fn get(&self, name: &str) -> Option<&Function> {
        if let Some(&i) = self.index.get(name) {
            return Some(&self.functions[i]);
        }
        self.index
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.functions[i])
    }

    /// Every function, general ones first, as the data lists them.
    pub fn all(&self) -> &[Function] {
        &self.functions
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.functions.iter().map(|f| f.name.as_str())
    }
}

/// The table, parsed on first use.
pub fn functions() -> &'static Functions {
    static TABLE: OnceLock<Functions> = OnceLock::new();
    TABLE.get_or_init(|| {
        Functions::parse(FUNCTIONS_TOML)
            .unwrap_or_else(|e| panic!("data/expression-functions.toml: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_with_every_documented_function() {
        let table = functions();
        for name in [
            "and",
            "coalesce",
            "contains",
            "containsValue",
            "convertToJson",
            "counter",
            "endsWith",
            "eq",
            "format",
            "ge",
            "gt",
            "iif",
            "in",
            "join",
            "le",
            "length",
            "lower",
            "lt",
            "ne",
            "not",
            "notIn",
            "or",
            "replace",
            "split",
            "startsWith",
            "trim",
            "upper",
            "xor",
            "always",
            "canceled",
            "failed",
            "succeeded",
            "succeededOrFailed",
        ] {
            assert!(table.get(name).is_some(), "{name}");
        }
        assert_eq!(table.all().len(), 33);
    }

    #[test]
    fn names_match_ignoring_case_and_arity_reads_as_words() {
        let table = functions();
        assert_eq!(table.get("EQ").unwrap().name, "eq");
        assert_eq!(table.get("startswith").unwrap().name, "startsWith");
        assert!(table.get("cancelled").is_none());
        assert_eq!(table.get("eq").unwrap().arity(), "2");
        assert_eq!(table.get("and").unwrap().arity(), "at least 2");
        assert_eq!(table.get("iif").unwrap().arity(), "1 to 3");
        assert_eq!(table.get("always").unwrap().arity(), "no");
        assert_eq!(table.get("succeeded").unwrap().arity(), "any number of");
        assert!(table.get("succeeded").unwrap().is_status());
        assert!(table.get("in").unwrap().accepts(5));
        assert!(!table.get("not").unwrap().accepts(2));
    }

    #[test]
    fn broken_tables_are_refused() {
        let head =
            "schema = 1\ndate = \"d\"\nurl = \"u\"\nstatus_url = \"s\"\ntemplate_url = \"t\"\n";
        let twice = format!(
            "{head}[[function]]\nname = \"eq\"\nmin = 2\nsignature = \"eq(a)\"\nreturns = \"b\"\ndescription = \"d\"\n[[function]]\nname = \"EQ\"\nmin = 2\nsignature = \"EQ(a)\"\nreturns = \"b\"\ndescription = \"d\"\n"
        );
        assert!(Functions::parse(&twice).unwrap_err().contains("twice"));
        let inverted = format!(
            "{head}[[function]]\nname = \"eq\"\nmin = 2\nmax = 1\nsignature = \"eq(a)\"\nreturns = \"b\"\ndescription = \"d\"\n"
        );
        assert!(
            Functions::parse(&inverted)
                .unwrap_err()
                .contains("max below min")
        );
        let status = format!(
            "{head}[[function]]\nname = \"ok\"\nmin = 0\nkind = \"status\"\nsignature = \"ok()\"\nreturns = \"b\"\ndescription = \"d\"\n"
        );
        assert!(Functions::parse(&status).unwrap_err().contains("status"));
    }
}
