//! Completion of template calls against the fixture workspace on disk: the parameters a
//! template declares under a call's `parameters:`, and paths after `template:`.

use azpls::document::Document;
use azpls::ide::template_completion::completions;
use azpls::ide::templates::{DiskFiles, Place};
use std::path::Path;

/// The labels offered at `<|>` in `source`, as if it were the workspace's pipeline, and
/// the text each replaces.
fn complete(source: &str) -> Vec<(String, String)> {
    let offset = source.find("<|>").expect("a <|> marker");
    let text = source.replacen("<|>", "", 1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspace");
    let place = Place {
        file: Some(root.join("azure-pipelines.yml")),
        workspace: None,
    };
    completions(&Document::new(&text, 0), &place, &DiskFiles, offset)
        .into_iter()
        .map(|i| (i.label, text[i.span].to_string()))
        .collect()
}

fn labels(items: &[(String, String)]) -> Vec<&str> {
    items.iter().map(|(l, _)| l.as_str()).collect()
}

#[test]
fn a_call_offers_the_parameters_it_does_not_pass_yet_required_first() {
    let items = complete(
        "steps:\n- template: templates/deploy-steps.yml\n  parameters:\n    environment: dev\n    <|>\n",
    );
    assert_eq!(
        labels(&items),
        [
            "serviceConnection",
            "dryRun",
            "retries",
            "preSteps",
            "notes"
        ]
    );
    let typed = complete(
        "steps:\n- template: templates/deploy-steps.yml\n  parameters:\n    dryR<|>\n    environment: dev\n",
    );
    assert_eq!(typed, [("dryRun".to_string(), "dryR".to_string())]);
    // `parameters:` before `template:` in the item.
    let before = complete("jobs:\n- parameters:\n    <|>\n  template: templates/build-job.yml\n");
    assert_eq!(labels(&before), ["name", "pool"]);
}

#[test]
fn nothing_under_parameters_of_something_else() {
    assert!(complete("parameters:\n  <|>\nsteps:\n- script: echo\n").is_empty());
    assert!(
        complete("steps:\n- template: templates/nowhere.yml\n  parameters:\n    <|>\n").is_empty()
    );
}

#[test]
fn paths_complete_a_folder_at_a_time() {
    let items = complete("steps:\n- template: temp<|>\n");
    assert_eq!(items, [("templates/".to_string(), "temp".to_string())]);
    let items = complete("steps:\n- template: templates/<|>\n");
    assert_eq!(
        labels(&items),
        ["build-job.yml", "deploy-steps.yml", "legacy-steps.yml"]
    );
    let quoted = complete("steps:\n- template: \"templates/de<|>\"\n");
    assert_eq!(quoted, [("deploy-steps.yml".to_string(), "de".to_string())]);
    // Never above the repository.
    assert!(complete("steps:\n- template: ../<|>\n").is_empty());
}
