//! Hovers, asserted on their text: what a user reads on a task or an input.

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
