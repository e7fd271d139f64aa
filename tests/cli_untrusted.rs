//! `azpls check` on hostile and shared checkouts, as CI runs it: file names and YAML that
//! try to smuggle logging commands into the output, `azpls.toml` files in the wrong
//! places, `--fix` on links, read-only files and files owned by others, and input that
//! is not a regular file (standard input, FIFOs, devices).

#[path = "cli/support.rs"]
mod support;

use serde_json::Value;
use std::path::Path;
use support::{TempDir, azpls, azpls_with_input, stderr, stdout};

/// A pipeline whose every printed part is hostile: a display name with a line break and a
/// logging command, a service connection with one, a script that prints one (as many real
/// pipelines do), a comment with a lone carriage return, an escape sequence, and an unused
/// suppression with a logging command.
const HOSTILE_PIPELINE: &str = concat!(
    "steps:\n",
    "- task: AzureFileCopy@4 # ok\r##vso[task.complete result=Failed]\n",
    "  displayName: \"copy\\n##vso[task.setvariable variable=X]1 \\u001b[2J\"\n",
    "  inputs:\n",
    "    azureSubscription: \"sc\\n##vso[task.prependpath]/tmp/evil\"\n",
    "- script: echo \"##vso[task.setvariable variable=Y]2\" # azpls: ignore[wif-unsupported-task]\n",
    "- task: AzureNLBManagement@1\n",
    "- script: a # azpls: ignore[##vso[task.complete result=Failed]\n",
);

/// A file name with a line break, the logging-command separators and an escape.
#[cfg(unix)]
const HOSTILE_NAME: &str = "azure-pipelines\n##vso[task.prependpath]x;y]%25z\u{1b}[31m.yml";

/// The lines a CI agent would act on: any `##vso[` (a logging command, wherever it is in
/// the line) and a leading `##[` (a formatting command). Our own azure-format lines start
/// with exactly one `##vso[task.logissue `.
fn commands_in(text: &str, ours: bool) -> Vec<String> {
    text.split(['\n', '\r'])
        .filter(|line| {
            let lower = line.to_ascii_lowercase();
            let own = ours && lower.starts_with("##vso[task.logissue ");
            let count = lower.matches("##vso[").count();
            count > usize::from(own) || line.trim_start().starts_with("##[")
        })
        .map(str::to_string)
        .collect()
}

