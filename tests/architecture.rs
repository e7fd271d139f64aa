//! Architecture invariants that a compiler alone would not enforce.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Only `src/lsp/` may name LSP types or the LSP crates.
#[test]
fn only_the_lsp_module_knows_lsp() {
    let mut offenders = Vec::new();
    let mut stack = vec![Path::new(ROOT).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().unwrap() != "lsp" {
                    stack.push(path);
                }
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for needle in ["tower_lsp", "ls_types", "lsp_types", "dashmap", "tokio"] {
                // main.rs may call `azpls::lsp::run` behind the feature, nothing more.
                if text.contains(needle) {
                    offenders.push(format!("{} uses {needle}", path.display()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{}", offenders.join("\n"));
}

/// The core builds and its unit tests pass without the `lsp` feature. Uses its own
/// target folder so it never waits on the lock of the build running this test.
#[test]
fn core_builds_and_tests_without_the_lsp_feature() {
    let target = Path::new(ROOT).join("target/no-lsp");
    let output = Command::new(env!("CARGO"))
        .args(["test", "--no-default-features", "--lib", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(ROOT)
        .output()
        .expect("run cargo");
    assert!(
        output.status.success(),
        "cargo test --no-default-features --lib failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
