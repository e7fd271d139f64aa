//! Where the time of an open goes, on the keystroke benchmark's generated pipelines:
//! tree-sitter's own parse, `Document::new` (limits check + parse), the model, the
//! analysis with every rule switched off (the shared work: syntax errors, per-step
//! lookups, suppressions), then each rule alone on top of that, nothing remembered
//! between runs; and the reading of stages and jobs the name rules share. `cargo bench --bench open_cost`.

#[path = "keystroke.rs"]
#[allow(dead_code)]
mod keystroke;

use azpls::analysis::{self, Config, RULES};
use azpls::document::Document;
use azpls::model;
use std::time::{Duration, Instant};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                analysis::forget_cached();
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let _ = analysis::analyze(
        &Document::new(&keystroke::generate(100), 0),
        &Config::default(),
    );
    let all: Vec<String> = RULES.iter().map(|(r, _)| r.id.to_string()).collect();
    // `AZPLS_OPEN_RUNS=1` runs each step once at 10k lines: for instruction counts
    // (valgrind --tool=callgrind), which a shared machine does not disturb.
    let once = std::env::var("AZPLS_OPEN_RUNS").is_ok_and(|r| r == "1");
    let sizes: &[usize] = if once { &[10_000] } else { &[10_000, 50_000] };
    for &lines in sizes {
        let text = keystroke::generate(lines);
        let runs = if once {
            1
        } else if lines >= 50_000 {
            7
        } else {
            15
        };
        println!("{lines} lines");
        let parse = time(runs, || {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&azpls::syntax::language()).unwrap();
            std::hint::black_box(parser.parse(&text, None));
        });
        println!("  {:<28} {:>10}", "ts parse", ms(parse));
        let new = time(runs, || {
            std::hint::black_box(Document::new(&text, 0));
        });
        println!("  {:<28} {:>10}", "Document::new", ms(new));
        let doc = Document::new(&text, 0);
        let build = time(runs, || {
            std::hint::black_box(model::build(&doc));
        });
        println!("  {:<28} {:>10}", "model::build", ms(build));
        let skeleton = time(runs, || {
            std::hint::black_box(model::pipeline::stages_and_jobs(&doc));
        });
        println!("  {:<28} {:>10}", "stages and jobs", ms(skeleton));
        let model = model::build(&doc);
        let none = Config {
            disabled: all.clone(),
            ..Config::default()
        };
        let base = time(runs, || {
            std::hint::black_box(analysis::analyze_model(&doc, &model, &none));
        });
        println!("  {:<28} {:>10}", "analysis, no rule", ms(base));
        for (rule, _) in RULES {
            let one = Config {
                disabled: all.iter().filter(|id| *id != rule.id).cloned().collect(),
                ..Config::default()
            };
            let t = time(runs, || {
                std::hint::black_box(analysis::analyze_model(&doc, &model, &one));
            });
            println!("  {:<28} {:>10}", rule.id, ms(t.saturating_sub(base)));
        }
        let every = Config::default();
        let all_rules = time(runs, || {
            std::hint::black_box(analysis::analyze_model(&doc, &model, &every));
        });
        println!("  {:<28} {:>10}", "analysis, every rule", ms(all_rules));
    }
}
