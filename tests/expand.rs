//! Golden tests of `expand`: one folder per construct under `tests/fixtures/expand/`, and
//! one that combines them, each with the pipeline (`azure-pipelines.yml`), its templates,
//! the expansion written by hand (`expected.yml`) and, where the service would raise
//! errors, `errors.txt` (`file:line: message`, one a line). The expected files follow the
//! Microsoft documentation's rules for templates and expressions; a new case is one new
//! folder.

use azpls::document::Document;
use azpls::expand::{self, emit};
use azpls::ide::templates::{DiskFiles, Place};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/expand")
}

fn expand_case(dir: &Path) -> (String, String) {
    let main = dir.join("azure-pipelines.yml");
    let text = std::fs::read_to_string(&main).unwrap();
    let place = Place {
        file: Some(main.clone()),
        workspace: None,
    };
    let x = expand::expand(&text, &place, &DiskFiles, &[]);
    let yaml = emit::yaml(&x.value, None);
    // An open buffer's tree, read as it is, expands the same.
    let parsed = expand::expand_parsed(&Document::new(&text, 1), &place, &DiskFiles, &[]);
    assert_eq!(emit::yaml(&parsed.value, None), yaml, "{}", dir.display());
    assert_eq!(parsed.errors, x.errors, "{}", dir.display());
    let mut errors = String::new();
    for e in &x.errors {
        let file = x.files[e.file as usize].as_deref().unwrap();
        let file = file
            .strip_prefix(dir)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        // The message up to any list of the paths tried, which names this machine's paths.
        let message = e.message.split(" (looked for").next().unwrap();
        errors.push_str(&format!("{file}:{}: {message}\n", e.line + 1));
    }
    (yaml, errors)
}

#[test]
fn every_construct_expands_as_written_by_hand() {
    let mut failures = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "{cases:?}");
    for dir in cases {
        let (yaml, errors) = expand_case(&dir);
        let expected = std::fs::read_to_string(dir.join("expected.yml")).unwrap();
        let expected_errors = std::fs::read_to_string(dir.join("errors.txt")).unwrap_or_default();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if yaml != expected {
            failures.push(format!(
                "{name}: expansion differs\n--- expected\n{expected}--- actual\n{yaml}"
            ));
        }
        if errors != expected_errors {
            failures.push(format!(
                "{name}: errors differ\n--- expected\n{expected_errors}--- actual\n{errors}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn azpls(args: &[&str], dir: &Path) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_azpls"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap(),
    )
}

#[test]
fn the_command_names_the_source_of_every_item_and_exits_0() {
    let dir = fixtures().join("templates");
    let (out, err, code) = azpls(&["expand", "azure-pipelines.yml"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    let expected = "\
variables:
- name: shared  # azure-pipelines.yml:2
  value: one
- name: environment  # templates/vars.yml:5
  value: prod
- name: url  # templates/vars.yml:7
  value: https://prod.example.com
stages:
- stage: build  # templates/stages.yml:6
  jobs:
  - job: build_job  # templates/jobs.yml:5
    steps:
    - script: echo in build  # templates/steps.yml:5
- stage: test  # templates/stages.yml:6
  jobs:
  - job: test_job  # templates/jobs.yml:5
    steps:
    - script: echo in test  # templates/steps.yml:5
";
    assert_eq!(out, expected);
}

#[test]
fn json_output_names_the_source_in_a_field() {
    let dir = fixtures().join("values");
    let (out, err, code) = azpls(&["expand", "azure-pipelines.yml", "--format", "json"], &dir);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["steps"][0]["$source"], "steps/build.yml:9");
    assert_eq!(v["steps"][1]["inputs"]["projects"], "**/*.csproj");
    assert_eq!(v["steps"][0]["inputs"]["ReleaseFlag"], true);
}

#[test]
fn errors_exit_1_with_what_could_be_expanded() {
    let dir = fixtures().join("errors");
    let (out, err, code) = azpls(&["expand", "azure-pipelines.yml"], &dir);
    assert_eq!(code, 1);
    assert!(out.contains("- script: before  # t/self.yml:2"), "{out}");
    assert!(
        err.contains("t/self.yml:3:13: error: template \"self.yml\" includes itself"),
        "{err}"
    );
}

#[test]
fn parameters_given_on_the_command_line_replace_defaults() {
    let dir = fixtures().join("conditions");
    let (out, err, code) = azpls(
        &[
            "expand",
            "azure-pipelines.yml",
            "--parameter",
            "toolset=msvc",
            "--parameter",
            "debug=true",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("buildType: Debug"), "{out}");
    assert!(out.contains("- script: cl /nologo main.c"), "{out}");
    assert!(out.contains("displayName: debug run"), "{out}");
    // A value the parameter does not allow, and one it does not declare.
    let (_, err, code) = azpls(
        &[
            "expand",
            "azure-pipelines.yml",
            "--parameter",
            "toolset=icc",
            "--parameter",
            "nope=1",
        ],
        &dir,
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("\"icc\" is not an allowed value of parameter \"toolset\""),
        "{err}"
    );
    assert!(err.contains("unexpected parameter \"nope\""), "{err}");
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let dir = fixtures();
    let (_, err, code) = azpls(&["expand", "no-such-file.yml"], &dir);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: cannot read no-such-file.yml"),
        "{err}"
    );
    let (_, err, code) = azpls(
        &[
            "expand",
            "values/azure-pipelines.yml",
            "--parameter",
            "novalue",
        ],
        &dir,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("bad --parameter \"novalue\": write name=value"),
        "{err}"
    );
    let (_, err, code) = azpls(
        &["expand", "values/azure-pipelines.yml", "--format", "xml"],
        &dir,
    );
    assert_eq!(code, 2);
    assert!(err.contains("unknown --format"), "{err}");
}

#[test]
fn hostile_files_neither_crash_nor_print_logging_commands() {
    let dir = std::env::temp_dir().join(format!("azpls-expand-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Deeper than the grammar's external scanner survives: refused before it is parsed.
    let mut deep = String::from("steps:\n");
    for d in 0..400 {
        deep.push_str(&" ".repeat(d));
        deep.push_str("- \n");
    }
    std::fs::write(dir.join("deep.yml"), &deep).unwrap();
    let (_, err, code) = azpls(&["expand", "deep.yml"], &dir);
    assert_eq!(code, 1, "{err}");
    // A value that a CI agent would run as a logging command if printed as it is.
    std::fs::write(
        dir.join("vso.yml"),
        "parameters:\n- name: p\n  default: '##vso[task.setvariable variable=x]1'\nsteps:\n- script: echo ${{ parameters.p }}\n  displayName: \"##[error]x\"\n",
    )
    .unwrap();
    for format in ["yaml", "json"] {
        let (out, err, code) = azpls(&["expand", "vso.yml", "--format", format], &dir);
        assert_eq!(code, 0, "{err}");
        assert!(!out.to_ascii_lowercase().contains("##vso["), "{out}");
        assert!(!out.contains("##[error"), "{out}");
        assert!(out.contains("task.setvariable"), "{out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
