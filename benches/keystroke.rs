//! Keystroke benchmark, in process: on generated pipelines of 1k, 10k and 50k lines,
//! the median time of what the server does for one `didChange` (rope edit, tree edit,
//! incremental reparse, incremental model update, analysis, position conversion of every
//! finding), tree-sitter's own full parse, a full open (parse + analysis, nothing remembered)
//! and the ratio of the two (timed in turns), a hover on a task, completion of task names
//! (every catalog version) and of a step's input names in the second half of the document,
//! completion of a step's keys on a new line there and a hover on a job key (the pipeline
//! language), a hover on a value (`continueOnError: true`) and completion of keys inside a
//! flow mapping (`target: { co`), the outline (documentSymbol), the folding ranges and the template links. It first prints
//! how long parsing the task catalog takes, which the server does on a background thread
//! after `initialized`. `cargo bench --bench keystroke`.
//!
//! The end-to-end figures over stdio, against other servers, come from
//! `../shared/bench/lspbench.py` (see the README's Performance section).

use azpls::analysis::{self, Config};
use azpls::document::{Document, Edit};
use azpls::ide::{self, templates};
use azpls::model;
use azpls::text::{self, Encoding};
use std::time::{Duration, Instant};

/// A deterministic, realistic pipeline of exactly `lines` lines: stages, jobs,
/// deployment jobs, template insertions, and task steps of many kinds (some deprecated,
/// some unsupported), with inputs and block scripts.
pub fn generate(lines: usize) -> String {
    const STEPS: &[&str] = &[
        "      - task: AzureCLI@2\n        displayName: Run az {n}\n        inputs:\n          azureSubscription: sc-{n}\n          scriptType: bash\n          scriptLocation: inlineScript\n          inlineScript: |\n            az group list\n            echo {n}\n",
        "      - task: AzureFileCopy@4\n        displayName: Copy {n}\n        inputs:\n          SourcePath: out/{n}\n          azureSubscription: sc\n          Destination: AzureBlob\n          storage: acct\n          ContainerName: c{n}\n",
        "      - script: echo step {n}\n        displayName: Script {n}\n",
        "      - task: Docker@1\n        inputs:\n          containerregistrytype: Container Registry\n          dockerRegistryEndpoint: reg{n}\n          command: Push an image\n",
        "      - ${{ if eq(parameters.deploy, true) }}:\n        - task: AzureNLBManagement@1\n          inputs:\n            azureSubscription: sc\n            Action: Connect\n",
        "      - task: PowerShell@2\n        inputs:\n          targetType: inline\n          script: Write-Host {n}\n",
    ];
    let mut out = String::from(
        "trigger:\n- main\nparameters:\n- name: deploy\n  type: boolean\n  default: true\nstages:\n",
    );
    let mut n = 0;
    while out.lines().count() < lines {
        out.push_str(&format!(
            "- stage: s{n}\n  jobs:\n  - job: j{n}\n    steps:\n"
        ));
        for k in 0..12 {
            out.push_str(&STEPS[(n + k) % STEPS.len()].replace("{n}", &format!("{n}_{k}")));
        }
        n += 1;
    }
    let mut cut: Vec<&str> = out.lines().take(lines).collect();
    // Never end inside a block scalar header: the last line is a plain comment.
    cut.pop();
    cut.push("# end");
    cut.join("\n") + "\n"
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // Before anything else touches the catalog.
    let started = Instant::now();
    let versions = azpls::knowledge::catalog().tasks().len();
    println!(
        "task catalog: {versions} versions parsed in {}",
        ms(started.elapsed())
    );
    let config = Config::default();
    // Warm the knowledge base and queries once, as a running server has.
    let _ = analysis::analyze(&Document::new(&generate(100), 0), &config);
    println!(
        "{:>7}  {:>10}  {:>10}  {:>11}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>11}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>9}",
        "lines",
        "ts parse",
        "open",
        "open÷parse",
        "keystroke",
        "hover",
        "tasks",
        "inputs",
        "keywords",
        "key hover",
        "value hover",
        "flow keys",
        "structure",
        "symbols",
        "folding",
        "links",
        "findings"
    );
    for lines in [1_000, 10_000, 50_000] {
        let text = generate(lines);
        let runs = if lines >= 50_000 { 15 } else { 41 };

        // tree-sitter's own full parse of the text, the floor of an open, and an open as
        // the server does it (parse, model and every rule, nothing remembered), taken in
        // turns so that both see the same moments of a shared, noisy machine; their ratio
        // is the median of each pair's.
        let mut parses = Vec::new();
        let mut opens = Vec::new();
        let mut ratios = Vec::new();
        for _ in 0..runs.min(11) {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&azpls::syntax::language()).unwrap();
            let t = Instant::now();
            std::hint::black_box(parser.parse(&text, None));
            let parse = t.elapsed();
            analysis::forget_cached();
            let t = Instant::now();
            let doc = Document::new(&text, 0);
            std::hint::black_box(analysis::analyze(&doc, &config));
            let open = t.elapsed();
            ratios.push(open.as_secs_f64() / parse.as_secs_f64());
            parses.push(parse);
            opens.push(open);
        }
        let (parse, open) = (median(parses), median(opens));
        ratios.sort_by(f64::total_cmp);
        let open_ratio = ratios[ratios.len() / 2];

        // The keystroke: flip a version digit in the second half, as lspbench does.
        let target = text[text.len() / 2..].find("AzureFileCopy@4").unwrap() + text.len() / 2 + 14;
        let mut doc = Document::new(&text, 0);
        let mut model = model::build(&doc);
        let mut findings_count = 0;
        let keystroke = median(
            (0..runs)
                .map(|i| {
                    let digit = if i % 2 == 0 { "6" } else { "4" };
                    let t = Instant::now();
                    let changes = doc.apply(
                        [Edit {
                            span: target..target + 1,
                            text: digit.into(),
                        }],
                        i + 1,
                    );
                    model.update(&doc, &changes);
                    let findings = analysis::analyze_model(&doc, &model, &config);
                    for f in &findings {
                        std::hint::black_box(text::line_range(
                            doc.rope(),
                            &f.span,
                            Encoding::Utf16,
                        ));
                    }
                    findings_count = findings.len();
                    t.elapsed()
                })
                .collect(),
        );

        let hover_at = text.find("AzureFileCopy@4").unwrap() + 3;
        let hover = median(
            (0..runs)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(ide::hover(&doc, &model, &config, hover_at));
                    t.elapsed()
                })
                .collect(),
        );
        // Completion after `task: ` (every catalog version, with documentation) and on
        // an input key's line (the task's other inputs), both in the second half.
        let half = text.len() / 2;
        let task_value = text[half..].find("- task: AzureCLI@2").unwrap() + half + 8;
        let input_key = text[half..].find("          scriptType: bash").unwrap() + half + 10;
        let options = ide::CompletionOptions { snippets: true };
        for (offset, at_least) in [(task_value, 200), (input_key, 5)] {
            let n = ide::completions(&doc, &model, &config, offset, options).len();
            assert!(n >= at_least, "{n} items");
        }
        let time = |f: &dyn Fn()| {
            median(
                (0..runs)
                    .map(|_| {
                        let t = Instant::now();
                        f();
                        t.elapsed()
                    })
                    .collect(),
            )
        };
        let tasks = time(&|| {
            std::hint::black_box(ide::completions(&doc, &model, &config, task_value, options));
        });
        let inputs = time(&|| {
            std::hint::black_box(ide::completions(&doc, &model, &config, input_key, options));
        });
        // A new line under a script step's `displayName:` (its keys), and a hover on a
        // job's `steps` key, both in the second half.
        let mut typed = text.clone();
        let script = typed[half..].find("        displayName: Script").unwrap() + half;
        let line_end = script + typed[script..].find('\n').unwrap() + 1;
        typed.insert_str(line_end, "        \n");
        let typed_doc = Document::new(&typed, 0);
        let typed_model = model::build(&typed_doc);
        let keyword_at = line_end + 8;
        let n = ide::completions(&typed_doc, &typed_model, &config, keyword_at, options).len();
        assert!(n >= 5, "{n} keyword items");
        let keywords = time(&|| {
            std::hint::black_box(ide::completions(
                &typed_doc,
                &typed_model,
                &config,
                keyword_at,
                options,
            ));
        });
        let key_at = text[half..].find("    steps:").unwrap() + half + 6;
        assert!(ide::keyword_hover(&doc, key_at).is_some());
        let key_hover = time(&|| {
            std::hint::black_box(ide::keyword_hover(&doc, key_at));
        });
        // A value's hover and keys inside `{ }`, on lines added under the same script step.
        let mut valued = text.clone();
        valued.insert_str(
            line_end,
            "        continueOnError: true\n        target: { co }\n",
        );
        let valued_doc = Document::new(&valued, 0);
        let valued_model = model::build(&valued_doc);
        let value_at = line_end + "        continueOnError: tr".len();
        let flow_at = valued[line_end..].find("{ co").unwrap() + line_end + 4;
        assert!(ide::keyword_hover(&valued_doc, value_at).is_some());
        let n = ide::completions(&valued_doc, &valued_model, &config, flow_at, options).len();
        assert!(n >= 2, "{n} flow keyword items");
        let value_hover = time(&|| {
            std::hint::black_box(ide::keyword_hover(&valued_doc, value_at));
        });
        let flow_keys = time(&|| {
            std::hint::black_box(ide::completions(
                &valued_doc,
                &valued_model,
                &config,
                flow_at,
                options,
            ));
        });
        // The pipeline's structure, read once per version; the outline and the folds
        // then come from it.
        let structure = time(&|| {
            std::hint::black_box(model::pipeline::build(&doc));
        });
        let symbols = time(&|| {
            std::hint::black_box(ide::document_symbols(&doc, &model));
        });
        let folding = time(&|| {
            std::hint::black_box(ide::folding_ranges(&doc, &model));
        });
        let links = time(&|| {
            let place = templates::Place::default();
            std::hint::black_box(templates::links(&doc, &place, &templates::DiskFiles));
        });
        println!(
            "{lines:>7}  {:>10}  {:>10}  {:>10.2}×  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {:>11}  {:>10}  {:>10}  {:>10}  {:>10}  {:>10}  {findings_count:>9}",
            ms(parse),
            ms(open),
            open_ratio,
            ms(keystroke),
            ms(hover),
            ms(tasks),
            ms(inputs),
            ms(keywords),
            ms(key_hover),
            ms(value_hover),
            ms(flow_keys),
            ms(structure),
            ms(symbols),
            ms(folding),
            ms(links)
        );
    }
}
