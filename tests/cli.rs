//! `azpls check` and `azpls explain` as users run them: every output format against a
//! golden file (`tests/cli/*.out`, `AZPLS_BLESS=1` rewrites them), every exit code,
//! `--fix` and `--diff` on copies, and, with the shared corpus present, `--fix` changing
//! nothing but version tokens and `check` agreeing with what the server publishes.

mod common;
#[path = "cli/support.rs"]
mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;
use support::{ROOT, TempDir, azpls, stderr, stdout};

fn golden(name: &str, actual: &str) {
    let path = Path::new(ROOT).join("tests/cli").join(name);
    if std::env::var_os("AZPLS_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing (AZPLS_BLESS=1 writes it)", path.display()));
    assert_eq!(actual, expected, "{name} differs from its golden file");
}

const SAMPLE: &str = "tests/fixtures/sample/azure-pipelines.yml";

#[test]
fn every_format_has_a_golden_output() {
    for format in ["human", "concise", "json", "sarif", "github", "azure"] {
        let o = azpls(&["check", "--format", format, SAMPLE], Path::new(ROOT));
        assert_eq!(o.status.code(), Some(1), "{format}: findings mean exit 1");
        golden(&format!("check-sample.{format}.out"), &stdout(&o));
    }
}

#[test]
fn machine_formats_are_valid_json_with_the_documented_shape() {
    let o = azpls(&["check", "--format", "json", SAMPLE], Path::new(ROOT));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], 1);
    let f = &v["files"][0]["findings"][1];
    assert_eq!(f["rule"], "wif-deprecated-version");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(34), Some(19))
    );
    assert_eq!(f["fix"]["safe"], true);
    let o = azpls(&["check", "--format", "sarif", SAMPLE], Path::new(ROOT));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 4);
}

#[test]
fn exit_codes() {
    let dir = TempDir::new("exit");
    std::fs::write(
        dir.join("clean.yml"),
        "steps:\n- task: AzureCLI@2\n  inputs:\n    azureSubscription: sc\n    scriptType: bash\n    scriptLocation: inlineScript\n    inlineScript: az account show\n",
    )
    .unwrap();
    std::fs::write(dir.join("latin1.yml"), b"steps:\n- script: caf\xe9\n").unwrap();
    let clean = azpls(&["check", "clean.yml"], &dir);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let findings = azpls(&["check", &format!("{ROOT}/{SAMPLE}")], &dir);
    assert_eq!(findings.status.code(), Some(1));
    // Below the threshold: warnings don't count with --severity error.
    let threshold = azpls(
        &["check", "--severity", "error", &format!("{ROOT}/{SAMPLE}")],
        &dir,
    );
    assert_eq!(threshold.status.code(), Some(0));
    let missing = azpls(&["check", "nope.yml"], &dir);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stdout(&missing).contains("nope.yml"),
        "{}",
        stdout(&missing)
    );
    // A non-UTF-8 file is reported with its path; the others are still checked.
    let mixed = azpls(&["check", "--format", "concise", "."], &dir);
    assert_eq!(mixed.status.code(), Some(2));
    let text = stdout(&mixed);
    assert!(text.contains("latin1.yml: not UTF-8"), "{text}");
    assert!(text.contains("1 pipeline file(s) checked"), "{text}");
    let bad = azpls(&["check", "--format", "xml", "."], &dir);
    assert_eq!(bad.status.code(), Some(2));
    let bad_table = azpls(&["check", "--wif-table", "1999-01-01", "."], &dir);
    assert_eq!(bad_table.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_table.stderr).contains("2025-03-12"));
}