#[cfg(unix)]
#[test]
fn hostile_names_and_yaml_never_print_a_logging_command() {
    let dir = TempDir::new("hostile");
    dir.write(HOSTILE_NAME, HOSTILE_PIPELINE);
    // An error names the file: not UTF-8.
    dir.write(
        "bad\n##vso[task.complete result=Failed]\r.yml",
        b"steps: \xff\n",
    );
    dir.write("azpls.toml", "[rules]\nmissing-required-input = \"off\"\n");
    let mut runs = Vec::new();
    for format in ["human", "concise", "github", "azure", "json", "sarif"] {
        let o = azpls(
            &[
                "check",
                "--verbose",
                "--report-unused-ignores",
                "--format",
                format,
                ".",
            ],
            &dir,
        );
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        runs.push((format, o));
    }
    runs.push(("diff", azpls(&["check", "--diff", "."], &dir)));
    // Lists the connections the steps use, one of them hostile.
    let unmatched = azpls(&["check", "--connection", "nope", "."], &dir);
    assert!(
        stderr(&unmatched).contains("\"sc\\n##vso\\u{5b}task.prependpath]/tmp/evil\""),
        "{}",
        stderr(&unmatched)
    );
    runs.push(("connection", unmatched));
    // Last: it changes the file.
    let fixed = azpls(&["check", "--fix", "--format", "concise", "."], &dir);
    assert!(
        stdout(&fixed).contains("fixed ./azure-pipelines\\n##vso\\u{5b}"),
        "{}",
        stdout(&fixed)
    );
    runs.push(("fix", fixed));
    for (format, o) in &runs {
        let (out, err) = (stdout(o), stderr(o));
        assert_eq!(
            commands_in(&out, *format == "azure"),
            Vec::<String>::new(),
            "{format} stdout:\n{out}"
        );
        assert_eq!(
            commands_in(&err, false),
            Vec::<String>::new(),
            "{format} stderr"
        );
        for text in [&out, &err] {
            assert!(
                !text.contains('\r') && !text.contains('\u{1b}'),
                "{format}: a raw CR or ESC:\n{text:?}"
            );
        }
    }
    // The diff names the file in git's quotes, exactly and without a logging command, and
    // the report says that its escaped lines won't apply.
    let diff = &runs[6].1;
    assert!(
        stdout(diff).starts_with(
            "--- \"a/azure-pipelines\\n##vso\\133task.prependpath]x;y]%25z\\033[31m.yml\"\n"
        ),
        "{}",
        stdout(diff)
    );
    assert!(
        stderr(diff).contains("so it will not apply; use --fix for this file"),
        "{}",
        stderr(diff)
    );
    let concise = stdout(&runs[1].1);
    assert!(
        concise.contains("unused suppression \"azpls: ignore[##vso\\u{5b}task.complete"),
        "{concise}"
    );
    assert!(
        concise.contains(
            "./azure-pipelines\\n##vso\\u{5b}task.prependpath]x;y]%25z\\u{1b}[31m.yml:2:"
        ),
        "names are shown escaped: {concise}"
    );
    // The agent's view of our own commands: five properties, the path decoded to what
    // the other formats show.
    let azure = stdout(&runs[3].1);
    for line in azure.lines() {
        let (properties, _) = line["##vso[task.logissue ".len()..]
            .split_once(']')
            .expect("a logging command");
        let keys: Vec<&str> = properties
            .split(';')
            .map(|p| p.split_once('=').unwrap().0)
            .collect();
        assert_eq!(
            keys,
            ["type", "sourcepath", "linenumber", "columnnumber", "code"],
            "{line}"
        );
        let path = properties.split(';').nth(1).unwrap()["sourcepath=".len()..]
            .replace("%3B", ";")
            .replace("%5D", "]")
            .replace("%AZP25", "%");
        assert_eq!(
            path,
            "./azure-pipelines\\n##vso\\u{5b}task.prependpath]x;y]%25z\\u{1b}[31m.yml"
        );
    }
    // JSON keeps the exact name and text, only spelled differently.
    let json: Value = serde_json::from_slice(&runs[4].1.stdout).unwrap();
    assert_eq!(
        json["files"][0]["path"],
        format!("./{HOSTILE_NAME}").as_str()
    );
    let steps: Vec<&str> = json["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["step"].as_str())
        .collect();
    assert!(
        steps
            .iter()
            .any(|s| s.contains("copy\n##vso[task.setvariable")),
        "{steps:?}"
    );
}

/// An agent splits lines at a lone CR too, and so does azpls, as YAML does: the text after
/// a lone CR is the next line, and the source line of a finding shows its own line only,
/// with the underline on the token.
#[test]
fn a_lone_carriage_return_ends_the_source_line() {
    let dir = TempDir::new("lone-cr");
    dir.write(
        "azure-pipelines.yml",
        "steps:\n- task: AzureNLBManagement@1 # a\r##[error]b\n  inputs:\n    azureSubscription: sc\n",
    );
    let o = azpls(&["check", "azure-pipelines.yml"], &dir);
    let text = stdout(&o);
    assert!(
        text.contains("2 | - task: AzureNLBManagement@1 # a\n  |         ^^^^^^^^^^^^^^^^^^^^\n"),
        "{text}"
    );
    assert!(
        !text.split(['\n', '\r']).any(|l| l.starts_with("##[")),
        "{text}"
    );
}

#[test]
fn bad_config_values_are_quoted_short_and_escaped() {
    let dir = TempDir::new("bad-value");
    dir.write(".git/HEAD", "");
    let long = format!("{}\\u001b]0;x\\u0007{}", "a".repeat(30), "b".repeat(500));
    dir.write("azpls.toml", format!("[wif]\ntable = \"{long}\"\n"));
    dir.write("azure-pipelines.yml", "steps:\n- task: AzureFileCopy@4\n");
    let o = azpls(&["check"], &dir);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!(
            "unknown wif.table \"{}\\u{{1b}}]0;x\\u{{7}}bbbb…\"",
            "a".repeat(30)
        )),
        "{err}"
    );
    assert!(!err.contains('\u{1b}') && err.len() < 400, "{err}");
    let o = azpls(
        &["check", "--format", &format!("x\n##vso[{}", "y".repeat(99))],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(commands_in(&stderr(&o), false).is_empty(), "{}", stderr(&o));
}

