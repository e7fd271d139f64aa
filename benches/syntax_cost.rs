//! What `yaml-syntax` and `duplicate-key` add to one keystroke on a 10,000-line pipeline, as
//! the server runs it: the edit, the incremental reparse and model update, then the analysis,
//! with the two rules and without (medians; each configuration has its own warm caches), on a
//! clean file and on files with one syntax error or one duplicate key.
//! `cargo bench --bench syntax_cost`.

use azpls::analysis::{self, Config, Finding};
use azpls::document::{Document, Edit};
use azpls::model;

fn of(findings: &[Finding], rule: &str) -> usize {
    findings.iter().filter(|f| f.rule.id == rule).count()
}

fn main() {
    cost_per_keystroke_on_a_10k_line_pipeline();
}

/// A 10,000-line pipeline of ordinary steps, with `extra` inserted in the middle.
fn long_pipeline(extra: &str) -> String {
    let step = "  - task: AzureCLI@2\n    displayName: Run\n    inputs:\n      azureSubscription: sc\n      scriptType: bash\n      scriptLocation: inlineScript\n      inlineScript: |\n        az group list\n  - script: echo \"done\"\n    env: { A: '1', B: [x, y] }\n";
    let mut text = String::from("trigger: none\nsteps:\n");
    while text.lines().count() < 5_000 {
        text.push_str(step);
    }
    text.push_str(extra);
    while text.lines().count() < 10_000 {
        text.push_str(step);
    }
    text
}

fn cost_per_keystroke_on_a_10k_line_pipeline() {
    use std::time::{Duration, Instant};
    let without = Config {
        disabled: vec!["yaml-syntax".into(), "duplicate-key".into()],
        ..Config::default()
    };
    for (name, extra, errors, duplicates) in [
        ("clean", "", 0, 0),
        ("one unclosed quote", "  - script: \"echo\n", 1, 0),
        ("one tab", "  -\tscript: echo\n", 1, 0),
        ("one duplicate key", "  - script: a\n    Script: b\n", 0, 1),
    ] {
        let text = long_pipeline(extra);
        let found = analysis::analyze(&Document::new(&text, 0), &Config::default());
        assert_eq!(of(&found, "yaml-syntax"), errors, "{name}");
        assert_eq!(of(&found, "duplicate-key"), duplicates, "{name}");
        // Retype a display name near the end, char by char, measuring the analysis.
        let at = text.rfind("Run\n").unwrap();
        let keystrokes = |config: &Config| {
            let mut doc = Document::new(&text, 0);
            let mut model = model::build(&doc);
            analysis::analyze_model(&doc, &model, config);
            let mut runs: Vec<Duration> = Vec::new();
            for (i, c) in "Deploy".chars().cycle().take(60).enumerate() {
                let changes = doc.apply(
                    [Edit {
                        span: at..at + 1,
                        text: c.to_string(),
                    }],
                    i as i32 + 1,
                );
                model.update(&doc, &changes);
                let t = Instant::now();
                std::hint::black_box(analysis::analyze_model(&doc, &model, config));
                runs.push(t.elapsed());
            }
            runs.sort();
            runs[runs.len() / 2]
        };
        let with = keystrokes(&Config::default());
        let base = keystrokes(&without);
        println!(
            "{name}: analysis per keystroke {:.3} ms with the two rules, {:.3} ms without (+{:.3} ms)",
            with.as_secs_f64() * 1e3,
            base.as_secs_f64() * 1e3,
            (with.as_secs_f64() - base.as_secs_f64()) * 1e3
        );
    }
}
