//! `--connection` names that no checked step uses: a typo would otherwise report nothing
//! broken and pass a pull-request gate. Which connection a step uses is the analysis's
//! ([`crate::analysis::connections`]).

use super::escape;
use crate::analysis::suggest;
use std::collections::BTreeMap;

/// How much of a connection name a message quotes.
const QUOTED: usize = 60;

/// How many used connections a message lists before "and N more".
const LISTED: usize = 5;

/// One message per `--connection` value that no checked step uses (ASCII case ignored, as
/// for filtering); `used` maps each used connection, lowercased, to its spelling. A typo
/// would otherwise report nothing broken and pass a pull-request gate.
pub fn unmatched(asked: &[String], used: &BTreeMap<String, String>) -> Vec<String> {
    let mut seen = Vec::new();
    let mut messages = Vec::new();
    for name in asked {
        let key = name.to_ascii_lowercase();
        if used.contains_key(&key) || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let quoted = escape::quote(name, QUOTED);
        if used.is_empty() {
            messages.push(format!(
                "--connection {quoted} matches no service connection of the checked steps (none of them sets an Azure Resource Manager service connection); check the name and the paths"
            ));
            continue;
        }
        let mut list = used
            .values()
            .take(LISTED)
            .map(|c| escape::quote(c, QUOTED))
            .collect::<Vec<_>>()
            .join(", ");
        if used.len() > LISTED {
            list.push_str(&format!(" and {} more", used.len() - LISTED));
        }
        let what_to_do = match suggest::nearest(name, used.values().map(String::as_str)) {
            Some(near) => format!("did you mean {}?", escape::quote(near, QUOTED)),
            None => "check the name".to_string(),
        };
        messages.push(format!(
            "--connection {quoted} matches no service connection of the checked steps (they use {list}); {what_to_do}"
        ));
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmatched_connections_list_the_used_ones_and_suggest_the_nearest() {
        let used: BTreeMap<String, String> = ["Contoso-Prod", "dev", "a1", "a2", "a3", "a4"]
            .iter()
            .map(|c| (c.to_ascii_lowercase(), c.to_string()))
            .collect();
        let asked = [
            "contoso-prod",
            "contso-prod",
            "CONTSO-PROD",
            "nope\n##vso[x]",
        ]
        .map(String::from);
        assert_eq!(
            unmatched(&asked, &used),
            [
                "--connection \"contso-prod\" matches no service connection of the checked steps (they use \"a1\", \"a2\", \"a3\", \"a4\", \"Contoso-Prod\" and 1 more); did you mean \"Contoso-Prod\"?",
                "--connection \"nope\\n##vso\\u{5b}x]\" matches no service connection of the checked steps (they use \"a1\", \"a2\", \"a3\", \"a4\", \"Contoso-Prod\" and 1 more); check the name",
            ]
        );
        assert_eq!(
            unmatched(&asked[..1], &BTreeMap::new()),
            [
                "--connection \"contoso-prod\" matches no service connection of the checked steps (none of them sets an Azure Resource Manager service connection); check the name and the paths"
            ]
        );
    }
}
