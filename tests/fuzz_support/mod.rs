//! What both fuzz tests share: the seed and the time budget, a seeded generator, the
//! seed documents, and the book of failures that turns each distinct failure into a
//! reproducer on disk and one entry of the final report.

pub mod check;
pub mod lsp;
pub mod mutate;
pub mod text;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long one `azpls` process (or one LSP request) may take before it counts as a hang.
/// Every input here is checked in well under a second by a dev build on a slow machine.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The seed, the deadline and where reproducers go, read once from the environment.
pub struct Budget {
    pub seed: u64,
    pub deadline: Instant,
    /// Where reproducers are written: kept after the run, under the target's tmp folder.
    pub failures_dir: PathBuf,
    /// Scratch space for generated files, removed when the test ends.
    pub work_dir: PathBuf,
}

impl Budget {
    /// Reads `AZPLS_FUZZ_SEED` (decimal or 0x-hex) and `AZPLS_FUZZ_SECONDS` (the budget of
    /// both tests together; each test gets half, since `cargo test` runs them side by side).
    pub fn from_env(part: &str) -> Budget {
        let (seed, origin) = match std::env::var("AZPLS_FUZZ_SEED") {
            Ok(s) => (parse_seed(&s), "from AZPLS_FUZZ_SEED"),
            Err(_) => (days_since_epoch(), "today's date (UTC)"),
        };
        let total: f64 = std::env::var("AZPLS_FUZZ_SECONDS")
            .ok()
            .map(|s| {
                s.trim()
                    .parse()
                    .expect("AZPLS_FUZZ_SECONDS is a number of seconds")
            })
            .unwrap_or(60.0);
        let share = Duration::from_secs_f64(total.max(0.0) / 2.0);
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        // Per test, and emptied first: what is there is this run's.
        let failures_dir = tmp
            .join("fuzz-failures")
            .join(format!("seed-{seed}"))
            .join(part);
        let _ = std::fs::remove_dir_all(&failures_dir);
        let work_dir = tmp
            .join("fuzz-work")
            .join(format!("{part}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&work_dir);
        std::fs::create_dir_all(&work_dir).expect("create the fuzz work folder");
        eprintln!(
            "fuzz {part}: seed {seed} ({origin}); {:.0} s of random cases (AZPLS_FUZZ_SECONDS={total} for both tests); \
             rerun with AZPLS_FUZZ_SEED={seed} cargo test --test fuzz",
            share.as_secs_f64()
        );
        Budget {
            seed,
            deadline: Instant::now() + share,
            failures_dir,
            work_dir,
        }
    }

    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.work_dir);
    }
}

fn parse_seed(s: &str) -> u64 {
    let s = s.trim();
    let parsed = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.expect("AZPLS_FUZZ_SEED is a number (decimal or 0x-hex)")
}

/// The default seed: the day number. Runs on the same day (a CI job and its re-run, or a
/// developer trying the failure CI saw) explore the same inputs; each new day explores new
/// ones, which a fixed seed never would.
fn days_since_epoch() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400)
}

/// xoshiro256** seeded through MurmurHash3's finaliser: each case gets its own stream from
/// (seed, case number), so a case is the same whatever ran before it or how long it took.
pub struct Rng {
    s: [u64; 4],
}

fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Rng {
        let base = fmix64(seed ^ fmix64(stream.wrapping_add(0x5851_f42d_4c95_7f2d)));
        let mut s = [0; 4];
        for (i, word) in s.iter_mut().enumerate() {
            *word = fmix64(base.wrapping_add((i as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d)));
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Rng { s }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `1/n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The documents the fuzzers start from: the shared corpus of real pipelines, or, when it
/// is absent, a few pipelines written for this test so the fuzzers still run.
pub fn seed_documents(corpus: Option<PathBuf>) -> Vec<(String, Vec<u8>)> {
    let Some(dir) = corpus else {
        eprintln!(
            "\n*** SKIP (partly): without the corpus the fuzzers start from {} built-in \
             pipelines only ***\n",
            BUILT_IN.len()
        );
        return BUILT_IN
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("built-in-{i}.yml"), t.as_bytes().to_vec()))
            .collect();
    };
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("read the corpus folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("read a corpus file"))
        })
        .collect();
    // Sorted, so a seed means the same inputs on every machine.
    files.sort();
    assert!(!files.is_empty(), "no YAML files in {}", dir.display());
    files
}

const BUILT_IN: &[&str] = &[
    "trigger:\n- main\npool:\n  vmImage: ubuntu-latest\nsteps:\n- task: AzureFileCopy@4\n  displayName: Upload the site ✓\n  inputs:\n    SourcePath: out/\n    azureSubscription: prod-sc\n    Destination: AzureBlob\n- script: echo \"héllo 🚀\"\n- task: Docker@1\n  inputs:\n    dockerRegistryEndpoint: registry\n",
    "parameters:\n- name: env\n  type: string\n  default: dev\nstages:\n- stage: Build\n  jobs:\n  - job: compile\n    steps:\n    - ${{ if eq(parameters.env, 'prod') }}:\n      - task: AzureCLI@1\n        inputs:\n          connectedServiceNameARM: $(connection)\n          scriptType: bash\n    - template: steps/report.yml\n      parameters:\n        name: x\n- stage: Deploy\n  dependsOn: Build\n  jobs:\n  - deployment: web\n    environment: production\n    strategy:\n      runOnce:\n        deploy:\n          steps:\n          - { task: AzureNLBManagement@1, inputs: { ConnectedServiceName: sc } }\n",
    "variables:\n  connection: legacy-sc\nresources:\n  containers:\n  - container: tools\n    image: tools:1\n    azureSubscription: legacy-sc\njobs:\n- job: a\n  condition: and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))\n  steps:\n  - task: Kubernetes@0\n    inputs:\n      kubernetesServiceConnection: aks\n      command: apply\n  - bash: |\n      echo '${{ parameters.x }}'\n      echo $[ variables.y ]\n",
];

/// One distinct failure: how often its signature was seen, and the first report of it.
struct Seen {
    count: usize,
    report: String,
}

/// The failures of one test, keyed by a signature that tells distinct bugs apart (the kind
/// of failure and where it happened, never the input), so a bug that many inputs trigger
/// is reported once, with the reproducer of its first occurrence.
pub struct Failures {
    part: &'static str,
    seed: u64,
    seen: BTreeMap<String, Seen>,
}

impl Failures {
    pub fn new(part: &'static str, seed: u64) -> Failures {
        Failures {
            part,
            seed,
            seen: BTreeMap::new(),
        }
    }

    /// How many distinct failures so far: numbers reproducer folders apart.
    pub fn distinct(&self) -> usize {
        self.seen.len()
    }

    /// Whether this signature is new (the caller then shrinks and writes a reproducer).
    pub fn is_new(&self, signature: &str) -> bool {
        !self.seen.contains_key(signature)
    }

    /// Records a failure; only the first report of a signature is kept and printed.
    pub fn record(&mut self, signature: String, report: impl FnOnce() -> String) {
        if let Some(seen) = self.seen.get_mut(&signature) {
            seen.count += 1;
            return;
        }
        let report = report();
        eprintln!("\n=== fuzz {} FAILURE: {signature}\n{report}\n", self.part);
        self.seen.insert(signature, Seen { count: 1, report });
    }

    /// Fails the test with every distinct failure, or says how much passed.
    pub fn finish(self, summary: &str) {
        if self.seen.is_empty() {
            eprintln!(
                "fuzz {}: seed {}: {summary}; no failure",
                self.part, self.seed
            );
            return;
        }
        let mut out = format!(
            "fuzz {}: seed {}: {summary}; {} distinct failure(s) (AZPLS_FUZZ_SEED={} reproduces the run):\n",
            self.part,
            self.seed,
            self.seen.len(),
            self.seed
        );
        for (signature, seen) in &self.seen {
            out.push_str(&format!(
                "\n--- {signature} (seen {} time(s))\n{}\n",
                seen.count, seen.report
            ));
        }
        panic!("{out}");
    }
}

/// A word for a shell: as is when plain, else `$'...'` with escapes, so file names with
/// newlines, quotes or bytes that are not UTF-8 can be pasted into a terminal.
pub fn shell_word(bytes: &[u8]) -> String {
    let plain = !bytes.is_empty()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@+,".contains(b));
    if plain {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut out = String::from("$'");
    for &b in bytes {
        match b {
            b'\'' => out.push_str("\\'"),
            b'\\' => out.push_str("\\\\"),
            b' '..=b'~' => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('\'');
    out
}

/// A path as a shell word.
pub fn shell_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    shell_word(path.as_os_str().as_bytes())
}

/// Shows the start of a long text, for reports.
pub fn excerpt(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}
