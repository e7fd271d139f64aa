//! How `azpls check` scales with the number of findings: generated pipelines of 10k, 20k,
//! 40k and 80k findings (deprecated `AzureFileCopy@4` steps with a service connection and
//! unknown inputs, one step a line, so every finding also looks up its step's connection),
//! checked in process as the command does, in the concise and JSON formats, output
//! discarded. Prints the median of three runs per size and its ratio to the size before: a
//! ratio near 2 is linear growth, near 4 quadratic. Even the largest stays under the
//! grammar's row limit, so every size is parsed the same way (past it, files are read in
//! segments, which costs more per line). `cargo bench --bench check_scale`.

use azpls::analysis::{self, Config};
use azpls::cli::check::{self, Format, Options};
use azpls::config::Settings;
use azpls::document::Document;
use azpls::model;
use std::path::Path;
use std::time::{Duration, Instant};

/// A pipeline of `steps` task steps, each with the same findings.
fn generate(steps: usize) -> String {
    let mut text = String::from("variables:\n- name: sc\n  value: prod-sc\nsteps:\n");
    for n in 0..steps {
        text.push_str(&format!(
            "- {{task: AzureFileCopy@4, displayName: Copy {n}, inputs: {{azureSubscription: $(sc), extra1: x, extra2: x, extra3: x}}}}\n"
        ));
    }
    text
}

fn findings(text: &str) -> usize {
    let doc = Document::new(text, 0);
    analysis::report(&doc, &model::build(&doc), &Config::default())
        .findings
        .len()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time_check(path: &Path, format: Format) -> Duration {
    let options = Options::new(vec![path.to_path_buf()], format, &Settings::default())
        .expect("default settings");
    median(
        (0..3)
            .map(|_| {
                let start = Instant::now();
                let code = check::run(&options, &mut std::io::sink(), &mut std::io::sink())
                    .expect("write to a sink");
                assert_eq!(code, 1, "the pipeline has findings");
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let dir = std::env::temp_dir().join(format!("azpls-bench-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let per_step = findings(&generate(1));
    println!("check, by findings ({per_step} per generated step): median of 3 runs");
    let mut previous: Option<(Duration, Duration)> = None;
    for target in [10_000, 20_000, 40_000, 80_000] {
        let text = generate(target / per_step);
        let count = findings(&text);
        let path = dir.join(format!("azure-pipelines-{target}.yml"));
        std::fs::write(&path, &text).expect("write the pipeline");
        let concise = time_check(&path, Format::Concise);
        let json = time_check(&path, Format::Json);
        let ratio = |now: Duration, before: Option<Duration>| {
            before.map_or(String::new(), |b| {
                format!(" (x{:.2})", now.as_secs_f64() / b.as_secs_f64())
            })
        };
        println!(
            "{count:>7} findings, {:>5.1} MB: concise {:>8.1} ms{}, json {:>8.1} ms{}",
            text.len() as f64 / 1e6,
            concise.as_secs_f64() * 1e3,
            ratio(concise, previous.map(|p| p.0)),
            json.as_secs_f64() * 1e3,
            ratio(json, previous.map(|p| p.1)),
        );
        previous = Some((concise, json));
        let _ = std::fs::remove_file(&path);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