/// `check .` from a subfolder finds the repository's azpls.toml; a configuration above
/// the repository root is not the repository's and is ignored.
#[test]
fn config_lookup_climbs_to_the_repository_root_and_no_further() {
    let outer = TempDir::new("config-root");
    outer.write("azpls.toml", "[files]\nexclude = [\"*\"]\n");
    outer.write("repo/.git", "gitdir: elsewhere\n");
    outer.write(
        "repo/azpls.toml",
        "[rules]\nmissing-required-input = \"off\"\ndeprecated-task = \"off\"\n",
    );
    outer.write(
        "repo/sub/azure-pipelines.yml",
        "steps:\n- task: AzureFileCopy@4\n",
    );
    let o = azpls(
        &["check", "--format", "concise", "."],
        &outer.join("repo/sub"),
    );
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(
        text.contains("1 finding(s)") && text.contains("wif-deprecated-version"),
        "the repository's settings apply from a subfolder: {text}"
    );
    std::fs::remove_file(outer.join("repo/azpls.toml")).unwrap();
    let absolute = outer.join("repo");
    let o = azpls(
        &["check", "--format", "concise", absolute.to_str().unwrap()],
        Path::new("/"),
    );
    assert!(
        stdout(&o).contains("1 pipeline file(s) checked"),
        "the azpls.toml above the repository excludes nothing: {}",
        stdout(&o)
    );
}

#[test]
fn each_path_is_checked_with_its_own_nearest_config() {
    let repo = TempDir::new("config-each");
    repo.write(".git/HEAD", "");
    let pipeline = "steps:\n- task: AzureFileCopy@4\n";
    repo.write("a/azure-pipelines.yml", pipeline);
    repo.write("b/azure-pipelines.yml", pipeline);
    repo.write(
        "a/azpls.toml",
        "[rules]\nwif-deprecated-version = \"off\"\n",
    );
    let o = azpls(&["check", "--format", "json", "a", "b"], &repo);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = |i: usize| -> Vec<String> {
        v["files"][i]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(v["files"][0]["path"], "a/azure-pipelines.yml");
    assert!(
        !rules(0).contains(&"wif-deprecated-version".to_string()),
        "{v}"
    );
    assert!(
        rules(1).contains(&"wif-deprecated-version".to_string()),
        "{v}"
    );
}

const FIXABLE: &str = "steps:\n- task: AzureFileCopy@4\n";
const FIXED: &str = "steps:\n- task: AzureFileCopy@6\n";

#[cfg(unix)]
#[test]
fn fix_writes_through_a_symlink_to_its_target() {
    let dir = TempDir::new("fix-link");
    dir.write("real/azure-pipelines.yml", FIXABLE);
    std::os::unix::fs::symlink("real/azure-pipelines.yml", dir.join("link.yml")).unwrap();
    let o = azpls(&["check", "--fix", "link.yml"], &dir);
    assert!(
        stdout(&o).starts_with("fixed link.yml:2:9"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("real/azure-pipelines.yml")).unwrap(),
        FIXED
    );
    assert!(
        std::fs::symlink_metadata(dir.join("link.yml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// Only files actually written are announced as fixed; the refused ones are errors that
/// say how to insist, and stay as they were.
#[cfg(unix)]
#[test]
fn fix_refuses_hard_links_and_read_only_files_unless_insisted() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("fix-refuse");
    let linked = dir.write("linked.yml", FIXABLE);
    std::fs::hard_link(&linked, dir.join("other-name.yml")).unwrap();
    let locked = dir.write("locked.yml", FIXABLE);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).unwrap();
    dir.write("plain.yml", FIXABLE);
    let o = azpls(
        &[
            "check",
            "--fix",
            "--format",
            "concise",
            "linked.yml",
            "locked.yml",
            "plain.yml",
        ],
        &dir,
    );
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{text}");
    let fixed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("fixed ") && l.contains(".yml"))
        .collect();
    assert_eq!(
        fixed,
        ["fixed plain.yml:2:9: AzureFileCopy@4 -> AzureFileCopy@6"],
        "{text}"
    );
    assert!(text.contains("fixed 1 version(s);"), "{text}");
    assert!(
        text.contains("error: linked.yml: has 1 other hard link(s)"),
        "{text}"
    );
    assert!(
        text.contains("error: locked.yml: is read-only; not fixed"),
        "{text}"
    );
    assert_eq!(std::fs::read_to_string(&linked).unwrap(), FIXABLE);
    assert_eq!(std::fs::read_to_string(&locked).unwrap(), FIXABLE);
    let o = azpls(&["check", "--fix-anyway", "linked.yml", "locked.yml"], &dir);
    assert_ne!(o.status.code(), Some(2), "{}", stdout(&o));
    assert_eq!(std::fs::read_to_string(&linked).unwrap(), FIXED);
    assert_eq!(std::fs::read_to_string(&locked).unwrap(), FIXED);
    assert_eq!(
        std::fs::read_to_string(dir.join("other-name.yml")).unwrap(),
        FIXABLE,
        "the other name keeps its text"
    );
    let mode = std::fs::metadata(&locked).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o444, "still read-only");
}

/// A fix by root keeps the file's owner and group.
#[cfg(unix)]
#[test]
fn fix_keeps_the_owner_and_group() {
    use std::os::unix::fs::MetadataExt;
    let dir = TempDir::new("fix-owner");
    let path = dir.write("azure-pipelines.yml", FIXABLE);
    if support::running_as_root() {
        std::os::unix::fs::chown(&path, Some(4321), Some(4322)).unwrap();
    } else {
        eprintln!("not root: checking that the fix keeps our own owner and group only");
    }
    let before = std::fs::metadata(&path).unwrap();
    azpls(&["check", "--fix", "azure-pipelines.yml"], &dir);
    let after = std::fs::metadata(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), FIXED);
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_eq!(after.mode(), before.mode());
}