#[test]
fn folders_take_pipelines_and_skip_other_yaml() {
    let dir = TempDir::new("walk");
    std::fs::create_dir_all(dir.join(".github/workflows")).unwrap();
    std::fs::create_dir_all(dir.join("k8s")).unwrap();
    std::fs::create_dir_all(dir.join("ignored")).unwrap();
    std::fs::write(dir.join(".gitignore"), "ignored/\n").unwrap();
    std::fs::write(
        dir.join("azure-pipelines.yml"),
        "steps:\n- task: AzureFileCopy@4\n",
    )
    .unwrap();
    std::fs::write(dir.join(".github/workflows/ci.yml"), "on: push\njobs: {}\n").unwrap();
    std::fs::write(dir.join("k8s/app.yaml"), "apiVersion: v1\nkind: Service\n").unwrap();
    std::fs::write(
        dir.join("ignored/azure-pipelines.yml"),
        "steps:\n- task: AzureFileCopy@4\n",
    )
    .unwrap();
    let o = azpls(&["check", "--verbose", "--format", "concise"], &dir);
    let text = stdout(&o);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(text.contains("./azure-pipelines.yml:2:9"), "{text}");
    assert!(!text.contains("ignored"), ".gitignore is respected: {text}");
    assert!(
        log.contains("skipped ./k8s/app.yaml: Kubernetes manifest"),
        "{log}"
    );
    let all = azpls(&["check", "--all-yaml", "--format", "json"], &dir);
    let v: Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(
        v["files"].as_array().unwrap().len(),
        2,
        "--all-yaml takes the manifest too"
    );
}

#[test]
fn fix_and_diff_change_only_version_tokens() {
    let dir = TempDir::new("fix");
    let original = "\u{feff}steps:\r\n- task: \"AzureFileCopy@4\"  # keep\r\n  inputs:\r\n    SourcePath: a\r\n- task: AzureNLBManagement@1\r\n";
    std::fs::write(dir.join("azure-pipelines.yml"), original).unwrap();
    // The steps are sketches: keep the catalog's complaints about them out of the count.
    std::fs::write(
        dir.join("azpls.toml"),
        "[rules]\nmissing-required-input = \"off\"\ndeprecated-task = \"off\"\n",
    )
    .unwrap();
    let diff = azpls(&["check", "--diff", "azure-pipelines.yml"], &dir);
    assert!(
        stdout(&diff).contains(
            "-- task: \"AzureFileCopy@4\"  # keep\r\n+- task: \"AzureFileCopy@6\"  # keep\r\n"
        ),
        "{}",
        stdout(&diff)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("azure-pipelines.yml")).unwrap(),
        original,
        "--diff changes nothing"
    );
    let fix = azpls(&["check", "--fix", "azure-pipelines.yml"], &dir);
    assert_eq!(fix.status.code(), Some(1), "the unsupported task remains");
    assert!(
        stdout(&fix)
            .starts_with("fixed azure-pipelines.yml:2:10: AzureFileCopy@4 -> AzureFileCopy@6\n"),
        "what changed comes first: {}",
        stdout(&fix)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("azure-pipelines.yml")).unwrap(),
        original.replace("AzureFileCopy@4", "AzureFileCopy@6")
    );
    assert!(
        stdout(&fix).contains("fixed 1 version(s); 1 finding(s) remain"),
        "{}",
        stdout(&fix)
    );
}

/// Files whose fixes exercise a diff: a `./` path when found under `.`, a folder, a name
/// with a space, CRLF with a BOM, adjacent changed lines, a last line without a line end,
/// and an unsafe fix.
fn write_diff_cases(dir: &Path) {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("azure-pipelines.yml", "steps:\n- task: AzureFileCopy@4\n");
    write(
        "pipelines/two adjacent.yml",
        "\u{feff}steps:\r\n- task: AzureFileCopy@4\r\n- task: AzureFileCopy@4\r\n  displayName: copy\r\n",
    );
    write(
        "pipelines/last.yml",
        "steps:\n- script: echo\n- task: AzureFileCopy@4",
    );
    write(
        "pipelines/unsafe.yml",
        &std::fs::read_to_string(
            Path::new(ROOT)
                .join("tests/fixtures/wif-deprecated-version/positive-unsafe-input-changes.yml"),
        )
        .unwrap(),
    );
}

/// Runs git in `dir` with no user or system configuration, `input` on stdin; `None`
/// when git is not installed.
fn git(dir: &Path, args: &[&str], input: &[u8]) -> Option<std::process::Output> {
    use std::io::Write;
    let empty = dir.join(".gitconfig-empty");
    std::fs::write(&empty, "").ok()?;
    let mut child = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", &empty)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().ok()
}

