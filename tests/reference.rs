//! Microsoft's task reference against the input rules, over every task version it documents
//! that azpls knows: each page's inputs, and whether the page calls each one Required,
//! Required when …, or Optional.
//!
//! The pages are read from the shared reference folder (`../shared/reference/task-reference`
//! beside the repository, or under `AZPLS_SHARED`) through `data/gen_reference.py --stdout`,
//! the same parser that generates `data/task-reference.json`, so these tests check the rules
//! against the pages themselves rather than against data derived from them. Skipped, loudly,
//! when the folder is absent.
//!
//! Versions: every page whose `Name@N` the catalog finds, the retired versions the service
//! still accepts included. Steps per task version:
//!
//! - every input the page lists, under its key and then under each alias: no `unknown-input`;
//! - exactly the inputs the page requires: no `unknown-input`, no `missing-required-input`;
//! - no inputs at all: `missing-required-input` names exactly the inputs the page calls
//!   Required (unconditionally, for the cloud service) that have no default;
//! - for each input the page shows only in some modes ("Required when …", "Optional. Use
//!   when …"), the required step in a mode that shows it, without it: reported missing only if
//!   the page calls it "Required when …", never if Optional, and nothing else reported.
//!
//! How the required step is written: each unconditionally Required input gets its default when
//! the page gives one (the step picks the mode the task starts in), else the first value the
//! catalog allows, else `false` for a boolean and `example` for text. A "Required when …"
//! input is added when its condition holds for those values, reading the page's defaults for
//! the inputs the step leaves out, until no more inputs are added: that is the step a user
//! writes who sets what the page calls required in the task's default mode. A mode is selected
//! by writing the values the input's condition compares with (see [`select`]) before that.
//!
//! The counts are printed (`cargo test --test reference -- --nocapture`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use azpls::analysis::{self, Config, rules::missing_required_input};
use azpls::document::Document;
use azpls::knowledge::{CatalogTask, CompareOp, RuleValue, VisibleRule, catalog};
use azpls::model;
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    tasks: Vec<Page>,
}

#[derive(Deserialize)]
struct Page {
    name: String,
    major: u32,
    /// The page's file name, `azure-cli-v2.md`: its slug in Learn's URL.
    page: String,
    inputs: Vec<PageInput>,
}

#[derive(Deserialize)]
struct PageInput {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(rename = "type")]
    kind: String,
    status: String,
    #[serde(default)]
    when: Option<String>,
    #[serde(default)]
    default: Option<String>,
    #[serde(default = "yes")]
    cloud: bool,
    /// The page's "Allowed values".
    #[serde(default)]
    values: Vec<String>,
}

fn yes() -> bool {
    true
}

impl PageInput {
    fn spellings(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    fn is(&self, key: &str) -> bool {
        self.spellings().any(|s| s.eq_ignore_ascii_case(key))
    }

    /// Required whatever the other inputs say, for the cloud service.
    fn always_required(&self) -> bool {
        self.cloud && self.status == "required"
    }
}

fn shared_dir(root: &Path) -> PathBuf {
    std::env::var_os("AZPLS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"))
}

/// Every page of a task version the catalog has, with the catalog's entry.
fn documented() -> Vec<(Page, &'static CatalogTask)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let pages = shared_dir(root).join("reference/task-reference");
    assert!(
        pages.is_dir(),
        "this test needs Microsoft's task reference pages and found none at {}: put the \
         shared folder beside the repository as ../shared, or set AZPLS_SHARED",
        pages.display()
    );
    let out = Command::new("python3")
        .args(["-B", "data/gen_reference.py", "--stdout"])
        .current_dir(root)
        .output()
        .expect("python3 data/gen_reference.py --stdout");
    assert!(
        out.status.success(),
        "gen_reference.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Reference = serde_json::from_slice(&out.stdout).expect("the script's JSON");
    let pages: Vec<(Page, &CatalogTask)> = reference
        .tasks
        .into_iter()
        .filter_map(|p| {
            let task = catalog().task(&p.name, p.major)?;
            Some((p, task))
        })
        .collect();
    assert!(pages.len() > 200, "only {} pages matched", pages.len());
    pages
}

/// A pipeline with one step of `task` setting `inputs`, single-quoted as YAML writes any text.
fn pipeline(task: &CatalogTask, inputs: &[(&str, String)]) -> String {
    let mut text = format!("steps:\n- task: {}@{}\n", task.name, task.major);
    if !inputs.is_empty() {
        text.push_str("  inputs:\n");
        for (key, value) in inputs {
            text.push_str(&format!("    {key}: '{}'\n", value.replace('\'', "''")));
        }
    }
    text
}

/// The findings of the two input rules, as (rule id, the text they point at, message).
fn input_findings(text: &str) -> Vec<(&'static str, String, String)> {
    let doc = Document::new(text, 0);
    analysis::analyze(&doc, &Config::default())
        .into_iter()
        .filter(|f| {
            matches!(
                f.rule.id,
                "unknown-input" | "missing-required-input" | "invalid-input-value"
            )
        })
        .map(|f| (f.rule.id, text[f.span.clone()].to_string(), f.message))
        .collect()
}

/// A value a user could write for an input the step must set.
fn plausible(input: &PageInput, task: &CatalogTask) -> String {
    if let Some(d) = &input.default {
        return d.clone();
    }
    let options = input
        .spellings()
        .find_map(|s| task.input(s))
        .and_then(|i| i.options.first());
    match options {
        Some(first) => first.clone(),
        None if input.kind == "boolean" => "false".into(),
        None => "example".into(),
    }
}

/// The inputs the page requires of a step in the task's default mode (see the module docs).
fn required_step<'p>(page: &'p Page, task: &CatalogTask) -> Vec<(&'p str, String)> {
    complete(page, task, Vec::new(), None)
}