#[test]
fn standard_input_is_checked_and_cannot_be_fixed() {
    let dir = TempDir::new("stdin");
    let o = azpls_with_input(
        &["check", "--format", "concise", "-"],
        &dir,
        Some(FIXABLE.as_bytes()),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("-:2:9: warning:"), "{}", stdout(&o));
    #[cfg(unix)]
    {
        let o = azpls_with_input(
            &["check", "--format", "json", "/dev/stdin"],
            &dir,
            Some(FIXABLE.as_bytes()),
        );
        assert_eq!(o.status.code(), Some(1), "a pipe named by path is read too");
        let empty = azpls(&["check", "--format", "concise", "/dev/null"], &dir);
        assert!(
            stdout(&empty).contains("1 pipeline file(s) checked"),
            "{}",
            stdout(&empty)
        );
    }
    let o = azpls_with_input(&["check", "--fix", "-"], &dir, Some(FIXABLE.as_bytes()));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--fix cannot write to standard input"),
        "{}",
        stderr(&o)
    );
    let diff = azpls_with_input(&["check", "--diff", "-"], &dir, Some(FIXABLE.as_bytes()));
    assert!(
        stdout(&diff).contains("+- task: AzureFileCopy@6"),
        "{}",
        stdout(&diff)
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_named_on_the_command_line_is_read() {
    let dir = TempDir::new("fifo");
    let fifo = dir.join("pipe.yml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("SKIPPED: mkfifo is not available");
        return;
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let _ = std::fs::write(fifo, FIXABLE);
        })
    };
    let o = azpls(&["check", "--format", "concise", "pipe.yml"], &dir);
    // Had azpls not opened the FIFO, the writer would wait forever: open it ourselves.
    let waited = std::time::Instant::now();
    while !writer.is_finished() && waited.elapsed() < std::time::Duration::from_secs(2) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    if !writer.is_finished() {
        let _ = std::fs::read(&fifo);
    }
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("pipe.yml:2:9:"), "{}", stdout(&o));
}

#[cfg(unix)]
#[test]
fn verbose_lists_the_symlinks_it_does_not_follow() {
    let dir = TempDir::new("walk-links");
    dir.write("real/azure-pipelines.yml", FIXABLE);
    std::os::unix::fs::symlink("real", dir.join("linked-folder")).unwrap();
    std::os::unix::fs::symlink("real/azure-pipelines.yml", dir.join("azure-pipelines.yml"))
        .unwrap();
    let o = azpls(&["check", "--verbose", "--format", "concise", "."], &dir);
    let log = stderr(&o);
    assert!(
        log.contains("skipped ./linked-folder: symbolic link, not followed"),
        "{log}"
    );
    assert!(
        log.contains("skipped ./azure-pipelines.yml: symbolic link, not followed"),
        "{log}"
    );
    assert!(
        stdout(&o).contains("1 pipeline file(s) checked"),
        "{}",
        stdout(&o)
    );
}

/// Streamed JSON is still one valid document, with files, skipped files and errors.
#[test]
fn json_report_of_many_files_with_skips_and_errors_is_one_document() {
    let dir = TempDir::new("json-stream");
    for i in 0..40 {
        dir.write(&format!("p{i:02}/azure-pipelines.yml"), FIXABLE);
    }
    dir.write("k8s/app.yaml", "apiVersion: v1\nkind: Service\n");
    dir.write("bad/azure-pipelines.yml", b"steps:\n- script: caf\xe9\n");
    let o = azpls(&["check", "--format", "json", "."], &dir);
    assert_eq!(o.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], 1);
    assert_eq!(v["files"].as_array().unwrap().len(), 40);
    assert_eq!(v["files"][39]["path"], "./p39/azure-pipelines.yml");
    assert_eq!(v["skipped"][0]["path"], "./k8s/app.yaml");
    assert!(
        v["errors"][0].as_str().unwrap().contains("not UTF-8"),
        "{v}"
    );
    let o = azpls(&["check", "--format", "sarif", "."], &dir);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["runs"][0]["results"].as_array().unwrap().len() >= 40);
}
