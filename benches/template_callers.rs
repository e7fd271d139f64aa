//! What an edit of a template costs its callers: 100 pipelines (in a scratch repository)
//! call one template; after the template changes, every caller is analysed again, as the
//! server does for the open documents that name it. Prints the median time for all 100,
//! with the template read again once (its stamp changed) and the callers' own analyses
//! remembered from before. `cargo bench --bench template_callers`.

use azpls::analysis::{self, Config};
use azpls::document::Document;
use azpls::ide::templates::{DiskFiles, Place};
use azpls::model;
use std::time::{Duration, Instant};

const CALLERS: usize = 100;

fn main() {
    let root = std::env::temp_dir().join(format!("azpls-template-callers-{}", std::process::id()));
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::create_dir_all(root.join("templates")).unwrap();
    let template = |extra: &str| {
        format!(
            "parameters:\n- name: environment\n  type: string\n  values: [dev, prod]\n- name: connection\n  type: string\n{extra}\nsteps:\n- script: deploy ${{{{ parameters.environment }}}}\n"
        )
    };
    let path = root.join("templates/deploy.yml");
    std::fs::write(&path, template("")).unwrap();
    let callers: Vec<(Place, Document, model::Model)> = (0..CALLERS)
        .map(|i| {
            let file = root.join(format!("pipeline-{i}.yml"));
            let mut text = String::from("trigger:\n- main\nstages:\n");
            for s in 0..3 {
                text.push_str(&format!(
                    "- stage: S{s}\n  jobs:\n  - job: J\n    steps:\n    - script: echo {i}\n    - template: templates/deploy.yml\n      parameters:\n        environment: dev\n        connection: sc-{i}\n"
                ));
            }
            std::fs::write(&file, &text).unwrap();
            let doc = Document::new(&text, 0);
            let model = model::build(&doc);
            let place = Place {
                file: Some(file),
                workspace: None,
            };
            (place, doc, model)
        })
        .collect();
    let config = Config::default();
    let analyse_all = || {
        let mut findings = 0;
        for (place, doc, model) in &callers {
            let env = analysis::Environment {
                place,
                files: &DiskFiles,
            };
            findings += analysis::analyze_in(doc, model, &config, &env).len();
        }
        findings
    };
    analyse_all();
    let mut samples: Vec<Duration> = Vec::new();
    let mut findings = 0;
    for round in 0..21 {
        // A new version of the template (its size changes, so its stamp does).
        let extra = if round % 2 == 0 {
            "- name: dryRun\n  type: boolean\n"
        } else {
            ""
        };
        std::fs::write(&path, template(extra)).unwrap();
        let started = Instant::now();
        findings = analyse_all();
        samples.push(started.elapsed());
    }
    samples.sort();
    println!(
        "{CALLERS} callers re-analysed after a template edit: {:.3} ms (median of {}), {findings} findings",
        samples[samples.len() / 2].as_secs_f64() * 1000.0,
        samples.len()
    );
    let _ = std::fs::remove_dir_all(&root);
}