/// The value a step gives an input, else the page's default, else empty: what a condition reads.
fn current(page: &Page, set: &[(&str, String)], key: &str) -> String {
    let Some(input) = page.inputs.iter().find(|i| i.is(key)) else {
        return String::new();
    };
    let given = set
        .iter()
        .find(|(k, _)| input.is(k))
        .map(|(_, v)| v.clone());
    given.or(input.default.clone()).unwrap_or_default()
}

/// `set` plus the inputs the page always requires (when `set` lacks them) and every
/// "Required when" input whose condition its values make hold, repeatedly;
/// `except` is left out whatever its condition says.
fn complete<'p>(
    page: &'p Page,
    task: &CatalogTask,
    mut set: Vec<(&'p str, String)>,
    except: Option<&str>,
) -> Vec<(&'p str, String)> {
    for input in page.inputs.iter().filter(|i| i.always_required()) {
        if !set.iter().any(|(k, _)| input.is(k)) {
            set.push((input.name.as_str(), plausible(input, task)));
        }
    }
    loop {
        let value_of = |key: &str| RuleValue::Known(current(page, &set, key));
        let more: Vec<(&str, String)> = page
            .inputs
            .iter()
            .filter(|i| i.cloud && i.status == "required-when")
            .filter(|i| !set.iter().any(|(k, _)| i.is(k)) && except.is_none_or(|e| !i.is(e)))
            .filter(|i| condition(page, i).eval(&value_of) == Some(true))
            .map(|i| (i.name.as_str(), plausible(i, task)))
            .collect();
        if more.is_empty() {
            return set;
        }
        set.extend(more);
    }
}

fn condition(page: &Page, input: &PageInput) -> VisibleRule {
    let when = input.when.as_deref().unwrap_or_default();
    VisibleRule::parse(when)
        .unwrap_or_else(|| panic!("{}@{} {}: {when}", page.name, page.major, input.name))
}

/// Sets values in `set` that make `rule` hold: `a = v` writes `v`, `a EndsWith v` a name
/// ending in `v`; `!=` and `NotEndsWith` write another allowed value (or `example`) only when
/// the current one fails; `||` takes the first alternative that can be written. False when
/// the rule asks for two values of one input.
fn select<'p>(
    page: &'p Page,
    task: &CatalogTask,
    rule: &VisibleRule,
    set: &mut Vec<(&'p str, String)>,
) -> bool {
    match rule {
        VisibleRule::Compare { input, op, value } => {
            let Some(target) = page.inputs.iter().find(|i| i.is(input)) else {
                return false;
            };
            let holds = |v: &str| rule.eval(&|_| RuleValue::Known(v.to_string())) == Some(true);
            if holds(&current(page, set, input)) {
                return true;
            }
            if set.iter().any(|(k, _)| target.is(k)) {
                return false;
            }
            let options = target
                .spellings()
                .find_map(|s| task.input(s))
                .map(|i| i.options.clone())
                .unwrap_or_default();
            let wanted = match op {
                CompareOp::Eq => Some(value.clone()),
                CompareOp::EndsWith => Some(format!("example{value}")),
                CompareOp::Ne | CompareOp::NotEndsWith => options
                    .into_iter()
                    .chain(["example".to_string()])
                    .find(|o| holds(o)),
            };
            match wanted {
                Some(v) => {
                    set.push((target.name.as_str(), v));
                    true
                }
                None => false,
            }
        }
        VisibleRule::And(parts) => parts.iter().all(|p| select(page, task, p, set)),
        VisibleRule::Or(parts) => parts.iter().any(|p| {
            let mut attempt = set.clone();
            let ok = select(page, task, p, &mut attempt);
            if ok {
                *set = attempt;
            }
            ok
        }),
    }
}

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED) and python3 3.11"]
fn every_input_a_page_lists_is_known() {
    let (mut versions, mut retired, mut inputs, mut keys) = (0, 0, 0, 0);
    let mut unknown = Vec::new();
    for (page, task) in documented() {
        versions += 1;
        retired += usize::from(task.retired);
        inputs += page.inputs.len();
        let by_name: Vec<(&str, String)> = page
            .inputs
            .iter()
            .map(|i| (i.name.as_str(), plausible(i, task)))
            .collect();
        let by_alias: Vec<(&str, String)> = page
            .inputs
            .iter()
            .flat_map(|i| i.aliases.iter().map(|a| (a.as_str(), plausible(i, task))))
            .collect();
        for step in [by_name, by_alias] {
            keys += step.len();
            for (rule, key, _) in input_findings(&pipeline(task, &step)) {
                if rule == "unknown-input" {
                    unknown.push(format!("{}@{} {key}", task.name, task.major));
                }
            }
        }
    }
    eprintln!(
        "reference: {versions} task versions ({retired} retired), {inputs} inputs, {keys} keys \
         (names and aliases), {} reported unknown",
        unknown.len()
    );
    assert!(
        unknown.is_empty(),
        "unknown-input on documented inputs:\n{}",
        unknown.join("\n")
    );
}

