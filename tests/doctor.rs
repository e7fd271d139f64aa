//! `azpls doctor` as users run it, one folder per case under `tests/doctor/`: a service
//! connection (`connection.json`) and federated credentials (`credentials.json`) written by
//! hand from the documented formats with made-up ids, and `expected.out`, the command line, its
//! exit code, standard output and standard error. A `cmd` file (one argument a line) replaces
//! the default command line, and a `stdin` file is fed to standard input. A regression test is
//! one new folder; `AZPLS_BLESS=1 cargo test --test doctor` rewrites the expected files.

#[path = "cli/support.rs"]
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::{ROOT, TempDir, azpls_with_input, stderr, stdout};

/// The retirement is judged on a fixed day, so that the cases keep their meaning.
const DEFAULT: &[&str] = &[
    "doctor",
    "--connection",
    "connection.json",
    "--credentials",
    "credentials.json",
    "--date",
    "2026-10-01",
];

fn cases() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(Path::new(ROOT).join("tests/doctor"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Runs a case: its command line, and the transcript to compare.
fn run(dir: &Path) -> (Vec<String>, Option<i32>, String) {
    let args: Vec<String> = match std::fs::read_to_string(dir.join("cmd")) {
        Ok(text) => text.lines().map(str::to_string).collect(),
        Err(_) => DEFAULT.iter().map(|s| s.to_string()).collect(),
    };
    let input = std::fs::read(dir.join("stdin")).ok();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = azpls_with_input(&refs, dir, Some(input.as_deref().unwrap_or_default()));
    let mut transcript = format!(
        "$ azpls {}\nexit code: {}\n{}",
        args.join(" "),
        o.status.code().map_or("none".into(), |c| c.to_string()),
        stdout(&o)
    );
    let err = stderr(&o);
    if !err.is_empty() {
        transcript.push_str("--- stderr\n");
        transcript.push_str(&err);
    }
    (args, o.status.code(), transcript)
}

#[test]
fn every_case_prints_its_expected_transcript() {
    let bless = std::env::var_os("AZPLS_BLESS").is_some();
    let mut failures = Vec::new();
    for dir in cases() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let (_, code, transcript) = run(&dir);
        let expected_path = dir.join("expected.out");
        if bless {
            std::fs::write(&expected_path, &transcript).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if transcript != expected {
            failures.push(format!(
                "{name}: the transcript differs from expected.out (AZPLS_BLESS=1 rewrites it)\n--- actual\n{transcript}"
            ));
        }
        // Bad input is exit code 2 and a healthy connection 0, whatever the transcript says.
        let want = match name.split('-').next() {
            Some("bad") => Some(2),
            Some("healthy") => Some(0),
            _ => None,
        };
        if want.is_some() && code != want {
            failures.push(format!("{name}: exit code {code:?}, expected {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_check_has_a_case_that_reports_it() {
    let mut seen = String::new();
    for dir in cases() {
        seen.push_str(&std::fs::read_to_string(dir.join("expected.out")).unwrap_or_default());
    }
    for check in azpls::doctor::CHECKS {
        assert!(
            seen.contains(&format!("[{}]", check.id)),
            "no case reports [{}]",
            check.id
        );
    }
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = Path::new(ROOT).join("tests/doctor/subject-case");
    let mut args: Vec<&str> = DEFAULT.to_vec();
    args.extend(["--format", "json"]);
    let o = azpls_with_input(&args, &dir, None);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["date"], "2026-10-01");
    assert_eq!(v["credentials"], 1);
    let c = &v["connections"][0];
    assert_eq!(c["name"], "prod-deploy");
    assert_eq!(c["healthy"], false);
    let f = &c["findings"][0];
    assert_eq!(f["check"], "subject-mismatch");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["at"][0]["path"], "[0].subject");
    assert_eq!(
        f["at"][0]["expected"]["value"],
        "sc://contoso/web-app/prod-deploy"
    );
    assert!(f["pipeline"].as_str().unwrap().starts_with("AADSTS7002138"));
    assert!(f["fix"].as_array().unwrap().len() >= 2);
    assert_eq!(
        c["findings"][1]["check"], "issuer-retiring",
        "errors come first"
    );
}

/// Values that a CI agent would execute, or that break lines, never reach the output as
/// they are, in either format; no input makes it panic.
#[test]
fn hostile_values_are_escaped_and_never_crash_it() {
    let dir = TempDir::new("doctor-hostile");
    let evil = "sc://contoso/web\n##vso[task.setvariable variable=X]1/\u{1b}[2Jprod";
    let conn = serde_json::json!({
        "name": "x\r##vso[task.complete result=Failed]",
        "id": "##vso[task.prependpath]/tmp",
        "authorization": {"scheme": "WorkloadIdentityFederation", "parameters": {
            "serviceprincipalid": "a'b", "tenantid": "t",
            "workloadIdentityFederationIssuer": "https://vstoken.dev.azure.com/o",
            "workloadIdentityFederationSubject": evil}}
    });
    dir.write("c.json", conn.to_string());
    dir.write(
        "f.json",
        serde_json::json!([{"name": "##vso[x]", "issuer": "https://vstoken.dev.azure.com/o",
            "subject": evil.replace("prod", "Prod"), "audiences": ["api://AzureADTokenExchange"]}])
        .to_string(),
    );
    for format in ["human", "json"] {
        let o = azpls_with_input(
            &[
                "doctor",
                "--connection",
                "c.json",
                "--credentials",
                "f.json",
                "--format",
                format,
            ],
            &dir,
            None,
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let text = stdout(&o);
        assert!(!text.to_ascii_lowercase().contains("##vso["), "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\r'), "{text}");
        if format == "json" {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["connections"][0]["subject"], evil, "JSON keeps the value");
        }
    }
    // Deep nesting, a file past the cap, and a good export cut short every 97 bytes.
    dir.write(
        "deep.json",
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    );
    dir.write("big.json", vec![b' '; (8 << 20) + 1]);
    let good =
        std::fs::read(Path::new(ROOT).join("tests/doctor/healthy-entra-issuer/connection.json"))
            .unwrap();
    let mut bad = vec!["deep.json".to_string(), "big.json".to_string()];
    for (i, cut) in (0..good.len()).step_by(97).enumerate() {
        let name = format!("cut{i}.json");
        dir.write(&name, &good[..cut]);
        bad.push(name);
    }
    for name in &bad {
        let o = azpls_with_input(
            &["doctor", "--connection", name, "--credentials", "f.json"],
            &dir,
            None,
        );
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        assert!(stderr(&o).starts_with("error: "), "{name}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{name}");
    }
}
