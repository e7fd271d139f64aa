//! Hovers, asserted on their text: what a user reads on a task or an input; and keyword
//! hovers as snapshots: each `tests/fixtures/hover/<case>.yml` holds one `<|>` where the
//! cursor is, and `<case>.out` the hover there, the hovered text underlined
//! (`AZPLS_BLESS=1 cargo test --test hover` rewrites them; review the diff).

mod common;

use azpls::analysis::Config;
use azpls::config::Settings;
use azpls::document::Document;
use azpls::ide;
use azpls::model;

fn hover_at(text: &str, needle: &str, config: &Config) -> String {
    let doc = Document::new(text, 0);
    let model = model::build(&doc);
    let offset = text.find(needle).expect("needle in text") + 1;
    ide::hover(&doc, &model, config, offset)
        .map(|h| h.markdown)
        .unwrap_or_default()
}

fn seed_table() -> Config {
    Settings::from_toml("[wif]\ntable = \"2024-02-08\"\n")
        .unwrap()
        .to_config()
        .unwrap()
}

#[test]
fn deprecated_task_says_what_to_use_and_that_the_fix_is_safe() {
    let text = "steps:\n- task: AzureFileCopy@4\n  inputs:\n    SourcePath: a\n    azureSubscription: sc\n    Destination: AzureBlob\n    storage: s\n    ContainerName: c\n";
    let md = hover_at(text, "AzureFileCopy@4", &Config::default());
    assert!(
        md.starts_with("**AzureFileCopy@4** — Azure file copy"),
        "{md}"
    );
    assert!(md.contains("not supported: use AzureFileCopy@6"), "{md}");
    assert!(md.contains("it is safe"), "{md}");
    assert!(md.contains("(https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity#review-pipeline-tasks)"), "{md}");
    // Both tables agree on this row: no history.
    assert!(!md.contains("**History:**"), "{md}");
}

#[test]
fn tables_that_disagree_show_both() {
    let md = hover_at("steps:\n- task: Docker@2\n", "Docker@2", &Config::default());
    assert!(
        md.contains("- 2024-02-08: support planned for 2024 Q2"),
        "{md}"
    );
    assert!(md.contains("- 2025-03-12 (applied): supported"), "{md}");
    let old = hover_at("steps:\n- task: Docker@2\n", "Docker@2", &seed_table());
    assert!(
        old.contains("- 2024-02-08 (applied): support planned for 2024 Q2"),
        "{old}"
    );
}

#[test]
fn per_input_rows_list_each_connection_and_what_the_step_sets() {
    let text = "steps:\n- task: Docker@1\n  inputs:\n    dockerRegistryEndpoint: r\n";
    let md = hover_at(text, "Docker@1", &Config::default());
    assert!(md.contains("| `dockerRegistryEndpoint` | Docker Registry service connection | not supported | yes |"), "{md}");
    assert!(
        md.contains("| `azureSubscriptionEndpoint` | Azure service connection | supported | no |"),
        "{md}"
    );
    let key = hover_at(text, "dockerRegistryEndpoint", &Config::default());
    assert!(
        key.contains("- 2025-03-12 (applied): not supported for this input"),
        "{key}"
    );
    assert!(
        key.contains("- 2024-02-08: not supported for this input"),
        "{key}"
    );
}

#[test]
fn unlisted_builtin_and_marketplace_tasks_say_so() {
    let builtin = hover_at(
        "steps:\n- task: AzureCLI@3\n",
        "AzureCLI@3",
        &Config::default(),
    );
    assert!(
        builtin.contains("Not listed in the table of 2025-03-12."),
        "{builtin}"
    );
    let no_arm = hover_at("steps:\n- task: Bash@3\n", "Bash@3", &Config::default());
    assert!(
        no_arm.contains("takes no Azure Resource Manager service connection"),
        "{no_arm}"
    );
    let market = hover_at(
        "steps:\n- task: contoso.tools.Deploy@2\n",
        "contoso",
        &Config::default(),
    );
    assert!(market.contains("Marketplace task"), "{market}");
    assert!(
        market.contains("(2025-03-12)") && market.contains("(2024-02-08)"),
        "both tables speak: {market}"
    );
    let market_old = hover_at(
        "steps:\n- task: contoso.tools.Deploy@2\n",
        "contoso",
        &seed_table(),
    );
    assert!(market_old.contains("preview"), "{market_old}");
}