/// `invalid-input-value` never flags what a page allows: each of its "Allowed values", its
/// defaults, and `true`/`false` for its boolean inputs, each under the input's every key, one
/// input per step (so no value selects a mode that hides another).
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED) and python3 3.11"]
fn no_value_a_page_allows_is_invalid() {
    let (mut versions, mut values, mut flagged) = (0, 0, Vec::new());
    for (page, task) in documented() {
        versions += 1;
        for input in &page.inputs {
            let mut allowed: Vec<String> = input.values.clone();
            allowed.extend(input.default.clone());
            if input.kind == "boolean" {
                allowed.extend(["true".to_string(), "false".to_string(), "True".to_string()]);
            }
            for value in allowed.iter().filter(|v| !v.trim().is_empty()) {
                for key in input.spellings() {
                    values += 1;
                    let text = pipeline(task, &[(key, value.clone())]);
                    let doc = Document::new(&text, 0);
                    for f in analysis::analyze(&doc, &Config::default()) {
                        if f.rule.id == "invalid-input-value" {
                            flagged
                                .push(format!("{}@{} {key}: {}", task.name, task.major, f.message));
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "reference: {versions} task versions, {values} allowed values and defaults set, {} flagged",
        flagged.len()
    );
    assert!(values > 2000, "only {values} values checked");
    assert!(
        flagged.is_empty(),
        "invalid-input-value on values the reference allows:\n{}",
        flagged.join("\n")
    );
}

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED) and python3 3.11"]
fn a_step_with_the_inputs_a_page_requires_is_clean() {
    let (mut versions, mut set, mut findings) = (0, 0, Vec::new());
    for (page, task) in documented() {
        versions += 1;
        let step = required_step(&page, task);
        set += step.len();
        for (rule, at, message) in input_findings(&pipeline(task, &step)) {
            findings.push(format!(
                "{}@{} [{rule}] at {at:?}: {message}",
                task.name, task.major
            ));
        }
    }
    eprintln!(
        "reference: {versions} task versions, {set} inputs set as their pages require, {} findings",
        findings.len()
    );
    assert!(
        findings.is_empty(),
        "findings on steps that set what the page requires:\n{}",
        findings.join("\n")
    );
}

#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED) and python3 3.11"]
fn a_step_without_inputs_misses_exactly_the_required_inputs_without_default() {
    let (mut versions, mut expected, mut found) = (0, 0, 0);
    let (mut false_missing, mut not_found) = (Vec::new(), Vec::new());
    for (page, task) in documented() {
        versions += 1;
        let text = pipeline(task, &[]);
        let doc = Document::new(&text, 0);
        let model = model::build(&doc);
        let step = &model.steps[0];
        let missing: Vec<&str> = missing_required_input::missing(step, task)
            .into_iter()
            .map(|i| task.inputs[i].name.as_str())
            .collect();
        // The rule reports what `missing` returns, in one finding.
        let reported = input_findings(&text)
            .iter()
            .filter(|(rule, _, _)| *rule == "missing-required-input")
            .count();
        assert_eq!(
            reported,
            usize::from(!missing.is_empty()),
            "{}@{}",
            task.name,
            task.major
        );
        let mut owner: HashMap<&str, &PageInput> = HashMap::new();
        for name in &missing {
            let input = task.input(name).unwrap();
            match page
                .inputs
                .iter()
                .find(|p| input.spellings().any(|s| p.is(s)))
            {
                Some(p) => {
                    owner.insert(name, p);
                }
                None => false_missing.push(format!(
                    "{}@{} {name}: not on the page",
                    task.name, task.major
                )),
            }
        }
        for (name, p) in &owner {
            if !(p.always_required() && p.default.is_none()) {
                false_missing.push(format!(
                    "{}@{} {name}: the page says {}{}{}",
                    task.name,
                    task.major,
                    p.status,
                    p.when
                        .as_deref()
                        .map(|w| format!(" ({w})"))
                        .unwrap_or_default(),
                    p.default
                        .as_deref()
                        .map(|d| format!(", default {d:?}"))
                        .unwrap_or_default()
                ));
            }
        }
        for p in page
            .inputs
            .iter()
            .filter(|p| p.always_required() && p.default.is_none())
        {
            expected += 1;
            if owner.values().any(|o| std::ptr::eq(*o, p)) {
                found += 1;
            } else {
                not_found.push(format!("{}@{} {}", task.name, task.major, p.name));
            }
        }
    }
    eprintln!(
        "reference: {versions} task versions; {found} of {expected} required inputs without default \
         reported missing; {} reported that the page does not require",
        false_missing.len()
    );
    assert!(
        false_missing.is_empty() && not_found.is_empty(),
        "reported but not required by the page:\n{}\n\nrequired by the page but not reported:\n{}",
        false_missing.join("\n"),
        not_found.join("\n")
    );
}

/// For every input the page shows only in some modes, a step that selects such a mode (the
/// required step, with the controlling inputs set so that the input's condition holds) and
/// sets everything the page then requires, except that input: reported missing when the page
/// calls it "Required when …", never when it calls it Optional.
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED) and python3 3.11"]
fn selecting_a_mode_reports_only_what_the_page_requires_in_it() {
    let (mut cases, mut skipped, mut required, mut reported) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for (page, task) in documented() {
        for target in page.inputs.iter().filter(|i| i.cloud && i.when.is_some()) {
            let mut seed: Vec<(&str, String)> = Vec::new();
            let rule = condition(&page, target);
            // The mode's values come first: they may replace a required input's default.
            if !select(&page, task, &rule, &mut seed) {
                skipped += 1;
                continue;
            }
            let set = complete(&page, task, seed, Some(&target.name));
            let holds = rule.eval(&|k| RuleValue::Known(current(&page, &set, k))) == Some(true);
            if !holds || set.iter().any(|(k, _)| target.is(k)) {
                skipped += 1;
                continue;
            }
            cases += 1;
            let text = pipeline(task, &set);
            let doc = Document::new(&text, 0);
            let model = model::build(&doc);
            let names: Vec<&str> = missing_required_input::missing(&model.steps[0], task)
                .into_iter()
                .map(|i| task.inputs[i].name.as_str())
                .collect();
            let is_target = |n: &&str| {
                target
                    .spellings()
                    .any(|s| task.input(s).is_some_and(|i| i.name == *n))
            };
            if target.status == "required-when" {
                required += 1;
                if names.iter().any(is_target) {
                    reported += 1;
                }
            }
            for n in names
                .iter()
                .filter(|n| target.status != "required-when" || !is_target(n))
            {
                wrong.push(format!("{}@{} with {set:?}: {n}", task.name, task.major));
            }
            for (rule, at, message) in input_findings(&text) {
                if rule == "unknown-input" {
                    wrong.push(format!(
                        "{}@{} [{rule}] at {at:?}: {message}",
                        task.name, task.major
                    ));
                }
            }
        }
    }
    eprintln!(
        "reference: {cases} selected modes ({skipped} conditions not writable); {reported} of \
         {required} \"Required when\" inputs reported when left out; {} other findings",
        wrong.len()
    );
    assert!(
        wrong.is_empty(),
        "reported though the page does not require it:\n{}",
        wrong.join("\n")
    );
}

/// Hovers and completion link a task version to its page: the URL azpls derives from the name
/// is the page's own, for every version the reference documents.
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED) and python3 3.11"]
fn every_documented_version_links_to_its_page() {
    let mut wrong = Vec::new();
    for (page, task) in documented() {
        let slug = page.page.trim_end_matches(".md");
        let expected =
            format!("https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/{slug}");
        if task.reference_url().as_deref() != Some(expected.as_str()) {
            wrong.push(format!(
                "{}@{}: {:?}",
                task.name,
                task.major,
                task.reference_url()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "links that miss their page:\n{}",
        wrong.join("\n")
    );
}
