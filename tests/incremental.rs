//! Property test: after any sequence of random edits (multi-byte characters, CRLF and
//! pipeline-shaped text included), the incrementally edited tree equals a fresh parse of
//! the same text (node kinds and byte ranges, not just the S-expression), and so do the
//! findings. The generator is seeded, so a failure prints a seed that reproduces it.

use azpls::analysis::{self, Config};
use azpls::document::{Document, Edit};

/// SplitMix64: tiny, deterministic, good enough to drive edits.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const BASE: &str = "# pipeline — café 🚀\r\ntrigger:\r\n- main\r\nstages:\r\n- stage: build\r\n  jobs:\r\n  - job: a\r\n    steps:\r\n    - task: AzureFileCopy@4\r\n      displayName: 'copy ü'\r\n      inputs:\r\n        SourcePath: x\r\n        azureSubscription: sc\r\n    - task: Docker@1\r\n      inputs:\r\n        dockerRegistryEndpoint: r\r\n    - { task: AzureMonitor@0 }\r\n    - ${{ if true }}:\r\n      - task: \"AzureNLBManagement@1\"\r\nresources:\r\n  containers:\r\n  - container: c\r\n    azureSubscription: s\r\n";

const SNIPPETS: &[&str] = &[
    "",
    "a",
    "@",
    "6",
    "\n",
    "\r\n",
    " ",
    "  ",
    "-",
    "- task: AzureFileCopy@5\n",
    "    - task: Kubernetes@0\r\n",
    "é",
    "😀",
    "日本",
    ":",
    "\"",
    "'",
    "{ ",
    "}",
    "${{ ",
    " }}",
    "\t",
    "steps:\n",
    "#",
    "inputs:\n  dockerRegistryEndpoint: x\n",
];

fn char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn nodes(doc: &Document) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let mut cursor = doc.tree().walk();
    loop {
        let n = cursor.node();
        out.push((n.kind().to_string(), n.start_byte(), n.end_byte()));
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

fn findings(doc: &Document, config: &Config) -> Vec<(String, std::ops::Range<usize>, String)> {
    analysis::analyze(doc, config)
        .into_iter()
        .map(|f| (f.rule.id.to_string(), f.span, f.message))
        .collect()
}

fn run(seed: u64, rounds: usize, config: &Config) {
    let mut rng = Rng(seed);
    let mut text = BASE.to_string();
    let mut doc = Document::new(&text, 0);
    for round in 0..rounds {
        // A batch of one to three edits, applied in order, then one reparse (as didChange).
        let batch = 1 + rng.below(3);
        for _ in 0..batch {
            let start = char_boundary(&text, rng.below(text.len() + 1));
            let len = if rng.below(3) == 0 { 0 } else { rng.below(12) };
            let end = char_boundary(&text, (start + len).min(text.len()));
            let insert = rng.pick(SNIPPETS);
            text.replace_range(start..end, insert);
            doc.edit(Edit {
                span: start..end,
                text: insert.to_string(),
            });
        }
        doc.reparse(round as i32 + 1);
        assert_eq!(doc.text(), text, "seed {seed} round {round}: rope text");
        let fresh = Document::new(&text, 0);
        assert_eq!(
            nodes(&doc),
            nodes(&fresh),
            "seed {seed} round {round}: incremental tree differs from a fresh parse of {text:?}"
        );
        assert_eq!(
            findings(&doc, config),
            findings(&fresh, config),
            "seed {seed} round {round}: findings differ"
        );
    }
}

#[test]
fn incremental_edits_match_fresh_parse_newest_table() {
    let config = Config::default();
    for seed in 0..60 {
        run(seed, 40, &config);
    }
}

#[test]
fn incremental_edits_match_fresh_parse_seed_table() {
    let settings = azpls::config::Settings::from_toml("[wif]\ntable = \"2024-02-08\"\n").unwrap();
    let config = settings.to_config().unwrap();
    for seed in 1000..1030 {
        run(seed, 40, &config);
    }
}