/// What `--diff` prints is a patch `git apply` takes in the folder `check` ran in, and
/// applying it gives the files `--fix` writes; stdout holds the diff and nothing else.
#[test]
fn diff_applies_with_git_apply_and_matches_fix() {
    let patched = TempDir::new("diff-git");
    if git(&patched, &["--version"], b"").is_none_or(|o| !o.status.success()) {
        eprintln!("SKIPPED diff_applies_with_git_apply_and_matches_fix: git is not installed");
        return;
    }
    let fixed = TempDir::new("diff-fix");
    for dir in [&patched, &fixed] {
        write_diff_cases(dir);
    }
    assert!(
        git(&patched, &["init", "-q"], b"")
            .unwrap()
            .status
            .success()
    );
    let o = azpls(&["check", "--diff", "--unsafe-fixes", "."], &patched);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let diff = stdout(&o);
    assert!(!diff.contains("/./"), "{diff}");
    for name in [
        "azure-pipelines.yml",
        "pipelines/two adjacent.yml",
        "pipelines/last.yml",
        "pipelines/unsafe.yml",
    ] {
        assert!(
            diff.contains(&format!("--- a/{name}\n+++ b/{name}\n")),
            "{name}: {diff}"
        );
    }
    assert!(
        diff.lines()
            .all(|l| ["--- ", "+++ ", "@@ ", " ", "-", "+", "\\ "]
                .iter()
                .any(|p| l.starts_with(p))),
        "the diff alone on stdout:\n{diff}"
    );
    assert!(
        stderr(&o).contains("fix(es) in the diff on standard output; nothing was changed"),
        "the report on stderr: {}",
        stderr(&o)
    );
    let check = git(&patched, &["apply", "--check", "-"], diff.as_bytes()).unwrap();
    assert!(
        check.status.success(),
        "git apply --check: {}\n{diff}",
        stderr(&check)
    );
    assert!(
        git(&patched, &["apply", "-"], diff.as_bytes())
            .unwrap()
            .status
            .success()
    );
    azpls(&["check", "--unsafe-fixes", "."], &fixed);
    for name in [
        "azure-pipelines.yml",
        "pipelines/two adjacent.yml",
        "pipelines/last.yml",
        "pipelines/unsafe.yml",
    ] {
        assert_eq!(
            std::fs::read(patched.join(name)).unwrap(),
            std::fs::read(fixed.join(name)).unwrap(),
            "{name}: the patch and --fix disagree"
        );
    }

    // Paths named on the command line: relative ones stay as given (without `./`),
    // absolute ones inside the current folder become relative to it.
    let again = TempDir::new("diff-paths");
    write_diff_cases(&again);
    assert!(git(&again, &["init", "-q"], b"").unwrap().status.success());
    let absolute = again.join("azure-pipelines.yml");
    let o = azpls(
        &[
            "check",
            "--diff",
            "./pipelines/./last.yml",
            absolute.to_str().unwrap(),
        ],
        &again,
    );
    let diff = stdout(&o);
    assert!(diff.contains("--- a/pipelines/last.yml\n"), "{diff}");
    assert!(diff.contains("--- a/azure-pipelines.yml\n"), "{diff}");
    let check = git(&again, &["apply", "--check", "-"], diff.as_bytes()).unwrap();
    assert!(
        check.status.success(),
        "git apply --check: {}\n{diff}",
        stderr(&check)
    );
}