#[test]
fn container_resource_hover_tells_the_history() {
    let text = "resources:\n  containers:\n  - container: c\n    image: x.azurecr.io/i\n    azureSubscription: sc\n";
    let md = hover_at(text, "azureSubscription", &Config::default());
    assert!(
        md.contains(
            "- 2024-02-08: container resources pulled from Azure Container Registry do not support"
        ),
        "{md}"
    );
    assert!(
        md.contains("- 2025-03-12: no longer listed as a limitation"),
        "{md}"
    );
}

#[test]
fn no_hover_on_expressions_or_plain_keys() {
    assert!(
        hover_at(
            "steps:\n- task: ${{ parameters.t }}\n",
            "parameters",
            &Config::default()
        )
        .is_empty()
    );
    assert!(hover_at("trigger:\n- main\n", "main", &Config::default()).is_empty());
}

/// Asserts that a hover holds every part, showing the hover when one is missing.
fn assert_parts(md: &str, parts: &[&str]) {
    for part in parts {
        assert!(md.contains(part), "missing {part:?} in:\n{md}");
    }
}

#[test]
fn catalog_hover_for_a_task_the_table_does_not_list() {
    let text = "steps:\n- task: PowerShell@2\n  inputs:\n    targetType: inline\n";
    let md = hover_at(text, "PowerShell@2", &Config::default());
    assert!(
        md.starts_with(
            "**PowerShell@2** — PowerShell\n\nRun a PowerShell script on Linux, macOS, or Windows\n"
        ),
        "{md}"
    );
    assert_parts(
        &md,
        &[
            "[task reference](https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/powershell-v2)",
            "| input | label | type | required | default |",
            "| `targetType` | Type | radio | no | `filePath` |",
            "| `filePath` | Script Path | filePath | yes |  |",
            "takes no Azure Resource Manager service connection",
        ],
    );
}

#[test]
fn catalog_hover_marks_deprecated_versions_and_says_why() {
    let config = Config::default();
    let md = hover_at("steps:\n- task: AzureCLI@1\n", "AzureCLI@1", &config);
    assert_parts(
        &md,
        &[
            "**Deprecated:** AzureCLI@1 is deprecated. Use AzureCLI@2 (or newer) instead.",
            "**Versions:** 3, 2, **1** (deprecated) · [task reference](https://learn.microsoft.com/azure/devops/pipelines/tasks/reference/azure-cli-v1)",
            // The WIF content stays.
            "**Workload identity federation:** supported",
        ],
    );
    let unknown = hover_at("steps:\n- task: AzureCLI@9\n", "AzureCLI@9", &config);
    assert_parts(
        &unknown,
        &[
            "The task catalog has no version 9 of AzureCLI.",
            "**Versions:** 3, 2, 1 (deprecated)",
        ],
    );
}

#[test]
fn input_hover_from_the_catalog_with_aliases_values_and_rules() {
    let text = "steps:\n- task: AzureCLI@2\n  inputs:\n    connectedServiceNameARM: sc\n    scriptType: bash\n    scriptPath: a.sh\n    bogus: 1\n";
    let config = Config::default();
    let alias = hover_at(text, "connectedServiceNameARM", &config);
    assert!(
        alias.starts_with("**`connectedServiceNameARM`** — Azure Resource Manager connection\n"),
        "{alias}"
    );
    assert_parts(
        &alias,
        &[
            "- type: `connectedService:AzureRM` (Azure Resource Manager service connection)\n- required\n- also written as: `azureSubscription`\n",
            "**Workload identity federation** (AzureCLI@2, table of 2025-03-12): the whole task: supported",
        ],
    );
    let pick = hover_at(text, "scriptType", &config);
    assert_parts(&pick, &["- values: `ps`, `pscore`, `batch`, `bash`"]);
    let rule = hover_at(text, "scriptPath", &config);
    assert_parts(&rule, &["- used when `scriptLocation` is `scriptPath`"]);
    let bogus = hover_at(text, "bogus", &config);
    assert_eq!(
        bogus,
        "**`bogus`** is not an input of AzureCLI@2 in the task catalog.\n"
    );
}

#[test]
fn input_hover_merges_the_catalog_and_the_per_input_rows() {
    let text = "steps:\n- task: Docker@1\n  inputs:\n    dockerRegistryEndpoint: r\n";
    let md = hover_at(text, "dockerRegistryEndpoint", &Config::default());
    assert!(
        md.starts_with("**`dockerRegistryEndpoint`** — Docker registry service connection\n"),
        "{md}"
    );
    assert_parts(
        &md,
        &[
            "- used when `containerregistrytype` is `Container Registry`",
            "- 2025-03-12 (applied): not supported for this input",
        ],
    );
}

/// What the server shows at an offset: the task and input hovers first, then stage and
/// job names, then keywords.
fn any_hover(text: &str, offset: usize) -> Option<ide::Hover> {
    let doc = Document::new(text, 0);
    let model = model::build(&doc);
    ide::hover(&doc, &model, &Config::default(), offset)
        .or_else(|| ide::name_hover(&doc, &model, offset))
        .or_else(|| ide::keyword_hover(&doc, offset))
}

#[test]
fn keyword_hover_fixtures() {
    let cases = common::fixture_cases("hover");
    let mut failures = Vec::new();
    for case in cases {
        let source = std::fs::read_to_string(&case).unwrap();
        let offset = source.find("<|>").expect("a <|> cursor marker");
        let text = source.replacen("<|>", "", 1);
        let rendered = match any_hover(&text, offset) {
            None => "no hover\n".to_string(),
            Some(h) => {
                let line_start = text[..h.span.start].rfind('\n').map_or(0, |i| i + 1);
                let line_end = text[h.span.start..]
                    .find('\n')
                    .map_or(text.len(), |i| h.span.start + i);
                format!(
                    "{}\n{}{}\n\n{}",
                    &text[line_start..line_end],
                    " ".repeat(text[line_start..h.span.start].chars().count()),
                    "^".repeat(text[h.span.clone()].chars().count().max(1)),
                    h.markdown
                )
            }
        };
        common::check_expected(&case.with_extension("out"), &rendered, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn task_and_input_hovers_come_before_keywords() {
    let text = "steps:\n- task: AzureCLI@2\n  inputs:\n    scriptType: bash\n";
    let on_input = any_hover(text, text.find("scriptType").unwrap() + 1).unwrap();
    assert!(
        on_input
            .markdown
            .starts_with("**`scriptType`** — Script Type"),
        "{}",
        on_input.markdown
    );
    let on_key = any_hover(text, text.find("task").unwrap() + 1).unwrap();
    assert!(
        on_key.markdown.starts_with("**AzureCLI@2**"),
        "{}",
        on_key.markdown
    );
    let on_inputs = any_hover(text, text.find("inputs").unwrap() + 1).unwrap();
    assert!(
        on_inputs
            .markdown
            .starts_with("**`inputs`** — Inputs of the task"),
        "{}",
        on_inputs.markdown
    );
}

#[test]
fn hover_anywhere_never_panics_and_stays_on_the_cursor() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut texts: Vec<String> = ["hover", "completion"]
        .iter()
        .flat_map(|folder| std::fs::read_dir(dir.join(folder)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .map(|p| std::fs::read_to_string(p).unwrap().replace("<|>", ""))
        .collect();
    texts.extend(
        [
            "\u{feff}steps:\r\n- { checkout: 'sé🚀lf', \"lfs\": true }\r\n",
            "pool: { \"vmImage\": 'x', name: \"a, b\" , demands: [ { a: b } ] }\n",
            "steps:\n- { checkout: self, lfs: 'tru\n- checkout: \"self\" # c: d\n",
            "trigger: { batch: y, }\npr: [ none, { drafts: false } ]\n- { , : }\n",
        ]
        .map(str::to_string),
    );
    for text in &texts {
        let doc = Document::new(text, 0);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            if let Some(h) = ide::keyword_hover(&doc, offset) {
                assert!(
                    h.span.start <= offset && offset <= h.span.end,
                    "hover {:?} away from {offset} in {text:?}",
                    h.span
                );
            }
        }
    }
}