/// `--diff --unsafe-fixes` previews the unsafe fixes and writes nothing; `--diff` with
/// `--fix` (or `--fix-anyway`, which implies it) is a usage error.
#[test]
fn diff_previews_unsafe_fixes_and_refuses_fix() {
    let dir = TempDir::new("diff-unsafe");
    write_diff_cases(&dir);
    let unsafe_path = dir.join("pipelines/unsafe.yml");
    let before = std::fs::read_to_string(&unsafe_path).unwrap();
    let safe_only = azpls(&["check", "--diff", "pipelines/unsafe.yml"], &dir);
    assert_eq!(stdout(&safe_only), "", "no safe fix in this file");
    let o = azpls(
        &["check", "--diff", "--unsafe-fixes", "pipelines/unsafe.yml"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("+          - task: Kubernetes@1\n"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read_to_string(&unsafe_path).unwrap(),
        before,
        "nothing written"
    );
    // A machine format's report goes to stderr too, whole.
    let json = azpls(
        &[
            "check",
            "--diff",
            "--format",
            "json",
            "pipelines/unsafe.yml",
        ],
        &dir,
    );
    let report: Value = serde_json::from_slice(&json.stderr).unwrap();
    assert_eq!(report["files"][0]["path"], "pipelines/unsafe.yml");
    for fix in ["--fix", "--fix-anyway"] {
        let o = azpls(&["check", "--diff", fix, "pipelines/unsafe.yml"], &dir);
        assert_eq!(o.status.code(), Some(2), "{fix}");
        assert!(
            stderr(&o).contains("--diff shows what --fix would do; use one or the other"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read_to_string(&unsafe_path).unwrap(), before);
}

#[test]
fn unused_ignores_are_reported_when_asked() {
    let dir = TempDir::new("ignores");
    std::fs::write(
        dir.join("azure-pipelines.yml"),
        "steps:\n- task: AzureCLI@2 # azpls: ignore[wif-unsupported-task]\n  inputs:\n    azureSubscription: sc\n    scriptType: bash\n    scriptPath: run.sh\n",
    )
    .unwrap();
    assert_eq!(
        azpls(&["check", "azure-pipelines.yml"], &dir).status.code(),
        Some(0)
    );
    let o = azpls(
        &["check", "--report-unused-ignores", "azure-pipelines.yml"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o)
            .contains("unused suppression \"azpls: ignore[wif-unsupported-task]\" [unused-ignore]"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn explain_codes_and_logs() {
    let code = azpls(&["explain", "AADSTS700024"], Path::new(ROOT));
    assert_eq!(code.status.code(), Some(0));
    golden("explain-AADSTS700024.out", &stdout(&code));
    assert_eq!(
        azpls(&["explain", "AADSTS1"], Path::new(ROOT))
            .status
            .code(),
        Some(2)
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_azpls"))
        .args(["explain", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"starting\n##[error]Could not fetch access token for Azure. Verify the service connection\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("line 2: ##[error]Could not fetch access token for Azure"),
        "{}",
        stdout(&out)
    );
}

/// Hand-written log excerpts in both shapes, `tests/cli/logs/*.log`: downloaded from the web
/// UI (a timestamp on every line) and printed without timestamps; each against its golden
/// `.out` (exit code and output), so that every step's task and verdict is reviewed.
#[test]
fn explain_names_the_step_of_every_known_message_in_logs_of_both_shapes() {
    let dir = Path::new(ROOT).join("tests/cli/logs");
    let mut logs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    logs.sort();
    assert!(logs.len() >= 3);
    for log in logs {
        let input = std::fs::read(&log).unwrap();
        let o = support::azpls_with_input(&["explain", "-"], Path::new(ROOT), Some(&input));
        let name = log.file_stem().unwrap().to_string_lossy().into_owned();
        golden(
            &format!("logs/{name}.out"),
            &format!("exit code: {:?}\n{}", o.status.code(), stdout(&o)),
        );
    }
}

#[test]
fn explain_reads_crlf_a_byte_order_mark_invalid_utf8_and_endless_lines() {
    let mut log = b"\xef\xbb\xbf##[section]Starting: Upload\r\n".to_vec();
    log.extend_from_slice(b"==============================================================================\r\nTask         : Azure file copy\r\nVersion      : 4.230.0\r\n==============================================================================\r\n");
    log.extend_from_slice(b"caf\xe9 ");
    log.extend(std::iter::repeat_n(b'x', 1 << 20));
    log.extend_from_slice(b"\r\n##[error]Could not fetch access token for Azure\r\n");
    let o = support::azpls_with_input(&["explain", "-"], Path::new(ROOT), Some(&log));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.starts_with("line 7: ##[error]Could not fetch access token for Azure\n  step \"Upload\" (line 1) ran AzureFileCopy@4, which does not support workload identity federation; use AzureFileCopy@6"),
        "{text}"
    );
}

/// A 50 MB log is read as a stream: the time grows with the size, nothing is quadratic, and
/// a message near the end is still found.
#[test]
fn explain_reads_a_50_mb_log_quickly() {
    let step = "2024-05-01T10:11:06.0301284Z ##[section]Starting: Upload site\n2024-05-01T10:11:06.0409911Z ==============================================================================\n2024-05-01T10:11:06.0410205Z Task         : Azure file copy\n2024-05-01T10:11:06.0410689Z Version      : 5.235.0\n2024-05-01T10:11:06.0411408Z ==============================================================================\n";
    let noise = "2024-05-01T10:11:07.8876112Z INFO: Scanning... 1234 files uploaded to https://contosoweb.blob.core.windows.net/$web, 0 failed, AADSTS-looking text that is not a code\n";
    let mut log = String::with_capacity(51 << 20);
    log.push_str(step);
    while log.len() < 50 << 20 {
        log.push_str(noise);
    }
    log.push_str("2024-05-01T10:11:09.1203399Z ##[error]failed with error: 'Unsupported authentication scheme 'WorkloadIdentityFederation' for endpoint.'\n");
    let started = std::time::Instant::now();
    let o = support::azpls_with_input(&["explain", "-"], Path::new(ROOT), Some(log.as_bytes()));
    let took = started.elapsed();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("ran AzureFileCopy@5"), "{}", stdout(&o));
    // Generous for a debug build on a busy machine; a quadratic reader takes hours.
    assert!(took < std::time::Duration::from_secs(120), "took {took:?}");
}

/// On a copy of every corpus file: `--unsafe-fixes` changes nothing but task references
/// (`Name@N`) and input keys, line for line; everything else stays byte for byte.
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn fix_on_the_corpus_changes_only_task_references_keys_and_values() {
    let corpus = common::required_corpus();
    let dir = TempDir::new("corpus-fix");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&corpus).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            let name = path.file_name().unwrap().to_owned();
            std::fs::copy(&path, dir.join(&name)).unwrap();
            // The corpus may be read-only, and the copy with it: --fix leaves read-only
            // files alone.
            let mut permissions = std::fs::metadata(dir.join(&name)).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            std::fs::set_permissions(dir.join(&name), permissions).unwrap();
            names.push(name);
        }
    }
    let o = azpls(
        &[
            "check",
            "--unsafe-fixes",
            "--all-yaml",
            "--format",
            "concise",
            ".",
        ],
        &dir,
    );
    assert_ne!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut changed_lines = 0;
    for name in names {
        let before = std::fs::read_to_string(corpus.join(&name)).unwrap();
        let after = std::fs::read_to_string(dir.join(&name)).unwrap();
        let (old, new): (Vec<&str>, Vec<&str>) = (
            before.split_inclusive('\n').collect(),
            after.split_inclusive('\n').collect(),
        );
        assert_eq!(old.len(), new.len(), "{name:?}: line count changed");
        for (a, b) in old.iter().zip(&new) {
            if a == b {
                continue;
            }
            changed_lines += 1;
            assert_eq!(
                without_reference_or_key(a),
                without_reference_or_key(b),
                "{name:?}: a change outside a task reference, key or value:\n-{a}+{b}"
            );
        }
    }
    assert!(
        changed_lines > 0,
        "the corpus has deprecated versions to fix"
    );
}

/// A line with its `task:` value's `Name@N` token, or else its mapping key, blanked.
fn without_reference_or_key(line: &str) -> String {
    let token = |c: char| c.is_ascii_alphanumeric() || "._-@*".contains(c);
    if let Some(at) = line.find("task:") {
        let rest = &line[at + 5..];
        let start = rest.len() - rest.trim_start_matches([' ', '\'', '"']).len();
        let len = rest[start..]
            .find(|c| !token(c))
            .unwrap_or(rest.len() - start);
        return format!(
            "{}task:{}<ref>{}",
            &line[..at],
            &rest[..start],
            &rest[start + len..]
        );
    }
    let indent = line.len() - line.trim_start_matches([' ', '\'', '"']).len();
    let len = line[indent..].find(|c| !token(c)).unwrap_or(0);
    let rest = &line[indent + len..];
    // A value fixed to an allowed one (an input option, an image label): the token after
    // `: ` and its quote, with whatever follows it kept.
    let rest = match rest.strip_prefix(": ") {
        Some(value) => {
            let start = value.len() - value.trim_start_matches(['\'', '"']).len();
            let len = match value[..start].chars().next() {
                // Quoted: up to the closing quote (labels may hold spaces).
                Some(q) => value[start..].find(q),
                None => value[start..].find(|c| !token(c)),
            }
            .unwrap_or(value.len() - start);
            format!(": {}<value>{}", &value[..start], &value[start + len..])
        }
        None => rest.to_string(),
    };
    format!("{}<key>{rest}", &line[..indent])
}

/// `check` finds exactly what the server publishes, file by file.
#[test]
#[ignore = "needs ../shared (or AZPLS_SHARED)"]
fn check_agrees_with_the_server_on_the_corpus() {
    let corpus = common::required_corpus();
    let o = azpls(
        &[
            "check",
            "--all-yaml",
            "--format",
            "json",
            corpus.to_str().unwrap(),
        ],
        Path::new(ROOT),
    );
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut client = common::Client::start();
    client.initialize(
        json!({"general": {"positionEncodings": ["utf-8"]}}),
        Value::Null,
    );
    let mut compared = 0;
    for file in report["files"].as_array().unwrap() {
        let path = file["path"].as_str().unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let uri = format!("file:///corpus/{compared}.yml");
        client.open(&uri, &text, 1);
        let published: Vec<(String, u64)> = client
            .diagnostics(&uri, 1)
            .iter()
            .map(|d| {
                (
                    d["code"].as_str().unwrap().to_string(),
                    d["range"]["start"]["line"].as_u64().unwrap() + 1,
                )
            })
            .collect();
        let checked: Vec<(String, u64)> = file["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(published, checked, "{path}");
        compared += 1;
    }
    assert!(compared > 100, "compared {compared} files");
    assert_eq!(client.shutdown(), Some(0));
}

/// `--connection` answers "what breaks if I convert this connection?": the sample's
/// `$(serviceConnection)` resolves to contoso-prod from its own variables.
#[test]
fn connection_filter_limits_findings_to_steps_using_it() {
    let prod = azpls(
        &[
            "check",
            "--connection",
            "contoso-prod",
            "--format",
            "json",
            SAMPLE,
        ],
        Path::new(ROOT),
    );
    assert_eq!(prod.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&prod.stdout).unwrap();
    let rules: Vec<&str> = v["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    // Only what workload identity federation breaks: not the catalog's deprecation of the
    // NLB task, though the step uses the connection.
    assert_eq!(rules, ["wif-deprecated-version", "wif-unsupported-task"]);
    assert_eq!(v["files"][0]["findings"][0]["connection"], "contoso-prod");
    let case = azpls(
        &["check", "--connection", "CONTOSO-PROD", SAMPLE],
        Path::new(ROOT),
    );
    assert_eq!(case.status.code(), Some(1), "names match in any case");
}

/// A `--connection` that no checked step uses is a typo or a stale name: the gate fails
/// (exit 2) and says which connections the steps do use, instead of passing on "nothing
/// breaks". Each of several values must be used.
#[test]
fn connection_no_step_uses_fails_and_names_the_used_ones() {
    let typo = azpls(
        &["check", "--connection", "contso-prod", SAMPLE],
        Path::new(ROOT),
    );
    assert_eq!(typo.status.code(), Some(2));
    assert_eq!(
        stderr(&typo),
        "error: --connection \"contso-prod\" matches no service connection of the checked steps (they use \"contoso-prod\"); did you mean \"contoso-prod\"?\n"
    );
    assert!(
        stdout(&typo).contains("0 finding(s)"),
        "the report is still printed: {}",
        stdout(&typo)
    );
    let several = azpls(
        &[
            "check",
            "--format",
            "json",
            "--connection",
            "contoso-prod",
            "--connection",
            "other-sc",
            SAMPLE,
        ],
        Path::new(ROOT),
    );
    assert_eq!(several.status.code(), Some(2), "other-sc is not used");
    let v: Value = serde_json::from_slice(&several.stdout).unwrap();
    assert_eq!(
        v["files"][0]["findings"].as_array().unwrap().len(),
        2,
        "the used one still reports what breaks"
    );
    assert!(
        stderr(&several).contains("--connection \"other-sc\" matches no service connection")
            && !stderr(&several).contains("\"contoso-prod\" matches"),
        "{}",
        stderr(&several)
    );

    // A connection used only by a container resource counts; with no connection at all,
    // the message says so.
    let dir = TempDir::new("connection-unused");
    std::fs::write(
        dir.join("azure-pipelines.yml"),
        "resources:\n  containers:\n  - container: tools\n    image: contoso.azurecr.io/tools\n    azureSubscription: registry-sc\nsteps:\n- script: echo\n",
    )
    .unwrap();
    let container = azpls(&["check", "--connection", "Registry-SC", "."], &dir);
    assert_ne!(container.status.code(), Some(2), "{}", stderr(&container));
    std::fs::write(dir.join("azure-pipelines.yml"), "steps:\n- script: echo\n").unwrap();
    let none = azpls(&["check", "--connection", "prod-sc", "."], &dir);
    assert_eq!(none.status.code(), Some(2));
    assert!(
        stderr(&none).contains("(none of them sets an Azure Resource Manager service connection)"),
        "{}",
        stderr(&none)
    );
}

/// `[files]` in azpls.toml: exclude wins over detection, include takes YAML that doesn't
/// look like a pipeline; `[wif]` and `[rules]` apply to check as well.
#[test]
fn config_file_includes_excludes_and_rules() {
    let dir = TempDir::new("config");
    std::fs::create_dir_all(dir.join("vendor")).unwrap();
    std::fs::create_dir_all(dir.join("deploy")).unwrap();
    std::fs::write(
        dir.join("azpls.toml"),
        "[files]\ninclude = [\"deploy/*.yaml\"]\nexclude = [\"vendor/\"]\n[rules]\nwif-unsupported-task = \"off\"\nmissing-required-input = \"off\"\ndeprecated-task = \"off\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("vendor/azure-pipelines.yml"),
        "steps:\n- task: AzureFileCopy@4\n",
    )
    .unwrap();
    // Not pipeline-looking by itself: no top-level pipeline key, no steps.
    std::fs::write(
        dir.join("deploy/copy.yaml"),
        "copy:\n  task: AzureFileCopy@4\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("azure-pipelines.yml"),
        "steps:\n- task: AzureNLBManagement@1\n- task: AzureMonitor@0\n",
    )
    .unwrap();
    let o = azpls(&["check", "--verbose", "--format", "json"], &dir);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(
        log.contains("skipped ./vendor/azure-pipelines.yml: excluded by [files] in azpls.toml"),
        "{log}"
    );
    assert!(log.contains("checked ./deploy/copy.yaml"), "{log}");
    let rules: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap())
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["wif-deprecated-version"],
        "the NLB rule and the catalog's rules for these sketches are off; {v}"
    );
    std::fs::write(dir.join("azpls.toml"), "[files]\nexlude = [\"vendor/\"]\n").unwrap();
    let typo = azpls(&["check"], &dir);
    assert_eq!(
        typo.status.code(),
        Some(2),
        "a misspelt key is a usage error"
    );
    assert!(
        String::from_utf8_lossy(&typo.stderr).contains("azpls.toml"),
        "the message names the file"
    );
}

/// Unsafe fixes say what each leaves to change by hand.
#[test]
fn unsafe_fixes_name_the_inputs_left_to_change() {
    let dir = TempDir::new("unsafe");
    std::fs::copy(
        Path::new(ROOT)
            .join("tests/fixtures/wif-deprecated-version/positive-unsafe-input-changes.yml"),
        dir.join("azure-pipelines.yml"),
    )
    .unwrap();
    let safe_only = azpls(&["check", "--fix", "azure-pipelines.yml"], &dir);
    assert!(
        !stdout(&safe_only).contains("fixed azure"),
        "no safe fix here: {}",
        stdout(&safe_only)
    );
    let o = azpls(&["check", "--unsafe-fixes", "azure-pipelines.yml"], &dir);
    let text = stdout(&o);
    assert!(text.contains("Kubernetes@0 -> Kubernetes@1 (unsafe: rename \"kubernetesServiceConnection\" to \"kubernetesServiceEndpoint\""), "{text}");
    assert!(
        text.contains(
            "AzureFileCopy@4 -> AzureFileCopy@6 (unsafe: drop \"sasTokenTimeOutInMinutes\")"
        ),
        "{text}"
    );
}

/// The syntax rules reach `check` like any other: a broken quote and a duplicate key are
/// errors (exit 1 at `--severity error`), each on its own line.
#[test]
fn check_reports_syntax_errors_and_duplicate_keys() {
    let dir = TempDir::new("syntax");
    std::fs::write(
        dir.join("azure-pipelines.yml"),
        "steps:\n- script: echo hi\n  displayName: one\n  displayName: two\n- script: \"unclosed\n",
    )
    .unwrap();
    let o = azpls(
        &[
            "check",
            "--severity",
            "error",
            "--format",
            "json",
            "azure-pipelines.yml",
        ],
        &dir,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let found: Vec<(&str, u64)> = v["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(found, [("duplicate-key", 4), ("yaml-syntax", 5)], "{v}");
}

/// `check` on a repository checks every call of a template against the template as it is
/// on disk: the fixture workspace is clean, and a copy whose template declares other
/// parameters reports its caller.
#[test]
fn check_reads_the_templates_a_pipeline_calls() {
    let workspace = Path::new(ROOT).join("tests/fixtures/workspace");
    let out = azpls(&["check", "."], &workspace);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("0 finding(s)"), "{}", stdout(&out));

    let dir = TempDir::new("template-calls");
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    for file in [
        "azure-pipelines.yml",
        "templates/build-job.yml",
        "templates/legacy-steps.yml",
    ] {
        dir.write(file, std::fs::read(workspace.join(file)).unwrap());
    }
    let template = std::fs::read_to_string(workspace.join("templates/deploy-steps.yml")).unwrap();
    dir.write(
        "templates/deploy-steps.yml",
        template.replace("- name: serviceConnection", "- name: connection"),
    );
    let out = azpls(&["check", "--format", "json", "."], dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let text = report.to_string();
    assert!(text.contains("unknown-template-parameter"), "{text}");
    assert!(text.contains("missing-template-parameter"), "{text}");
    assert!(text.contains("azure-pipelines.yml"), "{text}");
}

/// A workload identity finding on a template's task names the connections its callers run
/// it with, through nested templates and job variables, and `--connection` follows them:
/// "what breaks if I convert prod-sc?" covers templated pipelines.
#[test]
fn check_traces_template_tasks_to_their_callers_connections() {
    let workspace = Path::new(ROOT).join("tests/fixtures/traced");
    let out = azpls(&["check", "--format", "concise", "."], &workspace);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "./steps/copy.yml:6:9: warning: \"AzureFileCopy@4\" is deprecated for workload identity federation; use \"AzureFileCopy@6\" (run with service connections \"prod-sc\" passed by azure-pipelines.yml:8 via jobs/deploy.yml:16; \"nightly-sc\" passed by nightly.yml:15) [wif-deprecated-version]"
        ),
        "{text}"
    );
    // The template called on its own (jobs/deploy.yml, with no value for its required
    // parameter) is not a pipeline: it adds no connection of its own.
    assert_eq!(text.matches("service connection \"").count(), 2, "{text}");

    for (asked, calls) in [
        (
            "PROD-SC",
            vec!["azure-pipelines.yml:8", "jobs/deploy.yml:16"],
        ),
        ("nightly-sc", vec!["nightly.yml:15"]),
    ] {
        let out = azpls(
            &["check", "--connection", asked, "--format", "json", "."],
            &workspace,
        );
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let findings: Vec<&Value> = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["findings"].as_array().unwrap())
            .collect();
        assert_eq!(findings.len(), 1, "{report}");
        let through = findings[0]["through"].as_array().unwrap();
        assert_eq!(through.len(), 1, "only the connection asked for: {report}");
        assert!(
            through[0]["connection"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(asked)
        );
        assert_eq!(through[0]["calls"], serde_json::json!(calls), "{report}");
    }

    // A connection no caller passes is a typo, said with the nearest one.
    let out = azpls(&["check", "--connection", "nighty-sc", "."], &workspace);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did you mean \"nightly-sc\"?"), "{err}");
    assert!(
        !err.contains("${{"),
        "a template's expression is no connection: {err}"
    );
}
